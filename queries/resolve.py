"""Resolving a request: what (product type or CPV code, by label in nl/en/fr), where, and
code-list values given as slugs; product fit through the CPV tree.

Names are looked up exactly (case, accents, hyphens and spacing aside: `name_key`), then
closely through rapidfuzz (`CLOSE`). The normalised names of a vocabulary are built once per
`Vocabulary` object (`Names`), and `vocabulary` keeps that object per store version
(`kringloop.queries.match_cache`), so a request costs a dictionary look-up and, for a
misspelling, one rapidfuzz pass over precomputed keys. The code lists (business models,
strategies, certifications, regions...) are resolved the same way in `kringloop.queries.codes`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import pyoxigraph as ox
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from kringloop.graph.errors import KringloopError
from kringloop.graph.store import Store, text
from kringloop.queries import match_cache
from kringloop.queries.stages import stage

ID = "https://w3id.org/kringloop/id/"
CPV = "http://data.europa.eu/cpv/cpv/"
KM_PER_DEG_LAT = 111.195
_CPV_CODE = re.compile(r"^(\d{8})(-\d)?$")
_SEPARATORS = re.compile(r"[\s_\-\u2010-\u2015]+")

#: The rapidfuzz ``fuzz.ratio`` (0-100: twice the characters two names share in order, over
#: their total length) at or above which a name counts as a spelling of a known one: a plural
#: ("bureaustoelen" for "bureaustoel", 91.7), one typo in a word of seven letters or more
#: ("refurbsh", 94.1; "Limburgh", 93.3). Two typos in a short word ("leese" for "lease", 80)
#: are refused with the closest names as candidates.
CLOSE = 85.0
#: Names within this many points of the best close match are as close as it (ambiguous).
TIE = 2.0
#: Candidates offered with a refusal: the closest names by rapidfuzz ``WRatio`` (which also
#: weighs a name found inside a longer label), at least this score, at most `CANDIDATES`.
SUGGEST = 50.0
CANDIDATES = 5


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


def name_key(label: str) -> str:
    """The form in which names are compared: `normalise`, with runs of spaces, hyphens and
    underscores made one space and typographic apostrophes plain.

    >>> name_key("  EU-ecolabel ") == name_key("EU Ecolabel") == name_key("eu_ecolabel")
    True
    >>> name_key("Modèles d\u2019affaires")
    "modeles d'affaires"
    """
    plain = normalise(label).replace("\u2019", "'").replace("\u2018", "'")
    return _SEPARATORS.sub(" ", plain).strip()


@dataclass(frozen=True)
class Names:
    """The names of a set of concepts (labels, codes, slugs), normalised once, for exact and
    close look-ups. ``keys`` are the distinct `name_key` forms, ``owners[i]`` the concepts
    called ``keys[i]``, ``shown[i]`` that name as first written.

    >>> names = Names.of([("ex:a", "Lease"), ("ex:a", "Leasing"), ("ex:b", "Sale")])
    >>> sorted(names.exact(" LEASING")), sorted(names.close("leasng")), names.exact("rent")
    (['ex:a'], ['ex:a'], frozenset())
    >>> sorted(Names.of([("ex:reduce", "reduce"), ("ex:reuse", "reuse")]).close("reduse"))
    ['ex:reduce', 'ex:reuse']
    >>> names.closest("Leese")[0]
    ('ex:a', 'Lease')
    """

    keys: tuple[str, ...]
    owners: tuple[frozenset[str], ...]
    shown: tuple[str, ...]
    by_key: Mapping[str, frozenset[str]]

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> Names:
        """The index of ``(concept, name)`` pairs; the first spelling of a name is shown."""
        owners: dict[str, set[str]] = {}
        shown: dict[str, str] = {}
        for concept, name in pairs:
            key = name_key(name)
            if key:
                owners.setdefault(key, set()).add(concept)
                shown.setdefault(key, " ".join(name.split()))
        keys = tuple(sorted(owners))
        frozen = tuple(frozenset(owners[k]) for k in keys)
        return cls(
            keys=keys,
            owners=frozen,
            shown=tuple(shown[k] for k in keys),
            by_key=dict(zip(keys, frozen, strict=True)),
        )

    def exact(self, value: str) -> frozenset[str]:
        """The concepts called ``value`` (case, accents and spacing aside)."""
        return self.by_key.get(name_key(value), frozenset())

    def close(self, value: str, *, cutoff: float = CLOSE) -> frozenset[str]:
        """The concepts with a name closest to ``value``, when one is at least ``cutoff``
        close: the best by `CLOSE`'s ratio (within `TIE` points), and every concept with a
        name as few edits away (Levenshtein) as the best one, so that "reduse" is as close
        to "reduce" as to "reuse" (one edit each) and names both."""
        key = name_key(value)
        found = process.extract(
            key, self.keys, scorer=fuzz.ratio, processor=None, score_cutoff=cutoff, limit=None
        )
        if not found:
            return frozenset()
        best = max(score for _, score, _ in found)
        owners = {c for _, score, i in found if score >= best - TIE for c in self.owners[i]}
        edits = min(Levenshtein.distance(key, name) for name, score, _ in found if score == best)
        same = process.extract(
            key,
            self.keys,
            scorer=Levenshtein.distance,
            processor=None,
            score_cutoff=edits,
            limit=None,
        )
        owners.update(c for _, _, i in same for c in self.owners[i])
        return frozenset(owners)

    def closest(self, value: str, *, limit: int = CANDIDATES) -> list[tuple[str, str]]:
        """Up to ``limit`` concepts with the names nearest ``value``, best first, each once
        with its nearest name: what to offer when ``value`` names nothing."""
        found = process.extract(
            name_key(value),
            self.keys,
            scorer=fuzz.WRatio,
            processor=None,
            score_cutoff=SUGGEST,
            limit=limit * 4,
        )
        result: list[tuple[str, str]] = []
        seen: set[str] = set()
        for _, _, i in found:
            for concept in sorted(self.owners[i] - seen):
                seen.add(concept)
                result.append((concept, self.shown[i]))
        return result[:limit]


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

    @cached_property
    def names(self) -> Names:
        """Every label and notation, and the slug of every product type, normalised on first
        use and kept with the object (a vocabulary is not changed after `load_vocabulary`)."""
        pairs = [(c, self.preferred[c]) for c in sorted(self.preferred)]
        pairs += [(c, label) for c in sorted(self.labels) for label in sorted(self.labels[c])]
        pairs += [(c, slug(c)) for c, kind in sorted(self.kinds.items()) if kind == "product"]
        return Names.of(pairs)

    @cached_property
    def parts(self) -> Names:
        """The items of list-like labels ("Kleding, schoeisel, ..." gives "Kleding"): the
        last resort of `kringloop.queries.codes.resolve_category`."""
        pairs = []
        for concept in sorted(self.labels):
            for label in sorted(self.labels[concept]):
                items = [p.strip() for p in re.split(r"[,;]", label)]
                if len(items) > 1:
                    pairs += [(concept, p) for p in items if p]
        return Names.of(pairs)


def slug(iri: str) -> str:
    """The last path segment of ``iri``.

    >>> slug("https://w3id.org/kringloop/id/business-model/lease")
    'lease'
    """
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def vocabulary(store: Store) -> Vocabulary:
    """`load_vocabulary`, kept per store version (with its normalised names once built)."""
    vocab = match_cache.once(store, "vocabulary", lambda: load_vocabulary(store))
    assert isinstance(vocab, Vocabulary)
    return vocab


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
    """The product type or CPV code that ``what`` names: an IRI, a CPV code (with or without
    its check digit), or a label or notation in nl/en/fr; plurals and small typos forgiven
    (`CLOSE`). A label that names a product type and a CPV code means the product type.

    Raises `ResolutionError` (field ``what``) when nothing or several things fit, with the
    closest labels as candidates.
    """
    return _target(vocab, find_concept(vocab, what, field="what"))


def find_concept(
    vocab: Vocabulary, value: str, *, field: str, tiers: tuple[Names, ...] | None = None
) -> str:
    """The product type or CPV code that ``value`` names, looked up in ``tiers`` in turn
    (default: the vocabulary's names), exactly then closely in each."""
    wanted = value.strip()
    code = _CPV_CODE.match(wanted)
    if code or "://" in wanted:
        concept = CPV + code.group(1) if code else wanted
        if concept not in vocab.kinds:
            raise ResolutionError(
                f"{value!r} is not a product type or CPV code kringloop knows",
                field=field,
                candidates=closest_labels(vocab, slug(wanted)),
            )
        return concept
    if not wanted:
        raise ResolutionError("name a product type or CPV code", field=field, candidates=[])
    found: frozenset[str] = frozenset()
    for names in tiers or (vocab.names,):
        found = names.exact(wanted) or names.close(wanted)
        if found:
            break
    products = sorted(c for c in found if vocab.kinds.get(c) == "product")
    chosen = products or sorted(found)
    if len(chosen) == 1:
        return chosen[0]
    if not chosen:
        raise ResolutionError(
            f"no product type or CPV code is called {value!r}",
            field=field,
            candidates=closest_labels(vocab, wanted),
        )
    raise ResolutionError(
        f"{value!r} is ambiguous: it names {len(chosen)} product types or codes",
        field=field,
        candidates=[f"{vocab.label(c)} <{c}>" for c in chosen[:8]],
    )


def _target(vocab: Vocabulary, concept: str) -> Target:
    kind = vocab.kinds[concept]
    cpv = vocab.product_cpv.get(concept) if kind == "product" else concept
    return Target(concept=concept, kind=kind, label=vocab.label(concept), cpv=cpv)


def closest_labels(vocab: Vocabulary, value: str) -> list[str]:
    """The labels nearest ``value``, one per concept, best first."""
    return [name for _, name in vocab.names.closest(value)]


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
        known = _places(store)
        found = sorted(known.names.exact(near))
        if found:
            return known.location(found[0], near)
        close = [name for _, name in known.names.closest(near)]
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


@dataclass(frozen=True)
class _Places:
    names: Names
    where: Mapping[str, tuple[float, float]]
    labels: Mapping[str, Mapping[str, str]]  # place -> name key -> label

    def location(self, place: str, asked: str) -> Location:
        """Where ``place`` is, labelled as asked when ``asked`` is one of its labels."""
        lat, long = self.where[place]
        labels = self.labels.get(place, {})
        label = labels.get(name_key(asked)) or next(iter(labels.values()), place)
        return Location(lat, long, label)


def _places(store: Store) -> _Places:
    """The places of the store by name and postcode, kept per store version."""

    def read() -> _Places:
        where: dict[str, tuple[float, float]] = {}
        labels: dict[str, dict[str, str]] = {}
        pairs: list[tuple[str, str]] = []
        for row in store.select(stage("places"), union_default_graph=True):
            iri = text(row["place"])
            where.setdefault(iri, (float(text(row["lat"])), float(text(row["long"]))))
            if "label" in row:
                labels.setdefault(iri, {}).setdefault(
                    name_key(text(row["label"])), text(row["label"])
                )
            pairs += [(iri, text(row[k])) for k in ("label", "postcode") if k in row]
        return _Places(Names.of(pairs), where, labels)

    places = match_cache.once(store, "resolve/places", read)
    assert isinstance(places, _Places)
    return places


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
