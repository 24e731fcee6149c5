"""The SPARQL 1.1 Graph Store HTTP Protocol at ``/store``.

``?default`` names the default graph, ``?graph=IRI`` a named graph; without either, ``GET``
returns the whole dataset (N-Quads or TriG) and ``POST`` merges a dataset (TriG, N-Quads)
into the store.

- ``GET`` / ``HEAD``: the graph, negotiated (404 when a named graph does not exist);
- ``PUT``: replace the graph (201 when it is new, 204 when it was replaced);
- ``POST``: add to the graph (201 when it is new, 204 when it existed);
- ``DELETE``: remove the graph (204; 404 when it does not exist).

Writes need the bearer token, run one at a time, and are checked against the SHACL shapes
first (422 with the report, and nothing changed, when they do not conform).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Annotated, Any
from urllib.parse import urlencode

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from kringloop.graph import Store
from kringloop.graph.errors import NotFoundError
from kringloop.graph.load import parse_bytes
from kringloop.graph.store import GraphName
from kringloop.graph.validate import ShapesValidator
from kringloop.graph.writes import check_write
from kringloop.service import negotiation
from kringloop.service.auth import require_writer
from kringloop.service.deps import get_settings, get_store, get_validator
from kringloop.service.errors import MethodNotAllowed, RequestError
from kringloop.service.negotiation import DATASETS, GRAPHS, Format
from kringloop.service.protocol import Params, iri
from kringloop.service.settings import Settings
from kringloop.service.sparql import format_values, read_body

router = APIRouter(tags=["graph store"])

StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ValidatorDep = Annotated[ShapesValidator | None, Depends(get_validator)]
Default = Annotated[str | None, Query(description="present (``?default``): the default graph")]
Graph = Annotated[str | None, Query(description="the IRI of a named graph")]
AllowEmpty = Annotated[
    str | None,
    Query(
        alias="allow-empty",
        description="PUT only: true lets a body without triples empty a graph that holds data "
        "(refused otherwise, as a likely mistake)",
    ),
]
ALLOW = ["GET", "HEAD", "PUT", "POST", "DELETE"]
CHUNK = 64 * 1024

_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {m: {"schema": {"type": "string"}} for m in dict.fromkeys(GRAPHS)},
    }
}
_GET_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the graph (or dataset)",
        "content": {m: {} for m in negotiation.sent(GRAPHS, DATASETS)},
    },
    400: {"description": "a graph IRI that is not absolute, or both ?default and ?graph"},
    404: {"description": "no such named graph"},
    406: {"description": "no acceptable RDF format"},
}
_WRITE_DOC: dict[int | str, dict[str, Any]] = {
    201: {"description": "the graph was created"},
    204: {"description": "the graph was replaced or extended"},
    400: {"description": "the body does not parse (line and column given), or bad parameters"},
    401: {"description": "no bearer token"},
    403: {"description": "wrong token, or the service is read-only"},
    413: {"description": "body too large"},
    415: {"description": "unsupported Content-Type"},
    422: {"description": "the data does not conform to the shapes; nothing was written"},
}


def target_of(query_string: str) -> ox.NamedNode | ox.DefaultGraph | None:
    """The graph a request names: ``?default``, ``?graph=IRI``, or None (the dataset).

    >>> target_of("graph=https://e.org/g").value
    'https://e.org/g'
    >>> target_of("default")
    <DefaultGraph>
    """
    params = Params.read(query_string)
    graph = params.one("graph")
    if params.has("default") and graph is not None:
        raise RequestError(
            "the request names both the default graph and a named graph",
            hint="use either ?default or ?graph=IRI",
        )
    if params.has("default"):
        return ox.DefaultGraph()
    return iri(graph, "graph") if graph is not None else None


def _missing(graph: ox.NamedNode) -> NotFoundError:
    return NotFoundError(
        f"there is no graph <{graph.value}>",
        hint="list the graphs with SELECT DISTINCT ?g WHERE { GRAPH ?g {} } at /sparql",
    )


def _label(target: GraphName) -> str:
    return "default graph" if isinstance(target, ox.DefaultGraph) else f"<{target}>"


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    with file:
        while chunk := file.read(CHUNK):
            yield chunk


def _negotiate(request: Request, store: Store) -> tuple[GraphName | None, Format]:
    target = target_of(request.url.query)
    if isinstance(target, ox.NamedNode) and not store.has_graph(target):
        raise _missing(target)
    table = DATASETS if target is None else GRAPHS
    return target, negotiation.choose(table, request.headers.get("accept"), format_values(request))


@router.get("/store", summary="Read a graph, or the whole dataset", responses=_GET_DOC)
async def store_get(
    request: Request, store: StoreDep, default: Default = None, graph: Graph = None
) -> Response:
    """The graph named by ``?default`` or ``?graph=IRI``, in the negotiated RDF format
    (Turtle by default); without either, the whole dataset as N-Quads (or TriG)."""
    target, fmt = await run_in_threadpool(_negotiate, request, store)
    assert fmt.rdf is not None
    rdf = fmt.rdf

    def dump() -> tuple[IO[bytes], int]:
        spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
        store.dump(spool, rdf, graph=target)
        size = spool.tell()
        spool.seek(0)
        return spool, size

    file, size = await run_in_threadpool(dump)
    headers = {"Content-Length": str(size), "Vary": "Accept"}
    return StreamingResponse(_chunks(file), media_type=fmt.media_type, headers=headers)


@router.head("/store", summary="Whether a graph exists, and its type", responses=_GET_DOC)
async def store_head(
    request: Request, store: StoreDep, default: Default = None, graph: Graph = None
) -> Response:
    """Like GET, without the body (the service answers HEAD as GET for every path)."""
    return await store_get(request, store, default, graph)


def _parse(request: Request, body: bytes, target: GraphName | None) -> list[ox.Quad]:
    fmt = negotiation.body_format(request.headers.get("content-type"))
    if isinstance(target, ox.NamedNode):
        base = target.value
    else:
        base = str(request.url.replace(query=None, fragment=None))
    graph = target if isinstance(target, ox.NamedNode | ox.DefaultGraph) else None
    quads = parse_bytes(body, fmt, graph=graph, base_iri=base)
    negotiation.check_json_ld(request.headers.get("content-type"), body)
    if target is not None:
        stray = next((q for q in quads if q.graph_name != target), None)
        if stray is not None:
            raise RequestError(
                f"the body puts triples in graph <{stray.graph_name}>, not in the "
                f"{_label(target)} this request writes to",
                hint="send a dataset (TriG, N-Quads) to /store without ?graph, with POST",
            )
    return quads


def _flag(request: Request, name: str) -> bool:
    """Whether the URL sets the boolean parameter ``name`` (``true``/``1``; 400 otherwise)."""
    value = Params.read(request.url.query).one(name)
    if value is None:
        return False
    if value.strip().lower() in ("true", "1", "yes"):
        return True
    if value.strip().lower() in ("false", "0", "no"):
        return False
    raise RequestError(
        f"{name}={value!r} is not a boolean", hint=f"use {name}=true or leave it out"
    )


def _holds_data(store: Store, target: GraphName) -> bool:
    if isinstance(target, ox.DefaultGraph):
        return bool(store.query("ASK { ?s ?p ?o }"))
    return bool(store.query("ASK { GRAPH ?g { ?s ?p ?o } }", bindings={"g": target}))


def _created(target: GraphName, request: Request) -> dict[str, str]:
    if isinstance(target, ox.NamedNode):
        location = request.url.replace(query=urlencode({"graph": target.value}))
        return {"Location": str(location)}
    return {}


@router.put(
    "/store",
    summary="Replace a graph",
    dependencies=[Depends(require_writer)],
    responses=_WRITE_DOC,
    openapi_extra=_BODY_DOC,
    status_code=204,
)
async def store_put(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    validator: ValidatorDep,
    default: Default = None,
    graph: Graph = None,
    allow_empty: AllowEmpty = None,
) -> Response:
    """Replace the graph named by ``?default`` or ``?graph=IRI`` with the body. A body
    without triples does not empty a graph that holds data unless ``allow-empty=true``."""
    target = target_of(request.url.query)
    if target is None:
        raise RequestError(
            "PUT replaces one graph: name it with ?graph=IRI or ?default",
            hint="to replace everything, DROP ALL with SPARQL Update, then POST the dump to /store",
        )
    body = await read_body(request, settings.max_body_bytes)
    lock = request.app.state.write_lock
    empty_ok = _flag(request, "allow-empty")

    def write() -> bool:
        quads = _parse(request, body, target)
        with lock:
            created = isinstance(target, ox.NamedNode) and not store.has_graph(target)
            if not quads and not empty_ok and not created and _holds_data(store, target):
                raise RequestError(
                    f"the body holds no triples; replacing the {_label(target)} with it would "
                    "empty the graph",
                    hint="check the body; to empty the graph on purpose, send "
                    "?allow-empty=true with the PUT, or DELETE the graph",
                )
            if validator is not None:
                check_write(store, validator, added=quads, replaced=[target])
            store.replace_graph(target, quads)
            lock.added(quads)
        return created

    created = await run_in_threadpool(write)
    if created:
        return Response(status_code=201, headers=_created(target, request))
    return Response(status_code=204)


@router.post(
    "/store",
    summary="Add to a graph, or add a dataset",
    dependencies=[Depends(require_writer)],
    responses=_WRITE_DOC,
    openapi_extra=_BODY_DOC,
    status_code=204,
)
async def store_post(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    validator: ValidatorDep,
    default: Default = None,
    graph: Graph = None,
) -> Response:
    """Add the body to the graph named by ``?default`` or ``?graph=IRI``; without either,
    add a dataset (TriG, N-Quads; triples of other formats go to the default graph)."""
    target = target_of(request.url.query)
    body = await read_body(request, settings.max_body_bytes)
    lock = request.app.state.write_lock

    def write() -> bool:
        quads = _parse(request, body, target)
        with lock:
            created = isinstance(target, ox.NamedNode) and not store.has_graph(target)
            if validator is not None:
                check_write(store, validator, added=quads)
            if quads:
                store.add_quads(quads)
            elif created:
                assert target is not None
                store.replace_graph(target, [])
            lock.added(quads)
        return created

    created = await run_in_threadpool(write)
    if created:
        assert target is not None
        return Response(status_code=201, headers=_created(target, request))
    return Response(status_code=204)


@router.delete(
    "/store",
    summary="Remove a graph",
    dependencies=[Depends(require_writer)],
    status_code=204,
    responses={
        204: {"description": "removed"},
        400: {"description": "no graph named, or a graph IRI that is not absolute"},
        401: {"description": "no bearer token"},
        403: {"description": "wrong token, or the service is read-only"},
        404: {"description": "no such named graph"},
    },
)
async def store_delete(
    request: Request, store: StoreDep, default: Default = None, graph: Graph = None
) -> Response:
    """Remove the named graph (``?graph=IRI``) or empty the default graph (``?default``)."""
    target = target_of(request.url.query)
    if target is None:
        raise RequestError(
            "DELETE removes one graph: name it with ?graph=IRI or ?default",
            hint="to remove everything, use SPARQL Update: DROP ALL",
        )
    lock = request.app.state.write_lock

    def remove() -> None:
        with lock:
            if isinstance(target, ox.NamedNode) and not store.has_graph(target):
                raise _missing(target)
            store.drop_graph(target)

    await run_in_threadpool(remove)
    return Response(status_code=204)


@router.api_route("/store", methods=["PATCH"], include_in_schema=False)
def store_other(request: Request) -> Response:
    raise MethodNotAllowed(request.method, ALLOW)
