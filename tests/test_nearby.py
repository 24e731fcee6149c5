"""The grid that finds processors near a place gives exactly what a plain loop over every site
gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kringloop.queries.loop.nearby import SiteIndex
from kringloop.queries.loop.records import Site
from kringloop.queries.resolve import distance_km

points = st.lists(
    st.tuples(st.floats(49.5, 52.0), st.floats(2.0, 6.5), st.integers(0, 30)), max_size=60
)


@settings(max_examples=60, deadline=None)
@given(points, st.floats(49.5, 52.0), st.floats(2.0, 6.5), st.floats(0.0, 250.0))
def test_within_is_the_answer_of_a_plain_loop(
    entries: list[tuple[float, float, int]], lat: float, long: float, km: float
) -> None:
    sites = [(item, Site(f"urn:site:{i}", a, b)) for i, (a, b, item) in enumerate(entries)]
    grid = SiteIndex(sites)
    expected: dict[int, tuple[float, str]] = {}
    for item, site in sites:
        d = distance_km(lat, long, site.lat, site.long)
        if d <= km and (item not in expected or (d, site.iri) < expected[item]):
            expected[item] = (d, site.iri)
    found = grid.within(lat, long, km)
    assert {item: (d, s.iri) for item, s, d in found} == expected
    assert [d for _, _, d in found] == sorted(d for _, _, d in found)
