"""What the loop judgement reads: offers, flows, processes and sites as small records.

Everything is read as *descriptions*: for each subject, the values of the predicates the
judgement needs, as lexical strings, each value once. Reading triples one predicate at a time
(``?s ?p ?o`` rows, or one scan per predicate) keeps the cost linear in the data, and a triple
held in two graphs gives the same description as one held once: the values are sets.

`kringloop.queries.loop.facts` reads the descriptions from a store (per product type for
matchmaking, the whole graph for the census); the functions here turn them into records, the
same way for both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import pyoxigraph as ox

KL = "https://w3id.org/kringloop/ns#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_PREF_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
LABELS = frozenset({RDFS_LABEL, SKOS_PREF_LABEL})
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"
UNIT = "http://qudt.org/vocab/unit/"

#: A subject's description: predicate IRI → its values (IRIs or literal texts), each once.
Description = dict[str, list[str]]


class Descriptions:
    """Descriptions of many subjects, and the preferred label of each (English, else Dutch,
    else any)."""

    def __init__(self) -> None:
        self.by_subject: dict[str, Description] = defaultdict(dict)
        self.labels: dict[str, str] = {}
        self._label_rank: dict[str, int] = {}

    def add(self, subject: str, predicate: str, value: ox.NamedNode | ox.Literal | str) -> None:
        """One triple (values already seen are ignored)."""
        if predicate in LABELS and isinstance(value, ox.Literal):
            rank = {"en": 0, "nl": 1, "": 2}.get(value.language or "", 3)
            if rank < self._label_rank.get(subject, 9):
                self.labels[subject] = value.value
                self._label_rank[subject] = rank
            return
        text = value if isinstance(value, str) else value.value
        values = self.by_subject[subject].setdefault(predicate, [])
        if text not in values:
            values.append(text)

    def add_rows(self, rows: Iterable[Sequence[object]]) -> None:
        """``(subject, predicate, object)`` rows of terms (blank-node objects are skipped)."""
        for s, p, o in rows:
            if (
                isinstance(s, ox.NamedNode)
                and isinstance(p, ox.NamedNode)
                and isinstance(o, ox.NamedNode | ox.Literal)
            ):
                self.add(s.value, p.value, o)

    def of(self, subject: str) -> Description:
        return self.by_subject.get(subject, {})

    def one(self, subject: str, predicate: str) -> str | None:
        """The smallest value (so that a subject with two values reads the same every time)."""
        values = self.by_subject.get(subject, {}).get(predicate)
        return min(values) if values else None

    def all(self, subject: str, predicate: str) -> list[str]:
        return sorted(self.by_subject.get(subject, {}).get(predicate, ()))

    def label(self, subject: str) -> str:
        return self.labels.get(subject, subject.rsplit("/", 1)[-1])

    def subjects(self, predicate: str, value: str | None = None) -> list[str]:
        """Subjects that have ``predicate`` (with ``value``, when given), sorted."""
        return sorted(
            s
            for s, d in self.by_subject.items()
            if predicate in d and (value is None or value in d[predicate])
        )


def number(text: str | None) -> float | None:
    """A literal's text as a number, or None.

    >>> number("12.5"), number("x"), number(None)
    (12.5, None, None)
    """
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value else None  # NaN is no number


def day(text: str | None) -> date | None:
    """A date literal's text (``2026-05-01``, time zone or time ignored), or None."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Window:
    """When something is valid: first and last day, either open-ended."""

    start: date | None = None
    end: date | None = None

    def covers(self, first: date, last: date) -> bool:
        """Valid on every day from ``first`` to ``last``.

        >>> Window(date(2026, 1, 1), date(2026, 12, 31)).covers(date(2026, 3, 1), date(2027, 3, 1))
        False
        """
        return (self.start is None or self.start <= first) and (
            self.end is None or self.end >= last
        )

    def holds(self, on: date) -> bool:
        return self.covers(on, on)


def window(d: Description) -> Window:
    return Window(day(_first(d, KL + "validFrom")), day(_first(d, KL + "validThrough")))


def _first(d: Mapping[str, Sequence[str]], predicate: str) -> str | None:
    values = d.get(predicate)
    return min(values) if values else None


@dataclass(frozen=True, slots=True)
class Site:
    """Where an offer or an organisation is: coordinates, place and region."""

    iri: str
    lat: float
    long: float
    place: str | None = None
    region: str | None = None


@dataclass(frozen=True, slots=True)
class PlaceInfo:
    lat: float | None
    long: float | None
    region: str | None


def site_of(iri: str, d: Description, places: Mapping[str, PlaceInfo]) -> Site | None:
    """A site with coordinates: its own, else its place's (None when neither has both)."""
    place = _first(d, KL + "place")
    info = places.get(place) if place is not None else None
    lat, long = number(_first(d, KL + "lat")), number(_first(d, KL + "long"))
    if lat is None or long is None:
        if info is None or info.lat is None or info.long is None:
            return None
        lat, long = info.lat, info.long
    return Site(iri, lat, long, place, info.region if info is not None else None)


@dataclass(frozen=True)
class SupplyRecord:
    """A supply offer (or internal surplus) with everything the judgement and scoring need."""

    offer: str
    label: str
    supplier: str
    product_type: str
    model: str
    internal: bool
    sites: tuple[Site, ...]
    strategy: str | None
    condition: str | None
    available: float | None
    minimum: float | None
    unit_price: float | None
    monthly_fee: float | None
    maintenance: float | None
    end_of_life: float | None
    residual: float | None
    valid: Window
    available_from: date | None
    takes_back: bool
    delivery_km: float | None
    co2e: float | None
    sourced: bool
    claims: tuple[str, ...]


def supply_record(
    offer: str,
    d: Description,
    *,
    supplier: str,
    sites: tuple[Site, ...],
    label: str,
) -> SupplyRecord | None:
    """The offer as a record; None when it lacks a product type or business model."""
    product, model = _first(d, KL + "itemOffered"), _first(d, KL + "businessModel")
    if product is None or model is None:
        return None
    take_back = _first(d, KL + "includesTakeBack")
    return SupplyRecord(
        offer=offer,
        label=label,
        supplier=supplier,
        product_type=product,
        model=model,
        internal=KL + "InternalSurplus" in d.get(RDF_TYPE, ()),
        sites=sites,
        strategy=_first(d, KL + "strategy"),
        condition=_first(d, KL + "condition"),
        available=number(_first(d, KL + "availableQuantity")),
        minimum=number(_first(d, KL + "minimumQuantity")),
        unit_price=number(_first(d, KL + "unitPrice")),
        monthly_fee=number(_first(d, KL + "monthlyFee")),
        maintenance=number(_first(d, KL + "maintenanceCostPerYear")),
        end_of_life=number(_first(d, KL + "endOfLifeCost")),
        residual=number(_first(d, KL + "residualValue")),
        valid=window(d),
        available_from=day(_first(d, KL + "availableFrom")),
        takes_back=take_back in ("true", "1"),
        delivery_km=number(_first(d, KL + "serviceRadiusKm")),
        co2e=number(_first(d, KL + "co2eAvoidedKgPerUnit")),
        sourced=PROV_DERIVED in d,
        claims=tuple(sorted(d.get(KL + "claim", ()))),
    )


@dataclass(frozen=True)
class ProcessingRecord:
    """A processing (take-back) offer: what it accepts, where, how much a year, until when."""

    offer: str
    organisation: str
    label: str
    process: str
    process_class: str
    products: frozenset[str]
    materials: frozenset[str]
    sites: tuple[Site, ...]
    radius_km: float | None
    capacity: float | None
    capacity_unit: str | None
    valid: Window
    strategy: str | None


def processing_record(
    offer: str,
    d: Description,
    *,
    organisation: str,
    label: str,
    sites: tuple[Site, ...],
    process_classes: Mapping[str, str],
) -> ProcessingRecord | None:
    """The offer as a record; None when it names no process of a known kind."""
    processes = [p for p in sorted(d.get(KL + "process", ())) if p in process_classes]
    if not processes:
        return None
    unit = _first(d, KL + "unit")
    return ProcessingRecord(
        offer=offer,
        organisation=organisation,
        label=label,
        process=processes[0],
        process_class=process_classes[processes[0]],
        products=frozenset(d.get(KL + "acceptsProductType", ())),
        materials=frozenset(d.get(KL + "acceptsMaterial", ())),
        sites=sites,
        radius_km=number(_first(d, KL + "serviceRadiusKm")),
        capacity=number(_first(d, KL + "capacityPerYear")),
        capacity_unit=unit,
        valid=window(d),
        strategy=_first(d, KL + "strategy"),
    )


@dataclass(frozen=True, slots=True)
class FlowRecord:
    """A flow of a product type or material from one organisation to another."""

    flow: str
    source: str
    target: str
    of: str
    process: str | None
    valid: Window
    is_return: bool


def flow_record(flow: str, d: Description, canonical: Mapping[str, str]) -> FlowRecord | None:
    source, target, of = (_first(d, KL + p) for p in ("flowFrom", "flowTo", "flowOf"))
    if source is None or target is None or of is None:
        return None
    return FlowRecord(
        flow=flow,
        source=canonical.get(source, source),
        target=canonical.get(target, target),
        of=of,
        process=_first(d, KL + "viaProcess"),
        valid=window(d),
        is_return=KL + "ReturnFlow" in d.get(RDF_TYPE, ()),
    )


def same_as_classes(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each IRI linked by ``owl:sameAs`` mapped to one of its class (the smallest IRI).

    >>> same_as_classes([("urn:b", "urn:a"), ("urn:c", "urn:b")])
    {'urn:a': 'urn:a', 'urn:b': 'urn:a', 'urn:c': 'urn:a'}
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in sorted(parent)}
