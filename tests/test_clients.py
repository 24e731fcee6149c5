"""Real SPARQL clients against a real server: `kringloop serve` (uvicorn) in a subprocess on
127.0.0.1, with an on-disk store. SPARQLWrapper, rdflib's SPARQLStore and SPARQLUpdateStore,
and a Graph Store round trip with httpx."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from SPARQLWrapper import JSON, POST, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from tests.conftest import free_port
from tests.rdfcompare import isomorphic
from tests.test_serve import wait_for

TOKEN = "client-test-token"
EX = "https://example.org/kringloop/clients/"
GRAPH = f"{EX}graph"
DATA = f"""@prefix ex: <{EX}> .
ex:a ex:p "one" ; ex:q ex:b .
ex:b ex:p "two"@nl .
"""


@dataclass(frozen=True)
class Server:
    base: str

    @property
    def sparql(self) -> str:
        return f"{self.base}/sparql"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A kringloop server with the test data in the default graph and in one named graph."""
    port = free_port()
    store = tmp_path_factory.mktemp("clients") / "store"
    env = {
        **os.environ,
        "KRINGLOOP_STORE_PATH": str(store),
        "KRINGLOOP_DEMO_DATA": "false",
        "KRINGLOOP_WRITE_TOKEN": TOKEN,
    }
    env.pop("KRINGLOOP_WRITE_TOKEN_SHA256", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "kringloop.service.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(f"{base}/healthz", process).status_code == 200
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/turtle"}
        for params in ({"default": ""}, {"graph": GRAPH}):
            response = httpx.put(f"{base}/store", params=params, content=DATA, headers=headers)
            assert response.status_code in (201, 204), response.text
        yield Server(base)
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


SELECT = f"PREFIX ex: <{EX}> SELECT ?s ?o WHERE {{ ?s ex:p ?o }} ORDER BY ?o"


def test_sparqlwrapper_select_json(server: Server) -> None:
    client = SPARQLWrapper(server.sparql)
    client.setQuery(SELECT)
    client.setReturnFormat(JSON)
    result = client.queryAndConvert()
    assert isinstance(result, dict)
    values = [b["o"]["value"] for b in result["results"]["bindings"]]
    assert values == ["one", "two"]
    assert result["results"]["bindings"][1]["o"]["xml:lang"] == "nl"


def test_sparqlwrapper_select_xml_by_post(server: Server) -> None:
    client = SPARQLWrapper(server.sparql)
    client.setQuery(SELECT)
    client.setReturnFormat(XML)
    client.setMethod(POST)
    document = client.queryAndConvert()
    literals = [node.firstChild.data for node in document.getElementsByTagName("literal")]  # type: ignore[union-attr]
    assert literals == ["one", "two"]


def test_sparqlwrapper_dataset_parameters(server: Server) -> None:
    client = SPARQLWrapper(server.sparql)
    client.setQuery(f"PREFIX ex: <{EX}> ASK {{ GRAPH ex:graph {{ ex:a ex:p 'one' }} }}")
    client.setReturnFormat(JSON)
    assert client.queryAndConvert() == {"head": {}, "boolean": True}
    client.addNamedGraph(f"{EX}elsewhere")
    assert client.queryAndConvert() == {"head": {}, "boolean": False}


@pytest.mark.parametrize("fmt", [TURTLE, XML])
def test_sparqlwrapper_construct(server: Server, fmt: str) -> None:
    client = SPARQLWrapper(server.sparql)
    client.setQuery(f"PREFIX ex: <{EX}> CONSTRUCT WHERE {{ ?s ?p ?o }}")
    client.setReturnFormat(fmt)
    result = client.queryAndConvert()
    if not isinstance(result, Graph):
        assert isinstance(result, bytes)  # Turtle comes back as text
        result = Graph().parse(data=result, format="turtle")
    graph = result
    assert isomorphic(graph, Graph().parse(data=DATA, format="turtle"))


def test_sparqlwrapper_reports_syntax_errors(server: Server) -> None:
    client = SPARQLWrapper(server.sparql)
    client.setQuery("SELECT * WHERE { ?s ?p }")
    client.setReturnFormat(JSON)
    with pytest.raises(QueryBadFormed, match="1:25"):
        client.queryAndConvert()


def test_rdflib_sparqlstore_query(server: Server) -> None:
    graph = Graph(store=SPARQLStore(query_endpoint=server.sparql))
    rows = list(graph.query(SELECT))
    assert [str(row[1]) for row in rows] == ["one", "two"]  # type: ignore[index]
    assert (URIRef(f"{EX}a"), URIRef(f"{EX}q"), URIRef(f"{EX}b")) in graph


def test_rdflib_sparqlupdatestore(server: Server) -> None:
    store = SPARQLUpdateStore(
        query_endpoint=server.sparql,
        update_endpoint=f"{server.base}/update",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    target = URIRef(f"{EX}updated")
    graph = Graph(store=store, identifier=target)
    graph.add((URIRef(f"{EX}c"), URIRef(f"{EX}p"), Literal("three")))
    graph.update(f"PREFIX ex: <{EX}> INSERT DATA {{ ex:d ex:p 'four' }}")  # rdflib adds GRAPH
    check = Graph(store=SPARQLStore(query_endpoint=server.sparql))
    query = f"SELECT ?o WHERE {{ GRAPH <{target}> {{ ?s ?p ?o }} }} ORDER BY ?o"
    assert [str(row[0]) for row in check.query(query)] == ["four", "three"]  # type: ignore[index]
    graph.remove((URIRef(f"{EX}c"), None, None))
    assert [str(row[0]) for row in check.query(query)] == ["four"]  # type: ignore[index]


def test_rdflib_sparqlupdatestore_without_token_is_refused(server: Server) -> None:
    from urllib.error import HTTPError

    store = SPARQLUpdateStore(query_endpoint=server.sparql, update_endpoint=f"{server.base}/update")
    graph = Graph(store=store, identifier=URIRef(f"{EX}refused"))
    with pytest.raises(HTTPError) as caught:
        graph.add((URIRef(f"{EX}c"), URIRef(f"{EX}p"), Literal("x")))
    assert caught.value.code == 401


def test_graph_store_round_trip_with_httpx(server: Server) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    target = {"graph": f"{EX}gsp"}
    with httpx.Client(base_url=server.base, headers=auth) as http:
        created = http.put(
            "/store", params=target, content=DATA, headers={"Content-Type": "text/turtle"}
        )
        assert created.status_code == 201
        nt = http.get("/store", params=target, headers={"Accept": "application/n-triples"})
        assert nt.headers["content-type"].startswith("application/n-triples")
        assert isomorphic(
            Graph().parse(data=nt.text, format="nt"), Graph().parse(data=DATA, format="turtle")
        )
        extra = f"<{EX}e> <{EX}p> 'five' ."
        merged = http.post(
            "/store", params=target, content=extra, headers={"Content-Type": "text/turtle"}
        )
        assert merged.status_code == 204
        assert "five" in http.get("/store", params=target).text
        assert http.delete("/store", params=target).status_code == 204
        assert http.get("/store", params=target).status_code == 404
        dataset = http.get("/store")
        assert dataset.headers["content-type"].startswith("application/n-quads")
        assert f"<{GRAPH}>" in dataset.text
