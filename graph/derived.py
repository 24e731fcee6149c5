"""Results derived from a whole store, kept on disk beside it for every process that opens it.

Some answers read the whole graph and cost seconds to minutes at scale: the loop census at
100k organisations reads every offer, flow and processor. Within one process they are kept
per store version (`kringloop.queries.match_cache`); this module keeps them across processes
too, so that the service's query workers, its pages and the command line (`kringloop loops`,
then `kringloop gaps`) compute one census per store state, not one each.

A result is a pickle under ``<store>/kringloop-derived/<version>/``, named by a digest of
what it answers (its key) and of the code that computed it (``stamp``):

- ``<version>`` is `kringloop.graph.store.OxigraphStore.disk_version`: the state of the
  store's files. The same version means the same data, so a result found there is the answer
  for the store as this process sees it. A store with no version (in memory, remote, opened
  while it was being written) keeps nothing here.
- a writable store's result is kept only when no write went through it while it was computed
  (its ``generation`` did not move), so a result never mixes two states;
- files are written to a temporary name and renamed, so a reader never finds half a result;
  an unreadable file is a miss (and removed); a store whose folder cannot be written to is
  answered without keeping anything;
- the results of the newest `KEEP_VERSIONS` versions stay, older ones are removed when a new
  one is written.

The files are pickles, read only from the store's own folder: whoever can write there can
change the store's data anyway.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TypeVar

from kringloop.graph.store import Store

T = TypeVar("T")

#: The folder, inside the store's, that holds the kept results.
DIRECTORY = "kringloop-derived"
#: How many store versions keep their results.
KEEP_VERSIONS = 3

log = logging.getLogger(__name__)


#: The mode of a kept result, that of the store's own files (``mkstemp`` alone makes it
#: readable by its owner only: a reader running as another user would not find it).
_READABLE = 0o644


def code_stamp(*roots: Path) -> str:
    """A digest of the Python and SPARQL sources under ``roots``: a result computed by other
    code is not found.

    >>> len(code_stamp(Path(__file__).parent))
    16
    """
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".rq")):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _path(store: Store, name: str, key: Hashable, stamp: str) -> tuple[Path, Path] | None:
    """The results folder of ``store`` and the file for ``key`` at its current version, or
    None when the store has no version."""
    version = store.disk_version()
    if version is None:
        return None
    folder = Path(store.location) / DIRECTORY
    digest = hashlib.sha256(repr((key, stamp)).encode()).hexdigest()[:24]
    return folder, folder / version / f"{name}-{digest}.pickle"


def recall(store: Store, name: str, key: Hashable, stamp: str) -> object | None:
    """What was kept for ``key`` under ``name`` at the store's current version, or None.

    ``key`` is named by its ``repr``: it must be made of values whose ``repr`` is the same
    in every process (strings, numbers, dates, tuples), never sets or objects.
    """
    where = _path(store, name, key, stamp)
    if where is None:
        return None
    _, path = where
    try:
        with path.open("rb") as file:
            found: object = pickle.load(file)
        return found
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as err:  # unreadable here (permissions): answer without it
        log.info("the kept result %s cannot be opened: %s", path, err)
        return None
    except Exception as err:  # a damaged file is a miss: compute again and replace it
        log.warning("the kept result %s cannot be read (%s); computing it again", path, err)
        with contextlib.suppress(OSError):  # else the new result, if written, replaces it
            path.unlink(missing_ok=True)
        return None


def keep(store: Store, name: str, key: Hashable, stamp: str, value: object) -> bool:
    """Keep ``value`` for ``key`` under ``name`` at the store's current version; whether it
    was written (a store without a version or a folder that cannot be written keeps none)."""
    where = _path(store, name, key, stamp)
    if where is None:
        return False
    folder, target = where
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
        os.fchmod(handle, _READABLE)  # as readable as the store's own files, not owner-only
        try:
            with os.fdopen(handle, "wb") as file:
                pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _prune(folder)
    except OSError as err:
        log.info("the result %s is not kept: %s", target.name, err)
        return False
    return True


def _prune(folder: Path) -> None:
    """Remove the results of all but the newest `KEEP_VERSIONS` store versions."""
    versions = []
    for entry in os.scandir(folder):
        if entry.is_dir():
            try:
                versions.append((entry.stat().st_mtime_ns, entry.path))
            except FileNotFoundError:  # removed by another process meanwhile
                continue
    for _, path in sorted(versions, reverse=True)[KEEP_VERSIONS:]:
        shutil.rmtree(path, ignore_errors=True)


def once(store: Store, name: str, key: Hashable, stamp: str, compute: Callable[[], T]) -> T:
    """What was kept for ``key`` at the store's version, or ``compute()``, kept for the
    next process (unless a write went through ``store`` meanwhile)."""
    found = recall(store, name, key, stamp)
    if found is not None:
        return found  # type: ignore[return-value]
    generation = getattr(store, "generation", None)
    version = store.disk_version()
    value = compute()
    # No write went through the store meanwhile (none can come from elsewhere while it is
    # open), so the files changed at most by compaction: the value holds for their version now.
    if version is not None and getattr(store, "generation", None) == generation:
        keep(store, name, key, stamp, value)
    return value
