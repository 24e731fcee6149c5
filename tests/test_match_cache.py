"""Kept rows and the fast paths of matchmaking give the answers of a fresh read, and a match
after a write sees the write."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import TypeVar

import networkx as nx
import pytest

from kringloop.graph import OxigraphStore
from kringloop.graph import load as loading
from kringloop.graph.bundle import bundled_sources, initialise
from kringloop.queries import match_cache
from kringloop.queries.loop.facts import loop_facts, read_vocabulary
from kringloop.queries.loop.judge import LoopJudge, Use
from kringloop.queries.matchmaker import MatchResult, match
from kringloop.queries.request import MatchRequest

GOLDEN = Path(__file__).parent / "golden" / "golden.ttl"
EX = "https://example.org/kringloop/id/"
TODAY = date(2026, 6, 1)
CHAIRS = MatchRequest(what="office chair", near="Kortrijk", quantity=40)
NEW_OFFER = EX + "offer/second-chair-lease"
# A second lease of office chairs by the supplier of the golden data's chair lease, at its site.
INSERT_OFFER = f"""
PREFIX kl: <https://w3id.org/kringloop/ns#>
INSERT DATA {{ GRAPH <https://example.org/kringloop/graph/test-write> {{
  <{NEW_OFFER}> a kl:SupplyOffer ;
    kl:offeredBy <{EX}organisation/example-office-supply> ;
    kl:fromSite <{EX}site/example-office-supply-kortrijk> ;
    kl:businessModel <https://w3id.org/kringloop/id/business-model/lease> ;
    kl:itemOffered <https://w3id.org/kringloop/id/product/office-chair> ;
    kl:includesTakeBack true .
}} }}
"""


S = TypeVar("S", bound=OxigraphStore)


def _golden(store: S) -> S:
    loading.load(store, [*bundled_sources(["ontology"]), *loading.plan([GOLDEN])])
    return store


def _offers(result: MatchResult) -> set[str]:
    return {c.offer for c in (*result.chains, *result.internal_reuse)}


def test_a_match_after_a_write_sees_it() -> None:
    store = _golden(OxigraphStore.memory())
    assert NEW_OFFER not in _offers(match(store, CHAIRS, today=TODAY))
    store.update(INSERT_OFFER)
    assert NEW_OFFER in _offers(match(store, CHAIRS, today=TODAY))


def test_rows_are_kept_for_one_generation_of_the_store() -> None:
    store = _golden(OxigraphStore.memory())
    before = match(store, CHAIRS, today=TODAY)
    assert match_cache.version(store) == ("generation", store.generation)
    # a write behind the counter's back is not seen: the rows really are kept ...
    store.raw.update(INSERT_OFFER)
    assert match(store, CHAIRS, today=TODAY) == before
    # ... and a write that bumps the generation is
    store.update("INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }")
    assert NEW_OFFER in _offers(match(store, CHAIRS, today=TODAY))


def _open_read_only(path: Path) -> OxigraphStore:
    """Open read-only, retrying while the writer moves files (as the query workers do)."""
    for attempt in range(50):
        try:
            return OxigraphStore.open(path, read_only=True)
        except (RuntimeError, OSError) as err:
            if attempt == 49 or not any(m in str(err) for m in ("No such file", "Corruption")):
                raise
            time.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")


def test_a_read_only_store_keeps_its_rows_and_a_reopened_one_sees_writes(tmp_path: Path) -> None:
    writer = _golden(OxigraphStore.open(tmp_path / "store"))
    writer.raw.flush()
    reader = _open_read_only(tmp_path / "store")
    first = match(reader, CHAIRS, today=TODAY)
    assert NEW_OFFER not in _offers(first)
    assert match_cache.version(reader) == "read-only"
    writer.update(INSERT_OFFER)
    writer.raw.flush()
    # the open read-only store answers from its kept rows (it could not see the write anyway:
    # a read-only RocksDB instance reads the files as they were when it was opened)
    assert match(reader, CHAIRS, today=TODAY) == first
    reopened = _open_read_only(tmp_path / "store")  # what a query worker does after a write
    assert NEW_OFFER in _offers(match(reopened, CHAIRS, today=TODAY))
    writer.close()


@pytest.mark.parametrize(
    "body",
    [
        {"what": "office chair", "near": "Kortrijk", "quantity": 40},
        {"what": "bureaustoel", "near": "Gent", "within_km": 80, "business_models": ["sale"]},
        {"what": "workwear", "near": "Gent", "within_km": 60},
        {"what": "39110000", "near": "Kortrijk", "within_km": 100},
        {"what": "office chair", "near": "Brussel", "within_km": 10},
    ],
)
def test_kept_rows_answer_as_a_fresh_read(body: dict[str, object]) -> None:
    request = MatchRequest.model_validate(body)
    fresh = match(_golden(OxigraphStore.memory()), request, today=TODAY)
    kept = _golden(OxigraphStore.memory())
    match(kept, request, today=TODAY)
    assert match(kept, request, today=TODAY) == fresh  # the second from kept rows


def test_a_triple_in_two_graphs_changes_neither_the_answer_nor_the_rows_read() -> None:
    once = _golden(OxigraphStore.memory())
    twice = _golden(OxigraphStore.memory())
    copy = "https://example.org/kringloop/graph/golden-again"
    loading.load(twice, loading.plan([GOLDEN], graph=copy))
    assert twice.count() > once.count()
    for body in (
        {"what": "office chair", "near": "Kortrijk"},
        {"what": "workwear", "near": "Gent"},
    ):
        request = MatchRequest.model_validate(body)
        assert match(twice, request, today=TODAY) == match(once, request, today=TODAY)
    facts_once = loop_facts(once, sorted(read_vocabulary(once).product_types))
    facts_twice = loop_facts(twice, sorted(read_vocabulary(twice).product_types))
    assert facts_twice.supply == facts_once.supply
    assert facts_twice.flows_out == facts_once.flows_out


def test_ways_back_are_the_shortest_paths_of_carrying_flows() -> None:
    """On the demo data, for every product type and processor: the organisations the judgement
    reaches, and how far, are those of networkx over the flows that carry the product."""
    store = OxigraphStore.memory()
    initialise(store, with_data=True)
    vocab = read_vocabulary(store)
    facts = loop_facts(store, sorted(vocab.product_types))
    judge = LoopJudge(facts)
    use = Use(51.0, 4.0, TODAY, TODAY, 50)
    checked = 0
    for product, procs in facts.processing.items():
        carriers = judge.carriers(product)
        graph: nx.DiGraph = nx.DiGraph()
        for flows in facts.flows_out.values():
            for f in flows:
                if f.of in carriers and f.valid.covers(TODAY, TODAY):
                    graph.add_edge(f.source, f.target)
        for q in procs:
            reached = judge.reached(q.organisation, product, use)
            if q.organisation not in graph:
                assert reached.hops == {q.organisation: 0}
                continue
            expected = nx.single_source_shortest_path_length(
                graph, q.organisation, cutoff=judge.max_partners
            )
            assert dict(reached.hops) == expected, (product, q.organisation)
            for node in expected:
                path, flows = reached.path(node)
                assert len(path) == expected[node] + 1 and len(flows) == expected[node]
            checked += 1
    assert checked > 10
