"""Nobody where they don't belong: write-path auth, no outbound requests, parser attacks,
escaped pages with security headers, Swagger UI from this host."""

from __future__ import annotations

import hashlib
import http.server
import os
import re
import signal
import socketserver
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from kringloop.graph import OxigraphStore
from kringloop.service.app import create_app
from kringloop.service.routes_ui import SECURITY_HEADERS
from kringloop.service.settings import Settings
from tests.conftest import free_port
from tests.hardening import canonical_hash
from tests.test_serve import wait_for

TOKEN = "s3cret-token"
G = "https://example.org/graph/attack"
TTL = '<https://example.org/a> <https://example.org/p> "x" .'


def client_for(**overrides: Any) -> TestClient:
    values: dict[str, Any] = {"store": "memory", "demo_data": False, "validate_data": False}
    values.update(overrides)
    return TestClient(create_app(Settings(**values)))


# Every route that writes, and a body that would succeed with the right token.
WRITES: list[tuple[str, str, dict[str, str], Any]] = [
    ("POST", "/sparql", {"Content-Type": "application/sparql-update"}, f"INSERT DATA {{ {TTL} }}"),
    (
        "POST",
        "/sparql",
        {"Content-Type": "application/x-www-form-urlencoded"},
        "update=" + quote(f"INSERT DATA {{ {TTL} }}"),
    ),
    ("POST", "/update", {"Content-Type": "application/sparql-update"}, f"INSERT DATA {{ {TTL} }}"),
    (
        "POST",
        "/update",
        {"Content-Type": "application/x-www-form-urlencoded"},
        "update=" + quote(f"INSERT DATA {{ {TTL} }}"),
    ),
    ("PUT", f"/store?graph={quote(G)}", {"Content-Type": "application/n-triples"}, TTL),
    ("POST", f"/store?graph={quote(G)}", {"Content-Type": "application/n-triples"}, TTL),
    ("PUT", "/store?default", {"Content-Type": "application/n-triples"}, TTL),
    ("POST", "/store?default", {"Content-Type": "application/n-triples"}, TTL),
    ("POST", "/store", {"Content-Type": "application/n-quads"}, TTL),
    ("DELETE", f"/store?graph={quote(G)}", {}, None),
    ("DELETE", "/store?default", {}, None),
    (
        "POST",
        "/match",
        {"Content-Type": "application/json"},
        '{"what": "chairs", "lat": 51.05, "long": 3.72, "save": true}',
    ),
]
WRITE_IDS = [
    f"{m} {p.split('?')[0]}{'?' + p.split('?')[1][:7] if '?' in p else ''} {h}"
    for m, p, h, _ in [(m, p, h.get("Content-Type", "").split("/")[-1], b) for m, p, h, b in WRITES]
]


def _seed(client: TestClient) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]
    store.update(
        f"INSERT DATA {{ GRAPH <{G}> {{ {TTL} }} "
        "<https://example.org/d> <https://example.org/p> 1 }"
    )


def _send(
    client: TestClient,
    method: str,
    path: str,
    headers: dict[str, str],
    body: Any,
    auth: dict[str, str],
) -> httpx.Response:
    response: httpx.Response = client.request(
        method, path, content=body, headers={**headers, **auth}
    )
    return response


@pytest.mark.parametrize(("method", "path", "headers", "body"), WRITES, ids=WRITE_IDS)
def test_every_write_path_needs_the_token(
    method: str, path: str, headers: dict[str, str], body: Any
) -> None:
    hashed = hashlib.sha256(TOKEN.encode()).hexdigest()
    # read-only: no token configured → 403, whatever is sent
    with client_for() as client:
        _seed(client)
        before = canonical_hash(client.app.state.store)  # type: ignore[attr-defined]
        for auth in ({}, {"Authorization": f"Bearer {TOKEN}"}):
            response = _send(client, method, path, headers, body, auth)
            assert response.status_code == 403, response.text
            assert response.json()["error"] == "forbidden"
        assert canonical_hash(client.app.state.store) == before  # type: ignore[attr-defined]
    for config in ({"write_token": SecretStr(TOKEN)}, {"write_token_sha256": hashed}):
        with client_for(**config) as client:
            _seed(client)
            store = client.app.state.store  # type: ignore[attr-defined]
            before = canonical_hash(store)
            cases = [
                ({}, 401),
                ({"Authorization": "Bearer wrong"}, 403),
                ({"Authorization": f"Bearer {TOKEN}x"}, 403),
                ({"Authorization": f"Basic {TOKEN}"}, 401),
                ({"Authorization": TOKEN}, 401),
            ]
            for auth, status in cases:
                response = _send(client, method, path, headers, body, auth)
                assert response.status_code == status, (auth, response.text)
                if status == 401:
                    assert response.headers["WWW-Authenticate"].startswith("Bearer")
                assert canonical_hash(store) == before, auth
            response = _send(
                client, method, path, headers, body, {"Authorization": f"Bearer {TOKEN}"}
            )
            if path == "/match":  # past the token check; may not resolve "chairs" here
                assert response.status_code in (200, 422), response.text
                assert response.json().get("error") != "forbidden"
            else:
                assert response.status_code in (200, 201, 204), response.text


def test_the_token_is_compared_in_constant_time() -> None:
    source = Path(__file__).parents[1] / "service" / "auth.py"
    text = source.read_text()
    assert (
        "hmac.compare_digest" in text
        and "=="
        not in re.sub(r'""".*?"""', "", text, flags=re.S)
        .split("def token_matches")[1]
        .split("def check_writer")[0]
    )


# ---- HTML: escaping and headers ------------------------------------------------------------

XSS = '<script>alert("x")</script>'


def test_pages_escape_data_and_send_security_headers() -> None:
    with client_for() as client:
        store = client.app.state.store  # type: ignore[attr-defined]
        evil = "https://w3id.org/kringloop/id/organisation/evil"
        store.update(
            "INSERT DATA { GRAPH <https://example.org/g> { "
            f"<{evil}> <http://www.w3.org/2000/01/rdf-schema#label> {ox.Literal(XSS)} ; "
            f"<https://example.org/p> {ox.Literal(XSS, language='en')} ; "
            f"a <https://w3id.org/kringloop/ns#Organisation> }} }}"
        )
        pages = [
            "/",
            "/id/organisation/evil",
            f"/resource?iri={quote(evil)}",
            "/ontology",
            "/queries",
            f"/neighbourhood?iri={quote(evil)}",
            "/loops",
            "/docs",
            f"/resource?iri={quote('https://example.org/' + XSS)}",
            f"/nothing-here-{quote(XSS)}",
        ]
        for page in pages:
            response = client.get(page, headers={"Accept": "text/html"})
            assert response.status_code < 500, page
            if not response.headers.get("content-type", "").startswith("text/html"):
                continue
            assert XSS not in response.text, page
            for name in SECURITY_HEADERS:
                assert name in response.headers, (page, name)
            assert "default-src" in response.headers["Content-Security-Policy"]


def test_docs_load_nothing_from_other_hosts() -> None:
    with client_for() as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assert client.get("/redoc").status_code == 404
        urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls)
        for url in urls:
            assert client.get(url).status_code == 200, url
        init = client.get("/static/swagger/init.js").text
        assert "validatorUrl: null" in init and 'url: "/openapi.json"' in init
        assert "cdn" not in page.text.lower()
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_named_query_parameters_cannot_change_the_query() -> None:
    with client_for() as client:
        _seed(client)
        store = client.app.state.store  # type: ignore[attr-defined]
        before = canonical_hash(store)
        catalog = client.get("/queries").json()
        payloads = ['"} ; DROP ALL #', "> } DELETE WHERE { ?s ?p ?o } #", 'x" . ?s ?p ?o . "']
        tried = 0
        for query in catalog:
            for parameter in query["parameters"]:
                for payload in payloads:
                    response = client.get(query["url"], params={parameter["name"]: payload})
                    assert response.status_code in (200, 400, 422), response.text
                    tried += 1
        assert tried > 10
        assert canonical_hash(store) == before


# ---- Parsers: XML entities, JSON-LD contexts, nesting ---------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
    + ']>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns:e="http://e.org/"><rdf:Description rdf:about="http://e.org/s"><e:p>&i;</e:p>'
    "</rdf:Description></rdf:RDF>"
)
#: A legitimate use of entities (OWL files abbreviate namespaces so) must keep working.
XML_WITH_ENTITIES = (
    '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY e "http://e.org/">]>\n'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://e.org/">'
    '<rdf:Description rdf:about="&e;s"><e:p rdf:resource="&e;o"/></rdf:Description></rdf:RDF>'
)


def test_rdf_xml_entity_bombs_are_refused_and_plain_entities_work() -> None:
    with client_for(write_token=SecretStr(TOKEN)) as client:
        auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/rdf+xml"}
        response = client.post(f"/store?graph={quote(G)}", content=BILLION_LAUGHS, headers=auth)
        assert response.status_code == 400 and "entit" in response.json()["message"]
        response = client.post(f"/store?graph={quote(G)}", content=XML_WITH_ENTITIES, headers=auth)
        assert response.status_code == 201, response.text
        assert client.app.state.store.count(ox.NamedNode(G)) == 1  # type: ignore[attr-defined]


# ---- Outbound requests: a real server, a trap on loopback, a socket guard -------------------

SITECUSTOMIZE = textwrap.dedent(
    '''
    """Test-only: record and block every connection this process would make off loopback."""
    import os
    import socket

    _LOG = os.environ["KRINGLOOP_OUTBOUND_LOG"]
    _LOCAL = {"127.0.0.1", "::1", "localhost", "0.0.0.0", ""}
    _connect, _connect_ex, _getaddrinfo = (
        socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo
    )


    def _record(what):
        with open(_LOG, "a") as log:
            log.write(f"{os.getpid()} {what}\\n")


    def _remote(sock, address):
        return sock.family in (socket.AF_INET, socket.AF_INET6) and str(address[0]) not in _LOCAL


    def connect(self, address):
        if _remote(self, address):
            _record(f"connect {address}")
            raise OSError("outbound connection blocked by the test guard")
        return _connect(self, address)


    def connect_ex(self, address):
        if _remote(self, address):
            _record(f"connect_ex {address}")
            return 111
        return _connect_ex(self, address)


    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in _LOCAL and name != "None":
            _record(f"getaddrinfo {name}")
            raise socket.gaierror("name lookups blocked by the test guard")
        return _getaddrinfo(host, *args, **kwargs)


    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.getaddrinfo = getaddrinfo
    '''
)


class Trap:
    """An HTTP server on loopback that counts every request (whichever client makes it:
    Python's or the engine's own, written in Rust)."""

    def __init__(self) -> None:
        hits: list[str] = []
        self.hits = hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(f"{self.command} {self.path}")
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.end_headers()
                self.wfile.write(b'{"head": {"vars": []}, "results": {"bindings": []}}')

            do_POST = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def trap() -> Iterator[Trap]:
    found = Trap()
    yield found
    found.close()


def test_the_trap_sees_the_engine_fetch(trap: Trap) -> None:
    """Positive control: without the service's checks, pyoxigraph itself contacts the trap."""
    with pytest.raises((OSError, RuntimeError)):
        result = ox.Store().query(
            f"SELECT * {{ SERVICE <http://127.0.0.1:{trap.port}/s> {{ ?s ?p ?o }} }}"
        )
        assert isinstance(result, ox.QuerySolutions)
        list(result)
    assert trap.hits


def attacks(port: int) -> list[tuple[str, str, dict[str, str], str | bytes, tuple[int, ...]]]:
    """(method, path, headers, body, acceptable statuses) of every attack input."""
    t = f"http://127.0.0.1:{port}/"
    hosts = [t, f"http://localhost:{port}/", "http://kringloop-attack.invalid/"]
    q = {"Content-Type": "application/sparql-query"}
    u = {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"}
    w = {"Authorization": f"Bearer {TOKEN}"}
    refused = (400,)
    found: list[tuple[str, str, dict[str, str], str | bytes, tuple[int, ...]]] = []
    for h in hosts:
        for query in [
            f"SELECT * {{ SERVICE <{h}sparql> {{ ?s ?p ?o }} }}",
            f"SELECT * {{ service silent <{h}sparql> {{ ?s ?p ?o }} }}",
            f"SELECT * {{ SERVICE # comment\n <{h}sparql> {{ ?s ?p ?o }} }}",
            f"PREFIX t: <{h}> SELECT * {{ SERVICE t:sparql {{ ?s ?p ?o }} }}",
            f"PREFIX : <{h}> SELECT * {{ SERVICE :sparql {{ ?s ?p ?o }} }}",
            f"BASE <{h}> SELECT * {{ SERVICE <sparql> {{ ?s ?p ?o }} }}",
            f"BASE <http://x.org/> BASE <{h}> SELECT * {{ SERVICE <sparql> {{ ?s ?p ?o }} }}",
            f"SELECT * {{ VALUES ?e {{ <{h}sparql> }} SERVICE ?e {{ ?s ?p ?o }} }}",
            f'SELECT * {{ BIND("\\"" AS ?x) SERVICE <{h}sparql> {{ ?s ?p ?o }} }}',
            f"SELECT * {{ SERVICE <{h.replace(':', chr(92) + 'u003A', 1)}sparql> {{ ?s ?p ?o }} }}",
            f"SELECT * {{ {{ SELECT * {{ SERVICE <{h}sparql> {{ ?s ?p ?o }} }} }} }}",
            f"ASK {{ SERVICE <{h}sparql> {{ ?s ?p ?o }} }}",
            f"CONSTRUCT {{ ?s ?p ?o }} {{ SERVICE <{h}sparql> {{ ?s ?p ?o }} }}",
        ]:
            found.append(("POST", "/sparql", q, query, refused))
            found.append(("GET", "/sparql?query=" + quote(query), {}, "", refused))
        # LOAD SILENT of an address not allowed succeeds, loading nothing (no fetch either)
        found.append(("POST", "/update", u, f"load silent <{h}data.ttl> into graph <{G}>", (204,)))
        found.append(("POST", "/update", u, f"BASE <{h}> LOAD SILENT <data.ttl>", (204,)))
        for update in [
            f"LOAD <{h}data.ttl>",
            f"BASE <{h}> LOAD <data.ttl>",
            f"PREFIX t: <{h}> LOAD t:data.ttl",
            f"INSERT DATA {{ <{G}> <{G}> 1 }} ; LOAD <{h}data.ttl>",
            f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{h}sparql> {{ ?s ?p ?o }} }}",
        ]:
            found.append(("POST", "/update", u, update, refused))
        # no fetch even where the engine could decide to: dataset clauses, DESCRIBE
        found.append(("POST", "/sparql", q, f"SELECT * FROM <{h}g> {{ ?s ?p ?o }}", (200,)))
        found.append(("POST", "/sparql", q, f"DESCRIBE <{h}thing>", (200,)))
        found.append(
            ("GET", f"/sparql?query=ASK%7B%7D&default-graph-uri={quote(h)}g", {}, "", (200,))
        )
        # JSON-LD remote contexts, RDF/XML external entities, Turtle base
        for body, media in [
            (f'{{"@context": "{h}ctx.jsonld", "@id": "{G}/s", "p": "v"}}', "application/ld+json"),
            (f'{{"@context": ["{h}ctx.jsonld"], "@id": "{G}/s"}}', "application/ld+json"),
            (
                f'{{"@context": {{"@import": "{h}ctx.jsonld"}}, "@id": "{G}/s"}}',
                "application/ld+json",
            ),
            (
                f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "{h}x">]>'
                '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                'xmlns:e="http://e.org/"><rdf:Description rdf:about="http://e.org/s">'
                "<e:p>&x;</e:p></rdf:Description></rdf:RDF>",
                "application/rdf+xml",
            ),
            (
                f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % x SYSTEM "{h}x"> %x;]>'
                '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>',
                "application/rdf+xml",
            ),
        ]:
            found.append(
                ("POST", f"/store?graph={quote(G)}", {**w, "Content-Type": media}, body, refused)
            )
        found.append(
            (
                "POST",
                f"/store?graph={quote(G)}",
                {**w, "Content-Type": "text/turtle"},
                f"@base <{h}> . <s> <p> <o> .",
                (201, 204),
            )
        )
        # pages and APIs that take IRIs: they are looked up in the store, never fetched
        for page in [f"/resource?iri={quote(h)}x", f"/neighbourhood?iri={quote(h)}x"]:
            found.append(("GET", page, {"Accept": "text/html"}, "", (200, 404)))
        found.append(
            (
                "POST",
                "/match",
                {"Content-Type": "application/json"},
                f'{{"what": "{h}product", "requester": "{h}org"}}',
                (200, 422),
            )
        )
    # bombs: refused, and the server stays up
    found.append(("POST", "/sparql", q, "SELECT * WHERE " + "{" * 5000 + "}" * 5000, refused))
    found.append(
        (
            "POST",
            "/update",
            u,
            "INSERT DATA { <a:b> <a:b> " + "(" * 5000 + ")" * 5000 + " }",
            refused,
        )
    )
    found.append(
        (
            "POST",
            f"/store?graph={quote(G)}",
            {**w, "Content-Type": "application/ld+json"},
            '{"@id": "http://e.org/s", '
            + '"http://e.org/p": {' * 5000
            + '"@id": "http://e.org/x"'
            + "}" * 5001,
            refused,
        )
    )
    found.append(
        (
            "POST",
            f"/store?graph={quote(G)}",
            {**w, "Content-Type": "text/turtle"},
            "<http://e.org/s> <http://e.org/p> "
            + "[ <http://e.org/p> " * 5000
            + "1"
            + " ]" * 5000
            + " .",
            refused,
        )
    )
    found.append(
        (
            "POST",
            f"/store?graph={quote(G)}",
            {**w, "Content-Type": "application/rdf+xml"},
            BILLION_LAUGHS,
            refused,
        )
    )
    return found


@pytest.mark.slow
def test_no_attack_input_makes_the_server_connect_anywhere(tmp_path: Path, trap: Trap) -> None:
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = tmp_path / "outbound.log"
    log.touch()
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(guard), os.environ.get("PYTHONPATH", "")]),
        "KRINGLOOP_OUTBOUND_LOG": str(log),
        "KRINGLOOP_STORE_PATH": str(tmp_path / "store"),
        "KRINGLOOP_DEMO_DATA": "false",
        "KRINGLOOP_VALIDATE_DATA": "false",
        "KRINGLOOP_WRITE_TOKEN": TOKEN,
        "KRINGLOOP_QUERY_WORKERS": "2",
        "KRINGLOOP_QUERY_TIMEOUT_S": "5",
    }
    OxigraphStore.open(tmp_path / "store").close()
    process = subprocess.Popen(
        [sys.executable, "-m", "kringloop.service.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/healthz", process)
        inputs = attacks(trap.port)
        with httpx.Client(base_url=base, timeout=30) as http:
            for method, path, headers, body, statuses in inputs:
                response = http.request(method, path, headers=headers, content=body or None)
                assert response.status_code in statuses, (
                    method,
                    path,
                    str(body)[:200],
                    response.text[:300],
                )
                assert http.get("/healthz").status_code == 200, (path, str(body)[:100])
        assert process.poll() is None
        assert len(inputs) > 100
        assert trap.hits == [], trap.hits
        assert log.read_text() == ""
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
