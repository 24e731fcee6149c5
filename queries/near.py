"""The request's hard filters over the rows of the stage queries: distance, models, dates.

The stage queries return every offer of a product type with its coordinates; which ones are
near the buyer is decided here, with the arithmetic the SPARQL filter used (squared
equirectangular kilometres in doubles: ``((lat - lat0) * 111.195)² + ((long - long0) * k)²``),
so a row passes here exactly when it passed the query's ``FILTER(?km2 <= ?maxKm2)``. A
coordinate that is not a number drops the row, as the failed arithmetic did in SPARQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache

import pyoxigraph as ox

from kringloop.graph.binding import Term, bind_values
from kringloop.graph.store import Row
from kringloop.queries.resolve import KM_PER_DEG_LAT, km_per_degree_long

XSD = "http://www.w3.org/2001/XMLSchema#"
DOUBLE = ox.NamedNode(XSD + "double")
DATE = ox.NamedNode(XSD + "date")
NUMERIC = frozenset(
    XSD + t
    for t in [
        "decimal",
        "double",
        "float",
        "integer",
        "nonPositiveInteger",
        "negativeInteger",
        "long",
        "int",
        "short",
        "byte",
        "nonNegativeInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
        "positiveInteger",
    ]
)
_PLAIN_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def number(term: object) -> float | None:
    """The value of a numeric literal as a double, or None for anything else.

    >>> number(ox.Literal("50.92457", datatype=ox.NamedNode(XSD + "decimal")))
    50.92457
    >>> number(ox.Literal("50.9")) is None
    True
    """
    if not isinstance(term, ox.Literal) or term.datatype.value not in NUMERIC:
        return None
    try:
        return float(term.value)
    except ValueError:
        return None


@dataclass(frozen=True)
class Origin:
    """Where the buyer is, and how far it looks (squared kilometres)."""

    lat: float
    long: float
    max_km2: float

    @cached_property
    def km_per_deg_long(self) -> float:
        return km_per_degree_long(self.lat)

    def km2_at(self, lat: float, long: float) -> float:
        """Squared distance from the buyer to ``lat``/``long``."""
        dy = (lat - self.lat) * KM_PER_DEG_LAT
        dx = (long - self.long) * self.km_per_deg_long
        return dx * dx + dy * dy


def valid_on(rows: Iterable[Row], needed: date) -> Iterator[Row]:
    """The rows without a ``validThrough`` or valid through ``needed`` or later
    (``FILTER(!BOUND(?validThrough) || ?validThrough >= ?neededBy)``)."""
    day = needed.isoformat()
    for row in rows:
        through = row.get("validThrough")
        if through is None or not_before(through, day):
            yield row


def not_before(term: Term, day: str) -> bool:
    """Whether ``term`` (a validThrough) is ``day`` (yyyy-mm-dd) or later, as SPARQL's ``>=``."""
    if (
        isinstance(term, ox.Literal)
        and term.datatype == DATE
        and _PLAIN_DATE.match(term.value)
        and _PLAIN_DATE.match(day)
    ):
        return term.value >= day
    return _engine_not_before(term, day)  # time zones, other types: as SPARQL compares them


_EMPTY = ox.Store()


@lru_cache(maxsize=1024)
def _engine_not_before(term: Term, day: str) -> bool:
    """``term >= day`` as SPARQL compares them (an error counts as false, as in a FILTER).

    >>> _engine_not_before(ox.Literal("2030-01-01Z", datatype=DATE), "2026-06-01")
    True
    >>> _engine_not_before(ox.Literal("later"), "2026-06-01")
    False
    """
    ask = bind_values(
        "ASK { FILTER(?v >= ?day) }", {"v": term, "day": ox.Literal(day, datatype=DATE)}
    )
    return bool(_EMPTY.query(ask))
