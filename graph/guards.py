"""Checks on untrusted text before the engine sees it: nesting depth and XML entity expansion.

Measured on pyoxigraph 0.5 (the reasons these exist):

- Its SPARQL, Turtle and JSON-LD parsers recurse: a query of 5,000 nested ``{`` (10 KB) or a
  JSON-LD document of 5,000 nested objects overflows the thread's stack and **kills the
  process** (SIGSEGV), whichever thread runs it. Nesting is therefore bounded first
  (`check_sparql`, `check_rdf`); real queries and data nest a few dozen levels at most.
- Its RDF/XML parser refuses external entities (``SYSTEM``: nothing is fetched) but expands
  internal ones: the "billion laughs" document (nine nested entities, under 1 KB) became a
  10⁹-character literal after 8 s. `check_rdf` estimates the expanded size of an RDF/XML
  document from its entity declarations and refuses it when entities would blow it up.
- Its JSON-LD parser does not fetch remote ``@context`` documents (it fails with "No
  LoadDocumentCallback has been set"), so nothing is needed for that here.
- Its RDF/XML parser accepts a **cut-off document**: it returns the triples of the elements
  that were complete and raises nothing when the last element or ``</rdf:RDF>`` is missing, so
  a truncated upload would silently replace a graph with a fragment. `check_xml` reads the
  whole document with expat (the standard library's XML parser) first: a document that is not
  well-formed is a syntax error with its line and column. It also refuses a ``DOCTYPE`` that
  names an external subset (``SYSTEM`` or ``PUBLIC``): nothing would be fetched, but such a
  document depends on a file the service never reads, so its meaning is not what it says.
"""

from __future__ import annotations

import re
import xml.parsers.expat as expat
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from kringloop.graph.errors import LoadError, Position, RefusedError

#: Deepest nesting of ``{ ( [`` a SPARQL request may have.
MAX_SPARQL_DEPTH = 200
#: Deepest nesting of brackets (Turtle, TriG, JSON-LD) or elements (RDF/XML) in data.
MAX_DATA_DEPTH = 500
#: How much internal XML entities may add to a document: this many bytes, or its own size.
MAX_ENTITY_GROWTH = 1024 * 1024

_SPARQL = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
    r'|<[^<>"{}|^`\\\s]*>|#[^\n]*|[{(\[]|[})\]]'
)
_TURTLE = re.compile(
    rb'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    rb'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
    rb"|<[^<>\"{}|^`\\\s]*>|#[^\n]*|<<|>>|[{(\[]|[})\]]"
)
_JSON = re.compile(rb'"(?:[^"\\]|\\.)*"|[{\[]|[}\]]')
_XML = re.compile(
    rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<!DOCTYPE(?:[^\[>]|\[.*?\])*>|</|/>|<", re.S
)
_ENTITY = re.compile(rb'<!ENTITY\s+(?!%)([^\s"\']+)\s+(?:"([^"]*)"|\'([^\']*)\')', re.S)
_REFERENCE = re.compile(rb"&([A-Za-z_][\w.-]*);")


def _depth(found: list[bytes] | list[str], openers: str, closers: str) -> int:
    depth = deepest = 0
    for token in found:
        text = token.decode("latin-1") if isinstance(token, bytes) else token
        if text in openers:
            depth += 1
            deepest = max(deepest, depth)
        elif text in closers:
            depth -= 1
    return deepest


def sparql_depth(sparql: str) -> int:
    """How deeply ``{ ( [`` nest in a query or update (outside strings, IRIs and comments).

    >>> sparql_depth('SELECT * WHERE { { ?s ?p "{{{" } FILTER((1)) }')
    3
    """
    return _depth(_SPARQL.findall(sparql), "{([", "})]")


def check_sparql(sparql: str) -> None:
    """Refuse a query or update that nests deeper than `MAX_SPARQL_DEPTH`.

    >>> check_sparql("SELECT * WHERE " + "{" * 300 + "}" * 300)
    Traceback (most recent call last):
    ...
    kringloop.graph.errors.RefusedError: the request nests groups or expressions 300 deep...
    """
    if sum(sparql.count(c) for c in "{([") <= MAX_SPARQL_DEPTH:
        return  # cannot nest deeper than it has brackets
    depth = sparql_depth(sparql)
    if depth > MAX_SPARQL_DEPTH:
        raise RefusedError(
            f"the request nests groups or expressions {depth} deep; this service allows "
            f"{MAX_SPARQL_DEPTH}",
            hint="flatten the query: join patterns in one group instead of nesting them",
        )


def data_depth(data: bytes, fmt: ox.RdfFormat) -> int:
    """How deeply brackets (or XML elements) nest in an RDF document.

    >>> doc = b'{"@id": "http://e.org/a", "http://e.org/p": [{"@value": "]]"}]}'
    >>> data_depth(doc, ox.RdfFormat.JSON_LD)
    3
    """
    if fmt == ox.RdfFormat.JSON_LD:
        return _depth(_JSON.findall(data), "{[", "}]")
    if fmt == ox.RdfFormat.RDF_XML:
        depth = deepest = 0
        for token in _XML.findall(data):
            if token == b"<":
                depth += 1
                deepest = max(deepest, depth)
            elif token in (b"</", b"/>"):
                depth -= 1
        return deepest
    return _depth(_TURTLE.findall(data), "{([<<", "})]>>")


def entity_growth(data: bytes) -> int:
    """How many bytes the internal entities of an XML document add when expanded (an upper
    estimate; `MAX_ENTITY_GROWTH` + 1 as soon as it is known to be more).

    >>> entity_growth(b'<!DOCTYPE r [<!ENTITY a "xx"><!ENTITY b "&a;&a;">]><r>&b;</r>')
    10
    """
    if b"<!ENTITY" not in data:
        return 0
    values: dict[bytes, bytes] = {}
    for name, double, single in _ENTITY.findall(data):
        values.setdefault(name, double if double or not single else single)
    sizes: dict[bytes, int] = {}
    cap = MAX_ENTITY_GROWTH + 1

    def size(name: bytes, path: frozenset[bytes]) -> int:
        if name in sizes:
            return sizes[name]
        if name not in values or name in path:
            return 0  # predefined (&amp;) or recursive (the parser refuses that)
        value = values[name]
        total = len(value)
        for ref in _REFERENCE.findall(value):
            total += size(ref, path | {name})
            if total > cap:
                break
        sizes[name] = min(total, cap)
        return sizes[name]

    body = data[data.find(b"]>") + 2 :] if b"]>" in data else data
    growth = 0
    for ref in _REFERENCE.findall(body):
        growth += size(ref, frozenset())
        if growth > cap:
            return cap
    return growth


def check_rdf(data: bytes, fmt: ox.RdfFormat, *, source: str = "request body") -> None:
    """Refuse an RDF document that would crash or flood the parser, or that the parser would
    read only in part (see the module's doc)."""
    if fmt == ox.RdfFormat.RDF_XML:
        openers = data.count(b"<")
    elif fmt in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS):
        openers = data.count(b"<<")
    else:
        openers = sum(data.count(c) for c in (b"{", b"[", b"(", b"<<"))
    depth = data_depth(data, fmt) if openers > MAX_DATA_DEPTH else 0
    if depth > MAX_DATA_DEPTH:
        raise LoadError(
            f"the document nests {depth} levels deep; this service reads at most {MAX_DATA_DEPTH}",
            source=source,
            hint="flatten the data (name nested nodes instead of nesting them)",
        )
    if fmt == ox.RdfFormat.RDF_XML:
        growth = entity_growth(data)
        if growth > max(MAX_ENTITY_GROWTH, len(data)):
            raise LoadError(
                "the document's XML entities would expand it by more than "
                f"{max(MAX_ENTITY_GROWTH, len(data))} bytes (an entity expansion attack?)",
                source=source,
                hint="write the values out instead of nesting entity references",
            )
        check_xml(data, source=source)


def _doctype(source: str | Path) -> Callable[[str, str | None, str | None, int], None]:
    def refuse(
        name: str, system_id: str | None, public_id: str | None, has_internal_subset: int
    ) -> None:
        if system_id or public_id:
            raise LoadError(
                f"the document type <!DOCTYPE {name}> names an external subset "
                f"({system_id or public_id}), which this service does not read",
                source=source,
                hint="remove the SYSTEM/PUBLIC identifier (an internal subset without "
                "entities is fine) and send the document again",
            )

    return refuse


def check_xml(data: bytes | IO[bytes], *, source: str | Path = "request body") -> None:
    """Refuse an RDF/XML document that is not well-formed XML (cut off, say) or whose DOCTYPE
    names an external subset, with the line and column where it goes wrong.

    >>> check_xml(b'<r:RDF xmlns:r="http://www.w3.org/1999/02/22-rdf-syntax-ns#"></r:RDF>')
    >>> check_xml(b'<r:RDF xmlns:r="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\\n<r:Description>')
    Traceback (most recent call last):
    ...
    kringloop.graph.errors.LoadError: request body: line 2, column 16: the XML document is not ...
    >>> check_xml(b'<!DOCTYPE r SYSTEM "http://e.org/r.dtd"><r/>')
    Traceback (most recent call last):
    ...
    kringloop.graph.errors.LoadError: request body: the document type <!DOCTYPE r> names an ...
    """
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _doctype(source)
    try:
        if isinstance(data, bytes):
            parser.Parse(data, True)
        else:
            parser.ParseFile(data)
    except expat.ExpatError as err:
        reason = expat.errors.messages.get(err.code, str(err))
        cut = " (the document ends before its elements are closed: was it cut off?)"
        raise LoadError(
            f"the XML document is not well-formed: {reason}"
            + (cut if err.code == expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS] else ""),
            source=source,
            position=Position(err.lineno, err.offset + 1),
        ) from None
