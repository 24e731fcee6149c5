"""OWL reasoning with HermiT over the ontology and a data graph.

HermiT is complete for OWL 2 DL but slow: about 100 s for 10k individuals on these machines,
and no answer at 100k. It runs on demand (``kringloop reason``) over the ontology plus the
chosen data graphs, never on a request path. What it infers about individuals (class
memberships, property values) is written to its own named graph with PROV provenance.

HermiT runs as a Java process (the HermiT jar that owlready2 ships), in strict mode: it refuses
any datatype outside the OWL 2 datatype map instead of ignoring it. The reasoner's input is the
store's triples with one change, `owl2_literal`: kringloop data types dates as ``xsd:date``
(outside the map; SHACL checks them), which HermiT is given as the ``xsd:dateTime`` at the start
of that day. Literals of any other datatype outside the map are left out of the input (no axiom
of the ontology reads them) and counted in the result.

Only what yields facts about individuals is computed: the class hierarchy, the types of the
individuals (realisation) and the object property values. Classifying the object and data
property hierarchies, which the owlready2 round trip also asked for, took most of the time on
the demo data and yields only schema facts, which are never written.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from kringloop.graph.bundle import graph_iri
from kringloop.graph.errors import KringloopError
from kringloop.graph.store import Store, text

KL = "https://w3id.org/kringloop/ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_TYPE = ox.NamedNode(RDF + "type")
OWL_INVERSE_OF = ox.NamedNode("http://www.w3.org/2002/07/owl#inverseOf")
PROV = "http://www.w3.org/ns/prov#"
HERMIT = ox.NamedNode("https://w3id.org/kringloop/id/software/hermit")
VOCABULARY = (graph_iri("ontology"),)

#: The datatypes of the OWL 2 datatype map (OWL 2 Structural Specification, section 4).
OWL2_DATATYPES = frozenset(
    [RDF + "PlainLiteral", RDF + "XMLLiteral", RDF + "langString"]
    + ["http://www.w3.org/2000/01/rdf-schema#Literal"]
    + ["http://www.w3.org/2002/07/owl#" + name for name in ("real", "rational")]
    + [
        XSD + name
        for name in [
            "decimal",
            "integer",
            "nonNegativeInteger",
            "nonPositiveInteger",
            "positiveInteger",
            "negativeInteger",
            "long",
            "int",
            "short",
            "byte",
            "unsignedLong",
            "unsignedInt",
            "unsignedShort",
            "unsignedByte",
            "double",
            "float",
            "string",
            "normalizedString",
            "token",
            "language",
            "Name",
            "NCName",
            "NMTOKEN",
            "boolean",
            "hexBinary",
            "base64Binary",
            "anyURI",
            "dateTime",
            "dateTimeStamp",
        ]
    ]
)
XSD_DATE = XSD + "date"
XSD_DATE_TIME = ox.NamedNode(XSD + "dateTime")
_DATE = re.compile(r"^(-?\d{4,}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})?$")

# What the HermiT command line prints (the same expressions owlready2 reads it with).
_TYPE_LINE = re.compile(r"^Type\( <([^>]+)> <([^>]+)> \)$", re.MULTILINE)
_PROPERTY_LINE = re.compile(
    r"^<([^>]+)> \(known instances:\s*(.*?)(?:\s*\|\s*)possible instances:\s*(.*?)\s*\)",
    re.MULTILINE,
)
_PAIR = re.compile(r"\(<([^>]+)>, <([^>]+)>\)")


class InconsistentData(KringloopError):
    """The ontology plus the data has no model: some facts contradict the axioms."""

    exit_code = 1

    def __init__(self, message: str, *, culprits: list[str]) -> None:
        self.culprits = culprits
        detail = "; ".join(culprits) if culprits else "no simple cause found"
        super().__init__(f"{message}: {detail}", hint="fix the listed individuals or axioms")


class ReasonerError(KringloopError):
    """HermiT could not be run, or failed for another reason than an inconsistency."""


@dataclass(frozen=True)
class Inference:
    """What one reasoner run produced."""

    graph: str
    inferred: int
    individuals: int
    seconds: float
    left_out: int = 0


@dataclass(frozen=True)
class ReasonerInput:
    """The triples HermiT is given, and how many literals were left out of them."""

    triples: list[ox.Triple]
    converted: int
    left_out: int


def owl2_literal(literal: ox.Literal) -> ox.Literal | None:
    """The literal as HermiT is given it: unchanged when its datatype is in the OWL 2 datatype
    map, an ``xsd:date`` as the ``xsd:dateTime`` at the start of that day, else ``None``.

    >>> owl2_literal(ox.Literal("2026-03-01", datatype=ox.NamedNode(XSD_DATE))).value
    '2026-03-01T00:00:00'
    >>> owl2_literal(ox.Literal("2026-03-01+01:00", datatype=ox.NamedNode(XSD_DATE))).value
    '2026-03-01T00:00:00+01:00'
    >>> owl2_literal(ox.Literal("12", datatype=ox.NamedNode(XSD + "integer"))).value
    '12'
    >>> owl2_literal(ox.Literal("2026", datatype=ox.NamedNode(XSD + "gYear"))) is None
    True
    """
    datatype = literal.datatype.value
    if datatype in OWL2_DATATYPES or literal.language:
        return literal
    if datatype == XSD_DATE:
        match = _DATE.match(literal.value)
        if match:
            return ox.Literal(f"{match[1]}T00:00:00{match[2] or ''}", datatype=XSD_DATE_TIME)
    return None


def reasoner_input(store: Store, graphs: Sequence[ox.NamedNode]) -> ReasonerInput:
    """The triples of ``graphs``, with every literal in the OWL 2 datatype map."""
    triples: list[ox.Triple] = []
    converted = left_out = 0
    for graph in graphs:
        for quad in store.quads(graph):
            obj = quad.object
            if isinstance(obj, ox.Literal):
                kept = owl2_literal(obj)
                if kept is None:
                    left_out += 1
                    continue
                converted += kept is not obj
                obj = kept
            triples.append(ox.Triple(quad.subject, quad.predicate, obj))
    return ReasonerInput(triples, converted, left_out)


def hermit_command(source: Path, *, java_memory_mb: int) -> list[str]:
    """The HermiT command line: classify classes (-c) and individuals (-I) and compute the
    object property values (-Y, owlready2's addition to the command line), strictly."""
    import owlready2  # for its bundled HermiT and the Java it was configured with

    hermit = Path(owlready2.__file__).parent / "hermit"
    classpath = f"{hermit}:{hermit / 'HermiT.jar'}"
    return [
        owlready2.JAVA_EXE,
        f"-Xmx{java_memory_mb}M",
        "-cp",
        classpath,
        "org.semanticweb.HermiT.cli.CommandLine",
        "-c",
        "-I",
        "-Y",
        source.as_uri(),
    ]


@dataclass(frozen=True)
class HermitAnswer:
    """What HermiT printed, read: the types of individuals and the object property values."""

    types: frozenset[tuple[str, str]]
    values: frozenset[tuple[str, str, str]]


def read_answer(output: str) -> HermitAnswer:
    """Read HermiT's printed classification.

    >>> answer = read_answer(
    ...     "Type( <urn:a> <urn:C> )\\n"
    ...     "<urn:p> (known instances: (<urn:a>, <urn:b>) | possible instances: )\\n"
    ... )
    >>> sorted(answer.types), sorted(answer.values)
    ([('urn:a', 'urn:C')], [('urn:a', 'urn:p', 'urn:b')])
    """
    types = frozenset(_TYPE_LINE.findall(output))
    values = frozenset(
        (a, prop, b)
        for prop, known, _possible in _PROPERTY_LINE.findall(output)
        for a, b in _PAIR.findall(known)
    )
    return HermitAnswer(types, values)


def run_hermit(triples: Iterable[ox.Triple], *, java_memory_mb: int = 2000) -> str:
    """Run HermiT over ``triples``; return what it printed.

    Raises `InconsistentData` (without culprits) when the triples have no model, and
    `ReasonerError` when Java or HermiT fails otherwise.
    """
    with tempfile.TemporaryDirectory(prefix="kringloop-reason-") as tmp:
        source = Path(tmp) / "input.nt"
        source.write_bytes(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"")
        command = hermit_command(source, java_memory_mb=java_memory_mb)
        try:
            completed = subprocess.run(command, capture_output=True, check=False)
        except OSError as err:
            raise ReasonerError(
                f"cannot start Java for HermiT ({command[0]}): {err}",
                hint="install a Java runtime (make sysdeps)",
            ) from err
    output = completed.stdout.decode("utf-8", errors="replace")
    if completed.returncode != 0:
        message = (output + completed.stderr.decode("utf-8", errors="replace")).strip()
        if completed.returncode == 1 and "Inconsistent ontology" in message:
            raise InconsistentData("the ontology and data are inconsistent", culprits=[])
        raise ReasonerError(
            f"HermiT failed (exit {completed.returncode}): {message[-2000:]}",
            hint="a datatype outside the OWL 2 datatype map or a non-DL axiom is the usual cause",
        )
    return output


def new_facts(answer: HermitAnswer, asserted: Sequence[ox.Triple]) -> list[ox.Triple]:
    """The facts HermiT found about individuals that are not asserted: memberships of kringloop
    classes and values of kringloop object properties between IRIs, sorted."""
    known = {(t.subject, t.predicate, t.object) for t in asserted}
    inverse: dict[str, set[str]] = {}
    for t in asserted:
        s, o = t.subject, t.object
        if (
            t.predicate == OWL_INVERSE_OF
            and isinstance(s, ox.NamedNode)
            and isinstance(o, ox.NamedNode)
        ):
            inverse.setdefault(s.value, set()).add(o.value)
            inverse.setdefault(o.value, set()).add(s.value)
    facts: set[tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode]] = set()
    for individual, cls in answer.types:
        if cls.startswith(KL):
            triple = (ox.NamedNode(individual), RDF_TYPE, ox.NamedNode(cls))
            if triple not in known:
                facts.add(triple)
    for a, prop, b in answer.values:
        if not prop.startswith(KL):
            continue
        s, p, o = ox.NamedNode(a), ox.NamedNode(prop), ox.NamedNode(b)
        if (s, p, o) in known:
            continue
        if any((o, ox.NamedNode(q), s) in known for q in inverse.get(prop, ())):
            continue
        facts.add((s, p, o))
    return [
        ox.Triple(*t) for t in sorted(facts, key=lambda t: (t[0].value, t[1].value, t[2].value))
    ]


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


def infer(
    store: Store, data_graphs: Sequence[ox.NamedNode], *, java_memory_mb: int = 2000
) -> tuple[list[ox.Triple], ReasonerInput]:
    """What HermiT infers about the individuals of the ontology plus ``data_graphs``."""
    given = reasoner_input(store, [*VOCABULARY, *data_graphs])
    try:
        output = run_hermit(given.triples, java_memory_mb=java_memory_mb)
    except InconsistentData as err:
        raise InconsistentData(
            "the ontology and data are inconsistent", culprits=diagnose(store, data_graphs)
        ) from err
    return new_facts(read_answer(output), given.triples), given


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
    target = target or graph_iri("inferred")
    started = datetime.now(UTC)
    clock = time.perf_counter()
    facts, given = infer(store, data_graphs, java_memory_mb=java_memory_mb)
    individuals = len(
        {
            t.subject
            for t in given.triples
            if t.predicate == RDF_TYPE
            and isinstance(t.object, ox.NamedNode)
            and t.object.value.startswith(KL)
        }
    )
    seconds = time.perf_counter() - clock
    quads = [ox.Quad(t.subject, t.predicate, t.object, target) for t in facts]
    quads += _provenance(target, data_graphs, started, len(quads))
    store.replace_graph(target, quads)
    return Inference(target.value, len(quads), individuals, seconds, given.left_out)


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
        q(HERMIT, "http://www.w3.org/2000/01/rdf-schema#label", ox.Literal("HermiT")),
        q(
            target,
            "http://www.w3.org/2000/01/rdf-schema#comment",
            ox.Literal(f"{count} inferred facts"),
        ),
    ]
    facts += [q(activity, PROV + "used", g) for g in used]
    return facts
