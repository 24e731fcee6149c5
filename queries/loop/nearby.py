"""Finding what lies near a place without a Python loop over everything.

The census judges every supply offer at its own site, and each judgement asks which
processing offers of the product type lie within the buyer's distance. `SiteIndex` keeps the
sites of the items in arrays and measures every distance in one vectorised pass (the
equirectangular distance of `kringloop.queries.resolve.distance_km`) to preselect; the items
found are measured again with `distance_km` itself, so the answer is exactly that of a plain
loop over all sites.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any, Generic, TypeVar

import numpy as np

from kringloop.queries.loop.records import Site
from kringloop.queries.resolve import KM_PER_DEG_LAT, distance_km

T = TypeVar("T", bound=Hashable)
#: Kilometres of slack for the preselection (the arrays' cosine may differ from math's in the
#: last bits); the exact distance decides.
SLACK_KM = 1e-6


class SiteIndex(Generic[T]):
    """Items at sites (an item may have several).

    >>> a, b = Site("urn:a", 50.83, 3.26), Site("urn:b", 51.05, 3.72)
    >>> index = SiteIndex([("kortrijk", a), ("gent", b)])
    >>> [(item, round(km)) for item, _, km in index.within(50.84, 3.27, 30)]
    [('kortrijk', 1)]
    >>> [item for item, _, _ in index.within(50.84, 3.27, 50)]
    ['kortrijk', 'gent']
    """

    def __init__(self, entries: Iterable[tuple[T, Site]]) -> None:
        # in order of latitude, so that a band of latitudes is a slice
        self.entries = sorted(entries, key=lambda e: (e[1].lat, e[1].long, e[1].iri))
        self.lats: np.ndarray[Any, Any] = np.array([s.lat for _, s in self.entries], dtype=float)
        self.longs: np.ndarray[Any, Any] = np.array([s.long for _, s in self.entries], dtype=float)

    def band(self, lat: float, km: float) -> slice:
        """The entries whose latitude is within ``km`` (north or south) of ``lat``."""
        degrees = km / KM_PER_DEG_LAT + 1e-9
        low = int(np.searchsorted(self.lats, lat - degrees, side="left"))
        high = int(np.searchsorted(self.lats, lat + degrees, side="right"))
        return slice(low, high)

    def distances(self, lat: float, long: float, part: slice | None = None) -> np.ndarray[Any, Any]:
        """The distance from the place to every site (of ``part`` of `entries`), in their
        order (to preselect: equal to `distance_km` up to the last bits)."""
        lats, longs = (
            (self.lats, self.longs) if part is None else (self.lats[part], self.longs[part])
        )
        mid = np.radians((lats + lat) / 2)
        dx = (longs - long) * (KM_PER_DEG_LAT * np.cos(mid))
        dy = (lats - lat) * KM_PER_DEG_LAT
        found: np.ndarray[Any, Any] = np.hypot(dx, dy)
        return found

    def any_within(self, lat: float, long: float, km: float) -> bool:
        """Whether some site lies within ``km`` of the place.

        >>> SiteIndex([("gent", Site("urn:b", 51.05, 3.72))]).any_within(50.84, 3.27, 30)
        False
        """
        if not self.entries:
            return False
        part = self.band(lat, km + SLACK_KM)
        for i in np.flatnonzero(self.distances(lat, long, part) <= km + SLACK_KM).tolist():
            site = self.entries[part.start + i][1]
            if distance_km(lat, long, site.lat, site.long) <= km:
                return True
        return False

    def within(self, lat: float, long: float, km: float) -> list[tuple[T, Site, float]]:
        """Each item with a site within ``km`` of the place, at its nearest such site, nearest
        first (ties: by site IRI)."""
        if not self.entries:
            return []
        part = self.band(lat, km + SLACK_KM)
        rough = self.distances(lat, long, part)
        best: dict[T, tuple[float, str, Site]] = {}
        for i in np.flatnonzero(rough <= km + SLACK_KM).tolist():
            item, site = self.entries[part.start + i]
            d = distance_km(lat, long, site.lat, site.long)
            if d > km:
                continue
            if item not in best or (d, site.iri) < best[item][:2]:
                best[item] = (d, site.iri, site)
        found = [(item, site, d) for item, (d, _, site) in best.items()]
        found.sort(key=lambda x: (x[2], x[1].iri))
        return found
