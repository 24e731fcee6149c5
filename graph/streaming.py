"""Answers that stream: a query's results written where the query runs, chunk by chunk.

`stream_job` is a job for `kringloop.graph.execution.Runner.astream`: it runs a `ReadQuery`
and writes the answer in the format asked for to its `Sink`, in chunks of about `CHUNK`
bytes, as pyoxigraph's own writers produce them. A SELECT of a million rows or a CONSTRUCT of
a whole graph thus goes from the worker to the client with bounded memory on both sides;
the query's deadline is checked at every chunk (time spent waiting for a slow reader does not
count), and a reader that goes away stops the job.

A cap on the number of results (``max_rows``) stays available: with one, the results are read
completely first (at most ``max_rows`` of them) so that going over it is an error before
anything is sent, never a shortened answer.

DESCRIBE answers are written without repeated triples (the engine describes a resource once
per graph that holds a triple about it); CONSTRUCT answers have none already.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox

from kringloop.graph import sparql_text
from kringloop.graph.binding import Term
from kringloop.graph.execution import (
    Boolean,
    Deadline,
    Sink,
    Triples,
    materialise,
    write_results,
    write_triples,
)
from kringloop.graph.store import GraphName, QueryResult, Store

#: About how many bytes go to the reader at once.
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Dataset:
    """The dataset a query runs on: given graphs, the union of all graphs, or (all None and
    ``union`` false) the store's real default graph and every named graph."""

    default_graphs: tuple[GraphName, ...] | None = None
    named_graphs: tuple[ox.NamedNode | ox.BlankNode, ...] | None = None
    union: bool = False


@dataclass(frozen=True)
class ReadQuery:
    """A query to run: its text, values bound to its variables, its dataset, its base IRI."""

    sparql: str
    bindings: Mapping[str, Term] | None = None
    dataset: Dataset = field(default_factory=Dataset)
    base_iri: str | None = None

    def run(self, store: Store) -> QueryResult:
        return store.query(
            self.sparql,
            bindings=self.bindings,
            default_graphs=self.dataset.default_graphs,
            named_graphs=self.dataset.named_graphs,
            union_default_graph=self.dataset.union,
            base_iri=self.base_iri,
        )


@dataclass(frozen=True)
class AnswerFormat:
    """How to write the answer: a results media type for SELECT/ASK and an RDF one for
    CONSTRUCT/DESCRIBE (None: that kind is not acceptable), the prefixes for RDF, and an
    optional cap on the number of results."""

    results: str | None
    rdf: str | None
    prefixes: Mapping[str, str] = field(default_factory=dict)
    max_rows: int | None = None


@dataclass(frozen=True)
class Head:
    """What a streamed answer is: ``solutions``, ``boolean`` or ``triples``, and the media
    type it is written in (None: no acceptable format, nothing follows)."""

    kind: str
    media_type: str | None


class _Chunks:
    """A binary writer for pyoxigraph's serialisers that sends ``CHUNK``-sized pieces to a
    sink and checks the deadline at each write."""

    def __init__(self, sink: Sink, deadline: Deadline) -> None:
        self.sink = sink
        self.deadline = deadline
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:
        self.deadline.check()
        self.buffer += data
        if len(self.buffer) >= CHUNK:
            self.sink.chunk(bytes(self.buffer))
            self.buffer.clear()
        return len(data)

    def flush(self) -> None:
        """Nothing: the serialiser flushes often, and chunks of `CHUNK` bytes go out as they
        fill (the rest at `close`), not one per flush."""

    def close(self) -> None:
        if self.buffer:
            self.sink.chunk(bytes(self.buffer))
            self.buffer.clear()


def _kind(result: QueryResult) -> str:
    if isinstance(result, ox.QueryBoolean):
        return "boolean"
    if isinstance(result, ox.QuerySolutions):
        return "solutions"
    return "triples"


def usable_prefixes(prefixes: Mapping[str, str], rdf: ox.RdfFormat) -> dict[str, str]:
    """The prefixes the RDF writer accepts (a relative IRI, say, it refuses).

    >>> usable_prefixes({"e": "http://e.org/", "r": "rel/"}, ox.RdfFormat.TURTLE)
    {'e': 'http://e.org/'}
    """
    usable = {}
    for name, iri in prefixes.items():
        try:
            ox.serialize([], format=rdf, prefixes={name: iri})
        except ValueError:
            continue
        usable[name] = iri
    return usable


def _once(triples: Iterable[ox.Triple]) -> Iterator[ox.Triple]:
    seen: set[ox.Triple] = set()
    for triple in triples:
        if triple not in seen:
            seen.add(triple)
            yield triple


def stream_job(
    store: Store, deadline: Deadline, sink: Sink, query: ReadQuery, answer: AnswerFormat
) -> str:
    """Run ``query`` and write its answer to ``sink`` (a job for `Runner.astream`); returns
    the kind of answer.

    >>> from kringloop.graph.store import OxigraphStore
    >>> from kringloop.graph.execution import Sink
    >>> class Collect(Sink):
    ...     def __init__(self): self.parts = []
    ...     def head(self, value): self.parts.append(value)
    ...     def chunk(self, data): self.parts.append(data)
    >>> store = OxigraphStore.memory()
    >>> store.update("INSERT DATA { <http://e.org/a> <http://e.org/p> 1 }")
    >>> sink = Collect()
    >>> stream_job(store, Deadline(5), sink, ReadQuery("SELECT ?o { ?s ?p ?o }"),
    ...            AnswerFormat("text/csv", None))
    'solutions'
    >>> sink.parts
    [Head(kind='solutions', media_type='text/csv'), b'o\\r\\n1\\r\\n']
    """
    result = query.run(store)
    kind = _kind(result)
    media = answer.rdf if kind == "triples" else answer.results
    sink.head(Head(kind, media))
    if media is None:
        return kind
    if answer.max_rows is not None:  # capped: read it all first, so the cap is an error
        data = materialise(result, deadline=deadline, max_rows=answer.max_rows)
        if isinstance(data, Triples):
            rdf = ox.RdfFormat.from_media_type(media)
            assert rdf is not None, media
            triples = list(_once(data.triples))
            body = write_triples(Triples(triples, usable_prefixes(answer.prefixes, rdf)), rdf)
        else:
            fmt = ox.QueryResultsFormat.from_media_type(media)
            assert fmt is not None, media
            body = write_results(data, fmt)
        out = _Chunks(sink, deadline)
        for start in range(0, len(body), CHUNK):
            out.write(body[start : start + CHUNK])
        out.close()
        return kind
    out = _Chunks(sink, deadline)
    try:
        if isinstance(result, ox.QueryBoolean | ox.QuerySolutions):
            fmt = ox.QueryResultsFormat.from_media_type(media)
            assert fmt is not None, media
            if isinstance(result, ox.QueryBoolean):
                out.write(write_results(Boolean(bool(result)), fmt))
            else:
                result.serialize(out, fmt)  # type: ignore[arg-type]
        else:
            parts = construct_parts(query.sparql)
            made: Iterable[ox.Triple] = result
            if parts is not None:  # bounded memory: the engine's CONSTRUCT keeps every triple
                made = constructed(store, deadline, query, parts)
            _write_graph(made, media, answer.prefixes, out, describe=_describes(query))
    except (OSError, RuntimeError) as err:
        from kringloop.graph.errors import QueryError

        raise QueryError(f"the query failed while running: {err}") from err
    out.close()
    return kind


#: Solutions instantiated at once by `constructed`.
BATCH = 5000


@dataclass(frozen=True)
class ConstructParts:
    """A CONSTRUCT query as its prologue, its template and the SELECT of its solutions."""

    prologue: str
    template: str
    select: str


def construct_parts(sparql: str) -> ConstructParts | None:
    """The parts of a CONSTRUCT query, or None for another form (or one with ``GROUP BY``,
    whose ``SELECT *`` would not be allowed).

    >>> parts = construct_parts("PREFIX e: <http://e.org/> CONSTRUCT { ?s e:q ?o } "
    ...                         "WHERE { ?s e:p ?o } LIMIT 5")
    >>> parts.template, parts.select
    ('{ ?s e:q ?o }', 'PREFIX e: <http://e.org/> SELECT * WHERE { ?s e:p ?o } LIMIT 5')
    >>> construct_parts("CONSTRUCT FROM <http://e.org/g> WHERE { ?s ?p ?o }").template
    '{ ?s ?p ?o }'
    """
    toks = sparql_text.tokens(sparql)
    at = next((i for i, tok in enumerate(toks) if tok.keyword in sparql_text.QUERY_FORMS), None)
    if at is None or toks[at].keyword != "CONSTRUCT" or at + 1 >= len(toks):
        return None
    if any(tok.keyword == "GROUP" for tok in toks[at:]):
        return None
    prologue = sparql[: toks[at].start].strip()
    start = at + 1
    if toks[start].kind == "punct" and toks[start].text == "{":
        end = sparql_text.group_end(toks, start)
        template = sparql[toks[start].start : toks[end].end]
        rest = sparql[toks[end].end :].strip()
    else:  # CONSTRUCT [FROM ...] WHERE { template }: the pattern is the template
        where = next((i for i in range(start, len(toks)) if toks[i].keyword == "WHERE"), None)
        if where is None or where + 1 >= len(toks):
            return None
        end = sparql_text.group_end(toks, where + 1)
        template = sparql[toks[where + 1].start : toks[end].end]
        rest = sparql[toks[start].start :].strip()
    select = " ".join(part for part in (prologue, "SELECT *", rest) if part)
    return ConstructParts(prologue, template, select)


def constructed(
    store: Store, deadline: Deadline, query: ReadQuery, parts: ConstructParts
) -> Iterator[ox.Triple]:
    """The triples of a CONSTRUCT, made from its solutions ``BATCH`` at a time by the
    engine's own template semantics (`kringloop.graph.writes.instantiate`: fresh blank nodes
    per solution, unbound and invalid triples left out). Memory stays bounded; a triple that
    two batches both make is written twice, which denotes the same graph."""
    from kringloop.graph.execution import Solutions
    from kringloop.graph.update_plan import Operation
    from kringloop.graph.writes import instantiate

    solutions = ReadQuery(parts.select, query.bindings, query.dataset, query.base_iri).run(store)
    assert isinstance(solutions, ox.QuerySolutions)
    names = tuple(v.value for v in solutions.variables)
    base = f"BASE <{query.base_iri}> " if query.base_iri else ""
    op = Operation(kind="MODIFY", start=0, end=0, prologue=base + parts.prologue)
    rows: list[tuple[Term | None, ...]] = []

    def made() -> Iterator[ox.Triple]:
        deadline.check()
        for quad in instantiate(op, parts.template, Solutions(names, rows)):
            yield ox.Triple(quad.subject, quad.predicate, quad.object)
        rows.clear()

    for solution in solutions:
        rows.append(tuple(solution[name] for name in names))
        if len(rows) >= BATCH:
            yield from made()
    if rows:
        yield from made()


def _describes(query: ReadQuery) -> bool:
    return sparql_text.query_form(query.sparql) == "DESCRIBE"


def _write_graph(
    result: Iterable[ox.Triple],
    media: str,
    prefixes: Mapping[str, str],
    out: _Chunks,
    *,
    describe: bool,
) -> None:
    rdf = ox.RdfFormat.from_media_type(media)
    assert rdf is not None, media
    triples: Iterable[ox.Triple] = _once(result) if describe else result
    data: Iterable[ox.Triple] | Iterable[ox.Quad] = triples
    if rdf.supports_datasets:  # a dataset format: the triples in the default graph
        data = (ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    ox.serialize(data, out, rdf, prefixes=usable_prefixes(prefixes, rdf) or None)  # type: ignore[arg-type]
