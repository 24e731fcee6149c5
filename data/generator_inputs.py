"""What the market generator reads: places, product types and code lists, plus product profiles.

The code lists and places are read from the bundled Turtle files (``data/codelists/*.ttl``,
``data/places.ttl``) at generation time, so the generator follows the curated data instead of
copying its IRIs. What the curated data does not say (prices, the processes and business models
that make sense for a product type, which labels certify which materials) is in the profiles
below: plausible, rounded figures for fictional data, not market research.

Everything is returned sorted by IRI, so generation never depends on parse or hash order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kringloop.data import DATA_DIR
from kringloop.graph.errors import ConfigError

KL = "https://w3id.org/kringloop/ns#"
ID = "https://w3id.org/kringloop/id/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
#: Kilometres per degree of latitude, as in the named queries' equirectangular distance.
KM_PER_DEGREE = 111.19508

#: Code lists the generator needs, with the slugs it uses from each (the term contract).
REQUIRED_CODES: dict[str, tuple[str, ...]] = {
    "role": (
        "producer", "supplier", "buyer", "user", "collector", "repairer", "refurbisher",
        "remanufacturer", "recycler", "composter", "sharing-platform", "facilitator",
    ),
    "business-model": (
        "sale", "lease", "product-as-a-service", "buy-back", "take-back", "repair-service",
        "pooling",
    ),
    "strategy": (
        "refuse", "rethink", "reduce", "reuse", "repair", "refurbish", "remanufacture", "recycle",
    ),
    "network-role": ("participant", "facilitator"),
    "condition": ("new", "used", "refurbished", "remanufactured"),
    "verification-level": ("self-declared", "second-party", "third-party"),
    "certification": ("eu-ecolabel",),
    "design-feature": ("durable-materials",),
}  # fmt: skip


@dataclass(frozen=True)
class Place:
    """A town sites are placed around."""

    iri: str
    label: str
    lat: float
    long: float
    region: str


@dataclass(frozen=True)
class Component:
    """One material of a product type and its share by mass."""

    material: str
    slug: str
    fraction: float


@dataclass(frozen=True)
class Profile:
    """How a product type is traded and processed (fictional but plausible figures)."""

    unit: str  # QUDT unit local name
    price: float  # EUR per unit, new
    processes: tuple[str, ...]  # process kinds, most usual first
    models: tuple[str, ...]  # supply business models
    features: tuple[str, ...] = ("durable-materials",)
    family: str = "other"  # products a processor or supplier handles together


@dataclass(frozen=True)
class Product:
    """A product type with what the generator needs about it."""

    iri: str
    slug: str
    label: str
    mass: float
    components: tuple[Component, ...]
    profile: Profile
    certifications: tuple[str, ...]  # certification slugs that fit its materials

    @property
    def leaseable(self) -> bool:
        return "lease" in self.profile.models


@dataclass(frozen=True)
class Inputs:
    """Everything read from the bundled data, sorted by IRI."""

    places: tuple[Place, ...]
    products: tuple[Product, ...]
    codes: dict[str, dict[str, str]] = field(default_factory=dict)  # scheme → slug → IRI
    regions: tuple[str, ...] = ()

    def code(self, scheme: str, slug: str) -> str:
        return self.codes[scheme][slug]


_FURNITURE = ("modular", "design-for-disassembly", "standardised-parts", "durable-materials")
_IT = ("modular", "standardised-parts", "durable-materials")
_TEXTILE = ("mono-material", "durable-materials")
_BUILDING = ("design-for-disassembly", "standardised-parts", "durable-materials")
_ALL = "refurbish repair remanufacture recycle collect"
_MOST = "refurbish repair recycle collect"
_LEASE = "sale lease product-as-a-service buy-back"
_SERVICE = "sale lease product-as-a-service"


def _profile(
    family: str, unit: str, price: float, processes: str, models: str, *features: str
) -> Profile:
    return Profile(unit, price, tuple(processes.split()), tuple(models.split()), features, family)


#: Product profiles by product slug; product types not listed borrow one (`default_profile`).
PROFILES: dict[str, Profile] = {
    "office-chair": _profile("furniture", "NUM", 320.0, _ALL, f"{_LEASE} pooling", *_FURNITURE),
    "office-desk": _profile(
        "furniture", "NUM", 450.0, _MOST, "sale lease buy-back pooling", *_FURNITURE
    ),
    "office-cabinet": _profile(
        "furniture", "NUM", 380.0, _MOST, "sale lease buy-back", *_FURNITURE
    ),
    "meeting-table": _profile(
        "furniture",
        "NUM",
        600.0,
        "refurbish repair recycle",
        "sale lease buy-back pooling",
        *_FURNITURE,
    ),
    "office-furniture-set": _profile("furniture", "NUM", 1400.0, _ALL, _LEASE, *_FURNITURE),
    "laptop": _profile("ict", "NUM", 950.0, _MOST, f"{_LEASE} pooling", *_IT),
    "desktop-computer": _profile("ict", "NUM", 800.0, _MOST, _LEASE, *_IT),
    "monitor": _profile("ict", "NUM", 220.0, _MOST, _LEASE, *_IT),
    "printer": _profile(
        "ict", "NUM", 650.0, "remanufacture refurbish repair recycle", _SERVICE, *_IT
    ),
    "smartphone": _profile("ict", "NUM", 450.0, _MOST, _LEASE, *_IT),
    "workwear": _profile("textile", "NUM", 45.0, "collect repair recycle", _SERVICE, *_TEXTILE),
    "hi-vis-rainwear": _profile(
        "textile", "NUM", 70.0, "collect repair recycle", _SERVICE, *_TEXTILE
    ),
    "safety-shoes": _profile(
        "textile", "NUM", 85.0, "repair collect recycle", "sale lease", *_TEXTILE
    ),
    "luminaire": _profile(
        "lighting",
        "NUM",
        180.0,
        _ALL,
        _SERVICE,
        "modular",
        "standardised-parts",
        "design-for-disassembly",
    ),
    "carpet-tile": _profile(
        "flooring",
        "M2",
        28.0,
        "remanufacture recycle collect",
        _SERVICE,
        "mono-material",
        "design-for-disassembly",
    ),
    "reusable-tableware": _profile(
        "catering",
        "NUM",
        6.0,
        "collect recycle",
        "sale pooling product-as-a-service",
        "mono-material",
        "durable-materials",
    ),
    "catering-meal": _profile("catering", "NUM", 7.5, "collect recycle", "sale"),
    "compostable-tableware": _profile(
        "catering", "NUM", 0.12, "compost collect", "sale", "mono-material"
    ),
    "gypsum-board": _profile("building", "M2", 9.0, "collect recycle", "sale", "mono-material"),
    "reclaimed-brick": _profile(
        "building", "NUM", 0.9, "collect refurbish recycle", "sale buy-back", "durable-materials"
    ),
    "concrete-element": _profile(
        "building", "NUM", 750.0, "collect refurbish recycle", "sale buy-back lease", *_BUILDING
    ),
    "printing-paper": _profile("paper", "KiloGM", 1.6, "collect recycle", "sale"),
}
#: For product types without a profile: the profile to borrow, by CPV division.
BORROW_BY_CPV_DIVISION = {
    "18": "workwear", "30": "monitor", "31": "luminaire", "32": "smartphone",
    "39": "office-cabinet", "44": "gypsum-board", "55": "catering-meal",
}  # fmt: skip

#: Certification schemes that fit a material (by material slug); others get the general ones.
CERTIFICATIONS_BY_MATERIAL: dict[str, tuple[str, ...]] = {
    "electronics": ("tco-certified", "epeat", "eu-ecolabel", "blauer-engel"),
    "copper": ("tco-certified", "epeat"),
    "wood": ("fsc", "pefc", "eu-ecolabel", "cradle-to-cradle"),
    "paper": ("fsc", "pefc", "eu-ecolabel", "blauer-engel", "nordic-swan"),
    "cotton": ("oeko-tex", "eu-ecolabel", "cradle-to-cradle"),
    "wool": ("oeko-tex", "eu-ecolabel"),
    "polyester": ("oeko-tex", "eu-ecolabel", "cradle-to-cradle"),
    "textile-mix": ("oeko-tex", "eu-ecolabel", "nordic-swan"),
    "nylon-yarn": ("cradle-to-cradle", "eu-ecolabel"),
    "food-waste": ("nordic-swan", "eu-ecolabel"),
}
GENERAL_CERTIFICATIONS = ("eu-ecolabel", "cradle-to-cradle", "blauer-engel", "nordic-swan")


def default_profile(mass: float, cpv: str = "") -> Profile:
    """The profile of a product type the table does not know: that of a product type in the
    same CPV division, else sold, collected and recycled at a price set by its mass.

    >>> default_profile(2.0, "http://data.europa.eu/cpv/cpv/18143000").family
    'textile'
    >>> default_profile(2.0).price
    40.0
    """
    borrowed = BORROW_BY_CPV_DIVISION.get(cpv.rsplit("/", 1)[-1][:2])
    if borrowed:
        return PROFILES[borrowed]
    return Profile("NUM", round(max(5.0, 20.0 * mass), 2), ("collect", "recycle"), ("sale",))


def read_inputs(data_dir: Path = DATA_DIR) -> Inputs:
    """Read places, product types and code lists from the bundled data files."""
    files = sorted((data_dir / "codelists").glob("*.ttl"))
    places_file = data_dir / "places.ttl"
    if not files or not places_file.is_file():
        raise ConfigError(
            f"the generator needs the code lists and places in {data_dir}",
            hint="data/codelists/*.ttl and data/places.ttl must exist",
        )
    store = ox.Store()
    for path in [*files, places_file]:
        store.load(path=path, format=ox.RdfFormat.TURTLE)
    codes = _codes(store)
    for scheme, slugs in REQUIRED_CODES.items():
        missing = [s for s in slugs if s not in codes.get(scheme, {})]
        if missing:
            raise ConfigError(
                f"code list {scheme!r} lacks {', '.join(missing)}",
                hint=f"add them to data/codelists (scheme {ID}{scheme})",
            )
    places = _places(store)
    if not places:
        raise ConfigError("no places with coordinates and a region", hint=str(places_file))
    products = _products(store, set(codes.get("certification", {})))
    if not products:
        raise ConfigError("no product types in the code lists", hint=f"scheme {ID}product")
    regions = tuple(sorted({p.region for p in places}))
    return Inputs(places=places, products=products, codes=codes, regions=regions)


def _rows(store: ox.Store, sparql: str) -> list[dict[str, ox.NamedNode | ox.Literal]]:
    prefixes = (
        f"PREFIX kl: <{KL}> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    )
    solutions = store.query(prefixes + sparql)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    rows = []
    for solution in solutions:
        row = {}
        for name in names:
            term = solution[name]
            if isinstance(term, ox.NamedNode | ox.Literal):
                row[name] = term
        rows.append(row)
    return rows


def _codes(store: ox.Store) -> dict[str, dict[str, str]]:
    codes: dict[str, dict[str, str]] = {}
    for row in _rows(store, "SELECT ?c ?s WHERE { ?c skos:inScheme ?s }"):
        concept, scheme = row["c"].value, row["s"].value
        if concept.startswith(ID) and scheme.startswith(ID):
            kind = scheme[len(ID) :]
            codes.setdefault(kind, {})[concept.rsplit("/", 1)[-1]] = concept
    return {kind: dict(sorted(slugs.items())) for kind, slugs in sorted(codes.items())}


def _best_label(labels: Sequence[ox.Literal], order: Sequence[str]) -> str:
    """The label in the first language of ``order`` ('' = no tag), else the smallest one."""
    for lang in order:
        found = sorted(lit.value for lit in labels if (lit.language or "") == lang)
        if found:
            return found[0]
    return min(lit.value for lit in labels)


def _places(store: ox.Store) -> tuple[Place, ...]:
    rows = _rows(
        store,
        "SELECT ?p ?lat ?long ?region ?label WHERE { ?p a kl:Place ; kl:lat ?lat ; "
        "kl:long ?long ; kl:region ?region ; rdfs:label ?label }",
    )
    found: dict[str, tuple[float, float, str, list[ox.Literal]]] = {}
    for row in rows:
        label = row["label"]
        assert isinstance(label, ox.Literal)
        entry = found.setdefault(
            row["p"].value,
            (float(row["lat"].value), float(row["long"].value), row["region"].value, []),
        )
        entry[3].append(label)
    return tuple(
        Place(iri, _best_label(labels, ("", "nl", "en")), lat, long, region)
        for iri, (lat, long, region, labels) in sorted(found.items())
    )


def _products(store: ox.Store, certifications: set[str]) -> tuple[Product, ...]:
    labels: dict[str, list[ox.Literal]] = {}
    for row in _rows(
        store,
        f"SELECT ?p ?label WHERE {{ ?p a kl:ProductType ; skos:inScheme <{ID}product> . "
        "OPTIONAL { ?p skos:prefLabel ?label } }",
    ):
        entry = labels.setdefault(row["p"].value, [])
        found = row.get("label")
        if isinstance(found, ox.Literal):
            entry.append(found)
    masses = {
        row["p"].value: float(row["m"].value)
        for row in _rows(store, "SELECT ?p ?m WHERE { ?p kl:typicalMassKg ?m }")
    }
    cpvs = {
        row["p"].value: row["c"].value
        for row in _rows(store, "SELECT ?p (MIN(STR(?c)) AS ?c) WHERE { ?p kl:cpv ?c } GROUP BY ?p")
    }
    parts: dict[str, list[Component]] = {}
    for row in _rows(
        store,
        "SELECT ?p ?m ?f WHERE { ?p kl:composition ?c . ?c kl:material ?m ; kl:massFraction ?f }",
    ):
        material = row["m"].value
        parts.setdefault(row["p"].value, []).append(
            Component(material, material.rsplit("/", 1)[-1], float(row["f"].value))
        )
    products = []
    for iri in sorted(labels):
        slug = iri.rsplit("/", 1)[-1]
        mass = masses.get(iri, 1.0)
        components = tuple(sorted(parts.get(iri, []), key=lambda c: (-c.fraction, c.material)))
        label = _best_label(labels[iri], ("en", "", "nl")) if labels[iri] else slug
        schemes: list[str] = []
        for component in components:
            for scheme in CERTIFICATIONS_BY_MATERIAL.get(component.slug, GENERAL_CERTIFICATIONS):
                if scheme in certifications and scheme not in schemes:
                    schemes.append(scheme)
        if not schemes:
            schemes = [s for s in GENERAL_CERTIFICATIONS if s in certifications]
        profile = PROFILES.get(slug) or default_profile(mass, cpvs.get(iri, ""))
        products.append(Product(iri, slug, label, mass, components, profile, tuple(schemes)))
    return tuple(products)


def distance_km(lat1: float, long1: float, lat2: float, long2: float) -> float:
    """Straight-line distance by the equirectangular approximation (as the named queries).

    >>> round(distance_km(50.828, 3.2649, 51.0543, 3.7174), 1)  # Kortrijk - Gent
    40.5
    """
    mean = math.radians((lat1 + lat2) / 2)
    dx = (long2 - long1) * KM_PER_DEGREE * math.cos(mean)
    dy = (lat2 - lat1) * KM_PER_DEGREE
    return math.hypot(dx, dy)
