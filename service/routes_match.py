"""Matchmaking, loop census and gap analysis over HTTP (thin: the core does the work)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
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


@router.get(
    "/loops", summary="Closed and open loops per category and region", responses=CENSUS_ANSWERS
)
def get_loops(
    request: Request,
    category: str | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """The loop census, offer by offer: closed, promised (take-back promised, but nothing in the
    graph backs it) and open loops per category and region; ``category`` and ``region`` (IRIs
    or their last path segment) narrow it."""
    census = _census(request)
    cells = [
        c for c in census.cells if _matches(c.category, category) and _matches(c.region, region)
    ]
    found = [
        lp for lp in census.loops if _matches(lp.category, category) and _matches(lp.region, region)
    ]
    return {
        "cells": [dataclasses.asdict(c) for c in cells],
        "loops": [dataclasses.asdict(lp) for lp in found],
        "closed": len(found),
        "promised": sum(c.promised for c in cells),
        "open": sum(c.open for c in cells),
    }


@router.get(
    "/loops/gaps",
    summary="Loops that cannot close, the missing role, the bottlenecks",
    responses=CENSUS_ANSWERS,
)
def get_gaps(request: Request) -> dict[str, Any]:
    census = _census(request)
    return {
        "gaps": [dataclasses.asdict(g) for g in census.gaps],
        "bottlenecks": [dataclasses.asdict(b) for b in census.bottlenecks],
    }


def _census(request: Request) -> loops.Census:
    """The loop census, computed where queries run (within the time limit)."""
    runner: Runner = request.app.state.runner
    return runner.call(jobs.census_job, settings_of(request).max_loop_partners)


def _matches(iri: str, wanted: str | None) -> bool:
    return wanted is None or iri == wanted or iri.rsplit("/", 1)[-1] == wanted
