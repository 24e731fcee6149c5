"""How long it takes to resolve what a buyer writes: rapidfuzz over names normalised once
(queries/resolve.py, queries/codes.py) against the difflib path it replaced.

Two vocabularies: the demo data (product types, CPV subset: a few hundred labels; and the
code lists), and a synthetic one of 9,400 concepts with three labels each (28,200 labels, the
size of the full CPV 2008 in three languages). Per lookup: the median and p95 of repeated
runs after a warm-up, for an exact label, a plural, a typo and an unknown value (which is
refused with candidates). The difflib path is the previous resolve_what, kept here to
compare: it normalised every label and ran SequenceMatcher over all of them on each lookup.

    .venv/bin/python bench/resolve.py            # about a minute; --quick: fewer runs
"""

from __future__ import annotations

import difflib
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from importlib import metadata
from pathlib import Path

from kringloop.graph import OxigraphStore
from kringloop.graph import load as loading
from kringloop.graph.bundle import bundled_sources
from kringloop.queries import codes, resolve
from kringloop.queries.resolve import ResolutionError, Vocabulary, normalise

SYNTHETIC_CONCEPTS = 9_400
WORDS = 3_000


def timed(call: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median and p95 in milliseconds of ``runs`` calls after one warm-up call."""
    call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def resolve_in(lists: codes.CodeLists, kind: str, value: str) -> tuple[str, ...]:
    return codes.resolve_codes(lists, kind, [value], field=kind)


def quietly(resolver: Callable[[str], object], value: str) -> Callable[[], object]:
    """A call of ``resolver(value)`` that takes a refusal as an answer."""

    def call() -> object:
        try:
            return resolver(value)
        except ResolutionError as error:
            return error.candidates

    return call


# The previous path (queries/resolve.py before rapidfuzz), to compare against.


def difflib_what(vocab: Vocabulary, what: str) -> str:
    wanted = normalise(what)
    exact = sorted(
        c for c, labels in vocab.labels.items() if wanted in {normalise(x) for x in labels}
    )
    if not exact:
        scored: dict[str, float] = {}
        for concept, labels in vocab.labels.items():
            for label in labels:
                ratio = difflib.SequenceMatcher(None, wanted, normalise(label)).ratio()
                scored[concept] = max(scored.get(concept, 0.0), ratio)
        best = max(scored.values(), default=0.0)
        if best >= 0.85:
            exact = sorted(c for c, r in scored.items() if r >= best - 0.02)
    if len(exact) == 1:
        return exact[0]
    names = sorted({label for labels in vocab.labels.values() for label in labels})
    by_norm = {normalise(n): n for n in names}
    close = difflib.get_close_matches(normalise(what), list(by_norm), n=5, cutoff=0.5)
    raise ResolutionError("unresolved", field="what", candidates=[by_norm[c] for c in close])


def synthetic_vocabulary(seed: int = 7) -> tuple[Vocabulary, dict[str, str]]:
    """9,400 concepts with an en, nl and fr label of two or three made-up words each, and
    the lookups to time (an exact label, its plural, a typo, an unknown value)."""
    rnd = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = sorted(
        {"".join(rnd.choice(letters) for _ in range(rnd.randint(4, 11))) for _ in range(WORDS)}
    )
    vocab = Vocabulary()
    for n in range(SYNTHETIC_CONCEPTS):
        concept = f"http://data.europa.eu/cpv/cpv/{10_000_000 + n * 97:08d}"
        vocab.kinds[concept] = "cpv"
        labels = {" ".join(rnd.sample(words, rnd.randint(2, 3))).capitalize() for _ in range(3)}
        vocab.labels[concept] = labels
        vocab.preferred[concept] = sorted(labels)[0]
    some = vocab.preferred[sorted(vocab.preferred)[SYNTHETIC_CONCEPTS // 2]]
    lookups = {
        "exact label": some,
        "plural": some + "s",
        "typo": some[:3] + some[4:],
        "unknown": "zzqx wvvy kjjh",
    }
    return vocab, lookups


def main() -> None:
    runs = 3 if "--quick" in sys.argv else 20
    slow_runs = 2 if "--quick" in sys.argv else 5
    print("# resolve: rapidfuzz over precomputed names vs difflib\n")
    print(
        f"- {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, rapidfuzz {metadata.version('rapidfuzz')}, "
        f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            print(f"- CPU: {line.split(':', 1)[1].strip()}")
            break

    store = OxigraphStore.memory()
    loading.load(store, bundled_sources())
    demo = resolve.load_vocabulary(store)
    labels = sum(len(v) for v in demo.labels.values())
    start = time.perf_counter()
    names = demo.names
    build_demo = (time.perf_counter() - start) * 1000
    print(f"\n## Demo vocabulary ({len(demo.kinds)} concepts, {labels} labels)\n")
    print(
        f"names normalised once per store version: {build_demo:.1f} ms ({len(names.keys)} keys)\n"
    )
    print("| lookup | value | rapidfuzz median ms | p95 | difflib median ms | p95 | ratio |")
    print("|---|---|---:|---:|---:|---:|---:|")
    demo_lookups = {
        "exact label": "Bureaustoel",
        "plural": "bureaustoelen",
        "typo": "ofice chair",
        "unknown": "werkkleding voor de keuken",
    }
    for kind, value in demo_lookups.items():
        fast = timed(quietly(lambda v: resolve.resolve_what(demo, v), value), runs)
        slow = timed(quietly(lambda v: difflib_what(demo, v), value), runs)
        print(
            f"| {kind} | {value} | {fast[0]:.3f} | {fast[1]:.3f} | {slow[0]:.2f} | "
            f"{slow[1]:.2f} | {slow[0] / fast[0]:.0f}x |"
        )

    start = time.perf_counter()
    lists = codes.load_code_lists(store)
    build_lists = (time.perf_counter() - start) * 1000
    print(
        f"\n## Code lists ({len(lists.lists)} lists, "
        f"{sum(len(c.codes) for c in lists.lists.values())} codes)\n"
    )
    print(f"read and normalised once per store version: {build_lists:.1f} ms\n")
    print("| lookup | list | value | median ms | p95 |")
    print("|---|---|---|---:|---:|")
    for kind, (code_list, value) in {
        "exact label": ("business-model", "Leasing"),
        "notation": ("region", "BE22"),
        "typo": ("strategy", "refurbsh"),
        "unknown": ("certification", "ISO 14001"),
    }.items():
        median, p95 = timed(quietly(partial(resolve_in, lists, code_list), value), runs)
        print(f"| {kind} | {code_list} | {value} | {median:.3f} | {p95:.3f} |")

    big, lookups = synthetic_vocabulary()
    labels = sum(len(v) for v in big.labels.values())
    start = time.perf_counter()
    names = big.names
    build_big = (time.perf_counter() - start) * 1000
    print(f"\n## Synthetic vocabulary ({len(big.kinds)} concepts, {labels} labels)\n")
    print(f"names normalised once per store version: {build_big:.0f} ms ({len(names.keys)} keys)\n")
    print("| lookup | rapidfuzz median ms | p95 | difflib median ms | p95 | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind, value in lookups.items():
        fast = timed(quietly(lambda v: resolve.resolve_what(big, v), value), runs)
        slow = timed(quietly(lambda v: difflib_what(big, v), value), slow_runs)
        print(
            f"| {kind} | {fast[0]:.2f} | {fast[1]:.2f} | {slow[0]:.0f} | {slow[1]:.0f} | "
            f"{slow[0] / fast[0]:.0f}x |"
        )


if __name__ == "__main__":
    main()
