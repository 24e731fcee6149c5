"""Commands for buyers and facilitators: match, loops, gaps, eval."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from kringloop.service.cli_common import State, app, opened, out, parse_day, print_json, run

# The matchmaking modules (networkx, numpy) are imported by the commands that use them, so that
# every other command starts quickly.


def _short(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


@app.command()
def match(
    what: Annotated[
        str | None, typer.Option("--what", help="CPV code, product-type IRI or label (nl/en/fr)")
    ] = None,
    need: Annotated[
        str | None,
        typer.Option("--need", help="IRI of a need in the store (e.g. an imported tender lot)"),
    ] = None,
    near: Annotated[str | None, typer.Option("--near", help="place name or postcode")] = None,
    within: Annotated[
        float | None, typer.Option("--within", help="maximum distance in km (default 50)")
    ] = None,
    quantity: Annotated[float | None, typer.Option("--quantity", "-n", help="how many")] = None,
    model: Annotated[
        list[str] | None, typer.Option("--model", help="accepted business model (repeat)")
    ] = None,
    certification: Annotated[
        list[str] | None, typer.Option("--cert", help="required certification")
    ] = None,
    max_rank: Annotated[
        int | None, typer.Option("--max-rank", help="highest acceptable R-rank")
    ] = None,
    needed_by: Annotated[str | None, typer.Option("--needed-by", help="YYYY-MM-DD")] = None,
    requester: Annotated[
        str | None, typer.Option("--requester", help="requesting organisation IRI")
    ] = None,
    top: Annotated[int, typer.Option("--top", help="how many chains")] = 5,
    save: Annotated[bool, typer.Option("--save", help="store the match as a PROV record")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Ranked, explained closed-loop chains for a buyer's request."""
    from kringloop.queries import match_record, matchmaker
    from kringloop.queries.request import MatchRequest

    given = {  # only what the command line says: a need supplies the rest
        "what": what,
        "need": need,
        "near": near,
        "within_km": within,
        "quantity": quantity,
        "business_models": model,
        "certifications": certification,
        "max_r_rank": max_rank,
        "requester": requester,
        "needed_by": date.fromisoformat(needed_by) if needed_by else None,
    }
    fields = {k: v for k, v in given.items() if v is not None}
    request = run(lambda: MatchRequest(**fields, top_k=top, save=save))  # type: ignore[arg-type]
    with opened(read_only=not save) as store:
        partners = State.settings.max_loop_partners
        result = run(lambda: matchmaker.match(store, request, max_partners=partners))
        if save:
            run(lambda: match_record.save(store, result, request))
    if as_json:
        print_json(result.as_json())
        return
    out.print(
        f"[bold]{result.what['label']}[/bold] near {result.where['label']} "
        f"(request {result.id}; {result.considered} candidate offer(s))"
    )
    for title, chains in (
        ("internal reuse first", result.internal_reuse),
        ("chains", result.chains),
    ):
        if chains:
            out.print(f"[bold]{title}[/bold]")
        for c in chains:
            loop = {
                "closed": "[green]closed loop[/green]",
                "promised": f"[yellow]take-back promised, not backed[/yellow]: {c.missing}",
            }.get(c.status, f"[red]open[/red]: {c.missing}")
            if c.verdict.partners:
                loop += f" ({c.verdict.partners} partners)"
            if c.verdict.change is not None:
                loop += f"; {c.verdict.change.text}"
            out.print(
                f"{c.rank}. {c.score:.3f}  {c.supplier_label} — {_short(c.business_model)}, "
                f"{c.distance_km:.0f} km — {loop}",
                highlight=False,
            )
            for step in c.steps:
                km = f" ({step.distance_km:.0f} km)" if step.distance_km is not None else ""
                out.print(f"     {step.index}. {step.role}: {step.label}{km}", highlight=False)
            parts = ", ".join(f"{x.name} {x.value:.2f} x {x.weight:g}" for x in c.components)
            out.print(f"     score = weighted mean of {parts}", highlight=False)
    for line in result.explanation:
        out.print(f"• {line}")


@app.command("loops")
def loops_command(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    on: Annotated[
        str | None, typer.Option("--on", help="judge offers as on this day (YYYY-MM-DD)")
    ] = None,
    category: Annotated[
        str | None, typer.Option("--category", help="product type, CPV code or label")
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="region: label, slug or NUTS code")
    ] = None,
) -> None:
    """Closed and open loops per category and region (the loop census)."""
    from kringloop.queries import loops

    with opened(read_only=True) as store:
        partners = State.settings.max_loop_partners
        day = run(lambda: parse_day(on))
        scope = run(lambda: loops.scope(store, category=category, region=region))
        census = run(
            lambda: loops.census(
                store,
                max_partners=partners,
                today=day,
                categories=scope.categories,
                region=scope.region,
            )
        )
    if as_json:
        print_json([dataclasses.asdict(cell) for cell in census.cells])
        return
    table = Table("category", "region", "closed", "promised", "open", "partners")
    for cell in census.cells:
        table.add_row(
            cell.category_label,
            cell.region_label,
            str(cell.closed),
            str(cell.promised),
            str(cell.open),
            str(len(cell.partners)),
        )
    out.print(table)
    out.print(
        f"{census.count('closed')} closed loop(s), {census.count('promised')} promised, "
        f"{census.count('open')} open"
    )
    if census.demand:
        demand = Table("demand: category", "region", "needs", "lots", "circ-econ", "served",
                       "no loop", "not located", "buyers")  # fmt: skip
        for d in census.demand:
            counts = (d.needs, d.lots, d.circular_lots, d.served, d.unserved, d.unlocated)
            demand.add_row(
                d.category_label, d.region_label, *map(str, counts), _some(d.buyer_labels)
            )
        out.print(demand)


#: Buyers named per row of the demand table; the demand CSV (`/loops?format=csv&table=demand`)
#: names them all.
BUYERS_SHOWN = 5


def _some(names: tuple[str, ...]) -> str:
    """The first `BUYERS_SHOWN` of ``names``, and how many more there are.

    >>> _some(("A", "B"))
    'A; B'
    >>> _some(tuple("ABCDEFG"))
    'A; B; C; D; E (+2 more)'
    """
    more = len(names) - BUYERS_SHOWN
    return "; ".join(names[:BUYERS_SHOWN]) + (f" (+{more} more)" if more > 0 else "")


@app.command()
def gaps(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    on: Annotated[
        str | None, typer.Option("--on", help="judge offers as on this day (YYYY-MM-DD)")
    ] = None,
    category: Annotated[
        str | None, typer.Option("--category", help="product type, CPV code or label")
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="region: label, slug or NUTS code")
    ] = None,
) -> None:
    """Loops that cannot close, the missing role, and the bottleneck processors."""
    from kringloop.queries import loops

    with opened(read_only=True) as store:
        partners = State.settings.max_loop_partners
        day = run(lambda: parse_day(on))
        scope = run(lambda: loops.scope(store, category=category, region=region))
        census = run(
            lambda: loops.census(
                store,
                max_partners=partners,
                today=day,
                categories=scope.categories,
                region=scope.region,
            )
        )
    if as_json:
        print_json(
            {
                "gaps": [dataclasses.asdict(gap) for gap in census.gaps],
                "bottlenecks": [dataclasses.asdict(b) for b in census.bottlenecks],
            }
        )
        return
    for gap in census.gaps:
        category = census.labels.get(gap.category, _short(gap.category))
        who = f" — {gap.supplier_label}" if gap.supplier_label else ""
        out.print(
            f"• \\[{gap.kind}] {gap.label}{who} — {category} — missing: "
            f"[bold]{gap.missing_role}[/bold]\n    {gap.reason}",
            highlight=False,
        )
        nearest = "; ".join(f"{c.label} ({c.role}, {c.distance_km:g} km)" for c in gap.candidates)
        if nearest:
            out.print(f"    would close it: {nearest}", highlight=False)
        if gap.change:
            out.print(f"    {gap.change}", highlight=False)
    out.print(f"{len(census.gaps)} gap(s)")
    if census.bottlenecks:
        neck = Table("bottleneck", "loops", "only closer for", "articulation point")
        for b in census.bottlenecks:
            neck.add_row(
                b.label, str(b.loops), "; ".join(b.sole_closer_for), "yes" if b.articulation else ""
            )
        out.print(neck)


@app.command("eval")
def eval_command(
    rule: Annotated[
        list[str] | None, typer.Option("--rule", help="only the cases of this rule (repeat)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Replay the evaluation cases (data/eval/): pass/fail per rule of the loop verdict,
    hit@1, hit@3, top-3 stability under ±20% weights, coverage; exit 1 when a case fails."""
    from kringloop.queries import evaluate

    cases = [c for c in run(evaluate.load_cases) if not rule or c.rule in rule]
    with opened(read_only=True) as store:
        report = run(lambda: evaluate.evaluate(store, cases))
    if as_json:
        print_json(dataclasses.asdict(report))
    else:
        table = Table("rule", "what it checks", "cases", "passed", "failed")
        for r in report.rules:
            table.add_row(r.rule, r.title, str(r.cases), str(r.passed), str(r.failed))
        out.print(table)
        for case in report.failures:
            out.print(f"[red]✗[/red] {case.name} (rule {case.rule}, {case.file})", highlight=False)
            for failure in case.failures:
                out.print(f"    {failure}", highlight=False, markup=False)
        out.print(
            f"{len(report.cases) - len(report.failures)}/{len(report.cases)} cases pass; "
            f"hit@1 {report.hit_at_1:.2f}  hit@3 {report.hit_at_3:.2f} ({report.hit_cases} cases)  "
            f"stability {report.stability:.2f}  coverage {report.coverage:.2f}"
        )
    if not report.passed:
        raise typer.Exit(1)
