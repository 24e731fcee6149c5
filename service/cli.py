"""The ``kringloop`` command line: thin commands over the core.

Exit codes: 0 ok; 1 the data does not conform (or a check failed); 2 usage, configuration or
load error (bad file, bad query, missing store).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import pyoxigraph as ox
import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn
from rich.table import Table

from kringloop import __version__
from kringloop.graph import Store, formats, open_store, results
from kringloop.graph import bundle as bundled
from kringloop.graph import load as loading
from kringloop.graph import stats as statistics
from kringloop.graph.errors import KringloopError, LoadError, ValidationFailure
from kringloop.graph.formats import FORMAT_NAMES
from kringloop.graph.store import QueryResult
from kringloop.service.settings import Settings

app = typer.Typer(
    name="kringloop",
    help="A knowledge graph for circular procurement: store, query, serve.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)
T = TypeVar("T")


class State:
    settings: Settings = Settings()


def _version(value: bool) -> None:
    if value:
        out.print(f"kringloop {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    store_path: Annotated[
        Path | None, typer.Option("--store-path", help="store directory (KRINGLOOP_STORE_PATH)")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version")
    ] = False,
) -> None:
    """kringloop: circular procurement knowledge graph."""
    settings = Settings()
    if store_path is not None:
        settings = settings.model_copy(update={"store_path": store_path})
    State.settings = settings


def run(action: Callable[[], T]) -> T:
    """Run a core call, turning kringloop errors into a message and the documented exit code."""
    try:
        return action()
    except ValidationFailure as failure:
        report_violations(failure)
        raise typer.Exit(failure.exit_code) from failure
    except KringloopError as error:
        err.print(f"[red]error:[/red] {error}", highlight=False, markup=True, soft_wrap=True)
        raise typer.Exit(error.exit_code) from error


def report_violations(failure: ValidationFailure) -> None:
    err.print(f"[red]error:[/red] {failure}", highlight=False)
    table = Table("severity", "focus node", "path", "message", show_lines=False)
    for v in failure.violations:
        table.add_row(v.severity, v.focus, v.path or "", v.message)
    err.print(table)


@contextmanager
def opened(*, read_only: bool = False) -> Iterator[Store]:
    s = State.settings
    store = run(lambda: open_store(s.store, s.store_path, read_only=read_only))
    try:
        yield store
    finally:
        store.close()


@contextmanager
def progress_bar(total: int, description: str) -> Iterator[Callable[[int], None]]:
    """A byte-progress bar on stderr (silent when stderr is not a terminal and work is small)."""
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(
        *columns, console=err, transient=True, disable=total < 2_000_000 and not err.is_terminal
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


RESULT_FORMATS = (
    "table, json, xml, csv, tsv (SELECT/ASK); turtle, ntriples, jsonld, rdfxml (CONSTRUCT)"
)


@app.command()
def init(
    demo: Annotated[bool, typer.Option("--demo/--no-demo", help="also load the demo data")] = True,
) -> None:
    """Create the store and load the ontology (and the bundled demo data) when it is empty."""
    with opened() as store:
        sources = bundled.bundled_sources(None if demo else list(bundled.VOCABULARY_PARTS))
        total = sum(s.size for s in sources)
        with progress_bar(total, "loading bundled knowledge") as advance:
            loaded = run(lambda: bundled.initialise(store, with_data=demo, progress=advance))
        if loaded is None:
            out.print(f"store at {store.location} already holds data; nothing loaded")
            return
        for item in loaded:
            out.print(f"{item.quads:>8} triples  {item.path.name:<28} → {item.graph}")
        out.print(f"initialised {store.location}: {sum(i.quads for i in loaded)} triples")


@app.command()
def load(
    files: Annotated[list[Path], typer.Argument(help="RDF files (format from the extension)")],
    graph: Annotated[str | None, typer.Option("--graph", "-g", help="target graph IRI")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help=FORMAT_NAMES)] = None,
) -> None:
    """Load RDF files atomically: all of them, or nothing when one fails."""
    with opened() as store:
        sources = run(lambda: loading.plan(files, graph=graph, fmt=fmt))
        total = sum(s.size for s in sources)
        with progress_bar(total, "loading") as advance:
            loaded = run(lambda: loading.load(store, sources, progress=advance))
        for item in loaded:
            out.print(f"{item.quads:>8} triples  {item.path}  → {item.graph}")


@app.command()
def query(
    text: Annotated[str | None, typer.Argument(help="SPARQL query text")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="read the query from a file")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help=RESULT_FORMATS)] = "table",
    union: Annotated[
        bool, typer.Option("--union", help="default graph = union of all graphs")
    ] = False,
) -> None:
    """Run a SPARQL query and print the result."""
    if (text is None) == (file is None):
        err.print("error: give the query text or --file FILE (one of them)")
        raise typer.Exit(2)
    sparql = text if text is not None else run(lambda: read_text(file))
    with opened(read_only=True) as store:
        result = run(lambda: store.query(sparql, union_default_graph=union))
        if fmt == "table":
            print_table(result)
        else:
            sys.stdout.buffer.write(run(lambda: results.serialize(result, fmt)))
            sys.stdout.flush()


def read_text(path: Path | None) -> str:
    assert path is not None
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise LoadError(str(error.strerror or error), source=path) from error


def print_table(result: QueryResult) -> None:
    kind = results.result_kind(result)
    if kind == "ask":
        out.print("true" if bool(result) else "false")
        return
    if kind == "graph":
        sys.stdout.buffer.write(results.serialize(result, "turtle"))
        return
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    table = Table(*names)
    rows = 0
    for solution in result:
        table.add_row(*(results.term_text(solution[n]) for n in names))
        rows += 1
    out.print(table)
    out.print(f"{rows} row(s)")


@app.command()
def export(
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="file (default: stdout)")
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format", help="nquads or trig (whole dataset); any RDF format with --graph"
        ),
    ] = "nquads",
    graph: Annotated[
        str | None, typer.Option("--graph", "-g", help="export one graph only")
    ] = None,
) -> None:
    """Dump the whole dataset (N-Quads or TriG) or one graph."""
    rdf_format = run(lambda: formats.rdf_format(fmt))
    target = ox.NamedNode(graph) if graph else None
    with opened(read_only=True) as store:
        if output is None:
            run(lambda: store.dump(sys.stdout.buffer, rdf_format, graph=target))
        else:
            run(lambda: store.dump(output, rdf_format, graph=target))
            err.print(f"wrote {output}")


@app.command()
def restore(
    dump: Annotated[Path, typer.Argument(help="an N-Quads or TriG dump made by export")],
    replace: Annotated[
        bool, typer.Option("--replace", help="replace a store that holds data")
    ] = False,
) -> None:
    """Restore a dump into the store (refuses a store that holds data unless --replace)."""
    with opened() as store:
        sources = run(lambda: loading.plan([dump]))
        with progress_bar(sources[0].size, "restoring") as advance:
            count = run(
                lambda: loading.restore(store, sources[0], replace=replace, progress=advance)
            )
        out.print(f"restored {count} quads from {dump}")


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Triples per graph, classes and their instances."""
    with opened(read_only=True) as store:
        figures = run(lambda: statistics.collect(store))
    if as_json:
        out.print_json(data=dataclasses.asdict(figures))
        return
    out.print(
        f"{figures.store} store at {figures.location}: {figures.quads} quads, "
        f"{figures.subjects} subjects, {figures.predicates} predicates"
    )
    table = Table("graph", "triples")
    for g in figures.graphs:
        table.add_row(g.graph, str(g.triples))
    out.print(table)
    classes = Table("class", "instances")
    for c in figures.classes:
        classes.add_row(c.cls, str(c.instances))
    out.print(classes)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address (default 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default 8000)")] = None,
) -> None:
    """Serve the store over HTTP (initialises an empty store with the demo data first)."""
    import uvicorn

    from kringloop.service.app import create_app

    settings = State.settings.model_copy(
        update={k: v for k, v in (("host", host), ("port", port)) if v is not None}
    )
    application = run(lambda: create_app(settings))
    uvicorn.run(application, host=settings.host, port=settings.port, log_level="info")


def main() -> None:
    """Entry point of the ``kringloop`` script."""
    app(prog_name="kringloop")


if __name__ == "__main__":
    main()
