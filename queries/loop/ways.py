"""The ways back through the processing offers around a place of use, and the best of them.

A way back is a processing offer in reach (valid over the period, its radius covering the place
of use, within the buyer's distance) and the route its flows take (`flows.FlowSearch`), with the
strategy it realises (`credit`: its weakest step), its length in organisations and how much of
what the need returns a year it cannot handle. The best way is chosen over arrays of every site
of a product type's processing offers (`_quick`), so judging many offers at many places stays
cheap.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from kringloop.queries.loop.facts import LoopFacts
from kringloop.queries.loop.flows import FlowSearch, _Route
from kringloop.queries.loop.kinds import KILOGRAMS, PROCESS_STRATEGY, RECYCLE, REUSE
from kringloop.queries.loop.nearby import SLACK_KM, SiteIndex
from kringloop.queries.loop.records import FlowRecord, ProcessingRecord, Site, SupplyRecord
from kringloop.queries.resolve import distance_km

#: Distinct organisations a loop may have, supplier and buyer included.
MAX_PARTNERS = 6


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


class WaysBack(FlowSearch):
    """The ways back on one set of facts, with one request's strategy ranks."""

    def __init__(
        self,
        facts: LoopFacts,
        *,
        max_partners: int = MAX_PARTNERS,
        overrides: Mapping[str, int] | None = None,
    ) -> None:
        super().__init__(facts, max_partners=max_partners)
        self.ranks = {**facts.vocabulary.ranks, **(overrides or {})}
        memo = facts.memo
        self._grids: dict[str, SiteIndex[int]] = memo.grids
        self._by_organisation: dict[str, dict[str, list[ProcessingRecord]]] = memo.by_organisation
        self._entries_by_org: dict[str, dict[str, list[int]]] = memo.entries_by_org
        # what depends on the request's place and ranks: this judge's own
        self._around: dict[tuple[str, float, float, float, date, date], _Around] = {}
        self._templates: dict[tuple[str, str, date, date], _Template | None] = {}
        self._tables: dict[tuple[str, date, date], _Table] = {}

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
        part = grid.band(use.lat, use.within_km + SLACK_KM)  # nothing farther can be in reach
        km = grid.distances(use.lat, use.long, part)
        radius, partners = table.radius[part], table.partners[part]
        need = use.returns_per_year
        if need is None:
            short = np.zeros(len(km), dtype=bool)
        else:
            short = table.capacity[part] < need - 1e-9
        ok = (km <= np.minimum(radius, use.within_km) + SLACK_KM) & (partners <= self.max_partners)
        if not use.partial:
            ok &= ~short
        found = np.flatnonzero(ok)
        if not len(found):
            return None
        rank, order = table.rank[part], table.order[part]
        ranked = (
            part.start
            + found[
                np.lexsort((order[found], km[found], partners[found], rank[found], short[found]))
            ]
        )
        procs = self.facts.processing.get(product, ())
        for i in ranked.tolist():
            q_index, site = grid.entries[i]
            q = procs[q_index]
            exact = distance_km(use.lat, use.long, site.lat, site.long)
            serves = q.radius_km if q.radius_km is not None else math.inf
            if q.organisation in reaching or exact > min(serves, use.within_km):
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


class _Around:
    """Processing offers of one product type within the buyer's distance of one place:
    (offer, site, km), in reach or not valid over the period."""

    def __init__(self) -> None:
        self.reach: list[tuple[ProcessingRecord, Site, float]] = []
        self.invalid: list[tuple[ProcessingRecord, Site, float]] = []
