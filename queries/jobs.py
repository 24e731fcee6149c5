"""Matchmaking, the loop census and the graph pages as jobs for a
`kringloop.graph.execution.Runner`.

A job is a module-level function ``job(store, deadline, *args)``, so that a worker process can
run it (it is pickled by name) and be killed at the deadline. Their answers are plain
dataclasses, which pickle (a graph page's is its whole `VizGraph`, ready to render).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from kringloop.graph.execution import Deadline
from kringloop.graph.store import Store
from kringloop.queries import loops, matchmaker, needs, resolve, visual, visual_chains
from kringloop.queries.loop.facts import loop_facts, read_vocabulary
from kringloop.queries.request import MatchRequest
from kringloop.queries.visual import Filters, VizGraph


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


def neighbourhood_job(
    store: Store,
    deadline: Deadline,
    iri: str,
    depth: int,
    filters: Filters,
    languages: Sequence[str],
    cap: int,
) -> VizGraph:
    """The graph of the neighbourhood page of ``iri`` (`kringloop.queries.visual.neighbourhood`)."""
    deadline.check()
    return visual.neighbourhood(
        store, iri, depth=depth, filters=filters, languages=languages, cap=cap
    )


def loops_graph_job(
    store: Store,
    deadline: Deadline,
    category: str | None,
    region: str | None,
    languages: Sequence[str],
    cap: int,
) -> VizGraph:
    """The graph of the loops page (`kringloop.queries.visual_chains.loops_graph`)."""
    deadline.check()
    return visual_chains.loops_graph(
        store, category=category, region=region, languages=languages, cap=cap
    )


def match_graph_job(
    store: Store,
    deadline: Deadline,
    request: MatchRequest,
    max_partners: int,
    languages: Sequence[str],
) -> VizGraph:
    """The match for ``request`` and the graph of its chains, in one job."""
    deadline.check()
    result = matchmaker.match(store, request, max_partners=max_partners)
    deadline.check()
    return visual_chains.fresh_match(store, result, languages=languages)


def stored_match_graph_job(
    store: Store, deadline: Deadline, match_id: str, languages: Sequence[str]
) -> VizGraph:
    """The graph of the chains of the stored match ``match_id``."""
    deadline.check()
    return visual_chains.stored_match(store, match_id, languages=languages)
