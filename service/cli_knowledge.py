"""Commands about the knowledge itself: validate against the shapes, reason with HermiT,
generate a fictional market."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pyoxigraph as ox
import typer
from rich.table import Table

from kringloop.data import generate as generating
from kringloop.graph import load as loading
from kringloop.graph.bundle import bundled_context, data_graphs
from kringloop.graph.formats import FORMAT_NAMES
from kringloop.service.cli_common import app, err, opened, out, progress_bar, run


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="RDF files to check against the shapes")],
    fmt: Annotated[str | None, typer.Option("--format", help=FORMAT_NAMES)] = None,
) -> None:
    """Check files against the SHACL shapes; exit 1 when a mandatory shape is violated.

    Nodes the files point to (code lists, places, CPV codes) are looked up in the bundled
    knowledge, so a file of offers that links to them validates on its own.
    """
    from kringloop.graph import validate as validation  # pyshacl and rdflib: when needed

    sources = run(lambda: loading.plan(files, fmt=fmt))
    quads = run(lambda: [q for source in sources for q in loading.parse_file(source)])
    checker = validation.ShapesValidator(context=validation.graph_context(bundled_context()))
    report = run(lambda: checker.check(quads))
    table = Table("severity", "focus node", "path", "message")
    for v in report.violations:
        table.add_row(v.severity, v.focus, v.path or "", v.message)
    if report.violations:
        out.print(table)
    verdict = "conforms" if report.conforms else "does not conform"
    out.print(
        f"{len(quads)} triples {verdict}: {len(report.errors)} violation(s), "
        f"{len(report.warnings)} warning(s)"
    )
    if not report.conforms:
        raise typer.Exit(1)


@app.command()
def reason(
    graphs: Annotated[
        list[str] | None,
        typer.Option("--graph", "-g", help="data graph to reason over (repeat; default: all)"),
    ] = None,
) -> None:
    """Run HermiT over the ontology and data graphs; write inferences to the inferred graph."""
    from kringloop.graph import reason as reasoning  # owlready2: when needed

    with opened() as store:
        chosen = [ox.NamedNode(g) for g in graphs] if graphs else data_graphs(store)
        err.print(f"reasoning over {len(chosen)} graph(s) with HermiT …")
        result = run(lambda: reasoning.reason(store, chosen))
    out.print(
        f"consistent: {result.individuals} individuals, {result.inferred} facts written to "
        f"{result.graph} in {result.seconds:.1f} s"
    )


@app.command()
def generate(
    orgs: Annotated[int, typer.Option("--orgs", min=1, help="number of organisations")],
    path: Annotated[Path, typer.Option("--out", "-o", help="file to write")],
    seed: Annotated[int, typer.Option("--seed", help="random seed: same seed, same bytes")] = 1,
    fmt: Annotated[generating.Format, typer.Option("--format", help="N-Triples or Turtle")] = "nt",
) -> None:
    """Write a deterministic fictional market (organisations, offers, needs, flows, loops)."""
    with (
        path.open("wb") as stream,
        progress_bar(
            orgs * generating.BYTES_PER_ORGANISATION, f"generating {path.name}"
        ) as advance,
    ):
        r = run(
            lambda: generating.generate(stream, orgs=orgs, seed=seed, progress=advance, fmt=fmt)
        )
    out.print(
        f"wrote {r.triples} triples ({r.triples_per_organisation:.1f} per organisation) to "
        f"{path}: {r.organisations} organisations, {r.offers} offers, "
        f"{r.needs} needs, {r.flows} flows; loops closed {r.closed_by_design}, "
        f"open {r.open_by_design} (by design)",
        soft_wrap=True,
    )
