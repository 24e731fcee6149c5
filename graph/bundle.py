"""The knowledge kringloop ships with, and the named graph each part goes to.

Each part of the bundle gets its own named graph (`GRAPHS`), so the ontology, the code lists,
the seed about the learning network and the illustrative market can be queried, replaced or
dropped apart. `initialise` loads the bundle into an empty store.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from kringloop.data import DATA_DIR
from kringloop.graph.formats import format_for_path
from kringloop.graph.load import Loaded, Progress, Source, Validator, load
from kringloop.graph.store import Store
from kringloop.ontology import ONTOLOGY_DIR

GRAPH_BASE = "https://w3id.org/kringloop/graph/"


def graph_iri(name: str) -> ox.NamedNode:
    """The IRI of one of kringloop's own named graphs.

    >>> graph_iri("ontology").value
    'https://w3id.org/kringloop/graph/ontology'
    """
    return ox.NamedNode(GRAPH_BASE + name)


#: graph name → files (globs relative to the package folders), in load order.
PARTS: dict[str, tuple[tuple[Path, str], ...]] = {
    "ontology": (
        (ONTOLOGY_DIR, "kringloop.ttl"),
        (ONTOLOGY_DIR, "eforms.ttl"),
        (ONTOLOGY_DIR, "axioms.ttl"),
    ),
    "shapes": ((ONTOLOGY_DIR, "shapes/*.ttl"),),
    "codelists": ((DATA_DIR, "codelists/*.ttl"),),
    "cpv": ((DATA_DIR, "cpv.ttl"),),
    "places": ((DATA_DIR, "places.ttl"), (DATA_DIR, "nuts.ttl")),
    "seed": ((DATA_DIR, "seed/*.ttl"),),
    "market": ((DATA_DIR, "market/*.ttl"),),
}

#: The parts that describe the vocabulary; the rest is data, validated against the shapes.
VOCABULARY_PARTS = ("ontology", "shapes")


def bundled_sources(parts: Sequence[str] | None = None) -> list[Source]:
    """The bundled files that exist, each aimed at its part's graph."""
    sources = []
    for name in parts or PARTS:
        for folder, pattern in PARTS[name]:
            for path in sorted(folder.glob(pattern)):
                sources.append(
                    Source(path=path, format=format_for_path(path), graph=graph_iri(name))
                )
    return sources


@lru_cache(maxsize=1)
def bundled_context() -> Graph:
    """The bundled data (code lists, CPV, places, seed, market) as one rdflib graph, for
    looking up what data files point to."""
    graph = Graph()
    for source in bundled_sources([p for p in PARTS if p not in VOCABULARY_PARTS]):
        graph.parse(source.path, format="turtle")
    return graph


def data_graphs(store: Store) -> list[ox.NamedNode]:
    """The named graphs of ``store`` that hold data: all but the vocabulary and derived ones."""
    own = {graph_iri(name) for name in (*VOCABULARY_PARTS, "inferred", "matches")}
    return [g for g in store.graphs() if isinstance(g, ox.NamedNode) and g not in own]


def initialise(
    store: Store,
    *,
    with_data: bool = True,
    validator: Validator | None = None,
    progress: Progress | None = None,
) -> list[Loaded] | None:
    """Load the ontology (and, with ``with_data``, the bundled data) into an empty store.

    Returns what was loaded; a store that already holds data is left alone (``None``).
    """
    if not store.is_empty():
        return None
    parts = list(PARTS) if with_data else list(VOCABULARY_PARTS)
    return load(store, bundled_sources(parts), validator=validator, progress=progress)
