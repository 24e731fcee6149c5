"""Positions computed with networkx (fixed seed), so the browser draws with physics off."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

import networkx as nx

from kringloop.queries.visual.model import VizGraph

# -- layout ------------------------------------------------------------------------------------

#: Distance between neighbouring nodes on the page, in vis-network canvas units: room for a
#: label of two or three lines under each node without touching its neighbours'.
SPACING = 160.0


def layout(
    graph: VizGraph, *, centre: str | None = None, seed: int = 7
) -> dict[str, tuple[float, float]]:
    """Positions for every node, computed here so the browser draws with physics off.

    Each connected part is laid out on its own: Kamada-Kawai when small, networkx's spring
    layout (fixed seed, started from rings around the centre, the centre pinned) up to
    FORCE_LIMIT nodes, rings beyond; then the parts are packed in rows, largest first.
    """
    g: nx.Graph = nx.Graph()
    g.add_nodes_from(n.id for n in graph.nodes)
    g.add_edges_from((e.source, e.target) for e in graph.edges if e.source != e.target)
    parts = sorted(nx.connected_components(g), key=lambda c: (-len(c), min(c)))
    placed = [_part(_subgraph(g, part), centre, seed) for part in parts]
    return _pack(placed)


def _subgraph(g: nx.Graph, part: set[str]) -> nx.Graph:
    """The part of ``g`` with its nodes in ``g``'s order. (A subgraph view iterates over the
    set it was made from, whose order changes with the interpreter's hash seed; the layouts
    start from the order of the nodes, so the same page came out differently between runs.)"""
    sub: nx.Graph = nx.Graph()
    sub.add_nodes_from(n for n in g if n in part)
    sub.add_edges_from((a, b) for a, b in g.edges(sub.nodes) if b in part)
    return sub


#: Above this many nodes a part is laid out on rings (a force-directed layout costs seconds).
FORCE_LIMIT = 300


def _part(g: nx.Graph, centre: str | None, seed: int) -> dict[str, tuple[float, float]]:
    count = g.number_of_nodes()
    if count == 1:
        return {next(iter(g.nodes)): (0.0, 0.0)}
    pinned = centre if centre in g else None
    if count > FORCE_LIMIT:
        return {n: (x * SPACING * 0.6, y * SPACING * 0.6) for n, (x, y) in rings(g, pinned).items()}
    if count <= 40:
        raw = nx.kamada_kawai_layout(g, scale=1.0)
    else:
        fixed = [pinned] if pinned else None
        raw = nx.spring_layout(g, pos=rings(g, pinned), fixed=fixed, seed=seed, iterations=50)
    pos = {n: (float(x), float(y)) for n, (x, y) in raw.items()}
    return to_canvas(pos, count, pinned)


def _pack(parts: Sequence[Mapping[str, tuple[float, float]]]) -> dict[str, tuple[float, float]]:
    """Laid-out parts side by side in rows about as wide as the largest part or a square."""
    if len(parts) == 1:
        return dict(parts[0])  # one part keeps its centre at the origin
    boxes = []
    for pos in parts:
        xs = [x for x, _ in pos.values()]
        ys = [y for _, y in pos.values()]
        boxes.append((min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)))
    area = sum((w + SPACING * 2) * (h + SPACING * 2) for _, _, w, h in boxes)
    row_width = max([1.8 * math.sqrt(area), *(w for _, _, w, _ in boxes)])  # pages are wide
    placed: dict[str, tuple[float, float]] = {}
    x = y = row_height = 0.0
    for pos, (left, top, width, height) in zip(parts, boxes, strict=True):
        if x > 0 and x + width > row_width:
            x, y, row_height = 0.0, y + row_height + SPACING * 2, 0.0
        placed.update(
            {n: (round(x + px - left, 1), round(y + py - top, 1)) for n, (px, py) in pos.items()}
        )
        x += width + SPACING * 2
        row_height = max(row_height, height)
    return placed


def rings(g: nx.Graph, centre: str | None) -> dict[str, tuple[float, float]]:
    """Nodes on concentric rings by hop distance from the centre (or the best-connected node),
    one unit apart along each ring; each node sits near the nodes that lead to it. O(n log n):
    the layout for graphs too large for a force-directed one."""
    start: str = (
        centre if centre is not None and centre in g else max(sorted(g.nodes), key=g.degree)
    )
    levels: dict[str, int] = nx.single_source_shortest_path_length(g, start)
    by_level: dict[int, list[str]] = defaultdict(list)
    for node, level in levels.items():
        by_level[level].append(node)
    angle: dict[str, float] = {start: 0.0}
    pos: dict[str, tuple[float, float]] = {start: (0.0, 0.0)}
    radius = 0.0
    for level in sorted(by_level)[1:]:
        parent = {
            n: min((angle[p] for p in g.neighbors(n) if levels.get(p) == level - 1), default=0.0)
            for n in by_level[level]
        }
        members = sorted(by_level[level], key=lambda n: (parent[n], n))
        radius = max(radius + 1.5, len(members) / (2 * math.pi))
        for i, node in enumerate(members):
            angle[node] = 2 * math.pi * i / len(members)
            pos[node] = (radius * math.cos(angle[node]), radius * math.sin(angle[node]))
    return pos


def to_canvas(
    pos: Mapping[str, tuple[float, float]], count: int, centre: str | None = None
) -> dict[str, tuple[float, float]]:
    """Positions scaled so that ``count`` nodes get about SPACING units each, rounded."""
    if centre is not None and centre in pos:
        cx, cy = pos[centre]
    else:
        cx = sum(x for x, _ in pos.values()) / len(pos)
        cy = sum(y for _, y in pos.values()) / len(pos)
    extent = max((math.hypot(x - cx, y - cy) for x, y in pos.values()), default=1.0) or 1.0
    scale = SPACING * (math.sqrt(count) * 0.9 + 1.2) / extent
    return {
        n: (round((x - cx) * scale, 1), round((y - cy) * scale, 1)) for n, (x, y) in pos.items()
    }
