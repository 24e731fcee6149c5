"""The store interface every other part of kringloop talks to, and its Oxigraph backends.

`Store` is the contract: SPARQL query and update with values bound as RDF terms, named
graphs, transactional and bulk inserts, dumps. `OxigraphStore` implements it on pyoxigraph,
either on disk (the default) or in memory (tests). A remote SPARQL 1.1 backend implements the
same methods over HTTP; callers never see which one they hold.
"""

from __future__ import annotations

import hashlib
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TypeAlias

import pyoxigraph as ox

from kringloop.graph.binding import Binding, Term, bind_values
from kringloop.graph.errors import (
    ConfigError,
    Position,
    QueryError,
    QuerySyntaxError,
    StoreInUse,
)

GraphName: TypeAlias = ox.NamedNode | ox.BlankNode | ox.DefaultGraph
#: Graph results (CONSTRUCT/DESCRIBE) are pyoxigraph's QueryTriples from the embedded store and a
#: list of triples from a remote one (QueryTriples cannot be built from Python).
QueryResult: TypeAlias = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | list[ox.Triple]
Row: TypeAlias = dict[str, Term]

_POSITION = re.compile(r"(?:error at |line )(\d+)[:, column]+(\d+)")


def text(term: Term) -> str:
    """The lexical value of a term (IRI, literal text or blank node id).

    >>> text(ox.Literal("42", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")))
    '42'
    """
    return str(term) if isinstance(term, ox.Triple) else term.value


def truth(term: Term) -> bool:
    """Whether a term is true: ``true`` or ``1`` (Virtuoso answers ``BIND(true AS ?x)`` with 1).

    >>> truth(ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")))
    True
    >>> truth(ox.Literal("0", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")))
    False
    """
    return text(term) in ("true", "1")


def _quad_text(quad: ox.Quad) -> str:
    """A quad in SPARQL data syntax; terms are serialised (escaped) by pyoxigraph."""
    triple = f"{quad.subject} {quad.predicate} {quad.object} ."
    if isinstance(quad.graph_name, ox.DefaultGraph):
        return triple
    return f"GRAPH {quad.graph_name} {{ {triple} }}"


def syntax_position(message: str) -> Position:
    """The line and column a pyoxigraph syntax message points at.

    >>> syntax_position("error at 1:25: expected one of LATERAL, SERVICE, [_]")
    Position(line=1, column=25)
    """
    found = _POSITION.search(message)
    return Position(int(found.group(1)), int(found.group(2))) if found else Position()


class ReportingReader:
    """A binary reader that reports how many bytes it read (for progress bars)."""

    def __init__(self, inner: IO[bytes], progress: Callable[[int], None] | None) -> None:
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


class Store(ABC):
    """A quad store that answers SPARQL 1.1."""

    #: short name of the backend, shown by ``kringloop stats`` and ``/healthz``.
    kind: str = "abstract"
    #: where the data lives (a directory, a URL, or "memory").
    location: str = ""
    read_only: bool = False

    @abstractmethod
    def query(
        self,
        sparql: str,
        *,
        bindings: Mapping[str, Binding] | None = None,
        default_graphs: Sequence[GraphName] | None = None,
        named_graphs: Sequence[ox.NamedNode | ox.BlankNode] | None = None,
        union_default_graph: bool = False,
        base_iri: str | None = None,
    ) -> QueryResult:
        """Run a SPARQL query; ``bindings`` fix variables to RDF terms (never pasted as text);
        relative IRIs resolve against ``base_iri`` (the request's URL, over HTTP)."""

    @abstractmethod
    def update(
        self,
        sparql: str,
        *,
        bindings: Mapping[str, Term] | None = None,
        base_iri: str | None = None,
    ) -> None:
        """Run a SPARQL update as one transaction (relative IRIs against ``base_iri``)."""

    @abstractmethod
    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        """Insert quads in one transaction: all of them or none."""

    @abstractmethod
    def bulk_load(self, path: Path, fmt: ox.RdfFormat, *, graph: GraphName | None = None) -> None:
        """Insert a large, already checked file quickly (not transactional)."""

    @abstractmethod
    def quads(self, graph: GraphName | None = None) -> Iterator[ox.Quad]:
        """All quads, or those of one graph."""

    @abstractmethod
    def graphs(self) -> list[ox.NamedNode | ox.BlankNode]:
        """The names of the named graphs that hold data or were created."""

    @abstractmethod
    def has_graph(self, graph: ox.NamedNode | ox.BlankNode) -> bool:
        """Whether the named graph exists."""

    @abstractmethod
    def replace_graph(self, graph: GraphName, quads: Iterable[ox.Quad]) -> None:
        """Replace the content of one graph in one transaction."""

    @abstractmethod
    def drop_graph(self, graph: GraphName) -> None:
        """Remove a named graph (or clear the default graph)."""

    @abstractmethod
    def dump(
        self, output: IO[bytes] | Path, fmt: ox.RdfFormat, *, graph: GraphName | None = None
    ) -> None:
        """Serialise the whole dataset (quad formats) or one graph (any format)."""

    @abstractmethod
    def clear(self) -> None:
        """Remove everything."""

    def close(self) -> None:  # noqa: B027 - backends without resources need nothing here
        """Release the store (flush on-disk data)."""

    # Derived operations: written once on top of the primitives above.

    def select(self, sparql: str, **kwargs: object) -> list[Row]:
        """Rows of a SELECT query as ``{variable: term}`` dicts (unbound variables left out)."""
        result = self.query(sparql, **kwargs)  # type: ignore[arg-type]
        if not isinstance(result, ox.QuerySolutions):
            raise QueryError("expected a SELECT query", hint="use query() for ASK/CONSTRUCT")
        names = [v.value for v in result.variables]
        rows: list[Row] = []
        for solution in result:
            row: Row = {}
            for name in names:
                value = solution[name]
                if value is not None:
                    row[name] = value
            rows.append(row)
        return rows

    def change(self, *, remove: Iterable[ox.Quad] = (), add: Iterable[ox.Quad] = ()) -> None:
        """Remove and add quads in one transaction (one SPARQL update built from terms).

        Blank nodes cannot be removed this way (DELETE DATA forbids them).
        """
        parts = []
        for keyword, quads in (("DELETE", remove), ("INSERT", add)):
            body = " ".join(_quad_text(q) for q in quads)
            if body:
                parts.append(f"{keyword} DATA {{ {body} }}")
        if parts:
            self.update(" ;\n".join(parts))

    def count(self, graph: GraphName | None = None) -> int:
        """Number of quads in the dataset, or triples in one graph."""
        if graph is None:
            sparql = (
                "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
            )
            rows = self.select(sparql)
        elif isinstance(graph, ox.DefaultGraph):
            rows = self.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        else:
            rows = self.select(
                "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", bindings={"g": graph}
            )
        return int(text(rows[0]["n"]))

    def is_empty(self) -> bool:
        """Whether the dataset holds no quad at all."""
        result = self.query("ASK { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }")
        return not bool(result)

    def disk_version(self) -> str | None:
        """A name for what the store holds that every process opening it finds, or None
        when there is none (a remote store: other clients may write to it unseen)."""
        return None


def files_version(path: Path) -> str | None:
    """A name for the state of the on-disk store at ``path``: a digest of the name, size and
    modification time of each of its files, its logs and lock left out; None while the files
    change under the scan (a file listed is gone: the writer compacts or flushes).

    Every write the engine commits appends to its write-ahead log or adds a table file and
    changes the manifest, so the digest changes with every write; reading changes no file.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     store = OxigraphStore.open(Path(folder))
    ...     before = files_version(Path(folder))
    ...     store.update("INSERT DATA { <http://e.org/a> <http://e.org/p> 1 }")
    ...     before == files_version(Path(folder))
    False
    """
    digest = hashlib.sha256()
    with os.scandir(path) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.startswith("LOG") or entry.name == "LOCK" or not entry.is_file():
                continue
            try:
                info = entry.stat()
            except FileNotFoundError:  # replaced by the writer meanwhile: no state to name
                return None
            digest.update(f"{entry.name}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:32]


class OxigraphStore(Store):
    """The embedded store: pyoxigraph on disk (RocksDB) or in memory.

    >>> store = OxigraphStore.memory()
    >>> store.update("PREFIX e: <http://e.org/> INSERT DATA { GRAPH e:g { e:a a e:C } }")
    >>> [row["o"].value for row in store.select("SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }")]
    ['http://e.org/C']
    >>> store.count(ox.NamedNode("http://e.org/g"))
    1
    """

    kind = "oxigraph"

    def __init__(self, inner: ox.Store, *, location: str, read_only: bool = False) -> None:
        self._store = inner
        self.location = location
        self.read_only = read_only
        #: Goes up by one with every write through this object (also a failed one, which may
        #: have written part of a bulk load): what was read before is stale once it changed.
        #: Readers that keep derived data (`kringloop.queries.match_cache`) key it by this.
        #: Another process cannot write to an open on-disk store, so it sees every change.
        self.generation = 0
        #: The files' version when a read-only store was opened (see `disk_version`).
        self.opened_version: str | None = None

    @classmethod
    def memory(cls) -> OxigraphStore:
        """A fresh store that lives in memory only."""
        return cls(ox.Store(), location="memory")

    @classmethod
    def open(cls, path: Path, *, read_only: bool = False, create: bool = True) -> OxigraphStore:
        """Open (and create, unless ``create`` is false) the on-disk store at ``path``."""
        path = path.expanduser()
        if (read_only or not create) and not (path / "CURRENT").exists():
            raise ConfigError(
                f"no kringloop store at {path}",
                hint="run `kringloop init` first, or set KRINGLOOP_STORE_PATH",
            )
        try:
            if read_only:
                before = files_version(path)
                inner = ox.Store.read_only(str(path))
                after = files_version(path)
            else:
                path.mkdir(parents=True, exist_ok=True)
                inner = ox.Store(str(path))
        except OSError as err:
            if "lock" in str(err).lower():
                raise StoreInUse(
                    f"the store at {path} is open for writing in another process",
                    hint="stop that process (e.g. `kringloop serve`) or use a read-only command",
                ) from err
            raise ConfigError(f"cannot open the store at {path}: {err}") from err
        store = cls(inner, location=str(path), read_only=read_only)
        if read_only and before is not None and before == after:  # else: changed meanwhile
            store.opened_version = before
        return store

    def disk_version(self) -> str | None:
        """What this store holds, as a name that another process opening the same files in
        the same state finds too (`files_version`), or None when it cannot be named: a store
        in memory, or a read-only one opened while the files changed.

        A read-only store sees the files as they were when it was opened, so its version is
        the one of that moment; a writable one sees every write, so its version is the
        files' now. A new name does not always mean new data (opening for writing or a
        compaction rewrites files), only that the same name means the same data.
        """
        if self.location == "memory":
            return None
        if self.read_only:
            return self.opened_version
        return files_version(Path(self.location))

    @property
    def raw(self) -> ox.Store:
        """The pyoxigraph store, for code that needs an engine feature not in `Store`."""
        return self._store

    def query(
        self,
        sparql: str,
        *,
        bindings: Mapping[str, Binding] | None = None,
        default_graphs: Sequence[GraphName] | None = None,
        named_graphs: Sequence[ox.NamedNode | ox.BlankNode] | None = None,
        union_default_graph: bool = False,
        base_iri: str | None = None,
    ) -> QueryResult:
        try:
            return self._store.query(
                bind_values(sparql, bindings) if bindings else sparql,
                default_graph=list(default_graphs) if default_graphs is not None else None,
                named_graphs=list(named_graphs) if named_graphs is not None else None,
                use_default_graph_as_union=union_default_graph,
                base_iri=base_iri,
            )
        except SyntaxError as err:
            raise QuerySyntaxError(str(err), position=syntax_position(str(err))) from err
        except (OSError, RuntimeError) as err:
            raise QueryError(f"query failed: {err}") from err

    def update(
        self,
        sparql: str,
        *,
        bindings: Mapping[str, Term] | None = None,
        base_iri: str | None = None,
    ) -> None:
        self._check_writable()
        try:
            if bindings:
                raise QueryError("updates do not take bindings here", hint="use a VALUES block")
            try:
                self._store.update(sparql, base_iri=base_iri)
            except SyntaxError as err:
                raise QuerySyntaxError(str(err), position=syntax_position(str(err))) from err
            except (OSError, RuntimeError) as err:
                raise QueryError(f"update failed, nothing was changed: {err}") from err
        finally:
            self.generation += 1

    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        self._check_writable()
        try:
            self._store.extend(quads)
        finally:
            self.generation += 1

    def bulk_load(
        self,
        path: Path,
        fmt: ox.RdfFormat,
        *,
        graph: GraphName | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Insert a large file with the engine's bulk loader (not transactional); ``progress``
        is called with the number of bytes read as the loader reads them."""
        self._check_writable()
        try:
            # the same base IRI the load's syntax check resolved relative IRIs against
            base = path.resolve().as_uri()
            if progress is None:
                self._store.bulk_load(path=str(path), format=fmt, base_iri=base, to_graph=graph)
                return
            with path.open("rb") as raw:
                reader = ReportingReader(raw, progress)
                self._store.bulk_load(reader, format=fmt, base_iri=base, to_graph=graph)  # type: ignore[arg-type]
        finally:
            self.generation += 1

    def quads(self, graph: GraphName | None = None) -> Iterator[ox.Quad]:
        return iter(self._store.quads_for_pattern(None, None, None, graph))

    def graphs(self) -> list[ox.NamedNode | ox.BlankNode]:
        return sorted(self._store.named_graphs(), key=str)

    def has_graph(self, graph: ox.NamedNode | ox.BlankNode) -> bool:
        return bool(self._store.contains_named_graph(graph))

    def replace_graph(self, graph: GraphName, quads: Iterable[ox.Quad]) -> None:
        self._check_writable()
        try:
            # One SPARQL update is one transaction: clear and insert commit together.
            batch = [ox.Quad(q.subject, q.predicate, q.object, graph) for q in quads]
            target = "DEFAULT" if isinstance(graph, ox.DefaultGraph) else f"GRAPH {graph}"
            body = "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in batch)
            if isinstance(graph, ox.DefaultGraph):
                self._store.update(f"CLEAR SILENT DEFAULT ; INSERT DATA {{ {body} }}")
            else:
                self._store.update(
                    f"CLEAR SILENT {target} ; INSERT DATA {{ GRAPH {graph} {{ {body} }} }}"
                )
                if not batch:
                    self._store.add_graph(graph)
        finally:
            self.generation += 1

    def drop_graph(self, graph: GraphName) -> None:
        self._check_writable()
        try:
            self._store.remove_graph(graph)
        finally:
            self.generation += 1

    def dump(
        self, output: IO[bytes] | Path, fmt: ox.RdfFormat, *, graph: GraphName | None = None
    ) -> None:
        target: IO[bytes] | str = str(output) if isinstance(output, Path) else output
        if graph is None and not fmt.supports_datasets:
            raise ConfigError(
                f"{fmt.name} holds one graph, not a whole dataset",
                hint="dump the dataset as N-Quads or TriG, or choose one graph with --graph",
            )
        if graph is None:
            self._store.dump(target, format=fmt)
        else:
            self._store.dump(target, format=fmt, from_graph=graph)

    def clear(self) -> None:
        self._check_writable()
        try:
            self._store.clear()
        finally:
            self.generation += 1

    def optimize(self) -> None:
        """Compact the on-disk files after a large load."""
        if not self.read_only:
            self._store.optimize()

    def close(self) -> None:
        """Flush and let go of the engine, so that its lock on the directory is released."""
        if self.location == "memory":
            return
        if not self.read_only:
            self._store.flush()
        del self._store

    def _check_writable(self) -> None:
        if self.read_only:
            raise ConfigError(
                f"the store at {self.location} is open read-only",
                hint="stop the process that holds it for writing, or run the write there",
            )
