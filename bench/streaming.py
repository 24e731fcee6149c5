"""Streamed answers and conditional requests, measured on a real `kringloop serve`.

1. A million-row SELECT (CSV and SPARQL JSON) and a CONSTRUCT of the whole million-triple
   graph (N-Triples) from an on-disk store, streamed from the query's worker process to the
   client: time to the first byte, total time, bytes, and how much the server's memory (the
   service process and its worker processes, VmRSS sampled every 20 ms) grows meanwhile. The
   same SELECT once more with a result cap set (``KRINGLOOP_MAX_RESULT_ROWS``), where the
   answer is read completely before it is sent, for comparison.
2. A named query repeated 200 times on the demo data, plain and with ``If-None-Match`` (304,
   the query does not run): latency of each.

    .venv/bin/python bench/streaming.py            # ~3 min; figures to bench/streaming.json

bench/RESULTS.md is rendered again with this section (from bench/results.json when the full
benchmark has run, else the section is added at the end of the file).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

import harness
import pyoxigraph as ox
import report
from harness import VENV_BIN, WORK, say

ROWS = 1_000_000
PORT = 8121
REPEATS = 200
NAMED = "/queries/loops-per-category?lang=en"
OUT = harness.BENCH / "streaming.json"
E = "http://bench.example.org/"


def build_store(path: Path) -> None:
    """A million triples in one named graph (bulk loaded)."""
    shutil.rmtree(path, ignore_errors=True)
    store = ox.Store(str(path))
    graph = ox.NamedNode(E + "graph")
    predicates = [ox.NamedNode(f"{E}p{i}") for i in range(10)]
    store.bulk_extend(
        ox.Quad(ox.NamedNode(f"{E}s{i}"), predicates[i % 10], ox.Literal(f"value {i}"), graph)
        for i in range(ROWS)
    )
    store.flush()
    del store


def rss_kib(pid: int) -> int:
    """VmRSS of ``pid`` and every process under it, in KiB."""
    total = harness._status(pid).get("VmRSS", 0)
    return total + sum(harness._status(c).get("VmRSS", 0) for c in harness._children(pid))


class Sampler:
    """Samples the server's memory every 20 ms while a request runs."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.02)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def stream(pid: int, query: str, accept: str) -> dict[str, Any]:
    """One query, its answer read in 64 KiB pieces and thrown away."""
    time.sleep(1.0)  # the workers settle
    before = rss_kib(pid)
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=600)
    body = "query=" + urllib.parse.quote(query, safe="")
    started = time.perf_counter()
    with Sampler(pid) as sampler:
        conn.request(
            "POST",
            "/sparql",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
        )
        answer = conn.getresponse()
        first = answer.read(1)
        first_byte_s = time.perf_counter() - started
        size, lines = len(first), first.count(b"\n")
        while piece := answer.read(65536):
            size += len(piece)
            lines += piece.count(b"\n")
        total_s = time.perf_counter() - started
    conn.close()
    return {
        "status": answer.status,
        "first_byte_s": round(first_byte_s, 3),
        "total_s": round(total_s, 2),
        "bytes": size,
        "lines": lines,
        "rss_before_mib": round(before / 1024, 1),
        "rss_peak_mib": round(sampler.peak / 1024, 1),
        "rss_growth_mib": round((sampler.peak - before) / 1024, 1),
        "mib_per_s": round(size / total_s / 2**20, 1),
    }


def serve(store: Path, logs: Path, name: str, **env: str) -> harness.Server:
    server = harness.start(
        name,
        [str(VENV_BIN / "kringloop"), "--store-path", str(store), "serve", "--port", str(PORT)],
        ready_url=f"http://127.0.0.1:{PORT}/healthz",
        url=f"http://127.0.0.1:{PORT}",
        log=logs / f"{name}.log",
        env={"KRINGLOOP_DEMO_DATA": "false", **env},
    )
    assert server is not None, name
    harness.wait_prepared(f"http://127.0.0.1:{PORT}")
    return server


def million(store: Path, logs: Path) -> dict[str, Any]:
    say(f"streaming: building {ROWS:,} triples")
    build_store(store)
    select = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    construct = "CONSTRUCT WHERE { ?s ?p ?o }"
    found: dict[str, Any] = {}
    server = serve(store, logs, "streaming")
    try:
        found["select_csv"] = stream(server.pid, select, "text/csv")
        found["select_json"] = stream(server.pid, select, "application/sparql-results+json")
        found["construct_ntriples"] = stream(server.pid, construct, "application/n-triples")
    finally:
        server.stop()
    server = serve(store, logs, "capped", KRINGLOOP_MAX_RESULT_ROWS=str(2 * ROWS))
    try:
        found["select_csv_capped"] = stream(server.pid, select, "text/csv")
    finally:
        server.stop()
    for key, figures in found.items():
        say(f"streaming: {key}: {figures}")
    return found


def _latencies(conn: http.client.HTTPConnection, headers: dict[str, str]) -> dict[str, Any]:
    times: list[float] = []
    statuses: dict[int, int] = {}
    size = 0
    for _ in range(REPEATS):
        started = time.perf_counter()
        conn.request("GET", NAMED, headers=headers)
        answer = conn.getresponse()
        size = len(answer.read())
        times.append(time.perf_counter() - started)
        statuses[answer.status] = statuses.get(answer.status, 0) + 1
    summary = harness.summary(times)
    return {"statuses": statuses, "bytes": size, **summary}


def conditional(logs: Path) -> dict[str, Any]:
    store = WORK / "streaming" / "demo-store"
    shutil.rmtree(store, ignore_errors=True)
    harness.run(
        [str(VENV_BIN / "kringloop"), "--store-path", str(store), "init"], log=logs / "init.log"
    )
    server = serve(store, logs, "conditional")
    try:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        accept = {"Accept": "application/sparql-results+json"}
        conn.request("GET", NAMED, headers=accept)
        first = conn.getresponse()
        first.read()
        etag = first.getheader("ETag") or ""
        plain = _latencies(conn, accept)
        revalidated = _latencies(conn, {**accept, "If-None-Match": etag})
        conn.close()
    finally:
        server.stop()
    found = {"query": NAMED, "repeats": REPEATS, "plain": plain, "if_none_match": revalidated}
    say(f"streaming: 304: {found}")
    return found


def main() -> int:
    base = WORK / "streaming"
    logs = base / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    machine = harness.machine()
    run = {
        "machine": machine,
        "million": million(base / "million-store", logs),
        "conditional": conditional(logs),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }
    shutil.rmtree(base / "million-store", ignore_errors=True)
    OUT.write_text(json.dumps(run, indent=2) + "\n")
    full = harness.BENCH / "results.json"
    results = harness.BENCH / "RESULTS.md"
    if full.exists():
        results.write_text(report.render(json.loads(full.read_text())))
    else:  # only this section can be rendered
        results.write_text(results.read_text() + "\n".join(report.streaming(run)) + "\n")
    say(f"streaming: {OUT.name} and RESULTS.md written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
