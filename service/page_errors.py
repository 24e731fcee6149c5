"""Errors as the pages say them: in the page's language, with what to change.

Field errors of the request form (`kringloop.service.match_form.FieldError`) and names that
do not resolve (`kringloop.queries.resolve.ResolutionError`: the field and the closest
names) become a message per field and suggestions as links that rerun the request with the
suggested value. Any other error a browser meets gets an error page (`error_page`), never the
JSON body API clients read: the status in words, what to do, and the technical message of
the error under "technical details".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse

from kringloop.graph.errors import KringloopError
from kringloop.queries.resolve import ResolutionError
from kringloop.service import match_form
from kringloop.service.i18n import Words

_IRI = re.compile(r"^(?P<label>.*?)\s*<(?P<iri>[^>]+)>$")
_SLUG = re.compile(r"^(?P<label>.*?)\s*\((?P<slug>[^()]+)\)$")


@dataclass(frozen=True)
class Suggestion:
    text: str
    href: str


def field_message(error: match_form.FieldError, t: Words) -> str:
    """What is wrong with one form field, in the page's language."""
    params = {
        k: (t.num(v, 2) if isinstance(v, int | float) else v) for k, v in error.params.items()
    }
    key = f"error.{error.code}"
    try:
        return t(key, **params)
    except (KeyError, IndexError):
        return t("error.invalid")


def candidate_value(candidate: str) -> tuple[str, str]:
    """The value to send for a candidate of a refusal, and its text: ``label <IRI>`` sends
    the IRI, ``label (slug)`` the slug, a plain label itself.

    >>> candidate_value("Lease (lease)"), candidate_value("Office chair <https://x/y>")
    (('lease', 'Lease'), ('https://x/y', 'Office chair'))
    """
    found = _IRI.match(candidate)
    if found:
        return found.group("iri"), found.group("label") or found.group("iri")
    found = _SLUG.match(candidate)
    if found and " " not in found.group("slug"):
        return found.group("slug"), found.group("label")
    return candidate, candidate


def resolution_message(error: ResolutionError, given: str, t: Words) -> str:
    """The message for a name kringloop cannot resolve (or resolves more than once)."""
    field = error.field.split(".", 1)[0]
    noun_key = f"resolve.noun.{field}"
    noun = t(noun_key) if noun_key in _nouns() else t("resolve.noun.other")
    ambiguous = any(_IRI.match(c) for c in error.candidates) and bool(given)
    if not given:
        return t("resolve.missing", noun=noun)
    return t("resolve.ambiguous" if ambiguous else "resolve.unknown", noun=noun, value=given)


def _nouns() -> set[str]:
    from kringloop.service.i18n import TEXT

    return {k for k in TEXT if k.startswith("resolve.noun.")}


def given_value(error: ResolutionError, pairs: Sequence[tuple[str, str]]) -> str:
    """The value the request gave for the field of ``error`` (the one quoted in its
    message, when the field has several)."""
    field = error.field
    values = [v for k, v in pairs if k == field and v.strip()]
    if field == "rank_overrides":
        values = [k.split(".", 1)[1] for k, v in pairs if k.startswith("rank_overrides.")]
    quoted = re.search(r"'([^']*)'", error.message)
    if quoted and quoted.group(1) in values:
        return quoted.group(1)
    for value in values:
        if value in error.message:
            return value
    return values[-1] if values else ""


def suggestions(
    error: ResolutionError, pairs: Sequence[tuple[str, str]], path: str, given: str
) -> list[Suggestion]:
    """The candidates of ``error`` as links: the same request with the value replaced."""
    field = error.field
    found = []
    for candidate in error.candidates:
        value, text = candidate_value(candidate)
        if field == "rank_overrides":
            kept = [(k, v) for k, v in pairs if k != f"rank_overrides.{given}"]
            old = dict(pairs).get(f"rank_overrides.{given}", "")
            query = urlencode([*kept, (f"rank_overrides.{value}", old)])
        else:
            query = match_form.replaced(pairs, field, given, value)
        found.append(Suggestion(text, f"{path}?{query}"))
    return found


# -- the error page ----------------------------------------------------------------------------

#: Statuses with words of their own; others are said as their class (4xx: 400, 5xx: 500).
_SAID = (400, 401, 403, 404, 405, 406, 413, 415, 422, 500, 503, 504)


def error_page(
    error: KringloopError,
    status: int,
    *,
    language: str,
    path: str,
    pairs: Sequence[tuple[str, str]],
    technical: str,
) -> HTMLResponse:
    """The page a browser gets for ``error`` (status ``status``) at ``path``."""
    from kringloop.service.i18n import switch
    from kringloop.service.routes_ui import render

    t = Words(language)
    said = status if status in _SAID else (500 if status >= 500 else 400)
    message = None
    links: list[Suggestion] = []
    if isinstance(error, ResolutionError):
        given = given_value(error, pairs)
        message = resolution_message(error, given, t)
        links = suggestions(error, pairs, path, given)
    context = {
        "status": status,
        "title": t(f"error.title.{said}"),
        "text": t(f"error.text.{said}"),
        "message": message,
        "suggestions": links,
        "technical": technical,
        "viz": path.startswith("/viz/") and status == 400,
        "spelling": isinstance(error, ResolutionError) and not links,
        "switch": switch(path, pairs, t.language),
    }
    return render("error.html", context, language=language, status_code=status)
