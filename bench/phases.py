"""The measured phases: SPARQL mix, matchmaking, loop census, visualisation."""

from __future__ import annotations

import json
import re
import shutil
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import harness
import pyoxigraph as ox
from harness import WORK, Server, say
from mix import Query

SPARQL_FORM = "application/x-www-form-urlencoded"
FAST = ("kringloop", "minimal", "oxigraph")
CONCURRENCY = (1, 16)
#: rdflib-endpoint runs queries on its event loop: a query slower than this is not load-tested
RDFLIB_PROBE_TIMEOUT_S = 15.0


def _form(query: str) -> str:
    return "query=" + urllib.parse.quote(query, safe="")


def _bodies(tier: str, name: str, lines: list[str]) -> Path:
    path = WORK / tier / "bodies" / f"{name}.txt"
    path.parent.mkdir(exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))
    return path


def _rows(body: bytes) -> int:
    document = json.loads(body)
    if "boolean" in document:
        return 1
    return len(document["results"]["bindings"])


def _aggregate(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median (and p95 over runs) of req/s and of each run's latency percentiles."""
    if not runs:
        return {}
    out: dict[str, Any] = {"runs": runs}
    answered = [r for r in runs if r.get("ok", r["requests"]) > 0]  # latencies need answers
    for key in ("rps", "p50_ms", "p95_ms", "p99_ms"):
        values = [float(r[key]) for r in (runs if key == "rps" else answered)]
        out[key] = harness.percentile(values, 50) if values else None
        out[key + "_p95_of_runs"] = harness.percentile(values, 95) if values else None
    out["errors"] = sum(int(r["errors"]) for r in runs)
    return out


def _floor(store: ox.Store, query: str, connections: int, duration_s: float) -> dict[str, Any]:
    """The same query on pyoxigraph in-process: query, read every row, write JSON."""

    def once() -> float:
        started = time.perf_counter()
        result = store.query(query, use_default_graph_as_union=True)
        assert isinstance(result, ox.QuerySolutions | ox.QueryBoolean)
        result.serialize(format=ox.QueryResultsFormat.JSON)
        return time.perf_counter() - started

    once()
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + duration_s

    def worker() -> None:
        while time.perf_counter() < stop_at:
            took = once()
            with lock:
                latencies.append(took)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    ms = [t * 1000 for t in latencies]
    return {
        "requests": len(ms),
        "errors": 0,
        "rps": len(ms) / elapsed,
        "p50_ms": harness.percentile(ms, 50),
        "p95_ms": harness.percentile(ms, 95),
        "p99_ms": harness.percentile(ms, 99),
    }


def _drain(server: Server, *, limit_s: float = 60.0) -> float:
    """Wait until a server that queues work on its event loop answers a trivial query again;
    a server still busy after ``limit_s`` is stopped (it would take a core from the others)."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit_s:
        try:
            harness.post(server.url, _form("ASK {}").encode(), SPARQL_FORM, timeout_s=limit_s)
            return time.perf_counter() - started
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    say(f"  {server.name} still busy after {limit_s:.0f} s: stopped for the rest of the run")
    server.stop()
    return time.perf_counter() - started


def sparql_mix(
    tier: str, queries: list[Query], servers: dict[str, Server], *, floor_store: Path, rounds: int
) -> dict[str, Any]:
    """Each query at c=1 and c=16 on every system, interleaved round by round."""
    fast = [name for name in FAST if name in servers]
    out: dict[str, Any] = {}
    floor = ox.Store.read_only(str(floor_store))
    for query in queries:
        body = _bodies(tier, query.name, [_form(query.text)])
        entry: dict[str, Any] = {"rows": {}}
        for name, server in servers.items():
            if name == "rdflib-endpoint":
                continue
            entry["rows"][name] = _rows(harness.post(server.url, body.read_bytes(), SPARQL_FORM))
        for conc in CONCURRENCY:
            # long enough for several answers: 16 heavy queries in flight take seconds each
            duration = (6 if conc > 1 else 2) if query.heavy else 1
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name in [*fast, "floor"]}
            for round_no in range(rounds + 1):  # round 0 warms up
                order = fast[round_no % len(fast) :] + fast[: round_no % len(fast)]
                for name in order:
                    result = harness.wrk(
                        servers[name].url,
                        body,
                        content_type=SPARQL_FORM,
                        accept="application/sparql-results+json",
                        connections=conc,
                        duration_s=duration,
                    )
                    if round_no > 0:
                        runs[name].append(result)
                result = _floor(floor, query.text, conc, duration)
                if round_no > 0:
                    runs["floor"].append(result)
            entry[f"c{conc}"] = {name: _aggregate(r) for name, r in runs.items()}
            k, m = entry[f"c{conc}"]["kringloop"], entry[f"c{conc}"]["minimal"]
            entry[f"c{conc}"]["ratio_rps_vs_minimal"] = k["rps"] / m["rps"] if m["rps"] else None
            entry[f"c{conc}"]["ratio_p95_vs_minimal"] = (
                k["p95_ms"] / m["p95_ms"] if k["p95_ms"] and m["p95_ms"] else None
            )
            say(
                f"  {tier} {query.name} c={conc}: "
                + ", ".join(
                    f"{n} {entry[f'c{conc}'][n]['rps']:.0f}/s p95 "
                    f"{entry[f'c{conc}'][n]['p95_ms'] or 0:.1f} ms"
                    for n in [*fast, "floor"]
                )
            )
        rdflib = servers.get("rdflib-endpoint")
        if rdflib is not None and rdflib.process.poll() is None:
            entry["rdflib-endpoint"] = _rdflib(tier, query, rdflib, body)
            entry["rows"]["rdflib-endpoint"] = entry["rdflib-endpoint"].get("rows")
        out[query.name] = entry
    del floor
    return out


def _rdflib(tier: str, query: Query, server: Server, body: Path) -> dict[str, Any]:
    """rdflib-endpoint, bounded: a probe with a timeout, then one short run per concurrency."""
    found: dict[str, Any] = {}
    started = time.perf_counter()
    try:
        answer = harness.post(
            server.url, body.read_bytes(), SPARQL_FORM, timeout_s=RDFLIB_PROBE_TIMEOUT_S
        )
    except (urllib.error.URLError, OSError, TimeoutError):
        found["probe_s"] = f">{RDFLIB_PROBE_TIMEOUT_S:g}"
        found["drain_s"] = _drain(server)
        say(f"  {tier} {query.name} rdflib-endpoint: over {RDFLIB_PROBE_TIMEOUT_S:g} s, skipped")
        return found
    found["probe_s"] = time.perf_counter() - started
    found["rows"] = _rows(answer)
    for conc in CONCURRENCY:
        # 16 clients queue behind each other on its event loop: only where one query is quick
        if conc > 1 and found["probe_s"] > 1.5 and query.name != "chain-join":
            continue
        duration = 3 if found["probe_s"] < 1 else 6
        result = harness.wrk(
            server.url,
            body,
            content_type=SPARQL_FORM,
            accept="application/sparql-results+json",
            connections=conc,
            duration_s=duration,
            timeout_s=int(RDFLIB_PROBE_TIMEOUT_S),
        )
        result["drain_s"] = _drain(server)
        found[f"c{conc}"] = _aggregate([result])
        say(
            f"  {tier} {query.name} c={conc} rdflib-endpoint: {result['rps']:.2f}/s "
            f"p95 {result['p95_ms']:.0f} ms ({result['errors']} errors)"
        )
    return found


# -- matchmaking ----------------------------------------------------------------------------

_TRIPLE = re.compile(r'^<([^>]+)> <[^>]+#(itemOffered|fromSite|lat|long)> (?:<([^>]+)>|"([^"]+)")')


def match_requests(data: Path, server: Server, *, wanted: int = 10) -> list[dict[str, Any]]:
    """About ten requests read from the data (product types and the places of offers) that
    return chains."""
    offered: dict[str, str] = {}
    site_of: dict[str, str] = {}
    coords: dict[str, dict[str, float]] = {}
    with data.open(encoding="utf-8") as lines:
        for line in lines:
            hit = _TRIPLE.match(line)
            if hit is None:
                continue
            subject, key, iri, literal = hit.groups()
            if key == "itemOffered":
                offered[subject] = iri
            elif key == "fromSite":
                site_of[subject] = iri
            else:
                coords.setdefault(subject, {})[key] = float(literal)
    candidates: list[dict[str, Any]] = []
    seen_types: set[str] = set()
    for offer, product in offered.items():
        site = site_of.get(offer)
        if site is None or product in seen_types or len(coords.get(site, {})) < 2:
            continue
        seen_types.add(product)
        where = coords[site]
        candidates.append(
            {"what": product, "lat": where["lat"], "long": where["long"], "within_km": 50}
        )
    url = server.url.replace("/sparql", "/match")
    chosen = []
    for request in candidates:
        try:
            body = harness.post(url, json.dumps(request).encode(), "application/json")
        except (urllib.error.URLError, TimeoutError):  # e.g. 504 past the query time limit
            continue
        answer = json.loads(body)
        if answer["chains"]:
            chosen.append(request)
        if len(chosen) == wanted:
            break
    return chosen


def match_figure(tier: str, data: Path, server: Server, *, rounds: int) -> dict[str, Any]:
    """POST /match at c=1 and c=16 over a fixed set of requests that return chains."""
    requests = match_requests(data, server)
    say(f"  {tier} match: {len(requests)} requests with chains")
    body = _bodies(tier, "match", [json.dumps(r) for r in requests])
    url = server.url.replace("/sparql", "/match")
    out: dict[str, Any] = {"requests": requests}
    # Warm-up: each query worker reads a product type's rows on its first request for it
    # (match_cache), so every request goes to every worker first. That cold cost is a figure
    # of its own: the first pass, one request at a time.
    workers = 3  # the service's default query_workers
    cold: list[float] = []
    failed = 0
    for _ in range(workers):
        for request in requests:
            started = time.perf_counter()
            try:
                harness.post(url, json.dumps(request).encode(), "application/json")
            except (urllib.error.URLError, TimeoutError):  # e.g. 504 past the query time limit
                failed += 1
            cold.append((time.perf_counter() - started) * 1000)
    out["cold"] = {
        "requests": len(cold),
        "failed": failed,
        "p50_ms": harness.percentile(cold, 50),
        "max_ms": max(cold),
    }
    say(f"  {tier} match warm-up: {len(cold)} requests ({failed} failed), max {max(cold):.0f} ms")
    for conc in CONCURRENCY:
        runs = []
        for round_no in range(rounds + 1):
            result = harness.wrk(
                url,
                body,
                content_type="application/json",
                connections=conc,
                duration_s=4 if conc == 1 else 10,  # 16 slow matches need a longer window
                timeout_s=10,
            )
            if round_no > 0:
                runs.append(result)
        out[f"c{conc}"] = _aggregate(runs)
        got = out[f"c{conc}"]
        say(
            f"  {tier} match c={conc}: {got['rps']:.1f}/s, p50 {got['p50_ms'] or 0:.0f} ms, "
            f"p95 {got['p95_ms'] or 0:.0f} ms, {got['errors']} errors"
        )
    return out


def match_inprocess(
    store_dir: Path, requests: list[dict[str, Any]], *, rounds: int
) -> dict[str, Any]:
    """The same requests through `queries.matchmaker.match` in this process, one at a time:
    the stage queries and the Python work, without HTTP or the service's workers."""
    from kringloop.graph.store import OxigraphStore
    from kringloop.queries import matchmaker
    from kringloop.queries.request import MatchRequest

    store = OxigraphStore.open(store_dir, read_only=True)
    parsed = [MatchRequest(**r) for r in requests]
    for request in parsed:  # warm-up
        matchmaker.match(store, request)
    latencies: list[float] = []
    started = time.perf_counter()
    for _ in range(rounds):
        for request in parsed:
            begun = time.perf_counter()
            matchmaker.match(store, request)
            latencies.append((time.perf_counter() - begun) * 1000)
    elapsed = time.perf_counter() - started
    store.close()
    out = {
        "rps": len(latencies) / elapsed,
        "p50_ms": harness.percentile(latencies, 50),
        "p95_ms": harness.percentile(latencies, 95),
        "p99_ms": harness.percentile(latencies, 99),
        "requests": len(latencies),
    }
    say(
        f"  match in-process: {out['rps']:.1f}/s, p50 {out['p50_ms']:.0f} ms, "
        f"p95 {out['p95_ms']:.0f} ms"
    )
    return out


# -- loop census ----------------------------------------------------------------------------


def census_figure(
    sizes: list[int], *, generate: Callable[[int], Path], rounds: int
) -> dict[str, Any]:
    """`queries.loops.census` (loops, gaps, bottlenecks) over on-disk stores of each size."""
    from kringloop.graph import bundle, derived
    from kringloop.graph import load as loading
    from kringloop.graph.store import OxigraphStore
    from kringloop.queries import loops, match_cache

    out: dict[str, Any] = {}
    for orgs in sizes:
        data = generate(orgs)
        target = WORK / f"census-{orgs}"
        shutil.rmtree(target, ignore_errors=True)
        store = OxigraphStore.open(target)
        started = time.perf_counter()
        bundle.initialise(store, with_data=True)
        loading.load(store, loading.plan([data]))
        load_s = time.perf_counter() - started
        say(f"  census {orgs} orgs: loaded in {load_s:.1f} s")
        times = []
        census = None
        for round_no in range(rounds + 1):
            # cold every round: nothing kept in this process or beside the store
            match_cache.forget(store)
            shutil.rmtree(target / derived.DIRECTORY, ignore_errors=True)
            started = time.perf_counter()
            census = loops.census(store)
            took = time.perf_counter() - started
            if round_no > 0:
                times.append(took)
            say(f"  census {orgs} orgs: {took:.2f} s")
        assert census is not None
        out[str(orgs)] = {
            "load_s": load_s,
            "seconds": harness.summary(times),
            "loops": len(census.loops),
            "gaps": len(census.gaps),
            "cells": len(census.cells),
            "bottlenecks": len(census.bottlenecks),
        }
        store.close()
        shutil.rmtree(target, ignore_errors=True)
    return out


# -- visualisation --------------------------------------------------------------------------


def viz_figure(*, rounds: int) -> dict[str, Any]:
    """Time to a stable drawing at 200 and 2,000 nodes (tests/viz_timing.measure)."""
    sys.path.insert(0, str(harness.ROOT))
    from tests import viz_timing

    workdir = WORK / "viz"
    workdir.mkdir(exist_ok=True)
    out: dict[str, Any] = {}
    with viz_timing.browser(workdir / "profile") as context:
        viz_timing.measure(workdir, (200, 2000), repeat=1, context=context)  # warm-up
        for entry in viz_timing.measure(workdir, (200, 2000), repeat=rounds, context=context):
            times = entry.pop("stable_all_s")
            out[str(entry["nodes"])] = {**entry, "stable_s": harness.summary(times)}
            say(
                f"  viz {entry['nodes']} nodes: median {statistics.median(times):.2f} s, "
                f"p95 {harness.percentile(times, 95):.2f} s"
            )
    return out
