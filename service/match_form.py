"""The request form of the pages: a GET query string ↔ a `MatchRequest`, both ways.

The form is a GET, so the result page's URL is the request: it can be bookmarked, shared and
attached to a tender file. Every field of `MatchRequest` but ``save`` (a GET never writes)
has a parameter of the same name: lists repeat it (``business_models=lease&
business_models=sale``), weights and R-rank overrides are ``weights.<component>`` and
``rank_overrides.<strategy>``, booleans are ``1`` or ``0`` (the last value given counts, so a
hidden ``0`` before a checkbox says "unchecked"). Numbers may use a decimal comma. An empty
value means the default.

`parse` reads a query string into a request, or into the errors of each field; `params`
writes a request as its canonical query (only what differs from the defaults), so that
``parse(params(r)).request == r``. Field errors are codes with parameters; the pages say
them in the reader's language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as _field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError

from kringloop.queries.request import COMPONENTS, MatchRequest, Weights

LISTS = ("business_models", "strategies", "certifications")
BOOLEANS = ("partial", "network_surplus", "include_open")
INTEGERS = ("period_months", "max_r_rank", "top_k")
FLOATS = ("quantity", "lat", "long", "within_km", "tco_years")
TEXTS = ("what", "need", "unit", "near", "requester", "rank_by")
DATES = ("needed_by",)
#: Fields with a parameter of their own (``weights`` and ``rank_overrides`` have one per key).
SCALARS = (*TEXTS, *FLOATS, *INTEGERS, *DATES, *BOOLEANS)
#: Parameters of the page, not of the request.
PAGE = ("lang",)
#: The request fields a GET leaves out.
EXCLUDED = ("save",)
_TRUE = {"1", "true", "on", "yes", "ja", "oui"}
_FALSE = {"0", "false", "off", "no", "nee", "non"}


@dataclass(frozen=True)
class FieldError:
    """What is wrong with one field: a code (``number``, ``min``, ``where``…) and its
    parameters (the limit, the value)."""

    field: str
    code: str
    params: Mapping[str, object] = _field(default_factory=dict)


@dataclass
class FormInput:
    """A query string read as a request: the values as given (to fill the form in again),
    the request when they make one, else the errors; ``asked`` when any field was given."""

    values: dict[str, list[str]]
    request: MatchRequest | None
    errors: list[FieldError]
    asked: bool
    language: str | None = None

    def value(self, name: str) -> str:
        """The value given for ``name`` (the last), or ""."""
        given = self.values.get(name) or [""]
        return given[-1]

    def chosen(self, name: str) -> list[str]:
        """The values given for the list field ``name``."""
        return [v for v in self.values.get(name, []) if v]

    def error(self, name: str) -> FieldError | None:
        return next((e for e in self.errors if e.field == name), None)


def _known(name: str) -> bool:
    if name in SCALARS or name in LISTS or name in PAGE or name in EXCLUDED:
        return True
    head, _, key = name.partition(".")
    return (head == "weights" and key in COMPONENTS) or (head == "rank_overrides" and bool(key))


def _number(text: str) -> float:
    cleaned = text.replace("\u202f", "").replace(" ", "")
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    return float(cleaned)


def _integer(text: str) -> int:
    value = _number(text)
    if not value.is_integer():
        raise ValueError(text)
    return int(value)


def parse(pairs: Iterable[tuple[str, str]]) -> FormInput:
    """The request a query string (its ``(name, value)`` pairs) makes, or why it makes none.

    >>> form = parse([("what", "bureaustoelen"), ("near", "Hasselt"), ("within_km", "12,5"),
    ...               ("business_models", "lease"), ("partial", "0"), ("partial", "1")])
    >>> form.request.within_km, form.request.business_models, form.request.partial
    (12.5, ['lease'], True)
    >>> [(e.field, e.code) for e in parse([("what", "x"), ("quantity", "many")]).errors]
    [('quantity', 'number'), ('near', 'where')]
    """
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value.strip())
    errors: list[FieldError] = []
    data: dict[str, Any] = {}
    for name, given in values.items():
        if not _known(name):
            errors.append(FieldError(name, "unknown", {"name": name}))
            continue
        if name in PAGE or name in EXCLUDED:
            continue
        if name in LISTS:
            chosen = list(dict.fromkeys(v for v in given if v))
            if chosen:
                data[name] = chosen
            continue
        text = given[-1]
        if not text:
            continue
        try:
            _read(data, name, text)
        except ValueError:
            errors.append(FieldError(name, _kind(name), {"value": text}))
    language = (values.get("lang") or [""])[-1].lower() or None
    asked = any(k not in PAGE and any(v for v in vs) for k, vs in values.items())
    if not asked:  # the empty form
        return FormInput(values, None, errors, asked, language)
    if errors:
        # still say what else is missing, so that one round fixes the form
        errors += [e for e in _validate(data) if e.field not in {x.field for x in errors}]
        return FormInput(values, None, errors, asked, language)
    found = _validate(data)
    if found:
        return FormInput(values, None, found, asked, language)
    return FormInput(values, MatchRequest.model_validate(data), [], asked, language)


def filled(request: MatchRequest, language: str | None = None) -> FormInput:
    """The form filled in with ``request`` (e.g. what a need says, to show and change).

    >>> filled(MatchRequest(what="x", near="Gent"), "fr").value("near")
    'Gent'
    """
    pairs = params(request) + ([("lang", language)] if language else [])
    return parse(pairs)


def _kind(name: str) -> str:
    if name in INTEGERS or name.startswith("rank_overrides."):
        return "integer"
    if name in DATES:
        return "date"
    if name in BOOLEANS:
        return "boolean"
    return "number"


def _read(data: dict[str, Any], name: str, text: str) -> None:
    """Put the value of parameter ``name`` in ``data`` (ValueError when it is not one)."""
    head, _, key = name.partition(".")
    if head == "weights":
        data.setdefault("weights", {})[key] = _number(text)
    elif head == "rank_overrides":
        data.setdefault("rank_overrides", {})[key] = _integer(text)
    elif name in FLOATS:
        data[name] = _number(text)
    elif name in INTEGERS:
        data[name] = _integer(text)
    elif name in DATES:
        data[name] = date.fromisoformat(text).isoformat()
    elif name in BOOLEANS:
        lowered = text.lower()
        if lowered not in _TRUE | _FALSE:
            raise ValueError(text)
        data[name] = lowered in _TRUE
    else:
        data[name] = text


#: Pydantic's error types, as the codes the pages say.
_CODES = {
    "greater_than": "greater",
    "greater_than_equal": "min",
    "less_than": "less",
    "less_than_equal": "max",
    "string_too_long": "too-long",
    "string_too_short": "required",
    "too_long": "too-many",
    "missing": "required",
    "literal_error": "choice",
}


def _validate(data: Mapping[str, Any]) -> list[FieldError]:
    """The errors `MatchRequest` finds in ``data``, as field errors."""
    try:
        MatchRequest.model_validate(data)
    except ValidationError as err:
        return [_field_error(issue) for issue in err.errors()]
    return []


def _field_error(issue: Mapping[str, Any]) -> FieldError:
    loc = [str(part) for part in issue.get("loc", ())]
    kind = str(issue.get("type", ""))
    ctx = dict(issue.get("ctx") or {})
    name = ".".join(loc[:2]) if loc[:1] in (["weights"], ["rank_overrides"]) else ".".join(loc)
    message = str(ctx.get("error", issue.get("msg", "")))
    if kind == "value_error":
        if "say where" in message:
            return FieldError("near", "where")
        if "lat and long" in message:
            return FieldError("lat", "latlong")
        if "weight" in message:
            return FieldError("weights", "weights")
        if "IRI" in message:
            return FieldError(name or "requester", "iri")
        if "date" in message:
            return FieldError(name or "needed_by", "date")
    if kind.startswith("date"):
        return FieldError(name, "date")
    params = {k: v for k, v in ctx.items() if k in ("gt", "ge", "lt", "le", "max_length")}
    return FieldError(name or "what", _CODES.get(kind, "invalid"), params)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        short = f"{value:g}"
        return short if float(short) == value else repr(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def params(request: MatchRequest) -> list[tuple[str, str]]:
    """The canonical query of ``request``: every field that differs from its default, in the
    order of the fields (``save`` left out).

    >>> params(MatchRequest(what="bureaustoelen", near="Hasselt", business_models=["lease"]))
    [('what', 'bureaustoelen'), ('near', 'Hasselt'), ('business_models', 'lease')]
    """
    fields = MatchRequest.model_fields
    found: list[tuple[str, str]] = []
    for name in MatchRequest.model_fields:
        if name in EXCLUDED:
            continue
        value = getattr(request, name)
        if name == "weights":
            plain = Weights()
            found += [
                (f"weights.{c}", _text(value.of(c)))
                for c in COMPONENTS
                if value.of(c) != plain.of(c)
            ]
        elif name == "rank_overrides":
            found += [(f"rank_overrides.{k}", _text(v)) for k, v in sorted(value.items())]
        elif name in LISTS:
            found += [(name, _text(v)) for v in value]
        elif value is not None and value != fields[name].get_default(call_default_factory=True):
            found.append((name, _text(value)))
    return found


def query(request: MatchRequest, *, language: str | None = None, **changes: Any) -> str:
    """The query string of ``request`` (with ``changes`` made, and the page language).

    >>> query(MatchRequest(what="x", near="Gent"), language="fr", within_km=64.0)
    'what=x&near=Gent&within_km=64&lang=fr'
    """
    changed = request.model_copy(update=changes) if changes else request
    pairs = params(changed)
    if language:
        pairs.append(("lang", language))
    return urlencode(pairs)


def without(request: MatchRequest, *names: str) -> MatchRequest:
    """``request`` with the fields ``names`` back at their defaults."""
    fields = MatchRequest.model_fields
    return request.model_copy(
        update={n: fields[n].get_default(call_default_factory=True) for n in names}
    )


def replaced(pairs: Sequence[tuple[str, str]], name: str, old: str, new: str) -> str:
    """The query ``pairs`` with the value ``old`` of ``name`` replaced by ``new`` (a
    suggestion for a name that does not resolve)."""
    out = []
    done = False
    for key, value in pairs:
        if key == name and value.strip() == old.strip() and not done:
            out.append((key, new))
            done = True
        else:
            out.append((key, value))
    if not done:
        out = [(k, v) for k, v in out if k != name] + [(name, new)]
    return urlencode(out)
