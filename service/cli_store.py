"""Commands over the store: init, load, query, export, restore, stats, serve."""

from __future__ import annotations

import copy
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import pyoxigraph as ox
import typer
from rich.table import Table

from kringloop.graph import bundle as bundled
from kringloop.graph import formats, results
from kringloop.graph import load as loading
from kringloop.graph import stats as statistics
from kringloop.graph.errors import KringloopError, LoadError, StoreInUse
from kringloop.graph.formats import FORMAT_NAMES
from kringloop.graph.store import QueryResult, Store
from kringloop.service.cli_common import (
    State,
    app,
    err,
    fail,
    open_configured,
    opened,
    out,
    print_json,
    progress_bar,
    run,
)

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
    check: Annotated[
        bool | None,
        typer.Option("--validate/--no-validate", help="check data against the SHACL shapes"),
    ] = None,
    resume_from: Annotated[
        int,
        typer.Option(
            "--resume-from", min=1, help="external store: continue a failed load at batch N"
        ),
    ] = 1,
) -> None:
    """Load RDF files atomically: all of them, or nothing when one fails or does not conform.

    While `kringloop serve` holds the store, the files go through that server's Graph Store
    (one request, with KRINGLOOP_WRITE_TOKEN; the server checks the shapes as it is set up to).
    On an external SPARQL store (KRINGLOOP_STORE=sparql) files go in batches, which is not
    atomic: a failed batch is named, and the load resumes with --resume-from N.
    """
    sources = run(lambda: loading.plan(files, graph=graph, fmt=fmt))
    try:
        store = open_configured()
    except StoreInUse as busy:  # `kringloop serve` holds it: through the server
        from kringloop.service.cli_served import through_server

        if check is False:
            err.print("note: the server checks the shapes as it is set up to (--no-validate)")
        held = busy
        url, count = run(lambda: through_server(State.settings, sources, held))
        out.print(
            f"{count:>8} triples  from {len(sources)} file(s) sent to the server at {url}, "
            "which holds the store (one transaction)",
            soft_wrap=True,
        )
        return
    except KringloopError as error:
        fail(error)
    try:
        load_into(store, sources, check=check, resume_from=resume_from)
    finally:
        store.close()


def load_into(
    store: Store, sources: Sequence[loading.Source], *, check: bool | None, resume_from: int
) -> None:
    total = sum(s.size for s in sources)
    wanted = State.settings.validate_data if check is None else check
    validator = None
    if wanted:
        from kringloop.graph import validate as validation  # pyshacl: only when validating

        validator = validation.for_store(store)
    if store.kind == "sparql":
        from kringloop.service.cli_remote import load_remote

        load_remote(store, sources, validator=validator, resume_from=resume_from)
        return
    with progress_bar(total, "loading") as advance:
        loaded = run(lambda: loading.load(store, sources, validator=validator, progress=advance))
    for item in loaded:
        out.print(f"{item.quads:>8} triples  {item.path}  → {item.graph}")


@app.command()
def drop(
    graph: Annotated[str, typer.Argument(help="IRI of the named graph to remove")],
) -> None:
    """Remove one named graph (e.g. to roll back a failed batched load)."""
    with opened() as store:
        run(lambda: store.drop_graph(loading.graph_iri(graph)))
        out.print(f"dropped {graph}")


@app.command()
def query(
    text: Annotated[str | None, typer.Argument(help="SPARQL query text")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="read the query from a file")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help=RESULT_FORMATS)] = "table",
    union: Annotated[
        bool | None,
        typer.Option(
            "--union/--strict",
            help="default graph: the union of all graphs, each triple once (the default, "
            "KRINGLOOP_UNION_DEFAULT_GRAPH), or the store's real default graph",
        ),
    ] = None,
) -> None:
    """Run a SPARQL query and print the result."""
    if (text is None) == (file is None):
        err.print("error: give the query text or --file FILE (one of them)")
        raise typer.Exit(2)
    sparql = text if text is not None else run(lambda: read_text(file))
    wanted = State.settings.union_default_graph if union is None else union
    with opened(read_only=True) as store:
        result = run(lambda: run_query(store, sparql, union=wanted))
        if fmt == "table":
            print_table(result)
        else:
            sys.stdout.buffer.write(run(lambda: results.serialize(result, fmt)))
            sys.stdout.flush()


def run_query(store: Store, sparql: str, *, union: bool) -> QueryResult:
    """``sparql`` on ``store``; with ``union``, over the union of all graphs, each triple
    once (`kringloop.graph.union`), unless the query names its own dataset."""
    from kringloop.graph import sparql_text
    from kringloop.graph.streaming import ReadQuery
    from kringloop.graph.union import UnionTracker
    from kringloop.service.protocol import union_dataset

    if not union or sparql_text.has_dataset_clause(sparql):
        return store.query(sparql)
    dataset = union_dataset(UnionTracker(store).refresh())
    return ReadQuery(sparql, dataset=dataset).run(store)


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
    allow_empty: Annotated[
        bool,
        typer.Option("--allow-empty", help="with --replace: let a dump without quads empty it"),
    ] = False,
) -> None:
    """Restore a dump into the store (refuses a store that holds data unless --replace)."""
    with opened() as store:
        sources = run(lambda: loading.plan([dump]))
        with progress_bar(sources[0].size, "restoring") as advance:
            count = run(
                lambda: loading.restore(
                    store, sources[0], replace=replace, allow_empty=allow_empty, progress=advance
                )
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
        print_json(dataclasses.asdict(figures))
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
    access_log: Annotated[
        bool, typer.Option("--access-log", help="log every request (costs ~15 % on small queries)")
    ] = False,
) -> None:
    """Serve the store over HTTP (initialises an empty store with the demo data first).

    Says one line once it answers: where the store is, how many triples it holds, the URL.
    """
    import uvicorn
    import uvicorn.config

    from kringloop.service import cli_served
    from kringloop.service.app import create_app

    settings = State.settings.model_copy(
        update={k: v for k, v in (("host", host), ("port", port)) if v is not None}
    )
    application = run(lambda: create_app(settings))
    logs = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)  # and kringloop's own lines (workers)
    logs["loggers"]["kringloop"] = {"handlers": ["plain"], "level": "INFO", "propagate": False}
    logs["formatters"]["plain"] = {"()": "logging.Formatter", "fmt": "%(message)s"}
    logs["handlers"]["plain"] = {
        "formatter": "plain",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    config = uvicorn.Config(
        application,
        host=settings.host,
        port=settings.port,
        log_level="info" if access_log else "warning",
        log_config=logs,
        access_log=access_log,
    )
    with cli_served.announced(settings):
        cli_served.Serving(config, settings, application).run()
