"""The named-query catalogue: strict loading, typed parameters bound as terms, snapshots, HTTP.

Every ``queries/*.rq`` runs with its example values on the golden dataset (plus the bundled
places, whose real IRIs the examples use) and must match its sorted snapshot in
``tests/snapshots/{stem}.json``. Regenerate the snapshots with
``KRINGLOOP_UPDATE_SNAPSHOTS=1 pytest tests/test_named_queries.py`` and review the diff.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rdflib import Graph
from rdflib.compare import isomorphic

from kringloop.data import DATA_DIR
from kringloop.graph import OxigraphStore
from kringloop.graph.bundle import graph_iri
from kringloop.graph.store import QueryResult, text
from kringloop.ontology import ONTOLOGY_DIR
from kringloop.queries.catalog import QUERIES_DIR, CatalogError, load_catalog, load_query, run
from kringloop.queries.params import ParameterError, to_term
from kringloop.service.app import create_app
from kringloop.service.settings import Settings

ROOT = Path(__file__).resolve().parent
GOLDEN = ROOT / "golden" / "golden.ttl"
SAMPLE = ROOT / "fixtures" / "sample.trig"
SNAPSHOTS = ROOT / "snapshots"
CATALOG = load_catalog()
NAMES = CATALOG.names()
#: Examples that find nothing in the golden data, and why.
EMPTY_ON_GOLDEN = {"leases-without-take-back": "the golden lease includes take-back"}
#: Values for the golden data where the example (chosen for the demo data) names what only the
#: demo data holds.
GOLDEN_VALUES = {
    "organisation-profile": {
        "organisation": "https://example.org/kringloop/id/organisation/example-refurb"
    }
}


def golden_values(name: str) -> dict[str, object]:
    return {**CATALOG.get(name).example_values(), **GOLDEN_VALUES.get(name, {})}


def golden_store() -> OxigraphStore:
    """The golden dataset with the ontology and the bundled places, one graph each."""
    store = OxigraphStore.memory()
    store.raw.load(path=GOLDEN, format=ox.RdfFormat.TURTLE, to_graph=graph_iri("seed"))
    store.raw.load(
        path=ONTOLOGY_DIR / "kringloop.ttl",
        format=ox.RdfFormat.TURTLE,
        to_graph=graph_iri("ontology"),
    )
    store.raw.load(
        path=DATA_DIR / "places.ttl", format=ox.RdfFormat.TURTLE, to_graph=graph_iri("places")
    )
    return store


@cache
def shared_golden_store() -> OxigraphStore:
    """One golden store for the property-based tests (they only read)."""
    return golden_store()


def sample_store() -> OxigraphStore:
    store = OxigraphStore.memory()
    store.raw.load(path=SAMPLE, format=ox.RdfFormat.TRIG)
    return store


def as_snapshot(result: QueryResult) -> dict[str, Any]:
    """A result as JSON: sorted rows of N-Triples terms, a boolean, or sorted triples."""
    if isinstance(result, ox.QueryBoolean):
        return {"boolean": bool(result)}
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        rows = [{n: str(s[n]) for n in names if s[n] is not None} for s in result]
        rows.sort(key=lambda row: json.dumps(row, sort_keys=True))
        return {"variables": names, "rows": rows}
    return {"triples": sorted(f"{t} ." for t in result)}


def check_snapshot(name: str, data: dict[str, Any]) -> None:
    """Compare ``data`` with ``tests/snapshots/{name}.json`` (or write it when asked to)."""
    path = SNAPSHOTS / f"{name}.json"
    if os.environ.get("KRINGLOOP_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    assert path.exists(), f"no snapshot {path}; run with KRINGLOOP_UPDATE_SNAPSHOTS=1"
    expected = json.loads(path.read_text(encoding="utf-8"))
    if "triples" in data:  # graphs compare as graphs, blank nodes and all
        got = Graph().parse(data="\n".join(data["triples"]), format="nt")
        want = Graph().parse(data="\n".join(expected["triples"]), format="nt")
        assert isomorphic(got, want), f"{name}: the graph differs from {path}"
    else:
        assert data == expected, f"{name}: the result differs from {path}"


# The catalogue --------------------------------------------------------------------------


def test_catalogue_loads_every_query_file() -> None:
    assert sorted(p.stem for p in QUERIES_DIR.glob("*.rq")) == NAMES
    assert len(CATALOG) >= 10
    for query in CATALOG:
        assert query.summary and query.form in ("select", "construct", "ask")
        for parameter in query.parameters:
            assert f"?_{parameter.name}" in query.sparql
            parameter.term(parameter.example)  # every example fits its type


def test_the_example_text_parses_and_binds_the_examples() -> None:
    store = golden_store()
    for query in CATALOG:
        text = query.example_text()
        assert "VALUES" in text or not query.parameters
        store.query(text, union_default_graph=True)  # parses; the examples are terms


HEADER = "#+ summary: A query\n"
BODY = "SELECT ?s WHERE { ?s ?p ?o }\n"
BROKEN: dict[str, tuple[str, str]] = {
    "bad-yaml": ("#+ summary: [unclosed\n" + BODY, "bad YAML"),
    "unknown-key": (HEADER + "#+ method: GET\n" + BODY, "unknown header key"),
    "missing-summary": ("#+ tags: [a]\n" + BODY, "needs a 'summary'"),
    "no-header": (BODY, "no '#+' header"),
    "syntax-error": (HEADER + "SELECT ?s WHERE { ?s ?p }\n", "SPARQL error"),
    "no-example": (
        HEADER + "#+ parameters:\n#+   place: {type: iri}\nSELECT ?s WHERE { ?s ?p ?_place }\n",
        "an example value is required",
    ),
    "declared-not-used": (
        HEADER + "#+ parameters:\n#+   place: {type: iri, example: 'http://e.org/a'}\n" + BODY,
        "declared but not used",
    ),
    "used-not-declared": (HEADER + "SELECT ?s WHERE { ?s ?p ?_place }\n", "used but not declared"),
    "unknown-type": (
        HEADER + "#+ parameters:\n#+   n: {type: float, example: 1}\n"
        "SELECT ?s WHERE { ?s ?p ?_n }\n",
        "type must be one of",
    ),
    "bad-example": (
        HEADER + "#+ parameters:\n#+   n: {type: integer, example: many}\n"
        "SELECT ?s WHERE { ?s ?p ?_n }\n",
        "bad example",
    ),
    "snake-case-name": (
        HEADER + "#+ parameters:\n#+   max_km: {type: decimal, example: 1}\n"
        "SELECT ?s WHERE { ?s ?p ?_max_km }\n",
        "camelCase",
    ),
    "reserved-name": (
        HEADER + "#+ parameters:\n#+   format: {type: string, example: x}\n"
        "SELECT ?s WHERE { ?s ?p ?_format }\n",
        "reserved",
    ),
    "unknown-parameter-key": (
        HEADER + "#+ parameters:\n#+   n: {type: integer, example: 1, enum: [1, 2]}\n"
        "SELECT ?s WHERE { ?s ?p ?_n }\n",
        "unknown key",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_query_file_stops_the_load_and_is_named(tmp_path: Path, case: str) -> None:
    text, message = BROKEN[case]
    (tmp_path / "fine.rq").write_text(HEADER + BODY, encoding="utf-8")
    path = tmp_path / f"{case}.rq"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match=re.escape(message)) as caught:
        load_catalog(tmp_path)
    assert str(path) in str(caught.value)


def test_a_file_name_must_be_kebab_case(tmp_path: Path) -> None:
    path = tmp_path / "Offers_Near.rq"
    path.write_text(HEADER + BODY, encoding="utf-8")
    with pytest.raises(CatalogError, match="kebab-case"):
        load_query(path)


def test_a_syntax_error_says_where(tmp_path: Path) -> None:
    path = tmp_path / "broken.rq"
    path.write_text(HEADER + "#+ tags: [x]\nSELECT ?s WHERE {\n  ?s ?p \n}\n", encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(tmp_path)
    assert caught.value.position.line == 5  # the parser notices at the closing brace


def test_a_folder_of_good_files_loads(tmp_path: Path) -> None:
    (tmp_path / "b-query.rq").write_text(HEADER + BODY, encoding="utf-8")
    (tmp_path / "a-query.rq").write_text(
        "#+ summary: With a parameter\n#+ parameters:\n"
        "#+   maxKm: {type: decimal, example: 5, default: 50}\n"
        "SELECT ?s WHERE { ?s ?p ?o FILTER(?o < ?_maxKm) }\n",
        encoding="utf-8",
    )
    catalog = load_catalog(tmp_path)
    assert catalog.names() == ["a-query", "b-query"]
    [max_km] = catalog.get("a-query").parameters
    assert (max_km.required, max_km.default) == (False, "50")


# Parameters -----------------------------------------------------------------------------

XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        (
            "iri",
            "https://w3id.org/kringloop/id/place/gent",
            "<https://w3id.org/kringloop/id/place/gent>",
        ),
        ("string", 'a "quoted" } value', '"a \\"quoted\\" } value"'),
        ("langString", "Gent@nl-BE", '"Gent"@nl-be'),
        ("integer", "+7", f'"7"^^<{XSD}integer>'),
        ("integer", 7, f'"7"^^<{XSD}integer>'),
        ("decimal", "12.50", f'"12.50"^^<{XSD}decimal>'),
        ("decimal", 2.5, f'"2.5"^^<{XSD}decimal>'),
        ("boolean", "TRUE", f'"true"^^<{XSD}boolean>'),
        ("boolean", False, f'"false"^^<{XSD}boolean>'),
        ("date", "2026-02-28", f'"2026-02-28"^^<{XSD}date>'),
    ],
)
def test_values_become_terms_of_their_type(kind: str, value: object, expected: str) -> None:
    assert str(to_term(kind, value, name="p")) == expected


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("iri", "office-chair"),
        ("iri", "https://e.org/a b"),
        ("iri", "http://e.org/> } DROP ALL { <x"),
        ("langString", "no tag"),
        ("integer", "1.5"),
        ("integer", True),
        ("decimal", "1e5"),
        ("decimal", "NaN"),
        ("boolean", "yes"),
        ("date", "2026-02-30"),
        ("date", "28/02/2026"),
        ("string", 5),
    ],
)
def test_values_of_the_wrong_type_are_refused(kind: str, value: object) -> None:
    with pytest.raises(ParameterError, match="parameter 'p' expects"):
        to_term(kind, value, name="p")


def test_defaults_fill_in_and_unknown_or_missing_parameters_are_refused() -> None:
    query = CATALOG.get("take-back-partners-near-place")
    bound = query.bindings({"productType": "https://e.org/p", "place": "https://e.org/x"})
    assert bound["_maxKm"] == to_term("decimal", "50")
    with pytest.raises(ParameterError, match="needs parameter 'place'"):
        query.bindings({"productType": "https://e.org/p"})
    with pytest.raises(ParameterError, match="no parameter 'radius'"):
        query.bindings({"productType": "https://e.org/p", "place": "https://e.org/x", "radius": 1})


# Every query on the golden data --------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_query_matches_its_snapshot_on_the_golden_data(name: str) -> None:
    query = CATALOG.get(name)
    data = as_snapshot(run(golden_store(), query, golden_values(name)))
    if name not in EMPTY_ON_GOLDEN:
        assert data.get("rows", data.get("triples", [True])) and data.get("boolean", True)
    check_snapshot(name, data)


def haversine_km(lat1: float, long1: float, lat2: float, long2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlong = phi2 - phi1, math.radians(long2 - long1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlong / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def test_distances_in_sparql_agree_with_the_haversine_formula() -> None:
    store = sample_store()
    query = CATALOG.get("take-back-partners-near-place")
    values = {
        "productType": "https://w3id.org/kringloop/id/product/office-chair",
        "place": "https://w3id.org/kringloop/id/place/kortrijk",
        "maxKm": 200,
    }
    rows = store.select(query.sparql, bindings=query.bindings(values), union_default_graph=True)
    found = {
        text(row["partner"]).rsplit("/", 1)[-1]: float(text(row["distanceKm"])) for row in rows
    }
    kortrijk = (50.8280, 3.2650)
    expected = {  # the workshop has its own coordinates; the depot lies in Antwerpen
        "example-refurb-kortrijk": haversine_km(*kortrijk, 50.8150, 3.2900),
        "example-collect-antwerpen": haversine_km(*kortrijk, 51.2194, 4.4025),
    }
    assert found.keys() == expected.keys()
    for partner, km in expected.items():
        assert found[partner] == pytest.approx(km, rel=0.01, abs=0.1)
    values["maxKm"] = 50  # Antwerpen is 91 km away; the workshop is also within its 60 km radius
    rows = store.select(query.sparql, bindings=query.bindings(values), union_default_graph=True)
    assert [text(row["partner"]).rsplit("/", 1)[-1] for row in rows] == ["example-refurb-kortrijk"]


def test_a_lease_without_take_back_is_found_with_the_processors_that_could_close_it() -> None:
    query = CATALOG.get("leases-without-take-back")
    rows = sample_store().select(
        query.sparql, bindings=query.bindings({}), union_default_graph=True
    )
    assert [
        (text(r["offer"]).rsplit("/", 1)[-1], text(r["otherTakeBackOffers"])) for r in rows
    ] == [("example-chair-lease", "2")]


NON_MATCHING = "zz-no-such-value-zz"
STRING_PARAMETERS = [(q.name, p.name) for q in CATALOG for p in q.parameters if p.type == "string"]


@pytest.mark.parametrize(("name", "parameter"), STRING_PARAMETERS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text())
@example(text='" } } ; DROP ALL ; SELECT * WHERE { ?s ?p ?o #')
@example(text="\\u0022 ) } UNION { ?s ?p ?o")
@example(text="'''\n>")
def test_any_text_bound_as_a_string_leaves_the_query_shape_alone(
    name: str, parameter: str, text: str
) -> None:
    query = CATALOG.get(name)
    store = shared_golden_store()

    def rows(value: str) -> int:
        values = {**query.example_values(), parameter: value}
        result = run(store, query, values)
        return len(list(result)) if not isinstance(result, ox.QueryBoolean) else int(bool(result))

    assert rows(text) == rows(NON_MATCHING)


def test_the_core_does_not_import_the_web_framework() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "import kringloop.graph, kringloop.queries\n"
        "for package in (kringloop.graph, kringloop.queries):\n"
        "    for info in pkgutil.iter_modules(package.__path__, package.__name__ + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette'))\n"
        "print(' '.join(bad))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


# HTTP ----------------------------------------------------------------------------------


@pytest.fixture
def client() -> Iterator[TestClient]:
    app = create_app(Settings(store="memory", demo_data=False, validate_data=False))
    with TestClient(app) as test_client:
        store: OxigraphStore = app.state.store
        store.clear()
        store.raw.extend(golden_store().raw)
        yield test_client


def query_string(name: str) -> dict[str, str]:
    return {key: str(value) for key, value in golden_values(name).items()}


def test_the_list_shows_every_query_with_its_parameters(client: TestClient) -> None:
    response = client.get("/queries")
    assert response.status_code == 200
    listed = {q["name"]: q for q in response.json()}
    assert sorted(listed) == NAMES
    take_back = listed["take-back-partners-near-place"]
    assert take_back["url"] == "/queries/take-back-partners-near-place"
    assert [(p["name"], p["type"], p["required"]) for p in take_back["parameters"]] == [
        ("productType", "iri", True),
        ("place", "iri", True),
        ("maxKm", "decimal", False),
        ("lang", "string", False),
    ]


def test_browsers_get_the_list_as_a_page(client: TestClient) -> None:
    response = client.get("/queries", headers={"accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Content-Security-Policy" in response.headers
    for name in NAMES:
        assert f'id="{name}"' in response.text


@pytest.mark.parametrize("name", NAMES)
def test_get_and_post_run_a_query_like_the_core(client: TestClient, name: str) -> None:
    query = CATALOG.get(name)
    expected = as_snapshot(run(golden_store(), query, golden_values(name)))
    got = client.get(f"/queries/{name}", params=query_string(name))
    posted = client.post(f"/queries/{name}", json=golden_values(name))
    form = client.post(f"/queries/{name}", data=query_string(name))
    for response in (got, posted, form):
        assert response.status_code == 200, response.text
    if query.form == "construct":
        assert got.headers["content-type"].startswith("text/turtle")
        want = Graph().parse(data="\n".join(expected["triples"]), format="nt")
        for response in (got, posted, form):
            assert isomorphic(Graph().parse(data=response.text, format="turtle"), want)
        return
    assert got.headers["content-type"] == "application/sparql-results+json"
    for response in (got, posted, form):
        body = response.json()
        if query.form == "ask":
            assert body["boolean"] == expected["boolean"]
        else:
            assert len(body["results"]["bindings"]) == len(expected["rows"])


def test_answers_are_negotiated(client: TestClient) -> None:
    params = query_string("cpv-narrower")
    csv = client.get("/queries/cpv-narrower", params=params, headers={"accept": "text/csv"})
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv.text.splitlines()[0] == "cpv,notation,label,broader,productType,productLabel"
    tsv = client.get("/queries/cpv-narrower", params={**params, "format": "tsv"})
    assert tsv.headers["content-type"].startswith("text/tab-separated-values")
    xml = client.get(
        "/queries/cpv-narrower", params=params, headers={"accept": "application/sparql-results+xml"}
    )
    assert xml.headers["content-type"] == "application/sparql-results+xml"
    assert "<sparql" in xml.text
    ld = client.get(
        "/queries/organisation-profile",
        params=query_string("organisation-profile"),
        headers={"accept": "application/ld+json"},
    )
    assert ld.headers["content-type"] == "application/ld+json"
    turtle = client.get(
        "/queries/organisation-profile", params=query_string("organisation-profile")
    )
    assert isomorphic(
        Graph().parse(data=ld.text, format="json-ld"),
        Graph().parse(data=turtle.text, format="turtle"),
    )
    refused = client.get("/queries/cpv-narrower", params=params, headers={"accept": "image/png"})
    assert refused.status_code == 406


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"productType": "office chair", "place": "https://e.org/x"},
            "'productType' expects an absolute IRI",
        ),
        (
            {"productType": "https://e.org/p", "place": "https://e.org/x", "maxKm": "far"},
            "'maxKm' expects a decimal",
        ),
        ({"productType": "https://e.org/p"}, "needs parameter 'place'"),
        (
            {"productType": "https://e.org/p", "place": "https://e.org/x", "radius": "5"},
            "no parameter 'radius'",
        ),
    ],
)
def test_bad_parameters_are_refused_with_a_clear_message(
    client: TestClient, params: dict[str, str], message: str
) -> None:
    for response in (
        client.get("/queries/take-back-partners-near-place", params=params),
        client.post("/queries/take-back-partners-near-place", json=params),
    ):
        assert response.status_code in (400, 422)
        assert message in response.json()["message"]


def test_malformed_requests_are_refused(client: TestClient) -> None:
    url = "/queries/cpv-narrower"
    repeated = client.get(url + "?code=39110000&code=39112000")
    assert repeated.status_code == 400 and "more than once" in repeated.json()["message"]
    not_an_object = client.post(url, json=["39110000"])
    assert not_an_object.status_code == 400
    wrong_json_type = client.post(url, json={"code": 39110000})
    assert (
        wrong_json_type.status_code == 400
        and "expects any text" in wrong_json_type.json()["message"]
    )
    other_body = client.post(url, content=b"code", headers={"content-type": "text/plain"})
    assert other_body.status_code == 415
    assert client.get("/queries/no-such-query").status_code == 404


def test_openapi_has_one_operation_per_query_with_its_parameters(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for query in CATALOG:
        path = document["paths"][f"/queries/{query.name}"]
        get, post = path["get"], path["post"]
        assert get["operationId"] == query.name
        assert post["operationId"] == f"{query.name}-post"
        assert get["summary"] == query.summary
        assert [p["name"] for p in get.get("parameters", [])] == [p.name for p in query.parameters]
        for declared, parameter in zip(get.get("parameters", []), query.parameters, strict=True):
            assert declared["required"] == parameter.required
            assert declared["example"] == parameter.example
        body = post["requestBody"]["content"]["application/json"]["schema"]
        assert sorted(body["properties"]) == sorted(p.name for p in query.parameters)
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


# On the demo data, as a new user meets them ------------------------------------------------


@cache
def demo_store() -> OxigraphStore:
    from kringloop.graph.bundle import initialise

    store = OxigraphStore.memory()
    initialise(store, with_data=True)
    return store


@pytest.mark.parametrize("name", NAMES)
def test_every_example_finds_something_in_the_demo_data(name: str) -> None:
    """What the query list and the editor's tabs show: each example answers with a row."""
    query = CATALOG.get(name)
    result = run(demo_store(), query, query.example_values())
    if isinstance(result, ox.QueryBoolean):
        assert bool(result)
    else:
        assert list(result), f"{name}: its example finds nothing in the demo data"


NAMED_COLUMNS = {
    q.name: [v for v in re.findall(r"\?(\w*[nN]ame)\b", q.sparql.split("WHERE")[0])]
    for q in CATALOG
}


@pytest.mark.parametrize("name", [n for n, columns in NAMED_COLUMNS.items() if columns])
def test_names_are_filled_in_the_demo_data(name: str) -> None:
    """Organisation labels in the demo data all carry a language tag: the name columns take
    the asked language, else any label, and are never all empty."""
    query = CATALOG.get(name)
    result = run(demo_store(), query, query.example_values())
    assert isinstance(result, ox.QuerySolutions)
    rows = list(result)
    for column in NAMED_COLUMNS[name]:
        if column in ("contractorName", "placeName"):  # optional links: may be absent
            continue
        assert all(row[column] is not None for row in rows), f"{name}: {column} left empty"


def test_names_come_in_the_request_language(client: TestClient) -> None:
    store: OxigraphStore = client.app.state.store  # type: ignore[attr-defined]
    refurb = "https://example.org/kringloop/id/organisation/example-refurb"
    store.update(
        f"INSERT DATA {{ GRAPH <urn:x-test:labels> {{ <{refurb}> "
        '<http://www.w3.org/2000/01/rdf-schema#label> "Voorbeeld Refurb"@nl } }'
    )
    params = {k: v for k, v in query_string("take-back-partners-near-place").items() if k != "lang"}

    def names(**headers: str) -> set[str]:
        response = client.get("/queries/take-back-partners-near-place", params=params,
                              headers=headers)  # fmt: skip
        assert response.status_code == 200, response.text
        return {b["partnerName"]["value"] for b in response.json()["results"]["bindings"]}

    dutch = names(**{"Accept-Language": "nl-BE, en;q=0.5"})
    assert "Voorbeeld Refurb" in dutch and "Example Refurb Kortrijk" not in dutch
    plain = names()  # no language asked: the default (en), else the name as written
    assert "Example Refurb Kortrijk" in plain and "Voorbeeld Refurb" not in plain
    assert names(**{"Accept-Language": "nl"}) == dutch
