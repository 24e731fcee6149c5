"""Helpers of the hardening tests: a canonical hash of a store's whole dataset."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import pyoxigraph as ox

from kringloop.graph import Store


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
