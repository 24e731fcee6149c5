"""Shared parts of the benchmarks: statistics, the machine, servers as child processes, wrk."""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / "work"
VENV_BIN = ROOT / ".venv" / "bin"
PEERS_BIN = WORK / "peers" / "bin"
LUA = BENCH / "post.lua"


def say(message: str) -> None:
    """One progress line, with the time of day."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation between closest ranks.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50)
    2.5
    """
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: Sequence[float]) -> dict[str, Any]:
    """Median and p95 of repeated runs, and the runs themselves."""
    return {
        "median": percentile(values, 50),
        "p95": percentile(values, 95),
        "runs": [round(v, 6) for v in values],
    }


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            mem_kb = int(line.split()[1])
    packages = {}
    for name in ("kringloop", "pyoxigraph", "fastapi", "uvicorn", "starlette", "rdflib", "pyvis"):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = "not installed"
    peers = _peer_versions()
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": _os_name(),
        "python": platform.python_version(),
        "packages": packages,
        "peers": peers,
        "load_average_at_start": list(os.getloadavg()),
    }


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.system()


def _peer_versions() -> dict[str, str]:
    found: dict[str, str] = {}
    python = PEERS_BIN / "python"
    if python.exists():
        code = (
            "from importlib import metadata as m\n"
            "for n in ('oxigraph', 'rdflib-endpoint', 'rdflib'):\n"
            "    print(n, m.version(n))"
        )
        result = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
        for line in result.stdout.splitlines():
            name, version = line.split()
            found[name] = version
    for tool, args in (("wrk", ["-v"]), ("chromium", ["--version"])):
        path = shutil.which(tool)
        if path:
            out = subprocess.run([path, *args], capture_output=True, text=True)
            found[tool] = (out.stdout or out.stderr).splitlines()[0].strip()
    return found


@dataclass
class Server:
    """A server this harness started (stopped by its own pid only)."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    started_s: float

    @property
    def pid(self) -> int:
        return self.process.pid

    def memory(self) -> dict[str, int]:
        """VmHWM (peak) and VmRSS of the server process, and the same summed over its child
        processes (query workers), in KiB."""
        found = _status(self.pid)
        children = _children(self.pid)
        found["children"] = len(children)
        for key in ("VmHWM", "VmRSS"):
            found[f"children_{key}"] = sum(_status(c).get(key, 0) for c in children)
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


def _status(pid: int) -> dict[str, int]:
    found = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key = line.split(":", 1)[0]
            if key in ("VmHWM", "VmRSS"):
                found[key] = int(line.split()[1])
    except OSError:
        pass
    return found


def _children(pid: int) -> list[int]:
    """All descendants of ``pid``."""
    found: list[int] = []
    pending = [pid]
    while pending:
        current = pending.pop()
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                kids = [int(k) for k in task.read_text().split()]
            except OSError:
                continue
            found += kids
            pending += kids
    return found


def start(
    name: str,
    command: Sequence[str],
    *,
    ready_url: str,
    url: str,
    log: Path,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 120.0,
) -> Server | None:
    """Start ``command`` and wait until ``ready_url`` answers; None if it does not in time."""
    merged = {**os.environ, **(env or {})}
    started = time.perf_counter()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            list(command), stdout=sink, stderr=subprocess.STDOUT, env=merged, cwd=str(WORK)
        )
    server = Server(name, process, url, 0.0)
    deadline = started + timeout_s
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            say(f"{name} exited with {process.returncode}; see {log}")
            return None
        try:
            with urllib.request.urlopen(ready_url, timeout=5) as answer:
                if answer.status < 500:
                    server.started_s = time.perf_counter() - started
                    return server
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    say(f"{name} not ready within {timeout_s:.0f} s: stopped")
    server.stop()
    return None


def wait_prepared(base_url: str, *, timeout_s: float = 900.0) -> float:
    """Wait until the kringloop server at ``base_url`` has prepared its store in the
    background (`kringloop.service.preparing`, as ``/healthz`` says), so that measurements do
    not share the machine with it; the seconds waited (none when it does not prepare)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout_s:
        with urllib.request.urlopen(base_url + "/healthz", timeout=30) as answer:
            prepared = json.loads(answer.read())["prepared"]
        if not prepared["on"] or prepared["done"]:
            return time.perf_counter() - started
        time.sleep(0.2)
    say(f"{base_url} did not prepare its store within {timeout_s:.0f} s")
    return time.perf_counter() - started


def wrk(
    url: str,
    bodies: Path,
    *,
    content_type: str,
    accept: str = "application/json",
    connections: int,
    duration_s: int,
    timeout_s: int = 10,
) -> dict[str, Any]:
    """One wrk run POSTing the lines of ``bodies`` in turn; req/s and latency percentiles."""
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{duration_s}s",
        f"--timeout={timeout_s}s",
        "-s",
        str(LUA),
        url,
    ]
    env = {
        **os.environ,
        "BODIES": str(bodies),
        "CONTENT_TYPE": content_type,
        "ACCEPT": accept,
    }
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=duration_s + 60)
    for line in done.stdout.splitlines():
        if line.startswith("JSON "):
            result: dict[str, Any] = json.loads(line[5:])
            # wrk counts a timed-out request as an error but not always as a request
            result["ok"] = max(0, result["requests"] - result["errors"])
            result["rps"] = result["ok"] / result["duration_s"] if result["duration_s"] else 0.0
            return result
    raise RuntimeError(f"wrk gave no result: {done.stdout} {done.stderr}")


def post(url: str, body: bytes, content_type: str, *, timeout_s: float = 60.0) -> bytes:
    """One POST, for checks outside the load runs."""
    request = urllib.request.Request(
        url,
        data=body,
        headers={"Content-Type": content_type, "Accept": "application/sparql-results+json"},
    )
    with urllib.request.urlopen(request, timeout=timeout_s) as answer:
        data: bytes = answer.read()
        return data


def run(command: Sequence[str], *, log: Path, env: Mapping[str, str] | None = None) -> float:
    """Run a command to completion; seconds it took (raises on failure)."""
    started = time.perf_counter()
    with log.open("ab") as sink:
        subprocess.run(
            list(command),
            stdout=sink,
            stderr=subprocess.STDOUT,
            check=True,
            env={**os.environ, **(env or {})},
            cwd=str(WORK),
        )
    return time.perf_counter() - started
