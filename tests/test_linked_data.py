"""Linked data and pages: resources as HTML or RDF, labels in the reader's language, escaping,
404, the ontology in three forms, the landing page and the static files."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef

from kringloop.graph import OxigraphStore
from kringloop.graph.bundle import graph_iri
from kringloop.ontology import ONTOLOGY_DIR
from kringloop.queries.catalog import load_catalog
from kringloop.service.app import create_app
from kringloop.service.routes_ui import preferred_languages
from kringloop.service.settings import Settings
from tests.rdfcompare import isomorphic

SAMPLE = Path(__file__).resolve().parent / "fixtures" / "sample.trig"
ID = "https://w3id.org/kringloop/id/"
EX = "https://example.org/kringloop/id/"
CHAIR = ID + "product/office-chair"
KL = "https://w3id.org/kringloop/ns#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def app_client() -> Iterator[tuple[TestClient, OxigraphStore]]:
    app = create_app(Settings(store="memory", demo_data=False, validate_data=False))
    with TestClient(app) as client:
        store: OxigraphStore = app.state.store
        store.raw.load(path=SAMPLE, format=ox.RdfFormat.TRIG)
        yield client, store


@pytest.fixture
def client(app_client: tuple[TestClient, OxigraphStore]) -> TestClient:
    return app_client[0]


def h1(page: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page, re.DOTALL)
    assert found, "the page has no <h1>"
    return found.group(1).strip()


def test_a_browser_gets_a_page_with_types_properties_and_local_links(client: TestClient) -> None:
    response = client.get("/id/product/office-chair", headers={**HTML, "accept-language": "en"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert h1(page) == "office chair"
    assert 'href="/ontology#ProductType"' in page  # its type, on the vocabulary page
    assert 'href="/id/material/steel"' in page  # through the blank-node composition
    assert 'href="/resource?iri=http%3A%2F%2Fdata.europa.eu%2Fcpv%2Fcpv%2F39112000"' in page
    assert "Chairs" in page  # the CPV code shown by its label
    # incoming links: the offers of office chairs
    assert "Refurbished office chairs (example)" in page


def test_pages_carry_security_headers(client: TestClient) -> None:
    for url in ("/", "/id/product/office-chair", "/ontology", "/id/product/nothing"):
        headers = client.get(url, headers=HTML).headers
        policy = headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self';" in policy
        assert "connect-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize(
    ("accept_language", "lang", "label"),
    [
        ("nl", None, "bureaustoel"),
        ("fr-BE,fr;q=0.9", None, "chaise de bureau"),
        ("de, en;q=0.1", None, "office chair"),
        ("de", None, "bureaustoel"),  # none of nl, fr, en accepted: Dutch, the default
        ("", None, "bureaustoel"),
        ("fr;q=0.5, nl;q=0.9", None, "bureaustoel"),
        ("nl;q=0, fr;q=0.2", None, "chaise de bureau"),
        ("nl", "fr", "chaise de bureau"),
    ],
)
def test_labels_follow_the_readers_languages(
    client: TestClient, accept_language: str, lang: str | None, label: str
) -> None:
    params = {"lang": lang} if lang else {}
    headers = {**HTML, "accept-language": accept_language}
    response = client.get("/id/product/office-chair", params=params, headers=headers)
    assert h1(response.text) == label
    assert response.headers["content-language"] == preferred_languages(accept_language, lang)[0]


def test_language_preferences_with_q_values() -> None:
    assert preferred_languages("fr;q=0.3, nl-BE;q=0.8, en") == ["en", "nl", "fr"]
    assert preferred_languages("*") == ["nl", "en", "fr"]
    assert preferred_languages("nl;q=abc, fr") == ["fr", "nl", "en"]


def expected_description() -> Graph:
    """The office chair's own triples and its two compositions (blank nodes), from the file
    (read by pyoxigraph, which writes literals in their canonical form as the service does)."""
    dataset = ox.Store()
    dataset.load(path=SAMPLE, format=ox.RdfFormat.TRIG)
    chair = ox.NamedNode(CHAIR)
    triples = [q.triple for q in dataset.quads_for_pattern(chair, None, None)]
    for triple in list(triples):
        if isinstance(triple.object, ox.BlankNode):
            triples += [q.triple for q in dataset.quads_for_pattern(triple.object, None, None)]
    return Graph().parse(data="".join(f"{t} .\n" for t in triples), format="nt")


@pytest.mark.parametrize(
    ("accept", "media_type", "rdflib_format"),
    [
        ("text/turtle", "text/turtle", "turtle"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/n-triples", "application/n-triples", "nt"),
    ],
)
def test_machines_get_the_concise_bounded_description(
    client: TestClient, accept: str, media_type: str, rdflib_format: str
) -> None:
    response = client.get("/id/product/office-chair", headers={"accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    got = Graph().parse(data=response.text, format=rdflib_format)
    assert isomorphic(got, expected_description())
    assert (URIRef(CHAIR), URIRef(SKOS + "prefLabel"), Literal("bureaustoel", lang="nl")) in got


def test_format_parameter_and_any_iri(client: TestClient) -> None:
    offer = EX + "offer/example-chair-lease"
    response = client.get("/resource", params={"iri": offer, "format": "ttl"})
    assert response.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.text, format="turtle")
    assert (URIRef(offer), URIRef(KL + "itemOffered"), URIRef(CHAIR)) in graph
    page = client.get("/resource", params={"iri": offer}, headers=HTML).text
    assert 'href="/id/product/office-chair"' in page
    assert (
        'href="/resource?iri=https%3A%2F%2Fexample.org%2Fkringloop%2Fid%2Foffer%2Fexample-chair-lease&amp;format=ttl"'
        in page
    )


def test_concept_schemes_are_served_at_their_kind(client: TestClient) -> None:
    response = client.get("/id/strategy", headers={**HTML, "accept-language": "en"})
    assert response.status_code == 200 and h1(response.text) == "Circular strategies"


def test_unknown_resources_are_404(client: TestClient) -> None:
    page = client.get("/id/product/flying-carpet", headers=HTML)
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    assert "https://w3id.org/kringloop/id/product/flying-carpet" in page.text
    data = client.get("/id/product/flying-carpet", headers={"accept": "text/turtle"})
    assert data.status_code == 404
    assert client.get("/resource", params={"iri": "urn:nothing"}).status_code == 404
    assert (
        client.get("/id/product/office-chair", headers={"accept": "image/png"}).status_code == 406
    )


def test_every_value_is_escaped(app_client: tuple[TestClient, OxigraphStore]) -> None:
    client, store = app_client
    attack = '<script>alert("x")</script> & <b>bold</b>'
    store.add_quads(
        [
            ox.Quad(
                ox.NamedNode(CHAIR),
                ox.NamedNode(SKOS + "prefLabel"),
                ox.Literal(attack, language="nl"),
                graph_iri("seed"),
            ),
            ox.Quad(
                ox.NamedNode(CHAIR),
                ox.NamedNode(KL + "note"),
                ox.Literal(attack),
                graph_iri("seed"),
            ),
        ]
    )
    page = client.get("/id/product/office-chair", headers={**HTML, "accept-language": "nl"}).text
    assert "<script>alert" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts == ['<script src="/static/pages.js">']  # the pages' own, nothing inline


def test_the_ontology_in_three_forms(client: TestClient) -> None:
    source = Graph().parse(ONTOLOGY_DIR / "kringloop.ttl", format="turtle")
    turtle = client.get("/ontology", headers={"accept": "text/turtle"})
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert turtle.content == (ONTOLOGY_DIR / "kringloop.ttl").read_bytes()
    jsonld = client.get("/ontology", headers={"accept": "application/ld+json"})
    assert jsonld.headers["content-type"] == "application/ld+json"
    assert isomorphic(Graph().parse(data=jsonld.text, format="json-ld"), source)
    english = client.get("/ontology", headers={**HTML, "accept-language": "en"})
    assert english.status_code == 200
    assert 'id="Organisation"' in english.text and "Organisation" in english.text
    assert "subclass of" in english.text and "domain" in english.text
    dutch = client.get("/ontology", headers={**HTML, "accept-language": "nl-BE"}).text
    assert "Organisatie" in dutch and 'lang="nl"' in dutch
    assert "Localité" in client.get("/ontology", params={"lang": "fr"}, headers=HTML).text
    for shown in ("https://w3id.org/kringloop/ns/0.1.0", "kringloop contributors", "2026-12-07"):
        assert shown in english.text, shown
    assert 'rel="license"' in english.text and "creativecommons.org/licenses/by/4.0" in english.text


def test_the_landing_page_counts_graphs_and_links_every_task(client: TestClient) -> None:
    response = client.get("/", headers=HTML)
    assert response.status_code == 200
    page = response.text
    for path in ("/find", "/loops", "/loops/gaps", "/organisations", "/sparql-editor", "/queries"):
        assert f'href="{path}?lang=nl"' in page, path
    assert 'href="/docs"' in page and 'href="/ontology?lang=nl"' in page
    assert "https://w3id.org/kringloop/graph/market" in page
    assert re.search(r"https://w3id.org/kringloop/graph/market</code></td><td[^>]*>\d", page)
    # everything the page loads comes from this host
    for tag, url in re.findall(r'<(script|link)\b[^>]*\b(?:src|href)="([^"]*)"', page):
        assert url.startswith("/") or url.startswith("data:"), (tag, url)


def test_the_sparql_editor_page_configures_yasgui(client: TestClient) -> None:
    response = client.get("/sparql-editor", headers=HTML)
    assert response.status_code == 200
    page = response.text
    assert 'href="/sparql"' in page
    config_text = re.search(
        r'<script type="application/json" id="editor-config">(.*?)</script>', page, re.DOTALL
    )
    assert config_text
    config = json.loads(config_text.group(1))
    assert config["endpoint"] == "/sparql" and config["prefixes"] == "/static/prefixes.json"
    assert config["overview"]["name"] == "Overzicht"  # the page's language: Dutch by default
    names = [tab["name"] for tab in config["tabs"]]
    assert names == load_catalog().names()
    assert all("VALUES" in t["query"] or "?_" not in t["query"] for t in config["tabs"])
    assert re.findall(r'<script src="([^"]+)"', page) == [
        "/static/pages.js",
        "/static/yasgui/yasgui.min.js",
        "/static/editor.js",
    ]
    for tag, url in re.findall(r'<(script|link)\b[^>]*\b(?:src|href)="([^"]*)"', page):
        assert url.startswith("/") or url.startswith("data:"), (tag, url)


def test_static_files_are_served_and_stay_in_their_folder(client: TestClient) -> None:
    js = client.get("/static/yasgui/yasgui.min.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert (
        client.get("/static/yasgui/yasgui.min.css").headers["content-type"].startswith("text/css")
    )
    prefixes = client.get("/static/prefixes.json").json()
    assert prefixes["kl"] == KL
    for bad in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/nothing.js", "/static/"):
        assert client.get(bad).status_code == 404


def test_the_editor_is_configured_to_stay_offline() -> None:
    static = Path(__file__).resolve().parent.parent / "service" / "static"
    script = (static / "editor.js").read_text(encoding="utf-8")
    assert 'completers.splice(0, completers.length, "variables", "prefixes")' in script
    assert "persistenceId: null" in script and "prefixCcApi: config.prefixes" in script
    css = (static / "yasgui" / "yasgui.min.css").read_text(encoding="utf-8")
    assert "url(" not in css and "@import" not in css and "@font-face" not in css
