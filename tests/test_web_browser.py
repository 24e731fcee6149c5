"""The web app in a real browser: Debian's Chromium through playwright against ``kringloop
serve`` on 127.0.0.1 with the demo data (never `playwright install`).

What a procurement officer and a facilitator do: fill the form for chairs near Hasselt on
lease and see the closed loops with names and business models, in Dutch, French and
English; a typo in the place answered with a suggestion; a "widen the radius" change that
reruns the request and closes a loop; saving a match with the write token; the loops page
filtered to a category; the SPARQL editor's share link. Every page passes axe-core (from
npm, installed once into a cache folder by `axe_source`) without a serious or critical
violation, at desktop and phone width, in Dutch and French, and no request leaves the host.
Screenshots of every page go to tests/artifacts/ (gitignored).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from tests.conftest import free_port
from tests.test_serve import wait_for
from tests.viz_timing import CHROMIUM, CHROMIUM_ARGS

pytest.importorskip("playwright.sync_api")
if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium (.ci/sysdeps)"),
]

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TOKEN = "web-browser-token"
AXE_VERSION = "4"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kringloop-tests"


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's axe.min.js, from npm: installed once into the cache folder (or the file
    named by KRINGLOOP_AXE_JS). Only the tests load it, into the page under test."""
    given = os.environ.get("KRINGLOOP_AXE_JS")
    path = Path(given) if given else cache_dir() / "axe" / "node_modules/axe-core/axe.min.js"
    if not path.is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("the accessibility checks need npm (apt-get install npm; .ci/sysdeps)")
        folder = cache_dir() / "axe"
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(folder),
                "--no-audit",
                "--no-fund",
                "--silent",
                f"axe-core@{AXE_VERSION}",
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``kringloop serve`` with the demo data and a write token, on a free port."""
    work = tmp_path_factory.mktemp("web-browser")
    port = free_port()
    env = {
        **os.environ,
        "KRINGLOOP_STORE_PATH": str(work / "store"),
        "KRINGLOOP_VALIDATE_DATA": "false",
        "KRINGLOOP_WRITE_TOKEN": TOKEN,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "kringloop.service.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(f"{base}/healthz", process).status_code == 200
        yield base
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


class Recorder:
    """Every request the browser made, and every error the pages logged."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.problems: list[str] = []

    def attach(self, page: Page) -> None:
        page.on("request", lambda r: self.requests.append(r.url))
        page.on(
            "console",
            lambda m: self.problems.append(m.text) if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))

    def outside(self) -> list[str]:
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme not in ("data", "blob", "about")
            and urlsplit(url).hostname != "127.0.0.1"
        ]


@pytest.fixture(scope="module")
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """Chromium as a Flemish reader's browser (Accept-Language nl-BE)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        ctx = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("web-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            locale="nl-BE",
        )
        try:
            yield ctx
        finally:
            ctx.close()


@pytest.fixture
def page(context: BrowserContext, recorder: Recorder) -> Iterator[Page]:
    tab = context.new_page()
    recorder.attach(tab)
    yield tab
    tab.close()


def query_of(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def cards(page: Page) -> list[str]:
    """The status of each chain card on the page, in order."""
    found: list[str] = page.eval_on_selector_all(
        "section.chains article.chain",
        "cards => cards.map(c => c.className.replace('chain status-', ''))",
    )
    return found


# -- what a procurement officer does -----------------------------------------------------------


def test_chairs_near_hasselt_on_lease_in_three_languages(server: str, page: Page) -> None:
    page.goto(server + "/")
    page.click("text=Zoek een gesloten kringloop")
    page.wait_for_selector("form.request")
    assert page.evaluate("document.documentElement.lang") == "nl"
    page.fill("#f-what", "bureaustoelen")
    page.fill("#f-near", "Hasselt")
    page.check("input[name=business_models][value=lease]")
    page.click("form.request button[type=submit]")
    page.wait_for_selector("article.chain")
    asked = query_of(page)
    assert asked["what"] == ["bureaustoelen"] and asked["near"] == ["Hasselt"]
    assert asked["business_models"] == ["lease"]
    assert cards(page) == ["closed", "closed", "closed"]
    text = page.inner_text("section.chains")
    shown = ("Example Office Refurb Hasselt", "Example Chair Lease Hasselt", "Leasing")
    for said in (*shown, "gesloten", "Bedrijfsmodel", "De keten stap voor stap"):
        assert said in text, said
    assert page.inner_text("h1") == "Ketens voor Bureaustoel bij Hasselt"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-chairs-hasselt-nl.png"), full_page=True)

    page.click("nav.languages a[lang=fr]")
    page.wait_for_selector("article.chain")
    assert page.evaluate("document.documentElement.lang") == "fr"
    french = page.inner_text("section.chains")
    assert "fermée" in french and "Location" in french and "Modèle d'affaires" in french
    assert page.inner_text("h1") == "Chaînes pour Chaise de bureau près de Hasselt"
    assert query_of(page)["business_models"] == ["lease"]  # the same request

    page.click("nav.languages a[lang=en]")
    page.wait_for_selector("article.chain")
    english = page.inner_text("section.chains")
    assert "closed" in english and "Lease" in english and "Business model" in english
    assert cards(page) == ["closed", "closed", "closed"]


def test_a_typo_in_the_place_shows_a_suggestion(server: str, page: Page) -> None:
    page.goto(server + "/find")
    page.fill("#f-what", "bureaustoelen")
    page.fill("#f-near", "Hasseltt")
    page.click("form.request button[type=submit]")
    error = page.wait_for_selector("#error-near")
    assert error is not None and "Hasseltt" in error.inner_text()
    assert page.get_attribute("#f-near", "aria-invalid") == "true"
    page.click("#error-near a:text-is('Hasselt')")
    page.wait_for_selector("article.chain")
    assert query_of(page)["near"] == ["Hasselt"] and "closed" in cards(page)


def test_widening_the_radius_closes_a_loop(server: str, page: Page) -> None:
    page.goto(server + "/find?what=tapijttegels&near=Roeselare")
    page.wait_for_selector("article.chain")
    assert "closed" not in cards(page)
    page.click(".best-change a.rerun")  # "Zoek opnieuw binnen 64 km"
    page.wait_for_selector("article.chain")
    assert query_of(page)["within_km"] == ["64"]
    assert cards(page)[0] == "closed" and set(cards(page)) == {"closed"}


def test_saving_a_match_sends_the_token_as_a_header_only(
    server: str, page: Page, recorder: Recorder
) -> None:
    page.goto(server + "/find?what=bureaustoelen&near=Hasselt&business_models=lease")
    page.fill("#save-token", "wrong")
    page.click("#save-form button")
    page.wait_for_function("document.getElementById('save-status').textContent.includes('niets')")
    page.fill("#save-token", TOKEN)
    with page.expect_navigation():
        page.click("#save-form button")
    assert urlsplit(page.url).path.startswith("/match/")
    assert page.inner_text("h1").startswith("Bewaarde match")
    provenance = page.inner_text("section")
    assert "Gemaakt op" in provenance and "https://w3id.org/kringloop/id/match/" in provenance
    assert page.locator("article.chain").count() == 3
    assert not any(TOKEN in url for url in recorder.requests)


def test_the_loops_page_filtered_to_a_category(server: str, page: Page) -> None:
    page.goto(server + "/loops")
    page.fill("#f-category", "bureaustoel")
    page.select_option("#f-region", "limburg")
    page.click("form.filters button")
    page.wait_for_selector("table.cells")
    assert query_of(page)["category"] == ["bureaustoel"]
    rows = page.eval_on_selector_all(
        "table.cells tbody tr",
        "rows => rows.map(r => r.cells[0].innerText + '|' + r.cells[1].innerText)",
    )
    assert rows == ["Bureaustoel|Limburg"]
    assert page.locator("svg.chart").count() == 1
    csv = page.request.get(server + (page.get_attribute("a[download]", "href") or ""))
    assert csv.ok and csv.headers["content-type"].startswith("text/csv")
    assert "Bureaustoel" in csv.text() and "Limburg" in csv.text()
    page.fill("#f-category", "bureaustol-kantoor")
    page.click("form.filters button")
    message = page.wait_for_selector("#error-category")
    assert message is not None and "bureaustol-kantoor" in message.inner_text()


def test_the_share_link_of_the_editor_opens_the_shared_query(server: str, page: Page) -> None:
    query = "SELECT ?place WHERE { ?place a <https://w3id.org/kringloop/ns#Place> } LIMIT 3"
    page.goto(f"{server}/sparql-editor#query={quote(query)}&tabTitle=gedeeld")
    page.wait_for_selector(".tabPanel.active .yasqe")
    shown = page.evaluate("window.kringloopEditor.getTab().getYasqe().getValue()")
    assert shown == query
    assert page.evaluate("window.kringloopEditor.getTab().getName()") == "gedeeld"
    page.click(".tabPanel.active .yasqe_queryButton")
    page.wait_for_selector(".tabPanel.active .yasr table tbody tr td", timeout=20_000)
    assert page.locator(".tabPanel.active .yasr table tbody tr").count() == 3


def test_the_favicon(server: str, page: Page) -> None:
    icon = page.request.get(server + "/favicon.ico")
    assert icon.ok and icon.headers["content-type"] == "image/x-icon"


def test_no_request_of_these_tasks_left_the_host(recorder: Recorder) -> None:
    assert len(recorder.requests) > 20
    assert recorder.outside() == [], recorder.outside()
    refused = "Failed to load resource: the server responded with a status of 4"
    assert [p for p in recorder.problems if not p.startswith(refused)] == []


# -- every page: accessible, on this host, looked at -----------------------------------------

PAGES = {
    "landing": "/",
    "form": "/find",
    "result": "/find?what=bureaustoelen&near=Hasselt&business_models=lease",
    "promised": "/find?what=tapijttegels&near=Roeselare",
    "nothing": "/find?what=bureaustoelen&near=Hasselt&quantity=5000&partial=0",
    "typo": "/find?what=bureaustoelen&near=Hasseltt",
    "loops": "/loops",
    "loops-chairs": "/loops?category=bureaustoel",
    "gaps": "/loops/gaps?category=bureaustoel",
    "organisations": "/organisations?role=refurbisher",
    "resource": "/id/organisation/nnof",
    "ontology": "/ontology",
    "queries": "/queries",
    "editor": "/sparql-editor",
    "not-found": "/no/such/page",
    "viz-match": "/viz/match?what=tapijttegels&near=Roeselare&within_km=64",
    "viz-loops": "/viz/loops?category=bureaustoel",
    "viz-neighbourhood": "/viz/neighbourhood?iri=https://w3id.org/kringloop/id/organisation/nnof",
}
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
SERIOUS = ("serious", "critical")


def axe(page: Page, source: str) -> list[dict[str, Any]]:
    """The serious and critical violations axe-core finds on ``page``."""
    page.evaluate(source + "\n;undefined")
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))"""
    )
    return [v for v in found if v["impact"] in SERIOUS]


def settle(page: Page, url: str) -> None:
    page.goto(url)
    if "/viz/" in url:
        page.wait_for_function("window.vizReady !== undefined", timeout=60_000)
        page.wait_for_timeout(300)
    elif "sparql-editor" in url:
        page.wait_for_selector(".tabPanel.active .yasqe")


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_every_page_is_accessible_and_stays_on_the_host(
    server: str, context: BrowserContext, axe_source: str, language: str
) -> None:
    recorder = Recorder()
    tab = context.new_page()
    recorder.attach(tab)
    ARTIFACTS.mkdir(exist_ok=True)
    problems: dict[str, list[dict[str, Any]]] = {}
    try:
        for size, viewport in SIZES.items():
            tab.set_viewport_size(viewport)  # type: ignore[arg-type]
            for name, path in PAGES.items():
                joiner = "&" if "?" in path else "?"
                settle(tab, f"{server}{path}{joiner}lang={language}")
                assert tab.evaluate("document.documentElement.lang") == language, name
                tab.screenshot(
                    path=str(ARTIFACTS / f"web-{name}-{language}-{size}.png"), full_page=True
                )
                found = axe(tab, axe_source)
                wide = tab.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                if wide > 0:  # nothing sticks out sideways, on a phone either
                    found.append({"id": "wider-than-the-screen", "by": wide})
                if found:
                    problems[f"{name} ({size})"] = found
    finally:
        tab.close()
    assert problems == {}, problems
    assert recorder.requests, "the pages made no request at all"
    assert recorder.outside() == [], f"requests left the host: {recorder.outside()}"
    # the pages with a typo and an unknown address answer 422 and 404, as they should
    refused = "Failed to load resource: the server responded with a status of 4"
    assert [p for p in recorder.problems if not p.startswith(refused)] == []
    assert len(recorder.problems) <= 2 * len(SIZES)  # those two pages, at each size
