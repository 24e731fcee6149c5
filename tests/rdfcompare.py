"""Compare RDF datasets as graphs (isomorphism per named graph), never as text."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic


def dataset_from_nquads(data: bytes) -> Dataset:
    ds = Dataset()
    ds.parse(data=data, format="nquads")
    return ds


def graphs_of(ds: Dataset) -> dict[str, Graph]:
    found: dict[str, Graph] = {}
    for g in ds.graphs():
        if len(g):
            found[str(g.identifier)] = g
    return found


def same_dataset(a: bytes, b: bytes) -> bool:
    """Whether two N-Quads documents hold isomorphic graphs under the same names."""
    ga, gb = graphs_of(dataset_from_nquads(a)), graphs_of(dataset_from_nquads(b))
    return ga.keys() == gb.keys() and all(isomorphic(ga[k], gb[k]) for k in ga)


def nquads_of(store_path_or_store: ox.Store | Path) -> bytes:
    store = (
        store_path_or_store
        if isinstance(store_path_or_store, ox.Store)
        else ox.Store.read_only(str(store_path_or_store))
    )
    out = store.dump(format=ox.RdfFormat.N_QUADS)
    assert out is not None
    return out
