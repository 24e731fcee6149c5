"""HermiT (through owlready2) over the vocabulary, the axioms and the golden data.

Every test builds a fresh owlready2 World. owlready2 reads N-Triples, not Turtle, so the files
are converted with rdflib first. kringloop dates are xsd:date, which is outside the OWL 2
datatype map: HermiT runs with ignore_unsupported_datatypes=True (SHACL checks the dates).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from rdflib import OWL, Graph

from kringloop.ontology import ONTOLOGY_DIR

pytestmark = pytest.mark.reasoner

TESTS_DIR = Path(__file__).parent
VOCABULARY = ONTOLOGY_DIR / "kringloop.ttl"
AXIOMS = ONTOLOGY_DIR / "axioms.ttl"
GOLDEN = TESTS_DIR / "golden" / "golden.ttl"
INCONSISTENT_CASES = sorted((TESTS_DIR / "reasoner").glob("inconsistent*.ttl"))
PROFILE_CHECK = TESTS_DIR / "reasoner" / "OWL2DLProfileCheck.java"

KL = "https://w3id.org/kringloop/ns#"
OFFER = "https://example.org/kringloop/id/offer/"
ORGANISATION = "https://example.org/kringloop/id/organisation/"


def load_world(tmp_path: Path, *turtle_files: Path) -> Any:
    """A fresh owlready2 World holding the given Turtle files."""
    import owlready2

    world = owlready2.World()
    for number, path in enumerate(turtle_files):
        ntriples = tmp_path / f"{number}-{path.stem}.nt"
        Graph().parse(path, format="turtle").serialize(ntriples, format="nt", encoding="utf-8")
        world.get_ontology(ntriples.as_uri()).load()
    return world


def reason(world: Any) -> float:
    """Run HermiT over the world, adding what it infers; return the seconds it took."""
    import owlready2

    start = time.perf_counter()
    owlready2.sync_reasoner(
        world, infer_property_values=True, debug=0, ignore_unsupported_datatypes=True
    )
    return time.perf_counter() - start


def members(world: Any, class_iri: str) -> set[str]:
    """IRIs of the asserted and inferred instances of a class."""
    cls = world[class_iri]
    assert cls is not None, f"{class_iri} is not in the world"
    return {individual.iri for individual in cls.instances()}


def test_ontology_and_golden_are_owl2_dl(tmp_path: Path) -> None:
    """The OWL API profile checker (bundled with HermiT) finds no OWL 2 DL violation.

    The files are merged into one document first, so that the vocabulary's declarations apply
    to the data (parsed alone, a data file's predicates would be taken for annotations).
    """
    import owlready2

    merged = tmp_path / "merged.ttl"
    graph = Graph()
    for path in (VOCABULARY, AXIOMS, GOLDEN):
        graph.parse(path, format="turtle")
    graph.serialize(merged, format="turtle", encoding="utf-8")
    hermit_jar = Path(owlready2.__file__).parent / "hermit" / "HermiT.jar"
    command = [owlready2.JAVA_EXE, "-cp", str(hermit_jar), str(PROFILE_CHECK), str(merged)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_ontology_is_consistent(tmp_path: Path) -> None:
    world = load_world(tmp_path, VOCABULARY, AXIOMS)
    seconds = reason(world)
    print(f"HermiT on vocabulary + axioms: {seconds:.2f} s")
    assert list(world.inconsistent_classes()) == []


def test_golden_is_consistent_and_every_defined_class_has_members(tmp_path: Path) -> None:
    world = load_world(tmp_path, VOCABULARY, AXIOMS, GOLDEN)
    seconds = reason(world)
    print(f"HermiT on vocabulary + axioms + golden data: {seconds:.2f} s")
    assert list(world.inconsistent_classes()) == []
    defined = sorted(str(cls) for cls in Graph().parse(AXIOMS).subjects(OWL.equivalentClass, None))
    assert defined
    empty = [cls for cls in defined if not members(world, cls)]
    assert not empty, f"defined classes without inferred members in the golden data: {empty}"


def test_closed_loop_offer_is_inferred(tmp_path: Path) -> None:
    world = load_world(tmp_path, VOCABULARY, AXIOMS, GOLDEN)
    reason(world)
    closed = members(world, KL + "ClosedLoopOffer")
    # Office chairs: Example Refurb accepts them and its refurbishment returns them to the maker.
    assert OFFER + "example-office-supply-chair-lease" in closed
    assert OFFER + "example-refurb-chair-sale" in closed
    # Workwear: collected and recycled, but nothing flows back to a producer.
    assert OFFER + "example-workwear-sale" not in closed


def test_processor_is_inferred(tmp_path: Path) -> None:
    world = load_world(tmp_path, VOCABULARY, AXIOMS, GOLDEN)
    reason(world)
    processors = members(world, KL + "Processor")
    assert ORGANISATION + "example-refurb" in processors
    assert ORGANISATION + "example-textile-recycling" in processors
    assert ORGANISATION + "example-town-hall" not in processors
    assert ORGANISATION + "example-office-supply" not in processors


@pytest.mark.parametrize("case", INCONSISTENT_CASES, ids=lambda path: path.stem)
def test_inconsistent_case_is_rejected(tmp_path: Path, case: Path) -> None:
    import owlready2

    world = load_world(tmp_path, VOCABULARY, AXIOMS, case)
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        reason(world)
