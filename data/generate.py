"""A deterministic generator of a fictional, project-shaped circular-procurement market.

``generate(out, orgs=N, seed=S)`` writes N organisations with their sites, roles, supply and
processing offers, processes, claims, needs, flows, stock, learning-network memberships and
procurement projects, as N-Triples (or Turtle). It streams: the market is built in local
clusters of about forty organisations around one real town (`generator_cluster`), and each
cluster is written and forgotten before the next, so memory stays flat in N. The same
(orgs, seed) give the same bytes: one `random.Random` per cluster, seeded from (seed, index),
no set or hash order, no clock.

How loops and gaps are designed
-------------------------------
Each cluster draws a few product types that close: for each there is a producer that supplies
a supplier (a ``kl:Flow``), buyers that need it, and a processor that accepts it within its
service radius and sends product or secondary material back to the producer in a
``kl:ReturnFlow`` via its process. Every region has one *gap* product type, chosen among the
leaseable ones, that no processor accepts (by type or by material) within its service radius
of any site in that region: its offers there, leases without take-back included, cannot close.
Processors elsewhere that accept it keep their radius short of the region. Besides, a quarter of
the extra processors have no return flow (take-back that ends nowhere). Gaps grow with N: the
first cluster of each region carries its gap, later ones half of the time.

Everything lives under ``https://example.org/kringloop/gen/{kind}/{n}``, and every organisation
is named "Example Generated ...".
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, Literal

from kringloop.data.generator_cluster import KINDS, Cluster, Shared
from kringloop.data.generator_inputs import Inputs, Place, Product, distance_km, read_inputs
from kringloop.data.generator_offers import MARGIN_KM, MIN_RADIUS_KM
from kringloop.data.generator_rdf import TurtleWriter, Writer
from kringloop.graph.errors import ConfigError

CLUSTER_SIZE = 40
#: Towns closer than this to a region do not trade that region's gap type at all.
BAN_KM = MIN_RADIUS_KM + MARGIN_KM
#: N-Triples bytes per organisation, measured; for progress bars.
BYTES_PER_ORGANISATION = 9_500

Format = Literal["nt", "ttl"]


@dataclass(frozen=True)
class GenerationReport:
    """What one run wrote."""

    triples: int
    organisations: int
    offers: int
    needs: int
    flows: int
    closed_by_design: int  # (cluster, product type) loops built to close
    open_by_design: int  # (cluster, gap product type) chains built without a processor

    @property
    def triples_per_organisation(self) -> float:
        return self.triples / self.organisations


def generate(
    out: BinaryIO,
    *,
    orgs: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    fmt: Format = "nt",
    inputs: Inputs | None = None,
) -> GenerationReport:
    """Write a market of ``orgs`` organisations to ``out``; ``progress`` gets bytes written.

    >>> import io
    >>> report = generate(io.BytesIO(), orgs=12, seed=1)
    >>> report.organisations, report.closed_by_design >= 1, report.open_by_design
    (12, True, 1)
    """
    if orgs < 1:
        raise ConfigError(f"the number of organisations must be at least 1, not {orgs}")
    writer = TurtleWriter(out, progress) if fmt == "ttl" else Writer(out, progress)
    market = Market(inputs or read_inputs(), seed, writer)
    for index, size in enumerate(cluster_sizes(orgs)):
        market.cluster(index, size)
        writer.flush()
    counts = market.shared.counts
    return GenerationReport(
        triples=writer.triples,
        organisations=counts.get("organisation", 0),
        offers=counts.get("offer", 0),
        needs=counts.get("need", 0),
        flows=counts.get("flow", 0),
        closed_by_design=market.shared.closed,
        open_by_design=market.shared.open,
    )


def cluster_sizes(orgs: int) -> list[int]:
    """Cluster sizes: forty each, a remainder under ten folded into the first one.

    >>> cluster_sizes(10), cluster_sizes(85), cluster_sizes(100)
    ([10], [45, 40], [40, 40, 20])
    """
    full, rest = divmod(orgs, CLUSTER_SIZE)
    sizes = [CLUSTER_SIZE] * full
    if rest >= 10 or not sizes:
        sizes.append(rest)
    else:
        sizes[0] += rest
    return sizes


class Market:
    """Chooses each cluster's town and product types; keeps only per-run tables."""

    def __init__(self, inputs: Inputs, seed: int, writer: Writer) -> None:
        self.inputs = inputs
        self.seed = seed
        leaseable = [p for p in inputs.products if p.leaseable] or list(inputs.products)
        chooser = random.Random(f"kringloop-generate/{seed}/gaps")
        pool: list[Product] = []
        gaps: dict[str, Product] = {}
        for region in inputs.regions:  # one gap type per region, different ones while they last
            if not pool:
                pool = chooser.sample(leaseable, len(leaseable))
            gaps[region] = pool.pop()
        self.shared = Shared(writer, inputs, gaps)
        self._distances: dict[str, list[tuple[float, str]]] = {}
        self._seen: set[str] = set()

    def region_distances(self, place: Place) -> list[tuple[float, str]]:
        """(km to the nearest town of each region, region) from ``place``, nearest first."""
        found = self._distances.get(place.iri)
        if found is None:
            best: dict[str, float] = {}
            for other in self.inputs.places:
                km = distance_km(place.lat, place.long, other.lat, other.long)
                if km < best.get(other.region, float("inf")):
                    best[other.region] = km
            found = sorted((km, region) for region, km in best.items())
            self._distances[place.iri] = found
        return found

    def cluster(self, index: int, size: int) -> None:
        """Build and write cluster ``index`` of ``size`` organisations."""
        rng = random.Random(f"kringloop-generate/{self.seed}/{index}")
        places = self.inputs.places
        anchor = places[rng.randrange(len(places))]
        distances = self.region_distances(anchor)
        gaps = self.shared.gaps
        banned = {gaps[region].iri for km, region in distances if km < BAN_KM}
        eligible = [p for p in self.inputs.products if p.iri not in banned]
        closed: list[Product] = []  # a few families, often two types of one family
        while len(closed) < min(len(eligible), max(1, min(5, size // 10))):
            pool = [p for p in eligible if p not in closed]
            kin = [p for p in pool if closed and p.profile.family == closed[-1].profile.family]
            closed.append(rng.choice(kin if kin and rng.random() < 0.5 else pool))
        if size >= 20:  # make room for a processor of every kind
            for kind in KINDS:
                if not any(kind in p.profile.processes for p in closed):
                    more = [p for p in eligible if kind in p.profile.processes and p not in closed]
                    if more:
                        closed.append(rng.choice(more))
        first = anchor.region not in self._seen
        self._seen.add(anchor.region)
        gap = gaps[anchor.region] if first or rng.random() < 0.5 else None
        Cluster(self.shared, rng, anchor, closed, gap, distances).build(size)
