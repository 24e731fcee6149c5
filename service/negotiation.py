"""Content negotiation: Accept headers with q-values, the formats each answer comes in.

An offer's quality is the q-value of the most specific media range that matches it
(``text/turtle`` beats ``text/*`` beats ``*/*``); the best offer wins, and among equals the
server's order decides (the first offer is the default). A ``q=0`` range excludes an offer
even when a wildcard would accept it. Media-type parameters other than ``q`` are ignored.

A ``format`` (or Fuseki's ``output``) parameter overrides the Accept header: a short name
(``json``, ``xml``, ``csv``, ``tsv``, ``turtle``, ``ntriples``, ``rdfxml``, ``jsonld``,
``trig``, ``nquads``) or a media type.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from kringloop.graph.errors import FormatError
from kringloop.service.errors import NotAcceptable, UnsupportedMediaType


@dataclass(frozen=True)
class MediaRange:
    """One element of an Accept header."""

    type: str
    subtype: str
    q: float

    @property
    def specificity(self) -> int:
        return (self.type != "*") + (self.subtype != "*")

    def matches(self, media_type: str) -> bool:
        kind, _, sub = media_type.partition("/")
        return self.type in ("*", kind) and self.subtype in ("*", sub)


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; malformed elements are skipped.

    >>> [(r.type, r.subtype, r.q) for r in parse_accept("text/turtle;q=0.5, */*;q=0.1, x, a/b")]
    [('text', 'turtle', 0.5), ('*', '*', 0.1), ('a', 'b', 1.0)]
    """
    ranges = []
    for element in (header or "").split(","):
        media, *params = (part.strip() for part in element.split(";"))
        kind, slash, sub = media.lower().partition("/")
        if not slash or not kind or not sub or (kind == "*" and sub != "*"):
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(1.0, max(0.0, float(value.strip())))
                except ValueError:
                    q = -1.0
        if q >= 0:
            ranges.append(MediaRange(kind, sub, q))
    return ranges


def quality(ranges: Sequence[MediaRange], media_type: str) -> tuple[float, int]:
    """The q-value and specificity of the most specific range matching ``media_type``."""
    best: MediaRange | None = None
    for candidate in ranges:
        if candidate.matches(media_type) and (
            best is None or candidate.specificity > best.specificity
        ):
            best = candidate
    return (best.q, best.specificity) if best is not None else (0.0, -1)


def negotiate(accept: str | None, offers: Sequence[str]) -> str | None:
    """The offer the client prefers, or None if none is acceptable.

    >>> negotiate("application/sparql-results+xml, */*;q=0.1", ["text/csv", "text/turtle"])
    'text/csv'
    >>> negotiate("text/*, text/csv;q=0", ["application/json", "text/csv", "text/plain"])
    'text/plain'
    >>> negotiate("image/png", ["text/turtle"]) is None
    True
    """
    ranges = parse_accept(accept)
    if not ranges:  # no header (or an unreadable one): anything goes
        return offers[0] if offers else None
    best: str | None = None
    best_key = (0.0, -1)
    for offer in offers:
        key = quality(ranges, offer)
        if key[0] > 0 and (best is None or key > best_key):
            best, best_key = offer, key
    return best


@dataclass(frozen=True)
class Format:
    """A way to write an answer: the media type sent and the pyoxigraph format behind it."""

    media_type: str
    results: ox.QueryResultsFormat | None = None
    rdf: ox.RdfFormat | None = None


_J, _X = ox.QueryResultsFormat.JSON, ox.QueryResultsFormat.XML
_C, _T = ox.QueryResultsFormat.CSV, ox.QueryResultsFormat.TSV
_R = ox.RdfFormat

#: SELECT/ASK results: accepted media type → format (first: the default; later: aliases).
SOLUTIONS: dict[str, Format] = {
    "application/sparql-results+json": Format("application/sparql-results+json", results=_J),
    "application/sparql-results+xml": Format("application/sparql-results+xml", results=_X),
    "text/csv": Format("text/csv", results=_C),
    "text/tab-separated-values": Format("text/tab-separated-values", results=_T),
    "application/json": Format("application/sparql-results+json", results=_J),
    "application/xml": Format("application/sparql-results+xml", results=_X),
    "text/xml": Format("application/sparql-results+xml", results=_X),
}

#: CONSTRUCT/DESCRIBE results and single graphs.
GRAPHS: dict[str, Format] = {
    "text/turtle": Format("text/turtle", rdf=_R.TURTLE),
    "application/n-triples": Format("application/n-triples", rdf=_R.N_TRIPLES),
    "application/rdf+xml": Format("application/rdf+xml", rdf=_R.RDF_XML),
    "application/ld+json": Format("application/ld+json", rdf=_R.JSON_LD),
    "application/trig": Format("application/trig", rdf=_R.TRIG),
    "application/n-quads": Format("application/n-quads", rdf=_R.N_QUADS),
    "application/x-turtle": Format("text/turtle", rdf=_R.TURTLE),
    "text/n3": Format("text/turtle", rdf=_R.TURTLE),
    "text/plain": Format("application/n-triples", rdf=_R.N_TRIPLES),
    "application/xml": Format("application/rdf+xml", rdf=_R.RDF_XML),
    "text/xml": Format("application/rdf+xml", rdf=_R.RDF_XML),
    "application/json": Format("application/ld+json", rdf=_R.JSON_LD),
}

#: A whole dataset (every graph).
DATASETS: dict[str, Format] = {
    "application/n-quads": Format("application/n-quads", rdf=_R.N_QUADS),
    "application/trig": Format("application/trig", rdf=_R.TRIG),
}


def sent(*tables: dict[str, Format]) -> list[str]:
    """The media types answers chosen from ``tables`` are sent in (aliases folded).

    >>> sent(DATASETS)
    ['application/n-quads', 'application/trig']
    >>> "application/json" in sent(SOLUTIONS)
    False
    """
    return list(dict.fromkeys(f.media_type for table in tables for f in table.values()))


#: Short names for the ``format`` parameter, per kind of answer.
_SOLUTION_NAMES = {
    "json": "application/sparql-results+json",
    "srj": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "srx": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
_GRAPH_NAMES = {
    "turtle": "text/turtle",
    "ttl": "text/turtle",
    "n3": "text/turtle",
    "ntriples": "application/n-triples",
    "n-triples": "application/n-triples",
    "nt": "application/n-triples",
    "rdfxml": "application/rdf+xml",
    "rdf+xml": "application/rdf+xml",
    "rdf": "application/rdf+xml",
    "xml": "application/rdf+xml",
    "jsonld": "application/ld+json",
    "json-ld": "application/ld+json",
    "json": "application/ld+json",
    "trig": "application/trig",
    "nquads": "application/n-quads",
    "n-quads": "application/n-quads",
    "nq": "application/n-quads",
}
KNOWN_NAMES = sorted({*_SOLUTION_NAMES, *_GRAPH_NAMES})


def _from_names(values: Sequence[str], table: dict[str, Format], names: dict[str, str]) -> Format:
    """The format a ``format`` parameter asks for (its first usable value)."""
    for value in values:
        key = value.strip().lower()
        key = names.get(key, key.split(";")[0].strip())
        if key in table:
            return table[key]
    known = [
        v for v in values if v.strip().lower() in KNOWN_NAMES or v.strip().lower() in _ALL_TYPES
    ]
    if known:
        raise NotAcceptable(
            f"format={known[0]} is not available for this answer",
            hint=f"use one of {', '.join(sorted({*names, *table}))}",
        )
    raise FormatError(
        f"unknown format {values[0]!r}",
        hint=f"use one of {', '.join(KNOWN_NAMES)} or a media type",
    )


_ALL_TYPES = {*SOLUTIONS, *GRAPHS, *DATASETS}


def choose(
    table: dict[str, Format], accept: str | None, format_values: Sequence[str] = ()
) -> Format:
    """The format to answer in, from the ``format`` parameter or else the Accept header.

    >>> choose(SOLUTIONS, "text/csv;q=0.5, application/sparql-results+xml").media_type
    'application/sparql-results+xml'
    >>> choose(GRAPHS, "*/*", ["json-ld", "application/ld+json"]).media_type
    'application/ld+json'
    """
    values = [v for v in format_values if v.strip()]
    if values:
        names = _SOLUTION_NAMES if table is SOLUTIONS else _GRAPH_NAMES
        return _from_names(values, table, names)
    chosen = negotiate(accept, list(table))
    if chosen is None:
        offered = ", ".join(dict.fromkeys(f.media_type for f in table.values()))
        raise NotAcceptable(
            f"cannot answer in any of the accepted types ({accept})",
            hint=f"accept one of {offered}",
        )
    return table[chosen]


def media_type(content_type: str | None) -> str:
    """The bare media type of a Content-Type header (lower case, no parameters).

    >>> media_type("application/sparql-query; charset=UTF-8")
    'application/sparql-query'
    """
    return (content_type or "").split(";")[0].strip().lower()


def body_format(content_type: str | None, *, datasets: bool = True) -> ox.RdfFormat:
    """The RDF format of a request body, from its Content-Type (415 when unknown)."""
    kind = media_type(content_type)
    table = {k: f for k, f in GRAPHS.items() if f.rdf is not None}
    found = table.get(kind)
    rdf = found.rdf if found is not None else None
    if rdf is None:
        rdf = ox.RdfFormat.from_media_type(kind) if kind else None
    if rdf is None or (not datasets and rdf.supports_datasets):
        accepted = "text/turtle, application/n-triples, application/rdf+xml, application/ld+json"
        if datasets:
            accepted += ", application/trig, application/n-quads"
        raise UnsupportedMediaType(
            f"cannot read a body of type {kind or '(none)'!r}",
            hint=f"send RDF as one of {accepted} and say so in Content-Type",
        )
    return rdf


def has_context(document: bytes) -> bool:
    """Whether a JSON document carries a JSON-LD ``@context`` (at its top, or in one of the
    objects of a top-level array).

    >>> has_context(b'{"@context": {"e": "http://e.org/"}, "@id": "e:a"}'), has_context(b'{"a": 1}')
    (True, False)
    """
    try:
        value = json.loads(document)
    except (ValueError, RecursionError):
        return False
    items = value if isinstance(value, list) else [value]
    return any(isinstance(item, dict) and "@context" in item for item in items)


def check_json_ld(content_type: str | None, body: bytes) -> None:
    """Refuse a body sent as plain ``application/json`` that is not JSON-LD.

    JSON without an ``@context`` yields no triples (or only those written with full IRIs as
    keys), so writing it would silently empty a graph; ``application/ld+json`` is taken as
    the client's word that the document is JSON-LD.
    """
    if media_type(content_type) == "application/json" and not has_context(body):
        raise UnsupportedMediaType(
            "the body is plain JSON (application/json without an @context), not JSON-LD",
            hint="add an @context, or send JSON-LD as application/ld+json",
        )
