"""``POST /eforms/notices``: one procurement notice (eForms XML) into the store (thin)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from kringloop.graph import Store
from kringloop.graph.eforms.imports import import_bytes
from kringloop.graph.validate import ShapesValidator
from kringloop.service.auth import require_writer
from kringloop.service.deps import get_settings, get_store, get_validator
from kringloop.service.errors import UnsupportedMediaType
from kringloop.service.settings import Settings
from kringloop.service.sparql import read_body

router = APIRouter(tags=["procurement notices"])
XML = ("application/xml", "text/xml")
_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "the notice is already in the store as it is, or a newer version is"},
    201: {"description": "the notice was imported (or replaced the notice it changes)"},
    400: {"description": "not well-formed XML (line and column given)"},
    401: {"description": "no bearer token"},
    403: {"description": "wrong token, or the service is read-only"},
    413: {"description": "body too large"},
    415: {"description": "a Content-Type other than application/xml"},
    422: {
        "description": "not a valid notice (line and element given), or the data it gives "
        "does not conform to the shapes; nothing was written"
    },
}


@router.post(
    "/eforms/notices",
    summary="Import one eForms notice (prior information, contract or award notice)",
    dependencies=[Depends(require_writer)],
    responses=_ANSWERS,
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {m: {"schema": {"type": "string"}} for m in XML},
        }
    },
)
async def post_notice(
    request: Request,
    store: Annotated[Store, Depends(get_store)],
    settings: Annotated[Settings, Depends(get_settings)],
    validator: Annotated[ShapesValidator | None, Depends(get_validator)],
) -> JSONResponse:
    """The notice's lots become needs of its buyer, its award results contract awards, all in
    the notice's own named graph (replaced whole, checked against the shapes first). Sending
    the same notice again changes nothing; a change notice replaces the notice it changes."""
    media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media not in XML:
        raise UnsupportedMediaType(
            f"a notice is XML, not {media or 'a body without Content-Type'}",
            hint="send it with Content-Type: application/xml",
        )
    body = await read_body(request, settings.max_body_bytes)
    lock = request.app.state.write_lock

    def write() -> dict[str, Any]:
        with lock:
            done = import_bytes(store, body, source="request body", validator=validator)
        return dataclasses.asdict(done)

    result = await run_in_threadpool(write)
    fresh = result["status"] in ("imported", "replaced")
    return JSONResponse(result, status_code=201 if fresh else 200)
