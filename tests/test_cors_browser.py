"""A browser app on another origin calls the service: reads work from any origin, writes only
from the origins the operator lists. Real `kringloop serve`, real pages served from two other
loopback ports, Debian's chromium through playwright (never `playwright install`)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port
from tests.test_serve import wait_for
from tests.viz_timing import CHROMIUM, CHROMIUM_ARGS

TOKEN = "browser-cors-token"
SEED = "https://w3id.org/kringloop/graph/seed"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"
    ),
]

#: The six calls of a browser app: three ways to query, a linked-data page, a Graph Store
#: read, and an update with the token. Each gives its status, or "blocked" when the browser
#: refuses to let the page see the answer.
PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>app</title></head><body>
<script>
const service = "%(service)s";
const ask = "ASK { ?s ?p ?o }";
async function call(name, url, init) {
  try {
    const response = await fetch(url, init);
    await response.text();
    return [name, response.status, response.headers.get("ETag") !== null];
  } catch (error) {
    return [name, "blocked", false];
  }
}
async function run() {
  return Promise.all([
    call("get", service + "/sparql?query=" + encodeURIComponent(ask),
         {headers: {Accept: "application/sparql-results+json"}}),
    call("post-form", service + "/sparql", {method: "POST",
         body: new URLSearchParams({query: ask})}),
    call("post-query", service + "/sparql", {method: "POST",
         headers: {"Content-Type": "application/sparql-query"}, body: ask}),
    call("page", service + "/id/organisation/nnof", {headers: {Accept: "text/turtle"}}),
    call("store", service + "/store?graph=" + encodeURIComponent("%(seed)s"),
         {headers: {Accept: "application/n-triples"}}),
    call("update", service + "/update", {method: "POST",
         headers: {"Content-Type": "application/sparql-update",
                   Authorization: "Bearer %(token)s"},
         body: "INSERT DATA { GRAPH <https://example.org/cors> { " +
               "<https://example.org/a> <https://example.org/from> '" + location.port + "' } }"}),
  ]);
}
window.results = run();
</script></body></html>
"""


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log on the test's output."""


@pytest.fixture
def pages(tmp_path: Path) -> Iterator[tuple[int, int, Path]]:
    """Two origins of pages (two loopback ports), serving the folder the test writes to."""
    folder = tmp_path / "app"
    folder.mkdir()
    servers = []
    for _ in range(2):
        server = ThreadingHTTPServer(
            ("127.0.0.1", free_port()), partial(Quiet, directory=str(folder))
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    try:
        yield servers[0].server_address[1], servers[1].server_address[1], folder
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def test_a_browser_app_reads_from_any_origin_and_writes_from_a_listed_one(
    pages: tuple[int, int, Path], tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    editor, reader, folder = pages
    port = free_port()
    env = {
        **os.environ,
        "KRINGLOOP_STORE_PATH": str(tmp_path / "store"),
        "KRINGLOOP_VALIDATE_DATA": "false",
        "KRINGLOOP_WRITE_TOKEN": TOKEN,
        "KRINGLOOP_CORS_WRITE_ORIGINS": json.dumps([f"http://127.0.0.1:{editor}"]),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "kringloop.service.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    service = f"http://127.0.0.1:{port}"
    (folder / "app.html").write_text(
        PAGE % {"service": service, "seed": SEED, "token": TOKEN}, encoding="utf-8"
    )
    try:
        assert wait_for(f"{service}/healthz", process).status_code == 200
        with sync_api.sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(tmp_path / "profile"),
                executable_path=str(CHROMIUM),
                headless=True,
                args=CHROMIUM_ARGS,
            )
            try:
                found = {}
                for origin in (editor, reader):
                    page = context.new_page()
                    page.goto(f"http://127.0.0.1:{origin}/app.html")
                    found[origin] = {
                        name: (status, tagged)
                        for name, status, tagged in page.evaluate("window.results")
                    }
                    page.close()
            finally:
                context.close()
        reads = {"get": 200, "post-form": 200, "post-query": 200, "page": 200, "store": 200}
        for origin in (editor, reader):
            assert {name: found[origin][name][0] for name in reads} == reads, found[origin]
        assert found[reader]["get"][1], "the page may read the ETag"
        assert found[editor]["update"][0] == 204
        assert found[reader]["update"][0] == "blocked"  # its preflight is refused
        import httpx

        ask = "ASK { GRAPH <https://example.org/cors> { ?s ?p '%s' } }"
        written = {
            origin: httpx.get(f"{service}/sparql", params={"query": ask % origin}).json()
            for origin in (editor, reader)
        }
        assert written[editor]["boolean"] is True
        assert written[reader]["boolean"] is False  # the update never reached the service
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
