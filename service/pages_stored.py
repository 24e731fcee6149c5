"""A stored match as a page: its provenance (when, by what, for which request) and its
chains as they were recorded (`kringloop.queries.match_record.load`), in the page's
language. The record keeps each chain's status, missing role, partners, steps, score
components and what it rests on; the reason of an open loop is kept as English text only,
so the page names the missing role and leaves the sentence out in other languages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kringloop.graph.store import Store
from kringloop.queries import words
from kringloop.queries.match_record import BASE, MATCHMAKER
from kringloop.service.i18n import NOTHING, Words
from kringloop.service.names import Names


@dataclass(frozen=True)
class Link:
    text: str
    href: str


@dataclass(frozen=True)
class Line:
    name: str
    text: str
    href: str | None = None


@dataclass(frozen=True)
class StoredStep:
    index: int
    role: str
    who: str
    href: str | None
    distance: str
    links: tuple[Link, ...]


@dataclass(frozen=True)
class StoredComponent:
    name: str
    raw: str
    weight: str
    contribution: str


@dataclass
class StoredChain:
    key: str
    heading: str
    status: str
    status_word: str
    score: str
    supplier: Link | None
    missing: str | None
    partners: str | None
    reason: str | None
    steps: list[StoredStep] = field(default_factory=list)
    components: list[StoredComponent] = field(default_factory=list)
    evidence: list[Link] = field(default_factory=list)


@dataclass
class StoredPage:
    title: str
    provenance: list[Line]
    need: list[Line]
    chains: list[StoredChain]


def _number(value: object) -> float | None:
    try:
        return float(str(value))
    except (TypeError, ValueError):
        return None


def stored_page(
    store: Store, record: Mapping[str, Any], t: Words, *, href: Callable[[str], str]
) -> StoredPage:
    """The page of a stored match ``record``."""
    run = str(record["iri"])
    need = f"{run}/need"
    iris = {run, need, f"{run}/activity", MATCHMAKER.value}
    for chain in record["chains"]:
        iris |= set(chain["evidence"])
        for step in chain["steps"]:
            iris |= {
                str(step[k])
                for k in ("stepOrganisation", "stepOffer", "stepProcess", "stepFlow")
                if step.get(k)
            }
    names = Names(store, {i for i in iris if "://" in i}, t)
    generated = str(record.get("generated") or "")
    when = f"{t.day(generated[:10])} {generated[11:16]}".strip() if generated else NOTHING
    provenance = [
        Line(t("stored.generated"), when),
        Line(t("stored.by"), names.label(MATCHMAKER.value), href(MATCHMAKER.value)),
        Line(t("stored.record"), run, href(run)),
    ]
    lines = []
    product = names.link(need, "requestsProductType")
    if product:
        lines.append(Line(t("stored.product"), names.label(product), href(product)))
    quantity = names.number(need, "quantity")
    if quantity is not None:
        lines.append(Line(t("stored.quantity"), t.num(quantity)))
    lat, long = names.number(need, "lat"), names.number(need, "long")
    if lat is not None and long is not None:
        lines.append(Line(t("stored.place"), f"{t.num(lat, 4)}; {t.num(long, 4)}"))
    within = names.number(need, "maxDistanceKm")
    if within is not None:
        lines.append(Line(t("stored.within"), t.km(within)))
    needed = names.literal(need, "neededBy")
    if needed:
        lines.append(Line(t("stored.needed_by"), t.day(needed)))
    chains = [_chain(c, names, t, href) for c in record["chains"]]
    return StoredPage(t("stored.title", id=record["id"]), provenance, lines, chains)


def _chain(
    chain: Mapping[str, Any], names: Names, t: Words, href: Callable[[str], str]
) -> StoredChain:
    kind, rank = str(chain["kind"]), int(chain["rank"])
    steps = []
    supplier: Link | None = None
    for step in chain["steps"]:
        role, _, _ = str(step.get("label") or "").partition(": ")
        org = step.get("stepOrganisation")
        if role == "buyer" and not org:
            who = t("buyer-you")
        else:
            who = names.label(str(org)) if org else t.role(role)
        if supplier is None and role == "supplier" and org:
            supplier = Link(who, href(str(org)))
        links = tuple(
            Link(t(word), href(str(step[key])))
            for key, word in (
                ("stepOffer", "offer"),
                ("stepProcess", "process"),
                ("stepFlow", "flow"),
            )
            if step.get(key)
        )
        km = _number(step.get("distanceKm"))
        steps.append(
            StoredStep(
                int(step.get("stepIndex") or 0),
                t.role(role),
                who,
                href(str(org)) if org else None,
                t.km(km) if km is not None else "",
                links,
            )
        )
    components = []
    for c in chain["components"]:
        name = str(c.get("componentName") or "")
        weight, contribution = _number(c.get("weight")), _number(c.get("contribution"))
        raw = c.get("rawValue")
        components.append(
            StoredComponent(
                t(f"component.{name}"),
                words.fit(str(raw), t.language)
                if name == "product_fit" and raw
                else str(raw or NOTHING),
                t.num(weight, 2) if weight is not None else "",
                t.num(contribution, 3) if contribution is not None else "",
            )
        )
    status = str(chain.get("status") or "open")
    missing = chain.get("missing_role")
    reason = chain.get("missing") if t.language == "en" else None
    partners = chain.get("partners")
    return StoredChain(
        key=f"{kind}-{rank}",
        heading=t("stored.reuse" if kind == "reuse" else "stored.chain", rank=rank),
        status=status,
        status_word=t.status(status),
        score=t.num(float(chain["score"]), 3),
        supplier=supplier,
        missing=t.role(str(missing)) if missing and status != "closed" else None,
        partners=t.n("chain.partners.count", int(partners)) if partners else None,
        reason=str(reason) if reason and status != "closed" else None,
        steps=sorted(steps, key=lambda s: s.index),
        components=components,
        evidence=[
            Link(f"{names.kind_word(i)}: {names.thing(i)}", href(i)) for i in chain["evidence"]
        ],
    )


def record_iri(match_id: str) -> str:
    return BASE + match_id
