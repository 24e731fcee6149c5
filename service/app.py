"""The HTTP service: `create_app(settings)` builds the FastAPI application."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from kringloop import __version__
from kringloop.graph import Store, open_store
from kringloop.graph.bundle import initialise
from kringloop.graph.execution import QueryRunner
from kringloop.graph.validate import for_store
from kringloop.queries.catalog import load_catalog
from kringloop.service import (
    errors,
    gsp,
    metrics,
    routes_ld,
    routes_match,
    routes_queries,
    routes_ui,
    routes_viz,
    sparql,
)
from kringloop.service.deps import get_store
from kringloop.service.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    """The kringloop service for ``settings``; the store opens when the app starts.

    An empty store is initialised with the ontology (and the demo data when
    ``settings.demo_data``), so a first ``kringloop serve`` works at once.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = open_store(settings.store, settings.store_path)
        initialise(store, with_data=settings.demo_data)
        app.state.store = store
        app.state.validator = for_store(store) if settings.validate_data else None
        app.state.runner = QueryRunner(
            timeout_s=settings.query_timeout_s,
            max_rows=settings.max_result_rows,
            workers=settings.query_workers,
        )
        size_of(store)
        try:
            yield
        finally:
            app.state.runner.close()
            size_of(None)
            store.close()

    app = FastAPI(
        title="kringloop",
        version=__version__,
        description="Circular procurement knowledge graph: SPARQL, matchmaking, loops.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.write_lock = threading.Lock()  # writes (Update, Graph Store) one at a time
    errors.install(app)
    size_of = metrics.install(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Accept"],
            expose_headers=["Location", "Content-Type"],
        )

    @app.get("/healthz", tags=["operations"])
    def healthz(store: Annotated[Store, Depends(get_store)]) -> dict[str, object]:
        """Answers once the store is open and readable."""
        return {
            "status": "ok",
            "store": store.kind,
            "empty": store.is_empty(),
            "version": __version__,
        }

    # Routers: every part of the service is included here.
    app.include_router(sparql.router)
    app.include_router(gsp.router)
    app.include_router(routes_match.router)
    catalog = load_catalog()  # the named queries, loaded strictly: a bad file stops start-up
    app.include_router(routes_queries.router(catalog))
    app.include_router(routes_ld.router())
    app.include_router(routes_ui.router(catalog))
    app.include_router(routes_viz.router)
    return app
