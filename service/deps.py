"""FastAPI dependencies shared by the routers: the open store and the settings.

They are ``async`` on purpose: FastAPI runs a plain ``def`` dependency in its thread pool, and
three such hops per request cost more than answering a short query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from kringloop.graph import Store
from kringloop.graph.execution import Runner
from kringloop.graph.isolation import ProcessRunner
from kringloop.graph.validate import ShapesValidator
from kringloop.service.settings import Settings

T = TypeVar("T")


def store_of(request: Request) -> Store:
    """The store opened by the app's lifespan."""
    store: Store = request.app.state.store
    return store


def settings_of(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_store(request: Request) -> Store:
    """Dependency: `store_of`."""
    return store_of(request)


async def get_settings(request: Request) -> Settings:
    """Dependency: `settings_of`."""
    return settings_of(request)


async def get_validator(request: Request) -> ShapesValidator | None:
    """The validator for writes through the API, or None when ``validate_data`` is off."""
    validator: ShapesValidator | None = getattr(request.app.state, "validator", None)
    return validator


async def run_read(runner: Runner, job: Callable[..., T], *args: Any) -> T:
    """Run a read job (``job(store, deadline, *args)``) within the service's limits.

    Worker processes are awaited on the event loop (`ProcessRunner.acall`); thread runners
    (in-memory and remote stores) block, so they get a thread of the pool.
    """
    if isinstance(runner, ProcessRunner):
        return await runner.acall(job, *args)
    return await run_in_threadpool(runner.call, job, *args)
