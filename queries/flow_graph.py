"""The directed graph of flows around one request, in which matchmaking checks loops.

It has two parts. The **loop graph** holds the flows of the requested product types and their
materials (return flows from processors, supply flows between producers and suppliers); it is
the same for every request about those types, so it is built once and kept with the store's
rows (`kringloop.queries.match_cache`), together with the hop counts from each processor that
were needed so far. Each request adds the **buyer**: an edge from every candidate supplier to
the buyer (it supplies) and from the buyer to every processor in reach (it takes back).

Every edge that touches the buyer is one of those, so a shortest path passes the buyer at most
once and the hop count from ``x`` to ``t`` is ``min(d(x, t), d(x, S) + 2 + d(P, t))``, with
``d`` the hop counts in the loop graph, ``S`` the suppliers and ``P`` the processors: no search
over the whole graph per request. Paths are spelled out for the chosen processors only, by the
breadth-first search networkx's ``single_source_shortest_path`` does over the successors in
sorted order (the order the graph used to be built in), so the same path comes out.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix  # type: ignore[import-untyped]
from scipy.sparse.csgraph import dijkstra  # type: ignore[import-untyped]

BUYER = "urn:kringloop:buyer"
#: Partners in a loop at most; a path back from a processor has at most this minus two hops.
MAX_PARTNERS = 6
MAX_HOPS = MAX_PARTNERS - 2
#: Sources searched at once (each adds one dense row of float64 per node while it runs).
SEARCH_BATCH = 64
_FAR = np.uint8(255)  # hop counts are kept as bytes; this one means "farther than MAX_HOPS"


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str  # return | supply | take-back
    flow: str
    of: str


class LoopGraph:
    """The flows among the partners of some product types (the buyer is not in it).

    Between two partners the flow with the smallest IRI stands for all of them.
    """

    def __init__(self, edges: Iterable[Edge], labels: Mapping[str, str]) -> None:
        flows: dict[str, dict[str, str]] = {}
        for edge in edges:
            if BUYER in (edge.source, edge.target):
                continue  # the buyer's edges are the request's, never the data's
            out = flows.setdefault(edge.source, {})
            if edge.target not in out or edge.flow < out[edge.target]:
                out[edge.target] = edge.flow
            flows.setdefault(edge.target, {})
        self.flows = flows
        self.labels = dict(labels)
        self.nodes = sorted(flows)
        self.index = {node: i for i, node in enumerate(self.nodes)}
        self.successors = {node: sorted(out) for node, out in flows.items()}
        rows = [self.index[a] for a, out in flows.items() for _ in out]
        cols = [self.index[b] for out in flows.values() for b in out]
        n = len(self.nodes)
        self._matrix = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        self._hops: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.nodes)

    def hops(self, sources: Sequence[str]) -> np.ndarray:
        """Hop counts (bytes, 255 beyond reach) from each of ``sources`` to every node: one
        row per source, in order; a source outside the graph reaches nothing."""
        with self._lock:
            todo = sorted({s for s in sources if s in self.index and s not in self._hops})
            # in batches: the search answers a dense float64 row per source (at 10M triples,
            # 1,500 processors in one search made a 1.5 GB array for a moment)
            for start in range(0, len(todo), SEARCH_BATCH):
                batch = todo[start : start + SEARCH_BATCH]
                found = dijkstra(
                    self._matrix,
                    unweighted=True,
                    indices=[self.index[s] for s in batch],
                    limit=MAX_HOPS,  # farther is too far: the search stops there
                )
                found = np.atleast_2d(found)
                packed = np.where(np.isinf(found), _FAR, found).astype(np.uint8)
                for source, row in zip(batch, packed, strict=True):
                    self._hops[source] = row
            nowhere = np.full(len(self.nodes), _FAR, dtype=np.uint8)
            return np.array([self._hops.get(s, nowhere) for s in sources], dtype=np.uint8).reshape(
                len(sources), len(self.nodes)
            )


def _as_hops(packed: np.ndarray) -> np.ndarray:
    return np.where(packed == _FAR, np.inf, packed.astype(np.float64))


class FlowGraph:
    """The loop graph with the buyer of one request: ``supply`` maps each candidate supplier
    to its (smallest) offer, ``take_back`` each processor in reach to its (smallest) offer."""

    def __init__(
        self,
        loop: LoopGraph,
        *,
        supply: Mapping[str, str],
        take_back: Mapping[str, str],
        labels: Mapping[str, str],
    ) -> None:
        self.loop, self.supply, self.take_back = loop, supply, take_back
        self.labels = {**loop.labels, **labels}
        extra = sorted({*supply, *take_back, BUYER} - set(loop.index))
        self.nodes = [*loop.nodes, *extra]
        self._index = {node: i for i, node in enumerate(self.nodes)}
        self._takers = sorted(take_back)
        # d(P, t): from the buyer's processors to every node, in the loop graph
        back = np.full(len(self.nodes), np.inf)
        if self._takers:
            back[: len(loop)] = _as_hops(loop.hops(self._takers).min(axis=0))
            for taker in self._takers:
                back[self._index[taker]] = 0.0
        self._from_buyer = back
        self._suppliers = [self._index[s] for s in supply]
        self._paths: dict[str, dict[str, list[str]]] = {}
        self._rows: dict[str, np.ndarray] = {}
        self._nearest: dict[tuple[str, frozenset[str]], tuple[int, str] | None] = {}

    def __contains__(self, node: str) -> bool:
        return node in self._index

    def __len__(self) -> int:
        return len(self.nodes)

    def index(self, node: str) -> int | None:
        return self._index.get(node)

    def hops(self, sources: Sequence[str], targets: Sequence[str] | None = None) -> np.ndarray:
        """Hop counts (``inf`` beyond four) from each of ``sources`` to each of ``targets``
        (nodes of the graph; all of them by default, in `nodes` order), through the buyer
        where that is shorter: one row per source."""
        wanted = (
            list(range(len(self.nodes))) if targets is None else [self._index[t] for t in targets]
        )
        columns = np.array(sorted({*wanted, *self._suppliers}), dtype=np.int64)
        at = {int(c): j for j, c in enumerate(columns)}
        rows = np.full((len(sources), len(columns)), np.inf)
        in_loop = int(np.searchsorted(columns, len(self.loop)))  # loop nodes come first
        if in_loop:
            rows[:, :in_loop] = _as_hops(self.loop.hops(sources)[:, columns[:in_loop]])
        for r, source in enumerate(sources):
            if (j := at.get(self._index.get(source, -1))) is not None:
                rows[r, j] = 0.0
        if self._suppliers:
            # x → … → supplier → buyer, then buyer → processor → … → target
            to_buyer = rows[:, [at[c] for c in self._suppliers]].min(axis=1) + 1
            if (j := at.get(self._index[BUYER])) is not None:
                rows[:, j] = to_buyer
            through = to_buyer[:, None] + 1 + self._from_buyer[columns][None, :]
            rows = np.minimum(rows, through)
        rows[rows > MAX_HOPS] = np.inf
        return rows[:, [at[c] for c in wanted]]

    def _row(self, source: str) -> np.ndarray:
        if source not in self._rows:
            self._rows[source] = self.hops([source])[0]
        return self._rows[source]

    def nearest(
        self, processor: str, supplier: str, producers: frozenset[str]
    ) -> tuple[int, str] | None:
        """The nearest of the supplier and the producers that flows from ``processor`` reach
        within six partners, as (nodes on the path, node), ties broken by the node; or None."""
        if processor == supplier or processor in producers:
            return (1, processor)
        if processor not in self._index:
            return None
        row = self._row(processor)
        key = (processor, producers)
        if key not in self._nearest:
            reached = [
                (int(row[i]) + 1, t)
                for t in producers
                if (i := self._index.get(t)) is not None and row[i] <= MAX_HOPS
            ]
            self._nearest[key] = min(reached) if reached else None
        best = self._nearest[key]
        i = self._index.get(supplier)
        if i is not None and row[i] <= MAX_HOPS:
            mine = (int(row[i]) + 1, supplier)
            best = mine if best is None or mine < best else best
        return best

    def successors(self, node: str) -> list[str]:
        """The nodes an edge leads to from ``node``, in sorted order."""
        if node == BUYER:
            return self._takers
        out = self.loop.successors.get(node, [])
        if node in self.supply:
            out = list(out)
            bisect.insort(out, BUYER)
        return out

    def path(self, processor: str, node: str) -> list[str]:
        """The shortest path of flows from ``processor`` to ``node``: the first one a
        breadth-first search meets, following successors in sorted order."""
        if processor == node:
            return [processor]
        if processor not in self._paths:
            paths = {processor: [processor]}
            level = [processor]
            for _ in range(MAX_HOPS):
                following = []
                for v in level:
                    for w in self.successors(v):
                        if w not in paths:
                            paths[w] = [*paths[v], w]
                            following.append(w)
                level = following
            self._paths[processor] = paths
        return list(self._paths[processor][node])

    def flow(self, source: str, target: str) -> str:
        """The flow an edge stands for: an offer for the buyer's edges."""
        if target == BUYER:
            return self.supply[source]
        if source == BUYER:
            return self.take_back[target]
        return self.loop.flows[source][target]
