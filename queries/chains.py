"""Completing and verifying chains: who takes the product back, and does the loop close?

The flow graph of one request is small: the candidate suppliers, the buyer, the processors in
reach and the organisations their return flows lead to. A breadth-first search in it checks
that a path leads from the processor back to the supplier (buyer → processor → … → producer →
supplier → buyer), up to six partners in the loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np

from kringloop.queries.flow_graph import BUYER, MAX_HOPS, MAX_PARTNERS, Edge, FlowGraph
from kringloop.queries.scoring import Step

__all__ = [
    "BUYER",
    "MAX_PARTNERS",
    "PROCESS_REACH_KM",
    "Edge",
    "FlowGraph",
    "Processor",
    "WaysBack",
]

KL = "https://w3id.org/kringloop/ns#"
ROLE = "https://w3id.org/kringloop/id/role/"
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
        flow = graph.flow(a, b)
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


class WaysBack:
    """The best way back for the supply offers of one request, one (supplier, product type)
    at a time, over processors and flows looked at once.

    The loop closes when a processor whose radius covers the buyer takes the product back and
    flows lead from it to the supplier, or to a producer of the product (who supplies the
    supplier: product or material is back with its maker). Among those, the best R-rank wins,
    then the shortest loop, then the nearest processor, then the offer. Else the supplier's own
    take-back; else an open chain that says what is missing.
    """

    def __init__(
        self,
        graph: FlowGraph,
        by_type: Mapping[str, list[Processor]],
        producers: Mapping[str, frozenset[str]],
        labels: Callable[[str], str],
        *,
        within_km: float,
    ) -> None:
        self.graph, self.by_type, self.producers, self.labels = graph, by_type, producers, labels
        self.reach = {
            product: [p for p in procs if p.reaches(within_km)]
            for product, procs in by_type.items()
        }
        self._hops: dict[str, np.ndarray] = {}
        self._base: dict[str, tuple[int, int, float, str, int] | None] = {}
        self._outside: dict[str, list[int]] = {}
        self._columns: dict[str, dict[str, int]] = {}
        self._open: dict[str, WayBack] = {}
        self._order: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._found: dict[tuple[str, str, bool], WayBack] = {}

    def _prepare(self, product: str) -> None:
        """Hops from each processor in reach (rows) to every node, and the best loop through a
        producer alone: (rank, partners, km, offer, position)."""
        reach = self.reach.get(product, [])
        graph = self.graph
        producers = self.producers.get(product, frozenset())
        # only the columns a way back can end in: the request's suppliers, the producers
        targets = sorted({*graph.supply, *(t for t in producers if t in graph)})
        self._columns[product] = {t: j for j, t in enumerate(targets)}
        hops = graph.hops([p.organisation for p in reach], targets)
        self._hops[product] = hops
        found = [j for j, t in enumerate(targets) if t in producers]
        outside = [i for i, p in enumerate(reach) if p.organisation not in graph]
        self._outside[product] = outside
        keys = [_key(reach[i], 2, i) for i in outside if reach[i].organisation in producers]
        # Processors ordered as the key orders them, hops aside: (rank, km, offer, position);
        # a processor's order among all is then weighed below its rank and above its km.
        ranks = sorted({_key(p, 0, 0)[0] for p in reach})
        ahead = sorted(range(len(reach)), key=lambda i: _key(reach[i], 0, i))
        tie = np.empty(len(reach))
        tie[ahead] = np.arange(len(reach))
        rank = np.array([ranks.index(_key(p, 0, 0)[0]) for p in reach], dtype=np.float64)
        self._order[product] = (rank * (MAX_HOPS + 1), tie)
        if reach and found:
            keys += self._best(product, reach, hops[:, found].min(axis=1))
        self._base[product] = min(keys) if keys else None

    def _best(
        self, product: str, reach: list[Processor], hops: np.ndarray
    ) -> list[tuple[int, int, float, str, int]]:
        """The best key among the processors that ``hops`` (one per processor) says reach the
        target: (rank, partners, km, offer, position), as one number per processor."""
        rank, tie = self._order[product]
        order = (rank + hops) * len(reach) + tie  # inf where the target is out of reach
        i = int(order.argmin())
        if not hops[i] <= MAX_HOPS:
            return []
        return [_key(reach[i], int(hops[i]) + 2, i)]

    def get(self, supplier: str, product: str, *, takes_back: bool) -> WayBack:
        """The way back for an offer of ``product`` by ``supplier``."""
        key = (supplier, product, takes_back)
        if key not in self._found:
            self._found[key] = self._find(supplier, product, takes_back=takes_back)
        return self._found[key]

    def _find(self, supplier: str, product: str, *, takes_back: bool) -> WayBack:
        if product not in self._base:
            self._prepare(product)
        reach = self.reach.get(product, [])
        producers = self.producers.get(product, frozenset())
        base = self._base[product]
        keys = [] if base is None else [base]
        # a processor that is the supplier itself, outside the flow graph, closes its own loop
        keys += [
            _key(reach[i], 2, i)
            for i in self._outside[product]
            if reach[i].organisation == supplier
        ]
        if reach and supplier in self.graph:
            column = self._columns[product].get(supplier)
            if column is None:  # not one of the request's suppliers: its own search
                hops = self.graph.hops([p.organisation for p in reach], [supplier])[:, 0]
            else:
                hops = self._hops[product][:, column]
            keys += self._best(product, reach, hops)
        best = min(keys) if keys else None
        if best is not None:
            p = reach[best[-1]]
            near = self.graph.nearest(p.organisation, supplier, producers)
            assert near is not None
            back = self.graph.path(p.organisation, near[1])
            return _closed(p, back, supplier, producers, self.graph)
        if takes_back:
            return _open(supplier, "", [], reach, self.graph, True)
        if product not in self._open:  # the same for every supplier of the product
            procs = self.by_type.get(product, [])
            self._open[product] = _open(
                supplier, self.labels(product), procs, reach, self.graph, False
            )
        return self._open[product]


def _key(p: Processor, partners: int, position: int) -> tuple[int, int, float, str, int]:
    rank = p.realised_rank
    return (rank if rank is not None else 9, partners, p.distance_km, p.offer, position)


def _open(
    supplier: str,
    product_label: str,
    procs: list[Processor],
    reach: list[Processor],
    graph: FlowGraph,
    takes_back: bool,
) -> WayBack:
    """No flow leads back: the supplier's own take-back, else what is missing."""
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
