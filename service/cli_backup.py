"""Backups of the on-disk store: ``kringloop backup DIR`` and ``kringloop restore-backup DIR``.

A backup is Oxigraph's `Store.backup`: a consistent copy of the RocksDB files (hard links where
it can), itself an openable store. It is made by a process that holds the store *for writing*:
made from a read-only instance it would miss every write still in the log (measured: a backup of
a read-only instance held 0 of 1 quads), so ``kringloop backup`` refuses to run while the server
holds the store. Restoring copies a backup into an empty store directory.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from kringloop.graph import OxigraphStore
from kringloop.graph.errors import ConfigError
from kringloop.service.cli_common import State, app, out, run


def make_backup(store_path: Path, target: Path) -> int:
    """Back the store at ``store_path`` up into ``target`` (which must not exist); its quads."""
    if target.exists():
        raise ConfigError(
            f"{target} already exists", hint="back up into a new directory (Oxigraph refuses)"
        )
    store = OxigraphStore.open(store_path, create=False)
    try:
        store.raw.backup(str(target))
    finally:
        store.close()
    copy = OxigraphStore.open(target, read_only=True)
    try:
        return len(copy.raw)
    finally:
        copy.close()


def restore_backup(source: Path, store_path: Path, *, replace: bool = False) -> int:
    """Copy the backup at ``source`` to ``store_path`` (empty, or replaced); its quads."""
    if not (source / "CURRENT").exists():
        raise ConfigError(f"{source} is not a backup", hint="give a directory made by backup")
    if store_path.exists() and any(store_path.iterdir()):
        if not replace:
            raise ConfigError(
                f"{store_path} already holds a store",
                hint="stop the server, then restore with --replace (or into a new directory)",
            )
        OxigraphStore.open(store_path, create=False).close()  # fails while a server holds it
        shutil.rmtree(store_path)
    shutil.copytree(source, store_path)
    store = OxigraphStore.open(store_path)
    try:
        return len(store.raw)
    finally:
        store.close()


@app.command()
def backup(
    target: Annotated[Path, typer.Argument(help="a new directory for the backup")],
) -> None:
    """Make a consistent backup of the on-disk store (stop the server first)."""
    count = run(lambda: make_backup(State.settings.store_path, target))
    out.print(f"backed up {count} quads to {target}")


@app.command("restore-backup")
def restore_from_backup(
    source: Annotated[Path, typer.Argument(help="a directory made by `kringloop backup`")],
    replace: Annotated[bool, typer.Option("--replace", help="replace an existing store")] = False,
) -> None:
    """Restore a backup into the store directory (the server must be stopped)."""
    count = run(lambda: restore_backup(source, State.settings.store_path, replace=replace))
    out.print(f"restored {count} quads from {source}")
