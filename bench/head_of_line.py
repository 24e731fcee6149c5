"""Lookups alongside runaway queries: does a cheap query wait behind them?

A real ``kringloop serve`` on an on-disk store with the demo data (3 query workers, a 3 s
query limit), and for R = 3 and then 6: R clients that keep a runaway query in flight (a
count over a three-way cross join of the whole store, which blocks inside the engine until
its worker is killed; each client sends the next as soon as its 504 comes), started at once,
with 4 clients sending a lookup after another alongside, for 15 s. A fresh server for each R.
Reported: the lookups' worst, p95 and median latency, how many got 503, and what the runaways
got back and when.

    .venv/bin/python bench/head_of_line.py                       # the code of this checkout
    .venv/bin/python bench/head_of_line.py --label before \\
        --kringloop /path/to/other/venv/bin/kringloop            # another version, for comparison

Figures go to bench/head_of_line.json (one entry per label, kept across runs) and into
bench/RESULTS.md (rendered again from bench/results.json, with this section).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path
from typing import Any

import harness
import report
from harness import VENV_BIN, WORK, say

PORT = 8111
WORKERS = 3
TIMEOUT_S = 3
RUNAWAYS = (3, 6)
LOOKUP_CLIENTS = 4
WINDOW_S = 15.0
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
OUT = harness.BENCH / "head_of_line.json"


def _post(conn: http.client.HTTPConnection, query: str) -> int:
    body = "query=" + urllib.parse.quote(query, safe="")
    conn.request(
        "POST",
        "/sparql",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/sparql-results+json",
        },
    )
    answer = conn.getresponse()
    answer.read()
    return answer.status


def _client(stop_at: float, query: str, log: list[tuple[float, float, int]]) -> None:
    """Send ``query`` one after another until ``stop_at``: (start, seconds, status) each."""
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    while time.perf_counter() < stop_at:
        started = time.perf_counter()
        try:
            status = _post(conn, query)
        except (OSError, http.client.HTTPException):
            status = 0
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        log.append((started, time.perf_counter() - started, status))
    conn.close()


def _lookup_query() -> str:
    """A lookup of one organisation of the demo data (found through the server)."""
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    text = "SELECT ?s WHERE { ?s a ?type } ORDER BY ?s LIMIT 1"
    conn.request(
        "POST",
        "/sparql",
        body="query=" + urllib.parse.quote(text, safe=""),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/sparql-results+json",
        },
    )
    subject = json.loads(conn.getresponse().read())["results"]["bindings"][0]["s"]["value"]
    conn.close()
    return f"SELECT ?p ?o WHERE {{ <{subject}> ?p ?o }} LIMIT 20"


def scenario(kringloop: str, runaways: int, store: Path, logs: Path) -> dict[str, Any]:
    """One fresh server, ``runaways`` runaway clients and the lookup clients for the window."""
    env = {
        "KRINGLOOP_STORE_PATH": str(store),
        "KRINGLOOP_DEMO_DATA": "false",
        "KRINGLOOP_UNION_DEFAULT_GRAPH": "true",
        "KRINGLOOP_QUERY_WORKERS": str(WORKERS),
        "KRINGLOOP_QUERY_TIMEOUT_S": str(TIMEOUT_S),
    }
    server = harness.start(
        "kringloop",
        [kringloop, "serve", "--port", str(PORT)],
        ready_url=f"http://127.0.0.1:{PORT}/healthz",
        url=f"http://127.0.0.1:{PORT}/sparql",
        log=logs / f"serve-{runaways}.log",
        env=env,
        timeout_s=120.0,
    )
    if server is None:
        raise RuntimeError(f"kringloop serve did not start; see {logs}")
    harness.wait_prepared(f"http://127.0.0.1:{PORT}")
    try:
        lookup = _lookup_query()
        warm: list[tuple[float, float, int]] = []
        _client(time.perf_counter() + 2.0, lookup, warm)  # every worker answers once
        load = os.getloadavg()
        started = time.perf_counter()
        stop_at = started + WINDOW_S
        lookups: list[tuple[float, float, int]] = []
        held: list[tuple[float, float, int]] = []
        threads = [
            threading.Thread(target=_client, args=(stop_at, RUNAWAY, held)) for _ in range(runaways)
        ] + [
            threading.Thread(target=_client, args=(stop_at, lookup, lookups))
            for _ in range(LOOKUP_CLIENTS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        memory = server.memory()
    finally:
        server.stop()
    latencies = [seconds for _, seconds, _ in lookups]
    first_504 = min((s + d for s, d, code in held if code == 504), default=None)
    figures: dict[str, Any] = {
        "runaways": runaways,
        "lookups": len(lookups),
        "lookup_worst_s": max(latencies),
        "lookup_p95_s": harness.percentile(latencies, 95),
        "lookup_p50_s": harness.percentile(latencies, 50),
        "lookup_statuses": dict(Counter(str(code) for _, _, code in lookups)),
        "lookup_503": sum(1 for _, _, code in lookups if code == 503),
        "lookups_before_first_504": sum(
            1 for s, d, code in lookups if code == 200 and first_504 and s + d < first_504
        ),
        "runaway_statuses": dict(Counter(str(code) for _, _, code in held)),
        "runaway_answer_s": {
            "min": min(d for _, d, _ in held),
            "median": harness.percentile([d for _, d, _ in held], 50),
            "max": max(d for _, d, _ in held),
        },
        "load_average_before": [round(x, 2) for x in load],
        "server_children_at_end": memory.get("children"),
    }
    say(
        f"  {runaways} runaways: {len(lookups)} lookups, worst {figures['lookup_worst_s']:.2f} s, "
        f"p95 {figures['lookup_p95_s'] * 1000:.0f} ms, {figures['lookup_503']} got 503; "
        f"runaways {figures['runaway_statuses']}, answered in "
        f"{figures['runaway_answer_s']['min']:.1f}-{figures['runaway_answer_s']['max']:.1f} s"
    )
    return figures


def machine() -> dict[str, Any]:
    """``nproc``, ``free -g``, the load average, the CPU and the code measured."""
    free = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.rstrip()
    return {
        "date": harness.machine()["date"],
        "cpu": harness.machine()["cpu"],
        "nproc": os.cpu_count(),
        "free_g": free,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _commit() -> str:
    done = subprocess.run(
        ["git", "-C", str(harness.ROOT), "log", "-1", "--format=%h %s"],
        capture_output=True,
        text=True,
    )
    outputs = [":!bench/RESULTS.md", ":!bench/head_of_line.json"]  # what a run writes
    dirty = subprocess.run(
        ["git", "-C", str(harness.ROOT), "status", "--porcelain", "-uno", "--", ".", *outputs],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return done.stdout.strip() + (" (with uncommitted changes)" if dirty else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="after", help="name of this run (before, after)")
    parser.add_argument(
        "--kringloop", default=str(VENV_BIN / "kringloop"), help="the kringloop command to serve"
    )
    parser.add_argument(
        "--code",
        default=_commit(),
        help="which code that command runs (default: this checkout's commit)",
    )
    options = parser.parse_args()
    base = WORK / "head-of-line"
    logs = base / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    store = base / f"store-{options.label}"
    shutil.rmtree(store, ignore_errors=True)
    harness.run([options.kringloop, "--store-path", str(store), "init"], log=logs / "init.log")
    say(f"head-of-line ({options.label}): {options.kringloop}")
    run: dict[str, Any] = {
        "kringloop": options.kringloop,
        "code": options.code,
        "machine": machine(),
    }
    for runaways in RUNAWAYS:
        run[str(runaways)] = scenario(options.kringloop, runaways, store, logs)
    run["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results = json.loads(OUT.read_text()) if OUT.exists() else {}
    results[options.label] = run
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    full = harness.BENCH / "results.json"
    if full.exists():  # RESULTS.md again, with this section
        (harness.BENCH / "RESULTS.md").write_text(report.render(json.loads(full.read_text())))
    say(f"head-of-line: {OUT.name} and RESULTS.md written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
