"""The catalogue of named queries: one SPARQL query per ``.rq`` file, with a grlc-style header.

Each file starts with YAML in ``#+`` comment lines::

    #+ summary: Processing offers near a place that accept a product type
    #+ description: ...
    #+ tags: [matchmaking, geography]
    #+ parameters:
    #+   maxKm: {type: decimal, example: 25, default: 50, description: radius in km}

and uses each parameter as a variable ``?_name`` (camelCase). The catalogue is loaded strictly:
bad YAML, an unknown key, a missing summary, a SPARQL syntax error, a parameter without an
example, or a parameter declared but not used (or used but not declared) stops the load with
an error that names the file. Running a query binds its typed parameters as RDF terms, never
as text, over the union of all graphs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import pyoxigraph as ox
import yaml

from kringloop.graph.binding import Term, blank_out, where_offset
from kringloop.graph.errors import (
    LoadError,
    NotFoundError,
    Position,
    QueryError,
    QuerySyntaxError,
)
from kringloop.graph.store import OxigraphStore, QueryResult, Store
from kringloop.queries.params import TYPES, ParameterError, sparql_term, to_term

#: The folder of the named queries shipped with kringloop.
QUERIES_DIR = Path(__file__).resolve().parent

HEADER_KEYS = frozenset({"summary", "description", "tags", "parameters"})
#: Names the HTTP service keeps for itself (``format`` chooses the answer's format).
RESERVED_NAMES = frozenset({"format"})
PARAMETER_KEYS = frozenset({"type", "example", "default", "description"})
_NAME = re.compile(r"^[a-z][A-Za-z0-9]*$")
_STEM = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_PARAMETER_USE = re.compile(r"[?$]_([A-Za-z0-9_]+)")


class CatalogError(LoadError):
    """A named-query file that cannot be loaded; the catalogue (and the service) do not start."""

    def __init__(self, message: str, *, source: Path, position: Position | None = None) -> None:
        super().__init__(
            message,
            source=source,
            position=position,
            hint="fix the query file; see queries/README.md for the header format",
        )


@dataclass(frozen=True)
class Parameter:
    """One typed parameter ``?_name`` of a named query."""

    name: str
    type: str
    example: str
    description: str = ""
    default: str | None = None

    @property
    def required(self) -> bool:
        return self.default is None

    @property
    def variable(self) -> str:
        """The SPARQL variable the value is bound to (without ``?``)."""
        return f"_{self.name}"

    def term(self, value: object) -> Term:
        """``value`` as the RDF term of this parameter's type (raises `ParameterError`)."""
        return to_term(self.type, value, name=self.name)


@dataclass(frozen=True)
class NamedQuery:
    """A query of the catalogue; ``name`` is its file stem, operation id and route."""

    name: str
    path: Path
    summary: str
    description: str
    tags: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    sparql: str
    form: str  # "select", "construct" or "ask"

    def parameter(self, name: str) -> Parameter:
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        raise ParameterError(
            f"{self.name} has no parameter {name!r}; it takes "
            + (", ".join(p.name for p in self.parameters) or "no parameters"),
            parameter=name,
        )

    def bindings(self, values: Mapping[str, object]) -> dict[str, Term]:
        """The variable bindings for ``values`` (name → value); defaults fill the gaps.

        Unknown names, missing required values and values of the wrong type raise
        `ParameterError`.
        """
        for name in values:
            self.parameter(name)
        bound: dict[str, Term] = {}
        for parameter in self.parameters:
            value = values.get(parameter.name)
            if value is None or (value == "" and parameter.type != "string"):  # empty form field
                value = parameter.default
            if value is None:
                raise ParameterError(
                    f"{self.name} needs parameter {parameter.name!r} "
                    f"({TYPES[parameter.type]}; for example {parameter.example})",
                    parameter=parameter.name,
                )
            bound[parameter.variable] = parameter.term(value)
        return bound

    def example_values(self) -> dict[str, str]:
        return {p.name: p.example for p in self.parameters}

    def body(self) -> str:
        """The query text without its ``#+`` header lines."""
        lines = self.sparql.splitlines()
        return "\n".join(line for line in lines if not line.startswith("#+")).strip() + "\n"

    def example_text(self) -> str:
        """The query with its example values fixed in a ``VALUES`` block (for the editor)."""
        text = self.body()
        if not self.parameters:
            return f"# {self.summary}\n{text}"
        bound = self.bindings(self.example_values())
        names = " ".join(f"?{v}" for v in bound)
        terms = " ".join(sparql_term(t) for t in bound.values())
        at = where_offset(text)
        block = f"\n  VALUES ({names}) {{ ({terms}) }}"
        return f"# {self.summary}\n{text[:at]}{block}{text[at:]}"


def _header(path: Path, text: str) -> dict[str, object]:
    lines = [(n, line[2:]) for n, line in enumerate(text.splitlines(), 1) if line.startswith("#+")]
    if not lines:
        raise CatalogError("no '#+' header (a summary at least)", source=path)
    try:
        data = yaml.safe_load("\n".join(line for _, line in lines))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        position = Position(lines[min(mark.line, len(lines) - 1)][0]) if mark else None
        problem = getattr(err, "problem", None) or str(err)
        raise CatalogError(
            f"bad YAML in the header: {problem}", source=path, position=position
        ) from err
    if not isinstance(data, dict):
        raise CatalogError("the header must be a YAML mapping (key: value)", source=path)
    unknown = sorted(set(map(str, data)) - HEADER_KEYS)
    if unknown:
        raise CatalogError(
            f"unknown header key(s) {', '.join(unknown)}; use {', '.join(sorted(HEADER_KEYS))}",
            source=path,
        )
    return data


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _parameters(path: Path, declared: object) -> tuple[Parameter, ...]:
    if declared is None:
        return ()
    if not isinstance(declared, dict):
        raise CatalogError("'parameters' must map each name to its type and example", source=path)
    found = []
    for name, spec in declared.items():
        where = f"parameter {name!r}"
        if not isinstance(name, str) or not _NAME.match(name):
            raise CatalogError(f"{where}: names are camelCase letters and digits", source=path)
        if name in RESERVED_NAMES:
            raise CatalogError(f"{where}: the name is reserved by the service", source=path)
        if not isinstance(spec, dict):
            raise CatalogError(f"{where}: give a mapping with type and example", source=path)
        unknown = sorted(set(map(str, spec)) - PARAMETER_KEYS)
        if unknown:
            raise CatalogError(
                f"{where}: unknown key(s) {', '.join(unknown)}; "
                f"use {', '.join(sorted(PARAMETER_KEYS))}",
                source=path,
            )
        kind = spec.get("type")
        if kind not in TYPES:
            raise CatalogError(f"{where}: type must be one of {', '.join(TYPES)}", source=path)
        if spec.get("example") is None:
            raise CatalogError(f"{where}: an example value is required", source=path)
        default = spec.get("default")
        parameter = Parameter(
            name=name,
            type=kind,
            example=_scalar(spec["example"]),
            description=str(spec.get("description") or ""),
            default=None if default is None else _scalar(default),
        )
        for label, value in (("example", parameter.example), ("default", parameter.default)):
            if value is not None:
                try:
                    parameter.term(value)
                except ParameterError as err:
                    raise CatalogError(f"{where}: bad {label}: {err.message}", source=path) from err
        found.append(parameter)
    return tuple(found)


def _check_uses(path: Path, sparql: str, parameters: tuple[Parameter, ...]) -> None:
    used = set(_PARAMETER_USE.findall(blank_out(sparql)))  # not "?_x" inside strings
    declared = {p.name for p in parameters}
    if used - declared:
        raise CatalogError(
            "variable(s) "
            + ", ".join(f"?_{n}" for n in sorted(used - declared))
            + " used but not declared under 'parameters'",
            source=path,
        )
    if declared - used:
        raise CatalogError(
            "parameter(s) "
            + ", ".join(sorted(declared - used))
            + " declared but not used as ?_name in the query",
            source=path,
        )


def _form(path: Path, query: NamedQuery) -> str:
    """Prepare the query against an empty store, plain and with its examples bound."""
    empty = OxigraphStore.memory()
    for label, bindings in (("", None), (" with its example values", query.example_values())):
        try:
            result = empty.query(
                query.sparql,
                bindings=query.bindings(bindings) if bindings else None,
                union_default_graph=True,
            )
        except (QuerySyntaxError, QueryError) as err:
            raise CatalogError(
                f"SPARQL error{label}: {err.message}",
                source=path,
                position=getattr(err, "position", None),
            ) from err
        except ParameterError as err:
            raise CatalogError(err.message, source=path) from err
    if isinstance(result, ox.QuerySolutions):
        return "select"
    if isinstance(result, ox.QueryBoolean):
        return "ask"
    return "construct"


def load_query(path: Path) -> NamedQuery:
    """One named query from its file (raises `CatalogError` naming the file)."""
    if not _STEM.match(path.stem):
        raise CatalogError("file names are lower-case kebab-case, like offers-near.rq", source=path)
    try:
        sparql = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise CatalogError(f"cannot read the file: {err}", source=path) from err
    header = _header(path, sparql)
    summary = header.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        raise CatalogError("the header needs a 'summary' (one line of text)", source=path)
    tags = header.get("tags") or []
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise CatalogError("'tags' must be a list of words", source=path)
    parameters = _parameters(path, header.get("parameters"))
    _check_uses(path, sparql, parameters)
    query = NamedQuery(
        name=path.stem,
        path=path,
        summary=summary.strip(),
        description=str(header.get("description") or "").strip(),
        tags=tuple(tags),
        parameters=parameters,
        sparql=sparql,
        form="select",
    )
    return replace(query, form=_form(path, query))


@dataclass(frozen=True)
class Catalog:
    """The named queries of one folder, by name."""

    queries: tuple[NamedQuery, ...]

    def __iter__(self) -> Iterator[NamedQuery]:
        return iter(self.queries)

    def __len__(self) -> int:
        return len(self.queries)

    def names(self) -> list[str]:
        return [q.name for q in self.queries]

    def get(self, name: str) -> NamedQuery:
        for query in self.queries:
            if query.name == name:
                return query
        raise NotFoundError(f"no named query {name!r}", hint="GET /queries lists them")


def load_catalog(folder: Path = QUERIES_DIR) -> Catalog:
    """Every ``*.rq`` file of ``folder``, loaded strictly, sorted by name.

    >>> catalog = load_catalog()
    >>> "take-back-partners-near-place" in catalog.names()
    True
    """
    return Catalog(tuple(load_query(path) for path in sorted(folder.glob("*.rq"))))


def run(store: Store, query: NamedQuery, values: Mapping[str, object]) -> QueryResult:
    """Run ``query`` with typed ``values`` bound as RDF terms, over the union of all graphs.

    >>> from kringloop.graph import OxigraphStore
    >>> query = load_catalog().get("cpv-narrower")
    >>> list(run(OxigraphStore.memory(), query, {"code": '" } DROP ALL #'}))
    []
    """
    return run_bound(store, query, query.bindings(values))


def run_bound(store: Store, query: NamedQuery, bindings: Mapping[str, Term]) -> QueryResult:
    """Run ``query`` with bindings already made by `NamedQuery.bindings`."""
    return store.query(query.sparql, bindings=bindings, union_default_graph=True)
