"""Loop census and gap analysis over the whole graph.

For every supply offer: does some processor whose service radius covers the supplier's area
accept the product (or its materials), and does a chain of flows lead from that processor back
to the supplier? Closed loops are counted per category and region with their partners; open
ones become gaps that name the missing role. Bottlenecks are the processors many loops depend
on, and those that are the only one closing loops of a category in a region.

Built for scale: a few whole-graph queries (loop_world), then short forward searches from
each processing organisation in the flow graph, never a search over all cycles; processors in
reach are found through distance indexes (loop_index) instead of comparing every offer with
every processor.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import pairwise

import networkx as nx

from kringloop.graph.store import Store
from kringloop.queries.loop_index import Grid
from kringloop.queries.loop_world import (
    DEFAULT_RADIUS_KM,
    UNKNOWN_REGION,
    Accepting,
    Offer,
    Proc,
    World,
)
from kringloop.queries.resolve import distance_km

ID = "https://w3id.org/kringloop/id/"
LEASE_MODELS = {ID + "business-model/lease", ID + "business-model/product-as-a-service"}
__all__ = ["DEFAULT_RADIUS_KM", "Bottleneck", "CategoryRegion", "Census", "Gap", "Loop", "census"]


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


def _best_way(world: World, offer: Offer, radius_km: float) -> tuple[Proc, list[str]] | None:
    """The processor within reach whose way back is shortest (then the first by offer), and
    that way: the same answer as trying every processor in reach, found by looking only at
    processors that reach the supplier through flows and at the first in reach of those that
    lead back to a producer."""
    acc = world.accepting(offer.product)
    if not acc.procs:
        return None
    lat, long = offer.lat, offer.long
    best: tuple[int, str, int] | None = None
    closing, points = world.closing(offer.product)
    first = points.first(lat, long, cap=radius_km)
    if first is not None:
        i = closing[first]
        way = world.producer_way(acc.procs[i].organisation, offer.product)
        assert way is not None
        best = (way[0], acc.procs[i].offer, i)
    for org, depth in world.reached_by(offer.supplier):
        for i in acc.by_organisation.get(org, ()):
            p = acc.procs[i]
            if distance_km(lat, long, p.lat, p.long) > min(p.radius, radius_km):
                continue
            way = world.producer_way(org, offer.product)
            length = min(depth + 1, way[0]) if way is not None else depth + 1
            if best is None or (length, p.offer) < best[:2]:
                best = (length, p.offer, i)
    if best is None:
        return None
    p = acc.procs[best[2]]
    path = world.way_back(p.organisation, offer.supplier, offer.product)
    assert path is not None and len(path) == best[0]
    return p, path


def census(store: Store, *, radius_km: float = DEFAULT_RADIUS_KM) -> Census:
    """Closed loops and gaps over the whole graph (see the module description).

    A processor closes a loop where it serves (its service radius) and no farther than
    ``radius_km`` from the supplier: loops are local.
    """
    world = World(store)
    result = Census(labels=world.labels)
    closed_cells: Counter[tuple[str, str]] = Counter()
    open_cells: Counter[tuple[str, str]] = Counter()
    partners: dict[tuple[str, str], set[str]] = defaultdict(set)
    depends: Counter[str] = Counter()
    closers_of_cell: dict[tuple[str, str], set[str]] = defaultdict(set)
    origins: dict[str, list[tuple[float, float]]] = defaultdict(list)
    loop_edges: set[tuple[str, str]] = set()
    for row in world.supply:
        offer, supplier, product, region = row.offer, row.supplier, row.product, row.region
        cell = (product, region)
        found = _best_way(world, row, radius_km)
        if found is not None:
            p, way = found
            closing = (supplier, "buyer", *way) + (() if way[-1] == supplier else (supplier,))
            result.loops.append(Loop(product, region, offer, supplier, p.organisation, closing))
            closed_cells[cell] += 1
            partners[cell].update({supplier, *way})
            for org in set(way) - {supplier}:
                depends[org] += 1
            closers_of_cell[cell].add(p.organisation)
            ring = [supplier, *way, supplier]
            loop_edges.update(pairwise(ring))
            origins[product].append((row.lat, row.long))
        elif row.take_back:
            result.loops.append(
                Loop(product, region, offer, supplier, supplier, (supplier, "buyer", supplier))
            )
            closed_cells[cell] += 1
            partners[cell].add(supplier)
            origins[product].append((row.lat, row.long))
        else:
            open_cells[cell] += 1
            role, reason = _missing(world, product, row.lat, row.long, radius_km)
            result.gaps.append(
                Gap(
                    "supply",
                    product,
                    region,
                    offer,
                    world.labels.get(supplier, supplier),
                    role,
                    reason,
                    lease=row.model in LEASE_MODELS,
                )
            )
    result.gaps += _need_gaps(world, origins)
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
    loop_graph: nx.Graph = nx.Graph()
    loop_graph.add_edges_from(sorted(loop_edges))
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


def _missing(world: World, product: str, lat: float, long: float, limit: float) -> tuple[str, str]:
    """The role a loop lacks and why. Processors of the product itself count before those
    that only take one of its materials."""
    label = world.labels.get(product, product.rsplit("/", 1)[-1])
    acc: Accepting = world.accepting(product)
    direct = acc.direct_points.first(lat, long, cap=limit)
    if direct is not None:
        p = acc.procs[acc.direct[direct]]
        return "producer", (
            f"{p.label} ({p.role}) takes {label} back but no flow leads back to the supplier"
        )
    first = acc.everywhere.first(lat, long, cap=limit)
    only_material = (
        f"; only {acc.procs[first].label} ({acc.procs[first].role}) takes one of its materials"
        if first is not None
        else ""
    )
    if acc.procs:
        if acc.direct:
            at = acc.direct_points.nearest(lat, long)
            nearest = acc.procs[acc.direct[at]] if at is not None else None
        else:
            at = acc.everywhere.nearest(lat, long)
            nearest = acc.procs[at] if at is not None else None
        assert nearest is not None
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


def _need_gaps(world: World, origins: dict[str, list[tuple[float, float]]]) -> list[Gap]:
    """Needs for which no closed loop of their product type starts within their distance."""
    starts = {product: Grid(at, cell=0.2) for product, at in origins.items()}
    open_needs = []
    for need in world.needs:
        grid = starts.get(need.product)
        if grid is None or not grid.any_within(need.lat, need.long, need.max_km):
            open_needs.append(need)
    names = [n.need for n in open_needs]
    buyers = world.buyers(names) if names else {}
    unplaced = [n.need for n in open_needs if n.region is None]
    sites = world.buyer_sites(unplaced) if unplaced else {}
    gaps = []
    for need in open_needs:
        _, buyer_label = buyers.get(need.need, ("", ""))
        region = need.region or sites.get(need.need, (0.0, 0.0, None))[2] or UNKNOWN_REGION
        role, reason = _missing(world, need.product, need.lat, need.long, need.max_km)
        label = world.labels.get(need.product, need.product.rsplit("/", 1)[-1])
        gaps.append(
            Gap(
                "need",
                need.product,
                region,
                need.need,
                buyer_label,
                role,
                f"no closed loop for {label} within {need.max_km:.0f} km: {reason}",
            )
        )
    return gaps


def _processor_gaps(world: World) -> list[Gap]:
    """Processors from which no flow leads anywhere: what they take back goes nowhere known."""
    gaps = []
    seen: set[str] = set()
    for product, procs in sorted(world.by_product.items()):
        # In a fixed order, not the store's row order (servers return rows in different orders).
        for p in sorted(procs, key=lambda p: (p.organisation, p.role)):
            if p.organisation in seen:
                continue
            seen.add(p.organisation)
            if world.adjacency.get(p.organisation):
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
