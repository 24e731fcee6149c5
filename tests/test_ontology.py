"""The vocabulary, its shapes and its quality checks, tested as data.

Cases are files: adding a shape case (tests/shapes), a check (ontology/checks) with its bad
example (tests/checks) or an inconsistent example (tests/reasoner) adds a test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from pyshacl import validate
from rdflib import OWL, RDF, RDFS, SKOS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

import kringloop
from kringloop.ontology import ONTOLOGY_DIR

TESTS_DIR = Path(__file__).parent
GOLDEN = TESTS_DIR / "golden" / "golden.ttl"
SHAPE_CASES = sorted((TESTS_DIR / "shapes").glob("*.ttl"))
CHECK_CASES_DIR = TESTS_DIR / "checks"

VOCABULARY = ONTOLOGY_DIR / "kringloop.ttl"
#: The part of the vocabulary for procurement notices (eForms), in a file of its own.
EFORMS = ONTOLOGY_DIR / "eforms.ttl"
AXIOMS = ONTOLOGY_DIR / "axioms.ttl"
SHAPE_FILES = {
    "violation": ONTOLOGY_DIR / "shapes" / "violation.ttl",
    "warning": ONTOLOGY_DIR / "shapes" / "warning.ttl",
}
ONTOLOGY_FILES = [VOCABULARY, EFORMS, AXIOMS, *SHAPE_FILES.values()]
CHECKS = sorted((ONTOLOGY_DIR / "checks").glob("*-violation.rq"))
TURTLE_FILES = sorted(ONTOLOGY_DIR.rglob("*.ttl")) + sorted(GOLDEN.parent.glob("*.ttl"))

KL = Namespace("https://w3id.org/kringloop/ns#")
KLS = Namespace("https://w3id.org/kringloop/shapes#")
SH = Namespace("http://www.w3.org/ns/shacl#")
VANN = Namespace("http://purl.org/vocab/vann/")
DCTERMS = Namespace("http://purl.org/dc/terms/")
CC_BY_4 = URIRef("https://creativecommons.org/licenses/by/4.0/")
CASE_NAME = re.compile(r"^(?P<shape>[A-Za-z]+Shape)-(?:valid|invalid-[a-z0-9]+(?:-[a-z0-9]+)*)$")
HEADER_KEYS = {"summary", "description", "tags"}


@dataclass(frozen=True)
class Result:
    """One SHACL validation result, reduced to what the tests look at."""

    focus: Node | None
    source_shape: Node | None
    message: str


def parse(*paths: Path) -> Graph:
    graph = Graph()
    for path in paths:
        graph.parse(path, format="turtle")
    return graph


def kl_terms(vocabulary: Graph, *kinds: URIRef) -> set[URIRef]:
    """The kl: IRIs declared in the vocabulary with one of the given OWL types."""
    return {
        term
        for kind in kinds
        for term in vocabulary.subjects(RDF.type, kind)
        if isinstance(term, URIRef) and term.startswith(str(KL))
    }


def shacl_results(data: Graph, shapes: Graph, ontology: Graph, inference: str) -> list[Result]:
    _conforms, report, _text = validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference=inference
    )
    assert isinstance(report, Graph)
    return [
        Result(
            focus=report.value(result, SH.focusNode),
            source_shape=report.value(result, SH.sourceShape),
            message=str(report.value(result, SH.resultMessage)),
        )
        for result in report.subjects(RDF.type, SH.ValidationResult)
    ]


def check_rows(check: Path, *files: Path) -> list[ox.QuerySolution]:
    """Run a check query over the union of the files, each loaded into its own named graph."""
    store = ox.Store()
    for number, path in enumerate(files):
        graph = ox.NamedNode(f"urn:kringloop:test:{number}")
        store.load(path=path, format=ox.RdfFormat.TURTLE, to_graph=graph)
    solutions = store.query(check.read_text(encoding="utf-8"), use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    return list(solutions)


@pytest.fixture(scope="module")
def vocabulary() -> Graph:
    return parse(VOCABULARY, EFORMS)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    """The vocabulary: the ontology graph that SHACL validation is given, as the service does
    (kringloop.graph.validate). It supplies the class hierarchy; the reasoning axioms add
    nothing that RDFS inference reads, only thousands of triples to copy per validation."""
    return parse(VOCABULARY, EFORMS)


@pytest.fixture(scope="module")
def golden() -> Graph:
    return parse(GOLDEN)


@pytest.fixture(scope="module")
def shapes() -> dict[str, Graph]:
    return {kind: parse(path) for kind, path in SHAPE_FILES.items()}


# ---------------------------------------------------------------- files and headers


@pytest.mark.parametrize("path", TURTLE_FILES, ids=lambda path: path.name)
def test_turtle_parses(path: Path) -> None:
    assert len(parse(path)) > 0


@pytest.mark.parametrize("path", ONTOLOGY_FILES, ids=lambda path: path.name)
def test_one_ontology_per_file_with_package_version(path: Path) -> None:
    graph = parse(path)
    ontologies = list(graph.subjects(RDF.type, OWL.Ontology))
    assert len(ontologies) == 1, f"{path.name}: expected one owl:Ontology, found {ontologies}"
    assert graph.value(ontologies[0], OWL.versionInfo) == Literal(kringloop.__version__)


def test_vocabulary_header(vocabulary: Graph) -> None:
    ontology = URIRef("https://w3id.org/kringloop/ns")
    assert (ontology, RDF.type, OWL.Ontology) in vocabulary
    languages = {
        title.language
        for title in vocabulary.objects(ontology, DCTERMS.title)
        if isinstance(title, Literal)
    }
    assert {"en", "nl"} <= languages
    assert vocabulary.value(ontology, DCTERMS.description) is not None
    assert vocabulary.value(ontology, DCTERMS.license) == CC_BY_4
    assert vocabulary.value(ontology, VANN.preferredNamespacePrefix) == Literal("kl")


# ---------------------------------------------------------------- terms


@pytest.mark.parametrize("predicate", [RDFS.label, SKOS.definition], ids=["label", "definition"])
@pytest.mark.parametrize("language", ["en", "nl", "fr"])
def test_every_term_has_label_and_definition(
    vocabulary: Graph, predicate: URIRef, language: str
) -> None:
    terms = kl_terms(vocabulary, OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    missing = sorted(
        term
        for term in terms
        if not any(
            isinstance(text, Literal) and text.language == language
            for text in vocabulary.objects(term, predicate)
        )
    )
    assert terms
    assert not missing, f"no {predicate.n3(vocabulary.namespace_manager)}@{language}: {missing}"


def test_vocabulary_metadata(vocabulary: Graph) -> None:
    """Version IRI (ending in the package version), creator, licence and dates, as OBO and
    Linked Open Vocabularies expect of a published vocabulary."""
    ontology = URIRef("https://w3id.org/kringloop/ns")
    version_iri = vocabulary.value(ontology, OWL.versionIRI)
    assert version_iri == URIRef(f"{ontology}/{kringloop.__version__}")
    for predicate in (DCTERMS.creator, DCTERMS.created, DCTERMS.modified, DCTERMS.license):
        assert vocabulary.value(ontology, predicate) is not None, predicate
    created = vocabulary.value(ontology, DCTERMS.created)
    modified = vocabulary.value(ontology, DCTERMS.modified)
    assert isinstance(created, Literal) and isinstance(modified, Literal)
    assert created.toPython() <= modified.toPython()


def test_every_term_is_defined_by_the_vocabulary(vocabulary: Graph) -> None:
    terms = kl_terms(
        vocabulary, OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty
    )
    ontology = URIRef("https://w3id.org/kringloop/ns")
    missing = sorted(t for t in terms if (t, RDFS.isDefinedBy, ontology) not in vocabulary)
    assert terms and not missing, f"no rdfs:isDefinedBy <{ontology}>: {missing}"


def test_every_kind_of_process_names_its_cycle(vocabulary: Graph) -> None:
    """Technical or biological (or both, for take-back and collection): kl:processCycle."""
    cycle = "https://w3id.org/kringloop/id/cycle/"
    kinds = set(vocabulary.subjects(RDFS.subClassOf, KL.Process))
    assert {KL.Composting, KL.AnaerobicDigestion, KL.Cascading} <= kinds
    for kind in kinds:
        cycles = {str(c) for c in vocabulary.objects(kind, KL.processCycle)}
        assert cycles and cycles <= {cycle + "technical", cycle + "biological"}, kind
    for kind in (KL.Composting, KL.AnaerobicDigestion, KL.Cascading):
        assert {str(c) for c in vocabulary.objects(kind, KL.processCycle)} == {cycle + "biological"}


def test_the_loop_verdict_knows_every_kind_of_process(vocabulary: Graph) -> None:
    """Each kind of process makes a role, is named in three languages, and the biological ones
    are the verdict's biological processes: a process the ontology allows is never dropped."""
    from kringloop.queries import words
    from kringloop.queries.loop import kinds as loop_kinds

    found = {str(k) for k in vocabulary.subjects(RDFS.subClassOf, KL.Process)}
    assert found == set(loop_kinds.PROCESS_CLASSES)
    biological = {
        str(k)
        for k in found
        if {str(c) for c in vocabulary.objects(URIRef(k), KL.processCycle)}
        == {"https://w3id.org/kringloop/id/cycle/biological"}
    }
    assert biological == set(loop_kinds.BIOLOGICAL_PROCESSES)
    for kind in found:
        name = kind.rsplit("#", 1)[1]
        assert f"process.{name}" in words.WORDS, name
        assert loop_kinds.role_of(kind) in words.WORDS, name


def test_labels_are_unique_per_language(vocabulary: Graph) -> None:
    terms = kl_terms(vocabulary, OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    seen: dict[tuple[str, str | None], URIRef] = {}
    clashes = []
    for term in sorted(terms):
        for label in vocabulary.objects(term, RDFS.label):
            assert isinstance(label, Literal)
            key = (str(label), label.language)
            if key in seen:
                clashes.append(f"{seen[key]} and {term}: {label.n3()}")
            seen[key] = term
    assert not clashes, clashes


def test_every_property_has_domain_and_range(vocabulary: Graph) -> None:
    properties = kl_terms(vocabulary, OWL.ObjectProperty, OWL.DatatypeProperty)
    incomplete = sorted(
        term
        for term in properties
        if vocabulary.value(term, RDFS.domain) is None or vocabulary.value(term, RDFS.range) is None
    )
    assert not incomplete, f"properties without rdfs:domain or rdfs:range: {incomplete}"


def test_object_and_datatype_properties_are_apart(vocabulary: Graph) -> None:
    both = kl_terms(vocabulary, OWL.ObjectProperty) & kl_terms(vocabulary, OWL.DatatypeProperty)
    assert not both


# ---------------------------------------------------------------- quality checks


@pytest.mark.parametrize("check", CHECKS, ids=lambda path: path.stem)
def test_check_header(check: Path) -> None:
    lines = check.read_text(encoding="utf-8").splitlines()
    header = "\n".join(line[3:] for line in lines if line.startswith("#+ "))
    metadata = yaml.safe_load(header)
    assert isinstance(metadata, dict), f"{check.name}: no #+ YAML header"
    assert set(metadata) <= HEADER_KEYS, f"{check.name}: unknown keys {set(metadata) - HEADER_KEYS}"
    assert isinstance(metadata.get("summary"), str) and metadata["summary"].strip()


@pytest.mark.parametrize("check", CHECKS, ids=lambda path: path.stem)
def test_check_finds_nothing_in_ontology_and_golden(check: Path) -> None:
    rows = check_rows(check, *ONTOLOGY_FILES, GOLDEN)
    assert not rows, f"{check.name}: {[str(row) for row in rows]}"


@pytest.mark.parametrize("check", CHECKS, ids=lambda path: path.stem)
def test_check_finds_its_bad_example(check: Path) -> None:
    bad = CHECK_CASES_DIR / f"{check.stem}.ttl"
    assert bad.is_file(), (
        f"add {bad.relative_to(TESTS_DIR)}: a small example that {check.name} must flag"
    )
    assert check_rows(check, *ONTOLOGY_FILES, bad)


# ---------------------------------------------------------------- golden dataset


def inferred_classes(axioms: Graph) -> set[Node]:
    """The named classes whose members axioms.ttl infers: defined classes (owl:equivalentClass)
    and the superclasses of general class inclusions (a class expression rdfs:subClassOf C)."""
    defined = set(axioms.subjects(OWL.equivalentClass, None))
    included = {
        superclass
        for subclass, superclass in axioms.subject_objects(RDFS.subClassOf)
        if isinstance(subclass, BNode) and isinstance(superclass, URIRef)
    }
    return defined | included


def test_golden_uses_every_class(vocabulary: Graph, golden: Graph) -> None:
    """Every class has an asserted instance (of itself or a subclass); inferred classes excepted.

    Inferred classes (defined or included in axioms.ttl) are never asserted: the reasoner tests
    check that each has an inferred member in the golden data.
    """
    defined = inferred_classes(parse(AXIOMS))
    assert KL.ClosedLoopOffer in defined and KL.Processor in defined
    used: set[Node | None] = set()
    for asserted in set(golden.objects(None, RDF.type)):
        used.update(vocabulary.transitive_objects(asserted, RDFS.subClassOf))
    unused = sorted(kl_terms(vocabulary, OWL.Class) - defined - used)
    assert not unused, f"classes the golden data does not use: {unused}"


def test_golden_uses_every_property(vocabulary: Graph, golden: Graph) -> None:
    properties = kl_terms(vocabulary, OWL.ObjectProperty, OWL.DatatypeProperty)
    unused = sorted(properties - set(golden.predicates()))
    assert not unused, f"properties the golden data does not use: {unused}"


@pytest.mark.parametrize("inference", ["none", "rdfs"])
@pytest.mark.parametrize("kind", list(SHAPE_FILES))
def test_golden_conforms(
    golden: Graph, shapes: dict[str, Graph], ontology: Graph, kind: str, inference: str
) -> None:
    results = shacl_results(golden, shapes[kind], ontology, inference)
    assert not results, "\n".join(f"{r.focus}: {r.message}" for r in results)


# ---------------------------------------------------------------- shape cases


def node_shapes(shapes: dict[str, Graph]) -> dict[str, str]:
    """Local name of every node shape, mapped to the kind of file it is in."""
    return {
        str(shape).removeprefix(str(KLS)): kind
        for kind, graph in shapes.items()
        for shape in graph.subjects(RDF.type, SH.NodeShape)
    }


def own_shapes(shapes: Graph, shape: URIRef) -> set[Node]:
    """A node shape and its property shapes: the sources a failure on that shape can have."""
    return {shape, *shapes.objects(shape, SH.property)}


def test_every_shape_has_a_valid_and_an_invalid_case(shapes: dict[str, Graph]) -> None:
    stems = {case.stem for case in SHAPE_CASES}
    missing = []
    for name in sorted(node_shapes(shapes)):
        if f"{name}-valid" not in stems:
            missing.append(f"{name}-valid.ttl")
        if not any(stem.startswith(f"{name}-invalid-") for stem in stems):
            missing.append(f"{name}-invalid-{{why}}.ttl")
    assert not missing, f"add shape cases to tests/shapes: {missing}"


@pytest.mark.parametrize("case", SHAPE_CASES, ids=lambda path: path.stem)
def test_shape_case_is_named_and_explained(case: Path, shapes: dict[str, Graph]) -> None:
    match = CASE_NAME.match(case.stem)
    assert match, f"{case.name}: name it {{ShapeLocalName}}-valid or -invalid-{{why}}"
    assert match["shape"] in node_shapes(shapes), f"{case.name}: no shape kls:{match['shape']}"
    first_line = case.read_text(encoding="utf-8").splitlines()[0]
    assert re.match(r"^# \S", first_line), f"{case.name}: the first line must say why, as a comment"


@pytest.mark.parametrize("case", SHAPE_CASES, ids=lambda path: path.stem)
def test_shape_case(case: Path, shapes: dict[str, Graph], ontology: Graph) -> None:
    """A valid case raises nothing; an invalid case fails, and only on the shape it is named after.

    Cases are validated without inference, against the file their shape is in, so that sh:class
    checks see only the types the case states.
    """
    match = CASE_NAME.match(case.stem)
    assert match
    kind = node_shapes(shapes)[match["shape"]]
    shape = KLS[match["shape"]]
    results = shacl_results(parse(case), shapes[kind], ontology, "none")
    if case.stem.endswith("-valid"):
        assert not results, "\n".join(f"{r.focus}: {r.message}" for r in results)
        return
    assert results, f"{case.name} should fail on {shape.n3()} but conforms"
    strangers = [r for r in results if r.source_shape not in own_shapes(shapes[kind], shape)]
    assert not strangers, f"{case.name} also fails elsewhere: {[r.message for r in strangers]}"
