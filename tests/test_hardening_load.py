"""Load on loopback: 16 concurrent clients for 60 s on a mix of queries, matchmaking and pages,
against the real server (on-disk store, worker processes). No errors; latency percentiles.

Run alone to print the table that bench/RESULTS.md quotes:
``pytest -q -s tests/test_hardening_load.py``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import free_port
from tests.test_serve import wait_for

CLIENTS = 16
SECONDS = float(os.environ.get("KRINGLOOP_LOAD_SECONDS", "60"))
ID = "https://w3id.org/kringloop/id/"

#: (name, method, path, JSON body or None); picked round-robin with these weights.
MIX: list[tuple[str, str, str, object, int]] = [
    (
        "sparql lookup",
        "GET",
        "/sparql?query="
        + quote(
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
            "SELECT ?l WHERE { GRAPH ?g { ?s rdfs:label ?l } } LIMIT 5"
        ),
        None,
        6,
    ),
    (
        "sparql count",
        "GET",
        "/sparql?query="
        + quote("SELECT ?c (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s a ?c } } GROUP BY ?c"),
        None,
        2,
    ),
    (
        "named query",
        "GET",
        "/queries/organisations-by-role?role=" + quote(ID + "role/refurbisher"),
        None,
        3,
    ),
    ("match", "POST", "/match", {"what": "office chairs", "near": "Gent", "within_km": 100}, 1),
    ("page /", "GET", "/", None, 1),
    ("page /queries", "GET", "/queries", None, 1),
    ("page /ontology", "GET", "/ontology", None, 1),
]


async def client(
    base: str, stop_at: float, seed: int, results: dict[str, list[float]], errors: list[str]
) -> None:
    plan = [entry for entry in MIX for _ in range(entry[4])]
    index = seed
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.monotonic() < stop_at:
            name, method, path, body, _ = plan[index % len(plan)]
            index += 1
            headers = {"Accept": "text/html"} if name.startswith("page") else {}
            started = time.perf_counter()
            try:
                response = await http.request(method, path, json=body, headers=headers)
            except httpx.HTTPError as err:
                errors.append(f"{name}: {err!r}")
                continue
            took = time.perf_counter() - started
            if response.status_code >= 400:
                errors.append(f"{name}: {response.status_code} {response.text[:200]}")
            results.setdefault(name, []).append(took)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def report(results: dict[str, list[float]], seconds: float) -> str:
    lines = [
        "| request | count | req/s | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    everything = [v for values in results.values() for v in values]
    for name, values in [*sorted(results.items()), ("all", everything)]:
        lines.append(
            f"| {name} | {len(values)} | {len(values) / seconds:.1f} | "
            f"{statistics.median(values) * 1000:.0f} | {percentile(values, 95) * 1000:.0f} | "
            f"{percentile(values, 99) * 1000:.0f} |"
        )
    return "\n".join(lines)


@pytest.mark.slow
def test_sixteen_clients_for_a_minute_without_errors(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "KRINGLOOP_STORE_PATH": str(tmp_path / "store"),
        "KRINGLOOP_QUERY_WORKERS": "3",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "kringloop.service.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/healthz", process, timeout=120)
        results: dict[str, list[float]] = {}
        errors: list[str] = []

        async def run() -> None:
            stop_at = time.monotonic() + SECONDS
            await asyncio.gather(
                *(client(base, stop_at, seed, results, errors) for seed in range(CLIENTS))
            )

        started = time.monotonic()
        asyncio.run(run())
        elapsed = time.monotonic() - started
        table = report(results, elapsed)
        total = sum(map(len, results.values()))
        print(f"\n{CLIENTS} clients, {elapsed:.0f} s, {total} requests\n{table}")
        assert not errors, errors[:10]
        assert all(results.get(name) for name, *_ in MIX)
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
