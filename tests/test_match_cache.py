"""Kept rows and the fast paths of matchmaking give the answers of a fresh read, and a match
after a write sees the write."""

from __future__ import annotations

import time
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import TypeVar

import networkx as nx
import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kringloop.graph import OxigraphStore
from kringloop.graph import load as loading
from kringloop.graph.binding import Term
from kringloop.graph.bundle import bundled_sources
from kringloop.graph.store import text
from kringloop.queries import match_cache, near
from kringloop.queries.chains import WayBack, WaysBack, _open, _processor_step
from kringloop.queries.flow_graph import BUYER, MAX_HOPS, Edge, FlowGraph, LoopGraph
from kringloop.queries.matchmaker import MatchResult, match
from kringloop.queries.request import MatchRequest
from kringloop.queries.scoring import Step
from kringloop.queries.stages import stage

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


DISTANCES = """
PREFIX kl: <https://w3id.org/kringloop/ns#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?lat ?long ?km2 WHERE {
  ?s kl:lat ?lat ; kl:long ?long .
  BIND((?lat - ?_lat) * 111.195 AS ?dy)
  BIND((?long - ?_long) * ?_k AS ?dx)
  BIND(xsd:double(?dx) * xsd:double(?dx) + xsd:double(?dy) * xsd:double(?dy) AS ?km2)
}
"""


@pytest.mark.parametrize(("lat", "long"), [(50.8279, 3.2649), (51.0543, 3.7174), (50.9, 5.7)])
def test_the_distance_filter_computes_what_the_sparql_filter_did(lat: float, long: float) -> None:
    store = _golden(OxigraphStore.memory())
    origin = near.Origin(lat, long, 1e9)
    double = ox.NamedNode("http://www.w3.org/2001/XMLSchema#double")
    bindings: dict[str, Term] = {
        "_lat": ox.Literal(repr(lat), datatype=double),
        "_long": ox.Literal(repr(long), datatype=double),
        "_k": ox.Literal(repr(origin.km_per_deg_long), datatype=double),
    }
    rows = store.select(DISTANCES, bindings=bindings, union_default_graph=True)
    assert len(rows) > 5
    for row in rows:
        mine = origin.km2_at(near.number(row["lat"]) or 0.0, near.number(row["long"]) or 0.0)
        assert mine == float(text(row["km2"]))  # the same double, not just close


def test_the_date_filter_compares_as_sparql_does() -> None:
    xsd = "http://www.w3.org/2001/XMLSchema#"
    rows = [
        {"validThrough": ox.Literal("2026-05-31", datatype=ox.NamedNode(xsd + "date"))},
        {"validThrough": ox.Literal("2026-06-01", datatype=ox.NamedNode(xsd + "date"))},
        {"validThrough": ox.Literal("2027-01-01Z", datatype=ox.NamedNode(xsd + "date"))},
        {"validThrough": ox.Literal("soon")},
        {},
    ]
    kept = list(near.valid_on(rows, TODAY))  # type: ignore[arg-type]
    assert kept == rows[1:3] + rows[4:]


def test_supply_stage_still_reads_every_offer_of_a_type() -> None:
    store = _golden(OxigraphStore.memory())
    chair = ox.NamedNode("https://w3id.org/kringloop/id/product/office-chair")
    rows = store.select(
        stage("supply-candidates"), bindings={"_productType": [chair]}, union_default_graph=True
    )
    assert {"lat", "long", "supplier", "model"} <= set(rows[0])
    assert "km2" not in rows[0]


# The search for the way back, against the search it replaced: networkx over the whole graph
# (loop flows, the buyer's edges), one search per processor and offer.


def _reference(
    supplier: str,
    procs: list,  # type: ignore[type-arg]
    edges: list[Edge],
    labels: dict[str, str],
    producers: frozenset[str],
    within_km: float,
) -> WayBack:
    graph = nx.DiGraph()
    for edge in sorted(edges, key=lambda e: (e.source, e.target, e.flow)):
        if not graph.has_edge(edge.source, edge.target):
            graph.add_edge(edge.source, edge.target, flow=edge.flow)

    def path_back(processor: str, targets: set[str]) -> list[str] | None:
        if processor in targets:
            return [processor]
        if processor not in graph:
            return None
        paths = nx.single_source_shortest_path(graph, processor, cutoff=MAX_HOPS)
        found = sorted((len(path), node) for node, path in paths.items() if node in targets)
        return list(paths[found[0][1]]) if found else None

    reach = [p for p in procs if p.reaches(within_km)]
    best = None
    for p in reach:
        back = path_back(p.organisation, {supplier, *producers})
        if back is None:
            continue
        steps = [_processor_step(p)]
        evidence = [p.offer, p.process]
        for i, (a, b) in enumerate(pairwise(back)):
            flow = graph.edges[a, b]["flow"]
            role = "supplier" if b == supplier else ("producer" if b in producers else "partner")
            steps.append(Step(4 + i, role, b, labels.get(b, b), flow=flow))
            evidence.append(flow)
        if back[-1] != supplier:
            if len(back) == 1:
                steps[-1] = Step(**{**steps[-1].__dict__, "role": f"{p.role} and producer"})
            steps.append(
                Step(
                    len(steps) + 3,
                    "supplier (sources from the producer)",
                    supplier,
                    labels.get(supplier, supplier),
                )
            )
        rank = p.realised_rank
        key = (rank if rank is not None else 9, len(back) + 1, p.distance_km, p.offer)
        if best is None or key < best[0]:
            best = (key, WayBack(True, tuple(steps), None, rank, p.strategy, tuple(evidence)))
    if best is not None:
        return best[1]
    fallback = FlowGraph(LoopGraph([], {}), supply={}, take_back={}, labels=labels)
    return _open(supplier, "thing", procs, reach, fallback, False)


NODES = [f"urn:o{i}" for i in range(9)]
KL = "https://w3id.org/kringloop/ns#"


@settings(max_examples=150, deadline=None)
@given(
    loop=st.lists(st.tuples(st.sampled_from(NODES), st.sampled_from(NODES), st.integers(0, 3))),
    supplies=st.lists(st.tuples(st.sampled_from(NODES), st.integers(0, 3)), min_size=1),
    takers=st.lists(
        st.tuples(
            st.sampled_from(NODES),
            st.integers(0, 5),
            st.sampled_from([None, 3, 5, 8]),
            st.sampled_from([5.0, 20.0, 20.0, 70.0]),
            st.sampled_from(["Repair", "Refurbishment", "Recycling"]),
        ),
        max_size=6,
    ),
    producers=st.frozensets(st.sampled_from(NODES), max_size=3),
)
def test_ways_back_are_those_of_a_search_over_the_whole_graph(
    loop: list[tuple[str, str, int]],
    supplies: list[tuple[str, int]],
    takers: list[tuple[str, int, int | None, float, str]],
    producers: frozenset[str],
) -> None:
    from kringloop.queries.chains import Processor

    product = "urn:product"
    loop_edges = [Edge(a, b, "return", f"urn:flow{n}", product) for a, b, n in loop if a != b]
    procs = [
        Processor(f"urn:p{n}-{org[-1]}", org, org.upper(), "urn:proc", KL + kind, product, None,
                  km, None, None, rank)
        for org, n, rank, km, kind in takers
    ]  # fmt: skip
    supply_edges = [Edge(s, BUYER, "supply", f"urn:s{n}", product) for s, n in supplies]
    take_edges = [Edge(BUYER, p.organisation, "take-back", p.offer, product) for p in procs]
    labels = {node: node.upper() for node in NODES[::2]}
    supply: dict[str, str] = {}
    for edge in supply_edges:
        supply[edge.source] = min(edge.flow, supply.get(edge.source, edge.flow))
    take_back: dict[str, str] = {}
    for p in procs:
        take_back[p.organisation] = min(p.offer, take_back.get(p.organisation, p.offer))
    graph = FlowGraph(
        LoopGraph(loop_edges, labels), supply=supply, take_back=take_back, labels=labels
    )
    ways = WaysBack(
        graph, {product: procs}, {product: producers}, lambda _: "thing", within_km=50.0
    )
    everything = [*loop_edges, *supply_edges, *take_edges]
    for supplier in sorted(supply):
        want = _reference(supplier, procs, everything, labels, producers, 50.0)
        assert ways.get(supplier, product, takes_back=False) == want
