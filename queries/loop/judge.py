"""The one judgement of kringloop: does the loop of a supply offer close, for a place of use,
a period and a quantity?

A loop closes when a processing offer that is valid over the whole period, whose service
radius covers the place of use and that lies within the buyer's distance, accepts the product
type (or one of its materials), and from its organisation valid flows that each carry the
product type, one of its materials or what a process makes of them lead back to the supplier
or to a producer of the product type — through at most `max_partners` distinct organisations,
supplier and buyer included. A processor that handles less a year than the need returns closes
it only in part (when the request allows that). The strategy credited is what the way back
does: its weakest step (`credit`).

When no loop closes, the verdict is **promised** if the offer only promises take-back
(``kl:includesTakeBack``), else **open**; either way it names the missing role, the
organisations that would close it if they were in reach, and the smallest change to the
request that closes it.

Everything else — matchmaking, the census and its gaps, the graph pages, the evaluation — asks
this module.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np

from kringloop.queries.loop.facts import LoopFacts
from kringloop.queries.loop.kinds import (
    KILOGRAMS,
    PROCESS_STRATEGY,
    RECYCLE,
    REUSE,
    role_of,
)
from kringloop.queries.loop.nearby import SLACK_KM, SiteIndex
from kringloop.queries.loop.records import FlowRecord, ProcessingRecord, Site, SupplyRecord, Window
from kringloop.queries.loop.verdict import Change, Closer, Reason, Status, Step, Verdict
from kringloop.queries.resolve import distance_km

#: Distinct organisations a loop may have, supplier and buyer included.
MAX_PARTNERS = 6
#: Organisations that would close an open loop, reported at most.
CLOSERS = 3


@dataclass(frozen=True)
class Use:
    """Where, when and how much: the place of use, the period and the need."""

    lat: float
    long: float
    start: date
    end: date
    within_km: float
    quantity: float | None = None
    years: float = 1.0
    partial: bool = True
    requester: str | None = None

    @property
    def returns_per_year(self) -> float | None:
        """What the need sends back a year (all of it within a year for short periods)."""
        if self.quantity is None:
            return None
        return self.quantity / max(1.0, self.years)


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


@dataclass(frozen=True)
class _Way:
    """One processing offer's way back for one supply offer."""

    processing: ProcessingRecord
    site: Site
    km: float
    nodes: tuple[str, ...]
    flows: tuple[FlowRecord, ...]
    partners: int
    strategy: str
    rank: int
    shortfall: float

    def key(self) -> tuple[bool, int, int, float, str]:
        """Full capacity first, then the best rank, the shortest loop, the nearest, the offer."""
        return (self.shortfall > 0, self.rank, self.partners, self.km, self.processing.offer)


@dataclass(frozen=True)
class _Table:
    """Per site of a product type's processing offers: radius, rank and partners of the way
    back to a producer (inf where there is none, or the offer is not valid over the period),
    the offer's place in IRI order, and its capacity in pieces a year."""

    grid: SiteIndex[int]
    radius: np.ndarray[Any, Any]
    rank: np.ndarray[Any, Any]
    partners: np.ndarray[Any, Any]
    order: np.ndarray[Any, Any]
    capacity: np.ndarray[Any, Any]


@dataclass(frozen=True)
class _Template:
    """A processing offer's way back to a producer, before the place of use is known."""

    route: _Route
    partners: int
    strategy: str
    rank: int


def nearest_site(sites: tuple[Site, ...], lat: float, long: float) -> tuple[Site, float] | None:
    """The site nearest to ``lat``/``long`` and its distance (ties: the first by IRI)."""
    best: tuple[float, str, Site] | None = None
    for site in sites:
        km = distance_km(lat, long, site.lat, site.long)
        if best is None or (km, site.iri) < best[:2]:
            best = (km, site.iri, site)
    return (best[2], best[0]) if best is not None else None


def _window_text(valid: Window) -> str:
    start = valid.start.isoformat() if valid.start else "…"
    end = valid.end.isoformat() if valid.end else "…"
    return f"from {start} to {end}"


class LoopJudge:
    """Judges loops on one set of facts; keeps its searches for the judgements that follow
    (one request, or one census)."""

    def __init__(
        self,
        facts: LoopFacts,
        *,
        max_partners: int = MAX_PARTNERS,
        overrides: Mapping[str, int] | None = None,
    ) -> None:
        self.facts = facts
        self.max_partners = max_partners
        self.ranks = {**facts.vocabulary.ranks, **(overrides or {})}
        memo = facts.memo  # shared by every judgement on these facts
        self._reached: dict[tuple[str, str, date, date], _Reached] = memo.reached
        self._carriers: dict[str, frozenset[str]] = memo.carriers
        self._grids: dict[str, SiteIndex[int]] = memo.grids
        self._reaching_cache: dict[tuple[str, str, date, date], set[str]] = memo.reaching
        self._flows_in: dict[str, list[FlowRecord]] = memo.flows_in
        self._by_organisation: dict[str, dict[str, list[ProcessingRecord]]] = memo.by_organisation
        self._entries_by_org: dict[str, dict[str, list[int]]] = memo.entries_by_org
        self._routes: dict[tuple[object, ...], _Route | None] = memo.routes
        # what depends on the request's place and ranks: this judge's own
        self._around: dict[tuple[str, float, float, float, date, date], _Around] = {}
        self._templates: dict[tuple[str, str, date, date], _Template | None] = {}
        self._tables: dict[tuple[str, date, date], _Table] = {}

    # -- the flows ---------------------------------------------------------------------------

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

    def credit(
        self, q: ProcessingRecord, flows: tuple[FlowRecord, ...], product: str
    ) -> tuple[str, int]:
        """The strategy a way back realises: its weakest step (the highest rank). The
        processing offer's own strategy, else its process's; each flow's process when it
        carries the product itself, at best recycling when it carries a material; reuse when
        the product comes back whole and nothing else is done to it."""
        steps: list[str] = []
        own = q.strategy or PROCESS_STRATEGY.get(q.process_class)
        if own is not None:
            steps.append(own)
        kinds = self.facts.vocabulary.process_class
        for flow in flows:
            done = PROCESS_STRATEGY.get(kinds.get(flow.process or "", ""))
            if flow.of == product:
                if done is not None:
                    steps.append(done)
            else:
                steps.append(done if done is not None and self._rank(done) > 8 else RECYCLE)
        if not steps:
            return REUSE, self._rank(REUSE)
        weakest = max(steps, key=lambda s: (self._rank(s), s))
        return weakest, self._rank(weakest)

    def _rank(self, strategy: str) -> int:
        return self.ranks.get(strategy, 9)

    def _way(
        self,
        q: ProcessingRecord,
        site: Site,
        km: float,
        product: str,
        supplier: str | None,
        use: Use,
    ) -> _Way | None:
        """The way back through ``q`` to ``supplier`` or a producer of ``product``, however
        long (None when there is none); without a supplier, to a producer only."""
        start = q.organisation
        route = self._route(start, product, supplier, use)
        if route is None:
            return None
        nodes, flows = route
        members = set(nodes) if supplier is None else {*nodes, supplier}
        partners = len(members) + 1 + (supplier is None)  # the buyer (and the supplier)
        strategy, rank = self.credit(q, flows, product)
        return _Way(
            q, site, km, nodes, flows, partners, strategy, rank, self._shortfall(q, use, product)
        )

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

    def _shortfall(self, q: ProcessingRecord, use: Use, product: str) -> float:
        need = use.returns_per_year
        if need is None or q.capacity is None:
            return 0.0
        if q.capacity_unit == KILOGRAMS:
            mass = self.facts.vocabulary.typical_mass.get(product)
            if mass is None:
                return 0.0
            need *= mass
        return max(0.0, need - q.capacity)

    # -- the processors around a place ----------------------------------------------------------

    def _grid(self, product: str) -> SiteIndex[int]:
        if product not in self._grids:
            procs = self.facts.processing.get(product, ())
            self._grids[product] = SiteIndex(
                (i, site) for i, q in enumerate(procs) for site in q.sites
            )
        return self._grids[product]

    def _table(self, product: str, use: Use) -> _Table:
        """The sites of the processing offers of ``product`` as arrays, with what a judgement
        at any place needs of each: its radius, its yearly capacity (in pieces), and the rank
        and length of its way back to a producer, where it is valid over the period (kept for
        the judge: ranks are the request's)."""
        key = (product, use.start, use.end)
        if key not in self._tables:
            procs = self.facts.processing.get(product, ())
            grid = self._grid(product)
            order = {offer: n for n, offer in enumerate(sorted(q.offer for q in procs))}
            mass = self.facts.vocabulary.typical_mass.get(product)
            rows = []
            for i, _site in grid.entries:
                q = procs[i]
                t = self._template(q, product, use) if q.valid.covers(use.start, use.end) else None
                capacity = math.inf if q.capacity is None else q.capacity
                if q.capacity_unit == KILOGRAMS:
                    capacity = capacity / mass if mass else math.inf
                rows.append(
                    (
                        q.radius_km if q.radius_km is not None else math.inf,
                        t.rank if t is not None else math.inf,
                        t.partners if t is not None else math.inf,
                        order[q.offer],
                        capacity,
                    )
                )
            arrays = np.array(rows, dtype=float).reshape(len(rows), 5)
            self._tables[key] = _Table(grid, *(arrays[:, j] for j in range(5)))
        return self._tables[key]

    def _quick(self, offer: SupplyRecord, use: Use, reaching: set[str]) -> _Way | None:
        """The best usable way back to a producer through a processor in reach whose flows do
        not reach the supplier (those are searched for it), chosen over arrays with the key
        of `_Way.key`; None when there is none."""
        product = offer.product_type
        table = self._table(product, use)
        grid = table.grid
        if not grid.entries:
            return None
        km = grid.distances(use.lat, use.long)
        need = use.returns_per_year
        short = np.zeros(len(km), dtype=bool) if need is None else table.capacity < need - 1e-9
        ok = (km <= np.minimum(table.radius, use.within_km) + SLACK_KM) & (
            table.partners <= self.max_partners
        )
        if not use.partial:
            ok &= ~short
        found = np.flatnonzero(ok)
        if not len(found):
            return None
        ranked = found[
            np.lexsort(
                (
                    table.order[found],
                    km[found],
                    table.partners[found],
                    table.rank[found],
                    short[found],
                )
            )
        ]
        procs = self.facts.processing.get(product, ())
        for i in ranked.tolist():
            q_index, site = grid.entries[i]
            q = procs[q_index]
            exact = distance_km(use.lat, use.long, site.lat, site.long)
            radius = q.radius_km if q.radius_km is not None else math.inf
            if q.organisation in reaching or exact > min(radius, use.within_km):
                continue
            t = self._template(q, product, use)
            assert t is not None
            return self._from_template(t, q, site, exact, product, use)
        return None

    def _reach_of(
        self, product: str, use: Use, organisations: set[str]
    ) -> list[tuple[ProcessingRecord, Site, float]]:
        """The processing offers of ``product`` by ``organisations`` that are valid over the
        period and in reach of the place of use, at their nearest site."""
        key = product
        if key not in self._by_organisation:
            index: dict[str, list[ProcessingRecord]] = defaultdict(list)
            for q in self.facts.processing.get(product, ()):
                index[q.organisation].append(q)
            self._by_organisation[key] = index
        found = []
        for org in sorted(organisations):
            for q in self._by_organisation[key].get(org, ()):
                if not q.valid.covers(use.start, use.end):
                    continue
                near = nearest_site(q.sites, use.lat, use.long)
                if near is None:
                    continue
                site, km = near
                radius = q.radius_km if q.radius_km is not None else math.inf
                if km <= min(radius, use.within_km):
                    found.append((q, site, km))
        return found

    def around(self, product: str, use: Use) -> _Around:
        """The processing offers of ``product`` within the buyer's distance of the place of
        use: in reach (their radius covers it), outside their own radius, and not valid over
        the period."""
        key = (product, round(use.lat, 6), round(use.long, 6), use.within_km, use.start, use.end)
        if key not in self._around:
            procs = self.facts.processing.get(product, ())
            found = _Around()
            for i, site, km in self._grid(product).within(use.lat, use.long, use.within_km):
                q = procs[i]
                if not q.valid.covers(use.start, use.end):
                    found.invalid.append((q, site, km))
                elif q.radius_km is None or km <= q.radius_km:
                    found.reach.append((q, site, km))
            self._around[key] = found
        return self._around[key]

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

    # -- the verdict ------------------------------------------------------------------------

    def _template(self, q: ProcessingRecord, product: str, use: Use) -> _Template | None:
        """``q``'s way back to a producer of ``product``, whoever supplies it: the route, its
        organisations and the strategy credited (kept for the judge: it does not depend on
        the place of use)."""
        key = (q.offer, product, use.start, use.end)
        if key not in self._templates:
            route = self._route(q.organisation, product, None, use)
            found = None
            if route is not None:
                strategy, rank = self.credit(q, route[1], product)
                found = _Template(route, len(set(route[0])) + 2, strategy, rank)
            self._templates[key] = found
        return self._templates[key]

    def _ways(self, offer: SupplyRecord, use: Use, *, every: bool) -> list[_Way]:
        """The ways back for ``offer`` through the processors in reach: searched for its
        supplier where their flows reach it (or they are the supplier), else their way to a
        producer, which is the same whoever supplies the product. With ``every``, all of
        them; else only the usable ones searched for the supplier and the best usable other."""
        product, supplier = offer.product_type, offer.supplier
        reaching = self._reaching(supplier, product, use)
        found: list[_Way] = []
        for q, site, km in self._reach_of(product, use, reaching):
            way = self._way(q, site, km, product, supplier, use)
            if way is not None and (every or self._usable(way, use)):
                found.append(way)
        if not every:
            best = self._quick(offer, use, reaching)
            return [*found, best] if best is not None else found
        for q, site, km in self.around(product, use).reach:
            if q.organisation in reaching:
                continue
            t = self._template(q, product, use)
            if t is not None:
                found.append(self._from_template(t, q, site, km, product, use))
        return found

    def _from_template(
        self, t: _Template, q: ProcessingRecord, site: Site, km: float, product: str, use: Use
    ) -> _Way:
        nodes, flows = t.route
        short = self._shortfall(q, use, product)
        return _Way(q, site, km, nodes, flows, t.partners, t.strategy, t.rank, short)

    def _usable(self, way: _Way, use: Use) -> bool:
        return way.partners <= self.max_partners and (use.partial or way.shortfall == 0)

    def verdict(self, offer: SupplyRecord, use: Use) -> Verdict:
        """Closed, promised or open, with its evidence (see the module description)."""
        usable = [w for w in self._ways(offer, use, every=False) if self._usable(w, use)]
        if usable:
            return self._closed(min(usable, key=_Way.key), offer, use)
        ways = self._ways(offer, use, every=True)
        fitting = [w for w in ways if w.partners <= self.max_partners]
        return self._not_closed(offer, use, self.around(offer.product_type, use), ways, fitting)

    def _steps(self, way: _Way, offer: SupplyRecord) -> tuple[Step, ...]:
        q = way.processing
        role = role_of(q.process_class)
        producers = self.facts.producers.get(offer.product_type, frozenset())
        steps = [
            Step(
                3,
                role,
                q.organisation,
                self.facts.label(q.organisation),
                offer=q.offer,
                process=q.process,
                distance_km=round(way.km, 1),
            )
        ]
        for i, flow in enumerate(way.flows):
            to = flow.target
            kind = (
                "supplier" if to == offer.supplier else "producer" if to in producers else "partner"
            )
            steps.append(Step(4 + i, kind, to, self.facts.label(to), flow=flow.flow))
        if way.nodes[-1] != offer.supplier:
            if len(way.nodes) == 1:
                steps[0] = replace(steps[0], role=f"{role} and producer")
            steps.append(
                Step(
                    len(steps) + 3,
                    "supplier (sources from the producer)",
                    offer.supplier,
                    self.facts.label(offer.supplier),
                )
            )
        return tuple(steps)

    def _closed(self, way: _Way, offer: SupplyRecord, use: Use) -> Verdict:
        q = way.processing
        notes: tuple[Reason, ...] = ()
        if way.shortfall > 0:
            notes = (self._capacity(way, use, offer.product_type),)
        evidence = sorted({q.offer, q.process, *(f.flow for f in way.flows)})
        return Verdict(
            status="closed",
            partners=way.partners,
            steps=self._steps(way, offer),
            evidence=tuple(evidence),
            strategy=way.strategy,
            rank=way.rank,
            shortfall=round(way.shortfall, 3) if way.shortfall > 0 else None,
            notes=notes,
            processor=q.organisation,
            path=way.nodes,
        )

    def _capacity(self, way: _Way, use: Use, product: str) -> Reason:
        q = way.processing
        need = use.returns_per_year or 0.0
        unit = "pieces"
        if q.capacity_unit == KILOGRAMS:
            need *= self.facts.vocabulary.typical_mass.get(product, 0.0)
            unit = "kg"
        return Reason(
            "capacity",
            {
                "label": self.facts.label(q.organisation),
                "role": role_of(q.process_class),
                "offer": q.offer,
                "capacity": q.capacity,
                "needed": round(need, 3),
                "unit": unit,
            },
        )

    def _closers(self, offer: SupplyRecord, use: Use, around: _Around) -> list[Closer]:
        """Valid processing offers out of reach whose way back closes, nearest first: those
        that end at a producer (found over the arrays of `_table`), and those whose flows
        reach this supplier."""
        product = offer.product_type
        procs = self.facts.processing.get(product, ())
        table = self._table(product, use)
        grid = table.grid
        if not grid.entries:
            return []
        inside = {q.offer for q, _, _ in around.reach}
        reaching = self._reaching(offer.supplier, product, use)
        wanted = table.partners <= self.max_partners
        if reaching:
            own = {i for org in reaching for i in self._entries_of(product, org)}
            if own:
                wanted = wanted.copy()
                wanted[sorted(own)] = True
        candidates = np.flatnonzero(wanted)
        if not len(candidates):
            return []
        km = grid.distances(use.lat, use.long)[candidates]
        ranked = candidates[np.lexsort((table.order[candidates], km))]
        found: dict[str, Closer] = {}
        for i in ranked.tolist():
            q_index, site = grid.entries[i]
            q = procs[q_index]
            if q.offer in inside or q.organisation in found:
                continue
            if not q.valid.covers(use.start, use.end):
                continue
            near = nearest_site(q.sites, use.lat, use.long)
            if near is None or near[0].iri != site.iri:
                continue  # the offer's nearer site comes (or came) first
            way = self._way(q, site, near[1], product, offer.supplier, use)
            if way is None or way.partners > self.max_partners:
                continue
            found[q.organisation] = Closer(
                q.organisation,
                self.facts.label(q.organisation),
                role_of(q.process_class),
                q.offer,
                near[1],
                q.radius_km,
                way.partners,
            )
            if len(found) >= CLOSERS:
                break
        return list(found.values())

    def _entries_of(self, product: str, organisation: str) -> list[int]:
        """The entries of `_grid` (sites of processing offers) of one organisation."""
        key = product
        if key not in self._entries_by_org:
            index: dict[str, list[int]] = defaultdict(list)
            procs = self.facts.processing.get(product, ())
            for n, (i, _site) in enumerate(self._grid(product).entries):
                index[procs[i].organisation].append(n)
            self._entries_by_org[key] = index
        return self._entries_by_org[key].get(organisation, [])

    def _not_closed(
        self,
        offer: SupplyRecord,
        use: Use,
        around: _Around,
        ways: list[_Way],
        fitting: list[_Way],
    ) -> Verdict:
        product_label = self.facts.label(offer.product_type)
        closers = self._closers(offer, use, around)
        notes: list[Reason] = []
        change: Change | None = None
        taker: Step | None = None
        for q, _site, km in around.invalid:
            if km <= (q.radius_km if q.radius_km is not None else math.inf):
                notes.append(self._expired(q, use))
        if fitting:  # only in part, and the request wants all of it
            best = min(fitting, key=_Way.key)
            reason = self._capacity(best, use, offer.product_type)
            role = role_of(best.processing.process_class)
            change = Change("partial", True)
        elif ways:
            best = min(ways, key=lambda w: (w.partners, w.km, w.processing.offer))
            reason = Reason(
                "too-long",
                {
                    "label": self.facts.label(best.processing.organisation),
                    "partners": best.partners,
                    "max_partners": self.max_partners,
                },
            )
            role = "producer"
        elif (lapsed := self._lapsed_closer(offer, use, around)) is not None:
            reason = self._expired(lapsed, use)
            role = role_of(lapsed.process_class)
        elif around.reach:
            q, _, km = min(around.reach, key=lambda x: (x[2], x[0].offer))
            taker = Step(
                3,
                role_of(q.process_class),
                q.organisation,
                self.facts.label(q.organisation),
                offer=q.offer,
                process=q.process,
                distance_km=round(km, 1),
            )
            reason = Reason(
                "no-way-back",
                {
                    "label": self.facts.label(q.organisation),
                    "role": role_of(q.process_class),
                    "product": product_label,
                },
            )
            role = closers[0].role if closers else "producer"
        elif closers:
            nearest = closers[0]
            reason = Reason(
                "no-processor-in-reach",
                {
                    "label": nearest.label,
                    "role": nearest.role,
                    "km": round(nearest.distance_km, 1),
                    "within_km": use.within_km,
                },
            )
            role = nearest.role
        elif self.facts.processing.get(offer.product_type):
            reason = Reason("no-way-back-anywhere", {"product": product_label})
            role = "producer"
        else:
            materials = self.facts.vocabulary.composition.get(offer.product_type, frozenset())
            names = ", ".join(sorted(self.facts.label(m) for m in materials)) or "none known"
            reason = Reason("no-processor-anywhere", {"product": product_label, "materials": names})
            role = "recycler"
        if change is None:
            change = self._change(offer, use, around, closers)
        status: Status = "promised" if offer.takes_back and not offer.internal else "open"
        steps = (taker,) if taker is not None else ()
        if status == "promised":
            notes.insert(0, reason)
            reason = Reason("promised-flag", {"offer": offer.offer})
        evidence = [offer.offer] if status == "promised" else []
        evidence += [s.offer for s in steps if s.offer]
        return Verdict(
            status=status,
            steps=steps,
            missing_role=role,
            reason=reason,
            closers=tuple(closers),
            change=change,
            notes=tuple(notes),
            evidence=tuple(evidence),
        )

    def _lapsed_closer(
        self, offer: SupplyRecord, use: Use, around: _Around
    ) -> ProcessingRecord | None:
        """The nearest processing offer in reach that would close the loop on a day it is
        valid, but is not valid over the whole period of use."""
        for q, site, km in sorted(around.invalid, key=lambda x: (x[2], x[0].offer)):
            if q.radius_km is not None and km > q.radius_km:
                continue
            day = q.valid.end or q.valid.start or use.start
            if q.valid.start is not None and q.valid.start > use.start:
                day = q.valid.start
            probe = replace(use, start=day, end=day)
            way = self._way(q, site, km, offer.product_type, offer.supplier, probe)
            if way is not None and way.partners <= self.max_partners:
                return q
        return None

    def _expired(self, q: ProcessingRecord, use: Use) -> Reason:
        return Reason(
            "expired",
            {
                "label": self.facts.label(q.organisation),
                "what": q.offer,
                "window": _window_text(q.valid),
                "start": use.start.isoformat(),
                "end": use.end.isoformat(),
            },
        )

    def _change(
        self, offer: SupplyRecord, use: Use, around: _Around, closers: list[Closer]
    ) -> Change | None:
        """The smallest change that closes the loop: a larger radius when a closer's own
        radius covers the place of use, else a shorter period or a later start when an offer
        that would close it is valid only part of the period."""
        for c in closers:
            if c.radius_km is None or c.distance_km <= c.radius_km:
                return Change("within_km", float(math.ceil(c.distance_km)))
        for q, site, km in sorted(around.invalid, key=lambda x: (x[2], x[0].offer)):
            if km > min(q.radius_km if q.radius_km is not None else math.inf, use.within_km):
                continue
            way = self._way(
                q, site, km, offer.product_type, offer.supplier, replace(use, end=use.start)
            )
            if way is None or way.partners > self.max_partners:
                continue
            if q.valid.start is not None and q.valid.start > use.start:
                return Change("needed_by", q.valid.start.isoformat())
            if q.valid.end is not None and q.valid.end >= use.start:
                months = (
                    (q.valid.end.year - use.start.year) * 12 + q.valid.end.month - use.start.month
                )
                if months >= 1:
                    return Change("period_months", months)
        return None


class _Around:
    """Processing offers of one product type within the buyer's distance of one place:
    (offer, site, km), in reach or not valid over the period."""

    def __init__(self) -> None:
        self.reach: list[tuple[ProcessingRecord, Site, float]] = []
        self.invalid: list[tuple[ProcessingRecord, Site, float]] = []
