"""Time to a stable drawing of the graph pages in headless Chromium.

Shared by the browser tests and the benchmarks: `browser` opens Debian's Chromium through
playwright (never a downloaded browser), `time_to_stable` measures one page, `synthetic_graph`
builds a graph of any size with the same model and layout as the real pages, and `measure`
puts them together. With positions computed on the server and physics off, the first drawing
is the stable one: the page script records ``performance.now()`` (milliseconds since the
navigation started) at vis-network's first ``afterDrawing`` event.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kringloop.queries import visual
from kringloop.queries.visual import ROLES, VizEdge, VizGraph, VizNode
from kringloop.service import viz

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
VIEWPORT = {"width": 1400, "height": 900}


@contextmanager
def browser(profile: Path) -> Iterator[BrowserContext]:
    """A headless Chromium context with its profile in ``profile``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,  # type: ignore[arg-type]
        )
        try:
            yield context
        finally:
            context.close()


def time_to_stable(page: Page, url: str, *, timeout_s: float = 300.0) -> float:
    """Seconds from navigating to ``url`` until the graph is drawn (physics off: stable)."""
    page.goto(url)
    page.wait_for_function("window.vizReady !== undefined", timeout=timeout_s * 1000)
    return float(page.evaluate("window.vizReady")) / 1000.0


def synthetic_graph(count: int, *, seed: int = 7) -> VizGraph:
    """A neighbourhood-like graph of ``count`` nodes (organisations with roles, offers, flows)
    and about 1.5 edges per node, laid out like the real pages."""
    rng = random.Random(seed)
    kinds = ("offer", "processing-offer", "flow", "process", "place")
    nodes = []
    for i in range(count):
        if i % 3 == 0:
            role = ROLES[rng.randrange(len(ROLES))]
            nodes.append(
                VizNode(f"n{i}", f"Example Org {i}", "organisation", f"role:{role}", f"org {i}")
            )
        else:
            kind = kinds[rng.randrange(len(kinds))]
            nodes.append(VizNode(f"n{i}", f"{kind} {i}", kind, f"kind:{kind}", f"{kind} {i}"))
    edges = [VizEdge(f"n{rng.randrange(i)}", f"n{i}") for i in range(1, count)]
    edges += [
        VizEdge(f"n{rng.randrange(count)}", f"n{rng.randrange(count)}", style="flow")
        for _ in range(count // 2)
    ]
    levels = {f"n{i}": min(3, i.bit_length() // 3) for i in range(count)}
    nodes = [VizNode(**{**n.__dict__, "level": levels[n.id]}) for n in nodes]
    graph = VizGraph("neighbourhood", f"{count} nodes", "en", nodes, edges, total=count)
    graph.positions = visual.layout(graph, centre="n0")
    return graph


def measure(
    workdir: Path,
    sizes: Sequence[int] = (200, 2000),
    *,
    repeat: int = 3,
    context: BrowserContext | None = None,
) -> list[dict[str, Any]]:
    """Layout time, page size and time to a stable drawing (median of ``repeat``) per size,
    in ``context`` or a browser of its own."""
    if context is None:
        with browser(workdir / "profile") as own:
            return measure(workdir, sizes, repeat=repeat, context=own)
    results = []
    page = context.new_page()
    for size in sizes:
        started = time.perf_counter()
        graph = synthetic_graph(size)
        layout_s = time.perf_counter() - started
        path = viz.write(graph, workdir / f"timing-{size}.html")
        url = path.resolve().as_uri()
        times = [time_to_stable(page, url) for _ in range(repeat)]
        drawn = page.evaluate("network.body.data.nodes.length")
        results.append(
            {
                "nodes": size,
                "edges": len(graph.edges),
                "drawn": drawn,
                "layout_s": round(layout_s, 3),
                "html_bytes": path.stat().st_size,
                "stable_s": round(statistics.median(times), 3),
                "stable_all_s": [round(t, 3) for t in times],
            }
        )
    page.close()
    return results


if __name__ == "__main__":  # python -m tests.viz_timing [DIR]
    import json
    import sys
    import tempfile

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    target.mkdir(parents=True, exist_ok=True)
    print(json.dumps(measure(target), indent=2))
