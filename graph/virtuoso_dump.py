"""Reading a whole graph out of Virtuoso, however large, with a stock configuration.

Virtuoso cuts every answer at ``ResultSetMaxRows`` (10,000 by default) without saying so: a
Graph Store ``GET`` of a larger graph comes back short, and paging with ``ORDER BY`` and
``OFFSET`` stops at its sorted-row limit (``MaxSortedTopRows``, 10,000: errors SR353/SR014).
So a graph is read one predicate at a time (Virtuoso's PSOG index makes each an index range):

- a predicate with fewer triples than the row cap comes in one SELECT, without sorting;
- a larger one is paged by its subjects (keyset paging): ``FILTER(STR(?s) >= "last")``,
  ``ORDER BY STR(?s)``, ``LIMIT`` at most 10,000, never ``OFFSET``. A page that comes back full
  may end in the middle of its last subject, so that subject's triples are read again with the
  next page.

Every predicate's triples are counted first and the rows read are checked against the count,
so a dump is complete or fails (`LimitExceeded`). What it cannot read: one subject with more
values of one predicate than a page holds (about 10,000) — raise ``MaxSortedTopRows`` and
``ResultSetMaxRows`` for that. Doubles and floats are read by their lexical form (``STR``),
because Virtuoso writes them with six significant digits in every result format (``STR`` gives
16, so a double needing all 17 digits may still change in its last place).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pyoxigraph as ox

from kringloop.graph.errors import LimitExceeded
from kringloop.graph.store import GraphName, Row, text

#: Virtuoso's default ``MaxSortedTopRows``: the most rows an ``ORDER BY ... LIMIT`` may return.
VIRTUOSO_SORTED_ROWS = 10_000

_XSD = "http://www.w3.org/2001/XMLSchema#"
_INEXACT = (ox.NamedNode(_XSD + "double"), ox.NamedNode(_XSD + "float"))
# The lexical form of a double or float (Virtuoso rounds their values in results).
_LEXICAL = (
    f'BIND(IF(DATATYPE(?o) = <{_XSD}double> || DATATYPE(?o) = <{_XSD}float>, STR(?o), "") AS ?lex)'
)

#: Runs a SELECT over the one named graph being read and returns its rows.
Select = Callable[[str], list[Row]]


def read_graph(select: Select, wire: str, graph: GraphName, *, cap: int) -> Iterator[ox.Quad]:
    """The triples of the Virtuoso graph ``wire`` as quads in ``graph``.

    ``select`` runs a query with ``wire`` as a named graph; ``cap`` is the server's row cap.
    """
    counts = select(
        f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ GRAPH <{wire}> {{ ?s ?p ?o }} }} GROUP BY ?p"
    )
    for row in counts:
        predicate, expected = row["p"], int(text(row["n"]))
        assert isinstance(predicate, ox.NamedNode)
        if expected < cap:
            rows = select(
                f"SELECT ?s ?o ?lex WHERE {{ GRAPH <{wire}> {{ ?s {predicate} ?o }} {_LEXICAL} }}"
            )
        else:
            rows = list(_pages(select, wire, predicate, size=min(cap - 1, VIRTUOSO_SORTED_ROWS)))
        if len(rows) != expected:
            raise LimitExceeded(
                f"Virtuoso sent {len(rows)} of the {expected} triples of {graph} with {predicate}",
                hint="raise ResultSetMaxRows in virtuoso.ini and KRINGLOOP_SPARQL_MAX_ROWS",
            )
        for r in rows:
            yield ox.Quad(r["s"], predicate, _object(r), graph)  # type: ignore[arg-type]


def _pages(select: Select, wire: str, predicate: ox.NamedNode, *, size: int) -> Iterator[Row]:
    """The rows of one predicate, a page of ``size`` subjects' triples at a time."""
    cursor: str | None = None
    while True:
        after = "" if cursor is None else f"FILTER(?key >= {ox.Literal(cursor)})"
        rows = select(
            f"SELECT ?s ?o ?key ?lex WHERE {{ GRAPH <{wire}> {{ ?s {predicate} ?o }} "
            f"BIND(STR(?s) AS ?key) {after} {_LEXICAL} }} ORDER BY ?key LIMIT {size}"
        )
        if len(rows) < size:
            yield from rows
            return
        last = text(rows[-1]["key"])
        whole = [r for r in rows if text(r["key"]) != last]  # the last subject may go on
        if not whole:
            raise LimitExceeded(
                f"{last} has {size} or more values of {predicate}, more than a page",
                hint="raise MaxSortedTopRows and ResultSetMaxRows in virtuoso.ini",
            )
        yield from whole
        cursor = last


def _object(row: Row) -> Any:
    term = row["o"]
    lexical = row.get("lex")
    inexact = isinstance(term, ox.Literal) and term.datatype in _INEXACT
    if inexact and lexical is not None and text(lexical):
        return ox.Literal(text(lexical), datatype=term.datatype)  # type: ignore[union-attr]
    return term
