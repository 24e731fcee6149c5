"""Loading RDF files into the store, atomically.

A load first parses every file completely; only when all of them parse (and, when a validator
is given, conform) are their quads written, in one transaction. A file that fails changes
nothing, and the error names the file, line and column.

Files too large to hold in memory are checked in a first streaming pass and then written with
the engine's bulk loader; that path cannot validate shapes and is not transactional against
I/O failures (disk full), which the documentation says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from kringloop.graph.errors import ConfigError, LoadError, Position
from kringloop.graph.formats import format_for_path
from kringloop.graph.guards import check_rdf
from kringloop.graph.store import Store

#: Called with the number of bytes read since the previous call.
Progress = Callable[[int], None]
#: Checks the parsed quads of one load; raises `ValidationFailure` when they do not conform.
Validator = Callable[[Sequence[ox.Quad]], None]

#: Above this many bytes in one load, files are bulk-loaded after a syntax check.
BULK_THRESHOLD = 48 * 1024 * 1024


@dataclass(frozen=True)
class Source:
    """One file to load and the graph its triples go to."""

    path: Path
    format: ox.RdfFormat
    graph: ox.NamedNode | ox.DefaultGraph

    @property
    def size(self) -> int:
        return self.path.stat().st_size


@dataclass(frozen=True)
class Loaded:
    """What one file added."""

    path: Path
    graph: str
    quads: int


def graph_for_path(path: Path) -> ox.NamedNode:
    """The graph a file's triples go to when no graph is named: the file's own IRI.

    >>> graph_for_path(Path("/data/market.ttl")).value
    'file:///data/market.ttl'
    """
    return ox.NamedNode(path.resolve().as_uri())


def plan(
    paths: Sequence[Path], *, graph: str | None = None, fmt: str | None = None
) -> list[Source]:
    """Sources for ``paths``: formats guessed from extensions unless ``fmt`` is given.

    Triples go to ``graph`` if given, else to a graph named after each file; the named graphs
    of N-Quads and TriG files are kept, and their default-graph quads go to ``graph`` (or stay
    in the default graph).
    """
    sources = []
    for path in paths:
        if not path.is_file():
            raise LoadError("no such file", source=path, hint="check the path")
        rdf_format = format_for_path(path, fmt)
        if graph is not None:
            target: ox.NamedNode | ox.DefaultGraph = _graph_iri(graph)
        elif rdf_format.supports_datasets:
            target = ox.DefaultGraph()
        else:
            target = graph_for_path(path)
        sources.append(Source(path=path, format=rdf_format, graph=target))
    return sources


def graph_iri(value: str) -> ox.NamedNode:
    """``value`` as a graph name, or a `ConfigError` saying it is not an absolute IRI."""
    return _graph_iri(value)


def _graph_iri(value: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(value)
    except ValueError as err:
        raise ConfigError(
            f"{value!r} is not an absolute IRI: {err}", hint="e.g. https://example.org/graph/x"
        ) from err


class _Counting:
    """A binary reader that reports how far it got."""

    def __init__(self, inner: IO[bytes], progress: Progress | None) -> None:
        self._inner = inner
        self._progress = progress

    def read(self, size: int = -1) -> bytes:
        chunk = self._inner.read(size)
        if self._progress is not None and chunk:
            self._progress(len(chunk))
        return chunk

    def readinto(self, buffer: bytearray | memoryview) -> int:
        n = self._inner.readinto(buffer)  # type: ignore[attr-defined]
        if self._progress is not None and n:
            self._progress(n)
        return int(n or 0)

    def readable(self) -> bool:
        return True


def _parse(
    source: Source, progress: Progress | None, *, retarget: bool = True
) -> Iterator[ox.Quad]:
    """Stream the quads of ``source`` into their target graph, mapping syntax errors.

    Without ``retarget`` the quads keep the graph of the file (enough for a syntax check, and
    it saves building a second quad per triple: two thirds of the parsing time).
    """
    with source.path.open("rb") as raw:
        try:
            parser = ox.parse(
                _Counting(raw, progress),  # type: ignore[arg-type]
                format=source.format,
                base_iri=source.path.resolve().as_uri(),
                rename_blank_nodes=True,
            )
            target = source.graph
            retarget = retarget and not isinstance(target, ox.DefaultGraph)
            for quad in parser:
                if retarget and isinstance(quad.graph_name, ox.DefaultGraph):
                    yield ox.Quad(quad.subject, quad.predicate, quad.object, target)
                else:
                    yield quad
        except SyntaxError as err:
            raise LoadError(
                str(err.msg or err),
                source=source.path,
                position=Position(err.lineno, err.offset),
            ) from err
        except (OSError, ValueError) as err:
            raise LoadError(str(err), source=source.path) from err


def parse_file(source: Source, progress: Progress | None = None) -> list[ox.Quad]:
    """All quads of one source, or a `LoadError` naming file, line and column."""
    return list(_parse(source, progress))


def parse_bytes(
    data: bytes,
    fmt: ox.RdfFormat,
    *,
    graph: ox.NamedNode | ox.DefaultGraph | None = None,
    base_iri: str | None = None,
    source: str = "request body",
) -> list[ox.Quad]:
    """The quads of an RDF document held in memory (e.g. an HTTP request body).

    Triples go to ``graph`` (default: the default graph); blank nodes are renamed so they
    never meet the store's. Errors are `LoadError` with line and column.

    >>> parse_bytes(b"<http://e.org/a> <http://e.org/p> .", ox.RdfFormat.N_TRIPLES)
    Traceback (most recent call last):
    ...
    kringloop.graph.errors.LoadError: request body: line 1, column 35: ...
    """
    check_rdf(data, fmt, source=source)  # nesting and entity bombs would crash or flood it
    target = graph or ox.DefaultGraph()
    try:
        quads = ox.parse(data, format=fmt, base_iri=base_iri, rename_blank_nodes=True)
        return [
            ox.Quad(q.subject, q.predicate, q.object, target)
            if isinstance(q.graph_name, ox.DefaultGraph)
            else q
            for q in quads
        ]
    except SyntaxError as err:
        position = Position(err.lineno, err.offset)
        raise LoadError(str(err.msg or err), source=source, position=position) from err
    except (OSError, ValueError) as err:
        raise LoadError(str(err), source=source) from err


def load(
    store: Store,
    sources: Sequence[Source],
    *,
    validator: Validator | None = None,
    progress: Progress | None = None,
    bulk_threshold: int = BULK_THRESHOLD,
) -> list[Loaded]:
    """Load ``sources`` into ``store``: all of them, or (on any error) none.

    >>> import tempfile
    >>> from kringloop.graph.store import OxigraphStore
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     good, bad = Path(tmp, "good.ttl"), Path(tmp, "bad.ttl")
    ...     _ = good.write_text("<http://e.org/a> <http://e.org/p> 1 .")
    ...     _ = bad.write_text(chr(10).join(["<http://e.org/a>", "<http://e.org/p> ."]))
    ...     store = OxigraphStore.memory()
    ...     try:
    ...         load(store, plan([good, bad]))
    ...     except LoadError as err:
    ...         print(err.position.line, store.is_empty())
    2 True
    """
    total = sum(s.size for s in sources)
    if total > bulk_threshold:
        return _bulk(store, sources, validator=validator, progress=progress)
    batches = [(source, parse_file(source, progress)) for source in sources]
    if validator is not None:
        validator([q for _, quads in batches for q in quads])
    store.add_quads(q for _, quads in batches for q in quads)
    return [Loaded(s.path, _graph_label(s.graph), len(q)) for s, q in batches]


def _bulk(
    store: Store,
    sources: Sequence[Source],
    *,
    validator: Validator | None,
    progress: Progress | None,
) -> list[Loaded]:
    if validator is not None:
        size = sum(s.size for s in sources) // (1024 * 1024)
        raise ConfigError(
            f"{size} MB is too much to validate against the shapes in one load",
            hint="load large generated files with --no-validate, or split them",
        )
    counts = []
    for source in sources:  # pass 1: every file must parse before anything is written
        counts.append(sum(1 for _ in _parse(source, progress, retarget=False)))
    for source in sources:
        graph = None if isinstance(source.graph, ox.DefaultGraph) else source.graph
        store.bulk_load(source.path, source.format, graph=graph)
    return [Loaded(s.path, _graph_label(s.graph), n) for s, n in zip(sources, counts, strict=True)]


def _graph_label(graph: ox.NamedNode | ox.DefaultGraph) -> str:
    return "(default graph)" if isinstance(graph, ox.DefaultGraph) else graph.value


def restore(
    store: Store,
    source: Source,
    *,
    replace: bool = False,
    progress: Progress | None = None,
    bulk_threshold: int = BULK_THRESHOLD,
) -> int:
    """Restore a whole-dataset dump (N-Quads or TriG); returns the number of quads.

    The dump is parsed completely before the store is touched, so a broken dump changes
    nothing. A store that holds data is refused unless ``replace`` is true.
    """
    if not source.format.supports_datasets:
        raise ConfigError(
            f"{source.path}: a dump is N-Quads or TriG, not {source.format.name}",
            hint="use `kringloop load` for single-graph files",
        )
    if not replace and not store.is_empty():
        raise ConfigError(
            f"the store at {store.location} already holds data",
            hint="restore into an empty store, or pass --replace",
        )
    if source.size > bulk_threshold:
        count = sum(1 for _ in _parse(source, progress))
        store.clear()
        store.bulk_load(source.path, source.format)
        return count
    quads = parse_file(source, progress)
    store.clear()
    store.add_quads(quads)
    return len(quads)
