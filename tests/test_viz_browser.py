"""The graph pages in a real browser: Debian's Chromium through playwright, against a real
``kringloop serve`` on 127.0.0.1 with the golden data (plus a resource labelled with a script).

Checked: every page type draws what the server sent, a click selects a node and fills the side
panel, hovering shows the plain-text tooltip, no request leaves 127.0.0.1, no Content Security
Policy violation, and a label with markup stays text. One screenshot per page type goes to
tests/artifacts/ (gitignored); the time to a stable drawing at 200 and 2,000 nodes is measured
and written there too (not asserted).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from kringloop.graph import OxigraphStore
from kringloop.queries import match_record
from kringloop.queries.matchmaker import match
from kringloop.queries.request import MatchRequest
from tests.conftest import free_port
from tests.test_serve import wait_for
from tests.viz_timing import CHROMIUM, browser, measure, time_to_stable

pytest.importorskip("playwright.sync_api")
if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium (.ci/sysdeps)"),
]

ROOT = Path(__file__).resolve().parent
GOLDEN = ROOT / "golden" / "golden.ttl"
ARTIFACTS = ROOT / "artifacts"
EX = "https://example.org/kringloop/id/"
REFURB = EX + "organisation/example-refurb"
EVIL = "<script>alert(1)</script>"
EVIL_TTL = f"""\
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix kl: <https://w3id.org/kringloop/ns#> .
<{EX}organisation/evil> a kl:Organisation ; rdfs:label "{EVIL}" ;
    kl:hasSite <{EX}site/evil> .
<{EX}site/evil> a kl:Site ; kl:place <{EX}place/kortrijk> ; kl:lat 50.82 ; kl:long 3.26 .
<{EX}flow/evil> a kl:Flow ; kl:flowFrom <{EX}organisation/evil> ; kl:flowTo <{REFURB}> ;
    kl:flowOf <https://w3id.org/kringloop/id/product/office-chair> ;
    rdfs:label "<img src=x onerror=alert(2)> flow" .
"""


def kringloop(store: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "kringloop.service.cli", "--store-path", str(store), *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A ``kringloop serve`` process on the golden data, the resource with a script label and
    one stored match."""
    work = tmp_path_factory.mktemp("viz-browser")
    store_path = work / "store"
    evil = work / "evil.ttl"
    evil.write_text(EVIL_TTL, encoding="utf-8")
    kringloop(store_path, "init", "--no-demo")
    kringloop(store_path, "load", str(GOLDEN), str(evil))
    store = OxigraphStore.open(store_path)
    request = MatchRequest(what="workwear", near="Gent", within_km=60)
    result = match(store, request, today=date(2026, 6, 1))
    match_record.save(store, result, request)
    store.close()
    del store
    port = free_port()
    env = {**os.environ, "KRINGLOOP_STORE_PATH": str(store_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "kringloop.service.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/healthz", process)
        yield {"base": base, "match": result.id, "work": str(work)}
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


class Recorder:
    """Everything the browser asked for, said on the console, or tried to pop up."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.console: list[str] = []
        self.dialogs: list[str] = []

    def attach(self, page: Page) -> None:
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", lambda m: self.console.append(m.text))
        page.on("pageerror", lambda e: self.console.append(f"page error: {e}"))

        def dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", dialog)


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    with browser(tmp_path_factory.mktemp("chromium-profile")) as ctx:
        yield ctx


@pytest.fixture(scope="module")
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def page(context: BrowserContext, recorder: Recorder) -> Iterator[Page]:
    tab = context.new_page()
    recorder.attach(tab)
    yield tab
    tab.close()


def sent(url: str) -> dict[str, Any]:
    """The node and edge lists the server sends for ``url`` (read from the page's JSON)."""
    body = httpx.get(url, timeout=60).text
    found = re.search(r'<script type="application/json" id="viz-data">(.*?)</script>', body, re.S)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def drawn(page: Page) -> tuple[int, int]:
    counts = page.evaluate("[network.body.data.nodes.length, network.body.data.edges.length]")
    return int(counts[0]), int(counts[1])


def node_point(page: Page, node_id: str) -> tuple[float, float]:
    """Where a node is on the screen."""
    point = page.evaluate(
        """(id) => {
            const p = network.canvasToDOM(network.getPositions([id])[id]);
            const box = document.getElementById("graph").getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""",
        node_id,
    )
    return float(point[0]), float(point[1])


def pages(server: dict[str, str]) -> dict[str, str]:
    base = server["base"]
    return {
        "neighbourhood": f"{base}/viz/neighbourhood?iri={REFURB}&depth=2",
        "match-stored": f"{base}/viz/match?id={server['match']}",
        "match-fresh": f"{base}/viz/match?what=bureaustoel&near=Kortrijk",
        "loops": f"{base}/viz/loops",
    }


@pytest.mark.parametrize("name", ["neighbourhood", "match-stored", "match-fresh", "loops"])
def test_each_page_draws_what_the_server_sent(
    server: dict[str, str], page: Page, recorder: Recorder, name: str
) -> None:
    url = pages(server)[name]
    data = sent(url)
    time_to_stable(page, url, timeout_s=60)  # raises when the drawing never settles
    assert drawn(page) == (len(data["nodes"]), len(data["edges"]))
    assert page.evaluate("network.physics.physicsEnabled") is False
    if name != "match-fresh":  # a fresh match depends on today's offers; the others do not
        assert data["nodes"], name
    if name == "match-stored":
        styles = [e["style"] for e in data["edges"]]
        assert "open" in styles and any(n["group"] == "missing" for n in data["nodes"])
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"viz-{name}.png"))


def test_click_selects_a_node_and_fills_the_side_panel(server: dict[str, str], page: Page) -> None:
    url = pages(server)["neighbourhood"]
    time_to_stable(page, url, timeout_s=60)
    target = EX + "offer/example-refurb-chair-sale"
    x, y = node_point(page, target)
    page.wait_for_timeout(300)
    page.mouse.click(x, y)
    page.wait_for_selector(f'#panel[data-node="{target}"]', timeout=5000)
    assert page.evaluate("network.getSelectedNodes()") == [target]
    assert page.inner_text("#panel-title") == (
        "Refurbished office chairs with buy-back (Example Refurb)"
    )
    facts = page.inner_text("#panel-facts")
    assert "supply offer" in facts and "Example Refurb Kortrijk" in facts
    links = page.eval_on_selector_all("#panel-links a", "as => as.map(a => a.href)")
    base = server["base"]
    assert links[0].startswith(f"{base}/resource?iri=https%3A%2F%2Fexample.org")
    assert links[1].startswith(f"{base}/viz/neighbourhood?iri=")
    page.goto(links[1])  # "re-centre here"
    page.wait_for_function("window.vizReady !== undefined", timeout=60000)
    assert page.inner_text("h1").startswith("Neighbourhood of Refurbished office chairs")


def test_hover_shows_a_plain_text_tooltip(server: dict[str, str], page: Page) -> None:
    time_to_stable(page, pages(server)["neighbourhood"], timeout_s=60)
    x, y = node_point(page, REFURB)
    page.mouse.move(x - 40, y - 40)
    page.mouse.move(x, y, steps=5)
    tooltip = page.wait_for_selector("div.vis-tooltip", state="visible", timeout=5000)
    assert tooltip is not None
    text = tooltip.inner_text()
    assert text.startswith("Example Refurb Kortrijk\norganisation · refurbisher")
    assert tooltip.inner_html().count("<") == text.count("<") + tooltip.inner_html().count("<br")


def test_a_label_with_markup_renders_as_text(
    server: dict[str, str], page: Page, recorder: Recorder
) -> None:
    recorder.dialogs.clear()
    evil = EX + "organisation/evil"
    url = f"{server['base']}/viz/neighbourhood?iri={evil}"
    time_to_stable(page, url, timeout_s=60)
    assert page.inner_text("h1") == f"Neighbourhood of {EVIL}"
    assert page.inner_text("#panel-title") == EVIL  # the centre is shown first
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    flow = EX + "flow/evil"
    x, y = node_point(page, flow)
    page.wait_for_timeout(300)
    page.mouse.click(x, y)
    page.wait_for_selector(f'#panel[data-node="{flow}"]', timeout=5000)
    assert page.inner_text("#panel-title") == "<img src=x onerror=alert(2)> flow"
    page.mouse.move(x + 30, y + 30)
    page.mouse.move(x, y, steps=5)
    tooltip = page.wait_for_selector("div.vis-tooltip", state="visible", timeout=5000)
    assert tooltip is not None and tooltip.inner_text().startswith("<img src=x")
    assert page.evaluate("document.querySelectorAll('img, #panel script').length") == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "viz-escaped-label.png"))
    assert recorder.dialogs == []


def test_nothing_leaves_the_host_and_no_policy_is_violated(
    server: dict[str, str], context: BrowserContext
) -> None:
    recorder = Recorder()
    tab = context.new_page()
    recorder.attach(tab)
    evil = f"{server['base']}/viz/neighbourhood?iri={EX}organisation/evil&depth=2"
    for url in [*pages(server).values(), evil]:
        time_to_stable(tab, url, timeout_s=60)
        tab.mouse.move(300, 300)
    tab.close()
    base = server["base"] + "/"
    assert len(recorder.requests) >= 5
    assert [u for u in recorder.requests if not u.startswith(base)] == []
    assert not any(u.endswith("/viz/x") for u in recorder.requests)  # the <img> never loaded
    problems = [m for m in recorder.console if "Content Security Policy" in m or "rror" in m]
    assert problems == []
    assert recorder.dialogs == []


def test_time_to_a_stable_drawing(tmp_path: Path, context: BrowserContext) -> None:
    """Measured, not asserted: the numbers go to tests/artifacts/viz-timing.json."""
    results = measure(tmp_path, (200, 2000), repeat=3, context=context)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "viz-timing.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    for row in results:
        assert row["drawn"] == row["nodes"]
        print(f"{row['nodes']} nodes: layout {row['layout_s']} s, drawn in {row['stable_s']} s")
