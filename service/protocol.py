"""Reading SPARQL 1.1 Protocol requests into plans the store can run, with every check that
must happen before execution.

A query comes by GET (``?query=``), by POST form-encoded (``query=`` in the body) or by POST
``application/sparql-query`` (the query is the body); an update by POST form-encoded
(``update=``) or ``application/sparql-update``. The dataset comes from ``default-graph-uri`` /
``named-graph-uri`` (queries) or ``using-graph-uri`` / ``using-named-graph-uri`` (updates).

The dataset of a query, first rule that applies:

1. the request names graphs (``default-graph-uri`` / ``named-graph-uri``): exactly those, also
   over a ``FROM`` in the query (SPARQL 1.1 Protocol, 2.1.4); naming only named graphs leaves
   the default graph empty;
2. the query names graphs (``FROM`` / ``FROM NAMED``): those;
3. ``union=true`` (or Oxigraph's ``union-default-graph``), or else the service's
   ``union_default_graph`` setting (on by default): the default graph is the union of all
   graphs, each triple once (`kringloop.graph.union`); ``union=false``: the store's real
   default graph.

Relative IRIs in queries and updates resolve against the request's URL (its base IRI).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import pyoxigraph as ox

from kringloop.graph import guards, sparql_text
from kringloop.graph.errors import RefusedError
from kringloop.graph.streaming import Dataset
from kringloop.graph.union import ENGINE_UNION, UnionView
from kringloop.service.errors import RequestError, UnsupportedMediaType
from kringloop.service.negotiation import media_type

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"

_TRUE = {"", "true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@dataclass(frozen=True)
class Params:
    """Request parameters (query string and form body), repeats kept.

    >>> Params.read("query=ASK%7B%7D&named-graph-uri=http://e.org/a&named-graph-uri=http://e.org/b").all("named-graph-uri")
    ['http://e.org/a', 'http://e.org/b']
    """

    items: tuple[tuple[str, str], ...] = ()

    @classmethod
    def read(cls, *encoded: str) -> Params:
        pairs: list[tuple[str, str]] = []
        for text in encoded:
            try:
                pairs += parse_qsl(text, keep_blank_values=True, strict_parsing=False)
            except ValueError as err:
                raise RequestError(f"unreadable parameters: {err}") from err
        return cls(tuple(pairs))

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.items if key == name]

    def has(self, name: str) -> bool:
        return any(key == name for key, _ in self.items)

    def one(self, name: str) -> str | None:
        """The value of a parameter that may be given once (400 when repeated)."""
        values = self.all(name)
        if len(values) > 1:
            raise RequestError(
                f"the {name!r} parameter is given {len(values)} times",
                hint=f"send exactly one {name}",
            )
        return values[0] if values else None


@dataclass(frozen=True)
class QueryRequest:
    """A SPARQL query as the protocol delivered it."""

    query: str
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    union: bool | None = None
    formats: tuple[str, ...] = ()


@dataclass(frozen=True)
class UpdateRequest:
    """A SPARQL update as the protocol delivered it."""

    update: str
    using_graphs: tuple[str, ...] = ()
    using_named_graphs: tuple[str, ...] = ()


def _decode(body: bytes, what: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise RequestError(
            f"the {what} is not UTF-8: {err}", hint="send SPARQL text encoded as UTF-8"
        ) from err


def _flag(params: Params, name: str) -> bool | None:
    value = params.one(name)
    if value is None:
        return None
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise RequestError(f"{name}={value!r} is not a yes/no value", hint=f"use {name}=true")


def _union(params: Params) -> bool | None:
    """``union`` or Oxigraph's ``union-default-graph`` (which may come without a value)."""
    ours, oxigraph = _flag(params, "union"), _flag(params, "union-default-graph")
    if ours is not None and oxigraph is not None and ours != oxigraph:
        raise RequestError(
            "union and union-default-graph say different things",
            hint="give one of them",
        )
    return ours if ours is not None else oxigraph


def _query(params: Params, text: str) -> QueryRequest:
    if not text.strip():
        raise RequestError("the query is empty", hint="send a SPARQL query in 'query'")
    formats = params.all("format") or params.all("output")
    return QueryRequest(
        query=text,
        default_graphs=tuple(params.all("default-graph-uri")),
        named_graphs=tuple(params.all("named-graph-uri")),
        union=_union(params),
        formats=tuple(formats),
    )


def _update(params: Params, text: str) -> UpdateRequest:
    # An empty update (or one of only a prologue or comments) is allowed by the grammar and
    # does nothing; clients send one to test the endpoint.
    return UpdateRequest(
        update=text,
        using_graphs=tuple(params.all("using-graph-uri")),
        using_named_graphs=tuple(params.all("using-named-graph-uri")),
    )


def read_get(query_string: str) -> QueryRequest | None:
    """The query of a GET request, or None (no query: the service description)."""
    params = Params.read(query_string)
    if params.has("update"):
        raise RequestError(
            "a SPARQL update cannot be sent with GET",
            hint="POST it as application/sparql-update, or form-encoded as update=...",
        )
    text = params.one("query")
    return None if text is None else _query(params, text)


def read_post(
    content_type: str | None, query_string: str, body: bytes
) -> QueryRequest | UpdateRequest:
    """The query or update of a POST request."""
    kind = media_type(content_type)
    url = Params.read(query_string)
    if kind == FORM:
        params = Params.read(query_string, _decode(body, "form body"))
        query, update = params.one("query"), params.one("update")
        if query is not None and update is not None:
            raise RequestError(
                "the request has both a query and an update",
                hint="send one operation per request",
            )
        if query is not None:
            return _query(params, query)
        if update is not None:
            return _update(params, update)
        raise RequestError(
            "the form has neither 'query' nor 'update'", hint="send query=... or update=..."
        )
    if kind == SPARQL_QUERY:
        if url.has("query") or url.has("update"):
            raise RequestError(
                "the query is in the body; the URL must not carry 'query' or 'update' too",
                hint="remove the parameter from the URL",
            )
        return _query(url, _decode(body, "query"))
    if kind == SPARQL_UPDATE:
        if url.has("query") or url.has("update"):
            raise RequestError(
                "the update is in the body; the URL must not carry 'query' or 'update' too",
                hint="remove the parameter from the URL",
            )
        return _update(url, _decode(body, "update"))
    raise UnsupportedMediaType(
        f"a SPARQL POST cannot be of type {kind or '(none)'!r}",
        hint=f"use Content-Type {FORM}, {SPARQL_QUERY} or {SPARQL_UPDATE}",
    )


def iri(value: str, what: str) -> ox.NamedNode:
    """``value`` as an IRI, or a 400 naming the parameter."""
    try:
        return ox.NamedNode(value)
    except ValueError as err:
        raise RequestError(
            f"{what}={value!r} is not an absolute IRI: {err}",
            hint="e.g. https://w3id.org/kringloop/graph/market",
        ) from err


def check_remote(
    sparql: str, allowlist: Sequence[str], *, base_iri: str | None = None
) -> list[sparql_text.Remote]:
    """Refuse ``SERVICE`` and ``LOAD`` unless their target is on the allow list; the
    ``LOAD SILENT`` operations of targets not on it are returned (they load nothing).

    pyoxigraph would really contact the target, so this runs before execution.

    >>> check_remote("SELECT * { SERVICE <http://e.org/sparql> { ?s ?p ?o } }", [])
    Traceback (most recent call last):
    ...
    kringloop.graph.errors.RefusedError: line 1, column 12: SERVICE <http://e.org/sparql> ...
    >>> [r.target for r in check_remote("LOAD SILENT <http://e.org/a.ttl>", [])]
    ['http://e.org/a.ttl']
    """
    skipped = []
    for remote in sparql_text.remote_targets(sparql, base_iri=base_iri):
        where = f"line {remote.line}, column {remote.column}"
        if remote.target is None:
            raise RefusedError(
                f"{where}: {remote.keyword} {remote.written} names no fixed endpoint; "
                "this service only contacts endpoints on its allow list",
                hint="write the endpoint IRI itself",
            )
        if not sparql_text.allowed(remote.target, allowlist):
            if remote.keyword == "LOAD" and remote.silent:
                skipped.append(remote)
                continue
            what = "federated queries" if remote.keyword == "SERVICE" else "loading from the web"
            raise RefusedError(
                f"{where}: {remote.keyword} <{remote.target}> is refused: this service does "
                f"not allow {what} to that address",
                hint="the operator can allow it with KRINGLOOP_SERVICE_ALLOWLIST "
                "(LOAD SILENT of an address not on it loads nothing)",
            )
    return skipped


@dataclass(frozen=True)
class QueryPlan:
    """A checked query and the dataset to run it on."""

    query: str
    form: str | None
    dataset: Dataset = field(default_factory=Dataset)
    prefixes: dict[str, str] = field(default_factory=dict)
    #: Whether the default graph is the union of all graphs (for the answer's headers).
    union: bool = False


def union_dataset(view: UnionView, named: tuple[ox.NamedNode, ...] | None = None) -> Dataset:
    """The dataset whose default graph is the union of all graphs, each triple once."""
    if view.default_graphs is None:
        return Dataset(union=True, named_graphs=named)
    return Dataset(default_graphs=view.default_graphs, named_graphs=named)


def plan_query(
    request: QueryRequest,
    *,
    union_by_default: bool,
    allowlist: Sequence[str],
    view: UnionView = ENGINE_UNION,
    base_iri: str | None = None,
) -> QueryPlan:
    """Check a query request and decide its dataset (the rules in the module's docstring).

    >>> plan = plan_query(QueryRequest("SELECT * FROM <http://e.org/g> { ?s ?p ?o }",
    ...     default_graphs=("http://e.org/h",)), union_by_default=True, allowlist=[])
    >>> [g.value for g in plan.dataset.default_graphs], plan.dataset.named_graphs
    (['http://e.org/h'], ())
    """
    own_dataset = sparql_text.has_dataset_clause(request.query)
    if request.union and request.default_graphs:
        raise RequestError(
            "union=true makes the default graph the union of all graphs; the request also "
            "names the default graph (default-graph-uri)",
            hint="drop union=true, or drop the default-graph-uri; name the graphs in one place "
            "only",
        )
    if request.union and own_dataset and not request.named_graphs:
        raise RequestError(
            "union=true makes the default graph the union of all graphs; the query also "
            "names its dataset (FROM / FROM NAMED)",
            hint="drop union=true, or drop FROM; name the graphs in one place only",
        )
    guards.check_sparql(request.query)
    check_remote(request.query, allowlist, base_iri=base_iri)
    union = False
    if request.default_graphs or request.named_graphs:  # the request's dataset wins
        named = tuple(iri(g, "named-graph-uri") for g in request.named_graphs)
        if request.default_graphs:
            defaults = tuple(iri(g, "default-graph-uri") for g in request.default_graphs)
            dataset = Dataset(default_graphs=defaults, named_graphs=named)
        elif request.union:
            dataset, union = union_dataset(view, named), True
        else:  # only named graphs: the default graph is empty (SPARQL 1.1 Query, 13.2)
            dataset = Dataset(default_graphs=(), named_graphs=named)
    elif own_dataset:
        dataset = Dataset()
    else:
        union = request.union if request.union is not None else union_by_default
        dataset = union_dataset(view) if union else Dataset()
    return QueryPlan(
        query=request.query,
        form=sparql_text.query_form(request.query),
        dataset=dataset,
        prefixes=sparql_text.prefixes(request.query),
        union=union,
    )


def plan_update(
    request: UpdateRequest, *, allowlist: Sequence[str], base_iri: str | None = None
) -> str:
    """Check an update request; the update text to run (with the protocol's USING clauses).

    >>> plan_update(UpdateRequest("WITH <http://e.org/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    ...     using_graphs=("http://e.org/h",)), allowlist=[])
    Traceback (most recent call last):
    ...
    kringloop.service.errors.RequestError: the update names its dataset ...
    """
    given = request.using_graphs or request.using_named_graphs
    if given and sparql_text.has_using_or_with(request.update):
        raise RequestError(
            "the update names its dataset (USING / USING NAMED / WITH) and the request "
            "names one too (using-graph-uri / using-named-graph-uri)",
            hint="name the graphs in one place only",
        )
    guards.check_sparql(request.update)
    check_remote(request.update, allowlist, base_iri=base_iri)
    if not given:
        return request.update
    graphs = [iri(g, "using-graph-uri").value for g in request.using_graphs]
    named = [iri(g, "using-named-graph-uri").value for g in request.using_named_graphs]
    return sparql_text.add_using(request.update, graphs, named)
