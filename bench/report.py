"""bench/RESULTS.md from the results of one run (tables, ratios, targets, the machine)."""

# ruff: noqa: RUF001 - the Markdown is for people: multiplication signs and dashes are meant

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

NOTES = Path(__file__).resolve().parent / "NOTES.md"
HEAD_OF_LINE = Path(__file__).resolve().parent / "head_of_line.json"
REASONER = Path(__file__).resolve().parent / "reasoner.json"
STREAMING = Path(__file__).resolve().parent / "streaming.json"
EFORMS = Path(__file__).resolve().parent / "eforms.json"
PAGES = Path(__file__).resolve().parent / "pages.json"
SYSTEMS = ("kringloop", "minimal", "oxigraph", "floor")


def _n(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return f"{value:,.{digits}f}"


def _verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("met" if ok else "**missed**")


def targets(results: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) for every target of the issue that this run measured."""
    rows: list[tuple[str, str, bool | None]] = []
    tiers = results.get("tiers", {})
    big = "10M" if "10M" in tiers else "1M"
    one_m = tiers.get("1M") or tiers.get("100k") or {}
    sparql = one_m.get("sparql", {})
    if sparql:
        worst_rps = min(
            (q[f"c{c}"]["ratio_rps_vs_minimal"], name, c)
            for name, q in sparql.items()
            for c in (1, 16)
            if q[f"c{c}"]["ratio_rps_vs_minimal"] is not None
        )
        worst_p95 = max(
            (q[f"c{c}"]["ratio_p95_vs_minimal"], name, c)
            for name, q in sparql.items()
            for c in (1, 16)
            if q[f"c{c}"]["ratio_p95_vs_minimal"] is not None
        )
        rows.append(
            (
                "/sparql req/s ≥ 0.9× minimal FastAPI (every query, c=1 and c=16)",
                f"lowest {worst_rps[0]:.2f}× ({worst_rps[1]}, c={worst_rps[2]})",
                worst_rps[0] >= 0.9,
            )
        )
        rows.append(
            (
                "/sparql p95 ≤ 1.2× minimal FastAPI",
                f"highest {worst_p95[0]:.2f}× ({worst_p95[1]}, c={worst_p95[2]})",
                worst_p95[0] <= 1.2,
            )
        )
        chain = sparql.get("chain-join", {})
        rdf = chain.get("rdflib-endpoint", {})
        for c in (1, 16):
            rdf_rps = rdf.get(f"c{c}", {}).get("rps")
            k_rps = chain.get(f"c{c}", {}).get("kringloop", {}).get("rps")
            probe = rdf.get("probe_s")
            if isinstance(probe, str) and k_rps:  # no answer within the probe's timeout
                bound = k_rps * float(probe.lstrip(">"))
                rows.append(
                    (
                        f"chain-join ≥ 30× rdflib-endpoint (1M, c={c})",
                        f"≥ {bound:.0f}× (rdflib: no answer in {probe.lstrip('>')} s; "
                        f"kringloop {k_rps:.0f} req/s)",
                        bound >= 30,
                    )
                )
            elif rdf_rps and k_rps:
                rows.append(
                    (
                        f"chain-join ≥ 30× rdflib-endpoint (1M, c={c})",
                        f"{k_rps / rdf_rps:.0f}× ({k_rps:.0f} vs {rdf_rps:.2f} req/s)",
                        k_rps / rdf_rps >= 30,
                    )
                )
            elif rdf:
                rows.append(
                    (f"chain-join ≥ 30× rdflib-endpoint (1M, c={c})", "rdflib not measured", None)
                )
    match = one_m.get("match", {})
    if match:
        p95 = match["c1"]["p95_ms"]
        rows.append(
            (
                "POST /match p95 ≤ 100 ms at c=1 (1M)",
                f"{_n(p95, 0)} ms",
                p95 is not None and p95 <= 100,
            )
        )
        rows.append(
            (
                "POST /match ≥ 50 req/s at c=16 (1M)",
                f"{match['c16']['rps']:.1f} req/s",
                match["c16"]["rps"] >= 50,
            )
        )
    load = one_m.get("load")
    if load:
        rows.append(
            (
                "bulk load ≥ 0.8× `oxigraph load` (1M)",
                f"{load['ratio_vs_oxigraph']:.2f}× (same named graph: "
                f"{load['ratio_vs_oxigraph_named']:.2f}×)",
                load["ratio_vs_oxigraph"] >= 0.8,
            )
        )
    rss = tiers.get(big, {}).get("rss_kib", {}).get("kringloop")
    if rss:
        gib = (rss["VmHWM"] + rss.get("children_VmHWM", 0)) / 1024 / 1024
        rows.append(
            (
                f"service peak RSS ≤ 1 GiB ({big}; server + query workers)",
                f"{gib:.2f} GiB",
                gib <= 1.0,
            )
        )
    census = results.get("census", {}).get("100000")
    if census:
        sec = census["seconds"]["median"]
        rows.append(
            (
                "loop census + gaps, 100k organisations ≤ 10 s",
                f"{sec:.1f} s" if sec is not None else census.get("note", "not measured"),
                sec is not None and sec <= 10,
            )
        )
    viz = results.get("viz", {}).get("2000")
    if viz:
        sec = viz["stable_s"]["median"]
        rows.append(("2,000-node page stable ≤ 2 s", f"{sec:.2f} s", sec <= 2))
    return rows


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        "# kringloop benchmarks",
        "",
        "Generated by `make bench` (bench/run.py); raw numbers in bench/results.json. Each figure "
        "is the median (and p95) of repeated runs after a warm-up; the systems are interleaved "
        "within each round. The machine is shared and noisy: **compare ratios within this run**, "
        "not absolute numbers across runs.",
        "",
        "## Machine",
        "",
        f"- date: {m['date']}",
        f"- CPU: {m['cpu']}, {m['cores']} cores; RAM {m['ram_gib']} GiB",
        f"- {m['os']}, kernel {m['kernel']}, Python {m['python']}",
        "- packages: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()),
        "- peers: " + ", ".join(f"{k} {v}" for k, v in m["peers"].items()),
        f"- load average at start: {', '.join(f'{x:.2f}' for x in m['load_average_at_start'])}",
        "",
        "## Targets",
        "",
        "| target | measured | |",
        "|---|---|---|",
    ]
    lines += [f"| {t} | {v} | {_verdict(ok)} |" for t, v, ok in targets(results)]
    for tier, figures in results.get("tiers", {}).items():
        lines += _tier(tier, figures)
    if "census" in results:
        lines += [
            "",
            "## Loop census + gap analysis (`queries.loops.census`, on-disk store, in-process)",
            "",
            "| organisations | load s | census median s | p95 s | loops | gaps | cells |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for orgs, c in results["census"].items():
            lines.append(
                f"| {int(orgs):,} | {_n(c['load_s'])} | {_n(c['seconds']['median'], 2)} | "
                f"{_n(c['seconds']['p95'], 2)} | {c.get('loops', '–')} | {c.get('gaps', '–')} | "
                f"{c.get('cells', '–')} |"
            )
            if c.get("note"):
                lines.append(f"| | | {c['note']} | | | | |")
    if "viz" in results:
        lines += [
            "",
            "## Time to a stable drawing (headless Chromium, tests/viz_timing.measure)",
            "",
            "| nodes | edges | HTML bytes | layout s | stable median s | p95 s |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for nodes, v in results["viz"].items():
            lines.append(
                f"| {int(nodes):,} | {v['edges']:,} | {v['html_bytes']:,} | {v['layout_s']:.3f} | "
                f"{v['stable_s']['median']:.3f} | {v['stable_s']['p95']:.3f} |"
            )
    if "elapsed_s" in results:
        lines += ["", f"Whole run: {results['elapsed_s'] / 60:.1f} min."]
    if NOTES.exists():
        lines += ["", NOTES.read_text().rstrip()]
    if HEAD_OF_LINE.exists():
        lines += head_of_line(json.loads(HEAD_OF_LINE.read_text()))
    if REASONER.exists():
        lines += reasoner(json.loads(REASONER.read_text()))
    if STREAMING.exists():
        lines += streaming(json.loads(STREAMING.read_text()))
    if EFORMS.exists():
        lines += eforms(json.loads(EFORMS.read_text()))
    if PAGES.exists():
        lines += pages(json.loads(PAGES.read_text()))
    return "\n".join(lines) + "\n"


def reasoner(run: dict[str, Any]) -> list[str]:
    """The section of bench/reasoner.py: `kringloop reason` on the demo data."""
    seconds = run["seconds"]
    old, new = seconds["owlready2"]["median"], seconds["direct"]["median"]
    rounds = len(seconds["direct"]["all"])
    load = ", ".join(str(x) for x in run["load_average_at_start"])
    old_all = ", ".join(map(str, seconds["owlready2"]["all"]))
    new_all = ", ".join(map(str, seconds["direct"]["all"]))
    same = "yes" if run["identical"] else "**no**"
    return [
        "",
        "## `kringloop reason` on the demo data (bench/reasoner.py)",
        "",
        f"HermiT over the bundled store ({run['triples']:,} triples), {rounds} alternating "
        f"rounds; measured {run['machine']['date']}, load average {load} at start. The "
        "owlready2 round trip also classified the object and data property hierarchies "
        "(HermiT -O -D), which yield only schema facts that were never written; the direct run "
        "asks for the class hierarchy, the types of the individuals and the object property "
        "values only.",
        "",
        "| path | median s | all runs s |",
        "|---|---:|---|",
        f"| owlready2 round trip (before) | {old:.1f} | {old_all} |",
        f"| direct HermiT, strict (after) | {new:.1f} | {new_all} |",
        "",
        f"Same {run['inferred']} inferred facts on both paths: {same}; {old / new:.1f}x faster.",
    ]


def _tier(tier: str, f: dict[str, Any]) -> list[str]:
    lines = ["", f"## {tier} triples ({f['triples']:,} generated, {f['organisations']:,} orgs)"]
    if f.get("elapsed_s"):
        lines += ["", f"This tier took {f['elapsed_s'] / 60:.1f} min."]
    if f.get("machine"):
        m = f["machine"]
        lines += [
            "",
            f"Measured in a separate run ({m['date']}, load average at start "
            f"{', '.join(f'{x:.2f}' for x in m['load_average_at_start'])}).",
        ]
    load = f.get("load")
    if load:
        lines += [
            "",
            "### Bulk load into the on-disk store (triples/s; fresh directory each run)",
            "",
            "| system | median s | triples/s (median) | p95 s |",
            "|---|---:|---:|---:|",
        ]
        names = {
            "kringloop": "`kringloop load --no-validate` (named graph of the file)",
            "oxigraph": "`oxigraph load` (default graph)",
            "oxigraph-named": "`oxigraph load --graph` (same named graph)",
        }
        for key, label in names.items():
            s = load[key]
            lines.append(
                f"| {label} | {s['seconds']['median']:.1f} | "
                f"{s['triples_per_s']['median']:,.0f} | {s['seconds']['p95']:.1f} |"
            )
        lines.append(
            f"\nkringloop / oxigraph load: **{load['ratio_vs_oxigraph']:.2f}×**; "
            f"vs the same named graph: **{load['ratio_vs_oxigraph_named']:.2f}×**."
        )
    sparql = f.get("sparql")
    if sparql:
        lines += [
            "",
            "### SPARQL query mix over HTTP (wrk; req/s and latency percentiles in ms)",
            "",
            "floor = the same query on pyoxigraph in-process (query, read, JSON), no HTTP. "
            "minimal = bench/minimal_app.py (FastAPI over pyoxigraph, ~40 lines). "
            "rdflib-endpoint is probed once with a "
            "15 s timeout and then load-tested briefly; at c=16 only where one query is quick.",
            "",
            "| query | c | kringloop req/s | p50 | p95 | p99 | minimal req/s | p95 | "
            "oxigraph req/s | p95 | floor req/s | p95 | rdflib req/s | p95 | "
            "k/minimal req/s | k/minimal p95 |",
            "|---|---:|" + "---:|" * 14,
        ]
        for name, q in sparql.items():
            rdf = q.get("rdflib-endpoint", {})
            for c in (1, 16):
                row = q[f"c{c}"]
                k = row["kringloop"]
                rd = rdf.get(f"c{c}", {})
                rdf_rps = (
                    _n(rd.get("rps"), 2)
                    if rd
                    else (f"probe {rdf['probe_s']}" if isinstance(rdf.get("probe_s"), str) else "–")
                )
                lines.append(
                    f"| {name} | {c} | {_n(k['rps'], 0)} | {_n(k['p50_ms'])} | "
                    f"{_n(k['p95_ms'])} | {_n(k['p99_ms'])} | {_n(row['minimal']['rps'], 0)} | "
                    f"{_n(row['minimal']['p95_ms'])} | {_n(row['oxigraph']['rps'], 0)} | "
                    f"{_n(row['oxigraph']['p95_ms'])} | {_n(row['floor']['rps'], 0)} | "
                    f"{_n(row['floor']['p95_ms'])} | {rdf_rps} | {_n(rd.get('p95_ms'), 0)} | "
                    f"{_n(row['ratio_rps_vs_minimal'], 2)} | {_n(row['ratio_p95_vs_minimal'], 2)} |"
                )
        rows = {name: q["rows"] for name, q in sparql.items()}
        lines += [
            "",
            "Result rows per system (same data; a check, not a figure): "
            + "; ".join(f"{n}: " + "/".join(str(v) for v in r.values()) for n, r in rows.items()),
        ]
        if f.get("rdflib_endpoint_start_s") is None:
            lines.append(
                "\nrdflib-endpoint: not run at this size, or it did not load the data within 240 s."
            )
        else:
            lines.append(
                f"\nrdflib-endpoint took {f['rdflib_endpoint_start_s']:.0f} s to parse the data "
                "and start."
            )
    match = f.get("match")
    if match:
        lines += [
            "",
            f"### POST /match ({len(match['requests'])} requests from the data, all with chains)",
            "",
            "| c | req/s | p50 ms | p95 ms | p99 ms | errors |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for c in (1, 16):
            r = match[f"c{c}"]
            lines.append(
                f"| {c} | {r['rps']:.1f} | {_n(r['p50_ms'], 0)} | {_n(r['p95_ms'], 0)} | "
                f"{_n(r['p99_ms'], 0)} | {r['errors']} |"
            )
        cold = match.get("cold")
        if cold:
            lines.append(
                f"| warm-up: each request once per query worker, one at a time "
                f"({cold['requests']}; not in the rows above) | – | {_n(cold['p50_ms'], 0)} | – | "
                f"max {_n(cold['max_ms'], 0)} | – |"
            )
        inproc = f.get("match_inprocess")
        if inproc:
            lines.append(
                f"| in-process, one at a time (no HTTP, no workers) | {inproc['rps']:.1f} | "
                f"{inproc['p50_ms']:.0f} | {inproc['p95_ms']:.0f} | {inproc['p99_ms']:.0f} | 0 |"
            )
    rss = f.get("rss_kib")
    if rss:
        lines += [
            "",
            "### Peak RSS while serving the mix (VmHWM of the server process)",
            "",
            "| server | process peak MiB | child processes | their peaks MiB | total MiB |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, mem in rss.items():
            kids = mem.get("children_VmHWM", 0)
            lines.append(
                f"| {name} | {mem['VmHWM'] / 1024:.0f} | {mem.get('children', 0)} | "
                f"{kids / 1024:.0f} | {(mem['VmHWM'] + kids) / 1024:.0f} |"
            )
        lines.append(
            "\nTotal = the server's peak plus the sum of its child processes' peaks (kringloop "
            "runs queries in worker processes): an upper bound of the simultaneous peak."
        )
    return lines


def head_of_line(runs: dict[str, Any]) -> list[str]:
    """The section of bench/head_of_line.py: lookups alongside runaway queries."""
    lines = [
        "",
        "## Lookups alongside runaway queries (bench/head_of_line.py)",
        "",
        "`kringloop serve` on an on-disk store with the demo data, 3 query workers, a 3 s query "
        "limit, the union default graph. R clients keep a runaway query in flight (a count over "
        "a three-way cross join of the store: it blocks inside the engine until its worker is "
        "killed; each client sends the next as soon as its 504 comes), started at once, with 4 "
        "clients sending a lookup after another (one subject's triples) alongside, for 15 s; a "
        "fresh server for each R. Latencies are the clients' own. Before = the code without "
        "standby or extra workers; after = with them (defaults: 1 standby, up to 4 extra, a job "
        "is long after 0.5 s).",
        "",
        "| code | runaways | lookups | worst s | p95 ms | median ms | 503 | runaways answered "
        "| runaway answer s (min-max) |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for label, run in runs.items():
        for key in ("3", "6"):
            f = run.get(key)
            if not f:
                continue
            statuses = sorted(f["runaway_statuses"].items())
            answered = ", ".join(f"{n} × {code}" for code, n in statuses)
            span = f["runaway_answer_s"]
            lines.append(
                f"| {label} | {key} | {f['lookups']:,} | {f['lookup_worst_s']:.2f} | "
                f"{f['lookup_p95_s'] * 1000:.0f} | {f['lookup_p50_s'] * 1000:.1f} | "
                f"{f['lookup_503']} | {answered} | {span['min']:.1f}-{span['max']:.1f} |"
            )
    lines += [
        "",
        "Before, a lookup waited for a runaway's deadline and then for a replacement worker "
        "to spawn (1.4 s idle, more on busy cores), and runaways re-sent at once took the "
        "workers again: with 6, most lookups waited 10 s and got 503. After, a killed worker's "
        "place is taken at once (standby, or an extra worker already running), workers are "
        "forked in ~20 ms, and once long jobs hold the workers extra ones take the lookups: "
        "the slowest lookups are those queued behind runaways that had not yet run 0.5 s "
        "(about 1-2 × 0.5 s). Up to 7 worker processes run meanwhile (3 + 4 extra) and a "
        "standby; extras stop after 30 s idle.",
        "",
    ]
    for label, run in runs.items():
        m = run["machine"]
        lines += [
            f"{label}: {run['code']}; {m['date']}, {m['cpu']}, nproc {m['nproc']}, load average "
            f"{', '.join(f'{x:.2f}' for x in m['load_average_at_start'])} at the start and "
            f"{', '.join(f'{x:.2f}' for x in run['load_average_at_end'])} at the end; `free -g`:",
            "",
            "```",
            m["free_g"],
            "```",
            "",
        ]
    return lines[:-1]


def streaming(run: dict[str, Any]) -> list[str]:
    """The section of bench/streaming.py: streamed answers and 304s."""
    m = run["machine"]
    lines = [
        "",
        "## Streamed answers and conditional requests (bench/streaming.py)",
        "",
        "`kringloop serve` (worker processes, defaults) on an on-disk store of 1,000,000 "
        "triples in one named graph, the union default graph. Each answer is read by the "
        "client in 64 KiB pieces and thrown away; the server's memory is VmRSS of the service "
        "process and its worker processes together, sampled every 20 ms (growth: peak during "
        "the request minus just before it). *capped*: the same SELECT with "
        "`KRINGLOOP_MAX_RESULT_ROWS=2000000`, where the answer is read completely in the worker "
        "before it is sent (the only way to report going over a cap as an error).",
        "",
        "| answer | status | first byte s | total s | MB | MiB/s | server RSS before MiB "
        "| peak MiB | growth MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    names = {
        "select_csv": "SELECT, 1M rows, CSV",
        "select_json": "SELECT, 1M rows, SPARQL JSON",
        "construct_ntriples": "CONSTRUCT, 1M triples, N-Triples",
        "select_csv_capped": "SELECT, 1M rows, CSV, capped",
    }
    for key, label in names.items():
        f = run["million"].get(key)
        if f is None:
            continue
        lines.append(
            f"| {label} | {f['status']} | {f['first_byte_s']:.2f} | {f['total_s']:.1f} | "
            f"{f['bytes'] / 1e6:.1f} | {f['mib_per_s']:.1f} | {f['rss_before_mib']:.0f} | "
            f"{f['rss_peak_mib']:.0f} | {f['rss_growth_mib']:.0f} |"
        )
    c = run["conditional"]
    plain, cached = c["plain"], c["if_none_match"]
    lines += [
        "",
        f"A named query repeated {c['repeats']} times, one client, keep-alive, on the demo data "
        f"(`GET {c['query']}`, SPARQL JSON): plain, and with the `ETag` of a first answer in "
        "`If-None-Match` (304: the query does not run, no body is sent).",
        "",
        "| request | statuses | bytes | median ms | p95 ms |",
        "|---|---|---:|---:|---:|",
    ]
    for label, f in (("plain GET", plain), ("If-None-Match", cached)):
        statuses = ", ".join(f"{n} × {code}" for code, n in sorted(f["statuses"].items()))
        lines.append(
            f"| {label} | {statuses} | {f['bytes']:,} | {f['median'] * 1000:.2f} | "
            f"{f['p95'] * 1000:.2f} |"
        )
    if cached["median"]:
        lines += ["", f"Median gain: {plain['median'] / cached['median']:.1f}× per request."]
    lines += [
        "",
        f"Measured {m['date']} on {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB, "
        f"{m['os']}, Python {m['python']}, pyoxigraph {m['packages']['pyoxigraph']}; load "
        f"average {', '.join(f'{x:.2f}' for x in m['load_average_at_start'])} at the start, "
        f"{', '.join(f'{x:.2f}' for x in run['load_average_at_end'])} at the end (the machine "
        "is shared).",
    ]
    return lines


def eforms(run: dict[str, Any]) -> list[str]:
    """The section of bench/eforms.py: eForms notices imported per second."""
    m = run["machine"]
    rows = [
        ("generated, checked against the shapes", run["validated"]),
        ("generated, unchecked (--no-validate)", run["unchecked"]),
        ("the same directory again (nothing written)", run["again"]),
    ]
    lines = [
        "",
        "## eForms notices imported per second (bench/eforms.py)",
        "",
        f"{run['count']:,} notice variants generated from the eForms SDK's example notices "
        f"(`kringloop.data.notices`, {run['generate']['bytes'] / 1e6:.1f} MB, generated in "
        f"{run['generate']['seconds']:.1f} s), imported in-process into a fresh on-disk store "
        "holding the demo data (`import_files`, what `kringloop import eforms DIR` runs): "
        "reading every notice first, then mapping, the check against the shapes in batches of "
        "25 notices, and one transaction per notice's graph.",
        "",
        "| import | notices | s | notices/s | lots | awards | statuses |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, r in rows:
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(r["statuses"].items()))
        lines.append(
            f"| {name} | {r['notices']:,} | {r['seconds']:.1f} | {r['per_second']:,.1f} | "
            f"{r['lots']:,} | {r['awards']:,} | {statuses} |"
        )
    ex = run["examples"]
    lines += [
        "",
        f"Reading alone (lxml, checks included): {run['read']['per_second']:,.0f} notices/s. "
        f"The {ex['notices']} valid SDK examples (larger, multilingual notices; 5 rounds, a "
        f"fresh store each): {ex['per_second']['median']:.1f} notices/s median "
        f"(p95 of the rounds {ex['per_second']['p95']:.1f}), checked.",
        "",
        f"Machine: {m['date']}, {m['cpu']}, {m['cores']} cores, RAM {m['ram_gib']} GiB, "
        f"{m['os']}, kernel {m['kernel']}, Python {m['python']}; load average "
        f"{', '.join(f'{x:.2f}' for x in m['load_average_at_start'])} at the start and "
        f"{', '.join(f'{x:.2f}' for x in run['load_average_at_end'])} at the end.",
    ]
    return lines


#: The targets of the graph pages: seconds for a page of this many nodes.
PAGE_TARGETS = {500: 2.0, 2000: 5.0}


def _page_time(f: dict[str, Any] | None) -> str:
    """A system's figure for one case: median (p95) of the timed runs, or why there is none."""
    if f is None:
        return "–"
    if "not_tried" in f:
        return "not tried"
    if f.get("seconds") is None:
        return f"no answer in {f['first'].get('timed_out_after_s', 0):.0f} s"
    t = f["seconds"]
    if f.get("once"):
        return f"{t['median']:.1f} (once)"
    return f"{t['median']:.2f} ({t['p95']:.2f})"


def _page_nodes(f: dict[str, Any] | None) -> str:
    first = (f or {}).get("first") or {}
    return f"{first['nodes']:,}" if "nodes" in first else "–"


def pages(run: dict[str, Any]) -> list[str]:
    """The section of bench/pages.py: graph pages at 100k and 1M triples, before and after."""
    m = run["machine"]
    systems = run["systems"]
    base = systems.get("base", {}).get("commit")
    this = systems["this"]["commit"]
    lines = [
        "",
        "## Graph pages at scale (bench/pages.py)",
        "",
        "`kringloop serve` (worker processes, on-disk store, union default graph) over the "
        "generated market, one request at a time over HTTP on 127.0.0.1, systems interleaved. "
        "*before*: a checkout of "
        + (f"{base}" if base else "the base")
        + f", in its own venv; *after*: {this}. Seconds: median (p95) of {run['rounds']} "
        "requests after a first one (*first*: cold, with the loop census and fresh workers); "
        "a page whose first answer took more than 30 s was asked once. *nodes*: drawn on the "
        f"page. Each request had a {run['timeout_s']:.0f} s client timeout; a server that gave "
        "no answer was stopped and started again (before, the page kept running in the "
        "server's thread pool).",
        "",
        "Where the time went before: not in one query per node (the facts were already read in "
        "batches) but in how pyoxigraph planned them. `viz-nodes` and `viz-hop` held joins "
        "inside UNION branches; such a join (and a BIND between patterns, found on the way) was"
        " evaluated over the whole store once per bound resource (60 ms a resource at 100k "
        "triples, ~1 s at 1M). They are now flat joins from the bound resources, one query per "
        "kind of link (`viz-hop-*`, `viz-node-*`), 500 resources a query. The loop page also "
        "read every resource of every loop before the cap applied; it now picks the loops and "
        "gaps to draw first, reads the whole facts only of what it draws and only names (`viz-"
        "names`) for what its edges and reasons mention, and reads each value's labels once. "
        "The worker processes use one BLAS thread (the layouts were 3-6× slower with OpenBLAS's"
        " threads on two busy cores). What is left: the loop census, which each worker process "
        "reads once per store generation (11-14 s at 1M here): a worker's first loop page pays "
        "it, which is the p95 of *loops cap 500* at 1M (the first requests went to different "
        "workers), and the workers' memory after it is mostly the census each holds (before, "
        "the loop pages ran in the server process and never got that far at 1M).",
    ]
    for tier, t in run["tiers"].items():
        lines += [
            "",
            f"### {tier}: {t['triples']:,} generated triples, {t['organisations']:,} "
            f"organisations (centre {t['centre'].rsplit('/', 1)[-1]})",
            "",
            "| page | before s | after s | after first s | nodes before | nodes after "
            "| speed-up | target (median) |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for case, figures in t["cases"].items():
            before, after = figures.get("base"), figures.get("this")
            speed = "–"
            if before and after and before.get("seconds") and after.get("seconds"):
                speed = f"{before['seconds']['median'] / after['seconds']['median']:,.0f}×"
            first = (after or {}).get("first") or {}
            cold = f"{first['seconds']:.2f}" if first.get("seconds") is not None else "–"
            target = "–"
            nodes = first.get("nodes")
            if after and after.get("seconds") and nodes:
                limit = next((s for n, s in sorted(PAGE_TARGETS.items()) if nodes <= n), None)
                if limit is not None:
                    ok = after["seconds"]["median"] <= limit
                    target = f"≤ {limit:g} s: {'met' if ok else 'missed'}"
            lines.append(
                f"| {case} | {_page_time(before)} | {_page_time(after)} | {cold} | "
                f"{_page_nodes(before)} | {_page_nodes(after)} | {speed} | {target} |"
            )
        mem = t.get("memory_kib", {})
        if mem:
            said = ", ".join(
                f"{name} {v.get('VmHWM', 0) / 1024:.0f} MiB "
                f"(its workers {v.get('children_VmHWM', 0) / 1024:.0f} MiB)"
                for name, v in (("before", mem.get("base")), ("after", mem.get("this")))
                if v
            )
            lines += ["", f"Peak RSS of the server process at the end: {said}."]
    lines += [
        "",
        f"Measured {m['date']} on {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB, "
        f"{m['os']}, Python {m['python']}, pyoxigraph {m['packages']['pyoxigraph']}; load "
        f"average {', '.join(f'{x:.2f}' for x in m['load_average_at_start'])} at the start, "
        f"{', '.join(f'{x:.2f}' for x in run.get('load_average_at_end', []))} at the end (the "
        f"machine is shared); whole run {run.get('elapsed_s', 0) / 60:.0f} min.",
    ]
    return lines
