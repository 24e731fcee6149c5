"""What the loop census reads from the store: supply, processing, producers, flows and needs
of the whole graph, read once by the ``census-*`` stage queries and indexed.

The stage queries hand back only the columns the census uses; every value is turned into a
Python string once, rows become small tuples, and coordinates of places are joined here (43
places instead of a join per site in the store).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import pyoxigraph as ox

from kringloop.graph.errors import QueryError
from kringloop.graph.store import Store
from kringloop.queries.chains import MAX_PARTNERS, PROCESS_ROLE
from kringloop.queries.loop_index import Points, Reached, path_to, reach_forward
from kringloop.queries.stages import stage

DEFAULT_RADIUS_KM = 50.0
UNKNOWN_REGION = "(unknown region)"

Cell = str | None


def table(
    store: Store, name: str, columns: Sequence[str], **bindings: list[ox.NamedNode]
) -> list[tuple[Cell, ...]]:
    """The rows of stage query ``name`` as tuples of lexical values (``None`` where unbound),
    in the order of ``columns``."""
    result = store.query(stage(name), bindings=bindings or None, union_default_graph=True)
    if not isinstance(result, ox.QuerySolutions):
        raise QueryError(f"stage {name} is not a SELECT query")
    names = [v.value for v in result.variables]
    if names == list(columns):
        return [tuple(None if t is None else t.value for t in row) for row in result]
    at = [names.index(c) for c in columns]
    rows = []
    for row in result:
        values = [None if t is None else t.value for t in row]
        rows.append(tuple(values[i] for i in at))
    return rows


@dataclass(frozen=True, slots=True)
class Proc:
    offer: str
    organisation: str
    label: str
    role: str
    lat: float
    long: float
    radius: float
    direct: bool = True  # accepts the product type itself, not only one of its materials


@dataclass(frozen=True, slots=True)
class Offer:
    offer: str
    supplier: str
    product: str
    model: str
    take_back: bool
    lat: float
    long: float
    region: str


@dataclass(frozen=True, slots=True)
class Need:
    need: str
    product: str
    lat: float
    long: float
    max_km: float
    region: str | None  # None: the region of the buyer's site, looked up for gaps only


@dataclass
class Accepting:
    """The processing offers of one product type, by offer; and for the census, those that
    lead back (to a producer of the type) first by path length."""

    procs: list[Proc]
    everywhere: Points
    direct: list[int]
    direct_points: Points
    by_organisation: dict[str, list[int]]
    closing: list[int] | None = None
    closing_points: Points | None = None


def _truth(value: Cell) -> bool:
    return value in ("true", "1")  # Virtuoso answers booleans as 1


class World:
    """The whole graph's supply, processing and flows, indexed for the census."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.labels: dict[str, str] = {}
        self.materials: dict[str, set[str]] = defaultdict(set)
        for concept, material, label in table(
            store, "census-materials", ("concept", "material", "label")
        ):
            assert concept is not None
            if material is not None:
                self.materials[concept].add(material)
            if label is not None:
                self.labels[concept] = label
        self.places = _places(store)
        self.by_product: dict[str, list[Proc]] = defaultdict(list)
        self.by_material: dict[str, list[Proc]] = defaultdict(list)
        self._read_processing(store)
        self.producers: dict[str, set[str]] = defaultdict(set)
        for producer, product in table(store, "census-producers", ("producer", "productType")):
            assert producer is not None and product is not None
            self.producers[product].add(producer)
        self.adjacency: dict[str, list[str]] = defaultdict(list)
        for a, b in sorted(set(table(store, "census-flows", ("from", "to")))):
            assert a is not None and b is not None
            self.adjacency[a].append(b)
        self.supply = self._read_supply(store)
        self.needs = self._read_needs(store)
        self._accepting: dict[str, Accepting] = {}
        self._reached: dict[str, Reached] = {}
        self._producer_way: dict[tuple[str, str], tuple[int, str] | None] = {}
        self._reached_by: dict[str, list[tuple[str, int]]] | None = None

    # -- reading

    def _coordinates(
        self, lat: Cell, long: Cell, place: Cell
    ) -> Iterable[tuple[float, float, str | None]]:
        """The site's coordinates, else its place's, with the place's region."""
        if place is None or place not in self.places:
            if lat is not None and long is not None:
                yield float(lat), float(long), None
            return
        for place_lat, place_long, region in self.places[place]:
            a, b = lat if lat is not None else place_lat, long if long is not None else place_long
            if a is not None and b is not None:
                yield float(a), float(b), region

    def _read_processing(self, store: Store) -> None:
        columns = (
            "pOffer", "processor", "processorLabel", "productType", "material", "processClass",
            "radius", "siteLat", "siteLong", "place",
        )  # fmt: skip
        seen: set[tuple[str, str]] = set()
        rows = table(store, "census-processing", columns)
        for offer, org, label, product, material, process, radius, lat, long, place in sorted(
            rows, key=_sort_key
        ):
            assert offer is not None and org is not None and process is not None
            for a, b, _ in self._coordinates(lat, long, place):
                key = (offer, product or material or offer)
                if key in seen:
                    continue
                seen.add(key)
                proc = Proc(
                    offer=offer,
                    organisation=org,
                    label=label or org,
                    role=PROCESS_ROLE.get(process, "collector"),
                    lat=a,
                    long=b,
                    radius=float(radius) if radius is not None else DEFAULT_RADIUS_KM,
                )
                self.labels.setdefault(org, proc.label)
                if product is not None:
                    self.by_product[product].append(proc)
                if material is not None:
                    self.by_material[material].append(replace(proc, direct=False))

    def _read_supply(self, store: Store) -> list[Offer]:
        columns = (
            "offer", "supplier", "supplierLabel", "productType", "model", "takeBack",
            "siteLat", "siteLong", "place",
        )  # fmt: skip
        rows: set[tuple[str, str, str, str, bool, float, float, str]] = set()
        labels: dict[str, str] = {}
        for offer, supplier, label, product, model, take_back, lat, long, place in table(
            store, "census-supply", columns
        ):
            assert offer is not None and supplier is not None
            assert product is not None and model is not None
            for a, b, region in self._coordinates(lat, long, place):
                # a store may repeat a solution: count an offer once
                rows.add(
                    (
                        offer,
                        supplier,
                        product,
                        model,
                        _truth(take_back),
                        a,
                        b,
                        region or UNKNOWN_REGION,
                    )
                )
                name = label or supplier
                labels[supplier] = min(labels.get(supplier, name), name)
        for supplier, label in labels.items():
            self.labels.setdefault(supplier, label)
        return [Offer(*row) for row in sorted(rows)]

    def _read_needs(self, store: Store) -> list[Need]:
        """One row per need (the first of its rows): coordinates of the need, else of its
        place, else of a site of its buyer (looked up here, for the needs that have neither)."""
        columns = ("need", "productType", "needLat", "needLong", "place", "maxKm")
        found: dict[str, Need] = {}
        homeless: dict[str, list[tuple[str, float]]] = defaultdict(list)
        located = {
            place: [
                (float(a), float(b), r) for a, b, r in options if a is not None and b is not None
            ]
            for place, options in self.places.items()
        }
        for need, product, lat, long, place, max_km in sorted(
            table(store, "census-needs", columns), key=_sort_key
        ):
            assert need is not None and product is not None
            if need in found:
                continue
            limit = float(max_km) if max_km is not None else DEFAULT_RADIUS_KM
            at_place = located.get(place, []) if place is not None else []
            options: list[tuple[float, float, str | None]]
            if lat is not None and long is not None:  # the need's own coordinates
                a, b = float(lat), float(long)
                options = [(a, b, r) for *_, r in at_place] or [(a, b, None)]
            else:
                options = at_place
            if not options:
                homeless[need].append((product, limit))
                continue
            a, b, region = min(options, key=lambda o: (o[0], o[1], o[2] or ""))
            found[need] = Need(need, product, a, b, limit, region)
        if homeless:
            for need, (lat_, long_, region) in self.buyer_sites(list(homeless)).items():
                if need not in found:
                    product, limit = min(homeless[need])
                    found[need] = Need(need, product, lat_, long_, limit, region)
        return [found[need] for need in sorted(found)]

    def buyers(self, needs: list[str]) -> dict[str, tuple[str, str]]:
        """The buyer of each need and its label (of several, the first)."""
        rows = table(
            self.store,
            "census-need-buyers",
            ("need", "buyer", "buyerLabel"),
            _need=[ox.NamedNode(n) for n in needs],
        )
        out: dict[str, tuple[str, str]] = {}
        for need, buyer, label in sorted(rows, key=_sort_key):
            assert need is not None and buyer is not None
            out.setdefault(need, (buyer, label or buyer))
        return out

    def buyer_sites(self, needs: list[str]) -> dict[str, tuple[float, float, str | None]]:
        """Coordinates and region of a site of each need's buyer (of several, the first)."""
        rows = table(
            self.store,
            "census-buyer-sites",
            ("need", "siteLat", "siteLong", "siteRegion"),
            _need=[ox.NamedNode(n) for n in needs],
        )
        out: dict[str, tuple[float, float, str | None]] = {}
        for need, lat, long, region in sorted(rows, key=_sort_key):
            assert need is not None and lat is not None and long is not None
            out.setdefault(need, (float(lat), float(long), region))
        return out

    # -- indexes

    def accepting(self, product: str) -> Accepting:
        """Processing offers that accept ``product`` or one of its materials, by offer."""
        if product not in self._accepting:
            found = {p.offer: p for p in self.by_product.get(product, [])}
            for material in sorted(self.materials.get(product, ())):
                for p in self.by_material.get(material, []):
                    found.setdefault(p.offer, p)
            procs = [found[k] for k in sorted(found)]
            direct = [i for i, p in enumerate(procs) if p.direct]
            by_organisation: dict[str, list[int]] = defaultdict(list)
            for i, p in enumerate(procs):
                by_organisation[p.organisation].append(i)
            self._accepting[product] = Accepting(
                procs,
                _points(procs),
                direct,
                _points([procs[i] for i in direct]),
                by_organisation,
            )
        return self._accepting[product]

    def closing(self, product: str) -> tuple[list[int], Points]:
        """The accepting offers whose organisation leads back to a producer of ``product``,
        shortest way first, then by offer."""
        acc = self.accepting(product)
        if acc.closing is None or acc.closing_points is None:
            ranked = []
            for i, p in enumerate(acc.procs):
                way = self.producer_way(p.organisation, product)
                if way is not None:
                    ranked.append((way[0], p.offer, i))
            ranked.sort()
            acc.closing = [i for *_, i in ranked]
            acc.closing_points = _points([acc.procs[i] for i in acc.closing])
        return acc.closing, acc.closing_points

    def reached(self, organisation: str) -> Reached:
        """What flows reach from ``organisation`` within the loop bound (cached)."""
        if organisation not in self._reached:
            self._reached[organisation] = reach_forward(
                self.adjacency, organisation, MAX_PARTNERS - 2
            )
        return self._reached[organisation]

    def reached_by(self, node: str) -> list[tuple[str, int]]:
        """The processing organisations whose flows reach ``node`` within the loop bound, with
        the number of steps."""
        if self._reached_by is None:
            self._reached_by = defaultdict(list)
            organisations = {p.organisation for ps in self.by_product.values() for p in ps}
            organisations |= {p.organisation for ps in self.by_material.values() for p in ps}
            for org in sorted(organisations):
                for reached, (depth, _) in self.reached(org).items():
                    self._reached_by[reached].append((org, depth))
        return self._reached_by.get(node, [])

    def producer_way(self, organisation: str, product: str) -> tuple[int, str] | None:
        """The length of the shortest flow path from ``organisation`` to a producer of
        ``product`` and that producer (of equal paths, the first by IRI)."""
        key = (organisation, product)
        if key not in self._producer_way:
            reached = self.reached(organisation)
            producers = self.producers.get(product, set())
            if len(producers) < len(reached):
                found = [(reached[n][0] + 1, n) for n in producers if n in reached]
            else:
                found = [(d + 1, n) for n, (d, _) in reached.items() if n in producers]
            self._producer_way[key] = min(found) if found else None
        return self._producer_way[key]

    def way_back(self, processor: str, supplier: str, product: str) -> list[str] | None:
        """The shortest flow path from ``processor`` to the supplier or to a producer of the
        product (the loop closes there), within the loop bound; the supplier before a
        producer at the same length."""
        reached = self.reached(processor)
        options: list[tuple[int, bool, str]] = []
        if supplier in reached:
            options.append((reached[supplier][0] + 1, False, supplier))
        way = self.producer_way(processor, product)
        if way is not None:
            options.append((way[0], True, way[1]))
        return path_to(reached, min(options)[2]) if options else None


def _points(procs: list[Proc]) -> Points:
    return Points([(p.lat, p.long) for p in procs], [p.radius for p in procs])


def _sort_key(row: tuple[Cell, ...]) -> tuple[str, ...]:
    return tuple(c or "" for c in row)


def _places(store: Store) -> dict[str, list[tuple[str | None, str | None, str | None]]]:
    places: dict[str, list[tuple[str | None, str | None, str | None]]] = defaultdict(list)
    for place, lat, long, region in sorted(
        set(table(store, "census-places", ("place", "lat", "long", "region"))), key=_sort_key
    ):
        assert place is not None
        places[place].append((lat, long, region))
    return places
