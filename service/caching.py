"""Conditional requests and HEAD, for every read: ``ETag``, ``Last-Modified``, 304.

Pure ASGI middleware, generic over routes (queries, named queries, the Graph Store, pages):

- `Freshness`: the store's generation counter, bumped by the writer after every write
  (`kringloop.graph.execution.WriteLock`), the time of the last write, and an id of this
  service's start (the counter starts again at 0 after a restart, and data may have been
  loaded meanwhile).
- `Conditional`: a ``GET`` answered with 200 carries ``ETag: W/"<start>.<generation>.<request>"``
  (the request part hashes the path, query string and the headers that choose the answer:
  ``Accept``, ``Accept-Language``, ``Cookie``, and today's date, which some pages use),
  ``Last-Modified`` (the last write, or the start of the day) and ``Cache-Control: no-cache``
  (keep it, but ask again). A request with a matching ``If-None-Match``, or without one and an
  ``If-Modified-Since`` not older than the last write, gets 304 at once: the query does not
  run. Queries that call ``NOW()``, ``RAND()``, ``UUID()`` or ``STRUUID()`` are never tagged.
  Stores on an external server are not tagged either: others may write to them.
- `HeadAsGet`: ``HEAD`` is answered wherever ``GET`` is, with the headers ``GET`` would send
  and no body.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kringloop.graph import sparql_text

#: Paths whose answers are about the service, not the data: never tagged.
UNTAGGED = ("/healthz", "/metrics")
#: Functions that give another value at each call.
VOLATILE = ("NOW", "RAND", "UUID", "STRUUID")
#: Request headers that choose the answer, in the tag.
VARY = (b"accept", b"accept-language", b"cookie")


class Freshness:
    """Which version of the data the service answers from (one per app)."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self.started = secrets.token_hex(4)
        self.generation = 0
        self.modified = time.time()
        self._lock = threading.Lock()

    def written(self) -> None:
        """The store changed (called by the writer after every write, under its lock)."""
        with self._lock:
            self.generation += 1
            self.modified = time.time()

    def last_modified(self, now: float | None = None) -> int:
        """The last write or the start of today (UTC), in whole seconds."""
        now = time.time() if now is None else now
        day = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return int(max(self.modified, day.timestamp()))

    def etag(self, scope: Scope) -> str:
        """The weak tag of the answer to ``scope``'s request at the current generation.

        >>> fresh = Freshness()
        >>> scope = {"path": "/sparql", "query_string": b"query=ASK%7B%7D", "headers": []}
        >>> a = fresh.etag(scope); fresh.written(); a == fresh.etag(scope)
        False
        """
        digest = hashlib.blake2b(digest_size=8)
        digest.update(str(scope.get("path", "")).encode())
        digest.update(b"?" + bytes(scope.get("query_string", b"")))
        headers = dict(scope.get("headers", []))
        for name in VARY:
            digest.update(b"\0" + headers.get(name, b""))
        digest.update(datetime.now(UTC).date().isoformat().encode())
        return f'W/"{self.started}.{self.generation}.{digest.hexdigest()}"'


def _volatile(scope: Scope) -> bool:
    """Whether the request is a query whose answer changes at each call (``NOW()``, ...)."""
    for name, value in parse_qsl(bytes(scope.get("query_string", b"")).decode("latin-1")):
        if name == "query" and any(
            token.keyword in VOLATILE for token in sparql_text.tokens(value)
        ):
            return True
    return False


def _matches(header: bytes, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak comparison).

    >>> _matches(b'"x", W/"a.1.ff"', 'W/"a.1.ff"'), _matches(b"*", 'W/"a"')
    (True, True)
    >>> _matches(b'"b"', 'W/"a"')
    False
    """
    text = header.decode("latin-1").strip()
    if text == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(part.strip().removeprefix("W/") == bare for part in text.split(","))


def _not_modified_since(header: bytes, last_modified: int) -> bool:
    try:
        since = parsedate_to_datetime(header.decode("latin-1"))
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return last_modified <= since.timestamp()


class Conditional:
    """``ETag`` and ``Last-Modified`` on reads, and 304 when the client's copy is current."""

    def __init__(self, app: ASGIApp, *, freshness: Freshness) -> None:
        self.app = app
        self.freshness = freshness

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fresh = self.freshness
        if (
            scope["type"] != "http"
            or not fresh.enabled
            or scope.get("method") not in ("GET", "HEAD")
            or str(scope.get("path", "")) in UNTAGGED
            or _volatile(scope)
        ):
            await self.app(scope, receive, send)
            return
        etag = fresh.etag(scope)
        modified = fresh.last_modified()
        validators = [
            (b"etag", etag.encode()),
            (b"last-modified", formatdate(modified, usegmt=True).encode()),
        ]
        headers = dict(scope.get("headers", []))
        if_none_match = headers.get(b"if-none-match")
        since = headers.get(b"if-modified-since")
        current = (
            _matches(if_none_match, etag)
            if if_none_match is not None
            else since is not None and _not_modified_since(since, modified)
        )
        if current:
            vary = [(b"vary", b"Accept, Accept-Language, Accept-Encoding")]
            cache = [(b"cache-control", b"no-cache")]
            await send(
                {"type": "http.response.start", "status": 304, "headers": validators + vary + cache}
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def tagging(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                out = list(message.get("headers", []))
                present = {name.lower() for name, _ in out}
                if b"etag" not in present:
                    out += validators
                if b"cache-control" not in present:
                    out.append((b"cache-control", b"no-cache"))
                message = {**message, "headers": out}
            await send(message)

        await self.app(scope, receive, tagging)


class HeadAsGet:
    """``HEAD`` wherever ``GET`` is served: the ``GET`` answer's status and headers, no body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "HEAD":
            await self.app(scope, receive, send)
            return
        started = False

        async def headers_only(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                await send(message)
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            elif not started:
                await send(message)
            # the body of the GET answer is dropped

        await self.app({**scope, "method": "GET"}, receive, headers_only)
