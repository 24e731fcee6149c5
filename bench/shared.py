"""What one process computed, the next one finds: the first match per product type and the
census in a process that starts after another one read the same store.

``python bench/shared.py`` (``make bench-shared``) writes bench/shared.json and prints a
table; the figures go into bench/RESULTS.md with the machine description. Each size
(``BENCH_SHARED_ORGS``, default ``16000,100000`` organisations: ~1M and ~6M triples; stores
made once, as bench/verdict.py makes them) runs, each in a process of its own over the store
opened read-only, as a query worker does:

1. with nothing kept beside the store: the requests of bench/verdict.py, first time per
   product type (cold: read from the store, then kept), then the census (cold);
2. a new process, the same: what the first one kept is found (shared).

Rounds alternate the two, so both meet the same machine; the answers are compared.
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
from harness import VENV_BIN, WORK, say
from verdict import child, requests_for, store_for

PYTHON = VENV_BIN / "python"


def _round(store: Path, requests: Path) -> dict[str, Any]:
    shutil.rmtree(store / "kringloop-derived", ignore_errors=True)
    got: dict[str, Any] = {}
    got["match cold"] = child(PYTHON, "match", str(store), str(requests))
    got["census cold"] = child(PYTHON, "census", str(store))
    got["match shared"] = child(PYTHON, "match", str(store), str(requests))
    got["census shared"] = child(PYTHON, "census", str(store))
    for kind in ("match", "census"):
        cold, shared = got[f"{kind} cold"], got[f"{kind} shared"]
        same = {k: v for k, v in cold.items() if not k.endswith(("_ms", "seconds"))}
        assert same == {k: v for k, v in shared.items() if k in same}, (kind, cold, shared)
    kept = (store / "kringloop-derived").rglob("*.pickle")
    got["kept MiB"] = sum(p.stat().st_size for p in kept) / 2**20
    return got


def main() -> None:
    sizes = [int(x) for x in os.environ.get("BENCH_SHARED_ORGS", "16000,100000").split(",")]
    rounds = int(os.environ.get("BENCH_ROUNDS", "2"))
    WORK.mkdir(exist_ok=True)
    results: dict[str, Any] = {"machine": harness.machine(), "started": time.time(), "sizes": {}}
    for orgs in sizes:
        store = store_for(orgs)
        requests = WORK / f"shared-requests-{orgs}.json"
        requests.write_text(json.dumps(requests_for(WORK / f"gen-{orgs}.nt", wanted=8)))
        runs = []
        for round_no in range(rounds):
            runs.append(_round(store, requests))
            last = runs[-1]
            say(
                f"{orgs} orgs round {round_no}: first match p50 "
                f"{last['match cold']['cold_p50_ms']:.0f} ms cold, "
                f"{last['match shared']['cold_p50_ms']:.0f} ms shared; census "
                f"{last['census cold']['seconds']:.1f} s cold, "
                f"{last['census shared']['seconds']:.2f} s shared"
            )
        results["sizes"][str(orgs)] = runs
    Path(__file__).with_name("shared.json").write_text(json.dumps(results, indent=1))
    print("| orgs | first match p50 / p95, cold | shared | census, cold | shared | kept |")
    print("|---:|---:|---:|---:|---:|---:|")
    for orgs, runs in results["sizes"].items():
        for run in runs:
            mc, ms = run["match cold"], run["match shared"]
            print(
                f"| {int(orgs):,} | {mc['cold_p50_ms']:,.0f} / {mc['cold_p95_ms']:,.0f} ms "
                f"| {ms['cold_p50_ms']:,.0f} / {ms['cold_p95_ms']:,.0f} ms "
                f"| {run['census cold']['seconds']:.1f} s "
                f"| {run['census shared']['seconds']:.2f} s "
                f"| {run['kept MiB']:.0f} MiB |",
                file=sys.stdout,
            )


if __name__ == "__main__":
    main()
