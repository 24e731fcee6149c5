"""`SparqlStore`: the `Store` interface over any SPARQL 1.1 server (Oxigraph server, Virtuoso, ...).

Queries and updates go to the server's SPARQL 1.1 Protocol endpoints, always as form-encoded
``POST`` (no URL length limit; Virtuoso hangs on ``application/sparql-query`` bodies). SELECT and
ASK results are asked for as SPARQL JSON and parsed by pyoxigraph, so callers get the same
``QuerySolutions``/``QueryBoolean`` objects as from the embedded store; CONSTRUCT and DESCRIBE
results are a list of ``ox.Triple`` (pyoxigraph's ``QueryTriples`` cannot be built in Python).
Data goes in through the Graph Store Protocol: N-Triples chunks ``POST``-ed per graph.

What a remote store does *not* promise (unlike the embedded one): a write that needs more than
one request (a load in several batches, a large ``add_quads``) is not atomic. When batch *n*
fails, batches ``1..n-1`` are in the store; `BatchFailed` says which, and the load can be
resumed from batch *n* or rolled back by dropping its target graphs. One request is atomic on
Oxigraph server; on Virtuoso even one update may be applied in part.

Dialects handle what servers do differently (all measured on Virtuoso 7.2.5 and Oxigraph 0.5):

- ``oxigraph``: the union default graph is the ``union-default-graph`` parameter; datasets
  (N-Quads) are posted in one request, so `add_quads` is atomic.
- ``virtuoso``: no SPARQL "real" default graph, so kringloop's default graph is the named graph
  `VIRTUOSO_DEFAULT_GRAPH` and the union is Virtuoso's own default (all graphs); its system
  graphs are left out of `graphs`, `count` and `is_empty`; results are repaired (ASK answered
  as a one-row table, booleans as ``1``/``0``, blank nodes as ``nodeID://...``); a result
  with exactly the server's row cap (``ResultSetMaxRows``) is refused as possibly truncated.
- ``generic``: the standard protocol only; the union default graph is asked for by listing
  every named graph as a ``default-graph-uri``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox

from kringloop.graph import sparql_text
from kringloop.graph.binding import Binding, Term, bind_values
from kringloop.graph.errors import (
    ConfigError,
    LimitExceeded,
    LoadError,
    QueryError,
    QuerySyntaxError,
    QueryTimeout,
)
from kringloop.graph.load import Source, _parse
from kringloop.graph.store import GraphName, QueryResult, Row, Store, syntax_position, text
from kringloop.graph.virtuoso_dump import read_graph

Dialect = Literal["generic", "oxigraph", "virtuoso"]
AuthKind = Literal["none", "basic", "digest", "bearer"]
DIALECTS: tuple[Dialect, ...] = ("generic", "oxigraph", "virtuoso")

#: Virtuoso has no separate default graph: kringloop's default graph lives in this named graph.
VIRTUOSO_DEFAULT_GRAPH = "urn:x-kringloop:default-graph"
#: A graph that never exists: the dataset of a query when the store has no named graph.
VIRTUOSO_NO_GRAPH = "urn:x-kringloop:no-graph"
#: Graphs a fresh Virtuoso holds for itself (prefixes); never counted, listed or dumped.
VIRTUOSO_SYSTEM_GRAPHS = (
    "http://www.openlinksw.com/",
    "http://www.w3.org/ns/ldp#",
    "http://localuriqaserver/",
    "http://www.w3.org/2002/07/owl#",
)
#: Virtuoso's default ``ResultSetMaxRows``.
VIRTUOSO_MAX_ROWS = 10_000
#: Virtuoso rejects INSERT DATA / DELETE DATA with more than about 1,200 triples.
VIRTUOSO_DATA_TRIPLES = 1_000

SPARQL_JSON = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
_XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_BNODE_JUNK = re.compile(r"[^A-Za-z0-9_]")
_DROP_OR_CLEAR = re.compile(r"\b(DROP|CLEAR)(\s+)(?!SILENT\b)(GRAPH|DEFAULT)\b", re.IGNORECASE)


@dataclass(frozen=True)
class SparqlConfig:
    """Where a SPARQL server is and how to talk to it.

    >>> SparqlConfig.for_server("http://127.0.0.1:7878", "oxigraph").gsp_url
    'http://127.0.0.1:7878/store'
    """

    query_url: str
    update_url: str | None = None
    gsp_url: str | None = None
    dialect: Dialect = "generic"
    auth: AuthKind = "none"
    user: str | None = None
    password: str | None = None
    token: str | None = None
    timeout_s: float = 60.0
    retries: int = 3
    #: the server's cap on result rows (a result of exactly this size is refused)
    max_rows: int | None = None
    #: triples per Graph Store Protocol POST when loading
    batch_triples: int = 10_000

    @classmethod
    def for_server(cls, base: str, dialect: Dialect, **options: Any) -> SparqlConfig:
        """The usual endpoint layout of a server kind at ``base`` (``http://host:port``)."""
        base = base.rstrip("/")
        if dialect == "oxigraph":
            urls = (f"{base}/query", f"{base}/update", f"{base}/store")
        elif dialect == "virtuoso":
            auth = options.get("auth", "none") != "none"
            crud = "sparql-graph-crud-auth" if auth else "sparql-graph-crud"
            sparql = f"{base}/sparql-auth" if auth else f"{base}/sparql"
            urls = (sparql, sparql, f"{base}/{crud}")
        else:
            urls = (f"{base}/sparql", f"{base}/sparql", f"{base}/data")
        return cls(*urls, dialect=dialect, **options)

    @property
    def row_cap(self) -> int | None:
        if self.max_rows is not None:
            return self.max_rows
        return VIRTUOSO_MAX_ROWS if self.dialect == "virtuoso" else None


class BatchFailed(LoadError):
    """Batch ``batch`` of a load failed; batches before it are in the store."""

    def __init__(self, batch: int, reason: str, *, graphs: Sequence[str], source: str) -> None:
        self.batch = batch
        self.graphs = list(graphs)
        done = f"batches 1-{batch - 1} are in the store" if batch > 1 else "nothing was written"
        drops = " ".join(f"`kringloop drop {g}`" for g in graphs) or "dropping its graphs"
        super().__init__(
            f"batch {batch} failed: {reason}; {done}",
            source=source,
            hint=f"resume with `--resume-from {batch}`, or roll back with {drops}",
        )


class _Http:
    """An HTTP client with authentication, timeouts and retries on connection errors."""

    def __init__(self, config: SparqlConfig, client: httpx.Client | None = None) -> None:
        self.config = config
        auth: httpx.Auth | None = None
        headers: dict[str, str] = {}
        if config.auth == "basic":
            auth = httpx.BasicAuth(config.user or "", config.password or "")
        elif config.auth == "digest":
            auth = httpx.DigestAuth(config.user or "", config.password or "")
        elif config.auth == "bearer":
            if not config.token:
                raise ConfigError("bearer authentication needs a token", hint="set ..._TOKEN")
            headers["Authorization"] = f"Bearer {config.token}"
        timeout = httpx.Timeout(config.timeout_s, connect=min(10.0, config.timeout_s))
        self.client = client or httpx.Client(timeout=timeout)
        self.client.headers.update(headers)
        if auth is not None:
            self.client.auth = auth

    def send(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool,
        missing_ok: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one request; retry when the server could not be reached (never on 4xx)."""
        form = kwargs.pop("data", None)
        if form is not None:  # repeated keys (default-graph-uri), so encoded here
            kwargs["content"] = urlencode(form).encode()
            kwargs["headers"] = {
                **kwargs.get("headers", {}),
                "Content-Type": "application/x-www-form-urlencoded",
            }
        attempts = max(1, self.config.retries + 1)
        for attempt in range(1, attempts + 1):
            try:
                response = self.client.request(method, url, **kwargs)
            except httpx.TimeoutException as err:
                if isinstance(err, httpx.ConnectTimeout) and attempt < attempts:
                    time.sleep(0.2 * 2**attempt)
                    continue
                raise QueryTimeout(
                    f"the SPARQL server at {url} did not answer within {self.config.timeout_s:g} s",
                    hint="make the request smaller, or raise KRINGLOOP_SPARQL_TIMEOUT_S",
                ) from err
            except httpx.TransportError as err:
                retry = isinstance(err, httpx.ConnectError) or idempotent
                if retry and attempt < attempts:
                    time.sleep(0.2 * 2**attempt)
                    continue
                raise ConfigError(
                    f"cannot reach the SPARQL server at {url}: {err}",
                    hint="check that it runs and KRINGLOOP_SPARQL_*_URL",
                ) from err
            if response.status_code in (502, 503, 504) and idempotent and attempt < attempts:
                time.sleep(0.2 * 2**attempt)
                continue
            if response.status_code == 404 and missing_ok:
                return response
            if response.status_code >= 400:
                raise _error(response, url)
            return response
        raise AssertionError("unreachable")  # pragma: no cover


def _error(response: httpx.Response, url: str) -> Exception:
    message = response.text.strip()
    message = re.sub(r"<[^>]+>", " ", message) if message.startswith("<") else message
    message = " ".join(message.split())[:600] or response.reason_phrase
    status = response.status_code
    if status in (401, 403):
        return ConfigError(
            f"the SPARQL server at {url} refused the credentials ({status}): {message}",
            hint="check KRINGLOOP_SPARQL_AUTH, _USER, _PASSWORD or _TOKEN",
        )
    if status == 404 and "does not exist" not in message:
        return ConfigError(f"no SPARQL endpoint at {url} (404)", hint="check the URL settings")
    if status == 400 and re.search(r"syntax|SP030|error at \d+:\d+|expected", message, re.I):
        return QuerySyntaxError(f"the SPARQL server: {message}", position=syntax_position(message))
    return QueryError(f"the SPARQL server answered {status}: {message}")


def _iri(term: ox.NamedNode | ox.BlankNode) -> str:
    if not isinstance(term, ox.NamedNode):
        raise ConfigError("a remote store names graphs with IRIs, not blank nodes")
    return term.value


def _fix_term(term: dict[str, Any]) -> None:
    """Repair one Virtuoso JSON term: blank node ids, booleans written as 1/0."""
    kind = term.get("type")
    if kind == "bnode":
        value = str(term["value"]).removeprefix("nodeID://")
        term["value"] = _BNODE_JUNK.sub("_", value) or "b"
    elif kind in ("literal", "typed-literal") and term.get("datatype") == _XSD_BOOLEAN:
        term["value"] = {"1": "true", "0": "false"}.get(term["value"], term["value"])
    elif kind == "triple":
        for part in term["value"].values():
            _fix_term(part)


def fix_virtuoso_json(body: bytes, *, ask: bool) -> bytes:
    """Virtuoso's SPARQL JSON made standard: ASK as a boolean, repaired terms.

    >>> body = b'{"head":{"vars":["__ASK_RETVAL"]},"results":{"bindings":[{"__ASK_RETVAL":'
    >>> body += b'{"type":"typed-literal","value":"1"}}]}}'
    >>> fix_virtuoso_json(body, ask=True)
    b'{"head": {}, "boolean": true}'
    """
    doc = json.loads(body)
    rows = doc.get("results", {}).get("bindings", [])
    if ask and "boolean" not in doc:
        answer = any(v.get("value") not in ("0", "false") for row in rows for v in row.values())
        return json.dumps({"head": {}, "boolean": answer}).encode()
    for row in rows:
        for term in row.values():
            _fix_term(term)
    return json.dumps(doc).encode()


Batch = tuple[GraphName, list[ox.Quad]]


def batches(quads: Iterable[ox.Quad], size: int) -> Iterator[Batch]:
    """Quads in batches of at most ``size``, one graph per batch, in input order.

    Quads with a blank node are held back and sent last, all of one graph in one batch: a
    blank node is scoped to one request, so splitting them would split the node.

    >>> e = ox.NamedNode("http://e.org/a")
    >>> qs = [ox.Quad(e, e, ox.Literal(str(i)), e) for i in range(5)]
    >>> [len(b) for _, b in batches(qs, 2)]
    [2, 2, 1]
    """
    current: dict[str, tuple[GraphName, list[ox.Quad]]] = {}
    blank: dict[str, tuple[GraphName, list[ox.Quad]]] = {}
    for quad in quads:
        key = str(quad.graph_name)
        if isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode):
            blank.setdefault(key, (quad.graph_name, []))[1].append(quad)
            continue
        graph, pending = current.setdefault(key, (quad.graph_name, []))
        pending.append(quad)
        if len(pending) >= size:
            yield graph, pending
            current[key] = (graph, [])
    for graph, pending in (*current.values(), *blank.values()):
        if pending:
            yield graph, pending


def with_base(sparql: str, base_iri: str | None) -> str:
    """``sparql`` with ``base_iri`` as its base (the server would resolve relative IRIs
    against its own URL otherwise); on the first line, so that line numbers stay.

    >>> with_base("SELECT * { <a> ?p ?o }", "http://h/sparql")
    'BASE <http://h/sparql> SELECT * { <a> ?p ?o }'
    """
    return f"BASE <{base_iri}> {sparql}" if base_iri else sparql


class SparqlStore(Store):
    """A `Store` on a SPARQL 1.1 server (see the module documentation for what it promises)."""

    kind = "sparql"

    def __init__(
        self, config: SparqlConfig, *, read_only: bool = False, client: httpx.Client | None = None
    ) -> None:
        if config.dialect not in DIALECTS:
            raise ConfigError(f"unknown SPARQL dialect {config.dialect!r}", hint=str(DIALECTS))
        self.config = config
        self.location = config.query_url
        self.read_only = read_only
        self._http = _Http(config, client)

    @property
    def _virtuoso(self) -> bool:
        return self.config.dialect == "virtuoso"

    # Reading

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
        text = with_base(bind_values(sparql, bindings) if bindings else sparql, base_iri)
        form = sparql_text.query_form(text) or "SELECT"
        data = [("query", text)]
        given = default_graphs is not None or named_graphs is not None
        if given or not sparql_text.has_dataset_clause(text):  # a given dataset wins over FROM
            if self._virtuoso and default_graphs is None and named_graphs is None:
                data += self._virtuoso_dataset(text, union_default_graph)
            else:
                data += self._dataset(default_graphs, named_graphs, union_default_graph)
        graph_result = form in ("CONSTRUCT", "DESCRIBE")
        response = self._http.send(
            "POST",
            self.config.query_url,
            idempotent=True,
            data=data,
            headers={"Accept": GRAPH_ACCEPT if graph_result else SPARQL_JSON},
        )
        if graph_result:
            return self._triples(response)
        return self._solutions(response.content, ask=form == "ASK")

    def _dataset(
        self,
        default_graphs: Sequence[GraphName] | None,
        named_graphs: Sequence[ox.NamedNode | ox.BlankNode] | None,
        union: bool,
    ) -> list[tuple[str, str]]:
        params: list[tuple[str, str]] = []
        for graph in default_graphs or ():
            if isinstance(graph, ox.DefaultGraph):
                if self._virtuoso:
                    params.append(("default-graph-uri", VIRTUOSO_DEFAULT_GRAPH))
                elif len(default_graphs or ()) > 1:
                    raise ConfigError(
                        "a remote store cannot mix the default graph with named graphs here",
                        hint="name the graphs only",
                    )
            else:
                params.append(("default-graph-uri", _iri(graph)))
        params += [("named-graph-uri", _iri(g)) for g in named_graphs or ()]
        if default_graphs is not None:
            return params
        if union:
            if self.config.dialect == "oxigraph":
                params.append(("union-default-graph", ""))
            elif self.config.dialect == "generic":
                params += [("default-graph-uri", _iri(g)) for g in self.graphs()]
        elif self._virtuoso:
            params.append(("default-graph-uri", VIRTUOSO_DEFAULT_GRAPH))
        return params

    def _virtuoso_dataset(self, query: str, union: bool) -> list[tuple[str, str]]:
        """The dataset of a query on Virtuoso, which has no real default graph (see the module
        documentation) and whose ``GRAPH ?g`` would also range over its system graphs.

        A query with ``GRAPH`` gets kringloop's own graphs as its named graphs, plus every graph
        it names by IRI: Virtuoso answers ASK and COUNT over a graph left out of the list as if
        it matched.
        """
        toks = sparql_text.tokens(query)
        after = [toks[i + 1] for i, t in enumerate(toks[:-1]) if t.keyword == "GRAPH"]
        if not after:
            return [] if union else [("default-graph-uri", VIRTUOSO_DEFAULT_GRAPH)]
        named = [g.value for g in self.graphs() if isinstance(g, ox.NamedNode)]
        prefixes = sparql_text.prefixes(query)
        for token in after:
            if token.kind == "iri":
                named.append(token.text[1:-1])
            elif token.kind == "pname":
                prefix, _, local = token.text.partition(":")
                if prefix in prefixes:
                    named.append(prefixes[prefix] + local)
        named = list(dict.fromkeys(named)) or [VIRTUOSO_NO_GRAPH]
        defaults = [*named, VIRTUOSO_DEFAULT_GRAPH] if union else [VIRTUOSO_DEFAULT_GRAPH]
        params = [("default-graph-uri", g) for g in defaults]
        return params + [("named-graph-uri", g) for g in named]

    def _solutions(self, body: bytes, *, ask: bool) -> ox.QuerySolutions | ox.QueryBoolean:
        cap = self.config.row_cap
        if self._virtuoso:
            body = fix_virtuoso_json(body, ask=ask)
        if cap is not None and not ask:
            rows = json.loads(body).get("results", {}).get("bindings", [])
            self._check_cap(len(rows), cap)
        try:
            return ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        except (SyntaxError, ValueError) as err:
            raise QueryError(
                f"the SPARQL server sent results kringloop cannot read: {err}"
            ) from err

    def _triples(self, response: httpx.Response) -> list[ox.Triple]:
        media = response.headers.get("content-type", "application/n-triples")
        fmt = ox.RdfFormat.from_media_type(media.split(";")[0].strip())
        if fmt is None:
            raise QueryError(f"the SPARQL server sent graph results as {media}, not RDF")
        try:
            found = [
                ox.Triple(q.subject, q.predicate, q.object)
                for q in ox.parse(response.content, format=fmt)
            ]
        except SyntaxError as err:
            raise QueryError(f"the SPARQL server sent RDF kringloop cannot read: {err}") from err
        if self.config.row_cap is not None:
            self._check_cap(len(found), self.config.row_cap)
        return found

    @staticmethod
    def _check_cap(rows: int, cap: int) -> None:
        if rows == cap:
            raise LimitExceeded(
                f"the SPARQL server returned exactly {cap} results, its cap: the answer may be "
                "truncated, so it was not used",
                hint="page with LIMIT/OFFSET below the cap, or raise the server's cap "
                "(Virtuoso: ResultSetMaxRows) and KRINGLOOP_SPARQL_MAX_ROWS",
            )

    def graphs(self) -> list[ox.NamedNode | ox.BlankNode]:
        if self._virtuoso:
            # Not DISTINCT ?g: that timed out at 300k triples, GROUP BY ?g takes 30 ms.
            sparql = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        else:
            sparql = "SELECT DISTINCT ?g WHERE { GRAPH ?g {} }"
        rows = self.select(sparql, named_graphs=[])  # every graph; system ones skipped below
        names = [g for r in rows if isinstance(g := r.get("g"), ox.NamedNode)]
        own: list[ox.NamedNode | ox.BlankNode] = [g for g in names if self._own(g.value)]
        return sorted(own, key=str)

    def _own(self, graph: str) -> bool:
        if not self._virtuoso:
            return True
        return graph != VIRTUOSO_DEFAULT_GRAPH and not graph.startswith(VIRTUOSO_SYSTEM_GRAPHS)

    def has_graph(self, graph: ox.NamedNode | ox.BlankNode) -> bool:
        pattern = "?s ?p ?o" if self._virtuoso else ""
        return bool(self.query(f"ASK {{ GRAPH {graph} {{ {pattern} }} }}"))

    def quads(self, graph: GraphName | None = None) -> Iterator[ox.Quad]:
        if graph is not None:
            yield from self._graph_quads(graph)
            return
        yield from self._graph_quads(ox.DefaultGraph())
        for name in self.graphs():
            yield from self._graph_quads(name)

    def _graph_quads(self, graph: GraphName) -> Iterator[ox.Quad]:
        if self._virtuoso:
            yield from self._virtuoso_graph(graph)
        else:
            yield from self._gsp_quads(graph)

    def _gsp_quads(self, graph: GraphName) -> Iterator[ox.Quad]:
        if self.config.gsp_url is None:
            where = (
                "{ ?s ?p ?o }"
                if self._wire(graph) is None
                else f"{{ GRAPH {graph} {{ ?s ?p ?o }} }}"
            )
            result = self.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {where}")
            triples: Iterable[ox.Triple] = result  # type: ignore[assignment]
        else:
            response = self._http.send(
                "GET",
                self.config.gsp_url,
                idempotent=True,
                params=self._gsp_params(graph),
                headers={"Accept": GRAPH_ACCEPT},
                missing_ok=True,  # a graph that does not exist is empty
            )
            empty = response.status_code == 404 or not response.content.strip()
            triples = [] if empty else self._triples(response)
        for t in triples:
            yield ox.Quad(t.subject, t.predicate, t.object, graph)

    def _virtuoso_graph(self, graph: GraphName) -> Iterator[ox.Quad]:
        """A graph read a predicate at a time, large ones paged by subject (see
        `kringloop.graph.virtuoso_dump`): Virtuoso cuts Graph Store GETs at its row cap."""
        wire = self._wire(graph) or VIRTUOSO_DEFAULT_GRAPH
        named = [ox.NamedNode(wire)]

        def select(sparql: str) -> list[Row]:
            return self.select(sparql, named_graphs=named)

        yield from read_graph(select, wire, graph, cap=self.config.row_cap or VIRTUOSO_MAX_ROWS)

    def count(self, graph: GraphName | None = None) -> int:
        if not self._virtuoso:
            return super().count(graph)
        if graph is not None:
            wire = self._wire(graph) or VIRTUOSO_DEFAULT_GRAPH
            rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{wire}> {{ ?s ?p ?o }} }}")
            return int(text(rows[0]["n"]))
        sparql = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        rows = self.select(sparql, named_graphs=[])
        return sum(int(text(r["n"])) for r in rows if not self._system(text(r["g"])))

    def _system(self, graph: str) -> bool:
        return graph.startswith(VIRTUOSO_SYSTEM_GRAPHS)

    def is_empty(self) -> bool:
        if not self._virtuoso:
            return super().is_empty()
        skip = " && ".join(f'!STRSTARTS(STR(?g), "{p}")' for p in VIRTUOSO_SYSTEM_GRAPHS)
        ask = f"ASK {{ GRAPH ?g {{ ?s ?p ?o }} FILTER({skip}) }}"
        return not bool(self.query(ask, named_graphs=[]))

    def dump(
        self, output: IO[bytes] | Path, fmt: ox.RdfFormat, *, graph: GraphName | None = None
    ) -> None:
        if graph is None and not fmt.supports_datasets:
            raise ConfigError(
                f"{fmt.name} holds one graph, not a whole dataset",
                hint="dump the dataset as N-Quads or TriG, or choose one graph with --graph",
            )
        data: Iterable[ox.Quad] = self.quads(graph)
        if graph is not None:
            data = (ox.Quad(q.subject, q.predicate, q.object) for q in data)
        if isinstance(output, Path):
            with output.open("wb") as out:
                ox.serialize(data, out, format=fmt)
        else:
            ox.serialize(data, output, format=fmt)

    # Writing

    def update(
        self,
        sparql: str,
        *,
        bindings: Mapping[str, Term] | None = None,
        base_iri: str | None = None,
    ) -> None:
        self._check_writable()
        if bindings:
            raise QueryError("updates do not take bindings here", hint="use a VALUES block")
        sparql = with_base(sparql, base_iri)
        data = [("update", sparql)]
        if self._virtuoso:
            data = [
                ("update", _silent_drops(sparql)),
                ("default-graph-uri", VIRTUOSO_DEFAULT_GRAPH),
            ]
        self._http.send("POST", self._update_url, idempotent=False, data=data)

    @property
    def _update_url(self) -> str:
        return self.config.update_url or self.config.query_url

    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        self._check_writable()
        items = list(quads)
        if not items:
            return
        if self.config.dialect == "oxigraph" and self.config.gsp_url is not None:
            # One dataset POST is one transaction on Oxigraph server.
            body = ox.serialize(items, format=ox.RdfFormat.N_QUADS)
            self._http.send(
                "POST",
                self.config.gsp_url,
                idempotent=False,
                content=body,
                headers={"Content-Type": "application/n-quads"},
            )
            return
        for number, (graph, batch) in enumerate(batches(items, self.config.batch_triples), 1):
            try:
                self.post_batch(graph, batch)
            except (QueryError, ConfigError) as err:
                raise BatchFailed(
                    number, str(err), graphs=_graph_labels(items), source="add_quads"
                ) from err

    def post_batch(self, graph: GraphName, quads: Sequence[ox.Quad]) -> None:
        """Add ``quads`` (all of ``graph``) in one request (or, without GSP, a few updates)."""
        if self.config.gsp_url is not None:
            self._gsp_send("POST", graph, quads)
            return
        size = VIRTUOSO_DATA_TRIPLES if self._virtuoso else self.config.batch_triples
        for start in range(0, len(quads), size):
            self._data("INSERT", quads[start : start + size])

    def _data(self, keyword: str, quads: Sequence[ox.Quad]) -> None:
        by_graph: dict[str, list[str]] = {}
        for q in quads:
            by_graph.setdefault(str(q.graph_name), []).append(
                f"{q.subject} {q.predicate} {q.object} ."
            )
        parts = []
        for graph in {str(q.graph_name): q.graph_name for q in quads}.values():
            body = " ".join(by_graph[str(graph)])
            wire = self._wire(graph)
            parts.append(body if wire is None else f"GRAPH <{wire}> {{ {body} }}")
        self.update(f"{keyword} DATA {{ {' '.join(parts)} }}")

    def change(self, *, remove: Iterable[ox.Quad] = (), add: Iterable[ox.Quad] = ()) -> None:
        """Remove, then add quads; atomic only when both fit one update (see the module doc)."""
        removed, added = list(remove), list(add)
        small = len(removed) + len(added) <= VIRTUOSO_DATA_TRIPLES
        if small and not any(_has_blank(q) for q in added) and not self._virtuoso:
            super().change(remove=removed, add=added)
            return
        self._check_writable()
        for start in range(0, len(removed), VIRTUOSO_DATA_TRIPLES):
            self._data("DELETE", removed[start : start + VIRTUOSO_DATA_TRIPLES])
        self.add_quads(added)

    def bulk_load(self, path: Path, fmt: ox.RdfFormat, *, graph: GraphName | None = None) -> None:
        self._check_writable()
        target: ox.NamedNode | ox.DefaultGraph = graph or ox.DefaultGraph()  # type: ignore[assignment]
        load_batches(self, [Source(path=path, format=fmt, graph=target)])

    def replace_graph(self, graph: GraphName, quads: Iterable[ox.Quad]) -> None:
        self._check_writable()
        items = [ox.Quad(q.subject, q.predicate, q.object, graph) for q in quads]
        if self.config.gsp_url is None or len(items) > self.config.batch_triples:
            self.drop_graph(graph)
            self.add_quads(items)
            return
        self._gsp_send("PUT", graph, items)

    def _gsp_send(self, method: str, graph: GraphName, quads: Sequence[ox.Quad]) -> None:
        """POST (add) or PUT (replace) ``quads`` as the content of ``graph`` through the Graph
        Store Protocol, as N-Triples; only PUT may be retried (it is idempotent)."""
        assert self.config.gsp_url is not None
        body = ox.serialize(
            [ox.Triple(q.subject, q.predicate, q.object) for q in quads],
            format=ox.RdfFormat.N_TRIPLES,
        )
        self._http.send(
            method,
            self.config.gsp_url,
            idempotent=method == "PUT",
            params=self._gsp_params(graph),
            content=body,
            headers={"Content-Type": "application/n-triples"},
        )

    def drop_graph(self, graph: GraphName) -> None:
        self._check_writable()
        wire = self._wire(graph)
        self.update("DROP SILENT DEFAULT" if wire is None else f"DROP SILENT GRAPH <{wire}>")

    def clear(self) -> None:
        self._check_writable()
        if not self._virtuoso:
            self.update("DROP SILENT ALL")
            return
        for graph in [*self.graphs(), ox.DefaultGraph()]:
            self.drop_graph(graph)

    def close(self) -> None:
        self._http.client.close()

    # Helpers

    def _wire(self, graph: GraphName) -> str | None:
        """The IRI a graph has on the server (None: the server's own default graph)."""
        if isinstance(graph, ox.DefaultGraph):
            return VIRTUOSO_DEFAULT_GRAPH if self._virtuoso else None
        return _iri(graph)

    def _gsp_params(self, graph: GraphName) -> dict[str, str]:
        wire = self._wire(graph)
        return {"default": ""} if wire is None else {"graph": wire}

    def _check_writable(self) -> None:
        if self.read_only:
            raise ConfigError(
                f"the store at {self.location} is opened read-only here",
                hint="run the write from a command that opens the store for writing",
            )


def _has_blank(quad: ox.Quad) -> bool:
    return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)


def _graph_labels(quads: Iterable[ox.Quad]) -> list[str]:
    return sorted({q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)})


def _silent_drops(update: str) -> str:
    """``DROP GRAPH``/``CLEAR GRAPH`` made ``SILENT`` (Virtuoso fails on graphs it did not
    see created with CREATE GRAPH).

    >>> _silent_drops("DROP GRAPH <http://e.org/g> ; CLEAR SILENT DEFAULT")
    'DROP SILENT GRAPH <http://e.org/g> ; CLEAR SILENT DEFAULT'
    """
    return _DROP_OR_CLEAR.sub(lambda m: f"{m.group(1)} SILENT{m.group(2)}{m.group(3)}", update)


# Loading in batches, with progress and resume.

#: Called after each batch with the batch number and the triples written so far.
BatchProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class BatchLoad:
    """What a batched load did."""

    batches: int
    skipped: int
    triples: int
    seconds: float


def load_batches(
    store: SparqlStore,
    sources: Sequence[Source],
    *,
    progress: Callable[[int], None] | None = None,
    on_batch: BatchProgress | None = None,
    resume_from: int = 1,
    quads: Iterable[ox.Quad] | None = None,
) -> BatchLoad:
    """Stream ``sources`` (`kringloop.graph.load.Source`) into ``store`` through the Graph Store
    Protocol, in batches of ``store.config.batch_triples`` triples.

    Batches are numbered from 1 in a fixed order (the files in order, each file's triples in
    order, blank-node triples last), so a load that failed at batch *n* is continued with
    ``resume_from=n``: earlier batches are parsed again but not sent. ``quads``, when given,
    are sent instead of parsing the sources (already parsed and validated).
    """
    started = time.perf_counter()
    label = ", ".join(str(s.path) for s in sources) or "quads"
    stream: Iterable[ox.Quad] = (
        quads if quads is not None else (q for s in sources for q in _parse(s, progress))
    )
    graphs = sorted({s.graph.value for s in sources if isinstance(s.graph, ox.NamedNode)})
    number = sent = skipped = 0
    for number, (graph, batch) in enumerate(batches(stream, store.config.batch_triples), 1):
        if number < resume_from:
            skipped += 1
            continue
        try:
            store.post_batch(graph, batch)
        except (QueryError, ConfigError) as err:
            raise BatchFailed(number, str(err), graphs=graphs, source=label) from err
        sent += len(batch)
        if on_batch is not None:
            on_batch(number, sent)
    return BatchLoad(number, skipped, sent, time.perf_counter() - started)
