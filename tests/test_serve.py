"""`kringloop serve` for real: a uvicorn process on 127.0.0.1 that initialises its store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

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
