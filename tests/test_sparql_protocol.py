"""The SPARQL 1.1 Protocol at /sparql, /query and /update: a matrix of methods, content types,
Accept headers and error cases, run against an app on an in-memory store."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any, cast

import pyoxigraph as ox
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from pydantic import SecretStr
from rdflib import Graph
from rdflib.compare import isomorphic
from rdflib.query import ResultRow

from kringloop.graph import Store
from kringloop.service.app import create_app
from kringloop.service.settings import Settings

TOKEN = "correct-horse-battery-staple"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EX = "https://example.org/kringloop/test/"
PREFIX = f"PREFIX ex: <{EX}> "
DATA = (
    PREFIX + 'INSERT DATA { ex:d1 ex:p "default" . '
    'GRAPH ex:g1 { ex:a ex:p "one" } GRAPH ex:g2 { ex:b ex:p "two"@nl } }'
)

SELECT = PREFIX + "SELECT ?s ?o WHERE { ?s ex:p ?o }"
ASK = PREFIX + 'ASK { ex:d1 ex:p "default" }'
CONSTRUCT = PREFIX + "CONSTRUCT { ?s ex:q ?o } WHERE { ?s ex:p ?o }"
DESCRIBE = PREFIX + "DESCRIBE ex:d1"
EXPECTED_TRIPLES = {
    "CONSTRUCT": f'<{EX}d1> <{EX}q> "default" .',
    "DESCRIBE": f'<{EX}d1> <{EX}p> "default" .',
}

MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    """Build apps (with settings overrides), started, holding the test data.

    The apps are strict (the default graph is the store's real one) unless a test asks for
    the service's default, the union of all graphs: the protocol cases below are those of the
    standard, as the W3C tests run them."""
    with ExitStack() as stack:

        def make(*, data: bool = True, **overrides: Any) -> TestClient:
            settings = Settings(
                store="memory",
                demo_data=False,
                write_token=SecretStr(TOKEN),
                union_default_graph=False,
            )
            settings = settings.model_copy(update=overrides)
            client = stack.enter_context(TestClient(create_app(settings)))
            if data:
                store_of(client).update(DATA)
            return client

        yield make


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()


def store_of(client: TestClient) -> Store:
    store: Store = cast(FastAPI, client.app).state.store
    return store


def send(client: TestClient, how: str, query: str, **kwargs: Any) -> Response:
    """Send ``query`` by GET, POST form-encoded or POST application/sparql-query."""
    headers = dict(kwargs.pop("headers", {}))
    params = dict(kwargs.pop("params", {}))
    response: Response
    if how == "get":
        response = client.get("/sparql", params={"query": query, **params}, headers=headers)
    elif how == "post-form":
        response = client.post("/sparql", data={"query": query, **params}, headers=headers)
    else:
        headers["Content-Type"] = "application/sparql-query"
        response = client.post("/sparql", content=query.encode(), params=params, headers=headers)
    return response


def values(response: Response, variable: str = "o") -> list[str]:
    """The values of one variable in a SPARQL JSON answer, sorted."""
    bindings = response.json()["results"]["bindings"]
    return sorted(b[variable]["value"] for b in bindings if variable in b)


# -- The matrix: transport x query form x result format ---------------------------------------

HOW = ["get", "post-form", "post-direct"]
SOLUTION_TYPES = [
    None,
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
]
GRAPH_TYPES = [
    None,
    "text/turtle",
    "application/n-triples",
    "application/rdf+xml",
    "application/ld+json",
    "application/trig",
    "application/n-quads",
]
RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
RDFLIB_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}


def solution_rows(body: bytes, media_type: str) -> list[dict[str, str]]:
    """The rows of a SELECT answer as {variable: lexical value}."""
    if media_type == "text/csv":
        return list(csv.DictReader(io.StringIO(body.decode())))
    solutions = ox.parse_query_results(body, RESULT_FORMATS[media_type])
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    return [
        {n: t.value for n in names if (t := s[n]) is not None and not isinstance(t, ox.Triple)}
        for s in solutions
    ]


@pytest.mark.parametrize("accept", SOLUTION_TYPES)
@pytest.mark.parametrize("how", HOW)
def test_select_in_every_format(client: TestClient, how: str, accept: str | None) -> None:
    response = send(client, how, SELECT, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200, response.text
    media_type = accept or "application/sparql-results+json"
    assert response.headers["content-type"].split(";")[0] == media_type
    rows = solution_rows(response.content, media_type)
    assert rows == [{"s": f"{EX}d1", "o": "default"}]


@pytest.mark.parametrize("accept", SOLUTION_TYPES)
@pytest.mark.parametrize("how", HOW)
def test_ask_in_every_format(client: TestClient, how: str, accept: str | None) -> None:
    response = send(client, how, ASK, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200, response.text
    media_type = accept or "application/sparql-results+json"
    assert response.headers["content-type"].split(";")[0] == media_type
    if media_type in RESULT_FORMATS:
        answer = ox.parse_query_results(response.content, RESULT_FORMATS[media_type])
        assert isinstance(answer, ox.QueryBoolean) and bool(answer)
    else:
        assert response.text.strip() == "true"


@pytest.mark.parametrize("accept", GRAPH_TYPES)
@pytest.mark.parametrize("form", ["CONSTRUCT", "DESCRIBE"])
@pytest.mark.parametrize("how", HOW)
def test_graph_results_in_every_format(
    client: TestClient, how: str, form: str, accept: str | None
) -> None:
    query = CONSTRUCT if form == "CONSTRUCT" else DESCRIBE
    response = send(client, how, query, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200, response.text
    media_type = accept or "text/turtle"
    assert response.headers["content-type"].split(";")[0] == media_type
    got = Graph().parse(data=response.content, format=RDFLIB_FORMATS[media_type])
    if media_type in ("application/trig", "application/n-quads"):
        got = Graph().parse(
            data=got.serialize(format="nt"), format="nt"
        )  # results are triples in the default graph
    expected = Graph().parse(data=EXPECTED_TRIPLES[form], format="nt")
    assert isomorphic(got, expected)


# -- Negotiation with q-values, wildcards and specificity ------------------------------------

Q_CASES = [
    (SELECT, "application/sparql-results+xml;q=0.9, text/csv", "text/csv"),
    (SELECT, "text/csv;q=0.1, application/sparql-results+json;q=0.5", "application/sparql-results+json"),  # noqa: E501
    (SELECT, "*/*", "application/sparql-results+json"),
    (SELECT, "text/*", "text/csv"),
    (SELECT, "application/*;q=0.5, text/tab-separated-values", "text/tab-separated-values"),
    (SELECT, "*/*;q=0.1, application/sparql-results+xml", "application/sparql-results+xml"),
    (SELECT, "*/*, application/sparql-results+json;q=0", "application/sparql-results+xml"),
    (SELECT, "application/json", "application/sparql-results+json"),
    (SELECT, "application/sparql-results+json,*/*;q=0.9", "application/sparql-results+json"),
    (SELECT, "TEXT/CSV", "text/csv"),
    (SELECT, "text/csv; charset=utf-8; q=0.7, text/tab-separated-values; q=0.6", "text/csv"),
    (ASK, "text/*;q=0.5, application/sparql-results+xml;q=0.6", "application/sparql-results+xml"),
    (CONSTRUCT, "*/*", "text/turtle"),
    (CONSTRUCT, "application/ld+json;q=0.8, text/turtle;q=0.9", "text/turtle"),
    (CONSTRUCT, "application/rdf+xml, text/turtle;q=0.5", "application/rdf+xml"),
    (CONSTRUCT, "application/*", "application/n-triples"),
    (CONSTRUCT, "text/*;q=0.2, application/n-quads;q=0.3", "application/n-quads"),
    (CONSTRUCT, "application/json", "application/ld+json"),
    (DESCRIBE, "text/turtle;q=0, */*", "application/n-triples"),
]  # fmt: skip


@pytest.mark.parametrize(("query", "accept", "expected"), Q_CASES)
def test_q_values_wildcards_and_specificity(
    client: TestClient, query: str, accept: str, expected: str
) -> None:
    response = send(client, "get", query, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == expected
    assert "Accept" in response.headers["vary"]


FORMAT_CASES = [
    (SELECT, ["json"], "application/sparql-results+json"),
    (SELECT, ["xml"], "application/sparql-results+xml"),
    (SELECT, ["csv"], "text/csv"),
    (SELECT, ["tsv"], "text/tab-separated-values"),
    (SELECT, ["text/csv"], "text/csv"),
    (ASK, ["xml"], "application/sparql-results+xml"),
    (CONSTRUCT, ["turtle"], "text/turtle"),
    (CONSTRUCT, ["ntriples"], "application/n-triples"),
    (CONSTRUCT, ["rdfxml"], "application/rdf+xml"),
    (CONSTRUCT, ["xml"], "application/rdf+xml"),
    (CONSTRUCT, ["jsonld"], "application/ld+json"),
    (CONSTRUCT, ["json-ld", "application/ld+json"], "application/ld+json"),  # SPARQLWrapper
    (CONSTRUCT, ["trig"], "application/trig"),
    (CONSTRUCT, ["nquads"], "application/n-quads"),
]


@pytest.mark.parametrize(("query", "formats", "expected"), FORMAT_CASES)
def test_format_parameter_overrides_accept(
    client: TestClient, query: str, formats: list[str], expected: str
) -> None:
    params = [("query", query)] + [("format", f) for f in formats]
    response = client.get("/sparql", params=params, headers={"Accept": "image/png"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == expected


def test_output_parameter_like_fuseki(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": SELECT, "output": "csv"})
    assert response.headers["content-type"].startswith("text/csv")


@pytest.mark.parametrize(
    ("query", "fmt", "status"),
    [(SELECT, "bogus", 400), (CONSTRUCT, "csv", 406), (SELECT, "turtle", 406)],
)
def test_unusable_format_parameter(client: TestClient, query: str, fmt: str, status: int) -> None:
    response = client.get("/sparql", params={"query": query, "format": fmt})
    assert response.status_code == status
    assert response.json()["hint"]


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        (SELECT, "image/png"),
        (SELECT, "text/turtle"),
        (ASK, "application/ld+json"),
        (CONSTRUCT, "application/sparql-results+json"),
        (CONSTRUCT, "text/csv"),
        (SELECT, "application/sparql-results+json;q=0"),
    ],
)
@pytest.mark.parametrize("how", HOW)
def test_406_when_nothing_acceptable(client: TestClient, how: str, query: str, accept: str) -> None:
    response = send(client, how, query, headers={"Accept": accept})
    assert response.status_code == 406
    body = response.json()
    assert body["error"] == "not_acceptable" and "accept one of" in body["hint"]


# -- Request errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/json", "multipart/form-data; boundary=x", None]
)
@pytest.mark.parametrize("path", ["/sparql", "/query", "/update"])
def test_415_for_a_wrong_or_missing_content_type(
    client: TestClient, path: str, content_type: str | None
) -> None:
    headers = {**AUTH, **({"Content-Type": content_type} if content_type else {})}
    response = client.post(path, content=SELECT.encode(), headers=headers)
    assert response.status_code == 415
    assert "application/sparql-query" in response.json()["hint"]


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/sparql", "/query", "/update"])
def test_405_with_allow(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, POST"


@pytest.mark.parametrize("path", ["/sparql", "/query", "/update", "/store", "/queries", "/"])
def test_options_says_what_the_path_takes(client: TestClient, path: str) -> None:
    response = client.options(path)
    assert response.status_code == 204
    methods = [m.strip() for m in response.headers["allow"].split(",")]
    assert {"GET", "HEAD", "OPTIONS"} <= set(methods)


def test_head_wherever_get_is_served(client: TestClient) -> None:
    for path, params in [
        ("/sparql", {"query": SELECT}),
        ("/sparql", {}),
        ("/query", {"query": ASK}),
        ("/update", {}),
        ("/", {}),
        ("/store", {"default": ""}),
        ("/queries", {}),
    ]:
        got = client.get(path, params=params)
        head = client.head(path, params=params)
        assert head.status_code == got.status_code == 200, (path, head.text)
        assert head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
        if "content-length" in got.headers:
            assert head.headers["content-length"] == got.headers["content-length"]


@pytest.mark.parametrize("how", HOW)
def test_400_syntax_error_with_position(client: TestClient, how: str) -> None:
    query = "PREFIX ex: <https://e.org/>\nSELECT ?s\nWHERE { ?s ex:p }"
    response = send(client, how, query)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "syntax_error"
    assert (body["line"], body["column"]) == (3, 17)
    assert "3:17" in body["message"]


def test_syntax_error_as_plain_text(client: TestClient) -> None:
    response = client.get(
        "/sparql",
        params={"query": "SELECT * WHERE { ?s ?p }", "format": "csv"},
        headers={"Accept": "text/plain"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith("400 Bad Request: error at 1:25")
    assert "at line 1, column 25" in response.text


@pytest.mark.parametrize(
    ("method", "kwargs", "fragment"),
    [
        ("post", {"data": {"query": SELECT, "update": DATA}}, "both a query and an update"),
        ("get", {"params": [("query", SELECT), ("query", ASK)]}, "given 2 times"),
        ("post", {"data": {"query": [SELECT, ASK]}}, "given 2 times"),
        ("post", {"data": {"update": [DATA, DATA]}, "headers": AUTH}, "given 2 times"),
        ("get", {"params": {"update": DATA}}, "cannot be sent with GET"),
        ("get", {"params": {"query": "  "}}, "empty"),
        ("post", {"data": {"default-graph-uri": f"{EX}g1"}}, "neither 'query' nor 'update'"),
        (
            "post",
            {
                "params": {"query": SELECT},
                "content": ASK.encode(),
                "headers": {"Content-Type": "application/sparql-query"},
            },
            "must not carry",
        ),
        (
            "post",
            {"content": b"\xff\xfe", "headers": {"Content-Type": "application/sparql-query"}},
            "not UTF-8",
        ),
        ("get", {"params": {"query": SELECT, "union": "maybe"}}, "yes/no"),
        ("get", {"params": {"query": SELECT, "default-graph-uri": "not an iri"}}, "absolute IRI"),
    ],
)
def test_400_for_malformed_requests(
    client: TestClient, method: str, kwargs: dict[str, Any], fragment: str
) -> None:
    response = client.request(method.upper(), "/sparql", **kwargs)
    assert response.status_code == 400, response.text
    assert fragment in response.json()["message"]


def test_query_endpoint_refuses_updates_and_update_endpoint_queries(client: TestClient) -> None:
    response = client.post("/query", data={"update": DATA}, headers=AUTH)
    assert response.status_code == 400 and "/update" in response.json()["hint"]
    response = client.post("/update", data={"query": SELECT}, headers=AUTH)
    assert response.status_code == 400 and "/query" in response.json()["hint"]


def test_query_endpoint_alias(client: TestClient) -> None:
    assert values(client.get("/query", params={"query": SELECT})) == ["default"]
    assert values(client.post("/query", data={"query": SELECT})) == ["default"]


# -- The dataset: default-graph-uri, named-graph-uri, FROM, union ---------------------------

G1, G2 = f"{EX}g1", f"{EX}g2"
GRAPHS_QUERY = "SELECT ?g ?o WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), 'https://example.org/')) }"  # noqa: E501


@pytest.mark.parametrize("how", HOW)
def test_default_graph_uri_makes_the_default_graph(client: TestClient, how: str) -> None:
    assert values(send(client, how, SELECT, params={"default-graph-uri": G1})) == ["one"]
    both = send(client, how, SELECT, params={"default-graph-uri": [G1, G2]})
    assert values(both) == ["one", "two"]


def test_default_graph_uri_alone_leaves_no_named_graphs(client: TestClient) -> None:
    response = send(client, "get", GRAPHS_QUERY, params={"default-graph-uri": G1})
    assert values(response) == []


def test_named_graph_uri_limits_graph_patterns(client: TestClient) -> None:
    response = send(client, "post-form", GRAPHS_QUERY, params={"named-graph-uri": G2})
    assert values(response, "g") == [G2]
    # named graphs alone: the default graph is empty (SPARQL 1.1 Query, 13.2)
    assert values(send(client, "get", SELECT, params={"named-graph-uri": G2})) == []


def test_from_in_the_query_works_alone(client: TestClient) -> None:
    query = PREFIX + "SELECT ?o FROM ex:g2 WHERE { ?s ex:p ?o }"
    assert values(send(client, "get", query)) == ["two"]


@pytest.mark.parametrize(
    ("query", "params", "expected"),
    [
        (PREFIX + "SELECT ?o FROM ex:g2 WHERE { ?s ex:p ?o }", {"default-graph-uri": G1}, ["one"]),
        (PREFIX + "select ?o from ex:g2 where { ?s ex:p ?o }", {"default-graph-uri": G1}, ["one"]),
        # only named graphs in the request: its default graph is empty, FROM or not
        (PREFIX + "SELECT ?o FROM ex:g2 WHERE { ?s ex:p ?o }", {"named-graph-uri": G1}, []),
        (
            PREFIX + "SELECT ?o FROM NAMED ex:g2 WHERE { GRAPH ?g { ?s ex:p ?o } }",
            {"named-graph-uri": G1},
            ["one"],
        ),
    ],
)
@pytest.mark.parametrize("how", HOW)
def test_the_request_dataset_wins_over_from(
    client: TestClient, how: str, query: str, params: dict[str, str], expected: list[str]
) -> None:
    """W3C protocol test query_multiple_dataset: the protocol's dataset overrides FROM."""
    response = send(client, how, query, params=params)
    assert response.status_code == 200, response.text
    assert values(response) == expected


@pytest.mark.parametrize(
    ("query", "params"),
    [
        (PREFIX + "SELECT ?o FROM ex:g2 WHERE { ?s ex:p ?o }", {"union": "true"}),
        (SELECT, {"default-graph-uri": G1, "union": "true"}),
        (SELECT, {"default-graph-uri": G1, "union-default-graph": ""}),
        (SELECT, {"union": "true", "union-default-graph": "false"}),
    ],
)
@pytest.mark.parametrize("how", HOW)
def test_400_when_the_default_graph_is_named_twice(
    client: TestClient, how: str, query: str, params: dict[str, str]
) -> None:
    response = send(client, how, query, params=params)
    assert response.status_code == 400
    assert "one place only" in response.json()["hint"] or "union" in response.json()["message"]


def test_from_inside_strings_iris_and_comments_is_not_a_dataset(client: TestClient) -> None:
    query = (
        PREFIX + "SELECT ?o # FROM <x>\n"
        'WHERE { ?s ex:p ?o FILTER(?o != "FROM NAMED" && ?s != <https://e.org/FROM>) }'
    )
    assert values(send(client, "get", query, params={"default-graph-uri": G1})) == ["one"]


def test_the_real_default_graph_by_default_and_union_on_request(client: TestClient) -> None:
    assert values(send(client, "get", SELECT)) == ["default"]
    assert values(send(client, "get", SELECT, params={"union": "true"})) == [
        "default",
        "one",
        "two",
    ]
    assert values(send(client, "post-form", SELECT, params={"union": "1"})) == [
        "default",
        "one",
        "two",
    ]


def test_union_as_the_service_default(make_client: MakeClient) -> None:
    client = make_client(union_default_graph=True)
    assert values(send(client, "get", SELECT)) == ["default", "one", "two"]
    assert values(send(client, "get", SELECT, params={"union": "false"})) == ["default"]
    # a dataset named in the query or the request wins over the service default
    assert values(send(client, "get", PREFIX + "SELECT ?o FROM ex:g1 { ?s ex:p ?o }")) == ["one"]
    assert values(send(client, "get", SELECT, params={"default-graph-uri": G2})) == ["two"]
    description = Graph().parse(data=client.get("/sparql").text, format="turtle")
    assert "UnionDefaultGraph" in description.serialize(format="nt")


# -- Service description ----------------------------------------------------------------------

SD = "http://www.w3.org/ns/sparql-service-description#"


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "text/turtle"),
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("application/n-triples", "application/n-triples"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/turtle"),
    ],
)
def test_service_description(client: TestClient, accept: str | None, media_type: str) -> None:
    response = client.get("/sparql", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    graph = Graph().parse(data=response.content, format=RDFLIB_FORMATS[media_type])
    rows = {
        str(cast(ResultRow, r)[0])
        for r in graph.query(
            "PREFIX sd: <" + SD + "> SELECT ?x WHERE { "
            "{ ?s a sd:Service ; sd:endpoint ?x } UNION { ?s sd:supportedLanguage ?x } UNION "
            "{ ?s sd:resultFormat ?x } UNION { ?s sd:defaultDataset/sd:namedGraph/sd:name ?x } }"
        )
    }
    assert "http://testserver/sparql" in rows
    assert {SD + "SPARQL11Query", SD + "SPARQL11Update"} <= rows
    assert "http://www.w3.org/ns/formats/SPARQL_Results_JSON" in rows
    assert {G1, G2} <= rows


def test_service_description_of_a_read_only_service(make_client: MakeClient) -> None:
    client = make_client(write_token=None)
    text = client.get("/sparql", headers={"Accept": "application/n-triples"}).text
    assert SD + "SPARQL11Query" in text and SD + "SPARQL11Update" not in text


# -- SERVICE and LOAD are refused before anything runs ------------------------------------------

REFUSED = [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "select * where { service silent ?endpoint { ?s ?p ?o } }",
    "PREFIX r: <http://127.0.0.1:9/> SELECT * WHERE { SERVICE r:sparql { ?s ?p ?o } }",
    "BASE <http://127.0.0.1:9/> SELECT * WHERE { SERVICE <sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE <https://example.org.evil/s> { ?s ?p ?x } } }",
]


@pytest.mark.parametrize("query", REFUSED)
def test_service_is_refused(make_client: MakeClient, query: str) -> None:
    client = make_client(service_allowlist=["https://example.org"])
    response = send(client, "get", query)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "refused" and "SERVICE" in body["message"]


@pytest.mark.parametrize(
    "update",
    [
        "LOAD <http://127.0.0.1:9/data.ttl>",
        "LOAD <http://127.0.0.1:9/data.ttl> INTO GRAPH <https://e.org/g>",
        "INSERT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "INSERT { ?s ?p ?o } WHERE { SERVICE SILENT <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    ],
)
def test_load_and_service_in_updates_are_refused(client: TestClient, update: str) -> None:
    before = store_of(client).count()
    response = client.post("/update", data={"update": update}, headers=AUTH)
    assert response.status_code == 400
    assert response.json()["error"] == "refused"
    assert store_of(client).count() == before


def test_service_in_strings_and_comments_is_not_refused(client: TestClient) -> None:
    query = 'SELECT * WHERE { ?s ?p "SERVICE <http://e.org/>" } # SERVICE <http://e.org/>'
    assert send(client, "get", query).status_code == 200


def test_allowlisted_service_runs(make_client: MakeClient) -> None:
    client = make_client(service_allowlist=["http://127.0.0.1:1/"])
    query = "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:1/sparql> { ?s ?p ?o } }"
    response = send(client, "get", query)  # nothing listens there; SILENT gives no rows
    assert response.status_code == 200, response.text


# -- Limits: result rows and time -------------------------------------------------------------


@pytest.mark.parametrize("query", [SELECT.replace("?s ex:p", "?s ?p"), CONSTRUCT])
def test_result_cap_is_an_error_not_a_truncation(make_client: MakeClient, query: str) -> None:
    client = make_client(max_result_rows=1)
    store_of(client).update(PREFIX + "INSERT DATA { ex:d2 ex:p 2 . ex:d3 ex:p 3 }")
    response = send(client, "get", query, params={"union": "true"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "result_too_large" and "more than 1 result" in body["message"]
    assert "LIMIT" in body["hint"]
    assert send(client, "get", SELECT + " LIMIT 1").status_code == 200


def many_triples(client: TestClient, count: int) -> None:
    p = ox.NamedNode(EX + "n")
    store_of(client).add_quads(
        ox.Quad(ox.NamedNode(f"{EX}x{i}"), p, ox.Literal(str(i))) for i in range(count)
    )


def test_timeout_stops_a_streaming_query(make_client: MakeClient) -> None:
    client = make_client(query_timeout_s=0.3, max_result_rows=10**9)
    many_triples(client, 3000)
    started = time.monotonic()
    response = send(client, "get", "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
    assert response.status_code == 504
    assert response.json()["error"] == "query_timeout"
    assert "0.3 s" in response.json()["message"]
    assert time.monotonic() - started < 10


def test_timeout_of_a_blocking_query_and_busy_workers(make_client: MakeClient) -> None:
    # a fixed pool: with room for short queries (the default) the ASK would be answered
    client = make_client(query_timeout_s=0.3, query_workers=1, query_extra_workers=0)
    many_triples(client, 700)
    sort = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY DESC(?c) ?f LIMIT 1"
    first = send(client, "get", sort)
    assert first.status_code == 504
    second = send(client, "get", ASK)  # the only worker still sorts
    assert second.status_code == 503
    assert second.json()["error"] == "busy" and second.headers["retry-after"]


# -- Updates: tokens, protocol forms, USING, transactions ----------------------------------------

INSERT = PREFIX + 'INSERT DATA { ex:new ex:p "new" }'


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("/update", {"data": {"update": INSERT}}),
        ("/update", {"content": INSERT, "headers": {"Content-Type": "application/sparql-update"}}),
        ("/sparql", {"data": {"update": INSERT}}),
        (
            "/sparql",
            {
                "content": INSERT,
                "headers": {"Content-Type": "application/sparql-update; charset=UTF-8"},
            },
        ),
    ],
)
@pytest.mark.parametrize(
    ("token", "status"), [(TOKEN, 204), (None, 401), ("wrong", 403), ("", 401)]
)
def test_update_needs_the_token(
    client: TestClient, path: str, kwargs: dict[str, Any], token: str | None, status: int
) -> None:
    kwargs = dict(kwargs)  # the parameters are shared between runs
    headers = dict(kwargs.pop("headers", {}))
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    response = client.post(path, headers=headers, **kwargs)
    assert response.status_code == status, response.text
    if status == 401:
        assert response.headers["www-authenticate"] == 'Bearer realm="kringloop"'
    assert values(send(client, "get", SELECT)) == (
        ["default", "new"] if status == 204 else ["default"]
    )


def test_update_with_basic_auth_is_unauthorised(client: TestClient) -> None:
    response = client.post("/update", data={"update": INSERT}, auth=("user", TOKEN))
    assert response.status_code == 401


def test_read_only_without_a_configured_token(make_client: MakeClient) -> None:
    client = make_client(write_token=None)
    response = client.post("/update", data={"update": INSERT}, headers=AUTH)
    assert response.status_code == 403
    assert "read-only" in response.json()["message"]
    assert "KRINGLOOP_WRITE_TOKEN" in response.json()["hint"]


def test_hashed_token(make_client: MakeClient) -> None:
    import hashlib

    digest = hashlib.sha256(b"hashed-one").hexdigest().upper()
    client = make_client(write_token=None, write_token_sha256=digest)
    ok = client.post(
        "/update", data={"update": INSERT}, headers={"Authorization": "Bearer hashed-one"}
    )
    assert ok.status_code == 204
    wrong = client.post(
        "/update", data={"update": INSERT}, headers={"Authorization": f"Bearer {digest}"}
    )
    assert wrong.status_code == 403


def test_using_graph_uri(client: TestClient) -> None:
    update = PREFIX + "INSERT { GRAPH ex:copy { ?s ?p ?o } } WHERE { ?s ?p ?o }"
    response = client.post("/update", data={"update": update, "using-graph-uri": G1}, headers=AUTH)
    assert response.status_code == 204
    copied = send(client, "get", SELECT, params={"default-graph-uri": f"{EX}copy"})
    assert values(copied) == ["one"]


def test_using_graph_uri_with_delete_where(client: TestClient) -> None:
    update = 'DELETE WHERE { ?s ?p "default" }'
    for params, left in [({"using-graph-uri": G1}, ["default"]), ({}, [])]:
        response = client.post(
            "/update",
            content=update,
            params=params,
            headers={**AUTH, "Content-Type": "application/sparql-update"},
        )
        assert response.status_code == 204
        assert values(send(client, "get", SELECT)) == left


def test_using_named_graph_uri(client: TestClient) -> None:
    update = PREFIX + "INSERT { GRAPH ex:names { ?g ex:has ?o } } WHERE { GRAPH ?g { ?s ?p ?o } }"
    response = client.post(
        "/sparql", data={"update": update, "using-named-graph-uri": G2}, headers=AUTH
    )
    assert response.status_code == 204
    query = PREFIX + "SELECT ?o WHERE { GRAPH ex:names { ?g ex:has ?o } }"
    assert values(send(client, "get", query)) == ["two"]


@pytest.mark.parametrize(
    "update",
    [
        PREFIX + "WITH ex:g1 DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        PREFIX + "DELETE { ?s ?p ?o } USING ex:g1 WHERE { ?s ?p ?o }",
        PREFIX + "INSERT { ?s ?p ?o } USING NAMED ex:g1 WHERE { GRAPH ?g { ?s ?p ?o } }",
    ],
)
def test_using_graph_uri_conflicts_with_using_and_with(client: TestClient, update: str) -> None:
    response = client.post("/update", data={"update": update, "using-graph-uri": G2}, headers=AUTH)
    assert response.status_code == 400
    assert "USING" in response.json()["message"]


def test_update_syntax_error_with_position(client: TestClient) -> None:
    response = client.post("/update", data={"update": "INSERT DATA {\n <a> <b> }"}, headers=AUTH)
    assert response.status_code == 400
    assert response.json()["line"] == 2


def test_update_is_one_transaction(client: TestClient) -> None:
    before = store_of(client).count()
    update = INSERT + " ; CLEAR GRAPH <https://example.org/kringloop/test/none>"
    response = client.post("/update", data={"update": update}, headers=AUTH)
    assert response.status_code == 400
    assert response.json()["error"] == "query_error"
    assert "does not exist" in response.json()["message"]
    assert store_of(client).count() == before


def test_insert_data_is_validated_against_the_shapes(client: TestClient) -> None:
    before = store_of(client).count()
    update = (
        "PREFIX kl: <https://w3id.org/kringloop/ns#> "
        f"INSERT DATA {{ GRAPH <{EX}orgs> {{ <{EX}org> a kl:Organisation }} }}"
    )
    response = client.post("/update", data={"update": update}, headers=AUTH)
    assert response.status_code == 422
    violation = response.json()["violations"][0]
    assert violation["focus"] == f"{EX}org"
    assert violation["path"] == "http://www.w3.org/2000/01/rdf-schema#label"
    assert store_of(client).count() == before


def test_delete_data_that_breaks_a_node_is_refused(client: TestClient) -> None:
    prologue = (
        "PREFIX kl: <https://w3id.org/kringloop/ns#> "
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        f"PREFIX ex: <{EX}> "
    )
    org = prologue + "INSERT DATA { GRAPH ex:orgs { ex:org a kl:Organisation ; rdfs:label 'A' } }"
    assert client.post("/update", data={"update": org}, headers=AUTH).status_code == 204
    unlabel = prologue + "DELETE DATA { GRAPH ex:orgs { ex:org rdfs:label 'A' } }"
    response = client.post("/update", data={"update": unlabel}, headers=AUTH)
    assert response.status_code == 422
    relabel = unlabel + " ; INSERT DATA { GRAPH ex:orgs { ex:org rdfs:label 'B' } }"
    assert client.post("/update", data={"update": relabel}, headers=AUTH).status_code == 204


# -- Operations: metrics, CORS, docs ------------------------------------------------------------


def test_metrics(client: TestClient) -> None:
    send(client, "get", SELECT)
    send(client, "get", "SELECT * WHERE { ?s ?p }")
    client.post("/update", data={"update": INSERT}, headers=AUTH)
    text = client.get("/metrics").text
    assert 'kringloop_http_requests_total{method="GET",route="/sparql",status="200"} 1.0' in text
    assert 'kringloop_http_requests_total{method="GET",route="/sparql",status="400"} 1.0' in text
    assert 'kringloop_sparql_query_duration_seconds_count{kind="select"} 2.0' in text
    assert 'kringloop_sparql_query_duration_seconds_count{kind="update"} 1.0' in text
    assert "kringloop_http_request_duration_seconds_bucket" in text
    quads = next(line for line in text.splitlines() if line.startswith("kringloop_store_quads "))
    assert float(quads.split()[1]) > 0


def test_cors_reads_from_any_origin_and_writes_from_listed_ones(make_client: MakeClient) -> None:
    client = make_client(cors_write_origins=["https://editor.example"])
    reader, editor = {"Origin": "https://yasgui.example"}, {"Origin": "https://editor.example"}
    read = client.get("/sparql", params={"query": ASK}, headers=reader)
    assert read.headers["access-control-allow-origin"] == "*"
    assert "ETag" in read.headers["access-control-expose-headers"]
    posted = client.post("/sparql", data={"query": ASK}, headers=reader)
    assert posted.headers["access-control-allow-origin"] == "*"

    def preflight(origin: dict[str, str], method: str, headers: str) -> Response:
        response: Response = client.request(
            "OPTIONS",
            "/sparql",
            headers={
                **origin,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": headers,
            },
        )
        return response

    query = preflight(reader, "POST", "content-type")  # application/sparql-query
    assert query.status_code == 204
    assert query.headers["access-control-allow-origin"] == "*"
    assert "POST" in query.headers["access-control-allow-methods"]
    write = preflight(reader, "POST", "authorization, content-type")
    assert write.status_code == 403
    assert "KRINGLOOP_CORS_WRITE_ORIGINS" in write.json()["hint"]
    allowed = preflight(editor, "POST", "authorization, content-type")
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == "https://editor.example"
    assert "authorization" in allowed.headers["access-control-allow-headers"]
    update = client.post("/update", data={"update": INSERT}, headers={**editor, **AUTH})
    assert update.status_code == 204
    assert update.headers["access-control-allow-origin"] == "https://editor.example"
    elsewhere = client.post("/update", data={"update": INSERT}, headers={**reader, **AUTH})
    assert "access-control-allow-origin" not in elsewhere.headers


def test_cors_can_be_turned_off(make_client: MakeClient) -> None:
    client = make_client(cors_read_origins=[])
    origin = {"Origin": "https://yasgui.example"}
    response = client.get("/sparql", params={"query": ASK}, headers=origin)
    assert "access-control-allow-origin" not in response.headers


def test_openapi_documents_the_endpoints(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    get = spec["paths"]["/sparql"]["get"]
    names = {p["name"] for p in get["parameters"]}
    assert {"query", "default-graph-uri", "named-graph-uri", "union", "format"} <= names
    post = spec["paths"]["/sparql"]["post"]["requestBody"]["content"]
    assert {"application/sparql-query", "application/sparql-update"} <= set(post)
    assert {"get", "put", "post", "delete", "head"} <= set(spec["paths"]["/store"])
    assert client.get("/docs").status_code == 200
    assert json.dumps(spec)  # serialisable


# -- What clients meet first: the service's defaults and the W3C protocol cases ----------------


COUNT_OURS = f"SELECT (COUNT(*) AS ?n) {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), '{EX}')) }}"


def test_the_default_graph_is_the_union_by_default(make_client: MakeClient) -> None:
    client = make_client(union_default_graph=True)  # the service's own default
    assert values(send(client, "get", SELECT)) == ["default", "one", "two"]
    count = send(client, "get", COUNT_OURS)
    assert values(count, "n") == ["3"]
    assert values(send(client, "get", SELECT, params={"union": "false"})) == ["default"]
    # Oxigraph's parameter, with or without a value
    strict = make_client(union_default_graph=False)
    assert values(send(strict, "get", SELECT, params={"union-default-graph": ""})) == [
        "default",
        "one",
        "two",
    ]
    assert values(send(client, "get", SELECT, params={"union-default-graph": "false"})) == [
        "default"
    ]
    description = client.get("/sparql", headers={"Accept": "application/n-triples"}).text
    assert SD + "UnionDefaultGraph" in description


def test_a_triple_in_two_graphs_counts_once(make_client: MakeClient) -> None:
    client = make_client(union_default_graph=True)
    copy = PREFIX + 'INSERT DATA { GRAPH ex:g3 { ex:a ex:p "one" } }'  # g1 holds it too
    client.post("/update", data={"update": copy}, headers=AUTH)
    count = send(client, "get", COUNT_OURS)
    assert values(count, "n") == ["3"]
    assert values(send(client, "get", SELECT)) == ["default", "one", "two"]
    described = send(client, "get", PREFIX + "DESCRIBE ex:a", headers={"Accept": "text/turtle"})
    assert len(Graph().parse(data=described.text, format="turtle")) == 1
    health = client.get("/healthz").json()["union_default_graph"]
    assert health == {"on": True, "each_triple_once": True, "shared_triples": 0,
                      "left_out": [G1]}  # fmt: skip
    # a partial overlap (each graph holds triples of its own too): what counts twice is said
    more = 'INSERT DATA { GRAPH ex:g1 { ex:z ex:p "zed" } GRAPH ex:g3 { ex:y ex:p "why" } }'
    client.post("/update", data={"update": PREFIX + more}, headers=AUTH)
    health = client.get("/healthz").json()["union_default_graph"]
    assert health == {"on": True, "each_triple_once": False, "shared_triples": 1,
                      "left_out": []}  # fmt: skip
    assert values(send(client, "get", COUNT_OURS), "n") == ["6"]  # 5 triples, one twice


def test_an_empty_update_does_nothing(client: TestClient) -> None:
    before = store_of(client).count()
    for update in ["", "  ", "# nothing", f"PREFIX ex: <{EX}>"]:
        response = client.post(
            "/update",
            content=update,
            headers={**AUTH, "Content-Type": "application/sparql-update"},
        )
        assert response.status_code == 204, (update, response.text)
        assert client.post("/sparql", data={"update": update}, headers=AUTH).status_code == 204
    assert (
        client.post(
            "/update", content="", headers={"Content-Type": "application/sparql-update"}
        ).status_code
        == 401
    )
    assert store_of(client).count() == before


def test_the_request_url_is_the_base_iri(client: TestClient) -> None:
    """W3C protocol test update_base_uri, and relative IRIs in queries."""
    update = 'INSERT DATA { GRAPH <http://example.org/protocol-base-test/> { <test> <p> "x" } }'
    response = client.post(
        "/update", content=update, headers={**AUTH, "Content-Type": "application/sparql-update"}
    )
    assert response.status_code == 204, response.text
    query = "SELECT ?s WHERE { GRAPH <http://example.org/protocol-base-test/> { ?s ?p ?o } }"
    assert values(send(client, "get", query), "s") == ["http://testserver/test"]
    relative = send(client, "get", "SELECT ?x { BIND(<test> AS ?x) }")
    assert values(relative, "x") == ["http://testserver/test"]
    on_query = client.get("/query", params={"query": "SELECT ?x { BIND(<a/b> AS ?x) }"})
    assert values(on_query, "x") == ["http://testserver/a/b"]
    own_base = send(client, "get", "BASE <http://e.org/x/> SELECT ?x { BIND(<y> AS ?x) }")
    assert values(own_base, "x") == ["http://e.org/x/y"]


def test_load_silent_of_a_refused_target_succeeds_without_fetching(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    import socket

    with socket.socket() as listener:  # a port that would see the fetch, if there were one
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        client = make_client()
        before = store_of(client).count()
        update = f"LOAD SILENT <http://127.0.0.1:{port}/data.ttl> INTO GRAPH <{EX}loaded>"
        with caplog.at_level("INFO", logger="kringloop.writes"):
            response = client.post("/update", data={"update": update}, headers=AUTH)
        assert response.status_code == 204, response.text
        with pytest.raises(TimeoutError):
            listener.accept()
    assert store_of(client).count() == before
    assert "not on the allow list" in caplog.text
    loud = client.post("/update", data={"update": update.replace(" SILENT", "")}, headers=AUTH)
    assert loud.status_code == 400 and loud.json()["error"] == "refused"


@pytest.mark.parametrize(
    ("path", "query", "update"),
    [("/sparql", True, True), ("/query", True, False), ("/update", False, True)],
)
def test_each_endpoint_describes_what_it_does(
    client: TestClient, path: str, query: bool, update: bool
) -> None:
    response = client.get(path, headers={"Accept": "application/n-triples"})
    assert response.status_code == 200
    text = response.text
    assert f"<http://testserver{path}>" in text
    assert (SD + "SPARQL11Query" in text) == query
    assert (SD + "SPARQL11Update" in text) == update


def test_query_results_are_not_capped_by_default(make_client: MakeClient) -> None:
    client = make_client()
    many_triples(client, 120_000)
    rows = client.get(
        "/sparql", params={"query": "SELECT ?s ?o { ?s ?p ?o }"}, headers={"Accept": "text/csv"}
    )
    assert rows.status_code == 200
    assert len(rows.text.splitlines()) == 120_002  # header, the default triple, the rest
    graph = client.get(
        "/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }", "format": "ntriples"}
    )
    assert graph.status_code == 200 and len(graph.text.splitlines()) == 120_001
    update = client.post(
        "/update",
        data={"update": f"INSERT {{ GRAPH <{EX}copy> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}"},
        headers=AUTH,
    )
    assert update.status_code == 400 and update.json()["error"] == "result_too_large"
    assert "KRINGLOOP_MAX_UPDATE_SOLUTIONS" in update.json()["hint"]


def test_gzip_when_asked(make_client: MakeClient) -> None:
    client = make_client()
    many_triples(client, 2000)
    query = {"query": "SELECT * { ?s ?p ?o }"}
    zipped = client.get("/sparql", params=query, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert len(zipped.text.splitlines()) == 1 or zipped.json()["results"]["bindings"]
    plain = client.get("/sparql", params=query, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert zipped.json() == plain.json()


def test_etag_and_304_on_reads_until_a_write(client: TestClient) -> None:
    reads = [
        ("/sparql", {"query": SELECT}),
        ("/store", {"graph": G1}),
        ("/sparql", {}),
    ]
    for path, params in reads:
        first = client.get(path, params=params)
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert etag.startswith('W/"') and first.headers["cache-control"] == "no-cache"
        again = client.get(path, params=params, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        since = client.get(path, params=params, headers={"If-Modified-Since": modified})
        assert since.status_code == 304
        other = client.get(
            path, params=params, headers={"If-None-Match": etag, "Accept": "*/*;q=0.5, text/csv"}
        )
        assert other.status_code == 200  # another representation, another tag
    etags = {p: client.get(p, params=q).headers["etag"] for p, q in reads}
    assert client.post("/update", data={"update": INSERT}, headers=AUTH).status_code == 204
    for path, params in reads:
        after = client.get(path, params=params, headers={"If-None-Match": etags[path]})
        assert after.status_code == 200 and after.headers["etag"] != etags[path]
    volatile = client.get("/sparql", params={"query": "SELECT (NOW() AS ?t) {}"})
    assert "etag" not in volatile.headers
