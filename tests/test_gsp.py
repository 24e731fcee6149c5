"""The Graph Store HTTP Protocol at /store: every method and status code, content types, the
whole dataset, authentication, and SHACL validation that leaves the store unchanged."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any, cast

import pyoxigraph as ox
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from rdflib import Dataset, Graph

from kringloop.graph import Store
from kringloop.graph.bundle import graph_iri
from kringloop.service.app import create_app
from kringloop.service.settings import Settings
from tests.rdfcompare import isomorphic, same_dataset

TOKEN = "gsp-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EX = "https://example.org/kringloop/gsp/"
G = f"{EX}graph"
TTL = {"Content-Type": "text/turtle", **AUTH}
ONE = f"@prefix ex: <{EX}> .\nex:a ex:p 1 ; ex:q [ ex:r 'blank' ] .\n"
TWO = f"@prefix ex: <{EX}> .\nex:b ex:p 2 .\n"
KL = (
    "@prefix kl: <https://w3id.org/kringloop/ns#> .\n"
    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
    f"@prefix ex: <{EX}> .\n"
)

MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    with ExitStack() as stack:

        def make(**overrides: Any) -> TestClient:
            settings = Settings(store="memory", demo_data=False, write_token=SecretStr(TOKEN))
            settings = settings.model_copy(update=overrides)
            return stack.enter_context(TestClient(create_app(settings)))

        yield make


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()


def store_of(client: TestClient) -> Store:
    store: Store = cast(FastAPI, client.app).state.store
    return store


def dump(client: TestClient) -> set[ox.Quad]:
    """Every quad in the store (blank nodes keep the store's ids, so sets compare exactly)."""
    return set(store_of(client).quads())


def quads_in(body: bytes, fmt: ox.RdfFormat) -> set[ox.Quad]:
    return set(ox.parse(body, format=fmt))


def graph_of(text: str | bytes, fmt: str = "turtle") -> Graph:
    return Graph().parse(data=text, format=fmt)


def test_round_trip_with_every_method(client: TestClient) -> None:
    graph = {"graph": G}
    assert client.get("/store", params=graph).status_code == 404
    assert client.head("/store", params=graph).status_code == 404

    created = client.put("/store", params=graph, content=ONE, headers=TTL)
    assert created.status_code == 201
    assert (
        created.headers["location"]
        == f"http://testserver/store?graph={G.replace(':', '%3A').replace('/', '%2F')}"
    )
    got = client.get("/store", params=graph)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/turtle")
    assert isomorphic(graph_of(got.content), graph_of(ONE))

    head = client.head("/store", params=graph)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"].startswith("text/turtle")

    replaced = client.put("/store", params=graph, content=TWO, headers=TTL)
    assert replaced.status_code == 204
    assert isomorphic(graph_of(client.get("/store", params=graph).content), graph_of(TWO))

    merged = client.post("/store", params=graph, content=ONE, headers=TTL)
    assert merged.status_code == 204
    both = graph_of(ONE) + graph_of(TWO)
    assert isomorphic(graph_of(client.get("/store", params=graph).content), both)

    new = client.post("/store", params={"graph": f"{G}/new"}, content=TWO, headers=TTL)
    assert new.status_code == 201 and new.headers["location"].endswith("%2Fnew")

    assert client.delete("/store", params=graph, headers=AUTH).status_code == 204
    assert client.get("/store", params=graph).status_code == 404
    gone = client.delete("/store", params=graph, headers=AUTH)
    assert gone.status_code == 404 and gone.json()["error"] == "not_found"


def test_empty_bodies_create_empty_graphs(client: TestClient) -> None:
    assert client.put("/store", params={"graph": G}, content=b"", headers=TTL).status_code == 201
    assert client.get("/store", params={"graph": G}).status_code == 200
    other = {"graph": f"{G}/2"}
    assert client.post("/store", params=other, content=b"", headers=TTL).status_code == 201
    assert client.head("/store", params=other).status_code == 200


def test_the_default_graph(client: TestClient) -> None:
    default = {"default": ""}
    assert client.get("/store", params=default).status_code == 200  # always exists
    assert client.put("/store", params=default, content=ONE, headers=TTL).status_code == 204
    assert client.post("/store", params=default, content=TWO, headers=TTL).status_code == 204
    got = client.get("/store", params=default, headers={"Accept": "application/n-triples"})
    assert isomorphic(graph_of(got.content, "nt"), graph_of(ONE) + graph_of(TWO))
    assert client.delete("/store", params=default, headers=AUTH).status_code == 204
    assert client.get("/store", params=default).content.strip() == b""


RDF_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}


@pytest.mark.parametrize("media_type", list(RDF_TYPES))
def test_bodies_and_answers_in_every_format(client: TestClient, media_type: str) -> None:
    fmt = ox.RdfFormat.from_media_type(media_type)
    assert fmt is not None
    body = ox.serialize(ox.parse(ONE.encode(), format=ox.RdfFormat.TURTLE), format=fmt)
    headers = {**AUTH, "Content-Type": media_type}
    assert (
        client.put("/store", params={"graph": G}, content=body, headers=headers).status_code == 201
    )
    got = client.get("/store", params={"graph": G}, headers={"Accept": media_type})
    assert got.headers["content-type"].split(";")[0] == media_type
    parsed = Dataset().parse(data=got.content, format=RDF_TYPES[media_type])
    assert isomorphic(graph_of(parsed.serialize(format="nt"), "nt"), graph_of(ONE))


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"format": "ntriples"}, "application/n-triples"),
        ({"format": "jsonld"}, "application/ld+json"),
    ],
)
def test_format_parameter(client: TestClient, params: dict[str, str], expected: str) -> None:
    client.put("/store", params={"graph": G}, content=ONE, headers=TTL)
    got = client.get("/store", params={"graph": G, **params}, headers={"Accept": "text/turtle"})
    assert got.headers["content-type"].split(";")[0] == expected


def test_whole_dataset(client: TestClient) -> None:
    trig = (
        f"@prefix ex: <{EX}> .\nex:g1 {{ ex:a ex:p 1 }}\nex:g2 {{ ex:b ex:p 2 }}\nex:c ex:p 3 .\n"
    )
    posted = client.post(
        "/store", content=trig, headers={**AUTH, "Content-Type": "application/trig"}
    )
    assert posted.status_code == 204
    nquads = client.get("/store", headers={"Accept-Encoding": "identity"})  # not gzipped
    assert nquads.headers["content-type"].startswith("application/n-quads")
    assert int(nquads.headers["content-length"]) == len(nquads.content)
    assert quads_in(nquads.content, ox.RdfFormat.N_QUADS) == dump(client)
    as_trig = client.get("/store", headers={"Accept": "application/trig"})
    assert as_trig.headers["content-type"].startswith("application/trig")
    assert quads_in(as_trig.content, ox.RdfFormat.TRIG) == dump(client)
    mine = f"@prefix ex: <{EX}> .\nex:g1 {{ ex:a ex:p 1 }}\nex:g2 {{ ex:b ex:p 2 }}\n"
    nq = ox.RdfFormat.N_QUADS
    ours = [q for q in dump(client) if str(q.graph_name).startswith(f"<{EX}")]
    expected = ox.parse(mine.encode(), format=ox.RdfFormat.TRIG)
    got, wanted = ox.serialize(ours, format=nq), ox.serialize(expected, format=nq)
    assert got is not None and wanted is not None and same_dataset(got, wanted)
    assert client.get("/store", headers={"Accept": "text/turtle"}).status_code == 406
    assert client.get("/store", headers={"Accept": "text/csv"}).status_code == 406


@pytest.mark.parametrize(
    ("method", "params", "kwargs", "status", "error"),
    [
        ("put", {"graph": G}, {"content": "ex:a ex:p", "headers": TTL}, 400, "parse_error"),
        (
            "post",
            {"graph": G},
            {"content": ONE, "headers": {**AUTH, "Content-Type": "text/csv"}},
            415,
            "unsupported_media_type",
        ),
        ("put", {"graph": G}, {"content": ONE, "headers": AUTH}, 415, "unsupported_media_type"),
        ("get", {"graph": G, "default": ""}, {}, 400, "bad_request"),
        ("get", {"graph": "no iri"}, {}, 400, "bad_request"),
        ("get", [("graph", G), ("graph", G)], {}, 400, "bad_request"),
        ("put", {}, {"content": ONE, "headers": TTL}, 400, "bad_request"),
        ("delete", {}, {"headers": AUTH}, 400, "bad_request"),
        (
            "put",
            {"graph": G},
            {"content": ONE, "headers": {"Content-Type": "text/turtle"}},
            401,
            "unauthorized",
        ),
        (
            "post",
            {"graph": G},
            {
                "content": ONE,
                "headers": {"Content-Type": "text/turtle", "Authorization": "Bearer no"},
            },
            403,
            "forbidden",
        ),
        ("delete", {"graph": G}, {}, 401, "unauthorized"),
        ("patch", {"graph": G}, {}, 405, "method_not_allowed"),
        ("get", {"graph": G}, {"headers": {"Accept": "image/png"}}, 406, "not_acceptable"),
    ],
)
def test_errors(
    client: TestClient,
    method: str,
    params: Any,
    kwargs: dict[str, Any],
    status: int,
    error: str,
) -> None:
    client.put("/store", params={"graph": G}, content=ONE, headers=TTL)
    before = dump(client)
    response = client.request(method.upper(), "/store", params=params, **kwargs)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.json()["hint"]
    assert dump(client) == before


def test_parse_errors_name_line_and_column(client: TestClient) -> None:
    body = f"@prefix ex: <{EX}> .\nex:a ex:p 'ok' .\nex:b ex:p 'unterminated .\n"
    response = client.put("/store", params={"graph": G}, content=body, headers=TTL)
    assert response.status_code == 400
    assert response.json()["line"] == 3
    assert "request body: line 3" in response.json()["message"]


def test_a_graph_body_cannot_name_other_graphs(client: TestClient) -> None:
    trig = f"<{EX}other> {{ <{EX}a> <{EX}p> 1 }}"
    response = client.put(
        "/store",
        params={"graph": G},
        content=trig,
        headers={**AUTH, "Content-Type": "application/trig"},
    )
    assert response.status_code == 400
    assert f"<{EX}other>" in response.json()["message"]


def test_405_lists_the_methods(client: TestClient) -> None:
    response = client.request("PATCH", "/store")
    assert response.headers["allow"] == "GET, HEAD, PUT, POST, DELETE"


def test_413_for_large_bodies(make_client: MakeClient) -> None:
    client = make_client(max_body_bytes=16)
    response = client.put("/store", params={"graph": G}, content=ONE, headers=TTL)
    assert response.status_code == 413
    assert "KRINGLOOP_MAX_BODY_BYTES" in response.json()["hint"]


def test_read_only_without_a_token(make_client: MakeClient) -> None:
    client = make_client(write_token=None)
    response = client.put("/store", params={"graph": G}, content=ONE, headers=TTL)
    assert response.status_code == 403 and "read-only" in response.json()["message"]
    assert client.get("/store").status_code == 200


# -- SHACL: non-conforming writes are refused with the report and change nothing -------------

NO_LABEL = KL + "ex:org a kl:Organisation .\n"
LABELLED = KL + "ex:org a kl:Organisation ; rdfs:label 'Kringloop Gent' .\n"


@pytest.mark.parametrize("method", ["put", "post"])
def test_422_leaves_the_store_unchanged(client: TestClient, method: str) -> None:
    client.put("/store", params={"graph": G}, content=ONE, headers=TTL)
    before = dump(client)
    response = client.request(
        method.upper(), "/store", params={"graph": G}, content=NO_LABEL, headers=TTL
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_failed"
    [violation] = body["violations"]
    assert violation["focus"] == f"{EX}org"
    assert violation["path"] == "http://www.w3.org/2000/01/rdf-schema#label"
    assert violation["message"] == "An organisation needs a name (rdfs:label)."
    assert "shape" in violation and violation["severity"] == "Violation"
    assert dump(client) == before


def test_422_for_a_dataset_post(client: TestClient) -> None:
    before = dump(client)
    trig = KL + "ex:g { ex:org a kl:Organisation }"
    response = client.post(
        "/store", content=trig, headers={**AUTH, "Content-Type": "application/trig"}
    )
    assert response.status_code == 422
    assert dump(client) == before


def test_writes_are_checked_with_what_the_store_already_says(client: TestClient) -> None:
    assert (
        client.put("/store", params={"graph": G}, content=LABELLED, headers=TTL).status_code == 201
    )
    # another graph says more about the organisation: its label is known from the store
    more = {"graph": f"{G}/more"}
    assert client.post("/store", params=more, content=NO_LABEL, headers=TTL).status_code == 201
    # replacing the graph that holds the label (and the type elsewhere) removes the name
    unnamed = KL + "ex:org rdfs:comment 'no name any more' .\n"
    response = client.put("/store", params={"graph": G}, content=unnamed, headers=TTL)
    assert response.status_code == 422


def test_vocabulary_graphs_are_not_validated(client: TestClient) -> None:
    params = {"graph": graph_iri("ontology").value}
    assert client.post("/store", params=params, content=NO_LABEL, headers=TTL).status_code == 204


def test_validation_can_be_turned_off(make_client: MakeClient) -> None:
    client = make_client(validate_data=False)
    response = client.put("/store", params={"graph": G}, content=NO_LABEL, headers=TTL)
    assert response.status_code == 201


PREFIXES = """\
@prefix kl: <https://w3id.org/kringloop/ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix unit: <http://qudt.org/vocab/unit/> .
@prefix exorg: <https://example.org/kringloop/id/organisation/> .
@prefix exsite: <https://example.org/kringloop/id/site/> .
@prefix exoffer: <https://example.org/kringloop/id/offer/> .
"""
SITE = (
    PREFIXES
    + """\
exorg:resend a kl:Organisation ; rdfs:label "Example Resend Kortrijk"@en ;
    kl:hasSite exsite:resend .
exsite:resend a kl:Site ; rdfs:label "Example Resend, depot"@en ;
    kl:place <https://w3id.org/kringloop/id/place/kortrijk> ; kl:lat 50.90 ; kl:long 3.2650 .
"""
)
SURPLUS = (
    PREFIXES
    + """\
exoffer:resend-chairs a kl:InternalSurplus ; rdfs:label "Spare chairs"@en ;
    kl:offeredBy exorg:resend ; kl:fromSite exsite:resend ;
    kl:businessModel <https://w3id.org/kringloop/id/business-model/credits-exchange> ;
    kl:itemOffered <https://w3id.org/kringloop/id/product/office-chair> ;
    kl:condition <https://w3id.org/kringloop/id/condition/used> ;
    kl:availableQuantity 120 ; kl:unit unit:NUM .
"""
)


def test_the_shapes_compare_values_not_spellings(make_client: MakeClient) -> None:
    client = make_client(demo_data=True)  # the places and code lists the data points to
    target = {"graph": f"{EX}resend"}
    headers = {**AUTH, "Content-Type": "text/turtle"}
    first = client.post("/store", params=target, content=SITE, headers=headers)
    assert first.status_code == 201, first.text
    again = client.post("/store", params=target, content=SITE, headers=headers)
    assert again.status_code == 204, again.text  # 50.90 is the 50.9 the store keeps
    other = client.post(
        "/store", params=target, content=SITE.replace("50.90", "50.91"), headers=headers
    )
    assert other.status_code == 422  # a second, different latitude is still refused
    # an integer where a decimal is expected is the decimal it is
    surplus = client.post("/store", params=target, content=SURPLUS, headers=headers)
    assert surplus.status_code == 204, surplus.text
    kept = client.get("/store", params=target, headers={"Accept": "application/n-triples"})
    assert '"120"^^<http://www.w3.org/2001/XMLSchema#integer>' in kept.text  # kept as written
