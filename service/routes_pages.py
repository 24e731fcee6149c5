"""The pages of the web app for procurement officers and network facilitators.

- ``/find``: the request form, and with a request the result page (internal reuse, chains,
  why not more). The form is a GET: the address is the request. ``/find?need=<IRI>`` matches
  a need of the store (a buyer's need, an imported tender lot) as ``POST /match`` with
  ``{"need": ...}`` does: the form shows what the need says, to change. An address that is
  not in canonical form (empty fields, defaults spelled out) is redirected to the one that
  is, so that the same request always has the same address.
- ``/organisations``: who plays which role, for which product type, where.
- ``/match/{id}``, ``/loops`` and ``/loops/gaps`` answer browsers with a page as well
  (`kringloop.service.routes_match` negotiates; the pages are made here).

Thin: the match runs through the runner's `kringloop.queries.jobs.match_job` and the census
through `census_job`, as for the JSON API; `kringloop.service.pages_match`,
`pages_loops` and `pages_stored` arrange what they answer.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from kringloop.graph.errors import Busy, QueryTimeout
from kringloop.graph.store import Store
from kringloop.queries import jobs
from kringloop.queries.request import COMPONENTS, Weights
from kringloop.queries.resolve import ResolutionError
from kringloop.service import match_form, page_errors, pages_orgs
from kringloop.service.deps import get_store, run_read, settings_of
from kringloop.service.errors import MethodNotAllowed, allowed_methods
from kringloop.service.form_options import form_options
from kringloop.service.i18n import Words
from kringloop.service.negotiation import negotiate
from kringloop.service.pages import links
from kringloop.service.pages_match import result_page
from kringloop.service.routes_ui import href, page_language, render

Lang = Annotated[str | None, Query(description="nl, fr or en (else Accept-Language, else nl)")]


def writable(request: Request) -> bool:
    settings = settings_of(request)
    store: Store = request.app.state.store
    return (settings.write_token is not None or bool(settings.write_token_sha256)) and not (
        store.read_only
    )


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/find")
    async def find(request: Request, store: Annotated[Store, Depends(get_store)]) -> Response:
        """The request form; with a request, its result."""
        pairs = list(request.query_params.multi_items())
        form = match_form.parse(pairs)
        if form.request is not None:
            canonical = match_form.params(form.request)
            canonical += [("lang", form.language)] if form.language else []
            if pairs != canonical:
                return RedirectResponse("/find?" + urlencode(canonical), status_code=303)
        return await find_page(request, store, form)

    @routes.get("/match")
    def match_page(request: Request) -> Response:
        """``POST /match`` is the API; a browser that opens ``/match`` gets the form."""
        if negotiate(request.headers.get("accept"), ["application/json", "text/html"]) == (
            "text/html"
        ):
            query = request.url.query
            return RedirectResponse("/find" + (f"?{query}" if query else ""), status_code=303)
        raise MethodNotAllowed("GET", allowed_methods(request, "POST"))

    @routes.get("/organisations")
    def organisations(
        request: Request,
        store: Annotated[Store, Depends(get_store)],
        role: Annotated[str | None, Query()] = None,
        lang: Lang = None,
    ) -> Response:
        """Organisations by role, with their product types and places."""
        t = Words(page_language(request, lang))
        page = pages_orgs.organisations_page(store, t, role=role, href=href)
        status = 422 if page.problem else 200
        context = {"page": page}
        return render(
            "organisations.html", context, language=t.language, status_code=status, request=request
        )

    return routes


def _context(
    request: Request,
    store: Store,
    form: match_form.FormInput,
    t: Words,
) -> dict[str, object]:
    messages: dict[str, str] = {}
    general: list[str] = []
    for error in form.errors:
        message = page_errors.field_message(error, t)
        if error.code == "unknown":
            general.append(message)
        else:
            messages.setdefault(error.field, message)
    plain = Weights()
    return {
        "form": form,
        "options": form_options(store, t),
        "messages": messages,
        "general": general,
        "suggestions": {},
        "weights": [(name, plain.of(name)) for name in COMPONENTS],
        "advanced": any(
            e.field not in ("what", "near", "within_km", "quantity", "needed_by", "period_months")
            and not e.field.startswith(("business_models", "strategies", "certifications"))
            for e in form.errors
        ),
        "page": None,
        "writable": writable(request),
    }


async def find_page(request: Request, store: Store, form: match_form.FormInput) -> Response:
    """The form (with its errors), or the result of its request."""
    t = Words(page_language(request))
    context = _context(request, store, form, t)
    if form.request is None:
        status = 422 if form.asked else 200
        return render(
            "find.html", context, language=t.language, status_code=status, request=request
        )
    partners = settings_of(request).max_loop_partners
    asked = original = form.request
    try:
        if asked.need is not None:  # the page and its form show what the need says
            asked = await run_read(request.app.state.runner, jobs.need_request_job, asked)
            form = match_form.filled(asked, form.language)
            context["form"] = form
        result = await run_read(request.app.state.runner, jobs.match_job, asked, partners)
    except ResolutionError as error:
        pairs = list(request.query_params.multi_items())
        given = page_errors.given_value(error, pairs)
        field = error.field.split(".", 1)[0]
        context["messages"] = {field: page_errors.resolution_message(error, given, t)}
        context["suggestions"] = {
            field: page_errors.suggestions(error, pairs, request.url.path, given)
        }
        context["advanced"] = field in ("rank_overrides", "requester")
        return render("find.html", context, language=t.language, status_code=422, request=request)
    except (QueryTimeout, Busy) as error:
        status = 504 if isinstance(error, QueryTimeout) else 503
        context["general"] = [t(f"error.text.{status}")]
        context["messages"] = {}
        return render(
            "find.html", context, language=t.language, status_code=status, request=request
        )
    context["page"] = result_page(store, result, asked, t, href=links(t.language), as_sent=original)
    return render("find.html", context, language=t.language, request=request)
