"""eForms notices imported per second (`kringloop import eforms`, in-process, on-disk store).

A directory of 1,000 notice variants generated from the eForms SDK's example notices
(`kringloop.data.notices`, with a progress bar), imported into a fresh on-disk store holding
the demo data: with the check against the SHACL shapes (as `kringloop import eforms` does by
default), without it (``--no-validate``), and the same directory again (every notice
unchanged). Also the eleven valid SDK examples themselves, each import repeated into a fresh
store. Reading (lxml) and mapping are timed apart from writing.

    .venv/bin/python bench/eforms.py            # ~1-2 min on 2 cores
    .venv/bin/python bench/eforms.py --count 200

Figures go to bench/eforms.json and into bench/RESULTS.md (rendered again from
bench/results.json, with this section).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

import harness
import report
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from kringloop.data.notices import write_variants
from kringloop.graph.bundle import initialise
from kringloop.graph.eforms.imports import import_files
from kringloop.graph.eforms.read import read_file
from kringloop.graph.store import OxigraphStore
from kringloop.graph.validate import for_store

FIXTURES = harness.ROOT / "tests" / "fixtures" / "eforms"
WORK = harness.BENCH / "work" / "eforms"
OUT = harness.BENCH / "eforms.json"
console = Console(stderr=True)


def _bar() -> Progress:
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    return Progress(*columns, console=console, transient=True)


def _fresh_store(name: str) -> OxigraphStore:
    path = WORK / name
    shutil.rmtree(path, ignore_errors=True)
    store = OxigraphStore.open(path)
    initialise(store)
    return store


def _import(
    files: list[Path], store: OxigraphStore, *, validate: bool, label: str
) -> dict[str, Any]:
    validator = for_store(store) if validate else None
    with _bar() as bar:
        task = bar.add_task(label, total=len(files))
        start = time.perf_counter()
        results = import_files(
            store, files, validator=validator, progress=lambda n: bar.advance(task, n)
        )
        seconds = time.perf_counter() - start
    return {
        "notices": len(files),
        "seconds": round(seconds, 3),
        "per_second": round(len(files) / seconds, 1),
        "statuses": dict(Counter(r.status for r in results)),
        "lots": sum(len(r.needs) for r in results),
        "awards": sum(r.awards for r in results),
        "quads": store.count(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="generated notices")
    options = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    examples = sorted(p for p in FIXTURES.glob("*.xml") if not p.name.startswith("INVALID"))
    run: dict[str, Any] = {"machine": harness.machine(), "count": options.count}

    directory = WORK / "notices"
    shutil.rmtree(directory, ignore_errors=True)
    with _bar() as bar:
        task = bar.add_task(f"generating {options.count} notices", total=1)
        start = time.perf_counter()
        files = write_variants(examples, directory, count=options.count, seed=1)
        bar.advance(task)
    run["generate"] = {
        "seconds": round(time.perf_counter() - start, 3),
        "bytes": sum(p.stat().st_size for p in files),
    }

    start = time.perf_counter()
    with _bar() as bar:
        task = bar.add_task("reading", total=len(files))
        for path in files:
            read_file(path)
            bar.advance(task)
    read_s = time.perf_counter() - start
    run["read"] = {"seconds": round(read_s, 3), "per_second": round(len(files) / read_s, 1)}

    store = _fresh_store("store-validated")
    run["validated"] = _import(files, store, validate=True, label="importing, checked")
    run["again"] = _import(files, store, validate=True, label="importing again")
    store.close()
    store = _fresh_store("store-unchecked")
    run["unchecked"] = _import(files, store, validate=False, label="importing, unchecked")
    store.close()

    rounds = []
    for n in range(5):
        store = _fresh_store(f"store-examples-{n}")
        rounds.append(_import(examples, store, validate=True, label="SDK examples"))
        store.close()
    run["examples"] = {
        "notices": len(examples),
        "per_second": harness.summary([r["per_second"] for r in rounds]),
    }
    run["load_average_at_end"] = [round(x, 2) for x in __import__("os").getloadavg()]
    OUT.write_text(json.dumps(run, indent=2) + "\n")
    full = harness.BENCH / "results.json"
    if full.exists():
        (harness.BENCH / "RESULTS.md").write_text(report.render(json.loads(full.read_text())))
    console.print(json.dumps({k: v for k, v in run.items() if k != "machine"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
