"""The neighbourhood of a resource, read level by level (one query per level, the frontier
bound as a list), filtered and capped."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from kringloop.graph.errors import NotFoundError
from kringloop.graph.store import Store, text, truth
from kringloop.queries import codes, resolve
from kringloop.queries.visual.layout import layout
from kringloop.queries.visual.model import (
    DEFAULT_CAP,
    HARD_LIMIT,
    HUB_KINDS,
    KINDS,
    KL,
    Facts,
    VizEdge,
    VizError,
    VizGraph,
    kind_of,
    load_facts,
    local_name,
    make_node,
    select_for,
    shorten,
    term_labels,
    word,
)

# -- filters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What a neighbourhood may be narrowed to (slugs, IRIs; a category also by label or CPV
    code). Organisations must play the role; offers must have the strategy and business model;
    resources about products must be about the category; located ones must be in the region."""

    role: str | None = None
    strategy: str | None = None
    business_model: str | None = None
    category: str | None = None
    region: str | None = None

    @property
    def active(self) -> bool:
        return any((self.role, self.strategy, self.business_model, self.category, self.region))


#: Properties that say which product types a resource is about.
PRODUCT_OF = tuple(
    KL + p
    for p in (
        "itemOffered",
        "acceptsProductType",
        "forProductType",
        "flowOf",
        "requestsProductType",
        "ofProductType",
        "input",
        "output",
        "category",
    )
)
_OFFERS = {"offer", "processing-offer"}
_LOCATED = {"organisation", "offer", "processing-offer", "need", "place"}
#: Kinds the category filter leaves alone (they are not about one product type).
_UNRELATED = {"product-type", "category", "material", "concept", "place", "region", "claim"}


class _Check:
    """Filters resolved to IRIs, checked against a resource's facts."""

    def __init__(self, store: Store, filters: Filters) -> None:
        lists = codes.code_lists(store)

        def one(kind: str, value: str | None, field: str) -> str | None:
            return codes.resolve_codes(lists, kind, [value], field=field)[0] if value else None

        self.role = one("role", filters.role, "role")
        self.strategy = one("strategy", filters.strategy, "strategy")
        self.model = one("business-model", filters.business_model, "business_model")
        self.region = one("region", filters.region, "region")
        self.products: set[str] | None = None
        if filters.category:
            category = codes.resolve_category(resolve.vocabulary(store), filters.category)
            self.products = set(category.product_types)

    def passes(self, iri: str, kind: str, facts: Facts) -> bool:
        if self.role and kind == "organisation" and self.role not in facts.iris(KL + "role"):
            return False
        if kind in _OFFERS:
            if self.strategy and self.strategy not in facts.iris(KL + "strategy"):
                return False
            if self.model and self.model not in facts.iris(KL + "businessModel"):
                return False
        if self.products is not None:
            if kind == "product-type" and iri not in self.products:
                return False
            about = set().union(*(facts.iris(p) for p in PRODUCT_OF))
            if kind not in _UNRELATED and about.isdisjoint(self.products):
                return False
        if self.region:
            if kind == "region" and iri != self.region:
                return False
            if kind in _LOCATED and self.region not in facts.iris(KL + "region"):
                return False
        return True


# -- the neighbourhood of a resource ----------------------------------------------------------


@dataclass
class _Reach:
    level: dict[str, int] = field(default_factory=dict)
    types: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    links: dict[tuple[str, str], dict[str, set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    more_than: bool = False


#: The queries of one hop: the direct links, and the links through intermediate resources.
HOP_STAGES = (
    "viz-hop",
    "viz-hop-place-out",
    "viz-hop-place-in",
    "viz-hop-role-out",
    "viz-hop-role-in",
    "viz-hop-material-out",
    "viz-hop-material-in",
    "viz-hop-network-out",
    "viz-hop-network-in",
    "viz-hop-step-out",
    "viz-hop-step-in",
)


def _walk(store: Store, centre: str, depth: int) -> _Reach:
    """Resources within ``depth`` links of ``centre``: one batch of `HOP_STAGES` queries per
    level, the frontier bound as a list."""
    reach = _Reach(level={centre: 0})
    frontier = [centre]
    for level in range(1, depth + 1):
        found: set[str] = set()
        for row in select_for(store, HOP_STAGES, "_frontier", frontier):
            node, other, predicate = text(row["node"]), text(row["other"]), text(row["p"])
            reach.types[other].add(text(row["type"]))
            out = truth(row["out"])
            source, target = (node, other) if out else (other, node)
            via = text(row["via"]) if "via" in row else ""
            reach.links[(source, target)][predicate].add(via)
            if other not in reach.level:
                found.add(other)
        for other in sorted(found):
            reach.level[other] = level
        frontier = sorted(n for n in found if kind_of(reach.types[n]) not in HUB_KINDS)
        if len(reach.level) > HARD_LIMIT:
            reach.more_than = True
            break
        if not frontier:
            break
    return reach


def _levels(
    centre: str, keep: set[str], links: Iterable[tuple[str, str]], depth: int
) -> dict[str, int]:
    """Hop distance from ``centre`` through kept resources only (undirected)."""
    around: dict[str, set[str]] = defaultdict(set)
    for a, b in links:
        if a in keep and b in keep:
            around[a].add(b)
            around[b].add(a)
    levels = {centre: 0}
    queue = deque([centre])
    while queue:
        node = queue.popleft()
        if levels[node] >= depth:
            continue
        for other in sorted(around[node]):
            if other not in levels:
                levels[other] = levels[node] + 1
                queue.append(other)
    return levels


def neighbourhood(
    store: Store,
    iri: str,
    *,
    depth: int = 1,
    filters: Filters | None = None,
    languages: Sequence[str] = ("en",),
    cap: int = DEFAULT_CAP,
) -> VizGraph:
    """The resources around ``iri`` up to ``depth`` (1-3) links away, narrowed by ``filters``,
    nearest first and at most ``cap`` of them, laid out around the centre."""
    if not 1 <= depth <= 3:
        raise VizError(f"depth {depth} is out of range", hint="use a depth of 1, 2 or 3")
    if cap < 1:
        raise VizError(f"cap {cap} is out of range", hint="draw at least one node")
    try:
        ox.NamedNode(iri)
    except ValueError as err:
        raise VizError(
            f"{iri!r} is not an IRI", hint="give an absolute IRI, e.g. https://..."
        ) from err
    filters = filters or Filters()
    language = languages[0] if languages else "en"
    check = _Check(store, filters) if filters.active else None
    reach = _walk(store, iri, depth)
    centre_facts = load_facts(store, [iri])
    if iri not in centre_facts and len(reach.level) == 1:
        raise NotFoundError(
            f"the knowledge graph says nothing about <{iri}>",
            hint="check the IRI; any resource the graph holds has a page at /resource?iri=",
        )
    kinds = {n: kind_of(reach.types[n]) for n in reach.level}
    kinds[iri] = kind_of(centre_facts.get(iri, Facts()).types)
    facts: dict[str, Facts] = dict(centre_facts)
    keep = set(reach.level)
    if check is not None:
        facts.update(load_facts(store, sorted(keep - {iri})))
        keep = {iri} | {n for n in keep if check.passes(n, kinds[n], facts.get(n, Facts()))}
    levels = _levels(iri, keep, reach.links, depth)
    ordered = sorted(levels, key=lambda n: (levels[n], KINDS.index(kinds[n]), n))
    shown = ordered[:cap]
    if check is None:
        facts.update(load_facts(store, [n for n in shown if n != iri]))
    chosen = set(shown)
    links = {k: v for k, v in reach.links.items() if k[0] in chosen and k[1] in chosen}
    names = term_labels(
        store,
        {p for by in links.values() for p in by}
        | {p for n in shown for p in facts.get(n, Facts()).values},
        languages,
    )
    roles = {r for by in links.values() for vias in by.values() for r in vias if "://" in r}
    names.update(term_labels(store, roles, languages))
    nodes = [
        make_node(
            n, n, facts.get(n), languages=languages, names=names, kind=kinds[n], level=levels[n]
        )
        for n in shown
    ]
    edges = [_edge(a, b, by, names, language) for (a, b), by in sorted(links.items())]
    centre_label = nodes[0].title.split("\n", 1)[0]
    graph = VizGraph(
        kind="neighbourhood",
        title=word("neighbourhood-of", language).format(centre_label),
        language=language,
        nodes=nodes,
        edges=edges,
        total=len(levels),
        centre=iri,
        more_than=reach.more_than,
    )
    graph.positions = layout(graph, centre=iri)
    return graph


def _edge(
    source: str, target: str, by: Mapping[str, set[str]], names: Mapping[str, str], language: str
) -> VizEdge:
    parts = []
    for predicate in sorted(by):
        vias = sorted(v for v in by[predicate] if v)
        if predicate == KL + "hasStep":
            parts.append(", ".join(word("step-of", language).format(v) for v in vias))
        elif vias and predicate == KL + "playsRole":
            parts.append(", ".join(names.get(v, local_name(v)) for v in vias))
        else:
            parts.append(names.get(predicate, local_name(predicate)))
    label = "; ".join(parts)
    flows = {KL + "flowFrom", KL + "flowTo", KL + "flowOf"}
    style = "flow" if flows & set(by) else "link"
    return VizEdge(source, target, style=style, label=shorten(label, 30), title=label)
