"""The SPARQL query mix of the benchmarks, with its constants read from the generated data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

PREFIXES = """PREFIX kl: <https://w3id.org/kringloop/ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
GEN = "https://example.org/kringloop/gen/"
ID = "https://w3id.org/kringloop/id/"


@dataclass(frozen=True)
class Query:
    """One query of the mix: a short name and its text."""

    name: str
    text: str
    heavy: bool = False  # slow on rdflib: fewer repetitions there


def _first(path: Path, pattern: str, *, skip: int = 0) -> str:
    """The first capture of ``pattern`` in the N-Triples file ``path`` (after ``skip`` hits)."""
    found = re.compile(pattern)
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            hit = found.search(line)
            if hit is not None:
                if skip == 0:
                    return hit.group(1)
                skip -= 1
    raise ValueError(f"{path}: no line matches {pattern}")


def build(data: Path) -> list[Query]:
    """The seven queries of the mix over the generated file ``data``."""
    org = _first(data, rf"^<({GEN}organisation/\d+)> ", skip=500)
    # a processor: its return flows lead somewhere, so the path query has work to do
    processor = _first(data, rf"#flowFrom> <({GEN}organisation/\d+)> ", skip=200)
    product = "office-chair"
    lat, long, km_per_deg_long = 50.8279, 3.2649, 70.2  # Kortrijk
    return [
        Query("lookup", f"SELECT ?p ?o WHERE {{ <{org}> ?p ?o }}"),
        Query(
            "join-filter-order",
            PREFIXES
            + """SELECT ?offer ?supplierLabel ?model ?available WHERE {
  VALUES ?type { <"""
            + ID
            + "product/office-chair> <"
            + ID
            + """product/office-desk> }
  ?offer a kl:SupplyOffer ; kl:itemOffered ?type ; kl:businessModel ?model ;
         kl:offeredBy ?supplier ; kl:availableQuantity ?available .
  ?supplier rdfs:label ?supplierLabel .
  FILTER(?available >= 50 && ?model != <"""
            + ID
            + """business-model/sale>)
} ORDER BY DESC(?available) ?offer LIMIT 20""",
        ),
        Query(
            "optional",
            PREFIXES
            + f"""SELECT ?offer ?price ?fee ?term ?takeBack WHERE {{
  ?offer a kl:SupplyOffer ; kl:itemOffered <{ID}product/{product}> .
  OPTIONAL {{ ?offer kl:unitPrice ?price }}
  OPTIONAL {{ ?offer kl:monthlyFee ?fee }}
  OPTIONAL {{ ?offer kl:termMonths ?term }}
  OPTIONAL {{ ?offer kl:includesTakeBack ?takeBack }}
}} LIMIT 200""",
        ),
        Query(
            "group-by",
            PREFIXES
            + """SELECT ?type (COUNT(?offer) AS ?offers) (AVG(?available) AS ?mean) WHERE {
  ?offer a kl:SupplyOffer ; kl:itemOffered ?type ; kl:availableQuantity ?available .
} GROUP BY ?type ORDER BY DESC(?offers)""",
            heavy=True,
        ),
        Query(
            "path-loop",
            PREFIXES
            + f"""SELECT DISTINCT ?reached WHERE {{
  <{processor}> (^kl:flowFrom/kl:flowTo)+ ?reached .
}} LIMIT 100""",
        ),
        Query(
            "chain-join",
            PREFIXES
            + f"""SELECT ?offer ?supplier ?processor ?producer ?flow WHERE {{
  ?offer a kl:SupplyOffer ; kl:itemOffered <{ID}product/{product}> ; kl:offeredBy ?supplier .
  ?pOffer kl:acceptsProductType <{ID}product/{product}> ; kl:offeredBy ?processor .
  ?flow a kl:ReturnFlow ; kl:flowFrom ?processor ; kl:flowTo ?producer ; kl:viaProcess ?process .
  ?process kl:performedBy ?processor .
  ?supply kl:flowFrom ?producer ; kl:flowTo ?supplier .
}} LIMIT 100""",
            heavy=True,
        ),
        Query(
            "geo-nearby",
            PREFIXES
            + f"""SELECT ?site ?km2 WHERE {{
  ?site a kl:Site ; kl:lat ?lat ; kl:long ?long .
  BIND((xsd:double(?lat) - {lat!r}e0) * 111.195e0 AS ?dy)
  BIND((xsd:double(?long) - {long!r}e0) * {km_per_deg_long!r}e0 AS ?dx)
  BIND(?dx * ?dx + ?dy * ?dy AS ?km2)
  FILTER(?km2 <= 400e0)
}} ORDER BY ?km2 LIMIT 20""",
            heavy=True,
        ),
    ]
