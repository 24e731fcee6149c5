"""Matchmaking and the loop census as jobs for a `kringloop.graph.execution.Runner`.

A job is a module-level function ``job(store, deadline, *args)``, so that a worker process can
run it (it is pickled by name) and be killed at the deadline. Their answers are plain frozen
dataclasses, which pickle.
"""

from __future__ import annotations

from kringloop.graph.execution import Deadline
from kringloop.graph.store import Store
from kringloop.queries import loops, matchmaker, needs
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
