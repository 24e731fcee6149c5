"""The same work on the three backends: embedded pyoxigraph (on disk), Oxigraph server, Virtuoso.

Per backend: the demo bundle, then a generated market of about 300k triples loaded into its own
graph (load rate in triples/s), then the median latency of 20 runs (after two warm-up runs) of
a few named queries with their example values and of one matchmaking call, and one run of the
loop census. Servers are started here on free ports and stopped by PID. Prints progress and a
markdown table; writes bench/backends.json.

    .venv/bin/python -m bench.backends            # or: .venv/bin/python bench/backends.py
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

from kringloop.graph import OxigraphStore, Store
from kringloop.graph.bundle import initialise
from kringloop.graph.remote import SparqlConfig, SparqlStore
from kringloop.queries import loops
from kringloop.queries.catalog import load_catalog, run
from kringloop.queries.matchmaker import match
from kringloop.queries.request import MatchRequest

ROOT = Path(__file__).resolve().parent.parent
ORGS = 4_700  # about 300k triples
QUERIES = ("organisations-by-role", "market-scan", "loop-closes", "refurbishers-near-place")
RUNS, WARM_UP = 20, 2
CENSUS_LIMIT_S = 120.0
REQUEST = {"what": "bureaustoelen", "near": "Hasselt", "within_km": 50, "quantity": 40}
TODAY = date(2026, 11, 1)
GENERATED = ox.NamedNode("https://example.org/kringloop/graph/generated")
#: The bench Virtuoso: stock settings except its own files and ports, and a row cap of 100k.
VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
NumberOfBuffers = 170000
MaxDirtyBuffers = 130000
DirsAllowed = ., {dir}
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
[SPARQL]
ResultSetMaxRows = 100000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime = 120
"""


def say(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _binary(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(found).exists():
        raise SystemExit(f"{name} is not installed")
    return found


def _ready(process: subprocess.Popen[bytes], url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url}: the server exited")
        try:
            if httpx.get(url, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not become ready")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()  # by PID: only the process started here
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


@contextmanager
def embedded(folder: Path) -> Iterator[Store]:
    store = OxigraphStore.open(folder / "embedded")
    try:
        yield store
    finally:
        store.close()


@contextmanager
def oxigraph_server(folder: Path) -> Iterator[Store]:
    port = free_port()
    process = subprocess.Popen(
        [
            _binary("oxigraph"),
            "serve",
            "--location",
            str(folder / "oxigraph"),
            "--bind",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _ready(process, f"{base}/query", 30)
        yield SparqlStore(SparqlConfig.for_server(base, "oxigraph", timeout_s=600))
    finally:
        _stop(process)


@contextmanager
def virtuoso(folder: Path) -> Iterator[Store]:
    home = folder / "virtuoso"
    home.mkdir()
    sql_port, http_port = free_port(), free_port()
    ini = home / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(dir=home, sql_port=sql_port, http_port=http_port))
    process = subprocess.Popen(
        [_binary("virtuoso-t"), "+foreground", "+configfile", str(ini)],
        cwd=home,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{http_port}"
        _ready(process, f"{base}/sparql", 120)
        subprocess.run(
            [
                _binary("isql-vt"),
                f"127.0.0.1:{sql_port}",
                "dba",
                "dba",
                'exec=GRANT SPARQL_UPDATE TO "SPARQL";',
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield SparqlStore(
            SparqlConfig.for_server(base, "virtuoso", max_rows=100_000, timeout_s=600)
        )
    finally:
        _stop(process)


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    result = call()
    if isinstance(result, ox.QuerySolutions):
        list(result)
    return time.perf_counter() - started


def median_ms(call: Callable[[], object]) -> float:
    for _ in range(WARM_UP):
        timed(call)
    return round(statistics.median(timed(call) for _ in range(RUNS)) * 1000, 1)


def census_ms(store: Store) -> float | None:
    """One run of the census; None when it takes longer than the limit."""
    seconds = timed(lambda: loops.census(store))
    return round(seconds * 1000, 1) if seconds < CENSUS_LIMIT_S else None


def measure(name: str, store: Store, data: Path, triples: int) -> dict[str, Any]:
    say(f"[{name}] demo bundle")
    initialise(store)
    say(f"[{name}] loading {triples} triples")
    seconds = timed(lambda: store.bulk_load(data, ox.RdfFormat.N_TRIPLES, graph=GENERATED))
    loaded = store.count(GENERATED)
    row: dict[str, Any] = {
        "backend": name,
        "triples": loaded,
        "load_s": round(seconds, 1),
        "load_triples_per_s": round(loaded / seconds),
    }
    say(f"[{name}] {loaded} triples in {seconds:.1f} s")
    catalog = load_catalog()
    for query_name in QUERIES:
        query = catalog.get(query_name)
        values = query.example_values()
        row[query_name] = median_ms(lambda: run(store, query, values))  # noqa: B023
        say(f"[{name}] {query_name}: {row[query_name]} ms")
    request = MatchRequest.model_validate(REQUEST)
    steps: dict[str, Callable[[], float | None]] = {
        "match": lambda: median_ms(lambda: match(store, request, today=TODAY)),
        "census": lambda: census_ms(store),
    }
    for step, call in steps.items():
        try:
            row[step] = call()
        except Exception as err:  # a failure is a result here, reported in the table
            row[step], row[f"{step}_error"] = None, f"{type(err).__name__}: {err}"[:300]
        say(f"[{name}] {step}: {row[step]} ms {row.get(step + '_error', '')}")
    return row


def _cell(row: dict[str, Any], column: str) -> str:
    if row.get(column) is not None:
        return str(row[column])
    return "failed" if row.get(f"{column}_error") else "skipped (> 2 min)"


def table(rows: list[dict[str, Any]]) -> str:
    columns = ["load_triples_per_s", *QUERIES, "match", "census"]
    head = "| backend | triples/s (load) | " + " | ".join(f"{c} (ms)" for c in columns[1:]) + " |"
    lines = [head, "|" + "---|" * (len(columns) + 1)]
    for r in rows:
        cells = [r["backend"], *(_cell(r, c) for c in columns)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    backends = {"embedded": embedded, "oxigraph-server": oxigraph_server, "virtuoso": virtuoso}
    with tempfile.TemporaryDirectory(prefix="kringloop-bench-") as tmp:
        folder = Path(tmp)
        data = folder / "generated.nt"
        say(f"generating {ORGS} organisations")
        subprocess.run(
            [
                str(Path(sys.executable).parent / "kringloop"),
                "generate",
                "--orgs",
                str(ORGS),
                "--out",
                str(data),
            ],
            check=True,
            capture_output=True,
        )
        triples = sum(1 for _ in data.open("rb"))
        rows, loads = [], []
        for name, open_backend in backends.items():
            loads.append(os.getloadavg())
            with open_backend(folder) as store:
                rows.append(measure(name, store, data, triples))
            loads.append(os.getloadavg())
    report = {
        "runs": RUNS,
        "warm_up": WARM_UP,
        "generated_triples": triples,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_1_5_15_before_after_each_backend": [
                [round(x, 2) for x in load] for load in loads
            ],
        },
        "rows": rows,
    }
    (ROOT / "bench" / "backends.json").write_text(json.dumps(report, indent=2) + "\n")
    say("")
    say(table(rows))
    say(f"\nload average (1/5/15 min) around each backend: {report['machine']}")


if __name__ == "__main__":
    main()
