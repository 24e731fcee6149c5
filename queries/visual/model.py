"""The model of a graph page: nodes, edges, kinds, roles, words in en/nl/fr, facts about
resources read from the store, and how a node is described."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from kringloop.graph.errors import KringloopError
from kringloop.graph.store import Row, Store, text
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
#: Resources bound in one query (a VALUES block of this many IRIs).
CHUNK = 500
#: The queries that read what a page shows about resources (`load_facts`).
NODE_STAGES = ("viz-nodes", "viz-node-roles", "viz-node-places", "viz-node-regions")
#: What naming a resource takes (`load_names`, for `thing`): a subset of `NODE_STAGES`.
NAME_STAGES = ("viz-names",)
#: What a page shows for a value that is not known.
NOTHING = "\u2013"

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
    "promised": (
        "take-back promised, not backed",
        "terugname beloofd, niet gestaafd",
        "reprise promise, non étayée",
    ),
    "open": ("open", "open", "ouverte"),
    "composter": ("composter", "composteerder", "composteur"),
    "processor": ("processor", "verwerker", "transformateur"),
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
        "{} closed loop(s), {} promised, {} open (missing role marked)",
        "{} gesloten kringloop/kringlopen, {} beloofd, {} open (ontbrekende rol aangeduid)",
        "{} boucle(s) fermée(s), {} promise(s), {} ouverte(s) (rôle manquant indiqué)",
    ),
    "no-chains": ("no chain found", "geen keten gevonden", "aucune chaîne trouvée"),
    "kind": ("kind", "soort", "type"),
    "label": ("name", "naam", "nom"),
    "step-of": ("step {}", "stap {}", "étape {}"),
    "chain-role": ("role in this chain", "rol in deze keten", "rôle dans cette chaîne"),
    "business-model": ("business model", "bedrijfsmodel", "modèle d'affaires"),
    "distance": ("distance", "afstand", "distance"),
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


def shorten(label: str, limit: int = 60) -> str:
    """A label short enough to draw (the full label is in the tooltip and the side panel)."""
    label = re.sub(r"[ \t\r\n]+", " ", label).strip()  # typographic spaces are kept
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
    #: positions for a narrow screen (a phone): the same parts one under the other
    narrow: dict[str, tuple[float, float]] = field(default_factory=dict)

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


def select_for(
    store: Store, names: str | Sequence[str], parameter: str, iris: Sequence[str]
) -> list[Row]:
    """The rows of the stage queries ``names`` with ``parameter`` bound to ``iris``, in
    batches of `CHUNK` terms (one VALUES block per query, never one query per resource)."""
    queries = [stage(n) for n in ((names,) if isinstance(names, str) else names)]
    rows: list[Row] = []
    for start in range(0, len(iris), CHUNK):
        terms = [ox.NamedNode(i) for i in iris[start : start + CHUNK]]
        for sparql in queries:
            rows += store.select(sparql, bindings={parameter: terms}, union_default_graph=True)
    return rows


def load_facts(
    store: Store, iris: Iterable[str], *, stages: Sequence[str] = NODE_STAGES
) -> dict[str, Facts]:
    """Facts about each resource, read with the `NODE_STAGES` queries, and the labels of
    their IRI values, read once per value (a resource the graph does not know is left out)."""
    wanted = sorted({i for i in iris if "://" in i or i.startswith("urn:")})
    found: dict[str, Facts] = {}
    links: set[tuple[str, str, str]] = set()
    literals: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for row in select_for(store, stages, "_node", wanted):
        node, predicate, value = text(row["node"]), text(row["p"]), row["value"]
        if node not in found:
            found[node] = Facts()
        if isinstance(value, ox.NamedNode):
            links.add((node, predicate, value.value))
        elif isinstance(value, ox.Literal):
            literals[(node, predicate)].add((value.value, value.language or ""))
    labels = labels_by_language(store, {iri for _, _, iri in links})
    for node, predicate, iri in sorted(links):
        by_language = labels.get(iri, {})
        found[node].values[predicate].append(
            Value(iri, iri=True, labels=tuple(sorted(by_language.items())))
        )
    for (node, predicate), values in sorted(literals.items()):
        found[node].values[predicate] += [Value(t, language=lang) for t, lang in sorted(values)]
    return found


def load_names(store: Store, iris: Iterable[str]) -> dict[str, Facts]:
    """The facts `thing` names each resource by (its types, labels and the links a
    description is made of): the same as `load_facts` gives for those, read with less."""
    return load_facts(store, iris, stages=NAME_STAGES)


def labels_by_language(store: Store, terms: Iterable[str]) -> dict[str, dict[str, str]]:
    """The labels of each term by language ("" for none; the first of a language wins), read
    with ``viz-labels``."""
    by_term: dict[str, dict[str, str]] = defaultdict(dict)
    for row in select_for(store, "viz-labels", "_term", sorted(set(terms))):
        label = row["label"]
        if isinstance(label, ox.Literal):
            by_term[text(row["term"])].setdefault(label.language or "", label.value)
    return by_term


RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
OWL = "http://www.w3.org/2002/07/owl#"
#: Names of the terms of other vocabularies the graph uses, for the languages their own
#: labels (if loaded at all) do not cover.
TERMS: dict[str, tuple[str, str, str]] = {
    RDF_TYPE: ("type", "type", "type"),
    RDFS + "label": ("label", "label", "étiquette"),
    RDFS + "comment": ("comment", "opmerking", "commentaire"),
    RDFS + "seeAlso": ("see also", "zie ook", "voir aussi"),
    SKOS + "prefLabel": ("preferred label", "voorkeurslabel", "libellé préféré"),
    SKOS + "altLabel": ("alternative label", "alternatief label", "libellé alternatif"),
    SKOS + "definition": ("definition", "definitie", "définition"),
    SKOS + "notation": ("notation", "notatie", "notation"),
    SKOS + "broader": ("broader", "ruimer", "plus large"),
    SKOS + "narrower": ("narrower", "specifieker", "plus précis"),
    SKOS + "exactMatch": ("exact match", "exacte overeenkomst", "correspondance exacte"),
    SKOS + "closeMatch": ("close match", "nauwe overeenkomst", "correspondance proche"),
    DCT + "title": ("title", "titel", "titre"),
    DCT + "description": ("description", "beschrijving", "description"),
    DCT + "source": ("source", "bron", "source"),
    DCT + "license": ("licence", "licentie", "licence"),
    DCT + "created": ("created", "aangemaakt", "créé"),
    DCT + "modified": ("modified", "gewijzigd", "modifié"),
    DCT + "publisher": ("publisher", "uitgever", "éditeur"),
    PROV + "wasDerivedFrom": ("derived from", "afgeleid van", "dérivé de"),
    PROV + "wasGeneratedBy": ("generated by", "gemaakt door", "produit par"),
    PROV + "generatedAtTime": ("generated at", "gemaakt op", "produit le"),
    PROV + "wasAttributedTo": ("attributed to", "toegeschreven aan", "attribué à"),
    PROV + "hadPrimarySource": ("primary source", "primaire bron", "source primaire"),
    OWL + "sameAs": ("same as", "zelfde als", "identique à"),
}


def term_labels(store: Store, terms: Iterable[str], languages: Sequence[str]) -> dict[str, str]:
    """The label of each term (property, class) in the reader's language (``viz-labels``):
    its own label in that language, else kringloop's name for a common term of another
    vocabulary (`TERMS`), else a label in another language, else its local name."""
    wanted = sorted(set(terms))
    by_term = labels_by_language(store, wanted)
    first = languages[0] if languages else "en"
    found = {}
    for term in wanted:
        labels = by_term.get(term, {})
        if first in labels:
            found[term] = labels[first]
        elif term in TERMS:
            found[term] = TERMS[term][LANGUAGES.index(first) if first in LANGUAGES else 0]
        elif labels:
            found[term] = pick(labels, languages) or local_name(term)
    return found


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
    label = thing(iri, {iri: facts}, languages) if facts.values else local_name(iri)
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


# -- naming resources in the reader's language -------------------------------------------------

PROCESS_CLASSES = (
    "TakeBack",
    "Collection",
    "Repair",
    "Refurbishment",
    "Remanufacturing",
    "Recycling",
    "Composting",
    "AnaerobicDigestion",
)


def own_label(facts: Facts | None, language: str) -> str | None:
    """The label of a resource in ``language``, or without a language (names), if any."""
    if facts is None:
        return None
    labels = {
        v.language: v.text for p in LABELS for v in sorted(facts.values.get(p, ()), key=_order)
    }
    for tag in (language, ""):
        if tag in labels:
            return labels[tag]
    return None


def process_word(facts: Facts | None, language: str) -> str | None:
    """What a process does, in words (take-back, refurbishment), from its class."""
    from kringloop.queries import words

    if facts is None:
        return None
    for name in PROCESS_CLASSES:
        if KL + name in facts.types:
            return words.word(f"process.{name}", language)
    return None


def thing(iri: str, facts: Mapping[str, Facts], languages: Sequence[str]) -> str:
    """What a page in ``languages[0]`` calls ``iri``: its label in that language (or its
    name), else a description from its facts in words of that language ("flow of office
    chairs from A to B", "take-back offer of A"), else a label in another language."""
    from kringloop.queries import words

    language = languages[0] if languages else "en"
    found = facts.get(iri)
    own = own_label(found, language)
    if own:
        return own
    if found is None:
        return local_name(iri)

    def linked(prop: str) -> str:
        values = [v for v in found.values.get(KL + prop, ()) if v.iri]
        return ", ".join(sorted(v.shown(languages) for v in values)) or NOTHING

    kind = kind_of(found.types)
    if kind == "flow":
        return words.word(
            "thing.flow",
            language,
            what=linked("flowOf"),
            source=linked("flowFrom"),
            target=linked("flowTo"),
        )
    if kind == "processing-offer":
        return words.word("thing.processing-offer", language, org=linked("offeredBy"))
    if kind == "offer":
        return words.word(
            "thing.offer",
            language,
            what=linked("itemOffered"),
            org=linked("offeredBy"),
            model=linked("businessModel"),
        )
    if kind == "need":
        return words.word(
            "thing.need", language, what=linked("requestsProductType"), org=linked("requestedBy")
        )
    if kind == "process":
        what = process_word(found, language) or word("process", language)
        return words.word("thing.process", language, what=what, org=linked("performedBy"))
    if kind == "claim":
        return words.word("thing.claim", language, scheme=linked("scheme"))
    return found.label(languages) or local_name(iri)
