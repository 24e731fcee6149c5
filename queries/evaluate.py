"""Evaluating matchmaking by replaying cases a buyer would recognise (``data/eval/``).

Each case (`kringloop.queries.eval_cases`) is a request and what its answer must show: the
status of a chain's loop, its partners, credited strategy, what is missing and the smallest
change that closes it, which offers the hard filters remove, in which order chains rank, and
whether the request is refused. A case runs on the demo store, or on a fresh in-memory store
that holds only the vocabulary (ontology, code lists, CPV, places) and its scenario file; with
``twice`` the scenario goes into a second named graph as well, and the answer must not change.

The report gives, per rule, the cases that passed and what differed in those that failed;
hit@1 and hit@3 over the cases that name the suppliers that must rank first (``top``); the
stability of their top 3 when each weight moves by ±20 %; and the coverage of the demo market.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from pydantic import ValidationError

from kringloop.graph.bundle import bundled_sources
from kringloop.graph.formats import format_for_path
from kringloop.graph.load import Source, parse_file
from kringloop.graph.store import OxigraphStore, Row, Store, text
from kringloop.queries.eval_cases import EVAL_DAY, KINDS, SCENARIO_BASE, TITLES, Case, load_cases
from kringloop.queries.eval_check import Check, Reader
from kringloop.queries.matchmaker import MatchResult, match
from kringloop.queries.request import COMPONENTS, MatchRequest, Weights
from kringloop.queries.resolve import ResolutionError

__all__ = ["CaseResult", "Report", "RuleSummary", "evaluate", "load_cases", "scenario_store"]

#: The parts of the bundle a scenario is loaded with: the vocabulary, no seed, no market.
VOCABULARY = ("ontology", "codelists", "cpv", "places")
#: Chains asked for when a case does not say: enough that a missing offer was excluded.
TOP_K = 50
#: Rows a match may read with its scenario in two graphs, as a multiple of the rows with it in
#: one (rule 11 wants the same number): past it the match is stopped.
TWICE_BUDGET = 3
KL = "https://w3id.org/kringloop/ns#"


@dataclass(frozen=True)
class CaseResult:
    name: str
    rule: str
    source: str
    file: str
    passed: bool
    failures: tuple[str, ...]
    top: tuple[str, ...]
    position: int | None
    stability: float | None


@dataclass(frozen=True)
class RuleSummary:
    rule: str
    title: str
    cases: int
    passed: int
    failed: int
    failing: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    cases: tuple[CaseResult, ...]
    rules: tuple[RuleSummary, ...]
    hit_cases: int
    hit_at_1: float
    hit_at_3: float
    stability: float
    coverage: float
    suppliers_recommended: int
    suppliers_total: int

    @property
    def failures(self) -> tuple[CaseResult, ...]:
        return tuple(c for c in self.cases if not c.passed)

    @property
    def passed(self) -> bool:
        return not self.failures


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[ox.Quad, ...]:
    return tuple(q for source in bundled_sources(list(VOCABULARY)) for q in parse_file(source))


def scenario_graph(case_file: str, copy: int = 0) -> ox.NamedNode:
    """The named graph a scenario file goes to (``copy`` 1: the second graph of ``twice``).

    >>> scenario_graph("tiers").value
    'https://example.org/kringloop/eval/graph/tiers'
    """
    return ox.NamedNode(f"{SCENARIO_BASE}graph/{case_file}" + (f"/copy-{copy}" if copy else ""))


class RowBudgetExceeded(Exception):
    """The SELECT queries of a match returned more rows than the evaluation allows."""


class MeteredStore(OxigraphStore):
    """An in-memory store that counts the rows its SELECT queries return (the cost of an
    answer, in a way that does not depend on the machine), and stops a query that takes the
    count past ``budget``: a query whose rows multiply cannot take the machine's memory."""

    def __init__(self, *, budget: int | None = None) -> None:
        super().__init__(ox.Store(), location="memory")
        self.rows = 0
        self.budget = budget

    def select(self, sparql: str, **kwargs: object) -> list[Row]:
        result = self.query(sparql, **kwargs)  # type: ignore[arg-type]
        assert isinstance(result, ox.QuerySolutions)
        names = [v.value for v in result.variables]
        rows: list[Row] = []
        for solution in result:
            self.rows += 1
            if self.budget is not None and self.rows > self.budget:
                raise RowBudgetExceeded(self.rows)
            rows.append({n: v for n in names if (v := solution[n]) is not None})
        return rows


def scenario_store(path: Path, *, twice: bool = False, budget: int | None = None) -> MeteredStore:
    """A fresh in-memory store with the vocabulary and the scenario file ``path``, in its
    own named graph (and, with ``twice``, in a second one as well)."""
    store = MeteredStore(budget=budget)
    store.add_quads(_vocabulary())
    for copy in range(2 if twice else 1):
        graph = scenario_graph(path.stem, copy)
        store.add_quads(parse_file(Source(path=path, format=format_for_path(path), graph=graph)))
    return store


class _Stores:
    """The stores of one evaluation: the demo store, and each scenario's, built once."""

    def __init__(self, demo: Store | None) -> None:
        self.demo = demo
        self.kept: dict[Path, Store] = {}

    def of(self, case: Case) -> Store:
        if case.scenario is None:
            if self.demo is None:
                raise ValueError(f"case {case.name} runs on the demo data; no demo store given")
            return self.demo
        if case.scenario not in self.kept:
            self.kept[case.scenario] = scenario_store(case.scenario)
        return self.kept[case.scenario]


def _request(case: Case, **update: object) -> MatchRequest:
    body = {"top_k": TOP_K, **case.request, **update, "save": False}
    return MatchRequest(**body)


def _answer(case: Case, store: Store) -> MatchResult | Exception:
    """The answer to the case's request, or the refusal (a 422: resolution or validation)."""
    try:
        return match(store, _request(case), today=case.today)
    except (ResolutionError, ValidationError) as err:
        return err


def _refusal(err: Exception) -> str:
    if isinstance(err, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
    return str(err)


def _top(store: Store, request: MatchRequest, today: date, k: int = 3) -> tuple[str, ...]:
    result = match(store, request, today=today)
    return tuple(c.supplier for c in result.chains[:k])


def _stability(store: Store, case: Case, baseline: tuple[str, ...]) -> float:
    """The share of ±20 % moves of one weight after which the top 3 is the same set."""
    request = _request(case)
    same = total = 0
    for name in COMPONENTS:
        for factor in (0.8, 1.2):
            weights = request.weights.model_copy(update={name: request.weights.of(name) * factor})
            moved = _top(store, request.model_copy(update={"weights": weights}), case.today)
            same += set(moved) == set(baseline)
            total += 1
    return same / total


def run_case(case: Case, stores: _Stores) -> CaseResult:
    """Run one case and check every expectation of it."""
    failures: list[str] = []
    once: MatchResult | Exception | None = None
    answer: MatchResult | Exception | None
    store: Store
    if case.twice:
        store, answer, once, cost = _twice(case)
        failures += cost
    else:
        store = stores.of(case)
        answer = _answer(case, store)
    position: int | None = None
    top: tuple[str, ...] = ()
    stability: float | None = None
    if answer is None:
        pass  # stopped: the cost failure says why
    elif case.expect.error is not None:
        if not isinstance(answer, Exception):
            failures.append(
                f"expected the request to be refused ({case.expect.error}); it was answered"
            )
    elif isinstance(answer, Exception):
        failures.append(f"the request was refused: {_refusal(answer)}")
    else:
        check = Check(Reader(), answer)
        failures += check.run(case.expect, buyer_given="buyer" in case.expect.model_fields_set)
        top = tuple(c.supplier for c in answer.chains[:3])
        if case.expect.top:
            position = check.hit(case.expect.top)
            if position is None or position > 3:
                failures.append(
                    f"top: none of {', '.join(s.rsplit('/', 1)[-1] for s in case.expect.top)} in "
                    f"the top 3 ({', '.join(s.rsplit('/', 1)[-1] for s in top) or 'no chains'})"
                )
            stability = _stability(store, case, top)
        if isinstance(once, MatchResult):
            failures += _same_answers(Reader(), once, answer)
        elif once is not None:
            failures.append(f"with the scenario in one graph the request was refused: {once}")
    return CaseResult(
        name=case.name,
        rule=case.rule,
        source=case.source,
        file=case.file.name,
        passed=not failures,
        failures=tuple(failures),
        top=top,
        position=position,
        stability=stability,
    )


def _twice(
    case: Case,
) -> tuple[MeteredStore, MatchResult | Exception | None, MatchResult | Exception, list[str]]:
    """Rule 11: the answer with the scenario in two graphs, the answer with it in one, and
    what differed in their cost (the rows the matchmaker's queries returned, on fresh stores).
    A match that reads far more rows than with the scenario in one graph is stopped."""
    assert case.scenario is not None
    single = scenario_store(case.scenario)
    once = _answer(case, single)
    budget = TWICE_BUDGET * single.rows + 1000
    store = scenario_store(case.scenario, twice=True, budget=budget)
    try:
        answer: MatchResult | Exception | None = _answer(case, store)
    except RowBudgetExceeded:
        return (
            store,
            None,
            once,
            [
                f"twice: the matchmaker's queries returned more than {budget} rows and were "
                f"stopped ({single.rows} with the scenario in one graph)"
            ],
        )
    finally:
        store.budget = None
    cost = []
    if store.rows != single.rows:
        cost.append(
            f"twice: the matchmaker's queries returned {store.rows} rows, {single.rows} with "
            "the scenario in one graph"
        )
    return store, answer, once, cost


def _same_answers(reader: Reader, once: MatchResult, twice: MatchResult) -> list[str]:
    """What differs between the answer with the scenario in one graph and in two."""
    a = [reader.fingerprint(c) for c in [*once.internal_reuse, *once.chains]]
    b = [reader.fingerprint(c) for c in [*twice.internal_reuse, *twice.chains]]
    failures = []
    if once.considered != twice.considered:
        failures.append(
            f"twice: {twice.considered} candidate offers considered, {once.considered} with the "
            "scenario in one graph"
        )
    if a != b:
        at = next(
            (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
        )
        failures.append(
            f"twice: the answer differs from the one with the scenario in one graph "
            f"({len(b)} chains, {len(a)} in one graph; first difference at rank {at + 1}: "
            f"{b[at] if at < len(b) else '-'} instead of {a[at] if at < len(a) else '-'})"
        )
    return failures


def _summaries(results: Sequence[CaseResult]) -> tuple[RuleSummary, ...]:
    rules = []
    for kind in KINDS:
        mine = [r for r in results if r.rule == kind]
        if mine:
            failing = tuple(r.name for r in mine if not r.passed)
            passed = len(mine) - len(failing)
            rules.append(RuleSummary(kind, TITLES[kind], len(mine), passed, len(failing), failing))
    return tuple(rules)


def evaluate(store: Store | None, cases: Sequence[Case]) -> Report:
    """Replay ``cases``: scenario cases on their own stores, the others on ``store`` (the demo
    data; with ``None`` only scenario cases can run and coverage is 0)."""
    stores = _Stores(store)
    results = tuple(run_case(case, stores) for case in cases)
    ranked = {c.name for c in cases if c.expect.top and c.expect.error is None}
    hits = [r for r in results if r.name in ranked]
    n = len(hits) or 1
    stable = [r.stability for r in hits if r.stability is not None]
    recommended, total = _coverage(store, [c for c in cases if c.scenario is None], results)
    return Report(
        cases=results,
        rules=_summaries(results),
        hit_cases=len(hits),
        hit_at_1=sum(1 for r in hits if r.position == 1) / n,
        hit_at_3=sum(1 for r in hits if r.position is not None and r.position <= 3) / n,
        stability=sum(stable) / len(stable) if stable else 1.0,
        coverage=len(recommended) / (len(total) or 1),
        suppliers_recommended=len(recommended),
        suppliers_total=len(total),
    )


def _coverage(
    store: Store | None, cases: Sequence[Case], results: Sequence[CaseResult]
) -> tuple[set[str], set[str]]:
    """Suppliers of the demo data recommended by its cases or by a sweep over every product
    type at the places the cases use; and all suppliers of supply offers."""
    if store is None:
        return set(), set()
    total = {
        text(r["s"])
        for r in store.select(
            f"SELECT DISTINCT ?s WHERE {{ ?o a <{KL}SupplyOffer> ; <{KL}offeredBy> ?s }}",
            union_default_graph=True,
        )
    }
    names = {c.name for c in cases}
    found = {s for r in results if r.name in names for s in r.top}
    products = sorted(
        text(r["p"])
        for r in store.select(
            f"SELECT DISTINCT ?p WHERE {{ ?p a <{KL}ProductType> }}", union_default_graph=True
        )
    )
    places = sorted({str(c.request["near"]) for c in cases if c.request.get("near")})
    for product in products:
        for place in places:
            request = MatchRequest(
                what=product, near=place, within_km=100, top_k=5, weights=Weights()
            )
            found.update(c.supplier for c in match(store, request, today=EVAL_DAY).chains)
    return found & total, total
