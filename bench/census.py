"""One loop census per store version, shared by the command line, the service's workers and
its pages: how long each asker waits, cold and shared, at growing sizes.

``python bench/census.py`` (``make bench-census``) writes bench/census.json and prints a
table; the figures go into bench/RESULTS.md with the machine description. Per size
(``BENCH_CENSUS_ORGS``, default ``1000,10000,100000`` organisations; stores made once, as
bench/verdict.py makes them):

1. `kringloop loops --json` with nothing kept (cold), then `kringloop gaps --json` and
   `kringloop loops --json` again (each a new process: shared from disk);
2. `kringloop serve` on the same store, not preparing in the background (opening the store
   for writing is a new store version), then `GET /loops` as JSON (cold, in a query worker),
   `/loops/gaps` as JSON, the `/loops` and `/loops/gaps` pages, `/viz/loops` (shared), and
   `kringloop gaps --json` beside the running server (shared);
3. `kringloop serve` as configured by default (preparing in the background): how long after
   start the store is prepared, then `GET /loops` as JSON.

Every answer is checked against the cold one (the same loops, gaps and cells).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import harness
from harness import VENV_BIN, WORK, say
from verdict import store_for

KL = str(VENV_BIN / "kringloop")
TIMEOUT_S = 900


def _command(store: Path, *args: str) -> tuple[float, Any]:
    started = time.perf_counter()
    done = subprocess.run(
        [KL, "--store-path", str(store), *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return took, json.loads(done.stdout)


def _get(url: str, accept: str) -> tuple[float, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:
        body: bytes = answer.read()
    return time.perf_counter() - started, body


def _serve(store: Path, port: int, orgs: int, *, prepare: bool) -> harness.Server:
    server = harness.start(
        f"kringloop-{orgs}",
        [KL, "--store-path", str(store), "serve", "--port", str(port)],
        ready_url=f"http://127.0.0.1:{port}/healthz",
        url=f"http://127.0.0.1:{port}",
        log=WORK / f"census-serve-{orgs}.log",
        env={"KRINGLOOP_PREPARE_IN_BACKGROUND": "true" if prepare else "false"},
        timeout_s=600,
    )
    if server is None:
        raise RuntimeError(f"the server did not start; see {WORK}/census-serve-{orgs}.log")
    return server


def one_size(orgs: int, port: int) -> dict[str, Any]:
    store = store_for(orgs)
    shutil.rmtree(store / "kringloop-derived", ignore_errors=True)
    out: dict[str, Any] = {}
    out["cli loops (cold)"], cells = _command(store, "loops", "--json")
    out["cli gaps"], gaps = _command(store, "gaps", "--json")
    out["cli loops again"], cells_again = _command(store, "loops", "--json")
    assert cells_again == cells, "the shared census differs from the cold one"
    say(f"{orgs} orgs: command line {out}")
    server = _serve(store, port, orgs, prepare=False)
    base = f"http://127.0.0.1:{port}"
    try:
        took, body = _get(base + "/loops", "application/json")
        out["GET /loops json (cold)"] = took
        served = json.loads(body)
        assert served["cells"] == cells, "the service's census differs from the command line's"
        took, body = _get(base + "/loops/gaps", "application/json")
        out["GET /loops/gaps json"] = took
        assert json.loads(body)["gaps"] == gaps["gaps"]
        out["GET /loops page"], _ = _get(base + "/loops", "text/html")
        out["GET /loops/gaps page"], _ = _get(base + "/loops/gaps", "text/html")
        out["GET /viz/loops?cap=500"], _ = _get(base + "/viz/loops?cap=500", "text/html")
        out["cli gaps beside the server"], beside = _command(store, "gaps", "--json")
        assert beside == gaps
    finally:
        server.stop()
    server = _serve(store, port, orgs, prepare=True)
    try:
        out["serve: prepared after start"] = harness.wait_prepared(base, timeout_s=TIMEOUT_S)
        took, body = _get(base + "/loops", "application/json")
        out["GET /loops json (prepared)"] = took
        assert json.loads(body)["cells"] == cells
    finally:
        server.stop()
    kept = sum(p.stat().st_size for p in (store / "kringloop-derived").rglob("*.pickle"))
    out["kept MiB"] = kept / 2**20
    out["loops"] = sum(c["closed"] for c in cells)
    out["gaps"] = len(gaps["gaps"])
    say(f"{orgs} orgs: {out}")
    return out


def main() -> None:
    sizes = [int(x) for x in os.environ.get("BENCH_CENSUS_ORGS", "1000,10000,100000").split(",")]
    port = int(os.environ.get("BENCH_PORT", "8779"))
    WORK.mkdir(exist_ok=True)
    results: dict[str, Any] = {"machine": harness.machine(), "sizes": {}}
    for orgs in sizes:
        results["sizes"][str(orgs)] = one_size(orgs, port)
    (WORK / "census.json").write_text(json.dumps(results, indent=1))
    Path(__file__).with_name("census.json").write_text(json.dumps(results, indent=1))
    rows = list(next(iter(results["sizes"].values())))
    print("| figure | " + " | ".join(f"{int(o):,} orgs" for o in sizes) + " |", file=sys.stdout)
    print("|---|" + "---:|" * len(sizes))
    for row in rows:
        values = [results["sizes"][str(o)][row] for o in sizes]
        shown = [f"{v:.2f}" if isinstance(v, float) else f"{v:,}" for v in values]
        print(f"| {row} | " + " | ".join(shown) + " |")


if __name__ == "__main__":
    main()
