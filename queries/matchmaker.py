"""The matchmaking pipeline: a buyer's request → ranked, explained closed-loop chains.

1. resolve what, where and the code-list values of the request;
2. read the loop facts of the fitting product types (`kringloop.queries.loop.facts`: kept
   while the store cannot change, so a request about a type seen before runs no query);
3. internal reuse first (the requester's own surplus, or the network's when asked);
4. for every supply offer, the loop verdict at the buyer's place, for the buyer's period and
   quantity (`kringloop.queries.loop.judge`: the one judgement the census and the pages use
   too);
5. hard filters, scoring, tiers (closed, promised, open), diversity re-rank and explanation;
   when nothing is left, which filter removed what.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import pyoxigraph as ox

from kringloop.graph.store import Row, Store, text
from kringloop.queries import codes, match_cache, needs, resolve
from kringloop.queries.loop.facts import LoopFacts, loop_facts
from kringloop.queries.loop.judge import LoopJudge, Use, nearest_site
from kringloop.queries.loop.kinds import LEASE_MODELS, REFUSE, REUSE
from kringloop.queries.loop.records import SupplyRecord, day, number
from kringloop.queries.loop.verdict import Reason, Step, Verdict, step_json
from kringloop.queries.request import MatchRequest
from kringloop.queries.scoring import (
    FILTERS,
    Candidate,
    Component,
    Need,
    Scored,
    rank,
    tco_per_unit,
)
from kringloop.queries.stages import stage

ID = "https://w3id.org/kringloop/id/"
REUSED = {ID + "condition/used", ID + "condition/refurbished", ID + "condition/remanufactured"}
#: Days in a month, on average, for the end of a period of use.
MONTH_DAYS = 30.44


@dataclass(frozen=True)
class ChainResult:
    """One ranked chain with its explanation."""

    rank: int
    score: float
    base_score: float
    status: str
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
    verdict: Verdict

    @property
    def loop(self) -> Verdict:
        """The loop verdict (``loop`` in the JSON answer)."""
        return self.verdict

    def as_json(self) -> dict[str, object]:
        return {
            "rank": self.rank,
            "score": self.score,
            "base_score": self.base_score,
            "status": self.status,
            "closed": self.closed,
            "partial": self.partial,
            "missing": self.missing,
            "offer": self.offer,
            "supplier": self.supplier,
            "supplier_label": self.supplier_label,
            "product_type": self.product_type,
            "product_label": self.product_label,
            "business_model": self.business_model,
            "distance_km": self.distance_km,
            "steps": [step_json(s) for s in self.steps],
            "loop": self.verdict.as_json(),
            "components": [
                {
                    "name": c.name,
                    "raw": c.raw,
                    "value": c.value,
                    "weight": c.weight,
                    "contribution": c.contribution,
                }
                for c in self.components
            ],
            "evidence": list(self.evidence),
            "diversity_penalty": self.diversity_penalty,
        }


@dataclass(frozen=True)
class Funnel:
    """Why nothing matched, as numbers: the offers of the product (or related CPV codes) in
    the graph, how many lie within the buyer's distance and within twice it, and how many
    each further hard filter removed, in the order they apply (`FILTERS`)."""

    offers: int
    within_km: float
    within: int = 0
    wider: int = 0
    removed: tuple[tuple[str, int], ...] = ()

    def lines(self, label: str) -> list[str]:
        """The funnel in English sentences (the ``explanation`` of the JSON answer)."""
        if not self.offers:
            return [f"0 offers of {label} (or related CPV codes) anywhere in the graph"]
        km = self.within_km
        lines = [f"{self.offers} offer(s) of {label} (or related CPV codes) in the graph"]
        lines.append(f"{self.within} within {km:.0f} km; {self.wider} within {2 * km:.0f} km")
        lines += [f"{n} more removed by the {name} filter" for name, n in self.removed]
        return lines


@dataclass(frozen=True)
class MatchResult:
    """The answer to a request: internal reuse first, then ranked chains, and why not more
    (``explanation``; ``funnel`` says it as numbers, for pages in other languages)."""

    id: str
    what: dict[str, str | None]
    where: dict[str, float | str]
    internal_reuse: tuple[ChainResult, ...]
    chains: tuple[ChainResult, ...]
    explanation: tuple[str, ...]
    considered: int
    saved: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    funnel: Funnel | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "what": self.what,
            "where": self.where,
            "internal_reuse": [c.as_json() for c in self.internal_reuse],
            "chains": [c.as_json() for c in self.chains],
            "explanation": list(self.explanation),
            "considered": self.considered,
            "saved": self.saved,
            "counts": self.counts,
        }


def request_id(request: MatchRequest) -> str:
    """A stable id for a request (same request, same id)."""
    body = json.dumps(request.model_dump(mode="json", exclude={"save"}), sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Claims:
    """The claims of one offer that hold on the first day of use: the best verification
    score, the schemes, the claims; and the claims that had already ended."""

    verification: float
    schemes: frozenset[str]
    claims: tuple[str, ...]
    #: the claims that ended before the first day of use, with their end
    expired: tuple[tuple[str, date], ...] = ()


NO_CLAIMS = Claims(0.0, frozenset(), ())


def claims_of(rows: Sequence[Row], on: date) -> Claims:
    """The claims of one offer's rows (each row a claim, its scheme, score and end)."""
    valid: dict[str, tuple[str, float | None]] = {}
    expired: dict[str, date] = {}
    for row in rows:
        claim = text(row["claim"])
        until = day(text(row["validUntil"])) if "validUntil" in row else None
        if until is not None and until < on:
            expired[claim] = until
            continue
        score = number(text(row["score"])) if "score" in row else None
        scheme = text(row["scheme"])
        old = valid.get(claim)
        if old is None or (score or 0.0) > (old[1] or 0.0):
            valid[claim] = (scheme, score)
    scores = [s for _, s in valid.values() if s is not None]
    return Claims(
        verification=max(scores) if scores else 0.0,
        schemes=frozenset(scheme for scheme, _ in valid.values()),
        claims=tuple(sorted(valid)),
        expired=tuple(sorted((c, d) for c, d in expired.items() if c not in valid)),
    )


class Matchmaker:
    """Runs the pipeline for one request against one store."""

    def __init__(
        self,
        store: Store,
        request: MatchRequest,
        *,
        today: date | None = None,
        max_partners: int = 6,
    ) -> None:
        self.store = store
        if request.need is not None:  # what the request leaves out comes from the need
            request = needs.request_for_need(store, request)
        self.request = request
        self.today = today or date.today()
        self.max_partners = max_partners
        self.vocab = resolve.vocabulary(store)
        lists = codes.code_lists(store)
        assert request.what is not None  # the request's validator, or its need, says what
        self.target = resolve.resolve_what(self.vocab, request.what)
        self.fits = resolve.product_fits(self.vocab, self.target)
        self.where = resolve.resolve_where(
            store,
            near=request.near,
            lat=request.lat,
            long=request.long,
            requester=request.requester,
        )
        self.overrides = {
            codes.resolve_codes(lists, "strategy", [k], field="rank_overrides")[0]: v
            for k, v in request.rank_overrides.items()
        }
        self.start = request.needed_by or self.today
        months = request.period_months or 0
        self.end = self.start + timedelta(days=round(months * MONTH_DAYS))
        self.need = Need(
            quantity=request.quantity,
            within_km=request.within_km,
            needed_by=request.needed_by,
            period_months=request.period_months,
            models=frozenset(
                codes.resolve_codes(
                    lists, "business-model", request.business_models, field="business_models"
                )
            ),
            strategies=frozenset(
                codes.resolve_codes(lists, "strategy", request.strategies, field="strategies")
            ),
            certifications=frozenset(
                codes.resolve_codes(
                    lists, "certification", request.certifications, field="certifications"
                )
            ),
            max_r_rank=request.max_r_rank,
            partial=request.partial,
            include_open=request.include_open,
            rank_by=request.rank_by,
            today=self.today,
        )
        self.use = Use(
            lat=float(self.where.lat),
            long=float(self.where.long),
            start=self.start,
            end=self.end,
            within_km=request.within_km,
            quantity=request.quantity,
            years=months / 12,
            partial=request.partial,
            requester=request.requester,
        )

    # -- facts and claims ---------------------------------------------------------------------

    def facts(self) -> LoopFacts:
        return loop_facts(self.store, sorted(self.fits))

    def claims(self, offers: Sequence[str]) -> dict[str, Claims]:
        """The claims of each of ``offers`` that hold on the first day of use (rows kept
        while the store cannot change)."""

        def read(missing: list[str]) -> dict[str, list[tuple[Row, ...]]]:
            rows: list[Row] = []
            for start in range(0, len(missing), 1000):
                chunk = [ox.NamedNode(o) for o in missing[start : start + 1000]]
                rows += self.store.select(
                    stage("offer-claims"), bindings={"_offer": chunk}, union_default_graph=True
                )
            by_offer = match_cache.split(rows, "offer")
            return {o: [tuple(by_offer.get(o, ()))] for o in missing}

        wanted = sorted(set(offers))
        kept = match_cache.per_key(self.store, "offer-claims", wanted, read)
        return {
            offer: claims_of(rows, self.start) if rows else NO_CLAIMS
            for offer, rows in zip(wanted, kept, strict=True)
        }

    # -- candidates ---------------------------------------------------------------------------

    def candidates(
        self, facts: LoopFacts, judge: LoopJudge, *, anywhere: bool = False
    ) -> list[Candidate]:
        """The candidate chains: the supply offers of the fitting product types within the
        buyer's distance (``anywhere``: all of them, to say what the filters removed)."""
        offers = [
            s
            for s in facts.supply
            if s.product_type in self.fits and (anywhere or self._in_range(s))
        ]
        claims = self.claims(sorted({s.offer for s in offers}))
        found: dict[str, Candidate] = {}
        for offer in offers:
            c = self.candidate(offer, facts, judge, claims.get(offer.offer, NO_CLAIMS))
            if c is not None:
                found[c.offer] = c
        return [found[k] for k in sorted(found)]

    def _in_range(self, s: SupplyRecord) -> bool:
        near = nearest_site(s.sites, self.use.lat, self.use.long)
        return near is not None and near[1] <= self.need.within_km + 1e-9

    def _internal_allowed(self, s: SupplyRecord) -> bool:
        own = self.request.requester is not None and s.supplier == self.request.requester
        return own or self.request.network_surplus

    def candidate(
        self, s: SupplyRecord, facts: LoopFacts, judge: LoopJudge, claims: Claims
    ) -> Candidate | None:
        if s.internal and not self._internal_allowed(s):
            return None
        near = nearest_site(s.sites, self.use.lat, self.use.long)
        if near is None:
            return None
        _site, distance = near
        fit = self.fits[s.product_type]
        supply_rank = None
        if s.strategy is not None:
            supply_rank = self.overrides.get(s.strategy, judge.ranks.get(s.strategy))
        own = self.request.requester is not None and s.supplier == self.request.requester
        buyer = Step(
            2,
            "buyer",
            self.request.requester if self.request.requester else None,
            "buyer (you)",
        )
        supply_step = Step(
            1,
            "supplier",
            s.supplier,
            facts.label(s.supplier),
            offer=s.offer,
            distance_km=round(distance, 1),
        )
        if s.internal:
            reuse = REFUSE if own else REUSE
            verdict = Verdict(
                status="closed",
                partners=1 if own else 2,
                strategy=reuse,
                rank=judge.ranks.get(reuse, 0 if own else 3),
                evidence=(s.offer,),
                processor=s.supplier,
                path=(s.supplier,),
            )
            ranks: list[int | None] = [verdict.rank]
        else:
            verdict = judge.verdict(s, self.use)
            lease = s.model in LEASE_MODELS
            ranks = [verdict.rank] if verdict.closed else []
            if not lease and supply_rank is not None:
                ranks.append(supply_rank)
        asked = self.request.quantity or 1.0
        quantity = min(asked, s.available or asked)
        mass = facts.vocabulary.typical_mass.get(s.product_type, 0.0)
        reused = s.condition is not None and s.condition in REUSED
        impact = (mass * quantity if reused or s.internal else 0.0) + (s.co2e or 0.0) * quantity
        recency = 1.0
        if s.valid.start is not None and (self.today - s.valid.start).days >= 3 * 365:
            recency = 0.8
        if claims.expired:  # evidence of nothing, but the buyer should know it was there
            lapsed = tuple(
                Reason(
                    "expired",
                    {
                        "label": claim.rsplit("/", 1)[-1],
                        "what": "certification claim",
                        "window": f"until {until.isoformat()}",
                        "start": self.start.isoformat(),
                        "end": self.end.isoformat(),
                    },
                )
                for claim, until in claims.expired
            )
            verdict = replace(verdict, notes=verdict.notes + lapsed)
        strategies = {x for x in (s.strategy, verdict.strategy if verdict.closed else None) if x}
        delivers = s.delivery_km is None or distance <= s.delivery_km + 1e-9
        return Candidate(
            offer=s.offer,
            supplier=s.supplier,
            supplier_label=facts.label(s.supplier),
            product_type=s.product_type,
            model=s.model,
            fit=fit.score,
            fit_relation=fit.relation
            if fit.hops == 0
            else f"{fit.relation} ({fit.hops} CPV level(s))",
            distance_km=distance,
            closed=verdict.closed,
            chain_rank=min((r for r in ranks if r is not None), default=None),
            status=verdict.status,
            verdict=verdict,
            strategies=frozenset(strategies),
            internal=s.internal,
            lease_without_take_back=(s.model in LEASE_MODELS and not verdict.closed),
            missing=verdict.reason.text if verdict.reason is not None else None,
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
            valid_from=s.valid.start,
            valid_through=s.valid.end,
            available_from=s.available_from,
            delivers_here=delivers,
            verification=claims.verification,
            schemes=claims.schemes,
            impact_kg=impact,
            confidence=(1.0 if s.sourced else 0.6) * recency,
            steps=(supply_step, buyer, *verdict.steps),
            evidence=tuple(sorted({s.offer, *verdict.evidence, *claims.claims})),
        )

    # -- the whole pipeline -------------------------------------------------------------------

    def run(self) -> MatchResult:
        facts = self.facts()
        judge = LoopJudge(facts, max_partners=self.max_partners, overrides=self.overrides)
        pool = self.candidates(facts, judge)
        internal = [c for c in pool if c.internal]
        market = [c for c in pool if not c.internal]
        ranked = rank(market, self.need, self.request.weights, top_k=self.request.top_k)
        reuse = rank(internal, self.need, self.request.weights, top_k=self.request.top_k)
        funnel = None
        if not ranked:  # what the filters removed, among every offer of the product anywhere
            everything = self.candidates(facts, judge, anywhere=True)
            funnel = self.funnel([c for c in everything if not c.internal])
        explanation = funnel.lines(self.target.label) if funnel is not None else []
        return MatchResult(
            id=request_id(self.request),
            what={
                "concept": self.target.concept,
                "label": self.target.label,
                "kind": self.target.kind,
                "cpv": self.target.cpv,
                **({"need": self.request.need} if self.request.need is not None else {}),
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
                status: sum(1 for s in ranked if s.candidate.status == status)
                for status in ("closed", "promised", "open")
            },
            funnel=funnel,
        )

    def _result(self, position: int, s: Scored) -> ChainResult:
        c = s.candidate
        assert c.verdict is not None
        return ChainResult(
            rank=position,
            score=s.score,
            base_score=s.base_score,
            status=c.status,
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
            verdict=c.verdict,
        )

    def funnel(self, everything: Sequence[Candidate]) -> Funnel:
        """Why nothing matched: how many candidates each hard filter removed, in order."""
        km = self.need.within_km
        if not everything:
            return Funnel(0, km)
        wider = sum(1 for c in everything if c.distance_km <= 2 * km)
        within = 0
        removed: list[tuple[str, int]] = []
        remaining = list(everything)
        for name, passes in FILTERS:
            kept = [c for c in remaining if passes(c, self.need)]
            if name == "distance":
                within = len(kept)
            elif len(kept) < len(remaining):
                removed.append((name, len(remaining) - len(kept)))
            remaining = kept
        return Funnel(len(everything), km, within, wider, tuple(removed))


def match(
    store: Store,
    request: MatchRequest,
    *,
    today: date | None = None,
    max_partners: int = 6,
) -> MatchResult:
    """Ranked, explained closed-loop chains for ``request``."""
    return Matchmaker(store, request, today=today, max_partners=max_partners).run()


def verdicts_of(result: MatchResult) -> Mapping[str, Verdict]:
    """The verdict of each offer of a match, by offer IRI."""
    return {c.offer: c.verdict for c in (*result.internal_reuse, *result.chains)}
