"""One notice as RDF: the notice, its buyer and site, its lots as needs, their award criteria,
and the contracts an award notice reports (vocabulary: ontology/eforms.ttl).

Every IRI comes from the notice's own identifiers, so the same notice gives the same quads:

- the notice: ``id/notice/{notice identifier}``; its graph ``graph/eforms/{root}``, where the
  root is the notice's identifier, or for a change notice the root of the notice it changes (a
  change replaces what the changed notice said);
- a lot: ``id/need/{root}-{lot identifier}``, its award criteria and contracts under it;
- an organisation: ``id/organisation/eforms-{country}-{national registration number}`` when the
  notice gives the number (the same buyer in every notice), else one per notice;
- a site: the organisation's IRI and its place; a place outside kringloop's places:
  ``id/place/eforms-{country}-{postal code}-{city}``.

Where a lot or a site is: a kringloop place (Belgian postal code or town name; coordinate
source "place", the place's town-centre coordinates); else, when its NUTS code lies in one of
kringloop's regions, that region, with the mean of the coordinates of kringloop's places in it
as its own kl:lat/kl:long (coordinate source "nuts-region"); else no coordinate at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import pyoxigraph as ox

from kringloop.graph.eforms.lookup import CPV_BASE, ID, KL, Lookups
from kringloop.graph.eforms.read import Address, Lot, Notice, NoticeError, Problem, Text

GRAPH_BASE = "https://w3id.org/kringloop/graph/eforms/"
TED = "https://ted.europa.eu/en/notice/-/detail/"
EPO = "http://data.europa.eu/a4g/ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
PROV = "http://www.w3.org/ns/prov#"
SCHEMA_URL = "https://schema.org/url"
XSD = "http://www.w3.org/2001/XMLSchema#"
UNIT = "http://qudt.org/vocab/unit/"
#: UN/ECE Recommendation 20 unit codes (eForms unitCode) → QUDT units kringloop reads.
UNITS = {
    "H87": "NUM", "C62": "NUM", "EA": "NUM", "NAR": "NUM", "NPR": "NUM", "SET": "NUM",
    "KGM": "KiloGM", "TNE": "TONNE", "MTK": "M2", "MTR": "M", "LTR": "L", "MTQ": "M3",
    "HUR": "HR", "DAY": "DAY",
}  # fmt: skip


def slug(value: str) -> str:
    """An IRI-safe, lower-case form of an identifier.

    >>> slug("ORG-0001"), slug(" 123 456 789 "), slug("Rouen Cedex 1")
    ('org-0001', '123-456-789', 'rouen-cedex-1')
    """
    return re.sub(r"[^a-z0-9]+", "-", value.strip().lower()).strip("-") or "x"


def notice_iri(identifier: str) -> str:
    return f"{ID}notice/{identifier}"


def graph_of(root: str) -> ox.NamedNode:
    return ox.NamedNode(GRAPH_BASE + root)


def ted_url(number: str) -> str:
    """The notice's page on TED, named after its publication number without leading zeros.

    >>> ted_url("00123456-2024")
    'https://ted.europa.eu/en/notice/-/detail/123456-2024'
    """
    serial, year = number.split("-")
    return f"{TED}{int(serial)}-{year}"


@dataclass
class Mapped:
    """The quads of one notice and what the import should say about them."""

    graph: ox.NamedNode
    quads: list[ox.Quad] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)
    awards: int = 0
    notes: list[str] = field(default_factory=list)


class _Writer:
    def __init__(self, graph: ox.NamedNode) -> None:
        self.graph = graph
        self.quads: dict[ox.Quad, None] = {}

    def add(self, s: str, p: str, o: str | ox.Literal) -> None:
        obj = o if isinstance(o, ox.Literal) else ox.NamedNode(o)
        self.quads[ox.Quad(ox.NamedNode(s), ox.NamedNode(p), obj, self.graph)] = None

    def string(self, s: str, p: str, value: str) -> None:
        self.add(s, p, ox.Literal(value))

    def texts(self, s: str, p: str, values: Iterable[Text]) -> None:
        for t in values:
            self.add(
                s,
                p,
                ox.Literal(t.value, language=t.language) if t.language else ox.Literal(t.value),
            )

    def typed(self, s: str, p: str, value: object, datatype: str) -> None:
        if isinstance(value, float):
            lexical = f"{value:.6f}".rstrip("0").rstrip(".")
            lexical = lexical if "." in lexical else lexical + ".0"
        else:
            lexical = value.isoformat() if isinstance(value, date) else str(value)
        self.add(s, p, ox.Literal(lexical, datatype=ox.NamedNode(XSD + datatype)))


@dataclass(frozen=True)
class _Where:
    place: str | None = None
    region: str | None = None
    centre: tuple[float, float] | None = None
    source: str | None = None
    new_place: tuple[str, str, str | None] | None = None  # (iri, city, postcode) to describe


def _where(address: Address | None, lookups: Lookups) -> _Where:
    if address is None:
        return _Where()
    belgian = (address.country or "").upper() in ("BEL", "BE") or (
        address.nuts or ""
    ).upper().startswith("BE")
    known = lookups.place(postcode=address.postcode, city=address.city) if belgian else None
    if known is not None:
        return _Where(place=known.iri, region=known.region, source="place")
    region = lookups.region(address.nuts) if belgian else None
    centre = lookups.centres.get(region) if region is not None else None
    new_place = None
    if address.city:
        key = "-".join(
            slug(x) for x in (address.country or "xxx", address.postcode or "", address.city) if x
        )
        new_place = (f"{ID}place/eforms-{key}", address.city, address.postcode)
    return _Where(
        place=new_place[0] if new_place else None,
        region=region,
        centre=centre,
        source="nuts-region" if centre is not None else None,
        new_place=new_place,
    )


def _describe_where(
    w: _Writer, subject: str, where: _Where, nuts: str | None, *, need: bool
) -> None:
    if where.new_place is not None:
        iri, city, postcode = where.new_place
        w.add(iri, RDF_TYPE, KL + "Place")
        w.string(iri, RDFS_LABEL, city)
        if postcode:
            w.string(iri, KL + "postcode", postcode)
        if where.region is not None:
            w.add(iri, KL + "region", where.region)
    if where.place is not None:
        w.add(subject, KL + ("atPlace" if need else "place"), where.place)
    elif need and where.region is not None:
        w.add(subject, KL + "inRegion", where.region)
    if nuts:
        w.string(subject, KL + "nutsCode", nuts)
    if where.source is not None:
        w.string(subject, KL + "coordinateSource", where.source)
    if where.centre is not None and where.source == "nuts-region":
        w.typed(subject, KL + "lat", where.centre[0], "decimal")
        w.typed(subject, KL + "long", where.centre[1], "decimal")


def _organisation(w: _Writer, notice: Notice, root: str, local: str, lookups: Lookups) -> str:
    org = notice.organisations[local]
    country = slug(org.address.country) if org.address and org.address.country else "xx"
    key = f"{country}-{slug(org.company_id)}" if org.company_id else f"{root}-{slug(local)}"
    iri = f"{ID}organisation/eforms-{key}"
    w.add(iri, RDF_TYPE, KL + "Organisation")
    w.texts(iri, RDFS_LABEL, org.names)
    w.add(iri, PROV + "wasDerivedFrom", notice_iri(notice.identifier))
    where = _where(org.address, lookups)
    if where.place is not None:
        site = f"{ID}site/eforms-{key}-{slug(where.place.rsplit('/', 1)[-1])}"
        w.add(iri, KL + "hasSite", site)
        w.add(site, RDF_TYPE, KL + "Site")
        _describe_where(w, site, where, org.address.nuts if org.address else None, need=False)
    return iri


def _codes(lot: Lot, lookups: Lookups, problems: list[Problem]) -> tuple[list[str], list[str]]:
    found: dict[str, list[str]] = {"environmental-impact": [], "gpp-criteria": []}
    for name, codes in (("environmental-impact", lot.impacts), ("gpp-criteria", lot.gpp)):
        known = lookups.codes.get(name, {})
        for code in codes:
            if code.value in known:
                found[name].append(known[code.value])
            else:
                problems.append(
                    Problem(
                        code.line,
                        code.element,
                        f"{code.value!r} is not a code of the eForms list {name} "
                        f"(known: {', '.join(sorted(known)) or 'none: load the code lists'})",
                    )
                )
    return found["environmental-impact"], found["gpp-criteria"]


def _lot(w: _Writer, notice: Notice, root: str, lot: Lot, buyer: str | None, lookups: Lookups,
         mapped: Mapped, problems: list[Problem]) -> str:  # fmt: skip
    need = f"{ID}need/{root}-{slug(lot.identifier)}"
    w.add(notice_iri(notice.identifier), KL + "announcesLot", need)
    for kind in ("Need", "TenderLot"):
        w.add(need, RDF_TYPE, KL + kind)
    w.add(need, RDF_TYPE, EPO + "Lot")
    w.texts(need, RDFS_LABEL, lot.titles or notice.titles or (Text(lot.identifier, None),))
    w.add(need, PROV + "wasDerivedFrom", notice_iri(notice.identifier))
    w.string(need, KL + "lotIdentifier", lot.identifier)
    if notice.procedure:
        w.string(need, KL + "procedureIdentifier", notice.procedure)
    if buyer is not None:
        w.add(need, KL + "requestedBy", buyer)
    w.add(need, KL + "mainCpv", CPV_BASE + lot.main_cpv)
    for cpv in lot.additional_cpv:
        w.add(need, KL + "additionalCpv", CPV_BASE + cpv)
    products = dict.fromkeys(
        p for cpv in (lot.main_cpv, *lot.additional_cpv) for p in lookups.product_types(cpv)
    )
    for product in products:
        w.add(need, KL + "requestsProductType", product)
    if not products:
        mapped.notes.append(
            f"{lot.identifier}: CPV {', '.join((lot.main_cpv, *lot.additional_cpv))} is not a "
            "kringloop product type (kept as CPV codes)"
        )
    _describe_where(
        w, need, _where(lot.place, lookups), lot.place.nuts if lot.place else None, need=True
    )
    if lot.place is None or _where(lot.place, lookups).source is None:
        mapped.notes.append(f"{lot.identifier}: no coordinate for the place of performance")
    if lot.quantity is not None and lot.quantity >= 0:
        unit = UNITS.get((lot.unit_code or "").upper())
        if unit is None:
            mapped.notes.append(
                f"{lot.identifier}: quantity unit {lot.unit_code!r} not mapped; quantity not kept"
            )
        else:
            w.typed(need, KL + "quantity", float(lot.quantity), "decimal")
            w.add(need, KL + "unit", UNIT + unit)
    if lot.start is not None:
        w.typed(need, KL + "neededBy", lot.start, "date")
    if lot.end is not None:
        w.typed(need, KL + "neededUntil", lot.end, "date")
    if lot.months is not None:
        w.typed(need, KL + "periodMonths", lot.months, "integer")
    impacts, gpp = _codes(lot, lookups, problems)
    for code in impacts:
        w.add(need, KL + "environmentalImpact", code)
    for code in gpp:
        w.add(need, KL + "greenCriteria", code)
    for n, c in enumerate(lot.criteria, start=1):
        crit = f"{ID}award-criterion/{root}-{slug(lot.identifier)}-{n}"
        w.add(need, KL + "awardCriterion", crit)
        w.add(crit, RDF_TYPE, KL + "AwardCriterion")
        w.add(crit, RDF_TYPE, EPO + "AwardCriterion")
        w.string(crit, KL + "criterionType", c.kind)
        w.texts(crit, RDFS_LABEL, c.names or (Text(c.kind, None),))
        if c.weight is not None and c.weight >= 0:
            w.typed(crit, KL + "criterionWeight", float(c.weight), "decimal")
        if c.weight_kind:
            w.string(crit, KL + "weightKind", c.weight_kind)
    return need


def map_notice(notice: Notice, *, root: str, lookups: Lookups,
               revisions: Iterable[str] = ()) -> Mapped:  # fmt: skip
    """The quads of ``notice`` in the graph of ``root``; ``revisions`` are the notices the
    graph's earlier content came from (kept as the change notice's history). Codes that are
    not in the store's code lists raise `NoticeError`."""
    graph = graph_of(root)
    w = _Writer(graph)
    mapped = Mapped(graph)
    problems: list[Problem] = []
    iri = notice_iri(notice.identifier)
    w.add(graph.value, PROV + "wasDerivedFrom", iri)
    w.add(iri, RDF_TYPE, KL + "Notice")
    w.add(iri, RDF_TYPE, EPO + "Notice")
    kind = notice.kind[0].upper() + notice.kind[1:]
    w.texts(iri, RDFS_LABEL, [Text(f"{kind}: {t.value}", t.language) for t in notice.titles]
            or [Text(f"{kind} {notice.identifier}", None)])  # fmt: skip
    w.string(iri, KL + "noticeIdentifier", notice.identifier)
    w.string(iri, KL + "noticeVersion", notice.version)
    w.string(iri, KL + "noticeSubtype", notice.subtype)
    if notice.notice_type:
        w.string(iri, KL + "noticeType", notice.notice_type)
    w.typed(iri, KL + "issueDate", notice.issued, "date")
    if notice.publication_number:
        w.string(iri, KL + "publicationNumber", notice.publication_number)
        w.add(iri, SCHEMA_URL, ted_url(notice.publication_number))
    if notice.publication_date is not None:
        w.typed(iri, KL + "publicationDate", notice.publication_date, "date")
    for earlier in sorted(set(revisions) - {iri}):
        w.add(iri, KL + "changesNotice", earlier)
        w.add(earlier, RDF_TYPE, KL + "Notice")
        w.string(earlier, KL + "noticeIdentifier", earlier.rsplit("/", 1)[-1])
    buyers = [_organisation(w, notice, root, b, lookups) for b in notice.buyers]
    buyer = buyers[0] if buyers else None
    needs = {}
    for lot in notice.lots:
        needs[lot.identifier] = _lot(w, notice, root, lot, buyer, lookups, mapped, problems)
    for award in notice.awards:
        need = needs[award.lot]
        for winner in award.winners:
            org = _organisation(w, notice, root, winner, lookups)
            record = f"{ID}award/{root}-{slug(award.lot)}-{slug(award.tender)}-{slug(winner)}"
            w.add(record, RDF_TYPE, KL + "ContractAward")
            w.add(record, KL + "awardedTo", org)
            w.add(record, KL + "awardsNeed", need)
            w.add(record, PROV + "wasDerivedFrom", iri)
            labels = notice.organisations[winner].names[:1]
            name = labels[0].value if labels else winner
            w.string(record, RDFS_LABEL, f"{award.lot} awarded to {name}")
            if award.value is not None and award.value >= 0:
                w.typed(record, KL + "contractValue", float(award.value), "decimal")
                if award.currency:
                    w.string(record, KL + "currency", award.currency.upper())
            if award.day is not None:
                w.typed(record, KL + "awardDate", award.day, "date")
            mapped.awards += 1
    if problems:
        raise NoticeError(problems, source=notice.source)
    mapped.quads = list(w.quads)
    mapped.needs = sorted(needs.values())
    return mapped
