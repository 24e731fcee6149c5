"""Limits and headers that hold for every request: body size, concurrency, HTML headers.

Pure ASGI middleware (nothing buffers a streamed answer):

- `BodyLimit`: a body over its limit is refused with 413 before the route sees it. The SPARQL
  and Graph Store endpoints take ``max_body_bytes`` (data can be large), every other route
  ``max_json_body_bytes`` (matchmaking, named queries, forms). A declared ``Content-Length``
  is checked first; a chunked body is read up to the limit and handed on.
- `ConcurrencyLimit`: at most ``max_concurrent_requests`` requests in flight; beyond that 503
  with ``Retry-After`` at once, instead of a queue that grows until everything times out.
  ``/healthz`` and ``/metrics`` are never refused.
- `SecurityHeaders`: every HTML answer gets the pages' security headers (CSP, nosniff,
  no referrer, no framing), whichever route made it; every answer gets ``nosniff``.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kringloop.graph.errors import Busy
from kringloop.service.errors import PayloadTooLarge, response_for
from kringloop.service.routes_ui import SECURITY_HEADERS

#: Routes whose bodies are RDF or SPARQL and take the large limit.
DATA_ROUTES = ("/sparql", "/query", "/update", "/store")
#: Routes that answer even when the service is saturated.
ALWAYS_ANSWERED = ("/healthz", "/metrics")


def _accept(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"accept":
            return str(value.decode("latin-1"))
    return None


async def _send_error(error: Exception, scope: Scope, receive: Receive, send: Send) -> None:
    from kringloop.graph.errors import KringloopError

    assert isinstance(error, KringloopError)
    await response_for(error, _accept(scope))(scope, receive, send)


def too_large(limit: int, *, data_route: bool) -> PayloadTooLarge:
    setting = "KRINGLOOP_MAX_BODY_BYTES" if data_route else "KRINGLOOP_MAX_JSON_BODY_BYTES"
    return PayloadTooLarge(
        f"the request body is larger than {limit} bytes (the service's limit)",
        hint=f"send less, or ask the operator to raise {setting}",
    )


class BodyLimit:
    """Refuse request bodies over the limit of their route with 413."""

    def __init__(self, app: ASGIApp, *, data_limit: int, other_limit: int) -> None:
        self.app = app
        self.data_limit = data_limit
        self.other_limit = other_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        data_route = path in DATA_ROUTES
        limit = self.data_limit if data_route else self.other_limit
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None:
            if declared.isdigit() and int(declared) > limit:
                await _send_error(too_large(limit, data_route=data_route), scope, receive, send)
                return
            await self.app(scope, self._counting(receive, limit, data_route), send)
            return
        if b"chunked" not in headers.get(b"transfer-encoding", b""):
            await self.app(scope, receive, send)
            return
        # A chunked body: read it up to the limit, then replay it.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _send_error(too_large(limit, data_route=data_route), scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    def _counting(receive: Receive, limit: int, data_route: bool) -> Receive:
        """A receive that fails once more than ``limit`` bytes came (a body longer than its
        Content-Length is cut by the server; this is the second lock on the door)."""
        size = 0

        async def counted() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > limit:
                    raise too_large(limit, data_route=data_route)
            return message

        return counted


class Gate:
    """How many requests are in flight, and the limit (one per app; read by tests)."""

    def __init__(self, limit: int, *, retry_after_s: int = 1) -> None:
        self.limit = limit
        self.retry_after_s = retry_after_s
        self.in_flight = 0
        self.refused = 0


class ConcurrencyLimit:
    """At most ``gate.limit`` requests in flight; the next ones get 503 and ``Retry-After``."""

    def __init__(self, app: ASGIApp, *, gate: Gate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gate = self.gate
        if scope["type"] != "http" or str(scope.get("path", "")) in ALWAYS_ANSWERED:
            await self.app(scope, receive, send)
            return
        if gate.in_flight >= gate.limit:
            gate.refused += 1
            error = Busy(
                f"the service is answering {gate.in_flight} requests, its limit; "
                "this one was not started",
                hint=f"try again in {gate.retry_after_s} s",
            )
            error.retry_after = gate.retry_after_s  # type: ignore[attr-defined]
            await _send_error(error, scope, receive, send)
            return
        gate.in_flight += 1  # one event loop: no lock needed
        try:
            await self.app(scope, receive, send)
        finally:
            gate.in_flight -= 1


class SecurityHeaders:
    """Security headers on every HTML answer; ``nosniff`` on every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.html = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                wanted = self.html if content_type.startswith(b"text/html") else self.html[1:2]
                headers += [(k, v) for k, v in wanted if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)


def install(
    app: FastAPI,
    *,
    max_body_bytes: int,
    max_json_body_bytes: int,
    max_concurrent_requests: int,
) -> Gate:
    """Add the limits and headers to ``app``; returns its concurrency gate."""
    gate = Gate(max_concurrent_requests)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, data_limit=max_body_bytes, other_limit=max_json_body_bytes)
    app.add_middleware(ConcurrencyLimit, gate=gate)
    return gate
