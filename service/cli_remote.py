"""`kringloop load` on an external SPARQL store: batches with a progress bar, resumable."""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox

from kringloop.graph.errors import ConfigError
from kringloop.graph.load import BULK_THRESHOLD, Source, Validator, parse_file
from kringloop.graph.remote import SparqlStore, load_batches
from kringloop.graph.store import Store
from kringloop.service.cli_common import err, out, progress_bar, run


def _validated(sources: Sequence[Source], validator: Validator) -> list[ox.Quad]:
    total = sum(s.size for s in sources)
    if total > BULK_THRESHOLD:
        raise ConfigError(
            f"{total // 2**20} MB is too much to validate against the shapes in one load",
            hint="load large generated files with --no-validate, or split them",
        )
    quads = [q for s in sources for q in parse_file(s)]
    validator(quads)
    return quads


def load_remote(
    store: Store, sources: Sequence[Source], *, validator: Validator | None, resume_from: int
) -> None:
    """Send ``sources`` to ``store`` in Graph Store Protocol batches (validated first if asked),
    with a progress bar; a failed batch is named so that the load can resume there."""
    assert isinstance(store, SparqlStore)
    quads = run(lambda: _validated(sources, validator)) if validator is not None else None
    if resume_from > 1:
        err.print(f"resuming at batch {resume_from}: earlier batches are parsed, not sent")
    total = sum(s.size for s in sources) if quads is None else 0
    with progress_bar(total, "loading in batches") as advance:
        done = run(
            lambda: load_batches(
                store, sources, progress=advance, resume_from=resume_from, quads=quads
            )
        )
    rate = done.triples / done.seconds if done.seconds else 0.0
    out.print(
        f"{done.triples} triples in {done.batches - done.skipped} batch(es) "
        f"({done.skipped} skipped) to {store.location}: {rate:,.0f} triples/s"
    )
