"""The result page of a request, in the page's language: what a procurement officer reads.

`result_page` turns a `MatchResult` (the same answer ``POST /match`` gives) into cards:
internal reuse first, then each chain with its status, supplier, distance, business model,
strategy and its rank on the ladder, price and cost of ownership, the way back step by step,
the partners count, the score as bars of its components, the loop as a ring and links to the
linked-data page of everything it rests on; for loops that do not close, the missing role,
who would close it and the change that would, as a link that reruns the request. When
nothing matches, which filter removed how many offers and the ways out.

Nothing here judges anything: the verdict, the scores and the funnel come from the core; this
module only names and arranges them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox
from markupsafe import Markup

from kringloop.graph.store import Store
from kringloop.queries import words
from kringloop.queries.loop.verdict import Reason, Step, Verdict
from kringloop.queries.matchmaker import ChainResult, MatchResult
from kringloop.queries.request import MatchRequest
from kringloop.service import drawing, match_form
from kringloop.service.i18n import NOTHING, Words
from kringloop.service.names import Names

ID = "https://w3id.org/kringloop/id/"
CERTIFICATION = ID + "certification/"


@dataclass(frozen=True)
class Link:
    text: str
    href: str


@dataclass(frozen=True)
class Fact:
    """A line of a card: its name, its text, and a link when there is one."""

    name: str
    text: str
    href: str | None = None


@dataclass(frozen=True)
class StepView:
    index: int
    role: str
    who: str
    href: str | None
    does: str
    links: tuple[Link, ...] = ()
    distance: str = ""


@dataclass(frozen=True)
class ComponentView:
    name: str
    raw: str
    weight: str
    contribution: str
    bar: Markup


@dataclass(frozen=True)
class CloserView:
    name: str
    href: str
    role: str
    distance: str
    radius: str


@dataclass
class ChainCard:
    """One chain as the page shows it."""

    key: str
    rank: int
    status: str
    status_word: str
    status_long: str
    supplier: str
    supplier_href: str
    facts: list[Fact]
    steps: list[StepView]
    ring: Markup
    score: str
    components: list[ComponentView]
    diversity: str | None
    missing_role: str | None = None
    reason: str | None = None
    closers: list[CloserView] = field(default_factory=list)
    change: Link | None = None
    change_text: str | None = None
    notes: list[str] = field(default_factory=list)
    evidence: list[Link] = field(default_factory=list)


@dataclass
class ResultPage:
    """The whole answer to a request."""

    title: str
    summary: str
    considered: str
    reuse: list[ChainCard]
    chains: list[ChainCard]
    funnel: list[str]
    ways_out: list[Link]
    best_change: Link | None
    best_change_text: str | None
    graph_href: str
    request_json: dict[str, object]


def result_page(
    store: Store,
    result: MatchResult,
    request: MatchRequest,
    t: Words,
    *,
    href: Callable[[str], str],
    as_sent: MatchRequest | None = None,
) -> ResultPage:
    """The page of ``result``, the answer to ``request``, in ``t``'s language; ``as_sent`` is
    the request before its need filled it in, if it names one."""
    need_place = _need_place(store, as_sent) if as_sent is not None else None
    names = Names(store, _iris(result) | ({need_place} if need_place else set()), t)
    product = names.label(result.what.get("concept"))
    place = names.label(need_place) if need_place else str(result.where.get("label", ""))
    build = _Cards(names, request, href, product)
    reuse = [build.card("reuse", c) for c in result.internal_reuse]
    chains = [build.card("chain", c) for c in result.chains]
    counts = {
        s: sum(1 for c in result.chains if c.status == s) for s in ("closed", "promised", "open")
    }
    summary = t.n(
        "result.summary",
        len(result.chains),
        km=t.num(request.within_km),
        **counts,
    )
    best, best_text = _best_change(build, result.chains) if not counts["closed"] else (None, None)
    return ResultPage(
        title=t("result.title", product=product, place=place),
        summary=summary,
        considered=t.n("result.considered", result.considered),
        reuse=reuse,
        chains=chains,
        funnel=_funnel(result, request, t, product) if not result.chains else [],
        ways_out=_ways_out(result, request, t) if not result.chains else [],
        best_change=best,
        best_change_text=best_text,
        graph_href="/viz/match?" + match_form.query(request, language=t.language),
        request_json=request.model_dump(mode="json", exclude_defaults=True, exclude={"save"}),
    )


_NEED_PLACE = """
PREFIX kl: <https://w3id.org/kringloop/ns#>
SELECT ?place WHERE { { ?need kl:atPlace ?place } UNION { ?need kl:inRegion ?place } }
ORDER BY ?place LIMIT 1
"""


def _need_place(store: Store, request: MatchRequest) -> str | None:
    """The place (else the region) of the need a request takes its place of use from, to
    name it on the page rather than its coordinates; None when the request says where."""
    if request.need is None or request.near is not None or request.lat is not None:
        return None
    rows = store.select(
        _NEED_PLACE, bindings={"need": ox.NamedNode(request.need)}, union_default_graph=True
    )
    place = rows[0]["place"] if rows else None
    return place.value if isinstance(place, ox.NamedNode) else None


def _iris(result: MatchResult) -> set[str]:
    iris: set[str] = set()
    for key in ("concept", "cpv"):
        value = result.what.get(key)
        if value:
            iris.add(value)
    for chain in (*result.internal_reuse, *result.chains):
        iris |= {chain.offer, chain.supplier, chain.product_type, *chain.evidence}
        for step in chain.steps:
            iris |= {x for x in (step.organisation, step.offer, step.process, step.flow) if x}
        for closer in chain.verdict.closers:
            iris |= {closer.organisation, closer.offer}
        for note in (
            *chain.verdict.notes,
            *([chain.verdict.reason] if chain.verdict.reason else []),
        ):
            iris |= {str(v) for v in note.params.values() if isinstance(v, str) and "://" in v}
    return {i for i in iris if "://" in i}


class _Cards:
    """Builds the cards of one result (its names read once)."""

    def __init__(
        self, names: Names, request: MatchRequest, href: Callable[[str], str], product: str
    ) -> None:
        self.names = names
        self.t = names.t
        self.request = request
        self.href = href
        self.product = product
        materials = names.lists.lists.get("material")
        self.materials = (
            {c.label("en"): c.label(self.t.language) for c in materials.codes.values()}
            if materials
            else {}
        )

    def rerun(self, **changes: object) -> str:
        return "/find?" + match_form.query(self.request, language=self.t.language, **changes)

    def reason(self, reason: Reason, product_type: str) -> str:
        params = words.localise(
            reason.params,
            self.t.language,
            label=self.names.thing,
            product=self.names.label(product_type),
            materials=self.materials,
        )
        return words.reason(reason.code, params, self.t.language)

    def change(self, verdict: Verdict) -> tuple[Link | None, str | None]:
        change = verdict.change
        if change is None:
            return None, None
        language = self.t.language
        text = words.change(change.kind, change.value, language)
        value = change.value
        updates: dict[str, object] | None = None
        if change.kind == "within_km" and isinstance(value, int | float):
            updates = {"within_km": float(value)}
        elif change.kind == "period_months" and isinstance(value, int | float):
            updates = {"period_months": int(value)}
        elif change.kind == "needed_by" and isinstance(value, str):
            updates = {"needed_by": value}
        elif change.kind == "partial":
            updates = {"partial": True}
        if updates is None:
            return None, text
        try:
            target = self.rerun(**updates)
        except (TypeError, ValueError):
            return None, text
        return Link(words.change(change.kind, value, language, link=True), target), text

    def card(self, kind: str, chain: ChainResult) -> ChainCard:
        t, names, v = self.t, self.names, chain.verdict
        facts = [
            Fact(t("chain.offer"), names.thing(chain.offer), self.href(chain.offer)),
            Fact(t("chain.distance"), t.km(chain.distance_km)),
            Fact(t("chain.business_model"), names.code(chain.business_model) or NOTHING),
            Fact(t("chain.strategy"), self._strategy(v)),
            Fact(t("chain.price"), self._price(chain.offer)),
        ]
        tco = next((c for c in chain.components if c.name == "tco"), None)
        if tco is not None and isinstance(tco.raw, int | float):
            years = t.num(self.request.tco_years)
            facts.append(Fact(t("chain.tco", years=years), t.money(float(tco.raw))))
        if v.partners is not None:
            facts.append(Fact(t("chain.partners"), t.n("chain.partners.count", v.partners)))
        if chain.partial:
            text = t("chain.partial.text")
            if v.shortfall:
                text += "; " + t("chain.shortfall", n=t.num(v.shortfall))
            facts.append(Fact(t("chain.partial"), text))
        steps = [self.step(s, chain) for s in chain.steps]
        link, change = self.change(v)
        card = ChainCard(
            key=f"{kind}-{chain.rank}",
            rank=chain.rank,
            status=chain.status,
            status_word=t.status(chain.status),
            status_long=t.status(chain.status, long=True),
            supplier=names.label(chain.supplier),
            supplier_href=self.href(chain.supplier),
            facts=facts,
            steps=steps,
            ring=self.ring(chain),
            score=t.num(chain.score, 3),
            components=self.components(chain),
            diversity=(
                t("chain.diversity", factor=t.num(chain.diversity_penalty, 2))
                if chain.diversity_penalty < 1
                else None
            ),
            change=link,
            change_text=change,
            notes=[self.reason(n, chain.product_type) for n in v.notes],
            evidence=[
                Link(f"{names.kind_word(i)}: {names.thing(i)}", self.href(i))
                for i in sorted(set(chain.evidence), key=lambda i: (names.kind(i), i))
            ],
        )
        if not v.closed:
            card.missing_role = t.role(v.missing_role) if v.missing_role else None
            if v.reason is not None:
                card.reason = self.reason(v.reason, chain.product_type)
            card.closers = [
                CloserView(
                    names.label(c.organisation),
                    self.href(c.organisation),
                    t.role(c.role),
                    t.km(c.distance_km),
                    t.num(c.radius_km) if c.radius_km is not None else NOTHING,
                )
                for c in v.closers
            ]
        # the verdict's notes repeat its reason first for a promised loop
        if card.reason in card.notes:
            card.notes.remove(card.reason)
        return card

    def _strategy(self, verdict: Verdict) -> str:
        t = self.t
        if verdict.strategy is None:
            return t("chain.strategy.none") if not verdict.closed else NOTHING
        label = self.names.code(verdict.strategy)
        if verdict.rank is None:
            return label
        return t("chain.strategy.rank", strategy=label, rank=f"R{verdict.rank}")

    def _price(self, offer: str) -> str:
        t, names = self.t, self.names
        unit = names.number(offer, "unitPrice")
        fee = names.number(offer, "monthlyFee")
        term = names.number(offer, "termMonths")
        parts = []
        if fee is not None:
            parts.append(t("chain.price.month", price=t.money(fee)))
            if term:
                parts.append(t("chain.price.term", months=t.num(term, 0)))
        if unit is not None:
            parts.append(t("chain.price.unit", price=t.money(unit)))
        return ", ".join(parts) if parts else t("chain.price.unknown")

    def step(self, step: Step, chain: ChainResult) -> StepView:
        t, names = self.t, self.names
        role = t.role(step.role)
        links: list[Link] = []
        if step.role == "buyer":
            who = names.label(step.organisation) if step.organisation else t("buyer-you")
            does = t("step.buyer")
        else:
            who = names.label(step.organisation) if step.organisation else role
            if step.index == 1 and step.offer:
                own = names.own(step.offer)
                does = (
                    t("step.supplier", offer=own)
                    if own
                    else t("step.supplier.described", offer=names.thing(step.offer))
                )
            elif step.flow:
                source = names.link(step.flow, "flowFrom")
                does = t(
                    "step.flow",
                    what=names.linked(step.flow, "flowOf") or t("flow"),
                    source=names.label(source) if source else NOTHING,
                )
            elif step.offer or step.process:
                does = names.process(step.process) or role
                own = names.own(step.offer) if step.offer else None
                if own:
                    does = t("step.process", process=does, offer=own)
            elif step.role.startswith("supplier (sources"):
                does = t("step.sources")
            else:
                does = t("step.back")
        for iri, word in ((step.offer, "offer"), (step.process, "process"), (step.flow, "flow")):
            if iri:
                kind = "processing-offer" if word == "offer" and step.index > 1 else word
                links.append(Link(t(kind), self.href(iri)))
        return StepView(
            index=step.index,
            role=role,
            who=who,
            href=self.href(step.organisation) if step.organisation else None,
            does=does,
            links=tuple(links),
            distance=t("step.km", km=t.num(step.distance_km))
            if step.distance_km is not None
            else "",
        )

    def ring(self, chain: ChainResult) -> Markup:
        t, names = self.t, self.names
        nodes: list[drawing.RingNode] = []
        order: list[str] = []
        for step in sorted(chain.steps, key=lambda s: s.index):
            who = step.organisation or "buyer"
            if order and order[-1] == who:
                continue
            order.append(who)
            label = t("buyer-you") if who == "buyer" else names.label(who)
            slug = step.role.split(" ", 1)[0]
            nodes.append(drawing.RingNode(label, slug, t.role(step.role)))
        if len(order) > 1 and order[-1] == order[0]:
            nodes.pop()
        if not chain.verdict.closed:
            role = chain.verdict.missing_role or "producer"
            nodes.append(drawing.RingNode(t("missing"), role, t.role(role), missing=True))
        described = ", ".join(f"{n.label} ({n.role_word})" for n in nodes)
        title = t("chain.ring.label", rank=chain.rank, steps=described)
        return drawing.ring(nodes, status=chain.status, title=title)

    def components(self, chain: ChainResult) -> list[ComponentView]:
        t = self.t
        weights = self.request.weights
        total = weights.total or 1.0
        scale = max((weights.of(c.name) / total for c in chain.components), default=1.0) or 1.0
        views = []
        for c in chain.components:
            name = t(f"component.{c.name}")
            most = c.weight / total
            views.append(
                ComponentView(
                    name=name,
                    raw=self.raw(c.name, c.raw),
                    weight=t.num(c.weight, 2),
                    contribution=t.num(c.contribution, 3),
                    bar=drawing.bar(
                        c.contribution,
                        most,
                        scale,
                        label=f"{name}: {t.num(c.contribution, 3)} / {t.num(most, 3)}",
                    ),
                )
            )
        return views

    def raw(self, name: str, raw: float | str | None) -> str:
        t = self.t
        if raw is None:
            return NOTHING
        if name == "product_fit":
            return words.fit(str(raw), t.language)
        if name == "distance" and isinstance(raw, int | float):
            return t.km(float(raw))
        if name == "timing":
            return t.day(raw)
        if name == "certification":
            return ", ".join(
                self.names.code(CERTIFICATION + s.strip()) for s in str(raw).split(",")
            )
        if name == "tco" and isinstance(raw, int | float):
            return t.money(float(raw))
        if name == "impact" and isinstance(raw, int | float):
            return f"{t.num(float(raw))} kg"
        if name == "quantity" and isinstance(raw, int | float):
            return t.num(float(raw), 0)
        if isinstance(raw, int | float):
            return t.num(float(raw), 2)
        return str(raw)


def _best_change(build: _Cards, chains: Sequence[ChainResult]) -> tuple[Link | None, str | None]:
    """The smallest change that closes a loop, when none closes yet: the smallest radius any
    chain's verdict names, else the first change named."""
    changes = [c.verdict for c in chains if c.verdict.change is not None]
    if not changes:
        return None, None
    radius = [
        v
        for v in changes
        if v.change is not None
        and v.change.kind == "within_km"
        and isinstance(v.change.value, int | float)
    ]
    chosen = min(radius, key=lambda v: float(v.change.value)) if radius else changes[0]  # type: ignore[union-attr,arg-type]
    link, text = build.change(chosen)
    if text is None:
        return None, None
    return link, build.t("result.best-change", change=text)


def _funnel(result: MatchResult, request: MatchRequest, t: Words, product: str) -> list[str]:
    found = result.funnel
    if found is None:
        return []
    return words.funnel(
        t.language,
        product=product,
        offers=found.offers,
        within_km=found.within_km,
        within=found.within,
        wider=found.wider,
        removed=found.removed,
    )


#: The request fields each hard filter reads, and what a rerun without it changes.
_RELAX: dict[str, tuple[str, dict[str, object] | None]] = {
    "business model": ("way.business_models", {"business_models": []}),
    "certification": ("way.certifications", {"certifications": []}),
    "strategy": ("way.strategies", {"strategies": []}),
    "circularity": ("way.max_r_rank", {"max_r_rank": None}),
    "quantity": ("way.partial", {"partial": True}),
    "minimum order": ("way.quantity", {"quantity": None}),
    "time window": ("way.needed_by", {"needed_by": None}),
    "availability": ("way.needed_by", {"needed_by": None}),
    "open loop": ("way.include_open", {"include_open": True}),
}


def _ways_out(result: MatchResult, request: MatchRequest, t: Words) -> list[Link]:
    """Reruns of the request without the filters that removed the offers."""
    funnel = result.funnel
    if funnel is None or not funnel.offers:
        return []

    def rerun(**changes: object) -> str:
        return "/find?" + match_form.query(request, language=t.language, **changes)

    ways: list[Link] = []
    if funnel.wider > funnel.within:
        wide = 2 * funnel.within_km
        if wide <= 1000:
            ways.append(Link(t("way.within_km", km=t.num(wide)), rerun(within_km=float(wide))))
    for name, _ in funnel.removed:
        key, changes = _RELAX.get(name, ("", None))
        if changes is None:
            continue
        link = Link(t(key), rerun(**changes))
        if link not in ways:
            ways.append(link)
    return ways
