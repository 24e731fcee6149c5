"""Real SPARQL clients against a real server, as a data engineer meets it: `kringloop serve`
(uvicorn) in a subprocess on 127.0.0.1, an on-disk store with the demo data, the service's
default settings (the default graph is the union of all graphs). SPARQLWrapper, rdflib's
SPARQLStore and SPARQLUpdateStore, Comunica (when Node is installed: fetched from npm into a
cache folder once), and a Graph Store round trip with httpx."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
NNOF = "https://w3id.org/kringloop/id/organisation/nnof"
DATA = f"""@prefix ex: <{EX}> .
ex:a ex:p "one" ; ex:q ex:b .
ex:b ex:p "two"@nl .
"""
#: Distinct triples of all graphs, counted without the union default graph.
DISTINCT = (
    "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE "
    "{ { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } } }"
)


@dataclass(frozen=True)
class Server:
    base: str

    @property
    def sparql(self) -> str:
        return f"{self.base}/sparql"

    def distinct_triples(self) -> int:
        response = httpx.get(
            self.sparql, params={"query": DISTINCT, "union": "false"}, timeout=30
        ).json()
        return int(response["results"]["bindings"][0]["n"]["value"])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A kringloop server on the demo data, with the test data both in the default graph and
    in one named graph (the same triples twice: each must still count once)."""
    port = free_port()
    store = tmp_path_factory.mktemp("clients") / "store"
    env = {**os.environ, "KRINGLOOP_STORE_PATH": str(store), "KRINGLOOP_WRITE_TOKEN": TOKEN}
    for name in ("KRINGLOOP_WRITE_TOKEN_SHA256", "KRINGLOOP_DEMO_DATA"):
        env.pop(name, None)
    env.pop("KRINGLOOP_UNION_DEFAULT_GRAPH", None)
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
    assert values == ["one", "two"]  # held in two graphs, each once
    assert result["results"]["bindings"][1]["o"]["xml:lang"] == "nl"


def test_sparqlwrapper_sees_the_demo_data_without_graph(server: Server) -> None:
    client = SPARQLWrapper(server.sparql)
    client.setQuery("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    client.setReturnFormat(JSON)
    result = client.queryAndConvert()
    assert isinstance(result, dict)
    count = int(result["results"]["bindings"][0]["n"]["value"])
    assert count > 10_000 and count == server.distinct_triples()
    client.setQuery(f"DESCRIBE <{NNOF}>")
    client.setReturnFormat(TURTLE)
    described = client.queryAndConvert()
    assert isinstance(described, bytes)
    assert len(Graph().parse(data=described, format="turtle")) > 3


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
    client.setQuery(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), '{EX}')) }}"
    )
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


def test_sparqlwrapper_update_with_a_relative_iri(server: Server) -> None:
    client = SPARQLWrapper(f"{server.base}/update")
    client.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
    client.setMethod(POST)
    client.setQuery(f"INSERT DATA {{ GRAPH <{EX}relative> {{ <relative-test> <{EX}r> 'r' }} }}")
    client.query()
    check = SPARQLWrapper(server.sparql)
    check.setQuery(f"SELECT ?s WHERE {{ GRAPH <{EX}relative> {{ ?s ?p ?o }} }}")
    check.setReturnFormat(JSON)
    result = check.queryAndConvert()
    assert isinstance(result, dict)
    assert result["results"]["bindings"][0]["s"]["value"] == f"{server.base}/relative-test"


def test_rdflib_sparqlstore_reads_the_default_graph(server: Server) -> None:
    graph = Graph(store=SPARQLStore(query_endpoint=server.sparql))
    rows = list(graph.query(SELECT))
    assert [str(row[1]) for row in rows] == ["one", "two"]  # type: ignore[index]
    assert (URIRef(f"{EX}a"), URIRef(f"{EX}q"), URIRef(f"{EX}b")) in graph
    assert len(graph) == server.distinct_triples()
    about = list(graph.triples((URIRef(NNOF), None, None)))
    assert len(about) > 3 and len(set(about)) == len(about)


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
    assert len(graph) == 2
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


# Comunica --------------------------------------------------------------------------------

#: Comunica 5 needs Node 22.19 or later; 4.5 runs on Node 18 and 20.
COMUNICA = {22: "5.4", 20: "4.5", 18: "4.5"}


def node_major() -> int | None:
    node = shutil.which("node")
    if node is None:
        return None
    done = subprocess.run([node, "--version"], capture_output=True, text=True, check=True)
    major, minor = (int(part) for part in done.stdout.strip().lstrip("v").split(".")[:2])
    if major > 22 or (major == 22 and minor >= 19):
        return 22
    return major


@pytest.fixture(scope="session")
def comunica() -> Path:
    """Comunica's query engine from npm, in a cache folder kept between runs."""
    major = node_major()
    if major is None or shutil.which("npm") is None:
        pytest.skip("Node and npm are not installed (apt-get install nodejs npm)")
    version = COMUNICA.get(major) or COMUNICA[20]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    folder = cache / "kringloop-tests" / f"comunica-{version}"
    if not (folder / "node_modules" / "@comunica" / "query-sparql").exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                *("npm", "install", "--prefix", str(folder), "--no-audit", "--no-fund"),
                *("--loglevel=error", f"@comunica/query-sparql@{version}"),
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
    return folder


def run_comunica(folder: Path, job: dict[str, Any]) -> Any:
    script = Path(__file__).parent / "clients" / "comunica.js"
    done = subprocess.run(
        ["node", str(script), json.dumps(job)],
        env={**os.environ, "NODE_PATH": str(folder / "node_modules")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_comunica_queries_without_graph(server: Server, comunica: Path) -> None:
    query = f"PREFIX ex: <{EX}> SELECT ?o WHERE {{ VALUES ?s {{ ex:a ex:b }} ?s ex:p ?o }}"
    rows = run_comunica(comunica, {"sources": [server.sparql], "query": query})
    assert sorted(r["o"] for r in rows) == ["one", "two"]  # held in two graphs, each once
    about = f"SELECT ?p ?o WHERE {{ <{NNOF}> ?p ?o }}"
    assert len(run_comunica(comunica, {"sources": [server.sparql], "query": about})) > 3


def test_comunica_federated(server: Server, comunica: Path) -> None:
    """Two sources (the service's /sparql and /query): Comunica joins across them."""
    query = f"PREFIX ex: <{EX}> SELECT ?o WHERE {{ ex:a ex:q ?b . ?b ex:p ?o }}"
    rows = run_comunica(
        comunica, {"sources": [server.sparql, f"{server.base}/query"], "query": query}
    )
    assert {r["o"] for r in rows} == {"two"}


def test_comunica_updates(server: Server, comunica: Path) -> None:
    """Comunica sends an empty update before DROP SILENT GRAPH; both must succeed."""
    target = f"{EX}comunica"
    base = {"sources": [server.sparql], "destination": server.sparql, "token": TOKEN}
    insert = f"INSERT DATA {{ GRAPH <{target}> {{ <{EX}x> <{EX}p> 'six' }} }}"
    assert run_comunica(comunica, {**base, "query": insert, "update": True}) == "done"
    ask = f"ASK {{ GRAPH <{target}> {{ ?s ?p 'six' }} }}"
    assert run_comunica(comunica, {"sources": [server.sparql], "query": ask}) is True
    drop = f"DROP SILENT GRAPH <{target}>"
    assert run_comunica(comunica, {**base, "query": drop, "update": True}) == "done"
    assert run_comunica(comunica, {"sources": [server.sparql], "query": ask}) is False
