"""Reading SPARQL text before it runs: keywords outside strings, IRIs and comments.

The SPARQL protocol needs a few facts about a request that the engine does not expose without
running it: whether a query names its own dataset (``FROM``), whether an update has ``USING``
or ``WITH``, which remote endpoints ``SERVICE`` and ``LOAD`` would contact (pyoxigraph really
performs that HTTP, so it has to be refused *before* execution), and where an update's operations
begin and end (`kringloop.graph.update_plan`). A small tokenizer answers these; text inside
string literals, IRIs and comments is never mistaken for a keyword.

>>> has_dataset_clause('SELECT * WHERE { ?s ?p "FROM" } # FROM <x>')
False
>>> has_dataset_clause("SELECT * FROM <http://e.org/g> WHERE { ?s ?p ?o }")
True
>>> [(r.keyword, r.target) for r in remote_targets(
...     "PREFIX e: <http://e.org/> SELECT * { SERVICE SILENT e:sparql { ?s ?p ?o } }")]
[('SERVICE', 'http://e.org/sparql')]
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin

_TOKEN = re.compile(
    r'(?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*')"
    r'|(?P<iri><[^<>"{}|^`\\\s]*>)'
    r"|(?P<comment>#[^\n]*)"
    r"|(?P<var>[?$][\w\u00b7]+)"
    r"|(?P<bnode>_:[\w\u00b7.-]*[\w\u00b7-])"
    r"|(?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)"
    r"|(?P<pname>(?:[^\W\d_][\w.\u00b7-]*)?:(?:[\w:%\u00b7-]|\\.|\.(?=[\w:%\\-]))*)"
    r"|(?P<word>[^\W\d]\w*)"
    r"|(?P<number>\d[\w.+-]*)"
    r"|(?P<punct>\S)",
    re.UNICODE,
)

QUERY_FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")


@dataclass(frozen=True)
class Token:
    """One token: its kind (``word``, ``iri``, ``pname``, ``var``, ...), text and offsets."""

    kind: str
    text: str
    start: int
    end: int

    @property
    def keyword(self) -> str | None:
        """The upper-cased word, for keywords (SPARQL keywords ignore case)."""
        return self.text.upper() if self.kind == "word" else None


@dataclass(frozen=True)
class Remote:
    """A place where the text asks the engine to contact another server."""

    keyword: str  # SERVICE or LOAD
    target: str | None  # the absolute IRI, or None when it is a variable or cannot be resolved
    written: str  # the target as written in the text
    line: int
    column: int
    silent: bool = False


@lru_cache(maxsize=256)
def tokens(sparql: str) -> tuple[Token, ...]:
    """The tokens of ``sparql`` (comments left out).

    Cached: checking one request asks several questions of the same text (its form, its
    dataset clauses, its prefixes, its remote targets), and each would tokenize it again.

    >>> [t.text for t in tokens('ASK { ?s <http://e.org/p> "x"@en } # done')]
    ['ASK', '{', '?s', '<http://e.org/p>', '"x"', '@en', '}']
    """
    found = []
    for match in _TOKEN.finditer(sparql):
        kind = match.lastgroup or "punct"
        if kind != "comment":
            found.append(Token(kind, match.group(0), match.start(), match.end()))
    return tuple(found)


def _position(sparql: str, offset: int) -> tuple[int, int]:
    line = sparql.count("\n", 0, offset) + 1
    return line, offset - (sparql.rfind("\n", 0, offset) + 1) + 1


class _Prologue:
    """``PREFIX`` and ``BASE`` declarations, read in order (updates may repeat them)."""

    def __init__(self) -> None:
        self.prefixes: dict[str, str] = {}
        self.base: str | None = None

    def read(self, toks: Sequence[Token], index: int) -> int:
        """Read a declaration starting at ``index``; the index after it (or ``index``)."""
        word = toks[index].keyword
        if word == "PREFIX" and index + 2 < len(toks) and toks[index + 2].kind == "iri":
            name = toks[index + 1].text.rstrip(":").rstrip()
            self.prefixes[name] = self.resolve_iri(toks[index + 2].text)
            return index + 3
        if word == "BASE" and index + 1 < len(toks) and toks[index + 1].kind == "iri":
            self.base = self.resolve_iri(toks[index + 1].text)
            return index + 2
        return index

    def resolve_iri(self, written: str) -> str:
        iri = written[1:-1]
        return urljoin(self.base, iri) if self.base else iri

    def resolve(self, token: Token) -> str | None:
        if token.kind == "iri":
            return self.resolve_iri(token.text)
        if token.kind == "pname":
            prefix, _, local = token.text.partition(":")
            if prefix in self.prefixes:
                return self.prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
        return None


def prefixes(sparql: str) -> dict[str, str]:
    """The prefixes a query declares (to write its CONSTRUCT results with them).

    >>> prefixes("PREFIX e: <http://e.org/> PREFIX : <http://d.org/> ASK {}")
    {'e': 'http://e.org/', '': 'http://d.org/'}
    """
    prologue = _Prologue()
    toks = tokens(sparql)
    for index in range(len(toks)):
        prologue.read(toks, index)
    return prologue.prefixes


def _keywords(sparql: str) -> Iterator[tuple[int, Token, Sequence[Token]]]:
    toks = tokens(sparql)
    for index, token in enumerate(toks):
        if token.keyword is not None:
            yield index, token, toks


def query_form(sparql: str) -> str | None:
    """``SELECT``, ``CONSTRUCT``, ``DESCRIBE`` or ``ASK``, or None when none is found.

    >>> query_form("PREFIX ask: <http://e.org/> construct { ?s ask:p ?o } WHERE { ?s ?p ?o }")
    'CONSTRUCT'
    """
    for _, token, _ in _keywords(sparql):
        if token.keyword in QUERY_FORMS:
            return token.keyword
    return None


def has_dataset_clause(query: str) -> bool:
    """Whether a query names its dataset with ``FROM`` or ``FROM NAMED``."""
    return any(token.keyword == "FROM" for _, token, _ in _keywords(query))


def has_using_or_with(update: str) -> bool:
    """Whether an update names its dataset with ``USING``, ``USING NAMED`` or ``WITH``.

    >>> has_using_or_with("WITH <http://e.org/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }")
    True
    >>> has_using_or_with('INSERT DATA { <http://e.org/s> <http://e.org/p> "WITH" }')
    False
    """
    return any(token.keyword in ("USING", "WITH") for _, token, _ in _keywords(update))


def remote_targets(sparql: str, *, base_iri: str | None = None) -> list[Remote]:
    """Every ``SERVICE`` and ``LOAD`` in a query or update, with the IRI it would contact.

    The target is None for ``SERVICE ?var`` (decided at run time) or an unknown prefix.

    >>> [(r.keyword, r.target, r.line) for r in remote_targets(
    ...     "BASE <http://e.org/>\\nLOAD SILENT <data.ttl> INTO GRAPH <g> ; "
    ...     "INSERT { ?s ?p ?o } WHERE { SERVICE ?x { ?s ?p ?o } }")]
    [('LOAD', 'http://e.org/data.ttl', 2), ('SERVICE', None, 2)]
    """
    prologue = _Prologue()
    prologue.base = base_iri
    toks = tokens(sparql)
    found = []
    index = 0
    while index < len(toks):
        after = prologue.read(toks, index)
        if after != index:
            index = after
            continue
        token = toks[index]
        if token.keyword in ("SERVICE", "LOAD"):
            at = index + 1
            silent = at < len(toks) and toks[at].keyword == "SILENT"
            if silent:
                at += 1
            target = toks[at] if at < len(toks) else None
            line, column = _position(sparql, token.start)
            found.append(
                Remote(
                    keyword=token.keyword,
                    target=prologue.resolve(target) if target is not None else None,
                    written=target.text if target is not None else "",
                    line=line,
                    column=column,
                    silent=silent,
                )
            )
        index += 1
    return found


def allowed(iri: str, allowlist: Sequence[str]) -> bool:
    """Whether ``iri`` is on the allow list: equal to an entry, or under an entry ending in
    ``/`` or ``#`` (so ``https://e.org`` does not also allow ``https://e.org.evil.net``).

    >>> allowed("https://e.org/sparql", ["https://e.org/"]), allowed("https://e.org.x/", ["https://e.org"])
    (True, False)
    >>> allowed("https://e.org/ok/../admin", ["https://e.org/ok/"])
    False
    """
    path = iri.split("?", 1)[0].split("#", 1)[0]
    if re.search(r"/(?:\.|%2e){1,2}(?:/|$)", path, re.IGNORECASE):
        return False  # /../ would climb out of an allowed prefix once the client resolves it
    for entry in allowlist:
        if iri == entry or (entry.endswith(("/", "#")) and iri.startswith(entry)):
            return True
    return False


def group_end(toks: Sequence[Token], index: int) -> int:
    """The index of the ``}`` closing the group opened at ``toks[index]``."""
    depth = 0
    for at in range(index, len(toks)):
        if toks[at].text == "{" and toks[at].kind == "punct":
            depth += 1
        elif toks[at].text == "}" and toks[at].kind == "punct":
            depth -= 1
            if depth == 0:
                return at
    return len(toks) - 1


def add_using(update: str, default_graphs: Sequence[str], named_graphs: Sequence[str]) -> str:
    """``update`` with the protocol's ``using-graph-uri`` / ``using-named-graph-uri`` written
    into each ``DELETE``/``INSERT ... WHERE`` as ``USING`` / ``USING NAMED`` clauses.

    ``DELETE WHERE { P }`` has no place for ``USING``; it becomes ``DELETE { P } USING ...
    WHERE { P }``, which means the same.

    >>> add_using("DELETE WHERE { ?s ?p ?o }", ["http://e.org/g"], [])
    'DELETE { ?s ?p ?o } USING <http://e.org/g> WHERE { ?s ?p ?o }'
    >>> add_using("INSERT { ?s a ?o } WHERE { ?s ?p ?o }", [], ["http://e.org/n"])
    'INSERT { ?s a ?o } USING NAMED <http://e.org/n> WHERE { ?s ?p ?o }'
    """
    clauses = " ".join(
        [f"USING <{g}>" for g in default_graphs] + [f"USING NAMED <{g}>" for g in named_graphs]
    )
    if not clauses:
        return update
    toks = tokens(update)
    out: list[str] = []
    cursor = 0
    depth = 0
    index = 0
    while index < len(toks):
        token = toks[index]
        if token.kind == "punct" and token.text in "{}":
            depth += 1 if token.text == "{" else -1
        elif depth == 0 and token.keyword == "WHERE":
            before = toks[index - 1].keyword if index else None
            if before == "DELETE" and index + 1 < len(toks):
                end = group_end(toks, index + 1)
                pattern = update[toks[index + 1].start : toks[end].end]
                out.append(update[cursor : token.start])
                out.append(f"{pattern} {clauses} WHERE {pattern}")
                cursor = toks[end].end
                index = end + 1
                continue
            out.append(update[cursor : token.start])
            out.append(f"{clauses} ")
            cursor = token.start
        index += 1
    out.append(update[cursor:])
    return "".join(out)
