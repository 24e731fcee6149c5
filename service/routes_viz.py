"""The graph pages: the neighbourhood of a resource, the chains of a match, the loops.

Thin: parse, build the page's graph in a query worker (a job of `kringloop.queries.jobs`, so
the query time limit stops it and a page over it is answered 504), render with
`kringloop.service.viz`. Pages load vis-network from ``/viz/lib`` on this host and carry a
Content-Security-Policy with a fresh nonce.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from kringloop.graph.errors import NotFoundError
from kringloop.queries import jobs, visual
from kringloop.queries.visual import VizError, VizGraph
from kringloop.service import i18n, match_form, viz
from kringloop.service.deps import run_read, settings_of
from kringloop.service.errors import RequestError
from kringloop.service.routes_ui import preferred_languages

router = APIRouter(prefix="/viz", tags=["graph pages"])

Lang = Annotated[str | None, Query(description="en, nl or fr (else Accept-Language)")]
Cap = Annotated[int, Query(ge=1, le=5000, description="at most this many nodes are drawn")]


def _page(request: Request, graph: VizGraph, back: str | None = None) -> HTMLResponse:
    """The page of ``graph`` (run in the thread pool: 2,000 nodes take 0.1-0.2 s to render)."""
    nonce = viz.new_nonce()
    pairs = list(request.query_params.multi_items())
    switch = i18n.switch(request.url.path, pairs, graph.language)
    body = viz.render(graph, nonce=nonce, inline=False, switch=switch, back=back)
    return HTMLResponse(body, headers=dict(viz.headers_for(graph.language, nonce)))


def _languages(request: Request, lang: str | None) -> list[str]:
    return preferred_languages(request.headers.get("accept-language"), lang)


@router.get(
    "/neighbourhood",
    response_class=HTMLResponse,
    summary="The neighbourhood of a resource",
    responses={
        400: {"description": "not an IRI"},
        404: {"description": "the graph says nothing about the resource"},
        504: {"description": "the page ran over the time limit and was stopped"},
    },
)
async def neighbourhood(
    request: Request,
    iri: Annotated[str, Query(description="the resource at the centre")],
    depth: Annotated[int, Query(ge=1, le=3, description="links away from the centre")] = 1,
    role: Annotated[str | None, Query(description="organisations playing this role")] = None,
    strategy: Annotated[str | None, Query(description="offers with this strategy")] = None,
    business_model: Annotated[str | None, Query(description="offers with this model")] = None,
    category: Annotated[str | None, Query(description="product type, CPV code or label")] = None,
    region: Annotated[str | None, Query(description="region slug or IRI")] = None,
    lang: Lang = None,
    cap: Cap = visual.DEFAULT_CAP,
) -> HTMLResponse:
    """Organisations, offers, product types, processes, flows and places around ``iri``."""
    filters = visual.Filters(role, strategy, business_model, category, region)
    languages = _languages(request, lang)
    runner = request.app.state.runner
    graph = await run_read(runner, jobs.neighbourhood_job, iri, depth, filters, languages, cap)
    return await run_in_threadpool(_page, request, graph)


@router.get(
    "/match",
    response_class=HTMLResponse,
    summary="The chains of a match, as loops",
    responses={
        400: {"description": "neither id nor what and near, or a match that cannot be made"},
        404: {"description": "no stored match with this id"},
        422: {"description": "a parameter of the wrong type, or a name that does not resolve"},
        504: {"description": "the match ran over the time limit and was stopped"},
    },
)
async def match(
    request: Request,
    id: Annotated[str | None, Query(description="a stored match (POST /match with save)")] = None,
    what: Annotated[str | None, Query(description="CPV code, product type or label")] = None,
    near: Annotated[str | None, Query(description="place name or postcode")] = None,
    within_km: Annotated[float, Query(gt=0, le=1000)] = 50,
    quantity: Annotated[float | None, Query(gt=0)] = None,
    top: Annotated[int, Query(ge=1, le=50)] = 5,
    business_models: Annotated[
        list[str] | None, Query(description="accepted business models (slugs or labels)")
    ] = None,
    lang: Lang = None,
) -> HTMLResponse:
    """A stored match by ``id``, or a fresh one for ``what`` near ``near`` (and any other
    field of the request, named as the request form names them: see ``/find``)."""
    languages = _languages(request, lang)
    runner = request.app.state.runner
    if id is not None:
        graph = await run_read(runner, jobs.stored_match_graph_job, id, languages)
        back = f"/match/{quote(id)}?lang={languages[0]}"
        return await run_in_threadpool(_page, request, graph, back)
    if not what:
        raise VizError("say which match", hint="give id=..., or what=... and near=...")
    pairs = [
        ("top_k" if k == "top" else k, v)
        for k, v in request.query_params.multi_items()
        if k not in ("cap",)
    ]
    form = match_form.parse(pairs)
    if form.request is None:
        problems = "; ".join(f"{e.field}: {e.code}" for e in form.errors)
        raise RequestError(
            f"this match cannot be made: {problems}",
            hint="see POST /match in /docs for what each field takes",
        )
    partners = settings_of(request).max_loop_partners
    graph = await run_read(runner, jobs.match_graph_job, form.request, partners, languages)
    back = "/find?" + match_form.query(form.request, language=languages[0])
    return await run_in_threadpool(_page, request, graph, back)


@router.get(
    "/loops",
    response_class=HTMLResponse,
    summary="Closed and open loops",
    responses={504: {"description": "the page ran over the time limit and was stopped"}},
)
async def loops(
    request: Request,
    category: Annotated[str | None, Query(description="product type IRI or slug")] = None,
    region: Annotated[str | None, Query(description="region IRI or slug")] = None,
    lang: Lang = None,
    cap: Cap = visual.DEFAULT_CAP,
) -> HTMLResponse:
    """Every closed loop and every gap (with its missing role) of the loop census."""
    languages = _languages(request, lang)
    # the census under the page reads the whole graph: the census's time limit, not a query's
    runner = request.app.state.runner.with_limit(settings_of(request).census_timeout_s)
    graph = await run_read(runner, jobs.loops_graph_job, category, region, languages, cap)
    query = urlencode([(k, v) for k, v in (("category", category), ("region", region)) if v])
    back = f"/loops?{query}&lang={languages[0]}".replace("?&", "?")
    return await run_in_threadpool(_page, request, graph, back)


@router.get("/lib/{name}", include_in_schema=False)
def library(name: str) -> Response:
    """vis-network's JS and CSS (pyvis's bundled copy), served from this host."""
    if name not in viz.ASSETS:
        raise NotFoundError(f"no file {name!r} under /viz/lib")
    headers = {"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}
    return Response(viz.asset(name), media_type=viz.ASSETS[name], headers=headers)
