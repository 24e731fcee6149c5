"""The organisations page: who plays which role, for which product type, where; each with a
link to its linked-data page and to its neighbourhood in the graph.

The rows come from the named query ``organisations-by-role`` (one run per role asked for),
the names from the graph in the page's language.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from pyoxigraph import QuerySolutions

from kringloop.graph.store import Store, text
from kringloop.queries import codes
from kringloop.queries.catalog import load_catalog, run
from kringloop.queries.resolve import ResolutionError, name_key
from kringloop.service import page_errors
from kringloop.service.form_options import Choice
from kringloop.service.i18n import Words
from kringloop.service.names import Names

QUERY = "organisations-by-role"


@dataclass(frozen=True)
class Link:
    text: str
    href: str


@dataclass(frozen=True)
class OrgRow:
    organisation: Link
    roles: tuple[str, ...]
    products: tuple[str, ...]
    places: tuple[str, ...]
    graph: str


@dataclass
class OrgsPage:
    role: str
    roles: tuple[Choice, ...]
    rows: list[OrgRow] = field(default_factory=list)
    problem: str | None = None
    suggestions: list[page_errors.Suggestion] = field(default_factory=list)


def organisations_page(
    store: Store, t: Words, *, role: str | None, href: Callable[[str], str]
) -> OrgsPage:
    """Organisations playing ``role`` (every role when None)."""
    lists = codes.code_lists(store)
    roles = (
        tuple(
            sorted(
                (Choice(c.slug, c.label(t.language)) for c in lists["role"].codes.values()),
                key=lambda c: name_key(c.label),
            )
        )
        if "role" in lists
        else ()
    )
    page = OrgsPage(role or "", roles)
    try:
        wanted = (
            codes.resolve_codes(lists, "role", [role], field="role")
            if role
            else tuple(lists["role"].codes)
            if "role" in lists
            else ()
        )
    except ResolutionError as error:
        page.problem = page_errors.resolution_message(error, role or "", t)
        pairs = [("role", role or ""), ("lang", t.language)]
        page.suggestions = page_errors.suggestions(error, pairs, "/organisations", role or "")
        return page
    query = load_catalog().get(QUERY)
    plays: dict[str, set[str]] = defaultdict(set)
    products: dict[str, set[str]] = defaultdict(set)
    places: dict[str, set[str]] = defaultdict(set)
    for iri in wanted:
        rows = run(store, query, {"role": iri, "lang": t.language})
        assert isinstance(rows, QuerySolutions)
        for row in rows:
            org = text(row["organisation"])
            plays[org].add(iri)
            if row["productType"] is not None:
                products[org].add(text(row["productType"]))
            if row["placeName"] is not None:
                places[org].add(text(row["placeName"]))
    names = Names(store, set(plays) | {p for ps in products.values() for p in ps}, t)
    for org in sorted(plays, key=lambda o: name_key(names.label(o))):
        neighbourhood = urlencode({"iri": org, "depth": 2, "lang": t.language})
        page.rows.append(
            OrgRow(
                Link(names.label(org), href(org)),
                tuple(sorted(names.code(r) for r in plays[org])),
                tuple(sorted(names.label(p) for p in products[org])),
                tuple(sorted(places[org])),
                f"/viz/neighbourhood?{neighbourhood}",
            )
        )
    return page
