"""Cross-origin requests from browser apps: reads from any origin, writes from chosen ones.

A page on another origin (YASGUI elsewhere, a notebook, an app) may read: queries by ``GET``
and ``POST`` (form-encoded or ``application/sparql-query``), Graph Store ``GET``, named
queries, the linked-data pages; answers carry ``Access-Control-Allow-Origin: *`` (no
credentials are involved in reading). Writes need the bearer token, and a browser sends an
``Authorization`` header cross-origin only after a preflight: that preflight, and any
``PUT``/``DELETE``/``PATCH``, are allowed only for the origins the operator lists
(``KRINGLOOP_CORS_WRITE_ORIGINS``). A preflight from another origin gets 403 with what to
configure. ``OPTIONS`` without a preflight says which methods the resource takes (204,
``Allow``).

``KRINGLOOP_CORS_READ_ORIGINS`` narrows reading to a list of origins (``[]``: no CORS at all).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kringloop.service.errors import Forbidden, response_for

#: Methods a read may use.
READ_METHODS = ("GET", "HEAD", "POST")
#: Request headers a read may send.
READ_HEADERS = frozenset(
    {
        "accept",
        "accept-language",
        "content-language",
        "content-type",
        "cache-control",
        "if-none-match",
        "if-modified-since",
        "x-requested-with",
    }
)
WRITE_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE")
#: Response headers a page may read (beyond the safelisted ones).
EXPOSED = b"ETag, Last-Modified, Location, Retry-After, Allow, Content-Length, Content-Encoding"
MAX_AGE = b"600"


class Origins:
    """Which origins may read and which may write.

    >>> o = Origins(read=["*"], write=["https://e.org"])
    >>> o.reads("https://x.org"), o.writes("https://x.org"), o.writes("https://e.org")
    (True, False, True)
    """

    def __init__(self, *, read: Sequence[str], write: Sequence[str]) -> None:
        self.read = [o.rstrip("/") for o in read]
        self.write = [o.rstrip("/") for o in write]

    def reads(self, origin: str) -> bool:
        return "*" in self.read or origin in self.read or self.writes(origin)

    def writes(self, origin: str) -> bool:
        return "*" in self.write or origin in self.write


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class Cors:
    """The CORS rules above, as pure ASGI middleware (streamed answers pass through)."""

    def __init__(self, app: ASGIApp, *, origins: Origins) -> None:
        self.app = app
        self.origins = origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = _header(scope, b"origin")
        method = str(scope.get("method", ""))
        if method == "OPTIONS":
            wanted = _header(scope, b"access-control-request-method")
            if origin is not None and wanted is not None:
                await self._preflight(scope, receive, send, origin, wanted.upper())
            else:
                await self._options(scope, receive, send)
            return
        if origin is None:
            await self.app(scope, receive, send)
            return
        writing = method in ("PUT", "DELETE", "PATCH") or _header(scope, b"authorization")
        if writing:
            allowed = self.origins.writes(origin)
            value = origin.encode() if allowed else None
        else:
            allowed = self.origins.reads(origin)
            value = b"*" if "*" in self.origins.read else origin.encode() if allowed else None

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if not k.lower().startswith(b"access-control-")
                ]
                if value is not None:
                    headers += [
                        (b"access-control-allow-origin", value),
                        (b"access-control-expose-headers", EXPOSED),
                    ]
                if value != b"*":
                    headers.append((b"vary", b"Origin"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, marked)

    async def _preflight(
        self, scope: Scope, receive: Receive, send: Send, origin: str, wanted: str
    ) -> None:
        asked = _header(scope, b"access-control-request-headers") or ""
        names = {h.strip().lower() for h in asked.split(",") if h.strip()}
        read = wanted in READ_METHODS and names <= READ_HEADERS
        if read and self.origins.reads(origin):
            allow = b"*" if "*" in self.origins.read else origin.encode()
            methods = ", ".join(READ_METHODS).encode()
        elif self.origins.writes(origin) and wanted in WRITE_METHODS:
            allow, methods = origin.encode(), ", ".join(WRITE_METHODS).encode()
        else:
            what = "write to" if not read else "read from"
            error = Forbidden(
                f"a page on {origin} may not {what} this service ({wanted} with "
                f"{', '.join(sorted(names)) or 'no extra headers'})",
                hint="reads from any origin need no token; the operator lets an origin write "
                "with KRINGLOOP_CORS_WRITE_ORIGINS",
            )
            await response_for(error, _header(scope, b"accept"))(scope, receive, send)
            return
        headers = [
            (b"access-control-allow-origin", allow),
            (b"access-control-allow-methods", methods),
            (b"access-control-max-age", MAX_AGE),
            (b"vary", b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
        ]
        if names:
            headers.append((b"access-control-allow-headers", asked.encode()))
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    async def _options(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``OPTIONS`` without a preflight: the methods the path takes."""
        from starlette.requests import Request

        from kringloop.service.errors import allowed_methods

        methods = allowed_methods(Request(scope)) or ["GET", "HEAD", "POST"]
        if "GET" in methods and "HEAD" not in methods:
            methods.insert(methods.index("GET") + 1, "HEAD")
        methods = [*[m for m in methods if m != "OPTIONS"], "OPTIONS"]
        headers = [(b"allow", ", ".join(methods).encode()), (b"content-length", b"0")]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
