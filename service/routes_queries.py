"""Named queries over HTTP: ``GET /queries`` lists them, ``GET|POST /queries/{name}`` runs one.

Each query of the catalogue gets its own operation (operation id = file stem) with its typed
parameters in the OpenAPI document. Values come from the query string (GET), or from a JSON
object or a form (POST); they are bound as RDF terms by the core (`kringloop.queries.catalog`).
Answers are negotiated like ``/sparql``: SPARQL JSON by default, XML, CSV or TSV; Turtle by
default for CONSTRUCT, or N-Triples, JSON-LD, RDF/XML. ``format=csv`` overrides Accept.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from kringloop.graph.execution import (
    Materialised,
    Runner,
    Triples,
    query_job,
    write_results,
    write_triples,
)
from kringloop.queries.catalog import RESERVED_NAMES, Catalog, NamedQuery
from kringloop.queries.params import TYPES
from kringloop.service.deps import run_read
from kringloop.service.errors import RequestError, UnsupportedMediaType, json_body_error
from kringloop.service.negotiation import (
    GRAPHS,
    SOLUTIONS,
    choose,
    media_type,
    negotiate,
    sent,
)
from kringloop.service.routes_ui import languages_of, render

_SCHEMAS: dict[str, dict[str, str]] = {
    "iri": {"type": "string", "format": "iri"},
    "string": {"type": "string"},
    "langString": {"type": "string", "pattern": "^.*@[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$"},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
}
#: The formats the HTML list links to, per query form.
PAGE_FORMATS = {
    "select": (("csv", "CSV"), ("json", "JSON"), ("tsv", "TSV")),
    "ask": (("json", "JSON"),),
    "construct": (("ttl", "Turtle"), ("jsonld", "JSON-LD"), ("nt", "N-Triples")),
}


class ParameterInfo(BaseModel):
    name: str
    type: str
    required: bool
    example: str
    default: str | None
    description: str


class QueryInfo(BaseModel):
    name: str
    summary: str
    description: str
    tags: list[str]
    form: str
    url: str
    parameters: list[ParameterInfo]


def query_info(query: NamedQuery) -> QueryInfo:
    return QueryInfo(
        name=query.name,
        summary=query.summary,
        description=query.description,
        tags=list(query.tags),
        form=query.form,
        url=f"/queries/{query.name}",
        parameters=[
            ParameterInfo(
                name=p.name,
                type=p.type,
                required=p.required,
                example=p.example,
                default=p.default,
                description=p.description,
            )
            for p in query.parameters
        ],
    )


def _schema(kind: str, value: str | None) -> dict[str, Any]:
    schema: dict[str, Any] = dict(_SCHEMAS[kind])
    if value is not None:
        converted: Any = value
        if kind == "integer":
            converted = int(value)
        elif kind == "decimal":
            converted = float(value)
        elif kind == "boolean":
            converted = value == "true"
        schema["default"] = converted
    return schema


def _openapi(query: NamedQuery, *, post: bool) -> dict[str, Any]:
    """The parameters (GET) or request body (POST) of one query, and its answer types."""
    types = sent(GRAPHS) if query.form == "construct" else sent(SOLUTIONS)
    responses: dict[str, Any] = {
        "200": {"description": "the results", "content": {t: {} for t in types}},
        "400": {"description": "a missing parameter or a value of the wrong type"},
        "406": {"description": "no acceptable format for this kind of answer"},
        "504": {"description": "the query ran over the time limit and was stopped"},
    }
    if post:
        responses["415"] = {"description": "a body that is neither JSON nor a form"}
    extra: dict[str, Any] = {"responses": responses}
    if not post:
        extra["parameters"] = [
            {
                "name": p.name,
                "in": "query",
                "required": p.required,
                "description": f"{p.description} ({TYPES[p.type]})".strip(),
                "schema": _schema(p.type, p.default),
                "example": p.example,
            }
            for p in query.parameters
        ]
        return extra
    properties = {
        p.name: {**_schema(p.type, p.default), "description": p.description, "example": p.example}
        for p in query.parameters
    }
    schema = {
        "type": "object",
        "properties": properties,
        "required": [p.name for p in query.parameters if p.required],
        "additionalProperties": False,
    }
    extra["requestBody"] = {
        "required": False,
        "content": {
            "application/json": {"schema": schema, "example": query.example_values()},
            "application/x-www-form-urlencoded": {"schema": schema},
        },
    }
    return extra


def _pairs_to_values(pairs: list[tuple[str, str]], values: dict[str, object]) -> None:
    for name, value in pairs:
        if name in values:
            raise RequestError(
                f"parameter {name!r} is given more than once",
                hint="give each parameter once, in the URL or in the body",
            )
        values[name] = value


async def read_values(request: Request) -> tuple[dict[str, object], list[str]]:
    """The parameter values of a request (query string, and the JSON or form body of a POST)
    and the ``format`` values, kept apart."""
    values: dict[str, object] = {}
    _pairs_to_values(parse_qsl(request.url.query, keep_blank_values=True), values)
    if request.method == "POST":
        body = await request.body()
        kind = media_type(request.headers.get("content-type"))
        if kind == "application/json":
            try:
                data = json.loads(body or b"{}")
            except ValueError as err:  # UnicodeDecodeError and JSONDecodeError among them
                raise json_body_error(err) from err
            if not isinstance(data, dict):
                raise RequestError(
                    "the JSON body must be an object: {name: value, ...}",
                    hint="send the parameters as one JSON object, or as a form",
                )
            _pairs_to_values(list(data.items()), values)
        elif kind == "application/x-www-form-urlencoded":
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as err:
                raise RequestError(
                    "the form body is not UTF-8", hint="send the form as UTF-8"
                ) from err
            _pairs_to_values(parse_qsl(text, keep_blank_values=True), values)
        elif body.strip():
            raise UnsupportedMediaType(
                f"cannot read a body of type {kind or '(none)'!r}",
                hint="send application/json or application/x-www-form-urlencoded",
            )
    formats = [str(values.pop(name)) for name in sorted(RESERVED_NAMES) if name in values]
    return values, formats


def answer(result: Materialised, accept: str | None, formats: list[str]) -> Response:
    """A materialised result as the negotiated HTTP response."""
    if isinstance(result, Triples):
        chosen = choose(GRAPHS, accept, formats)
        assert chosen.rdf is not None
        body = write_triples(result, chosen.rdf)
    else:
        chosen = choose(SOLUTIONS, accept, formats)
        assert chosen.results is not None
        body = write_results(result, chosen.results)
    media = chosen.media_type
    if media.startswith("text/"):
        media += "; charset=utf-8"
    return Response(body, media_type=media, headers={"Vary": "Accept"})


async def execute(request: Request, query: NamedQuery, values: dict[str, object]) -> Materialised:
    """Bind ``values`` and run ``query`` on the app's store, within the service's limits."""
    bindings = query.bindings(values)  # bad values fail here, before any work is queued
    runner: Runner = request.app.state.runner  # the workers /sparql uses too
    result: Materialised = await run_read(
        runner, query_job, query.sparql, runner.max_rows, bindings, None, None, True
    )
    return result


def _endpoint(query: NamedQuery) -> Callable[[Request], Awaitable[Response]]:
    async def run_named_query(request: Request) -> Response:
        values, formats = await read_values(request)
        result = await execute(request, query, values)
        return answer(result, request.headers.get("accept"), formats)

    run_named_query.__doc__ = query.description or query.summary
    return run_named_query


def router(catalog: Catalog) -> APIRouter:
    """The routes of the named-query catalogue, one GET and one POST operation per query."""
    routes = APIRouter(tags=["named queries"])

    @routes.get(
        "/queries",
        response_model=list[QueryInfo],
        summary="List the named queries",
        responses={200: {"content": {"text/html": {}}}},
    )
    def list_queries(request: Request, lang: str | None = None) -> Any:
        """Every named query with its summary, tags and typed parameters (JSON; a page for
        browsers that prefer HTML)."""
        infos = [query_info(q) for q in catalog]
        if negotiate(request.headers.get("accept"), ["application/json", "text/html"]) != (
            "text/html"
        ):
            return infos
        links = {q.name: f"/queries/{q.name}?{urlencode(q.example_values())}" for q in catalog}
        context = {"queries": infos, "example_links": links, "formats": PAGE_FORMATS}
        language = languages_of(request, lang)[0]
        return render("queries.html", context, language=language, request=request)

    for query in catalog:
        description = (query.description + "\n\n" if query.description else "") + (
            f"Source: `queries/{query.name}.rq`. Parameters are bound as RDF terms; "
            "the default graph is the union of all graphs."
        )
        for method, operation_id in (("GET", query.name), ("POST", f"{query.name}-post")):
            routes.add_api_route(
                f"/queries/{query.name}",
                _endpoint(query),
                methods=[method],
                operation_id=operation_id,
                summary=query.summary,
                description=description,
                openapi_extra=_openapi(query, post=method == "POST"),
                response_class=Response,
            )
    return routes
