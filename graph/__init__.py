"""The store and everything that reads or writes it: loading, validation, reasoning, analysis."""

from pathlib import Path

from kringloop.graph.errors import ConfigError
from kringloop.graph.store import OxigraphStore, Store

STORE_KINDS = ("oxigraph", "memory")


def open_store(kind: str, path: Path, *, read_only: bool = False) -> Store:
    """Open the store of the given kind: ``oxigraph`` (on disk at ``path``) or ``memory``."""
    if kind == "oxigraph":
        return OxigraphStore.open(path, read_only=read_only)
    if kind == "memory":
        return OxigraphStore.memory()
    raise ConfigError(f"unknown store kind {kind!r}", hint=f"use one of {', '.join(STORE_KINDS)}")


__all__ = ["STORE_KINDS", "OxigraphStore", "Store", "open_store"]
