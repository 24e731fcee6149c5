"""The matchmaking pipeline: a buyer's request → ranked, explained closed-loop chains.

1. resolve what, where and the code-list values of the request;
2. internal reuse first (the requester's own surplus, or the network's when asked);
3. candidate supply offers: every offer of the fitting product types (one stage query), then
   the request's distance, business models and date in Python (`kringloop.queries.near`);
4. chain completion: processors in reach, return flows and producers, one query each;
5. loop verification in the flow graph (`kringloop.queries.flow_graph`);
6. scoring, diversity re-rank and explanation; when nothing is left, which filter removed what.
One query per stage and product type, whatever the number of candidates; what a product type's
queries return is parsed once and kept while the store cannot change
(`kringloop.queries.match_cache`), so a request about a type seen before runs no query.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

import pyoxigraph as ox

from kringloop.graph.binding import Binding
from kringloop.graph.store import Row, Store, text
from kringloop.queries import match_cache, near, resolve
from kringloop.queries.chains import PROCESS_REACH_KM, Processor, WaysBack
from kringloop.queries.flow_graph import BUYER, FlowGraph, LoopGraph
from kringloop.queries.offers import (
    NO_CLAIMS,
    Claims,
    SupplyOffer,
    claims,
    flow,
    processing_offer,
    supply_offer,
)
from kringloop.queries.request import MatchRequest
from kringloop.queries.scoring import (
    FILTERS,
    Candidate,
    Component,
    Need,
    Scored,
    Step,
    rank,
    tco_per_unit,
)
from kringloop.queries.stages import stage

_T = TypeVar("_T")
#: A supply offer that passed the request's filters, with its squared distance to the buyer.
Found = tuple[SupplyOffer, float]
ID = "https://w3id.org/kringloop/id/"
LEASE_MODELS = {ID + "business-model/lease", ID + "business-model/product-as-a-service"}
REUSED = {ID + "condition/used", ID + "condition/refurbished", ID + "condition/remanufactured"}


@dataclass(frozen=True)
class ChainResult:
    """One ranked chain with its explanation."""

    rank: int
    score: float
    base_score: float
    closed: bool
    partial: bool
    missing: str | None
    offer: str
    supplier: str
    supplier_label: str
    product_type: str
    product_label: str
    business_model: str
    distance_km: float
    steps: tuple[Step, ...]
    components: tuple[Component, ...]
    evidence: tuple[str, ...]
    diversity_penalty: float


@dataclass(frozen=True)
class MatchResult:
    """The answer to a request: internal reuse first, then ranked chains, and why not more."""

    id: str
    what: dict[str, str | None]
    where: dict[str, float | str]
    internal_reuse: tuple[ChainResult, ...]
    chains: tuple[ChainResult, ...]
    explanation: tuple[str, ...]
    considered: int
    saved: bool = False
    counts: dict[str, int] = field(default_factory=dict)


def _iris(values: Sequence[str]) -> list[ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]:
    return [ox.NamedNode(v) for v in values]


def request_id(request: MatchRequest) -> str:
    """A stable id for a request (same request, same id)."""
    body = json.dumps(request.model_dump(mode="json", exclude={"save"}), sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()[:16]


class Matchmaker:
    """Runs the pipeline for one request against one store."""

    def __init__(self, store: Store, request: MatchRequest, *, today: date | None = None) -> None:
        self.store = store
        self.request = request
        self.today = today or date.today()
        self.vocab: resolve.Vocabulary = match_cache.once(  # type: ignore[assignment]
            store, "vocabulary", lambda: resolve.load_vocabulary(store)
        )
        self.target = resolve.resolve_what(self.vocab, request.what)
        self.fits = resolve.product_fits(self.vocab, self.target)
        self.where = resolve.resolve_where(
            store,
            near=request.near,
            lat=request.lat,
            long=request.long,
            requester=request.requester,
        )
        overrides = {resolve.code_iri("strategy", k): v for k, v in request.rank_overrides.items()}
        self.overrides = overrides
        self.need = Need(
            quantity=request.quantity,
            within_km=request.within_km,
            needed_by=request.needed_by,
            period_months=request.period_months,
            models=frozenset(
                resolve.code_iri("business-model", m) for m in request.business_models
            ),
            strategies=frozenset(resolve.code_iri("strategy", s) for s in request.strategies),
            certifications=frozenset(
                resolve.code_iri("certification", c) for c in request.certifications
            ),
            max_r_rank=request.max_r_rank,
            partial=request.partial,
            include_open=request.include_open,
        )

    # -- stage queries -------------------------------------------------------------------------

    def _select(self, name: str, bindings: Mapping[str, Binding]) -> list[Row]:
        named = {f"_{key}": value for key, value in bindings.items()}  # parameters are ?_name
        return self.store.select(stage(name), bindings=named, union_default_graph=True)

    def _rows(self, name: str, keys: Sequence[str], *, param: str = "productType") -> list[Row]:
        """The rows of stage ``name`` for ``keys`` (kept ones while the store cannot change)."""
        return match_cache.rows_by(
            self.store,
            name,
            param,
            keys,
            lambda missing: self._select(name, {param: _iris(missing)}),
        )

    def _origin(self, max_km: float) -> near.Origin:
        return near.Origin(float(self.where.lat), float(self.where.long), float(max_km * max_km))

    def supply(self, *, strict: bool) -> list[Found]:
        """The supply offers that pass the request's distance, models and date (``strict``),
        or of any distance, model and date; each with its squared distance to the buyer."""
        origin = self._origin(self.need.within_km if strict else 20000.0)
        models = self.need.models if strict else frozenset()
        day = ((self.need.needed_by or self.today) if strict else date(1900, 1, 1)).isoformat()
        found = []
        for offer in self._parsed("supply-candidates", sorted(self.fits), supply_offer):
            km2 = origin.km2_at(offer.lat, offer.long)
            if not km2 <= origin.max_km2:  # NaN too, as in SPARQL
                continue
            if models and offer.model not in models:
                continue
            if offer.through is not None and not near.not_before(offer.through, day):
                continue
            found.append((offer, km2))
        return found

    # -- chain completion ---------------------------------------------------------------------

    def _parsed(
        self, name: str, types: Sequence[str], parse: Callable[[Row], _T | None]
    ) -> list[_T]:
        """The rows of stage ``name`` for ``types``, each parsed once (kept while the store
        cannot change); rows ``parse`` refuses are left out."""

        def read(missing: list[str]) -> dict[str, list[_T]]:
            found: dict[str, list[_T]] = defaultdict(list)
            for row in self._select(name, {"productType": _iris(missing)}):
                item = parse(row)
                if item is not None:
                    found[text(row["productType"])].append(item)
            return found

        return match_cache.per_key(self.store, f"{name}/parsed", sorted(types), read)

    def processors(self, product_types: Sequence[str]) -> list[Processor]:
        origin = self._origin(PROCESS_REACH_KM)
        found = {}
        for offer in self._parsed("processing-candidates", product_types, processing_offer):
            km2 = origin.km2_at(offer.lat, offer.long)
            if not km2 <= origin.max_km2:  # NaN too, as in SPARQL
                continue
            strategy = offer.strategy
            proc = Processor(
                offer=offer.offer,
                organisation=offer.organisation,
                label=offer.label,
                process=offer.process,
                process_class=offer.process_class,
                product_type=offer.product_type,
                material=offer.material,
                distance_km=km2**0.5,
                radius_km=offer.radius,
                strategy=strategy,
                rank=self.overrides[strategy]
                if strategy is not None and strategy in self.overrides
                else offer.rank,
            )
            found[(proc.offer, proc.product_type, proc.material or "")] = proc
        return [found[k] for k in sorted(found)]

    def flow_graph(
        self, product_types: Sequence[str], found: list[Found], procs: list[Processor]
    ) -> tuple[FlowGraph, dict[str, frozenset[str]]]:
        types = tuple(sorted(product_types))
        loop: LoopGraph = match_cache.once(  # type: ignore[assignment]
            self.store, ("loop-graph", types), lambda: self._loop_graph(types)
        )
        labels: dict[str, str] = {}
        supply: dict[str, str] = {}
        for s, _ in found:
            labels[s.supplier] = s.supplier_label
            supply[s.supplier] = min(s.offer, supply.get(s.supplier, s.offer))
        take_back: dict[str, str] = {}
        for p in procs:
            take_back[p.organisation] = min(p.offer, take_back.get(p.organisation, p.offer))
        labels.update({p.organisation: p.label for p in procs})
        graph = FlowGraph(loop, supply=supply, take_back=take_back, labels=labels)
        producers: dict[str, set[str]] = defaultdict(set)
        for r in self._rows("producers", types):
            producers[text(r["productType"])].add(text(r["producer"]))
        return graph, {k: frozenset(v) for k, v in producers.items()}

    def _loop_graph(self, types: Sequence[str]) -> LoopGraph:
        labels: dict[str, str] = {}
        edges = []
        for edge, named in self._parsed("loop-flows", types, flow):
            edges.append(edge)
            labels.update(named)
        return LoopGraph(edges, labels)

    # -- candidates ---------------------------------------------------------------------------

    def candidates(self, found: list[Found]) -> list[Candidate]:
        if not found:
            return []
        product_types = sorted({s.product_type for s, _ in found})
        procs = self.processors(product_types)
        graph, producers = self.flow_graph(product_types, found, procs)
        claims = self.claims(sorted({s.offer for s, _ in found}))
        by_type: dict[str, list[Processor]] = defaultdict(list)
        for p in procs:
            by_type[p.product_type].append(p)
        ways = WaysBack(graph, by_type, producers, self.vocab.label, within_km=self.need.within_km)
        merged: dict[str, Candidate] = {}
        for offer, km2 in found:
            c = self.candidate(offer, km2, ways, claims)
            if c is not None:
                merged[c.offer] = c  # one chain per offer: the best processor was chosen
        return [merged[k] for k in sorted(merged)]

    def claims(self, offers: Sequence[str]) -> dict[str, Claims]:
        """The claims of each of ``offers`` (parsed once, kept while the store cannot change)."""

        def read(missing: list[str]) -> dict[str, list[Claims]]:
            rows = self._select("offer-claims", {"offer": _iris(missing)})
            return {
                offer: [claims(found)] for offer, found in match_cache.split(rows, "offer").items()
            }

        kept = match_cache.per_key(self.store, "offer-claims/parsed", offers, read)
        return {c.offer: c for c in kept}

    def candidate(
        self,
        s: SupplyOffer,
        km2: float,
        ways: WaysBack,
        claims: dict[str, Claims],
    ) -> Candidate | None:
        offer, supplier, product, internal = s.offer, s.supplier, s.product_type, s.internal
        if internal and supplier != self.request.requester and not self.request.network_surplus:
            return None
        if product not in self.fits:
            return None
        fit = self.fits[product]
        distance = km2**0.5
        model, strategy = s.model, s.strategy
        if strategy is not None and strategy in self.overrides:
            supply_rank: int | None = self.overrides[strategy]
        else:
            supply_rank = s.rank
        label = s.supplier_label
        supply_step = Step(
            1, "supplier", supplier, label, offer=offer, distance_km=round(distance, 1)
        )
        buyer_step = Step(2, "buyer", self.request.requester or BUYER, "buyer (you)")
        takes_back = s.takes_back
        back = ways.get(supplier, product, takes_back=takes_back)
        closed, steps_after, missing = back.closed, back.steps, back.missing
        proc_rank, proc_strategy, evidence = back.rank, back.strategy, back.evidence
        strategies = {x for x in (strategy, proc_strategy) if x}
        if internal:
            closed, steps_after, missing = True, (), None
            ranks = [0 if supplier == self.request.requester else 3]
        elif closed:
            ranks = [
                r
                for r in (proc_rank, None if model in LEASE_MODELS else supply_rank)
                if r is not None
            ]
            if not ranks and takes_back:
                ranks = [3]
        else:
            ranks = [] if model in LEASE_MODELS else [r for r in (supply_rank,) if r is not None]
        offer_claims = claims.get(offer, NO_CLAIMS)
        quantity = min(self.request.quantity, s.available or self.request.quantity)
        mass = s.mass or 0.0
        reused = s.condition is not None and s.condition in REUSED
        impact = (mass * quantity if reused or internal else 0.0) + (s.co2e or 0.0) * quantity
        valid_from = s.valid_from
        recency = 1.0 if valid_from is None or (self.today - valid_from).days < 3 * 365 else 0.8
        return Candidate(
            offer=offer,
            supplier=supplier,
            supplier_label=label,
            product_type=product,
            model=model,
            fit=fit.score,
            fit_relation=fit.relation
            if fit.hops == 0
            else f"{fit.relation} ({fit.hops} CPV level(s))",
            distance_km=distance,
            closed=closed,
            chain_rank=min(ranks) if ranks else None,
            strategies=frozenset(strategies),
            internal=internal,
            lease_without_take_back=(model in LEASE_MODELS and not closed),
            missing=missing,
            available=s.available,
            minimum=s.minimum,
            tco_per_unit=tco_per_unit(
                years=self.request.tco_years,
                unit_price=s.unit_price,
                monthly_fee=s.monthly_fee,
                maintenance=s.maintenance,
                end_of_life=s.end_of_life,
                residual=s.residual,
            ),
            valid_from=valid_from,
            valid_through=s.valid_through,
            verification=offer_claims.verification,
            schemes=offer_claims.schemes,
            impact_kg=impact,
            confidence=(1.0 if s.sourced else 0.6) * recency,
            steps=(supply_step, buyer_step, *steps_after),
            evidence=tuple(sorted({offer, *evidence, *offer_claims.claims})),
        )

    # -- the whole pipeline -------------------------------------------------------------------

    def run(self) -> MatchResult:
        pool = self.candidates(self.supply(strict=True))
        internal = [c for c in pool if c.internal]
        market = [c for c in pool if not c.internal]
        ranked = rank(market, self.need, self.request.weights, top_k=self.request.top_k)
        reuse = rank(internal, self.need, self.request.weights, top_k=self.request.top_k)
        explanation: list[str] = []
        if not ranked:
            explanation = self.funnel()
        return MatchResult(
            id=request_id(self.request),
            what={
                "concept": self.target.concept,
                "label": self.target.label,
                "kind": self.target.kind,
                "cpv": self.target.cpv,
            },
            where={
                "lat": round(self.where.lat, 5),
                "long": round(self.where.long, 5),
                "label": self.where.label,
            },
            internal_reuse=tuple(self._result(i + 1, s) for i, s in enumerate(reuse)),
            chains=tuple(self._result(i + 1, s) for i, s in enumerate(ranked)),
            explanation=tuple(explanation),
            considered=len(pool),
            counts={
                "closed": sum(1 for s in ranked if s.candidate.closed),
                "open": sum(1 for s in ranked if not s.candidate.closed),
            },
        )

    def _result(self, position: int, s: Scored) -> ChainResult:
        c = s.candidate
        return ChainResult(
            rank=position,
            score=s.score,
            base_score=s.base_score,
            closed=c.closed,
            partial=s.partial,
            missing=c.missing,
            offer=c.offer,
            supplier=c.supplier,
            supplier_label=c.supplier_label,
            product_type=c.product_type,
            product_label=self.vocab.label(c.product_type),
            business_model=c.model,
            distance_km=round(c.distance_km, 1),
            steps=c.steps,
            components=s.components,
            evidence=c.evidence,
            diversity_penalty=s.diversity_penalty,
        )

    def funnel(self) -> list[str]:
        """Why nothing matched: how many candidates each hard filter removed, in order."""
        everything = [c for c in self.candidates(self.supply(strict=False)) if not c.internal]
        label, km = self.target.label, self.need.within_km
        if not everything:
            return [f"0 offers of {label} (or related CPV codes) anywhere in the graph"]
        lines = [f"{len(everything)} offer(s) of {label} (or related CPV codes) in the graph"]
        wider = sum(1 for c in everything if c.distance_km <= 2 * km)
        remaining = everything
        for name, passes in FILTERS:
            kept = [c for c in remaining if passes(c, self.need)]
            if name == "distance":
                lines.append(f"{len(kept)} within {km:.0f} km; {wider} within {2 * km:.0f} km")
            elif len(kept) < len(remaining):
                lines.append(f"{len(remaining) - len(kept)} more removed by the {name} filter")
            remaining = kept
        return lines


def match(store: Store, request: MatchRequest, *, today: date | None = None) -> MatchResult:
    """Ranked, explained closed-loop chains for ``request``."""
    return Matchmaker(store, request, today=today).run()
