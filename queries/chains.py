"""Completing and verifying chains: who takes the product back, and does the loop close?

The flow graph of one request is small: the candidate suppliers, the buyer, the processors in
reach and the organisations their return flows lead to. networkx checks in it that a path
leads from the processor back to the supplier (buyer → processor → … → producer → supplier →
buyer), up to six partners in the loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from itertools import pairwise

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix  # type: ignore[import-untyped]
from scipy.sparse.csgraph import shortest_path  # type: ignore[import-untyped]

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

    def reaches(self, within_km: float) -> bool:
        """Whether it can take the product back from the buyer: the buyer lies within its
        service radius and within the distance the buyer accepts (loops stay local)."""
        radius = within_km if self.radius_km is None else min(self.radius_km, within_km)
        return self.distance_km <= radius


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str  # return | supply
    flow: str
    of: str


class FlowGraph:
    """The directed graph of partners around one request.

    Hop counts from processors are found for all of them at once (breadth-first search in
    scipy) and kept, so a request asks each processor once however many offers it serves; the
    path itself is looked up by networkx for the chosen processor only.
    """

    def __init__(self, edges: Iterable[Edge], labels: dict[str, str] | None = None) -> None:
        self.labels = labels or {}
        self.graph: nx.DiGraph = nx.DiGraph()
        for edge in sorted(edges, key=lambda e: (e.source, e.target, e.flow)):
            if not self.graph.has_edge(edge.source, edge.target):
                self.graph.add_edge(
                    edge.source, edge.target, flow=edge.flow, kind=edge.kind, of=edge.of
                )
        self._index = {node: i for i, node in enumerate(self.graph)}
        self._hops: dict[str, np.ndarray] = {}
        self._paths: dict[str, dict[str, list[str]]] = {}
        self._nearest: dict[tuple[str, frozenset[str]], tuple[int, str] | None] = {}

    def prepare(self, sources: Iterable[str]) -> None:
        """Count the hops from each of ``sources`` to every node, in one search."""
        todo = sorted({s for s in sources if s in self._index and s not in self._hops})
        if not todo:
            return
        n = len(self._index)
        rows = [self._index[a] for a, _ in self.graph.edges]
        cols = [self._index[b] for _, b in self.graph.edges]
        matrix = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        found = shortest_path(
            matrix, method="D", unweighted=True, indices=[self._index[s] for s in todo]
        )
        for source, row in zip(todo, np.atleast_2d(found), strict=True):
            self._hops[source] = row

    def _hops_from(self, source: str) -> np.ndarray:
        if source not in self._hops:
            self.prepare([source])
        return self._hops[source]

    def nearest(
        self, processor: str, supplier: str, producers: frozenset[str]
    ) -> tuple[int, str] | None:
        """The nearest of the supplier and the producers that flows from ``processor`` reach
        within six partners, as (nodes on the path, node), ties broken by the node; or None."""
        if processor == supplier or processor in producers:
            return (1, processor)
        if processor not in self._index:
            return None
        hops = self._hops_from(processor)
        key = (processor, producers)
        if key not in self._nearest:
            reached = [
                (int(hops[self._index[t]]) + 1, t)
                for t in producers
                if t in self._index and hops[self._index[t]] <= MAX_PARTNERS - 2
            ]
            self._nearest[key] = min(reached) if reached else None
        best = self._nearest[key]
        if supplier in self._index and hops[self._index[supplier]] <= MAX_PARTNERS - 2:
            mine = (int(hops[self._index[supplier]]) + 1, supplier)
            best = mine if best is None or mine < best else best
        return best

    def path(self, processor: str, node: str) -> list[str]:
        """The shortest path of flows from ``processor`` to ``node`` (networkx's choice)."""
        if processor == node:
            return [processor]
        if processor not in self._paths:
            self._paths[processor] = nx.single_source_shortest_path(
                self.graph, processor, cutoff=MAX_PARTNERS - 2
            )
        return list(self._paths[processor][node])

    def edge(self, source: str, target: str) -> dict[str, str]:
        data: dict[str, str] = self.graph.edges[source, target]
        return data


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


def _closed(
    p: Processor, back: list[str], supplier: str, producers: frozenset[str], graph: FlowGraph
) -> WayBack:
    """The closed way back through processor ``p`` along the flows ``back``."""
    steps = [_processor_step(p)]
    evidence = [p.offer, p.process]
    for i, (a, b) in enumerate(pairwise(back)):
        flow = graph.edge(a, b)["flow"]
        role = "supplier" if b == supplier else ("producer" if b in producers else "partner")
        steps.append(Step(4 + i, role, b, graph.labels.get(b, b), flow=flow))
        evidence.append(flow)
    if back[-1] != supplier:  # back with a producer of the product, who supplies the supplier
        if len(back) == 1:
            steps[-1] = replace(steps[-1], role=f"{p.role} and producer")
        steps.append(
            Step(
                len(steps) + 3,
                "supplier (sources from the producer)",
                supplier,
                graph.labels.get(supplier, supplier),
            )
        )
    rank = p.realised_rank
    return WayBack(True, tuple(steps), None, rank, p.strategy, tuple(evidence))


def way_back(
    supplier: str,
    product_label: str,
    procs: list[Processor],
    graph: FlowGraph,
    producers: frozenset[str],
    *,
    takes_back: bool,
    within_km: float,
    reach: list[Processor] | None = None,
) -> WayBack:
    """The best way back for one supply offer.

    The loop closes when a processor whose radius covers the buyer takes the product back and
    flows lead from it to the supplier, or to a producer of the product (who supplies the
    supplier: product or material is back with its maker). Among those, the best R-rank wins,
    then the shortest loop, then the nearest processor. Else the supplier's own take-back;
    else an open chain that says what is missing. ``reach``: those of ``procs`` that reach
    the buyer, when the caller has them already.
    """
    if reach is None:
        reach = [p for p in procs if p.reaches(within_km)]
    graph.prepare(p.organisation for p in reach)
    chosen: tuple[tuple[int, int, float, str], Processor, str] | None = None
    for p in reach:
        near = graph.nearest(p.organisation, supplier, producers)
        if near is None:
            continue
        rank = p.realised_rank
        key = (rank if rank is not None else 9, near[0] + 1, p.distance_km, p.offer)
        if chosen is None or key < chosen[0]:
            chosen = (key, p, near[1])
    if chosen is not None:
        p, node = chosen[1], chosen[2]
        return _closed(p, graph.path(p.organisation, node), supplier, producers, graph)
    if takes_back:
        label = graph.labels.get(supplier, supplier)
        return WayBack(True, (Step(3, "supplier (take-back)", supplier, label),))
    direct = [p for p in reach if p.material is None] or reach
    if direct:
        p = min(direct, key=lambda x: (x.distance_km, x.offer))
        missing = (
            f"{p.label} ({p.role}) takes it back, but no flow leads from there to a producer "
            "of the product or to the supplier"
        )
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
