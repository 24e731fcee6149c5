"""Finding what lies near a place without measuring the distance to everything.

The census judges every supply offer at its own site; comparing each with every processing
offer of its product type grows with the square of the graph. A grid of cells of about
`CELL_KM` kilometres holds each site once; a question looks only at the cells that can hold an
answer and measures the exact distance (`kringloop.queries.resolve.distance_km`) to what they
hold, so the answer is exactly that of a plain loop over all sites.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

from kringloop.queries.loop.records import Site
from kringloop.queries.resolve import KM_PER_DEG_LAT, distance_km

T = TypeVar("T", bound=Hashable)
CELL_KM = 25.0
#: Latitudes beyond which a degree of longitude is taken as this short (no Belgian data is).
_MIN_COS = 0.05


class SiteGrid(Generic[T]):
    """Items at sites (an item may have several), indexed by grid cell.

    >>> a, b = Site("urn:a", 50.83, 3.26), Site("urn:b", 51.05, 3.72)
    >>> grid = SiteGrid([("kortrijk", a), ("gent", b)])
    >>> [(item, round(km)) for item, _, km in grid.within(50.84, 3.27, 30)]
    [('kortrijk', 1)]
    >>> [item for item, _, _ in grid.within(50.84, 3.27, 50)]
    ['kortrijk', 'gent']
    """

    def __init__(self, entries: Iterable[tuple[T, Site]], *, cell_km: float = CELL_KM) -> None:
        self.cell_deg = cell_km / KM_PER_DEG_LAT
        self.cells: dict[tuple[int, int], list[tuple[T, Site]]] = defaultdict(list)
        self.size = 0
        for item, site in entries:
            self.cells[self._cell(site.lat, site.long)].append((item, site))
            self.size += 1

    def _cell(self, lat: float, long: float) -> tuple[int, int]:
        return (math.floor(lat / self.cell_deg), math.floor(long / self.cell_deg))

    def within(self, lat: float, long: float, km: float) -> list[tuple[T, Site, float]]:
        """Each item with a site within ``km`` of the place, at its nearest such site, nearest
        first (ties: by site IRI)."""
        if not self.size:
            return []
        dlat = km / KM_PER_DEG_LAT
        cos = max(_MIN_COS, math.cos(math.radians(min(89.0, abs(lat) + dlat))))
        dlong = km / (KM_PER_DEG_LAT * cos)
        rows = range(
            math.floor((lat - dlat) / self.cell_deg), math.floor((lat + dlat) / self.cell_deg) + 1
        )
        cols = range(
            math.floor((long - dlong) / self.cell_deg),
            math.floor((long + dlong) / self.cell_deg) + 1,
        )
        best: dict[T, tuple[float, str, Site]] = {}
        if len(rows) * len(cols) > len(self.cells):
            chosen: Iterable[list[tuple[T, Site]]] = (
                v for (r, c), v in self.cells.items() if r in rows and c in cols
            )
        else:
            chosen = (self.cells[(r, c)] for r in rows for c in cols if (r, c) in self.cells)
        for entries in chosen:
            for item, site in entries:
                d = distance_km(lat, long, site.lat, site.long)
                if d <= km and (item not in best or (d, site.iri) < best[item][:2]):
                    best[item] = (d, site.iri, site)
        found = [(item, site, d) for item, (d, _, site) in best.items()]
        found.sort(key=lambda x: (x[2], x[1].iri))
        return found
