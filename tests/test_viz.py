"""Graph pages without a browser: node and edge lists on the golden data, the cap, escaping,
offline HTML, the routes and the command line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kringloop.graph import OxigraphStore
from kringloop.graph import load as loading
from kringloop.graph.bundle import bundled_sources
from kringloop.graph.errors import NotFoundError
from kringloop.queries import loops, match_record, visual, visual_chains
from kringloop.queries.matchmaker import match
from kringloop.queries.request import MatchRequest
from kringloop.queries.resolve import ResolutionError
from kringloop.queries.visual import Filters, VizError, VizGraph, model
from kringloop.queries.visual.neighbourhood import HOP_STAGES
from kringloop.service import viz
from kringloop.service.app import create_app
from kringloop.service.cli import app as cli
from kringloop.service.settings import Settings

GOLDEN = Path(__file__).parent / "golden" / "golden.ttl"
EX = "https://example.org/kringloop/id/"
ID = "https://w3id.org/kringloop/id/"
REFURB = EX + "organisation/example-refurb"
WORKWEAR = EX + "organisation/example-workwear"
TODAY = date(2026, 6, 1)
EVIL = "<script>alert(1)</script>"
EVIL_TTL = f"""\
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix kl: <https://w3id.org/kringloop/ns#> .
<{EX}organisation/evil> a kl:Organisation ; rdfs:label "{EVIL}" ;
    kl:hasSite <{EX}site/evil> .
<{EX}site/evil> a kl:Site ; kl:place <{EX}place/kortrijk> ; kl:lat 50.82 ; kl:long 3.26 .
<{EX}flow/evil> a kl:Flow ; kl:flowFrom <{EX}organisation/evil> ; kl:flowTo <{REFURB}> ;
    kl:flowOf <{ID}product/office-chair> ; rdfs:label "{EVIL} flow" .
"""
ENGLISH = {"Accept-Language": "en"}
#: src/href attributes that leave the page's own host (absolute or protocol-relative URLs).
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//""", re.I)


def golden_store() -> OxigraphStore:
    store = OxigraphStore.memory()
    loading.load(store, [*bundled_sources(["ontology"]), *loading.plan([GOLDEN])])
    return store


@pytest.fixture(scope="module")
def store() -> OxigraphStore:
    return golden_store()


def ids(graph: VizGraph) -> set[str]:
    return {n.id for n in graph.nodes}


def by_id(graph: VizGraph) -> dict[str, visual.VizNode]:
    return {n.id: n for n in graph.nodes}


def assert_consistent(graph: VizGraph) -> None:
    nodes = ids(graph)
    assert len(nodes) == len(graph.nodes), "node ids are unique"
    for edge in graph.edges:
        assert edge.source in nodes and edge.target in nodes, edge
    assert set(graph.positions) == nodes


# -- neighbourhood -----------------------------------------------------------------------------


def test_neighbourhood_of_an_organisation(store: OxigraphStore) -> None:
    graph = visual.neighbourhood(store, REFURB, depth=1)
    assert_consistent(graph)
    nodes = by_id(graph)
    centre = nodes[REFURB]
    assert graph.nodes[0] is centre and centre.level == 0 and graph.centre == REFURB
    assert centre.label == "Example Refurb Kortrijk"
    assert centre.group == "role:refurbisher"  # its main role, before repairer and supplier
    kinds = {n.kind for n in graph.nodes}
    assert {"offer", "processing-offer", "product-type", "process", "flow", "place"} <= kinds
    assert nodes[EX + "place/kortrijk"].kind == "place"  # reached through its site
    assert all(n.level == 1 for n in graph.nodes[1:])
    assert graph.positions[REFURB] == (0.0, 0.0)
    assert "Example Refurb Kortrijk\norganisation · refurbisher" in centre.title
    role_edge = next(e for e in graph.edges if e.target == ID + "product/office-chair")
    assert "refurbisher" in role_edge.title


def test_neighbourhood_grows_level_by_level_with_one_batch_per_level(
    store: OxigraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    hops: list[int] = []
    select = store.select

    def spy(sparql: str, **kwargs: Any) -> Any:
        if "(?_frontier AS ?node)" in sparql:
            hops.append(len(kwargs["bindings"]["_frontier"]))
        return select(sparql, **kwargs)

    monkeypatch.setattr(store, "select", spy)
    batch = len(HOP_STAGES)
    one = visual.neighbourhood(store, WORKWEAR, depth=1)
    assert hops == [1] * batch  # one batch of queries for the one level
    hops.clear()
    two = visual.neighbourhood(store, WORKWEAR, depth=2)
    levels = [hops[i : i + batch] for i in range(0, len(hops), batch)]
    assert len(levels) == 2 and levels[0] == [1] * batch
    assert len(set(levels[1])) == 1 and levels[1][0] > 1  # the whole frontier in each query
    assert ids(one) < ids(two)
    assert ID + "product/workwear" in ids(one)
    # Product types are hubs: shown, not walked through. The chair maker's remanufacturing
    # offer (it accepts office chairs) is two links from Example Refurb through "office chair",
    # but only three through the chair maker.
    remanufacturing = EX + "offer/example-chair-maker-remanufacturing"
    assert remanufacturing not in ids(visual.neighbourhood(store, REFURB, depth=2))
    assert remanufacturing in ids(visual.neighbourhood(store, REFURB, depth=3))


def test_facts_are_read_in_batches_not_one_query_per_resource(
    store: OxigraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = visual.neighbourhood(store, ID + "product/office-chair", depth=2)
    iris = sorted(n.id for n in graph.nodes)
    assert len(iris) > 7
    expected = visual.load_facts(store, iris)
    bound: list[int] = []
    select = store.select

    def spy(sparql: str, **kwargs: Any) -> Any:
        if "(?_node AS ?node)" in sparql:
            bound.append(len(kwargs["bindings"]["_node"]))
        return select(sparql, **kwargs)

    monkeypatch.setattr(store, "select", spy)
    monkeypatch.setattr(model, "CHUNK", 3)
    assert visual.load_facts(store, iris) == expected
    batches = -(-len(iris) // 3)
    assert len(bound) == batches * len(model.NODE_STAGES) and max(bound) == 3


def test_neighbourhood_filters(store: OxigraphStore) -> None:
    chair = ID + "product/office-chair"
    everything = visual.neighbourhood(store, chair, depth=2)
    refurbishers = visual.neighbourhood(store, chair, depth=2, filters=Filters(role="refurbisher"))
    orgs = [n for n in refurbishers.nodes if n.kind == "organisation"]
    assert [n.label for n in orgs] == ["Example Refurb Kortrijk"]
    assert len(refurbishers.nodes) < len(everything.nodes)
    leases = visual.neighbourhood(store, chair, depth=1, filters=Filters(business_model="lease"))
    offers = [n.id for n in leases.nodes if n.kind == "offer"]
    assert offers == [EX + "offer/example-office-supply-chair-lease"]
    east = visual.neighbourhood(store, WORKWEAR, depth=2, filters=Filters(region="east-flanders"))
    assert EX + "organisation/example-town-hall" not in ids(east)  # in West Flanders
    assert EX + "offer/example-workwear-sale" in ids(east)
    by_cpv = visual.neighbourhood(store, REFURB, depth=1, filters=Filters(category="39110000"))
    assert EX + "offer/example-refurb-chair-sale" in ids(by_cpv)  # chairs are under 39110000
    workwear = visual.neighbourhood(store, REFURB, depth=1, filters=Filters(category="workwear"))
    assert EX + "offer/example-refurb-chair-sale" not in ids(workwear)
    for graph in (refurbishers, leases, east, by_cpv, workwear):
        assert_consistent(graph)


def test_neighbourhood_in_dutch_and_errors(store: OxigraphStore) -> None:
    graph = visual.neighbourhood(store, ID + "product/office-chair", languages=["nl", "en"])
    assert graph.title == "Buurt van bureaustoel"
    assert graph.nodes[0].title.startswith("bureaustoel\nproducttype")
    with pytest.raises(NotFoundError):
        visual.neighbourhood(store, EX + "organisation/nobody")
    with pytest.raises(VizError):
        visual.neighbourhood(store, REFURB, depth=4)


def test_cap_keeps_the_nearest_nodes_and_says_so(store: OxigraphStore) -> None:
    graph = visual.neighbourhood(store, ID + "product/office-chair", depth=2, cap=5)
    assert len(graph.nodes) == 5 and graph.total > 5 and graph.truncated
    assert graph.nodes[0].id == ID + "product/office-chair"
    assert all(n.level <= 1 for n in graph.nodes)
    page = viz.render(graph)
    assert f"showing 5 of {graph.total} nodes — narrow the filter" in page
    full = visual.neighbourhood(store, ID + "product/office-chair", depth=2)
    assert not full.truncated and 'id="cap"' not in viz.render(full)
    assert viz.number(12000, "en") == "12,000"


# -- matches -----------------------------------------------------------------------------------


def test_closed_match_is_a_numbered_loop_with_its_closing_flow(store: OxigraphStore) -> None:
    result = match(store, MatchRequest(what="bureaustoel", near="Kortrijk"), today=TODAY)
    graph = visual_chains.fresh_match(store, result)
    assert_consistent(graph)
    assert graph.title == "Chains for office chair near Kortrijk"
    first = [e for e in graph.edges if e.source.startswith("chain-1|")]
    assert [e.label.split(" · ")[0] for e in first] == [str(i) for i in range(1, len(first) + 1)]
    # the delivery says its business model and distance
    distance = result.chains[0].distance_km
    assert first[0].label == f"1 · lease · {distance:g} km", first[0].label
    assert first[-1].style == "closing" and first[-1].target == first[0].source
    assert not any(n.kind == "missing" for n in graph.nodes if n.id.startswith("chain-1|"))
    supplier = by_id(graph)[first[0].source]
    assert supplier.iri == result.chains[0].supplier and supplier.group == "role:supplier"


def test_open_match_ends_in_a_missing_role(store: OxigraphStore) -> None:
    request = MatchRequest(what="workwear", near="Gent", within_km=60)
    result = match(store, request, today=TODAY)
    graph = visual_chains.fresh_match(store, result, languages=["fr", "en"])
    assert_consistent(graph)
    missing = by_id(graph)["chain-1|missing"]
    assert missing.label == "manquant\u202f: producteur" and missing.group == "missing"
    open_edges = [e for e in graph.edges if e.style == "open"]
    assert open_edges[0].source.endswith("example-textile-recycling")
    assert {e.target for e in open_edges} == {"chain-1|missing", "chain-1|" + WORKWEAR}
    assert not any(e.style == "closing" for e in graph.edges)


def test_stored_match_draws_like_the_fresh_one(store: OxigraphStore) -> None:
    request = MatchRequest(what="workwear", near="Gent", within_km=60)
    result = match(store, request, today=TODAY)
    match_record.save(store, result, request)
    fresh = visual_chains.fresh_match(store, result)
    stored = visual_chains.stored_match(store, result.id)
    shape = [(e.source, e.target, e.style, e.label) for e in fresh.edges]
    assert [(e.source, e.target, e.style, e.label) for e in stored.edges] == shape
    assert [n.label for n in stored.nodes] == [n.label for n in fresh.nodes]
    with pytest.raises(NotFoundError):
        visual_chains.stored_match(store, "0000")


def test_the_missing_role_drawn_is_the_verdicts(store: OxigraphStore) -> None:
    result = match(store, MatchRequest(what="workwear", near="Gent", within_km=60), today=TODAY)
    graph = visual_chains.fresh_match(store, result)
    for chain in result.chains:
        if chain.closed:
            continue
        node = next(n for n in graph.nodes if n.id == f"chain-{chain.rank}|missing")
        assert node.label == f"missing: {chain.verdict.missing_role}"
        assert chain.verdict.reason is not None and chain.verdict.reason.text in node.title


# -- loops -------------------------------------------------------------------------------------


def test_loops_match_the_census(store: OxigraphStore) -> None:
    graph = visual_chains.loops_graph(store, today=TODAY)
    assert_consistent(graph)
    census = loops.census(store, today=TODAY)
    missing = [n for n in graph.nodes if n.kind == "missing"]
    assert len(missing) == len(census.gaps)
    # each gap says its own reason: for an offer, the verdict's sentence (in English here, the
    # same as the census's); a processor whose flows lead nowhere, and a need, say so
    drawn = sorted(n.title.split("\n")[1] for n in missing)
    expected = []
    for gap in census.gaps:
        if gap.kind == "supply":
            expected.append(gap.reason)
        elif gap.kind == "processor":
            expected.append(
                f"{gap.label} has no flow onward: what it takes back goes nowhere the graph knows"
            )
        else:
            expected.append(next(t for t in drawn if t.startswith("no closed loop for")))
    assert drawn == sorted(expected)
    assert all(n.label == "missing: producer" for n in missing)  # golden: the producer is missing
    closing = [e for e in graph.edges if e.style == "closing"]
    assert {e.target for e in closing} == {lp.supplier for lp in census.loops}
    assert all(e.style == "open" for e in graph.edges if e.target.startswith("missing|"))
    workwear = visual_chains.loops_graph(store, category="workwear", today=TODAY)
    assert not any(e.style == "closing" for e in workwear.edges)
    assert len([n for n in workwear.nodes if n.kind == "missing"]) == 3
    west = visual_chains.loops_graph(
        store, region="west-flanders", category="office-chair", today=TODAY
    )
    assert not any(n.kind == "missing" for n in west.nodes) and closing


def test_a_capped_loop_page_draws_at_most_cap_nodes_and_says_so(
    store: OxigraphStore,
) -> None:
    full = visual_chains.loops_graph(store, today=TODAY, cap=5000)
    assert not full.truncated and len(full.nodes) == full.total > 8
    page = viz.render(full)
    assert 'id="cap"' not in page
    for cap in range(1, full.total + 1):
        graph = visual_chains.loops_graph(store, today=TODAY, cap=cap)
        assert_consistent(graph)
        assert len(graph.nodes) <= cap and graph.total == full.total
        assert ids(graph) <= ids(full)  # a cut, not other nodes
        if graph.truncated:
            shown = f"showing {len(graph.nodes)} of {full.total} nodes — narrow the filter"
            assert shown in viz.render(graph)
    # the first loop that fits is drawn whole, with its closing flow
    small = visual_chains.loops_graph(store, today=TODAY, cap=4)
    assert small.nodes and any(e.style == "closing" for e in small.edges)


def test_the_loop_page_reads_only_what_it_draws(
    store: OxigraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    bound: list[int] = []
    select = store.select

    def spy(sparql: str, **kwargs: Any) -> Any:
        if "(?_node AS ?node)" in sparql:
            bound.append(len(kwargs["bindings"]["_node"]))
        return select(sparql, **kwargs)

    monkeypatch.setattr(store, "select", spy)
    visual_chains.loops_graph(store, today=TODAY, cap=5000)
    every = max(bound)
    bound.clear()
    small = visual_chains.loops_graph(store, today=TODAY, cap=4)
    assert bound and max(bound) < every
    iris = {n.iri for n in small.nodes if n.iri}
    assert max(bound) <= len(iris) + 4  # its nodes, and the offer, category, region they name


@pytest.mark.slow
def test_the_same_page_is_laid_out_the_same_in_every_process() -> None:
    code = (
        "from tests.test_viz import golden_store, TODAY\n"
        "from kringloop.queries import visual_chains\n"
        "graph = visual_chains.loops_graph(golden_store(), today=TODAY)\n"
        "print(sorted(graph.positions.items()))\n"
    )
    layouts = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=Path(__file__).parent.parent,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(layouts) == 1  # not by the order of a set, which changes with the hash seed


# -- HTML: escaping, offline ------------------------------------------------------------------


@pytest.fixture(scope="module")
def evil_store(tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    store = golden_store()
    path = tmp_path_factory.mktemp("evil") / "evil.ttl"
    path.write_text(EVIL_TTL, encoding="utf-8")
    loading.load(store, loading.plan([path]))
    return store


def test_labels_are_escaped_everywhere(evil_store: OxigraphStore) -> None:
    graph = visual.neighbourhood(evil_store, EX + "organisation/evil", depth=1)
    assert graph.title == f"Neighbourhood of {EVIL}"
    page = viz.render(graph)
    assert EVIL not in page and "<script>alert" not in page
    assert "<h1>Neighbourhood of &lt;script&gt;alert(1)&lt;/script&gt;</h1>" in page
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in page  # in the JSON data
    # data, vis-network, page script: nothing injected (vis-network's own text aside)
    assert page.replace(viz.asset("vis-network.min.js"), "").count("<script") == 3
    assert "innerHTML" not in viz.asset("vis-network.css") + viz._page_file("viz.js")


def test_generated_html_has_no_external_urls(store: OxigraphStore) -> None:
    graph = visual.neighbourhood(store, REFURB, depth=2)
    for page in (viz.render(graph), viz.render(graph, inline=False)):
        assert not EXTERNAL.findall(page), EXTERNAL.findall(page)[:3]
        assert not re.search("cdnjs|jsdelivr|unpkg|bootstrap", page, re.I)
        assert "sourceMappingURL" not in page
        nonce = re.search(r'<script nonce="([^"]+)"', page)
        assert nonce is not None and f"&#39;nonce-{nonce.group(1)}&#39;" in page  # meta CSP
        own = page.replace(viz.asset("vis-network.min.js"), "")  # vis-network quotes "<script>"
        for tag in re.findall(r"<(?:script|style)(?![^>]*application/json)[^>]*>", own):
            assert f'nonce="{nonce.group(1)}"' in tag, tag
    served = viz.render(graph, inline=False)
    assert 'src="/viz/lib/vis-network.min.js"' in served
    # url() in the inlined CSS only holds data: images
    for url in re.findall(r"url\(([^)]*)\)", viz.asset("vis-network.css")):
        assert url.strip("\"' ").startswith("data:"), url


def test_core_imports_neither_fastapi_nor_pyvis() -> None:
    code = (
        "import sys, kringloop.queries.visual, kringloop.queries.visual_chains;"
        "print(sorted(m for m in ('fastapi', 'pyvis', 'starlette') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# -- the service -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    settings = Settings(store="memory", demo_data=False, validate_data=False)
    with TestClient(create_app(settings)) as test_client:
        store = test_client.app.state.store  # type: ignore[attr-defined]
        loading.load(store, loading.plan([GOLDEN]))
        yield test_client


def test_routes_serve_pages_with_a_nonce_policy(client: TestClient) -> None:
    page = client.get("/viz/neighbourhood", params={"iri": REFURB, "depth": 2, "lang": "nl"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce and f'nonce="{nonce.group(1)}"' in page.text
    assert "default-src 'none'" in policy and "http" not in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "<h1>Buurt van Example Refurb Kortrijk</h1>" in page.text
    french = client.get(
        "/viz/neighbourhood", params={"iri": REFURB}, headers={"Accept-Language": "fr-BE"}
    )
    assert "<h1>Voisinage de Example Refurb Kortrijk</h1>" in french.text
    again = client.get("/viz/neighbourhood", params={"iri": REFURB})
    assert again.headers["content-security-policy"] != policy  # a fresh nonce per page
    lib = client.get("/viz/lib/vis-network.min.js")
    assert lib.status_code == 200 and lib.headers["content-type"].startswith("text/javascript")
    assert client.get("/viz/lib/other.js").status_code == 404


def test_routes_for_matches_and_loops(client: TestClient) -> None:
    loops = client.get("/viz/loops", params={"category": "workwear", "lang": "en"})
    assert loops.status_code == 200 and "missing: producer" in loops.text
    dutch = client.get("/viz/loops", params={"category": "workwear"})  # Dutch by default
    assert dutch.status_code == 200 and "ontbreekt: producent" in dutch.text
    capped = client.get("/viz/loops", params={"cap": 4, "lang": "en"})
    drawn = re.search(r'<script type="application/json" id="viz-data">(.*?)</script>', capped.text)
    assert capped.status_code == 200 and drawn is not None
    nodes = json.loads(drawn.group(1))["nodes"]
    assert 0 < len(nodes) <= 4 and f"showing {len(nodes)} of " in capped.text
    fresh = client.get(
        "/viz/match", params={"what": "bureaustoel", "near": "Kortrijk"}, headers=ENGLISH
    )
    assert fresh.status_code == 200 and "Chains for office chair near Kortrijk" in fresh.text
    assert client.get("/viz/match").status_code == 400
    assert client.get("/viz/match", params={"id": "0000"}).status_code == 404
    assert client.get("/viz/neighbourhood", params={"iri": REFURB, "depth": 4}).status_code == 422
    unknown = client.get("/viz/neighbourhood", params={"iri": EX + "organisation/nobody"})
    assert unknown.status_code == 404


# -- the command line --------------------------------------------------------------------------


def test_cli_writes_a_self_contained_file(tmp_path: Path) -> None:
    runner = CliRunner()
    store = ["--store-path", str(tmp_path / "store")]
    assert runner.invoke(cli, [*store, "init", "--no-demo"]).exit_code == 0
    assert runner.invoke(cli, [*store, "load", str(GOLDEN)]).exit_code == 0
    out = tmp_path / "refurb.html"
    done = runner.invoke(
        cli, [*store, "viz", "neighbourhood", REFURB, "--depth", "2", "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "vis.Network" in page
    assert "Example Refurb Kortrijk" in page and not EXTERNAL.findall(page)
    loops = tmp_path / "loops.html"
    done = runner.invoke(
        cli,
        [
            *store,
            "viz",
            "loops",
            "--region",
            "east-flanders",
            "--on",
            "2026-06-01",
            "-o",
            str(loops),
        ],
    )
    assert done.exit_code == 0, done.output
    assert "missing: producer" in loops.read_text(encoding="utf-8")
    done = runner.invoke(cli, [*store, "viz", "match", "-o", str(tmp_path / "m.html")])
    assert done.exit_code == 2


def test_terms_are_bound_not_pasted(store: OxigraphStore) -> None:
    before = store.count()
    with pytest.raises(VizError, match="not an IRI"):
        visual.neighbourhood(store, EX + "x> } ; DROP ALL ; SELECT * WHERE { <y")
    # Text with SPARQL syntax in it is a term like any other: nothing found, nothing changed.
    with pytest.raises(NotFoundError):
        visual.neighbourhood(store, EX + "x%3E%20%7D%20DROP%20ALL")
    with pytest.raises(ResolutionError, match="no role is called"):  # a value, refused
        visual.neighbourhood(store, REFURB, filters=Filters(role='x" } DROP ALL #'))
    graph = visual.neighbourhood(store, REFURB, filters=Filters(role="refurbisher"))
    assert [n.kind for n in graph.nodes].count("organisation") == 1
    assert store.count() == before and ox.NamedNode(REFURB).value == REFURB
