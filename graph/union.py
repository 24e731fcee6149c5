"""The default graph of reads: the union of all graphs, each triple once.

Reads see one default graph, the RDF merge of the store's default graph and every named
graph: a triple held in several graphs is *one* triple of it. The engine's own union view
(pyoxigraph's ``use_default_graph_as_union``) matches such a triple once per graph that holds
it, so ``SELECT * { ?s ?p ?o }`` would list it twice and ``COUNT(*)`` count it twice. The two
agree exactly when no triple is held in more than one graph, which is what kringloop's own
data looks like (the demo data: 0 of 11,817 triples are).

`union_view` finds out which case the store is in, with one join of the quad indexes
(``GRAPH ?g { ?s ?p ?o } GRAPH ?h { ?s ?p ?o }``, measured in bench/RESULTS.md):

- no triple is held twice: the engine's union view is the set union; queries run on it as
  they are, at engine speed (`UnionView.exact`, nothing left out);
- some graphs only repeat triples that other graphs hold (the same file loaded into two
  graphs, a graph copied with ``COPY``): they are left out of the default graph, which is then
  the list of the other graphs, and again each triple counts once (`UnionView.left_out`);
- triples held twice remain after that (two graphs that overlap in part): the default graph
  is still the list of graphs, and ``shared`` says how many distinct triples may count more
  than once in a SELECT (the service reports it; CONSTRUCT and DESCRIBE answers are sets of
  triples whatever the store holds).

Nothing is copied or materialised: the cost is the check, redone after writes that may have
made a triple shared (`UnionTracker`).

>>> store = ox.Store()
>>> store.update("INSERT DATA { GRAPH <http://e.org/a> { <http://e.org/s> <http://e.org/p> 1 } "
...              "GRAPH <http://e.org/b> { <http://e.org/s> <http://e.org/p> 1 } }")
>>> view = union_view(store)
>>> view.exact, [g.value for g in view.left_out], view.shared
(True, ['http://e.org/a'], 0)
>>> len(list(store.query("SELECT * { ?s ?p ?o }", default_graph=list(view.default_graphs or []))))
1
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from kringloop.graph.store import GraphName, OxigraphStore, Store

log = logging.getLogger("kringloop.union")

#: The real default graph, in the sets below.
_DEFAULT = ox.DefaultGraph()

_PAIRS = """
SELECT ?g ?h (COUNT(*) AS ?n) WHERE {
  { GRAPH ?g { ?s ?p ?o } GRAPH ?h { ?s ?p ?o } FILTER(STR(?g) < STR(?h)) }
  UNION
  { ?s ?p ?o GRAPH ?h { ?s ?p ?o } }
}
GROUP BY ?g ?h
"""

_SIZES = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } VALUES ?g { %s } } GROUP BY ?g"

_SHARED = """
SELECT (COUNT(*) AS ?n) WHERE {
  SELECT DISTINCT ?s ?p ?o WHERE {
    { GRAPH ?g { ?s ?p ?o } GRAPH ?h { ?s ?p ?o } FILTER(?g != ?h && %s) }
    UNION
    { ?s ?p ?o GRAPH ?h { ?s ?p ?o } FILTER(%s) }
  }
}
"""


@dataclass(frozen=True)
class UnionView:
    """How reads see the union default graph at one moment.

    ``default_graphs`` is None when the engine's union view serves as it is; otherwise the
    graphs that make up the default graph. ``exact``: each triple counts once in every
    answer. ``shared``: distinct triples that may still count more than once (0 when exact).
    """

    default_graphs: tuple[GraphName, ...] | None = None
    left_out: tuple[ox.NamedNode | ox.BlankNode, ...] = ()
    shared: int = 0

    @property
    def exact(self) -> bool:
        return self.shared == 0


ENGINE_UNION = UnionView()


def _select(store: ox.Store, sparql: str) -> ox.QuerySolutions:
    result = store.query(sparql)
    assert isinstance(result, ox.QuerySolutions)
    return result


def _count(term: object) -> int:
    assert isinstance(term, ox.Literal)
    return int(term.value)


def union_view(store: ox.Store) -> UnionView:
    """The view of ``store``'s union default graph (see the module's docstring)."""
    pairs: dict[tuple[GraphName, GraphName], int] = {}
    for row in _select(store, _PAIRS):
        assert isinstance(row, ox.QuerySolution)
        g, h = row["g"], row["h"]
        first = g if isinstance(g, ox.NamedNode | ox.BlankNode) else _DEFAULT
        assert isinstance(h, ox.NamedNode | ox.BlankNode)
        pairs[(first, h)] = _count(row["n"])
    if not pairs:
        return ENGINE_UNION
    involved = sorted({g for pair in pairs for g in pair}, key=str)
    sizes = _sizes(store, involved)
    kept = set(involved)
    left_out: list[ox.NamedNode | ox.BlankNode] = []
    for graph in sorted(involved, key=lambda g: (sizes[g], str(g))):  # smallest first
        if isinstance(graph, ox.DefaultGraph):
            continue  # the real default graph always stays (it has no name to leave out)
        for other in kept - {graph}:
            common = pairs.get((graph, other), pairs.get((other, graph), 0))
            if common == sizes[graph]:  # every triple of it is in `other` too
                kept.discard(graph)
                left_out.append(graph)
                break
    out = set(left_out)
    graphs: list[GraphName] = [_DEFAULT]
    graphs += [g for g in sorted(store.named_graphs(), key=str) if g not in out]
    shared = 0
    if any(a in kept and b in kept for a, b in pairs):
        shared = _shared(store, left_out)
    return UnionView(tuple(graphs), tuple(sorted(out, key=str)), shared)


def _sizes(store: ox.Store, graphs: Iterable[GraphName]) -> dict[GraphName, int]:
    found: dict[GraphName, int] = {}
    named = [g for g in graphs if not isinstance(g, ox.DefaultGraph)]
    if named:
        for row in _select(store, _SIZES % " ".join(str(g) for g in named)):
            assert isinstance(row, ox.QuerySolution)
            graph = row["g"]
            assert isinstance(graph, ox.NamedNode | ox.BlankNode)
            found[graph] = _count(row["n"])
    found[_DEFAULT] = sum(1 for _ in store.quads_for_pattern(None, None, None, _DEFAULT))
    return found


def _shared(store: ox.Store, left_out: list[ox.NamedNode | ox.BlankNode]) -> int:
    """Distinct triples held in more than one graph of the view."""
    names = ", ".join(str(g) for g in left_out)
    keep_g = f"?g NOT IN ({names})" if names else "true"
    keep_h = f"?h NOT IN ({names})" if names else "true"
    rows = list(_select(store, _SHARED % (f"{keep_g} && {keep_h}", keep_h)))
    solution = rows[0]
    assert isinstance(solution, ox.QuerySolution)
    return _count(solution["n"])


@dataclass
class UnionTracker:
    """The current `UnionView` of a store, kept up to date by its writer.

    After a write whose added quads are known, a view where no triple was shared stays so
    unless one of those quads is held in another graph too (a lookup per quad); any other
    write (added quads unknown, or a view that left graphs out) means the check again.
    """

    store: Store
    view: UnionView = ENGINE_UNION
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self) -> UnionView:
        """Check the whole store (at start-up, and after writes of unknown effect)."""
        raw = self.store.raw if isinstance(self.store, OxigraphStore) else None
        view = union_view(raw) if raw is not None else ENGINE_UNION
        with self._lock:
            self.view = view
        return view

    def written(self, added: Iterable[ox.Quad] | None) -> UnionView:
        """The store changed; ``added`` are the quads the write added (None: unknown)."""
        if not isinstance(self.store, OxigraphStore):
            return self.view
        try:
            unchanged = added is not None and self.view == ENGINE_UNION
            if unchanged and not _any_held_elsewhere(self.store.raw, list(added or ())):
                return self.view
            return self.refresh()
        except (OSError, RuntimeError) as err:  # the write stands; reads fall back safely
            log.error("the union default graph could not be checked after a write: %s", err)
            with self._lock:
                self.view = ENGINE_UNION  # every graph, a shared triple perhaps twice
            return self.view


def _any_held_elsewhere(store: ox.Store, quads: list[ox.Quad]) -> bool:
    """Whether a triple of ``quads`` is also held in a graph other than the quad's own (one
    index lookup per quad)."""
    for quad in quads:
        for other in store.quads_for_pattern(quad.subject, quad.predicate, quad.object, None):
            if other.graph_name != quad.graph_name:
                return True
    return False
