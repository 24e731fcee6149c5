"""The key functional checks on every backend: embedded pyoxigraph, Oxigraph server, Virtuoso.

Each check compares a backend's answer with the embedded store's, by value: servers
canonicalise literals differently (``1e+06`` / ``1000000``, ``decimal`` / ``double`` for the
same arithmetic), and Virtuoso answers ``BIND(true AS ?x)`` with ``1``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from rdflib import Dataset, Graph

from kringloop.graph import load as loading
from kringloop.graph.bundle import graph_iri, initialise
from kringloop.graph.errors import ConfigError, LimitExceeded, QueryError, QuerySyntaxError
from kringloop.graph.remote import BatchFailed, SparqlConfig, SparqlStore, load_batches
from kringloop.graph.store import QueryResult, Store, text
from kringloop.queries import loops, visual, visual_chains
from kringloop.queries.catalog import load_catalog, run
from kringloop.queries.matchmaker import match
from kringloop.queries.request import MatchRequest
from kringloop.service.app import create_app
from tests.conftest import VIRTUOSO_MAX_ROWS, Backend
from tests.rdfcompare import isomorphic
from tests.test_demo import README_REQUESTS
from tests.test_named_queries import golden_store

CATALOG = load_catalog()
EX = "https://example.org/kringloop/id/"
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMBERS = {XSD + t for t in ("integer", "decimal", "double", "float", "boolean", "int", "long")}
TODAY = date(2026, 11, 1)
DOUBLE = ox.NamedNode(XSD + "double")


def value(term: Any) -> Any:
    """A term as a comparable value (numbers and booleans as rounded floats)."""
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        if term.datatype.value in NUMBERS:
            number = {"true": 1.0, "false": 0.0}.get(term.value)
            return float(f"{number if number is not None else float(term.value):.6g}")
        return (term.value, term.language, None if term.language else term.datatype.value)
    if isinstance(term, ox.BlankNode):
        return "_:"
    return str(term)


def answer(result: QueryResult) -> Any:
    """A query result by value, in a canonical order."""
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        return sorted((tuple(repr(value(row[n])) for n in names) for row in result), key=str)
    return sorted(repr(tuple(value(x) for x in (t.subject, t.predicate, t.object))) for t in result)


def load_golden(store: Store) -> None:
    store.add_quads(golden_store().quads())


def load_demo(store: Store) -> None:
    initialise(store)


@pytest.fixture(scope="module")
def reference() -> dict[str, Store]:
    """The embedded stores every backend is compared with."""
    demo = Backend("embedded")
    return {
        "golden": demo.holding("golden", load_golden),
        "demo": demo.holding("demo", load_demo),
    }


# Store: load, query, dump -----------------------------------------------------------------


def test_load_query_dump_round_trip(backend: Backend, sample_ttl: Path, sample_trig: Path) -> None:
    store = backend.fresh()
    assert store.is_empty() and store.count() == 0 and store.graphs() == []
    sources = loading.plan([sample_ttl, sample_trig])
    loading.load(store, sources)
    expected = Backend("embedded").fresh()
    loading.load(expected, sources)

    assert store.count() == expected.count() and not store.is_empty()
    assert store.graphs() == expected.graphs()
    assert store.count(ox.DefaultGraph()) == expected.count(ox.DefaultGraph()) == 1
    labels = "SELECT ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }"
    assert answer(store.query(labels, union_default_graph=True)) == answer(
        expected.query(labels, union_default_graph=True)
    )
    assert answer(store.query(labels)) == []  # the real default graph holds no label
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert answer(store.query(construct)) == answer(expected.query(construct))

    dumps = []
    for s in (store, expected):
        out = io.BytesIO()
        s.dump(out, ox.RdfFormat.N_QUADS)
        dumps.append(Dataset().parse(data=out.getvalue().decode(), format="nquads"))
    assert len(dumps[0]) == len(dumps[1])
    for name in expected.graphs():
        got, want = (Graph().parse(data=_dump(s, name), format="nt") for s in (store, expected))
        assert isomorphic(got, want), name

    g1 = ox.NamedNode(EX + "g1")
    assert store.has_graph(g1) and not store.has_graph(ox.NamedNode(EX + "nothing"))
    store.replace_graph(g1, [ox.Quad(g1, g1, ox.Literal("new"), g1)])
    assert store.count(g1) == 1
    store.drop_graph(g1)
    assert not store.has_graph(g1) and store.count() == expected.count() - 3


def _dump(store: Store, graph: ox.NamedNode | ox.BlankNode) -> str:
    out = io.BytesIO()
    store.dump(out, ox.RdfFormat.N_TRIPLES, graph=graph)
    return out.getvalue().decode()


def test_a_failed_batch_is_named_and_the_load_resumes_or_rolls_back(
    backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend.server is None:
        pytest.skip("the embedded store loads in one transaction")
    store = backend.fresh()
    assert isinstance(store, SparqlStore)
    store.config = SparqlConfig(**{**store.config.__dict__, "batch_triples": 1000})
    path = tmp_path / "big.nt"
    path.write_text(
        "".join(f'<{EX}s{i}> <{EX}p> "{i}" .\n' for i in range(2500))
        + f'<{EX}s0> <{EX}q> _:b .\n_:b <{EX}r> "1" .\n',
        encoding="utf-8",
    )
    sources = loading.plan([path], graph=EX + "big")
    real, calls = store.post_batch, []

    def failing(graph: Any, quads: Any) -> None:
        calls.append(len(quads))
        if len(calls) == 2:
            raise QueryError("the server went away")
        real(graph, quads)

    monkeypatch.setattr(store, "post_batch", failing)
    with pytest.raises(BatchFailed) as failed:
        load_batches(store, sources)
    assert failed.value.batch == 2 and "--resume-from 2" in str(failed.value)
    assert store.count(ox.NamedNode(EX + "big")) == 1000

    seen: list[tuple[int, int]] = []
    done = load_batches(store, sources, resume_from=2, on_batch=lambda n, t: seen.append((n, t)))
    assert (done.batches, done.skipped, done.triples) == (4, 1, 1502)
    assert [n for n, _ in seen] == [2, 3, 4]  # blank-node triples last, in one batch
    assert store.count(ox.NamedNode(EX + "big")) == 2502
    store.drop_graph(ox.NamedNode(EX + "big"))  # the roll-back
    assert store.is_empty()


@pytest.mark.slow
def test_a_graph_larger_than_the_servers_row_cap_is_dumped_whole(
    backend: Backend, tmp_path: Path
) -> None:
    """More triples than the test Virtuoso's ResultSetMaxRows, most with one predicate (read in
    sorted pages), one subject whose many values straddle pages, a double, blank nodes."""
    size = VIRTUOSO_MAX_ROWS + 5_000
    lines = [f'<{EX}s{i:06d}> <{EX}p> "{i}" .\n' for i in range(size)]
    lines += [f'<{EX}s000100> <{EX}p> "extra {i}" .\n' for i in range(30)]
    lines += [f"<{EX}s{i:06d}> <{EX}q> <{EX}s{i + 1:06d}> .\n" for i in range(0, size, 7)]
    lines += [f'<{EX}d> <{EX}r> "1.23456789012345e0"^^<{XSD}double> .\n']
    lines += [f'<{EX}d> <{EX}r> _:b{i} .\n_:b{i} <{EX}r> "{i}" .\n' for i in range(3)]
    path = tmp_path / "large.nt"
    path.write_text("".join(lines), encoding="utf-8")
    graph = ox.NamedNode(EX + "large")
    store = backend.fresh()
    loading.load(store, loading.plan([path], graph=graph.value))

    out = io.BytesIO()
    store.dump(out, ox.RdfFormat.N_TRIPLES, graph=graph)
    got = list(ox.parse(out.getvalue(), format=ox.RdfFormat.N_TRIPLES))
    want = list(ox.parse(path.read_bytes(), format=ox.RdfFormat.N_TRIPLES))
    assert len(got) == len(want) == store.count(graph) > VIRTUOSO_MAX_ROWS

    def by_value(triples: list[ox.Quad]) -> list[str]:  # Virtuoso writes 1.0 as 1
        return sorted(
            repr(tuple(value(x) for x in (t.subject, t.predicate, t.object))) for t in triples
        )

    assert by_value(got) == by_value(want)
    doubles = [
        o.value for t in got if isinstance(o := t.object, ox.Literal) and o.datatype == DOUBLE
    ]
    assert [float(d) for d in doubles] == [1.23456789012345]  # 15 digits, not 6
    store.drop_graph(graph)


def test_a_result_of_exactly_the_servers_cap_is_refused(backend: Backend) -> None:
    if backend.server is None:
        pytest.skip("the embedded store has no result cap")
    store = backend.fresh()
    store.update(f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}p> 1, 2, 3 }} }}")
    capped = SparqlStore(SparqlConfig(**{**backend.server.config.__dict__, "max_rows": 3}))
    with pytest.raises(LimitExceeded, match="truncated"):
        capped.select(f"SELECT ?o WHERE {{ GRAPH <{EX}g> {{ ?s ?p ?o }} }}")
    assert len(capped.select(f"SELECT ?o WHERE {{ GRAPH <{EX}g> {{ ?s ?p ?o }} }} LIMIT 2")) == 2


# Queries, matchmaking, loops, pictures --------------------------------------------------------


@pytest.mark.parametrize("name", CATALOG.names())
def test_named_queries_answer_alike(
    backend: Backend, reference: dict[str, Store], name: str
) -> None:
    store = backend.holding("golden", load_golden)
    query = CATALOG.get(name)
    got = answer(run(store, query, query.example_values()))
    assert got == answer(run(reference["golden"], query, query.example_values()))


@pytest.mark.parametrize(("body", "expected"), README_REQUESTS)
def test_matchmaking_ranks_the_same_chains_first(
    backend: Backend, reference: dict[str, Store], body: dict[str, Any], expected: set[str]
) -> None:
    store = backend.holding("demo", load_demo)
    request = MatchRequest.model_validate(body)
    got, want = (match(s, request, today=TODAY).chains[:3] for s in (store, reference["demo"]))
    assert got[0].supplier in expected and got[0].closed
    assert [(c.supplier, c.closed, len(c.steps)) for c in got] == [
        (c.supplier, c.closed, len(c.steps)) for c in want
    ]
    assert [round(c.score, 6) for c in got] == [round(c.score, 6) for c in want]


def test_loop_census_is_the_same(backend: Backend, reference: dict[str, Store]) -> None:
    store = backend.holding("demo", load_demo)
    assert loops.census(store) == loops.census(reference["demo"])


def test_graph_views_show_the_same_nodes(backend: Backend, reference: dict[str, Store]) -> None:
    store = backend.holding("demo", load_demo)
    centre = EX + "organisation/office-refurb-hasselt"

    def nodes(s: Store) -> list[tuple[str, str]]:
        graph = visual.neighbourhood(s, centre, depth=2)
        return sorted((n.id, n.label) for n in graph.nodes)

    assert nodes(store) == nodes(reference["demo"])
    got, want = (visual_chains.loops_graph(s) for s in (store, reference["demo"]))
    assert sorted(n.id for n in got.nodes) == sorted(n.id for n in want.nodes)
    assert len(got.edges) == len(want.edges)


# The service on the backend: /sparql and /store through the Store interface --------------------


@pytest.fixture
def client(backend: Backend) -> Iterator[TestClient]:
    backend.holding("demo", load_demo)
    settings = backend.settings(write_token="secret", demo_data=True)
    with TestClient(create_app(settings)) as client:
        yield client


def test_the_service_answers_sparql_and_graph_store_requests(
    backend: Backend, client: TestClient, reference: dict[str, Store]
) -> None:
    assert client.get("/healthz").json()["empty"] is False
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s a ?c } }"
    response = client.get("/sparql", params={"query": count}, headers={"Accept": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.text.split()[1] == text(reference["demo"].select(count)[0]["n"])

    ontology = graph_iri("ontology").value
    describe = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{ontology}> {{ ?s ?p ?o }} }}"
    response = client.post("/sparql", data={"query": describe}, headers={"Accept": "text/turtle"})
    assert response.status_code == 200, response.text
    want = Graph().parse(data=_dump(reference["demo"], graph_iri("ontology")), format="nt")
    assert isomorphic(Graph().parse(data=response.text, format="turtle"), want)

    response = client.get("/store", params={"graph": ontology}, headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert isomorphic(Graph().parse(data=response.text, format="turtle"), want)

    target = {"graph": EX + "graph/service-test"}
    auth = {"Authorization": "Bearer secret", "Content-Type": "text/turtle"}
    body = f'<{EX}thing> <http://www.w3.org/2000/01/rdf-schema#label> "ding"@nl .'
    assert client.put("/store", params=target, content=body, headers=auth).status_code == 201
    got = client.get("/store", params=target, headers={"Accept": "application/n-triples"})
    assert got.status_code == 200 and '"ding"@nl' in got.text
    assert client.delete("/store", params=target, headers=auth).status_code == 204
    assert client.get("/store", params=target).status_code == 404


# The HTTP client: authentication, retries ------------------------------------------------------


def test_credentials_retries_and_errors_without_a_server() -> None:
    seen: list[httpx.Request] = []
    failures = iter([httpx.ConnectError("refused"), httpx.ConnectError("refused")])

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        failure = next(failures, None)
        if failure is not None:
            raise failure
        if b"broken" in request.content:
            return httpx.Response(400, text="Parse error: syntax error at 1:1")
        return httpx.Response(
            200, json={"head": {}, "boolean": True}, headers={"Content-Type": "application/json"}
        )

    config = SparqlConfig("http://sparql.invalid/q", auth="bearer", token="t0k", retries=2)
    store = SparqlStore(config, client=httpx.Client(transport=httpx.MockTransport(handler)))
    assert bool(store.query("ASK {}")) is True
    assert len(seen) == 3 and seen[-1].headers["Authorization"] == "Bearer t0k"
    with pytest.raises(QuerySyntaxError):
        store.query("ASK { broken }")
    assert len(seen) == 4  # a 4xx is not retried

    with pytest.raises(ConfigError, match="cannot reach"):
        SparqlStore(SparqlConfig("http://127.0.0.1:9/q", retries=1, timeout_s=2)).query("ASK {}")


def test_virtuoso_digest_authentication(backend: Backend) -> None:
    if backend.name != "virtuoso" or backend.server is None:
        pytest.skip("Virtuoso's /sparql-auth endpoint")
    base = backend.server.config.query_url.rsplit("/", 1)[0]
    good = SparqlConfig.for_server(base, "virtuoso", auth="digest", user="dba", password="dba")
    store = backend.fresh()
    SparqlStore(good).update(f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}p> {Decimal(1)} }} }}")
    assert store.count() == 1
    bad = SparqlConfig(**{**good.__dict__, "password": "wrong"})
    with pytest.raises(ConfigError, match="refused the credentials"):
        SparqlStore(bad).update(f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}p> 2 }} }}")
