"""Typed parameters of named queries: text or JSON values turned into RDF terms.

A named query declares each parameter with a type; a value given over HTTP (a query-string
text, a JSON number or boolean, a form field) is checked against that type and turned into the
pyoxigraph term that is bound into the query, so it can never change the query's structure.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from kringloop.graph.binding import Term
from kringloop.graph.errors import KringloopError

XSD = "http://www.w3.org/2001/XMLSchema#"

#: parameter type → what a value looks like (shown in error messages and the API docs).
TYPES: dict[str, str] = {
    "iri": "an absolute IRI such as https://w3id.org/kringloop/id/product/office-chair",
    "string": "any text",
    "langString": "text with a language tag after @, such as Gent@nl",
    "integer": "a whole number such as 9",
    "decimal": "a decimal number such as 25 or 12.5",
    "boolean": "true or false",
    "date": "a date as YYYY-MM-DD",
}

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LANG_STRING = re.compile(r"^(.*)@([A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)$", re.DOTALL)
_BOOLEANS = {"true": "true", "1": "true", "false": "false", "0": "false"}


class ParameterError(KringloopError):
    """A value that does not fit a named query's parameter (or a parameter it does not have)."""

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        super().__init__(message, hint="see GET /queries for each query's parameters and types")
        self.parameter = parameter


def _text(value: object, kind: str, name: str) -> str:
    """A JSON or text value as text, refusing values whose JSON type cannot fit ``kind``."""
    if isinstance(value, str):
        return value.strip() if kind not in ("string", "langString") else value
    if isinstance(value, bool) and kind == "boolean":
        return "true" if value else "false"
    if isinstance(value, int) and not isinstance(value, bool) and kind in ("integer", "decimal"):
        return str(value)
    if isinstance(value, float) and kind == "decimal":
        return format(Decimal(repr(value)), "f")
    raise ParameterError(
        f"parameter {name!r} expects {TYPES[kind]}, got {type(value).__name__} {value!r}",
        parameter=name,
    )


def to_term(kind: str, value: object, *, name: str = "value") -> Term:
    """The RDF term for ``value`` as a parameter of type ``kind`` (raises `ParameterError`).

    >>> to_term("decimal", "25")
    <Literal value=25 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#decimal>>
    >>> to_term("langString", "Gent@NL")
    <Literal value=Gent language=nl>
    >>> to_term("iri", "not an iri", name="place")
    Traceback (most recent call last):
    ...
    kringloop.queries.params.ParameterError: parameter 'place' expects an absolute IRI ...
    """
    if kind not in TYPES:
        raise ParameterError(f"unknown parameter type {kind!r}", parameter=name)
    raw = _text(value, kind, name)
    problem = f"parameter {name!r} expects {TYPES[kind]}, got {raw!r}"
    if kind == "string":
        return ox.Literal(raw)
    if kind == "iri":
        if raw.startswith("<") and raw.endswith(">"):
            raw = raw[1:-1]
        if not _SCHEME.match(raw):
            raise ParameterError(problem, parameter=name)
        try:
            return ox.NamedNode(raw)
        except ValueError as err:
            raise ParameterError(f"{problem}: {err}", parameter=name) from err
    if kind == "langString":
        found = _LANG_STRING.match(raw)
        if not found:
            raise ParameterError(problem, parameter=name)
        try:
            return ox.Literal(found.group(1), language=found.group(2).lower())
        except ValueError as err:
            raise ParameterError(f"{problem}: {err}", parameter=name) from err
    if kind == "boolean":
        if raw.lower() not in _BOOLEANS:
            raise ParameterError(problem, parameter=name)
        return ox.Literal(_BOOLEANS[raw.lower()], datatype=ox.NamedNode(XSD + "boolean"))
    if kind == "integer":
        if not _INTEGER.match(raw):
            raise ParameterError(problem, parameter=name)
        return ox.Literal(str(int(raw)), datatype=ox.NamedNode(XSD + "integer"))
    if kind == "decimal":
        if not _DECIMAL.match(raw):
            raise ParameterError(problem, parameter=name)
        try:
            number = Decimal(raw)
        except InvalidOperation as err:  # pragma: no cover - the pattern admits valid text only
            raise ParameterError(problem, parameter=name) from err
        return ox.Literal(format(number, "f"), datatype=ox.NamedNode(XSD + "decimal"))
    # date
    if not _DATE.match(raw):
        raise ParameterError(problem, parameter=name)
    try:
        day = date.fromisoformat(raw)
    except ValueError as err:
        raise ParameterError(f"{problem}: {err}", parameter=name) from err
    return ox.Literal(day.isoformat(), datatype=ox.NamedNode(XSD + "date"))


def sparql_term(term: Term) -> str:
    """``term`` as SPARQL text, using the short forms for numbers and booleans.

    >>> sparql_term(to_term("integer", "9"))
    '9'
    >>> sparql_term(to_term("decimal", "25"))
    '25.0'
    >>> sparql_term(to_term("string", 'say "hi"'))
    '"say \\\\"hi\\\\""'
    """
    if isinstance(term, ox.Literal) and term.datatype.value.startswith(XSD):
        kind = term.datatype.value[len(XSD) :]
        if kind == "integer" and _INTEGER.match(term.value):
            return term.value
        if kind == "decimal" and _DECIMAL.match(term.value):
            return term.value if "." in term.value else f"{term.value}.0"
        if kind == "boolean" and term.value in ("true", "false"):
            return term.value
    return str(term)
