"""Shared fixtures: a fresh store per test, sample RDF files, a free port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from kringloop.graph import OxigraphStore, Store
from kringloop.graph.remote import SparqlConfig, SparqlStore
from kringloop.service.settings import Settings

# Services started by the tests (in this process and as `kringloop serve` subprocesses) do not
# prepare store versions in the background: that work would compete with the timings and the
# worker counts many tests check. tests/test_derived.py turns it on and tests it.
os.environ.setdefault("KRINGLOOP_PREPARE_IN_BACKGROUND", "false")

SAMPLE_TTL = """\
@prefix ex: <https://example.org/kringloop/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:org-1 a ex:Thing ; rdfs:label "Example Refurb Gent"@en, "Voorbeeld Refurb Gent"@nl .
ex:org-2 a ex:Thing ; rdfs:label "Example Collector Brugge" ;
    ex:knows ex:org-1, [ rdfs:label "anon" ] .
"""

SAMPLE_TRIG = """\
@prefix ex: <https://example.org/kringloop/id/> .
ex:g1 { ex:a ex:p "one" . ex:a ex:q [ ex:r 1 ] . }
ex:g2 { ex:b ex:p "two"@nl . }
ex:c ex:p ex:d .
"""


@pytest.fixture
def memory_store() -> OxigraphStore:
    return OxigraphStore.memory()


@pytest.fixture
def disk_store(tmp_path: Path) -> Iterator[OxigraphStore]:
    store = OxigraphStore.open(tmp_path / "store")
    yield store
    store.close()


@pytest.fixture
def sample_ttl(tmp_path: Path) -> Path:
    path = tmp_path / "sample.ttl"
    path.write_text(SAMPLE_TTL, encoding="utf-8")
    return path


@pytest.fixture
def sample_trig(tmp_path: Path) -> Path:
    path = tmp_path / "sample.trig"
    path.write_text(SAMPLE_TRIG, encoding="utf-8")
    return path


@pytest.fixture
def bad_ttl(tmp_path: Path) -> Path:
    path = tmp_path / "bad.ttl"
    path.write_text(
        '@prefix ex: <https://example.org/> .\nex:a ex:p "ok" .\nex:b ex:p "unterminated .\n',
        encoding="utf-8",
    )
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# External SPARQL servers (marker remote_store): session-scoped, started on free ports on
# 127.0.0.1, stopped by PID at the end. A test is skipped only when a server binary is missing.

VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
ServerThreads = 10
CheckpointInterval = 60
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
DirsAllowed = ., {dir}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
ServerThreads = 10
MaxClientConnections = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime = 120
"""
#: The test instance's result cap (Virtuoso's default is 10,000).
VIRTUOSO_MAX_ROWS = 100_000


@dataclass
class RemoteServer:
    """A running SPARQL server and the dataset it currently holds (tests share it)."""

    config: SparqlConfig
    pid: int
    holds: str = ""


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found is None and (Path(sys.executable).parent / name).exists():
        found = str(Path(sys.executable).parent / name)
    return found


def _wait_until_ready(
    process: subprocess.Popen[bytes], url: str, log: Path, seconds: float
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited: {log.read_text(errors='replace')}")
        try:
            response = httpx.get(url, params={"query": "ASK {}"}, timeout=2)
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not become ready within {seconds:g} s")


def _stop(process: subprocess.Popen[bytes], seconds: float) -> None:
    process.terminate()
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RemoteServer]:
    """Oxigraph server (the `oxigraph` binary of the PyPI package) on a free port."""
    binary = _binary("oxigraph")
    if binary is None:
        pytest.skip("Oxigraph server is not installed (pip install oxigraph: the dev extra)")
    folder = tmp_path_factory.mktemp("oxigraph-server")
    port = free_port()
    log = folder / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "serve", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(process, f"{base}/query", log, 30)
        yield RemoteServer(SparqlConfig.for_server(base, "oxigraph"), process.pid)
    finally:
        _stop(process, 10)


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RemoteServer]:
    """A private Virtuoso 7 instance (own virtuoso.ini and database) with writes opened to the
    anonymous SPARQL user, as only a test instance may."""
    binary, isql = _binary("virtuoso-t"), _binary("isql-vt")
    if binary is None or isql is None:
        pytest.skip("Virtuoso is not installed (apt-get install virtuoso-opensource-7-bin)")
    folder = tmp_path_factory.mktemp("virtuoso")
    sql_port, http_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(
        VIRTUOSO_INI.format(
            dir=folder, sql_port=sql_port, http_port=http_port, max_rows=VIRTUOSO_MAX_ROWS
        ),
        encoding="utf-8",
    )
    log = folder / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "+foreground", "+configfile", str(ini)],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{http_port}"
    try:
        _wait_until_ready(process, f"{base}/sparql", log, 90)
        subprocess.run(
            [isql, f"127.0.0.1:{sql_port}", "dba", "dba", 'exec=GRANT SPARQL_UPDATE TO "SPARQL";'],
            check=True,
            capture_output=True,
            timeout=60,
        )
        config = SparqlConfig.for_server(base, "virtuoso", max_rows=VIRTUOSO_MAX_ROWS)
        yield RemoteServer(config, process.pid)
    finally:
        _stop(process, 60)


#: The backends the functional checks run on (tests/test_backends.py).
BACKENDS = [
    "embedded",
    pytest.param("oxigraph-server", marks=pytest.mark.remote_store),
    pytest.param("virtuoso", marks=pytest.mark.remote_store),
]


@dataclass
class Backend:
    """One backend: how to open a store on it and how to configure the service for it."""

    name: str
    server: RemoteServer | None = None
    _embedded: dict[str, Store] = field(default_factory=dict)

    def open(self) -> Store:
        """A store on this backend (on a server: a new client over the shared data)."""
        if self.server is None:
            return OxigraphStore.memory()
        return SparqlStore(self.server.config)

    def holding(self, dataset: str, load: Callable[[Store], object]) -> Store:
        """A store that holds ``dataset`` (loaded by ``load`` when the backend holds another)."""
        if self.server is None:
            if dataset not in self._embedded:
                embedded: Store = OxigraphStore.memory()
                load(embedded)
                self._embedded[dataset] = embedded
            return self._embedded[dataset]
        store = self.open()
        if self.server.holds != dataset:
            self.server.holds = ""
            store.clear()
            load(store)
            self.server.holds = dataset
        return store

    def fresh(self) -> Store:
        """An empty store (on a server: everything the tests wrote before is dropped)."""
        store = self.open()
        if self.server is not None:
            self.server.holds = ""
            store.clear()
        return store

    def settings(self, **options: Any) -> Settings:
        """Service settings for this backend (``KRINGLOOP_STORE=sparql`` on a server)."""
        if self.server is None:
            return Settings(store="memory", **options)
        c = self.server.config
        return Settings(
            store="sparql",
            sparql_query_url=c.query_url,
            sparql_update_url=c.update_url,
            sparql_gsp_url=c.gsp_url,
            sparql_dialect=c.dialect,
            sparql_max_rows=c.max_rows,
            **options,
        )


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each backend in turn: embedded pyoxigraph, Oxigraph server, Virtuoso."""
    name = str(request.param)
    if name == "embedded":
        return Backend(name)
    fixture = "oxigraph_server" if name == "oxigraph-server" else "virtuoso_server"
    server: RemoteServer = request.getfixturevalue(fixture)
    return Backend(name, server)
