"""Errors as HTTP answers, in one place.

Every `KringloopError` becomes a status code and a body that says what was wrong and how to
fix it: JSON (``{"error", "status", "message", "hint", ...}``) by default, plain text for
clients that prefer ``text/plain``. A request can never turn a kringloop error into a 500.

The HTTP-only errors (authentication, negotiation, methods) are defined here, in the same
error tree as the core's.
"""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from kringloop.graph.errors import (
    Busy,
    ConfigError,
    FormatError,
    KringloopError,
    LimitExceeded,
    LoadError,
    NotFoundError,
    QueryError,
    QuerySyntaxError,
    QueryTimeout,
    RefusedError,
    ValidationFailure,
)
from kringloop.queries.resolve import ResolutionError


class RequestError(KringloopError):
    """A request that is malformed: missing, repeated or conflicting parameters."""


class NotAcceptable(FormatError):
    """None of the media types the client accepts can carry this answer."""


class UnsupportedMediaType(FormatError):
    """A request body in a media type the endpoint does not read (or none given)."""


class MethodNotAllowed(KringloopError):
    """An HTTP method the resource does not support."""

    def __init__(self, method: str, allow: Sequence[str], *, hint: str | None = None) -> None:
        self.allow = list(allow)
        super().__init__(
            f"{method} is not supported here",
            hint=hint or f"use {', '.join(self.allow)}",
        )


class Unauthorized(KringloopError):
    """A write without credentials."""


class Forbidden(KringloopError):
    """A write with the wrong credentials, or to a read-only service."""


class PayloadTooLarge(KringloopError):
    """A request body over the configured size."""


#: Most specific classes first: the first match decides.
STATUS: tuple[tuple[type[KringloopError], int, str], ...] = (
    (ResolutionError, 422, "unresolved"),
    (QueryTimeout, 504, "query_timeout"),
    (LimitExceeded, 400, "result_too_large"),
    (Busy, 503, "busy"),
    (QuerySyntaxError, 400, "syntax_error"),
    (QueryError, 400, "query_error"),
    (LoadError, 400, "parse_error"),
    (ValidationFailure, 422, "validation_failed"),
    (NotFoundError, 404, "not_found"),
    (RefusedError, 400, "refused"),
    (NotAcceptable, 406, "not_acceptable"),
    (UnsupportedMediaType, 415, "unsupported_media_type"),
    (FormatError, 400, "bad_format"),
    (MethodNotAllowed, 405, "method_not_allowed"),
    (Unauthorized, 401, "unauthorized"),
    (Forbidden, 403, "forbidden"),
    (PayloadTooLarge, 413, "too_large"),
    (RequestError, 400, "bad_request"),
    (ConfigError, 503, "unavailable"),
)


def status_of(error: KringloopError) -> tuple[int, str]:
    """The HTTP status and short error code for ``error`` (400 for anything else).

    >>> status_of(QueryTimeout("slow"))
    (504, 'query_timeout')
    """
    for cls, status, code in STATUS:
        if isinstance(error, cls):
            return status, code
    return 400, "bad_request"


def describe(error: KringloopError) -> dict[str, object]:
    """The JSON body for ``error``."""
    status, code = status_of(error)
    body: dict[str, object] = {"error": code, "status": status}
    if isinstance(error, ValidationFailure):
        body["message"] = (
            f"the data does not conform to the shapes: {len(error.violations)} "
            "violation(s); nothing was written"
        )
        body["hint"] = "fix the data as the violations say and send it again"
        body["violations"] = [
            {
                "focus": v.focus,
                "path": v.path,
                "message": v.message,
                "shape": v.shape,
                "severity": v.severity,
                "value": v.value,
            }
            for v in error.violations
        ]
    else:
        body["message"] = error.message
        body["hint"] = error.hint
    if isinstance(error, ResolutionError):
        body["field"], body["candidates"] = error.field, error.candidates
    position = getattr(error, "position", None)
    if position is not None and position.line is not None:
        body["line"], body["column"] = position.line, position.column
    if isinstance(error, MethodNotAllowed):
        body["allow"] = error.allow
    body["detail"] = f"{body['message']} ({body['hint']})" if body["hint"] else body["message"]
    return body


def as_text(body: dict[str, object]) -> str:
    """The plain-text form of an error body."""
    status = int(str(body["status"]))
    lines = [f"{status} {HTTPStatus(status).phrase}: {body['message']}"]
    if "line" in body:
        lines.append(f"at line {body['line']}, column {body['column']}")
    for v in body.get("violations", []):  # type: ignore[attr-defined]
        lines.append(f"- {v['focus']} {v['path'] or ''}: {v['message']}")
    if body.get("hint"):
        lines.append(f"hint: {body['hint']}")
    return "\n".join(lines) + "\n"


def response_for(error: KringloopError, accept: str | None) -> Response:
    """The HTTP response for ``error``, JSON or plain text as the client prefers."""
    from kringloop.service.negotiation import negotiate

    body = describe(error)
    status = int(str(body["status"]))
    headers: dict[str, str] = {}
    if isinstance(error, Unauthorized):
        headers["WWW-Authenticate"] = 'Bearer realm="kringloop"'
    if isinstance(error, MethodNotAllowed):
        headers["Allow"] = ", ".join(error.allow)
    if isinstance(error, Busy):
        headers["Retry-After"] = str(getattr(error, "retry_after", 5))
    if negotiate(accept, ["application/json", "text/plain"]) == "text/plain":
        return PlainTextResponse(as_text(body), status_code=status, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


async def _handle(request: Request, error: Exception) -> Response:
    assert isinstance(error, KringloopError)
    return response_for(error, request.headers.get("accept"))


def install(app: FastAPI) -> None:
    """Map every kringloop error to its HTTP answer in ``app``."""
    app.add_exception_handler(KringloopError, _handle)
