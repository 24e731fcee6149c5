"""The HTTP service: `create_app(settings)` builds the FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.middleware.gzip import GZipMiddleware

from kringloop import __version__
from kringloop.graph import OxigraphStore, Store, open_store
from kringloop.graph.bundle import initialise
from kringloop.graph.execution import Runner, ThreadRunner, WriteLock
from kringloop.graph.union import UnionTracker
from kringloop.graph.validate import for_store
from kringloop.queries.catalog import load_catalog
from kringloop.service import (
    errors,
    gsp,
    limits,
    metrics,
    openapi,
    routes_eforms,
    routes_ld,
    routes_match,
    routes_pages,
    routes_queries,
    routes_ui,
    routes_viz,
    sparql,
)
from kringloop.service.caching import Conditional, Freshness, HeadAsGet
from kringloop.service.cors import Cors, Origins
from kringloop.service.deps import get_store
from kringloop.service.preparing import Preparer
from kringloop.service.settings import Settings


def ready_line(settings: Settings, store: Store) -> str:
    """The line that says the service is up: where the store is, its size, the URL to open.

    >>> from kringloop.graph import OxigraphStore
    >>> ready_line(Settings(store="memory", port=8123), OxigraphStore.memory())
    'kringloop 0.1.0: store memory (oxigraph, 0 triples); open http://127.0.0.1:8123/'
    """
    size = len(store.raw) if isinstance(store, OxigraphStore) else store.count()
    host = settings.host
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else f"[{host}]" if ":" in host else host
    return (
        f"kringloop {__version__}: store {store.location} ({store.kind}, {size:,} triples); "
        f"open http://{shown}:{settings.port}/"
    )


def make_runner(settings: Settings, store: Store) -> Runner:
    """Where queries run: killable worker processes over an on-disk store, threads otherwise
    (an in-memory store cannot be opened by another process)."""
    mode = settings.isolation
    if mode == "auto":
        on_disk = isinstance(store, OxigraphStore) and store.location != "memory"
        mode = "process" if on_disk else "thread"
    if mode == "process":
        from kringloop.graph.isolation import ProcessRunner

        return ProcessRunner(
            Path(store.location),
            timeout_s=settings.query_timeout_s,
            max_rows=settings.max_update_solutions,
            workers=settings.query_workers,
            queue_wait_s=settings.queue_wait_s,
            headroom=settings.headroom(),
        )
    return ThreadRunner(
        store,
        timeout_s=settings.query_timeout_s,
        max_rows=settings.max_update_solutions,
        workers=settings.query_workers,
        headroom=settings.headroom(),
    )


def _preparer(settings: Settings, runner: Runner) -> Preparer | None:
    """Who prepares each store version in the background (`kringloop.service.preparing`),
    if anyone: only worker processes over a store on disk share what is prepared."""
    from kringloop.graph.isolation import ProcessRunner

    if not settings.prepare_in_background or not isinstance(runner, ProcessRunner):
        return None
    return Preparer(
        runner, timeout_s=settings.census_timeout_s, max_partners=settings.max_loop_partners
    )


def union_of(app: FastAPI) -> UnionTracker:
    tracker: UnionTracker = app.state.union
    return tracker


def create_app(settings: Settings) -> FastAPI:
    """The kringloop service for ``settings``; the store opens when the app starts.

    An empty store is initialised with the ontology (and the demo data when
    ``settings.demo_data``), so a first ``kringloop serve`` works at once.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = open_store(settings.store, settings.store_path, sparql=settings.sparql_config())
        initialise(store, with_data=settings.demo_data)
        app.state.store = store
        app.state.validator = for_store(store) if settings.validate_data else None
        if isinstance(store, OxigraphStore) and store.location != "memory":
            store.raw.flush()  # query workers open the files, not the log (see WriteLock)
            app.state.write_lock.after_write = store.raw.flush
        app.state.runner = runner = make_runner(settings, store)
        app.state.write_lock.runner = runner
        app.state.union = union = UnionTracker(store)
        union.refresh()
        freshness: Freshness = app.state.freshness
        freshness.enabled = isinstance(store, OxigraphStore)  # others may write elsewhere
        app.state.write_lock.listeners[:] = [union.written, lambda _: freshness.written()]
        app.state.preparer = preparer = _preparer(settings, runner)
        if preparer is not None:
            app.state.write_lock.listeners.append(preparer.written)
            preparer.start()
        size_of(store)
        try:
            yield
        finally:
            if preparer is not None:
                preparer.close()
            app.state.runner.close()
            size_of(None)
            store.close()

    app = FastAPI(
        title="kringloop",
        version=__version__,
        description="Circular procurement knowledge graph: SPARQL, matchmaking, loops.",
        lifespan=lifespan,
        docs_url=None,  # served from this host by openapi.install, not from a CDN
        redoc_url=None,  # ReDoc loads its script from a CDN
    )
    app.state.settings = settings
    app.state.write_lock = WriteLock()  # writes one at a time; query workers then reopen
    errors.install(app)
    openapi.install(app)
    app.state.gate = limits.install(
        app,
        max_body_bytes=settings.max_body_bytes,
        max_json_body_bytes=settings.max_json_body_bytes,
        max_concurrent_requests=settings.max_concurrent_requests,
    )
    size_of = metrics.install(app)
    # Outermost last: CORS sees every answer (errors too), HEAD is GET to everything inside,
    # a 304 short-cuts the rest, gzip compresses what streams out.
    app.state.freshness = Freshness()
    app.state.union = UnionTracker(OxigraphStore.memory())  # until the store is open
    app.add_middleware(GZipMiddleware, minimum_size=settings.gzip_min_bytes)
    app.add_middleware(Conditional, freshness=app.state.freshness)
    app.add_middleware(HeadAsGet)
    origins = Origins(
        read=settings.cors_read_origins,
        write=[*settings.cors_write_origins, *settings.cors_origins],
    )
    app.add_middleware(Cors, origins=origins)

    @app.get("/healthz", tags=["operations"])
    def healthz(store: Annotated[Store, Depends(get_store)]) -> dict[str, object]:
        """Answers once the store is open and readable."""
        view = union_of(app).view
        preparer: Preparer | None = app.state.preparer
        return {
            "status": "ok",
            "store": store.kind,
            "empty": store.is_empty(),
            "version": __version__,
            "union_default_graph": {
                "on": settings.union_default_graph,
                "each_triple_once": view.exact,
                "shared_triples": view.shared,
                "left_out": [g.value for g in view.left_out],
            },
            "prepared": {"on": False} if preparer is None else preparer.status(),
        }

    # Routers: every part of the service is included here.
    app.include_router(sparql.router)
    app.include_router(gsp.router)
    app.include_router(routes_match.router)
    app.include_router(routes_eforms.router)
    catalog = load_catalog()  # the named queries, loaded strictly: a bad file stops start-up
    app.include_router(routes_queries.router(catalog))
    app.include_router(routes_ld.router())
    app.include_router(routes_ui.router(catalog))
    app.include_router(routes_pages.router())
    app.include_router(routes_viz.router)
    return app
