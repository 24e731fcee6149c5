"""Errors as HTTP answers, in one place.

Every error becomes a status code and one body that says what was wrong and how to fix it:
JSON (`ErrorBody`: ``{"error", "status", "message", "hint", "detail", ...}``) by default,
plain text for clients that prefer ``text/plain``, and for browsers (which prefer
``text/html``) a page in the reader's language (`page_errors`). That holds for kringloop's
own errors and for the framework's: request validation (422, naming the fields), bodies that
do not parse (400, with line and column), unknown routes (404) and methods (405, with
``Allow``), and a fault in kringloop itself (500). A request can never turn a kringloop
error into a 500.

The HTTP-only errors (authentication, negotiation, methods) are defined here, in the same
error tree as the core's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from kringloop.graph.eforms.read import NoticeError
from kringloop.graph.errors import (
    Busy,
    ConfigError,
    FormatError,
    KringloopError,
    LimitExceeded,
    LoadError,
    NotFoundError,
    Position,
    QueryError,
    QuerySyntaxError,
    QueryTimeout,
    RefusedError,
    ValidationFailure,
)
from kringloop.queries.resolve import ResolutionError


class RequestError(KringloopError):
    """A request that is malformed: missing, repeated or conflicting parameters."""


class BodyParseError(RequestError):
    """A request body that does not parse as the JSON its Content-Type says it is."""

    def __init__(
        self,
        message: str,
        *,
        position: Position | None = None,
        hint: str | None = 'send a JSON object, such as {"name": "value"}',
    ) -> None:
        self.position = position or Position()
        super().__init__(message, hint=hint)


class InvalidRequest(RequestError):
    """Parameters or a body that do not fit the operation's declared types (the framework's
    request validation); ``issues`` are its findings, as FastAPI reports them."""

    def __init__(self, issues: Sequence[Mapping[str, Any]]) -> None:
        self.issues = [dict(issue) for issue in issues]
        message, hint = validation_message(self.issues)
        super().__init__(message, hint=hint)


class InternalError(KringloopError):
    """A fault in kringloop itself, not in the request."""


class HTTPProblem(KringloopError):
    """Any other HTTP error the framework raises, with its own status and headers."""

    def __init__(
        self, status: int, message: str, *, hint: str | None, headers: Mapping[str, str]
    ) -> None:
        self.status = status
        self.headers = dict(headers)
        super().__init__(message, hint=hint)


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
    (NoticeError, 422, "invalid_notice"),
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
    (BodyParseError, 400, "parse_error"),
    (InvalidRequest, 422, "invalid_request"),
    (RequestError, 400, "bad_request"),
    (ConfigError, 503, "unavailable"),
    (InternalError, 500, "internal_error"),
)


def status_of(error: KringloopError) -> tuple[int, str]:
    """The HTTP status and short error code for ``error`` (400 for anything else).

    >>> status_of(QueryTimeout("slow"))
    (504, 'query_timeout')
    >>> status_of(HTTPProblem(409, "in use", hint=None, headers={}))
    (409, 'conflict')
    """
    if isinstance(error, HTTPProblem):
        return error.status, HTTPStatus(error.status).phrase.lower().replace(" ", "_")
    for cls, status, code in STATUS:
        if isinstance(error, cls):
            return status, code
    return 400, "bad_request"


#: The hint of an error that brings none of its own, by status (0: any other).
FALLBACK_HINTS = {
    0: "see /docs for what each operation takes and answers",
    400: "correct the request as the message says; /docs describes every operation",
    404: "see /docs for the operations, GET /queries for the named queries",
    406: "accept one of the media types /docs lists for this operation",
}


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
        body["hint"] = error.hint or FALLBACK_HINTS.get(status, FALLBACK_HINTS[0])
    if isinstance(error, ResolutionError):
        body["field"], body["candidates"] = error.field, error.candidates
    position = getattr(error, "position", None)
    if position is not None and position.line is not None:
        body["line"], body["column"] = position.line, position.column
    if isinstance(error, MethodNotAllowed):
        body["allow"] = error.allow
    if isinstance(error, InvalidRequest):  # FastAPI's own list, as clients have read it
        body["detail"] = jsonable_encoder(error.issues)
    else:
        body["detail"] = f"{body['message']} ({body['hint']})" if body["hint"] else body["message"]
    return body


class ViolationBody(BaseModel):
    """One SHACL result in a 422 error body."""

    focus: str
    path: str | None
    message: str
    shape: str | None
    severity: str
    value: str | None


class ErrorBody(BaseModel):
    """kringloop's error body: every 4xx and 5xx answer in JSON has this shape (plain text,
    for clients that prefer ``text/plain``, says the same in lines)."""

    model_config = ConfigDict(title="Error")

    error: str = Field(description="short code: not_found, syntax_error, invalid_request, ...")
    status: int = Field(description="the HTTP status code, repeated")
    message: str = Field(description="what was wrong, and where")
    hint: str | None = Field(description="how to fix it")
    detail: str | list[dict[str, Any]] = Field(
        description="message and hint in one text; for request validation errors (422) "
        "FastAPI's list of findings, each with loc, msg and type"
    )
    line: int | None = Field(None, description="where a body or query does not parse")
    column: int | None = None
    allow: list[str] | None = Field(None, description="the methods the resource supports (405)")
    field: str | None = Field(None, description="the request field that was not understood")
    candidates: list[str] | None = Field(None, description="what the field may have meant")
    violations: list[ViolationBody] | None = Field(
        None, description="the SHACL report, when data does not conform to the shapes"
    )


def _where(loc: Sequence[object]) -> str:
    return ".".join(str(part) for part in loc) or "request"


def validation_message(issues: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    """The message and hint for the findings of FastAPI's request validation.

    >>> wrong = {"loc": ("body", "quantity"), "type": "int_parsing", "msg": "Input should be a "
    ...          "valid integer"}
    >>> missing = {"loc": ("query", "iri"), "type": "missing", "msg": "Field required"}
    >>> message, hint = validation_message([wrong, missing])
    >>> message
    'body.quantity: Input should be a valid integer; query.iri: Field required'
    >>> hint
    'correct body.quantity (see /docs for every parameter and its type)'
    """
    parts = []
    for issue in issues:
        msg = str(issue.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{_where(issue.get('loc', ()))}: {msg}")
    first = issues[0] if issues else {}
    where, kind = _where(first.get("loc", ())), first.get("type")
    if where == "body" and kind in ("missing", "model_attributes_type", "dict_type"):
        hint = "send the body as a JSON object, with Content-Type: application/json"
    elif kind == "missing":
        hint = f"add {where}"
    elif kind == "extra_forbidden":
        hint = f"leave out {where}: this request has no such field"
    else:
        hint = f"correct {where}"
    return "; ".join(
        parts
    ) or "the request is not valid", f"{hint} (see /docs for every parameter and its type)"


def json_body_error(error: ValueError) -> BodyParseError:
    r"""The 400 for a request body that is not JSON (bad syntax, or not UTF-8 text).

    >>> err = json_body_error(json.JSONDecodeError("Expecting value", '{"a":\n  }', 8))
    >>> err.message, err.position.line, err.position.column
    ('the JSON body does not parse: Expecting value (line 2, column 3)', 2, 3)
    """
    if isinstance(error, json.JSONDecodeError):
        return BodyParseError(
            f"the JSON body does not parse: {error.msg} "
            f"(line {error.lineno}, column {error.colno})",
            position=Position(error.lineno, error.colno),
        )
    if isinstance(error, UnicodeDecodeError):
        return BodyParseError(
            f"the JSON body is not UTF-8 text: byte {error.object[error.start]:#04x} at "
            f"offset {error.start} cannot be decoded",
            hint="send JSON as UTF-8 text",
        )
    return BodyParseError(f"the JSON body does not parse: {error}")


def from_validation(error: RequestValidationError) -> KringloopError:
    """FastAPI's request validation error as a kringloop error: 400 for a body that is not
    JSON at all, else 422 naming every field that is wrong."""
    issues = list(error.errors())
    broken = next((i for i in issues if i.get("type") == "json_invalid"), None)
    if broken is not None:
        document = error.body if isinstance(error.body, str) else ""
        loc = broken.get("loc", ())
        position = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else 0
        reason = str(broken.get("ctx", {}).get("error", "JSON decode error"))
        return json_body_error(json.JSONDecodeError(reason, document, position))
    return InvalidRequest(issues)


#: The order methods are listed in, in ``Allow``.
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request, routed: str = "") -> list[str]:
    """The methods the request's path supports: those its OpenAPI document lists for the
    path, and ``routed`` (the ``Allow`` the router found, a route outside the document)."""
    found = {m.strip().upper() for m in routed.split(",") if m.strip()}
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            found |= {method.upper() for method in operations}
    return sorted(found, key=lambda m: (METHODS.index(m) if m in METHODS else len(METHODS), m))


def from_http(request: Request, error: HTTPException) -> KringloopError:
    """A Starlette/FastAPI HTTP error (routing, body reading) as a kringloop error."""
    cause = error.__cause__
    if isinstance(cause, KringloopError):  # raised while the framework read the body
        return cause
    if error.status_code == 404:
        return NotFoundError(
            f"there is nothing at {request.url.path}",
            hint="see /docs for the operations of this service",
        )
    if error.status_code == 405:
        routed = (error.headers or {}).get("Allow", "")
        return MethodNotAllowed(request.method, allowed_methods(request, routed))
    if error.status_code == 400 and isinstance(cause, ValueError):
        return json_body_error(cause)
    phrase = HTTPStatus(error.status_code).phrase
    message = str(error.detail) if error.detail and error.detail != phrase else phrase.lower()
    return HTTPProblem(error.status_code, message, hint=None, headers=error.headers or {})


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


def response_for(
    error: KringloopError,
    accept: str | None,
    *,
    request: Request | None = None,
) -> Response:
    """The HTTP response for ``error``: JSON, plain text, or (for browsers, which prefer
    ``text/html``) an error page in the reader's language."""
    from kringloop.service.negotiation import negotiate

    body = describe(error)
    status = int(str(body["status"]))
    headers: dict[str, str] = dict(error.headers) if isinstance(error, HTTPProblem) else {}
    if isinstance(error, Unauthorized):
        headers["WWW-Authenticate"] = 'Bearer realm="kringloop"'
    if isinstance(error, MethodNotAllowed):
        headers["Allow"] = ", ".join(error.allow)
    if isinstance(error, Busy):
        headers["Retry-After"] = str(getattr(error, "retry_after", 5))
    chosen = negotiate(accept, ["application/json", "text/plain", "text/html"])
    if chosen == "text/plain":
        return PlainTextResponse(as_text(body), status_code=status, headers=headers)
    if chosen == "text/html":
        page = _page(error, body, status, request)
        page.headers.update(headers)
        return page
    return JSONResponse(body, status_code=status, headers=headers)


def _page(
    error: KringloopError, body: dict[str, object], status: int, request: Request | None
) -> Response:
    from kringloop.service.i18n import page_languages
    from kringloop.service.page_errors import error_page

    asked = request.query_params.get("lang") if request is not None else None
    language = page_languages(
        request.headers.get("accept-language") if request is not None else None, asked
    )[0]
    technical = "" if isinstance(error, InternalError) else as_text(body).strip()
    return error_page(
        error,
        status,
        language=language,
        path=request.url.path if request is not None else "/",
        pairs=list(request.query_params.multi_items()) if request is not None else [],
        technical=technical,
    )


async def _handle(request: Request, error: Exception) -> Response:
    assert isinstance(error, KringloopError)
    return response_for(error, request.headers.get("accept"), request=request)


async def _invalid(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    return response_for(from_validation(error), request.headers.get("accept"), request=request)


async def _http(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    return response_for(from_http(request, error), request.headers.get("accept"), request=request)


async def _fault(request: Request, error: Exception) -> Response:
    fault = InternalError(
        "the service failed while answering this request",
        hint="this is a fault in kringloop, not in the request; the server log has the details",
    )
    return response_for(fault, request.headers.get("accept"), request=request)


def install(app: FastAPI) -> None:
    """Give every error ``app`` can answer with the one error body: kringloop's own, the
    framework's request validation and HTTP errors, and unexpected faults (500)."""
    app.add_exception_handler(KringloopError, _handle)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _fault)
