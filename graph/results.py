"""Serialising query results: SPARQL result formats for SELECT/ASK, RDF formats for graphs."""

from __future__ import annotations

import pyoxigraph as ox

from kringloop.graph.errors import FormatError
from kringloop.graph.formats import RDF_FORMATS
from kringloop.graph.store import QueryResult

#: Result formats for SELECT and ASK, by short name.
SOLUTION_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


def result_kind(result: QueryResult) -> str:
    """``"select"``, ``"ask"`` or ``"graph"``."""
    if isinstance(result, ox.QuerySolutions):
        return "select"
    if isinstance(result, ox.QueryBoolean):
        return "ask"
    return "graph"


def serialize(result: QueryResult, fmt: str) -> bytes:
    """``result`` in the format called ``fmt`` (a short name such as json, csv, turtle).

    >>> s = ox.Store()
    >>> s.update('INSERT DATA { <http://e.org/a> <http://e.org/p> "x" }')
    >>> serialize(s.query("SELECT ?o WHERE { ?s ?p ?o }"), "csv")
    b'o\\r\\nx\\r\\n'
    >>> serialize(s.query("ASK { ?s ?p ?o }"), "json")
    b'{"head":{},"boolean":true}'
    """
    key = fmt.lower()
    if isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
        if key not in SOLUTION_FORMATS:
            raise FormatError(
                f"{fmt!r} is not a format for SELECT/ASK results",
                hint=f"use one of {', '.join(SOLUTION_FORMATS)} or table",
            )
        out = result.serialize(format=SOLUTION_FORMATS[key])
        assert out is not None
        return out
    if key not in RDF_FORMATS:
        raise FormatError(
            f"{fmt!r} is not an RDF format for CONSTRUCT/DESCRIBE results",
            hint="use turtle, ntriples, jsonld or rdfxml",
        )
    rdf_format = RDF_FORMATS[key]
    if rdf_format.supports_datasets:  # a graph result has no graph names: N-Quads = N-Triples
        rdf_format = (
            ox.RdfFormat.N_TRIPLES if rdf_format == ox.RdfFormat.N_QUADS else ox.RdfFormat.TURTLE
        )
    if isinstance(result, ox.QueryTriples):
        out = result.serialize(format=rdf_format)
    else:  # a remote store's graph result: a list of triples
        out = ox.serialize(result, format=rdf_format)
    assert out is not None
    return out


def term_text(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str:
    """A short human-readable form of a term, for tables.

    >>> term_text(ox.Literal("Gent", language="nl"))
    'Gent@nl'
    >>> term_text(ox.NamedNode("https://e.org/x"))
    'https://e.org/x'
    """
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.Literal):
        return f"{term.value}@{term.language}" if term.language else term.value
    return str(term)
