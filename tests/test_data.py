"""Tests of the shipped knowledge: code lists, CPV subset, places, seed network and market.

Files are found through the installed package (``kringloop.data.DATA_DIR``); every Turtle file
in the folder is tested by being there.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from kringloop.data import DATA_DIR

KL = Namespace("https://w3id.org/kringloop/ns#")
EX_ORG = "https://example.org/kringloop/id/organisation/"
ROLE = "https://w3id.org/kringloop/id/role/"
PRODUCT = Namespace("https://w3id.org/kringloop/id/product/")
PLACE = Namespace("https://w3id.org/kringloop/id/place/")
REGION = Namespace("https://w3id.org/kringloop/id/region/")
BM = Namespace("https://w3id.org/kringloop/id/business-model/")
MATERIAL = Namespace("https://w3id.org/kringloop/id/material/")
CYCLE = Namespace("https://w3id.org/kringloop/id/cycle/")
CPV_SCHEME = URIRef("http://data.europa.eu/cpv/cpv")

TTL_FILES = sorted(DATA_DIR.rglob("*.ttl"))
#: The knowledge the bundle loads; the evaluation scenarios (data/eval/) are worlds of their own.
BUNDLE_FILES = [p for p in TTL_FILES if p.relative_to(DATA_DIR).parts[0] != "eval"]
CODELIST_FILES = sorted((DATA_DIR / "codelists").glob("*.ttl"))
SCRIPTS = DATA_DIR / "scripts"
MARKET = DATA_DIR / "market" / "market.ttl"
AXIOMS = DATA_DIR.parent / "ontology" / "axioms.ttl"

CHAIN_ROLES = (
    "producer",
    "supplier",
    "buyer",
    "user",
    "collector",
    "repairer",
    "refurbisher",
    "remanufacturer",
    "recycler",
    "composter",
    "sharing-platform",
)

# Contact people named on the seed page: they must not appear anywhere in data/.
PERSONAL_NAMES = (
    "Frank Geets",
    "Didier Pierre",
    "Martine Alleene",
    "Sebastien Lefèbvre",
    "Sebastien Lefebvre",
    "Dimitri Strybos",
    "Luk Lafosse",
    "Bart Corijn",
    "Leen Van der Meeren",
    "Leen Vandermeeren",
    "Geets",
    "Alleene",
    "Lefèbvre",
    "Strybos",
    "Lafosse",
    "Corijn",
    "Vandermeeren",
    "Van der Meeren",
    # People named on the pages the seed's cases come from.
    "Karel Gregoire",
    "Lorenzo Delorenzi",
    "Johan Perdieus",
    "Gerard Govers",
    "Sara Nies",
    "Stijn De Meulemeester",
    "Bart De Bruyne",
    "Julie Nauwelaerts",
    "Filip Lietaer",
    "Timo Wyffels",
    "Ludwig Caluwé",
    "Stijn Devaere",
    "Peter Putteman",
    "Jonathan De Valck",
)
SEED = DATA_DIR / "seed" / "network.ttl"
NUTS = DATA_DIR / "nuts.ttl"
NUTS_SOURCE = DATA_DIR / "reference" / "nuts-bel-lvl3.gc"
NUTS_CODE = "http://data.europa.eu/nuts/code/"
PROV = Namespace("http://www.w3.org/ns/prov#")
SCHEMA = Namespace("https://schema.org/")
DCTERMS = Namespace("http://purl.org/dc/terms/")
XSD_DATE = URIRef("http://www.w3.org/2001/XMLSchema#date")


def _rel(path: Path) -> str:
    return str(path.relative_to(DATA_DIR))


@pytest.fixture(scope="module")
def graph() -> Graph:
    """All shipped data in one rdflib graph."""
    merged = Graph()
    for path in BUNDLE_FILES:
        merged.parse(path, format="turtle")
    return merged


@pytest.fixture(scope="module")
def market() -> Graph:
    parsed = Graph()
    parsed.parse(MARKET, format="turtle")
    return parsed


def test_data_folder_has_the_expected_files() -> None:
    names = {_rel(path) for path in TTL_FILES}
    expected = {
        "cpv.ttl",
        "places.ttl",
        "nuts.ttl",
        "seed/network.ttl",
        "market/market.ttl",
        "codelists/strategies.ttl",
        "codelists/roles.ttl",
        "codelists/business-models.ttl",
        "codelists/design-features.ttl",
        "codelists/conditions.ttl",
        "codelists/certifications.ttl",
        "codelists/verification-levels.ttl",
        "codelists/materials.ttl",
        "codelists/cycles.ttl",
        "codelists/product-types.ttl",
        "codelists/regions.ttl",
    }
    assert expected <= names


@pytest.mark.parametrize("path", TTL_FILES, ids=_rel)
def test_turtle_parses_with_rdflib_and_pyoxigraph(path: Path) -> None:
    parsed = Graph()
    parsed.parse(path, format="turtle")
    quads = list(pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE))
    assert len(parsed) > 0
    assert len(quads) == len(parsed)


def test_build_market_reproduces_market_ttl(tmp_path: Path) -> None:
    out = tmp_path / "market.ttl"
    subprocess.run(
        [sys.executable, str(SCRIPTS / "build_market.py"), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    assert out.read_bytes() == MARKET.read_bytes(), "rerun data/scripts/build_market.py"


def test_build_axioms_reproduces_axioms_ttl(tmp_path: Path) -> None:
    """The closed-loop axioms in ontology/axioms.ttl are those the code lists give."""
    out = tmp_path / "axioms.ttl"
    subprocess.run(
        [sys.executable, str(SCRIPTS / "build_axioms.py"), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    assert out.read_bytes() == AXIOMS.read_bytes(), "rerun data/scripts/build_axioms.py"


def test_build_nuts_reproduces_nuts_ttl(tmp_path: Path) -> None:
    """data/nuts.ttl is what build_nuts.py makes of the EU's code list."""
    out = tmp_path / "nuts.ttl"
    subprocess.run(
        [
            sys.executable,
            str(SCRIPTS / "build_nuts.py"),
            "--source",
            str(NUTS_SOURCE),
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    assert out.read_bytes() == NUTS.read_bytes(), "rerun data/scripts/build_nuts.py"


def test_nuts_regions_nest_by_code() -> None:
    """44 arrondissements under 10 provinces and Brussels, under 3 regions, by code prefix."""
    nuts = Graph().parse(NUTS, format="turtle")
    codes = {str(c)[len(NUTS_CODE) :] for c in nuts.subjects(RDF.type, KL.NutsRegion)}
    assert len([c for c in codes if len(c) == 5]) == 44
    assert {c for c in codes if len(c) == 3} == {"BE1", "BE2", "BE3"}
    assert len([c for c in codes if len(c) == 4]) == 11
    for code in codes:
        region = URIRef(NUTS_CODE + code)
        assert nuts.value(region, SKOS.notation) == Literal(code)
        assert _langs(nuts, region, SKOS.prefLabel), code
        if len(code) > 3:
            assert nuts.value(region, SKOS.broader) == URIRef(NUTS_CODE + code[:-1]), code
    kortrijk = URIRef(NUTS_CODE + "BE254")
    assert nuts.value(kortrijk, SKOS.prefLabel) is not None
    assert {"nl", "fr", "en", "de"} <= _langs(nuts, kortrijk, SKOS.prefLabel)


def test_places_lie_in_a_nuts_region_that_gives_their_region(graph: Graph) -> None:
    """Every place has its arrondissement; its kl:region is the kringloop region that is
    skos:exactMatch to the province above it (for Brussels, the level-2 region)."""
    places = sorted(p for p in graph.subjects(RDF.type, KL.Place) if isinstance(p, URIRef))
    assert len(places) >= 45
    by_nuts = {
        graph.value(region, SKOS.exactMatch): region
        for region in graph.subjects(RDF.type, KL.Region)
    }
    for place in places:
        arrondissement = graph.value(place, KL.nutsRegion)
        assert arrondissement is not None, f"{place} has no kl:nutsRegion"
        assert (arrondissement, RDF.type, KL.NutsRegion) in graph, arrondissement
        assert len(str(arrondissement)) == len(NUTS_CODE) + 5, arrondissement
        province = graph.value(arrondissement, SKOS.broader)
        assert graph.value(place, KL.region) == by_nuts[province], place


def test_check_places_passes() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / "check_places.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------------------------------------------
# Code lists and CPV
# ------------------------------------------------------------------------------------------


def _langs(graph: Graph, subject: URIRef, predicate: URIRef) -> set[str]:
    return {
        str(obj.language)
        for obj in graph.objects(subject, predicate)
        if isinstance(obj, Literal) and obj.language
    }


@pytest.mark.parametrize("path", CODELIST_FILES, ids=_rel)
def test_codelist_labels_and_definitions(path: Path) -> None:
    parsed = Graph()
    parsed.parse(path, format="turtle")
    schemes = sorted(
        s for s in parsed.subjects(RDF.type, SKOS.ConceptScheme) if isinstance(s, URIRef)
    )
    assert schemes, f"{_rel(path)} has no skos:ConceptScheme"
    for scheme in schemes:
        assert {"en", "nl"} <= _langs(parsed, scheme, SKOS.prefLabel), scheme
    concepts = sorted(c for c in parsed.subjects(SKOS.inScheme, None) if isinstance(c, URIRef))
    assert concepts
    for concept in concepts:
        assert {"en", "nl", "fr"} <= _langs(parsed, concept, SKOS.prefLabel), concept
        assert {"en", "nl", "fr"} <= _langs(parsed, concept, SKOS.definition), concept
        assert (concept, RDF.type, SKOS.Concept) in parsed, concept
        top = (concept, SKOS.topConceptOf, None) in parsed
        broader = (concept, SKOS.broader, None) in parsed
        assert top or broader, f"{concept} is neither a top concept nor has a broader concept"


def test_every_material_is_in_one_cycle(graph: Graph) -> None:
    materials = sorted(m for m in graph.subjects(RDF.type, KL.Material) if isinstance(m, URIRef))
    assert len(materials) >= 24
    for material in materials:
        cycles = list(graph.objects(material, KL.materialCycle))
        assert len(cycles) == 1 and cycles[0] in (CYCLE.technical, CYCLE.biological), material
        if cycles[0] == CYCLE.biological:
            assert graph.value(material, KL.biodegradable) == Literal(True), material
    biological = set(graph.subjects(KL.materialCycle, CYCLE.biological))
    assert {MATERIAL.compost, MATERIAL.digestate, MATERIAL.maize, MATERIAL.pla} <= biological
    assert graph.value(MATERIAL.pla, KL.biobased) == Literal(True)


def test_strategy_ranks_are_zero_to_nine(graph: Graph) -> None:
    ranks = sorted(
        int(rank.toPython()) for rank in graph.objects(None, KL.rRank) if isinstance(rank, Literal)
    )
    assert ranks == list(range(10))


def test_cpv_codes_have_notation_labels_and_reach_a_division(graph: Graph) -> None:
    codes = sorted(c for c in graph.subjects(RDF.type, KL.CpvCode) if isinstance(c, URIRef))
    assert len(codes) >= 60
    for code in codes:
        digits = str(code).rsplit("/", 1)[1]
        notation = str(graph.value(code, SKOS.notation))
        assert re.fullmatch(r"[0-9]{8}-[0-9]", notation), notation
        assert notation[:8] == digits
        assert (code, SKOS.inScheme, CPV_SCHEME) in graph
        assert {"en", "nl"} <= _langs(graph, code, SKOS.prefLabel), code
        seen: list[str] = [digits]
        current = code
        while (parent := graph.value(current, SKOS.broader)) is not None:
            parent_digits = str(parent).rsplit("/", 1)[1]
            assert (parent, RDF.type, KL.CpvCode) in graph, f"{digits}: broader {parent} missing"
            stripped = seen[-1].rstrip("0")
            assert parent_digits == (stripped[:-1] + "0" * 9)[:8], f"{seen[-1]} -> {parent_digits}"
            seen.append(parent_digits)
            assert isinstance(parent, URIRef)
            current = parent
        assert seen[-1].endswith("000000"), f"{digits} does not reach a division: {seen}"


def test_product_types_have_cpv_mass_and_bounded_composition(graph: Graph) -> None:
    products = sorted(p for p in graph.subjects(RDF.type, KL.ProductType) if isinstance(p, URIRef))
    assert len(products) >= 21
    for product in products:
        cpv = graph.value(product, KL.cpv)
        assert cpv is not None and (cpv, RDF.type, KL.CpvCode) in graph, product
        assert graph.value(product, KL.typicalMassKg) is not None, product
        total = 0.0
        for part in graph.objects(product, KL.composition):
            fraction = graph.value(part, KL.massFraction)
            assert isinstance(fraction, Literal), part
            total += float(fraction.toPython())
        assert total <= 1.0001, f"{product}: mass fractions add up to {total}"


# ------------------------------------------------------------------------------------------
# Places and organisations
# ------------------------------------------------------------------------------------------


def _haversine_km(lat1: float, long1: float, lat2: float, long2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(long2 - long1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def _coordinates(graph: Graph, subject: URIRef) -> tuple[float, float]:
    lat, long = graph.value(subject, KL.lat), graph.value(subject, KL.long)
    if lat is None or long is None:
        place = graph.value(subject, KL.place)
        assert isinstance(place, URIRef), subject
        lat, long = graph.value(place, KL.lat), graph.value(place, KL.long)
    assert isinstance(lat, Literal) and isinstance(long, Literal), subject
    return float(lat.toPython()), float(long.toPython())


def test_every_organisation_has_a_site_in_a_known_place(graph: Graph) -> None:
    """Market organisations have a site; a seed organisation has one only where a source
    names its town."""
    organisations = sorted(
        o for o in graph.subjects(RDF.type, KL.Organisation) if isinstance(o, URIRef)
    )
    assert organisations
    for organisation in organisations:
        assert graph.value(organisation, RDFS.label) is not None, organisation
        sites = list(graph.objects(organisation, KL.hasSite))
        assert sites or not str(organisation).startswith(EX_ORG), f"{organisation} has no site"
        for site in sites:
            place = graph.value(site, KL.place)
            assert (place, RDF.type, KL.Place) in graph, f"{site}: place {place} not in places.ttl"


def test_market_sites_are_in_flemish_towns(graph: Graph, market: Graph) -> None:
    for site in sorted(s for s in market.subjects(RDF.type, KL.Site) if isinstance(s, URIRef)):
        region = graph.value(graph.value(site, KL.place), KL.region)
        assert region is not None and region != REGION["brussels"], (site, region)
        lat, long = _coordinates(graph, site)
        place_lat, place_long = _coordinates(graph, URIRef(str(graph.value(site, KL.place))))
        assert abs(lat - place_lat) <= 0.0101 and abs(long - place_long) <= 0.0101, site


def test_fictional_organisations_are_visibly_fictional(market: Graph) -> None:
    organisations = sorted(
        o for o in market.subjects(RDF.type, KL.Organisation) if isinstance(o, URIRef)
    )
    assert len(organisations) >= 60
    for organisation in organisations:
        assert str(organisation).startswith(EX_ORG), organisation
        labels = [str(label) for label in market.objects(organisation, RDFS.label)]
        assert labels and all("Example" in label for label in labels), (organisation, labels)
    dataset = URIRef("https://example.org/kringloop/id/dataset/market")
    assert str(market.value(dataset, URIRef("http://purl.org/dc/terms/source"))) == (
        "illustrative, fictional"
    )


def _data_files() -> Iterator[Path]:
    for path in sorted(DATA_DIR.rglob("*")):
        if path.is_file() and path.suffix in {".ttl", ".py", ".md", ".csv", ".txt"}:
            yield path


@pytest.mark.parametrize("path", list(_data_files()), ids=_rel)
def test_no_personal_names_from_the_seed_page(path: Path) -> None:
    content = path.read_text(encoding="utf-8")
    if path.resolve() == Path(__file__).resolve():
        return
    found = [name for name in PERSONAL_NAMES if name.lower() in content.lower()]
    assert not found, f"{_rel(path)} contains {found}"


@pytest.fixture(scope="module")
def seed() -> Graph:
    return Graph().parse(SEED, format="turtle")


def test_every_seed_resource_rests_on_a_source_with_an_address_and_a_date(seed: Graph) -> None:
    """Each typed resource of the seed has prov:wasDerivedFrom a source that a reader can
    check: a web page with its schema:url and the date it was read (kl:retrieved)."""
    typed = {s for s in seed.subjects(RDF.type, None) if isinstance(s, URIRef)}
    sources = {s for s in typed if (s, RDF.type, PROV.Entity) in seed}
    assert len(sources) >= 20
    facts = typed - sources
    assert all(str(s).startswith("https://w3id.org/kringloop/id/") for s in typed)
    unsourced = sorted(s for s in facts if (s, PROV.wasDerivedFrom, None) not in seed)
    assert not unsourced, unsourced
    cited = {o for o in seed.objects(None, PROV.wasDerivedFrom) if isinstance(o, URIRef)}
    assert cited == set(seed.objects(None, PROV.wasDerivedFrom)), "a source that is not an IRI"
    assert cited <= sources, sorted(cited - sources)
    for source in sorted(cited):
        url = seed.value(source, SCHEMA.url)
        assert isinstance(url, URIRef) and str(url).startswith(("http://", "https://")), source
        read = seed.value(source, KL.retrieved)
        assert isinstance(read, Literal) and read.datatype == XSD_DATE, source
        assert (source, PROV.wasDerivedFrom, None) not in seed, f"{source} cites another source"
        assert seed.value(source, DCTERMS.title) is not None, source


def test_seed_documents_at_least_twenty_cases(seed: Graph) -> None:
    projects = sorted(
        p for p in seed.subjects(RDF.type, KL.ProcurementProject) if isinstance(p, URIRef)
    )
    assert len(projects) >= 20
    buyers = {seed.value(p, KL.buyer) for p in projects}
    assert len(buyers) >= 15, "cases of many buyers, not one"
    for project in projects:
        assert seed.value(project, KL.buyer) is not None, project
        assert seed.value(project, RDFS.label) is not None, project


def test_seed_network_states_only_sourced_facts(seed: Graph) -> None:
    networks = list(seed.subjects(RDF.type, KL.LearningNetwork))
    assert len(networks) == 1
    roles: dict[str, int] = {}
    for membership in seed.subjects(RDF.type, KL.Membership):
        role = str(seed.value(membership, KL.membershipRole)).rsplit("/", 1)[1]
        roles[role] = roles.get(role, 0) + 1
    assert roles == {"facilitator": 8, "participant": 4}
    shares = [
        float(share.toPython())
        for share in seed.objects(None, KL.reusedMassShare)
        if isinstance(share, Literal)
    ]
    assert shares == [0.77]
    [(project, _reused)] = list(seed.subject_objects(KL.reusedMassKg))
    assert seed.value(project, KL.pieces) == Literal(329)
    # The page's participants are those a source names as signatories, not the quoted ones.
    quoted = URIRef("https://w3id.org/kringloop/id/organisation/perstorp-oxo-belgium")
    assert (None, KL.member, quoted) not in seed
    assert (quoted, KL.hasSite, None) not in seed
    assert (None, KL.buyer, quoted) not in seed


# ------------------------------------------------------------------------------------------
# Market counts
# ------------------------------------------------------------------------------------------


def _offers(market: Graph) -> set[URIRef]:
    kinds = (KL.SupplyOffer, KL.ProcessingOffer, KL.InternalSurplus)
    return {o for kind in kinds for o in market.subjects(RDF.type, kind) if isinstance(o, URIRef)}


def test_market_counts(market: Graph) -> None:
    offers = _offers(market)
    assert len(offers) >= 150
    for offer in offers:
        assert market.value(offer, KL.offeredBy) is not None, offer
        assert market.value(offer, KL.businessModel) is not None, offer
    products = {str(p) for o in offers for p in market.objects(o, KL.itemOffered)}
    products |= {str(p) for o in offers for p in market.objects(o, KL.acceptsProductType)}
    assert len(products) >= 7
    roles = {str(r).removeprefix(ROLE) for r in market.objects(None, KL.role)}
    assert set(CHAIN_ROLES) <= roles, set(CHAIN_ROLES) - roles
    assert len(set(market.subjects(RDF.type, KL.InternalSurplus))) >= 5
    assert len(set(market.subjects(RDF.type, KL.Need))) >= 7
    assert len(set(market.subjects(RDF.type, KL.ReturnFlow))) >= 6


def test_every_role_is_present_in_seed_and_market(graph: Graph) -> None:
    roles = {str(r).removeprefix(ROLE) for r in graph.objects(None, KL.role)}
    assert {*CHAIN_ROLES, "facilitator"} <= roles


# ------------------------------------------------------------------------------------------
# Designed loops and gaps (data/market/README.md)
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DesignRow:
    """One row of the loops-and-gaps table in data/market/README.md."""

    id: str
    status: str
    product: str
    organisations: tuple[str, ...]
    scope: str


def _design_rows() -> list[DesignRow]:
    rows: list[DesignRow] = []
    path = DATA_DIR / "market" / "README.md"
    if not path.exists():  # not installed as package data: test_readme_... fails and says so
        return rows
    readme = path.read_text(encoding="utf-8")
    for line in readme.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 6 or cells[1] not in ("closed", "open"):
            continue
        organisations = tuple(o.strip() for o in cells[3].split(","))
        rows.append(DesignRow(cells[0], cells[1], cells[2], organisations, cells[4]))
    return rows


DESIGN_ROWS = _design_rows()


def test_readme_documents_the_required_loops_and_gaps() -> None:
    assert (DATA_DIR / "market" / "README.md").exists(), "data/market/README.md is not installed"
    closed = {row.product for row in DESIGN_ROWS if row.status == "closed"}
    opened = {row.product for row in DESIGN_ROWS if row.status == "open"}
    assert {
        "office-chair",
        "office-desk",
        "workwear",
        "luminaire",
        "carpet-tile",
        "laptop",
        "compostable-tableware",
    } <= closed
    assert {
        "office-chair",
        "hi-vis-rainwear",
        "reusable-tableware",
        "compostable-tableware",
    } <= opened


def _org(slug: str) -> URIRef:
    return URIRef(EX_ORG + slug)


def _processing_offers(graph: Graph, product: URIRef) -> list[URIRef]:
    return sorted(
        o
        for o in graph.subjects(KL.acceptsProductType, product)
        if isinstance(o, URIRef) and (o, RDF.type, KL.ProcessingOffer) in graph
    )


def _carriers(graph: Graph, product: URIRef) -> set[URIRef]:
    """What can carry a product's loop on: the product type, its materials and, for a product
    with a biological-cycle material, every biological-cycle material."""
    materials = {
        m
        for part in graph.objects(product, KL.composition)
        for m in graph.objects(part, KL.material)
        if isinstance(m, URIRef)
    }
    carriers = {product, *materials}
    if any((m, KL.materialCycle, CYCLE.biological) in graph for m in materials):
        carriers |= {
            m for m in graph.subjects(KL.materialCycle, CYCLE.biological) if isinstance(m, URIRef)
        }
    return carriers


def _accepting(graph: Graph, product: URIRef) -> list[URIRef]:
    """Processing offers that accept the product type or one of its materials."""
    materials = {
        m
        for part in graph.objects(product, KL.composition)
        for m in graph.objects(part, KL.material)
    }
    offers = set(_processing_offers(graph, product))
    offers |= {
        o
        for m in materials
        for o in graph.subjects(KL.acceptsMaterial, m)
        if isinstance(o, URIRef) and (o, RDF.type, KL.ProcessingOffer) in graph
    }
    return sorted(offers)


def _onward_flows(graph: Graph, organisation: URIRef, carriers: set[URIRef]) -> list[URIRef]:
    """Flows that leave an organisation carrying one of ``carriers``."""
    return sorted(
        f
        for f in graph.subjects(KL.flowFrom, organisation)
        if isinstance(f, URIRef) and graph.value(f, KL.flowOf) in carriers
    )


@pytest.mark.parametrize(
    "row", [r for r in DESIGN_ROWS if r.status == "closed"], ids=lambda r: r.id
)
def test_designed_closed_loop(graph: Graph, row: DesignRow) -> None:
    """The supplier offers the product; a listed processor accepts it (or one of its materials);
    flows of the product or its carriers lead through the listed organisations to the producer,
    one of them a return flow from the organisation that performed its process."""
    product = PRODUCT[row.product]
    supplier, producer = _org(row.organisations[0]), _org(row.organisations[-1])
    offers = [
        o for o in graph.subjects(KL.offeredBy, supplier) if (o, KL.itemOffered, product) in graph
    ]
    assert offers, f"{row.id}: {supplier} offers no {row.product}"
    on_the_way = {_org(slug) for slug in row.organisations[:-1]}  # the supplier may process
    carriers = _carriers(graph, product)
    starts = {
        graph.value(offer, KL.offeredBy)
        for offer in _accepting(graph, product)
        if graph.value(offer, KL.offeredBy) in on_the_way
    }
    assert starts, f"{row.id}: no processor of {sorted(on_the_way)} accepts {row.product}"
    # Breadth-first over the listed organisations, along flows of the product's carriers; the
    # producer counts as reached only through a flow (it may also be a processor on the way).
    paths: list[list[URIRef]] = []
    seen = {s for s in starts if isinstance(s, URIRef)}
    frontier: list[tuple[URIRef, list[URIRef]]] = [(s, []) for s in sorted(seen)]
    while frontier:
        here, path = frontier.pop(0)
        for flow in _onward_flows(graph, here, carriers):
            there = graph.value(flow, KL.flowTo)
            if there == producer:
                paths.append([*path, flow])
            elif isinstance(there, URIRef) and there in on_the_way and there not in seen:
                seen.add(there)
                frontier.append((there, [*path, flow]))
    assert paths, f"{row.id}: no flow of {row.product}'s carriers reaches {producer}"
    returns = [f for path in paths for f in path if (f, RDF.type, KL.ReturnFlow) in graph]
    assert returns, f"{row.id}: no return flow on the ways back {paths}"
    for flow in returns:
        process = graph.value(flow, KL.viaProcess)
        assert (process, KL.performedBy, graph.value(flow, KL.flowFrom)) in graph, flow
    assert any(
        str(role) == ROLE + "producer" and (part, KL.forProductType, product) in graph
        for part in graph.objects(producer, KL.playsRole)
        for role in graph.objects(part, KL.role)
    ), f"{row.id}: {producer} is not a producer of {row.product}"


def _sites_of_offer(graph: Graph, offer: URIRef) -> list[URIRef]:
    site = graph.value(offer, KL.fromSite)
    if isinstance(site, URIRef):
        return [site]
    organisation = graph.value(offer, KL.offeredBy)
    return sorted(s for s in graph.objects(organisation, KL.hasSite) if isinstance(s, URIRef))


def _supply_offers(graph: Graph, product: URIRef) -> list[URIRef]:
    return sorted(
        o
        for o in graph.subjects(KL.itemOffered, product)
        if isinstance(o, URIRef) and (o, RDF.type, KL.ProcessingOffer) not in graph
    )


def _promises_take_back(graph: Graph, offer: URIRef) -> bool:
    take_back = graph.value(offer, KL.includesTakeBack)
    models = set(graph.objects(offer, KL.businessModel))
    promised = isinstance(take_back, Literal) and take_back.toPython() is True
    return promised or bool(models & {BM["buy-back"], BM["take-back"]})


@pytest.mark.parametrize("row", [r for r in DESIGN_ROWS if r.status == "open"], ids=lambda r: r.id)
def test_designed_gap(graph: Graph, row: DesignRow) -> None:
    product = PRODUCT[row.product]
    offerer = _org(row.organisations[0])
    assert any(
        (o, KL.itemOffered, product) in graph for o in graph.subjects(KL.offeredBy, offerer)
    ), f"{row.id}: {offerer} offers no {row.product}"
    processing = _processing_offers(graph, product)
    kind, _, where = row.scope.partition(":")
    if kind == "within-50km":
        centre = _coordinates(graph, PLACE[where])
        near = [
            offer
            for offer in processing
            if any(
                _haversine_km(*centre, *_coordinates(graph, site)) <= 50.0
                for site in _sites_of_offer(graph, offer)
            )
        ]
        assert not near, f"{row.id}: processors within 50 km of {where}: {near}"
        promising = [
            offer
            for offer in _supply_offers(graph, product)
            if _promises_take_back(graph, offer)
            and any(
                _haversine_km(*centre, *_coordinates(graph, site)) <= 50.0
                for site in _sites_of_offer(graph, offer)
            )
        ]
        assert not promising, f"{row.id}: take-back promised within 50 km of {where}: {promising}"
        assert processing, f"{row.id}: the gap should be local, but no processor exists at all"
    elif kind == "region":
        in_region = [
            offer
            for offer in processing
            for site in _sites_of_offer(graph, offer)
            if (graph.value(site, KL.place), KL.region, REGION[where]) in graph
        ]
        assert not in_region, f"{row.id}: processors in {where}: {in_region}"
        assert processing, f"{row.id}: the gap should be regional, but no processor exists at all"
    elif kind == "no-way-back":
        centre = _coordinates(graph, PLACE[where])

        def in_50km(offer: URIRef) -> bool:
            sites = _sites_of_offer(graph, offer)
            return any(_haversine_km(*centre, *_coordinates(graph, s)) <= 50.0 for s in sites)

        carriers = _carriers(graph, product)
        in_reach = [offer for offer in _accepting(graph, product) if in_50km(offer)]
        assert in_reach, f"{row.id}: the gap is a missing way back, but no processor is in reach"
        onward = [
            flow
            for offer in in_reach
            for flow in _onward_flows(
                graph, URIRef(str(graph.value(offer, KL.offeredBy))), carriers
            )
        ]
        assert not onward, f"{row.id}: processors within 50 km of {where} send on: {onward}"
        promising = [
            offer
            for offer in _supply_offers(graph, product)
            if _promises_take_back(graph, offer) and in_50km(offer)
        ]
        assert not promising, f"{row.id}: take-back promised within 50 km of {where}: {promising}"
    elif kind == "anywhere":
        assert not processing, f"{row.id}: processors accept {row.product}: {processing}"
        materials = {
            graph.value(part, KL.material) for part in graph.objects(product, KL.composition)
        }
        accepting = [
            offer
            for material in materials
            for offer in graph.subjects(KL.acceptsMaterial, material)
        ]
        assert not accepting, f"{row.id}: processors accept its materials: {accepting}"
        assert not [o for o in _supply_offers(graph, product) if _promises_take_back(graph, o)]
    else:
        pytest.fail(f"{row.id}: unknown scope {row.scope!r}")


# ------------------------------------------------------------------------------------------
# Shapes (when the ontology and its shapes are present)
# ------------------------------------------------------------------------------------------


def test_data_conforms_to_violation_shapes(graph: Graph) -> None:
    from kringloop.ontology import ONTOLOGY_DIR

    shapes_path = ONTOLOGY_DIR / "shapes" / "violation.ttl"
    if not shapes_path.exists():
        pytest.skip("ontology/shapes/violation.ttl not written yet")
    import pyshacl

    shapes = Graph()
    shapes.parse(shapes_path, format="turtle")
    ontology = Graph()  # the vocabulary, as the service validates (kringloop.graph.validate)
    ontology.parse(ONTOLOGY_DIR / "kringloop.ttl", format="turtle")
    conforms, _, report = pyshacl.validate(
        graph, shacl_graph=shapes, ont_graph=ontology, inference="rdfs", advanced=True
    )
    assert conforms, report
