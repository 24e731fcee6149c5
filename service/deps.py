"""FastAPI dependencies shared by the routers: the open store and the settings."""

from __future__ import annotations

from fastapi import Request

from kringloop.graph import Store
from kringloop.graph.validate import ShapesValidator
from kringloop.service.settings import Settings


def get_store(request: Request) -> Store:
    """The store opened by the app's lifespan."""
    store: Store = request.app.state.store
    return store


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_validator(request: Request) -> ShapesValidator | None:
    """The validator for writes through the API, or None when ``validate_data`` is off."""
    validator: ShapesValidator | None = getattr(request.app.state, "validator", None)
    return validator
