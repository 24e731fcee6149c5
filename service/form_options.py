"""What the request form and the census filters offer to choose from, in the page's language:
product types and CPV codes (for autocompletion, in every language), places and postcodes,
business models, strategies with their rank on the ladder, certifications, regions, roles.

Read from the code lists and the vocabulary of the store, once per store version and
language (`kringloop.queries.match_cache`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kringloop.graph.store import Store, text
from kringloop.queries import codes, match_cache, resolve
from kringloop.queries.stages import stage
from kringloop.queries.visual import Facts, load_facts
from kringloop.service.i18n import Words, label_order

KL = "https://w3id.org/kringloop/ns#"


@dataclass(frozen=True)
class Choice:
    """One option: the value sent, its label, and a note shown with it."""

    value: str
    label: str
    note: str = ""


@dataclass(frozen=True)
class FormOptions:
    products: tuple[Choice, ...]
    places: tuple[Choice, ...]
    business_models: tuple[Choice, ...]
    strategies: tuple[Choice, ...]
    certifications: tuple[Choice, ...]
    regions: tuple[Choice, ...]
    roles: tuple[Choice, ...]
    categories: tuple[Choice, ...]


def _choices(lists: codes.CodeLists, kind: str, language: str) -> tuple[Choice, ...]:
    if kind not in lists:
        return ()
    found = [Choice(c.slug, c.label(language)) for c in lists[kind].codes.values()]
    return tuple(sorted(found, key=lambda c: resolve.name_key(c.label)))


def form_options(store: Store, t: Words) -> FormOptions:
    """The options of the pages' forms in ``t``'s language."""

    def read() -> FormOptions:
        return _read(store, t)

    found = match_cache.once(store, f"pages/form-options/{t.language}", read)
    assert isinstance(found, FormOptions)
    return found


def _read(store: Store, t: Words) -> FormOptions:
    language = t.language
    order = label_order(language)
    lists = codes.code_lists(store)
    vocab = resolve.vocabulary(store)
    cpv_codes = sorted(c for c, kind in vocab.kinds.items() if kind == "cpv")
    strategies = sorted(lists["strategy"].codes) if "strategy" in lists else []
    facts = load_facts(store, [*cpv_codes, *strategies])
    products: list[Choice] = []
    if "product" in lists:
        for code in lists["product"].codes.values():
            cpv = vocab.product_cpv.get(code.iri, "")
            note = (
                f"{t('product-type')} · CPV {cpv.rsplit('/', 1)[-1]}" if cpv else t("product-type")
            )
            shown = code.label(language)
            products.append(Choice(shown, shown, note))
            for _, other in code.labels:  # the other languages' names complete too
                if other != shown:
                    products.append(Choice(other, shown, note))
    for iri in cpv_codes:
        number = iri.rsplit("/", 1)[-1]
        label = facts[iri].label(order) if iri in facts else None
        products.append(Choice(number, label or number, f"CPV {number}"))
    ranks: dict[str, int] = {}
    for iri in strategies:
        found = facts.get(iri)
        rank = [v.text for v in found.values.get(KL + "rRank", ())] if found else []
        if rank:
            ranks[iri] = int(float(rank[0]))
    strategy_choices = tuple(
        Choice(
            lists["strategy"].codes[iri].slug,
            lists["strategy"].codes[iri].label(language),
            f"R{ranks[iri]}" if iri in ranks else "",
        )
        for iri in sorted(strategies, key=lambda i: (ranks.get(i, 99), i))
    )
    return FormOptions(
        products=tuple(products),
        places=_places(store, language),
        business_models=_choices(lists, "business-model", language),
        strategies=strategy_choices,
        certifications=_choices(lists, "certification", language),
        regions=_choices(lists, "region", language),
        roles=_choices(lists, "role", language),
        categories=_categories(vocab, lists, facts, t),
    )


def _places(store: Store, language: str) -> tuple[Choice, ...]:
    """Every place by its name in the page's language (or untagged), and its postcode."""
    by_place: dict[str, dict[str, str]] = {}
    postcodes: dict[str, str] = {}
    for row in store.select(stage("places"), union_default_graph=True):
        place = text(row["place"])
        if "label" in row:
            label = row["label"]
            lang = getattr(label, "language", None) or ""
            by_place.setdefault(place, {}).setdefault(lang, text(label))
        if "postcode" in row:
            postcodes[place] = text(row["postcode"])
    found = []
    for place, labels in by_place.items():
        name = next((labels[k] for k in (language, "", "nl", "en", "fr") if k in labels), None)
        if name is None:
            continue
        code = postcodes.get(place, "")
        found.append(Choice(name, name, code))
        if code:
            found.append(Choice(code, name, code))
    return tuple(sorted(found, key=lambda c: (resolve.name_key(c.label), c.value)))


def _categories(
    vocab: resolve.Vocabulary,
    lists: codes.CodeLists,
    facts: Mapping[str, Facts],
    t: Words,
) -> tuple[Choice, ...]:
    """The category hierarchy of the census: the CPV codes above the product types, each
    product type under its code, in tree order; ``note`` is the path from the top."""
    order = label_order(t.language)
    products = lists["product"].codes if "product" in lists else {}
    under: dict[str, list[str]] = {}
    used: set[str] = set()
    for product, cpv in vocab.product_cpv.items():
        chain = vocab.ancestors(cpv)
        used.update(chain)
        under.setdefault(cpv, []).append(product)
    for cpv in used:
        parent = vocab.broader.get(cpv)
        if parent in used:
            under.setdefault(parent, []).append(cpv)
    roots = sorted(c for c in used if vocab.broader.get(c) not in used)

    def label(iri: str) -> str:
        if iri in products:
            return products[iri].label(t.language)
        found = facts.get(iri)
        picked = found.label(order) if found is not None else None
        return picked or vocab.label(iri)

    out: list[Choice] = []

    def walk(iri: str, path: tuple[str, ...]) -> None:
        name = label(iri)
        note = " \u203a ".join([*path, name])
        out.append(Choice(iri.rsplit("/", 1)[-1], name, note))
        children = sorted(set(under.get(iri, [])), key=lambda c: (c in products, label(c)))
        for child in children:
            walk(child, (*path, name))

    for root in roots:
        walk(root, ())
    return tuple(out)
