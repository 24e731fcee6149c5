"""Resolving a request: what (product type or CPV code, by label in nl/en/fr), where, and
code-list values given as slugs; product fit through the CPV tree."""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from dataclasses import dataclass, field

import pyoxigraph as ox

from kringloop.graph.errors import KringloopError
from kringloop.graph.store import Store, text
from kringloop.queries.stages import stage

ID = "https://w3id.org/kringloop/id/"
CPV = "http://data.europa.eu/cpv/cpv/"
KM_PER_DEG_LAT = 111.195
_CPV_CODE = re.compile(r"^(\d{8})(-\d)?$")


class ResolutionError(KringloopError):
    """A request names something kringloop cannot find, or finds more than once."""

    exit_code = 2

    def __init__(self, message: str, *, field: str, candidates: list[str]) -> None:
        self.field = field
        self.candidates = candidates
        hint = f"did you mean: {', '.join(candidates)}" if candidates else "check the spelling"
        super().__init__(message, hint=hint)


def normalise(label: str) -> str:
    """Case- and accent-insensitive form of a label.

    >>> normalise("  Bureaustoelen ") == normalise("bureaustoelen")
    True
    >>> normalise("Éclairage")
    'eclairage'
    """
    decomposed = unicodedata.normalize("NFKD", label.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass
class Vocabulary:
    """Product types and CPV codes: labels, each product type's CPV code, the CPV tree."""

    kinds: dict[str, str] = field(default_factory=dict)
    labels: dict[str, set[str]] = field(default_factory=dict)
    preferred: dict[str, str] = field(default_factory=dict)
    product_cpv: dict[str, str] = field(default_factory=dict)
    broader: dict[str, str] = field(default_factory=dict)

    def ancestors(self, cpv: str) -> list[str]:
        """``cpv`` and its broader codes, nearest first."""
        chain = [cpv]
        while chain[-1] in self.broader and len(chain) < 12:
            chain.append(self.broader[chain[-1]])
        return chain

    def label(self, concept: str) -> str:
        return self.preferred.get(concept, concept.rsplit("/", 1)[-1])


def load_vocabulary(store: Store) -> Vocabulary:
    """Read product types, CPV codes and their labels in one query."""
    vocab = Vocabulary()
    for row in store.select(stage("product-vocabulary"), union_default_graph=True):
        concept = text(row["concept"])
        vocab.kinds[concept] = text(row["kind"])
        if "label" in row:
            label = row["label"]
            vocab.labels.setdefault(concept, set()).add(text(label))
            lang = label.language if isinstance(label, ox.Literal) else None
            if lang == "en" or concept not in vocab.preferred:
                vocab.preferred[concept] = text(label)
        if "cpv" in row:
            vocab.product_cpv[concept] = text(row["cpv"])
        if "broader" in row:
            vocab.broader[concept] = text(row["broader"])
        if "notation" in row:
            vocab.labels.setdefault(concept, set()).add(text(row["notation"]))
    return vocab


@dataclass(frozen=True)
class Target:
    """What the buyer asks for: a product type or a CPV code."""

    concept: str
    kind: str
    label: str
    cpv: str | None


def resolve_what(vocab: Vocabulary, what: str) -> Target:
    """The product type or CPV code that ``what`` names (IRI, CPV code or label)."""
    value = what.strip()
    code = _CPV_CODE.match(value)
    concept: str | None = None
    if code:
        concept = CPV + code.group(1)
    elif value in vocab.kinds:
        concept = value
    if concept is not None:
        if concept not in vocab.kinds:
            raise ResolutionError(
                f"{what!r} is not a product type or CPV code kringloop knows",
                field="what",
                candidates=_closest(vocab, value),
            )
        return _target(vocab, concept)
    wanted = normalise(value)
    exact = sorted(
        c for c, labels in vocab.labels.items() if wanted in {normalise(x) for x in labels}
    )
    if not exact:
        exact = _fuzzy(vocab, wanted)
    products = [c for c in exact if vocab.kinds[c] == "product"]
    chosen = products or exact
    if len(chosen) == 1:
        return _target(vocab, chosen[0])
    if not chosen:
        raise ResolutionError(
            f"no product type or CPV code is called {what!r}",
            field="what",
            candidates=_closest(vocab, value),
        )
    raise ResolutionError(
        f"{what!r} is ambiguous: it names {len(chosen)} product types or codes",
        field="what",
        candidates=[f"{vocab.label(c)} <{c}>" for c in chosen[:8]],
    )


def _target(vocab: Vocabulary, concept: str) -> Target:
    kind = vocab.kinds[concept]
    cpv = vocab.product_cpv.get(concept) if kind == "product" else concept
    return Target(concept=concept, kind=kind, label=vocab.label(concept), cpv=cpv)


def _fuzzy(vocab: Vocabulary, wanted: str) -> list[str]:
    """Concepts with a label very close to ``wanted`` (plurals, small typos), best only."""
    scored: dict[str, float] = {}
    for concept, labels in vocab.labels.items():
        for label in labels:
            ratio = difflib.SequenceMatcher(None, wanted, normalise(label)).ratio()
            scored[concept] = max(scored.get(concept, 0.0), ratio)
    if not scored:
        return []
    best = max(scored.values())
    if best < 0.85:
        return []
    return sorted(c for c, r in scored.items() if r >= best - 0.02)


def _closest(vocab: Vocabulary, value: str) -> list[str]:
    names = sorted({label for labels in vocab.labels.values() for label in labels})
    by_norm = {normalise(n): n for n in names}
    close = difflib.get_close_matches(normalise(value), list(by_norm), n=5, cutoff=0.5)
    return [by_norm[c] for c in close]


@dataclass(frozen=True)
class Fit:
    """How well a product type fits the target: CPV hops and a 0..1 score."""

    product_type: str
    relation: str  # exact | same-code | narrower | broader
    hops: int
    score: float


def product_fits(vocab: Vocabulary, target: Target, *, max_hops: int = 2) -> dict[str, Fit]:
    """Product types that fit ``target`` through the CPV tree, within ``max_hops``.

    Exact product type 1.0; same CPV code 0.9; a narrower code (more specific than asked)
    loses 0.15 a hop, a broader one (more general) 0.25 a hop.
    """
    fits: dict[str, Fit] = {}
    if target.kind == "product":
        fits[target.concept] = Fit(target.concept, "exact", 0, 1.0)
    if target.cpv is None:
        return fits
    asked = vocab.ancestors(target.cpv)
    for product, cpv in sorted(vocab.product_cpv.items()):
        if product in fits:
            continue
        mine = vocab.ancestors(cpv)
        if cpv == target.cpv:
            fits[product] = Fit(product, "same-code", 0, 0.9)
        elif target.cpv in mine and mine.index(target.cpv) <= max_hops:
            hops = mine.index(target.cpv)
            fits[product] = Fit(product, "narrower", hops, round(0.9 - 0.15 * hops, 4))
        elif cpv in asked and asked.index(cpv) <= max_hops:
            hops = asked.index(cpv)
            fits[product] = Fit(product, "broader", hops, round(0.9 - 0.25 * hops, 4))
    return fits


@dataclass(frozen=True)
class Location:
    lat: float
    long: float
    label: str


def resolve_where(
    store: Store, *, near: str | None, lat: float | None, long: float | None, requester: str | None
) -> Location:
    """Coordinates of the request: given, or of a place (name or postcode), or of the requester."""
    if lat is not None and long is not None:
        return Location(lat, long, f"{lat:.4f}, {long:.4f}")
    if near is not None:
        wanted = normalise(near)
        places: dict[str, tuple[float, float, str]] = {}
        for row in store.select(stage("places"), union_default_graph=True):
            names = {normalise(text(row[k])) for k in ("label", "postcode") if k in row}
            if wanted in names:
                iri = text(row["place"])
                places[iri] = (
                    float(text(row["lat"])),
                    float(text(row["long"])),
                    text(row.get("label", row["place"])),
                )
        if len(places) >= 1:
            lat_, long_, label = places[sorted(places)[0]]
            return Location(lat_, long_, label)
        known = sorted(
            {
                text(r["label"])
                for r in store.select(stage("places"), union_default_graph=True)
                if "label" in r
            }
        )
        close = difflib.get_close_matches(near, known, n=5, cutoff=0.5)
        raise ResolutionError(f"no place is called {near!r}", field="near", candidates=close)
    assert requester is not None
    rows = store.select(
        stage("organisation-site"),
        bindings={"_org": ox.NamedNode(requester)},
        union_default_graph=True,
    )
    if not rows:
        raise ResolutionError(
            f"the requester {requester} has no site with coordinates",
            field="requester",
            candidates=[],
        )
    return Location(float(text(rows[0]["lat"])), float(text(rows[0]["long"])), requester)


def km_per_degree_long(lat: float) -> float:
    """Kilometres per degree of longitude at latitude ``lat`` (equirectangular).

    >>> round(km_per_degree_long(51.0), 1)
    70.0
    """
    return KM_PER_DEG_LAT * math.cos(math.radians(lat))


def distance_km(a_lat: float, a_long: float, b_lat: float, b_long: float) -> float:
    """Straight-line distance in km (equirectangular; accurate to <0.5% within Belgium).

    >>> round(distance_km(50.8279, 3.2649, 51.0543, 3.7174))  # Kortrijk - Gent
    40
    """
    mid = (a_lat + b_lat) / 2
    dx = (b_long - a_long) * km_per_degree_long(mid)
    dy = (b_lat - a_lat) * KM_PER_DEG_LAT
    return math.hypot(dx, dy)


def code_iri(kind: str, value: str) -> str:
    """The IRI of a code-list value given as a slug or an IRI.

    >>> code_iri("business-model", "lease")
    'https://w3id.org/kringloop/id/business-model/lease'
    """
    value = value.strip()
    if "://" in value:
        return value
    return f"{ID}{kind}/{normalise(value).replace(' ', '-')}"
