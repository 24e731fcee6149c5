"""Matchmaking, loop census and gap analysis over HTTP (thin: the core does the work)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials

from kringloop.graph import Store
from kringloop.graph.execution import Runner
from kringloop.queries import jobs, loops, match_record
from kringloop.queries.request import MatchRequest
from kringloop.service.auth import bearer, check_writer
from kringloop.service.deps import get_store, run_read, settings_of

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


@router.get(
    "/match/{match_id}",
    summary="A stored match, as recorded in the matches graph",
    responses={404: {"description": "no stored match with this id"}},
)
def get_match(match_id: str, store: Annotated[Store, Depends(get_store)]) -> dict[str, Any]:
    return match_record.load(store, match_id)


Category = Annotated[
    str | None,
    Query(description="a product type, or a CPV code or label (every product type under it)"),
]
Region = Annotated[str | None, Query(description="a region: label, slug, NUTS code or IRI")]


@router.get(
    "/loops",
    summary="Closed, promised and open loops per category and region",
    responses=CENSUS_ANSWERS,
)
def get_loops(request: Request, category: Category = None, region: Region = None) -> dict[str, Any]:
    """The loop census, offer by offer: closed, promised (take-back promised, but nothing in the
    graph backs it) and open loops per category and region; and the demand: per category and
    region, how many needs and tender lots (and lots asking for a circular solution) there
    are, which buyers ask, and how many a closed loop within their distance serves."""
    census = _census(request, category, region)
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
    responses=CENSUS_ANSWERS,
)
def get_gaps(request: Request, category: Category = None, region: Region = None) -> dict[str, Any]:
    """One line per offer whose loop does not close (with the missing role, the organisations
    that would close it and the smallest change), needs without a closed loop, processors whose
    flows lead nowhere, and the partners many loops depend on."""
    census = _census(request, category, region)
    return {
        "gaps": [dataclasses.asdict(g) for g in census.gaps],
        "bottlenecks": [dataclasses.asdict(b) for b in census.bottlenecks],
    }


def _census(request: Request, category: str | None, region: str | None) -> loops.Census:
    """The loop census, computed where queries run (within the time limit)."""
    runner: Runner = request.app.state.runner
    partners = settings_of(request).max_loop_partners
    return runner.call(jobs.census_job, partners, category, region)
