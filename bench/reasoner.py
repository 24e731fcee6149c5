"""`kringloop reason` on the demo data: the owlready2 round trip against the direct HermiT run.

Both paths run HermiT 1.3.8 (the jar owlready2 ships) over the same store (vocabulary, axioms,
code lists, CPV, places, NUTS, seed and market). The old path loads the N-Triples into an
owlready2 World and runs ``sync_reasoner_hermit`` with property values and
``--ignoreUnsupportedDatatypes``, as kringloop did before; the new one is
`kringloop.graph.reason.infer` (HermiT's command line with -c -I -Y, strictly, dates given as
xsd:dateTime). The rounds alternate the two; the inferred facts must be the same. Writes
bench/reasoner.json and renders bench/RESULTS.md again with its section.

    .venv/bin/python bench/reasoner.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import harness
import report

OUT = Path(__file__).resolve().parent / "reasoner.json"
KL = "https://w3id.org/kringloop/ns#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def owlready2_path(ntriples: bytes) -> set[tuple[str, str, str]]:
    """The old path: owlready2 World in, HermiT, World out; kringloop facts between IRIs."""
    import owlready2
    from rdflib import URIRef

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "input.nt"
        source.write_bytes(ntriples)
        world = owlready2.World()
        onto = world.get_ontology(source.as_uri()).load()
        before = set(world.as_rdflib_graph())
        with onto:
            owlready2.sync_reasoner_hermit(
                world, infer_property_values=True, debug=0, ignore_unsupported_datatypes=True
            )
        after = set(world.as_rdflib_graph())
        world.close()
    new = set()
    for triple in after - before:
        if all(isinstance(t, URIRef) for t in triple):
            s, p, o = (str(t) for t in triple)
            if (p == RDF_TYPE and o.startswith(KL)) or (p != RDF_TYPE and p.startswith(KL)):
                new.add((s, p, o))
    return new


def main() -> int:
    import pyoxigraph as ox

    from kringloop.graph import OxigraphStore
    from kringloop.graph.bundle import data_graphs, initialise
    from kringloop.graph.reason import VOCABULARY, infer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    store = OxigraphStore.memory()
    initialise(store)
    graphs = data_graphs(store)
    triples = [
        ox.Triple(q.subject, q.predicate, q.object)
        for g in [*VOCABULARY, *graphs]
        for q in store.quads(g)
    ]
    ntriples = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    load = [round(x, 2) for x in os.getloadavg()]
    times: dict[str, list[float]] = {"owlready2": [], "direct": []}
    facts: dict[str, set[tuple[str, str, str]]] = {}
    for number in range(options.rounds):
        start = time.perf_counter()
        facts["owlready2"] = owlready2_path(ntriples)
        times["owlready2"].append(time.perf_counter() - start)
        start = time.perf_counter()
        found, _ = infer(store, graphs)
        times["direct"].append(time.perf_counter() - start)
        facts["direct"] = {(t.subject.value, t.predicate.value, t.object.value) for t in found}  # type: ignore[union-attr]
        harness.say(
            f"round {number + 1}: owlready2 {times['owlready2'][-1]:.1f} s, "
            f"direct {times['direct'][-1]:.1f} s"
        )
    results: dict[str, Any] = {
        "machine": harness.machine(),
        "load_average_at_start": load,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "triples": len(triples),
        "inferred": len(facts["direct"]),
        "identical": facts["direct"] == facts["owlready2"],
        "seconds": {
            path: {"median": statistics.median(values), "all": [round(v, 2) for v in values]}
            for path, values in times.items()
        },
    }
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    full = harness.BENCH / "results.json"
    if full.exists():
        (harness.BENCH / "RESULTS.md").write_text(report.render(json.loads(full.read_text())))
    harness.say(f"reasoner: {OUT.name} and RESULTS.md written")
    return 0 if results["identical"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
