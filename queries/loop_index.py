"""Indexes the loop census needs to stay linear: points to search by distance, and short
forward searches in the flow graph.

The census asks, for every supply offer, which processor within reach closes a loop first.
Comparing every offer with every processor grows with the square of the graph (50 million
distances at 100k organisations); these indexes answer "the first point within reach, in a
given order" and "the nearest point" with a short exact scan and, past it, one vectorised
pass that only preselects: every answer is confirmed with :func:`distance_km`, so results are
exactly those of a plain loop over all points.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from kringloop.queries.resolve import KM_PER_DEG_LAT, distance_km

if TYPE_CHECKING:
    import numpy as np

#: Points checked one by one before the vectorised pass (most offers find a processor here).
EAGER = 16
#: Kilometres of slack for the vectorised preselection (its cosine may differ from math's
#: in the last bit); the exact distance decides.
SLACK_KM = 1e-6


class Points:
    """Points in a fixed order, each with a service radius.

    >>> pts = Points([(50.83, 3.26), (51.05, 3.72), (50.85, 3.27)], [10.0, 80.0, 30.0])
    >>> pts.first(50.84, 3.27, cap=50.0)  # Kortrijk: the first point whose radius covers it
    0
    >>> pts.first(51.2, 4.4, cap=60.0)  # Antwerp: 50 km from Gent, within its capped radius
    1
    >>> pts.nearest(51.2, 4.4)
    1
    """

    def __init__(self, coords: Sequence[tuple[float, float]], radii: Sequence[float]) -> None:
        self.coords = list(coords)
        self.radii = list(radii)
        self._arrays: tuple[np.ndarray[Any, Any], ...] | None = None

    def __len__(self) -> int:
        return len(self.coords)

    def _approx(self, lat: float, long: float) -> np.ndarray[Any, Any]:
        import numpy as np

        if self._arrays is None:
            lats = np.array([c[0] for c in self.coords], dtype=float)
            longs = np.array([c[1] for c in self.coords], dtype=float)
            self._arrays = (lats, longs, np.array(self.radii, dtype=float))
        lats, longs, _ = self._arrays
        mid = (lats + lat) / 2
        dx = (longs - long) * (KM_PER_DEG_LAT * np.cos(np.radians(mid)))
        dy = (lats - lat) * KM_PER_DEG_LAT
        return np.asarray(np.hypot(dx, dy))

    def first(
        self, lat: float, long: float, *, cap: float, where: Callable[[int], bool] | None = None
    ) -> int | None:
        """The first point (in order) whose radius, capped at ``cap`` km, reaches the place;
        ``where`` skips points."""
        coords, radii = self.coords, self.radii
        for i in range(min(EAGER, len(coords))):
            a, b = coords[i]
            if (where is None or where(i)) and distance_km(lat, long, a, b) <= min(radii[i], cap):
                return i
        if len(coords) <= EAGER:
            return None
        import numpy as np

        dist = self._approx(lat, long)
        assert self._arrays is not None
        reach = np.minimum(self._arrays[2], cap) + SLACK_KM
        for i in np.flatnonzero(dist[EAGER:] <= reach[EAGER:]).tolist():
            i += EAGER
            a, b = coords[i]
            if (where is None or where(i)) and distance_km(lat, long, a, b) <= min(radii[i], cap):
                return int(i)
        return None

    def nearest(self, lat: float, long: float) -> int | None:
        """The nearest point; of points equally near, the first."""
        if not self.coords:
            return None
        if len(self.coords) <= EAGER:
            candidates: list[int] = list(range(len(self.coords)))
        else:
            import numpy as np

            dist = self._approx(lat, long)
            candidates = np.flatnonzero(dist <= float(dist.min()) + SLACK_KM).tolist()
        return min(candidates, key=lambda i: (distance_km(lat, long, *self.coords[i]), i))


class Grid:
    """Points bucketed by a grid of ``cell`` degrees, to ask whether any lies within a distance.

    >>> grid = Grid([(50.83, 3.26), (51.05, 3.72)])
    >>> grid.any_within(50.95, 3.5, 15.0), grid.any_within(50.95, 3.5, 20.0)  # Gent: 19 km
    (False, True)
    """

    def __init__(self, coords: Sequence[tuple[float, float]], cell: float = 0.05) -> None:
        self.cell = cell
        self.cells: dict[tuple[int, int], list[tuple[float, float]]] = {}
        for lat, long in coords:
            self.cells.setdefault(self._key(lat, long), []).append((lat, long))

    def _key(self, lat: float, long: float) -> tuple[int, int]:
        return math.floor(lat / self.cell), math.floor(long / self.cell)

    def any_within(self, lat: float, long: float, limit: float) -> bool:
        """Whether some point lies within ``limit`` km (by :func:`distance_km`): the cells
        nearest first, then outwards to every cell that can hold such a point."""
        if not self.cells or limit < 0:
            return False
        d_lat = limit / KM_PER_DEG_LAT * (1 + 1e-9)
        widest = abs(lat) + d_lat  # the midpoint's latitude is at most this
        keys: Iterable[tuple[int, int]] = list(self.cells)
        if widest < 89.0:
            d_long = limit / (KM_PER_DEG_LAT * math.cos(math.radians(widest))) * (1 + 1e-9)
            lo_i, lo_j = self._key(lat - d_lat, long - d_long)
            hi_i, hi_j = self._key(lat + d_lat, long + d_long)
            if (hi_i - lo_i + 1) * (hi_j - lo_j + 1) <= 4 * len(self.cells):  # else: all cells
                keys = _rings(*self._key(lat, long), lo_i, hi_i, lo_j, hi_j)
        for key in keys:
            for a, b in self.cells.get(key, ()):
                if distance_km(lat, long, a, b) <= limit:
                    return True
        return False


def _rings(
    i0: int, j0: int, lo_i: int, hi_i: int, lo_j: int, hi_j: int
) -> Iterator[tuple[int, int]]:
    """The cells of a box, ring by ring around (i0, j0)."""
    reach = max(i0 - lo_i, hi_i - i0, j0 - lo_j, hi_j - j0)
    for r in range(reach + 1):
        for i in range(max(lo_i, i0 - r), min(hi_i, i0 + r) + 1):
            if abs(i - i0) == r:
                for j in range(max(lo_j, j0 - r), min(hi_j, j0 + r) + 1):
                    yield i, j
            else:
                for j in (j0 - r, j0 + r):
                    if lo_j <= j <= hi_j:
                        yield i, j


Reached = dict[str, tuple[int, str | None]]


def reach_forward(adjacency: dict[str, list[str]], source: str, cutoff: int) -> Reached:
    """Every node within ``cutoff`` steps of ``source``: its depth and the node it was first
    reached from, level by level in adjacency order (the paths networkx's
    ``single_source_shortest_path`` gives).

    >>> reach_forward({"a": ["b", "c"], "b": ["d"], "c": ["d"]}, "a", 2)["d"]
    (2, 'b')
    """
    reached: Reached = {source: (0, None)}
    level = [source]
    depth = 0
    while level and depth < cutoff:
        depth += 1
        following = []
        for node in level:
            for nxt in adjacency.get(node, ()):
                if nxt not in reached:
                    reached[nxt] = (depth, node)
                    following.append(nxt)
        level = following
    return reached


def path_to(reached: Reached, node: str) -> list[str]:
    """The path from the search's source to ``node``.

    >>> path_to(reach_forward({"a": ["b"], "b": ["c"]}, "a", 3), "c")
    ['a', 'b', 'c']
    """
    path = [node]
    parent = reached[node][1]
    while parent is not None:
        path.append(parent)
        parent = reached[parent][1]
    return path[::-1]
