"""The facts the loop judgement rests on, read from a store and kept while it cannot change.

`loop_facts(store, product_types)` gathers, for some product types: their supply offers, the
processing offers that accept them or one of their materials, the flows of everything that
can carry them back (the product types, their materials, what processes make of them, and
on the biological side the biological-cycle materials), their producers, and the code-list
facts the judgement needs (compositions, material cycles, strategy ranks, typical masses,
process kinds, places, ``owl:sameAs`` links). Matchmaking asks for the product types of a
request; the census asks for all of them, so both judge on the same facts.

Every read is a ``SELECT DISTINCT ?s ?p ?o`` over the subjects it needs, turned into records
by `kringloop.queries.loop.records`: one row per triple, each once, so a triple held in two
graphs costs nothing extra and changes nothing. What is read per product type, per carrier and
per organisation is kept with the store's rows (`kringloop.queries.match_cache`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from kringloop.graph.binding import Term
from kringloop.graph.errors import QueryError
from kringloop.graph.store import Store
from kringloop.queries import match_cache
from kringloop.queries.loop.kinds import (
    BIOLOGICAL_CYCLE,
    DEFAULT_RANKS,
    KL,
    PROCESS_CLASSES,
)
from kringloop.queries.loop.records import (
    OWL_SAME_AS,
    RDF_TYPE,
    Descriptions,
    FlowRecord,
    PlaceInfo,
    ProcessingRecord,
    Site,
    SupplyRecord,
    flow_record,
    number,
    processing_record,
    same_as_classes,
    site_of,
    supply_record,
)
from kringloop.queries.stages import stage

#: Subjects bound in one query at most.
CHUNK = 1000


@dataclass(frozen=True)
class Vocabulary:
    """The code-list and process facts (small, whole graph)."""

    composition: Mapping[str, frozenset[str]]
    biological: frozenset[str]
    ranks: Mapping[str, int]
    typical_mass: Mapping[str, float]
    process_class: Mapping[str, str]
    outputs: Mapping[str, frozenset[str]]
    places: Mapping[str, PlaceInfo]
    canonical: Mapping[str, str]
    labels: Mapping[str, str]
    product_types: frozenset[str] = frozenset()

    def carriers(self, product: str) -> frozenset[str]:
        """What may carry ``product`` back: itself, its materials, what processes make of
        them (and of that, and so on), and on the biological side every biological-cycle
        material.

        >>> v = Vocabulary({"urn:cup": frozenset({"urn:pla"})}, frozenset({"urn:pla",
        ...     "urn:compost"}), {}, {}, {}, {"urn:pla": frozenset({"urn:compost"})}, {}, {}, {})
        >>> sorted(v.carriers("urn:cup"))
        ['urn:compost', 'urn:cup', 'urn:pla']
        """
        found = {product, *self.composition.get(product, ())}
        todo = list(found)
        while todo:
            for made in self.outputs.get(todo.pop(), ()):
                if made not in found:
                    found.add(made)
                    todo.append(made)
        if found & self.biological:
            found |= self.biological
        return frozenset(found)


@dataclass(frozen=True)
class Organisation:
    label: str
    sites: tuple[Site, ...]


@dataclass
class Memo:
    """What judgements on the same facts can share, whatever the request: searches of the
    flows, the grids of processors, which processors lead back to a producer. Kept with the
    facts (so for as long as the store cannot change)."""

    reached: dict[Any, Any] = field(default_factory=dict)
    carriers: dict[Any, Any] = field(default_factory=dict)
    grids: dict[Any, Any] = field(default_factory=dict)
    reaching: dict[Any, Any] = field(default_factory=dict)
    flows_in: dict[Any, Any] = field(default_factory=dict)
    routes: dict[Any, Any] = field(default_factory=dict)
    by_organisation: dict[Any, Any] = field(default_factory=dict)
    entries_by_org: dict[Any, Any] = field(default_factory=dict)


@dataclass
class LoopFacts:
    """The facts about some product types that the judgement reads."""

    vocabulary: Vocabulary
    product_types: tuple[str, ...]
    supply: list[SupplyRecord]
    processing: dict[str, list[ProcessingRecord]]
    flows_out: dict[str, list[FlowRecord]]
    producers: dict[str, frozenset[str]]
    labels: dict[str, str] = field(default_factory=dict)
    #: the organisations read with the facts, with their sites
    organisations: dict[str, Organisation] = field(default_factory=dict, compare=False, repr=False)
    memo: Memo = field(default_factory=Memo, compare=False, repr=False)

    def label(self, iri: str) -> str:
        return self.labels.get(iri) or self.vocabulary.labels.get(iri) or iri.rsplit("/", 1)[-1]

    def canonical(self, organisation: str) -> str:
        return self.vocabulary.canonical.get(organisation, organisation)


def stage_rows(
    store: Store, name: str, **bindings: Term | Sequence[Term]
) -> list[tuple[Term, ...]]:
    named = {f"_{k}": v for k, v in bindings.items()}
    result = store.query(stage(name), bindings=named or None, union_default_graph=True)
    if not isinstance(result, ox.QuerySolutions):
        raise QueryError(f"stage {name} is not a SELECT query")
    return [tuple(row) for row in result]


def _describe_rows(store: Store, name: str, key: str, values: Sequence[str]) -> Descriptions:
    found = Descriptions()
    for start in range(0, len(values), CHUNK):
        terms = [ox.NamedNode(v) for v in values[start : start + CHUNK]]
        found.add_rows(stage_rows(store, name, **{key: terms}))
    return found


def read_vocabulary(store: Store) -> Vocabulary:
    """The code-list and process facts of ``store`` (kept per store version, for every
    process: `match_cache.shared`)."""
    return match_cache.shared(store, "loop-vocabulary", (), lambda: _vocabulary(store))


#: The classes whose instances the vocabulary reads (`loop-instances`, one query each).
_INSTANCES = (
    ("ProductType",),
    ("Material",),
    ("Region",),
    ("Place",),
)


def _vocabulary(store: Store) -> Vocabulary:
    d = Descriptions()
    for classes in _INSTANCES:
        d.add_rows(
            stage_rows(
                store, "loop-instances", **{"class": [ox.NamedNode(KL + c) for c in classes]}
            )
        )
    processes = [ox.NamedNode(c) for c in PROCESS_CLASSES]
    d.add_rows(stage_rows(store, "loop-processes", **{"class": processes}))
    d.add_rows(stage_rows(store, "loop-compositions"))
    pairs_of = [ox.NamedNode(KL + "rRank"), ox.NamedNode(OWL_SAME_AS)]
    d.add_rows(stage_rows(store, "loop-pairs", predicate=pairs_of))
    composition = {s: frozenset(d.all(s, KL + "material")) for s in d.subjects(KL + "material")}
    biological = frozenset(
        s
        for s in d.subjects(KL + "biodegradable")
        if d.one(s, KL + "biodegradable") in ("true", "1")
    ) | frozenset(d.subjects(KL + "materialCycle", BIOLOGICAL_CYCLE))
    ranks = dict(DEFAULT_RANKS)
    for s in d.subjects(KL + "rRank"):
        value = number(d.one(s, KL + "rRank"))
        if value is not None:
            ranks[s] = int(value)
    masses = {
        s: m
        for s in d.subjects(KL + "typicalMassKg")
        if (m := number(d.one(s, KL + "typicalMassKg")))
    }
    process_class: dict[str, str] = {}
    for s in d.subjects(RDF_TYPE):
        kinds = [c for c in d.all(s, RDF_TYPE) if c in PROCESS_CLASSES]
        if kinds:
            process_class[s] = kinds[0]
    outputs: dict[str, set[str]] = defaultdict(set)
    for s in process_class:
        inputs = set(d.all(s, KL + "input"))
        for made in d.all(s, KL + "output"):
            if made in inputs:
                continue  # what goes in comes out as it was (a refurbished monitor)
            for used in inputs:  # something new made of what goes in (fibre, compost)
                outputs[used].add(made)
    places = {
        s: PlaceInfo(
            number(d.one(s, KL + "lat")), number(d.one(s, KL + "long")), d.one(s, KL + "region")
        )
        for s in d.subjects(KL + "lat") + d.subjects(KL + "region")
    }
    pairs = [(s, o) for s in d.subjects(OWL_SAME_AS) for o in d.all(s, OWL_SAME_AS)]
    return Vocabulary(
        composition=composition,
        biological=biological,
        ranks=ranks,
        typical_mass=masses,
        process_class=process_class,
        outputs={k: frozenset(v) for k, v in outputs.items()},
        places=places,
        canonical=same_as_classes(pairs),
        labels=dict(d.labels),
        product_types=frozenset(d.subjects(RDF_TYPE, KL + "ProductType")),
    )


def organisations(store: Store, orgs: Sequence[str], vocab: Vocabulary) -> dict[str, Organisation]:
    """Label and sites (with coordinates) of each organisation, kept per organisation."""

    def read(missing: list[str]) -> dict[str, list[Organisation]]:
        d = _described(store, "loop-organisations", missing)
        sites = sorted({s for o in missing for s in d.all(o, KL + "hasSite")})
        located = _sites(store, sites, vocab)
        return {
            o: [
                Organisation(
                    d.label(o),
                    tuple(located[s] for s in d.all(o, KL + "hasSite") if s in located),
                )
            ]
            for o in missing
        }

    found = match_cache.per_key(store, "loop-organisation", sorted(set(orgs)), read)
    return dict(zip(sorted(set(orgs)), found, strict=True))


def _described(store: Store, name: str, subjects: Sequence[str]) -> Descriptions:
    """What stage ``name`` says of ``subjects``, a thousand at a time."""
    d = Descriptions()
    for start in range(0, len(subjects), CHUNK):
        chunk = [ox.NamedNode(s) for s in subjects[start : start + CHUNK]]
        d.add_rows(stage_rows(store, name, subject=chunk))
    return d


def _sites(store: Store, sites: Sequence[str], vocab: Vocabulary) -> dict[str, Site]:
    d = _described(store, "loop-sites", sites)
    found = {}
    for s in sites:
        site = site_of(s, d.of(s), vocab.places)
        if site is not None:
            found[s] = site
    return found


def _offer_sites(d: Descriptions, offer: str, org: Organisation | None) -> tuple[Site, ...]:
    """The offer's own site, else every site of its organisation (rule: the one nearest to
    the place of use serves it)."""
    sites = org.sites if org is not None else ()
    own = d.all(offer, KL + "fromSite")
    if own:
        chosen = tuple(s for s in sites if s.iri in own)
        return chosen or sites
    return sites


@dataclass(frozen=True)
class _TypeFacts:
    supply: tuple[SupplyRecord, ...]
    processing: tuple[ProcessingRecord, ...]
    producers: frozenset[str]


def _read_types(store: Store, types: list[str], vocab: Vocabulary) -> dict[str, list[_TypeFacts]]:
    """Supply offers, processing offers and producers of ``types``, built into records."""
    supply = _describe_rows(store, "loop-supply", "productType", types)
    processing = _describe_rows(store, "loop-processing", "productType", types)
    offered = [
        o for d in (supply, processing) for s in d.by_subject for o in d.all(s, KL + "offeredBy")
    ]
    orgs = organisations(store, sorted(set(offered)), vocab)
    return build_types(store, types, vocab, supply, processing, orgs)


def build_types(
    store: Store,
    types: Sequence[str],
    vocab: Vocabulary,
    supply: Descriptions,
    processing: Descriptions,
    orgs: Mapping[str, Organisation],
) -> dict[str, list[_TypeFacts]]:
    """The records of ``types`` from the descriptions of their offers and organisations."""
    producers: dict[str, set[str]] = defaultdict(set)
    terms = [ox.NamedNode(t) for t in types]
    for start in range(0, len(terms), CHUNK):
        rows = stage_rows(store, "loop-producers", productType=terms[start : start + CHUNK])
        for producer, product in rows:
            assert isinstance(producer, ox.NamedNode) and isinstance(product, ox.NamedNode)
            producers[product.value].add(vocab.canonical.get(producer.value, producer.value))
    by_type: dict[str, tuple[list[SupplyRecord], list[ProcessingRecord]]] = {
        t: ([], []) for t in types
    }
    for offer in sorted(supply.by_subject):
        d = supply.of(offer)
        classes = d.get(RDF_TYPE, ())
        if KL + "SupplyOffer" not in classes and KL + "InternalSurplus" not in classes:
            continue
        by = supply.one(offer, KL + "offeredBy")
        if by is None:
            continue
        record = supply_record(
            offer,
            d,
            supplier=vocab.canonical.get(by, by),
            sites=_offer_sites(supply, offer, orgs.get(by)),
            label=supply.label(offer),
        )
        if record is not None and record.product_type in by_type:
            by_type[record.product_type][0].append(record)
    for offer in sorted(processing.by_subject):
        by = processing.one(offer, KL + "offeredBy")
        if by is None:
            continue
        org = orgs.get(by)
        processed = processing_record(
            offer,
            processing.of(offer),
            organisation=vocab.canonical.get(by, by),
            label=org.label if org is not None else by,
            sites=_offer_sites(processing, offer, org),
            process_classes=vocab.process_class,
        )
        if processed is None:
            continue
        for t in types:
            accepted = processed.materials & vocab.composition.get(t, frozenset())
            if t in processed.products or accepted:
                by_type[t][1].append(processed)
    return {
        t: [_TypeFacts(tuple(s), tuple(p), frozenset(producers.get(t, ())))]
        for t, (s, p) in by_type.items()
    }


def _flows(store: Store, carriers: Sequence[str], vocab: Vocabulary) -> list[FlowRecord]:
    def read(missing: list[str]) -> dict[str, list[FlowRecord]]:
        d = _describe_rows(store, "loop-flows", "carrier", missing)
        found: dict[str, list[FlowRecord]] = defaultdict(list)
        for flow in sorted(d.by_subject):
            record = flow_record(flow, d.of(flow), vocab.canonical)
            if record is not None:
                found[record.of].append(record)
        return found

    return match_cache.per_key(store, "loop-flows", sorted(set(carriers)), read)


def loop_facts(store: Store, product_types: Iterable[str]) -> LoopFacts:
    """The facts about ``product_types`` (see the module description), kept per store
    version for the same product types, for every process (`match_cache.shared`: a query
    worker finds what another one read; at 6M triples one product type's facts take 6-22 s
    to read and 0.2-1.4 s to load)."""
    types = tuple(sorted(set(product_types)))
    return match_cache.shared(store, "loop-facts", types, lambda: _loop_facts(store, types))


def _loop_facts(store: Store, types: tuple[str, ...]) -> LoopFacts:
    vocab = read_vocabulary(store)
    per_type = match_cache.per_key(
        store, "loop-type", types, lambda missing: _read_types(store, missing, vocab)
    )
    carriers = sorted({c for t in types for c in vocab.carriers(t)})
    flows = _flows(store, carriers, vocab)
    return assemble(store, vocab, types, per_type, flows)


def assemble(
    store: Store,
    vocab: Vocabulary,
    types: tuple[str, ...],
    per_type: Sequence[_TypeFacts],
    flows: Sequence[FlowRecord],
    named: Mapping[str, Organisation] | None = None,
) -> LoopFacts:
    flows_out: dict[str, list[FlowRecord]] = defaultdict(list)
    for f in sorted(flows, key=lambda f: f.flow):
        flows_out[f.source].append(f)
    supply = [s for facts in per_type for s in facts.supply]
    processing = {t: list(f.processing) for t, f in zip(types, per_type, strict=True)}
    producers = {t: f.producers for t, f in zip(types, per_type, strict=True)}
    ends = sorted(
        {f.target for f in flows}
        | {f.source for f in flows}
        | {p for ps in producers.values() for p in ps}
    )
    known = {s.supplier for s in supply} | {
        p.organisation for ps in processing.values() for p in ps
    }
    named = named or {}
    wanted = sorted(o for o in known | set(ends) if o not in named)
    orgs = {**named, **organisations(store, wanted, vocab)}
    labels = {o: org.label for o, org in orgs.items()}
    for s in supply:
        labels.setdefault(s.offer, s.label)
    return LoopFacts(
        vocabulary=vocab,
        product_types=types,
        supply=supply,
        processing=processing,
        flows_out=dict(flows_out),
        producers=producers,
        labels=labels,
        organisations=dict(orgs),
    )
