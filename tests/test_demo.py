"""The demo data end to end: the README's requests, the designed loops and gaps, the evaluation."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kringloop.graph import OxigraphStore
from kringloop.graph.bundle import initialise
from kringloop.queries import loops
from kringloop.queries.matchmaker import match
from kringloop.queries.request import MatchRequest
from kringloop.service.cli import app

EX = "https://example.org/kringloop/id/organisation/"
TODAY = date(2026, 11, 1)

#: The three example requests of the README.
README_REQUESTS = [
    (
        {
            "what": "bureaustoelen",
            "near": "Hasselt",
            "within_km": 50,
            "business_models": ["lease"],
            "quantity": 40,
        },
        {EX + "office-refurb-hasselt", EX + "chair-lease-hasselt"},
    ),
    (
        {"what": "werkkledij", "near": "Aalst", "within_km": 50, "quantity": 200},
        {EX + "workwear-supply-aalst"},
    ),
    (
        {"what": "luminaire", "near": "Antwerpen", "business_models": ["product-as-a-service"]},
        {EX + "light-as-a-service-antwerpen"},
    ),
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    store = OxigraphStore.open(tmp_path_factory.mktemp("demo") / "store")
    initialise(store)
    return store


@pytest.mark.parametrize(("body", "expected"), README_REQUESTS)
def test_readme_requests_rank_a_closed_loop_first(
    demo: OxigraphStore, body: dict[str, object], expected: set[str]
) -> None:
    result = match(demo, MatchRequest.model_validate(body), today=TODAY)
    top = result.chains[0]
    assert top.closed, top
    assert top.supplier in expected
    assert len(top.steps) >= 3 and top.components


def test_designed_loops_close_and_designed_gaps_stay_open(demo: OxigraphStore) -> None:
    census = loops.census(demo, today=TODAY)
    closed_suppliers = {lp.supplier for lp in census.loops}
    for slug in (
        "chair-lease-hasselt",
        "office-refurb-kortrijk",
        "workwear-supply-aalst",
        "carpet-mills-oudenaarde",
        "it-refurb-leuven",
        "paper-mill-lommel",
    ):
        assert EX + slug in closed_suppliers, slug
    gent = [
        g
        for g in census.gaps
        if g.kind == "supply" and g.supplier_label == "Example Chair Rental Gent"
    ]
    assert gent and all(g.status == "open" and g.missing_role == "collector" for g in gent)
    assert any(g.lease and g.candidates and g.change for g in gent)
    rainwear = [g for g in census.gaps if g.category.endswith("/hi-vis-rainwear")]
    assert rainwear and all("anywhere" in g.reason and "PVC" in g.reason for g in rainwear)
    limburg = [g for g in census.gaps if g.kind == "need" and "tableware" in g.category]
    assert limburg, "reusable tableware needs in Limburg cannot close"
    assert census.bottlenecks


def test_gent_chair_lease_is_open_and_says_why(demo: OxigraphStore) -> None:
    request = MatchRequest(
        what="bureaustoelen", near="Gent", within_km=50, business_models=["lease"]
    )
    result = match(demo, request, today=TODAY)
    assert result.chains and not any(c.closed for c in result.chains)
    assert all(c.missing for c in result.chains)


def test_cli_match_loops_gaps(tmp_path: Path) -> None:
    runner = CliRunner()

    def kl(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, ["--store-path", str(tmp_path / "store"), *args])
        return result.exit_code, result.stdout, result.stderr

    assert kl("init")[0] == 0
    code, out, _ = kl("match", "--what", "werkkledij", "--near", "Aalst", "--json")
    assert code == 0 and json.loads(out)["chains"][0]["closed"] is True
    code, out, _ = kl("match", "--what", "bureaustoelen", "--near", "Hasselt", "--model", "lease")
    assert code == 0 and "closed loop" in out and "score = weighted mean" in out
    code, out, _ = kl("loops")
    assert code == 0 and "closed loop(s)" in out
    code, out, _ = kl("gaps")
    assert code == 0 and "Example Safety Wear Brugge" in out and "missing" in out
    code, _, err = kl("match", "--what", "zzzz", "--near", "Aalst")
    assert code == 2 and "no product type" in err
