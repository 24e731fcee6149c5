"""`kringloop reason`: HermiT over a store, inferences in their own graph with provenance."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kringloop.graph import OxigraphStore
from kringloop.graph import load as loading
from kringloop.graph.bundle import bundled_sources, graph_iri
from kringloop.graph.reason import InconsistentData, reason

HERE = Path(__file__).parent
KL = "https://w3id.org/kringloop/ns#"
pytestmark = pytest.mark.reasoner


def store_with(path: Path) -> tuple[OxigraphStore, ox.NamedNode]:
    store = OxigraphStore.memory()
    [source] = loading.plan([path], graph="https://example.org/graph/data")
    loading.load(store, [*bundled_sources(["ontology"]), source])
    return store, ox.NamedNode("https://example.org/graph/data")


def test_reasoner_writes_closed_loop_offers_with_provenance() -> None:
    store, data = store_with(HERE / "golden" / "golden.ttl")
    result = reason(store, [data])
    assert result.inferred > 0
    assert result.individuals > 50  # typed kringloop individuals of the golden data
    inferred = graph_iri("inferred")
    rows = store.select(
        "SELECT ?o WHERE { GRAPH ?g { ?o a <https://w3id.org/kringloop/ns#ClosedLoopOffer> } }",
        bindings={"g": inferred},
    )
    offers = {r["o"].value for r in rows if isinstance(r["o"], ox.NamedNode)}
    assert "https://example.org/kringloop/id/offer/example-office-supply-chair-lease" in offers
    assert not any("workwear" in o for o in offers)
    prov = store.select(
        "PREFIX prov: <http://www.w3.org/ns/prov#> SELECT ?agent ?used WHERE { GRAPH ?g {"
        " ?g prov:wasGeneratedBy ?a . ?a prov:wasAssociatedWith ?agent ; prov:used ?used } }",
        bindings={"g": inferred},
    )
    assert [(r["agent"].value, r["used"].value) for r in prov] == [  # type: ignore[union-attr]
        ("https://w3id.org/kringloop/id/software/hermit", data.value)
    ]


def test_inconsistent_data_is_reported_with_the_culprit() -> None:
    case = HERE / "reasoner" / "inconsistent.ttl"
    store, data = store_with(case)
    before = store.count()
    with pytest.raises(InconsistentData) as caught:
        reason(store, [data])
    [culprit] = caught.value.culprits
    assert culprit.startswith("https://example.org/kringloop/id/case/offer is both a")
    assert "SupplyOffer" in culprit and "ProcessingOffer" in culprit and "disjoint" in culprit
    assert store.count() == before
