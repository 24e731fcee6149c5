"""Matched chains and the loop census as graphs to draw (see `kringloop.queries.visual`).

A chain is drawn as a ring: its steps in order on a circle, edges numbered, the flow that
closes the loop highlighted; an open chain ends in a dashed link to a "missing: <role>" node
and from there back to the supplier. The loop census draws every closed loop through shared
partner nodes and every gap of `kringloop.queries.loops` with its missing role.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from kringloop.graph.store import Store
from kringloop.queries import codes, loops, match_record, words
from kringloop.queries.loop.verdict import Reason
from kringloop.queries.matchmaker import ChainResult, MatchResult
from kringloop.queries.scoring import Step
from kringloop.queries.visual import (
    DEFAULT_CAP,
    ROLES,
    SPACING,
    Facts,
    VizEdge,
    VizGraph,
    VizNode,
    layout,
    load_facts,
    load_names,
    local_name,
    make_node,
    shorten,
    term_labels,
    thing,
    word,
)
from kringloop.queries.visual.model import KL

#: The node of the buyer in a drawn chain, when the request names no requester.
BUYER = "buyer"


@dataclass(frozen=True)
class ChainView:
    """One chain of a match, fresh or stored, as the page needs it."""

    key: str
    rank: int
    score: float
    closed: bool
    missing: str | None
    steps: tuple[Step, ...]
    internal: bool = False
    status: str = "open"
    missing_role: str | None = None
    #: the verdict's reason (code and parameters), when the fresh verdict is at hand
    reason: Reason | None = None
    product_type: str | None = None


def chains_of_result(result: MatchResult) -> list[ChainView]:
    """The chains of a fresh match (internal reuse first)."""

    def view(kind: str, chain: ChainResult) -> ChainView:
        steps = tuple(
            Step(
                s.index,
                s.role,
                s.organisation,
                s.label,
                s.offer,
                s.process,
                s.flow,
                s.distance_km,
            )
            for s in chain.steps
        )
        return ChainView(
            f"{kind}-{chain.rank}",
            chain.rank,
            chain.score,
            chain.closed,
            chain.missing,
            steps,
            internal=kind == "reuse",
            status=chain.status,
            missing_role=chain.verdict.missing_role,
            reason=chain.verdict.reason,
            product_type=chain.product_type,
        )

    return [view("reuse", c) for c in result.internal_reuse] + [
        view("chain", c) for c in result.chains
    ]


def chains_of_record(record: Mapping[str, Any]) -> list[ChainView]:
    """The chains of a stored match (`kringloop.queries.match_record.load`)."""
    views = []
    for chain in record["chains"]:
        steps = []
        for step in chain["steps"]:
            role, _, label = (step.get("label") or "").partition(": ")
            distance = step.get("distanceKm")
            steps.append(
                Step(
                    int(step.get("stepIndex") or 0),
                    role or "partner",
                    step.get("stepOrganisation") or BUYER,
                    label or role,
                    step.get("stepOffer"),
                    step.get("stepProcess"),
                    step.get("stepFlow"),
                    float(distance) if distance is not None else None,
                )
            )
        views.append(
            ChainView(
                f"{chain['kind']}-{chain['rank']}",
                int(chain["rank"]),
                float(chain["score"]),
                bool(chain["closed"]),
                chain.get("missing"),
                tuple(steps),
                internal=chain["kind"] == "reuse",
                status=str(chain.get("status") or ("closed" if chain["closed"] else "open")),
                missing_role=chain.get("missing_role"),
            )
        )
    return views


def fresh_match(
    store: Store, result: MatchResult, *, languages: Sequence[str] = ("en",)
) -> VizGraph:
    """The chains of a match just computed."""
    language = languages[0] if languages else "en"
    concept = result.what.get("concept") or ""
    named = load_facts(store, [concept]) if concept else {}
    product = (named[concept].label(languages) if concept in named else None) or str(
        result.what.get("label") or ""
    )
    title = word("chains-for", language).format(product, result.where["label"])
    notes: list[str] = []
    if result.funnel is not None:
        f = result.funnel
        notes = words.funnel(
            language,
            product=product,
            offers=f.offers,
            within_km=f.within_km,
            within=f.within,
            wider=f.wider,
            removed=f.removed,
        )
    return match_graph(
        store, chains_of_result(result), title=title, languages=languages, notes=notes
    )


def stored_match(store: Store, match_id: str, *, languages: Sequence[str] = ("en",)) -> VizGraph:
    """The chains of a match stored in the matches graph (`NotFoundError` when there is none)."""
    record = match_record.load(store, match_id)
    language = languages[0] if languages else "en"
    title = word("stored-match", language).format(match_id)
    when = str(record.get("generated") or "")[:16].replace("T", " ")
    notes = [when] if when else []
    return match_graph(
        store, chains_of_record(record), title=title, languages=languages, notes=notes
    )


def _role(step_role: str) -> str:
    """A chain step's role as one of ROLES (``supplier (take-back)`` → supplier)."""
    head = step_role.split(" ", 1)[0]
    return head if head in ROLES else "partner"


def match_graph(
    store: Store,
    chains: Sequence[ChainView],
    *,
    title: str,
    languages: Sequence[str] = ("en",),
    notes: Sequence[str] = (),
    cap: int = DEFAULT_CAP,
) -> VizGraph:
    """The chains of one match, each drawn as a ring (see the module description)."""
    language = languages[0] if languages else "en"
    iris = {
        x
        for c in chains
        for s in c.steps
        for x in (s.organisation, s.offer, s.process, s.flow)
        if x and "://" in x
    }
    iris |= {c.product_type for c in chains if c.product_type}
    iris |= {
        str(v)
        for c in chains
        if c.reason is not None
        for v in c.reason.params.values()
        if isinstance(v, str) and "://" in v
    }
    facts = load_facts(store, iris)
    names = term_labels(store, {p for f in facts.values() for p in f.values}, languages)
    materials = _materials(store, language)
    nodes: list[VizNode] = []
    edges: list[VizEdge] = []
    positions: dict[str, tuple[float, float]] = {}
    total = 0
    columns = max(1, math.ceil(math.sqrt(len(chains))))
    rings = [_ring(c, facts, names, languages, materials) for c in chains]
    width = max((r.radius for r in rings), default=0.0) * 2 + 2.5 * SPACING
    narrow: dict[str, tuple[float, float]] = {}
    for position, ring in enumerate(rings):
        total += len(ring.nodes)
        if len(nodes) + len(ring.nodes) > cap:
            continue
        cx, cy = (position % columns) * width, (position // columns) * width
        nodes += ring.nodes
        edges += ring.edges
        positions.update(
            {n: (round(cx + x, 1), round(cy + y, 1)) for n, (x, y) in ring.pos.items()}
        )
        narrow.update(
            {n: (round(x, 1), round(position * width + y, 1)) for n, (x, y) in ring.pos.items()}
        )
    graph = VizGraph(
        kind="match",
        title=title,
        language=language,
        nodes=nodes,
        edges=edges,
        total=total,
        notes=list(notes) if chains else [word("no-chains", language), *notes],
    )
    graph.positions = positions
    graph.narrow = narrow
    return graph


@dataclass
class _Ring:
    nodes: list[VizNode]
    edges: list[VizEdge]
    pos: dict[str, tuple[float, float]]
    radius: float


def _materials(store: Store, language: str) -> dict[str, str]:
    """Material names in English → in ``language`` (the reasons name materials in English)."""
    lists = codes.code_lists(store)
    if "material" not in lists:
        return {}
    return {c.label("en"): c.label(language) for c in lists["material"].codes.values()}


def reason_text(
    chain: ChainView,
    facts: Mapping[str, Facts],
    languages: Sequence[str],
    materials: Mapping[str, str],
) -> str:
    """Why the chain's loop does not close, in the page's language (the stored record keeps
    only the English sentence: that is shown on English pages)."""
    language = languages[0] if languages else "en"
    if chain.reason is None:
        return (chain.missing or "") if language == "en" else ""
    product = None
    if chain.product_type:
        found = facts.get(chain.product_type)
        product = (found.label(languages) if found else None) or local_name(chain.product_type)
    params = words.localise(
        chain.reason.params,
        language,
        label=lambda iri: thing(iri, facts, languages),
        product=product,
        materials=materials,
    )
    return words.reason(chain.reason.code, params, language)


def _ring(
    chain: ChainView,
    facts: Mapping[str, Facts],
    names: Mapping[str, str],
    languages: Sequence[str],
    materials: Mapping[str, str],
) -> _Ring:
    language = languages[0] if languages else "en"
    order: list[str] = []
    steps_of: dict[str, list[Step]] = {}
    for step in sorted(chain.steps, key=lambda s: s.index):
        who = step.organisation or BUYER  # the buyer's node, when the request names no one
        if not order or order[-1] != who:
            order.append(who)
        steps_of.setdefault(who, []).append(step)
    if len(order) > 1 and order[-1] == order[0]:
        order.pop()  # the way back ends where the chain started
    prefix = chain.key + "|"
    nodes = []
    for org in order:
        steps = steps_of[org]
        role = _role(steps[0].role)
        roles = ", ".join(dict.fromkeys(word(_role(s.role), language) for s in steps))
        extra = [
            (word("chain-role", language), roles),
            (word("step", language), ", ".join(str(s.index) for s in steps)),
        ]
        if org == BUYER:
            nodes.append(
                make_node(
                    prefix + org,
                    None,
                    None,
                    languages=languages,
                    names=names,
                    kind="organisation",
                    role="buyer",
                    label=word("buyer-you", language),
                    extra=extra,
                )
            )
            continue
        node = make_node(
            prefix + org,
            org,
            facts.get(org),
            languages=languages,
            names=names,
            kind="organisation",
            role=role if role != "partner" else None,
            extra=extra,
        )
        nodes.append(node)
    edges = []
    ids = [prefix + o for o in order]
    for k in range(len(ids) - 1):
        step = steps_of[order[k + 1]][0]
        if not (step.offer or step.process or step.flow):
            step = steps_of[order[k]][-1]  # the supplier's offer on the way to the buyer
        label = str(k + 1)
        if k == 0:  # the delivery: business model and distance on the edge
            label = " · ".join([label, *_delivery(steps_of[order[0]][0], facts, languages)])
        edges.append(
            VizEdge(
                ids[k],
                ids[k + 1],
                style="step",
                label=label,
                title=_step_title(step, facts, languages),
            )
        )
    if chain.closed:
        last = [s for s in chain.steps if s.organisation == order[0]][-1]
        edges.append(
            VizEdge(
                ids[-1],
                ids[0],
                style="closing",
                label=str(len(ids)),
                title=f"{word('closing', language)}\n{_step_title(last, facts, languages)}",
            )
        )
    else:
        role = chain.missing_role or "producer"
        gap = prefix + "missing"
        reason = reason_text(chain, facts, languages, materials)
        said = f"{word('missing', language)}{words.colon(language)} {word(role, language)}"
        nodes.append(
            VizNode(
                gap,
                shorten(said),
                "missing",
                "missing",
                f"{said}\n{reason}",
                facts=((word("missing", language), word(role, language)), ("", reason)),
            )
        )
        ids.append(gap)
        edges.append(VizEdge(ids[-2], gap, style="open", label=str(len(ids) - 1), title=reason))
        edges.append(VizEdge(gap, ids[0], style="open", label=str(len(ids)), title=reason))
    count = len(ids)
    radius = max(SPACING * 2.0, SPACING * count / (2 * math.pi) * 1.4)  # room for the caption
    pos = {
        node: (
            radius * math.sin(2 * math.pi * i / count),
            -radius * math.cos(2 * math.pi * i / count),
        )
        for i, node in enumerate(ids)
    }
    state = word(chain.status, language)
    reason = reason_text(chain, facts, languages, materials) if not chain.closed else ""
    score = words.number(chain.score, language, 3)
    caption = f"#{chain.rank} {state} · {word('score', language)} {score}"
    first = nodes[0]
    key = prefix + "caption"
    nodes.append(
        VizNode(
            key,
            caption,
            "caption",
            "caption",
            f"{caption}\n{first.title.split(chr(10), 1)[0]}",
            facts=(
                (word("chain", language), caption),
                (word("supplier", language), first.title.split("\n", 1)[0]),
                *(
                    (word(key, language), value)
                    for key, value in zip(
                        ("business-model", "distance"),
                        _delivery(chain.steps[0], facts, languages) if chain.steps else (),
                        strict=False,
                    )
                ),
                *(((word("missing", language), reason),) if not chain.closed and reason else ()),
            ),
        )
    )
    # In the middle of the ring; beside it when two nodes leave no middle free.
    pos[key] = (0.0, 0.0) if count > 2 else (radius + SPACING, 0.0)
    return _Ring(nodes, edges, pos, radius)


def _delivery(step: Step, facts: Mapping[str, Facts], languages: Sequence[str]) -> list[str]:
    """The business model of the supplier's offer and its distance, as the edge says them."""
    language = languages[0] if languages else "en"
    found = facts.get(step.offer or "")
    said = []
    if found is not None:
        models = [v.shown(languages) for v in found.values.get(KL + "businessModel", ()) if v.iri]
        if models:
            said.append(", ".join(sorted(models)))
    if step.distance_km is not None:
        said.append(f"{words.number(step.distance_km, language)} km")
    return said


def _step_title(step: Step, facts: Mapping[str, Facts], languages: Sequence[str]) -> str:
    language = languages[0] if languages else "en"
    lines = [f"{word('step', language)} {step.index}: {word(_role(step.role), language)}"]
    for iri in (step.offer, step.process, step.flow):
        if iri:
            lines.append(thing(iri, facts, languages))
    if step.distance_km is not None:
        lines.append(f"{words.number(step.distance_km, language)} km")
    return "\n".join(lines)


# -- the loop census ---------------------------------------------------------------------------


def loops_graph(
    store: Store,
    *,
    category: str | None = None,
    region: str | None = None,
    languages: Sequence[str] = ("en",),
    cap: int = DEFAULT_CAP,
    today: date | None = None,
) -> VizGraph:
    """Every closed loop and every gap of the census in ``category`` and ``region``, at most
    ``cap`` nodes of them: the loops and gaps to draw are picked first (`pick_parts`), and
    only what they show is read from the store."""
    language = languages[0] if languages else "en"
    scope = loops.scope(store, category=category, region=region)
    census = loops.census(store, today=today, categories=scope.categories, region=scope.region)
    found = sorted(census.loops, key=lambda lp: (lp.category, lp.region, lp.offer, lp.path))
    gaps = census.gaps
    chains = [_loop_nodes(lp) for lp in found] + [_gap_nodes(i, g) for i, g in enumerate(gaps)]
    kept = pick_parts(chains, cap)
    drawn = [lp for k, lp in enumerate(found) if k in kept]
    shown_gaps = [(i, g) for i, g in enumerate(gaps) if len(found) + i in kept]
    # what the drawn parts name; a reason names other resources by label only when another
    # part of the census names them too (as when every part was read)
    named = {x for lp in found for x in (*lp.path, lp.category, lp.region, lp.offer)}
    named |= {x for g in gaps for x in (g.subject, g.category, g.region)}
    named |= {g.supplier for g in gaps if g.supplier}
    # the organisations and needs drawn, and what is only named (on edges, in reasons)
    drawn_nodes = {x for lp in drawn for x in (lp.supplier, *lp.path[2:])}
    drawn_nodes |= {
        (g.supplier or g.subject) if g.kind == "supply" else g.subject for _, g in shown_gaps
    }
    iris = {x for lp in drawn for x in (lp.category, lp.region, lp.offer)}
    iris |= {x for _, g in shown_gaps for x in (g.subject, g.category, g.region)}
    for _, gap in shown_gaps:
        verdict = census.verdicts.get(gap.subject)
        if gap.kind == "supply" and verdict is not None and verdict.reason is not None:
            iris |= {v for v in verdict.reason.params.values() if isinstance(v, str)} & named
    facts = load_facts(store, drawn_nodes)
    facts.update(load_names(store, iris - drawn_nodes))
    names = term_labels(store, {p for f in facts.values() for p in f.values}, languages)
    parts: list[tuple[list[str], list[VizEdge]]] = []
    specs: dict[str, tuple[str | None, str | None, str | None, str | None]] = {}

    def label_of(iri: str) -> str:
        f = facts.get(iri)
        return (f.label(languages) if f else None) or local_name(iri)

    def buyers(cat: str, reg: str) -> str:
        key = f"buyers|{cat}|{reg}"
        specs[key] = (
            None,
            "buyers",
            f"{word('buyers', language)}: {label_of(cat)} ({label_of(reg)})",
            None,
        )
        return key

    def organisation(iri: str, role: str | None) -> str:
        if iri not in specs or specs[iri][3] is None:
            specs[iri] = (iri, "organisation", None, role)
        return iri

    for lp in drawn:
        cell = buyers(lp.category, lp.region)
        supplier = organisation(lp.supplier, "supplier")
        back = [organisation(o, None) for o in lp.path[2:]]
        chain = [supplier, cell, *back]
        offer = thing(lp.offer, facts, languages)
        edges = []
        for k, (a, b) in enumerate(itertools.pairwise(chain)):
            closing = k == len(chain) - 2
            edges.append(
                VizEdge(
                    a,
                    b,
                    style="closing" if closing else "step",
                    title=(f"{word('closing', language)}\n" if closing else "") + offer,
                )
            )
        parts.append((chain, edges))
    materials = _materials(store, language)

    def why(gap: loops.Gap) -> str:
        product = label_of(gap.category)
        if gap.kind == "need":
            return words.word("gaps.need", language, product=product)
        if gap.kind == "processor":
            return words.word("gaps.processor", language, label=label_of(gap.subject))
        verdict = census.verdicts.get(gap.subject)
        if verdict is None or verdict.reason is None:
            return words.status(gap.status, language, long=True)
        params = words.localise(
            verdict.reason.params,
            language,
            label=lambda iri: thing(iri, facts, languages),
            product=product,
            materials=materials,
        )
        return words.reason(verdict.reason.code, params, language)

    for i, gap in shown_gaps:
        missing = f"missing|{i}"
        text_ = (
            f"{word('missing', language)}{words.colon(language)} {word(gap.missing_role, language)}"
        )
        reason = why(gap)
        specs[missing] = (None, "missing", text_, reason)
        if gap.kind == "supply":
            supplier = organisation(gap.supplier or gap.subject, "supplier")
            cell = buyers(gap.category, gap.region)
            chain = [supplier, cell, missing]
            edges = [
                VizEdge(supplier, cell, style="step", title=thing(gap.subject, facts, languages)),
                VizEdge(cell, missing, style="open", title=reason),
                VizEdge(missing, supplier, style="open", title=reason),
            ]
        else:
            start = gap.subject
            if gap.kind == "processor":
                organisation(start, None)
            else:
                specs.setdefault(start, (start, "need", None, None))
            chain = [start, missing]
            edges = [VizEdge(start, missing, style="open", title=reason)]
        parts.append((chain, edges))
    return _census_graph(
        parts,
        specs,
        facts,
        names,
        languages=languages,
        total=len({n for chain in chains for n in chain}),
        notes=[
            word("loops-summary", language).format(
                len(found),
                sum(1 for g in gaps if g.kind == "supply" and g.status == "promised"),
                sum(1 for g in gaps if g.kind == "supply" and g.status == "open"),
            )
        ],
    )


def _loop_nodes(loop: loops.Loop) -> list[str]:
    """The nodes a closed loop is drawn with: supplier, its buyers, the partners back."""
    return [loop.supplier, f"buyers|{loop.category}|{loop.region}", *loop.path[2:]]


def _gap_nodes(index: int, gap: loops.Gap) -> list[str]:
    """The nodes a gap is drawn with: supplier and buyers (or its subject), and what is
    missing."""
    if gap.kind == "supply":
        return [
            gap.supplier or gap.subject,
            f"buyers|{gap.category}|{gap.region}",
            f"missing|{index}",
        ]
    return [gap.subject, f"missing|{index}"]


def pick_parts(chains: Sequence[Sequence[str]], cap: int) -> set[int]:
    """The parts (loops and gaps, by their nodes) that are drawn: in order, each that still
    fits under ``cap`` nodes with the nodes it shares with parts already drawn.

    >>> sorted(pick_parts([["a", "b"], ["b", "c", "d"], ["a", "c"], ["e"]], 3))
    [0, 2]
    """
    kept: set[str] = set()
    picked = set()
    for index, chain in enumerate(chains):
        new = [n for n in dict.fromkeys(chain) if n not in kept]
        if len(kept) + len(new) > cap:
            continue
        kept.update(new)
        picked.add(index)
    return picked


def _census_graph(
    parts: Sequence[tuple[list[str], list[VizEdge]]],
    specs: Mapping[str, tuple[str | None, str | None, str | None, str | None]],
    facts: Mapping[str, Facts],
    names: Mapping[str, str],
    *,
    languages: Sequence[str],
    total: int,
    notes: list[str],
) -> VizGraph:
    """The loops and gaps picked to draw (`pick_parts`), merged where they share partners;
    ``total`` is how many nodes all of them have."""
    language = languages[0] if languages else "en"
    shown: list[str] = []
    kept: set[str] = set()
    edges: dict[tuple[str, str, str], VizEdge] = {}
    counts: dict[tuple[str, str, str], int] = {}
    for chain, part_edges in parts:
        new = [n for n in dict.fromkeys(chain) if n not in kept]
        shown += new
        kept.update(new)
        for e in part_edges:
            key = (e.source, e.target, e.style)
            counts[key] = counts.get(key, 0) + 1
            edges.setdefault(key, e)
    nodes = []
    for node_id in shown:
        iri, kind, label, reason = specs[node_id]
        if kind == "missing":
            nodes.append(
                VizNode(
                    node_id,
                    shorten(label or ""),
                    "missing",
                    "missing",
                    f"{label}\n{reason}",
                    facts=((word("missing", language), label or ""), ("", reason or "")),
                )
            )
        elif kind == "buyers":
            nodes.append(
                VizNode(
                    node_id,
                    shorten(label or ""),
                    "buyers",
                    "kind:buyers",
                    label or "",
                    facts=((word("label", language), label or ""),),
                )
            )
        else:
            nodes.append(
                make_node(
                    node_id,
                    iri,
                    facts.get(iri or ""),
                    languages=languages,
                    names=names,
                    kind=kind if kind == "need" else None,
                )
            )
    merged = [
        VizEdge(e.source, e.target, e.style, e.label, _times(e.title, counts[k], language))
        for k, e in sorted(edges.items())
    ]
    graph = VizGraph(
        kind="loops",
        title=word("loops-title", language),
        language=language,
        nodes=nodes,
        edges=merged,
        total=total,
        notes=notes,
    )
    graph.positions = layout(graph)
    return graph


def _times(title: str, count: int, language: str) -> str:
    return f"{title} ({count} {word('loops', language)})" if count > 1 else title
