"""What the import looks up in the store: places, regions, product types by CPV code, codes.

Read once per import (four small queries over the code lists, the CPV subset and the places),
so that a notice's lots map to kringloop's product types, places and regions, and its codes to
the code lists, with the store as the only source.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from kringloop.graph.store import Store, text

KL = "https://w3id.org/kringloop/ns#"
ID = "https://w3id.org/kringloop/id/"
CPV_BASE = "http://data.europa.eu/cpv/cpv/"
#: The code lists whose codes a notice carries (scheme slug → eForms list name).
CODE_LISTS = ("environmental-impact", "gpp-criteria")

_PLACES = """
PREFIX kl: <https://w3id.org/kringloop/ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?place ?label ?postcode ?lat ?long ?region WHERE {
  ?place a kl:Place ; kl:lat ?lat ; kl:long ?long .
  OPTIONAL { ?place rdfs:label ?label }
  OPTIONAL { ?place kl:postcode ?postcode }
  OPTIONAL { ?place kl:region ?region }
}
"""
_REGIONS = """
PREFIX kl: <https://w3id.org/kringloop/ns#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?region ?notation WHERE { ?region a kl:Region ; skos:notation ?notation }
"""
_PRODUCTS = """
PREFIX kl: <https://w3id.org/kringloop/ns#>
SELECT DISTINCT ?product ?cpv WHERE { ?product a kl:ProductType ; kl:cpv ?cpv }
"""
_CODES = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?code ?scheme ?notation WHERE {
  ?code skos:inScheme ?scheme ; skos:notation ?notation
}
"""


def fold(name: str) -> str:
    """A name as it is compared: case, accents and spacing ignored.

    >>> fold("  Bruxelles ") == fold("BRUXELLES")
    True
    """
    decomposed = unicodedata.normalize("NFKD", name.strip().casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


@dataclass(frozen=True)
class Place:
    iri: str
    lat: float
    long: float
    region: str | None


@dataclass
class Lookups:
    """The store's places, regions, product types and codes, as the import needs them."""

    by_postcode: dict[str, list[Place]] = field(default_factory=dict)
    by_name: dict[str, list[Place]] = field(default_factory=dict)
    regions: dict[str, str] = field(default_factory=dict)  # NUTS code → region IRI
    centres: dict[str, tuple[float, float]] = field(default_factory=dict)  # region → mean
    products: dict[str, list[str]] = field(default_factory=dict)  # CPV 8 digits → types
    codes: dict[str, dict[str, str]] = field(default_factory=dict)  # list → notation → IRI

    def place(self, *, postcode: str | None, city: str | None) -> Place | None:
        """The kringloop place of a Belgian address: by postal code (the one whose name is the
        city when several share it), else by name."""
        named = self.by_name.get(fold(city), []) if city else []
        if postcode:
            candidates = self.by_postcode.get(postcode.strip(), [])
            both = [p for p in candidates if p in named]
            if both or candidates:
                return (both or candidates)[0]
        return named[0] if len(named) == 1 else None

    def region(self, nuts: str | None) -> str | None:
        """The region whose NUTS code is the longest prefix of ``nuts`` (BE242 → BE24).

        >>> Lookups(regions={"BE24": "r:fb"}).region("BE242")
        'r:fb'
        """
        if not nuts:
            return None
        code = nuts.strip().upper()
        for length in range(len(code), 2, -1):
            found = self.regions.get(code[:length])
            if found is not None:
                return found
        return None

    def product_types(self, cpv: str) -> list[str]:
        """The product types of ``cpv`` or, failing that, of its nearest broader code that has
        any (the CPV code structure: 39112100 → 39112000 → 39110000 → 39100000 → 39000000).

        >>> Lookups(products={"39112000": ["p:chair"]}).product_types("39112100")
        ['p:chair']
        >>> Lookups(products={"39112000": ["p:chair"]}).product_types("39100000")
        []
        """
        significant = cpv.rstrip("0")
        for length in range(len(significant), 1, -1):
            code = significant[:length].ljust(8, "0")
            if code in self.products:
                return self.products[code]
        return []


def read_lookups(store: Store) -> Lookups:
    """The `Lookups` of ``store`` (over all its graphs)."""
    found = Lookups()
    labels: dict[str, set[str]] = defaultdict(set)
    places: dict[str, Place] = {}
    postcodes: dict[str, set[str]] = defaultdict(set)
    for row in store.select(_PLACES, union_default_graph=True):
        iri = text(row["place"])
        try:
            lat, long = float(text(row["lat"])), float(text(row["long"]))
        except ValueError:
            continue
        region = text(row["region"]) if "region" in row else None
        places.setdefault(iri, Place(iri, lat, long, region))
        if "label" in row:
            labels[fold(text(row["label"]))].add(iri)
        if "postcode" in row:
            postcodes[text(row["postcode"]).strip()].add(iri)
    found.by_name = {k: [places[i] for i in sorted(v)] for k, v in labels.items()}
    found.by_postcode = {k: [places[i] for i in sorted(v)] for k, v in postcodes.items()}
    for row in store.select(_REGIONS, union_default_graph=True):
        found.regions[text(row["notation"]).strip().upper()] = text(row["region"])
    members: dict[str, list[Place]] = defaultdict(list)
    for place in places.values():
        if place.region is not None:
            members[place.region].append(place)
    found.centres = {
        region: (
            round(sum(p.lat for p in ps) / len(ps), 4),
            round(sum(p.long for p in ps) / len(ps), 4),
        )
        for region, ps in members.items()
    }
    products: dict[str, set[str]] = defaultdict(set)
    for row in store.select(_PRODUCTS, union_default_graph=True):
        cpv = text(row["cpv"])
        if cpv.startswith(CPV_BASE):
            products[cpv[len(CPV_BASE) :]].add(text(row["product"]))
    found.products = {k: sorted(v) for k, v in products.items()}
    for row in store.select(_CODES, union_default_graph=True):
        scheme = text(row["scheme"])
        for name in CODE_LISTS:
            if scheme == ID + name:
                found.codes.setdefault(name, {})[text(row["notation"])] = text(row["code"])
    return found
