"""What matchmaking reads from the store per product type, kept while the store cannot change.

Matchmaking reads the same things for every request about a product type: its supply offers
and processing offers with their coordinates and details, its flows and producers, the claims
of its offers, the product vocabulary. Only the buyer's place, radius, models and date differ,
and those filters run in Python over the records (`kringloop.queries.loop`). Reading the rows once
and keeping them makes a request cost Python work only: at 1M triples on disk the stage queries
of one request took 0.6-2 s (every lookup is a RocksDB read), the Python work a few ms.

Rows are kept only while the store provably cannot change under them:

- an `OxigraphStore` opened **read-only** never sees a write made after it was opened (a
  read-only RocksDB instance reads the files as they were; the service's query workers reopen
  the store, as a new object, after every write), so its rows stay valid for the object's life;
- a writable `OxigraphStore` keeps rows for one ``generation``: the counter every write
  through the object bumps (no other process can write to a store it holds open);
- any other store (remote SPARQL servers, which other clients may write to) is read afresh
  every time.

The cache is keyed by the store object (weakly: a closed and dropped store takes its rows with
it), so a reopened store starts empty.
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from kringloop.graph import derived
from kringloop.graph.store import OxigraphStore, Row, Store, text

T = TypeVar("T")
#: Entries (a product type's rows, an offer's claims) kept per store; least recently used go.
MAX_ENTRIES = 100_000


def version(store: Store) -> Hashable | None:
    """What the kept rows of ``store`` are valid for, or None when they cannot be kept.

    >>> version(OxigraphStore.memory())
    ('generation', 0)
    """
    if isinstance(store, OxigraphStore) and store.read_only:
        return "read-only"
    generation = getattr(store, "generation", None)
    if isinstance(generation, int) and not isinstance(generation, bool):
        return ("generation", generation)
    return None


class _Kept:
    """The rows kept for one store at one version."""

    def __init__(self, valid_for: Hashable) -> None:
        self.valid_for = valid_for
        self.lock = threading.Lock()
        self.entries: OrderedDict[Hashable, object] = OrderedDict()

    def get(self, key: Hashable) -> object | None:
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
            return None

    def put(self, key: Hashable, value: object) -> None:
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > MAX_ENTRIES:
                self.entries.popitem(last=False)


_KEPT: weakref.WeakKeyDictionary[Store, _Kept] = weakref.WeakKeyDictionary()
_KEPT_LOCK = threading.Lock()


def _kept(store: Store) -> _Kept | None:
    valid_for = version(store)
    if valid_for is None:
        return None
    with _KEPT_LOCK:
        kept = _KEPT.get(store)
        if kept is None or kept.valid_for != valid_for:
            kept = _KEPT[store] = _Kept(valid_for)
        return kept


def forget(store: Store) -> None:
    """Drop whatever is kept for ``store``."""
    with _KEPT_LOCK:
        _KEPT.pop(store, None)


@functools.cache
def code() -> str:
    """What the query code is (`kringloop.graph.derived.code_stamp` of this folder): what it
    computed is found on disk only by the same code."""
    return derived.code_stamp(Path(__file__).parent)


def shared(store: Store, name: str, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` once per store version for every process: kept in this one (`once`)
    and on disk beside the store (`kringloop.graph.derived`), where another process opening
    the store in the same state finds it. ``key`` must have the same ``repr`` everywhere."""
    found = once(store, (name, key), lambda: derived.once(store, name, key, code(), compute))
    return found  # type: ignore[return-value]


def once(store: Store, key: Hashable, read: Callable[[], object]) -> object:
    """``read()``, or what it returned before for ``key`` while the store has not changed."""
    kept = _kept(store)
    if kept is None:
        return read()
    found = kept.get(key)
    if found is None:
        found = read()
        kept.put(key, found)
    return found


def per_key(
    store: Store,
    name: str,
    keys: Sequence[str],
    read: Callable[[list[str]], Mapping[str, Sequence[T]]],
) -> list[T]:
    """What ``name`` holds for each of ``keys``, in the order of ``keys``: what was kept for
    the keys seen before, one ``read(missing keys)`` for the rest (a key it leaves out has
    nothing)."""
    kept = _kept(store)
    wanted = list(dict.fromkeys(keys))
    found: dict[str, Sequence[T]] = {}
    if kept is not None:
        for key in wanted:
            items = kept.get((name, key))
            if items is not None:
                found[key] = items  # type: ignore[assignment]
    missing = [key for key in wanted if key not in found]
    if missing:
        fresh = read(missing)
        for key in missing:
            found[key] = items = tuple(fresh.get(key, ()))
            if kept is not None:
                kept.put((name, key), items)
    return [item for key in wanted for item in found[key]]


def rows_by(
    store: Store,
    name: str,
    column: str,
    keys: Sequence[str],
    read: Callable[[list[str]], Iterable[Row]],
) -> list[Row]:
    """The rows of stage ``name`` for each of ``keys`` (IRIs) in ``column``, in the order of
    ``keys``: kept rows for the keys seen before, one ``read(missing keys)`` for the rest."""
    return per_key(store, name, keys, lambda missing: split(read(missing), column))


def split(rows: Iterable[Row], column: str) -> dict[str, list[Row]]:
    """``rows`` by the value of ``column``, each key's rows in their order."""
    found: dict[str, list[Row]] = {}
    for row in rows:
        found.setdefault(text(row[column]), []).append(row)
    return found
