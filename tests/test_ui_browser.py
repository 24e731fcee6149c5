"""The SPARQL editor page in a real browser: YASGUI runs queries against /sparql and nothing
leaves the host. Needs Debian's chromium and the playwright package (never `playwright install`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import free_port
from tests.test_serve import wait_for
from tests.viz_timing import CHROMIUM, CHROMIUM_ARGS

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"
    ),
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """``kringloop serve`` with the bundled demo data, on a free port of 127.0.0.1."""
    port = free_port()
    env = {
        **os.environ,
        "KRINGLOOP_STORE_PATH": str(tmp_path / "store"),
        "KRINGLOOP_VALIDATE_DATA": "false",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "kringloop.service.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_for(f"{base}/healthz", process).status_code == 200
        yield base
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_the_editor_runs_queries_and_stays_on_the_host(server: str, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    requests: list[str] = []
    problems: list[str] = []
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            page = context.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.on(
                "console",
                lambda message: problems.append(message.text) if message.type == "error" else None,
            )
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(server + "/sparql-editor")
            page.wait_for_selector(".tabPanel.active .yasqe")

            # The overview tab: run it, the results table fills.
            page.click(".tabPanel.active .yasqe_queryButton")
            page.wait_for_selector(".tabPanel.active .yasr table tbody tr td", timeout=20_000)
            overview_rows = page.locator(".tabPanel.active .yasr table tbody tr").count()
            assert overview_rows > 5

            # A named query's tab holds its text with the example values, and runs.
            page.click("a[role=tab]:has-text('cpv-narrower')")
            page.wait_for_selector(".tabPanel.active .yasqe")
            text = page.evaluate("window.kringloopEditor.getTab().getYasqe().getValue()")
            assert 'VALUES (?_code ?_lang) { ("39110000" "nl") }' in text
            page.click(".tabPanel.active .yasqe_queryButton")
            page.wait_for_selector(".tabPanel.active .yasr table tbody tr td", timeout=20_000)
            assert page.locator(".tabPanel.active .yasr table tbody tr").count() >= 2
            assert "Zitmeubelen" in page.inner_text(".tabPanel.active .yasr table")

            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "ui-editor.png"), full_page=True)
        finally:
            context.close()

    assert requests, "the page made no request at all"
    outside = [
        url
        for url in requests
        if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).hostname != "127.0.0.1"
    ]
    assert outside == [], f"requests left the host: {outside}"
    assert any(url.endswith("/sparql") for url in requests)
    assert problems == [], f"the page logged errors: {problems}"
