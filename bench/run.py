"""kringloop at scale: load, SPARQL, matchmaking, loops, visualisation, memory — against peers.

``python bench/run.py`` (or ``make bench``) runs the 100k and 1M tiers; ``BENCH_10M=1`` adds
10M, and ``BENCH_TIERS=10M BENCH_MERGE=1`` adds it to the last run's results. Data comes from
``kringloop generate`` into bench/work/; the numbers go to bench/results.json and
bench/RESULTS.md. Every figure is the median and p95 of repeated runs after a warm-up; systems
are interleaved within each round, so compare ratios of one run.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import harness
import mix
import phases
import report
from harness import PEERS_BIN, VENV_BIN, WORK, Server, say

from kringloop.graph import bundle

#: organisations per tier (about 63 triples each)
TIERS = {"100k": 1_600, "1M": 16_000, "10M": 160_000}
SEED = 1


def generate(orgs: int) -> Path:
    """The generated N-Triples file of ``orgs`` organisations (made once, then reused)."""
    path = WORK / f"gen-{orgs}.nt"
    if not path.exists():
        say(f"generating {orgs} organisations → {path.name}")
        partial = path.with_suffix(".part")
        harness.run(
            [
                str(VENV_BIN / "kringloop"),
                "generate",
                "--orgs",
                str(orgs),
                "--seed",
                str(SEED),
                "--out",
                str(partial),
            ],
            log=WORK / "generate.log",
        )
        partial.rename(path)
    return path


def count_lines(path: Path) -> int:
    with path.open("rb") as data:
        return sum(1 for _ in data)


def load_figure(tier: str, data: Path, triples: int, rounds: int) -> dict[str, Any]:
    """Bulk load: ``kringloop load --no-validate`` vs ``oxigraph load`` (default graph, and the
    same named graph kringloop writes to), interleaved, fresh directories each time."""
    base = WORK / tier
    base.mkdir(exist_ok=True)
    log = base / "load.log"
    graph_iri = data.resolve().as_uri()
    timings: dict[str, list[float]] = {"kringloop": [], "oxigraph": [], "oxigraph-named": []}
    data.read_bytes()  # into the page cache, for everyone alike
    warm_up = tier != "10M"  # at 10M one run each: a run takes minutes
    for round_no in range(0 if warm_up else 1, rounds + 1):  # round 0 is the warm-up
        for system in timings:
            target = base / f"load-{system}"
            shutil.rmtree(target, ignore_errors=True)
            if system == "kringloop":
                kl = [str(VENV_BIN / "kringloop"), "--store-path", str(target)]
                harness.run([*kl, "init"], log=log)  # vocabulary and demo data, not timed
                took = harness.run([*kl, "load", "--no-validate", str(data)], log=log)
            else:
                command = [str(PEERS_BIN / "oxigraph"), "load", "--location", str(target)]
                command += ["--file", str(data)]
                if system == "oxigraph-named":
                    command += ["--graph", graph_iri]
                took = harness.run(command, log=log)
            if round_no > 0:
                timings[system].append(took)
            say(f"  load {tier} {system}: {took:.1f} s ({triples / took:,.0f} triples/s)")
    out: dict[str, Any] = {"triples": triples}
    for system, values in timings.items():
        out[system] = {
            "seconds": harness.summary(values),
            "triples_per_s": harness.summary([triples / v for v in values]),
        }
    k = out["kringloop"]["triples_per_s"]["median"]
    out["ratio_vs_oxigraph"] = k / out["oxigraph"]["triples_per_s"]["median"]
    out["ratio_vs_oxigraph_named"] = k / out["oxigraph-named"]["triples_per_s"]["median"]
    return out


def start_servers(tier: str, data: Path, *, with_rdflib: bool) -> dict[str, Server]:
    """kringloop, the minimal FastAPI endpoint, Oxigraph server and rdflib-endpoint, each on
    its own copy of the data."""
    base = WORK / tier
    logs = base / "logs"
    logs.mkdir(exist_ok=True)
    # The same store (vocabulary, demo data, generated market) in three copies: Oxigraph
    # server 0.5 and pyoxigraph 0.5 share the on-disk format.
    kstore, mstore, ostore = base / "kringloop-store", base / "minimal-store", base / "oxigraph"
    for target in (kstore, mstore, ostore):
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(base / "load-kringloop", target)
    bundled = [str(s.path) for s in bundle.bundled_sources() if s.path.suffix == ".ttl"]
    servers: dict[str, Server] = {}
    env = {
        "KRINGLOOP_UNION_DEFAULT_GRAPH": "true",
        "KRINGLOOP_DEMO_DATA": "false",
        "KRINGLOOP_STORE_PATH": str(kstore),
    }
    specs: list[tuple[str, list[str], dict[str, str], float]] = [
        (
            "kringloop",
            [str(VENV_BIN / "kringloop"), "serve", "--port", "8101"],
            env,
            120.0,
        ),
        (
            "minimal",
            [str(VENV_BIN / "python"), str(harness.BENCH / "minimal_app.py"), str(mstore), "8102"],
            {},
            120.0,
        ),
        (
            "oxigraph",
            [
                str(PEERS_BIN / "oxigraph"),
                "serve",
                "--location",
                str(ostore),
                "--bind",
                "127.0.0.1:8103",
                "--union-default-graph",
            ],
            {},
            60.0,
        ),
    ]
    if with_rdflib:
        specs.append(
            (
                "rdflib-endpoint",
                [
                    str(PEERS_BIN / "rdflib-endpoint"),
                    "serve",
                    *bundled,
                    str(data),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "8104",
                ],
                {},
                240.0,  # a few minutes to parse the file into rdflib, or it is skipped
            )
        )
    urls = {
        "kringloop": ("http://127.0.0.1:8101/healthz", "http://127.0.0.1:8101/sparql"),
        "minimal": ("http://127.0.0.1:8102/sparql?query=ASK%7B%7D", "http://127.0.0.1:8102/sparql"),
        "oxigraph": ("http://127.0.0.1:8103/query?query=ASK%7B%7D", "http://127.0.0.1:8103/query"),
        "rdflib-endpoint": (
            "http://127.0.0.1:8104/?query=ASK%7B%7D",
            "http://127.0.0.1:8104/",
        ),
    }
    for name, command, extra, timeout in specs:
        ready, url = urls[name]
        server = harness.start(
            name,
            command,
            ready_url=ready,
            url=url,
            log=logs / f"{name}.log",
            env=extra,
            timeout_s=timeout,
        )
        if server is not None:
            servers[name] = server
            say(f"  {name} ready in {server.started_s:.1f} s (pid {server.pid})")
            if name == "kringloop":  # its background preparation done before any figure
                waited = harness.wait_prepared("http://127.0.0.1:8101")
                say(f"  {name} prepared its store {waited:.1f} s after it was ready")
    return servers


def main() -> int:
    WORK.mkdir(exist_ok=True)
    tiers = ["100k", "1M"] + (["10M"] if os.environ.get("BENCH_10M") == "1" else [])
    tiers = os.environ.get("BENCH_TIERS", ",".join(tiers)).split(",")  # for trying the harness
    skip = set(os.environ.get("BENCH_SKIP", "").split(","))  # load, rdflib, match, census, viz
    only = set(filter(None, os.environ.get("BENCH_QUERIES", "").split(",")))  # query names
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    results: dict[str, Any] = {"machine": harness.machine(), "tiers": {}}
    merging = os.environ.get("BENCH_MERGE") == "1"  # add tiers to the last run (e.g. 10M)
    if merging:
        results = json.loads((harness.BENCH / "results.json").read_text())
    say(f"machine: {results['machine']['cpu']}, {results['machine']['cores']} cores")
    started = time.perf_counter()
    for tier in filter(None, tiers):
        tier_started = time.perf_counter()
        data = generate(TIERS[tier])
        triples = count_lines(data)
        say(f"tier {tier}: {triples:,} triples in {data.name}")
        figures: dict[str, Any] = {"triples": triples, "organisations": TIERS[tier]}
        if merging:  # keep what this run does not measure again
            figures = {**results["tiers"].get(tier, {}), **figures, "machine": harness.machine()}
        results["tiers"][tier] = figures
        load_rounds = rounds if tier != "10M" else 1
        if "load" not in skip or not (WORK / tier / "load-kringloop").exists():
            figures["load"] = load_figure(tier, data, triples, load_rounds)
        say(f"tier {tier}: starting servers")
        servers = start_servers(tier, data, with_rdflib=tier != "10M" and "rdflib" not in skip)
        try:
            queries = [q for q in mix.build(data) if not only or q.name in only]
            figures["rdflib_endpoint_start_s"] = (
                servers["rdflib-endpoint"].started_s if "rdflib-endpoint" in servers else None
            )
            figures["sparql"] = {**figures.get("sparql", {})} | phases.sparql_mix(
                tier,
                queries,
                servers,
                floor_store=WORK / tier / "minimal-store",
                rounds=rounds if tier == "1M" else 1,  # the 1M tier carries the targets
            )
            if "match" not in skip:
                figures["match"] = phases.match_figure(
                    tier, data, servers["kringloop"], rounds=rounds
                )
            figures["rss_kib"] = {
                name: s.memory() for name, s in servers.items() if s.process.poll() is None
            }
            say(f"tier {tier}: peak RSS (KiB) {figures['rss_kib']}")
        finally:
            for server in servers.values():
                server.stop()
        if "match" in figures:
            figures["match_inprocess"] = phases.match_inprocess(
                WORK / tier / "kringloop-store", figures["match"]["requests"], rounds=rounds
            )
        figures["elapsed_s"] = time.perf_counter() - tier_started
        say(f"tier {tier}: {figures['elapsed_s'] / 60:.1f} min")
        write(results)
    if "census" not in skip:
        results["census"] = phases.census_figure(
            [1_000, 10_000, 100_000], generate=generate, rounds=rounds
        )
        write(results)
    if "viz" not in skip:
        results["viz"] = phases.viz_figure(rounds=max(rounds, 5))
    results["elapsed_s"] = time.perf_counter() - started
    write(results)
    say(f"done in {results['elapsed_s'] / 60:.1f} min: bench/RESULTS.md, bench/results.json")
    return 0


def write(results: dict[str, Any]) -> None:
    """results.json and RESULTS.md, or only BENCH_OUT (a JSON file) for a partial run."""
    partial = os.environ.get("BENCH_OUT")
    if partial:
        Path(partial).write_text(json.dumps(results, indent=2) + "\n")
        return
    (harness.BENCH / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (harness.BENCH / "RESULTS.md").write_text(report.render(results))


if __name__ == "__main__":
    sys.exit(main())
