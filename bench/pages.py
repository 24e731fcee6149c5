"""Graph pages at scale: ``/viz/neighbourhood`` and ``/viz/loops`` on a real `kringloop serve`,
this checkout against another one (``BENCH_BASE=/path/to/checkout`` with its own .venv).

    .venv/bin/python bench/pages.py     # figures to bench/pages.json, a section in RESULTS.md

Two tiers, generated with ``kringloop generate --seed 1`` and bulk loaded as bench/run.py does
(``init``, then ``load --no-validate``): 1,600 organisations (~100k triples) and 16,000 (~1M).
``BENCH_PAGES_ORGS`` sets them. Each system serves its own copy of the store (on disk, worker
processes, the union default graph, a 120 s query time limit) on 127.0.0.1, in its own process.
The cases: the neighbourhood of the busiest organisation of the data (the one named in most
triples) at depth 1 and 2 (the default cap, 500), and the loop page capped at 500 and at 2,000
nodes. Requests go one at a time, systems interleaved: a first request per case (cold: the
census, caches, fresh workers), then ``BENCH_ROUNDS`` timed ones (default 5).

Bounded runs: each request has a client timeout (``BENCH_PAGES_TIMEOUT_S``, default 200 s). A
system whose first answer took longer than ``SLOW_S`` is asked once only. One that gives no answer
in time is stopped (by its pid) and started again, since a page that runs outside the query
workers keeps its thread and a core after the client has gone; its larger loop pages in that tier
are then not tried (they read at least as much).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from pathlib import Path
from typing import Any

import harness
import report
from harness import VENV_BIN, WORK, say

OUT = harness.BENCH / "pages.json"
TIERS = {"100k": 1_600, "1M": 16_000}
SEED = 1
PORTS = {"this": 8131, "base": 8132}
#: a first answer slower than this is not repeated
SLOW_S = 30.0
CAPS = (500, 2000)
_ORG = re.compile(rb"<(https://example\.org/kringloop/gen/organisation/\d+)>")
_DATA = re.compile(r'<script type="application/json" id="viz-data">(.*?)</script>', re.S)
_CAP = re.compile(r'id="cap"[^>]*>([^<]*)<')


def store_for(orgs: int) -> tuple[Path, Path]:
    """The generated file and an on-disk store of ``orgs`` organisations (made once)."""
    data = WORK / f"gen-{orgs}.nt"
    if not data.exists():
        say(f"generating {orgs} organisations → {data.name}")
        partial = data.with_suffix(".part")
        command = [str(VENV_BIN / "kringloop"), "generate", "--orgs", str(orgs)]
        harness.run([*command, "--seed", str(SEED), "--out", str(partial)], log=WORK / "gen.log")
        partial.rename(data)
    target = WORK / f"pages-{orgs}"
    if not (target / "CURRENT").exists():
        say(f"loading {data.name} into {target.name}")
        shutil.rmtree(target, ignore_errors=True)
        kl = [str(VENV_BIN / "kringloop"), "--store-path", str(target)]
        harness.run([*kl, "init"], log=WORK / "pages-load.log")
        harness.run([*kl, "load", "--no-validate", str(data)], log=WORK / "pages-load.log")
    return data, target


def busiest(data: Path) -> str:
    """The organisation named in most triples of ``data`` (the smallest IRI of a tie)."""
    counts: Counter[bytes] = Counter()
    with data.open("rb") as lines:
        for line in lines:
            counts.update(_ORG.findall(line))
    top = max(counts.values())
    return min(iri for iri, n in counts.items() if n == top).decode()


class System:
    """One checkout's `kringloop serve` over its own copy of a store."""

    def __init__(self, name: str, root: Path, store: Path, logs: Path) -> None:
        self.name = name
        self.kringloop = root / ".venv" / "bin" / "kringloop"
        self.port = PORTS[name]
        self.store = store
        self.logs = logs
        self.server: harness.Server | None = None
        self.restarts = 0

    def start(self) -> None:
        env = {
            "KRINGLOOP_UNION_DEFAULT_GRAPH": "true",
            "KRINGLOOP_DEMO_DATA": "false",
            "KRINGLOOP_STORE_PATH": str(self.store),
            "KRINGLOOP_QUERY_TIMEOUT_S": "120",
        }
        command = [str(self.kringloop), "serve", "--port", str(self.port)]
        self.server = harness.start(
            self.name,
            command,
            ready_url=f"http://127.0.0.1:{self.port}/healthz",
            url=f"http://127.0.0.1:{self.port}",
            log=self.logs / f"{self.name}-{self.restarts}.log",
            env=env,
            timeout_s=180.0,
        )
        if self.server is None:
            raise RuntimeError(f"{self.name} did not start; see {self.logs}")
        say(f"  {self.name} ready in {self.server.started_s:.1f} s (pid {self.server.pid})")

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def restart(self) -> None:
        self.stop()
        self.restarts += 1
        self.start()

    def get(self, path: str, timeout_s: float) -> dict[str, Any]:
        """One page: seconds, status, nodes and edges drawn, the cap message (None: timeout)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout_s)
        started = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Accept": "text/html"})
            answer = conn.getresponse()
            body = answer.read().decode("utf-8", "replace")
        except TimeoutError:
            return {"seconds": None, "status": None, "timed_out_after_s": timeout_s}
        finally:
            conn.close()
        took = time.perf_counter() - started
        found: dict[str, Any] = {"seconds": round(took, 4), "status": answer.status}
        data = _DATA.search(body)
        if data is not None:
            drawn = json.loads(data.group(1))
            found["nodes"] = len(drawn["nodes"])
            found["edges"] = len(drawn["edges"])
        cap = _CAP.search(body)
        found["cap_message"] = cap.group(1).strip() if cap and cap.group(1).strip() else None
        return found


def cases(centre: str) -> list[tuple[str, str]]:
    iri = urllib.parse.quote(centre, safe="")
    found = [
        (f"neighbourhood depth {d}", f"/viz/neighbourhood?iri={iri}&depth={d}&lang=en")
        for d in (1, 2)
    ]
    return found + [(f"loops cap {c}", f"/viz/loops?cap={c}&lang=en") for c in CAPS]


def measure(
    systems: list[System], todo: list[tuple[str, str]], *, rounds: int, timeout_s: float
) -> dict[str, Any]:
    """Every case on every system: a first request, then ``rounds`` timed ones, interleaved."""
    out: dict[str, Any] = {}
    given_up: set[tuple[str, str]] = set()  # (system, family) that ran out of time
    for case, path in todo:
        family = case.split(" ")[0]
        figures: dict[str, Any] = {}
        for system in systems:
            if (system.name, family) in given_up:
                figures[system.name] = {"not_tried": "a smaller page of this kind timed out"}
                say(f"  {case} {system.name}: not tried")
                continue
            first = system.get(path, timeout_s)
            figures[system.name] = {"first": first, "runs": []}
            if first["seconds"] is None:
                given_up.add((system.name, family))
                say(f"  {case} {system.name}: no answer in {timeout_s:.0f} s; restarting")
                system.restart()
            else:
                say(f"  {case} {system.name}: first {first['seconds']:.2f} s {first}")
        for round_no in range(rounds):
            for system in systems:
                f = figures[system.name]
                first = f.get("first")
                if first is None or first["seconds"] is None or first["seconds"] > SLOW_S:
                    continue
                got = system.get(path, timeout_s)
                f["runs"].append(got)
                shown = f"{got['seconds']:.3f} s" if got["seconds"] is not None else "timeout"
                say(f"  {case} {system.name} round {round_no}: {shown}")
                if got["seconds"] is None:
                    system.restart()
        for f in figures.values():
            if "first" not in f:
                continue
            times = [r["seconds"] for r in f["runs"] if r["seconds"] is not None]
            if not times and f["first"]["seconds"] is not None:
                times = [f["first"]["seconds"]]  # asked once: too slow to repeat
                f["once"] = True
            f["seconds"] = harness.summary(times) if times else None
        out[case] = figures
    return out


def main() -> int:
    base = Path(os.environ.get("BENCH_BASE", ""))
    roots = {"this": harness.ROOT}
    if str(base) not in ("", ".") and (base / ".venv" / "bin" / "kringloop").exists():
        roots["base"] = base
    tiers = {
        name: orgs
        for name, orgs in TIERS.items()
        if str(orgs) in os.environ.get("BENCH_PAGES_ORGS", ",".join(map(str, TIERS.values())))
    }
    rounds = int(os.environ.get("BENCH_ROUNDS", "5"))
    timeout_s = float(os.environ.get("BENCH_PAGES_TIMEOUT_S", "200"))
    WORK.mkdir(exist_ok=True)
    run: dict[str, Any] = {
        "machine": harness.machine(),
        "systems": {n: _describe(r) for n, r in roots.items()},
        "rounds": rounds,
        "timeout_s": timeout_s,
        "tiers": {},
    }
    started = time.perf_counter()
    for tier, orgs in tiers.items():
        data, store = store_for(orgs)
        centre = busiest(data)
        say(f"{tier}: {orgs} organisations, centre {centre}")
        logs = WORK / "pages" / tier
        logs.mkdir(parents=True, exist_ok=True)
        systems = []
        for name, root in roots.items():
            copy = WORK / "pages" / f"{tier}-{name}-store"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(store, copy)
            systems.append(System(name, root, copy, logs))
        try:
            for system in systems:
                system.start()
            figures = measure(systems, cases(centre), rounds=rounds, timeout_s=timeout_s)
            memory = {s.name: s.server.memory() for s in systems if s.server is not None}
        finally:
            for system in systems:
                system.stop()
        run["tiers"][tier] = {
            "organisations": orgs,
            "triples": _lines(data),
            "centre": centre,
            "cases": figures,
            "memory_kib": memory,
        }
        for system in systems:
            shutil.rmtree(system.store, ignore_errors=True)
        OUT.write_text(json.dumps(run, indent=1) + "\n")  # what is done so far
    run["elapsed_s"] = round(time.perf_counter() - started, 1)
    run["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    OUT.write_text(json.dumps(run, indent=1) + "\n")
    _render()
    say(f"wrote {OUT.name} and RESULTS.md")
    return 0


def _describe(root: Path) -> dict[str, str]:
    done = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return {"path": str(root), "commit": done.stdout.strip()}


def _lines(path: Path) -> int:
    with path.open("rb") as data:
        return sum(1 for _ in data)


def _render() -> None:
    full = harness.BENCH / "results.json"
    results = harness.BENCH / "RESULTS.md"
    if full.exists():
        results.write_text(report.render(json.loads(full.read_text())))
    else:  # only this section can be rendered
        section = report.pages(json.loads(OUT.read_text()))
        results.write_text(results.read_text() + "\n".join(section) + "\n")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    raise SystemExit(main())
