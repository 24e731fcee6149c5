"""The census's distance and flow indexes give the answers of a plain loop over every point."""

from __future__ import annotations

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from kringloop.graph.bundle import initialise
from kringloop.graph.store import OxigraphStore
from kringloop.queries import loops
from kringloop.queries.loop_index import EAGER, Grid, Points, path_to, reach_forward
from kringloop.queries.resolve import distance_km

# Belgium and around, and points on top of each other (ties)
coordinate = st.tuples(
    st.floats(49.4, 51.6, allow_nan=False).map(lambda x: round(x, 3)),
    st.floats(2.4, 6.5, allow_nan=False).map(lambda x: round(x, 3)),
)
points = st.lists(
    st.tuples(coordinate, st.floats(0.0, 120.0).map(lambda x: round(x, 1))),
    max_size=3 * EAGER,
)


@settings(max_examples=200, deadline=None)
@given(points, coordinate, st.floats(0.0, 150.0))
def test_first_in_reach_is_the_first_of_a_plain_loop(
    pts: list[tuple[tuple[float, float], float]], at: tuple[float, float], cap: float
) -> None:
    index = Points([c for c, _ in pts], [r for _, r in pts])
    plain = [i for i, (c, r) in enumerate(pts) if distance_km(*at, *c) <= min(r, cap)]
    assert index.first(*at, cap=cap) == (plain[0] if plain else None)


@settings(max_examples=200, deadline=None)
@given(points, coordinate)
def test_nearest_is_the_first_of_the_nearest(
    pts: list[tuple[tuple[float, float], float]], at: tuple[float, float]
) -> None:
    index = Points([c for c, _ in pts], [r for _, r in pts])
    plain = min(range(len(pts)), key=lambda i: (distance_km(*at, *pts[i][0]), i), default=None)
    assert index.nearest(*at) == plain


@settings(max_examples=300, deadline=None)
@given(points, coordinate, st.floats(0.0, 200.0), st.sampled_from([0.01, 0.2, 1.0]))
def test_grid_finds_a_point_within_reach_exactly_when_a_loop_does(
    pts: list[tuple[tuple[float, float], float]],
    at: tuple[float, float],
    limit: float,
    cell: float,
) -> None:
    coords = [c for c, _ in pts]
    plain = any(distance_km(*at, *c) <= limit for c in coords)
    assert Grid(coords, cell=cell).any_within(*at, limit) == plain


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), max_size=40))
def test_forward_search_gives_the_paths_of_networkx(edges: list[tuple[int, int]]) -> None:
    graph: nx.DiGraph = nx.DiGraph()
    adjacency: dict[str, list[str]] = {}
    for a, b in sorted({(str(a), str(b)) for a, b in edges}):
        graph.add_edge(a, b)
        adjacency.setdefault(a, []).append(b)
    for source in graph.nodes:
        want = nx.single_source_shortest_path(graph, source, cutoff=4)
        reached = reach_forward(adjacency, source, 4)
        assert {n: path_to(reached, n) for n in reached} == want


def test_an_offer_counts_once_whatever_its_supplier_is_called() -> None:
    """NNOF carries its name in English and in Dutch: one offer, one closed loop."""
    store = OxigraphStore.memory()
    initialise(store)
    census = loops.census(store)
    nnof = [lp for lp in census.loops if lp.offer.endswith("/nnof-refurbished-office-furniture")]
    assert len(nnof) == 1
