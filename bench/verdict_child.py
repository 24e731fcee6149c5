"""One measurement of bench/verdict.py in the process of one checkout's venv: prints JSON."""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def main() -> None:
    from kringloop.graph.store import OxigraphStore

    kind, location = sys.argv[1], Path(sys.argv[2])
    store = OxigraphStore.open(location, read_only=True)
    today = date(2026, 11, 1)
    if kind == "match":
        from kringloop.queries import matchmaker
        from kringloop.queries.request import MatchRequest

        requests = [MatchRequest(**r) for r in json.loads(Path(sys.argv[3]).read_text())]
        cold, warm, chains = [], [], 0
        for request in requests:
            started = time.perf_counter()
            result = matchmaker.match(store, request, today=today)
            cold.append((time.perf_counter() - started) * 1000)
            chains += len(result.chains)
        for _ in range(3):
            for request in requests:
                started = time.perf_counter()
                matchmaker.match(store, request, today=today)
                warm.append((time.perf_counter() - started) * 1000)
        out = {
            "requests": len(requests),
            "chains": chains,
            "cold_p50_ms": percentile(cold, 50),
            "cold_p95_ms": percentile(cold, 95),
            "warm_p50_ms": percentile(warm, 50),
            "warm_p95_ms": percentile(warm, 95),
        }
    else:
        from kringloop.queries import loops

        started = time.perf_counter()
        try:
            census = loops.census(store, today=today)
        except TypeError:  # a checkout whose census takes no date
            census = loops.census(store)
        out = {
            "seconds": time.perf_counter() - started,
            "loops": len(census.loops),
            "gaps": len(census.gaps),
            "cells": len(census.cells),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
