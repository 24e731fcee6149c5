"""RDF and query-result formats: names, file extensions and media types."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from kringloop.graph.errors import FormatError

#: Names accepted on the command line and in settings, mapped to pyoxigraph formats.
RDF_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ttl": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "json-ld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "rdf/xml": ox.RdfFormat.RDF_XML,
    "xml": ox.RdfFormat.RDF_XML,
    "rdf": ox.RdfFormat.RDF_XML,
    "owl": ox.RdfFormat.RDF_XML,
}

_EXTENSIONS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
}

FORMAT_NAMES = "turtle, ntriples, nquads, trig, jsonld, rdfxml"


def rdf_format(name: str) -> ox.RdfFormat:
    """The RDF format called ``name`` (a short name or a media type).

    >>> rdf_format("ttl").name
    'Turtle'
    >>> rdf_format("application/n-quads").name
    'N-Quads'
    """
    key = name.strip().lower()
    if key in RDF_FORMATS:
        return RDF_FORMATS[key]
    found = ox.RdfFormat.from_media_type(key)
    if found is None:
        raise FormatError(f"unknown RDF format {name!r}", hint=f"use one of {FORMAT_NAMES}")
    return found


def format_for_path(path: str | Path, explicit: str | None = None) -> ox.RdfFormat:
    """The format of a file: ``explicit`` if given, else guessed from the extension.

    A trailing ``.gz`` is ignored for the guess.

    >>> format_for_path("data/seed.trig").name
    'TriG'
    >>> format_for_path("dump.nq.gz").name
    'N-Quads'
    """
    if explicit:
        return rdf_format(explicit)
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".gz":
        suffix = Path(p.stem).suffix.lower()
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    raise FormatError(
        f"{p}: cannot tell the RDF format from the extension {suffix or '(none)'!r}",
        hint=f"pass --format ({FORMAT_NAMES})",
    )
