"""Matchmaking and the loop census as jobs for a `kringloop.graph.execution.Runner`.

A job is a module-level function ``job(store, deadline, *args)``, so that a worker process can
run it (it is pickled by name) and be killed at the deadline. Their answers are plain frozen
dataclasses, which pickle.
"""

from __future__ import annotations

import time

from kringloop.graph.execution import Deadline
from kringloop.graph.store import Store
from kringloop.queries import loops, matchmaker, needs, resolve
from kringloop.queries.loop.facts import loop_facts, read_vocabulary
from kringloop.queries.request import MatchRequest


def match_job(
    store: Store, deadline: Deadline, request: MatchRequest, max_partners: int = 6
) -> matchmaker.MatchResult:
    """The whole match for ``request`` (its stage queries run one after another)."""
    deadline.check()
    return matchmaker.match(store, request, max_partners=max_partners)


def need_request_job(store: Store, deadline: Deadline, request: MatchRequest) -> MatchRequest:
    """``request`` with what it leaves out taken from its need (``request.need``), as a match
    of that need would read it (`kringloop.queries.needs.request_for_need`)."""
    deadline.check()
    return needs.request_for_need(store, request)


def census_job(
    store: Store,
    deadline: Deadline,
    max_partners: int = 6,
    category: str | None = None,
    region: str | None = None,
) -> loops.Census:
    """The loop census (closed, promised and open loops, gaps, bottlenecks) of ``category``
    and ``region`` (labels, slugs, codes or IRIs; unknown ones raise a 422 error)."""
    deadline.check()
    scope = loops.scope(store, category=category, region=region)
    return loops.census(
        store, max_partners=max_partners, categories=scope.categories, region=scope.region
    )


def prepare_job(store: Store, deadline: Deadline, max_partners: int = 6) -> dict[str, float]:
    """Compute what the first requests of a store version would otherwise wait for, and keep
    it for every process (`kringloop.queries.match_cache.shared`): the vocabulary, the facts
    a match of each product type reads, and the whole loop census of today. The service runs
    it with `Runner.call_and_retire`: the worker is then replaced, and what it read (now on
    disk) costs no memory.

    Says how long each part took, in seconds."""
    took: dict[str, float] = {}
    started = time.perf_counter()
    read_vocabulary(store)
    names = resolve.vocabulary(store)
    took["vocabulary"] = time.perf_counter() - started
    started = time.perf_counter()
    for product_type in sorted(c for c, kind in names.kinds.items() if kind == "product"):
        deadline.check()
        fits = resolve.product_fits(names, resolve.resolve_what(names, product_type))
        loop_facts(store, sorted(fits))
    took["facts"] = time.perf_counter() - started
    started = time.perf_counter()
    deadline.check()
    loops.census(store, max_partners=max_partners)
    took["census"] = time.perf_counter() - started
    return took
