"""Importing eForms notices into the store: each notice in a named graph of its own.

`import_notices` reads every notice first: one that does not read (not well-formed, a missing
identifier, an empty CPV code, an unknown code, …) refuses the whole import with its file, line
and element, and nothing is written. Then each notice is mapped (`kringloop.graph.eforms.rdf`),
checked against the shapes with what the store already holds (`kringloop.graph.writes.
check_write`, like every other write) and its graph is replaced in one transaction.

- Importing a notice again writes the same quads: the graph is left as it is (``unchanged``).
- A change notice (eForms BT-758) replaces the graph of the notice it changes (``replaced``),
  keeping the earlier notices as ``kl:changesNotice``; an older version or a changed notice
  that arrives after its change leaves the newer content in place (``superseded``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kringloop.graph.eforms.lookup import KL, read_lookups
from kringloop.graph.eforms.rdf import GRAPH_BASE, Mapped, map_notice, notice_iri
from kringloop.graph.eforms.read import Notice, read_file, read_notice
from kringloop.graph.errors import LoadError, ValidationFailure
from kringloop.graph.store import Store, text
from kringloop.graph.validate import ShapesValidator
from kringloop.graph.writes import check_write

#: Notices checked against the shapes in one validation run.
CHECK_BATCH = 25
Progress = Callable[[int], None]

_CURRENT = """
PREFIX kl: <https://w3id.org/kringloop/ns#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?g ?notice ?issued ?version ?earlier WHERE {
  GRAPH ?g { ?g prov:wasDerivedFrom ?notice . ?notice kl:issueDate ?issued .
             OPTIONAL { ?notice kl:noticeVersion ?version }
             OPTIONAL { ?notice kl:changesNotice ?earlier } }
}
"""
_HOLDING = """
PREFIX kl: <https://w3id.org/kringloop/ns#>
SELECT ?g WHERE { GRAPH ?g { ?notice a kl:Notice } FILTER(STRSTARTS(STR(?g), ?base)) }
"""


@dataclass(frozen=True)
class Imported:
    """What the import did with one notice."""

    source: str
    notice: str
    graph: str
    status: str  # imported | replaced | unchanged | superseded
    needs: tuple[str, ...] = ()
    awards: int = 0
    notes: tuple[str, ...] = ()


def notice_files(paths: Iterable[Path]) -> list[Path]:
    """The files ``paths`` name: files as given, directories by their ``*.xml`` files."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.xml") if p.is_file())
        elif path.is_file():
            found.append(path)
        else:
            raise LoadError("no such file or directory", source=path, hint="check the path")
    if not found:
        raise LoadError("no notice files (*.xml) found", source=", ".join(map(str, paths)))
    return found


@dataclass
class _Plan:
    notice: Notice
    root: str
    status: str
    revisions: tuple[str, ...] = ()
    mapped: Mapped | None = None


class _Graphs:
    """The eForms graphs of the store (and of this import): which notice each holds."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.current: dict[str, tuple[str, tuple[str, str], set[str]]] = {}
        for row in store.select(_CURRENT):
            g = text(row["g"])
            if not g.startswith(GRAPH_BASE):
                continue
            order = (text(row["issued"]), text(row["version"]) if "version" in row else "01")
            _, _, earlier = self.current.setdefault(g, (text(row["notice"]), order, set()))
            if "earlier" in row:
                earlier.add(text(row["earlier"]))

    def holding(self, notice: str) -> str | None:
        """The root of the graph that holds ``notice`` (from the store or this import)."""
        for g, (n, _, earlier) in self.current.items():
            if notice == n or notice in earlier:
                return g[len(GRAPH_BASE) :]
        rows = self.store.select(
            _HOLDING, bindings={"notice": ox.NamedNode(notice), "base": ox.Literal(GRAPH_BASE)}
        )
        return text(rows[0]["g"])[len(GRAPH_BASE) :] if rows else None


def _plan(notices: Sequence[Notice], graphs: _Graphs) -> list[_Plan]:
    plans: list[_Plan] = []
    latest: dict[str, _Plan] = {}
    for notice in sorted(notices, key=lambda n: (n.order, n.source)):
        iri = notice_iri(notice.identifier)
        root = graphs.holding(iri)
        if root is None and notice.changes is not None:
            changed = notice_iri(notice.changes[0])
            root = graphs.holding(changed) or notice.changes[0]
        root = root or notice.identifier
        graph = GRAPH_BASE + root
        plan = _Plan(notice, root, "imported")
        held = graphs.current.get(graph)
        if held is not None:
            current, order, earlier = held
            if order > (notice.issued.isoformat(), notice.version):
                plan.status = "superseded"
            else:
                plan.status = "replaced" if current != iri else "imported"
                plan.revisions = tuple(sorted((earlier | {current}) - {iri}))
        if plan.status != "superseded":
            if graph in latest:  # an earlier notice of this import: this one replaces it
                latest[graph].status = "superseded"
            latest[graph] = plan
            graphs.current[graph] = (
                iri,
                (notice.issued.isoformat(), notice.version),
                set(plan.revisions),
            )
        plans.append(plan)
    return plans


def _check(store: Store, validator: ShapesValidator, plans: Sequence[_Plan]) -> None:
    """Check the plans against the shapes, a batch at a time; on a failure, one by one, so
    that the error names the notice's file."""
    for start in range(0, len(plans), CHECK_BATCH):
        batch = plans[start : start + CHECK_BATCH]
        try:
            _check_some(store, validator, batch)
        except ValidationFailure:
            for plan in batch:
                try:
                    _check_some(store, validator, [plan])
                except ValidationFailure as failure:
                    raise ValidationFailure(
                        failure.violations, source=plan.notice.source
                    ) from failure
            raise


def _check_some(store: Store, validator: ShapesValidator, plans: Sequence[_Plan]) -> None:
    added = [q for p in plans if p.mapped is not None for q in p.mapped.quads]
    replaced = [p.mapped.graph for p in plans if p.mapped is not None]
    check_write(store, validator, added=added, replaced=replaced)


def import_notices(
    store: Store,
    notices: Sequence[Notice],
    *,
    validator: ShapesValidator | None = None,
    progress: Progress | None = None,
) -> list[Imported]:
    """Write ``notices`` (already read) into ``store``: see the module description.
    ``progress`` is called with 1 for every notice written or left unchanged."""
    lookups = read_lookups(store)
    plans = _plan(notices, _Graphs(store))
    for plan in plans:
        if plan.status != "superseded":
            plan.mapped = map_notice(
                plan.notice, root=plan.root, lookups=lookups, revisions=plan.revisions
            )
    writes = [p for p in plans if p.mapped is not None and p.status != "superseded"]
    fresh = []
    for plan in writes:
        assert plan.mapped is not None
        if set(store.quads(plan.mapped.graph)) == _as_stored(plan.mapped.quads):
            plan.status = "unchanged"
        else:
            fresh.append(plan)
    if validator is not None:
        _check(store, validator, fresh)
    for plan in plans:
        if plan in fresh:
            assert plan.mapped is not None
            store.replace_graph(plan.mapped.graph, plan.mapped.quads)
        if progress is not None:
            progress(1)
    return [_report(p) for p in plans]


def _as_stored(quads: Sequence[ox.Quad]) -> set[ox.Quad]:
    """The quads as the engine keeps them (it canonicalises literals: 1000.0 may come back
    otherwise), to compare with what a graph holds."""
    scratch = ox.Store()
    scratch.extend(quads)
    return set(scratch)


def _report(plan: _Plan) -> Imported:
    m = plan.mapped
    return Imported(
        source=plan.notice.source,
        notice=notice_iri(plan.notice.identifier),
        graph=GRAPH_BASE + plan.root,
        status=plan.status,
        needs=tuple(m.needs) if m else (),
        awards=m.awards if m else 0,
        notes=tuple(m.notes) if m else (),
    )


def import_files(
    store: Store,
    paths: Iterable[Path],
    *,
    validator: ShapesValidator | None = None,
    progress: Progress | None = None,
    read_progress: Progress | None = None,
) -> list[Imported]:
    """Read every notice of ``paths`` (files, or directories of ``*.xml``), then import them;
    one that does not read refuses the whole import before anything is written."""
    notices = []
    for path in notice_files(paths):
        notices.append(read_file(path))
        if read_progress is not None:
            read_progress(1)
    return import_notices(store, notices, validator=validator, progress=progress)


def import_bytes(
    store: Store, data: bytes, *, source: str, validator: ShapesValidator | None = None
) -> Imported:
    """Import one notice held in memory (an HTTP request body)."""
    return import_notices(store, [read_notice(data, source=source)], validator=validator)[0]


__all__ = ["KL", "Imported", "import_bytes", "import_files", "import_notices", "notice_files"]
