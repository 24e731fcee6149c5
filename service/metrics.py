"""Prometheus metrics at ``/metrics``: requests, latencies, SPARQL query times, store size.

Each app has its own `CollectorRegistry` (tests build many apps). Requests are labelled by
route *template* (``/queries/{name}``), never by raw path, so labels stay few; requests
that match no route count as ``(unmatched)``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kringloop.graph import OxigraphStore, Store

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    """The collectors of one app."""

    def __init__(self, *, store_size_ttl_s: float = 60.0) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "kringloop_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "kringloop_http_request_duration_seconds",
            "Time to answer HTTP requests, by method and route template",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.queries = Histogram(
            "kringloop_sparql_query_duration_seconds",
            "Time to run SPARQL queries and updates, by kind (select, ask, construct, "
            "describe, update)",
            ["kind"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.store_quads = Gauge(
            "kringloop_store_quads",
            "Quads in the store (counted at most once a minute)",
            registry=self.registry,
        )
        self._store: Store | None = None
        self._ttl = store_size_ttl_s
        self._size: tuple[float, int] | None = None
        self._lock = threading.Lock()
        self.store_quads.set_function(self._store_size)

    def watch(self, store: Store | None) -> None:
        """Report the size of ``store`` (None: stop)."""
        self._store = store
        self._size = None

    def _store_size(self) -> float:
        store = self._store
        if store is None:
            return float("nan")
        with self._lock:
            now = time.monotonic()
            if self._size is None or now - self._size[0] > self._ttl:
                count = len(store.raw) if isinstance(store, OxigraphStore) else store.count()
                self._size = (now, count)
            return float(self._size[1])

    def observe_query(self, kind: str, seconds: float) -> None:
        self.queries.labels(kind=kind).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts and times every HTTP request (pure ASGI: no buffering of streamed bodies)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "(unmatched)"
            method = str(scope.get("method", ""))
            self.metrics.requests.labels(method, template, str(status[0])).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - start)


def metrics_of(request: Request) -> Metrics | None:
    """The app's metrics, if it has them."""
    found: Metrics | None = getattr(request.app.state, "metrics", None)
    return found


router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
)
def metrics_endpoint(request: Request) -> Response:
    """Metrics in the Prometheus text format."""
    metrics = metrics_of(request)
    body = metrics.exposition() if metrics is not None else b""
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def install(app: FastAPI) -> Callable[[Store | None], None]:
    """Give ``app`` its metrics; returns the function that tells them which store to size."""
    metrics = Metrics()
    app.state.metrics = metrics
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.include_router(router)
    return metrics.watch
