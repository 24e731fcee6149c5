"""Completing and verifying chains: who takes the product back, and does the loop close?

The flow graph of one request is small: the candidate suppliers, the buyer, the processors in
reach and the organisations their return flows lead to. networkx checks in it that a path
leads from the processor back to the supplier (buyer → processor → … → producer → supplier →
buyer), up to six partners in the loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

import networkx as nx

from kringloop.queries.scoring import Step

KL = "https://w3id.org/kringloop/ns#"
ROLE = "https://w3id.org/kringloop/id/role/"
BUYER = "urn:kringloop:buyer"
MAX_PARTNERS = 6
#: Processors farther than this from the buyer are not looked at.
PROCESS_REACH_KM = 250.0

#: The role an organisation plays by the kind of process it offers.
PROCESS_ROLE = {
    KL + "TakeBack": "collector",
    KL + "Collection": "collector",
    KL + "Repair": "repairer",
    KL + "Refurbishment": "refurbisher",
    KL + "Remanufacturing": "remanufacturer",
    KL + "Recycling": "recycler",
}
#: R-rank a process realises when its offer names no strategy.
PROCESS_RANK = {
    KL + "Repair": 4,
    KL + "Refurbishment": 5,
    KL + "Remanufacturing": 6,
    KL + "Recycling": 8,
}


@dataclass(frozen=True)
class Processor:
    """A processing offer in reach of the buyer."""

    offer: str
    organisation: str
    label: str
    process: str
    process_class: str
    product_type: str
    material: str | None
    distance_km: float
    radius_km: float | None
    strategy: str | None
    rank: int | None

    @property
    def role(self) -> str:
        return PROCESS_ROLE.get(self.process_class, "collector")

    @property
    def realised_rank(self) -> int | None:
        return self.rank if self.rank is not None else PROCESS_RANK.get(self.process_class)

    def reaches(self, fallback_km: float) -> bool:
        """Whether its service radius (or the request's radius) covers the buyer."""
        return self.distance_km <= (self.radius_km if self.radius_km is not None else fallback_km)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str  # return | supply
    flow: str
    of: str


class FlowGraph:
    """The directed graph of partners around one request."""

    def __init__(self, edges: Iterable[Edge], labels: dict[str, str] | None = None) -> None:
        self.labels = labels or {}
        self.graph: nx.DiGraph = nx.DiGraph()
        for edge in sorted(edges, key=lambda e: (e.source, e.target, e.flow)):
            if not self.graph.has_edge(edge.source, edge.target):
                self.graph.add_edge(
                    edge.source, edge.target, flow=edge.flow, kind=edge.kind, of=edge.of
                )

    def path_back(self, processor: str, supplier: str) -> list[str] | None:
        """The shortest path of flows from ``processor`` back to ``supplier`` that keeps the
        whole loop (supplier, buyer, processor … supplier) within six partners."""
        if processor == supplier:
            return [processor]
        if processor not in self.graph or supplier not in self.graph:
            return None
        try:
            path: list[str] = nx.shortest_path(self.graph, processor, supplier)
        except nx.NetworkXNoPath:
            return None
        return path if len(path) + 1 <= MAX_PARTNERS else None

    def edge(self, source: str, target: str) -> dict[str, str]:
        data: dict[str, str] = self.graph.edges[source, target]
        return data

    def reaches_producer(self, processor: str, producers: set[str]) -> str | None:
        """A producer that a return flow from ``processor`` reaches (directly or via others)."""
        if processor not in self.graph:
            return None
        lengths = nx.single_source_shortest_path_length(
            self.graph, processor, cutoff=MAX_PARTNERS - 2
        )
        hits = sorted((d, p) for p, d in lengths.items() if p in producers and p != processor)
        return hits[0][1] if hits else None


def cycle_length(path_back: list[str]) -> int:
    """Partners in the loop supplier → buyer → processor … → supplier.

    >>> cycle_length(["urn:p", "urn:producer", "urn:s"])
    4
    """
    return len(path_back) + 1


@dataclass(frozen=True)
class WayBack:
    """How a supplied product comes back: the steps after the buyer, or what is missing."""

    closed: bool
    steps: tuple[Step, ...] = ()
    missing: str | None = None
    rank: int | None = None
    strategy: str | None = None
    evidence: tuple[str, ...] = ()


def _processor_step(p: Processor) -> Step:
    return Step(
        3,
        p.role,
        p.organisation,
        p.label,
        offer=p.offer,
        process=p.process,
        distance_km=round(p.distance_km, 1),
    )


def way_back(
    supplier: str,
    product_label: str,
    procs: list[Processor],
    graph: FlowGraph,
    producers: set[str],
    *,
    takes_back: bool,
    within_km: float,
) -> WayBack:
    """The best way back for one supply offer.

    Among the processors whose radius covers the buyer, the one whose return path to the
    supplier closes the loop at the best R-rank (then the shortest loop, then the nearest);
    else the supplier's own take-back; else an open chain that says what is missing.
    """
    reach = [p for p in procs if p.reaches(within_km)]
    best: tuple[tuple[int, int, float, str], WayBack] | None = None
    for p in reach:
        back = graph.path_back(p.organisation, supplier)
        if back is None:
            continue
        steps = [_processor_step(p)]
        evidence = [p.offer, p.process]
        for i, (a, b) in enumerate(pairwise(back)):
            flow = graph.edge(a, b)["flow"]
            role = "producer" if b in producers else ("supplier" if b == supplier else "partner")
            steps.append(Step(4 + i, role, b, graph.labels.get(b, b), flow=flow))
            evidence.append(flow)
        rank = p.realised_rank
        key = (rank if rank is not None else 9, cycle_length(back), p.distance_km, p.offer)
        if best is None or key < best[0]:
            found = WayBack(True, tuple(steps), None, rank, p.strategy, tuple(evidence))
            best = (key, found)
    if best is not None:
        return best[1]
    if takes_back:
        label = graph.labels.get(supplier, supplier)
        return WayBack(True, (Step(3, "supplier (take-back)", supplier, label),))
    if reach:
        p = min(reach, key=lambda x: (x.distance_km, x.offer))
        producer = graph.reaches_producer(p.organisation, producers)
        if producer is not None:
            missing = f"no flow from producer {producer} back to the supplier"
        else:
            missing = "no return flow from the processor to a producer"
        return WayBack(
            False, (_processor_step(p),), missing, p.realised_rank, p.strategy, (p.offer,)
        )
    if procs:
        nearest = min(procs, key=lambda x: (x.distance_km, x.offer))
        missing = (
            f"no {nearest.role} for {product_label} within reach of the buyer "
            f"(nearest: {nearest.label} at {nearest.distance_km:.0f} km)"
        )
    else:
        missing = (
            f"no collector, repairer, refurbisher or recycler accepts {product_label} "
            f"within {PROCESS_REACH_KM:.0f} km"
        )
    return WayBack(False, missing=missing)
