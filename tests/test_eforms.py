"""Importing eForms notices: the EU's example notices in, closed-loop answers out.

The fixtures are the eForms SDK's example notices (tests/fixtures/eforms, CC BY 4.0): every valid
one imports, both invalid ones are refused whole with their line and element and change
nothing, a second import changes nothing, a change notice replaces what it changes, and a lot
is matched end to end through HTTP.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import cast
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from lxml import etree
from pydantic import SecretStr

from kringloop.data.notices import Town, variants, write_variants
from kringloop.graph.bundle import initialise
from kringloop.graph.eforms.imports import import_files, import_notices
from kringloop.graph.eforms.rdf import GRAPH_BASE
from kringloop.graph.eforms.read import NoticeError, read_file, read_notice
from kringloop.graph.errors import ValidationFailure
from kringloop.graph.store import OxigraphStore, Store, text
from kringloop.graph.validate import ShapesValidator, for_store
from kringloop.queries import loops, matchmaker
from kringloop.queries.request import MatchRequest
from kringloop.queries.resolve import ResolutionError
from kringloop.service.app import create_app
from kringloop.service.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "eforms"
VALID = sorted(p for p in FIXTURES.glob("*.xml") if not p.name.startswith("INVALID"))
INVALID = sorted(FIXTURES.glob("INVALID_*.xml"))
CIRCULAR = ("pin-rtl_24.xml", "subco_81.xml", "veat_81.xml")
KL = "https://w3id.org/kringloop/ns#"
ID = "https://w3id.org/kringloop/id/"
TOKEN = "eforms-test-token"
HASSELT = Town("Hasselt", "3500", "BE22")


@pytest.fixture(scope="module")
def bundled() -> list[ox.Quad]:
    store = OxigraphStore.memory()
    initialise(store)
    return list(store.quads())


@pytest.fixture
def store(bundled: list[ox.Quad]) -> OxigraphStore:
    """A fresh store holding the ontology and the bundled data (code lists, places, market)."""
    fresh = OxigraphStore.memory()
    fresh.add_quads(bundled)
    return fresh


@pytest.fixture
def validator(store: OxigraphStore) -> ShapesValidator:
    return for_store(store)


def ask(store: Store, query: str) -> list[dict[str, str]]:
    prefix = (
        "PREFIX kl: <https://w3id.org/kringloop/ns#>\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "PREFIX prov: <http://www.w3.org/ns/prov#>\n"
    )
    rows = store.select(prefix + query, union_default_graph=True)
    return [{k: text(v) for k, v in row.items()} for row in rows]


# -- reading -----------------------------------------------------------------------------------


def test_the_fixtures_are_the_sdk_examples() -> None:
    assert len(VALID) == 11 and len(INVALID) == 2
    circular = {p.name for p in VALID if "circ-econ" in p.read_text(encoding="utf-8")}
    assert circular == set(CIRCULAR)
    assert "CC BY 4.0" in (FIXTURES / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_every_valid_example_reads(path: Path) -> None:
    notice = read_file(path)
    assert notice.lots and notice.buyers
    assert all(len(lot.main_cpv) == 8 for lot in notice.lots)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_examples_are_refused_with_line_and_element(path: Path) -> None:
    with pytest.raises(NoticeError) as refused:
        read_file(path)
    error = refused.value
    assert error.source == str(path)
    assert error.position.line is not None
    assert "no identifier" in str(error) and "cbc:ID" in str(error)
    assert "refused whole" in str(error)
    lines = {p.line for p in error.problems}
    assert None not in lines and len(lines) > 1


def test_a_cut_off_notice_is_not_well_formed() -> None:
    data = (FIXTURES / "cn_24_minimal.xml").read_bytes()
    with pytest.raises(Exception) as refused:
        read_notice(data[: len(data) // 2], source="cut.xml")
    assert "not well-formed" in str(refused.value) and "line" in str(refused.value)


def test_a_document_type_declaration_is_refused() -> None:
    data = (FIXTURES / "cn_24_minimal.xml").read_bytes()
    bomb = data.replace(
        b"<ContractNotice ",
        b'<!DOCTYPE ContractNotice [<!ENTITY a "aaaaaaaaaa">]>\n<ContractNotice ',
        1,
    )
    with pytest.raises(NoticeError, match="document type declaration"):
        read_notice(bomb)


def test_award_notices_name_their_winners_and_values() -> None:
    notice = read_file(FIXTURES / "can_24_minimal.xml")
    (award,) = notice.awards
    assert award.lot == "LOT-0000" and award.winners == ("ORG-0004",)
    assert award.value == 95414.0 and award.currency == "EUR"
    veat = read_file(FIXTURES / "veat_81.xml")  # winners through the settled contract
    assert {a.lot for a in veat.awards} == {"LOT-0001", "LOT-0002"}


# -- importing ---------------------------------------------------------------------------------


def test_every_valid_example_imports(store: OxigraphStore, validator: ShapesValidator) -> None:
    results = import_files(store, VALID, validator=validator)
    assert [r.status for r in results] == ["imported"] * len(VALID)
    graphs = {g.value for g in store.graphs() if g.value.startswith(GRAPH_BASE)}
    assert graphs == {r.graph for r in results} and len(graphs) == len(VALID)
    # one named graph per notice, with PROV to the notice and the notice's identifiers
    rows = ask(
        store,
        "SELECT ?g ?id ?issued WHERE { GRAPH ?g "
        "{ ?g prov:wasDerivedFrom ?n . ?n a kl:Notice ; kl:noticeIdentifier ?id ; "
        "kl:issueDate ?issued } }",
    )
    assert {r["g"] for r in rows} == graphs
    lots = ask(store, "SELECT ?lot WHERE { ?lot a kl:TenderLot ; a kl:Need ; kl:mainCpv ?c }")
    assert len(lots) == sum(len(r.needs) for r in results) == 14
    awards = ask(
        store, "SELECT ?a ?v WHERE { ?a kl:awardsNeed ?lot OPTIONAL { ?a kl:contractValue ?v } }"
    )
    assert len(awards) == sum(r.awards for r in results) == 7
    circular = ask(
        store,
        "SELECT DISTINCT ?lot WHERE { ?lot kl:environmentalImpact "
        "<https://w3id.org/kringloop/id/environmental-impact/circ-econ> }",
    )
    assert len(circular) == 3


def test_the_buyer_its_site_and_a_belgian_place(store: OxigraphStore) -> None:
    (result,) = import_files(store, [FIXTURES / "CEI.xml"])
    (lot,) = result.needs
    rows = ask(
        store,
        f"SELECT ?place ?source ?buyer ?name WHERE {{ <{lot}> kl:atPlace ?place ; "
        f"kl:coordinateSource ?source ; kl:requestedBy ?buyer . ?buyer rdfs:label ?name }}",
    )
    assert rows and rows[0]["place"] == ID + "place/brussel" and rows[0]["source"] == "place"
    assert rows[0]["name"] == "European Parliament"


def test_places_outside_belgium_keep_no_coordinate(store: OxigraphStore) -> None:
    (result,) = import_files(store, [FIXTURES / "cn_24_minimal.xml"])
    (lot,) = result.needs
    facts = ask(store, f"SELECT ?p ?o WHERE {{ <{lot}> ?p ?o }}")
    predicates = {f["p"] for f in facts}
    assert KL + "nutsCode" in predicates
    assert not {KL + "lat", KL + "long", KL + "coordinateSource"} & predicates
    assert any("no coordinate" in n for n in result.notes)


def test_importing_again_changes_nothing(store: OxigraphStore, validator: ShapesValidator) -> None:
    import_files(store, VALID, validator=validator)
    before = set(store.quads())
    generation = store.generation
    again = import_files(store, VALID, validator=validator)
    assert {r.status for r in again} == {"unchanged"}
    assert set(store.quads()) == before and store.generation == generation


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_an_invalid_notice_refuses_the_whole_import(store: OxigraphStore, path: Path) -> None:
    before = set(store.quads())
    with pytest.raises(NoticeError) as refused:
        import_files(store, [*VALID, path])
    assert str(path) in str(refused.value)
    assert set(store.quads()) == before


def test_an_unknown_code_is_refused_with_its_line(store: OxigraphStore) -> None:
    data = (FIXTURES / "subco_81.xml").read_bytes().replace(b">circ-econ<", b">circular<")
    before = set(store.quads())
    with pytest.raises(NoticeError, match="'circular' is not a code of the eForms list"):
        import_notices(store, [read_notice(data, source="subco.xml")])
    assert set(store.quads()) == before


def test_data_against_the_shapes_is_refused(
    store: OxigraphStore, validator: ShapesValidator
) -> None:
    """The import goes through the checked write path: when the store already gives the lot
    another period in another graph, the lot would have two (NeedShape: at most one), and
    the notice is refused, naming its file, with nothing written."""
    (result,) = import_files(store, [FIXTURES / "cn_24_minimal.xml"], validator=validator)
    lot = result.needs[0]
    store.drop_graph(ox.NamedNode(result.graph))
    months = ox.Literal("12", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
    store.add_quads([ox.Quad(ox.NamedNode(lot), ox.NamedNode(KL + "periodMonths"), months,
                             ox.NamedNode("https://example.org/graph/other"))])  # fmt: skip
    before = set(store.quads())
    with pytest.raises(ValidationFailure) as refused:
        import_files(store, [FIXTURES / "cn_24_minimal.xml"], validator=validator)
    assert refused.value.source is not None and "cn_24_minimal.xml" in refused.value.source
    assert any(v.path == KL + "periodMonths" for v in refused.value.violations)
    assert set(store.quads()) == before


def _change_of(path: Path, *, title: str) -> bytes:
    """A change notice of ``path``: a new identifier, a later date, a new lot title."""
    root = etree.fromstring(path.read_bytes())
    ns = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
          "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
          "efac": "http://data.europa.eu/p27/eforms-ubl-extension-aggregate-components/1",
          "efbc": "http://data.europa.eu/p27/eforms-ubl-extension-basic-components/1"}  # fmt: skip
    notice_id = root.find("cbc:ID", ns)
    assert notice_id is not None and notice_id.text
    old = notice_id.text
    notice_id.text = "0c5d6f2a-9999-4a4a-8b8b-00000000c4a9"
    issue = root.find("cbc:IssueDate", ns)
    assert issue is not None
    issue.text = "2026-01-15+01:00"
    name = root.find("cac:ProcurementProjectLot/cac:ProcurementProject/cbc:Name", ns)
    assert name is not None
    name.text = title
    extension = root.find(".//efac:NoticeSubType/..", ns)
    assert extension is not None
    changes = etree.SubElement(extension, f"{{{ns['efac']}}}Changes")
    etree.SubElement(changes, f"{{{ns['efbc']}}}ChangedNoticeIdentifier").text = f"{old}-01"
    return etree.tostring(root)


def test_a_change_notice_replaces_what_it_changes(
    store: OxigraphStore, validator: ShapesValidator
) -> None:
    path = FIXTURES / "cn_24_minimal.xml"
    (first,) = import_files(store, [path], validator=validator)
    change = read_notice(_change_of(path, title="Changed title"), source="change.xml")
    (second,) = import_notices(store, [change], validator=validator)
    assert second.status == "replaced" and second.graph == first.graph
    assert second.needs == first.needs
    titles = ask(
        store,
        f"SELECT ?t WHERE {{ <{first.needs[0]}> rdfs:label ?t }}",
    )
    assert [t["t"] for t in titles] == ["Changed title"]
    revised = ask(store, f"SELECT ?e WHERE {{ <{second.notice}> kl:changesNotice ?e }}")
    assert [r["e"] for r in revised] == [first.notice]
    # the changed notice arriving again, after its change, leaves the change in place
    (late,) = import_files(store, [path], validator=validator)
    assert late.status == "superseded"
    assert [
        t["t"]
        for t in ask(
            store,
            f"SELECT ?t WHERE {{ <{first.needs[0]}> rdfs:label ?t }}",
        )
    ] == ["Changed title"]


# -- demand and matching ------------------------------------------------------------------------


def _lot_in_hasselt(tmp: Path) -> Path:
    """A generated contract notice for office chairs whose lot is in Hasselt."""
    template = [FIXTURES / "cn_24_minimal.xml"]
    # planned for a year from spring 2026: within the validity of the demo market's offers
    made = variants(template, count=1, seed=7, towns=[HASSELT], cpvs=["39112000"],
                    durations=(12,), issued=(date(2026, 2, 1), 30))  # fmt: skip
    name, data = next(made)
    path = tmp / name
    path.write_bytes(data)
    return path


def test_census_counts_imported_lots_as_demand(store: OxigraphStore, tmp_path: Path) -> None:
    hasselt = _lot_in_hasselt(tmp_path)
    import_files(store, [*VALID, hasselt])
    census = loops.census(store)
    by_category = {(d.category, d.region): d for d in census.demand}
    chairs = by_category[(ID + "product/office-chair", ID + "region/limburg")]
    assert chairs.lots == 1 and chairs.served + chairs.unserved + chairs.unlocated == chairs.needs
    circular = sum(d.circular_lots for d in census.demand)
    assert circular == 3 + (b"circ-econ" in hasselt.read_bytes())
    uncovered = [d for d in census.demand if d.category.startswith("http://data.europa.eu/cpv/")]
    assert uncovered and all(d.served == 0 for d in uncovered)
    assert any("European Parliament" in d.buyer_labels for d in uncovered)
    gap_needs = {g.subject for g in census.gaps if g.kind == "need"}
    assert any(s.startswith(ID + "need/") for s in gap_needs)


def test_a_lot_kringloop_cannot_place_is_not_guessed(store: OxigraphStore) -> None:
    (result,) = import_files(store, [FIXTURES / "cn_24_minimal.xml"])
    lot = result.needs[0]
    with pytest.raises(ResolutionError, match="CPV 72230000"):
        matchmaker.match(store, MatchRequest(need=lot))
    with pytest.raises(ResolutionError, match="no coordinate") as refused:
        matchmaker.match(store, MatchRequest(need=lot, what="bureaustoelen"))
    assert "near" in str(refused.value)
    answer = matchmaker.match(store, MatchRequest(need=lot, what="bureaustoelen", near="Hasselt"))
    assert answer.where["label"] == "Hasselt" and answer.what["need"] == lot


@pytest.fixture
def client() -> Iterator[TestClient]:
    settings = Settings(store="memory", write_token=SecretStr(TOKEN))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_a_lot_is_matched_end_to_end_over_http(client: TestClient, tmp_path: Path) -> None:
    body = _lot_in_hasselt(tmp_path).read_bytes()
    xml = {"Content-Type": "application/xml"}
    assert client.post("/eforms/notices", content=body, headers=xml).status_code == 401
    auth = {**xml, "Authorization": f"Bearer {TOKEN}"}
    created = client.post("/eforms/notices", content=body, headers=auth)
    assert created.status_code == 201, created.text
    (lot,) = created.json()["needs"]
    assert (
        client.post("/eforms/notices", content=body, headers=auth).json()["status"] == "unchanged"
    )
    answer = client.post("/match", json={"need": lot})
    assert answer.status_code == 200, answer.text
    match = answer.json()
    assert match["what"]["need"] == lot
    assert match["what"]["concept"] == ID + "product/office-chair"
    store = cast(FastAPI, client.app).state.store
    hasselt = ask(
        store, "SELECT ?lat WHERE { <https://w3id.org/kringloop/id/place/hasselt> kl:lat ?lat }"
    )
    assert abs(match["where"]["lat"] - float(hasselt[0]["lat"])) < 1e-3
    assert match["chains"], match["explanation"]
    assert any(c["loop"]["status"] == "closed" for c in match["chains"])
    overridden = client.post("/match", json={"need": lot, "near": "Kortrijk", "quantity": 5})
    assert overridden.json()["where"]["label"] == "Kortrijk"


@pytest.fixture
def on_disk(tmp_path: Path) -> Iterator[TestClient]:
    """The service over an on-disk store holding the demo data (queries in worker processes)."""
    settings = Settings(
        store="oxigraph",
        store_path=tmp_path / "store",
        demo_data=True,
        write_token=SecretStr(TOKEN),
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_the_page_of_a_lot_links_to_its_match(on_disk: TestClient, tmp_path: Path) -> None:
    """A tender lot's linked-data page links to the request form filled in with the lot; the
    result page answers for the lot's product, at the lot's place, and the form keeps it."""
    auth = {"Content-Type": "application/xml", "Authorization": f"Bearer {TOKEN}"}
    created = on_disk.post("/eforms/notices", content=_lot_in_hasselt(tmp_path).read_bytes(),
                           headers=auth)  # fmt: skip
    assert created.status_code == 201, created.text
    (lot,) = created.json()["needs"]
    html = {"Accept": "text/html", "Accept-Language": "nl"}
    page = on_disk.get("/resource", params={"iri": lot}, headers=html)
    assert page.status_code == 200
    link = re.search(r'<a class="match-need" href="([^"]+)">([^<]+)</a>', page.text)
    assert link is not None, "no link to match the lot"
    assert link.group(2) == "Match dit perceel"
    href = link.group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(href).query) == {"need": [lot], "lang": ["nl"]}
    result = on_disk.get(href, headers=html, follow_redirects=False)
    assert result.status_code == 200, result.text
    title = re.search(r"<h1>(.*?)</h1>", result.text, re.S)
    # named by the lot's place of performance, not by its coordinates
    assert title is not None and title.group(1).strip() == "Ketens voor Bureaustoel bij Hasselt"
    assert f'<input type="hidden" name="need" value="{lot}">' in result.text
    assert '<article class="chain status-closed"' in result.text  # as POST /match finds
    english = on_disk.get("/resource", params={"iri": lot, "lang": "en"}, headers=html)
    assert ">Match this tender lot</a>" in english.text
    # a buyer's own need (the demo data) is matched the same way
    need = "https://example.org/kringloop/id/need/aalst-smartphones"
    own = on_disk.get("/resource", params={"iri": need, "lang": "fr"}, headers=html)
    assert ">Chercher une chaîne pour ce besoin</a>" in own.text
    answer = on_disk.get("/find", params={"need": need, "lang": "fr"}, headers=html)
    assert answer.status_code == 200 and "Chaînes pour Smartphone" in answer.text
    # not a need: no link; an IRI that is not a need in the store: the form says so (422)
    org = on_disk.get("/resource", params={"iri": ID + "product/office-chair"}, headers=html)
    assert org.status_code == 200 and "match-need" not in org.text
    refused = on_disk.get("/find", params={"need": "https://example.org/no-such-need"},
                          headers=html)  # fmt: skip
    assert refused.status_code == 422
    assert 'id="error-need"' in refused.text and "behoefte" in refused.text


def test_invalid_notices_over_http_change_nothing(client: TestClient) -> None:
    auth = {"Content-Type": "application/xml", "Authorization": f"Bearer {TOKEN}"}
    store = cast(FastAPI, client.app).state.store
    before = set(store.quads())
    for path in INVALID:
        refused = client.post("/eforms/notices", content=path.read_bytes(), headers=auth)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"] == "invalid_notice" and refused.json()["line"]
    cut = client.post("/eforms/notices", content=b"<ContractNotice", headers=auth)
    assert cut.status_code == 400
    wrong = client.post(
        "/eforms/notices", content=b"{}", headers={**auth, "Content-Type": "application/json"}
    )
    assert wrong.status_code == 415
    assert client.post("/match", json={"need": "https://example.org/none"}).status_code == 422
    assert set(store.quads()) == before


# -- command line and generator ----------------------------------------------------------------


def test_command_line_imports_a_directory(tmp_path: Path) -> None:
    store_path = tmp_path / "store"
    env = {"KRINGLOOP_STORE_PATH": str(store_path), "PATH": ""}
    kringloop = [sys.executable, "-m", "kringloop.service.cli"]
    subprocess.run([*kringloop, "init"], env=env, check=True, capture_output=True)
    refused = subprocess.run([*kringloop, "import", "eforms", str(FIXTURES)], env=env,
                             capture_output=True, text=True)  # fmt: skip
    assert refused.returncode == 2 and "INVALID_" in refused.stderr
    valid = tmp_path / "valid"
    valid.mkdir()
    for path in VALID:
        (valid / path.name).write_bytes(path.read_bytes())
    done = subprocess.run([*kringloop, "import", "eforms", str(valid), "--json"], env=env,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.count('"imported"') == len(VALID)
    lot = "https://w3id.org/kringloop/id/need/37f3f877-01ee-4671-a49f-5581cffe6388-lot-0000"
    assert lot in done.stdout  # the lot of CEI.xml, in Brussels, for CPV 98390000
    matched = subprocess.run([*kringloop, "match", "--need", lot], env=env,
                             capture_output=True, text=True)  # fmt: skip
    assert matched.returncode == 2 and "CPV 98390000" in matched.stderr
    matched = subprocess.run([*kringloop, "match", "--need", lot, "--what", "bureaustoelen"],
                             env=env, capture_output=True, text=True)  # fmt: skip
    assert matched.returncode == 0, matched.stderr
    assert "Office chair near 50.8467, 4.3525" in matched.stdout  # Brussels, from the lot


def test_a_belgian_town_outside_the_places_gets_its_region(
    store: OxigraphStore, tmp_path: Path
) -> None:
    """Known by its NUTS code only: the region, and the mean of the region's places."""
    lubbeek = Town("Lubbeek", "3210", "BE24")
    name, data = next(variants([FIXTURES / "cn_24_minimal.xml"], count=1, towns=[lubbeek],
                               cpvs=["39112000"]))  # fmt: skip
    (result,) = import_notices(store, [read_notice(data, source=name)])
    lot = result.needs[0]
    rows = ask(store, f"SELECT ?p ?o WHERE {{ <{lot}> ?p ?o }}")
    facts = {r["p"].rsplit("#", 1)[-1]: r["o"] for r in rows}
    assert facts["coordinateSource"] == "nuts-region" and facts["nutsCode"] == "BE24"
    region = "<https://w3id.org/kringloop/id/region/flemish-brabant>"
    places = ask(
        store,
        f"SELECT ?place ?lat WHERE {{ ?place a kl:Place ; kl:region {region} ; kl:lat ?lat }}",
    )
    mean = sum(float(p["lat"]) for p in places) / len(places)
    assert abs(float(facts["lat"]) - mean) < 1e-3
    place = facts["atPlace"]  # a place for Lubbeek, minted from the notice, in the region
    assert place.startswith(ID + "place/eforms-bel-3210-lubbeek")
    assert ask(store, f"SELECT ?r WHERE {{ <{place}> kl:region ?r }}")[0]["r"].endswith(
        "flemish-brabant"
    )


def test_generated_variants_import(
    store: OxigraphStore, validator: ShapesValidator, tmp_path: Path
) -> None:
    files = write_variants(VALID, tmp_path, count=40, seed=2)
    assert [p.read_bytes() for p in files] == [d for _, d in variants(VALID, count=40, seed=2)]
    results = import_files(store, files, validator=validator)
    assert {r.status for r in results} <= {"imported", "replaced", "superseded"}
    assert not [n for r in results for n in r.notes]  # every lot placed and typed
