"""HermiT over the vocabulary, the axioms, the golden data and the demo data.

HermiT runs as kringloop runs it (`kringloop.graph.reason`): strictly, without ignoring
unsupported datatypes, on input in which every xsd:date is given as an xsd:dateTime. The old
path through owlready2 (a World per run, HermiT with --ignoreUnsupportedDatatypes) is kept here
only to show that the new path infers exactly the same facts on the golden data.

The demo data (code lists, seed and market) is reasoned over once per module, through
`kringloop.graph.reason` as `kringloop reason` does; which of its offers are closed-loop capable
is a snapshot, ``tests/snapshots/reasoner-closed-loop-offers.json`` (regenerate with
``KRINGLOOP_UPDATE_SNAPSHOTS=1`` and review the diff).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import OWL, RDF, RDFS, BNode, Graph, URIRef

from kringloop.graph import OxigraphStore
from kringloop.graph.bundle import data_graphs, graph_iri, initialise
from kringloop.graph.reason import (
    InconsistentData,
    ReasonerError,
    hermit_command,
    new_facts,
    read_answer,
    reasoner_input,
    run_hermit,
)
from kringloop.graph.reason import reason as reason_in_store
from kringloop.graph.store import text
from kringloop.ontology import ONTOLOGY_DIR

pytestmark = pytest.mark.reasoner

TESTS_DIR = Path(__file__).parent
VOCABULARY = ONTOLOGY_DIR / "kringloop.ttl"
EFORMS = ONTOLOGY_DIR / "eforms.ttl"
AXIOMS = ONTOLOGY_DIR / "axioms.ttl"
GOLDEN = TESTS_DIR / "golden" / "golden.ttl"
INCONSISTENT_CASES = sorted((TESTS_DIR / "reasoner").glob("inconsistent*.ttl"))
PROFILE_CHECK = TESTS_DIR / "reasoner" / "OWL2DLProfileCheck.java"
CLOSED_LOOP_CHECK = ONTOLOGY_DIR / "checks" / "closed-loop-offer-violation.rq"
DEMO_SNAPSHOT = TESTS_DIR / "snapshots" / "reasoner-closed-loop-offers.json"

KL = "https://w3id.org/kringloop/ns#"
SUBCLASS_LINE = re.compile(r"^SubClassOf\( <([^>]+)> <([^>]+)> \)$", re.MULTILINE)
OFFER = "https://example.org/kringloop/id/offer/"
ORGANISATION = "https://example.org/kringloop/id/organisation/"


def load_world(tmp_path: Path, *turtle_files: Path) -> Any:
    """A fresh owlready2 World holding the given Turtle files (the old reasoning path)."""
    import owlready2

    world = owlready2.World()
    for number, path in enumerate(turtle_files):
        ntriples = tmp_path / f"{number}-{path.stem}.nt"
        Graph().parse(path, format="turtle").serialize(ntriples, format="nt", encoding="utf-8")
        world.get_ontology(ntriples.as_uri()).load()
    return world


def store_of(*turtle_files: Path) -> OxigraphStore:
    """An in-memory store with each file in the graph kringloop gives its part."""
    store = OxigraphStore.memory()
    for path in turtle_files:
        graph = (
            graph_iri("ontology")
            if path in (VOCABULARY, EFORMS, AXIOMS)
            else ox.NamedNode(path.as_uri())
        )
        store.raw.load(path=path, format=ox.RdfFormat.TURTLE, to_graph=graph)
    return store


@dataclass(frozen=True)
class Classified:
    """HermiT's answer over some files: the taxonomy, the types and the inferred facts."""

    output: str
    asserted: frozenset[tuple[str, str]]
    new: frozenset[tuple[str, str, str]]

    def superclasses(self) -> dict[str, set[str]]:
        parents: dict[str, set[str]] = {}
        for sub, sup in SUBCLASS_LINE.findall(self.output):
            parents.setdefault(sub, set()).add(sup)
        return parents

    def members(self, class_iri: str) -> set[str]:
        """IRIs of the asserted and inferred instances of a class (through subclasses)."""
        parents = self.superclasses()

        def above(cls: str) -> set[str]:
            seen, todo = {cls}, [cls]
            while todo:
                for sup in parents.get(todo.pop(), ()):
                    if sup not in seen:
                        seen.add(sup)
                        todo.append(sup)
            return seen

        typed = set(read_answer(self.output).types) | set(self.asserted)
        return {ind for ind, cls in typed if class_iri in above(cls)}


def classify(*turtle_files: Path) -> Classified:
    """Run HermiT, strictly, over the files as kringloop would."""
    store = store_of(*turtle_files)
    graphs = [g for g in store.graphs() if isinstance(g, ox.NamedNode)]
    given = reasoner_input(store, graphs)
    start = time.perf_counter()
    output = run_hermit(given.triples)
    print(f"HermiT on {[p.name for p in turtle_files]}: {time.perf_counter() - start:.2f} s")
    facts = new_facts(read_answer(output), given.triples)
    asserted = frozenset(
        (t.subject.value, t.object.value)
        for t in given.triples
        if t.predicate.value == str(RDF.type)
        and isinstance(t.subject, ox.NamedNode)
        and isinstance(t.object, ox.NamedNode)
    )
    new = frozenset((f.subject.value, f.predicate.value, f.object.value) for f in facts)  # type: ignore[union-attr]
    return Classified(output, asserted, new)


def inferred_classes() -> list[str]:
    """Named classes whose members the axioms infer: defined classes (owl:equivalentClass) and
    superclasses of general class inclusions (a class expression rdfs:subClassOf C)."""
    axioms = Graph().parse(AXIOMS)
    defined = {str(c) for c in axioms.subjects(OWL.equivalentClass, None)}
    included = {
        str(sup)
        for sub, sup in axioms.subject_objects(RDFS.subClassOf)
        if isinstance(sub, BNode) and isinstance(sup, URIRef)
    }
    return sorted(defined | included)


def check_rows(store: ox.Store) -> list[str]:
    """Offers the SPARQL version of the closed-loop condition flags, over the whole store."""
    solutions = store.query(
        CLOSED_LOOP_CHECK.read_text(encoding="utf-8"), use_default_graph_as_union=True
    )
    assert isinstance(solutions, ox.QuerySolutions)
    return [str(row["offer"]) for row in solutions]


@pytest.fixture(scope="module")
def golden_world() -> Classified:
    """The golden data with the vocabulary and axioms, reasoned over once for this module."""
    return classify(VOCABULARY, EFORMS, AXIOMS, GOLDEN)


def owlready2_inferences(tmp_path: Path, *turtle_files: Path) -> set[tuple[str, str, str]]:
    """What the old path wrote: owlready2's World before and after HermiT (run with
    --ignoreUnsupportedDatatypes, as it was), kringloop facts between IRIs only."""
    import owlready2
    from rdflib import URIRef

    world = load_world(tmp_path, *turtle_files)
    before = set(world.as_rdflib_graph())
    owlready2.sync_reasoner(
        world, infer_property_values=True, debug=0, ignore_unsupported_datatypes=True
    )
    after = set(world.as_rdflib_graph())
    new = set()
    for triple in after - before:
        if not all(isinstance(t, URIRef) for t in triple):
            continue
        s, p, o = (str(t) for t in triple)
        if (p == str(RDF.type) and o.startswith(KL)) or (p != str(RDF.type) and p.startswith(KL)):
            new.add((s, p, o))
    world.close()
    return new


def test_inferences_are_those_of_the_owlready2_path(
    tmp_path: Path, golden_world: Classified
) -> None:
    """The direct HermiT run infers exactly the facts the owlready2 round trip inferred."""
    old = owlready2_inferences(tmp_path, VOCABULARY, EFORMS, AXIOMS, GOLDEN)
    assert old, "the golden data should yield inferences"
    assert set(golden_world.new) == old, sorted(set(golden_world.new) ^ old)


def test_hermit_runs_strictly(tmp_path: Path) -> None:
    """HermiT is not told to ignore unsupported datatypes: the raw golden data, with its
    xsd:date literals, is refused; the reasoner's input (dates as xsd:dateTime) is not."""
    store = store_of(VOCABULARY, EFORMS, AXIOMS, GOLDEN)
    raw = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.raw.quads_for_pattern(None, None, None, None)
    ]
    with pytest.raises(ReasonerError, match="datatype"):
        run_hermit(raw)
    assert "--ignoreUnsupportedDatatypes" not in hermit_command(tmp_path / "x.nt", java_memory_mb=1)


def test_ontology_and_golden_are_owl2_dl(tmp_path: Path) -> None:
    """The OWL API profile checker (bundled with HermiT) finds no OWL 2 DL violation.

    The files are merged into one document first, so that the vocabulary's declarations apply
    to the data (parsed alone, a data file's predicates would be taken for annotations).
    """
    import owlready2

    merged = tmp_path / "merged.ttl"
    graph = Graph()
    for path in (VOCABULARY, EFORMS, AXIOMS, GOLDEN):
        graph.parse(path, format="turtle")
    graph.serialize(merged, format="turtle", encoding="utf-8")
    hermit_jar = Path(owlready2.__file__).parent / "hermit" / "HermiT.jar"
    command = [owlready2.JAVA_EXE, "-cp", str(hermit_jar), str(PROFILE_CHECK), str(merged)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def unsatisfiable(classified: Classified) -> list[str]:
    """Named classes HermiT found equivalent to owl:Nothing."""
    return [
        line
        for line in classified.output.splitlines()
        if line.startswith("EquivalentClasses(") and "owl#Nothing" in line
    ]


def test_ontology_is_consistent() -> None:
    assert unsatisfiable(classify(VOCABULARY, EFORMS, AXIOMS)) == []


def test_golden_is_consistent_and_every_inferred_class_has_members(
    golden_world: Classified,
) -> None:
    assert unsatisfiable(golden_world) == []
    classes = inferred_classes()
    assert KL + "ClosedLoopOffer" in classes and KL + "Processor" in classes
    empty = [cls for cls in classes if not golden_world.members(cls)]
    assert not empty, f"inferred classes without members in the golden data: {empty}"


def test_closed_loop_offer_is_inferred(golden_world: Classified) -> None:
    closed = golden_world.members(KL + "ClosedLoopOffer")
    # Office chairs: Example Refurb accepts them and its refurbishment returns them to the maker.
    assert OFFER + "example-office-supply-chair-lease" in closed
    assert OFFER + "example-refurb-chair-sale" in closed
    # Compostable cups: the composter sends compost (a biological-cycle carrier) onward.
    assert OFFER + "example-bio-cups-sale" in closed
    # Laptops close through Example IT Refurb's laptop return flow; monitors do not, although
    # Example IT Refurb accepts them too: a laptop flow does not carry a monitor loop.
    assert OFFER + "example-it-supply-laptop-sale" in closed
    assert OFFER + "example-it-supply-monitor-sale" not in closed
    # Workwear: collected and recycled, but nothing flows onward from the recycler.
    assert OFFER + "example-workwear-sale" not in closed


def test_closed_loop_check_finds_nothing_in_golden_after_reasoning(
    golden_world: Classified,
) -> None:
    """The SPARQL version of the structural condition agrees with what HermiT inferred."""
    store = ox.Store()
    for path in (VOCABULARY, EFORMS, AXIOMS, GOLDEN):
        store.load(path=path, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(path.as_uri()))
    inferred = ox.NamedNode("urn:kringloop:test:inferred")
    closed = sorted(golden_world.members(KL + "ClosedLoopOffer"))
    a, cls = ox.NamedNode(str(RDF.type)), ox.NamedNode(KL + "ClosedLoopOffer")
    store.extend(ox.Quad(ox.NamedNode(o), a, cls, inferred) for o in closed)
    assert closed and check_rows(store) == []


def test_processor_is_inferred(golden_world: Classified) -> None:
    processors = golden_world.members(KL + "Processor")
    assert ORGANISATION + "example-refurb" in processors
    assert ORGANISATION + "example-textile-recycling" in processors
    assert ORGANISATION + "example-composting" in processors
    assert ORGANISATION + "example-town-hall" not in processors
    assert ORGANISATION + "example-office-supply" not in processors
    assert ORGANISATION + "example-farm" not in processors


# ---------------------------------------------------------------- the demo data


@pytest.fixture(scope="module")
def demo() -> Iterator[OxigraphStore]:
    """The bundled demo data with the inferences of one HermiT run (about a minute)."""
    store = OxigraphStore.memory()
    initialise(store)
    result = reason_in_store(store, data_graphs(store))
    print(f"HermiT on the demo data: {result.seconds:.1f} s, {result.inferred} inferred facts")
    yield store
    store.close()


def demo_closed(store: OxigraphStore) -> list[str]:
    rows = store.select(
        "SELECT ?o WHERE { GRAPH ?g { ?o a <https://w3id.org/kringloop/ns#ClosedLoopOffer> } }",
        bindings={"g": graph_iri("inferred")},
    )
    return sorted(text(r["o"]) for r in rows)


def test_demo_closed_loop_offers_snapshot(demo: OxigraphStore) -> None:
    """Which demo offers are closed-loop capable, as a reviewed snapshot."""
    closed = {"closed_loop_offers": demo_closed(demo)}
    if os.environ.get("KRINGLOOP_UPDATE_SNAPSHOTS") == "1":
        DEMO_SNAPSHOT.write_text(json.dumps(closed, indent=2) + "\n", encoding="utf-8")
    assert closed == json.loads(DEMO_SNAPSHOT.read_text(encoding="utf-8"))


def test_demo_monitors_and_desktops_do_not_close_through_laptops(demo: OxigraphStore) -> None:
    """IT Refurb Leuven accepts laptops, desktops and monitors but sends only laptops onward, and
    no processor that accepts desktops or monitors sends them or their materials onward: their
    offers are closed-loop capable only where their own supplier takes them back."""
    closed = set(demo_closed(demo))
    offers = demo.select(
        """PREFIX kl: <https://w3id.org/kringloop/ns#>
        SELECT ?o ?supplier WHERE {
          VALUES ?p { <https://w3id.org/kringloop/id/product/monitor>
                      <https://w3id.org/kringloop/id/product/desktop-computer> }
          ?o kl:itemOffered ?p ; kl:offeredBy ?supplier }""",
        union_default_graph=True,
    )
    takes_back = {
        text(r["s"])
        for r in demo.select(
            "PREFIX kl: <https://w3id.org/kringloop/ns#>"
            " SELECT ?s WHERE { ?x a kl:ProcessingOffer ; kl:offeredBy ?s }",
            union_default_graph=True,
        )
    }
    not_closed = {text(r["o"]) for r in offers if text(r["supplier"]) not in takes_back}
    assert {
        OFFER + "monitor-supply-roeselare-monitor-sale",
        OFFER + "university-leuven-surplus-monitor",
    } <= not_closed
    assert not not_closed & closed, sorted(not_closed & closed)
    assert OFFER + "it-refurb-leuven-monitor-sale-refurbished" in closed  # it takes them back
    # The same suppliers' laptops do close, through IT Refurb Leuven's laptop flows.
    assert OFFER + "device-as-a-service-mechelen-laptop-lease" in closed
    assert OFFER + "device-as-a-service-mechelen-monitor-lease" in not_closed


def test_demo_structural_verdicts(demo: OxigraphStore) -> None:
    """The structure says what OWL can; distance and time are the matchmaker's."""
    closed = set(demo_closed(demo))
    # Gent's chair lease: Office Refurb Hasselt accepts office chairs and returns them to their
    # producer, so the lease is closed-loop capable; that Hasselt is 113 km away, beyond the
    # Gent buyer's 50 km, only the matchmaker's verdict sees.
    assert OFFER + "chair-rental-gent-office-chair-lease" in closed
    # The biological loop: the composter in Izegem sends compost onward. Event Cups Hasselt is
    # capable through it too; the composter near Hasselt (Tongeren) has no way back.
    assert OFFER + "compostable-cups-harelbeke-compostable-tableware-sale" in closed
    assert OFFER + "event-cups-hasselt-compostable-tableware-sale" in closed
    # Hi-vis rainwear: no processor accepts it or its material.
    assert not any("hi-vis-rainwear" in o for o in closed)


def test_closed_loop_check_finds_nothing_in_demo_after_reasoning(demo: OxigraphStore) -> None:
    assert check_rows(demo.raw) == []


@pytest.mark.parametrize("case", INCONSISTENT_CASES, ids=lambda path: path.stem)
def test_inconsistent_case_is_rejected(case: Path) -> None:
    with pytest.raises(InconsistentData):
        classify(VOCABULARY, EFORMS, AXIOMS, case)


@pytest.mark.reasoner
def test_every_loop_the_census_closes_is_a_closed_loop_offer(demo: OxigraphStore) -> None:
    """Offer by offer on the demo data: what the judgement closes, the reasoner classifies
    closed-loop capable (OWL says what it can of the rule); what the reasoner classifies but
    the judgement leaves open is open for a reason beyond OWL (distance, dates, length,
    capacity, or flows that never reach a producer), never because nothing accepts it."""
    from kringloop.queries import loops

    capable = set(demo_closed(demo))
    census = loops.census(demo, today=date(2026, 6, 1))
    closed = {offer for offer, v in census.verdicts.items() if v.closed}
    assert closed and closed <= capable, sorted(closed - capable)
    for offer in sorted(capable & set(census.verdicts)):
        verdict = census.verdicts[offer]
        if not verdict.closed:
            reasons = [verdict.reason, *verdict.notes]
            assert all(r is None or r.code != "no-processor-anywhere" for r in reasons), offer
