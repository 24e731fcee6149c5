"""Buyers' needs as the census reads them (what, where, how far), and a match by need.

A need's place is its own coordinates, else those of its place (``kl:atPlace``), else — when
the need says no place of use at all — those of a site of its buyer (the first by IRI); its
region is that of the place, its own (``kl:inRegion``) or the site's. A need that says where
(a place, a NUTS code, a region) that kringloop cannot locate has no coordinates: the census
counts it as demand and says it cannot judge it. What it asks for is each product type it
requests; a tender lot that no product type covers asks for its main CPV code. The same lot
read from a contract notice and from its award notice (same procedure and lot identifiers) is
one need: the one with an award, else the first by IRI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pyoxigraph as ox

from kringloop.graph.store import Store, text
from kringloop.queries import resolve
from kringloop.queries.loop.facts import Organisation, Vocabulary, organisations
from kringloop.queries.loop.records import KL, RDF_TYPE, day, number
from kringloop.queries.loop.whole import columns
from kringloop.queries.request import MatchRequest
from kringloop.queries.stages import stage

DEFAULT_MAX_KM = 50.0
CIRCULAR = "https://w3id.org/kringloop/id/environmental-impact/circ-econ"


@dataclass(frozen=True)
class Need:
    need: str
    label: str
    #: what it asks for: a product type, or the main CPV code (IRI) of a lot none covers
    product: str
    lat: float | None
    long: float | None
    max_km: float
    region: str | None
    buyer: str | None
    buyer_label: str | None
    lot: bool = False
    circular: bool = False
    awarded_to: tuple[str, ...] = ()

    @property
    def located(self) -> bool:
        return self.lat is not None and self.long is not None


def read_needs(
    store: Store, vocab: Vocabulary, known: Mapping[str, Organisation] | None = None
) -> list[Need]:
    """Every need of a buyer (``kl:requestedBy``), once per thing it asks for, by IRI."""
    d = columns(store, "census-needs")
    buyers = sorted({b for s in d.by_subject for b in d.all(s, KL + "requestedBy")})
    known = known or {}
    unknown = [b for b in buyers if b not in known]
    orgs = {**known, **(organisations(store, unknown, vocab) if unknown else {})}
    chosen: dict[tuple[str, str] | str, str] = {}
    for need in sorted(d.by_subject):
        procedure, lot = d.one(need, KL + "procedureIdentifier"), d.one(need, KL + "lotIdentifier")
        key: tuple[str, str] | str = (procedure, lot) if procedure and lot else need
        held = chosen.get(key)
        if held is None or (d.all(need, KL + "awardedTo") and not d.all(held, KL + "awardedTo")):
            chosen[key] = need
    found = []
    for need in sorted(chosen.values()):
        buyer = d.one(need, KL + "requestedBy")
        if buyer is None:  # a request saved with a match, not a buyer's standing need
            continue
        asks = d.all(need, KL + "requestsProductType") or d.all(need, KL + "mainCpv")[:1]
        if not asks:
            continue
        lat, long = number(d.one(need, KL + "lat")), number(d.one(need, KL + "long"))
        place = d.one(need, KL + "atPlace")
        info = vocab.places.get(place) if place is not None else None
        region = (info.region if info is not None else None) or d.one(need, KL + "inRegion")
        if (lat is None or long is None) and info is not None:
            lat, long = info.lat, info.long
        says_where = place or d.one(need, KL + "nutsCode") or d.one(need, KL + "inRegion")
        org = orgs.get(buyer)
        if (lat is None or long is None) and not says_where:
            site = min(org.sites, key=lambda s: s.iri) if org is not None and org.sites else None
            if site is not None:
                lat, long, region = site.lat, site.long, region or site.region
        if lat is None or long is None:
            lat = long = None
        max_km = number(d.one(need, KL + "maxDistanceKm")) or DEFAULT_MAX_KM
        for product in asks:
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
                    lot=KL + "TenderLot" in d.all(need, RDF_TYPE),
                    circular=CIRCULAR in d.all(need, KL + "environmentalImpact"),
                    awarded_to=tuple(d.all(need, KL + "awardedTo")),
                )
            )
    return found


# -- a match by need ----------------------------------------------------------------------------

CPV_BASE = "http://data.europa.eu/cpv/cpv/"
QUDT_NUM = "http://qudt.org/vocab/unit/NUM"
MONTH_DAYS = 30.44


def _nearest_type(vocab: resolve.Vocabulary, cpv: str | None, types: list[str]) -> str | None:
    """Of the product types a need requests, the one whose CPV code is the nearest to the
    need's main CPV code (the code itself, else its nearest broader code); else the first."""
    if cpv is not None and cpv.startswith(CPV_BASE):
        significant = cpv[len(CPV_BASE) :].rstrip("0")
        for length in range(len(significant), 1, -1):
            code = CPV_BASE + significant[:length].ljust(8, "0")
            fitting = sorted(t for t in types if vocab.product_cpv.get(t) == code)
            if fitting:
                return fitting[0]
    return types[0] if types else None


def _refuse(message: str, hint: str) -> resolve.ResolutionError:
    error = resolve.ResolutionError(message, field="need", candidates=[])
    error.hint = hint
    return error


def request_for_need(store: Store, request: MatchRequest) -> MatchRequest:
    """``request`` with what it leaves out taken from its need (``request.need``): the product
    type (or the CPV code of a tender lot no product type covers), the place of use (the need's
    own coordinates, else its place's; with no place of performance at all, its buyer's site),
    the quantity (when counted in pieces), the period of use, the buyer as requester, and the
    need's hard requirements. Fields the request sets itself are kept.

    Raises `ResolutionError` (field ``need``, 422) when the store holds no such need, or when
    the need says nowhere kringloop can locate and the request does not say where either.
    """
    assert request.need is not None
    rows = store.select(
        stage("need-description"),
        bindings={"_need": ox.NamedNode(request.need)},
        union_default_graph=True,
    )
    facts: dict[str, list[str]] = {}
    for row in rows:
        facts.setdefault(text(row["p"]), []).append(text(row["o"]))
    if KL + "Need" not in facts.get(RDF_TYPE, []):
        raise _refuse(
            f"the store holds no need <{request.need}>",
            "give the IRI of a kl:Need in the store (an imported tender lot, say)",
        )

    def one(name: str) -> str | None:
        values = sorted(facts.get(KL + name, []))
        return values[0] if values else None

    given = request.model_fields_set
    update: dict[str, object] = {}
    if "what" not in given or request.what is None:
        vocab = resolve.vocabulary(store)
        main = one("mainCpv")
        product = _nearest_type(vocab, main, sorted(facts.get(KL + "requestsProductType", [])))
        if (
            product is None
            and main is not None
            and main[len(CPV_BASE) :]
            not in {c.rsplit("/", 1)[-1] for c in vocab.kinds if vocab.kinds[c] == "cpv"}
        ):
            raise _refuse(
                f"the need <{request.need}> asks for CPV {main[len(CPV_BASE) :]}, which no "
                "kringloop product type or CPV code covers",
                "say what to match with `what` (a product type, CPV code or label)",
            )
        update["what"] = product or (main[len(CPV_BASE) :] if main else None)
        if update["what"] is None:
            raise _refuse(
                f"the need <{request.need}> says nothing it asks for",
                "say what to match with `what`",
            )
    buyer = one("requestedBy")
    if not {"near", "lat", "long"} & given:
        lat, long = number(one("lat")), number(one("long"))
        if lat is None or long is None:
            lat, long = number(one("latOfPlace")), number(one("longOfPlace"))
        if lat is not None and long is not None:
            update["lat"], update["long"] = lat, long
        elif one("nutsCode") is not None or one("atPlace") is not None or one("inRegion"):
            where = one("nutsCode") or one("atPlace") or one("inRegion")
            raise _refuse(
                f"the need <{request.need}> is to be used at {where}, for which kringloop has no "
                "coordinate (not one of its places, nor in one of its regions)",
                "say where with `near` (a place or postcode) or `lat` and `long`",
            )
        elif buyer is None and request.requester is None:
            raise _refuse(
                f"the need <{request.need}> says no place of use and has no buyer",
                "say where with `near` or `lat` and `long`",
            )
    if "requester" not in given and buyer is not None:
        update["requester"] = buyer
    unit = one("unit")
    quantity = number(one("quantity"))
    counted = unit in (None, QUDT_NUM)  # pieces; kilograms or hours are not a count to match
    if "quantity" not in given and quantity is not None and quantity > 0 and counted:
        update["quantity"] = quantity
    start = day(one("neededBy"))
    if "needed_by" not in given and start is not None:
        update["needed_by"] = start
    months = number(one("periodMonths"))
    until = day(one("neededUntil"))
    if "period_months" not in given:
        if months is not None and months >= 1:
            update["period_months"] = int(months)
        elif start is not None and until is not None and until > start:
            update["period_months"] = max(1, round((until - start).days / MONTH_DAYS))
    radius = number(one("maxDistanceKm"))
    if "within_km" not in given and radius is not None and 0 < radius <= 1000:
        update["within_km"] = radius
    for field_name, predicate in (
        ("business_models", "acceptsBusinessModel"),
        ("strategies", "requiresStrategy"),
        ("certifications", "requiresCertification"),
    ):
        if field_name not in given and facts.get(KL + predicate):
            update[field_name] = sorted(facts[KL + predicate])
    rank = number(one("maxRRank"))
    if "max_r_rank" not in given and rank is not None:
        update["max_r_rank"] = int(rank)
    horizon = number(one("tcoHorizonYears"))
    if "tco_years" not in given and horizon is not None and 0 < horizon <= 50:
        update["tco_years"] = horizon
    return request.model_copy(update=update)


__all__ = ["Need", "read_needs", "request_for_need"]
