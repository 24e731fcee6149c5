"""Loading RDF files into the store, atomically.

A load first parses every file completely; only when all of them parse (and, when a validator
is given, conform) are their quads written, in one transaction. A file that fails changes
nothing, and the error names the file, line and column.

Files too large to hold in memory go through the engine's bulk loader, which cannot validate
shapes. A file whose triples go to a graph that does not exist yet is bulk-loaded at once, and
if any file of the load fails, the graphs the load created are dropped again (which takes time
in proportion to what was written). Any other file is first checked in a streaming pass, so a
broken one writes nothing. The bulk path is not transactional against I/O failures (disk
full), which the documentation says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kringloop.graph.errors import ConfigError, FormatError, LoadError, Position
from kringloop.graph.formats import format_for_path
from kringloop.graph.guards import check_rdf, check_xml
from kringloop.graph.store import OxigraphStore, ReportingReader, Store

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


def _parse(
    source: Source, progress: Progress | None, *, retarget: bool = True
) -> Iterator[ox.Quad]:
    """Stream the quads of ``source`` into their target graph, mapping syntax errors.

    Without ``retarget`` the quads keep the graph of the file (enough for a syntax check, and
    it saves building a second quad per triple: two thirds of the parsing time).
    """
    check_complete(source)
    with source.path.open("rb") as raw:
        try:
            parser = ox.parse(
                ReportingReader(raw, progress),  # type: ignore[arg-type]
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


def check_complete(source: Source) -> None:
    """Refuse an RDF/XML file that is not well-formed XML: the engine would read the part
    before the fault and say nothing (`kringloop.graph.guards.check_xml`)."""
    if source.format == ox.RdfFormat.RDF_XML:
        with source.path.open("rb") as raw:
            check_xml(raw, source=source.path)


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


#: What a fetched document may be, best first (the Accept header of `fetch_rdf`).
_ACCEPT = (
    "text/turtle, application/n-triples;q=0.9, application/rdf+xml;q=0.8, "
    "application/ld+json;q=0.7, application/trig;q=0.5, application/n-quads;q=0.5"
)


def fetch_rdf(
    url: str,
    *,
    graph: ox.NamedNode | ox.DefaultGraph,
    max_bytes: int,
    timeout_s: float,
) -> list[ox.Quad]:
    """The quads of the RDF document at ``url`` (for an allow-listed ``LOAD``), into ``graph``.

    Redirects are not followed (they could lead off the allow list); the body is read up to
    ``max_bytes``; the format comes from the Content-Type, else from the URL's extension.
    """
    import httpx

    chunks: list[bytes] = []
    try:
        with (
            httpx.Client(timeout=timeout_s, follow_redirects=False) as client,
            client.stream("GET", url, headers={"Accept": _ACCEPT}) as response,
        ):
            if response.status_code != 200:
                raise LoadError(f"the server answered {response.status_code}", source=url)
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise LoadError(f"the document is larger than {max_bytes} bytes", source=url)
                chunks.append(chunk)
            content_type = response.headers.get("content-type", "")
    except httpx.HTTPError as err:
        raise LoadError(f"cannot fetch the document: {err}", source=url) from err
    media = content_type.split(";")[0].strip().lower()
    fmt = ox.RdfFormat.from_media_type(media) if media else None
    if fmt is None:
        try:
            fmt = format_for_path(url.split("?")[0].split("#")[0])
        except FormatError as err:
            raise LoadError(
                f"cannot tell the RDF format of the document (Content-Type {media or 'none'})",
                source=url,
            ) from err
    return parse_bytes(b"".join(chunks), fmt, graph=graph, base_iri=url, source=url)


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
    # Files whose triples all go to a graph that does not exist yet are loaded straight away:
    # if one fails, dropping those new graphs restores the store exactly. Every other file
    # (into an existing graph, or a dataset file with graphs of its own) must first parse
    # completely, before anything is written.
    fresh = [_is_fresh(store, s) for s in sources]
    for index, source in enumerate(sources):
        if fresh[index]:
            check_complete(source)  # the others are checked by the parse below
    counts: dict[int, int] = {}
    for index, source in enumerate(sources):
        if not fresh[index]:
            counts[index] = sum(1 for _ in _parse(source, progress, retarget=False))
    created: set[ox.NamedNode] = set()
    try:
        for index, source in enumerate(sources):
            if fresh[index]:
                assert isinstance(source.graph, ox.NamedNode)
                before = store.count(source.graph) if source.graph in created else 0
                created.add(source.graph)
                _bulk_one(store, source, progress)
                counts[index] = store.count(source.graph) - before
        for index, source in enumerate(sources):
            if not fresh[index]:
                _bulk_one(store, source, None)
    except LoadError:
        for graph in created:
            if store.has_graph(graph):
                store.drop_graph(graph)
        raise
    return [Loaded(s.path, _graph_label(s.graph), counts[i]) for i, s in enumerate(sources)]


def _is_fresh(store: Store, source: Source) -> bool:
    """Whether all of ``source``'s triples go to one named graph that does not exist yet."""
    graph = source.graph
    return (
        isinstance(graph, ox.NamedNode)
        and not source.format.supports_datasets
        and not store.has_graph(graph)
    )


def _bulk_one(store: Store, source: Source, progress: Progress | None) -> None:
    """Bulk-load one file, mapping the engine's syntax errors to `LoadError`."""
    graph = None if isinstance(source.graph, ox.DefaultGraph) else source.graph
    try:
        if isinstance(store, OxigraphStore):
            store.bulk_load(source.path, source.format, graph=graph, progress=progress)
        else:
            store.bulk_load(source.path, source.format, graph=graph)
    except SyntaxError as err:
        raise LoadError(
            str(err.msg or err), source=source.path, position=Position(err.lineno, err.offset)
        ) from err
    except (OSError, ValueError) as err:
        raise LoadError(str(err), source=source.path) from err


def _graph_label(graph: ox.NamedNode | ox.DefaultGraph) -> str:
    return "(default graph)" if isinstance(graph, ox.DefaultGraph) else graph.value


def restore(
    store: Store,
    source: Source,
    *,
    replace: bool = False,
    allow_empty: bool = False,
    progress: Progress | None = None,
    bulk_threshold: int = BULK_THRESHOLD,
) -> int:
    """Restore a whole-dataset dump (N-Quads or TriG); returns the number of quads.

    The dump is parsed completely before the store is touched, so a broken dump changes
    nothing. A store that holds data is refused unless ``replace`` is true, and a dump without
    a single quad does not replace one unless ``allow_empty`` is true (an empty file is far
    more often a failed export than a wish to empty the store).
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
    if not quads and not allow_empty and not store.is_empty():
        raise LoadError(
            "the dump holds no quads; restoring it would empty the store",
            source=source.path,
            hint="check the dump; to empty the store on purpose, pass --allow-empty",
        )
    store.clear()
    store.add_quads(quads)
    return len(quads)
