"""Matchmaking, loop census and gap analysis over HTTP (thin: the core does the work).

The GET routes answer JSON to API clients and a page to browsers (they prefer
``text/html``), as the linked-data routes do; the census also comes as CSV (``?format=csv``).
The pages are made by `kringloop.service.pages`."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials

from kringloop.graph import Store
from kringloop.graph.execution import Runner
from kringloop.queries import jobs, loops, match_record
from kringloop.queries.request import MatchRequest
from kringloop.service import pages
from kringloop.service.auth import bearer, check_writer
from kringloop.service.deps import get_store, run_read, settings_of
from kringloop.service.errors import NotAcceptable
from kringloop.service.negotiation import negotiate

router = APIRouter(tags=["matchmaking"])
CENSUS_ANSWERS: dict[int | str, dict[str, Any]] = {
    422: {"description": "a category or region kringloop cannot resolve (closest labels given)"},
    504: {"description": "the census ran over the time limit and was stopped"},
}


@router.post(
    "/match",
    summary="Ranked, explained closed-loop chains for a buyer's request",
    responses={
        400: {"description": "the body is not JSON (line and column given)"},
        401: {"description": "save: true without the bearer token"},
        403: {"description": "save: true with a wrong token, or the service is read-only"},
        422: {"description": "a field of the wrong type, or a name kringloop cannot resolve"},
        504: {"description": "the match ran over the time limit and was stopped"},
    },
    openapi_extra={"security": [{}]},  # the bearer token only for save: true
)
async def post_match(
    body: MatchRequest,
    request: Request,
    store: Annotated[Store, Depends(get_store)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> JSONResponse:
    """Internal reuse first, then chains ranked by score with every component explained; an
    empty list comes with the filter that removed the candidates. ``save: true`` stores the
    match as a PROV record (needs the write token). The whole match runs where queries run,
    within the query time limit."""
    if body.save:
        check_writer(credentials, settings_of(request), store)
    runner: Runner = request.app.state.runner
    partners = settings_of(request).max_loop_partners
    result = await run_read(runner, jobs.match_job, body, partners)
    if body.save:

        def save() -> None:
            with request.app.state.write_lock:
                match_record.save(store, result, body)

        await run_in_threadpool(save)
        result = dataclasses.replace(result, saved=True)
    return JSONResponse(result.as_json())


#: How the GET routes answer: JSON for API clients, a page for browsers, CSV on request.
Format = Annotated[
    Literal["json", "html", "csv"] | None,
    Query(description="json, html or csv (overrides Accept)"),
]
Lang = Annotated[str | None, Query(description="nl, fr or en: the language of a page")]
PAGE = {"text/html": {"schema": {"type": "string"}}}


def answer_as(request: Request, format: str | None, offers: Sequence[str]) -> str:
    """The media type to answer with: ``?format=`` or the Accept header (JSON by default;
    browsers prefer ``text/html``)."""
    if format:
        return {"json": "application/json", "html": "text/html", "csv": "text/csv"}[format]
    chosen = negotiate(request.headers.get("accept"), offers)
    if chosen is None:
        raise NotAcceptable(
            f"cannot answer in any of the accepted types ({request.headers.get('accept')})",
            hint=f"accept one of {', '.join(offers)}",
        )
    return chosen


@router.get(
    "/match/{match_id}",
    summary="A stored match, as recorded in the matches graph",
    response_model=None,
    responses={
        200: {
            "description": "the record as JSON, or its page (with provenance) for browsers",
            "content": {"application/json": {}, **PAGE},
        },
        404: {"description": "no stored match with this id"},
        406: {"description": "none of the accepted types is JSON or HTML"},
    },
)
def get_match(
    match_id: str,
    request: Request,
    store: Annotated[Store, Depends(get_store)],
    lang: Lang = None,
) -> dict[str, Any] | Response:
    record = match_record.load(store, match_id)
    if answer_as(request, None, ["application/json", "text/html"]) == "text/html":
        return pages.stored(request, store, record, lang)
    return record


Category = Annotated[
    str | None,
    Query(description="a product type, or a CPV code or label (every product type under it)"),
]
Region = Annotated[str | None, Query(description="a region: label, slug, NUTS code or IRI")]
CENSUS_PAGES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "JSON, or a page for browsers, or CSV (?format=csv)",
        "content": {"application/json": {}, **PAGE, "text/csv": {"schema": {"type": "string"}}},
    },
    **CENSUS_ANSWERS,
    406: {"description": "none of the accepted types is JSON, HTML or CSV"},
}
CENSUS_TYPES = ["application/json", "text/html", "text/csv"]
Table = Annotated[
    Literal["loops", "demand"],
    Query(description="which table ?format=csv holds: the loops (default) or the demand"),
]


@router.get(
    "/loops",
    summary="Closed, promised and open loops per category and region",
    response_model=None,
    responses=CENSUS_PAGES,
)
async def get_loops(
    request: Request,
    category: Category = None,
    region: Region = None,
    format: Format = None,
    lang: Lang = None,
    table: Table = "loops",
) -> dict[str, Any] | Response:
    """The loop census, offer by offer: closed, promised (take-back promised, but nothing in the
    graph backs it) and open loops per category and region; and the demand: per category and
    region, how many needs and tender lots (and lots asking for a circular solution) there
    are, which buyers ask, and how many a closed loop within their distance serves. Browsers
    get the page; ``?format=csv`` the loops table (``&table=demand``: the demand table)."""
    media = answer_as(request, format, CENSUS_TYPES)
    if media != "application/json":
        return await pages.census(request, "loops", media, category, region, lang, table)
    census = await _census(request, category, region)
    return {
        "cells": [dataclasses.asdict(c) for c in census.cells],
        "loops": [dataclasses.asdict(lp) for lp in census.loops],
        "demand": [dataclasses.asdict(d) for d in census.demand],
        "closed": census.count("closed"),
        "promised": census.count("promised"),
        "open": census.count("open"),
    }


@router.get(
    "/loops/gaps",
    summary="Loops that cannot close, the missing role, the bottlenecks",
    response_model=None,
    responses=CENSUS_PAGES,
)
async def get_gaps(
    request: Request,
    category: Category = None,
    region: Region = None,
    format: Format = None,
    lang: Lang = None,
    page: Annotated[
        int, Query(ge=1, description="the page's gaps: the n-th hundred (JSON and CSV hold all)")
    ] = 1,
) -> dict[str, Any] | Response:
    """One line per offer whose loop does not close (with the missing role, the organisations
    that would close it and the smallest change), needs without a closed loop, processors whose
    flows lead nowhere, and the partners many loops depend on. Browsers get the page (a hundred
    gaps per page); ``?format=csv`` all the gaps."""
    media = answer_as(request, format, CENSUS_TYPES)
    if media != "application/json":
        return await pages.census(request, "gaps", media, category, region, lang, number=page)
    census = await _census(request, category, region)
    return {
        "gaps": [dataclasses.asdict(g) for g in census.gaps],
        "bottlenecks": [dataclasses.asdict(b) for b in census.bottlenecks],
    }


async def _census(request: Request, category: str | None, region: str | None) -> loops.Census:
    """The loop census, computed where queries run (within the time limit)."""
    settings = settings_of(request)
    runner: Runner = request.app.state.runner.with_limit(settings.census_timeout_s)
    return await run_read(runner, jobs.census_job, settings.max_loop_partners, category, region)
