"""The read part of an update as queries, to try it within the time limit before writing.

An update runs in the process that holds the store for writing and cannot be stopped half-way
(killing the writer mid-transaction is not an option). So before an update with a ``WHERE``
runs, each of its ``WHERE`` patterns is counted as a query (``SELECT (COUNT(*) AS ?n)``, with
its ``USING`` / ``WITH`` graphs as ``FROM``) where queries run: in a worker that is killed at
the deadline. A pattern that does not finish in time, or that matches more solutions than the
service's row limit, refuses the update before anything is written.

What this does not bound: the time to write what the template produces (bounded through the
solution count), and updates whose cost is not in a ``WHERE`` (``INSERT DATA`` is bounded by the
body size; ``LOAD`` is refused unless allow-listed; ``CLEAR``/``DROP``/``COPY``/``MOVE``/``ADD``
are linear in the data they touch).
"""

from __future__ import annotations

from collections.abc import Sequence

from kringloop.graph.sparql_text import Token, tokens


def _group_end(toks: Sequence[Token], index: int) -> int:
    depth = 0
    for at in range(index, len(toks)):
        if toks[at].kind == "punct" and toks[at].text == "{":
            depth += 1
        elif toks[at].kind == "punct" and toks[at].text == "}":
            depth -= 1
            if depth == 0:
                return at
    return len(toks) - 1


def where_queries(update: str) -> list[str]:
    """One counting query per ``WHERE`` of ``update`` (none for data-only updates).

    >>> where_queries("PREFIX e: <http://e.org/> WITH e:g DELETE { ?s ?p ?o } "
    ...               "WHERE { ?s ?p ?o } ; INSERT DATA { e:a e:b e:c }")
    ['PREFIX e: <http://e.org/> SELECT (COUNT(*) AS ?n) FROM e:g WHERE { ?s ?p ?o }']
    >>> where_queries("DELETE WHERE { ?s ?p ?o } ; INSERT { ?s a ?o } USING NAMED <http://e.org/n> "
    ...               "WHERE { GRAPH ?g { ?s ?p ?o } }")[1]
    'SELECT (COUNT(*) AS ?n) FROM NAMED <http://e.org/n> WHERE { GRAPH ?g { ?s ?p ?o } }'
    """
    toks = tokens(update)
    prologue: list[str] = []
    found: list[str] = []
    using: list[str] = []
    with_graph: str | None = None
    index = 0
    while index < len(toks):
        token = toks[index]
        word = token.keyword
        if word in ("PREFIX", "BASE"):
            size = 3 if word == "PREFIX" else 2
            prologue.append(" ".join(t.text for t in toks[index : index + size]))
            index += size
            continue
        if token.kind == "punct" and token.text == ";":
            using, with_graph = [], None
        elif word == "WITH" and index + 1 < len(toks):
            with_graph = toks[index + 1].text
            index += 2
            continue
        elif word == "USING" and index + 1 < len(toks):
            if toks[index + 1].keyword == "NAMED" and index + 2 < len(toks):
                using.append(f"FROM NAMED {toks[index + 2].text}")
                index += 3
            else:
                using.append(f"FROM {toks[index + 1].text}")
                index += 2
            continue
        elif word == "WHERE" and index + 1 < len(toks) and toks[index + 1].text == "{":
            end = _group_end(toks, index + 1)
            pattern = update[toks[index + 1].start : toks[end].end]
            dataset = using or ([f"FROM {with_graph}"] if with_graph else [])
            parts = [*prologue, "SELECT (COUNT(*) AS ?n)", *dataset, "WHERE", pattern]
            found.append(" ".join(parts))
            index = end + 1
            continue
        elif token.kind == "punct" and token.text == "{":
            index = _group_end(toks, index) + 1  # INSERT DATA { ... }, templates: skip
            continue
        index += 1
    return found
