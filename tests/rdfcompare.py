"""Compare RDF datasets as graphs (isomorphism per named graph), never as text.

Isomorphism is decided by canonical blank-node labels (RDFC-1.0, pyoxigraph's): rdflib's own
`rdflib.compare.isomorphic` takes minutes on graphs with many blank nodes, such as the
ontology's generated axioms.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph


def canonical(graph: Graph) -> set[str]:
    """The triples of ``graph`` with canonical blank-node labels, as N-Triples lines."""
    data = graph.serialize(format="nt", encoding="utf-8")
    dataset = ox.Dataset(ox.parse(data, format=ox.RdfFormat.N_TRIPLES))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {str(q) for q in dataset}


def isomorphic(a: Graph, b: Graph) -> bool:
    """Whether two graphs are the same up to blank-node names.

    >>> from rdflib import BNode, Literal, URIRef
    >>> a, b = Graph(), Graph()
    >>> _ = a.add((BNode("x"), URIRef("http://e.org/p"), Literal(1)))
    >>> _ = b.add((BNode("y"), URIRef("http://e.org/p"), Literal(1)))
    >>> isomorphic(a, b)
    True
    """
    return len(a) == len(b) and canonical(a) == canonical(b)


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
