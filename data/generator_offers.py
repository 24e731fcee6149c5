"""What the generated organisations offer and need: supply offers with claims, internal
surplus, processing offers with their processes, and buyers' needs.

Prices follow the product profile (the new price, less for used or refurbished goods, give or
take 20 %); leases and services turn the price into a monthly fee over a term. Processing
offers keep their service radius away from every region whose gap product type (or one of its
materials) they accept, which is what makes the designed gaps hold. Each function writes
through the cluster's writer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kringloop.data.generator_inputs import Product
from kringloop.data.generator_rdf import (
    A_BATCH,
    A_CLAIM,
    A_NEED,
    A_PROCESSING,
    A_SUPPLY,
    A_SURPLUS,
    ACCEPTS_MATERIAL,
    ACCEPTS_MODEL,
    ACCEPTS_TYPE,
    AT_PLACE,
    AT_SITE,
    AVAILABLE,
    AVAILABLE_FROM,
    AVAILABLE_UNTIL,
    CAPACITY,
    CLAIM,
    CO2E,
    CONDITION,
    DATES,
    DECIMAL,
    END_OF_LIFE,
    EVIDENCE,
    FALSE,
    FEATURE,
    FROM_SITE,
    GEN,
    HELD_BY,
    INPUT,
    ITEM,
    LABEL,
    LAT,
    LEVEL,
    LONG,
    MAINTENANCE,
    MAX_KM,
    MAX_RANK,
    MINIMUM,
    MODEL,
    MONTHLY,
    NEEDED_BY,
    OF_PRODUCT,
    OFFERED_BY,
    OUTPUT,
    PERFORMED_BY,
    PERIOD,
    PROCESS,
    QUANTITY,
    RADIUS,
    RDF_TYPE,
    RECYCLED,
    REQUESTED_BY,
    REQUESTS,
    REQUIRES_CERT,
    REQUIRES_STRATEGY,
    RESIDUAL,
    SCHEME,
    STRATEGY,
    TAKE_BACK,
    TCO,
    TERM,
    TRUE,
    UNIT,
    UNIT_PRICE,
    VALID_FROM,
    VALID_THROUGH,
    VALID_UNTIL,
    VERIFIED_BY,
    XSD,
    dec,
    integer,
    kl,
    unit,
)

if TYPE_CHECKING:
    from kringloop.data.generator_cluster import Cluster

MIN_RADIUS_KM, MAX_RADIUS_KM = 25, 150
#: Slack when keeping a processor's reach away from a region: two site jitters and rounding.
MARGIN_KM = 16.0
MODEL_NOUNS = {
    "sale": "Sale",
    "lease": "Lease",
    "product-as-a-service": "Product-as-a-service",
    "buy-back": "Sale with buy-back",
    "pooling": "Pooling",
}
PRICE_FACTOR = {"new": 1.0, "refurbished": 0.55, "remanufactured": 0.7, "used": 0.35}
CO2E_PER_KG = {"refurbished": 6.0, "remanufactured": 4.5, "used": 8.0}
LAST_DAY = len(DATES) - 1


@dataclass(frozen=True)
class Kind:
    """A process kind: its class, the role that performs it, its strategy and business model."""

    cls: str
    role: str
    strategy: str
    model: str
    noun: str


PROCESS_KINDS: dict[str, Kind] = {
    "take-back": Kind("TakeBack", "collector", "reuse", "take-back", "Take-back"),
    "collect": Kind("Collection", "collector", "reuse", "take-back", "Collection"),
    "repair": Kind("Repair", "repairer", "repair", "repair-service", "Repair"),
    "refurbish": Kind("Refurbishment", "refurbisher", "refurbish", "buy-back", "Refurbishment"),
    "remanufacture": Kind(
        "Remanufacturing", "remanufacturer", "remanufacture", "buy-back", "Remanufacturing"
    ),
    "recycle": Kind("Recycling", "recycler", "recycle", "take-back", "Recycling"),
    "compost": Kind("Composting", "composter", "recycle", "take-back", "Composting"),
}
#: What a composting process makes of what it accepts (the biological cycle).
COMPOST = "https://w3id.org/kringloop/id/material/compost"


@dataclass
class Org:
    """A generated organisation: its IRI, main site and the roles it plays."""

    iri: str
    site: str
    name: str  # escaped for a literal
    lat: str
    long: str
    role: str
    parts: list[tuple[str, Product | None]]
    network: str | None = None


@dataclass
class Processing:
    """A processing offer, remembered for its flows."""

    org: Org
    process: str
    kind: str
    products: list[Product]
    returns: bool


def quantity(rng: random.Random, product: Product) -> float:
    """A plausible lot size in the product's unit."""
    unit_name = product.profile.unit
    if unit_name == "M2":
        return float(rng.randrange(200, 5000, 10))
    if unit_name == "KiloGM":
        return float(rng.randrange(500, 20000, 50))
    return float(rng.randrange(10, 400) * (50 if product.profile.price < 20 else 1))


def dates(rng: random.Random) -> tuple[int, int]:
    """A validity window (indexes into `DATES`): starts in 2026, lasts one to two years."""
    start = rng.randrange(0, 365)
    return start, min(LAST_DAY, start + rng.randrange(365, 800))


def supply_offers(c: Cluster, org: Org, product: Product, how: str) -> None:
    """One to three supply offers of ``product``; ``how`` is '' (a supplier), 'gap' (the
    region's gap type), 'producer', 'refurbish', 'remanufacture' or 'sharing'."""
    rng = c.rng
    models = product.profile.models
    condition = "new"
    if how in ("refurbish", "remanufacture"):
        condition = "refurbished" if how == "refurbish" else "remanufactured"
        models = tuple(m for m in models if m in ("sale", "lease", "buy-back")) or ("sale",)
    if how == "sharing":
        chosen = ["pooling"]
        condition = rng.choice(("new", "used"))
    elif how == "gap" and "lease" in models:
        chosen = ["lease", rng.choice(models)]
    else:
        weights = [3.0 if m in ("sale", "lease") else 1.5 for m in models]
        chosen = rng.choices(models, weights, k=1 + (rng.random() < 0.6) + (rng.random() < 0.25))
    if how in ("", "gap"):
        c.supplied.append((org, product))
    for model in dict.fromkeys(chosen):  # unique, in order
        supply_offer(c, org, product, model, condition, gap=product is c.gap)


def supply_offer(
    c: Cluster, org: Org, product: Product, model: str, condition: str, *, gap: bool
) -> None:
    rng = c.rng
    price = product.profile.price * PRICE_FACTOR[condition] * rng.uniform(0.85, 1.2)
    available = quantity(rng, product)
    start, end = dates(rng)
    label = f"{MODEL_NOUNS[model]} of {condition} {c.s.labels[product.iri]} by {org.name}"
    pairs = [
        (RDF_TYPE, A_SUPPLY),
        (LABEL, f'"{label}"'),
        (OFFERED_BY, org.iri),
        (FROM_SITE, org.site),
        (MODEL, c.code("business-model", model)),
        (STRATEGY, c.code("strategy", offer_strategy(c, product, model, condition, gap))),
        (ITEM, f"<{product.iri}>"),
        (CONDITION, c.code("condition", condition)),
        (AVAILABLE, dec(available, 1)),
        (MINIMUM, dec(max(1.0, round(available * rng.uniform(0.01, 0.2))), 1)),
        (UNIT, unit(product.profile.unit)),
        (VALID_FROM, DATES[start]),
        (VALID_THROUGH, DATES[end]),
        (AVAILABLE_FROM, DATES[min(end, start + rng.randrange(0, 60))]),
        (AVAILABLE_UNTIL, DATES[end]),
        (RADIUS, dec(float(rng.randrange(MIN_RADIUS_KM, MAX_RADIUS_KM + 1, 5)), 1)),
    ]
    if model in ("lease", "product-as-a-service", "pooling"):
        term = 12 if model == "pooling" else rng.choice((24, 36, 48, 60))
        low, high = {"lease": (1.1, 1.35), "product-as-a-service": (1.3, 1.6)}.get(
            model, (0.2, 0.45)
        )
        upkeep = price * 0.02 if model == "lease" else 0.0
        pairs += [
            (MONTHLY, dec(price * rng.uniform(low, high) / term)),
            (TERM, integer(term)),
            (MAINTENANCE, dec(upkeep)),
            (END_OF_LIFE, dec(0.0)),
            (RESIDUAL, dec(0.0)),
        ]
    else:
        residual = price * rng.uniform(0.15, 0.35) if model == "buy-back" else 0.0
        pairs += [
            (UNIT_PRICE, dec(price)),
            (MAINTENANCE, dec(price * rng.uniform(0.02, 0.06))),
            (END_OF_LIFE, dec(0.0 if model == "buy-back" else price * 0.02)),
            (RESIDUAL, dec(residual)),
        ]
    if gap:  # the designed gap: nothing takes it back
        pairs.append((TAKE_BACK, FALSE))
    elif model != "sale":
        pairs.append((TAKE_BACK, TRUE))
    if condition != "new":
        per_kg = CO2E_PER_KG[condition] * rng.uniform(0.8, 1.2)
        pairs.append((CO2E, dec(product.mass * per_kg, 1)))
    elif rng.random() < 0.4:
        share = rng.uniform(0.1, 0.6)
        pairs += [(RECYCLED, dec(share)), (CO2E, dec(product.mass * share * 1.5, 1))]
    features = [f for f in product.profile.features if f in c.s.code["design-feature"]]
    if features and rng.random() < 0.5:
        pairs.append((FEATURE, c.code("design-feature", rng.choice(features))))
    pairs += [(CLAIM, claim) for claim in claims(c, org, product, end, 1 + (rng.random() < 0.2))]
    c.w.block(c.s.new("offer"), pairs)


def offer_strategy(c: Cluster, product: Product, model: str, condition: str, gap: bool) -> str:
    """The R-strategy an offer stands for: its condition, or the loop a lease guarantees."""
    if condition != "new":
        return {"refurbished": "refurbish", "remanufactured": "remanufacture"}.get(
            condition, "reuse"
        )
    if model == "pooling" or gap:
        return "rethink"
    if model in ("lease", "product-as-a-service", "buy-back"):
        kind = c.loop_kind.get(product.iri)
        return PROCESS_KINDS[kind].strategy if kind else "rethink"
    return "reduce"


def claims(c: Cluster, org: Org, product: Product, end: int, count: int) -> list[str]:
    """Certification claims for an offer: the scheme fits the product's materials; third-party
    claims are verified by a facilitator, second-party ones by a buyer, else self-declared."""
    rng = c.rng
    found = []
    for scheme in rng.sample(product.certifications, min(count, len(product.certifications))):
        claim = c.s.new("claim")
        level = rng.choices(("third-party", "second-party", "self-declared"), (2, 1, 1))[0]
        verifier = org
        if level == "third-party" and c.facilitators:
            verifier = rng.choice(c.facilitators)
        elif level == "second-party" and c.buyers:
            verifier = rng.choice(c.buyers)
        else:
            level = "self-declared"
        evidence = f"{GEN}evidence/{c.s.counts['claim']}.pdf"
        c.w.block(
            claim,
            [
                (RDF_TYPE, A_CLAIM),
                (SCHEME, c.code("certification", scheme)),
                (LEVEL, c.code("verification-level", level)),
                (VERIFIED_BY, verifier.iri),
                (EVIDENCE, f'"{evidence}"^^<{XSD}anyURI>'),
                (VALID_UNTIL, DATES[min(LAST_DAY, end + rng.randrange(0, 365))]),
            ],
        )
        found.append(claim)
    return found


def surplus(c: Cluster, org: Org, product: Product) -> None:
    """Used stock a buyer holds (a product batch) and offers for reuse first."""
    rng, label = c.rng, c.s.labels[product.iri]
    start, end = dates(rng)
    amount = dec(max(1.0, round(quantity(rng, product) * 0.2)), 1)
    unit_term, used = unit(product.profile.unit), c.code("condition", "used")
    window = [(AVAILABLE_FROM, DATES[start]), (AVAILABLE_UNTIL, DATES[end])]
    c.w.block(
        c.s.new("batch"),
        [
            (RDF_TYPE, A_BATCH),
            (LABEL, f'"Used {label} held by {org.name}"'),
            (OF_PRODUCT, f"<{product.iri}>"),
            (HELD_BY, org.iri),
            (AT_SITE, org.site),
            (QUANTITY, amount),
            (UNIT, unit_term),
            (CONDITION, used),
            *window,
        ],
    )
    c.w.block(
        c.s.new("offer"),
        [
            (RDF_TYPE, A_SURPLUS),
            (LABEL, f'"Surplus {label} of {org.name}, free for reuse"'),
            (OFFERED_BY, org.iri),
            (FROM_SITE, org.site),
            (MODEL, c.code("business-model", "pooling")),
            (STRATEGY, c.code("strategy", "refuse")),
            (ITEM, f"<{product.iri}>"),
            (CONDITION, used),
            (AVAILABLE, amount),
            (UNIT, unit_term),
            (UNIT_PRICE, dec(0.0)),
            (VALID_FROM, DATES[start]),
            (VALID_THROUGH, DATES[end]),
            *window,
            (CO2E, dec(product.mass * rng.uniform(6.0, 10.0), 1)),
        ],
    )


def service_radius(c: Cluster, products: list[Product]) -> tuple[float, set[str]]:
    """A radius (25-150 km) that stays short of every region whose gap type is accepted, and
    the materials the offer must then not accept: those of the gap types of regions it reaches.
    """
    radius = float(c.rng.randrange(MIN_RADIUS_KM, MAX_RADIUS_KM + 1))
    for km, region in c.distances:
        if c.s.gaps[region] in products:
            radius = min(radius, max(float(MIN_RADIUS_KM), km - MARGIN_KM))
    banned: set[str] = set()
    for km, region in c.distances:
        if km < radius + MARGIN_KM:
            banned |= c.s.gap_materials[region]
    return radius, banned


def processing_offer(c: Cluster, org: Org, product: Product, how: str) -> None:
    """A processing offer and its process; ``how`` is 'kind/main' (it closes the loop),
    'kind/extra' (a quarter of these have no return flow) or 'take-back' (by a supplier)."""
    rng = c.rng
    name, _, role = how.partition("/")
    kind = PROCESS_KINDS["take-back" if name == "collect" and rng.random() < 0.5 else name]
    products = [product]
    if name != "take-back":
        products += [
            p for r, p in org.parts if r == kind.role and p is not None and p is not product
        ]
    radius, banned = service_radius(c, products)
    materials: list[str] = []
    if kind.cls in ("Recycling", "Composting"):
        for p in products:
            materials += [
                x.material
                for x in p.components
                if x.fraction >= 0.05 and x.material not in banned and x.material not in materials
            ]
    offer, process = c.s.new("offer"), c.s.new("process")
    names = ", ".join(c.s.labels[p.iri] for p in products)
    start, end = dates(rng)
    c.w.block(
        offer,
        [
            (RDF_TYPE, A_PROCESSING),
            (LABEL, f'"{kind.noun} of {names} by {org.name}"'),
            (OFFERED_BY, org.iri),
            (FROM_SITE, org.site),
            (MODEL, c.code("business-model", kind.model)),
            (STRATEGY, c.code("strategy", kind.strategy)),
            (PROCESS, process),
            *[(ACCEPTS_TYPE, f"<{p.iri}>") for p in products],
            *[(ACCEPTS_MATERIAL, f"<{m}>") for m in materials[:4]],
            (RADIUS, dec(radius, 1)),
            (CAPACITY, dec(quantity(rng, products[0]) * rng.randrange(5, 40), 1)),
            (VALID_FROM, DATES[start]),
            (VALID_THROUGH, DATES[end]),
        ],
    )
    outputs = [f"<{p.iri}>" for p in products]
    if kind.cls == "Recycling":
        outputs = [f"<{p.components[0].material}>" for p in products if p.components] or outputs
    elif kind.cls == "Composting":
        outputs = [f"<{COMPOST}>"]
    c.w.block(
        process,
        [
            (RDF_TYPE, kl(kind.cls)),
            (LABEL, f'"{kind.noun} of {names} by {org.name}"'),
            (PERFORMED_BY, org.iri),
            *[(INPUT, f"<{p.iri}>") for p in products],
            *[(OUTPUT, o) for o in dict.fromkeys(outputs)],
        ],
    )
    returns = role == "main" or rng.random() < 0.75
    c.processing.append(Processing(org, process, name, products, returns))


def need(c: Cluster, org: Org, product: Product) -> None:
    """A buyer's need: quantity, place, radius, date, accepted business models, R-rank, TCO."""
    rng = c.rng
    models = [m for m in product.profile.models if m in MODEL_NOUNS]
    accepted = rng.sample(models, min(len(models), rng.randint(1, 3)))
    pairs = [
        (RDF_TYPE, A_NEED),
        (LABEL, f'"{c.s.labels[product.iri]} needed by {org.name}"'),
        (REQUESTED_BY, org.iri),
        (REQUESTS, f"<{product.iri}>"),
        (QUANTITY, dec(max(1.0, round(quantity(rng, product) * 0.3)), 1)),
        (UNIT, unit(product.profile.unit)),
        (AT_PLACE, c.place),
        (LAT, f'"{org.lat}"{DECIMAL}'),
        (LONG, f'"{org.long}"{DECIMAL}'),
        (MAX_KM, dec(float(rng.randrange(15, 101, 5)), 1)),
        (NEEDED_BY, DATES[rng.randrange(60, LAST_DAY - 90)]),
        (PERIOD, integer(rng.choice((12, 24, 36, 48, 60, 72)))),
        (MAX_RANK, integer(rng.choices((3, 4, 5, 6, 8), (1, 2, 3, 2, 2))[0])),
        (TCO, dec(rng.randrange(30, 81) / 10, 1)),
        *[(ACCEPTS_MODEL, c.code("business-model", m)) for m in accepted],
    ]
    if product.certifications and rng.random() < 0.2:
        scheme = rng.choice(product.certifications)
        pairs.append((REQUIRES_CERT, c.code("certification", scheme)))
    if rng.random() < 0.15:
        strategy = PROCESS_KINDS[c.loop_kind.get(product.iri, "recycle")].strategy
        pairs.append((REQUIRES_STRATEGY, c.code("strategy", strategy)))
    c.w.block(c.s.new("need"), pairs)
