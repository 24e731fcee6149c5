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
from dataclasses import replace

import numpy as np

from kringloop.queries.loop.facts import LoopFacts
from kringloop.queries.loop.kinds import KILOGRAMS, role_of
from kringloop.queries.loop.records import ProcessingRecord, SupplyRecord, Window
from kringloop.queries.loop.verdict import Change, Closer, Reason, Status, Step, Verdict
from kringloop.queries.loop.ways import (
    MAX_PARTNERS,
    Use,
    WaysBack,
    _Around,
    _Way,
    nearest_site,
)

__all__ = ["MAX_PARTNERS", "LoopFacts", "LoopJudge", "Use", "nearest_site"]

#: Organisations that would close an open loop, reported at most.
CLOSERS = 3


def _window_text(valid: Window) -> str:
    start = valid.start.isoformat() if valid.start else "…"
    end = valid.end.isoformat() if valid.end else "…"
    return f"from {start} to {end}"


class LoopJudge(WaysBack):
    """Judges loops on one set of facts (`WaysBack` finds the ways back; this says what they
    mean); keeps its searches for the judgements that follow (one request, or one census)."""

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
