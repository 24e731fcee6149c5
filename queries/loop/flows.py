"""Where the flows of a product lead: breadth-first searches over the valid flows that carry it.

The searches do not depend on the request's place or ranks, so they are kept with the facts
(`kringloop.queries.loop.facts.Memo`) and serve every judgement on them.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from kringloop.queries.loop.facts import LoopFacts
from kringloop.queries.loop.records import FlowRecord

if TYPE_CHECKING:
    from kringloop.queries.loop.ways import Use

#: The organisations and flows of a way back, in order.
_Route = tuple[tuple[str, ...], tuple[FlowRecord, ...]]


@dataclass(frozen=True)
class _Reached:
    """A breadth-first search of valid carrying flows from one organisation: the hops to each
    organisation reached and the flow it was reached by."""

    hops: Mapping[str, int]
    came_by: Mapping[str, FlowRecord]

    def path(self, to: str) -> tuple[list[str], list[FlowRecord]]:
        nodes, flows = [to], []
        while to in self.came_by:
            flow = self.came_by[to]
            flows.append(flow)
            to = flow.source
            nodes.append(to)
        return nodes[::-1], flows[::-1]


class FlowSearch:
    """The flow searches on one set of facts."""

    def __init__(self, facts: LoopFacts, *, max_partners: int) -> None:
        self.facts = facts
        self.max_partners = max_partners
        memo = facts.memo  # shared by every judgement on these facts
        self._reached: dict[tuple[str, str, date, date], _Reached] = memo.reached
        self._carriers: dict[str, frozenset[str]] = memo.carriers
        self._reaching_cache: dict[tuple[str, str, date, date], set[str]] = memo.reaching
        self._flows_in: dict[str, list[FlowRecord]] = memo.flows_in
        self._routes: dict[tuple[object, ...], _Route | None] = memo.routes

    def carriers(self, product: str) -> frozenset[str]:
        if product not in self._carriers:
            self._carriers[product] = self.facts.vocabulary.carriers(product)
        return self._carriers[product]

    def reached(self, organisation: str, product: str, use: Use) -> _Reached:
        """Where valid flows carrying ``product`` lead from ``organisation`` (breadth-first,
        flows in IRI order, a little beyond the loop bound so that too long ways are seen)."""
        key = (organisation, product, use.start, use.end)
        if key not in self._reached:
            carriers = self.carriers(product)
            hops = {organisation: 0}
            came_by: dict[str, FlowRecord] = {}
            queue = deque([organisation])
            while queue:
                node = queue.popleft()
                if hops[node] >= self.max_partners:
                    continue
                for flow in self.facts.flows_out.get(node, ()):
                    if flow.target in hops or flow.of not in carriers:
                        continue
                    if not flow.valid.covers(use.start, use.end):
                        continue
                    hops[flow.target] = hops[node] + 1
                    came_by[flow.target] = flow
                    queue.append(flow.target)
            self._reached[key] = _Reached(hops, came_by)
        return self._reached[key]

    def _route(self, start: str, product: str, supplier: str | None, use: Use) -> _Route | None:
        """The organisations and flows from ``start`` to where the way back ends (kept with
        the facts: it does not depend on the request's place or ranks)."""
        key = (start, product, supplier, use.start, use.end)
        if key in self._routes:
            return self._routes[key]
        producers = self.facts.producers.get(product, frozenset())
        reached = self.reached(start, product, use)
        if start == supplier or start in producers:
            # back where it ends at once; what the organisation then does with it, as far as
            # its flows say (a round through a remanufacturer, say), is what is credited
            found: _Route | None = self._round(start, reached, product, use)
        else:
            options = []
            if supplier is not None and supplier in reached.hops:
                options.append((reached.hops[supplier] + 2, 0, supplier))
            for producer in producers & reached.hops.keys():
                options.append((reached.hops[producer] + 3, 1, producer))
            found = None
            if options:
                _, _, end = min(options)
                path, flows = reached.path(end)
                found = (tuple(path), tuple(flows))
        self._routes[key] = found
        return found

    def _round(
        self, start: str, reached: _Reached, product: str, use: Use
    ) -> tuple[tuple[str, ...], tuple[FlowRecord, ...]]:
        """The shortest round of valid carrying flows from ``start`` back to itself, or just
        ``start`` when its flows do not come back."""
        carriers = self.carriers(product)
        best: tuple[int, str, FlowRecord] | None = None
        for node, hops in reached.hops.items():
            if node == start:
                continue
            for flow in self.facts.flows_out.get(node, ()):
                if flow.target != start or flow.of not in carriers:
                    continue
                if flow.valid.covers(use.start, use.end) and (
                    best is None or (hops, flow.flow) < best[:2]
                ):
                    best = (hops, flow.flow, flow)
        if best is None:
            return (start,), ()
        path, route = reached.path(best[2].source)
        return (*path, start), (*route, best[2])

    def _reaching(self, supplier: str, product: str, use: Use) -> set[str]:
        """The organisations from which valid carrying flows lead to ``supplier``."""
        key = (supplier, product, use.start, use.end)
        if key not in self._reaching_cache:
            if not self._flows_in and self.facts.flows_out:
                into: dict[str, list[FlowRecord]] = defaultdict(list)
                for flows in self.facts.flows_out.values():
                    for flow in flows:
                        into[flow.target].append(flow)
                self._flows_in.update(into)
            carriers = self.carriers(product)
            seen = {supplier: 0}
            queue = deque([supplier])
            while queue:
                node = queue.popleft()
                if seen[node] >= self.max_partners:
                    continue
                for flow in self._flows_in.get(node, ()):
                    if flow.source in seen or flow.of not in carriers:
                        continue
                    if flow.valid.covers(use.start, use.end):
                        seen[flow.source] = seen[node] + 1
                        queue.append(flow.source)
            self._reaching_cache[key] = set(seen)
        return self._reaching_cache[key]
