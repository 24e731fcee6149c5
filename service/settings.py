"""The one settings object, read from ``KRINGLOOP_*`` environment variables at the edge."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything that can be configured. The core receives values from here, never the environment.

    >>> Settings(store="memory").store
    'memory'
    """

    model_config = SettingsConfigDict(env_prefix="KRINGLOOP_", extra="ignore")

    store: Literal["oxigraph", "memory"] = Field(
        "oxigraph", description="oxigraph: embedded on-disk store; memory: in memory (tests)"
    )
    store_path: Path = Field(Path("var/store"), description="directory of the on-disk store")
    host: str = Field("127.0.0.1", description="address the service listens on")
    port: int = Field(8000, ge=1, le=65535, description="port the service listens on")
    demo_data: bool = Field(True, description="load the bundled demo data into an empty store")
    validate_data: bool = Field(
        True, description="check loaded data graphs against the SHACL shapes"
    )
