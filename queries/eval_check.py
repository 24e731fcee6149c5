"""Checking an answer against a case's expectations, field by field of the loop verdict.

The verdict's fields (``status``, ``loop.partners``, ``loop.strategy``, ``loop.missing_role``,
``loop.reason``, ``loop.change``, ``loop.shortfall_per_year``, ``loop.notes``) are read by the
names of the loop-verdict specification, from objects or mappings alike (the matchmaker's
result objects and the JSON answer read the same); a field an answer does not carry fails
with "the answer has no …".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kringloop.queries.eval_cases import Change, Expect

ROLES = (
    "refurbisher",
    "remanufacturer",
    "repairer",
    "recycler",
    "collector",
    "composter",
    "processor",
    "producer",
    "supplier",
)
_MISSING = object()


def field(obj: object, name: str) -> Any:
    """``obj.name`` or ``obj[name]``; ``_MISSING`` when it has no such field."""
    if obj is None:
        return _MISSING
    if isinstance(obj, Mapping):
        return obj.get(name, _MISSING)
    return getattr(obj, name, _MISSING)


def has(value: object) -> bool:
    return value is not _MISSING


@dataclass(frozen=True)
class Read:
    """A value read from an answer; ``stand_in`` says what was read when the field is missing."""

    value: Any
    stand_in: str = ""

    @property
    def found(self) -> bool:
        return has(self.value)

    def show(self) -> str:
        shown = "nothing" if not self.found else repr(self.value)
        return f"{shown} ({self.stand_in})" if self.stand_in else shown


def slug(iri: object) -> object:
    return iri.rstrip("/").rsplit("/", 1)[-1] if isinstance(iri, str) else iri


class Reader:
    """Reads the verdict of the chains of one answer."""

    def loop(self, chain: object) -> Any:
        return field(chain, "loop")

    def loop_field(self, chain: object, name: str) -> Read:
        loop = self.loop(chain)
        if not has(loop) or loop is None:
            return Read(_MISSING, f"the answer has no loop.{name}")
        value = field(loop, name)
        return Read(value, "" if has(value) else f"the answer has no loop.{name}")

    def status(self, chain: object) -> Read:
        value = field(chain, "status")
        return Read(value) if has(value) else self.loop_field(chain, "status")

    def partners(self, chain: object) -> Read:
        return self.loop_field(chain, "partners")

    def strategy(self, chain: object) -> Read:
        read = self.loop_field(chain, "strategy")
        return Read(slug(read.value)) if read.found else read

    def missing_role(self, chain: object) -> Read:
        read = self.loop_field(chain, "missing_role")
        return Read(slug(read.value)) if read.found else read

    def reason(self, chain: object) -> Read:
        read = self.loop_field(chain, "reason")
        if read.found and read.value is not None:
            code = field(read.value, "code")
            return Read(code if has(code) else read.value)
        return read

    def change(self, chain: object) -> Read:
        return self.loop_field(chain, "change")

    def shortfall(self, chain: object) -> Read:
        return self.loop_field(chain, "shortfall_per_year")

    def notes(self, chain: object) -> Read:
        read = self.loop_field(chain, "notes")
        if read.found:
            return Read([field(n, "code") for n in read.value or ()])
        return read

    def steps(self, chain: object) -> list[object]:
        loop = self.loop(chain)
        return listed(loop, "steps") or listed(chain, "steps")

    def fingerprint(self, chain: object) -> tuple[object, ...]:
        """What must not change when the same triples are in several graphs."""
        parts = {field(c, "name"): field(c, "value") for c in listed(chain, "components")}
        return (
            field(chain, "offer"),
            field(chain, "supplier"),
            field(chain, "score"),
            field(chain, "partial"),
            field(chain, "distance_km"),
            self.status(chain).value,
            self.partners(chain).value,
            self.strategy(chain).value,
            tuple(sorted(parts.items(), key=str)),
        )


def listed(obj: object, name: str) -> list[Any]:
    """The items of ``obj.name`` (none when it is missing or empty)."""
    value = field(obj, name)
    return list(value) if has(value) and value else []


def chains_of(result: object) -> list[object]:
    """The internal reuse and the ranked chains of an answer, in that order."""
    return [*listed(result, "internal_reuse"), *listed(result, "chains")]


def _close(actual: object, expected: float, tolerance: float) -> bool:
    return (
        isinstance(actual, int | float)
        and math.isfinite(actual)
        and (abs(actual - expected) <= tolerance)
    )


def _change_ok(actual: object, expected: Change) -> bool:
    kind, value = field(actual, "kind"), field(actual, "value")
    if kind != expected.kind:
        return False
    if isinstance(expected.value, int | float) and not isinstance(expected.value, bool):
        if not isinstance(value, int | float):
            return False
        low = expected.at_least if expected.at_least is not None else -math.inf
        return low - 1e-9 <= value <= expected.value + 1e-9
    return expected.value is None or value == expected.value


class Check:
    """The expectations of one case against one answer; ``failures`` says what differed."""

    def __init__(self, reader: Reader, result: object) -> None:
        self.reader = reader
        self.chains = chains_of(result)
        self.ranked = listed(result, "chains")
        self.by_offer: dict[str, object] = {}
        for chain in self.chains:
            self.by_offer.setdefault(str(field(chain, "offer")), chain)
        self.failures: list[str] = []

    def fail(self, text: str) -> None:
        self.failures.append(text)

    def chain(self, offer: str, what: str) -> object | None:
        found = self.by_offer.get(offer)
        if found is None:
            self.fail(f"{what} of {slug(offer)}: the offer is not among the chains")
        return found

    def each(self, what: str, expected: Mapping[str, Any], read: Any, ok: Any) -> None:
        for offer, want in sorted(expected.items()):
            chain = self.chain(offer, what)
            if chain is None:
                continue
            got: Read = read(chain)
            if not got.found or not ok(got.value, want):
                shown = want.model_dump(exclude_none=True) if isinstance(want, Change) else want
                self.fail(f"{what} of {slug(offer)}: expected {shown!r}, got {got.show()}")

    def run(self, e: Expect, *, buyer_given: bool) -> list[str]:
        r = self.reader
        self.each("status", e.status, r.status, lambda a, w: a == w)
        self.each(
            "missing role",
            e.missing_role,
            r.missing_role,
            lambda a, w: a in (w if isinstance(w, list) else [w]),
        )
        self.each("reason", e.reason, r.reason, lambda a, w: a == w)
        self.each("partners", e.partners, r.partners, lambda a, w: a == w)
        self.each("strategy", e.strategy, r.strategy, lambda a, w: a == w)
        self.each("partial", e.partial, lambda c: Read(field(c, "partial")), lambda a, w: a == w)
        self.each("shortfall", e.shortfall, r.shortfall, lambda a, w: _close(a, w, 0.5))
        self.each(
            "distance",
            e.distance_km,
            lambda c: Read(field(c, "distance_km")),
            lambda a, w: _close(a, w, 1.0),
        )
        self.each("notes", e.notes, r.notes, lambda a, w: set(w) <= set(a or ()))
        self.each("change", e.change, r.change, lambda a, w: a is not None and _change_ok(a, w))
        self._via(e.via)
        for offer in e.excluded:
            if offer in self.by_offer:
                self.fail(f"excluded {slug(offer)}: it is among the chains")
        self._order(e.order)
        self._same_supplier(e.same_supplier)
        if buyer_given:
            self._buyer(e.buyer)
        return self.failures

    def _via(self, via: Mapping[str, Sequence[str]]) -> None:
        for offer, organisations in sorted(via.items()):
            chain = self.chain(offer, "via")
            if chain is None:
                continue
            on = {field(s, "organisation") for s in self.reader.steps(chain)}
            for organisation in organisations:
                if organisation not in on:
                    shown = ", ".join(sorted(str(slug(o)) for o in on if o))
                    self.fail(f"via of {slug(offer)}: {slug(organisation)} is not on ({shown})")

    def _order(self, order: Sequence[str]) -> None:
        positions = [
            self.chains.index(self.by_offer[o]) if o in self.by_offer else -1 for o in order
        ]
        if any(p < 0 for p in positions):
            absent = [slug(o) for o, p in zip(order, positions, strict=True) if p < 0]
            self.fail(f"order: {', '.join(map(str, absent))} not among the chains")
        elif positions != sorted(positions):
            found = sorted(order, key=lambda o: positions[order.index(o)])
            self.fail(
                f"order: expected {', '.join(str(slug(o)) for o in order)}, "
                f"got {', '.join(str(slug(o)) for o in found)}"
            )

    def _same_supplier(self, pairs: Iterable[tuple[str, str]]) -> None:
        for a, b in pairs:
            one, other = self.by_offer.get(a), self.by_offer.get(b)
            if one is None or other is None:
                self.fail(f"same supplier {slug(a)}, {slug(b)}: not both among the chains")
                continue
            if field(one, "supplier") == field(other, "supplier"):
                continue
            later = max((one, other), key=self.chains.index)
            penalty = field(later, "diversity_penalty")
            if not (isinstance(penalty, int | float) and penalty < 1):
                self.fail(
                    f"same supplier {slug(a)}, {slug(b)}: counted as two suppliers "
                    f"(suppliers {slug(field(one, 'supplier'))}, {slug(field(other, 'supplier'))};"
                    f" no diversity penalty on {slug(field(later, 'offer'))})"
                )

    def _buyer(self, expected: str | None) -> None:
        for chain in self.chains:
            for step in self.reader.steps(chain):
                if field(step, "role") != "buyer":
                    continue
                named = field(step, "organisation")
                named = None if not has(named) or named in ("", None) else named
                if named != expected:
                    self.fail(
                        f"buyer step of {slug(field(chain, 'offer'))}: expected "
                        f"{expected or 'no organisation'}, got {named}"
                    )
                    return

    def hit(self, top: Sequence[str]) -> int | None:
        """The rank (1-based) of the first ranked chain whose supplier is in ``top``."""
        suppliers = [field(c, "supplier") for c in self.ranked]
        return next((i + 1 for i, s in enumerate(suppliers) if s in top), None)
