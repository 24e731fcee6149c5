"""Matchmaking, loops and gaps on the golden data (a real store, the real stage queries)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest

from kringloop.graph import OxigraphStore
from kringloop.graph import load as loading
from kringloop.graph.bundle import bundled_sources
from kringloop.queries import loops, match_record, resolve
from kringloop.queries.matchmaker import match
from kringloop.queries.request import MatchRequest
from kringloop.queries.stages import STAGES_DIR, stage

GOLDEN = Path(__file__).parent / "golden" / "golden.ttl"
EX = "https://example.org/kringloop/id/"
TODAY = date(2026, 6, 1)


@pytest.fixture(scope="module")
def store() -> OxigraphStore:
    s = OxigraphStore.memory()
    loading.load(s, [*bundled_sources(["ontology"]), *loading.plan([GOLDEN])])
    return s


@pytest.mark.parametrize("name", sorted(p.stem for p in STAGES_DIR.glob("*.rq")))
def test_every_stage_query_parses_with_its_parameters_bound(name: str) -> None:
    text = stage(name)
    params = sorted({w[2:] for w in text.split() if w.startswith("?_")})
    bindings = {f"_{p.strip('(),.;')}": ox.NamedNode("https://example.org/x") for p in params}
    OxigraphStore.memory().select(text, bindings=bindings)


def test_what_resolves_by_code_label_and_iri(store: OxigraphStore) -> None:
    vocab = resolve.load_vocabulary(store)
    assert resolve.resolve_what(vocab, "39112000").concept.endswith("/39112000")
    assert resolve.resolve_what(vocab, "39112000-0").kind == "cpv"
    assert resolve.resolve_what(vocab, "Bureaustoelen").concept.endswith("/product/office-chair")
    assert resolve.resolve_what(vocab, "office chair").kind == "product"
    iri = "https://w3id.org/kringloop/id/product/workwear"
    assert resolve.resolve_what(vocab, iri).concept == iri


def test_unknown_what_lists_the_closest_labels(store: OxigraphStore) -> None:
    vocab = resolve.load_vocabulary(store)
    with pytest.raises(resolve.ResolutionError) as caught:
        resolve.resolve_what(vocab, "werkkleding voor de keuken")
    assert caught.value.field == "what"
    with pytest.raises(resolve.ResolutionError) as unknown_code:
        resolve.resolve_what(vocab, "99999999")
    assert "not a product type or CPV code" in str(unknown_code.value)
    with pytest.raises(resolve.ResolutionError) as place:
        resolve.resolve_where(store, near="Kortrik", lat=None, long=None, requester=None)
    assert "Kortrijk" in place.value.candidates


def test_product_fit_through_the_cpv_tree(store: OxigraphStore) -> None:
    vocab = resolve.load_vocabulary(store)
    broad = resolve.resolve_what(vocab, "39110000")
    fits = resolve.product_fits(vocab, broad)
    chair = fits["https://w3id.org/kringloop/id/product/office-chair"]
    assert (chair.relation, chair.hops) == ("narrower", 1)
    assert 0 < chair.score < 0.9


def test_chairs_near_kortrijk_give_a_closed_explained_chain(store: OxigraphStore) -> None:
    result = match(
        store, MatchRequest(what="bureaustoel", near="Kortrijk", quantity=40), today=TODAY
    )
    assert result.chains, result.explanation
    top = result.chains[0]
    assert top.closed and top.missing is None
    assert [s.index for s in top.steps] == list(range(1, len(top.steps) + 1))
    assert top.steps[0].role == "supplier" and top.steps[1].role == "buyer"
    assert {c.name for c in top.components} >= {"product_fit", "circularity", "distance", "tco"}
    assert abs(sum(c.contribution for c in top.components) - top.base_score) < 1e-3
    scores = [c.score for c in result.chains]
    assert scores == sorted(scores, reverse=True)
    assert top.offer in top.evidence
    for chain in result.chains:
        assert chain.distance_km <= 50


def test_nothing_within_reach_says_which_filter_removed_the_offers(store: OxigraphStore) -> None:
    result = match(
        store, MatchRequest(what="office chair", near="Brussel", within_km=10), today=TODAY
    )
    assert result.chains == ()
    assert result.explanation[0].endswith("in the graph")
    assert result.explanation[1].startswith("0 within 10 km")


def test_hard_filters_hold(store: OxigraphStore) -> None:
    request = MatchRequest(what="office chair", near="Kortrijk", business_models=["sale"])
    for chain in match(store, request, today=TODAY).chains:
        assert chain.business_model.endswith("/sale")
    none = match(
        store,
        MatchRequest(what="office chair", near="Kortrijk", certifications=["OEKO-TEX"]),
        today=TODAY,
    )
    assert none.chains == () and any("certification" in line for line in none.explanation)
    with pytest.raises(resolve.ResolutionError, match="no certification is called 'fsc'"):
        match(
            store,
            MatchRequest(what="office chair", near="Kortrijk", certifications=["fsc"]),
            today=TODAY,
        )


def test_open_workwear_chain_names_what_is_missing(store: OxigraphStore) -> None:
    result = match(store, MatchRequest(what="workwear", near="Gent", within_km=60), today=TODAY)
    assert result.chains
    assert not result.chains[0].closed
    assert result.chains[0].missing


def test_saved_match_reads_back(store: OxigraphStore) -> None:
    request = MatchRequest(what="office chair", near="Kortrijk")
    result = match(store, request, today=TODAY)
    iri = match_record.save(store, result, request)
    again = match_record.save(store, result, request)  # same request: replaced, not doubled
    assert iri == again
    stored = match_record.load(store, result.id)
    assert [c["rank"] for c in stored["chains"] if c["kind"] == "chain"] == [
        c.rank for c in result.chains
    ]
    assert stored["chains"][0]["score"] == result.chains[0].score
    with pytest.raises(Exception, match="no stored match"):
        match_record.load(store, "0000")


def test_census_and_gaps_on_the_golden_data(store: OxigraphStore) -> None:
    census = loops.census(store, today=TODAY)
    cells = {(c.category_label, c.region_label): (c.closed, c.open) for c in census.cells}
    assert cells[("office chair", "West Flanders")][0] >= 1
    assert cells[("workwear", "East Flanders")] == (0, 1)
    supply_gaps = {g.supplier_label: g for g in census.gaps if g.kind == "supply"}
    # Workwear is recycled but nothing flows back; monitors are taken back by a refurbisher that
    # sends only laptops on. The compostable cups close through compost, maize and PLA.
    assert sorted(str(k) for k in supply_gaps) == [
        "Example IT Supply Gent",
        "Example Workwear Gent",
    ]
    workwear, monitors = supply_gaps["Example Workwear Gent"], supply_gaps["Example IT Supply Gent"]
    assert workwear.missing_role == monitors.missing_role == "producer"
    assert "takes workwear back, but no valid flow leads" in workwear.reason
    assert "takes monitor back, but no valid flow leads" in monitors.reason
    assert cells[("compostable catering tableware", "West Flanders")][0] >= 1
    assert any(g.kind == "processor" for g in census.gaps)
