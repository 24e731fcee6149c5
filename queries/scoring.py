"""Scoring and ranking chains: pure functions over candidate data, no store access.

Every component is normalised to 0..1 and reported with its raw value, weight and
contribution; the score is the weighted mean. Hard filters are checked here too (`rejects`),
so a ranked result always satisfies them. Chains are ranked in tiers by their loop verdict —
closed, then promised, then open (`kringloop.queries.loop`) — and by score within a tier
(or by score alone); a diversity re-rank keeps one large supplier from filling the list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from kringloop.queries.loop.verdict import TIER, Step, Verdict
from kringloop.queries.request import COMPONENTS, Weights

__all__ = ["Candidate", "Component", "Need", "Scored", "Step", "rank", "rejects"]

#: Multiplier applied per result already taken from the same supplier.
DIVERSITY_DECAY = 0.85


@dataclass(frozen=True)
class Candidate:
    """A chain for one supply offer, with everything scoring needs (already looked up)."""

    offer: str
    supplier: str
    supplier_label: str
    product_type: str
    model: str
    fit: float
    fit_relation: str
    distance_km: float
    closed: bool
    chain_rank: int | None
    status: str = "open"
    verdict: Verdict | None = None
    strategies: frozenset[str] = frozenset()
    internal: bool = False
    lease_without_take_back: bool = False
    missing: str | None = None
    available: float | None = None
    minimum: float | None = None
    tco_per_unit: float | None = None
    valid_from: date | None = None
    valid_through: date | None = None
    available_from: date | None = None
    delivers_here: bool = True
    verification: float = 0.0
    schemes: frozenset[str] = frozenset()
    impact_kg: float = 0.0
    confidence: float = 0.5
    steps: tuple[Step, ...] = ()
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class Need:
    """The hard limits and targets of a request, resolved to IRIs and numbers."""

    quantity: float | None
    within_km: float
    needed_by: date | None = None
    period_months: int | None = None
    models: frozenset[str] = frozenset()
    strategies: frozenset[str] = frozenset()
    certifications: frozenset[str] = frozenset()
    max_r_rank: int | None = None
    partial: bool = True
    include_open: bool = True
    rank_by: str = "tier"
    today: date | None = None

    @property
    def start(self) -> date | None:
        """The first day of use: ``needed_by``, else today."""
        return self.needed_by or self.today


@dataclass(frozen=True)
class Component:
    name: str
    raw: float | str | None
    value: float
    weight: float
    contribution: float


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    score: float
    components: tuple[Component, ...]
    partial: bool
    diversity_penalty: float = 1.0
    #: the weighted mean of the components, before the diversity penalty (``score`` is after)
    base_score: float = 0.0
    notes: tuple[str, ...] = field(default=())


#: The hard filters, in the order the funnel reports them: name → passes(candidate, need).
FILTERS: tuple[tuple[str, Callable[[Candidate, Need], bool]], ...] = (
    ("distance", lambda c, n: c.distance_km <= n.within_km + 1e-9),
    ("delivery area", lambda c, n: c.delivers_here),
    ("business model", lambda c, n: not n.models or c.model in n.models),
    (
        "time window",
        lambda c, n: (
            n.start is None
            or not (
                (c.valid_through and c.valid_through < n.start)
                or (c.valid_from and c.valid_from > n.start)
            )
        ),
    ),
    (
        "availability",
        lambda c, n: n.start is None or c.available_from is None or c.available_from <= n.start,
    ),
    (
        "minimum order",
        lambda c, n: c.minimum is None or n.quantity is None or c.minimum <= n.quantity + 1e-9,
    ),
    ("certification", lambda c, n: n.certifications <= c.schemes),
    ("strategy", lambda c, n: not n.strategies or n.strategies <= c.strategies),
    (
        "circularity",
        lambda c, n: (
            n.max_r_rank is None or (c.chain_rank is not None and c.chain_rank <= n.max_r_rank)
        ),
    ),
    (
        "quantity",
        lambda c, n: (
            n.partial or c.available is None or n.quantity is None or c.available >= n.quantity
        ),
    ),
    ("open loop", lambda c, n: n.include_open or c.closed),
)


def rejects(c: Candidate, need: Need) -> str | None:
    """The first hard filter of ``need`` that ``c`` fails (``None`` when it passes them all)."""
    for name, passes in FILTERS:
        if not passes(c, need):
            return name
    return None


def _timing(c: Candidate, need: Need) -> float:
    if need.needed_by is None:
        return 1.0
    start = need.needed_by
    if need.period_months:
        end = date.fromordinal(start.toordinal() + int(need.period_months * 30.44))
    else:
        end = start
    lo = max(start, c.valid_from or start)
    hi = min(end, c.valid_through or end)
    if end == start:
        if c.valid_from and c.valid_from > start:
            return max(0.0, 1.0 - (c.valid_from - start).days / 365)
        return 1.0
    return max(0.0, min(1.0, (hi - lo).days / max(1, (end - start).days)))


def _circularity(c: Candidate) -> float:
    """The R-rank the chain guarantees, with a bonus when its loop closes; a loop that is only
    promised or open gets half, and a lease without a way back half again."""
    base = (9 - c.chain_rank) / 9 if c.chain_rank is not None else 0.1
    value = min(1.0, base + 0.2) if c.closed else base * 0.5
    if c.lease_without_take_back:
        value *= 0.5
    return max(0.0, min(1.0, value))


@dataclass(frozen=True)
class Pool:
    """Figures over all candidates that passed the filters (order-independent)."""

    best_tco: float | None
    most_impact: float

    @classmethod
    def of(cls, candidates: Sequence[Candidate]) -> Pool:
        costs = [
            c.tco_per_unit for c in candidates if c.tco_per_unit is not None and c.tco_per_unit > 0
        ]
        return cls(
            best_tco=min(costs) if costs else None,
            most_impact=max((c.impact_kg for c in candidates), default=0.0),
        )


def components(c: Candidate, need: Need, weights: Weights, pool: Pool) -> tuple[Component, ...]:
    """The score components of ``c``: raw value, normalised value, weight, contribution."""
    return _components(c, need, _table(weights), weights.total, pool)


def _table(weights: Weights) -> list[tuple[str, float]]:
    return [(name, weights.of(name)) for name in COMPONENTS]


def _normalised(c: Candidate, need: Need, pool: Pool) -> tuple[float, ...]:
    """The normalised values of the components, in `COMPONENTS` order (0..1)."""
    if c.available is None:
        qty = 0.5
    elif need.quantity is None:
        qty = 1.0
    else:
        qty = min(1.0, c.available / need.quantity)
    if c.tco_per_unit is None or pool.best_tco is None:
        tco = 0.5
    elif c.tco_per_unit <= 0:
        tco = 1.0
    else:
        tco = min(1.0, pool.best_tco / c.tco_per_unit)
    values = (
        c.fit,
        _circularity(c),
        max(0.0, 1.0 - c.distance_km / need.within_km),
        qty,
        _timing(c, need),
        c.verification,
        tco,
        c.impact_kg / pool.most_impact if pool.most_impact > 0 else 0.0,
        c.confidence,
    )
    return tuple(max(0.0, min(1.0, float(v))) for v in values)


def _raw(c: Candidate) -> tuple[float | str | None, ...]:
    """The raw values of the components, as shown, in `COMPONENTS` order."""
    return (
        c.fit_relation,
        f"R{c.chain_rank}" if c.chain_rank is not None else None,
        round(c.distance_km, 1),
        c.available,
        c.valid_from.isoformat() if c.valid_from else None,
        ", ".join(sorted(s.rsplit("/", 1)[-1] for s in c.schemes)) or None,
        None if c.tco_per_unit is None else round(c.tco_per_unit, 2),
        round(c.impact_kg, 1),
        round(c.confidence, 2),
    )


def _contributions(
    normalised: tuple[float, ...], table: list[tuple[str, float]], total: float
) -> list[float]:
    return [
        round(weight * value / total if total > 0 else 0.0, 4)
        for (_, weight), value in zip(table, normalised, strict=True)
    ]


def _components(
    c: Candidate, need: Need, table: list[tuple[str, float]], total: float, pool: Pool
) -> tuple[Component, ...]:
    normalised = _normalised(c, need, pool)
    parts = zip(table, _raw(c), normalised, _contributions(normalised, table, total), strict=True)
    return tuple(
        Component(name, raw, round(value, 4), weight, contribution)
        for (name, weight), raw, value, contribution in parts
    )


def rank(
    candidates: Sequence[Candidate], need: Need, weights: Weights, *, top_k: int
) -> list[Scored]:
    """The best ``top_k`` candidates that pass the hard filters, diversity re-ranked.

    The order of ``candidates`` does not matter: ties break on the offer IRI.
    """
    passing = sorted((c for c in candidates if rejects(c, need) is None), key=lambda c: c.offer)
    pool = Pool.of(passing)
    table, total = _table(weights), weights.total  # once, not once per candidate
    scored = []
    for c in passing:  # the score of each; the components shown only for those chosen
        score = round(sum(_contributions(_normalised(c, need, pool), table, total)), 4)
        partial = c.verdict is not None and c.verdict.partial
        if c.available is not None and need.quantity is not None:
            partial = partial or c.available < need.quantity
        scored.append(Scored(c, score, (), partial))
    by_tier = need.rank_by != "score"

    def tier(item: Scored) -> int:
        return TIER.get(item.candidate.status, 2) if by_tier else 0

    remaining = sorted(scored, key=lambda s: (tier(s), -s.score, s.candidate.offer))
    chosen: list[Scored] = []
    taken: dict[str, int] = {}
    while remaining and len(chosen) < top_k:
        best, best_key = remaining[0], (9, 1.0)
        for item in remaining:  # sorted by tier, score, offer IRI: the first best wins ties
            value = item.score * DIVERSITY_DECAY ** taken.get(item.candidate.supplier, 0)
            key = (tier(item), -value)
            if key[0] < best_key[0] or (key[0] == best_key[0] and key[1] < best_key[1] - 1e-12):
                best, best_key = item, key
        remaining.remove(best)
        penalty = DIVERSITY_DECAY ** taken.get(best.candidate.supplier, 0)
        taken[best.candidate.supplier] = taken.get(best.candidate.supplier, 0) + 1
        chosen.append(
            replace(
                best,
                components=_components(best.candidate, need, table, total, pool),
                score=round(best.score * penalty, 4),
                base_score=best.score,
                diversity_penalty=round(penalty, 4),
            )
        )
    return chosen


def tco_per_unit(
    *,
    years: float,
    unit_price: float | None,
    monthly_fee: float | None,
    maintenance: float | None,
    end_of_life: float | None,
    residual: float | None,
) -> float | None:
    """Total cost of ownership of one unit over ``years``.

    A lease or service pays its fee for the whole horizon (maintenance and end of life are the
    provider's); a purchase pays the price, maintenance each year and the end-of-life cost, and
    gets the residual (buy-back) value back.

    >>> lease = dict(unit_price=None, maintenance=None, end_of_life=None, residual=None)
    >>> tco_per_unit(years=5, monthly_fee=10, **lease)
    600.0
    >>> tco_per_unit(years=5, unit_price=300, monthly_fee=None, maintenance=20, end_of_life=15,
    ...              residual=60)
    355.0
    """
    if monthly_fee is not None:
        return round(float(monthly_fee) * 12 * years, 2)
    if unit_price is None:
        return None
    total = (
        float(unit_price) + (maintenance or 0.0) * years + (end_of_life or 0.0) - (residual or 0.0)
    )
    return round(total, 2)
