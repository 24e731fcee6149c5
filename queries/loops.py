"""Loop census and gap analysis over the whole graph, from the one loop judgement.

For every supply offer on the market today (internal surplus aside), the verdict of
`kringloop.queries.loop.judge` at the offer's own site — the place of use the census assumes —,
for today, within
`DEFAULT_RADIUS_KM`, with no quantity: closed, promised or open. The census counts them per
category (product type) and region; each offer that does not close is one gap line naming the
offer and its supplier, the missing role and the nearest organisations that would close it.
Needs without a closed loop within their distance and processors whose flows lead nowhere are
gaps too. Bottlenecks are the partners many loops depend on, and those that are the only one
closing the loops of a category in a region.

`/loops`, `/loops/gaps`, `kringloop loops|gaps` and `/viz/loops` all read this census, so they
count the same; matchmaking asks the same judgement at the buyer's place.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise

import networkx as nx

from kringloop.graph.store import Store
from kringloop.queries import codes, match_cache, resolve
from kringloop.queries.loop.facts import loop_facts, read_vocabulary
from kringloop.queries.loop.judge import MAX_PARTNERS, LoopJudge, Use
from kringloop.queries.loop.kinds import LEASE_MODELS, role_of
from kringloop.queries.loop.nearby import SiteIndex
from kringloop.queries.loop.records import ProcessingRecord, Site, SupplyRecord, Window
from kringloop.queries.loop.verdict import Verdict
from kringloop.queries.loop.whole import census_facts
from kringloop.queries.needs import Need, read_needs

DEFAULT_RADIUS_KM = 50.0
CPV_BASE = "http://data.europa.eu/cpv/cpv/"
UNKNOWN_REGION = "(unknown region)"
__all__ = [
    "DEFAULT_RADIUS_KM",
    "Bottleneck",
    "CategoryRegion",
    "Census",
    "Demand",
    "Gap",
    "Loop",
    "census",
]


@dataclass(frozen=True)
class Loop:
    """A closed loop: supplier → buyer → processor → … → supplier."""

    category: str
    region: str
    offer: str
    supplier: str
    processor: str
    path: tuple[str, ...]
    partners: int
    strategy: str | None


@dataclass(frozen=True)
class Candidate:
    """An organisation that would close a gap if it were in reach."""

    organisation: str
    label: str
    role: str
    distance_km: float
    radius_km: float | None


@dataclass(frozen=True)
class Gap:
    """A loop that does not close, and what is missing."""

    kind: str  # supply | need | processor
    category: str
    region: str
    subject: str
    label: str
    missing_role: str
    reason: str
    status: str = "open"  # open | promised (supply gaps)
    lease: bool = False
    supplier: str | None = None
    supplier_label: str | None = None
    candidates: tuple[Candidate, ...] = ()
    change: str | None = None


@dataclass(frozen=True)
class CategoryRegion:
    category: str
    category_label: str
    region: str
    region_label: str
    closed: int
    promised: int
    open: int
    partners: tuple[str, ...]


@dataclass(frozen=True)
class Bottleneck:
    organisation: str
    label: str
    loops: int
    sole_closer_for: tuple[str, ...]
    articulation: bool


@dataclass(frozen=True)
class Demand:
    """Demand per category and region: how many needs (and tender lots, and lots that ask for
    a circular solution, ``circ-econ``) there are, which buyers ask, and how many of them a
    closed loop within their distance serves (``unlocated``: no coordinate to judge by)."""

    category: str
    category_label: str
    region: str
    region_label: str
    needs: int
    lots: int
    circular_lots: int
    served: int
    unserved: int
    unlocated: int
    buyers: tuple[str, ...]
    buyer_labels: tuple[str, ...]
    circular_buyers: tuple[str, ...]


@dataclass
class Census:
    """The census: loops and gaps, per category and region, and the bottlenecks."""

    cells: list[CategoryRegion] = field(default_factory=list)
    loops: list[Loop] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    bottlenecks: list[Bottleneck] = field(default_factory=list)
    #: demand per category and region (needs, tender lots, circular lots, who asks, served)
    demand: list[Demand] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    #: the verdict of every supply offer judged, by offer IRI, and the site it was judged at
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    sites: dict[str, Site] = field(default_factory=dict)

    def closed_count(self) -> int:
        return len(self.loops)

    def count(self, status: str) -> int:
        return sum(1 for v in self.verdicts.values() if v.status == status)


@dataclass(frozen=True)
class _Judged:
    offer: SupplyRecord
    site: Site
    verdict: Verdict

    @property
    def region(self) -> str:
        return self.site.region or UNKNOWN_REGION


def _judge_offer(
    judge: LoopJudge, offer: SupplyRecord, day: date, radius_km: float
) -> _Judged | None:
    """The offer judged at each of its sites; the best verdict (closed before promised before
    open; then the first site by IRI)."""
    best: _Judged | None = None
    for site in sorted(offer.sites, key=lambda s: s.iri):
        use = Use(site.lat, site.long, day, day, radius_km)
        verdict = judge.verdict(offer, use)
        if best is None or verdict.tier < best.verdict.tier:
            best = _Judged(offer, site, verdict)
    return best


@dataclass(frozen=True)
class Scope:
    """What a census is asked about: a category (its product types) and a region."""

    categories: frozenset[str] | None = None
    category: str | None = None
    region: str | None = None


def scope(store: Store, *, category: str | None = None, region: str | None = None) -> Scope:
    """The census scope ``category`` and ``region`` name: a product type, or a CPV code or
    label meaning every product type under it; a region by IRI, slug, NUTS code or label.
    Unknown or ambiguous values raise `kringloop.queries.resolve.ResolutionError` (422)."""
    found = Scope()
    if category:
        c = codes.resolve_category(resolve.vocabulary(store), category)
        found = Scope(categories=c.product_types, category=c.concept)
    if region:
        r = codes.resolve_region(codes.code_lists(store), region)
        found = Scope(found.categories, found.category, r.iri)
    return found


def census(
    store: Store,
    *,
    radius_km: float = DEFAULT_RADIUS_KM,
    today: date | None = None,
    max_partners: int = MAX_PARTNERS,
    categories: Collection[str] | None = None,
    region: str | None = None,
) -> Census:
    """Closed, promised and open loops, gaps and bottlenecks (see the module description);
    ``categories`` (product-type IRIs) and ``region`` (a region IRI) narrow what is counted.
    Computed once per store version: kept in the process while the store cannot change, and
    on disk beside the store for every other process opening it in the same state
    (`kringloop.graph.derived`), so the census JSON, the gaps, the pages, the graph page and
    the command line answer from one computation."""
    day = today or date.today()
    scope = (None if categories is None else tuple(sorted(categories)), region)
    key = (day.isoformat(), radius_km, max_partners, scope)

    return match_cache.shared(
        store,
        "census",
        key,
        lambda: _census(store, day, radius_km, max_partners, categories, region),
    )


def _census(
    store: Store,
    day: date,
    radius_km: float,
    max_partners: int,
    categories: Collection[str] | None,
    region: str | None,
) -> Census:
    vocab = read_vocabulary(store)
    types = sorted(vocab.product_types if categories is None else categories)
    # every product type: read over the whole graph; some: as matchmaking reads them
    facts = census_facts(store) if categories is None else loop_facts(store, types)
    judge = LoopJudge(facts, max_partners=max_partners)
    result = Census(labels={**vocab.labels, **facts.labels})
    judged = []
    for offer in facts.supply:
        if offer.internal or not offer.valid.holds(day):  # not on the market today
            continue
        found = _judge_offer(judge, offer, day, radius_km)
        if found is not None and (region is None or found.region == region):
            judged.append(found)
            result.verdicts[offer.offer] = found.verdict
            result.sites[offer.offer] = found.site
    _count(result, judged)
    result.gaps += _supply_gaps(judged, facts.label)
    need_gaps, result.demand = _need_gaps(
        store, judge, judged, day, types, region, every_category=categories is None
    )
    result.gaps += need_gaps
    result.gaps += _processor_gaps(judge, facts.processing, day, radius_km, region)
    return result


def _count(result: Census, judged: list[_Judged]) -> None:
    cells: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    partners: dict[tuple[str, str], set[str]] = defaultdict(set)
    depends: Counter[str] = Counter()
    closers: dict[tuple[str, str], set[str]] = defaultdict(set)
    edges: set[tuple[str, str]] = set()
    for j in sorted(judged, key=lambda j: j.offer.offer):
        cell = (j.offer.product_type, j.region)
        cells[cell][j.verdict.status] += 1
        if not j.verdict.closed:
            continue
        supplier, way = j.offer.supplier, j.verdict.path
        closing = (supplier, "buyer", *way) + (() if way[-1] == supplier else (supplier,))
        result.loops.append(
            Loop(
                j.offer.product_type,
                j.region,
                j.offer.offer,
                supplier,
                j.verdict.processor or supplier,
                closing,
                j.verdict.partners or 0,
                j.verdict.strategy,
            )
        )
        partners[cell].update({supplier, *way})
        for org in set(way) - {supplier}:
            depends[org] += 1
        closers[cell].add(j.verdict.processor or supplier)
        edges.update(pairwise([supplier, *way, supplier]))
    labels = result.labels
    result.cells = [
        CategoryRegion(
            category=c,
            category_label=labels.get(c, c.rsplit("/", 1)[-1]),
            region=r,
            region_label=labels.get(r, r.rsplit("/", 1)[-1]),
            closed=n["closed"],
            promised=n["promised"],
            open=n["open"],
            partners=tuple(sorted(partners[(c, r)])),
        )
        for (c, r), n in sorted(cells.items())
    ]
    graph: nx.Graph = nx.Graph()
    graph.add_edges_from(sorted((a, b) for a, b in edges if a != b))
    articulation = set(nx.articulation_points(graph)) if graph.number_of_nodes() else set()
    sole: dict[str, list[str]] = defaultdict(list)
    for (c, r), orgs in closers.items():
        if len(orgs) == 1:
            sole[next(iter(orgs))].append(f"{labels.get(c, c)} in {labels.get(r, r)}")
    ranked = sorted(depends.items(), key=lambda kv: (-kv[1], kv[0]))
    result.bottlenecks = [
        Bottleneck(
            org,
            labels.get(org, org),
            n,
            tuple(sorted(sole.get(org, []))),
            org in articulation,
        )
        for org, n in ranked
        if sole.get(org) or org in articulation or n >= 2
    ]


def _supply_gaps(judged: list[_Judged], label: Callable[[str], str]) -> list[Gap]:
    """One line per offer whose loop does not close."""
    gaps = []
    for j in sorted(judged, key=lambda j: j.offer.offer):
        v = j.verdict
        if v.closed:
            continue
        gaps.append(
            Gap(
                "supply",
                j.offer.product_type,
                j.region,
                j.offer.offer,
                j.offer.label,
                v.missing_role or "producer",
                v.reason.text if v.reason is not None else "",
                status=v.status,
                lease=j.offer.model in LEASE_MODELS,
                supplier=j.offer.supplier,
                supplier_label=label(j.offer.supplier),
                candidates=tuple(
                    Candidate(c.organisation, c.label, c.role, round(c.distance_km, 1), c.radius_km)
                    for c in v.closers
                ),
                change=v.change.text if v.change is not None else None,
            )
        )
    return gaps


def _need_gaps(
    store: Store,
    judge: LoopJudge,
    judged: list[_Judged],
    day: date,
    types: Collection[str],
    region: str | None,
    *,
    every_category: bool = True,
) -> tuple[list[Gap], list[Demand]]:
    """Needs for which no closed loop of their product type starts within their distance,
    and the demand per category and region (`Demand`). With ``every_category``, the needs that
    ask for a CPV code no product type covers are counted too (under that code)."""
    starts: dict[str, list[tuple[str, Site]]] = defaultdict(list)
    for j in judged:
        if j.verdict.closed:
            starts[j.offer.product_type].append((j.offer.offer, j.site))
    origins = {product: SiteIndex(found) for product, found in starts.items()}
    wanted = set(types)
    gaps = []
    cells: dict[tuple[str, str], list[tuple[Need, bool | None]]] = defaultdict(list)
    for need in read_needs(store, judge.facts.vocabulary, judge.facts.organisations):
        known = need.product in wanted
        if not known and not (every_category and need.product.startswith(CPV_BASE)):
            continue
        if region is not None and need.region != region:
            continue
        served: bool | None = None
        if need.located and known:
            assert need.lat is not None and need.long is not None
            near = origins.get(need.product)
            served = near is not None and near.any_within(need.lat, need.long, need.max_km)
        elif known:
            served = None  # not located: cannot be judged
        else:
            served = False  # no product type: no loop in kringloop can serve it
        cells[(need.product, need.region or UNKNOWN_REGION)].append((need, served))
        if served:
            continue
        if served is None:
            gaps.append(_unlocated_gap(judge, need))
        elif not known:
            gaps.append(_uncovered_gap(need))
        else:
            gaps.append(_need_gap(judge, need, day))
    return gaps, _demand(cells, judge)


def _demand(
    cells: Mapping[tuple[str, str], list[tuple[Need, bool | None]]], judge: LoopJudge
) -> list[Demand]:
    labels = judge.facts.label
    found = []
    for (category, where), rows in sorted(cells.items()):
        buyers = sorted({n.buyer for n, _ in rows if n.buyer is not None})
        names = {n.buyer: n.buyer_label or labels(n.buyer) for n, _ in rows if n.buyer}
        found.append(
            Demand(
                category=category,
                category_label=_category_label(category, labels),
                region=where,
                region_label=labels(where) if where != UNKNOWN_REGION else where,
                needs=len(rows),
                lots=sum(1 for n, _ in rows if n.lot),
                circular_lots=sum(1 for n, _ in rows if n.lot and n.circular),
                served=sum(1 for _, ok in rows if ok),
                unserved=sum(1 for _, ok in rows if ok is False),
                unlocated=sum(1 for _, ok in rows if ok is None),
                buyers=tuple(buyers),
                buyer_labels=tuple(names[b] for b in buyers),
                circular_buyers=tuple(
                    sorted({n.buyer for n, _ in rows if n.lot and n.circular and n.buyer})
                ),
            )
        )
    return found


def _category_label(category: str, labels: Callable[[str], str]) -> str:
    if category.startswith(CPV_BASE):
        code = category[len(CPV_BASE) :]
        name = labels(category)
        return f"CPV {code}" + (f" {name}" if name != code else "")
    return labels(category)


def _gap_of(need: Need, missing: str, why: str, candidates: tuple[Candidate, ...] = ()) -> Gap:
    """The gap line of a need: its product, region, buyer, the missing role and why."""
    region = need.region or UNKNOWN_REGION
    who = need.buyer_label or need.label
    return Gap("need", need.product, region, need.need, who, missing, why, candidates=candidates)


def _unlocated_gap(judge: LoopJudge, need: Need) -> Gap:
    why = (
        f"{judge.facts.label(need.product)}: kringloop has no coordinate for the need's place "
        "of use, so no loop can be judged for it (give the place in kringloop's places)"
    )
    return _gap_of(need, "location", why)


def _uncovered_gap(need: Need) -> Gap:
    code = need.product[len(CPV_BASE) :]
    why = (
        f"CPV {code}: no kringloop product type covers it, so no supplier, processor or loop "
        "for it is known"
    )
    return _gap_of(need, "supplier", why)


def _need_gap(judge: LoopJudge, need: Need, day: date) -> Gap:
    assert need.lat is not None and need.long is not None
    label = judge.facts.label(need.product)
    use = Use(need.lat, need.long, day, day, need.max_km)
    # the need's own loop: judged as a supply offer at the need's place would be (what would
    # take its product back there)
    probe = SupplyRecord(
        offer=need.need, label=need.label, supplier=need.buyer or need.need,
        product_type=need.product, model="", internal=False,
        sites=(Site(need.need, need.lat, need.long, None, need.region),), strategy=None,
        condition=None, available=None, minimum=None, unit_price=None, monthly_fee=None,
        maintenance=None, end_of_life=None, residual=None, valid=Window(),
        available_from=None, takes_back=False, delivery_km=None, co2e=None, sourced=False,
        claims=(),
    )  # fmt: skip
    verdict = judge.verdict(probe, use)
    why = verdict.reason.text if verdict.reason is not None else "no supplier's loop closes there"
    return _gap_of(
        need,
        verdict.missing_role or "supplier",
        f"no closed loop for {label} within {need.max_km:.0f} km: {why}",
        tuple(
            Candidate(c.organisation, c.label, c.role, round(c.distance_km, 1), c.radius_km)
            for c in verdict.closers
        ),
    )


def _processor_gaps(
    judge: LoopJudge,
    processing: Mapping[str, list[ProcessingRecord]],
    day: date,
    radius_km: float,
    region: str | None,
) -> list[Gap]:
    """Processing offers valid today from whose organisation no carrying flow leads anywhere:
    what they take back goes nowhere the graph knows."""
    gaps = []
    seen: set[str] = set()
    for product in sorted(processing):
        for q in sorted(processing[product], key=lambda q: (q.organisation, q.offer)):
            org = q.organisation
            if org in seen or not q.valid.holds(day) or not q.sites:
                continue
            site = min(q.sites, key=lambda s: s.iri)
            where = site.region or UNKNOWN_REGION
            if region is not None and where != region:
                continue
            use = Use(site.lat, site.long, day, day, radius_km)
            if len(judge.reached(org, product, use).hops) > 1:
                continue
            seen.add(org)
            name = judge.facts.label(org)
            gaps.append(
                Gap(
                    "processor",
                    product,
                    where,
                    org,
                    name,
                    "producer",
                    f"{name} ({role_of(q.process_class)}) has no flow onward: what it takes back "
                    "goes nowhere the graph knows",
                )
            )
    return gaps
