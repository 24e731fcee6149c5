"""The rows of the matchmaking stages, parsed once: supply offers, processing offers, flows.

A product type's rows are the same for every request about it, so they are parsed when they
are read and kept with them (`kringloop.queries.match_cache`); a request then only filters
and scores. Each record keeps what the request's own filters need: coordinates (as doubles,
`kringloop.queries.near`), business model, and the ``validThrough`` term as the store gave it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kringloop.graph.binding import Term
from kringloop.graph.store import Row, text, truth
from kringloop.queries.flow_graph import Edge
from kringloop.queries.near import number


def _f(row: Row, key: str) -> float | None:
    """A number of the row (None when it is missing or not a number)."""
    if key not in row:
        return None
    try:
        return float(text(row[key]))
    except ValueError:
        return None


def _d(row: Row, key: str) -> date | None:
    if key not in row:
        return None
    try:
        return date.fromisoformat(text(row[key])[:10])
    except ValueError:
        return None


def _rank(row: Row) -> int | None:
    value = _f(row, "rank")
    return None if value is None else int(value)


@dataclass(frozen=True)
class SupplyOffer:
    """One row of the supply-candidates stage: an offer at one site, with its details."""

    offer: str
    supplier: str
    supplier_label: str
    product_type: str
    model: str
    internal: bool
    lat: float
    long: float
    strategy: str | None
    rank: int | None
    condition: str | None
    available: float | None
    minimum: float | None
    unit_price: float | None
    monthly_fee: float | None
    maintenance: float | None
    end_of_life: float | None
    residual: float | None
    valid_from: date | None
    valid_through: date | None
    #: ``validThrough`` as the store gave it, for the date filter (`near.not_before`)
    through: Term | None
    takes_back: bool
    co2e: float | None
    mass: float | None
    sourced: bool


def supply_offer(row: Row) -> SupplyOffer | None:
    """The row parsed; None when its coordinates are not numbers (SPARQL's distance
    arithmetic failed there, which left the row out)."""
    lat, long = number(row.get("lat")), number(row.get("long"))
    if lat is None or long is None:
        return None
    return SupplyOffer(
        offer=text(row["offer"]),
        supplier=text(row["supplier"]),
        supplier_label=text(row.get("supplierLabel", row["supplier"])),
        product_type=text(row["productType"]),
        model=text(row["model"]),
        internal=truth(row["internal"]),
        lat=lat,
        long=long,
        strategy=text(row["strategy"]) if "strategy" in row else None,
        rank=_rank(row),
        condition=text(row["condition"]) if "condition" in row else None,
        available=_f(row, "available"),
        minimum=_f(row, "minimum"),
        unit_price=_f(row, "unitPrice"),
        monthly_fee=_f(row, "monthlyFee"),
        maintenance=_f(row, "maintenance"),
        end_of_life=_f(row, "endOfLife"),
        residual=_f(row, "residual"),
        valid_from=_d(row, "validFrom"),
        valid_through=_d(row, "validThrough"),
        through=row.get("validThrough"),
        takes_back="takeBack" in row and truth(row["takeBack"]),
        co2e=_f(row, "co2e"),
        mass=_f(row, "mass"),
        sourced="source" in row,
    )


@dataclass(frozen=True)
class ProcessingOffer:
    """One row of the processing-candidates stage."""

    offer: str
    organisation: str
    label: str
    process: str
    process_class: str
    product_type: str
    material: str | None
    lat: float
    long: float
    radius: float | None
    strategy: str | None
    rank: int | None


def processing_offer(row: Row) -> ProcessingOffer | None:
    """The row parsed; None when its coordinates are not numbers."""
    lat, long = number(row.get("lat")), number(row.get("long"))
    if lat is None or long is None:
        return None
    return ProcessingOffer(
        offer=text(row["pOffer"]),
        organisation=text(row["processor"]),
        label=text(row.get("processorLabel", row["processor"])),
        process=text(row["process"]),
        process_class=text(row["processClass"]),
        product_type=text(row["productType"]),
        material=text(row["material"]) if "material" in row else None,
        lat=lat,
        long=long,
        radius=_f(row, "radius"),
        strategy=text(row["strategy"]) if "strategy" in row else None,
        rank=_rank(row),
    )


def flow(row: Row) -> tuple[Edge, tuple[tuple[str, str], ...]]:
    """A row of the loop-flows stage: the edge and the labels it gives its ends."""
    edge = Edge(
        text(row["from"]), text(row["to"]), text(row["kind"]), text(row["flow"]), text(row["of"])
    )
    named = tuple(
        (text(row[end]), text(row[f"{end}Label"])) for end in ("from", "to") if f"{end}Label" in row
    )
    return edge, named


@dataclass(frozen=True)
class Claims:
    """The claims of one offer (rows of the offer-claims stage): the best verification score,
    the schemes and the claims themselves."""

    offer: str
    verification: float
    schemes: frozenset[str]
    claims: tuple[str, ...]


NO_CLAIMS = Claims("", 0.0, frozenset(), ())


def claims(rows: list[Row]) -> Claims:
    """The rows of one offer parsed (a score that is not a number counts as none)."""
    scores = [score for row in rows if (score := _f(row, "score")) is not None]
    return Claims(
        offer=text(rows[0]["offer"]),
        verification=max(scores) if scores else 0.0,
        schemes=frozenset(text(row["scheme"]) for row in rows),
        claims=tuple(text(row["claim"]) for row in rows),
    )
