"""A streamed CONSTRUCT (made from its solutions a batch at a time, so memory stays bounded)
is the graph the engine's own CONSTRUCT gives, whatever the query's shape."""

from __future__ import annotations

from collections import Counter

import pyoxigraph as ox
import pytest

from kringloop.graph import streaming
from kringloop.graph.execution import Deadline
from kringloop.graph.store import OxigraphStore
from kringloop.graph.streaming import Dataset, ReadQuery, construct_parts, constructed

E = "http://e.org/"
G = ox.NamedNode(E + "g")
ROWS = 12_000  # more than two batches


@pytest.fixture(scope="module")
def store() -> OxigraphStore:
    store = OxigraphStore.memory()
    quads = []
    for i in range(ROWS):
        s = ox.NamedNode(f"{E}s{i}")
        quads.append(ox.Quad(s, ox.NamedNode(E + "p"), ox.Literal(str(i % 50)), G))
        if i % 3 == 0:
            quads.append(ox.Quad(s, ox.NamedNode(E + "q"), ox.NamedNode(f"{E}s{i + 1}"), G))
    store.raw.extend(quads)
    return store


def _graph(triples: object) -> Counter[tuple[str, str, str]]:
    """The graph's triples (a triple made twice counts once), each blank node written as what
    it is linked to: equal for two isomorphic graphs whose blank nodes each have distinct
    links, as here (a general isomorphism check is far too slow for thousands of them)."""
    found = set(triples)  # type: ignore[call-overload]
    links: dict[ox.BlankNode, list[str]] = {}
    for t in found:
        if isinstance(t.subject, ox.BlankNode):
            links.setdefault(t.subject, []).append(f"> {t.predicate} {t.object}")
        if isinstance(t.object, ox.BlankNode):
            links.setdefault(t.object, []).append(f"< {t.subject} {t.predicate}")

    def name(term: object) -> str:
        if isinstance(term, ox.BlankNode):
            return "[" + " ; ".join(sorted(links[term])) + "]"
        return str(term)

    return Counter((name(t.subject), str(t.predicate), name(t.object)) for t in found)


QUERIES = [
    # a template with a blank node: a fresh one per solution, as the engine makes them
    "PREFIX e: <http://e.org/> CONSTRUCT { ?s e:has [ e:value ?o ] } WHERE { ?s e:p ?o }",
    # one triple made by many solutions: once in the graph
    "PREFIX e: <http://e.org/> CONSTRUCT { e:all e:value ?o } WHERE { ?s e:p ?o }",
    # the short form, with FROM
    "CONSTRUCT FROM <http://e.org/g> WHERE { ?s <http://e.org/q> ?o }",
    # an OPTIONAL that leaves a template variable unbound: that triple is left out
    "PREFIX e: <http://e.org/> CONSTRUCT { ?s e:next ?n } "
    "WHERE { GRAPH ?g { ?s e:p ?o OPTIONAL { ?s e:q ?n } } }",
    # a literal in the subject position is not a triple
    "PREFIX e: <http://e.org/> CONSTRUCT { ?o e:of ?s . ?s e:is ?o } WHERE { ?s e:p ?o }",
    # order and slice
    "PREFIX e: <http://e.org/> CONSTRUCT { ?s e:p ?o } WHERE { ?s e:p ?o } "
    "ORDER BY DESC(?o) ?s LIMIT 7000 OFFSET 10",
]


@pytest.mark.parametrize("sparql", QUERIES)
def test_batched_construct_is_the_engines_graph(store: OxigraphStore, sparql: str) -> None:
    parts = construct_parts(sparql)
    assert parts is not None
    query = ReadQuery(sparql, dataset=Dataset(union=True))
    engine = _graph(query.run(store))
    made = _graph(constructed(store, Deadline(60), query, parts))
    assert len(engine) > 0
    assert made == engine


def test_bound_values_and_a_relative_template_iri(store: OxigraphStore) -> None:
    sparql = "CONSTRUCT { ?s <rel> ?o } WHERE { ?s <http://e.org/p> ?o }"
    query = ReadQuery(
        sparql, bindings={"o": ox.Literal("7")}, dataset=Dataset(union=True), base_iri=E
    )
    parts = construct_parts(sparql)
    assert parts is not None
    made = _graph(constructed(store, Deadline(60), query, parts))
    assert made == _graph(query.run(store))
    assert {p for _, p, _ in made} == {f"<{E}rel>"}
    assert len(made) == ROWS // 50


@pytest.mark.parametrize(
    "sparql",
    [
        "SELECT * WHERE { ?s ?p ?o }",
        "DESCRIBE <http://e.org/s1>",
        "CONSTRUCT { ?o <http://e.org/n> ?n } WHERE { ?s <http://e.org/p> ?o } GROUP BY ?o",
    ],
)
def test_other_forms_are_left_to_the_engine(sparql: str) -> None:
    assert streaming.construct_parts(sparql) is None
