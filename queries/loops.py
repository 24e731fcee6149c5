"""Loop census and gap analysis over the whole graph.

For every supply offer: does some processor whose service radius covers the supplier's area
accept the product (or its materials), and does a chain of flows lead from that processor back
to the supplier? Closed loops are counted per category and region with their partners; open
ones become gaps that name the missing role. Bottlenecks are the processors many loops depend
on, and those that are the only one closing loops of a category in a region.

Built for scale: five whole-graph queries, then per-supplier reverse searches in the flow
graph (networkx), never a search over all cycles.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace

import networkx as nx

from kringloop.graph.store import Row, Store, text, truth
from kringloop.queries.chains import MAX_PARTNERS, PROCESS_ROLE
from kringloop.queries.resolve import distance_km
from kringloop.queries.stages import stage

ID = "https://w3id.org/kringloop/id/"
LEASE_MODELS = {ID + "business-model/lease", ID + "business-model/product-as-a-service"}
DEFAULT_RADIUS_KM = 50.0


@dataclass(frozen=True)
class Loop:
    """A closed loop: supplier → (buyers) → processor → … → supplier."""

    category: str
    region: str
    offer: str
    supplier: str
    processor: str
    path: tuple[str, ...]


@dataclass(frozen=True)
class Gap:
    """A loop that cannot close, and what is missing."""

    kind: str  # supply | need | processor
    category: str
    region: str
    subject: str
    label: str
    missing_role: str
    reason: str
    lease: bool = False


@dataclass(frozen=True)
class CategoryRegion:
    category: str
    category_label: str
    region: str
    region_label: str
    closed: int
    open: int
    partners: tuple[str, ...]


@dataclass(frozen=True)
class Bottleneck:
    organisation: str
    label: str
    loops: int
    sole_closer_for: tuple[str, ...]
    articulation: bool


@dataclass
class Census:
    """The census: loops and gaps, per category and region, and the bottlenecks."""

    cells: list[CategoryRegion] = field(default_factory=list)
    loops: list[Loop] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    bottlenecks: list[Bottleneck] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)

    def closed_count(self) -> int:
        return len(self.loops)


@dataclass(frozen=True)
class _Proc:
    offer: str
    organisation: str
    label: str
    role: str
    lat: float
    long: float
    radius: float
    direct: bool = True  # accepts the product type itself, not only one of its materials


def _rows(store: Store, name: str) -> list[Row]:
    return store.select(stage(name), union_default_graph=True)


def _located(rows: list[Row]) -> list[Row]:
    """Rows with coordinates (the queries filter the others out; some servers do not)."""
    return [r for r in rows if "lat" in r and "long" in r]


class _World:
    """The whole graph's supply, processing and flows, indexed for the census."""

    def __init__(self, store: Store) -> None:
        self.labels: dict[str, str] = {}
        self.materials: dict[str, set[str]] = defaultdict(set)
        for r in _rows(store, "census-materials"):
            concept = text(r["concept"])
            if "material" in r:
                self.materials[concept].add(text(r["material"]))
            if "label" in r:
                self.labels[concept] = text(r["label"])
        self.by_product: dict[str, list[_Proc]] = defaultdict(list)
        self.by_material: dict[str, list[_Proc]] = defaultdict(list)
        seen: set[tuple[str, str]] = set()
        for r in _located(_rows(store, "census-processing")):
            key = (text(r["pOffer"]), text(r.get("productType", r.get("material", r["pOffer"]))))
            if key in seen:
                continue
            seen.add(key)
            proc = _Proc(
                offer=text(r["pOffer"]),
                organisation=text(r["processor"]),
                label=text(r.get("processorLabel", r["processor"])),
                role=PROCESS_ROLE.get(text(r["processClass"]), "collector"),
                lat=float(text(r["lat"])),
                long=float(text(r["long"])),
                radius=float(text(r["radius"])) if "radius" in r else DEFAULT_RADIUS_KM,
            )
            self.labels.setdefault(proc.organisation, proc.label)
            if "productType" in r:
                self.by_product[text(r["productType"])].append(proc)
            if "material" in r:
                self.by_material[text(r["material"])].append(replace(proc, direct=False))
        self.producers: dict[str, set[str]] = defaultdict(set)
        for r in _rows(store, "census-producers"):
            self.producers[text(r["productType"])].add(text(r["producer"]))
        self._forward: dict[str, dict[str, list[str]]] = {}
        self.flows: nx.DiGraph = nx.DiGraph()
        for r in _rows(store, "census-flows"):
            self.flows.add_edge(text(r["from"]), text(r["to"]))
        # identical rows (a store may repeat a solution) would count one offer twice
        rows = _located(_rows(store, "census-supply"))
        self.supply = list({tuple(sorted(r.items())): r for r in rows}.values())
        self.needs = _located(_rows(store, "census-needs"))
        for r in self.supply:
            self.labels.setdefault(text(r["supplier"]), text(r.get("supplierLabel", r["supplier"])))

    def accepting(self, product: str) -> list[_Proc]:
        """Processing offers that accept ``product`` or one of its materials."""
        found = {p.offer: p for p in self.by_product.get(product, [])}
        for material in sorted(self.materials.get(product, ())):
            for p in self.by_material.get(material, []):
                found.setdefault(p.offer, p)
        return [found[k] for k in sorted(found)]

    def way_back(self, processor: str, supplier: str, product: str) -> list[str] | None:
        """The shortest flow path from ``processor`` to the supplier or to a producer of the
        product (the loop closes there), within the loop bound; forward searches are cached."""
        if processor not in self._forward:
            if processor in self.flows:
                self._forward[processor] = nx.single_source_shortest_path(
                    self.flows, processor, cutoff=MAX_PARTNERS - 2
                )
            else:
                self._forward[processor] = {processor: [processor]}
        paths = self._forward[processor]
        targets = {supplier} | self.producers.get(product, set())
        found = sorted(
            (len(path), node != supplier, node) for node, path in paths.items() if node in targets
        )
        return paths[found[0][2]] if found else None


def _region(row: Row) -> str:
    return text(row["region"]) if "region" in row else "(unknown region)"


def census(store: Store, *, radius_km: float = DEFAULT_RADIUS_KM) -> Census:
    """Closed loops and gaps over the whole graph (see the module description).

    A processor closes a loop where it serves (its service radius) and no farther than
    ``radius_km`` from the supplier: loops are local.
    """
    world = _World(store)
    result = Census(labels=world.labels)
    closed_cells: Counter[tuple[str, str]] = Counter()
    open_cells: Counter[tuple[str, str]] = Counter()
    partners: dict[tuple[str, str], set[str]] = defaultdict(set)
    depends: Counter[str] = Counter()
    closers_of_cell: dict[tuple[str, str], set[str]] = defaultdict(set)
    loop_graph: nx.Graph = nx.Graph()
    for row in sorted(world.supply, key=lambda r: text(r["offer"])):
        offer, supplier, product = (
            text(row["offer"]),
            text(row["supplier"]),
            text(row["productType"]),
        )
        lat, long = float(text(row["lat"])), float(text(row["long"]))
        region = _region(row)
        cell = (product, region)
        accepting = world.accepting(product)
        in_reach = [
            p
            for p in accepting
            if distance_km(lat, long, p.lat, p.long) <= min(p.radius, radius_km)
        ]
        ways = sorted(
            (len(path), p.offer, p, path)
            for p in in_reach
            if (path := world.way_back(p.organisation, supplier, product)) is not None
        )
        takes_back = "takeBack" in row and truth(row["takeBack"])
        if ways:
            _, _, p, way = ways[0]
            closing = (supplier, "buyer", *way) + (() if way[-1] == supplier else (supplier,))
            result.loops.append(Loop(product, region, offer, supplier, p.organisation, closing))
            closed_cells[cell] += 1
            partners[cell].update({supplier, *way})
            for org in set(way) - {supplier}:
                depends[org] += 1
            closers_of_cell[cell].add(p.organisation)
            nx.add_path(loop_graph, [supplier, *way, supplier])
        elif takes_back:
            result.loops.append(
                Loop(product, region, offer, supplier, supplier, (supplier, "buyer", supplier))
            )
            closed_cells[cell] += 1
            partners[cell].add(supplier)
        else:
            open_cells[cell] += 1
            model = text(row["model"])
            role, reason = _missing(world, product, in_reach, accepting, lat, long)
            result.gaps.append(
                Gap(
                    "supply",
                    product,
                    region,
                    offer,
                    world.labels.get(supplier, supplier),
                    role,
                    reason,
                    lease=model in LEASE_MODELS,
                )
            )
    result.gaps += _need_gaps(world, result)
    result.gaps += _processor_gaps(world)
    cells = set(closed_cells) | set(open_cells)
    result.cells = [
        CategoryRegion(
            category=c,
            category_label=world.labels.get(c, c.rsplit("/", 1)[-1]),
            region=r,
            region_label=world.labels.get(r, r.rsplit("/", 1)[-1]),
            closed=closed_cells[(c, r)],
            open=open_cells[(c, r)],
            partners=tuple(sorted(partners[(c, r)])),
        )
        for c, r in sorted(cells)
    ]
    articulation = (
        set(nx.articulation_points(loop_graph)) if loop_graph.number_of_nodes() else set()
    )
    sole: dict[str, list[str]] = defaultdict(list)
    for (c, r), orgs in closers_of_cell.items():
        if len(orgs) == 1:
            sole[next(iter(orgs))].append(f"{world.labels.get(c, c)} in {world.labels.get(r, r)}")
    ranked = sorted(depends.items(), key=lambda kv: (-kv[1], kv[0]))
    result.bottlenecks = [
        Bottleneck(
            org,
            world.labels.get(org, org),
            n,
            tuple(sorted(sole.get(org, []))),
            org in articulation,
        )
        for org, n in ranked
        if sole.get(org) or org in articulation or n >= 2
    ]
    return result


def _missing(
    world: _World,
    product: str,
    in_reach: list[_Proc],
    accepting: list[_Proc],
    lat: float,
    long: float,
) -> tuple[str, str]:
    """The role a loop lacks and why. Processors of the product itself count before those
    that only take one of its materials."""
    label = world.labels.get(product, product.rsplit("/", 1)[-1])
    direct = [p for p in in_reach if p.direct]
    if direct:
        p = direct[0]
        return "producer", (
            f"{p.label} ({p.role}) takes {label} back but no flow leads back to the supplier"
        )
    elsewhere = [p for p in accepting if p.direct] or accepting
    only_material = (
        f"; only {in_reach[0].label} ({in_reach[0].role}) takes one of its materials"
        if in_reach
        else ""
    )
    if elsewhere:
        nearest = min(elsewhere, key=lambda p: (distance_km(lat, long, p.lat, p.long), p.offer))
        km = distance_km(lat, long, nearest.lat, nearest.long)
        return nearest.role, (
            f"no {nearest.role} for {label} within reach (nearest {nearest.label} at {km:.0f} km, "
            f"serves {nearest.radius:.0f} km){only_material}"
        )
    materials = ", ".join(
        sorted(world.labels.get(m, m.rsplit("/", 1)[-1]) for m in world.materials.get(product, ()))
    )
    what = f"{label} or its materials ({materials})" if materials else label
    return "recycler", f"no collector, refurbisher or recycler accepts {what} anywhere"


def _need_gaps(world: _World, census_: Census) -> list[Gap]:
    """Needs for which no closed loop of their product type starts within their distance."""
    closed_by_product: dict[str, list[tuple[float, float]]] = defaultdict(list)
    offers = {text(r["offer"]): r for r in world.supply}
    for loop in census_.loops:
        row = offers[loop.offer]
        closed_by_product[loop.category].append((float(text(row["lat"])), float(text(row["long"]))))
    gaps = []
    seen: set[str] = set()
    for r in sorted(world.needs, key=lambda r: text(r["need"])):
        need = text(r["need"])
        if need in seen:
            continue
        seen.add(need)
        product, lat, long = text(r["productType"]), float(text(r["lat"])), float(text(r["long"]))
        limit = float(text(r["maxKm"])) if "maxKm" in r else DEFAULT_RADIUS_KM
        if any(
            distance_km(lat, long, a, b) <= limit for a, b in closed_by_product.get(product, [])
        ):
            continue
        accepting = world.accepting(product)
        in_reach = [
            p for p in accepting if distance_km(lat, long, p.lat, p.long) <= min(p.radius, limit)
        ]
        role, reason = _missing(world, product, in_reach, accepting, lat, long)
        label = world.labels.get(product, product.rsplit("/", 1)[-1])
        gaps.append(
            Gap(
                "need",
                product,
                _region(r),
                need,
                text(r.get("buyerLabel", r["buyer"])),
                role,
                f"no closed loop for {label} within {limit:.0f} km: {reason}",
            )
        )
    return gaps


def _processor_gaps(world: _World) -> list[Gap]:
    """Processors from which no flow leads anywhere: what they take back goes nowhere known."""
    gaps = []
    seen: set[str] = set()
    for product, procs in sorted(world.by_product.items()):
        # In a fixed order, not the store's row order (servers return rows in different orders).
        for p in sorted(procs, key=lambda p: (p.organisation, p.role)):
            if p.organisation in seen:
                continue
            seen.add(p.organisation)
            if world.flows.has_node(p.organisation) and world.flows.out_degree(p.organisation) > 0:
                continue
            gaps.append(
                Gap(
                    "processor",
                    product,
                    "(any)",
                    p.organisation,
                    p.label,
                    "producer",
                    f"{p.label} ({p.role}) has no return flow to a producer",
                )
            )
    return gaps
