"""Checking a write against the shapes before it happens.

A write (a Graph Store PUT or POST, an ``INSERT DATA`` or ``DELETE DATA``) is checked on the
*resulting* description of every node it touches: what the store already says about the node
(in any data graph, with its blank nodes two levels deep), minus what the write removes or
replaces, plus what it adds. So adding one label to an organisation does not fail for the
properties the organisation already has, and removing a mandatory property is caught.

Writes to the vocabulary graphs (ontology, shapes) are not validated.

Updates with ``DELETE/INSERT ... WHERE``, ``LOAD``, ``ADD``, ``COPY`` or ``MOVE`` depend on
the data they run on; only their ``INSERT DATA`` and ``DELETE DATA`` operations are checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from kringloop.graph.binding import Term, values_block
from kringloop.graph.bundle import VOCABULARY_PARTS, graph_iri
from kringloop.graph.errors import QueryError, QuerySyntaxError, ValidationFailure
from kringloop.graph.sparql_text import data_operations
from kringloop.graph.store import GraphName, Store, syntax_position
from kringloop.graph.validate import ShapesValidator

#: Graphs that hold vocabulary or derived results, not data: writes to them are not checked.
UNCHECKED_GRAPHS: tuple[ox.NamedNode, ...] = tuple(
    graph_iri(p) for p in (*VOCABULARY_PARTS, "inferred", "matches")
)

# The triples of some subjects, and of the blank nodes they point to (two levels), per graph.
_POINTING = """
SELECT ?s ?p ?o ?g WHERE {{
  {values}
  {{ ?s ?p ?root }} UNION {{ GRAPH ?g {{ ?s ?p ?root }} }}
  FILTER(isIRI(?s))
  BIND(?root AS ?o)
}}
"""
_TYPES = """
SELECT ?s ?p ?o ?g WHERE {{
  {values}
  {{ ?root a ?o }} UNION {{ GRAPH ?g {{ ?root a ?o }} }}
  BIND(?root AS ?s) BIND(<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> AS ?p)
}}
"""

_DESCRIBED = """
SELECT ?s ?p ?o ?g WHERE {{
  {values}
  {{ {{ ?root ?p ?o BIND(?root AS ?s) }}
     UNION {{ ?root ?p1 ?s FILTER(isBlank(?s)) ?s ?p ?o }}
     UNION {{ ?root ?p1 ?b FILTER(isBlank(?b)) ?b ?p2 ?s FILTER(isBlank(?s)) ?s ?p ?o }} }}
  UNION
  {{ GRAPH ?g {{ {{ ?root ?p ?o BIND(?root AS ?s) }}
     UNION {{ ?root ?p1 ?s FILTER(isBlank(?s)) ?s ?p ?o }}
     UNION {{ ?root ?p1 ?b FILTER(isBlank(?b)) ?b ?p2 ?s FILTER(isBlank(?s)) ?s ?p ?o }} }} }}
}}
"""


@dataclass(frozen=True)
class Change:
    """The quads a write adds and removes."""

    added: list[ox.Quad]
    removed: list[ox.Quad]


def _scratch(update: str | None) -> list[ox.Quad]:
    if update is None:
        return []
    scratch = ox.Store()
    try:
        scratch.update(update)
    except SyntaxError as err:
        raise QuerySyntaxError(str(err), position=syntax_position(str(err))) from err
    except (OSError, RuntimeError) as err:
        raise QueryError(f"cannot read the data of the update: {err}") from err
    return list(scratch)


def update_changes(update: str) -> Change:
    """The quads named by the ``INSERT DATA`` and ``DELETE DATA`` operations of ``update``.

    They are found by running just those operations on an empty scratch store, so the real
    SPARQL parser reads them (prefixes, escapes, blank nodes and all).

    >>> change = update_changes(
    ...     'PREFIX e: <http://e.org/> DELETE DATA { e:a e:p "1" } ; '
    ...     'INSERT DATA { GRAPH e:g { e:a e:p "2" } } ; '
    ...     "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }")
    >>> [str(q) for q in change.added]
    ['<http://e.org/a> <http://e.org/p> "2" <http://e.org/g>']
    >>> [str(q) for q in change.removed]
    ['<http://e.org/a> <http://e.org/p> "1"']
    """
    return Change(
        added=_scratch(data_operations(update, "INSERT")),
        removed=_scratch(data_operations(update, "DELETE")),
    )


def _quads(rows: list[dict[str, Term]]) -> list[ox.Quad]:
    found = []
    for row in rows:
        subject, predicate, obj, graph = row["s"], row["p"], row["o"], row.get("g")
        assert isinstance(subject, ox.NamedNode | ox.BlankNode)
        assert isinstance(predicate, ox.NamedNode)
        assert graph is None or isinstance(graph, ox.NamedNode | ox.BlankNode)
        found.append(ox.Quad(subject, predicate, obj, graph or ox.DefaultGraph()))
    return found


def _chunks(nodes: Sequence[ox.NamedNode], size: int = 200) -> Iterator[str]:
    for start in range(0, len(nodes), size):
        chunk: list[Term] = list(nodes[start : start + size])
        yield values_block("root", chunk)


def described(store: Store, subjects: Sequence[ox.NamedNode]) -> list[ox.Quad]:
    """What ``store`` says about ``subjects`` (and their blank nodes), in every graph."""
    found: list[ox.Quad] = []
    for values in _chunks(subjects):
        found += _quads(store.select(_DESCRIBED.format(values=values)))
    return found


def pointing(store: Store, subjects: Sequence[ox.NamedNode]) -> list[ox.Quad]:
    """The IRIs that point to ``subjects``: those links and their types (for shapes with an
    inverse path, such as "a site belongs to an organisation")."""
    links: list[ox.Quad] = []
    for values in _chunks(subjects):
        links += _quads(store.select(_POINTING.format(values=values)))
    others = sorted({q.subject for q in links if isinstance(q.subject, ox.NamedNode)}, key=str)
    types: list[ox.Quad] = []
    for values in _chunks(others):
        types += _quads(store.select(_TYPES.format(values=values)))
    return links + types


def check_write(
    store: Store,
    validator: ShapesValidator,
    *,
    added: Sequence[ox.Quad],
    removed: Sequence[ox.Quad] = (),
    replaced: Iterable[GraphName] = (),
    unchecked: Iterable[ox.NamedNode] = UNCHECKED_GRAPHS,
) -> None:
    """Raise `ValidationFailure` when a node the write touches would not conform after it.

    ``replaced`` are graphs whose current content the write throws away (a PUT); quads in
    ``unchecked`` graphs (vocabulary, derived results) are neither checked nor used.
    """
    skip: set[GraphName] = set(unchecked)
    new = [q for q in added if q.graph_name not in skip]
    gone = {q for q in removed if q.graph_name not in skip}
    if not new and not gone:
        return
    subjects = sorted(
        {q.subject for q in [*new, *gone] if isinstance(q.subject, ox.NamedNode)}, key=str
    )
    dropped = set(replaced) | skip

    def after(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
        return [q for q in quads if q.graph_name not in dropped and q not in gone]

    own = [*after(described(store, subjects)), *new]
    described_nodes = {q.subject for q in own}
    links = after(pointing(store, subjects))
    others = {q.subject for q in links if isinstance(q.subject, ox.NamedNode)} - described_nodes
    report = validator.check([*own, *links], context_only=sorted(others, key=str))
    if not report.conforms:
        raise ValidationFailure(report.errors, source="the request")
