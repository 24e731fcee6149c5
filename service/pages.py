"""The pages of the routes that also answer JSON: a stored match, the loops and the gaps.

`kringloop.service.routes_match` negotiates; when the answer is a page (or CSV), it is made
here, from the same core calls as the JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from kringloop.graph.store import Store
from kringloop.queries import jobs
from kringloop.queries.resolve import ResolutionError
from kringloop.service import pages_loops
from kringloop.service.deps import run_read, settings_of
from kringloop.service.i18n import Words
from kringloop.service.pages_stored import stored_page
from kringloop.service.routes_ui import href, page_language, render


def links(language: str) -> Callable[[str], str]:
    """Links to the linked-data page of an IRI, in the page's language."""

    def link(iri: str) -> str:
        target = href(iri)
        return target + ("&" if "?" in target else "?") + f"lang={language}"

    return link


def stored(request: Request, store: Store, record: Mapping[str, Any], lang: str | None) -> Response:
    """The page of a stored match, with its provenance."""
    t = Words(page_language(request, lang))
    page = stored_page(store, record, t, href=links(t.language))
    return render("stored.html", {"page": page}, language=t.language, request=request)


async def census(
    request: Request,
    which: str,
    media: str,
    category: str | None,
    region: str | None,
    lang: str | None,
    table: str = "loops",
    number: int = 1,
) -> Response:
    """The loops or the gaps page (``which``; of the gaps, the ``number``-th page), or its
    CSV (``media``; on the loops page, ``table`` says which: the loops or the demand)."""
    t = Words(page_language(request, lang))
    store: Store = request.app.state.store
    pairs = list(request.query_params.multi_items())
    scope = pages_loops.scope_of(pairs)
    template = "loops.html" if which == "loops" else "gaps.html"
    settings = settings_of(request)
    runner = request.app.state.runner.with_limit(settings.census_timeout_s)
    try:
        found = await run_read(
            runner, jobs.census_job, settings.max_loop_partners, category, region
        )
    except ResolutionError as error:
        scope = pages_loops.refused(scope, error, pairs, request.url.path, t)
        if media == "text/csv":
            raise
        page = pages_loops.empty_page(store, scope, t)
        context = {"page": page}
        return render(template, context, language=t.language, status_code=422, request=request)
    csv = media == "text/csv"
    if which == "loops":
        every_buyer = csv and table == "demand"
        page = pages_loops.loops_page(
            store, found, scope, t, href=links(t.language), every_buyer=every_buyer
        )
    else:
        number_of: int | None = None if csv else number
        page = pages_loops.gaps_page(
            store, found, scope, t, href=links(t.language), number=number_of
        )
    if media == "text/csv":
        if which == "gaps":
            body, name = pages_loops.gaps_csv(page, found, t), "kringloop-gaps.csv"
        elif table == "demand":
            body, name = pages_loops.demand_csv(page, t), "kringloop-demand.csv"
        else:
            body, name = pages_loops.loops_csv(page, t), "kringloop-loops.csv"
        headers = {
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Language": t.language,
        }
        return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
    return render(template, {"page": page}, language=t.language, request=request)
