"""Property tests of the pure scoring and ranking (hypothesis)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from kringloop.queries.request import COMPONENTS, Weights
from kringloop.queries.scoring import Candidate, Need, Pool, components, rank, rejects, tco_per_unit

MODELS = [f"https://w3id.org/kringloop/id/business-model/{m}" for m in ("sale", "lease", "pooling")]
CERTS = [
    f"https://w3id.org/kringloop/id/certification/{c}" for c in ("fsc", "epeat", "eu-ecolabel")
]
STRATEGIES = [
    f"https://w3id.org/kringloop/id/strategy/{s}" for s in ("reuse", "refurbish", "recycle")
]
SUPPLIERS = [f"https://example.org/kringloop/id/organisation/s{i}" for i in range(4)]

dates = st.dates(min_value=date(2025, 1, 1), max_value=date(2029, 12, 31))


@st.composite
def candidates(draw: st.DrawFn) -> list[Candidate]:
    n = draw(st.integers(min_value=0, max_value=12))
    found = []
    for i in range(n):
        start = draw(st.none() | dates)
        found.append(
            Candidate(
                offer=f"https://example.org/kringloop/id/offer/o{i:02d}",
                supplier=draw(st.sampled_from(SUPPLIERS)),
                supplier_label="Example supplier",
                product_type="https://w3id.org/kringloop/id/product/office-chair",
                model=draw(st.sampled_from(MODELS)),
                fit=draw(st.sampled_from([1.0, 0.9, 0.75, 0.65])),
                fit_relation="exact",
                distance_km=draw(st.floats(min_value=0, max_value=150)),
                closed=draw(st.booleans()),
                chain_rank=draw(st.none() | st.integers(min_value=0, max_value=9)),
                strategies=frozenset(draw(st.sets(st.sampled_from(STRATEGIES)))),
                lease_without_take_back=draw(st.booleans()),
                available=draw(st.none() | st.floats(min_value=0, max_value=1000)),
                tco_per_unit=draw(st.none() | st.floats(min_value=0, max_value=5000)),
                valid_from=start,
                valid_through=draw(st.none() | dates),
                verification=draw(st.sampled_from([0.0, 0.3, 0.6, 1.0])),
                schemes=frozenset(draw(st.sets(st.sampled_from(CERTS)))),
                impact_kg=draw(st.floats(min_value=0, max_value=10000)),
                confidence=draw(st.floats(min_value=0, max_value=1)),
            )
        )
    return found


@st.composite
def needs(draw: st.DrawFn) -> Need:
    return Need(
        quantity=draw(st.floats(min_value=1, max_value=500)),
        within_km=draw(st.floats(min_value=5, max_value=120)),
        needed_by=draw(st.none() | dates),
        period_months=draw(st.none() | st.integers(min_value=1, max_value=60)),
        models=frozenset(draw(st.sets(st.sampled_from(MODELS), max_size=2))),
        strategies=frozenset(draw(st.sets(st.sampled_from(STRATEGIES), max_size=1))),
        certifications=frozenset(draw(st.sets(st.sampled_from(CERTS), max_size=1))),
        max_r_rank=draw(st.none() | st.integers(min_value=0, max_value=9)),
        partial=draw(st.booleans()),
        include_open=draw(st.booleans()),
    )


# all weights 0 is refused by Weights itself (every score would be 0)
weights = (
    st.fixed_dictionaries({name: st.floats(min_value=0, max_value=5) for name in COMPONENTS})
    .filter(lambda w: sum(w.values()) > 0)
    .map(lambda w: Weights(**w))
)


@settings(max_examples=60, deadline=None)
@given(candidates(), needs(), weights, st.integers(min_value=1, max_value=10))
def test_every_result_passes_the_hard_filters(
    pool: list[Candidate], need: Need, w: Weights, k: int
) -> None:
    for scored in rank(pool, need, w, top_k=k):
        assert rejects(scored.candidate, need) is None
        assert scored.candidate.distance_km <= need.within_km + 1e-9


@settings(max_examples=60, deadline=None)
@given(candidates(), needs(), weights, st.randoms(use_true_random=False))
def test_order_of_input_does_not_matter(
    pool: list[Candidate], need: Need, w: Weights, rnd: object
) -> None:
    shuffled = list(pool)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    first = [(s.candidate.offer, s.score) for s in rank(pool, need, w, top_k=5)]
    second = [(s.candidate.offer, s.score) for s in rank(shuffled, need, w, top_k=5)]
    assert first == second


@settings(max_examples=60, deadline=None)
@given(candidates(), needs(), weights)
def test_scores_and_components_stay_in_range(pool: list[Candidate], need: Need, w: Weights) -> None:
    for scored in rank(pool, need, w, top_k=20):
        assert 0.0 <= scored.score <= 1.0
        assert [c.name for c in scored.components] == list(COMPONENTS)
        for c in scored.components:
            assert 0.0 <= c.value <= 1.0
            assert c.contribution >= 0.0
        assert abs(sum(c.contribution for c in scored.components) - scored.base_score) < 1e-3
        assert abs(scored.base_score * scored.diversity_penalty - scored.score) < 1e-3


@settings(max_examples=60, deadline=None)
@given(
    candidates(), needs(), st.sampled_from(["distance", "impact", "confidence", "certification"])
)
def test_a_zero_weight_removes_the_component(pool: list[Candidate], need: Need, name: str) -> None:
    w = Weights(**{name: 0.0})
    changes: dict[str, Callable[[Candidate], Candidate]] = {  # the passing set stays the same
        "distance": lambda c: dataclasses.replace(
            c, distance_km=c.distance_km / 2 if c.distance_km <= need.within_km else c.distance_km
        ),
        "impact": lambda c: dataclasses.replace(c, impact_kg=c.impact_kg * 3 + 1),
        "confidence": lambda c: dataclasses.replace(c, confidence=1.0 - c.confidence),
        "certification": lambda c: dataclasses.replace(c, verification=1.0 - c.verification),
    }
    changed = changes[name]
    before = [(s.candidate.offer, s.score) for s in rank(pool, need, w, top_k=20)]
    moved = [changed(c) for c in pool]
    after = [(s.candidate.offer, s.score) for s in rank(moved, need, w, top_k=20)]
    assert before == after


def test_diversity_keeps_one_supplier_from_filling_the_list() -> None:
    base = Candidate(
        offer="",
        supplier=SUPPLIERS[0],
        supplier_label="",
        product_type="",
        model=MODELS[0],
        fit=1.0,
        fit_relation="exact",
        distance_km=1.0,
        closed=True,
        chain_rank=5,
    )
    pool = [dataclasses.replace(base, offer=f"urn:o{i}") for i in range(4)]
    pool.append(
        dataclasses.replace(base, offer="urn:other", supplier=SUPPLIERS[1], distance_km=20.0)
    )
    ranked = rank(pool, Need(quantity=1, within_km=50), Weights(), top_k=3)
    assert "urn:other" in [s.candidate.offer for s in ranked]
    assert ranked[1].diversity_penalty < 1.0 or ranked[1].candidate.offer == "urn:other"


def test_lease_without_take_back_is_penalised() -> None:
    lease = Candidate(
        offer="urn:a",
        supplier=SUPPLIERS[0],
        supplier_label="",
        product_type="",
        model=MODELS[1],
        fit=1.0,
        fit_relation="exact",
        distance_km=1.0,
        closed=False,
        chain_rank=None,
        lease_without_take_back=True,
    )
    closed = dataclasses.replace(
        lease, offer="urn:b", closed=True, chain_rank=5, lease_without_take_back=False
    )
    need = Need(quantity=1, within_km=50)
    pool = Pool.of([lease, closed])
    value = {
        c.offer: dict((x.name, x.value) for x in components(c, need, Weights(), pool))
        for c in (lease, closed)
    }
    assert value["urn:a"]["circularity"] < 0.1 < value["urn:b"]["circularity"]
    ranked = rank([lease, closed], need, Weights(), top_k=2)
    assert ranked[0].candidate.offer == "urn:b"


def test_tco_of_a_purchase_and_a_lease() -> None:
    assert (
        tco_per_unit(
            years=2,
            unit_price=None,
            monthly_fee=5,
            maintenance=None,
            end_of_life=None,
            residual=None,
        )
        == 120.0
    )
    assert (
        tco_per_unit(
            years=2, unit_price=None, monthly_fee=None, maintenance=1, end_of_life=1, residual=1
        )
        is None
    )
