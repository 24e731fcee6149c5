"""Variants of eForms example notices, for benchmarks and tests: demand in Flanders.

``variants(templates, count=N, seed=S)`` yields N notices made from example notices (the eForms
SDK's, in tests/fixtures/eforms): each gets a new notice identifier and procedure, a dispatch
and publication date in 2026-2027, and its lots a product type's CPV code (of kringloop's
product types), a Belgian place of performance (a kringloop town, its postal code and the NUTS
2 code of its province), an estimated quantity in pieces, a planned period and, for about half
of them, the ``circ-econ`` environmental-impact code. About one in twenty is a change notice of
an earlier variant. The buyers and winners are those of the template: fictional, as the
templates say. The same (templates, count, seed) give the same bytes.
"""

from __future__ import annotations

import copy
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pyoxigraph as ox
from lxml import etree

from kringloop.data import DATA_DIR

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
EFAC = "http://data.europa.eu/p27/eforms-ubl-extension-aggregate-components/1"
EFBC = "http://data.europa.eu/p27/eforms-ubl-extension-basic-components/1"
EFEXT = "http://data.europa.eu/p27/eforms-ubl-extensions/1"
EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
NS = {"cac": CAC, "cbc": CBC, "efac": EFAC, "efbc": EFBC, "efext": EFEXT, "ext": EXT}
KL = "https://w3id.org/kringloop/ns#"
SKOS_NOTATION = "http://www.w3.org/2004/02/skos/core#notation"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


@dataclass(frozen=True)
class Town:
    name: str
    postcode: str
    nuts: str


def bundled_choices() -> tuple[list[Town], list[str]]:
    """Kringloop's towns (name, postal code, NUTS 2 code of the province) and the CPV codes of
    its product types, read from the bundled data."""
    quads = [
        q
        for name in ("places.ttl", "codelists/regions.ttl", "codelists/product-types.ttl")
        for q in ox.parse(path=str(DATA_DIR / name), format=ox.RdfFormat.TURTLE)
    ]
    by: dict[str, dict[str, list[ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]]] = {}
    for q in quads:
        by.setdefault(str(q.subject), {}).setdefault(q.predicate.value, []).append(q.object)
    towns = []
    for _subject, facts in sorted(by.items()):
        region, postcode = facts.get(KL + "region"), facts.get(KL + "postcode")
        if not region or not postcode:
            continue
        notation = by.get(str(region[0]), {}).get(SKOS_NOTATION)
        name = next((t.value for t in facts.get(RDFS_LABEL, []) if isinstance(t, ox.Literal)), "")
        if notation and name:
            towns.append(Town(name, postcode[0].value, notation[0].value))  # type: ignore[union-attr]
    cpvs = sorted(
        {o.value.rsplit("/", 1)[-1] for f in by.values() for o in f.get(KL + "cpv", [])}  # type: ignore[union-attr]
    )
    return towns, cpvs


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _child(
    parent: etree._Element, prefix: str, name: str, *, first: bool = False
) -> etree._Element:
    found = parent.find(f"{prefix}:{name}", NS)
    if found is None:
        found = etree.Element(_q(prefix, name))
        if first:
            parent.insert(0, found)
        else:
            parent.append(found)
    return found


def _set(parent: etree._Element, path: str, value: str) -> None:
    for el in parent.findall(path, NS):
        el.text = value


def _address(address: etree._Element, town: Town) -> None:
    for child in list(address):
        address.remove(child)
    for prefix, name, value in (
        ("cbc", "CityName", town.name),
        ("cbc", "PostalZone", town.postcode),
    ):
        etree.SubElement(address, _q(prefix, name)).text = value
    nuts = etree.SubElement(address, _q("cbc", "CountrySubentityCode"), listName="nuts")
    nuts.text = town.nuts
    country = etree.SubElement(address, _q("cac", "Country"))
    etree.SubElement(country, _q("cbc", "IdentificationCode"), listName="country").text = "BEL"


def _lot(lot: etree._Element, rng: random.Random, towns: Sequence[Town], cpvs: Sequence[str],
         issued: date, durations: Sequence[int]) -> None:  # fmt: skip
    project = lot.find("cac:ProcurementProject", NS)
    if project is None:
        return
    _set(project, "cac:MainCommodityClassification/cbc:ItemClassificationCode", rng.choice(cpvs))
    for extra in project.findall("cac:AdditionalCommodityClassification", NS):
        project.remove(extra)
    for location in project.findall("cac:RealizedLocation", NS):
        project.remove(location)
    location = etree.SubElement(project, _q("cac", "RealizedLocation"))
    _address(etree.SubElement(location, _q("cac", "Address")), rng.choice(towns))
    for old in project.findall("cbc:EstimatedOverallContractQuantity", NS):
        project.remove(old)
    quantity = etree.Element(_q("cbc", "EstimatedOverallContractQuantity"), unitCode="H87")
    quantity.text = str(rng.choice((10, 20, 40, 80, 120, 250, 500)))
    name = project.find("cbc:Name", NS)
    project.insert(list(project).index(name) + 1 if name is not None else 0, quantity)
    for impact in project.xpath(
        "cac:ProcurementAdditionalType[cbc:ProcurementTypeCode/@listName='environmental-impact']",
        namespaces=NS,
    ):
        assert isinstance(impact, etree._Element)
        project.remove(impact)
    if rng.random() < 0.5:
        added = etree.SubElement(project, _q("cac", "ProcurementAdditionalType"))
        code = etree.SubElement(
            added, _q("cbc", "ProcurementTypeCode"), listName="environmental-impact"
        )
        code.text = "circ-econ"
    for period in project.findall("cac:PlannedPeriod", NS):
        project.remove(period)
    period = etree.SubElement(project, _q("cac", "PlannedPeriod"))
    start = issued + timedelta(days=rng.randrange(60, 240))
    etree.SubElement(period, _q("cbc", "StartDate")).text = f"{start.isoformat()}+01:00"
    duration = etree.SubElement(period, _q("cbc", "DurationMeasure"), unitCode="MONTH")
    duration.text = str(rng.choice(durations))


@dataclass(frozen=True)
class _Made:
    template: int
    notice: str
    folder: str
    issued: date


def _identify(
    root: etree._Element,
    rng: random.Random,
    n: int,
    earlier: _Made | None,
    window: tuple[date, int],
) -> _Made:
    notice_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    folder = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    issued = window[0] + timedelta(days=rng.randrange(0, window[1]))
    if earlier is not None:  # a change keeps the procedure, and comes after the notice
        folder, issued = earlier.folder, earlier.issued + timedelta(days=rng.randrange(1, 60))
    _set(root, "cbc:ID[@schemeName='notice-id']", notice_id)
    _set(root, "cbc:ContractFolderID", folder)
    _set(root, "cbc:VersionID", "01")
    _set(root, "cbc:IssueDate", f"{issued.isoformat()}+01:00")
    extension = root.find(
        "ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/efext:EformsExtension", NS
    )
    if extension is not None:
        for old in extension.findall("efac:Publication", NS):
            extension.remove(old)
        publication = etree.SubElement(extension, _q("efac", "Publication"))
        number = etree.SubElement(
            publication, _q("efbc", "NoticePublicationID"), schemeName="ojs-notice-id"
        )
        number.text = f"{n + 1:08d}-{issued.year}"
        published = issued + timedelta(days=2)
        etree.SubElement(
            publication, _q("efbc", "PublicationDate")
        ).text = f"{published.isoformat()}+01:00"
    if root.find("cbc:ContractFolderID", NS) is None:
        folder = ""  # a prior information notice without a procedure: no change of it is made
    return _Made(-1, notice_id, folder, issued)


def _change(root: etree._Element, changed: str) -> None:
    extension = root.find(
        "ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/efext:EformsExtension", NS
    )
    if extension is None:
        return
    changes = etree.Element(_q("efac", "Changes"))
    etree.SubElement(changes, _q("efbc", "ChangedNoticeIdentifier")).text = f"{changed}-01"
    reason = etree.SubElement(changes, _q("efac", "ChangeReason"))
    etree.SubElement(
        reason, _q("cbc", "ReasonCode"), listName="change-corrig-justification"
    ).text = "cor-buy"
    extension.insert(0, changes)


def variants(
    templates: Sequence[Path],
    *,
    count: int,
    seed: int = 1,
    towns: Sequence[Town] | None = None,
    cpvs: Sequence[str] | None = None,
    durations: Sequence[int] = (12, 24, 36, 48, 60),
    issued: tuple[date, int] = (date(2026, 1, 5), 540),
) -> Iterator[tuple[str, bytes]]:
    """``count`` notices (file name, XML bytes) made from ``templates``; see the module.
    ``durations`` are the planned periods drawn (months), ``issued`` the first dispatch date
    and the number of days after it the dispatch dates are drawn from."""
    if towns is None or cpvs is None:
        found_towns, found_cpvs = bundled_choices()
        towns, cpvs = towns or found_towns, cpvs or found_cpvs
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
    trees = [etree.parse(str(p), parser).getroot() for p in sorted(templates)]
    rng = random.Random(seed)
    made: list[_Made] = []
    for n in range(count):
        earlier = rng.choice(made) if made and rng.random() < 0.05 else None
        template = earlier.template if earlier is not None else rng.randrange(len(trees))
        root = copy.deepcopy(trees[template])
        this = _identify(root, rng, n, earlier, issued)
        if earlier is not None:
            _change(root, earlier.notice)
        for lot in root.findall("cac:ProcurementProjectLot", NS):
            scheme = lot.find("cbc:ID", NS)
            if scheme is not None and scheme.get("schemeName") != "LotsGroup":
                _lot(lot, rng, towns, cpvs, this.issued, durations)
        if this.folder:
            made.append(_Made(template, this.notice, this.folder, this.issued))
        change = earlier is not None
        name = f"notice-{n + 1:05d}{'-change' if change else ''}.xml"
        yield name, etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def write_variants(
    templates: Sequence[Path], out: Path, *, count: int, seed: int = 1
) -> list[Path]:
    """Write ``variants`` into the directory ``out`` (created); their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in variants(templates, count=count, seed=seed):
        path = out / name
        path.write_bytes(data)
        written.append(path)
    return written
