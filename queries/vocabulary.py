"""The kringloop vocabulary as a reader sees it: classes and properties, in the reader's language.

`read_vocabulary` parses the ontology file once (cached by path and modification time) and
`document` lists its own terms (those in the ``kl:`` namespace) with label, definition,
super- and subclasses, domain and range (``owl:unionOf`` domains shown as their members).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from kringloop.queries.describe import pick_label

NS = "https://w3id.org/kringloop/ns#"
ONTOLOGY_IRI = "https://w3id.org/kringloop/ns"
OWL = "http://www.w3.org/2002/07/owl#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"

PREFIXES = {
    "kl": NS,
    "owl": OWL,
    "rdfs": RDFS,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": SKOS,
    "dcterms": DCTERMS,
    "org": "http://www.w3.org/ns/org#",
    "schema": "https://schema.org/",
    "prov": "http://www.w3.org/ns/prov#",
    "geo": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "vf": "https://w3id.org/valueflows/ont/vf#",
    "qudt": "http://qudt.org/schema/qudt/",
    "epo": "http://data.europa.eu/a4g/ontology#",
}

_KINDS = {
    OWL + "Class": "class",
    OWL + "ObjectProperty": "object property",
    OWL + "DatatypeProperty": "datatype property",
    OWL + "AnnotationProperty": "annotation property",
}

_EDGES = f"""
PREFIX owl: <{OWL}>
PREFIX rdfs: <{RDFS}>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
SELECT ?term ?relation ?other WHERE {{
  VALUES ?relation {{ rdfs:subClassOf rdfs:subPropertyOf rdfs:domain rdfs:range }}
  {{ ?term ?relation ?other . FILTER(isIRI(?other)) }}
  UNION
  {{ ?term ?relation ?target . ?target owl:unionOf/rdf:rest*/rdf:first ?other .
     FILTER(?relation IN (rdfs:domain, rdfs:range)) }}
}}
"""


def compact(iri: str) -> str:
    """``iri`` as a prefixed name when a known prefix fits.

    >>> compact("https://w3id.org/kringloop/ns#Offer"), compact("urn:x")
    ('kl:Offer', 'urn:x')
    """
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and iri != namespace:
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


@dataclass(frozen=True)
class Ref:
    """A reference to a term: its IRI, short name and label."""

    iri: str
    name: str
    label: str | None

    @property
    def own(self) -> bool:
        return self.iri.startswith(NS)

    @property
    def anchor(self) -> str:
        return self.iri[len(NS) :] if self.own else ""


@dataclass(frozen=True)
class VocabularyTerm:
    """A class or property of the vocabulary."""

    ref: Ref
    kind: str
    definition: str | None
    parents: tuple[Ref, ...]
    children: tuple[Ref, ...]
    domain: tuple[Ref, ...]
    range: tuple[Ref, ...]


@dataclass(frozen=True)
class VocabularyMetadata:
    """Who made the vocabulary, under which licence, which version and when."""

    version_iri: str | None = None
    creator: str | None = None
    license: str | None = None
    created: str | None = None
    modified: str | None = None


@dataclass(frozen=True)
class VocabularyPage:
    iri: str
    title: str | None
    description: str | None
    version: str | None
    classes: tuple[VocabularyTerm, ...]
    properties: tuple[VocabularyTerm, ...]
    metadata: VocabularyMetadata = VocabularyMetadata()


@lru_cache(maxsize=4)
def _parsed(path: Path, mtime: float) -> ox.Store:
    store = ox.Store()
    store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    return store


def read_vocabulary(path: Path) -> ox.Store:
    """The ontology file parsed into an in-memory store (cached until the file changes)."""
    return _parsed(path.resolve(), path.stat().st_mtime)


def _literals(store: ox.Store, subject: ox.NamedNode, predicate: str) -> list[ox.Literal]:
    return [
        q.object
        for q in store.quads_for_pattern(subject, ox.NamedNode(predicate), None)
        if isinstance(q.object, ox.Literal)
    ]


def document(path: Path, languages: Sequence[str]) -> VocabularyPage:
    """The page model of the vocabulary in ``path`` for a reader of ``languages``.

    >>> from kringloop.ontology import ONTOLOGY_DIR
    >>> page = document(ONTOLOGY_DIR / "kringloop.ttl", ["nl"])
    >>> [t.ref.label for t in page.classes if t.ref.name == "kl:Organisation"]
    ['Organisatie']
    >>> page.metadata.version_iri, page.metadata.license
    ('https://w3id.org/kringloop/ns/0.1.0', 'https://creativecommons.org/licenses/by/4.0/')
    """
    store = read_vocabulary(path)

    def text(subject: str, *predicates: str) -> str | None:
        for predicate in predicates:
            found = pick_label(_literals(store, ox.NamedNode(subject), predicate), languages)
            if found:
                return found
        return None

    def ref(iri: str) -> Ref:
        return Ref(iri, compact(iri), text(iri, RDFS + "label", SKOS + "prefLabel"))

    kinds: dict[str, str] = {}
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    for kind_iri, kind in _KINDS.items():
        for quad in store.quads_for_pattern(None, rdf_type, ox.NamedNode(kind_iri)):
            if isinstance(quad.subject, ox.NamedNode) and quad.subject.value.startswith(NS):
                kinds.setdefault(quad.subject.value, kind)
    edges: dict[tuple[str, str], set[str]] = defaultdict(set)
    children: dict[str, set[str]] = defaultdict(set)
    result = store.query(_EDGES)
    assert isinstance(result, ox.QuerySolutions)
    for row in result:
        term, relation, other = row["term"], row["relation"], row["other"]
        if not isinstance(term, ox.NamedNode) or not isinstance(other, ox.NamedNode):
            continue
        name = relation.value.rsplit("#", 1)[-1]
        edges[(term.value, name)].add(other.value)
        if name in ("subClassOf", "subPropertyOf"):
            children[other.value].add(term.value)

    def refs(iris: set[str]) -> tuple[Ref, ...]:
        return tuple(sorted((ref(i) for i in iris), key=lambda r: (not r.own, r.name)))

    terms = []
    for iri, kind in kinds.items():
        parent = "subClassOf" if kind == "class" else "subPropertyOf"
        terms.append(
            VocabularyTerm(
                ref=ref(iri),
                kind=kind,
                definition=text(iri, SKOS + "definition", RDFS + "comment"),
                parents=refs(edges[(iri, parent)]),
                children=refs(children[iri]),
                domain=refs(edges[(iri, "domain")]),
                range=refs(edges[(iri, "range")]),
            )
        )
    terms.sort(key=lambda t: t.ref.name.lower())

    def value(predicate: str) -> str | None:
        for quad in store.quads_for_pattern(
            ox.NamedNode(ONTOLOGY_IRI), ox.NamedNode(predicate), None
        ):
            if isinstance(quad.object, ox.NamedNode):
                return quad.object.value
            if isinstance(quad.object, ox.Literal) and not quad.object.language:
                return quad.object.value[:10]  # a date or date-time: its day
        return None

    metadata = VocabularyMetadata(
        version_iri=value(OWL + "versionIRI"),
        creator=text(ONTOLOGY_IRI, DCTERMS + "creator"),
        license=value(DCTERMS + "license"),
        created=value(DCTERMS + "created"),
        modified=value(DCTERMS + "modified"),
    )
    return VocabularyPage(
        iri=ONTOLOGY_IRI,
        title=text(ONTOLOGY_IRI, DCTERMS + "title", RDFS + "label"),
        description=text(ONTOLOGY_IRI, DCTERMS + "description", RDFS + "comment"),
        version=text(ONTOLOGY_IRI, OWL + "versionInfo"),
        classes=tuple(t for t in terms if t.kind == "class"),
        properties=tuple(t for t in terms if t.kind != "class"),
        metadata=metadata,
    )
