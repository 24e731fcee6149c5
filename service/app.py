"""The HTTP service: `create_app(settings)` builds the FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI

from kringloop import __version__
from kringloop.graph import Store, open_store
from kringloop.graph.bundle import initialise
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
        try:
            yield
        finally:
            store.close()

    app = FastAPI(
        title="kringloop",
        version=__version__,
        description="Circular procurement knowledge graph: SPARQL, matchmaking, loops.",
        lifespan=lifespan,
    )
    app.state.settings = settings

    @app.get("/healthz", tags=["operations"])
    def healthz(store: Annotated[Store, Depends(get_store)]) -> dict[str, object]:
        """Answers once the store is open and readable."""
        return {
            "status": "ok",
            "store": store.kind,
            "empty": store.is_empty(),
            "version": __version__,
        }

    return app
