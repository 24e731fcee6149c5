"""Code-list values in a request (rule 10): resolved by IRI, slug, notation or any nl/en/fr
label, or refused with the closest labels; all-zero weights refused."""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Any

import pydantic
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from kringloop.graph import OxigraphStore
from kringloop.graph import load as loading
from kringloop.graph.bundle import bundled_sources, graph_iri
from kringloop.graph.store import text
from kringloop.queries import codes
from kringloop.queries.request import COMPONENTS, MatchRequest, Weights
from kringloop.queries.resolve import ID, ResolutionError
from kringloop.service.app import create_app
from kringloop.service.errors import describe
from kringloop.service.settings import Settings

#: A business model whose Dutch label is another one's slug and English label: "lease"
#: then names two business models.
RENTAL = f"""
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<{ID}business-model/rental> a skos:Concept ;
    skos:inScheme <{ID}business-model> ;
    skos:prefLabel "Rental"@en , "Lease"@nl .
"""


def demo_store() -> OxigraphStore:
    """The bundled code lists, CPV, places, seed and market, one graph each."""
    store = OxigraphStore.memory()
    loading.load(store, bundled_sources())
    return store


@pytest.fixture
def store() -> OxigraphStore:
    return demo_store()


@pytest.fixture
def lists(store: OxigraphStore) -> codes.CodeLists:
    return codes.code_lists(store)


def add(store: OxigraphStore, turtle: str) -> None:
    store.raw.load(input=turtle.encode(), format=ox.RdfFormat.TURTLE, to_graph=graph_iri("seed"))


EXAMPLES = [
    # business models: the slug, the code list's own labels in nl/en/fr, alt labels
    ("business-model", "lease", "lease"),
    ("business-model", "Lease", "lease"),
    ("business-model", "leasing", "lease"),
    ("business-model", "Location", "lease"),  # the French label of lease
    ("business-model", "location", "lease"),
    ("business-model", "Huur", "lease"),
    ("business-model", "rent", "lease"),
    ("business-model", "product as a service", "product-as-a-service"),
    ("business-model", "Produit en tant que service", "product-as-a-service"),
    ("business-model", "Product-als-dienst", "product-as-a-service"),
    ("business-model", "buy back", "buy-back"),
    ("business-model", "  Terugname ", "take-back"),
    ("business-model", f"{ID}business-model/sale", "sale"),
    # certifications
    ("certification", "EU-ecolabel", "eu-ecolabel"),
    ("certification", "EU Ecolabel", "eu-ecolabel"),
    ("certification", "Europees Ecolabel", "eu-ecolabel"),
    ("certification", "Label écologique de l'UE", "eu-ecolabel"),
    ("certification", "label ecologique de l\u2019ue", "eu-ecolabel"),
    ("certification", "Blauer Engel", "blauer-engel"),
    ("certification", "Blue Angel", "blauer-engel"),
    ("certification", "ange bleu", "blauer-engel"),
    ("certification", "FSC", "fsc"),
    ("certification", "Forest Stewardship Council", "fsc"),
    # regions: labels in three languages, slug, NUTS notation
    ("region", "Limburg", "limburg"),
    ("region", "limburg", "limburg"),
    ("region", "Limbourg", "limburg"),
    ("region", "BE22", "limburg"),
    ("region", "be22", "limburg"),
    ("region", "West-Vlaanderen", "west-flanders"),
    ("region", "Flandre-Occidentale", "west-flanders"),
    ("region", "west flanders", "west-flanders"),
    ("region", "BE10", "brussels"),
    ("region", "Brussels Hoofdstedelijk Gewest", "brussels"),
    # strategies: slug, Dutch and French labels, R-notation, close spellings
    ("strategy", "refurbish", "refurbish"),
    ("strategy", "Opknappen", "refurbish"),
    ("strategy", "opknappen", "refurbish"),
    ("strategy", "Reconditionner", "refurbish"),
    ("strategy", "R5", "refurbish"),
    ("strategy", "refurbsh", "refurbish"),  # a typo
    ("strategy", "Réparer", "repair"),
    ("strategy", "reparer", "repair"),
    ("strategy", "recycleren", "recycle"),
    # other code lists
    ("condition", "Refurbished", "refurbished"),
    ("role", "refurbisher", "refurbisher"),
    ("material", "aluminium", "aluminium"),
    ("product", "Bureaustoel", "office-chair"),
]


@pytest.mark.parametrize(("kind", "value", "slug"), EXAMPLES)
def test_a_code_resolves_by_iri_slug_notation_or_label(
    lists: codes.CodeLists, kind: str, value: str, slug: str
) -> None:
    assert codes.resolve_codes(lists, kind, [value], field="f") == (f"{ID}{kind}/{slug}",)


def test_values_resolve_in_their_order_each_once(lists: codes.CodeLists) -> None:
    found = codes.resolve_codes(
        lists, "business-model", ["Leasing", "Sale", "lease", "Rent"], field="business_models"
    )
    assert found == (f"{ID}business-model/lease", f"{ID}business-model/sale")
    assert codes.resolve_codes(lists, "business-model", [], field="business_models") == ()


@pytest.mark.parametrize(
    ("kind", "value", "field", "nearest"),
    [
        ("business-model", "leese", "business_models", "Lease"),  # two typos in a short word
        ("business-model", "barter", "business_models", None),
        ("certification", "ISO 14001", "certifications", None),
        ("certification", "Blaue Engel Zertifikat", "certifications", "Blauer Engel"),
        ("strategy", "refurbishment", "strategies", "Refurbish"),
        ("region", "Wallonia", "region", None),
        ("business-model", f"{ID}business-model/barter", "business_models", None),
        ("business-model", f"{ID}strategy/reuse", "business_models", None),  # another list
        ("business-model", "   ", "business_models", None),
    ],
)
def test_an_unknown_value_is_refused_with_the_closest_labels(
    lists: codes.CodeLists, kind: str, value: str, field: str, nearest: str | None
) -> None:
    with pytest.raises(ResolutionError) as caught:
        codes.resolve_codes(lists, kind, [value], field=field)
    error = caught.value
    assert error.field == field
    assert error.candidates, "a refusal always shows what may be asked"
    known = {c.label() for c in lists[kind].codes.values()} | {
        name for name in lists[kind].names.shown
    }
    for candidate in error.candidates:  # every candidate is a real label (with its slug)
        assert candidate.rsplit(" (", 1)[0] in known or candidate in known, candidate
    if nearest is not None:
        assert nearest in error.candidates[0]
    body = describe(error)
    assert (body["status"], body["field"], body["candidates"]) == (422, field, error.candidates)


def test_a_label_that_names_two_codes_is_ambiguous(store: OxigraphStore) -> None:
    add(store, RENTAL)
    lists = codes.code_lists(store)
    with pytest.raises(ResolutionError) as caught:
        codes.resolve_codes(lists, "business-model", ["lease"], field="business_models")
    assert caught.value.field == "business_models"
    assert caught.value.candidates == [
        f"Lease <{ID}business-model/lease>",
        f"Rental <{ID}business-model/rental>",
    ]
    assert "names 2 business models" in caught.value.message
    # what only one of them is called still resolves
    assert codes.resolve_codes(lists, "business-model", ["Leasing", "rental"], field="f") == (
        f"{ID}business-model/lease",
        f"{ID}business-model/rental",
    )


def test_a_typo_as_close_to_two_codes_is_ambiguous(lists: codes.CodeLists) -> None:
    with pytest.raises(ResolutionError) as caught:
        codes.resolve_codes(lists, "strategy", ["reduse"], field="strategies")
    assert [c.split(" <")[0] for c in caught.value.candidates] == ["Reduce", "Refuse", "Reuse"]
    with pytest.raises(ResolutionError) as nuts:
        codes.resolve_codes(lists, "region", ["BE2"], field="region")
    assert len(nuts.value.candidates) == 5


def test_a_code_list_the_store_lacks_is_refused() -> None:
    lists = codes.code_lists(OxigraphStore.memory())
    with pytest.raises(ResolutionError) as caught:
        codes.resolve_codes(lists, "certification", ["FSC"], field="certifications")
    assert "no certification code list" in caught.value.message


@pytest.mark.parametrize(
    ("value", "slug", "label"),
    [
        ("Limburg", "limburg", "Limburg"),
        ("BE22", "limburg", "Limburg"),
        ("limburg", "limburg", "Limburg"),
        ("BE21", "antwerp", "Antwerp (province)"),
        ("Anvers (province)", "antwerp", "Antwerp (province)"),
        ("BE25", "west-flanders", "West Flanders"),
        ("Région de Bruxelles-Capitale", "brussels", "Brussels-Capital Region"),
        (f"{ID}region/east-flanders", "east-flanders", "East Flanders"),
    ],
)
def test_a_region_resolves_by_label_slug_or_nuts_code(
    lists: codes.CodeLists, value: str, slug: str, label: str
) -> None:
    assert codes.resolve_region(lists, value) == codes.Region(f"{ID}region/{slug}", label)


def test_an_unknown_region_names_the_field() -> None:
    lists = codes.code_lists(demo_store())
    with pytest.raises(ResolutionError) as caught:
        codes.resolve_region(lists, "Henegouwen", field="--region")
    assert caught.value.field == "--region"


def test_code_lists_are_read_once_per_store_version(store: OxigraphStore) -> None:
    first = codes.code_lists(store)
    assert codes.code_lists(store) is first
    store.update(
        "INSERT DATA { GRAPH <https://w3id.org/kringloop/graph/seed> { "
        f"<{ID}business-model/sale> <http://www.w3.org/2004/02/skos/core#altLabel> 'Koop'@nl }} }}"
    )
    again = codes.code_lists(store)
    assert again is not first
    assert codes.resolve_codes(again, "business-model", ["koop"], field="f") == (
        f"{ID}business-model/sale",
    )
    with pytest.raises(ResolutionError):
        codes.resolve_codes(first, "business-model", ["koop"], field="f")


def test_the_same_triple_in_two_graphs_changes_nothing(store: OxigraphStore) -> None:
    before = codes.load_code_lists(store)
    twice = store.raw.quads_for_pattern(None, None, None, graph_iri("codelists"))
    store.raw.extend([ox.Quad(q.subject, q.predicate, q.object, graph_iri("extra")) for q in twice])
    after = codes.load_code_lists(store)
    assert before == after


# The property: any label, alt label, slug or notation of any code of any list, written in
# any case and spacing, resolves to that code, unless another code of the list has it too.


def _plain(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(kept.replace("-", " ").replace("\u2019", "'").split())


@cache
def _names() -> tuple[codes.CodeLists, list[tuple[str, str, str]], dict[tuple[str, str], set[str]]]:
    store = demo_store()
    add(store, RENTAL)
    rows = store.select(
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "SELECT ?concept ?scheme ?name WHERE { ?concept skos:inScheme ?scheme . "
        "OPTIONAL { ?concept skos:prefLabel|skos:altLabel|skos:notation ?name } "
        f"FILTER(STRSTARTS(STR(?scheme), '{ID}')) }}",
        union_default_graph=True,
    )
    found = set()
    for row in rows:
        kind, concept = text(row["scheme"])[len(ID) :], text(row["concept"])
        found.add((kind, concept, concept.rsplit("/", 1)[1]))  # the slug
        if "name" in row:
            found.add((kind, concept, text(row["name"])))
    names = sorted(found)
    owners: dict[tuple[str, str], set[str]] = {}
    for kind, concept, name in names:
        owners.setdefault((kind, _plain(name)), set()).add(concept)
    return codes.code_lists(store), names, owners


_WRITINGS = [
    str,
    str.upper,
    str.lower,
    str.title,
    lambda s: f"  {s}\t",
    lambda s: s.replace(" ", "  "),
]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_name_of_any_code_resolves_to_that_code(data: Any) -> None:
    lists, names, owners = _names()
    kind, concept, name = data.draw(st.sampled_from(names))
    written = data.draw(st.sampled_from(_WRITINGS))(name)
    sharing = owners[(kind, _plain(name))]
    if len(sharing) == 1:
        assert codes.resolve_codes(lists, kind, [written], field="f") == (concept,)
    else:
        with pytest.raises(ResolutionError) as caught:
            codes.resolve_codes(lists, kind, [written], field="f")
        assert {c.rsplit("<", 1)[1].rstrip(">") for c in caught.value.candidates} == sharing


def test_the_property_sees_shared_names() -> None:
    _, _, owners = _names()
    assert any(len(found) > 1 for found in owners.values())


# Weights and rank overrides


def test_all_zero_weights_are_refused() -> None:
    with pytest.raises(pydantic.ValidationError, match="at least one weight must be above 0"):
        Weights(**{name: 0.0 for name in COMPONENTS})
    with pytest.raises(pydantic.ValidationError, match="at least one weight must be above 0"):
        MatchRequest.model_validate(
            {"what": "x", "near": "Gent", "weights": {name: 0 for name in COMPONENTS}}
        )
    one = MatchRequest.model_validate(
        {"what": "x", "near": "Gent", "weights": {**{n: 0 for n in COMPONENTS}, "tco": 0.1}}
    )
    assert one.weights.total == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("rank", "ok"), [(-1, False), (0, True), (5, True), (9, True), (10, False)]
)
def test_rank_overrides_are_r_ranks(rank: int, ok: bool) -> None:
    body = {"what": "x", "near": "Gent", "rank_overrides": {"refurbish": rank}}
    if ok:
        assert MatchRequest.model_validate(body).rank_overrides == {"refurbish": rank}
    else:
        with pytest.raises(pydantic.ValidationError):
            MatchRequest.model_validate(body)


def test_all_zero_weights_get_422_over_http() -> None:
    settings_ = Settings(store="memory", demo_data=False, validate_data=False)
    with TestClient(create_app(settings_)) as client:
        response = client.post(
            "/match",
            json={"what": "laptop", "near": "Gent", "weights": {n: 0 for n in COMPONENTS}},
        )
    assert response.status_code == 422
    assert "at least one weight must be above 0" in response.text
