"""The loop facts of every product type at once, for the census.

When every offer of the graph is wanted, a seek per subject costs far more per triple than
whole scans joined by hashing: the ``census-*`` stages read one column per predicate, each
pair once (so a triple held in two graphs is read once), and the columns become the same
descriptions, and so the same records, as `kringloop.queries.loop.facts.loop_facts` builds.
"""

from __future__ import annotations

import pyoxigraph as ox

from kringloop.graph.errors import QueryError
from kringloop.graph.store import Store
from kringloop.queries import match_cache
from kringloop.queries.loop.facts import (
    LoopFacts,
    Organisation,
    assemble,
    build_types,
    read_vocabulary,
)
from kringloop.queries.loop.kinds import KL
from kringloop.queries.loop.records import (
    RDF_TYPE,
    RDFS_LABEL,
    Descriptions,
    flow_record,
    site_of,
)
from kringloop.queries.stages import stage


def census_facts(store: Store) -> LoopFacts:
    """The facts about every product type, read a column per predicate over the whole graph
    (whole scans joined by hashing are far cheaper per triple than a seek per subject when
    every offer is wanted); the same records as `loop_facts`. Kept per store version."""
    kept = match_cache.once(store, "census-facts", lambda: _census_facts(store))
    assert isinstance(kept, LoopFacts)
    return kept


def columns(store: Store, name: str, subject: str = "s") -> Descriptions:
    """The rows of a column stage (each column named after its ``kl:``, ``rdfs:`` or ``rdf:``
    predicate) as descriptions of the subjects in column ``subject``."""
    d = Descriptions()
    result = store.query(stage(name), union_default_graph=True)
    if not isinstance(result, ox.QuerySolutions):
        raise QueryError(f"stage {name} is not a SELECT query")
    names = [v.value for v in result.variables]
    predicates = [_COLUMN.get(n, KL + n) for n in names]
    at = names.index(subject)
    others = [i for i in range(len(names)) if i != at]
    labelled = [i for i in others if predicates[i] == RDFS_LABEL]
    plain = [i for i in others if predicates[i] != RDFS_LABEL]
    described = d.by_subject
    for row in result:
        s = row[at]
        if not isinstance(s, ox.NamedNode):
            continue
        own = described[s.value]
        for i in plain:  # the common case, without a call per value
            value = row[i]
            if value is not None and not isinstance(value, ox.BlankNode):
                values = own.setdefault(predicates[i], [])
                text = value.value
                if text not in values:
                    values.append(text)
        for i in labelled:
            value = row[i]
            if isinstance(value, ox.Literal):
                d.add(s.value, RDFS_LABEL, value)
    return d


#: Column names of the census stages that are not ``kl:`` predicates.
_COLUMN = {"type": RDF_TYPE, "label": RDFS_LABEL}


def _census_facts(store: Store) -> LoopFacts:
    vocab = read_vocabulary(store)
    types = tuple(sorted(vocab.product_types))
    supply = columns(store, "census-supply")
    processing = columns(store, "census-processing")
    listed = columns(store, "census-organisations")
    placed = columns(store, "census-sites")
    located = {
        site: found
        for site in placed.by_subject
        if (found := site_of(site, placed.of(site), vocab.places)) is not None
    }
    orgs = {
        o: Organisation(
            listed.label(o),
            tuple(located[s] for s in listed.all(o, KL + "hasSite") if s in located),
        )
        for o in listed.by_subject
    }
    per_type_map = build_types(store, types, vocab, supply, processing, orgs)
    per_type = [per_type_map[t][0] for t in types]
    d = columns(store, "census-flows")
    flows = [
        f for flow in sorted(d.by_subject) if (f := flow_record(flow, d.of(flow), vocab.canonical))
    ]
    return assemble(store, vocab, types, per_type, flows, orgs)
