"""Graphs to draw: node and edge lists with positions, labels in the reader's language and
plain-text tooltips, for the graph pages (`kringloop.service.viz` renders them).

This module holds the model (`VizGraph`), what every page needs (facts about resources, kinds,
roles, words in en/nl/fr, the cap, the layout) and the neighbourhood of a resource;
`kringloop.queries.visual_chains` draws matched chains and the loop census with the same parts.
No web framework and no pyvis here.

A neighbourhood is read level by level: one query per level with the frontier bound as a list
(``viz-hop``), then one query for what the page shows about the nodes (``viz-nodes``) and one
for the names of their properties (``viz-labels``). Positions are computed here with networkx
and a fixed seed, so the browser draws with physics off and the same graph looks the same.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import networkx as nx
import pyoxigraph as ox

from kringloop.graph.errors import KringloopError, NotFoundError
from kringloop.graph.store import Row, Store, text
from kringloop.queries import resolve
from kringloop.queries.stages import stage

KL = "https://w3id.org/kringloop/ns#"
ID = "https://w3id.org/kringloop/id/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABELS = (
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
)
#: Nodes sent to the browser unless asked otherwise (vis-network stays fluid up to a few thousand).
DEFAULT_CAP = 500
#: A neighbourhood stops growing past this many resources (the page then says "more than").
HARD_LIMIT = 50_000
_CHUNK = 2_000

#: The kind of a resource by its class; the first kind listed in KINDS wins for several types.
KIND_OF_CLASS = {
    KL + "Organisation": "organisation",
    KL + "SupplyOffer": "offer",
    KL + "InternalSurplus": "offer",
    KL + "Offer": "offer",
    KL + "ProcessingOffer": "processing-offer",
    KL + "ProductType": "product-type",
    KL + "CpvCode": "category",
    **{
        KL + c: "process"
        for c in (
            "Process",
            "TakeBack",
            "Collection",
            "Repair",
            "Refurbishment",
            "Remanufacturing",
            "Recycling",
        )
    },
    KL + "Flow": "flow",
    KL + "ReturnFlow": "flow",
    KL + "Place": "place",
    KL + "Region": "region",
    KL + "Material": "material",
    KL + "Claim": "claim",
    KL + "Need": "need",
    KL + "Chain": "chain",
    KL + "Match": "match",
    KL + "ProductBatch": "batch",
    KL + "ProcurementProject": "project",
    KL + "LearningNetwork": "network",
    **{
        KL + c: "concept"
        for c in (
            "Role",
            "NetworkRole",
            "BusinessModel",
            "CircularStrategy",
            "Condition",
            "CertificationScheme",
            "VerificationLevel",
            "DesignFeature",
        )
    },
}
KINDS = (
    "organisation",
    "offer",
    "processing-offer",
    "product-type",
    "category",
    "process",
    "flow",
    "place",
    "region",
    "material",
    "claim",
    "need",
    "chain",
    "match",
    "batch",
    "project",
    "network",
    "concept",
    "other",
)
#: Kinds many resources point to: shown, but a neighbourhood does not grow through them.
HUB_KINDS = frozenset(
    {"product-type", "category", "place", "region", "material", "concept", "network"}
)
#: The order in which an organisation's roles decide its colour (its "main" role).
ROLES = (
    "producer",
    "refurbisher",
    "remanufacturer",
    "repairer",
    "recycler",
    "collector",
    "supplier",
    "buyer",
    "user",
    "sharing-platform",
    "facilitator",
)

#: Words the graphs are made of, in the three page languages.
WORDS: dict[str, tuple[str, str, str]] = {  # en, nl, fr
    "organisation": ("organisation", "organisatie", "organisation"),
    "offer": ("supply offer", "leveringsaanbod", "offre de fourniture"),
    "processing-offer": ("take-back offer", "terugnameaanbod", "offre de reprise"),
    "product-type": ("product type", "producttype", "type de produit"),
    "category": ("CPV category", "CPV-categorie", "catégorie CPV"),
    "process": ("process", "proces", "processus"),
    "flow": ("flow", "stroom", "flux"),
    "place": ("place", "plaats", "lieu"),
    "region": ("region", "regio", "région"),
    "material": ("material", "materiaal", "matériau"),
    "claim": ("claim", "claim", "allégation"),
    "need": ("need", "behoefte", "besoin"),
    "chain": ("chain", "keten", "chaîne"),
    "match": ("match", "match", "correspondance"),
    "batch": ("product batch", "productpartij", "lot de produits"),
    "project": ("procurement project", "aankoopproject", "projet d'achat"),
    "network": ("learning network", "lerend netwerk", "réseau d'apprentissage"),
    "concept": ("code-list value", "codelijstwaarde", "valeur de liste de codes"),
    "other": ("other", "ander", "autre"),
    "buyers": ("buyers", "kopers", "acheteurs"),
    "missing": ("missing", "ontbreekt", "manquant"),
    "caption": ("chain summary", "samenvatting van de keten", "résumé de la chaîne"),
    "producer": ("producer", "producent", "producteur"),
    "supplier": ("supplier", "leverancier", "fournisseur"),
    "buyer": ("buyer", "koper", "acheteur"),
    "user": ("user", "gebruiker", "utilisateur"),
    "collector": ("collector", "inzamelaar", "collecteur"),
    "repairer": ("repairer", "hersteller", "réparateur"),
    "refurbisher": ("refurbisher", "opknapper", "reconditionneur"),
    "remanufacturer": ("remanufacturer", "herfabrikant", "refabricant"),
    "recycler": ("recycler", "recycleerder", "recycleur"),
    "sharing-platform": ("sharing platform", "deelplatform", "plateforme de partage"),
    "facilitator": ("facilitator", "facilitator", "facilitateur"),
    "partner": ("partner", "partner", "partenaire"),
    "buyer-you": ("buyer (you)", "koper (u)", "acheteur (vous)"),
    "closed": ("closed", "gesloten", "fermée"),
    "open": ("open", "open", "ouverte"),
    "score": ("score", "score", "score"),
    "step": ("step", "stap", "étape"),
    "closing": ("closing flow", "sluitende stroom", "flux de bouclage"),
    "loops": ("loops", "kringlopen", "boucles"),
    "neighbourhood-of": ("Neighbourhood of {}", "Buurt van {}", "Voisinage de {}"),
    "chains-for": ("Chains for {} near {}", "Ketens voor {} bij {}", "Chaînes pour {} près de {}"),
    "stored-match": ("Stored match {}", "Bewaarde match {}", "Correspondance enregistrée {}"),
    "loops-title": (
        "Closed and open loops",
        "Gesloten en open kringlopen",
        "Boucles fermées et ouvertes",
    ),
    "loops-summary": (
        "{} closed loop(s), {} open (missing role marked)",
        "{} gesloten kringloop/kringlopen, {} open (ontbrekende rol aangeduid)",
        "{} boucle(s) fermée(s), {} ouverte(s) (rôle manquant indiqué)",
    ),
    "no-chains": ("no chain found", "geen keten gevonden", "aucune chaîne trouvée"),
    "kind": ("kind", "soort", "type"),
    "label": ("name", "naam", "nom"),
    "step-of": ("step {}", "stap {}", "étape {}"),
    "chain-role": ("role in this chain", "rol in deze keten", "rôle dans cette chaîne"),
}
LANGUAGES = ("en", "nl", "fr")


def word(key: str, language: str) -> str:
    """A word of the graphs in ``language`` (English when the language is not known).

    >>> word("refurbisher", "nl"), word("refurbisher", "de")
    ('opknapper', 'refurbisher')
    """
    forms = WORDS.get(key)
    if forms is None:
        return key.replace("-", " ")
    return forms[LANGUAGES.index(language)] if language in LANGUAGES else forms[0]


def pick(labels: Mapping[str, str], languages: Sequence[str]) -> str | None:
    """The label in the first language that has one, else one without a language tag, else
    English, else any (``labels`` maps a language, "" for none, to a label).

    >>> pick({"en": "Ghent", "nl": "Gent"}, ["fr", "nl"]), pick({"de": "Stuhl"}, ["en"])
    ('Gent', 'Stuhl')
    """
    for language in (*languages, "", "en"):
        if language in labels:
            return labels[language]
    return labels[min(labels)] if labels else None


def local_name(iri: str) -> str:
    """The last segment of an IRI, readable.

    >>> local_name("https://w3id.org/kringloop/ns#availableQuantity")
    'available quantity'
    """
    tail = re.split(r"[/#]", iri.rstrip("/#"))[-1] or iri
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", tail).lower() if "://" in iri else iri


def shorten(label: str, limit: int = 40) -> str:
    """A label short enough to draw (the full label is in the tooltip and the side panel)."""
    label = " ".join(label.split())
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


class VizError(KringloopError):
    """A graph page was asked for something it cannot draw."""


# -- the model --------------------------------------------------------------------------------


@dataclass(frozen=True)
class VizNode:
    """A node to draw: ``group`` decides colour and shape, ``title`` is the plain-text tooltip,
    ``facts`` (name, value) fill the side panel."""

    id: str
    label: str
    kind: str
    group: str
    title: str
    iri: str | None = None
    facts: tuple[tuple[str, str], ...] = ()
    level: int = 0


@dataclass(frozen=True)
class VizEdge:
    """An edge to draw; ``style`` is link, flow, step, closing (the flow that closes a loop)
    or open (a link that is missing)."""

    source: str
    target: str
    style: str = "link"
    label: str = ""
    title: str = ""


@dataclass
class VizGraph:
    """What one graph page draws."""

    kind: str
    title: str
    language: str
    nodes: list[VizNode]
    edges: list[VizEdge]
    total: int
    positions: dict[str, tuple[float, float]] = field(default_factory=dict)
    centre: str | None = None
    notes: list[str] = field(default_factory=list)
    more_than: bool = False

    @property
    def truncated(self) -> bool:
        return self.total > len(self.nodes)


# -- facts about resources --------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    text: str
    language: str = ""
    iri: bool = False
    labels: tuple[tuple[str, str], ...] = ()

    def shown(self, languages: Sequence[str]) -> str:
        if not self.iri:
            return self.text
        return pick(dict(self.labels), languages) or local_name(self.text)


@dataclass
class Facts:
    """What the graph says about one resource: its properties (values with their labels)."""

    values: dict[str, list[Value]] = field(default_factory=lambda: defaultdict(list))

    def iris(self, predicate: str) -> set[str]:
        return {v.text for v in self.values.get(predicate, ()) if v.iri}

    @property
    def types(self) -> set[str]:
        return self.iris(RDF_TYPE)

    def label(self, languages: Sequence[str]) -> str | None:
        labels = {
            v.language: v.text for p in LABELS for v in sorted(self.values.get(p, ()), key=_order)
        }
        return pick(labels, languages)


def _order(value: Value) -> tuple[str, str]:
    return (value.language, value.text)


def _select(store: Store, name: str, parameter: str, iris: Sequence[str]) -> list[Row]:
    rows: list[Row] = []
    for start in range(0, len(iris), _CHUNK):
        terms = [ox.NamedNode(i) for i in iris[start : start + _CHUNK]]
        rows += store.select(stage(name), bindings={parameter: terms}, union_default_graph=True)
    return rows


def load_facts(store: Store, iris: Iterable[str]) -> dict[str, Facts]:
    """Facts about each resource, read with ``viz-nodes`` (a resource the graph does not know
    is left out)."""
    wanted = sorted({i for i in iris if "://" in i or i.startswith("urn:")})
    labels: dict[tuple[str, str, str], dict[str, str]] = defaultdict(dict)
    found: dict[str, Facts] = {}
    literals: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for row in _select(store, "viz-nodes", "_node", wanted):
        node, predicate, value = text(row["node"]), text(row["p"]), row["value"]
        found.setdefault(node, Facts())
        if isinstance(value, ox.NamedNode):
            entry = labels[(node, predicate, value.value)]
            label = row.get("valueLabel")
            if isinstance(label, ox.Literal):
                entry.setdefault(label.language or "", label.value)
        elif isinstance(value, ox.Literal):
            literals[(node, predicate)].add((value.value, value.language or ""))
    for (node, predicate, iri), by_language in sorted(labels.items()):
        found[node].values[predicate].append(
            Value(iri, iri=True, labels=tuple(sorted(by_language.items())))
        )
    for (node, predicate), values in sorted(literals.items()):
        found[node].values[predicate] += [Value(t, language=lang) for t, lang in sorted(values)]
    return found


def term_labels(store: Store, terms: Iterable[str], languages: Sequence[str]) -> dict[str, str]:
    """The label of each term (property, class) in the reader's language (``viz-labels``)."""
    by_term: dict[str, dict[str, str]] = defaultdict(dict)
    for row in _select(store, "viz-labels", "_term", sorted(set(terms))):
        label = row["label"]
        if isinstance(label, ox.Literal):
            by_term[text(row["term"])].setdefault(label.language or "", label.value)
    return {t: pick(labels, languages) or local_name(t) for t, labels in by_term.items()}


def kind_of(types: Iterable[str]) -> str:
    """The kind of a resource with these classes (see KINDS).

    >>> kind_of([KL + "ReturnFlow", KL + "Flow"]), kind_of(["https://schema.org/Thing"])
    ('flow', 'other')
    """
    kinds = {KIND_OF_CLASS[t] for t in types if t in KIND_OF_CLASS}
    return min(kinds, key=KINDS.index) if kinds else "other"


def main_role(roles: Iterable[str]) -> str | None:
    """The role that colours an organisation: the first of ROLES it plays.

    >>> main_role([ID + "role/supplier", ID + "role/refurbisher"])
    'refurbisher'
    """
    slugs = {r.rsplit("/", 1)[-1] for r in roles}
    for role in ROLES:
        if role in slugs:
            return role
    return min(slugs) if slugs else None


def group_of(kind: str, role: str | None) -> str:
    """The drawing group: organisations by their role, everything else by its kind."""
    return f"role:{role}" if kind == "organisation" and role else f"kind:{kind}"


#: Facts a tooltip shows first, in this order (after kind, roles and place).
KEY_FACTS = tuple(
    KL + p
    for p in (
        "offeredBy",
        "itemOffered",
        "acceptsProductType",
        "acceptsMaterial",
        "businessModel",
        "strategy",
        "condition",
        "availableQuantity",
        "unitPrice",
        "monthlyFee",
        "termMonths",
        "serviceRadiusKm",
        "performedBy",
        "flowFrom",
        "flowTo",
        "flowOf",
        "quantity",
        "requestedBy",
        "requestsProductType",
        "rRank",
        "cpv",
        "isClosed",
        "score",
    )
)
SKOS = "http://www.w3.org/2004/02/skos/core#"
_HIDDEN = {RDF_TYPE, *LABELS, KL + "role", SKOS + "inScheme", SKOS + "topConceptOf"}


def shown_values(values: Sequence[Value], languages: Sequence[str]) -> list[str]:
    """Values as the reader sees them: texts in several languages reduced to the reader's.

    >>> shown_values([Value("stoel", "nl"), Value("chair", "en"), Value("42")], ["nl"])
    ['42', 'stoel']
    """
    tagged = {v.language: v.text for v in sorted(values, key=_order) if v.language and not v.iri}
    plain = {v.shown(languages) for v in values if v.iri or not v.language}
    chosen = pick(tagged, languages)
    return sorted(plain | ({chosen} if chosen else set()))


_MAX_FACTS = 40


def describe(
    iri: str,
    facts: Facts | None,
    *,
    kind: str,
    languages: Sequence[str],
    names: Mapping[str, str],
    role: str | None = None,
    extra: Sequence[tuple[str, str]] = (),
) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """The label, plain-text tooltip and side-panel facts of one resource."""
    language = languages[0] if languages else "en"
    facts = facts or Facts()
    label = facts.label(languages) or local_name(iri)
    roles = sorted(
        {r.rsplit("/", 1)[-1] for r in facts.iris(KL + "role")} | ({role} if role else set()),
        key=lambda r: ROLES.index(r) if r in ROLES else len(ROLES),
    )
    kind_line = word(kind, language)
    if roles:
        kind_line += " · " + ", ".join(word(r, language) for r in roles)
    panel: list[tuple[str, str]] = [(word("kind", language), kind_line)]
    panel += list(extra)
    values = facts.values
    ordered = [p for p in KEY_FACTS if p in values]
    ordered += sorted((p for p in values if p not in KEY_FACTS and p not in _HIDDEN), key=str)
    for predicate in ordered[:_MAX_FACTS]:
        shown = shown_values(values[predicate], languages)
        panel.append((names.get(predicate, local_name(predicate)), shorten(", ".join(shown), 300)))
    place = [v for p in (KL + "place", KL + "region") for v in values.get(p, ())]
    lines = [label, kind_line]
    if place:
        lines.append(" · ".join(sorted({v.shown(languages) for v in place})))
    lines += [f"{name}: {value}" for name, value in list(extra)[:3]]
    key = [p for p in ordered if p in KEY_FACTS and p not in (KL + "place", KL + "region")]
    for predicate in key[:6]:
        shown = shown_values(values[predicate], languages)
        lines.append(
            f"{names.get(predicate, local_name(predicate))}: {shorten(', '.join(shown), 80)}"
        )
    if "://" in iri:
        lines.append(iri)
    return label, "\n".join(lines), tuple(panel)


def make_node(
    node_id: str,
    iri: str | None,
    facts: Facts | None,
    *,
    languages: Sequence[str],
    names: Mapping[str, str],
    kind: str | None = None,
    role: str | None = None,
    label: str | None = None,
    level: int = 0,
    extra: Sequence[tuple[str, str]] = (),
) -> VizNode:
    """A node for the resource ``iri`` (or a made-up one when ``iri`` is None)."""
    kind = kind or kind_of(facts.types if facts else ())
    main = role or main_role(facts.iris(KL + "role") if facts else ())
    found, title, panel = describe(
        iri or node_id, facts, kind=kind, languages=languages, names=names, role=role, extra=extra
    )
    shown = label or found
    if label:
        title = "\n".join([label, *title.split("\n")[1:]])
    return VizNode(
        id=node_id,
        label=shorten(shown),
        kind=kind,
        group=group_of(kind, main),
        title=title,
        iri=iri,
        facts=((word("label", languages[0] if languages else "en"), shown), *panel),
        level=level,
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
        self.role = resolve.code_iri("role", filters.role) if filters.role else None
        self.strategy = resolve.code_iri("strategy", filters.strategy) if filters.strategy else None
        self.model = (
            resolve.code_iri("business-model", filters.business_model)
            if filters.business_model
            else None
        )
        self.region = resolve.code_iri("region", filters.region) if filters.region else None
        self.products: set[str] | None = None
        if filters.category:
            vocab = resolve.load_vocabulary(store)
            target = resolve.resolve_what(vocab, filters.category).concept
            self.products = {
                product
                for product, cpv in vocab.product_cpv.items()
                if product == target or target in vocab.ancestors(cpv)
            } | ({target} if vocab.kinds.get(target) == "product" else set())

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


def _walk(store: Store, centre: str, depth: int) -> _Reach:
    """Resources within ``depth`` links of ``centre``: one ``viz-hop`` query per level."""
    reach = _Reach(level={centre: 0})
    frontier = [centre]
    for level in range(1, depth + 1):
        found: set[str] = set()
        for row in _select(store, "viz-hop", "_frontier", frontier):
            node, other, predicate = text(row["node"]), text(row["other"]), text(row["p"])
            reach.types[other].add(text(row["type"]))
            out = text(row["out"]) == "true"
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
        raise NotFoundError(f"the knowledge graph says nothing about <{iri}>")
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


# -- layout ------------------------------------------------------------------------------------

#: Distance between neighbouring nodes on the page, in vis-network canvas units.
SPACING = 110.0


def layout(
    graph: VizGraph, *, centre: str | None = None, seed: int = 7
) -> dict[str, tuple[float, float]]:
    """Positions for every node, computed here so the browser draws with physics off.

    Each connected part is laid out on its own: Kamada-Kawai when small, networkx's spring
    layout (fixed seed, started from rings around the centre, the centre pinned) up to
    FORCE_LIMIT nodes, rings beyond; then the parts are packed in rows, largest first.
    """
    g: nx.Graph = nx.Graph()
    g.add_nodes_from(n.id for n in graph.nodes)
    g.add_edges_from((e.source, e.target) for e in graph.edges if e.source != e.target)
    parts = sorted(nx.connected_components(g), key=lambda c: (-len(c), min(c)))
    placed = [_part(g.subgraph(part), centre, seed) for part in parts]
    return _pack(placed)


#: Above this many nodes a part is laid out on rings (a force-directed layout costs seconds).
FORCE_LIMIT = 300


def _part(g: nx.Graph, centre: str | None, seed: int) -> dict[str, tuple[float, float]]:
    count = g.number_of_nodes()
    if count == 1:
        return {next(iter(g.nodes)): (0.0, 0.0)}
    pinned = centre if centre in g else None
    if count > FORCE_LIMIT:
        return {n: (x * SPACING * 0.6, y * SPACING * 0.6) for n, (x, y) in rings(g, pinned).items()}
    if count <= 40:
        raw = nx.kamada_kawai_layout(g, scale=1.0)
    else:
        fixed = [pinned] if pinned else None
        raw = nx.spring_layout(g, pos=rings(g, pinned), fixed=fixed, seed=seed, iterations=50)
    pos = {n: (float(x), float(y)) for n, (x, y) in raw.items()}
    return to_canvas(pos, count, pinned)


def _pack(parts: Sequence[Mapping[str, tuple[float, float]]]) -> dict[str, tuple[float, float]]:
    """Laid-out parts side by side in rows about as wide as the largest part or a square."""
    if len(parts) == 1:
        return dict(parts[0])  # one part keeps its centre at the origin
    boxes = []
    for pos in parts:
        xs = [x for x, _ in pos.values()]
        ys = [y for _, y in pos.values()]
        boxes.append((min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)))
    area = sum((w + SPACING * 2) * (h + SPACING * 2) for _, _, w, h in boxes)
    row_width = max([1.8 * math.sqrt(area), *(w for _, _, w, _ in boxes)])  # pages are wide
    placed: dict[str, tuple[float, float]] = {}
    x = y = row_height = 0.0
    for pos, (left, top, width, height) in zip(parts, boxes, strict=True):
        if x > 0 and x + width > row_width:
            x, y, row_height = 0.0, y + row_height + SPACING * 2, 0.0
        placed.update(
            {n: (round(x + px - left, 1), round(y + py - top, 1)) for n, (px, py) in pos.items()}
        )
        x += width + SPACING * 2
        row_height = max(row_height, height)
    return placed


def rings(g: nx.Graph, centre: str | None) -> dict[str, tuple[float, float]]:
    """Nodes on concentric rings by hop distance from the centre (or the best-connected node),
    one unit apart along each ring; each node sits near the nodes that lead to it. O(n log n):
    the layout for graphs too large for a force-directed one."""
    start: str = (
        centre if centre is not None and centre in g else max(sorted(g.nodes), key=g.degree)
    )
    levels: dict[str, int] = nx.single_source_shortest_path_length(g, start)
    by_level: dict[int, list[str]] = defaultdict(list)
    for node, level in levels.items():
        by_level[level].append(node)
    angle: dict[str, float] = {start: 0.0}
    pos: dict[str, tuple[float, float]] = {start: (0.0, 0.0)}
    radius = 0.0
    for level in sorted(by_level)[1:]:
        parent = {
            n: min((angle[p] for p in g.neighbors(n) if levels.get(p) == level - 1), default=0.0)
            for n in by_level[level]
        }
        members = sorted(by_level[level], key=lambda n: (parent[n], n))
        radius = max(radius + 1.5, len(members) / (2 * math.pi))
        for i, node in enumerate(members):
            angle[node] = 2 * math.pi * i / len(members)
            pos[node] = (radius * math.cos(angle[node]), radius * math.sin(angle[node]))
    return pos


def to_canvas(
    pos: Mapping[str, tuple[float, float]], count: int, centre: str | None = None
) -> dict[str, tuple[float, float]]:
    """Positions scaled so that ``count`` nodes get about SPACING units each, rounded."""
    if centre is not None and centre in pos:
        cx, cy = pos[centre]
    else:
        cx = sum(x for x, _ in pos.values()) / len(pos)
        cy = sum(y for _, y in pos.values()) / len(pos)
    extent = max((math.hypot(x - cx, y - cy) for x, y in pos.values()), default=1.0) or 1.0
    scale = SPACING * (math.sqrt(count) * 0.9 + 1.2) / extent
    return {
        n: (round((x - cx) * scale, 1), round((y - cy) * scale, 1)) for n, (x, y) in pos.items()
    }
