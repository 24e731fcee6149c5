"""No request may silently destroy stored data: a write that is not what it claims, or that
would leave data not conforming to the shapes, is refused and the store's dump stays
byte-identical.

Each case was a hole measured on a real service: a cut-off RDF/XML PUT that replaced a graph
with the fragment (204), a plain-JSON PUT that emptied a graph (204), and an ``INSERT … WHERE``
that skipped the shapes (204).
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from kringloop.service.app import create_app
from kringloop.service.cli import app as cli
from kringloop.service.settings import Settings

TOKEN = "dataloss-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
GRAPHS = "https://w3id.org/kringloop/graph/"
MARKET = GRAPHS + "market"
PLACES = GRAPHS + "places"
PREFIXES = (
    "PREFIX kl: <https://w3id.org/kringloop/ns#>\n"
    "PREFIX exorg: <https://example.org/kringloop/id/organisation/>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
)
RDF_XML_HEAD = (
    '<?xml version="1.0"?>\n'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns:e="https://example.org/e#">\n'
    '<rdf:Description rdf:about="urn:a"><e:p>complete</e:p></rdf:Description>\n'
)


class Files(http.server.SimpleHTTPRequestHandler):
    """Serves the test's folder (the only allow-listed LOAD source), quietly."""

    extensions_map = {".ttl": "text/turtle", ".nt": "application/n-triples"}  # noqa: RUF012

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("served")
    handler = lambda *a: Files(*a, directory=str(folder))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", folder
    server.shutdown()


@pytest.fixture(scope="module")
def client(served: tuple[str, Path]) -> Iterator[TestClient]:
    base, _ = served
    settings = Settings(
        store="memory",
        demo_data=True,
        write_token=SecretStr(TOKEN),
        service_allowlist=[base],
    )
    with TestClient(create_app(settings)) as client:
        yield client


def dump(client: TestClient) -> bytes:
    response = client.get("/store", headers={"Accept": "application/n-quads"})
    assert response.status_code == 200
    return bytes(response.content)


def count(client: TestClient, graph: str) -> int:
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    body = client.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"}).text
    return int(body.splitlines()[1])


def put(
    client: TestClient, graph: str, body: str | bytes, content_type: str, query: str = ""
) -> httpx.Response:
    headers = {**AUTH, "Content-Type": content_type}
    url = f"/store?graph={quote(graph)}{query}"
    response: httpx.Response = client.put(url, content=body, headers=headers)
    return response


def update(client: TestClient, text: str) -> httpx.Response:
    headers = {**AUTH, "Content-Type": "application/sparql-update"}
    response: httpx.Response = client.post("/update", content=PREFIXES + text, headers=headers)
    return response


# ---- 1. Cut-off RDF/XML -------------------------------------------------------------------


def test_a_cut_off_rdf_xml_put_is_a_syntax_error_and_keeps_the_graph(client: TestClient) -> None:
    before, triples = dump(client), count(client, PLACES)
    body = RDF_XML_HEAD + '<rdf:Description rdf:about="urn:b"><e:p>trunc'
    response = put(client, PLACES, body, "application/rdf+xml")
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["error"] == "parse_error"
    assert "not well-formed" in error["message"] and "cut off" in error["message"]
    assert (error["line"], error["column"]) == (4, 46)  # just after "trunc"
    assert dump(client) == before and count(client, PLACES) == triples > 1


def test_rdf_xml_without_its_closing_root_does_not_create_a_graph(client: TestClient) -> None:
    before = dump(client)
    new = "https://example.org/kringloop/graph/fresh-xml"
    response = put(client, new, RDF_XML_HEAD, "application/rdf+xml")
    assert response.status_code == 400, response.text
    posted = client.post(
        f"/store?graph={quote(new)}",
        content=RDF_XML_HEAD,
        headers={**AUTH, "Content-Type": "application/rdf+xml"},
    )
    assert posted.status_code == 400
    assert dump(client) == before


def test_complete_rdf_xml_still_loads(client: TestClient) -> None:
    new = "https://example.org/kringloop/graph/complete-xml"
    response = put(client, new, RDF_XML_HEAD + "</rdf:RDF>\n", "application/rdf+xml")
    assert response.status_code == 201, response.text
    assert count(client, new) == 1


def test_an_external_doctype_is_refused(client: TestClient) -> None:
    before = dump(client)
    body = '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF SYSTEM "http://127.0.0.1:9/r.dtd">\n'
    body += RDF_XML_HEAD.split("\n", 1)[1] + "</rdf:RDF>"
    response = put(client, "https://example.org/kringloop/graph/dtd", body, "application/rdf+xml")
    assert response.status_code == 400, response.text
    assert "external subset" in response.json()["message"]
    assert dump(client) == before


# ---- 2. Plain JSON is not JSON-LD ------------------------------------------------------------

SEED = GRAPHS + "seed"


def test_plain_json_does_not_empty_a_graph(client: TestClient) -> None:
    before, triples = dump(client), count(client, SEED)
    response = put(client, SEED, '{"a": 1}', "application/json")
    assert response.status_code == 415, response.text
    assert "@context" in response.json()["message"] + response.json()["hint"]
    assert dump(client) == before and count(client, SEED) == triples > 0


def test_json_with_a_context_is_json_ld(client: TestClient) -> None:
    new = "https://example.org/kringloop/graph/json-ld"
    body = '{"@context": {"e": "https://example.org/e#"}, "@id": "urn:j", "e:p": "v"}'
    assert put(client, new, body, "application/json").status_code == 201
    assert count(client, new) == 1


# ---- A replace with nothing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("", "text/turtle"),
        ("@prefix e: <https://example.org/e#> .\n# nothing else\n", "text/turtle"),
        ('{"@context": {}}', "application/ld+json"),
        ("[]", "application/ld+json"),
    ],
)
def test_a_put_without_triples_does_not_empty_a_graph(
    client: TestClient, body: str, content_type: str
) -> None:
    before, triples = dump(client), count(client, SEED)
    response = put(client, SEED, body, content_type)
    assert response.status_code == 400, response.text
    assert "allow-empty=true" in response.json()["hint"]
    assert dump(client) == before and count(client, SEED) == triples


def test_emptying_a_graph_on_purpose(client: TestClient) -> None:
    graph = "https://example.org/kringloop/graph/to-empty"
    assert put(client, graph, "<urn:x> <urn:p> 1 .", "text/turtle").status_code == 201
    assert put(client, graph, "", "text/turtle", "&allow-empty=true").status_code == 204
    assert count(client, graph) == 0
    assert put(client, graph, "", "text/turtle", "&allow-empty=maybe").status_code == 400


# ---- 3. Every update form is checked against the shapes -----------------------------------------

BAD_ORG = "exorg:unnamed-x a kl:Organisation"  # no name: violates the organisation shape
INFERRED = GRAPHS + "inferred"  # not checked: the bad organisation can wait there
CHECKED = [
    pytest.param(f"INSERT {{ GRAPH <{MARKET}> {{ {BAD_ORG} }} }} WHERE {{}}", id="insert-where"),
    pytest.param(
        f"WITH <{MARKET}> INSERT {{ {BAD_ORG} }} WHERE {{ ?s ?p ?o }}", id="with-insert-where"
    ),
    pytest.param(
        f"DELETE {{ GRAPH <{MARKET}> {{ ?o rdfs:label ?l }} }} "
        f"INSERT {{ GRAPH <{MARKET}> {{ ?o rdfs:comment ?l }} }} "
        f"WHERE {{ GRAPH <{MARKET}> {{ ?o a kl:Organisation ; rdfs:label ?l }} }}",
        id="delete-insert-where",
    ),
    pytest.param(  # every site loses its place
        f"DELETE WHERE {{ GRAPH <{MARKET}> {{ ?site kl:place ?place }} }}", id="delete-where"
    ),
    pytest.param(f"ADD <{INFERRED}> TO <{MARKET}>", id="add"),
    pytest.param(f"COPY <{INFERRED}> TO <{MARKET}>", id="copy"),
    pytest.param(f"MOVE <{INFERRED}> TO <{MARKET}>", id="move"),
    pytest.param(f"ADD <{INFERRED}> TO DEFAULT ; CLEAR GRAPH <{INFERRED}>", id="add-default"),
]


@pytest.fixture(scope="module")
def waiting(client: TestClient) -> None:
    """The bad organisation in the unchecked inferred graph, for ADD, COPY and MOVE."""
    response = update(client, f"INSERT DATA {{ GRAPH <{INFERRED}> {{ {BAD_ORG} }} }}")
    assert response.status_code == 204


@pytest.mark.parametrize("text", CHECKED)
@pytest.mark.usefixtures("waiting")
def test_an_update_that_breaks_the_shapes_is_refused_whole(client: TestClient, text: str) -> None:
    before = dump(client)
    response = update(client, text)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "validation_failed" and body["violations"]
    assert dump(client) == before


def test_a_conforming_insert_where_is_written(client: TestClient) -> None:
    text = (
        f"INSERT {{ GRAPH <{MARKET}> {{ ?o rdfs:comment 'checked' }} }} "
        f"WHERE {{ GRAPH <{MARKET}> {{ ?o a kl:Organisation }} }}"
    )
    assert update(client, text).status_code == 204
    query = f"{PREFIXES}ASK {{ GRAPH <{MARKET}> {{ ?o rdfs:comment 'checked' }} }}"
    answer = client.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"})
    assert answer.text.strip().endswith("true")


def test_an_operation_reading_what_an_earlier_one_changed_is_refused(client: TestClient) -> None:
    before = dump(client)
    text = (
        f"INSERT DATA {{ GRAPH <{MARKET}> {{ exorg:y rdfs:comment 'x' }} }} ; "
        f"INSERT {{ GRAPH <{MARKET}> {{ ?o rdfs:seeAlso ?o }} }} "
        f"WHERE {{ GRAPH <{MARKET}> {{ ?o rdfs:comment 'x' }} }}"
    )
    response = update(client, text)
    assert response.status_code == 400, response.text
    assert "separate requests" in response.json()["hint"]
    assert dump(client) == before


def test_a_load_is_checked_and_what_it_writes_is_what_was_checked(
    client: TestClient, served: tuple[str, Path]
) -> None:
    base, folder = served
    turtle_prefixes = PREFIXES.replace("PREFIX", "@prefix").replace(">\n", "> .\n")
    (folder / "bad.ttl").write_text(f"{turtle_prefixes}{BAD_ORG} .\n")
    (folder / "good.ttl").write_text("<urn:loaded> <urn:p> 'fetched' .\n")
    before = dump(client)
    assert update(client, f"LOAD <{base}bad.ttl> INTO GRAPH <{MARKET}>").status_code == 422
    assert update(client, f"LOAD <{base}missing.ttl> INTO GRAPH <{MARKET}>").status_code == 400
    assert dump(client) == before
    silent = update(client, f"LOAD SILENT <{base}missing.ttl> INTO GRAPH <{MARKET}>")
    assert silent.status_code == 204
    assert dump(client) == before
    target = "https://example.org/kringloop/graph/loaded"
    assert update(client, f"LOAD <{base}good.ttl> INTO GRAPH <{target}>").status_code == 204
    assert count(client, target) == 1


# ---- The command line ------------------------------------------------------------------------


def test_the_cli_refuses_a_cut_off_rdf_xml_file_and_an_empty_restore(tmp_path: Path) -> None:
    env = {"KRINGLOOP_STORE_PATH": str(tmp_path / "store"), "KRINGLOOP_DEMO_DATA": "false"}
    runner = CliRunner()
    good = tmp_path / "good.ttl"
    good.write_text("<urn:a> <urn:p> 1 .\n")
    assert runner.invoke(cli, ["load", str(good), "--no-validate"], env=env).exit_code == 0
    cut = tmp_path / "cut.rdf"
    cut.write_text(RDF_XML_HEAD + '<rdf:Description rdf:about="urn:b">')
    result = runner.invoke(cli, ["load", str(cut), "--no-validate"], env=env)
    assert result.exit_code == 2 and "not well-formed" in result.output, result.output
    empty = tmp_path / "empty.nq"
    empty.write_text("")
    result = runner.invoke(cli, ["restore", str(empty), "--replace"], env=env)
    assert result.exit_code == 2 and "--allow-empty" in result.output, result.output
    stats = runner.invoke(cli, ["query", "ASK { GRAPH ?g { <urn:a> ?p ?o } }"], env=env)
    assert "true" in stats.output.lower()
    args = ["restore", str(empty), "--replace", "--allow-empty"]
    assert runner.invoke(cli, args, env=env).exit_code == 0
