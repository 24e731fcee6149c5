"""Linked data: every resource of the graph at a URL, for people (HTML) and machines (RDF).

Resource IRIs ``https://w3id.org/kringloop/id/{kind}/{slug}`` are served at ``/id/{kind}/{slug}``
(concept schemes at ``/id/{kind}``), any other IRI of the graph at ``/resource?iri=``. The
answer is negotiated: an HTML page with labels in the reader's language (Accept-Language or
``?lang=``), or the resource's concise bounded description over all graphs as Turtle, JSON-LD,
N-Triples or RDF/XML (Accept, or ``?format=``). ``/ontology`` serves the vocabulary the same way.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from kringloop.graph.errors import NotFoundError
from kringloop.graph.execution import Triples, write_triples
from kringloop.graph.store import Store
from kringloop.ontology import ONTOLOGY_DIR
from kringloop.queries.describe import Description, concise_bounded_description, describe
from kringloop.queries.vocabulary import PREFIXES, document, read_vocabulary
from kringloop.service.deps import get_store
from kringloop.service.errors import NotAcceptable, RequestError
from kringloop.service.negotiation import GRAPHS, choose, negotiate, sent
from kringloop.service.routes_ui import ID_BASE, languages_of, render

ONTOLOGY_FILE = ONTOLOGY_DIR / "kringloop.ttl"
KL = PREFIXES["kl"]
#: The formats a page links to (``?format=`` names).
DATA_FORMATS = (("ttl", "Turtle"), ("jsonld", "JSON-LD"), ("nt", "N-Triples"))
_TURTLE_PREFIXES = {
    **PREFIXES,
    "id": ID_BASE,
    "ex": "https://example.org/kringloop/id/",
    "cpv": "http://data.europa.eu/cpv/cpv/",
    "unit": "http://qudt.org/vocab/unit/",
}

FormatParam = Annotated[
    str | None, Query(description="html, ttl, jsonld, nt or rdfxml (overrides Accept)")
]
LangParam = Annotated[str | None, Query(description="en, nl or fr (overrides Accept-Language)")]
#: What the linked-data routes answer: a page or the RDF, as negotiated, and their errors.
ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the page (text/html) or the resource's RDF, as negotiated",
        "content": {m: {} for m in ["text/html", *sent(GRAPHS)]},
    },
    400: {"description": "not an IRI, or an unknown ?format="},
    404: {
        "description": "the graph says nothing about the resource (a page for browsers)",
        "content": {"text/html": {}},
    },
    406: {"description": "none of the accepted types is HTML or RDF"},
}
ONTOLOGY_ANSWERS: dict[int | str, dict[str, Any]] = {
    **ANSWERS,
    400: {"description": "an unknown ?format="},
    404: {"description": "the ontology file is not installed"},
}


def wants_html(request: Request, format_name: str | None) -> bool:
    """Whether to answer with a page (else RDF), from ``?format=`` or the Accept header."""
    if format_name:
        return format_name.strip().lower() in ("html", "text/html")
    accept = request.headers.get("accept")
    best = negotiate(accept, ["text/html", *GRAPHS])
    if best is None:
        raise NotAcceptable(
            f"cannot answer in any of the accepted types ({accept})",
            hint="accept text/html, text/turtle, application/ld+json or application/n-triples",
        )
    return best == "text/html"


def used_prefixes(triples: list[ox.Triple]) -> dict[str, str]:
    """The prefixes whose namespace some IRI of ``triples`` starts with."""
    iris = {
        term.value
        for triple in triples
        for term in (triple.subject, triple.predicate, triple.object)
        if isinstance(term, ox.NamedNode)
    }
    return {
        prefix: namespace
        for prefix, namespace in _TURTLE_PREFIXES.items()
        if any(iri.startswith(namespace) for iri in iris)
    }


def rdf_response(request: Request, triples: list[ox.Triple], format_name: str | None) -> Response:
    chosen = choose(GRAPHS, request.headers.get("accept"), [format_name] if format_name else [])
    assert chosen.rdf is not None
    body = write_triples(Triples(triples, used_prefixes(triples)), chosen.rdf)
    media = chosen.media_type + ("; charset=utf-8" if chosen.media_type.startswith("text/") else "")
    return Response(body, media_type=media, headers={"Vary": "Accept"})


def match_link(description: Description, language: str) -> dict[str, str] | None:
    """On the page of a need (a buyer's need, a tender lot): the request form matching it."""
    if not description.has_type(KL + "Need", KL + "TenderLot"):
        return None
    key = "ld.match.lot" if description.has_type(KL + "TenderLot") else "ld.match.need"
    query = urlencode({"need": description.iri, "lang": language})
    return {"key": key, "href": f"/find?{query}"}


def resource(
    request: Request, store: Store, iri: str, format_name: str | None, lang: str | None
) -> Response:
    """The page or the RDF of one resource; 404 when the graph does not know it."""
    try:
        ox.NamedNode(iri)
    except ValueError as err:
        raise RequestError(f"{iri!r} is not an IRI: {err}", hint="give an absolute IRI") from err
    html = wants_html(request, format_name)
    if not html:
        triples = concise_bounded_description(store, iri)
        if not triples:
            raise NotFoundError(
                f"the knowledge graph says nothing about <{iri}>",
                hint="check the IRI; the SPARQL editor (/sparql-editor) shows what the graph holds",
            )
        return rdf_response(request, triples, format_name)
    languages = languages_of(request, lang)
    description = describe(store, iri, languages)
    if description is None:
        return render(
            "not_found.html", {"iri": iri}, language=languages[0], status_code=404, request=request
        )
    if request.url.path == "/resource":
        data_link = "/resource?" + urlencode({"iri": iri}) + "&"
    else:
        data_link = request.url.path + "?"
    context = {
        "description": description,
        "formats": DATA_FORMATS,
        "data_link": data_link,
        "match": match_link(description, languages[0]),
    }
    return render("resource.html", context, language=languages[0], request=request)


def router() -> APIRouter:
    routes = APIRouter(tags=["linked data"])

    @routes.get(
        "/id/{kind}/{slug}",
        summary="A resource of the kringloop graph",
        response_class=Response,
        responses=ANSWERS,
    )
    def resource_by_path(
        request: Request,
        kind: str,
        slug: str,
        store: Annotated[Store, Depends(get_store)],
        format: FormatParam = None,
        lang: LangParam = None,
    ) -> Response:
        """``https://w3id.org/kringloop/id/{kind}/{slug}`` as a page or as RDF."""
        return resource(request, store, f"{ID_BASE}{kind}/{slug}", format, lang)

    @routes.get(
        "/id/{kind}",
        summary="A concept scheme of the kringloop graph",
        response_class=Response,
        responses=ANSWERS,
    )
    def scheme_by_path(
        request: Request,
        kind: str,
        store: Annotated[Store, Depends(get_store)],
        format: FormatParam = None,
        lang: LangParam = None,
    ) -> Response:
        """``https://w3id.org/kringloop/id/{kind}`` (a code list) as a page or as RDF."""
        return resource(request, store, f"{ID_BASE}{kind}", format, lang)

    @routes.get(
        "/resource",
        summary="Any resource of the graph, by IRI",
        response_class=Response,
        responses=ANSWERS,
    )
    def resource_by_iri(
        request: Request,
        store: Annotated[Store, Depends(get_store)],
        iri: Annotated[str, Query(description="the resource's IRI")],
        format: FormatParam = None,
        lang: LangParam = None,
    ) -> Response:
        """Any IRI the graph knows (fictional example data, CPV codes, ...)."""
        return resource(request, store, iri, format, lang)

    @routes.get(
        "/ontology",
        summary="The kringloop vocabulary",
        response_class=Response,
        responses=ONTOLOGY_ANSWERS,
    )
    def ontology(request: Request, format: FormatParam = None, lang: LangParam = None) -> Response:
        """The vocabulary as a page (classes and properties), Turtle or JSON-LD."""
        if not ONTOLOGY_FILE.is_file():
            raise NotFoundError(
                "the ontology file is not installed",
                hint="reinstall kringloop: the package ships ontology/kringloop.ttl",
            )
        if wants_html(request, format):
            languages = languages_of(request, lang)
            page = document(ONTOLOGY_FILE, languages)
            context = {"page": page, "formats": DATA_FORMATS}
            return render("ontology.html", context, language=languages[0], request=request)
        chosen = choose(GRAPHS, request.headers.get("accept"), [format] if format else [])
        if chosen.rdf == ox.RdfFormat.TURTLE:  # the file itself, comments and all
            return Response(
                ONTOLOGY_FILE.read_bytes(),
                media_type="text/turtle; charset=utf-8",
                headers={"Vary": "Accept"},
            )
        triples = [q.triple for q in read_vocabulary(ONTOLOGY_FILE)]
        return rdf_response(request, triples, format)

    return routes
