"""Build data/market/market.ttl: an illustrative, visibly fictional circular-procurement market.

Every organisation is invented (IRIs under https://example.org/kringloop/id/, names containing
"Example"); only the towns, code lists and CPV codes are real. The market contains designed
closed loops and designed gaps for the gap analysis; data/market/README.md lists them.

The output is deterministic: seeded random generators, ordered inputs and a sorted Turtle
writer, so rerunning the script gives a byte-identical file. The biological loop (BIO_ORGS) draws
from a generator of its own, so that adding it left the rest of the market as it was.

    python data/scripts/build_market.py [--out PATH] [--places PATH]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SKOS

DATA = Path(__file__).resolve().parent.parent
DEFAULT_OUT = DATA / "market" / "market.ttl"
DEFAULT_PLACES = DATA / "places.ttl"
SEED = 20260101

KL = Namespace("https://w3id.org/kringloop/ns#")
EX = "https://example.org/kringloop/id/"
PLACE_NS = "https://w3id.org/kringloop/id/place/"

PREFIXES: tuple[tuple[str, str], ...] = (
    ("kl", "https://w3id.org/kringloop/ns#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("dcterms", "http://purl.org/dc/terms/"),
    ("prov", "http://www.w3.org/ns/prov#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("unit", "http://qudt.org/vocab/unit/"),
    ("place", PLACE_NS),
    ("role", "https://w3id.org/kringloop/id/role/"),
    ("product", "https://w3id.org/kringloop/id/product/"),
    ("material", "https://w3id.org/kringloop/id/material/"),
    ("strategy", "https://w3id.org/kringloop/id/strategy/"),
    ("bm", "https://w3id.org/kringloop/id/business-model/"),
    ("condition", "https://w3id.org/kringloop/id/condition/"),
    ("cert", "https://w3id.org/kringloop/id/certification/"),
    ("vl", "https://w3id.org/kringloop/id/verification-level/"),
    ("df", "https://w3id.org/kringloop/id/design-feature/"),
    ("exdata", EX + "dataset/"),
    ("exorg", EX + "organisation/"),
    ("exsite", EX + "site/"),
    ("expart", EX + "participation/"),
    ("exoffer", EX + "offer/"),
    ("exproc", EX + "process/"),
    ("exflow", EX + "flow/"),
    ("exclaim", EX + "claim/"),
    ("exneed", EX + "need/"),
)

DATASET = "exdata:market"
FICTIONAL = '"illustrative, fictional"'

# --------------------------------------------------------------------------------------------
# Turtle writer
# --------------------------------------------------------------------------------------------


class TurtleDoc:
    """Collects triples as Turtle term strings and writes them sorted."""

    def __init__(self) -> None:
        self._triples: dict[str, dict[str, set[str]]] = {}

    def add(self, subject: str, predicate: str, obj: str) -> None:
        self._triples.setdefault(subject, {}).setdefault(predicate, set()).add(obj)

    def add_all(self, subject: str, predicate: str, objects: Iterable[str]) -> None:
        for obj in objects:
            self.add(subject, predicate, obj)

    def serialize(self, header: str) -> str:
        lines = [header.rstrip("\n"), ""]
        lines += [f"@prefix {name}: <{iri}> ." for name, iri in PREFIXES]
        for subject in sorted(self._triples, key=_subject_key):
            predicates = self._triples[subject]
            order = sorted(predicates, key=lambda p: (p != "a", p != "rdfs:label", p))
            lines.append("")
            lines.append(subject)
            for index, predicate in enumerate(order):
                objects = sorted(predicates[predicate])
                end = " ." if index == len(order) - 1 else " ;"
                joined = " , ".join(objects)
                if len(joined) + len(predicate) > 90 and len(objects) > 1:
                    joined = " ,\n        ".join(objects)
                lines.append(f"    {predicate} {joined}{end}")
        return "\n".join(lines) + "\n"


SUBJECT_ORDER = (
    "exdata",
    "exorg",
    "exsite",
    "expart",
    "exoffer",
    "exclaim",
    "exproc",
    "exflow",
    "exneed",
)


def _subject_key(subject: str) -> tuple[int, str]:
    """Group subjects by kind (dataset, organisations, sites, ...), then alphabetically."""
    prefix = subject.split(":", 1)[0]
    rank = SUBJECT_ORDER.index(prefix) if prefix in SUBJECT_ORDER else len(SUBJECT_ORDER)
    return rank, subject


def text(value: str, lang: str = "en") -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@{lang}'


def dec(value: float | Decimal | str, places: int = 2) -> str:
    """An xsd:decimal in Turtle's short form (always with a decimal point)."""
    quantum = Decimal(1).scaleb(-places)
    rendered = str(Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP))
    return rendered if "." in rendered else rendered + ".0"


def date(value: str) -> str:
    return f'"{value}"^^xsd:date'


def anyuri(value: str) -> str:
    return f'"{value}"^^xsd:anyURI'


# --------------------------------------------------------------------------------------------
# The market, as data
# --------------------------------------------------------------------------------------------

Role = tuple[str, str | None]  # (role slug, product slug or None)


@dataclass(frozen=True)
class Org:
    """A fictional organisation with its town and the roles it plays per product type."""

    name: str
    town: str
    roles: tuple[Role, ...] = ()

    @property
    def slug(self) -> str:
        return self.name.lower().replace(" ", "-")

    @property
    def short(self) -> str:
        return self.slug.removeprefix("example-")


def _roles(*pairs: str) -> tuple[Role, ...]:
    """'supplier:laptop' -> ('supplier', 'laptop'); 'buyer' -> ('buyer', None)."""
    out: list[Role] = []
    for pair in pairs:
        role, _, product = pair.partition(":")
        out.append((role, product or None))
    return tuple(out)


ORGS: tuple[Org, ...] = (
    # Office chairs: the closed lease loop lies in Limburg, the open lease in Gent.
    Org(
        "Example Seating Works Genk",
        "genk",
        _roles("producer:office-chair", "supplier:office-chair"),
    ),
    Org("Example Chair Lease Hasselt", "hasselt", _roles("supplier:office-chair")),
    Org(
        "Example Office Collect Beringen",
        "beringen",
        _roles("collector:office-chair", "collector:office-desk", "collector:office-cabinet"),
    ),
    Org(
        "Example Office Refurb Hasselt",
        "hasselt",
        _roles("refurbisher:office-chair", "supplier:office-chair"),
    ),
    Org("Example Chair Repair Herentals", "herentals", _roles("repairer:office-chair")),
    Org("Example Chair Rental Gent", "gent", _roles("supplier:office-chair")),
    # Desks, cabinets, tables, sets.
    Org(
        "Example Desk Factory Waregem",
        "waregem",
        _roles(
            "producer:office-desk",
            "producer:office-cabinet",
            "producer:meeting-table",
            "supplier:office-desk",
            "supplier:office-cabinet",
            "supplier:meeting-table",
        ),
    ),
    Org(
        "Example Office Refurb Kortrijk",
        "kortrijk",
        _roles(
            "refurbisher:office-desk",
            "refurbisher:office-cabinet",
            "refurbisher:meeting-table",
            "supplier:office-desk",
            "supplier:office-cabinet",
            "supplier:meeting-table",
        ),
    ),
    Org(
        "Example Office Furniture Reman Lier",
        "lier",
        _roles(
            "remanufacturer:office-cabinet",
            "remanufacturer:office-desk",
            "supplier:office-cabinet",
        ),
    ),
    Org(
        "Example Furniture Works Geel",
        "geel",
        _roles(
            "producer:office-cabinet",
            "producer:meeting-table",
            "producer:office-furniture-set",
            "supplier:office-furniture-set",
        ),
    ),
    Org(
        "Example Workplace Furnishing Vilvoorde",
        "vilvoorde",
        _roles("supplier:office-furniture-set", "supplier:office-chair", "supplier:office-desk"),
    ),
    Org(
        "Example Furniture Share Leuven",
        "leuven",
        _roles("sharing-platform:office-furniture-set", "sharing-platform:meeting-table"),
    ),
    Org(
        "Example Office Interiors Brugge",
        "brugge",
        _roles("supplier:office-desk", "supplier:office-chair", "supplier:meeting-table"),
    ),
    # IT equipment.
    Org(
        "Example Laptop Assembly Zaventem",
        "zaventem",
        _roles(
            "producer:laptop",
            "producer:desktop-computer",
            "supplier:laptop",
            "supplier:desktop-computer",
        ),
    ),
    Org(
        "Example IT Refurb Leuven",
        "leuven",
        _roles(
            "refurbisher:laptop",
            "refurbisher:desktop-computer",
            "refurbisher:monitor",
            "supplier:laptop",
            "supplier:desktop-computer",
            "supplier:monitor",
        ),
    ),
    Org(
        "Example IT Asset Recovery Vilvoorde",
        "vilvoorde",
        _roles(
            "collector:laptop",
            "collector:desktop-computer",
            "collector:monitor",
            "collector:smartphone",
        ),
    ),
    Org(
        "Example Device As A Service Mechelen",
        "mechelen",
        _roles("supplier:laptop", "supplier:smartphone", "supplier:monitor"),
    ),
    Org(
        "Example E-Waste Recycling Boom",
        "boom",
        _roles(
            "recycler:laptop",
            "recycler:desktop-computer",
            "recycler:monitor",
            "recycler:printer",
            "recycler:smartphone",
        ),
    ),
    Org(
        "Example Smartphone Refurb Antwerpen",
        "antwerpen",
        _roles("refurbisher:smartphone", "supplier:smartphone"),
    ),
    Org("Example Printer Services Gent", "gent", _roles("supplier:printer")),
    Org(
        "Example Printer Reman Aalst",
        "aalst",
        _roles("remanufacturer:printer", "supplier:printer"),
    ),
    Org("Example Laptop Repair Brugge", "brugge", _roles("repairer:laptop", "repairer:smartphone")),
    Org(
        "Example Monitor Supply Roeselare",
        "roeselare",
        _roles("supplier:monitor", "supplier:desktop-computer", "supplier:printer"),
    ),
    Org("Example Phone Repair Hasselt", "hasselt", _roles("repairer:smartphone")),
    # Workwear and safety wear.
    Org("Example Workwear Weavers Deinze", "deinze", _roles("producer:workwear")),
    Org(
        "Example Workwear Supply Aalst",
        "aalst",
        _roles("supplier:workwear", "supplier:safety-shoes"),
    ),
    Org("Example Textile Collect Gent", "gent", _roles("collector:workwear")),
    Org("Example Fibre Recycling Lokeren", "lokeren", _roles("recycler:workwear")),
    Org(
        "Example Safety Wear Brugge",
        "brugge",
        _roles("supplier:hi-vis-rainwear", "supplier:safety-shoes", "supplier:workwear"),
    ),
    Org(
        "Example Workwear Laundry Kortrijk",
        "kortrijk",
        _roles("supplier:workwear", "repairer:workwear"),
    ),
    Org(
        "Example Safety Shoes Izegem",
        "izegem",
        _roles("producer:safety-shoes", "supplier:safety-shoes"),
    ),
    Org("Example Shoe Repair Mechelen", "mechelen", _roles("repairer:safety-shoes")),
    # Lighting.
    Org(
        "Example Luminaire Works Turnhout",
        "turnhout",
        _roles("producer:luminaire", "collector:luminaire", "supplier:luminaire"),
    ),
    Org("Example Light As A Service Antwerpen", "antwerpen", _roles("supplier:luminaire")),
    Org("Example Light Reman Herentals", "herentals", _roles("remanufacturer:luminaire")),
    Org("Example Lighting Wholesale Sint-Niklaas", "sint-niklaas", _roles("supplier:luminaire")),
    # Carpet tiles.
    Org(
        "Example Carpet Mills Oudenaarde",
        "oudenaarde",
        _roles("producer:carpet-tile", "supplier:carpet-tile"),
    ),
    Org("Example Flooring Contractors Roeselare", "roeselare", _roles("supplier:carpet-tile")),
    Org("Example Carpet Take-Back Aalst", "aalst", _roles("collector:carpet-tile")),
    Org("Example Nylon Recovery Dendermonde", "dendermonde", _roles("recycler:carpet-tile")),
    # Catering and tableware: no tableware processor has a site in Limburg.
    Org(
        "Example Cup Pool Antwerpen",
        "antwerpen",
        _roles("sharing-platform:reusable-tableware", "collector:reusable-tableware"),
    ),
    Org("Example Tableware Return Gent", "gent", _roles("collector:reusable-tableware")),
    Org(
        "Example Ceramics Recycling Kortrijk",
        "kortrijk",
        _roles("recycler:reusable-tableware"),
    ),
    Org(
        "Example Canteen Catering Leuven",
        "leuven",
        _roles("supplier:catering-meal", "user:reusable-tableware"),
    ),
    Org("Example Food Waste Recovery Roeselare", "roeselare", _roles("recycler:catering-meal")),
    Org(
        "Example Tableware Pottery Ninove",
        "ninove",
        _roles("producer:reusable-tableware", "supplier:reusable-tableware"),
    ),
    Org("Example Catering Services Mechelen", "mechelen", _roles("supplier:catering-meal")),
    # Construction materials.
    Org(
        "Example Reclaimed Bricks Ieper",
        "ieper",
        _roles("supplier:reclaimed-brick", "collector:reclaimed-brick"),
    ),
    Org(
        "Example Demolition Collect Tienen",
        "tienen",
        _roles("collector:reclaimed-brick", "collector:concrete-element", "collector:gypsum-board"),
    ),
    Org(
        "Example Gypsum Recycling Sint-Niklaas",
        "sint-niklaas",
        _roles("recycler:gypsum-board"),
    ),
    Org(
        "Example Plasterboard Works Dendermonde",
        "dendermonde",
        _roles("producer:gypsum-board", "supplier:gypsum-board"),
    ),
    Org(
        "Example Precast Concrete Beringen",
        "beringen",
        _roles("producer:concrete-element", "supplier:concrete-element"),
    ),
    Org(
        "Example Concrete Reuse Diest",
        "diest",
        _roles("refurbisher:concrete-element", "supplier:concrete-element"),
    ),
    Org(
        "Example Aggregate Recycling Maasmechelen",
        "maasmechelen",
        _roles("recycler:concrete-element"),
    ),
    Org(
        "Example Building Materials Halle",
        "halle",
        _roles("supplier:reclaimed-brick", "supplier:gypsum-board", "supplier:concrete-element"),
    ),
    # Paper.
    Org(
        "Example Paper Mill Lommel",
        "lommel",
        _roles("producer:printing-paper", "supplier:printing-paper"),
    ),
    Org("Example Office Supplies Zaventem", "zaventem", _roles("supplier:printing-paper")),
    Org("Example Paper Recycling Genk", "genk", _roles("recycler:printing-paper")),
    Org("Example Paper Collect Eeklo", "eeklo", _roles("collector:printing-paper")),
    # Buyers and users.
    Org(
        "Example City Services Gent",
        "gent",
        _roles(
            "buyer:office-chair",
            "user:office-chair",
            "buyer:workwear",
            "user:workwear",
            "buyer:reusable-tableware",
        ),
    ),
    Org(
        "Example Provincial Services Hasselt",
        "hasselt",
        _roles(
            "buyer:reusable-tableware",
            "user:reusable-tableware",
            "buyer:office-chair",
            "buyer:printing-paper",
            "buyer:compostable-tableware",
        ),
    ),
    Org(
        "Example Regional Hospital Genk",
        "genk",
        _roles("buyer:office-chair", "user:office-chair", "buyer:catering-meal"),
    ),
    Org(
        "Example Hospital Kortrijk",
        "kortrijk",
        _roles(
            "buyer:office-desk",
            "user:office-desk",
            "buyer:office-cabinet",
            "buyer:compostable-tableware",
            "user:compostable-tableware",
        ),
    ),
    Org(
        "Example University Leuven",
        "leuven",
        _roles("buyer:laptop", "user:laptop", "buyer:monitor", "buyer:desktop-computer"),
    ),
    Org(
        "Example School Group Antwerpen",
        "antwerpen",
        _roles("buyer:luminaire", "user:luminaire", "buyer:meeting-table"),
    ),
    Org(
        "Example Social Housing Mechelen",
        "mechelen",
        _roles("buyer:carpet-tile", "buyer:reclaimed-brick", "buyer:gypsum-board"),
    ),
    Org(
        "Example Water Utility Brugge",
        "brugge",
        _roles("buyer:workwear", "user:workwear", "buyer:safety-shoes"),
    ),
    Org(
        "Example Port Services Oostende",
        "oostende",
        _roles("buyer:hi-vis-rainwear", "user:hi-vis-rainwear", "buyer:workwear"),
    ),
    Org(
        "Example Municipality Aalst",
        "aalst",
        _roles("buyer:office-chair", "user:office-chair", "buyer:smartphone"),
    ),
    Org(
        "Example Regional Office Halle",
        "halle",
        _roles("buyer:office-desk", "user:office-desk", "buyer:printing-paper"),
    ),
    Org(
        "Example Construction Sint-Truiden",
        "sint-truiden",
        _roles("buyer:reclaimed-brick", "buyer:concrete-element"),
    ),
    Org(
        "Example Care Home Ieper",
        "ieper",
        _roles("buyer:catering-meal", "user:catering-meal", "buyer:reusable-tableware"),
    ),
    Org(
        "Example Regional Police Turnhout",
        "turnhout",
        _roles("buyer:workwear", "user:workwear", "buyer:safety-shoes"),
    ),
    Org("Example Logistics Park Geel", "geel", _roles("user:workwear", "user:safety-shoes")),
    Org(
        "Example Coworking Vilvoorde",
        "vilvoorde",
        _roles("user:office-furniture-set", "buyer:printer"),
    ),
    Org(
        "Example Cultural Centre Tongeren",
        "tongeren",
        _roles("buyer:reusable-tableware", "user:reusable-tableware", "buyer:luminaire"),
    ),
    # Verifiers of claims (no value-chain role).
    Org("Example Certification Services Mechelen", "mechelen"),
    Org("Example Inspection Bureau Gent", "gent"),
)

# The biological cycle: compostable PLA tableware. Closed in West and East Flanders (cups from
# Harelbeke, composted in Izegem, compost to a farm in Deinze, maize to a bioplastics maker in
# Ertvelde, PLA back to the cup maker); open near Hasselt, where the composter in Tongeren
# sends its compost nowhere. Kept apart from ORGS: these organisations draw from a random
# generator of their own (see add_biological_loop).
BIO_ORGS: tuple[Org, ...] = (
    Org(
        "Example Compostable Cups Harelbeke",
        "harelbeke",
        _roles("producer:compostable-tableware", "supplier:compostable-tableware"),
    ),
    Org("Example Composting Izegem", "izegem", _roles("composter:compostable-tableware")),
    Org("Example Farm Cooperative Deinze", "deinze", _roles("producer")),
    Org("Example Bioplastics Ertvelde", "ertvelde", _roles("producer")),
    Org("Example Event Cups Hasselt", "hasselt", _roles("supplier:compostable-tableware")),
    Org(
        "Example Green Waste Composting Tongeren",
        "tongeren",
        _roles("composter:compostable-tableware"),
    ),
)

ORG_BY_SHORT = {org.short: org for org in (*ORGS, *BIO_ORGS)}

# Processing roles -> the process class, strategy and business model they stand for.
PROCESS_OF_ROLE: dict[str, tuple[str, str, str]] = {
    # role: (process class, strategy, business model)
    "collector": ("TakeBack", "reuse", "take-back"),
    "repairer": ("Repair", "repair", "repair-service"),
    "refurbisher": ("Refurbishment", "refurbish", "repair-service"),
    "remanufacturer": ("Remanufacturing", "remanufacture", "take-back"),
    "recycler": ("Recycling", "recycle", "take-back"),
    "composter": ("Composting", "recycle", "take-back"),
}

# Collectors whose process is a collection (bring-in, sorting) rather than a take-back.
COLLECTION: dict[str, str] = {
    # org short: strategy the collection serves
    "textile-collect-gent": "recycle",
    "paper-collect-eeklo": "recycle",
    "tableware-return-gent": "reuse",
    "cup-pool-antwerpen": "reuse",
}

# Processors that accept materials only (no product type).
MATERIAL_ONLY = frozenset({"food-waste-recovery-roeselare"})


def process_of(short: str, role: str) -> tuple[str, str, str]:
    """(process class, strategy, business model) of an organisation in a processing role."""
    if role == "collector" and short in COLLECTION:
        return "Collection", COLLECTION[short], "take-back"
    return PROCESS_OF_ROLE[role]


# Product data: (base price new EUR, category, label en, label nl)
PRODUCTS: dict[str, tuple[float, str, str, str]] = {
    "office-chair": (480.0, "office furniture", "office chairs", "bureaustoelen"),
    "office-desk": (620.0, "office furniture", "office desks", "bureaus"),
    "office-cabinet": (450.0, "office furniture", "office cabinets", "kantoorkasten"),
    "meeting-table": (950.0, "office furniture", "meeting tables", "vergadertafels"),
    "office-furniture-set": (1600.0, "office furniture", "office workplaces", "kantoorwerkplekken"),
    "laptop": (1150.0, "IT equipment", "laptops", "laptops"),
    "desktop-computer": (850.0, "IT equipment", "desktop computers", "desktopcomputers"),
    "monitor": (240.0, "IT equipment", "monitors", "computerschermen"),
    "printer": (1400.0, "IT equipment", "printers", "printers"),
    "smartphone": (620.0, "IT equipment", "smartphones", "smartphones"),
    "workwear": (55.0, "workwear", "workwear", "werkkleding"),
    "hi-vis-rainwear": (68.0, "workwear", "high-visibility rainwear", "fluo-regenkledij"),
    "safety-shoes": (105.0, "workwear", "safety shoes", "veiligheidsschoenen"),
    "luminaire": (260.0, "lighting", "luminaires", "verlichtingsarmaturen"),
    "carpet-tile": (9.0, "flooring", "carpet tiles", "tapijttegels"),
    "reusable-tableware": (7.5, "catering", "reusable tableware", "herbruikbaar servies"),
    "catering-meal": (8.5, "catering", "catering meals", "cateringmaaltijden"),
    "compostable-tableware": (
        0.12,
        "catering",
        "compostable catering tableware",
        "composteerbaar cateringservies",
    ),
    "gypsum-board": (11.0, "construction", "gypsum boards", "gipsplaten"),
    "reclaimed-brick": (1.2, "construction", "reclaimed bricks", "gerecupereerde bakstenen"),
    "concrete-element": (750.0, "construction", "precast concrete elements", "betonelementen"),
    "printing-paper": (5.2, "paper", "printing paper", "printpapier"),
}

# Business models a supplier may use per product type, in order of preference.
SUPPLY_MODELS: dict[str, tuple[str, ...]] = {
    "office-chair": ("sale", "lease"),  # no buy-back: see the Gent gap
    "office-desk": ("sale", "lease", "buy-back"),
    "office-cabinet": ("sale", "buy-back", "lease"),
    "meeting-table": ("sale", "lease"),
    "office-furniture-set": ("sale", "lease", "product-as-a-service"),
    "laptop": ("sale", "lease", "product-as-a-service", "buy-back"),
    "desktop-computer": ("sale", "lease", "buy-back"),
    "monitor": ("sale", "lease", "buy-back"),
    "printer": ("product-as-a-service", "sale", "lease"),
    "smartphone": ("sale", "lease", "buy-back"),
    "workwear": ("sale", "product-as-a-service", "lease"),
    "hi-vis-rainwear": ("sale", "lease"),
    "safety-shoes": ("sale", "lease"),
    "luminaire": ("sale", "product-as-a-service", "lease"),
    "carpet-tile": ("sale", "lease", "buy-back"),
    "reusable-tableware": ("sale", "pooling", "lease"),
    "catering-meal": ("sale", "product-as-a-service"),
    "compostable-tableware": ("sale",),
    "gypsum-board": ("sale",),
    "reclaimed-brick": ("sale", "buy-back"),
    "concrete-element": ("sale", "buy-back", "lease"),
    "printing-paper": ("sale",),
}

# Certification schemes that fit a product type (illustrative claims only).
SCHEMES: dict[str, tuple[str, ...]] = {
    "office-chair": ("eu-ecolabel", "cradle-to-cradle", "blauer-engel"),
    "office-desk": ("fsc", "pefc", "eu-ecolabel"),
    "office-cabinet": ("eu-ecolabel", "cradle-to-cradle"),
    "meeting-table": ("fsc", "pefc"),
    "office-furniture-set": ("eu-ecolabel", "nordic-swan"),
    "laptop": ("tco-certified", "epeat"),
    "desktop-computer": ("tco-certified", "epeat"),
    "monitor": ("tco-certified", "epeat"),
    "printer": ("blauer-engel", "epeat"),
    "smartphone": ("tco-certified", "epeat"),
    "workwear": ("oeko-tex", "eu-ecolabel"),
    "hi-vis-rainwear": ("oeko-tex",),
    "safety-shoes": ("oeko-tex",),
    "luminaire": ("cradle-to-cradle",),
    "carpet-tile": ("cradle-to-cradle", "blauer-engel"),
    "reusable-tableware": ("nordic-swan",),
    "catering-meal": (),
    "compostable-tableware": (),
    "gypsum-board": ("cradle-to-cradle",),
    "reclaimed-brick": (),
    "concrete-element": (),
    "printing-paper": ("fsc", "eu-ecolabel", "blauer-engel", "pefc", "nordic-swan"),
}

DESIGN_FEATURES: dict[str, tuple[str, ...]] = {
    "office-chair": ("modular", "standardised-parts", "design-for-disassembly"),
    "office-desk": ("modular", "durable-materials"),
    "office-cabinet": ("durable-materials", "design-for-disassembly"),
    "meeting-table": ("durable-materials",),
    "office-furniture-set": ("modular",),
    "laptop": ("modular", "standardised-parts"),
    "desktop-computer": ("modular", "standardised-parts"),
    "monitor": ("design-for-disassembly",),
    "printer": ("modular",),
    "smartphone": ("design-for-disassembly",),
    "workwear": ("durable-materials",),
    "safety-shoes": ("durable-materials",),
    "luminaire": ("modular", "design-for-disassembly"),
    "carpet-tile": ("design-for-disassembly", "mono-material"),
    "reusable-tableware": ("durable-materials",),
    "gypsum-board": ("mono-material",),
    "reclaimed-brick": ("durable-materials",),
    "concrete-element": ("design-for-disassembly", "standardised-parts"),
    "printing-paper": ("mono-material",),
}

# CO2e avoided per unit when reused/refurbished instead of bought new (illustrative, kg).
CO2E_REUSE: dict[str, float] = {
    "office-chair": 60.0,
    "office-desk": 80.0,
    "office-cabinet": 95.0,
    "meeting-table": 110.0,
    "office-furniture-set": 220.0,
    "laptop": 250.0,
    "desktop-computer": 300.0,
    "monitor": 160.0,
    "printer": 180.0,
    "smartphone": 55.0,
    "luminaire": 35.0,
    "concrete-element": 280.0,
    "reclaimed-brick": 0.5,
}

# Materials a recycler accepts besides the product types it recycles, and what it returns.
RECYCLER_MATERIALS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # org short: (accepted materials, output materials)
    "e-waste-recycling-boom": (
        ("electronics", "copper", "aluminium", "glass"),
        ("copper", "aluminium"),
    ),
    "fibre-recycling-lokeren": (("polyester", "cotton"), ("polyester", "cotton")),
    "nylon-recovery-dendermonde": (("nylon-yarn",), ("nylon-yarn",)),
    "ceramics-recycling-kortrijk": (("ceramic",), ("ceramic",)),
    "food-waste-recovery-roeselare": (("food-waste",), ("food-waste",)),
    "composting-izegem": (("pla", "food-waste"), ("compost",)),
    "green-waste-composting-tongeren": (("pla", "food-waste"), ("compost",)),
    "gypsum-recycling-sint-niklaas": (("gypsum",), ("gypsum",)),
    "aggregate-recycling-maasmechelen": (("concrete",), ("concrete",)),
    "paper-recycling-genk": (("paper",), ("paper",)),
}

# Processors whose output goes back to a producer: the designed closed loops.
# (processor short, producer short, what flows back, kg or pieces per year)
RETURN_FLOWS: tuple[tuple[str, str, str, float], ...] = (
    ("office-refurb-hasselt", "seating-works-genk", "product:office-chair", 400.0),
    ("office-refurb-kortrijk", "desk-factory-waregem", "material:steel", 18000.0),
    ("office-furniture-reman-lier", "furniture-works-geel", "material:steel", 12000.0),
    ("fibre-recycling-lokeren", "workwear-weavers-deinze", "material:polyester", 26000.0),
    ("fibre-recycling-lokeren", "workwear-weavers-deinze", "material:cotton", 14000.0),
    ("light-reman-herentals", "luminaire-works-turnhout", "product:luminaire", 1500.0),
    ("nylon-recovery-dendermonde", "carpet-mills-oudenaarde", "material:nylon-yarn", 90000.0),
    ("it-refurb-leuven", "laptop-assembly-zaventem", "product:laptop", 900.0),
    (
        "gypsum-recycling-sint-niklaas",
        "plasterboard-works-dendermonde",
        "material:gypsum",
        400000.0,
    ),
    (
        "aggregate-recycling-maasmechelen",
        "precast-concrete-beringen",
        "material:concrete",
        2500000.0,
    ),
    ("paper-recycling-genk", "paper-mill-lommel", "material:paper", 1200000.0),
)

# Forward flows of the designed loops: (from short, to short, what, quantity, via role of sender).
FORWARD_FLOWS: tuple[tuple[str, str, str, float, str | None], ...] = (
    ("chair-lease-hasselt", "regional-hospital-genk", "product:office-chair", 250.0, None),
    (
        "office-collect-beringen",
        "office-refurb-hasselt",
        "product:office-chair",
        420.0,
        "collector",
    ),
    ("office-refurb-kortrijk", "hospital-kortrijk", "product:office-desk", 60.0, None),
    ("workwear-supply-aalst", "city-services-gent", "product:workwear", 1200.0, None),
    ("textile-collect-gent", "fibre-recycling-lokeren", "product:workwear", 9000.0, "collector"),
    ("light-as-a-service-antwerpen", "school-group-antwerpen", "product:luminaire", 800.0, None),
    ("luminaire-works-turnhout", "light-reman-herentals", "product:luminaire", 1600.0, "collector"),
    ("carpet-mills-oudenaarde", "social-housing-mechelen", "product:carpet-tile", 4000.0, None),
    (
        "carpet-take-back-aalst",
        "nylon-recovery-dendermonde",
        "product:carpet-tile",
        60000.0,
        "collector",
    ),
    ("it-asset-recovery-vilvoorde", "it-refurb-leuven", "product:laptop", 1100.0, "collector"),
    ("it-refurb-leuven", "university-leuven", "product:laptop", 300.0, None),
    (
        "demolition-collect-tienen",
        "gypsum-recycling-sint-niklaas",
        "product:gypsum-board",
        9000.0,
        "collector",
    ),
    (
        "paper-collect-eeklo",
        "paper-recycling-genk",
        "product:printing-paper",
        150000.0,
        "collector",
    ),
)

# Supply offers of the designed loops and gaps, fixed rather than drawn at random.
# (org short, product, business model, condition, includesTakeBack)
DESIGNED_SUPPLY: tuple[tuple[str, str, str, str, bool], ...] = (
    ("chair-lease-hasselt", "office-chair", "lease", "new", True),
    ("office-refurb-hasselt", "office-chair", "sale", "refurbished", True),
    ("chair-rental-gent", "office-chair", "lease", "new", False),
    ("office-refurb-kortrijk", "office-desk", "sale", "refurbished", True),
    ("office-refurb-kortrijk", "office-cabinet", "sale", "refurbished", True),
    ("workwear-supply-aalst", "workwear", "sale", "new", False),
    ("safety-wear-brugge", "hi-vis-rainwear", "sale", "new", False),
    ("light-as-a-service-antwerpen", "luminaire", "product-as-a-service", "new", True),
    ("carpet-mills-oudenaarde", "carpet-tile", "sale", "new", True),
    ("it-refurb-leuven", "laptop", "sale", "refurbished", False),
    ("device-as-a-service-mechelen", "laptop", "lease", "new", True),
)

# Internal surplus of buyers: (org short, product, quantity, business model)
SURPLUS: tuple[tuple[str, str, float, str], ...] = (
    ("municipality-aalst", "office-chair", 40.0, "credits-exchange"),
    ("regional-office-halle", "office-desk", 85.0, "credits-exchange"),
    ("hospital-kortrijk", "office-cabinet", 24.0, "sale"),
    ("university-leuven", "monitor", 150.0, "sale"),
    ("school-group-antwerpen", "meeting-table", 12.0, "credits-exchange"),
    ("provincial-services-hasselt", "printing-paper", 300.0, "credits-exchange"),
    ("city-services-gent", "workwear", 220.0, "credits-exchange"),
    ("regional-police-turnhout", "safety-shoes", 60.0, "sale"),
    ("care-home-ieper", "reusable-tableware", 400.0, "credits-exchange"),
)


@dataclass(frozen=True)
class NeedSpec:
    """A buyer's request."""

    slug: str
    org: str
    product: str
    quantity: float
    town: str
    max_km: float
    needed_by: str
    models: tuple[str, ...]
    period_months: int | None = None
    max_rank: int | None = None
    strategies: tuple[str, ...] = ()
    certifications: tuple[str, ...] = ()
    tco_years: float | None = None


NEEDS: tuple[NeedSpec, ...] = (
    NeedSpec(
        "gent-office-chairs-lease",
        "city-services-gent",
        "office-chair",
        120.0,
        "gent",
        50.0,
        "2026-09-01",
        ("lease", "product-as-a-service"),
        60,
        5,
        tco_years=5.0,
    ),
    NeedSpec(
        "genk-office-chairs-lease",
        "regional-hospital-genk",
        "office-chair",
        250.0,
        "genk",
        50.0,
        "2026-10-01",
        ("lease",),
        60,
        5,
        tco_years=5.0,
    ),
    NeedSpec(
        "hasselt-reusable-tableware",
        "provincial-services-hasselt",
        "reusable-tableware",
        2000.0,
        "hasselt",
        40.0,
        "2026-06-01",
        ("pooling", "sale"),
        36,
        5,
    ),
    NeedSpec(
        "tongeren-reusable-tableware",
        "cultural-centre-tongeren",
        "reusable-tableware",
        800.0,
        "tongeren",
        30.0,
        "2026-05-01",
        ("pooling", "lease", "sale"),
        24,
        5,
    ),
    NeedSpec(
        "kortrijk-refurbished-desks",
        "hospital-kortrijk",
        "office-desk",
        60.0,
        "kortrijk",
        60.0,
        "2026-07-01",
        ("sale", "buy-back"),
        None,
        5,
        ("refurbish", "reuse"),
    ),
    NeedSpec(
        "leuven-laptops",
        "university-leuven",
        "laptop",
        300.0,
        "leuven",
        80.0,
        "2026-08-15",
        ("lease", "sale", "product-as-a-service"),
        36,
        5,
        (),
        ("tco-certified",),
        4.0,
    ),
    NeedSpec(
        "antwerpen-luminaires",
        "school-group-antwerpen",
        "luminaire",
        800.0,
        "antwerpen",
        80.0,
        "2027-01-01",
        ("product-as-a-service", "lease"),
        120,
        6,
        tco_years=10.0,
    ),
    NeedSpec(
        "mechelen-carpet-tiles",
        "social-housing-mechelen",
        "carpet-tile",
        4000.0,
        "mechelen",
        100.0,
        "2026-11-01",
        ("sale", "buy-back", "lease"),
        None,
        8,
        (),
        ("cradle-to-cradle",),
    ),
    NeedSpec(
        "brugge-workwear",
        "water-utility-brugge",
        "workwear",
        500.0,
        "brugge",
        100.0,
        "2026-09-15",
        ("sale", "product-as-a-service"),
        48,
        8,
        (),
        ("oeko-tex",),
        4.0,
    ),
    NeedSpec(
        "oostende-hi-vis-rainwear",
        "port-services-oostende",
        "hi-vis-rainwear",
        150.0,
        "oostende",
        100.0,
        "2026-10-15",
        ("sale", "lease"),
        None,
        8,
    ),
    NeedSpec(
        "sint-truiden-reclaimed-bricks",
        "construction-sint-truiden",
        "reclaimed-brick",
        20000.0,
        "sint-truiden",
        120.0,
        "2027-03-01",
        ("sale",),
        None,
        3,
        ("reuse",),
    ),
    NeedSpec(
        "ieper-catering",
        "care-home-ieper",
        "catering-meal",
        50000.0,
        "ieper",
        60.0,
        "2026-12-01",
        ("sale", "product-as-a-service"),
        36,
    ),
    NeedSpec(
        "halle-printing-paper",
        "regional-office-halle",
        "printing-paper",
        2000.0,
        "halle",
        150.0,
        "2026-06-30",
        ("sale",),
        12,
        8,
        (),
        ("fsc",),
    ),
    NeedSpec(
        "aalst-smartphones",
        "municipality-aalst",
        "smartphone",
        80.0,
        "aalst",
        80.0,
        "2026-09-01",
        ("sale", "lease"),
        36,
        5,
        ("refurbish",),
    ),
    NeedSpec(
        "mechelen-gypsum-boards",
        "social-housing-mechelen",
        "gypsum-board",
        1500.0,
        "mechelen",
        60.0,
        "2027-02-01",
        ("sale",),
        None,
        8,
    ),
    NeedSpec(
        "kortrijk-compostable-tableware",
        "hospital-kortrijk",
        "compostable-tableware",
        2000.0,
        "kortrijk",
        50.0,
        "2026-09-01",
        ("sale",),
        12,
    ),
    NeedSpec(
        "hasselt-compostable-tableware",
        "provincial-services-hasselt",
        "compostable-tableware",
        1500.0,
        "hasselt",
        40.0,
        "2026-09-01",
        ("sale",),
        12,
    ),
    NeedSpec(
        "turnhout-safety-shoes",
        "regional-police-turnhout",
        "safety-shoes",
        180.0,
        "turnhout",
        120.0,
        "2026-08-01",
        ("sale", "lease"),
        24,
        8,
        (),
        ("oeko-tex",),
    ),
)


# --------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------


@dataclass
class Market:
    """The generated market and its counters."""

    doc: TurtleDoc = field(default_factory=TurtleDoc)
    towns: dict[str, tuple[float, float]] = field(default_factory=dict)
    offers: int = 0
    #: Lease and product-as-a-service offers: (offer, org, product, take-back promised).
    leases: list[tuple[str, str, str, bool]] = field(default_factory=list)
    #: (org, product type) -> the strategy of the org's own processing offer accepting it.
    processing: dict[tuple[str, str], str] = field(default_factory=dict)


def load_towns(path: Path) -> dict[str, tuple[float, float]]:
    """Town slug -> (lat, long) from places.ttl."""
    graph = Graph()
    graph.parse(path, format="turtle")
    towns: dict[str, tuple[float, float]] = {}
    places = {s for s in graph.subjects(RDF.type, KL.Place) if isinstance(s, URIRef)}
    for subject in sorted(places):
        lat, long = graph.value(subject, KL.lat), graph.value(subject, KL.long)
        if isinstance(subject, URIRef) and isinstance(lat, Literal) and isinstance(long, Literal):
            towns[str(subject).removeprefix(PLACE_NS)] = (float(lat), float(long))
    return towns


def model_names(path: Path = DATA / "codelists" / "business-models.ttl") -> dict[str, str]:
    """Business-model slug -> its Dutch name in the code list (lower case, as in a label)."""
    graph = Graph()
    graph.parse(path, format="turtle")
    names = {}
    for concept, name in graph.subject_objects(SKOS.prefLabel):
        if isinstance(name, Literal) and name.language == "nl":
            names[str(concept).rsplit("/", 1)[-1]] = str(name).lower()
    return names


#: The business models' Dutch names, for the Dutch labels of offers.
MODEL_NL = model_names()


def site_of(org: Org) -> str:
    return f"exsite:{org.short}"


def add_dataset(market: Market) -> None:
    doc = market.doc
    doc.add(DATASET, "a", "prov:Entity")
    doc.add(DATASET, "dcterms:title", text("Illustrative circular-procurement market (fictional)"))
    doc.add(
        DATASET,
        "dcterms:title",
        text("Illustratieve markt voor circulair aankopen (fictief)", "nl"),
    )
    doc.add(DATASET, "dcterms:source", FICTIONAL)
    doc.add(
        DATASET,
        "rdfs:comment",
        text(
            "Every organisation, offer, need, flow and claim in this graph is invented to "
            "demonstrate matchmaking and gap analysis; names contain the word Example. Towns, "
            "code lists and CPV codes are real. Prices, quantities and CO2e figures are "
            "plausible but illustrative."
        ),
    )
    doc.add(DATASET, "prov:wasGeneratedBy", "exdata:build-market")
    doc.add("exdata:build-market", "a", "prov:Activity")
    doc.add("exdata:build-market", "rdfs:label", text("Run of data/scripts/build_market.py"))
    doc.add("exdata:build-market", "prov:wasAssociatedWith", "exdata:build-market-script")
    doc.add("exdata:build-market", "prov:used", "exdata:places")
    doc.add("exdata:places", "a", "prov:Entity")
    doc.add("exdata:places", "rdfs:label", text("data/places.ttl (town coordinates)"))
    doc.add("exdata:build-market-script", "a", "prov:SoftwareAgent")
    doc.add("exdata:build-market-script", "rdfs:label", text("data/scripts/build_market.py"))


def add_orgs(market: Market) -> None:
    doc = market.doc
    for org in (*ORGS, *BIO_ORGS):
        subject = f"exorg:{org.short}"
        site = site_of(org)
        rng = random.Random(f"site:{org.slug}")
        lat, long = market.towns[org.town]
        doc.add(subject, "a", "kl:Organisation")
        doc.add(subject, "rdfs:label", text(org.name))
        doc.add(subject, "kl:hasSite", site)
        doc.add(subject, "prov:wasDerivedFrom", DATASET)
        doc.add(site, "a", "kl:Site")
        doc.add(site, "rdfs:label", text(f"{org.name}, main site"))
        doc.add(site, "kl:place", f"place:{org.town}")
        doc.add(site, "kl:lat", dec(lat + rng.uniform(-0.01, 0.01), 4))
        doc.add(site, "kl:long", dec(long + rng.uniform(-0.01, 0.01), 4))
        for role, product in org.roles:
            part = f"expart:{org.short}-{role}" + (f"-{product}" if product else "")
            doc.add(subject, "kl:playsRole", part)
            doc.add(part, "a", "kl:RoleParticipation")
            doc.add(part, "kl:role", f"role:{role}")
            doc.add(part, "kl:atSite", site)
            if product:
                doc.add(part, "kl:forProductType", f"product:{product}")


def _validity(rng: random.Random) -> tuple[str, str]:
    start_month = rng.randint(1, 6)
    end_year = rng.choice((2027, 2027, 2028))
    end_month = rng.choice((6, 12))
    return (
        f"2026-{start_month:02d}-01",
        f"{end_year}-{end_month:02d}-{30 if end_month == 6 else 31}",
    )


#: Business models whose offer is ranked by what its way back guarantees, not by the model.
USE_MODELS = ("lease", "product-as-a-service", "pay-per-use")


def _strategy(model: str, condition: str) -> str | None:
    """The strategy a supply offer realises by itself; ``None`` for a lease or a service on
    new products, which is ranked by its take-back (`settle_lease_strategies`)."""
    if condition == "refurbished":
        return "refurbish"
    if condition == "remanufactured":
        return "remanufacture"
    if condition == "used":
        return "reuse"
    if model in USE_MODELS:
        return None
    if model == "pooling":
        return "rethink"
    return "reduce"


def settle_lease_strategies(market: Market) -> None:
    """A lease or product-as-a-service offer of new products guarantees what its way back
    does: the strategy of the supplier's own processing offer for the product type when the
    supplier takes the product back, else no strategy (a take-back flag alone is a promise)."""
    for offer, org, product, take_back in market.leases:
        strategy = market.processing.get((org, product)) if take_back else None
        if strategy is not None:
            market.doc.add(offer, "kl:strategy", f"strategy:{strategy}")


def add_claims(market: Market, offer: str, org: Org, product: str, rng: random.Random) -> None:
    doc = market.doc
    schemes = SCHEMES[product]
    if schemes:
        chosen = sorted(rng.sample(schemes, k=min(len(schemes), rng.choice((1, 1, 2)))))
        for scheme in chosen:
            claim = f"exclaim:{offer.removeprefix('exoffer:')}-{scheme}"
            doc.add(offer, "kl:claim", claim)
            doc.add(claim, "a", "kl:Claim")
            doc.add(claim, "kl:scheme", f"cert:{scheme}")
            doc.add(claim, "kl:verificationLevel", "vl:third-party")
            verifier = rng.choice(("certification-services-mechelen", "inspection-bureau-gent"))
            doc.add(claim, "kl:verifiedBy", f"exorg:{verifier}")
            doc.add(claim, "kl:evidence", anyuri(f"{EX}evidence/{claim.removeprefix('exclaim:')}"))
            doc.add(claim, "kl:validUntil", date(f"{rng.choice((2027, 2028, 2029))}-12-31"))
    else:
        claim = f"exclaim:{offer.removeprefix('exoffer:')}-declaration"
        doc.add(offer, "kl:claim", claim)
        doc.add(claim, "a", "kl:Claim")
        doc.add(
            claim,
            "rdfs:label",
            text(f"Supplier's declaration of origin and condition ({org.name})"),
        )
        doc.add(claim, "kl:verificationLevel", "vl:self-declared")
        doc.add(claim, "kl:evidence", anyuri(f"{EX}evidence/{claim.removeprefix('exclaim:')}"))


def add_supply_offer(
    market: Market,
    org: Org,
    product: str,
    model: str,
    condition: str,
    *,
    take_back: bool,
    rng: random.Random,
    validity: tuple[str, str] | None = None,
) -> str:
    """One supply offer with prices and terms that fit its business model and condition.

    ``validity`` (first and last day) fixes the period in which the offer is valid; without,
    it is drawn.
    """
    doc = market.doc
    price, category, label_en, label_nl = PRODUCTS[product]
    offer = f"exoffer:{org.short}-{product}-{model}"
    if condition != "new":
        offer += f"-{condition}"
    market.offers += 1
    factor = {"new": 1.0, "refurbished": 0.45, "remanufactured": 0.6, "used": 0.3}[condition]
    unit_price = price * factor * rng.uniform(0.85, 1.15)
    doc.add(offer, "a", "kl:SupplyOffer")
    doc.add(
        offer, "rdfs:label", text(f"{label_en.capitalize()}, {condition}, {model} ({org.name})")
    )
    name_nl = f"{label_nl.capitalize()}, {MODEL_NL[model]} ({org.name})"
    doc.add(offer, "rdfs:label", text(name_nl, "nl"))
    doc.add(offer, "kl:offeredBy", f"exorg:{org.short}")
    doc.add(offer, "kl:fromSite", site_of(org))
    doc.add(offer, "kl:businessModel", f"bm:{model}")
    strategy = _strategy(model, condition)
    if strategy is not None:
        doc.add(offer, "kl:strategy", f"strategy:{strategy}")
    elif model in USE_MODELS:
        market.leases.append((offer, org.short, product, take_back))
    doc.add(offer, "kl:itemOffered", f"product:{product}")
    doc.add(offer, "kl:condition", f"condition:{condition}")
    doc.add(offer, "kl:unit", "unit:NUM")
    big = price < 20.0
    available = rng.choice((2000, 5000, 10000, 25000)) if big else rng.choice((50, 120, 300, 800))
    doc.add(offer, "kl:availableQuantity", dec(available, 1))
    doc.add(offer, "kl:minimumQuantity", dec(max(1, available // rng.choice((10, 20, 50))), 1))
    valid_from, valid_through = validity or _validity(rng)
    doc.add(offer, "kl:validFrom", date(valid_from))
    doc.add(offer, "kl:validThrough", date(valid_through))
    doc.add(offer, "kl:includesTakeBack", "true" if take_back else "false")
    if model in ("sale", "buy-back"):
        doc.add(offer, "kl:unitPrice", dec(unit_price))
        doc.add(offer, "kl:endOfLifeCost", dec(0.0 if take_back else price * 0.03))
    if model == "buy-back":
        doc.add(offer, "kl:residualValue", dec(unit_price * rng.uniform(0.12, 0.25)))
    if model in ("lease", "product-as-a-service", "pooling"):
        term = (
            rng.choice((36, 48, 60)) if model != "product-as-a-service" else rng.choice((60, 120))
        )
        margin = 1.25 if model == "product-as-a-service" else 1.1
        doc.add(offer, "kl:monthlyFee", dec(unit_price * margin / term))
        doc.add(offer, "kl:termMonths", str(term))
        doc.add(offer, "kl:endOfLifeCost", dec(0.0))
    doc.add(offer, "kl:maintenanceCostPerYear", dec(price * rng.uniform(0.01, 0.05)))
    if condition != "new" and product in CO2E_REUSE:
        doc.add(
            offer, "kl:co2eAvoidedKgPerUnit", dec(CO2E_REUSE[product] * rng.uniform(0.8, 1.1), 1)
        )
    if condition == "new" and category in ("workwear", "flooring", "paper", "construction"):
        doc.add(offer, "kl:recycledContent", dec(rng.choice((0.1, 0.2, 0.3, 0.5, 1.0)), 2))
    features = DESIGN_FEATURES.get(product, ())
    if features:
        doc.add(offer, "kl:designFeature", f"df:{rng.choice(features)}")
    add_claims(market, offer, org, product, rng)
    return offer


def add_processing_offer(
    market: Market,
    org: Org,
    role: str,
    products: list[str],
    rng: random.Random,
    *,
    capacity_kg: float | None = None,
    validity: tuple[str, str] | None = None,
) -> None:
    """One processing offer (and its process) for all products the org processes in a role.

    With ``capacity_kg`` the capacity is that many kilograms a year (kl:unit unit:KiloGM);
    without, a drawn number of pieces (no kl:unit: pieces are the default). ``validity`` as
    for `add_supply_offer`.
    """
    doc = market.doc
    process_class, strategy, model = process_of(org.short, role)
    kind = process_class.lower()
    offer = f"exoffer:{org.short}-{kind}"
    process = f"exproc:{org.short}-{kind}"
    market.offers += 1
    materials, outputs = RECYCLER_MATERIALS.get(org.short, ((), ()))
    if org.short in MATERIAL_ONLY:
        products = []
    names = ", ".join([PRODUCTS[p][2] for p in products] + [m.replace("-", " ") for m in materials])
    doc.add(offer, "a", "kl:ProcessingOffer")
    display = {"TakeBack": "Take-back"}.get(process_class, process_class)
    doc.add(offer, "rdfs:label", text(f"{display} of {names} ({org.name})"))
    doc.add(offer, "kl:offeredBy", f"exorg:{org.short}")
    doc.add(offer, "kl:fromSite", site_of(org))
    doc.add(offer, "kl:businessModel", f"bm:{model}")
    if role == "collector" and "buy-back" in SUPPLY_MODELS.get(products[0], ()):
        doc.add(offer, "kl:businessModel", "bm:buy-back")
    doc.add(offer, "kl:strategy", f"strategy:{strategy}")
    for product in products:
        market.processing.setdefault((org.short, product), strategy)
    doc.add(offer, "kl:process", process)
    doc.add_all(offer, "kl:acceptsProductType", (f"product:{p}" for p in products))
    doc.add_all(offer, "kl:acceptsMaterial", (f"material:{m}" for m in materials))
    doc.add(offer, "kl:serviceRadiusKm", dec(rng.choice((40, 60, 80, 120)), 1))
    if capacity_kg is None:
        doc.add(offer, "kl:capacityPerYear", dec(rng.choice((500, 2000, 10000, 50000)), 1))
    else:
        doc.add(offer, "kl:capacityPerYear", dec(capacity_kg, 1))
        doc.add(offer, "kl:unit", "unit:KiloGM")
    valid_from, valid_through = validity or _validity(rng)
    doc.add(offer, "kl:validFrom", date(valid_from))
    doc.add(offer, "kl:validThrough", date(valid_through))
    doc.add(process, "a", f"kl:{process_class}")
    doc.add(process, "rdfs:label", text(f"{display} at {org.name}"))
    doc.add(process, "kl:performedBy", f"exorg:{org.short}")
    doc.add_all(process, "kl:input", (f"product:{p}" for p in products))
    doc.add_all(process, "kl:input", (f"material:{m}" for m in materials))
    if role in ("recycler", "composter"):
        doc.add_all(process, "kl:output", (f"material:{m}" for m in outputs))
    else:
        doc.add_all(process, "kl:output", (f"product:{p}" for p in products))


# Product types whose suppliers never promise take-back outside the designed offers, so that
# the designed gaps stay open (see data/market/README.md).
NO_TAKE_BACK = frozenset({"office-chair", "hi-vis-rainwear", "reusable-tableware"})


def _promises_take_back(product: str, model: str, rng: random.Random) -> bool:
    """Whether a generated supply offer includes take-back by the supplier."""
    if product in NO_TAKE_BACK:
        return False
    if model == "buy-back":
        return True
    if model in ("lease", "product-as-a-service"):
        return rng.random() < 0.6
    return False


def add_offers(market: Market, rng: random.Random) -> None:
    designed = {(o, p, m, c): t for o, p, m, c, t in DESIGNED_SUPPLY}
    for (short, item, model, condition), take_back in sorted(designed.items()):
        add_supply_offer(
            market, ORG_BY_SHORT[short], item, model, condition, take_back=take_back, rng=rng
        )
    for org in ORGS:
        processing: dict[str, list[str]] = {}
        for role, product in org.roles:
            if product is None:
                continue
            if role in PROCESS_OF_ROLE:
                processing.setdefault(role, []).append(product)
                continue
            if role not in ("supplier", "sharing-platform"):
                continue
            condition = "new"
            if any(r == "refurbisher" and p == product for r, p in org.roles):
                condition = "refurbished"
            elif any(r == "remanufacturer" and p == product for r, p in org.roles):
                condition = "remanufactured"
            elif product in ("reclaimed-brick",) or (
                product == "concrete-element" and org.short == "concrete-reuse-diest"
            ):
                condition = "used"
            models = ("pooling",) if role == "sharing-platform" else SUPPLY_MODELS[product]
            count = 1 if role == "sharing-platform" else min(len(models), rng.choice((2, 2, 3)))
            for model in models[:count]:
                if (org.short, product, model, condition) in designed:
                    continue
                add_supply_offer(
                    market,
                    org,
                    product,
                    model,
                    condition,
                    take_back=_promises_take_back(product, model, rng),
                    rng=rng,
                )
        for role in sorted(processing):
            add_processing_offer(market, org, role, processing[role], rng)


def add_surplus(market: Market, rng: random.Random) -> None:
    doc = market.doc
    for short, product, quantity, model in SURPLUS:
        org = ORG_BY_SHORT[short]
        offer = f"exoffer:{short}-surplus-{product}"
        market.offers += 1
        label = PRODUCTS[product][2]
        doc.add(offer, "a", "kl:InternalSurplus")
        doc.add(offer, "rdfs:label", text(f"Surplus {label} in stock at {org.name}"))
        doc.add(offer, "kl:offeredBy", f"exorg:{short}")
        doc.add(offer, "kl:fromSite", site_of(org))
        doc.add(offer, "kl:businessModel", f"bm:{model}")
        doc.add(offer, "kl:strategy", "strategy:refuse")
        doc.add(offer, "kl:itemOffered", f"product:{product}")
        doc.add(offer, "kl:condition", "condition:used")
        doc.add(offer, "kl:unit", "unit:NUM")
        doc.add(offer, "kl:availableQuantity", dec(quantity, 1))
        doc.add(offer, "kl:minimumQuantity", dec(1, 1))
        if model == "sale":
            doc.add(offer, "kl:unitPrice", dec(0.0))
        doc.add(offer, "kl:availableFrom", date("2026-01-15"))
        doc.add(offer, "kl:availableUntil", date(f"2026-{rng.choice((6, 9, 12)):02d}-30"))
        doc.add(offer, "kl:validFrom", date("2026-01-15"))
        doc.add(offer, "kl:validThrough", date("2026-12-31"))
        doc.add(offer, "kl:includesTakeBack", "false")
        if product in CO2E_REUSE:
            doc.add(offer, "kl:co2eAvoidedKgPerUnit", dec(CO2E_REUSE[product], 1))


def add_flows(market: Market) -> None:
    doc = market.doc
    for sender, receiver, what, quantity, via in FORWARD_FLOWS:
        flow = f"exflow:{sender}-to-{receiver}-{what.split(':')[1]}"
        doc.add(flow, "a", "kl:Flow")
        names = (ORG_BY_SHORT[sender].name, ORG_BY_SHORT[receiver].name)
        thing = what.split(":")[1].replace("-", " ")
        doc.add(flow, "rdfs:label", text(f"Delivery of {thing} from {names[0]} to {names[1]}"))
        doc.add(flow, "kl:flowFrom", f"exorg:{sender}")
        doc.add(flow, "kl:flowTo", f"exorg:{receiver}")
        doc.add(flow, "kl:flowOf", what)
        doc.add(flow, "kl:quantity", dec(quantity, 1))
        doc.add(flow, "kl:unit", "unit:KiloGM" if what.startswith("material:") else "unit:NUM")
        if via is not None:
            doc.add(flow, "kl:viaProcess", f"exproc:{sender}-{process_of(sender, via)[0].lower()}")
    for processor, producer, what, quantity in RETURN_FLOWS:
        org = ORG_BY_SHORT[processor]
        role = next(r for r, _ in org.roles if r in PROCESS_OF_ROLE)
        process = f"exproc:{processor}-{process_of(processor, role)[0].lower()}"
        flow = f"exflow:{processor}-returns-{what.split(':')[1]}-to-{producer}"
        thing = what.split(":")[1].replace("-", " ")
        doc.add(flow, "a", "kl:ReturnFlow")
        doc.add(
            flow,
            "rdfs:label",
            text(f"Return of {thing} from {org.name} to {ORG_BY_SHORT[producer].name}"),
        )
        doc.add(flow, "kl:flowFrom", f"exorg:{processor}")
        doc.add(flow, "kl:flowTo", f"exorg:{producer}")
        doc.add(flow, "kl:flowOf", what)
        doc.add(flow, "kl:viaProcess", process)
        doc.add(flow, "kl:quantity", dec(quantity, 1))
        doc.add(flow, "kl:unit", "unit:KiloGM" if what.startswith("material:") else "unit:NUM")


def add_needs(market: Market) -> None:
    doc = market.doc
    for need in NEEDS:
        subject = f"exneed:{need.slug}"
        org = ORG_BY_SHORT[need.org]
        lat, long = market.towns[need.town]
        doc.add(subject, "a", "kl:Need")
        doc.add(
            subject, "rdfs:label", text(f"{PRODUCTS[need.product][2].capitalize()} for {org.name}")
        )
        doc.add(subject, "kl:requestedBy", f"exorg:{need.org}")
        doc.add(subject, "kl:requestsProductType", f"product:{need.product}")
        doc.add(subject, "kl:quantity", dec(need.quantity, 1))
        doc.add(subject, "kl:unit", "unit:NUM")
        doc.add(subject, "kl:atPlace", f"place:{need.town}")
        doc.add(subject, "kl:lat", dec(lat, 4))
        doc.add(subject, "kl:long", dec(long, 4))
        doc.add(subject, "kl:maxDistanceKm", dec(need.max_km, 1))
        doc.add(subject, "kl:neededBy", date(need.needed_by))
        doc.add_all(subject, "kl:acceptsBusinessModel", (f"bm:{m}" for m in need.models))
        doc.add_all(subject, "kl:requiresStrategy", (f"strategy:{s}" for s in need.strategies))
        doc.add_all(subject, "kl:requiresCertification", (f"cert:{c}" for c in need.certifications))
        if need.period_months is not None:
            doc.add(subject, "kl:periodMonths", str(need.period_months))
        if need.max_rank is not None:
            doc.add(subject, "kl:maxRRank", str(need.max_rank))
        if need.tco_years is not None:
            doc.add(subject, "kl:tcoHorizonYears", dec(need.tco_years, 1))


# The period in which the offers and flows of the biological loop are valid.
BIO_VALIDITY = ("2026-01-01", "2028-12-31")

# Flows of the biological loop, each valid over BIO_VALIDITY:
# (from short, to short, what, kilograms or pieces per year, return flow from a composter?)
BIO_FLOWS: tuple[tuple[str, str, str, float, bool], ...] = (
    (
        "compostable-cups-harelbeke",
        "hospital-kortrijk",
        "product:compostable-tableware",
        40000.0,
        False,
    ),
    ("composting-izegem", "farm-cooperative-deinze", "material:compost", 300000.0, True),
    ("farm-cooperative-deinze", "bioplastics-ertvelde", "material:maize", 900000.0, False),
    ("bioplastics-ertvelde", "compostable-cups-harelbeke", "material:pla", 60000.0, False),
)


def add_biological_loop(market: Market) -> None:
    """The designed biological loop and its open counterpart (see data/market/README.md)."""
    doc = market.doc
    rng = random.Random(f"{SEED}:biological-loop")
    cups = ORG_BY_SHORT["compostable-cups-harelbeke"]
    offer = add_supply_offer(
        market,
        cups,
        "compostable-tableware",
        "sale",
        "new",
        take_back=False,
        rng=rng,
        validity=BIO_VALIDITY,
    )
    doc.add(offer, "kl:serviceRadiusKm", dec(80, 1))  # its delivery area
    doc.add(offer, "kl:availableFrom", date("2026-02-01"))
    add_supply_offer(
        market,
        ORG_BY_SHORT["event-cups-hasselt"],
        "compostable-tableware",
        "sale",
        "new",
        take_back=False,
        rng=rng,
        validity=BIO_VALIDITY,
    )
    for short, capacity in (
        ("composting-izegem", 600000.0),
        ("green-waste-composting-tongeren", 250000.0),
    ):
        org = ORG_BY_SHORT[short]
        add_processing_offer(
            market,
            org,
            "composter",
            ["compostable-tableware"],
            rng,
            capacity_kg=capacity,
            validity=BIO_VALIDITY,
        )
    valid_from, valid_through = BIO_VALIDITY
    for sender, receiver, what, quantity, is_return in BIO_FLOWS:
        thing = what.split(":")[1]
        names = (ORG_BY_SHORT[sender].name, ORG_BY_SHORT[receiver].name)
        label = thing.replace("-", " ")
        if is_return:
            flow = f"exflow:{sender}-returns-{thing}-to-{receiver}"
            doc.add(flow, "a", "kl:ReturnFlow")
            doc.add(flow, "rdfs:label", text(f"Return of {label} from {names[0]} to {names[1]}"))
            doc.add(flow, "kl:viaProcess", f"exproc:{sender}-composting")
        else:
            flow = f"exflow:{sender}-to-{receiver}-{thing}"
            doc.add(flow, "a", "kl:Flow")
            doc.add(flow, "rdfs:label", text(f"Delivery of {label} from {names[0]} to {names[1]}"))
        doc.add(flow, "kl:flowFrom", f"exorg:{sender}")
        doc.add(flow, "kl:flowTo", f"exorg:{receiver}")
        doc.add(flow, "kl:flowOf", what)
        doc.add(flow, "kl:quantity", dec(quantity, 1))
        doc.add(flow, "kl:unit", "unit:KiloGM" if what.startswith("material:") else "unit:NUM")
        doc.add(flow, "kl:validFrom", date(valid_from))
        doc.add(flow, "kl:validThrough", date(valid_through))


HEADER = """# GENERATED by data/scripts/build_market.py -- do not edit by hand; rerun the script.
#
# An illustrative, visibly fictional circular-procurement market in Flanders: organisations
# (names contain "Example", IRIs under https://example.org/kringloop/id/), their sites in real
# towns, the roles they play per product type, supply and processing offers, processes, flows
# and return flows, internal surplus and needs. Designed closed loops and designed gaps are
# listed in data/market/README.md."""


def build(places: Path) -> tuple[str, int]:
    """Return the Turtle text of the market and the number of offers in it."""
    market = Market(towns=load_towns(places))
    rng = random.Random(SEED)
    add_dataset(market)
    add_orgs(market)
    add_offers(market, rng)
    add_surplus(market, rng)
    add_flows(market)
    add_biological_loop(market)
    add_needs(market)
    settle_lease_strategies(market)
    return market.doc.serialize(HEADER), market.offers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the illustrative market (market.ttl).")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output Turtle file")
    parser.add_argument("--places", type=Path, default=DEFAULT_PLACES, help="places Turtle file")
    args = parser.parse_args(argv)
    turtle, offers = build(args.places)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(turtle, encoding="utf-8")
    count = len(ORGS) + len(BIO_ORGS)
    print(f"wrote {args.out}: {count} organisations, {offers} offers", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
