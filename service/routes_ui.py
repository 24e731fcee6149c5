"""Pages for people: the landing page, the SPARQL editor, the static files, HTML helpers.

Pages are rendered by Jinja2 with autoescaping (every value from the data is escaped) and sent
with security headers: a Content-Security-Policy that allows this host only, ``nosniff`` and
no referrer. The editor is YASGUI from ``static/yasgui/`` (see its README), configured by
``static/editor.js`` so that no request leaves the host.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from kringloop.graph.errors import NotFoundError
from kringloop.graph.store import Store
from kringloop.queries.catalog import Catalog
from kringloop.queries.describe import dataset_overview
from kringloop.queries.visual.model import TERMS
from kringloop.queries.vocabulary import compact
from kringloop.service import i18n
from kringloop.service.deps import get_store

SERVICE_DIR = Path(__file__).resolve().parent
STATIC_DIR = SERVICE_DIR / "static"
TEMPLATES_DIR = SERVICE_DIR / "templates"

ID_BASE = "https://w3id.org/kringloop/id/"
NS = "https://w3id.org/kringloop/ns#"
ONTOLOGY_IRI = "https://w3id.org/kringloop/ns"
#: Languages the pages are written in (Dutch, the default, first).
LANGUAGES = i18n.LANGUAGES

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

#: The first tab of the editor: what kinds of things each graph holds (its comment is said in
#: the page's language).
OVERVIEW_QUERY = """\
# {comment}
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?graph ?class (COUNT(DISTINCT ?thing) AS ?instances)
WHERE {
  GRAPH ?graph { ?thing a ?class }
}
GROUP BY ?graph ?class
ORDER BY ?graph DESC(?instances)
LIMIT 200
"""


def href(iri: str) -> str:
    """Where a page links an IRI: kringloop's own resources and terms to their local pages.

    >>> href("https://w3id.org/kringloop/id/product/office-chair")
    '/id/product/office-chair'
    >>> href("https://w3id.org/kringloop/ns#Offer"), href("https://example.org/kringloop/id/x/y")
    ('/ontology#Offer', '/resource?iri=https%3A%2F%2Fexample.org%2Fkringloop%2Fid%2Fx%2Fy')
    """
    if iri.startswith(ID_BASE):
        return "/id/" + quote(iri[len(ID_BASE) :], safe="/")
    if iri.startswith(NS):
        return "/ontology#" + quote(iri[len(NS) :], safe="")
    if iri == ONTOLOGY_IRI:
        return "/ontology"
    return "/resource?" + urlencode({"iri": iri})


def preferred_languages(accept_language: str | None, asked: str | None = None) -> list[str]:
    """The page languages a reader prefers, best first (``?lang=`` beats Accept-Language),
    then the others, Dutch first: the default (`kringloop.service.i18n.page_languages`).

    >>> preferred_languages("fr-BE, nl;q=0.8, en;q=0.5")
    ['fr', 'nl', 'en']
    >>> preferred_languages("de, nl;q=0.2, fr;q=0"), preferred_languages(None, "en")
    (['nl', 'en', 'fr'], ['en', 'nl', 'fr'])
    """
    return i18n.page_languages(accept_language, asked)


def term_name(iri: str, language: str) -> str | None:
    """kringloop's name for a common term of another vocabulary (rdfs:comment, prov:...) in
    ``language``, when its own labels do not say it (`kringloop.queries.visual.model.TERMS`).

    >>> term_name("http://www.w3.org/2000/01/rdf-schema#comment", "nl")
    'opmerking'
    """
    forms = TERMS.get(iri)
    return forms[i18n.column(language)] if forms else None


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(href=href, short=compact, term_name=term_name)
    return environment


TEMPLATES = _environment()


def render(
    template: str,
    context: Mapping[str, object],
    *,
    language: str = i18n.DEFAULT,
    status_code: int = 200,
    request: Request | None = None,
) -> HTMLResponse:
    """A page from ``template`` in ``language``, escaped, with the security headers; with
    ``request``, its language switch links to the same page in the other languages."""
    t = i18n.Words(language)
    switch = (
        i18n.switch(request.url.path, list(request.query_params.multi_items()), t.language)
        if request is not None
        else i18n.switch("/", [], t.language)
    )
    values = {"language": t.language, "t": t, "switch": switch, **context}
    html = TEMPLATES.get_template(template).render(values)
    headers = {
        **SECURITY_HEADERS,
        "Content-Language": t.language,
        "Vary": "Accept, Accept-Language",
    }
    return HTMLResponse(html, status_code=status_code, headers=headers)


def page_language(request: Request, asked: str | None = None) -> str:
    """The language of the page for ``request`` (``?lang=``, Accept-Language, else Dutch)."""
    lang = asked if asked is not None else request.query_params.get("lang")
    return i18n.page_languages(request.headers.get("accept-language"), lang)[0]


def editor_config(catalog: Catalog, language: str = i18n.DEFAULT) -> dict[str, object]:
    """What ``static/editor.js`` needs: endpoint, prefixes, the named queries as tabs, and
    the names of its fields in the page's language."""
    t = i18n.Words(language)
    return {
        "endpoint": "/sparql",
        "prefixes": "/static/prefixes.json",
        "args": [{"name": "union", "value": "true"}],
        "overview": {
            "name": t("editor.overview"),
            "query": OVERVIEW_QUERY.replace("{comment}", t("editor.overview.comment")),
        },
        "labels": {
            "endpoint": t("editor.endpoint-field"),
            "query": t("editor.query"),
            "addTab": t("editor.add-tab"),
        },
        "tabs": [{"name": q.name, "query": q.example_text()} for q in catalog],
    }


#: The examples the landing page links to (a request that closes loops on the demo data).
EXAMPLE_REQUEST = (("what", "bureaustoelen"), ("near", "Hasselt"), ("business_models", "lease"))


def router(catalog: Catalog) -> APIRouter:
    """The landing page, the SPARQL editor, the favicon and the static files."""
    routes = APIRouter(include_in_schema=False)

    @routes.get("/", response_class=HTMLResponse)
    def landing(
        request: Request,
        store: Annotated[Store, Depends(get_store)],
        lang: Annotated[str | None, Query()] = None,
    ) -> HTMLResponse:
        graphs = dataset_overview(store)
        language = page_language(request, lang)
        context = {
            "graphs": graphs,
            "total": sum(g.triples for g in graphs),
            "query_count": len(catalog),
            "example": urlencode([*EXAMPLE_REQUEST, ("lang", language)]),
        }
        return render("landing.html", context, language=language, request=request)

    @routes.get("/sparql-editor", response_class=HTMLResponse)
    def editor(request: Request, lang: Annotated[str | None, Query()] = None) -> HTMLResponse:
        language = page_language(request, lang)
        context = {"editor": editor_config(catalog, language)}
        return render("editor.html", context, language=language, request=request)

    @routes.get("/favicon.ico")
    def favicon() -> Response:
        return static_file("favicon.ico")

    @routes.get("/static/{path:path}")
    def static(path: str) -> Response:
        return static_file(path)

    return routes


def static_file(path: str) -> Response:
    """A file under ``static/`` (404 for anything else, including paths that climb out)."""
    target = (STATIC_DIR / path).resolve()
    if not target.is_relative_to(STATIC_DIR) or not target.is_file():
        raise NotFoundError(f"no static file {path!r}")
    media_type, _ = mimetypes.guess_type(target.name)
    if target.suffix == ".js":
        media_type = "text/javascript"
    elif target.suffix == ".ico":
        media_type = "image/x-icon"
    headers = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}
    return FileResponse(target, media_type=media_type, headers=headers)


def languages_of(request: Request, asked: str | None) -> Sequence[str]:
    """The reader's languages for a request (``?lang=`` first, then Accept-Language)."""
    return preferred_languages(request.headers.get("accept-language"), asked)
