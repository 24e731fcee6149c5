"""The one settings object, read from ``KRINGLOOP_*`` environment variables at the edge."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
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

    # The SPARQL service (SPARQL 1.1 Protocol, Update, Graph Store Protocol).
    write_token: SecretStr | None = Field(
        None,
        description="bearer token that allows writes (SPARQL Update, Graph Store PUT/POST/"
        "DELETE); without it (and without write_token_sha256) the service is read-only",
    )
    write_token_sha256: str | None = Field(
        None,
        description="the write token stored hashed: hex SHA-256 of the token "
        "(`printf %s TOKEN | sha256sum`)",
    )
    query_timeout_s: float = Field(
        30.0, gt=0, description="queries running longer are stopped with 504"
    )
    max_result_rows: int = Field(
        100_000, ge=1, description="queries with more results (rows or triples) fail with 400"
    )
    query_workers: int = Field(4, ge=1, description="threads that run SPARQL queries")
    max_body_bytes: int = Field(
        64 * 1024 * 1024, ge=1, description="larger request bodies are refused with 413"
    )
    union_default_graph: bool = Field(
        False,
        description="let SPARQL queries see the union of all graphs as their default graph "
        "(per request: union=true); otherwise the default graph is the store's real one",
    )
    service_allowlist: list[str] = Field(
        default_factory=list,
        description="endpoints SERVICE and LOAD may contact: exact IRIs, or prefixes ending in "
        "/ or # (JSON list in the environment); empty: federation and LOAD are refused",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description='origins allowed to call the API from a browser (JSON list, e.g. ["*"]); '
        "empty: CORS off",
    )
