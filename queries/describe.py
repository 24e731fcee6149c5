"""What the knowledge graph says about one resource: its description for people and machines.

`concise_bounded_description` gives the resource's own triples plus the blank nodes they lead
to (followed up to `BLANK_DEPTH` levels), over all graphs: what linked-data clients get as RDF.
`describe` adds what a page for people needs: a label in the reader's language, the types,
the values grouped by property with labels for every linked resource, and the incoming links.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from kringloop.graph.binding import Term
from kringloop.graph.store import Store, text

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABELS = (
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://purl.org/dc/terms/title",
)
#: How deep blank nodes are followed from the resource.
BLANK_DEPTH = 4
INCOMING_LIMIT = 100

_CBD = """
SELECT DISTINCT ?s ?p ?o WHERE {
  { ?r ?p ?o BIND(?r AS ?s) }
  UNION { ?r ?p1 ?s . FILTER(isBlank(?s)) ?s ?p ?o }
  UNION { ?r ?p1 ?b1 . FILTER(isBlank(?b1)) ?b1 ?p2 ?s . FILTER(isBlank(?s)) ?s ?p ?o }
  UNION { ?r ?p1 ?b1 . FILTER(isBlank(?b1)) ?b1 ?p2 ?b2 . FILTER(isBlank(?b2))
          ?b2 ?p3 ?s . FILTER(isBlank(?s)) ?s ?p ?o }
  UNION { ?r ?p1 ?b1 . FILTER(isBlank(?b1)) ?b1 ?p2 ?b2 . FILTER(isBlank(?b2))
          ?b2 ?p3 ?b3 . FILTER(isBlank(?b3)) ?b3 ?p4 ?s . FILTER(isBlank(?s)) ?s ?p ?o }
}
"""
_INCOMING = f"SELECT DISTINCT ?s ?p WHERE {{ ?s ?p ?r }} ORDER BY ?p ?s LIMIT {INCOMING_LIMIT + 1}"
_LABELS = """
SELECT DISTINCT ?x ?label WHERE {
  ?x <http://www.w3.org/2004/02/skos/core#prefLabel> | <http://www.w3.org/2000/01/rdf-schema#label>
     | <http://purl.org/dc/terms/title> ?label .
  FILTER(isLiteral(?label))
}
"""


def concise_bounded_description(store: Store, iri: str) -> list[ox.Triple]:
    """The triples about ``iri`` and the blank nodes they lead to, in all graphs.

    >>> from kringloop.graph import OxigraphStore
    >>> s = OxigraphStore.memory()
    >>> s.update("INSERT DATA { GRAPH <http://e.org/g> { <http://e.org/a> <http://e.org/p> [ "
    ...          "<http://e.org/q> 1 ] . <http://e.org/b> <http://e.org/p> <http://e.org/a> } }")
    >>> len(concise_bounded_description(s, "http://e.org/a"))
    2
    """
    rows = store.select(_CBD, bindings={"r": ox.NamedNode(iri)}, union_default_graph=True)
    triples = {ox.Triple(row["s"], row["p"], row["o"]) for row in rows}  # type: ignore[arg-type]
    return sorted(triples, key=lambda t: (str(t.subject) != f"<{iri}>", str(t)))


def pick_label(literals: Iterable[ox.Literal], languages: Sequence[str]) -> str | None:
    """The label to show a reader who prefers ``languages`` (best first).

    Exact language first, then a regional variant of it, then English, then a label without a
    language, then any (the smallest, so the choice is stable).

    >>> labels = [ox.Literal("Gent", language="nl"), ox.Literal("Ghent", language="en")]
    >>> pick_label(labels, ["fr", "nl"]), pick_label(labels, ["fr"]), pick_label([], ["en"])
    ('Gent', 'Ghent', None)
    """
    found = sorted(literals, key=lambda lit: (lit.language or "", lit.value))
    if not found:
        return None
    for language in [*languages, "en"]:
        for literal in found:
            if literal.language == language:
                return literal.value
        for literal in found:
            if literal.language and literal.language.split("-")[0] == language:
                return literal.value
    for literal in found:
        if not literal.language:
            return literal.value
    return found[0].value


def labels(store: Store, terms: Iterable[Term], languages: Sequence[str]) -> dict[str, str]:
    """A label for each IRI among ``terms`` that has one (rdfs:label, skos:prefLabel, title)."""
    iris = sorted({t.value for t in terms if isinstance(t, ox.NamedNode)})
    if not iris:
        return {}
    found: dict[str, list[ox.Literal]] = defaultdict(list)
    rows = store.select(
        _LABELS, bindings={"x": [ox.NamedNode(i) for i in iris]}, union_default_graph=True
    )
    for row in rows:
        label = row["label"]
        if isinstance(label, ox.Literal):
            found[text(row["x"])].append(label)
    chosen = {iri: pick_label(found[iri], languages) for iri in found}
    return {iri: text for iri, text in chosen.items() if text is not None}


@dataclass(frozen=True)
class Value:
    """One term as a page shows it: the term, its text, and a label when it has one."""

    term: Term
    label: str | None = None

    @property
    def text(self) -> str:
        return self.label or text(self.term)

    @property
    def is_iri(self) -> bool:
        return isinstance(self.term, ox.NamedNode)

    @property
    def is_blank(self) -> bool:
        return isinstance(self.term, ox.BlankNode)

    @property
    def language(self) -> str | None:
        return self.term.language if isinstance(self.term, ox.Literal) else None

    @property
    def datatype(self) -> str | None:
        if isinstance(self.term, ox.Literal) and not self.term.language:
            return self.term.datatype.value
        return None


@dataclass(frozen=True)
class PropertyValues:
    """A property of a resource (or blank node) and its values."""

    predicate: Value
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Description:
    """A resource as its page shows it."""

    iri: str
    label: str | None
    types: tuple[Value, ...]
    properties: tuple[PropertyValues, ...]
    blank_nodes: dict[str, tuple[PropertyValues, ...]]
    incoming: tuple[tuple[Value, Value], ...]
    more_incoming: bool

    def has_type(self, *classes: str) -> bool:
        """Whether the resource is stated to be of one of ``classes`` (IRIs)."""
        return any(text(t.term) in classes for t in self.types)


def _value(term: Term, names: dict[str, str]) -> Value:
    return Value(term, names.get(term.value) if isinstance(term, ox.NamedNode) else None)


def _group(
    pairs: Iterable[tuple[Term, Term]], names: dict[str, str], *, skip_types: bool
) -> tuple[PropertyValues, ...]:
    by_predicate: dict[str, list[Term]] = defaultdict(list)
    for predicate, obj in pairs:
        if skip_types and text(predicate) == RDF_TYPE:
            continue
        by_predicate[text(predicate)].append(obj)

    def value(term: Term) -> Value:
        return _value(term, names)

    grouped = []
    for iri in sorted(by_predicate, key=lambda p: ((names.get(p) or p).lower(), p)):
        objects = sorted(by_predicate[iri], key=lambda t: (value(t).text.lower(), str(t)))
        grouped.append(PropertyValues(value(ox.NamedNode(iri)), tuple(value(o) for o in objects)))
    return tuple(grouped)


def describe(store: Store, iri: str, languages: Sequence[str]) -> Description | None:
    """The description of ``iri`` for a reader of ``languages``, or None when it is unknown."""
    triples = concise_bounded_description(store, iri)
    incoming = store.select(_INCOMING, bindings={"r": ox.NamedNode(iri)}, union_default_graph=True)
    if not triples and not incoming:
        return None
    subject = ox.NamedNode(iri)
    terms: list[Term] = [subject]
    for triple in triples:
        terms += [triple.predicate, triple.object]
    for row in incoming:
        terms += [row["s"], row["p"]]
    names = labels(store, terms, languages)
    own = [(t.predicate, t.object) for t in triples if t.subject == subject]
    blanks: dict[str, list[tuple[Term, Term]]] = defaultdict(list)
    for triple in triples:
        if isinstance(triple.subject, ox.BlankNode):
            blanks[triple.subject.value].append((triple.predicate, triple.object))
    types = sorted(
        (_value(o, names) for p, o in own if text(p) == RDF_TYPE), key=lambda v: v.text.lower()
    )
    links = [
        (_value(row["s"], names), _value(row["p"], names)) for row in incoming[:INCOMING_LIMIT]
    ]
    return Description(
        iri=iri,
        label=names.get(iri),
        types=tuple(types),
        properties=_group(own, names, skip_types=True),
        blank_nodes={b: _group(pairs, names, skip_types=False) for b, pairs in blanks.items()},
        incoming=tuple(links),
        more_incoming=len(incoming) > INCOMING_LIMIT,
    )


@dataclass(frozen=True)
class GraphSize:
    name: str
    triples: int


def dataset_overview(store: Store) -> list[GraphSize]:
    """How many triples each graph holds (the default graph first, when it holds any).

    >>> from kringloop.graph import OxigraphStore
    >>> s = OxigraphStore.memory()
    >>> s.update("INSERT DATA { GRAPH <http://e.org/g> { <http://e.org/a> a <http://e.org/C> } }")
    >>> dataset_overview(s)
    [GraphSize(name='http://e.org/g', triples=1)]
    """
    rows = store.select(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    )
    sizes = [GraphSize(row["g"].value, int(row["n"].value)) for row in rows]  # type: ignore[union-attr]
    default = store.count(ox.DefaultGraph())
    return ([GraphSize("(default graph)", default)] if default else []) + sizes
