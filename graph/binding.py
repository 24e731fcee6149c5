"""Binding values into SPARQL as RDF terms, never as pasted text.

A query's variables are fixed by an inline ``VALUES`` block placed first in its WHERE group.
The terms are serialised by pyoxigraph, which escapes them, so a bound value cannot change the
structure of the query whatever text it holds. (A trailing ``VALUES`` clause would be joined
after aggregation, which changes the meaning of ``GROUP BY`` queries.)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TypeAlias

import pyoxigraph as ox

from kringloop.graph.errors import QueryError

Term: TypeAlias = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
#: A variable is bound to one term, or to any of several (one VALUES row each).
Binding: TypeAlias = Term | Sequence[Term]

# Tokens that may hold braces or keywords without being them: strings, IRIs, comments.
_SKIP = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\s]*>'
    r"|#[^\n]*",
)
_FORM = re.compile(r"\b(SELECT|CONSTRUCT|DESCRIBE|ASK)\b", re.IGNORECASE)
_CONSTRUCT_WHERE = re.compile(r"CONSTRUCT\s+WHERE\s*$", re.IGNORECASE)


def blank_out(sparql: str) -> str:
    """``sparql`` with strings, IRIs and comments replaced by spaces (same length)."""
    return _SKIP.sub(lambda m: " " * len(m.group(0)), sparql)


@lru_cache(maxsize=512)
def where_offset(sparql: str) -> int:
    """The offset just inside the opening brace of the query's WHERE group.

    >>> q = 'SELECT ?x WHERE { ?x <http://e.org/p> "{" }'
    >>> q[where_offset(q):]
    ' ?x <http://e.org/p> "{" }'
    >>> q = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    >>> q[where_offset(q):]
    ' ?s ?p ?o }'
    """
    plain = blank_out(sparql)
    form = _FORM.search(plain)
    if form is None:
        raise QueryError("cannot bind values: not a SELECT, CONSTRUCT, DESCRIBE or ASK query")
    depth = 0
    skip_template = form.group(1).upper() == "CONSTRUCT"
    for index in range(form.end(), len(plain)):
        char = plain[index]
        if char == "{":
            if depth == 0 and not skip_template:
                return index + 1
            if depth == 0 and _CONSTRUCT_WHERE.search(plain[form.start() : index]):
                return index + 1
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0 and skip_template:
                skip_template = False
    raise QueryError("cannot bind values: the query has no WHERE group")


def bind_values(sparql: str, bindings: Mapping[str, Binding]) -> str:
    """``sparql`` with its variables in ``bindings`` fixed to those RDF terms.

    A variable bound to a sequence takes any of its terms (an empty sequence matches nothing).

    >>> print(bind_values("SELECT ?s WHERE { ?s ?p ?o }", {"o": ox.Literal("} ; DROP ALL #")}))
    SELECT ?s WHERE { VALUES (?o) { ("} ; DROP ALL #") } ?s ?p ?o }
    >>> print(bind_values("ASK { ?s ?p ?o }", {"p": [ox.NamedNode("http://e.org/a")]}))
    ASK { VALUES ?p { <http://e.org/a> } ?s ?p ?o }
    """
    if not bindings:
        return sparql
    single = {k: v for k, v in bindings.items() if not isinstance(v, list | tuple)}
    blocks = []
    if single:
        names = " ".join(f"?{ox.Variable(name.lstrip('?$')).value}" for name in single)
        values = " ".join(str(term) for term in single.values())
        blocks.append(f"VALUES ({names}) {{ ({values}) }}")
    for name, terms in bindings.items():
        if isinstance(terms, list | tuple):
            blocks.append(values_block(name, list(terms)))
    at = where_offset(sparql)
    return f"{sparql[:at]} {' '.join(blocks)}{sparql[at:]}"


def values_block(variable: str, terms: Sequence[Term]) -> str:
    """A ``VALUES ?variable { ... }`` block listing RDF terms (escaped by pyoxigraph).

    >>> values_block("s", [ox.NamedNode("http://e.org/a"), ox.Literal("b")])
    'VALUES ?s { <http://e.org/a> "b" }'
    """
    name = ox.Variable(variable.lstrip("?$")).value
    return f"VALUES ?{name} {{ {' '.join(str(t) for t in terms)} }}"
