"""Figures about what a store holds: triples per graph, classes and their instances."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from kringloop.graph.store import Store, text


@dataclass(frozen=True)
class GraphCount:
    graph: str
    triples: int


@dataclass(frozen=True)
class ClassCount:
    cls: str
    instances: int


@dataclass(frozen=True)
class Stats:
    store: str
    location: str
    quads: int
    graphs: list[GraphCount]
    classes: list[ClassCount]
    subjects: int
    predicates: int


def collect(store: Store, *, top_classes: int = 25) -> Stats:
    """Count what ``store`` holds, over all its graphs.

    >>> from kringloop.graph.store import OxigraphStore
    >>> s = OxigraphStore.memory()
    >>> s.update("INSERT DATA { GRAPH <http://e.org/g> { <http://e.org/a> a <http://e.org/C> } }")
    >>> st = collect(s)
    >>> (st.quads, st.graphs[0].triples, st.classes[0].cls)
    (1, 1, 'http://e.org/C')
    """
    per_graph = store.select(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    )
    graphs = [GraphCount(text(r["g"]), int(text(r["n"]))) for r in per_graph]
    default = store.count(ox.DefaultGraph())
    if default:
        graphs.insert(0, GraphCount("(default graph)", default))
    classes = store.select(
        "SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE { { ?x a ?c } UNION { GRAPH ?g { ?x a ?c } } }"
        f" GROUP BY ?c ORDER BY DESC(?n) ?c LIMIT {int(top_classes)}",
    )
    shape = store.select(
        "SELECT (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?p) AS ?predicates)"
        " WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
    )[0]
    return Stats(
        store=store.kind,
        location=store.location,
        quads=sum(g.triples for g in graphs),
        graphs=graphs,
        classes=[ClassCount(text(r["c"]), int(text(r["n"]))) for r in classes],
        subjects=int(text(shape["subjects"])),
        predicates=int(text(shape["predicates"])),
    )
