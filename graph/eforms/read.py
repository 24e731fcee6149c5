"""Reading one eForms notice (UBL 2.3 XML) with lxml into plain, checked records.

Prior information notices, contract notices and contract award notices are read: the notice's
identity (BT-701 identifier, BT-757 version, BT-04 procedure, BT-05 dispatch date, and the TED
publication number and date when it carries them), its organisations, its buyer, its lots
(title, CPV codes, place of performance, planned period, estimated quantity,
environmental-impact and green-procurement codes, award criteria and their weights) and, in an
award notice, the winning tenderers of each lot with the value of their tender.

A notice is checked while it is read; every fault becomes a `Problem` with the line and the
element, and a notice with any fault raises `NoticeError` with all of them: nothing of it is
used. The parser resolves no entities and fetches nothing, and a notice with a document type
declaration is refused (eForms notices have none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from math import ceil
from pathlib import Path

from lxml import etree

from kringloop.graph.errors import LoadError, Position

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "ext": "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
    "efac": "http://data.europa.eu/p27/eforms-ubl-extension-aggregate-components/1",
    "efext": "http://data.europa.eu/p27/eforms-ubl-extensions/1",
    "efbc": "http://data.europa.eu/p27/eforms-ubl-extension-basic-components/1",
}
PREFIX = {uri: prefix for prefix, uri in NS.items()}
UBL = "urn:oasis:names:specification:ubl:schema:xsd:"
#: The root elements read, and the kind of notice each one is.
KINDS = {
    "PriorInformationNotice": "prior information notice",
    "ContractNotice": "contract notice",
    "ContractAwardNotice": "contract award notice",
}
EXT = "ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/efext:EformsExtension"
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
LOT_ID = re.compile(r"^(LOT|PAR)-\d{4}$")
CPV = re.compile(r"^\d{8}$")
PUBLICATION = re.compile(r"^\d{8}-\d{4}$")
#: ISO 639-3 codes of the EU's languages (eForms languageID) → language tags.
LANGUAGES = {
    "BUL": "bg", "CES": "cs", "DAN": "da", "DEU": "de", "ELL": "el", "ENG": "en", "EST": "et",
    "FIN": "fi", "FRA": "fr", "GLE": "ga", "HRV": "hr", "HUN": "hu", "ITA": "it", "LAV": "lv",
    "LIT": "lt", "MLT": "mt", "NLD": "nl", "POL": "pl", "POR": "pt", "RON": "ro", "SLK": "sk",
    "SLV": "sl", "SPA": "es", "SWE": "sv",
}  # fmt: skip
#: Months in one unit of a duration (eForms unitCode: DAY, WEEK, MONTH, YEAR).
MONTHS = {"DAY": 1 / 30.44, "WEEK": 7 / 30.44, "MONTH": 1.0, "YEAR": 12.0}


@dataclass(frozen=True)
class Problem:
    """One fault of a notice: where (line, element) and what."""

    line: int | None
    element: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line else ""
        return f"{where}<{self.element}>: {self.message}"


class NoticeError(LoadError):
    """A notice that cannot be imported; nothing of it was written.

    >>> print(NoticeError([Problem(3, "cbc:ID", "empty")], source="n.xml"))
    n.xml: line 3: <cbc:ID>: empty (the notice was refused whole; nothing was written)
    """

    def __init__(self, problems: list[Problem], *, source: str | Path | None) -> None:
        self.problems = problems
        first = problems[0]
        more = (
            f" (and {len(problems) - 1} more: "
            + "; ".join(str(p) for p in problems[1:4])
            + (" …)" if len(problems) > 4 else ")")
            if len(problems) > 1
            else ""
        )
        super().__init__(
            f"<{first.element}>: {first.message}{more}",
            source=source,
            position=Position(first.line),
            hint="the notice was refused whole; nothing was written",
        )


@dataclass(frozen=True)
class Text:
    """A text with its language tag (None when the notice gives none)."""

    value: str
    language: str | None


@dataclass(frozen=True)
class Address:
    city: str | None
    postcode: str | None
    nuts: str | None
    country: str | None  # ISO 3166-1 alpha-3, as eForms writes it


@dataclass(frozen=True)
class Organisation:
    local_id: str  # ORG-0001: valid within its notice only
    names: tuple[Text, ...]
    company_id: str | None
    address: Address | None


@dataclass(frozen=True)
class Code:
    """A code of a code list, with the line it stands on."""

    value: str
    line: int | None
    element: str


@dataclass(frozen=True)
class Criterion:
    kind: str
    names: tuple[Text, ...]
    weight: float | None
    weight_kind: str | None


@dataclass(frozen=True)
class Lot:
    identifier: str
    titles: tuple[Text, ...]
    main_cpv: str
    additional_cpv: tuple[str, ...]
    place: Address | None
    start: date | None
    end: date | None
    months: int | None
    quantity: float | None
    unit_code: str | None
    impacts: tuple[Code, ...]
    gpp: tuple[Code, ...]
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Award:
    """The winners of one lot (an award notice's result): their organisations' local ids,
    the tender's value when the notice gives it, and the contract's date."""

    lot: str
    tender: str
    winners: tuple[str, ...]
    value: float | None
    currency: str | None
    day: date | None


@dataclass(frozen=True)
class Notice:
    source: str
    kind: str
    identifier: str
    version: str
    subtype: str
    notice_type: str | None
    procedure: str | None  # a prior information notice may announce no procedure yet
    issued: date
    publication_number: str | None
    publication_date: date | None
    changes: tuple[str, str] | None  # (identifier, version) of the notice this one changes
    titles: tuple[Text, ...]
    buyers: tuple[str, ...]
    organisations: dict[str, Organisation] = field(default_factory=dict)
    lots: tuple[Lot, ...] = ()
    awards: tuple[Award, ...] = ()

    @property
    def order(self) -> tuple[date, str]:
        """Later notices (and versions) sort after earlier ones."""
        return (self.issued, self.version)


def element_name(el: etree._Element) -> str:
    """``cbc:ID`` for an element of a known namespace, its local name otherwise."""
    q = etree.QName(el)
    prefix = PREFIX.get(q.namespace or "")
    return f"{prefix}:{q.localname}" if prefix else q.localname


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def fault(self, el: etree._Element, message: str, *, name: str | None = None) -> None:
        self.problems.append(Problem(el.sourceline, name or element_name(el), message))

    @staticmethod
    def all(el: etree._Element, path: str) -> list[etree._Element]:
        found = el.xpath(path, namespaces=NS)
        assert isinstance(found, list)
        return [e for e in found if isinstance(e, etree._Element)]

    def first(self, el: etree._Element, path: str) -> etree._Element | None:
        found = self.all(el, path)
        return found[0] if found else None

    def text(self, el: etree._Element | None, path: str) -> str | None:
        if el is None:
            return None
        found = self.first(el, path)
        if found is None or found.text is None:
            return None
        return found.text.strip() or None

    def texts(self, el: etree._Element, path: str) -> tuple[Text, ...]:
        found = []
        for e in self.all(el, path):
            if e.text and e.text.strip():
                lang = e.get("languageID")
                tag = LANGUAGES.get(lang.upper(), lang.lower()) if lang else None
                found.append(Text(" ".join(e.text.split()), tag))
        return tuple(found)

    def required(self, el: etree._Element, path: str, what: str) -> str:
        """The text at ``path``, or a problem naming the missing or empty element."""
        found = self.first(el, path)
        if found is None:
            self.fault(el, f"{what} is missing ({path.split('/')[-1].split('[')[0]})")
            return ""
        value = (found.text or "").strip()
        if not value:
            self.fault(found, f"{what} is empty")
        return value

    def day(self, el: etree._Element | None, path: str, what: str) -> date | None:
        if el is None:
            return None
        found = self.first(el, path)
        if found is None:
            return None
        value = (found.text or "").strip()
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            self.fault(found, f"{what} {value!r} is not a date (YYYY-MM-DD, with a time zone)")
            return None

    def number(self, found: etree._Element | None, what: str) -> float | None:
        if found is None:
            return None
        value = (found.text or "").strip()
        try:
            return float(value)
        except ValueError:
            self.fault(found, f"{what} {value!r} is not a number")
            return None


def _address(r: _Reader, el: etree._Element | None) -> Address | None:
    if el is None:
        return None
    address = Address(
        city=r.text(el, "cbc:CityName"),
        postcode=r.text(el, "cbc:PostalZone"),
        nuts=r.text(el, "cbc:CountrySubentityCode[@listName='nuts']"),
        country=r.text(el, "cac:Country/cbc:IdentificationCode"),
    )
    return address if any((address.city, address.postcode, address.nuts)) else None


def _organisations(r: _Reader, root: etree._Element) -> dict[str, Organisation]:
    found: dict[str, Organisation] = {}
    for company in r.all(root, f"{EXT}/efac:Organizations/efac:Organization/efac:Company"):
        local = r.required(company, "cac:PartyIdentification/cbc:ID", "the organisation's id")
        names = r.texts(company, "cac:PartyName/cbc:Name")
        if local and not names:
            r.fault(company, f"organisation {local} has no name (cac:PartyName/cbc:Name)")
        if local:
            found[local] = Organisation(
                local,
                names,
                r.text(company, "cac:PartyLegalEntity/cbc:CompanyID"),
                _address(r, r.first(company, "cac:PostalAddress")),
            )
    return found


def _criteria(r: _Reader, lot: etree._Element) -> tuple[Criterion, ...]:
    found = []
    terms = "cac:TenderingTerms/cac:AwardingTerms/cac:AwardingCriterion"
    for c in r.all(lot, f"{terms}/cac:SubordinateAwardingCriterion"):
        kind = r.text(c, "cbc:AwardingCriterionTypeCode")
        if kind is None:
            continue
        parameter = r.first(
            c, f"{EXT}/efac:AwardCriterionParameter[efbc:ParameterCode/@listName='number-weight']"
        )
        weight = None
        if parameter is not None:
            weight = r.number(r.first(parameter, "efbc:ParameterNumeric"), "the criterion's weight")
        weight_kind = r.text(parameter, "efbc:ParameterCode") if parameter is not None else None
        found.append(Criterion(kind, r.texts(c, "cbc:Name"), weight, weight_kind))
    return tuple(found)


def _codes(r: _Reader, project: etree._Element, list_name: str) -> tuple[Code, ...]:
    path = f"cac:ProcurementAdditionalType/cbc:ProcurementTypeCode[@listName='{list_name}']"
    found = []
    for e in r.all(project, path):
        value = (e.text or "").strip()
        if not value:
            r.fault(e, f"an empty {list_name} code")
            continue
        found.append(Code(value, e.sourceline, element_name(e)))
    return tuple(found)


def _cpv(r: _Reader, el: etree._Element | None) -> str | None:
    if el is None:
        return None
    value = (el.text or "").strip()
    if not CPV.match(value):
        r.fault(el, f"CPV code {value!r} is not 8 digits")
        return None
    return value


def _lot(r: _Reader, el: etree._Element, procedure: etree._Element | None) -> Lot | None:
    identifier = r.required(el, "cbc:ID", "the lot's identifier")
    if identifier and not LOT_ID.match(identifier):
        r.fault(el, f"lot identifier {identifier!r} is not LOT-nnnn or PAR-nnnn", name="cbc:ID")
    project = r.first(el, "cac:ProcurementProject")
    if project is None:
        r.fault(el, f"lot {identifier} has no cac:ProcurementProject")
        return None
    main_path = "cac:MainCommodityClassification/cbc:ItemClassificationCode"
    main = r.first(project, main_path)
    if main is None and procedure is not None:
        main = r.first(procedure, main_path)
    if main is None:
        r.fault(project, f"lot {identifier} has no main CPV code ({main_path})")
    main_cpv = _cpv(r, main)
    additional = [
        _cpv(r, e)
        for e in r.all(project, "cac:AdditionalCommodityClassification/cbc:ItemClassificationCode")
    ]
    place = None
    for location in [
        *r.all(project, "cac:RealizedLocation/cac:Address"),
        *(r.all(procedure, "cac:RealizedLocation/cac:Address") if procedure is not None else []),
    ]:
        place = _address(r, location)
        if place is not None:
            break
    period = r.first(project, "cac:PlannedPeriod")
    duration = r.first(period, "cbc:DurationMeasure") if period is not None else None
    months = None
    if duration is not None:
        amount = r.number(duration, "the duration")
        unit = duration.get("unitCode", "")
        if unit not in MONTHS:
            r.fault(duration, f"duration unit {unit!r} is not one of {', '.join(MONTHS)}")
        elif amount is not None and amount > 0:
            months = max(1, ceil(amount * MONTHS[unit] - 1e-9))
    quantity_el = r.first(project, "cbc:EstimatedOverallContractQuantity")
    start = r.day(period, "cbc:StartDate", "the start date")
    end = r.day(period, "cbc:EndDate", "the end date")
    if start is not None and end is not None and end < start and period is not None:
        r.fault(period, f"the planned period ends ({end}) before it starts ({start})")
    if not identifier or main_cpv is None:
        return None
    return Lot(
        identifier=identifier,
        titles=r.texts(project, "cbc:Name"),
        main_cpv=main_cpv,
        additional_cpv=tuple(sorted({c for c in additional if c and c != main_cpv})),
        place=place,
        start=start,
        end=end,
        months=months,
        quantity=r.number(quantity_el, "the estimated quantity"),
        unit_code=quantity_el.get("unitCode") if quantity_el is not None else None,
        impacts=_codes(r, project, "environmental-impact"),
        gpp=_codes(r, project, "gpp-criteria"),
        criteria=_criteria(r, el),
    )


def _awards(r: _Reader, root: etree._Element, lots: set[str], orgs: set[str]) -> tuple[Award, ...]:
    result = r.first(root, f"{EXT}/efac:NoticeResult")
    if result is None:
        return ()
    tenders = {r.text(t, "cbc:ID"): t for t in r.all(result, "efac:LotTender")}
    parties = {r.text(p, "cbc:ID"): p for p in r.all(result, "efac:TenderingParty")}
    contracts = {}  # tender id → its settled contract
    settled = {}  # contract id → the tender ids it settles
    for contract in r.all(result, "efac:SettledContract"):
        ids = [(ref.text or "").strip() for ref in r.all(contract, "efac:LotTender/cbc:ID")]
        settled[r.text(contract, "cbc:ID")] = ids
        for key in ids:
            contracts[key] = contract
    found = []
    for lot_result in r.all(result, "efac:LotResult"):
        lot = r.required(lot_result, "efac:TenderLot/cbc:ID", "the lot of a result")
        if lot and lot not in lots:
            r.fault(lot_result, f"the result names lot {lot}, which the notice does not describe")
        status = r.text(lot_result, "cbc:TenderResultCode")
        if status is not None and status != "selec-w":
            continue  # no winner chosen (yet), or the procedure was closed
        refs = [
            (ref, (ref.text or "").strip()) for ref in r.all(lot_result, "efac:LotTender/cbc:ID")
        ]
        for ref in r.all(lot_result, "efac:SettledContract/cbc:ID"):
            refs += [(ref, key) for key in settled.get((ref.text or "").strip(), [])]
        for ref, key in dict((k, (e, k)) for e, k in refs).values():
            found_tender = tenders.get(key)
            if found_tender is None:
                r.fault(ref, f"the result names tender {key!r}, which the notice does not describe")
                continue
            party = parties.get(r.text(found_tender, "efac:TenderingParty/cbc:ID"))
            if party is None:
                r.fault(found_tender, f"tender {key} names no tendering party the notice describes")
                continue
            winners = []
            for t in r.all(party, "efac:Tenderer/cbc:ID"):
                org = (t.text or "").strip()
                if org not in orgs:
                    r.fault(t, f"tenderer {org!r} is not an organisation of the notice")
                else:
                    winners.append(org)
            amount = r.first(found_tender, "cac:LegalMonetaryTotal/cbc:PayableAmount")
            private = r.first(found_tender, f"{EXT}/efac:FieldsPrivacy") is not None
            settled_contract = contracts.get(key)
            found.append(
                Award(
                    lot=lot,
                    tender=key,
                    winners=tuple(winners),
                    value=None if private else r.number(amount, "the tender's value"),
                    currency=None if private or amount is None else amount.get("currencyID"),
                    day=r.day(settled_contract, "cbc:IssueDate", "the contract's date"),
                )
            )
    return tuple(found)


_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


def parse_xml(data: bytes, *, source: str) -> etree._Element:
    """The root element of a notice's XML, or a `NoticeError` naming line and column."""
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as err:
        line, column = err.position
        raise LoadError(
            f"not well-formed XML: {err.msg}",
            source=source,
            position=Position(line, column),
            hint="the notice was refused whole; nothing was written",
        ) from err
    tree = root.getroottree()
    if tree.docinfo.doctype:
        raise NoticeError(
            [Problem(1, "!DOCTYPE", "a notice has no document type declaration; it is refused")],
            source=source,
        )
    return root


def read_notice(data: bytes, *, source: str = "notice") -> Notice:
    """The checked records of one notice, or `NoticeError` with every fault found."""
    root = parse_xml(data, source=source)
    r = _Reader(source)
    q = etree.QName(root)
    kind = KINDS.get(q.localname)
    if kind is None or not (q.namespace or "").startswith(UBL):
        r.fault(root, f"not an eForms notice read here: expected one of {', '.join(KINDS)}")
        raise NoticeError(r.problems, source=source)
    identifier = r.text(root, "cbc:ID[@schemeName='notice-id']")
    if identifier is None:
        r.fault(root, "the notice has no identifier (cbc:ID with schemeName notice-id, BT-701)")
    elif not UUID.match(identifier):
        r.fault(root, f"notice identifier {identifier!r} is not a UUID", name="cbc:ID")
    version = r.text(root, "cbc:VersionID") or "01"
    procedure_id = None
    if kind != "prior information notice" or r.first(root, "cbc:ContractFolderID") is not None:
        procedure_id = r.required(root, "cbc:ContractFolderID", "the procedure identifier (BT-04)")
    issued = r.day(root, "cbc:IssueDate", "the dispatch date")
    if r.first(root, "cbc:IssueDate") is None:
        r.fault(root, "the dispatch date is missing (cbc:IssueDate, BT-05)")
    subtype = r.required(root, f"{EXT}/efac:NoticeSubType/cbc:SubTypeCode", "the notice subtype")
    organisations = _organisations(r, root)
    buyers = []
    for party in r.all(root, "cac:ContractingParty"):
        ref = r.required(party, "cac:Party/cac:PartyIdentification/cbc:ID", "the buyer")
        if ref and ref not in organisations:
            r.fault(party, f"the buyer {ref} is not an organisation of the notice")
        elif ref:
            buyers.append(ref)
    if not r.all(root, "cac:ContractingParty"):
        r.fault(root, "the notice names no buyer (cac:ContractingParty)")
    procedure = r.first(root, "cac:ProcurementProject")
    lots = []
    for el in r.all(root, "cac:ProcurementProjectLot"):
        scheme = r.first(el, "cbc:ID")
        if scheme is not None and scheme.get("schemeName") == "LotsGroup":
            continue
        lot = _lot(r, el, procedure)
        if lot is not None:
            lots.append(lot)
    if not r.all(root, "cac:ProcurementProjectLot"):
        r.fault(root, "the notice has no lot (cac:ProcurementProjectLot)")
    seen = [lot.identifier for lot in lots]
    for twice in sorted({x for x in seen if seen.count(x) > 1}):
        r.fault(root, f"lot {twice} is described twice")
    awards = _awards(r, root, set(seen), set(organisations))
    changes = None
    changed = r.first(root, f"{EXT}/efac:Changes/efbc:ChangedNoticeIdentifier")
    if changed is not None:
        value = (changed.text or "").strip()
        if not UUID.match(value[:-3]) or not re.match(r"^-\d{2}$", value[-3:]):
            r.fault(changed, f"{value!r} is not the identifier and version of a notice (UUID-nn)")
        else:
            changes = (value[:-3], value[-2:])
    number = r.first(root, f"{EXT}/efac:Publication/efbc:NoticePublicationID")
    publication = None
    if number is not None and (number.text or "").strip():
        publication = (number.text or "").strip()
        if not PUBLICATION.match(publication):
            r.fault(number, f"publication number {publication!r} is not nnnnnnnn-yyyy")
    published = r.day(root, f"{EXT}/efac:Publication/efbc:PublicationDate", "the publication date")
    if r.problems:
        raise NoticeError(r.problems, source=source)
    assert identifier is not None and issued is not None
    return Notice(
        source=source,
        kind=kind,
        identifier=identifier.lower(),
        version=version,
        subtype=subtype,
        notice_type=r.text(root, "cbc:NoticeTypeCode"),
        procedure=procedure_id,
        issued=issued,
        publication_number=publication,
        publication_date=published,
        changes=changes,
        titles=r.texts(procedure, "cbc:Name") if procedure is not None else (),
        buyers=tuple(dict.fromkeys(buyers)),
        organisations=organisations,
        lots=tuple(lots),
        awards=awards,
    )


def read_file(path: Path) -> Notice:
    """`read_notice` of a file (its name in every message)."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise LoadError(f"cannot read the file: {err.strerror}", source=path) from err
    return read_notice(data, source=str(path))
