"""The one settings object, read from ``KRINGLOOP_*`` environment variables at the edge."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from kringloop.graph.execution import Headroom
    from kringloop.graph.remote import SparqlConfig


class Settings(BaseSettings):
    """Everything that can be configured. The core receives values from here, never the environment.

    >>> Settings(store="memory").store
    'memory'
    """

    model_config = SettingsConfigDict(env_prefix="KRINGLOOP_", extra="ignore")

    store: Literal["oxigraph", "memory", "sparql"] = Field(
        "oxigraph",
        description="oxigraph: embedded on-disk store; memory: in memory (tests); sparql: an "
        "external SPARQL 1.1 server (KRINGLOOP_SPARQL_*)",
    )
    store_path: Path = Field(Path("var/store"), description="directory of the on-disk store")
    # An external SPARQL 1.1 server (store=sparql), see graph/remote.py.
    sparql_query_url: str | None = Field(None, description="the server's query endpoint")
    sparql_update_url: str | None = Field(None, description="update endpoint (default: query)")
    sparql_gsp_url: str | None = Field(
        None, description="Graph Store Protocol endpoint (loads and dumps go through it)"
    )
    sparql_user: str | None = Field(None, description="user name (basic or digest auth)")
    sparql_password: SecretStr | None = Field(None, description="password (basic or digest)")
    sparql_auth: Literal["none", "basic", "digest", "bearer"] | None = Field(
        None, description="authentication; default: bearer with a token, basic with a user"
    )
    sparql_token: SecretStr | None = Field(None, description="bearer token")
    sparql_timeout_s: float = Field(60.0, gt=0, description="HTTP timeout per request")
    sparql_dialect: Literal["generic", "oxigraph", "virtuoso"] = Field(
        "generic", description="server quirks to handle: generic, oxigraph or virtuoso"
    )
    sparql_max_rows: int | None = Field(
        None, ge=1, description="the server's result cap (Virtuoso: ResultSetMaxRows, 10000)"
    )
    sparql_batch_triples: int = Field(
        10_000, ge=1, description="triples per Graph Store Protocol POST when loading"
    )
    host: str = Field("127.0.0.1", description="address the service listens on")
    port: int = Field(8000, ge=1, le=65535, description="port the service listens on")
    demo_data: bool = Field(True, description="load the bundled demo data into an empty store")
    max_loop_partners: int = Field(
        6,
        ge=2,
        le=12,
        description="distinct organisations a closed loop may have, supplier and buyer included",
    )
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
    census_timeout_s: float = Field(
        600.0,
        gt=0,
        description="the loop census (/loops, /loops/gaps, /viz/loops) may run this long: it "
        "reads the whole graph (over a minute at 100k organisations); it is computed once "
        "per store version and then answered from disk",
    )
    prepare_in_background: bool = Field(
        True,
        description="after start and after writes, read in one query worker what the first "
        "matches and the loop census of the new store version need, and keep it beside the "
        "store for every worker (on-disk stores served by worker processes)",
    )
    max_result_rows: int | None = Field(
        None,
        ge=1,
        description="a cap on query results (rows or triples): more fail with 400, and answers "
        "are then read completely before they are sent; unset (the default): answers stream "
        "from the worker to the client, of any size",
    )
    max_update_solutions: int = Field(
        100_000,
        ge=1,
        description="an update whose WHERE part has more solutions is refused with 400 (it is "
        "tried, and checked against the shapes, before it runs)",
    )
    query_workers: int = Field(
        3,
        ge=1,
        description="queries (and matches) that run at once: worker processes over an on-disk "
        "store, threads over an in-memory one",
    )
    isolation: Literal["auto", "process", "thread"] = Field(
        "auto",
        description="where queries run: process (killed at the timeout, so a runaway query "
        "really stops; on-disk stores only), thread (cannot stop a query that blocks inside "
        "the engine), auto (process for on-disk stores, thread for in-memory ones)",
    )
    queue_wait_s: float = Field(
        10.0, gt=0, description="how long a query waits for a free worker before 503 (process mode)"
    )
    query_long_s: float = Field(
        0.5,
        gt=0,
        description="a query running longer counts as long: while long queries hold the "
        "workers, extra workers take the others (up to query_extra_workers)",
    )
    query_extra_workers: int = Field(
        4,
        ge=0,
        description="workers (processes or threads) taken on beyond query_workers while long "
        "queries hold them; 0: a fixed pool, where runaway queries make every other one wait",
    )
    query_standby_workers: int = Field(
        1,
        ge=0,
        description="worker processes kept started with the store open, to replace a killed "
        "worker or join as an extra one at once (process mode)",
    )
    query_extra_idle_s: float = Field(
        30.0, gt=0, description="an extra worker process idle this long stops (process mode)"
    )
    max_concurrent_requests: int = Field(
        64, ge=1, description="requests in flight at once; more are refused with 503 + Retry-After"
    )
    max_body_bytes: int = Field(
        64 * 1024 * 1024,
        ge=1,
        description="larger request bodies to /sparql, /query, /update, /store: 413",
    )
    max_json_body_bytes: int = Field(
        1024 * 1024,
        ge=1,
        description="larger request bodies to every other route (/match, /queries/...): 413",
    )
    union_default_graph: bool = Field(
        True,
        description="reads (/sparql, /query, named queries, kringloop query) see the union of "
        "all graphs as their default graph, each triple once; false (strict): the store's real "
        "default graph, as in the SPARQL standard (per request: union=false or true)",
    )
    service_allowlist: list[str] = Field(
        default_factory=list,
        description="endpoints SERVICE and LOAD may contact: exact IRIs, or prefixes ending in "
        "/ or # (JSON list in the environment); empty: federation and LOAD are refused",
    )
    cors_read_origins: list[str] = Field(
        default_factory=lambda: ["*"],
        description="origins whose pages may read from the service (queries by GET and POST, "
        'Graph Store GET, pages): JSON list, ["*"] (the default) for any; [] turns CORS off',
    )
    cors_write_origins: list[str] = Field(
        default_factory=list,
        description="origins whose pages may also write (updates, Graph Store PUT/POST/DELETE, "
        'anything sent with the token): JSON list, e.g. ["https://editor.example"]; empty: none',
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="earlier name of cors_write_origins (origins that may read and write)",
    )
    gzip_min_bytes: int = Field(
        1024, ge=0, description="answers at least this large are gzipped for clients that ask"
    )

    def headroom(self) -> Headroom:
        """How the query workers make room for short queries while long ones hold them."""
        from kringloop.graph.execution import Headroom

        return Headroom(
            extra_workers=self.query_extra_workers,
            long_s=self.query_long_s,
            standby_workers=self.query_standby_workers,
            extra_idle_s=self.query_extra_idle_s,
        )

    def sparql_config(self) -> SparqlConfig | None:
        """The external SPARQL server's configuration (None without a query URL)."""
        from kringloop.graph.remote import SparqlConfig

        if not self.sparql_query_url:
            return None
        auth = self.sparql_auth or (
            "bearer" if self.sparql_token else "basic" if self.sparql_user else "none"
        )
        return SparqlConfig(
            query_url=self.sparql_query_url,
            update_url=self.sparql_update_url,
            gsp_url=self.sparql_gsp_url,
            dialect=self.sparql_dialect,
            auth=auth,
            user=self.sparql_user,
            password=self.sparql_password.get_secret_value() if self.sparql_password else None,
            token=self.sparql_token.get_secret_value() if self.sparql_token else None,
            timeout_s=self.sparql_timeout_s,
            max_rows=self.sparql_max_rows,
            batch_triples=self.sparql_batch_triples,
        )
