"""The loop verdict at scale: matchmaking at 1M triples and the census at 100k organisations,
this checkout against another one (``BENCH_BASE=/path/to/checkout`` with its own .venv), in
one run, interleaved.

``python bench/verdict.py`` writes bench/work/verdict.json and prints a table; the figures go
into bench/RESULTS.md by hand, with the machine description. Each system runs in its own
process over the same on-disk stores (opened read-only), one request at a time: the first
request per product type (the cold cost: its facts are read from the store) and the same
requests again (warm: from the kept facts).

``BENCH_VERDICT_ORGS`` sets the sizes (default ``16000,100000``: ~1M triples for matching,
~6M for the census).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import harness
from harness import VENV_BIN, WORK, say

CHILD = Path(__file__).with_name("verdict_child.py")


def store_for(orgs: int) -> Path:
    """An on-disk store with the demo data and ``orgs`` generated organisations (made once)."""
    target = WORK / f"verdict-{orgs}"
    if (target / "CURRENT").exists():
        return target
    data = WORK / f"gen-{orgs}.nt"
    if not data.exists():
        say(f"generating {orgs} organisations")
        harness.run(
            [str(VENV_BIN / "kringloop"), "generate", "--orgs", str(orgs), "--out", str(data)],
            log=WORK / "generate.log",
        )
    say(f"loading {data.name} into {target.name}")
    kl = [str(VENV_BIN / "kringloop"), "--store-path", str(target)]
    harness.run([*kl, "init"], log=WORK / "verdict-load.log")
    harness.run([*kl, "load", "--no-validate", str(data)], log=WORK / "verdict-load.log")
    return target


def requests_for(data: Path, wanted: int = 12) -> list[dict[str, Any]]:
    """Requests at the sites of offers of different product types (as bench/phases.py)."""
    from phases import _TRIPLE

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
    found, seen = [], set()
    for offer, product in offered.items():
        site = site_of.get(offer)
        if site is None or product in seen or len(coords.get(site, {})) < 2:
            continue
        seen.add(product)
        at = coords[site]
        found.append({"what": product, "lat": at["lat"], "long": at["long"], "within_km": 50})
        if len(found) == wanted:
            break
    return found


def child(python: Path, *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [str(python), str(CHILD), *args], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    base = Path(os.environ.get("BENCH_BASE", ""))
    systems = {"this": VENV_BIN / "python"}
    if base and (base / ".venv" / "bin" / "python").exists():
        systems["base"] = base / ".venv" / "bin" / "python"
    sizes = [int(x) for x in os.environ.get("BENCH_VERDICT_ORGS", "16000,100000").split(",")]
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    WORK.mkdir(exist_ok=True)
    results: dict[str, Any] = {"machine": harness.machine(), "started": time.time()}
    match_store = store_for(sizes[0])
    requests = requests_for(WORK / f"gen-{sizes[0]}.nt")
    (WORK / "verdict-requests.json").write_text(json.dumps(requests))
    for round_no in range(rounds):
        for name, python in systems.items():
            got = child(python, "match", str(match_store), str(WORK / "verdict-requests.json"))
            results.setdefault("match", {}).setdefault(name, []).append(got)
            say(
                f"match {name} round {round_no}: cold p50 {got['cold_p50_ms']:.0f} ms, warm "
                f"p50 {got['warm_p50_ms']:.1f} ms p95 {got['warm_p95_ms']:.1f} ms"
            )
    for orgs in sizes[1:]:
        census_store = store_for(orgs)
        for round_no in range(rounds):
            for name, python in systems.items():
                # cold: not the census another process kept beside the store
                shutil.rmtree(census_store / "kringloop-derived", ignore_errors=True)
                got = child(python, "census", str(census_store))
                results.setdefault("census", {}).setdefault(name, []).append(got)
                say(f"census {orgs} {name} round {round_no}: {got['seconds']:.1f} s {got}")
    (WORK / "verdict.json").write_text(json.dumps(results, indent=1))
    say(f"wrote {WORK / 'verdict.json'}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
