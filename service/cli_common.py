"""Shared parts of the command line: the typer app, consoles, error mapping, store opening.

Exit codes: 0 ok; 1 the data does not conform (or a check failed); 2 usage, configuration or
load error (bad file, bad query, missing store).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn
from rich.table import Table
from typer.core import TyperGroup

from kringloop import __version__
from kringloop.graph import Store, open_store
from kringloop.graph.errors import KringloopError, ValidationFailure
from kringloop.service.settings import Settings


class GlobalOptionsAnywhere(TyperGroup):
    """The group of commands, taking the global options after the command too.

    ``kringloop load a.ttl --store-path x`` means the same as ``kringloop --store-path x load
    a.ttl``: the options are moved in front of the command before the arguments are parsed.

    >>> GlobalOptionsAnywhere.hoisted(["load", "a.ttl", "--store-path", "x"])
    ['--store-path', 'x', 'load', 'a.ttl']
    >>> GlobalOptionsAnywhere.hoisted(["query", "--store-path=x", "--", "--store-path"])
    ['--store-path=x', 'query', '--', '--store-path']
    """

    GLOBAL = ("--store-path",)

    @classmethod
    def hoisted(cls, args: list[str]) -> list[str]:
        front: list[str] = []
        rest: list[str] = []
        index = 0
        while index < len(args):
            arg = args[index]
            if arg == "--":
                rest += args[index:]
                break
            if arg in cls.GLOBAL and index + 1 < len(args):
                front += args[index : index + 2]
                index += 2
                continue
            if arg.split("=", 1)[0] in cls.GLOBAL and "=" in arg:
                front.append(arg)
            else:
                rest.append(arg)
            index += 1
        return front + rest

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's own click
        return super().parse_args(ctx, self.hoisted(list(args)))


app = typer.Typer(
    cls=GlobalOptionsAnywhere,
    name="kringloop",
    help="A knowledge graph for circular procurement: store, query, serve.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)
T = TypeVar("T")
#: JSON answers longer than this are written plainly: rich colours JSON at ~0.4 MB/s
#: (measured: 19 s for the 7.6 MB of `kringloop gaps --json` at 100k organisations).
COLOURED_JSON_CHARS = 100_000


def print_json(data: Any) -> None:
    """``data`` as indented JSON on standard output, coloured on a terminal when it is short.

    >>> print_json({"a": [1, "é"]})
    {
      "a": [
        1,
        "é"
      ]
    }
    """
    answer = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    if out.is_terminal and len(answer) < COLOURED_JSON_CHARS:
        out.print_json(answer)
    else:
        typer.echo(answer)


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
    except KringloopError as error:
        fail(error)


def fail(error: KringloopError) -> NoReturn:
    """Report ``error`` and exit with its documented code."""
    if isinstance(error, ValidationFailure):
        report_violations(error)
    else:
        err.print(f"[red]error:[/red] {error}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(error.exit_code) from error


def report_violations(failure: ValidationFailure) -> None:
    err.print(f"[red]error:[/red] {failure}", highlight=False)
    table = Table("severity", "focus node", "path", "message", show_lines=False)
    for v in failure.violations:
        table.add_row(v.severity, v.focus, v.path or "", v.message)
    err.print(table)


def open_configured(*, read_only: bool = False) -> Store:
    """The configured store (kringloop errors are raised, not turned into exit codes)."""
    s = State.settings
    return open_store(s.store, s.store_path, read_only=read_only, sparql=s.sparql_config())


@contextmanager
def opened(*, read_only: bool = False) -> Iterator[Store]:
    store = run(lambda: open_configured(read_only=read_only))
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


def parse_day(value: str | None) -> date | None:
    """A ``--on`` or ``--needed-by`` date (usage error when it is not YYYY-MM-DD)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as err:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from err
