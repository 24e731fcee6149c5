"""The web app without a browser: every page in Dutch says nothing in English, the catalogues
have every text in three languages, content negotiation keeps the API's JSON, the GET form
round-trips every request field, and the ways out (suggestions, changes) rerun the request."""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import json
import re
import string
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from kringloop.queries import loops
from kringloop.queries.request import COMPONENTS, MatchRequest, Weights
from kringloop.service import match_form, pages_loops
from kringloop.service.app import create_app
from kringloop.service.i18n import LANGUAGES, catalogue, page_languages
from kringloop.service.settings import Settings

TOKEN = "pages-token"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
HTML = {"accept": BROWSER, "accept-language": "nl-BE,nl;q=0.9"}
JSON = {"accept": "application/json"}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    settings = Settings(store="memory", demo_data=True, write_token=SecretStr(TOKEN))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def saved(client: TestClient) -> str:
    """A stored match (carpet tiles near Roeselare: promised loops, a missing role)."""
    answer = client.post(
        "/match",
        json={"what": "tapijttegels", "near": "Roeselare", "save": True},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert answer.status_code == 200, answer.text
    match_id: str = answer.json()["id"]
    return match_id


# -- the catalogues ----------------------------------------------------------------------------


def fields_of(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_text_is_there_in_three_languages_with_the_same_parameters() -> None:
    for key, forms in catalogue().items():
        assert len(forms) == 3 and all(f.strip() for f in forms), key
        assert fields_of(forms[0]) == fields_of(forms[1]) == fields_of(forms[2]), key


def test_the_page_language_is_asked_accepted_or_dutch() -> None:
    assert page_languages(None)[0] == "nl"
    assert page_languages("de-DE,de;q=0.9")[0] == "nl"
    assert page_languages("fr-BE,fr;q=0.9,nl;q=0.5")[0] == "fr"
    assert page_languages("en-US,en;q=0.9")[0] == "en"
    assert page_languages("en-US", "fr")[0] == "fr"
    assert set(page_languages("en")) == set(LANGUAGES)


#: English fragments of the catalogues: what a Dutch page must not say. A form that is the
#: same in English and Dutch ("score", "open", "EPEAT") says nothing English.
def english_fragments() -> set[str]:
    found = set()
    for en, nl, _ in catalogue().values():
        if en == nl:
            continue
        for part in re.split(r"\{[^}]*\}", en):
            part = part.strip(" .,:;()·\u2013-\u202f")
            if len(part) >= 4 and part.lower() not in nl.lower():
                found.add(part)
    return found


ENGLISH = english_fragments()


def names_in_the_graph(client: TestClient, *, every: bool = False) -> list[str]:
    """The names the graph gives things in Dutch or without a language (proper names such as
    "Example Office Refurb Hasselt" may hold an English word: they are data, not the page);
    with ``every``, every text of the graph in any language (pages that show the data as it
    is: the linked-data pages, the graph pages' facts)."""
    store = client.app.state.store  # type: ignore[attr-defined]
    languages = "" if every else '&& (LANG(?label) = "" || LANG(?label) = "nl")'
    rows = store.select(
        f"SELECT DISTINCT ?label WHERE {{ ?s ?p ?label FILTER(isLiteral(?label) {languages}) "
        "FILTER(DATATYPE(?label) = <http://www.w3.org/2001/XMLSchema#string> || "
        "LANG(?label) != '') }",
        union_default_graph=True,
    )
    return sorted({str(r["label"].value) for r in rows}, key=len, reverse=True)


#: Pages that show what the graph says as it is (its literals in any language are data).
SHOWS_DATA = ("/id/", "/resource", "/ontology", "/viz/neighbourhood")


def readable_text(page: str, names: list[str]) -> str:
    """What a reader sees of ``page``, without identifiers, English-tagged parts and names."""
    for tag in ("script", "style", "code", "pre"):
        page = re.sub(rf"<{tag}\b.*?</{tag}>", " ", page, flags=re.S)
    page = re.sub(r'<(?!html)(\w+)[^>]*\blang="en"[^>]*>.*?</\1>', " ", page, flags=re.S)
    page = re.sub(r'<a [^>]*hreflang="en"[^>]*>.*?</a>', " ", page, flags=re.S)  # "English"
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    text = re.sub(r"\S*://\S*", " ", text)
    # the names, said the same way as the text (IRIs out, spaces as one), as whole words
    said = {" ".join(re.sub(r"\S*://\S*", " ", name).split()) for name in names}
    alternatives = sorted((n for n in said if len(n) >= 2), key=len, reverse=True)
    if alternatives:
        pattern = "|".join(re.escape(n) for n in alternatives)
        text = re.sub(rf"(?<![\w-])(?:{pattern})(?![\w-])", " ", text)
    return text


def viz_text(page: str) -> str:
    """The texts a graph page draws: node labels, tooltips, side-panel facts, edge labels."""
    found = re.search(r'<script type="application/json" id="viz-data">(.*?)</script>', page, re.S)
    assert found is not None
    data = json.loads(found.group(1))
    parts = []
    for node in data["nodes"]:
        parts += [node["label"], node["title"], *(v for fact in node["facts"] for v in fact)]
        parts += [link[0] for link in node["links"]]
    for edge in data["edges"]:
        parts += [edge.get("label", ""), edge.get("title", "")]
    return "\n".join(parts)


def english_in(text: str) -> list[str]:
    return sorted(f for f in ENGLISH if re.search(rf"(?<![\w-]){re.escape(f)}(?![\w-])", text))


DUTCH_PAGES = [
    "/",
    "/find",
    "/find?what=bureaustoelen&near=Hasselt&business_models=lease",
    "/find?what=tapijttegels&near=Roeselare",
    "/find?what=bureaustoelen&near=Hasselt&quantity=5000&partial=0",
    "/find?what=bureaustoelen&near=Hasseltt",
    "/find?what=bureaustoelen&near=Hasselt&within_km=veel&business_models=leese",
    "/loops",
    "/loops?category=bureaustoel&region=limburg",
    "/loops?category=bureaustoeltjes-xyz",
    "/loops/gaps",
    "/organisations",
    "/organisations?role=refurbisher",
    "/sparql-editor",
    "/ontology",
    "/queries",
    "/id/product/office-chair",
    "/id/product/flying-carpet",
    "/no/such/page",
    "/viz/match",
]
GRAPH_PAGES = [
    "/viz/match?what=tapijttegels&near=Roeselare",
    "/viz/loops?category=bureaustoel",
    "/viz/neighbourhood?iri=https://example.org/kringloop/id/organisation/office-refurb-hasselt",
]


@pytest.mark.parametrize("url", DUTCH_PAGES)
def test_a_dutch_page_says_nothing_in_english(client: TestClient, url: str) -> None:
    response = client.get(url, headers=HTML)
    assert response.headers["content-type"].startswith("text/html"), url
    assert response.headers["content-language"] == "nl"
    assert '<html lang="nl">' in response.text
    names = names_in_the_graph(client, every=url.startswith(SHOWS_DATA))
    assert english_in(readable_text(response.text, names)) == [], url


def test_the_check_finds_english_on_an_english_page(client: TestClient) -> None:
    page = client.get("/find?what=tapijttegels&near=Roeselare&lang=en", headers=HTML).text
    found = english_in(readable_text(page, names_in_the_graph(client)))
    assert {"Business model", "What this chain rests on", "Missing role"} <= set(found)


def test_the_stored_match_page_says_nothing_in_english(client: TestClient, saved: str) -> None:
    response = client.get(f"/match/{saved}", headers=HTML)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/")
    assert english_in(readable_text(response.text, names_in_the_graph(client))) == []
    assert "Herkomst" in response.text and "Bewaarde match" in response.text


@pytest.mark.parametrize("url", GRAPH_PAGES)
def test_a_dutch_graph_page_draws_nothing_in_english(client: TestClient, url: str) -> None:
    response = client.get(url, headers=HTML)
    assert response.status_code == 200, response.text
    names = names_in_the_graph(client, every=url.startswith(SHOWS_DATA))
    assert english_in(readable_text(response.text, names)) == [], url
    drawn = viz_text(response.text)
    for name in names:
        drawn = drawn.replace(name, " ")
    assert english_in(re.sub(r"\S*://\S*", " ", drawn)) == [], url


def test_a_french_page_is_french(client: TestClient) -> None:
    url = "/find?what=bureaustoelen&near=Hasselt&business_models=lease&lang=fr"
    page = client.get(url, headers=HTML).text
    assert '<html lang="fr">' in page and "fermée" in page and "Location" in page
    assert "gesloten" not in page and "Leasing" not in page
    assert "Chaînes pour Chaise de bureau près de Hasselt" in page  # the product in French


# -- content negotiation -----------------------------------------------------------------------


def census_json(client: TestClient) -> dict[str, Any]:
    store = client.app.state.store  # type: ignore[attr-defined]
    census = loops.census(store)
    return {
        "cells": [dataclasses.asdict(c) for c in census.cells],
        "loops": [dataclasses.asdict(lp) for lp in census.loops],
        "demand": [dataclasses.asdict(d) for d in census.demand],
        "closed": census.count("closed"),
        "promised": census.count("promised"),
        "open": census.count("open"),
    }


def test_loops_are_json_for_api_clients_and_a_page_for_browsers(client: TestClient) -> None:
    expected = json.loads(json.dumps(census_json(client)))
    for headers in ({}, JSON, {"accept": "*/*"}):
        response = client.get("/loops", headers=headers)
        assert response.headers["content-type"] == "application/json"
        assert response.json() == expected
    page = client.get("/loops", headers=HTML)
    assert page.headers["content-type"].startswith("text/html")
    assert "Kringlopen per categorie en regio" in page.text
    assert client.get("/loops", params={"format": "json"}, headers=HTML).json() == expected
    gaps = client.get("/loops/gaps", headers=JSON).json()
    assert set(gaps) == {"gaps", "bottlenecks"}
    assert client.get("/loops/gaps", headers=HTML).headers["content-type"].startswith("text/html")
    assert client.get("/loops", headers={"accept": "image/png"}).status_code == 406


def test_the_loops_page_shows_demand_that_no_loop_serves_first(client: TestClient) -> None:
    """The facilitator's question: where is demand that no loop can serve? One row per
    category and region of the census's demand, the unserved first, with who asks."""
    census = loops.census(client.app.state.store)  # type: ignore[attr-defined]
    assert census.demand and any(d.unserved for d in census.demand)
    page = client.get("/loops", headers=HTML).text
    section = page[page.index('<table class="demand">') :]
    section = section[: section.index("</table>")]
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", section, re.S)
    assert len(rows) == len(census.demand)
    unserved = [int(re.findall(r'class="number open">(\d+)<', row)[0]) for row in rows]
    assert unserved == sorted(unserved, reverse=True) and unserved[0] > 0
    needs = sum(d.needs for d in census.demand)
    total = sum(d.unserved for d in census.demand)
    assert f"{needs} behoefte(n), waarvan {total} zonder gesloten kringloop." in page
    worst = max(census.demand, key=lambda d: d.unserved)
    for buyer in worst.buyer_labels:
        assert html.escape(buyer) in rows[0]
    french = client.get("/loops", params={"lang": "fr"}, headers=HTML).text
    assert "<h2>Demande</h2>" in french and "sans boucle fermée" in french


def test_the_demand_as_csv_is_the_census_demand_unserved_first(client: TestClient) -> None:
    census = loops.census(client.app.state.store)  # type: ignore[attr-defined]
    page = client.get("/loops", headers=HTML).text
    assert 'href="/loops?format=csv&amp;table=demand&amp;lang=nl" download' in page
    response = client.get("/loops", params={"format": "csv", "table": "demand"})
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="kringloop-demand.csv"' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:4] == ["Categorie", "category", "Regio", "region"]
    assert rows[0][8] == "geen kringloop" and rows[0][-1] == "buyers"
    assert len(rows) - 1 == len(census.demand)
    unserved = [int(r[8]) for r in rows[1:]]
    assert unserved == sorted(unserved, reverse=True) and unserved[0] > 0
    assert sum(int(r[4]) for r in rows[1:]) == sum(d.needs for d in census.demand)
    by_cell = {(d.category, d.region): d for d in census.demand}
    for row in rows[1:]:
        d = by_cell[(row[1], row[3])]
        assert row[11].split() == list(d.buyers)
    french = client.get("/loops", params={"format": "csv", "table": "demand", "lang": "fr"})
    assert "aucune boucle" in french.text.splitlines()[0]
    refused = client.get("/loops", params={"format": "csv", "table": "buyers"})
    assert refused.status_code == 422 and "table" in refused.text


def test_the_gaps_page_shows_a_page_of_gaps_and_links_to_the_others(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 100k organisations a census holds ~10k gaps: a page shows a hundred of them, in
    the census's order, with links to the pages before and after; the CSV holds them all."""
    monkeypatch.setattr(pages_loops, "GAPS_PER_PAGE", 3)
    census = loops.census(client.app.state.store)  # type: ignore[attr-defined]
    total = len(census.gaps)
    assert total > 6, "the demo data has gaps for three pages"
    csv_rows = list(csv.reader(io.StringIO(client.get("/loops/gaps?format=csv").text)))[1:]
    assert [r[2] for r in csv_rows] == [g.subject for g in census.gaps]
    seen: list[str] = []
    target: str | None = "/loops/gaps?lang=nl"
    pages = 0
    while target:
        page = client.get(target, headers=HTML).text
        items = re.findall(r'<li class="gap-item.*?<a href="([^"]+)">', page, re.S)
        assert 0 < len(items) <= 3
        seen += [html.unescape(i) for i in items]
        pages += 1
        assert f"van {total}; de CSV bevat ze allemaal." in page
        assert (pages > 1) == ('rel="prev"' in page)
        later = re.search(
            r'<a class="no-print" href="([^"]+)" rel="next">Volgende hiaten</a>', page
        )
        target = html.unescape(later.group(1)) if later else None
    assert pages == -(-total // 3)
    assert len(seen) == total  # each gap once, on one page
    beyond = client.get("/loops/gaps", params={"page": 999}, headers=HTML).text
    assert f"Hiaten {3 * (pages - 1) + 1} tot {total} van {total}" in beyond
    assert client.get("/loops/gaps", params={"page": 0}, headers=HTML).status_code == 422
    assert len(client.get("/loops/gaps", params={"page": 2}, headers=JSON).json()["gaps"]) == total


def test_the_demand_table_names_the_first_buyers_and_how_many_more(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages_loops, "BUYERS_SHOWN", 1)
    census = loops.census(client.app.state.store)  # type: ignore[attr-defined]
    crowded = [d for d in census.demand if len(d.buyers) > 1]
    assert crowded, "the demo data has a category and region that several buyers ask for"
    page = client.get("/loops", headers=HTML).text
    table = page[page.index('<table class="demand">') :]
    rows_of = re.findall(
        r"<tr><th scope=\"row\">(.*?)</tr>", table[: table.index("</table>")], re.S
    )
    named = [len(re.findall(r'<a href="/resource\?', row)) for row in rows_of]
    assert named and max(named) == 1, "one buyer named per row"
    for d in crowded:
        assert f"en nog {len(d.buyers) - 1}" in page
    rows = list(csv.reader(io.StringIO(client.get("/loops?format=csv&table=demand").text)))
    by_cell = {(r[1], r[3]): r for r in rows[1:]}
    for d in crowded:
        assert by_cell[(d.category, d.region)][11].split() == list(d.buyers)


def test_loops_and_gaps_as_csv(client: TestClient) -> None:
    response = client.get("/loops", params={"format": "csv", "category": "bureaustoel"})
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:2] == ["Categorie", "category"] and len(rows) > 1
    assert all(row[1] == "https://w3id.org/kringloop/id/product/office-chair" for row in rows[1:])
    body = census_json(client)
    chairs = [c for c in body["cells"] if c["category"].endswith("/office-chair")]
    assert sum(int(r[4]) for r in rows[1:]) == sum(c["closed"] for c in chairs)
    gaps = client.get("/loops/gaps", params={"format": "csv", "lang": "fr"})
    lines = list(csv.reader(io.StringIO(gaps.text)))
    assert "Rôle manquant" in lines[0] and len(lines) > 1


def test_a_stored_match_is_json_or_its_page(client: TestClient, saved: str) -> None:
    data = client.get(f"/match/{saved}", headers=JSON)
    assert data.headers["content-type"] == "application/json" and data.json()["id"] == saved
    assert client.get(f"/match/{saved}").json()["id"] == saved  # */*: JSON, as before
    page = client.get(f"/match/{saved}", headers={**HTML, "accept-language": "en"})
    assert page.headers["content-type"].startswith("text/html")
    assert "Provenance" in page.text and f"/id/match/{saved}" in page.text
    assert "Example Carpet Mills Oudenaarde" in page.text


def test_browsers_get_error_pages_api_clients_the_error_body(client: TestClient) -> None:
    page = client.get("/no/such/page", headers=HTML)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Niet gevonden" in page.text
    assert client.get("/no/such/page").json()["error"] == "not_found"
    typo = client.get(
        "/viz/match", params={"what": "bureaustoelen", "near": "Hasseltt"}, headers=HTML
    )
    assert typo.status_code == 422 and "Hasseltt" in typo.text
    assert 'href="/viz/match?what=bureaustoelen&amp;near=Hasselt"' in typo.text
    assert client.get("/viz/match", params={"what": "x"}).json()["status"] == 400


def test_get_match_leads_browsers_to_the_form(client: TestClient) -> None:
    browser = client.get("/match?what=x", headers=HTML, follow_redirects=False)
    assert browser.status_code == 303 and browser.headers["location"] == "/find?what=x"
    api = client.get("/match", headers=JSON)
    assert api.status_code == 405 and api.headers["allow"] == "POST"
    assert api.json()["error"] == "method_not_allowed"


def test_the_favicon(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"


# -- the GET form ↔ MatchRequest ---------------------------------------------------------------

SLUG = st.text(alphabet=string.ascii_lowercase + "-", min_size=1, max_size=12).filter(
    lambda s: s.strip("-") == s
)
TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zs", "Zl", "Zp"]),
    min_size=1,
    max_size=30,
)
NUMBER = st.floats(min_value=0.001, max_value=1000, allow_nan=False).map(lambda x: round(x, 3))


@st.composite
def requests(draw: st.DrawFn) -> MatchRequest:
    """Any valid request, every field drawn (``save`` aside: a GET never writes)."""
    weights = {c: draw(st.floats(0, 10).map(lambda x: round(x, 2))) for c in COMPONENTS}
    if sum(weights.values()) <= 0:
        weights["distance"] = 1.0
    where = draw(st.sampled_from(["near", "latlong", "requester", "all"]))
    values: dict[str, Any] = {
        "what": draw(TEXT),
        "quantity": draw(st.none() | NUMBER),
        "unit": draw(st.sampled_from(["piece", "kg", "m2"])),
        "within_km": draw(NUMBER),
        "needed_by": draw(st.none() | st.dates(date(2020, 1, 1), date(2040, 12, 31))),
        "period_months": draw(st.none() | st.integers(1, 600)),
        "business_models": draw(st.lists(SLUG, max_size=3, unique=True)),
        "strategies": draw(st.lists(SLUG, max_size=3, unique=True)),
        "max_r_rank": draw(st.none() | st.integers(0, 9)),
        "rank_overrides": draw(st.dictionaries(SLUG, st.integers(0, 9), max_size=3)),
        "certifications": draw(st.lists(SLUG, max_size=3, unique=True)),
        "tco_years": draw(st.floats(0.5, 50).map(lambda x: round(x, 1))),
        "weights": Weights(**weights),
        "top_k": draw(st.integers(1, 50)),
        "partial": draw(st.booleans()),
        "network_surplus": draw(st.booleans()),
        "include_open": draw(st.booleans()),
        "rank_by": draw(st.sampled_from(["tier", "score"])),
    }
    if where in ("near", "all"):
        values["near"] = draw(TEXT)
    if where in ("latlong", "all"):
        values["lat"] = draw(st.floats(-90, 90).map(lambda x: round(x, 4)))
        values["long"] = draw(st.floats(-180, 180).map(lambda x: round(x, 4)))
    if where in ("requester", "all"):
        values["requester"] = "https://example.org/kringloop/id/organisation/" + draw(SLUG)
    return MatchRequest.model_validate(values)


@settings(max_examples=200, deadline=None)
@given(requests())
def test_every_request_field_round_trips_through_the_address(request: MatchRequest) -> None:
    pairs = match_form.params(request)
    query = match_form.query(request)
    again = match_form.parse(parse_qsl(query, keep_blank_values=True))
    assert again.errors == [] and again.request == request
    assert match_form.params(again.request) == pairs  # canonical: one address per request


def test_every_field_but_save_has_a_parameter() -> None:
    changed = MatchRequest(
        what="x",
        near="Gent",
        quantity=3,
        unit="kg",
        lat=51.0,
        long=3.7,
        within_km=12.5,
        needed_by=date(2027, 1, 2),
        period_months=24,
        business_models=["lease"],
        strategies=["refurbish"],
        max_r_rank=5,
        rank_overrides={"repair": 3},
        certifications=["fsc"],
        tco_years=8,
        weights=Weights(distance=2.0),
        top_k=9,
        partial=False,
        requester="https://example.org/org/x",
        need="https://example.org/need/x",
        network_surplus=True,
        include_open=False,
        rank_by="score",
        save=True,
    )
    named = {name.split(".", 1)[0] for name, _ in match_form.params(changed)}
    assert named == set(MatchRequest.model_fields) - {"save"}


def test_form_values_as_people_type_them() -> None:
    form = match_form.parse(
        [
            ("what", " bureaustoelen "),
            ("near", "Hasselt"),
            ("within_km", "12,5"),
            ("quantity", ""),
            ("needed_by", ""),
            ("partial", "0"),
            ("partial", "1"),
            ("network_surplus", "0"),
            ("lang", "fr"),
        ]
    )
    assert form.request is not None and form.language == "fr"
    assert (form.request.what, form.request.within_km, form.request.quantity) == (
        "bureaustoelen",
        12.5,
        None,
    )
    assert form.request.partial is True and form.request.network_surplus is False
    wrong = match_form.parse(
        [
            ("what", "x"),
            ("near", "Gent"),
            ("within_km", "0"),
            ("top_k", "2.5"),
            ("needed_by", "2027-13-01"),
            ("weights.distance", "11"),
            ("colour", "red"),
        ]
    )
    codes = {(e.field, e.code) for e in wrong.errors}
    assert codes == {
        ("top_k", "integer"),
        ("needed_by", "date"),
        ("colour", "unknown"),
        ("within_km", "greater"),
        ("weights.distance", "max"),
    }
    assert match_form.parse([("lang", "nl")]).asked is False


def test_a_form_address_is_made_canonical(client: TestClient) -> None:
    url = (
        "/find?what=bureaustoelen&near=Hasselt&within_km=&quantity=&unit=piece&needed_by="
        "&business_models=lease&partial=0&partial=1&include_open=0&include_open=1&lang=nl"
    )
    answer = client.get(url, headers=HTML, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == (
        "/find?what=bureaustoelen&near=Hasselt&business_models=lease&lang=nl"
    )
    final = client.get(answer.headers["location"], headers=HTML, follow_redirects=False)
    assert final.status_code == 200 and "Leasing" in final.text


# -- the ways out rerun the request ------------------------------------------------------------


def links(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)]


def test_a_typo_in_the_place_is_answered_with_suggestions(client: TestClient) -> None:
    page = client.get("/find?what=bureaustoelen&near=Hasseltt&lang=nl", headers=HTML)
    assert page.status_code == 422
    assert "kringloop kent “Hasseltt” niet als plaats." in html.unescape(page.text)
    suggestion = next(h for h in links(page.text) if "near=Hasselt&" in h)
    assert dict(parse_qsl(urlsplit(suggestion).query))["what"] == "bureaustoelen"
    again = client.get(suggestion, headers=HTML)
    assert again.status_code == 200 and "status-closed" in again.text


def test_the_change_of_an_open_loop_is_a_link_that_closes_it(client: TestClient) -> None:
    page = client.get("/find?what=tapijttegels&near=Roeselare", headers=HTML)
    assert page.status_code == 200 and "status-closed" not in page.text
    rerun = [h for h in links(page.text) if "within_km=64" in h]
    assert rerun, "no link that widens the radius"
    closed = client.get(rerun[0], headers=HTML)
    assert closed.status_code == 200 and closed.text.count('class="chain status-closed"') >= 1


def test_nothing_matches_says_which_filter_and_the_ways_out(client: TestClient) -> None:
    page = client.get(
        "/find?what=bureaustoelen&near=Hasselt&quantity=5000&partial=0", headers=HTML
    ).text
    assert "Geen keten gevonden." in page
    assert "nog 6 weggenomen door de filter: hoeveelheid" in page
    way = next(h for h in links(page) if "quantity=5000" in h and "partial=0" not in h)
    assert "Zoek opnieuw, gedeeltelijke hoeveelheden toegestaan" in page
    assert "status-" in client.get(way, headers=HTML).text


def test_the_result_page_shows_what_a_buyer_compares(client: TestClient) -> None:
    page = html.unescape(
        client.get("/find?what=bureaustoelen&near=Hasselt&business_models=lease", headers=HTML).text
    )
    for said in (
        "Example Office Refurb Hasselt",
        "Leasing",
        "1,1 km",
        "trede R3 op de 10R-ladder",
        "€ 4,40 per maand",
        "Kost per stuk over 5 jaar",
        "3 organisaties, leverancier en koper inbegrepen",
        "De keten stap voor stap",
        "inzamelaar",
        "Waarop deze keten steunt",
    ):
        assert said in page, said
    assert page.count('<svg class="ring"') == 3 and page.count('<svg class="bar"') == 27
    assert "/resource?iri=https%3A%2F%2Fexample.org%2Fkringloop%2Fid%2Fflow%2F" in page
    assert 'id="save-request"' in page and TOKEN not in page


def test_an_unknown_category_is_a_message_with_suggestions(client: TestClient) -> None:
    page = client.get("/loops?category=bureaustol-kantoor", headers=HTML)
    assert page.status_code == 422, page.text
    assert "kringloop kent “bureaustol-kantoor” niet als categorie." in html.unescape(page.text)
    suggested = [h for h in links(page.text) if "category=" in h and "bureaustol-" not in h]
    assert suggested and client.get(suggested[0], headers=HTML).status_code == 200
    assert client.get("/loops?category=bureaustol-kantoor").json()["field"] == "category"


def test_pages_escape_what_the_graph_holds(client: TestClient) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]
    evil = "<script>alert(1)</script>"
    chair = ox.NamedNode("https://w3id.org/kringloop/id/product/office-chair")
    label = ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel")
    store.add_quads([ox.Quad(chair, label, ox.Literal(evil), ox.NamedNode("urn:evil"))])
    try:
        page = client.get(f"/find?what={evil}&near=Hasselt", headers=HTML).text
        assert evil not in page and "&lt;script&gt;" in page
    finally:
        store.update("DROP SILENT GRAPH <urn:evil>")
