"""OWL reasoning with HermiT (through owlready2) over the ontology and a data graph.

HermiT is complete for OWL 2 DL but slow: about 100 s for 10k individuals on these machines,
and no answer at 100k. It runs on demand (``kringloop reason``) over the ontology plus the
chosen data graphs, never on a request path. What it infers about individuals (class
memberships, property values) is written to its own named graph with PROV provenance.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from kringloop.graph.bundle import graph_iri
from kringloop.graph.errors import KringloopError
from kringloop.graph.store import Store, text

KL = "https://w3id.org/kringloop/ns#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PROV = "http://www.w3.org/ns/prov#"
HERMIT = ox.NamedNode("https://w3id.org/kringloop/id/software/hermit")
VOCABULARY = (graph_iri("ontology"),)


class InconsistentData(KringloopError):
    """The ontology plus the data has no model: some facts contradict the axioms."""

    exit_code = 1

    def __init__(self, message: str, *, culprits: list[str]) -> None:
        self.culprits = culprits
        detail = "; ".join(culprits) if culprits else "no simple cause found"
        super().__init__(f"{message}: {detail}", hint="fix the listed individuals or axioms")


@dataclass(frozen=True)
class Inference:
    """What one reasoner run produced."""

    graph: str
    inferred: int
    individuals: int
    seconds: float


def _ntriples(store: Store, graphs: Sequence[ox.NamedNode]) -> bytes:
    triples = [ox.Triple(q.subject, q.predicate, q.object) for g in graphs for q in store.quads(g)]
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""


def _is_individual_fact(triple: tuple[object, object, object]) -> bool:
    """Keep memberships in and links between individuals in kringloop terms; drop TBox facts,
    literals and blank nodes."""
    from rdflib import URIRef

    if not all(isinstance(t, URIRef) for t in triple):
        return False
    _, p, o = (str(t) for t in triple)
    if p == RDF_TYPE.value:
        return o.startswith(KL)
    return p.startswith(KL)


def diagnose(store: Store, graphs: Sequence[ox.NamedNode]) -> list[str]:
    """Likely causes of an inconsistency, found by SPARQL: members of disjoint classes and
    individuals with several values of a functional property."""
    chosen = list(graphs) + list(VOCABULARY)
    disjoint = store.select(
        """PREFIX owl: <http://www.w3.org/2002/07/owl#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        SELECT DISTINCT ?x ?a ?b WHERE {
          { ?a owl:disjointWith ?b }
          UNION { ?all a owl:AllDisjointClasses ; owl:members ?list .
                  ?list rdf:rest*/rdf:first ?a , ?b . FILTER(?a != ?b && STR(?a) < STR(?b)) }
          ?x a/rdfs:subClassOf* ?a . ?x a/rdfs:subClassOf* ?b .
        } ORDER BY ?x""",
        default_graphs=chosen,
    )
    functional = store.select(
        """PREFIX owl: <http://www.w3.org/2002/07/owl#>
        SELECT DISTINCT ?x ?p WHERE {
          ?p a owl:FunctionalProperty . ?x ?p ?v1 , ?v2 . FILTER(?v1 != ?v2)
        } ORDER BY ?x""",
        default_graphs=chosen,
    )
    causes = [
        f"{text(r['x'])} is both a {text(r['a'])} and a {text(r['b'])}, which are disjoint"
        for r in disjoint
    ]
    causes += [
        f"{text(r['x'])} has several values of functional {text(r['p'])}" for r in functional
    ]
    return causes


def reason(
    store: Store,
    data_graphs: Sequence[ox.NamedNode],
    *,
    target: ox.NamedNode | None = None,
    java_memory_mb: int = 2000,
) -> Inference:
    """Run HermiT over the ontology and ``data_graphs``; write the inferences to ``target``.

    Raises `InconsistentData` (naming the individuals involved where a simple cause is
    found) when the data contradicts the ontology; the store is then left unchanged.
    """
    import owlready2

    target = target or graph_iri("inferred")
    started = datetime.now(UTC)
    clock = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kringloop-reason-") as tmp:
        source = Path(tmp) / "input.nt"
        source.write_bytes(_ntriples(store, [*VOCABULARY, *data_graphs]))
        world = owlready2.World()
        owlready2.JAVA_MEMORY = java_memory_mb
        onto = world.get_ontology(source.as_uri()).load()
        before = set(world.as_rdflib_graph())
        try:
            with onto:
                owlready2.sync_reasoner_hermit(
                    world, infer_property_values=True, debug=0, ignore_unsupported_datatypes=True
                )
        except owlready2.OwlReadyInconsistentOntologyError as err:
            raise InconsistentData(
                "the ontology and data are inconsistent", culprits=diagnose(store, data_graphs)
            ) from err
        after = set(world.as_rdflib_graph())
        new = sorted(t for t in after - before if _is_individual_fact(t))
        individuals = len(
            {str(s) for s, p, o in before if str(p) == RDF_TYPE.value and str(o).startswith(KL)}
        )
        world.close()
    seconds = time.perf_counter() - clock
    quads = [
        ox.Quad(ox.NamedNode(str(s)), ox.NamedNode(str(p)), ox.NamedNode(str(o)), target)
        for s, p, o in new
    ]
    quads += _provenance(target, data_graphs, started, len(quads))
    store.replace_graph(target, quads)
    return Inference(target.value, len(quads), individuals, seconds)


def _provenance(
    target: ox.NamedNode, used: Sequence[ox.NamedNode], started: datetime, count: int
) -> list[ox.Quad]:
    activity = ox.NamedNode(f"{target.value}/activity/{started.strftime('%Y%m%dT%H%M%S%f')}")
    stamp = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")

    def q(s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal) -> ox.Quad:
        return ox.Quad(s, ox.NamedNode(p), o, target)

    ended = datetime.now(UTC)
    facts = [
        q(target, RDF_TYPE.value, ox.NamedNode(PROV + "Entity")),
        q(target, PROV + "wasGeneratedBy", activity),
        q(activity, RDF_TYPE.value, ox.NamedNode(PROV + "Activity")),
        q(activity, PROV + "wasAssociatedWith", HERMIT),
        q(activity, PROV + "startedAtTime", ox.Literal(started.isoformat(), datatype=stamp)),
        q(activity, PROV + "endedAtTime", ox.Literal(ended.isoformat(), datatype=stamp)),
        q(HERMIT, RDF_TYPE.value, ox.NamedNode(PROV + "SoftwareAgent")),
        q(HERMIT, "http://www.w3.org/2000/01/rdf-schema#label", ox.Literal("HermiT (owlready2)")),
        q(
            target,
            "http://www.w3.org/2000/01/rdf-schema#comment",
            ox.Literal(f"{count} inferred facts"),
        ),
    ]
    facts += [q(activity, PROV + "used", g) for g in used]
    return facts
