"""The OpenAPI document, true to what the service answers, and its page at ``/docs``.

Routes declare their own answers (``responses=`` with the media types they negotiate and the
error statuses they raise); `install` then completes the document with what holds for every
operation alike:

- every 4xx and 5xx answer carries the one error body (`ErrorBody`, the component ``Error``)
  as JSON, or as plain text for clients that prefer ``text/plain``, or as a page in the
  reader's language for browsers (which prefer ``text/html``);
- FastAPI's 422 with its ``HTTPValidationError`` is replaced by that body, and kept only where
  a parameter or body can really fail validation (a required or typed one);
- 503 on every operation but ``/healthz`` and ``/metrics`` (the concurrency limit), 413 on
  every operation with a request body (the body-size limit), each with its headers.

``/docs`` serves Swagger UI from ``static/swagger/`` (FastAPI's default page loads it from a
CDN); ReDoc, which needs a CDN, is off.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from kringloop.service.errors import ErrorBody
from kringloop.service.limits import ALWAYS_ANSWERED

ERROR_REF = {"$ref": "#/components/schemas/Error"}
#: The error answers every operation can give, as its limits apply to all.
BUSY = {
    "description": "too many requests in flight, or every worker busy (see Retry-After)",
    "headers": {
        "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}},
    },
}
TOO_LARGE = {"description": "the request body is larger than the service's limit"}
INVALID = {"description": "a parameter or body field of the wrong type, or missing"}
UNAUTHORIZED_HEADERS = {
    "WWW-Authenticate": {
        "description": 'Bearer realm="kringloop"',
        "required": True,
        "schema": {"type": "string"},
    }
}
#: Schema keywords that make a text value fail validation.
_CONSTRAINTS = {
    "const",
    "enum",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "format",
    "maxItems",
    "maxLength",
    "maximum",
    "minItems",
    "minLength",
    "minimum",
    "pattern",
}


def can_fail(schema: dict[str, Any]) -> bool:
    """Whether a value sent as text can fail validation against ``schema``.

    >>> can_fail({"anyOf": [{"type": "string"}, {"type": "null"}]})
    False
    >>> can_fail({"type": "array", "items": {"type": "string"}})
    False
    >>> can_fail({"type": "integer", "minimum": 1}), can_fail({"$ref": "#/x"})
    (True, True)
    """
    options = schema.get("anyOf") or schema.get("oneOf") or [schema]
    for option in options:
        kind = option.get("type")
        if "$ref" in option or _CONSTRAINTS & set(option):
            return True
        if kind == "array":
            if can_fail(option.get("items", {})):
                return True
        elif kind not in ("string", "null", None):
            return True
    return False


def validates(operation: dict[str, Any]) -> bool:
    """Whether FastAPI's request validation can refuse a request to ``operation``."""
    for parameter in operation.get("parameters", []):
        required = parameter.get("required") and parameter.get("in") != "path"
        if required or can_fail(parameter.get("schema", {})):
            return True
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    return bool(body) and can_fail(body.get("schema", {}))


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    """Complete the OpenAPI document FastAPI built (see the module docstring)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    error = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(error.pop("$defs", {}))
    components["Error"] = error
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            generated = responses.get("422", {}).get("content", {}).get("application/json", {})
            if "HTTPValidationError" in str(generated.get("schema", "")):
                del responses["422"]
                if validates(operation):
                    responses["422"] = dict(INVALID)
            if path not in ALWAYS_ANSWERED:
                responses.setdefault("503", {}).update(BUSY)
            if "requestBody" in operation:
                responses.setdefault("413", dict(TOO_LARGE))
            if "401" in responses:
                responses["401"].setdefault("headers", UNAUTHORIZED_HEADERS)
            for code, answer in responses.items():
                if int(code) >= 400:
                    content = answer.setdefault("content", {})
                    content["application/json"] = {"schema": ERROR_REF}
                    content.setdefault("text/plain", {"schema": {"type": "string"}})
                    content.setdefault("text/html", {"schema": {"type": "string"}})
    return schema


DOCS_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>kringloop API</title>
<link rel="icon" type="image/png" href="/static/swagger/favicon-32x32.png">
<link rel="stylesheet" href="/static/swagger/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script src="/static/swagger/init.js"></script>
</body>
</html>
"""


def install(app: FastAPI) -> None:
    """Complete ``app``'s OpenAPI document and serve ``/docs`` (create the app with
    ``docs_url=None``)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if not app.openapi_schema:
            app.openapi_schema = complete(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE)
