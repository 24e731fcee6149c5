"""Helpers of the hardening tests: a canonical hash of a store's whole dataset; waiting for a
pool of query workers to fill up again."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable

import pyoxigraph as ox

from kringloop.graph import Store
from kringloop.graph.isolation import ProcessRunner


def canonical_nquads(quads: Iterable[ox.Quad]) -> list[str]:
    """The quads as sorted N-Quads lines, blank nodes renamed canonically (RDFC-1.0), so two
    isomorphic datasets give the same lines.

    >>> a = ox.Quad(ox.BlankNode("x"), ox.NamedNode("http://e.org/p"), ox.Literal("1"))
    >>> b = ox.Quad(ox.BlankNode("y"), ox.NamedNode("http://e.org/p"), ox.Literal("1"))
    >>> canonical_nquads([a]) == canonical_nquads([b])
    True
    """
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(str(q) for q in dataset)


def canonical_hash(store: Store) -> str:
    """SHA-256 of the store's canonical N-Quads (equal exactly when the datasets are)."""
    lines = canonical_nquads(store.quads())
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def whole(runner: ProcessRunner, *, within_s: float = 30.0) -> None:
    """Wait until the runner's workers are all there and idle, and its standbys are ready."""
    workers, standby = runner.pool.workers, runner.pool.headroom.standby_workers
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        status = runner.status()
        filled = status.standby == standby and status.starting == 0
        if filled and status.workers >= workers and status.idle == status.workers:
            return
        time.sleep(0.05)
    raise AssertionError(f"the pool did not fill up again: {runner.status()}")
