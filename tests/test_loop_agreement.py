"""One verdict everywhere: offer by offer, on the golden and the demo data, matchmaking at the
census's place of use says what the census says, and the census, its JSON, the command line and
the loops page count the same."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kringloop.graph import OxigraphStore
from kringloop.graph import load as loading
from kringloop.graph.bundle import bundled_sources, initialise
from kringloop.queries import loops, visual_chains
from kringloop.queries.matchmaker import match
from kringloop.queries.request import MatchRequest
from kringloop.service.app import create_app
from kringloop.service.settings import Settings

GOLDEN = Path(__file__).parent / "golden" / "golden.ttl"
TODAY = date(2026, 6, 1)


def golden() -> OxigraphStore:
    store = OxigraphStore.memory()
    loading.load(store, [*bundled_sources(["ontology"]), *loading.plan([GOLDEN])])
    return store


def demo() -> OxigraphStore:
    store = OxigraphStore.memory()
    initialise(store, with_data=True)
    return store


@pytest.fixture(scope="module", params=["golden", "demo"])
def store(request: pytest.FixtureRequest) -> OxigraphStore:
    return golden() if request.param == "golden" else demo()


def test_matchmaking_at_the_census_place_gives_the_census_verdict(store: OxigraphStore) -> None:
    census = loops.census(store, today=TODAY)
    assert census.verdicts
    compared = 0
    for offer, verdict in sorted(census.verdicts.items()):
        site = census.sites[offer]
        product = (
            next(lp.category for lp in census.loops if lp.offer == offer)
            if verdict.closed
            else None
        )
        product = product or next(
            g.category for g in census.gaps if g.kind == "supply" and g.subject == offer
        )
        request = MatchRequest(
            what=product, lat=site.lat, long=site.long, within_km=loops.DEFAULT_RADIUS_KM, top_k=50
        )
        chains = {c.offer: c for c in match(store, request, today=TODAY).chains}
        if offer not in chains:  # another site of the supplier is nearer this place
            continue
        chain = chains[offer]
        assert chain.status == verdict.status, (offer, chain.verdict, verdict)
        assert chain.verdict.missing_role == verdict.missing_role, offer
        assert chain.verdict.partners == verdict.partners, offer
        compared += 1
    assert compared >= len(census.verdicts) * 0.9


def test_census_json_cli_and_page_count_the_same(store: OxigraphStore) -> None:
    census = loops.census(store, today=TODAY)
    counts = {s: census.count(s) for s in ("closed", "promised", "open")}
    assert counts["closed"] == len(census.loops)
    supply = [g for g in census.gaps if g.kind == "supply"]
    assert len(supply) == counts["promised"] + counts["open"]
    assert len({g.subject for g in supply}) == len(supply)  # one gap line per offer
    cells = census.cells
    assert sum(c.closed for c in cells) == counts["closed"]
    assert sum(c.promised for c in cells) == counts["promised"]
    assert sum(c.open for c in cells) == counts["open"]
    page = visual_chains.loops_graph(store, today=TODAY, cap=5000)
    numbers = [int(n) for n in re.findall(r"\d+", page.notes[0])]
    assert numbers == [counts["closed"], counts["promised"], counts["open"]]


def test_the_http_census_counts_as_the_core() -> None:
    app = create_app(Settings(store="memory", demo_data=True))
    with TestClient(app) as client:
        body = client.get("/loops").json()
        gaps = client.get("/loops/gaps").json()["gaps"]
        store = app.state.store
        census = loops.census(store)
    assert body["closed"] == census.count("closed") == len(body["loops"])
    assert body["promised"] == census.count("promised")
    assert body["open"] == census.count("open")
    assert len([g for g in gaps if g["kind"] == "supply"]) == body["promised"] + body["open"]
