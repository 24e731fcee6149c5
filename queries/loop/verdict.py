"""The answer to "does this loop close?": a verdict with its evidence, its reasons and what
would change it.

Reasons are codes with parameters, so each language can say them (`Reason.text` is the
English sentence the JSON answer and the command line carry).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

Status = Literal["closed", "promised", "open"]
#: The order of the tiers: closed before promised before open.
TIER: Mapping[str, int] = MappingProxyType({"closed": 0, "promised": 1, "open": 2})

Param = str | int | float | None

#: The English sentence of each reason code ({name} are its parameters).
TEXTS: Mapping[str, str] = MappingProxyType(
    {
        "promised-flag": "the offer promises to take the product back, but no processor, "
        "process or flow in the graph backs that promise",
        "no-processor-in-reach": "no processor that closes the loop serves the place of use "
        "within {within_km:g} km; the nearest is {label} ({role}) at {km:g} km",
        "no-processor-anywhere": "no processor anywhere accepts {product} or one of its "
        "materials ({materials})",
        "no-way-back": "{label} ({role}) takes {product} back, but no valid flow leads from "
        "there to a producer of it or to the supplier",
        "no-way-back-anywhere": "processors accept {product}, but from none of them does a "
        "valid flow lead back to a producer of it or to the supplier",
        "too-long": "the way back through {label} passes {partners} organisations; a loop may "
        "have at most {max_partners}",
        "expired": "{label} ({what}) is valid {window}, not over the whole period of use "
        "({start} to {end})",
        "capacity": "{label} ({role}) handles {capacity:g} {unit} a year; the need returns "
        "{needed:g} {unit} a year",
        "certification-expired": "the claim {label} ({scheme}) ended on {until}",
    }
)


@dataclass(frozen=True)
class Reason:
    """Why a loop is not (or only partly) closed: a code and its parameters."""

    code: str
    params: Mapping[str, Param] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The English sentence.

        >>> Reason("too-long", {"label": "X", "partners": 7, "max_partners": 6}).text
        'the way back through X passes 7 organisations; a loop may have at most 6'
        >>> far = {"label": "X", "role": "recycler", "km": 50.2, "within_km": 50.0}
        >>> Reason("no-processor-in-reach", far).text[-52:]
        'within 50 km; the nearest is X (recycler) at 50.2 km'
        """
        template = TEXTS.get(self.code, self.code)
        try:
            return template.format(**self.params)
        except (KeyError, ValueError, TypeError):
            return template

    def as_json(self) -> dict[str, object]:
        return {"code": self.code, "text": self.text, "params": dict(self.params)}


@dataclass(frozen=True)
class Step:
    """One step of a chain: who does what, in order. The buyer's step has no organisation
    unless the request names the requester."""

    index: int
    role: str
    organisation: str | None
    label: str
    offer: str | None = None
    process: str | None = None
    flow: str | None = None
    distance_km: float | None = None


@dataclass(frozen=True)
class Closer:
    """An organisation that would close the loop if it were in reach."""

    organisation: str
    label: str
    role: str
    offer: str
    distance_km: float
    radius_km: float | None
    partners: int

    def as_json(self) -> dict[str, object]:
        return {
            "organisation": self.organisation,
            "label": self.label,
            "role": self.role,
            "offer": self.offer,
            "distance_km": round(self.distance_km, 1),
            "radius_km": self.radius_km,
            "partners": self.partners,
        }


#: The English sentence of each kind of change.
CHANGES: Mapping[str, str] = MappingProxyType(
    {
        "within_km": "a closed loop exists within {value:g} km",
        "period_months": "a closed loop exists for a period of at most {value} months",
        "needed_by": "a closed loop exists from {value}",
        "partial": "a closed loop exists when a processor may take back part of the quantity",
    }
)


@dataclass(frozen=True)
class Change:
    """The smallest change to the request that closes the loop."""

    kind: str
    value: Param

    @property
    def text(self) -> str:
        """The English sentence.

        >>> Change("within_km", 80).text
        'a closed loop exists within 80 km'
        """
        return CHANGES.get(self.kind, self.kind).format(value=self.value)

    def as_json(self) -> dict[str, object]:
        return {"kind": self.kind, "value": self.value, "text": self.text}


@dataclass(frozen=True)
class Verdict:
    """Whether the loop of one supply offer closes for one place, period and quantity."""

    status: Status
    partners: int | None = None
    steps: tuple[Step, ...] = ()
    evidence: tuple[str, ...] = ()
    strategy: str | None = None
    rank: int | None = None
    missing_role: str | None = None
    reason: Reason | None = None
    closers: tuple[Closer, ...] = ()
    change: Change | None = None
    shortfall: float | None = None
    notes: tuple[Reason, ...] = ()
    processor: str | None = None
    #: the organisations of the way back, from the processor to where it ends
    path: tuple[str, ...] = ()

    @property
    def closed(self) -> bool:
        return self.status == "closed"

    @property
    def shortfall_per_year(self) -> float | None:
        return self.shortfall

    @property
    def partial(self) -> bool:
        return self.shortfall is not None and self.shortfall > 0

    @property
    def tier(self) -> int:
        return TIER[self.status]

    def as_json(self) -> dict[str, object]:
        """The verdict as the JSON answer carries it (``loop`` of a chain)."""
        return {
            "status": self.status,
            "partners": self.partners,
            "strategy": self.strategy,
            "r_rank": self.rank,
            "steps": [step_json(s) for s in self.steps],
            "evidence": list(self.evidence),
            "missing_role": self.missing_role,
            "reason": self.reason.as_json() if self.reason is not None else None,
            "candidates": [c.as_json() for c in self.closers],
            "change": self.change.as_json() if self.change is not None else None,
            "shortfall_per_year": self.shortfall,
            "notes": [n.as_json() for n in self.notes],
        }


def step_json(step: Step) -> dict[str, object]:
    return {
        "index": step.index,
        "role": step.role,
        "organisation": step.organisation,
        "label": step.label,
        "offer": step.offer,
        "process": step.process,
        "flow": step.flow,
        "distance_km": step.distance_km,
    }
