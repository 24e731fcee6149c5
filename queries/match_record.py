"""Matches as PROV records in the matches graph: written on request, read back by id."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import pyoxigraph as ox

from kringloop.graph.errors import NotFoundError
from kringloop.graph.store import Store, text
from kringloop.queries.matchmaker import MatchResult
from kringloop.queries.request import MatchRequest

KL = "https://w3id.org/kringloop/ns#"
PROV = "http://www.w3.org/ns/prov#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
XSD = "http://www.w3.org/2001/XMLSchema#"
BASE = "https://w3id.org/kringloop/id/match/"
ROLE = "https://w3id.org/kringloop/id/role/"
GRAPH = ox.NamedNode("https://w3id.org/kringloop/graph/matches")
MATCHMAKER = ox.NamedNode("https://w3id.org/kringloop/id/software/matchmaker")


def _lit(value: object) -> ox.Literal:
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=ox.NamedNode(XSD + "boolean"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))
    if isinstance(value, float):
        return ox.Literal(repr(value), datatype=ox.NamedNode(XSD + "decimal"))
    return ox.Literal(str(value))


class _Writer:
    def __init__(self) -> None:
        self.quads: list[ox.Quad] = []

    def add(
        self, s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal | str | float | int | bool
    ) -> None:
        if isinstance(o, str) and "://" in o and " " not in o:
            obj: ox.NamedNode | ox.Literal = ox.NamedNode(o)
        elif isinstance(o, ox.NamedNode | ox.Literal):
            obj = o
        else:
            obj = _lit(o)
        self.quads.append(ox.Quad(s, ox.NamedNode(p), obj, GRAPH))


def save(
    store: Store, result: MatchResult, request: MatchRequest, *, when: datetime | None = None
) -> str:
    """Store ``result`` as PROV records (one kl:Match per ranked chain); returns its IRI."""
    when = when or datetime.now(UTC)
    run = ox.NamedNode(BASE + result.id)
    need = ox.NamedNode(f"{BASE}{result.id}/need")
    activity = ox.NamedNode(f"{BASE}{result.id}/activity")
    w = _Writer()
    stamp = ox.Literal(when.isoformat(), datatype=ox.NamedNode(XSD + "dateTime"))
    w.add(run, RDF_TYPE, PROV + "Collection")
    w.add(run, RDFS_LABEL, f"Matches for {result.what['label']} near {result.where['label']}")
    w.add(run, PROV + "wasGeneratedBy", activity)
    w.add(run, PROV + "generatedAtTime", stamp)
    w.add(activity, RDF_TYPE, PROV + "Activity")
    w.add(activity, PROV + "wasAssociatedWith", MATCHMAKER)
    w.add(activity, PROV + "used", need)
    w.add(activity, PROV + "endedAtTime", stamp)
    w.add(need, RDF_TYPE, KL + "Need")
    amount = f"{request.quantity:g} " if request.quantity is not None else ""
    w.add(need, RDFS_LABEL, f"Request for {amount}{result.what['label']}")
    if request.requester:
        w.add(need, KL + "requestedBy", request.requester)
    if result.what["kind"] == "product" and result.what["concept"]:
        w.add(need, KL + "requestsProductType", result.what["concept"])
    if request.quantity is not None:
        w.add(need, KL + "quantity", float(request.quantity))
    w.add(need, KL + "lat", float(result.where["lat"]))
    w.add(need, KL + "long", float(result.where["long"]))
    w.add(need, KL + "maxDistanceKm", float(request.within_km))
    w.add(need, KL + "tcoHorizonYears", float(request.tco_years))
    if request.needed_by:
        w.add(
            need,
            KL + "neededBy",
            ox.Literal(request.needed_by.isoformat(), datatype=ox.NamedNode(XSD + "date")),
        )
    if request.max_r_rank is not None:
        w.add(need, KL + "maxRRank", request.max_r_rank)
    for chain in (*result.internal_reuse, *result.chains):
        kind = "reuse" if chain in result.internal_reuse else "chain"
        match = ox.NamedNode(f"{BASE}{result.id}/{kind}/{chain.rank}")
        node = ox.NamedNode(f"{BASE}{result.id}/{kind}/{chain.rank}/chain")
        w.add(run, PROV + "hadMember", match)
        w.add(match, RDF_TYPE, KL + "Match")
        w.add(
            match,
            RDFS_LABEL,
            f"{chain.supplier_label}: {chain.product_label} ({kind} {chain.rank})",
        )
        w.add(match, KL + "forNeed", need)
        w.add(match, KL + "matchedChain", node)
        w.add(match, KL + "rank", chain.rank)
        w.add(match, KL + "score", float(chain.score))
        w.add(match, PROV + "wasGeneratedBy", activity)
        w.add(match, PROV + "generatedAtTime", stamp)
        for source in chain.evidence:
            w.add(match, PROV + "wasDerivedFrom", source)
        w.add(node, RDF_TYPE, KL + "Chain")
        w.add(node, KL + "forProductType", chain.product_type)
        w.add(node, KL + "isClosed", chain.closed)
        w.add(node, KL + "loopStatus", chain.status)
        if chain.missing:
            w.add(node, "http://www.w3.org/2000/01/rdf-schema#comment", chain.missing)
        if chain.verdict.missing_role and not chain.closed:
            w.add(node, KL + "missingRole", ROLE + chain.verdict.missing_role.replace(" ", "-"))
        if chain.verdict.partners is not None:
            w.add(node, KL + "partnerCount", chain.verdict.partners)
        for step in chain.steps:
            s = ox.NamedNode(f"{node.value}/step/{step.index}")
            w.add(node, KL + "hasStep", s)
            w.add(s, RDF_TYPE, KL + "ChainStep")
            w.add(s, KL + "stepIndex", step.index)
            w.add(s, RDFS_LABEL, f"{step.role}: {step.label}")
            if step.organisation is not None and "://" in step.organisation:
                w.add(s, KL + "stepOrganisation", step.organisation)
            for prop, value in (
                ("stepOffer", step.offer),
                ("stepProcess", step.process),
                ("stepFlow", step.flow),
            ):
                if value:
                    w.add(s, KL + prop, value)
            if step.distance_km is not None:
                w.add(s, KL + "distanceKm", float(step.distance_km))
        for comp in chain.components:
            c = ox.NamedNode(f"{match.value}/component/{comp.name}")
            w.add(match, KL + "hasScoreComponent", c)
            w.add(c, RDF_TYPE, KL + "ScoreComponent")
            w.add(c, KL + "componentName", comp.name)
            if comp.raw is not None:
                w.add(c, KL + "rawValue", ox.Literal(str(comp.raw)))
            w.add(c, KL + "weight", float(comp.weight))
            w.add(c, KL + "contribution", float(comp.contribution))
    old = [q for q in store.quads(GRAPH) if _of_run(q, run)]
    store.change(remove=old, add=w.quads)  # a rerun of the same request replaces its record
    return run.value


def _of_run(quad: ox.Quad, run: ox.NamedNode) -> bool:
    return isinstance(quad.subject, ox.NamedNode) and quad.subject.value.startswith(run.value)


def load(store: Store, match_id: str) -> dict[str, Any]:
    """A stored match run as JSON-ready data; `NotFoundError` when there is none."""
    run = BASE + match_id
    rows = store.select(
        "SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?s), ?prefix)) }",
        bindings={"g": GRAPH, "prefix": ox.Literal(run)},
    )
    if not rows:
        raise NotFoundError(
            f"no stored match {match_id!r}", hint="POST /match with save: true first"
        )
    props: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        props[text(r["s"])][text(r["p"]).rsplit("#", 1)[-1].rsplit("/", 1)[-1]].append(text(r["o"]))

    def one(s: str, p: str) -> str | None:
        values = props.get(s, {}).get(p)
        return sorted(values)[0] if values else None

    chains = []
    for match in sorted(
        props[run]["hadMember"], key=lambda m: (m.split("/")[-2], int(m.rsplit("/", 1)[-1]))
    ):
        node = one(match, "matchedChain") or ""
        steps = sorted(props[node]["hasStep"], key=lambda s: int(one(s, "stepIndex") or 0))
        chains.append(
            {
                "kind": match.split("/")[-2],
                "rank": int(one(match, "rank") or 0),
                "score": float(one(match, "score") or 0),
                "label": one(match, "label"),
                "closed": one(node, "isClosed") == "true",
                "status": one(node, "loopStatus")
                or ("closed" if one(node, "isClosed") == "true" else "open"),
                "missing": one(node, "comment"),
                "missing_role": (one(node, "missingRole") or "").rsplit("/", 1)[-1] or None,
                "partners": int(one(node, "partnerCount") or 0) or None,
                "steps": [
                    {
                        k: one(s, k)
                        for k in (
                            "stepIndex",
                            "label",
                            "stepOrganisation",
                            "stepOffer",
                            "stepProcess",
                            "stepFlow",
                            "distanceKm",
                        )
                    }
                    for s in steps
                ],
                "components": [
                    {k: one(c, k) for k in ("componentName", "rawValue", "weight", "contribution")}
                    for c in sorted(props[match]["hasScoreComponent"])
                ],
                "evidence": sorted(props[match]["wasDerivedFrom"]),
            }
        )
    return {
        "id": match_id,
        "iri": run,
        "label": one(run, "label"),
        "generated": one(run, "generatedAtTime"),
        "chains": chains,
    }
