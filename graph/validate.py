"""Checking data against the SHACL shapes (pySHACL).

Mandatory shapes (``sh:Violation``) refuse data; advisory shapes (``sh:Warning``) are reported
but never block a load. Data is checked as it arrives: only the nodes it describes are focus
nodes, and the types of the nodes it points to are taken from the store (or the bundled code
lists), so a file that links to organisations or code lists loaded earlier validates on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH, XSD

from kringloop.graph.binding import values_block
from kringloop.graph.errors import ValidationFailure, Violation
from kringloop.graph.store import Store
from kringloop.ontology import ONTOLOGY_DIR

#: Returns type triples (and whatever else shapes need) of IRIs the data points to.
ContextLookup = Callable[[list[ox.NamedNode]], Iterable[ox.Triple]]

VIOLATION_SHAPES = ONTOLOGY_DIR / "shapes" / "violation.ttl"
WARNING_SHAPES = ONTOLOGY_DIR / "shapes" / "warning.ttl"
ONTOLOGY_FILES = (ONTOLOGY_DIR / "kringloop.ttl", ONTOLOGY_DIR / "eforms.ttl")


@dataclass(frozen=True)
class Report:
    """The outcome of one validation: conforms unless a violation (not a warning) was found."""

    violations: list[Violation]

    @property
    def conforms(self) -> bool:
        return not any(v.severity == "Violation" for v in self.violations)

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == "Violation"]

    @property
    def warnings(self) -> list[Violation]:
        return [v for v in self.violations if v.severity != "Violation"]


def to_rdflib(quads: Iterable[ox.Quad | ox.Triple]) -> Graph:
    """An rdflib graph of the triples in ``quads`` (graph names dropped)."""
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    graph = Graph()
    if triples:
        graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    return graph


def store_context(store: Store) -> ContextLookup:
    """Look referenced IRIs up in ``store`` (all graphs): their types and labels."""

    def lookup(iris: list[ox.NamedNode]) -> Iterable[ox.Triple]:
        found: list[ox.Triple] = []
        for start in range(0, len(iris), 400):
            chunk: list[ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = list(
                iris[start : start + 400]
            )
            rows = store.select(
                f"SELECT ?s ?t WHERE {{ {values_block('s', chunk)} "
                "{ ?s a ?t } UNION { GRAPH ?g { ?s a ?t } } }"
            )
            rdf_type = ox.NamedNode(str(RDF.type))
            for row in rows:
                subject, kind = row["s"], row["t"]
                assert isinstance(subject, ox.NamedNode) and isinstance(kind, ox.NamedNode)
                found.append(ox.Triple(subject, rdf_type, kind))
        return found

    return lookup


def graph_context(graph: Graph) -> ContextLookup:
    """Look referenced IRIs up in an rdflib graph (e.g. the bundled code lists)."""

    def lookup(iris: list[ox.NamedNode]) -> Iterable[ox.Triple]:
        rdf_type = ox.NamedNode(str(RDF.type))
        return [
            ox.Triple(iri, rdf_type, ox.NamedNode(str(t)))
            for iri in iris
            for t in graph.objects(URIRef(iri.value), RDF.type)
            if isinstance(t, URIRef)
        ]

    return lookup


class ShapesValidator:
    """Validates quads against kringloop's shapes; callable as a load `Validator`.

    ``skip_graphs`` are graphs whose quads are vocabulary, not data (the ontology, the shapes).
    """

    def __init__(
        self,
        *,
        context: ContextLookup | None = None,
        skip_graphs: Sequence[ox.NamedNode] = (),
        shapes: Sequence[Path] = (VIOLATION_SHAPES, WARNING_SHAPES),
        ontology: Sequence[Path] = ONTOLOGY_FILES,
    ) -> None:
        self._context = context
        self._skip = set(skip_graphs)
        self._shape_files = [p for p in shapes if p.exists()]
        self._ontology_files = [p for p in ontology if p.exists()]

    @cached_property
    def shapes_graph(self) -> Graph:
        graph = Graph()
        for path in self._shape_files:
            graph.parse(path, format="turtle")
        return graph

    @cached_property
    def decimal_paths(self) -> frozenset[URIRef]:
        """The properties whose shapes expect ``xsd:decimal`` values."""
        return frozenset(
            path
            for shape in self.shapes_graph.subjects(SH.datatype, XSD.decimal)
            for path in self.shapes_graph.objects(shape, SH.path)
            if isinstance(path, URIRef)
        )

    @cached_property
    def ontology_graph(self) -> Graph:
        graph = Graph()
        for path in self._ontology_files:
            graph.parse(path, format="turtle")
        return graph

    def check(
        self,
        quads: Sequence[ox.Quad | ox.Triple],
        *,
        context_only: Iterable[ox.NamedNode] = (),
    ) -> Report:
        """Validate the nodes that ``quads`` describe, except ``context_only`` (nodes whose
        triples are there only to check others, e.g. who points to a node)."""
        data = [q for q in quads if not isinstance(q, ox.Quad) or q.graph_name not in self._skip]
        if not data or not self._shape_files:
            return Report([])
        # Blank nodes become IRIs (skolemised) so that they can be focus nodes too.
        graph = as_decimals(to_rdflib(data).skolemize(), self.decimal_paths)
        skip = {URIRef(node.value) for node in context_only}
        nodes = sorted(
            {s for s in graph.subjects() if isinstance(s, URIRef) and s not in skip}, key=str
        )
        if not nodes:
            return Report([])
        if self._context is not None:
            subjects = {q.subject for q in data}
            pointed = sorted(
                {q.object for q in data if isinstance(q.object, ox.NamedNode)} - subjects, key=str
            )
            for triple in self._context(pointed):
                graph.add((_rdflib(triple.subject), RDF.type, _rdflib(triple.object)))
        return self._run(graph, nodes)

    def _run(self, graph: Graph, focus: list[URIRef]) -> Report:
        # Not pySHACL's focus_nodes: with it, nested shapes on other nodes are skipped. The
        # whole graph is validated and only results about the data's own nodes are kept.
        from pyshacl import validate

        _, results, _ = validate(
            graph,
            shacl_graph=self.shapes_graph,
            ont_graph=self.ontology_graph,
            inference="none",
            allow_warnings=True,
        )
        assert isinstance(results, Graph)
        own = {str(node) for node in focus}
        return Report([v for v in read_results(results) if v.focus in own])

    def __call__(self, quads: Sequence[ox.Quad]) -> None:
        report = self.check(quads)
        if not report.conforms:
            raise ValidationFailure(report.errors)


#: xsd:integer and the types derived from it: their values are xsd:decimal values.
INTEGER_TYPES = frozenset(
    XSD[name]
    for name in (
        "integer",
        "long",
        "int",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    )
)


def as_decimals(graph: Graph, paths: frozenset[URIRef]) -> Graph:
    """``graph`` with integers given where a shape expects ``xsd:decimal`` read as the
    decimals they are (XSD derives ``xsd:integer`` from ``xsd:decimal``; SHACL's
    ``sh:datatype`` compares the datatype IRI, so ``120`` would fail where ``120.0`` passes).
    Only the check sees them so; the data is stored as it was written.

    >>> from rdflib import Namespace
    >>> e = Namespace("http://e.org/")
    >>> g = Graph(); _ = g.add((e.a, e.qty, Literal(120)))
    >>> [o.datatype.rsplit("#")[1] for o in as_decimals(g, frozenset({e.qty})).objects()]
    ['decimal']
    """
    changed = [
        (s, p, o)
        for s, p, o in graph.triples((None, None, None))
        if p in paths and isinstance(o, Literal) and o.datatype in INTEGER_TYPES
    ]
    for s, p, o in changed:
        graph.remove((s, p, o))
        graph.add((s, p, Literal(str(o), datatype=XSD.decimal)))
    return graph


def for_store(store: Store) -> ShapesValidator:
    """The validator for loads into ``store``: context from the store, vocabulary skipped."""
    from kringloop.graph.bundle import VOCABULARY_PARTS, graph_iri

    return ShapesValidator(
        context=store_context(store), skip_graphs=[graph_iri(p) for p in VOCABULARY_PARTS]
    )


def _rdflib(term: object) -> URIRef | Literal | BNode:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    assert isinstance(term, ox.Literal)
    return Literal(term.value)


def read_results(results: Graph) -> list[Violation]:
    """The validation results of a SHACL report graph, sorted for stable output."""
    found = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        severity = results.value(result, SH.resultSeverity)
        path = results.value(result, SH.resultPath)
        value = results.value(result, SH.value)
        shape = results.value(result, SH.sourceShape)
        found.append(
            Violation(
                focus=str(results.value(result, SH.focusNode)),
                path=str(path) if path is not None else None,
                message=str(results.value(result, SH.resultMessage) or "does not conform"),
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                shape=str(shape) if isinstance(shape, URIRef) else None,
                value=str(value) if value is not None else None,
            )
        )
    return sorted(
        found, key=lambda v: (v.severity != "Violation", v.focus, v.path or "", v.message)
    )
