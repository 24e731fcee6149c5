"""``kringloop import eforms``: procurement notices into the store (thin: the core imports)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from kringloop.service.cli_common import app, err, opened, out, print_json, run

import_app = typer.Typer(help="Import data published in other formats.", no_args_is_help=True)
app.add_typer(import_app, name="import")


@import_app.command("eforms")
def import_eforms(
    paths: Annotated[list[Path], typer.Argument(help="notice files (XML) or directories of them")],
    no_validate: Annotated[
        bool, typer.Option("--no-validate", help="skip the check against the SHACL shapes")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Import eForms notices (prior information, contract and award notices), each in a
    named graph of its own. Every notice is read first: one that does not read refuses the
    whole import (exit 2, with file, line and element) and nothing is written."""
    from kringloop.graph.eforms import imports
    from kringloop.graph.validate import for_store

    files = run(lambda: imports.notice_files(paths))
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with opened() as store, Progress(*columns, console=err, transient=True) as bar:
        reading = bar.add_task("reading", total=len(files))
        writing = bar.add_task("importing", total=len(files))
        results = run(
            lambda: imports.import_files(
                store,
                files,
                validator=None if no_validate else for_store(store),
                read_progress=lambda n: bar.advance(reading, n),
                progress=lambda n: bar.advance(writing, n),
            )
        )
    if as_json:
        print_json([dataclasses.asdict(r) for r in results])
        return
    table = Table("notice", "status", "lots", "awards", "notes")
    for r in results:
        notes = "\n".join(r.notes)
        table.add_row(Path(r.source).name, r.status, str(len(r.needs)), str(r.awards), notes)
    out.print(table)
    statuses = ("imported", "replaced", "unchanged", "superseded")
    counts = ", ".join(f"{sum(1 for r in results if r.status == s)} {s}" for s in statuses)
    out.print(f"{counts} ({len(results)} notices)")
