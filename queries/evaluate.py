"""Evaluating matchmaking by replaying cases: hit@1, hit@3, coverage and weight stability.

A case is a request and the partner(s) that must rank in the top 3 (the documented cases of
the seed, and constructed cases on the illustrative market). Stability moves each weight by
±20 % and checks that the top 3 stays the same set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from kringloop.data import DATA_DIR
from kringloop.graph.errors import ConfigError
from kringloop.graph.store import Store, text
from kringloop.queries.matchmaker import match
from kringloop.queries.request import COMPONENTS, MatchRequest, Weights

CASES = DATA_DIR / "eval" / "cases.yaml"
#: The date the cases are replayed at, so that offers' validity does not age the results.
EVAL_DAY = date(2026, 11, 1)


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    request: MatchRequest
    expected: tuple[str, ...]


@dataclass(frozen=True)
class CaseResult:
    name: str
    expected: tuple[str, ...]
    top: tuple[str, ...]
    position: int | None
    stability: float


@dataclass(frozen=True)
class Report:
    cases: tuple[CaseResult, ...]
    hit_at_1: float
    hit_at_3: float
    coverage: float
    stability: float
    suppliers_recommended: int
    suppliers_total: int


def load_cases(path: Path = CASES) -> list[Case]:
    """The evaluation cases (YAML: name, source, request, expect)."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"cannot read the evaluation cases {path}: {err}") from err
    cases = []
    for item in raw:
        cases.append(
            Case(
                name=item["name"],
                source=item.get("source", "constructed"),
                request=MatchRequest(**item["request"]),
                expected=tuple(item["expect"]),
            )
        )
    return cases


def _top(store: Store, request: MatchRequest, k: int = 3) -> tuple[str, ...]:
    result = match(store, request, today=EVAL_DAY)
    return tuple(c.supplier for c in result.chains[:k])


def _stability(store: Store, request: MatchRequest, baseline: tuple[str, ...]) -> float:
    same = total = 0
    for name in COMPONENTS:
        for factor in (0.8, 1.2):
            weights = request.weights.model_copy(update={name: request.weights.of(name) * factor})
            moved = _top(store, request.model_copy(update={"weights": weights}))
            same += set(moved) == set(baseline)
            total += 1
    return same / total


def evaluate(store: Store, cases: Sequence[Case]) -> Report:
    """Replay ``cases`` against ``store``."""
    results = []
    recommended: set[str] = set()
    for case in cases:
        request = case.request.model_copy(update={"top_k": max(case.request.top_k, 5)})
        ranked = match(store, request, today=EVAL_DAY).chains
        suppliers = tuple(c.supplier for c in ranked)
        recommended.update(suppliers)
        position = next((i + 1 for i, s in enumerate(suppliers) if s in case.expected), None)
        stability = _stability(store, case.request, suppliers[:3])
        results.append(CaseResult(case.name, case.expected, suppliers[:3], position, stability))
    sweep_suppliers = _sweep(store, cases)
    recommended |= sweep_suppliers
    total = {
        text(r["s"])
        for r in store.select(
            "PREFIX kl: <https://w3id.org/kringloop/ns#> "
            "SELECT DISTINCT ?s WHERE { ?o a kl:SupplyOffer ; kl:offeredBy ?s }",
            union_default_graph=True,
        )
    }
    n = len(results) or 1
    return Report(
        cases=tuple(results),
        hit_at_1=sum(1 for r in results if r.position == 1) / n,
        hit_at_3=sum(1 for r in results if r.position is not None and r.position <= 3) / n,
        coverage=len(recommended & total) / (len(total) or 1),
        stability=sum(r.stability for r in results) / n,
        suppliers_recommended=len(recommended & total),
        suppliers_total=len(total),
    )


def _sweep(store: Store, cases: Sequence[Case]) -> set[str]:
    """Suppliers recommended for every product type at the places the cases use."""
    products = [
        text(r["p"])
        for r in store.select(
            "PREFIX kl: <https://w3id.org/kringloop/ns#> "
            "SELECT DISTINCT ?p WHERE { ?p a kl:ProductType }",
            union_default_graph=True,
        )
    ]
    places = sorted({c.request.near for c in cases if c.request.near})
    found: set[str] = set()
    for product in sorted(products):
        for place in places:
            request = MatchRequest(
                what=product, near=place, within_km=100, top_k=5, weights=Weights()
            )
            found.update(c.supplier for c in match(store, request, today=EVAL_DAY).chains)
    return found
