"""The store and everything that reads or writes it: loading, validation, reasoning, analysis."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kringloop.graph.errors import ConfigError
from kringloop.graph.store import OxigraphStore, Store

if TYPE_CHECKING:
    from kringloop.graph.remote import SparqlConfig

STORE_KINDS = ("oxigraph", "memory", "sparql")


def open_store(
    kind: str, path: Path, *, read_only: bool = False, sparql: SparqlConfig | None = None
) -> Store:
    """Open the store of the given kind: ``oxigraph`` (on disk at ``path``), ``memory``, or
    ``sparql`` (a SPARQL 1.1 server described by ``sparql``)."""
    if kind == "oxigraph":
        return OxigraphStore.open(path, read_only=read_only)
    if kind == "memory":
        return OxigraphStore.memory()
    if kind == "sparql":
        from kringloop.graph.remote import SparqlStore

        if sparql is None:
            raise ConfigError(
                "KRINGLOOP_STORE=sparql needs the server's query URL",
                hint="set KRINGLOOP_SPARQL_QUERY_URL (and _UPDATE_URL, _GSP_URL)",
            )
        return SparqlStore(sparql, read_only=read_only)
    raise ConfigError(f"unknown store kind {kind!r}", hint=f"use one of {', '.join(STORE_KINDS)}")


__all__ = ["STORE_KINDS", "OxigraphStore", "Store", "open_store"]
