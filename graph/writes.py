"""Checking a write against the shapes before it happens.

A write (a Graph Store PUT or POST, a SPARQL update) is checked on the *resulting* description
of every node it touches: what the store already says about the node (in any data graph, with
its blank nodes two levels deep), minus what the write removes or replaces, plus what it adds.
So adding one label to an organisation does not fail for the properties the organisation
already has, and removing a mandatory property is caught.

What an update adds and removes is worked out operation by operation (`prepare_update`), before
anything is written:

- ``INSERT DATA`` / ``DELETE DATA``: their quads, read by the real SPARQL parser on an empty
  scratch store;
- ``INSERT … WHERE``, ``DELETE … INSERT … WHERE``, ``DELETE WHERE``: the ``WHERE`` part runs
  as a ``SELECT *`` where queries run (within the time limit and the row limit: this is also
  the trial that refuses a runaway update), and the templates are instantiated with those
  solutions on a scratch store (the engine's own template semantics: unbound variables, fresh
  blank nodes, ``WITH`` graphs);
- ``ADD``, ``COPY``, ``MOVE``: the triples of the graphs they name;
- ``LOAD`` (only of allow-listed documents): the document is fetched and parsed here, and the
  operation is replaced by the ``INSERT DATA`` of what was fetched, so what is checked is what
  is written; ``LOAD SILENT`` of a document not on the allow list loads nothing.

An operation that reads the store after an earlier operation of the same update changed a
graph it reads cannot be worked out without running the update; such an update is refused
(send the operations as separate requests). ``CLEAR``, ``DROP`` and ``CREATE`` remove or make
whole graphs and are not checked, like a Graph Store ``DELETE``. Writes to the vocabulary
graphs (ontology, shapes) and to derived graphs are not validated.

Functions such as ``NOW()``, ``RAND()`` or ``UUID()`` in a ``WHERE`` part give other values
when the update really runs than in its trial: the check sees values of the same kind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from kringloop.graph.binding import Term, values_block
from kringloop.graph.bundle import VOCABULARY_PARTS, graph_iri
from kringloop.graph.errors import (
    LimitExceeded,
    LoadError,
    QueryError,
    QuerySyntaxError,
    QueryTimeout,
    RefusedError,
    ValidationFailure,
)
from kringloop.graph.execution import Runner, Solutions, query_job
from kringloop.graph.sparql_text import allowed, remote_targets
from kringloop.graph.store import GraphName, Store, _quad_text, syntax_position
from kringloop.graph.update_plan import DEFAULT, GraphRef, Operation, operations
from kringloop.graph.validate import ShapesValidator

log = logging.getLogger("kringloop.writes")

#: Runs the ``SELECT *`` trial of a ``WHERE`` part (where queries run, within the limits).
Trial = Callable[[str], Solutions]
#: Fetches and parses the document of an allow-listed ``LOAD`` into its target graph.
Fetch = Callable[[Operation], list[ox.Quad]]

#: Stand-in IRIs for the store's blank nodes in a VALUES block (which cannot hold blank nodes).
_BNODE = "urn:x-kringloop:bnode:"

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


@dataclass(frozen=True)
class PlannedUpdate:
    """An update ready to run: the text to run (``LOAD``s replaced by the data they fetched)
    and what it will add and remove."""

    text: str
    change: Change


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


def syntax_check(update: str, base_iri: str | None = None) -> None:
    """The engine's own syntax errors (with positions) before any trial: the update is run on
    an empty scratch store, where only its syntax can fail for good (an operation on a graph
    that does not exist there fails too, and says nothing about the real store)."""
    try:
        ox.Store().update(update, base_iri=base_iri)
    except SyntaxError as err:
        raise QuerySyntaxError(str(err), position=syntax_position(str(err))) from err
    except (OSError, RuntimeError):
        return


def _stand_in(term: Term | None) -> str:
    if term is None:
        return "UNDEF"
    if isinstance(term, ox.BlankNode):
        return str(ox.NamedNode(_BNODE + term.value))
    return str(term)


def _restore(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Term:
    if isinstance(term, ox.NamedNode) and term.value.startswith(_BNODE):
        return ox.BlankNode(term.value[len(_BNODE) :])
    return term


def _restored(quad: ox.Quad) -> ox.Quad:
    graph = quad.graph_name
    if isinstance(graph, ox.NamedNode) and graph.value.startswith(_BNODE):
        graph = ox.BlankNode(graph.value[len(_BNODE) :])
    subject = _restore(quad.subject)
    assert isinstance(subject, ox.NamedNode | ox.BlankNode | ox.Triple)
    return ox.Quad(subject, quad.predicate, _restore(quad.object), graph)


def instantiate(op: Operation, template: str | None, solutions: Solutions) -> list[ox.Quad]:
    """The quads ``template`` (an operation's ``DELETE`` or ``INSERT`` template) makes from
    ``solutions``, as the engine makes them (on an empty scratch store).

    >>> op = operations("PREFIX e: <http://e.org/> WITH e:g "
    ...                 "INSERT { ?s e:q ?o } WHERE { ?s e:p ?o }")[0]
    >>> rows = [(ox.NamedNode("http://e.org/a"), ox.Literal("1")), (ox.BlankNode("b1"), None)]
    >>> [str(q) for q in instantiate(op, op.insert, Solutions(("s", "o"), rows))]
    ['<http://e.org/a> <http://e.org/q> "1" <http://e.org/g>']
    """
    if template is None or not solutions.rows:
        return []
    names = " ".join(f"?{ox.Variable(v).value}" for v in solutions.variables)
    rows = " ".join(f"({' '.join(_stand_in(t) for t in row)})" for row in solutions.rows)
    with_clause = f"WITH {op.with_graph}" if op.with_graph else ""
    text = (
        f"{op.prologue} {with_clause} INSERT {template} WHERE {{ VALUES ({names}) {{ {rows} }} }}"
    )
    return [_restored(q) for q in _scratch(text)]


def _graph_name(ref: GraphRef) -> GraphName:
    if ref.kind == "DEFAULT":
        return ox.DefaultGraph()
    if ref.iri is None:
        raise QuerySyntaxError(f"the graph {ref.written} uses an undeclared prefix")
    return ox.NamedNode(ref.iri)


def _label(graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> str:
    return graph.value if isinstance(graph, ox.NamedNode) else DEFAULT


class _Pending:
    """The net change of the operations read so far (deletes before inserts, as in SPARQL)."""

    def __init__(self) -> None:
        self.added: dict[ox.Quad, None] = {}
        self.removed: dict[ox.Quad, None] = {}
        self.touched: set[str] = set()  # graphs changed so far (`DEFAULT`: the default graph)
        self.everything = False  # a CLEAR/DROP of ALL or NAMED touched every graph

    def apply(self, *, add: Iterable[ox.Quad] = (), remove: Iterable[ox.Quad] = ()) -> None:
        for quad in remove:
            self.added.pop(quad, None)
            self.removed[quad] = None
            self.touched.add(_label(quad.graph_name))
        for quad in add:
            self.removed.pop(quad, None)
            self.added[quad] = None
            self.touched.add(_label(quad.graph_name))

    def clear(self, ref: GraphRef) -> None:
        """A graph (or all, or every named one) emptied without a check."""
        if ref.kind in ("ALL", "NAMED"):
            self.everything = True
            keep: Callable[[ox.Quad], bool] = (
                (lambda q: False)
                if ref.kind == "ALL"
                else (lambda q: isinstance(q.graph_name, ox.DefaultGraph))
            )
        else:
            name = _label(_graph_name(ref))
            self.touched.add(name)
            keep = lambda q: _label(q.graph_name) != name  # noqa: E731
        self.added = {q: None for q in self.added if keep(q)}

    def conflicts(self, op: Operation) -> bool:
        """Whether ``op`` reads a graph that an earlier operation changed."""
        if not op.reads_store or not (self.touched or self.everything):
            return False
        if op.reads is None or self.everything:
            return True
        return bool(op.reads & self.touched)


def prepare_update(
    store: Store,
    update: str,
    *,
    trial: Trial,
    fetch: Fetch | None = None,
    changes: bool = True,
    base_iri: str | None = None,
) -> PlannedUpdate:
    """Work out what ``update`` adds and removes, operation by operation, without writing.

    ``trial`` runs each ``WHERE`` part (it is what bounds an update's time and size: a
    runaway ``WHERE`` raises there). ``fetch`` reads allow-listed ``LOAD`` documents. Without
    ``changes``, only the trials and the fetches are done (for a service that does not check
    shapes). Relative IRIs resolve against ``base_iri`` (run the planned text with it too).

    >>> from kringloop.graph.store import OxigraphStore
    >>> from kringloop.graph.execution import Deadline, query_job
    >>> store = OxigraphStore.memory()
    >>> store.update("PREFIX e: <http://e.org/> INSERT DATA { GRAPH e:g { e:a e:p e:b } }")
    >>> trial = lambda q: query_job(store, Deadline(5), q, 100)
    >>> planned = prepare_update(store, "PREFIX e: <http://e.org/> DELETE { GRAPH e:g "
    ...     "{ ?s e:p ?o } } INSERT { GRAPH e:g { ?s e:q ?o } } WHERE { GRAPH e:g { ?s e:p ?o } }",
    ...     trial=trial)
    >>> [str(q.predicate) for q in planned.change.added]
    ['<http://e.org/q>']
    >>> [str(q.predicate) for q in planned.change.removed]
    ['<http://e.org/p>']
    """
    if not remote_targets(update, base_iri=base_iri):
        syntax_check(update, base_iri)
    pending = _Pending()
    pieces: list[str] = []
    cursor = 0
    for index, op in enumerate(operations(update, base_iri=base_iri)):
        if changes and pending.conflicts(op):
            raise RefusedError(
                f"operation {index + 1} of the update ({op.kind}) reads data that an earlier "
                "operation of the same update changes, so what it writes cannot be checked "
                "against the shapes before it runs; nothing was changed",
                hint="send the operations as separate requests, in order",
            )
        if op.kind == "LOAD":
            quads = fetch(op) if fetch is not None else []
            pieces += [update[cursor : op.start], _insert_data(quads)]
            cursor = op.end
            pending.apply(add=quads)
            continue
        if op.where is not None:
            query = op.trial_query()
            assert query is not None
            solutions = trial(query)
            if changes:
                pending.apply(
                    remove=instantiate(op, op.delete, solutions),
                    add=instantiate(op, op.insert, solutions),
                )
            continue
        if not changes:
            continue
        if op.kind in ("INSERT DATA", "DELETE DATA"):
            body = update[op.start : op.end]
            quads = _scratch(f"{op.prologue} INSERT{body[6:]}")
            pending.apply(**{"add" if op.kind == "INSERT DATA" else "remove": quads})
        elif op.kind in ("ADD", "COPY", "MOVE"):
            assert op.source is not None and op.target is not None
            source, target = _graph_name(op.source), _graph_name(op.target)
            if source == target:
                continue
            moved = list(store.quads(source))
            if op.kind != "ADD":
                pending.apply(remove=store.quads(target))
            if op.kind == "MOVE":
                pending.apply(remove=moved)
            pending.apply(add=(ox.Quad(q.subject, q.predicate, q.object, target) for q in moved))
        elif op.kind in ("CLEAR", "DROP"):
            assert op.target is not None
            pending.clear(op.target)
    pieces.append(update[cursor:])
    change = Change(added=list(pending.added), removed=list(pending.removed))
    return PlannedUpdate(text="".join(pieces), change=change)


def trial_in(runner: Runner, *, max_solutions: int | None = None) -> Trial:
    """The `Trial` of the service: a ``WHERE`` part runs where queries run, within the time
    limit and at most ``max_solutions`` solutions (default: the runner's ``max_rows``), and an
    update that goes over either is refused before it writes. The limit is the update's own:
    query results stream without one."""
    limit = max_solutions if max_solutions is not None else runner.max_rows

    def trial(query: str) -> Solutions:
        try:
            result = runner.call(query_job, query, limit)
        except QueryTimeout as err:
            raise QueryTimeout(
                f"the update's WHERE part did not finish within {runner.timeout_s:g} s in a "
                "trial run; the update was refused and nothing was changed",
                hint="make the WHERE part more selective, or run it in smaller steps",
            ) from err
        except LimitExceeded as err:
            raise LimitExceeded(
                f"the update's WHERE part has more than {limit} solutions, the "
                "service's limit; nothing was changed",
                hint="run it in smaller steps (narrow the WHERE part), or ask the operator to "
                "raise KRINGLOOP_MAX_UPDATE_SOLUTIONS",
            ) from err
        if not isinstance(result, Solutions):
            raise QueryError("the WHERE part of the update did not give solutions")
        return result

    return trial


def fetcher(*, max_bytes: int, timeout_s: float, allowlist: Sequence[str] = ()) -> Fetch:
    """The `Fetch` of the service: an allow-listed ``LOAD`` document is fetched and parsed
    here (`kringloop.graph.load.fetch_rdf`); with ``SILENT`` a document that cannot be read
    loads nothing, as the standard says, and so does a document the allow list does not name
    (it is not fetched; the log says so). Without ``SILENT`` such a ``LOAD`` never gets here:
    it is refused before the update is planned."""
    from kringloop.graph.load import fetch_rdf

    def fetch(op: Operation) -> list[ox.Quad]:
        assert op.source is not None
        if op.source.iri is None:
            raise QuerySyntaxError(f"LOAD {op.source.written} uses an undeclared prefix")
        if not allowed(op.source.iri, allowlist):
            if not op.silent:
                raise RefusedError(
                    f"LOAD <{op.source.iri}> is refused: this service does not allow loading "
                    "from the web from that address",
                    hint="the operator can allow it with KRINGLOOP_SERVICE_ALLOWLIST",
                )
            log.info("LOAD SILENT <%s> loads nothing: not on the allow list", op.source.iri)
            return []
        graph = _graph_name(op.target) if op.target is not None else ox.DefaultGraph()
        assert not isinstance(graph, ox.BlankNode)
        try:
            return fetch_rdf(op.source.iri, graph=graph, max_bytes=max_bytes, timeout_s=timeout_s)
        except LoadError:
            if op.silent:
                return []
            raise

    return fetch


def _insert_data(quads: Sequence[ox.Quad]) -> str:
    """``INSERT DATA`` of ``quads`` (which may hold blank nodes; INSERT DATA allows them)."""
    return f"INSERT DATA {{ {' '.join(_quad_text(q) for q in quads)} }}"


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


def canonical(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """``quads`` with their literals as the store keeps them (pyoxigraph canonicalises
    numbers, derived integer types and language tags on insert), each quad once.

    >>> dec = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
    >>> e = ox.NamedNode("http://e.org/a")
    >>> [q.object.value for q in canonical([ox.Quad(e, e, ox.Literal("50.90", datatype=dec))])]
    ['50.9']
    """
    scratch = ox.Store()
    scratch.extend(quads)
    return list(scratch)


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
    # The store keeps literals in canonical form ("50.90" as 50.9): so are the write's, or a
    # value sent again would look like a second one.
    new = canonical(q for q in added if q.graph_name not in skip)
    gone = set(canonical(q for q in removed if q.graph_name not in skip))
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
