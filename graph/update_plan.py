"""An update read as its operations, before it runs: what each one reads and writes.

pyoxigraph runs an update as one transaction but tells nothing about it beforehand. To check
what an update would write against the shapes, and to try its ``WHERE`` parts within the
query time limit, the service needs the update's operations: their kind, their templates, their
``WITH`` / ``USING`` graphs, their ``WHERE`` patterns and the graphs that ``LOAD``, ``ADD``,
``COPY``, ``MOVE``, ``CLEAR`` and ``DROP`` name. `operations` reads them with the tokenizer of
`kringloop.graph.sparql_text` (so text inside strings, IRIs and comments is never mistaken for
a keyword); the engine still parses and runs the real text.

>>> [(op.kind, op.where) for op in operations(
...     "PREFIX e: <http://e.org/> INSERT DATA { e:a e:p 1 } ; "
...     "WITH e:g DELETE { ?s e:p ?o } INSERT { ?s e:q ?o } WHERE { ?s e:p ?o }")]
[('INSERT DATA', None), ('MODIFY', '{ ?s e:p ?o }')]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kringloop.graph.errors import Position, QuerySyntaxError
from kringloop.graph.sparql_text import Token, _position, _Prologue, tokens

#: Operations that name graphs and move or remove their triples.
GRAPH_MANAGEMENT = ("LOAD", "CLEAR", "DROP", "CREATE", "ADD", "COPY", "MOVE")


#: In `Operation.reads`: the default graph.
DEFAULT = ""


@dataclass(frozen=True)
class GraphRef:
    """A graph an operation names: ``DEFAULT``, ``NAMED``, ``ALL`` or an IRI (as written,
    and resolved against the prologue; None when its prefix is unknown)."""

    kind: str  # "DEFAULT", "NAMED", "ALL" or "IRI"
    written: str = ""
    iri: str | None = None


@dataclass(frozen=True)
class Operation:
    """One operation of an update, with the offsets of its text in the update.

    ``prologue`` is every ``PREFIX``/``BASE`` declared before the operation (they carry over
    from one operation to the next); templates and the ``WHERE`` pattern are given as written,
    braces included.
    """

    kind: str  # INSERT DATA, DELETE DATA, MODIFY, DELETE WHERE, or one of GRAPH_MANAGEMENT
    start: int
    end: int
    prologue: str = ""
    with_graph: str | None = None
    delete: str | None = None
    insert: str | None = None
    using: tuple[str, ...] = ()
    using_named: tuple[str, ...] = ()
    where: str | None = None
    silent: bool = False
    source: GraphRef | None = None  # LOAD: the document IRI; ADD/COPY/MOVE: the from-graph
    target: GraphRef | None = None  # LOAD INTO, ADD/COPY/MOVE TO, CLEAR/DROP/CREATE
    #: The graphs the operation reads (`DEFAULT` for the default graph), or None: any graph.
    reads: frozenset[str] | None = field(default=frozenset(), compare=False)

    @property
    def reads_store(self) -> bool:
        """Whether the operation's effect depends on what the store holds."""
        return self.where is not None or self.kind in ("ADD", "COPY", "MOVE")

    def trial_query(self) -> str | None:
        """The ``WHERE`` part as a ``SELECT *`` over the operation's dataset (its ``USING``
        graphs, or else its ``WITH`` graph), or None when it has none.

        >>> op = operations("WITH <http://e.org/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }")[0]
        >>> op.trial_query()
        'SELECT * FROM <http://e.org/g> WHERE { ?s ?p ?o }'
        """
        if self.where is None:
            return None
        dataset = [f"FROM {g}" for g in self.using] + [f"FROM NAMED {g}" for g in self.using_named]
        if not dataset and self.with_graph is not None:
            dataset = [f"FROM {self.with_graph}"]
        parts = [self.prologue, "SELECT *", *dataset, "WHERE", self.where]
        return " ".join(p for p in parts if p)


class _Reader:
    """Reads operations off the token list, one at a time."""

    def __init__(self, update: str, base_iri: str | None = None) -> None:
        self.update = update
        self.toks = tokens(update)
        self.at = 0
        self.prologue: list[str] = [f"BASE <{base_iri}>"] if base_iri else []
        self.names = _Prologue()
        self.names.base = base_iri

    def peek(self, ahead: int = 0) -> Token | None:
        index = self.at + ahead
        return self.toks[index] if index < len(self.toks) else None

    def word(self, ahead: int = 0) -> str | None:
        token = self.peek(ahead)
        return token.keyword if token is not None else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise self.error("the update ends too early")
        self.at += 1
        return token

    def expect(self, *words: str) -> str:
        token = self.take()
        if token.keyword not in words:
            raise self.error(f"expected {' or '.join(words)}, found {token.text!r}", token)
        return token.text.upper()

    def group(self) -> str:
        """The text of the ``{ ... }`` group that starts here."""
        first = self.take()
        if first.text != "{" or first.kind != "punct":
            raise self.error(f"expected '{{', found {first.text!r}", first)
        depth = 1
        while depth:
            token = self.take()
            if token.kind == "punct" and token.text in "{}":
                depth += 1 if token.text == "{" else -1
        return self.update[first.start : self.toks[self.at - 1].end]

    def iri(self) -> str:
        token = self.take()
        if token.kind not in ("iri", "pname"):
            raise self.error(f"expected an IRI, found {token.text!r}", token)
        return token.text

    def end(self) -> int:
        """The offset just after the last token taken."""
        return self.toks[self.at - 1].end

    def ref(self) -> GraphRef:
        token = self.peek()
        written = self.iri()
        assert token is not None
        return GraphRef("IRI", written, self.names.resolve(token))

    def graphs_in(self, pattern: str) -> frozenset[str] | None:
        """The graphs ``GRAPH`` blocks in ``pattern`` name (None if one is a variable)."""
        found: set[str] = set()
        toks = tokens(pattern)
        for index, token in enumerate(toks[:-1]):
            if token.keyword == "GRAPH":
                name = toks[index + 1]
                resolved = self.names.resolve(name) if name.kind in ("iri", "pname") else None
                if resolved is None:
                    return None
                found.add(resolved)
        return frozenset(found)

    def error(self, message: str, token: Token | None = None) -> QuerySyntaxError:
        offset = token.start if token is not None else len(self.update)
        line, column = _position(self.update, offset)
        return QuerySyntaxError(message, position=Position(line, column))


def _graph_ref(reader: _Reader, *, allow: Sequence[str]) -> GraphRef:
    """``DEFAULT``, ``NAMED``, ``ALL``, ``GRAPH <iri>`` or a bare ``<iri>`` (ADD/COPY/MOVE)."""
    word = reader.word()
    if word is not None and word in allow and word != "GRAPH":
        reader.take()
        return GraphRef(word)
    if word == "GRAPH":
        reader.take()
    return reader.ref()


def _silent(reader: _Reader) -> bool:
    if reader.word() == "SILENT":
        reader.take()
        return True
    return False


def _graph_operation(reader: _Reader, word: str, start: int, prologue: str) -> Operation:
    """``LOAD``, ``CLEAR``, ``DROP``, ``CREATE``, ``ADD``, ``COPY`` or ``MOVE``."""
    silent = _silent(reader)
    source = target = None
    reads: frozenset[str] = frozenset()
    if word == "LOAD":
        source = reader.ref()
        if reader.word() == "INTO":
            reader.take()
            reader.expect("GRAPH")
            target = reader.ref()
    elif word in ("CLEAR", "DROP"):
        target = _graph_ref(reader, allow=("DEFAULT", "NAMED", "ALL", "GRAPH"))
    elif word == "CREATE":
        reader.expect("GRAPH")
        target = reader.ref()
    else:
        source = _graph_ref(reader, allow=("DEFAULT", "GRAPH"))
        reader.expect("TO")
        target = _graph_ref(reader, allow=("DEFAULT", "GRAPH"))
        reads = frozenset([source.iri or DEFAULT])
    return Operation(
        kind=word,
        start=start,
        end=reader.end(),
        prologue=prologue,
        silent=silent,
        source=source,
        target=target,
        reads=reads,
    )


def _modify(
    reader: _Reader, word: str, start: int, prologue: str, with_ref: GraphRef | None
) -> Operation:
    """``[WITH g] DELETE {…} [INSERT {…}] | INSERT {…}``, ``USING`` clauses, ``WHERE {…}``."""
    delete = insert = None
    if word == "DELETE":
        delete = reader.group()
        if reader.word() == "INSERT":
            reader.take()
            insert = reader.group()
    else:
        insert = reader.group()
    using: list[GraphRef] = []
    using_named: list[GraphRef] = []
    while reader.word() == "USING":
        reader.take()
        if reader.word() == "NAMED":
            reader.take()
            using_named.append(reader.ref())
        else:
            using.append(reader.ref())
    reader.expect("WHERE")
    where = reader.group()
    named = reader.graphs_in(where)
    reads: frozenset[str] | None = None
    if named is not None and all(g.iri is not None for g in [*using, *using_named]):
        default = [g.iri or DEFAULT for g in using]
        if not default:
            default = [with_ref.iri or DEFAULT] if with_ref is not None else [DEFAULT]
        reads = named | set(default)
    return Operation(
        kind="MODIFY",
        start=start,
        end=reader.end(),
        prologue=prologue,
        with_graph=with_ref.written if with_ref is not None else None,
        delete=delete,
        insert=insert,
        using=tuple(g.written for g in using),
        using_named=tuple(g.written for g in using_named),
        where=where,
        reads=reads,
    )


def _operation(reader: _Reader) -> Operation:
    first = reader.take()
    word = first.keyword
    prologue = " ".join(reader.prologue)
    if word in GRAPH_MANAGEMENT:
        return _graph_operation(reader, word, first.start, prologue)
    with_ref = None
    if word == "WITH":
        with_ref = reader.ref()
        word = reader.expect("DELETE", "INSERT")
    if word in ("INSERT", "DELETE") and with_ref is None and reader.word() == "DATA":
        reader.take()
        reader.group()
        return Operation(
            kind=f"{word} DATA", start=first.start, end=reader.end(), prologue=prologue
        )
    if word == "DELETE" and with_ref is None and reader.word() == "WHERE":
        reader.take()
        pattern = reader.group()
        named = reader.graphs_in(pattern)
        return Operation(
            kind="DELETE WHERE",
            start=first.start,
            end=reader.end(),
            prologue=prologue,
            delete=pattern,
            where=pattern,
            reads=None if named is None else named | {DEFAULT},
        )
    if word not in ("INSERT", "DELETE"):
        raise reader.error(f"expected an update operation, found {first.text!r}", first)
    return _modify(reader, word, first.start, prologue, with_ref)


def operations(update: str, *, base_iri: str | None = None) -> list[Operation]:
    """The operations of ``update``, in order; `QuerySyntaxError` for text that is not an
    update (the engine's own message is better for details, so callers that can let the
    engine parse first). Relative IRIs resolve against ``base_iri`` (then the update's own
    ``BASE``), and each operation's prologue starts with it.

    >>> [(op.kind, op.source and (op.source.iri or op.source.kind), op.target and op.target.iri)
    ...  for op in operations(
    ...     "COPY SILENT DEFAULT TO <http://e.org/b> ; DROP GRAPH <http://e.org/a>")]
    [('COPY', 'DEFAULT', 'http://e.org/b'), ('DROP', None, 'http://e.org/a')]
    """
    reader = _Reader(update, base_iri)
    found: list[Operation] = []
    while reader.peek() is not None:
        token = reader.peek()
        assert token is not None
        if token.keyword in ("PREFIX", "BASE"):
            size = 3 if token.keyword == "PREFIX" else 2
            reader.names.read(reader.toks, reader.at)
            parts = [reader.take().text for _ in range(size)]
            reader.prologue.append(" ".join(parts))
            continue
        if token.kind == "punct" and token.text == ";":
            reader.take()
            continue
        found.append(_operation(reader))
    return found
