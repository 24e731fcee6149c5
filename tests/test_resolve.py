"""What and where in a request, and the categories of the census: product types and CPV codes
by IRI, code, slug or label (plurals and typos forgiven), unknown or ambiguous refused."""

from __future__ import annotations

from functools import cache
from typing import Any

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kringloop.graph import OxigraphStore
from kringloop.graph import load as loading
from kringloop.graph.bundle import bundled_sources, graph_iri
from kringloop.graph.store import text
from kringloop.queries import codes, resolve
from kringloop.queries.resolve import CPV, ID, Names, ResolutionError

PRODUCT = ID + "product/"
#: Product types under CPV 39100000 (Furniture) in the bundled data.
FURNITURE = {
    "office-chair",
    "office-desk",
    "office-cabinet",
    "meeting-table",
    "office-furniture-set",
}


def demo_store() -> OxigraphStore:
    store = OxigraphStore.memory()
    loading.load(store, bundled_sources())
    return store


@pytest.fixture
def store() -> OxigraphStore:
    return demo_store()


@pytest.fixture
def vocab(store: OxigraphStore) -> resolve.Vocabulary:
    return resolve.vocabulary(store)


@pytest.mark.parametrize(
    ("what", "concept", "kind"),
    [
        ("39112000", CPV + "39112000", "cpv"),
        ("39112000-0", CPV + "39112000", "cpv"),
        (CPV + "39112000", CPV + "39112000", "cpv"),
        (PRODUCT + "workwear", PRODUCT + "workwear", "product"),
        ("office-chair", PRODUCT + "office-chair", "product"),  # the slug
        ("Office chair", PRODUCT + "office-chair", "product"),
        ("Bureaustoel", PRODUCT + "office-chair", "product"),
        ("Chaise de bureau", PRODUCT + "office-chair", "product"),
        ("bureaustoelen", PRODUCT + "office-chair", "product"),  # a plural
        ("office chairs", PRODUCT + "office-chair", "product"),
        ("  OFFICE   CHAIR ", PRODUCT + "office-chair", "product"),
        ("ofice chair", PRODUCT + "office-chair", "product"),  # a typo
        ("laptops", PRODUCT + "laptop", "product"),
        ("Mobilier", CPV + "39100000", "cpv"),
        ("Desktop computer", PRODUCT + "desktop-computer", "product"),  # also a CPV label
    ],
)
def test_what_resolves(vocab: resolve.Vocabulary, what: str, concept: str, kind: str) -> None:
    target = resolve.resolve_what(vocab, what)
    assert (target.concept, target.kind) == (concept, kind)
    if kind == "product":
        assert target.cpv == vocab.product_cpv[concept]


@pytest.mark.parametrize(
    ("what", "message", "candidate"),
    [
        ("werkkleding voor de keuken", "no product type or CPV code", "Werkkleding"),
        ("99999999", "not a product type or CPV code", None),
        (PRODUCT + "teapot", "not a product type or CPV code", None),
        # CPV 39500000, now best matched by its French label
        ("textiles", "no product type or CPV code", "Articles textiles"),
        ("bureaustoelllen", "no product type or CPV code", "Bureaustoel"),
        ("  ", "name a product type", None),
    ],
)
def test_unknown_what_is_refused_with_the_closest_labels(
    vocab: resolve.Vocabulary, what: str, message: str, candidate: str | None
) -> None:
    with pytest.raises(ResolutionError) as caught:
        resolve.resolve_what(vocab, what)
    assert caught.value.field == "what"
    assert message in caught.value.message
    if candidate is not None:
        assert candidate in caught.value.candidates[:3]
    labels = {label for names in vocab.labels.values() for label in names}
    assert set(caught.value.candidates) <= labels


def test_what_two_product_types_are_called_is_ambiguous(store: OxigraphStore) -> None:
    store.raw.add(
        ox.Quad(
            ox.NamedNode(PRODUCT + "swivel-chair"),
            ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel"),
            ox.Literal("Bureaustoel", language="nl"),
            graph_iri("seed"),
        )
    )
    store.raw.add(
        ox.Quad(
            ox.NamedNode(PRODUCT + "swivel-chair"),
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode("https://w3id.org/kringloop/ns#ProductType"),
            graph_iri("seed"),
        )
    )
    vocab = resolve.load_vocabulary(store)
    with pytest.raises(ResolutionError) as caught:
        resolve.resolve_what(vocab, "bureaustoelen")
    assert "ambiguous" in caught.value.message
    assert caught.value.candidates == [
        f"Office chair <{PRODUCT}office-chair>",
        f"Bureaustoel <{PRODUCT}swivel-chair>",
    ]


def test_the_vocabulary_and_its_names_are_built_once_per_store_version(
    store: OxigraphStore,
) -> None:
    vocab = resolve.vocabulary(store)
    assert resolve.vocabulary(store) is vocab
    assert vocab.names is vocab.names
    store.update(
        "INSERT DATA { GRAPH <https://w3id.org/kringloop/graph/seed> { "
        f"<{PRODUCT}laptop> <http://www.w3.org/2004/02/skos/core#altLabel> "
        "'Schootcomputer'@nl } }"
    )
    fresh = resolve.vocabulary(store)
    assert fresh is not vocab
    assert resolve.resolve_what(fresh, "schootcomputers").concept == PRODUCT + "laptop"


# Categories of the census


@pytest.mark.parametrize(
    ("value", "concept", "members"),
    [
        ("39100000", CPV + "39100000", FURNITURE),  # a code above several product types
        ("39100000-3", CPV + "39100000", FURNITURE),
        (CPV + "39100000", CPV + "39100000", FURNITURE),
        ("Furniture", CPV + "39100000", FURNITURE),
        ("meubilair", CPV + "39100000", FURNITURE),
        ("Mobilier", CPV + "39100000", FURNITURE),
        ("39110000", CPV + "39110000", {"office-chair"}),
        ("Kleding", CPV + "18000000", {"workwear", "safety-shoes", "hi-vis-rainwear"}),
        ("clothing", CPV + "18000000", {"workwear", "safety-shoes", "hi-vis-rainwear"}),
        ("Textielwaren", CPV + "39500000", {"carpet-tile"}),
        ("office-chair", PRODUCT + "office-chair", {"office-chair"}),
        ("Bureaustoelen", PRODUCT + "office-chair", {"office-chair"}),
        ("Chaise de bureau", PRODUCT + "office-chair", {"office-chair"}),
        (PRODUCT + "laptop", PRODUCT + "laptop", {"laptop"}),
    ],
)
def test_a_category_is_a_product_type_or_everything_under_a_cpv_code(
    vocab: resolve.Vocabulary, value: str, concept: str, members: set[str]
) -> None:
    category = codes.resolve_category(vocab, value)
    assert category.concept == concept
    assert category.product_types == {PRODUCT + m for m in members}
    assert category.label == vocab.label(concept)


@pytest.mark.parametrize("value", ["kitchen sinks", "office", "77777777", f"{CPV}77777777"])
def test_an_unknown_or_vague_category_is_refused(vocab: resolve.Vocabulary, value: str) -> None:
    with pytest.raises(ResolutionError) as caught:
        codes.resolve_category(vocab, value)
    assert caught.value.field == "category"


@cache
def _tree() -> tuple[resolve.Vocabulary, dict[str, set[str]]]:
    """Every CPV code with the product types at or under it, by a property path."""
    store = demo_store()
    rows = store.select(
        "PREFIX kl: <https://w3id.org/kringloop/ns#> "
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "SELECT ?code ?product WHERE { ?code a kl:CpvCode . "
        "OPTIONAL { ?product a kl:ProductType ; kl:cpv/skos:broader* ?code } }",
        union_default_graph=True,
    )
    under: dict[str, set[str]] = {}
    for row in rows:
        members = under.setdefault(text(row["code"]), set())
        if "product" in row:
            members.add(text(row["product"]))
    return resolve.vocabulary(store), under


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_a_cpv_category_holds_exactly_the_product_types_under_it(data: Any) -> None:
    vocab, under = _tree()
    code = data.draw(st.sampled_from(sorted(under)))
    written = data.draw(st.sampled_from([code, code.rsplit("/", 1)[1]]))
    assert codes.resolve_category(vocab, written).product_types == under[code]


# Names: the index every resolver shares


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["ex:a", "ex:b", "ex:c"]), st.text(min_size=1, max_size=12)),
        min_size=1,
        max_size=12,
    ),
    st.randoms(use_true_random=False),
)
def test_names_find_every_name_whatever_the_order(pairs: list[tuple[str, str]], rnd: Any) -> None:
    names = Names.of(pairs)
    shuffled = list(pairs)
    rnd.shuffle(shuffled)
    assert Names.of(shuffled).by_key == names.by_key
    for concept, name in pairs:
        if resolve.name_key(name):
            assert concept in names.exact(name)
            assert concept in names.close(name)


# Where


def test_a_place_resolves_by_name_in_any_language_or_postcode(store: OxigraphStore) -> None:
    brussels = resolve.resolve_where(store, near="Bruxelles", lat=None, long=None, requester=None)
    assert brussels.label == "Bruxelles"
    same = resolve.resolve_where(store, near="brussel", lat=None, long=None, requester=None)
    assert (same.lat, same.long) == (brussels.lat, brussels.long)
    gent = resolve.resolve_where(store, near="Gand", lat=None, long=None, requester=None)
    by_postcode = resolve.resolve_where(store, near="9000", lat=None, long=None, requester=None)
    assert (by_postcode.lat, by_postcode.long) == (gent.lat, gent.long)
    with pytest.raises(ResolutionError) as caught:
        resolve.resolve_where(store, near="Kortrik", lat=None, long=None, requester=None)
    assert caught.value.field == "near"
    assert caught.value.candidates[0] == "Kortrijk"
