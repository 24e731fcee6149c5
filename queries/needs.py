"""Buyers' needs as the census reads them: what, where and how far.

A need's place is its own coordinates, else those of its place (``kl:atPlace``), else those of
a site of its buyer (the first by IRI); its region is that of the place or site.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kringloop.graph.store import Store
from kringloop.queries.loop.facts import Organisation, Vocabulary, organisations
from kringloop.queries.loop.records import KL, number
from kringloop.queries.loop.whole import columns

DEFAULT_MAX_KM = 50.0


@dataclass(frozen=True)
class Need:
    need: str
    label: str
    product: str
    lat: float
    long: float
    max_km: float
    region: str | None
    buyer: str | None
    buyer_label: str | None


def read_needs(
    store: Store, vocab: Vocabulary, known: Mapping[str, Organisation] | None = None
) -> list[Need]:
    """Every need of a buyer (``kl:requestedBy``) that says what it needs and where, by IRI."""
    d = columns(store, "census-needs")
    buyers = sorted({b for s in d.by_subject for b in d.all(s, KL + "requestedBy")})
    known = known or {}
    unknown = [b for b in buyers if b not in known]
    orgs = {**known, **(organisations(store, unknown, vocab) if unknown else {})}
    found = []
    for need in sorted(d.by_subject):
        product = d.one(need, KL + "requestsProductType")
        if product is None:
            continue
        buyer = d.one(need, KL + "requestedBy")
        if buyer is None:  # a request saved with a match, not a buyer's standing need
            continue
        lat, long = number(d.one(need, KL + "lat")), number(d.one(need, KL + "long"))
        place = d.one(need, KL + "atPlace")
        info = vocab.places.get(place) if place is not None else None
        region = info.region if info is not None else None
        if (lat is None or long is None) and info is not None:
            lat, long = info.lat, info.long
        if lat is None or long is None:
            org = orgs.get(buyer) if buyer is not None else None
            site = min(org.sites, key=lambda s: s.iri) if org is not None and org.sites else None
            if site is None:
                continue
            lat, long, region = site.lat, site.long, region or site.region
        max_km = number(d.one(need, KL + "maxDistanceKm")) or DEFAULT_MAX_KM
        org = orgs.get(buyer) if buyer is not None else None
        found.append(
            Need(
                need=need,
                label=d.label(need),
                product=product,
                lat=lat,
                long=long,
                max_km=max_km,
                region=region,
                buyer=buyer,
                buyer_label=org.label if org is not None else None,
            )
        )
    return found


__all__ = ["Need", "read_needs"]
