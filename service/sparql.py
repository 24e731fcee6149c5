"""The SPARQL endpoint: SPARQL 1.1 Protocol queries and updates, and the service description.

``/sparql`` takes queries (GET, POST) and updates (POST); ``/query`` only queries and
``/update`` only updates, like Fuseki's dataset endpoints. ``GET`` on each of them without a
query answers with the SPARQL 1.1 Service Description of that endpoint (what it takes).
Answers stream from the query's worker (`kringloop.service.answers`). Parsing and checks live in
`kringloop.service.protocol`, formats in `kringloop.service.negotiation`, limits in
`kringloop.graph.execution`; errors become HTTP answers in `kringloop.service.errors`.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials

from kringloop.graph import Store
from kringloop.graph.execution import Runner, Triples, write_triples
from kringloop.graph.streaming import AnswerFormat, ReadQuery
from kringloop.graph.update_plan import operations
from kringloop.graph.validate import ShapesValidator
from kringloop.graph.writes import check_write, fetcher, prepare_update, syntax_check, trial_in
from kringloop.service import negotiation, protocol
from kringloop.service.answers import not_acceptable, stream_answer
from kringloop.service.auth import bearer, check_writer
from kringloop.service.deps import get_settings, get_store, get_validator
from kringloop.service.errors import (
    MethodNotAllowed,
    NotAcceptable,
    PayloadTooLarge,
    RequestError,
)
from kringloop.service.metrics import metrics_of
from kringloop.service.negotiation import GRAPHS, SOLUTIONS, Format
from kringloop.service.settings import Settings

router = APIRouter(tags=["sparql"])

StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ValidatorDep = Annotated[ShapesValidator | None, Depends(get_validator)]
CredentialsDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]

# The parameters below are declared for the OpenAPI documentation; the handlers read the raw
# query string themselves, to refuse repeated or conflicting parameters.
QueryText = Annotated[str | None, Query(description="the SPARQL query")]
DefaultGraphs = Annotated[
    list[str] | None,
    Query(alias="default-graph-uri", description="graphs that form the default graph"),
]
NamedGraphs = Annotated[
    list[str] | None,
    Query(alias="named-graph-uri", description="graphs that GRAPH ?g may match"),
]
Union = Annotated[
    str | None,
    Query(
        description="true: the default graph is the union of all graphs, each triple once; "
        "false: the store's real default graph (strict). Without it, the service's setting "
        "(union by default)"
    ),
]
OxigraphUnion = Annotated[
    str | None,
    Query(
        alias="union-default-graph",
        description="Oxigraph's name for union=true (given without a value, it means true)",
    ),
]
FormatParam = Annotated[
    str | None,
    Query(
        alias="format",
        description="answer format, overriding Accept: json, xml, csv, tsv (SELECT/ASK); "
        "turtle, ntriples, rdfxml, jsonld, trig, nquads (CONSTRUCT/DESCRIBE)",
    ),
]

_RESULTS_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "SELECT/ASK results or CONSTRUCT/DESCRIBE triples, as negotiated; "
        "without a query (GET), the service description",
        "content": {m: {} for m in negotiation.sent(SOLUTIONS, GRAPHS)},
    },
    400: {
        "description": "syntax error (with line and column), bad parameters, refused "
        "SERVICE/LOAD, or more results than the service's limit"
    },
    406: {"description": "no acceptable format for this kind of answer"},
    504: {"description": "the query ran over the time limit and was stopped"},
}
_POST_DOC: dict[int | str, dict[str, Any]] = {
    415: {"description": "POST body of an unsupported Content-Type"},
}
_UPDATE_DOC: dict[int | str, dict[str, Any]] = {
    204: {"description": "update done"},
    400: {"description": "syntax error, bad parameters, refused LOAD/SERVICE"},
    401: {"description": "update without the bearer token"},
    403: {"description": "wrong token, or the service is read-only"},
    415: {"description": "POST body of an unsupported Content-Type"},
    422: {"description": "an update that would leave data not conforming to the shapes"},
    504: {"description": "the update's WHERE part ran over the time limit; nothing changed"},
}


def _post_doc(*, queries: bool, updates: bool) -> dict[str, Any]:
    """OpenAPI request bodies of a SPARQL POST (the bearer token only for updates)."""
    form: dict[str, Any] = {"type": "object", "properties": {}}
    content: dict[str, Any] = {"application/x-www-form-urlencoded": {"schema": form}}
    if queries:
        form["properties"].update(
            {
                "query": {"type": "string"},
                "default-graph-uri": {"type": "array", "items": {"type": "string"}},
                "named-graph-uri": {"type": "array", "items": {"type": "string"}},
                "union": {"type": "string"},
                "format": {"type": "string"},
            }
        )
        content[protocol.SPARQL_QUERY] = {"schema": {"type": "string"}}
    if updates:
        form["properties"].update(
            {
                "update": {"type": "string"},
                "using-graph-uri": {"type": "array", "items": {"type": "string"}},
                "using-named-graph-uri": {"type": "array", "items": {"type": "string"}},
            }
        )
        content[protocol.SPARQL_UPDATE] = {"schema": {"type": "string"}}
    doc: dict[str, Any] = {"requestBody": {"required": True, "content": content}}
    if queries and updates:
        doc["security"] = [{}]  # queries need no token: FastAPI lists the bearer one
    return doc


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 beyond ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the request body is larger than {limit} bytes",
        hint="split the data, or ask the operator to raise KRINGLOOP_MAX_BODY_BYTES",
    )


def _table(form: str | None) -> dict[str, Format] | None:
    if form in ("SELECT", "ASK"):
        return SOLUTIONS
    if form in ("CONSTRUCT", "DESCRIBE"):
        return GRAPHS
    return None


def _offered(table: dict[str, Format], accept: str | None, formats: list[str]) -> Format | None:
    """The format for one kind of answer, or None when the client accepts none of it."""
    try:
        return negotiation.choose(table, accept, formats)
    except NotAcceptable:
        return None


def base_of(request: Request) -> str:
    """The request's URL without its query string: the base IRI of its query or update."""
    return str(request.url.replace(query=None, fragment=None))


async def answer_query(
    request: Request, req: protocol.QueryRequest, store: Store, settings: Settings
) -> Response:
    """Run a query request within the limits and stream the answer in the negotiated format.

    The worker that runs the query also writes the answer (`kringloop.graph.streaming`); a
    query whose form is known up front is refused with 406 before it runs when no format fits.
    """
    base = base_of(request)
    plan = protocol.plan_query(
        req,
        union_by_default=settings.union_default_graph,
        allowlist=settings.service_allowlist,
        view=request.app.state.union.view,
        base_iri=base,
    )
    accept = request.headers.get("accept")
    formats = list(req.formats)
    table = _table(plan.form)
    if table is not None:
        negotiation.choose(table, accept, formats)  # 406 before running, not after
    results = _offered(SOLUTIONS, accept, formats) if table is not GRAPHS else None
    graphs = _offered(GRAPHS, accept, formats) if table is not SOLUTIONS else None
    answer = AnswerFormat(
        results=results.results.media_type if results is not None and results.results else None,
        rdf=graphs.rdf.media_type if graphs is not None and graphs.rdf else None,
        prefixes=plan.prefixes,
        max_rows=settings.max_result_rows,
    )

    def unacceptable(kind: str) -> Exception:
        try:  # the error the client would get had the form been known up front
            negotiation.choose(GRAPHS if kind == "triples" else SOLUTIONS, accept, formats)
        except NotAcceptable as error:
            return error
        return not_acceptable(kind)

    query = ReadQuery(plan.query, dataset=plan.dataset, base_iri=base)
    started = time.perf_counter()
    try:
        response = await stream_answer(
            request.app.state.runner, query, answer, unacceptable=unacceptable
        )
    finally:
        metrics = metrics_of(request)
        if metrics is not None:
            kind = (plan.form or "unknown").lower()
            metrics.observe_query(kind, time.perf_counter() - started)
    return response


def apply_update(
    store: Store,
    update: str,
    *,
    runner: Runner,
    validator: ShapesValidator | None,
    settings: Settings,
    base_iri: str | None = None,
) -> list[ox.Quad] | None:
    """Work out what the update adds and removes (its ``WHERE`` parts tried where queries
    run, within the limits), check that against the shapes, then run it as one transaction;
    nothing changes when any step fails (`kringloop.graph.writes.prepare_update`). Returns
    the quads it added, when they were worked out (None otherwise)."""
    planned = prepare_update(
        store,
        update,
        trial=trial_in(runner, max_solutions=settings.max_update_solutions),
        fetch=fetcher(
            max_bytes=settings.max_body_bytes,
            timeout_s=settings.query_timeout_s,
            allowlist=settings.service_allowlist,
        ),
        changes=validator is not None,
        base_iri=base_iri,
    )
    if validator is not None:
        check_write(store, validator, added=planned.change.added, removed=planned.change.removed)
    store.update(planned.text, base_iri=base_iri)
    return planned.change.added if validator is not None else None


async def answer_update(
    request: Request,
    req: protocol.UpdateRequest,
    store: Store,
    settings: Settings,
    validator: ShapesValidator | None,
) -> Response:
    """Run an update request. Its ``WHERE`` parts are first tried as queries within the time
    limit (where queries run, so a runaway one is stopped); the update itself then runs in
    the writer without a limit: it cannot be stopped half-way, and one answered as timed out
    would still commit later. An update without operations does nothing (204)."""
    base = base_of(request)
    text = protocol.plan_update(req, allowlist=settings.service_allowlist, base_iri=base)
    if not operations(text, base_iri=base):
        syntax_check(text, base)  # a prologue alone must still parse
        return Response(status_code=204)
    lock = request.app.state.write_lock
    runner: Runner = request.app.state.runner

    def job() -> None:
        with lock:
            added = apply_update(
                store, text, runner=runner, validator=validator, settings=settings, base_iri=base
            )
            if added is not None:
                lock.added(added)

    started = time.perf_counter()
    try:
        await run_in_threadpool(job)
    finally:
        metrics = metrics_of(request)
        if metrics is not None:
            metrics.observe_query("update", time.perf_counter() - started)
    return Response(status_code=204)


SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
#: The answer formats, as named by https://www.w3.org/ns/formats/.
RESULT_FORMATS = (
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "N-Triples",
    "RDF_XML",
    "JSON-LD",
    "TriG",
    "N-Quads",
)


def service_description(
    endpoint: str,
    *,
    graphs: list[ox.NamedNode | ox.BlankNode],
    union_by_default: bool,
    queries: bool = True,
    updates: bool = False,
    federation: bool = False,
) -> list[ox.Triple]:
    """The SPARQL 1.1 Service Description of one endpoint (sd: vocabulary): the languages it
    takes (``queries``, ``updates``), its features and formats, and the dataset it serves.

    >>> triples = service_description("http://h/update", graphs=[], union_by_default=True,
    ...                               queries=False, updates=True)
    >>> languages = {t.object for t in triples if t.predicate.value.endswith("supportedLanguage")}
    >>> sorted(n.value.rsplit("#", 1)[1] for n in languages)
    ['SPARQL11Update']
    """

    def sd(name: str) -> ox.NamedNode:
        return ox.NamedNode(SD + name)

    service = ox.BlankNode("service")
    dataset = ox.BlankNode("dataset")
    default = ox.BlankNode("defaultGraph")
    triples = [
        ox.Triple(service, RDF_TYPE, sd("Service")),
        ox.Triple(service, sd("endpoint"), ox.NamedNode(endpoint)),
        ox.Triple(service, sd("feature"), sd("EmptyGraphs")),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default),
        ox.Triple(default, RDF_TYPE, sd("Graph")),
    ]
    if queries:
        triples.append(ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")))
        if union_by_default:
            triples.append(ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")))
        if federation:
            triples.append(ox.Triple(service, sd("feature"), sd("BasicFederatedQuery")))
        for name in RESULT_FORMATS:
            triples.append(ox.Triple(service, sd("resultFormat"), ox.NamedNode(FORMATS + name)))
    if updates:
        triples.append(ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Update")))
    for index, graph in enumerate(graphs):
        node = ox.BlankNode(f"namedGraph{index}")
        triples += [
            ox.Triple(dataset, sd("namedGraph"), node),
            ox.Triple(node, RDF_TYPE, sd("NamedGraph")),
            ox.Triple(node, sd("name"), graph),
        ]
    return triples


async def describe_service(
    request: Request, store: Store, settings: Settings, *, queries: bool, updates: bool
) -> Response:
    """The service description of the endpoint asked, as Turtle unless another RDF format is
    asked for. ``updates`` only when the service takes updates (a write token, a writable
    store)."""
    accept = request.headers.get("accept")
    formats = format_values(request)
    html_q, html_exact = negotiation.quality(negotiation.parse_accept(accept), "text/html")
    if not formats and html_exact == 2 and html_q > 0:
        accept = "text/turtle"  # a browser: Turtle as text, not RDF/XML for its application/xml
    fmt = negotiation.choose(GRAPHS, accept, formats)
    endpoint = base_of(request)
    writable = bool(settings.write_token or settings.write_token_sha256) and not store.read_only

    def build() -> bytes:
        triples = service_description(
            endpoint,
            graphs=store.graphs(),
            union_by_default=settings.union_default_graph,
            queries=queries,
            updates=updates and writable,
            federation=bool(settings.service_allowlist),
        )
        prefixes = {"sd": SD, "formats": FORMATS}
        assert fmt.rdf is not None  # every GRAPHS format has one
        return write_triples(Triples(triples, prefixes), fmt.rdf)

    body = await run_in_threadpool(build)
    return Response(body, media_type=fmt.media_type, headers={"Vary": "Accept"})


def format_values(request: Request) -> list[str]:
    """The values of the ``format`` (or ``output``) parameter in the URL."""
    params = protocol.Params.read(request.url.query)
    return params.all("format") or params.all("output")


@router.get(
    "/sparql",
    summary="SPARQL query (GET), or the service description without a query",
    responses=_RESULTS_DOC,
)
async def sparql_get(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    query: QueryText = None,
    default_graph_uri: DefaultGraphs = None,
    named_graph_uri: NamedGraphs = None,
    union: Union = None,
    union_default_graph: OxigraphUnion = None,
    fmt: FormatParam = None,
) -> Response:
    """A SPARQL query in the URL (``?query=``). Without a query: the SPARQL 1.1 Service
    Description (Turtle, or JSON-LD etc. as negotiated)."""
    req = protocol.read_get(request.url.query)
    if req is None:
        return await describe_service(request, store, settings, queries=True, updates=True)
    return await answer_query(request, req, store, settings)


@router.post(
    "/sparql",
    summary="SPARQL query or update (POST)",
    responses={**_UPDATE_DOC, **_RESULTS_DOC, **_POST_DOC},
    openapi_extra=_post_doc(queries=True, updates=True),
)
async def sparql_post(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    validator: ValidatorDep,
    credentials: CredentialsDep,
) -> Response:
    """A query (form-encoded ``query=`` or ``application/sparql-query``) or an update
    (form-encoded ``update=`` or ``application/sparql-update``; needs the bearer token).
    With ``application/sparql-query`` / ``-update`` the dataset parameters go in the URL."""
    body = await read_body(request, settings.max_body_bytes)
    op = protocol.read_post(request.headers.get("content-type"), request.url.query, body)
    if isinstance(op, protocol.UpdateRequest):
        check_writer(credentials, settings, store)
        return await answer_update(request, op, store, settings, validator)
    return await answer_query(request, op, store, settings)


@router.get(
    "/query",
    summary="SPARQL query (GET), or the service description without a query",
    responses=_RESULTS_DOC,
)
async def query_get(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    query: QueryText = None,
    default_graph_uri: DefaultGraphs = None,
    named_graph_uri: NamedGraphs = None,
    union: Union = None,
    union_default_graph: OxigraphUnion = None,
    fmt: FormatParam = None,
) -> Response:
    """Like ``GET /sparql``, for queries only (Fuseki's ``/query``); its service description
    says so."""
    req = protocol.read_get(request.url.query)
    if req is None:
        return await describe_service(request, store, settings, queries=True, updates=False)
    return await answer_query(request, req, store, settings)


@router.post(
    "/query",
    summary="SPARQL query (POST)",
    responses={**_RESULTS_DOC, **_POST_DOC},
    openapi_extra=_post_doc(queries=True, updates=False),
)
async def query_post(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    """Like ``POST /sparql``, for queries only."""
    body = await read_body(request, settings.max_body_bytes)
    op = protocol.read_post(request.headers.get("content-type"), request.url.query, body)
    if isinstance(op, protocol.UpdateRequest):
        raise RequestError("/query answers queries only", hint="send updates to /update")
    return await answer_query(request, op, store, settings)


@router.get(
    "/update",
    summary="The service description of the update endpoint",
    responses={
        200: {
            "description": "the service description (SPARQL 1.1 Update)",
            "content": {m: {} for m in negotiation.sent(GRAPHS)},
        },
        406: {"description": "no acceptable RDF format"},
    },
)
async def update_get(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    """The SPARQL 1.1 Service Description of ``/update``: updates only (none when the service
    is read-only). Updates themselves are POSTed."""
    if protocol.Params.read(request.url.query).has("query"):
        raise MethodNotAllowed(
            "GET", ["POST"], hint="POST updates here; queries go to /sparql or /query"
        )
    return await describe_service(request, store, settings, queries=False, updates=True)


@router.post(
    "/update",
    summary="SPARQL update (POST; needs the bearer token)",
    status_code=204,
    responses=_UPDATE_DOC,
    openapi_extra=_post_doc(queries=False, updates=True),
)
async def update_post(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    validator: ValidatorDep,
    credentials: CredentialsDep,
) -> Response:
    """A SPARQL update: form-encoded ``update=`` or ``application/sparql-update``, with
    ``using-graph-uri`` / ``using-named-graph-uri``. One update is one transaction."""
    check_writer(credentials, settings, store)
    body = await read_body(request, settings.max_body_bytes)
    op = protocol.read_post(request.headers.get("content-type"), request.url.query, body)
    if isinstance(op, protocol.QueryRequest):
        raise RequestError("/update runs updates only", hint="send queries to /query")
    return await answer_update(request, op, store, settings, validator)


# HEAD (as GET) and OPTIONS are answered for every path by middleware (service/caching.py,
# service/cors.py).
_OTHER_METHODS = ["PUT", "DELETE", "PATCH"]


@router.api_route("/sparql", methods=_OTHER_METHODS, include_in_schema=False)
@router.api_route("/query", methods=_OTHER_METHODS, include_in_schema=False)
def sparql_other(request: Request) -> Response:
    raise MethodNotAllowed(request.method, ["GET", "HEAD", "POST"])


@router.api_route("/update", methods=_OTHER_METHODS, include_in_schema=False)
def update_other(request: Request) -> Response:
    raise MethodNotAllowed(
        request.method,
        ["GET", "HEAD", "POST"],
        hint="POST the update; queries go to /sparql or /query",
    )
