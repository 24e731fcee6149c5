"""`kringloop serve` for real: a uvicorn process on 127.0.0.1 that initialises its store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port


def wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}")
        try:
            return httpx.get(url, timeout=2.0)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def test_serve_initialises_and_answers(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "KRINGLOOP_STORE_PATH": str(tmp_path / "store")}
    process = subprocess.Popen(
        [sys.executable, "-m", "kringloop.service.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        response = wait_for(f"http://127.0.0.1:{port}/healthz", process)
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok" and body["store"] == "oxigraph"
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    assert (tmp_path / "store" / "CURRENT").exists()


def test_serve_says_where_and_load_goes_through_it(tmp_path: Path, sample_ttl: Path) -> None:
    port = free_port()
    store = tmp_path / "store"
    env = {**os.environ, "KRINGLOOP_WRITE_TOKEN": "load-token", "KRINGLOOP_DEMO_DATA": "false"}
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "kringloop.service.cli", "serve", "--port", str(port)]
    with log.open("wb") as stream:
        process = subprocess.Popen(
            [*command, "--store-path", str(store)],  # the global option after the command
            env=env,
            stdout=stream,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(f"{base}/healthz", process).status_code == 200
        deadline = time.monotonic() + 10
        while "open http" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        lines = log.read_text().strip().splitlines()
        assert lines[-1].startswith(f"kringloop 0.1.0: store {store} (oxigraph, ")
        assert lines[-1].endswith(f"triples); open http://127.0.0.1:{port}/")
        load = [sys.executable, "-m", "kringloop.service.cli", "--store-path", str(store)]
        load += ["load", str(sample_ttl), "--graph", "https://example.org/g"]
        anonymous = {k: v for k, v in env.items() if k != "KRINGLOOP_WRITE_TOKEN"}
        refused = subprocess.run(load, env=anonymous, capture_output=True, text=True)
        assert refused.returncode == 2
        assert "KRINGLOOP_WRITE_TOKEN" in refused.stderr and "curl -X POST" in refused.stderr
        done = subprocess.run(load, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert "8 triples  from 1 file(s) sent to the server" in done.stdout
        ask = "ASK { GRAPH <https://example.org/g> { ?s ?p 'Example Collector Brugge' } }"
        answer = httpx.get(f"{base}/sparql", params={"query": ask}, timeout=10).json()
        assert answer["boolean"] is True
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    assert not (tmp_path / "store.server.json").exists()


def test_an_answer_over_the_time_limit_after_it_began_is_cut_off(tmp_path: Path) -> None:
    """Its 200 went out with the first chunk: the connection is cut, so the client sees an
    incomplete answer (never a complete-looking one), and the log says why."""
    port = free_port()
    log = tmp_path / "serve.log"
    env = {
        **os.environ,
        "KRINGLOOP_STORE_PATH": str(tmp_path / "store"),
        "KRINGLOOP_QUERY_TIMEOUT_S": "2",
    }
    with log.open("wb") as stream:
        process = subprocess.Popen(
            [sys.executable, "-m", "kringloop.service.cli", "serve", "--port", str(port)],
            env=env,
            stdout=stream,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    received = 0
    try:
        assert wait_for(f"{base}/healthz", process).status_code == 200
        query = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"  # the demo data squared: no end soon
        with (
            pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)),
            httpx.stream(
                "GET",
                f"{base}/sparql",
                params={"query": query},
                headers={"Accept": "text/csv"},
                timeout=60,
            ) as response,
        ):
            assert response.status_code == 200
            for chunk in response.iter_bytes():
                received += len(chunk)
        deadline = time.monotonic() + 10
        while "stopped part-way" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "a streamed answer stopped part-way: the query did not finish within 2 s" in (
            log.read_text()
        )
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    assert received > 256 * 1024  # it had begun: more than a whole answer's size went out
