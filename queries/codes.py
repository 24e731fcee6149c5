"""The code lists of the store, and the values a buyer gives for them, resolved or refused.

A request names business models, strategies, certifications, regions and categories as a
buyer writes them: an IRI, a slug (``lease``), a notation (``BE22``, ``R5``), or any label or
alternative label in nl, en or fr (``Leasing``, ``Location``, ``Huur``), with any case, accents,
hyphens or spacing, and with a plural or a small typo (`kringloop.queries.resolve.CLOSE`).
A value that names nothing, or two concepts at once, is refused with a `ResolutionError`
(HTTP 422) that names the field and offers the closest labels with their slugs.

The code lists are the SKOS concept schemes under https://w3id.org/kringloop/id/, read with
one stage query (`code-lists`) and normalised once per store version (`code_lists`, kept by
`kringloop.queries.match_cache`). Categories of the loop census are product types or CPV
codes (`resolve_category`: a CPV code stands for every product type at or under it), regions
are the region code list (`resolve_region`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pyoxigraph as ox

from kringloop.graph.store import Store, text
from kringloop.queries import match_cache
from kringloop.queries.resolve import (
    ID,
    Names,
    ResolutionError,
    Vocabulary,
    find_concept,
    name_key,
    slug,
)
from kringloop.queries.stages import stage

#: The language of the label a code is shown with, then the others in this order.
LANGUAGES = ("en", "nl", "fr")
#: A code list as the documentation examples use it.
EXAMPLE = b"""
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix bm: <https://w3id.org/kringloop/id/business-model/> .
bm:lease skos:inScheme <https://w3id.org/kringloop/id/business-model> ;
    skos:prefLabel "Lease"@en , "Leasing"@nl , "Location"@fr ; skos:altLabel "Rent"@en .
bm:sale skos:inScheme <https://w3id.org/kringloop/id/business-model> ;
    skos:prefLabel "Sale"@en , "Verkoop"@nl , "Vente"@fr .
@prefix region: <https://w3id.org/kringloop/id/region/> .
region:limburg skos:inScheme <https://w3id.org/kringloop/id/region> ;
    skos:prefLabel "Limburg"@en , "Limburg"@nl , "Limbourg"@fr ; skos:notation "BE22" .
"""
#: How many codes a refusal lists when no name of the list is near the value given.
FALLBACK = 10


@dataclass(frozen=True)
class Code:
    """A concept of a code list: its IRI, slug, preferred labels by language, notations."""

    iri: str
    slug: str
    labels: tuple[tuple[str, str], ...]  # (language, preferred label), sorted by language
    notations: tuple[str, ...]

    def label(self, language: str = "en") -> str:
        """The preferred label in ``language``, else in English, Dutch, French, else the slug.

        >>> Code("x:lease", "lease", (("en", "Lease"), ("nl", "Leasing")), ()).label("nl")
        'Leasing'
        """
        by_language = dict(self.labels)
        for lang in (language, *LANGUAGES, ""):
            if lang in by_language:
                return by_language[lang]
        return next(iter(by_language.values()), self.slug)

    @property
    def shown(self) -> str:
        """How the code is offered as a candidate: its label and slug."""
        label = self.label()
        return label if name_key(label) == name_key(self.slug) else f"{label} ({self.slug})"


@dataclass(frozen=True)
class CodeList:
    """One code list: its kind (the scheme's slug, e.g. ``business-model``), its codes by
    IRI and every name of them (`Names`: labels, alt labels, slugs, notations)."""

    kind: str
    scheme: str
    codes: Mapping[str, Code]
    names: Names

    @property
    def noun(self) -> str:
        """What one code is called in a message: ``business model``."""
        return self.kind.replace("-", " ")

    @property
    def nouns(self) -> str:
        """What several codes are called: ``business models``, ``strategies``."""
        noun = self.noun
        return (
            noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"
        )


@dataclass(frozen=True)
class CodeLists:
    """Every code list of the store, by kind."""

    lists: Mapping[str, CodeList]

    def __getitem__(self, kind: str) -> CodeList:
        return self.lists[kind]

    def __contains__(self, kind: object) -> bool:
        return kind in self.lists

    def label(self, iri: str, language: str = "en") -> str:
        """The label of the code ``iri`` of any list, else its slug."""
        for code_list in self.lists.values():
            if iri in code_list.codes:
                return code_list.codes[iri].label(language)
        return slug(iri)


def load_code_lists(store: Store) -> CodeLists:
    """Read every code list of ``store`` in one query and index its names."""
    schemes: dict[str, set[str]] = {}
    labels: dict[str, dict[str, str]] = {}
    names: dict[str, set[str]] = {}
    notations: dict[str, set[str]] = {}
    for row in store.select(stage("code-lists"), union_default_graph=True):
        concept, scheme = text(row["concept"]), text(row["scheme"])
        schemes.setdefault(concept, set()).add(scheme)
        if "name" not in row:
            continue
        name, how = row["name"], text(row["how"])
        value = text(name)
        if how == "notation":
            notations.setdefault(concept, set()).add(value)
            continue
        names.setdefault(concept, set()).add(value)
        if how == "pref":
            lang = name.language if isinstance(name, ox.Literal) and name.language else ""
            shown = labels.setdefault(concept, {})
            # two preferred labels in one language (a data error): both resolve, one is shown
            shown[lang] = min(shown.get(lang, value), value)
    by_kind: dict[str, dict[str, Code]] = {}
    scheme_of: dict[str, str] = {}
    for concept in sorted(schemes):
        code = Code(
            iri=concept,
            slug=slug(concept),
            labels=tuple(sorted(labels.get(concept, {}).items())),
            notations=tuple(sorted(notations.get(concept, ()))),
        )
        for scheme in sorted(schemes[concept]):
            kind = scheme[len(ID) :].strip("/")
            if scheme.startswith(ID) and kind:
                scheme_of[kind] = scheme
                by_kind.setdefault(kind, {})[concept] = code
    lists = {}
    for kind, codes in sorted(by_kind.items()):
        pairs: list[tuple[str, str]] = []
        for iri, code in codes.items():
            pairs.append((iri, code.label()))
            pairs += [(iri, label) for _, label in code.labels]
            pairs += [(iri, name) for name in sorted(names.get(iri, ()))]
            pairs += [(iri, code.slug), *((iri, n) for n in code.notations)]
        lists[kind] = CodeList(kind, scheme_of[kind], codes, Names.of(pairs))
    return CodeLists(lists)


def code_lists(store: Store) -> CodeLists:
    """`load_code_lists`, kept per store version."""
    found = match_cache.once(store, "code-lists", lambda: load_code_lists(store))
    assert isinstance(found, CodeLists)
    return found


def resolve_codes(
    lists: CodeLists, kind: str, values: Iterable[str], *, field: str
) -> tuple[str, ...]:
    """The IRIs of the codes of list ``kind`` that ``values`` name, in their order, each once.

    Each value may be the IRI, the slug, a notation, or a preferred or alternative label in
    any language, with any case, accents, hyphens or spacing, or a close spelling of one
    (`kringloop.queries.resolve.CLOSE`). Raises `ResolutionError` with ``field`` when a value
    names no code (candidates: the closest, as ``label (slug)``), or several (candidates:
    those, as ``label <IRI>``), or when the store has no list ``kind`` at all.

    >>> from kringloop.graph import OxigraphStore
    >>> store = OxigraphStore.memory()
    >>> store.raw.load(input=EXAMPLE, format=ox.RdfFormat.TURTLE)
    >>> lists = load_code_lists(store)
    >>> [slug(iri) for iri in resolve_codes(lists, "business-model", ["Location", "lease", "Sale"],
    ...                                     field="business_models")]
    ['lease', 'sale']
    >>> resolve_codes(lists, "business-model", ["leasing "], field="business_models")
    ('https://w3id.org/kringloop/id/business-model/lease',)
    >>> resolve_codes(lists, "business-model", ["barter"], field="business_models")
    Traceback (most recent call last):
    ...
    kringloop.queries.resolve.ResolutionError: no business model is called 'barter' (...)
    """
    wanted = list(values)
    if not wanted:
        return ()
    code_list = lists.lists.get(kind)
    if code_list is None:
        raise ResolutionError(
            f"the store holds no {kind.replace('-', ' ')} code list ({ID}{kind})",
            field=field,
            candidates=[],
        )
    found: list[str] = []
    for value in wanted:
        iri = resolve_code(code_list, value, field=field)
        if iri not in found:
            found.append(iri)
    return tuple(found)


def resolve_code(code_list: CodeList, value: str, *, field: str) -> str:
    """The IRI of the one code of ``code_list`` that ``value`` names (see `resolve_codes`)."""
    given = value.strip()
    if "://" in given:
        if given in code_list.codes:
            return given
        raise ResolutionError(
            f"{given} is not a {code_list.noun} of {code_list.scheme}",
            field=field,
            candidates=_closest(code_list, slug(given)),
        )
    if not given:
        raise ResolutionError(
            f"an empty {code_list.noun}: give its slug, label or IRI",
            field=field,
            candidates=_closest(code_list, ""),
        )
    exact = code_list.names.exact(given)
    found = exact or code_list.names.close(given)
    if len(found) == 1:
        return next(iter(found))
    if found:
        how = "names" if exact else "is as close to"
        raise ResolutionError(
            f"{value!r} {how} {len(found)} {code_list.nouns}: say which",
            field=field,
            # by IRI: the name given, or even a slug, may be what is ambiguous
            candidates=[f"{code_list.codes[iri].label()} <{iri}>" for iri in sorted(found)],
        )
    raise ResolutionError(
        f"no {code_list.noun} is called {value!r}",
        field=field,
        candidates=_closest(code_list, given),
    )


def _closest(code_list: CodeList, value: str) -> list[str]:
    """The codes with the names nearest ``value`` as ``label (slug)``; when none is near, the
    first codes of the list (by label), so that a refusal always shows what may be asked."""
    near = code_list.names.closest(value) if value else []
    if not near:
        codes = sorted(code_list.codes.values(), key=lambda c: name_key(c.label()))
        return [code.shown for code in codes[:FALLBACK]]
    shown = []
    for iri, name in near:
        code = code_list.codes[iri]
        shown.append(name if name_key(name) == name_key(code.slug) else f"{name} ({code.slug})")
    return shown


@dataclass(frozen=True)
class Region:
    """A region of the region code list."""

    iri: str
    label: str


def resolve_region(lists: CodeLists, value: str, *, field: str = "region") -> Region:
    """The region ``value`` names: IRI, slug, NUTS notation (``BE22``) or label in nl/en/fr.

    Raises `ResolutionError` (``field``) as `resolve_codes` does.

    >>> from kringloop.graph import OxigraphStore
    >>> store = OxigraphStore.memory()
    >>> store.raw.load(input=EXAMPLE, format=ox.RdfFormat.TURTLE)
    >>> resolve_region(load_code_lists(store), "be22")
    Region(iri='https://w3id.org/kringloop/id/region/limburg', label='Limburg')
    """
    (iri,) = resolve_codes(lists, "region", [value], field=field)
    return Region(iri=iri, label=lists["region"].codes[iri].label())


@dataclass(frozen=True)
class Category:
    """A category of the loop census: a product type, or a CPV code with every product type
    whose CPV code is that code or under it in the CPV tree."""

    concept: str
    label: str
    product_types: frozenset[str]


def resolve_category(vocab: Vocabulary, value: str, *, field: str = "category") -> Category:
    """The category ``value`` names: a product type (IRI, slug, label in nl/en/fr) or a CPV
    code (eight digits with or without check digit, IRI, or label; an item of a list-like
    label, such as "Kleding" of "Kleding, schoeisel, bagageartikelen en accessoires", when
    no whole label fits). A label that names a product type and a CPV code means the product
    type.

    Raises `ResolutionError` (``field``) when nothing fits or several things do.

    >>> vocab = Vocabulary(
    ...     kinds={"cpv:39100000": "cpv", "cpv:39112000": "cpv", "p:chair": "product"},
    ...     labels={"cpv:39100000": {"Meubilair"}, "p:chair": {"Office chair", "Bureaustoel"}},
    ...     product_cpv={"p:chair": "cpv:39112000"},
    ...     broader={"cpv:39112000": "cpv:39100000"},
    ... )
    >>> sorted(resolve_category(vocab, "meubilair").product_types)
    ['p:chair']
    >>> resolve_category(vocab, "bureaustoelen").concept
    'p:chair'
    """
    concept = find_concept(vocab, value, field=field, tiers=(vocab.names, vocab.parts))
    if vocab.kinds[concept] == "product":
        members = frozenset({concept})
    else:
        members = frozenset(
            product for product, cpv in vocab.product_cpv.items() if concept in vocab.ancestors(cpv)
        )
    return Category(concept=concept, label=vocab.label(concept), product_types=members)
