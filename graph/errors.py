"""One error tree for kringloop.

Every error says what went wrong, where (file, line, column, term) and how to fix it. The
service maps these classes to HTTP status codes in one place; the command line maps them to
its documented exit codes (0 ok, 1 data problem, 2 usage, configuration or load error).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class KringloopError(Exception):
    """Base class of every error kringloop raises on purpose."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(KringloopError):
    """The settings or the command line asked for something impossible."""


class StoreInUse(ConfigError):
    """An on-disk store that another process holds open for writing (a running server)."""


class FormatError(KringloopError):
    """An RDF or result format that kringloop does not know or cannot use here."""


@dataclass(frozen=True)
class Position:
    """A place in a text: 1-based line and column."""

    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return ""
        return f"line {self.line}" + (f", column {self.column}" if self.column else "")


class LoadError(KringloopError):
    """A file could not be read or parsed; nothing was written to the store.

    The doctest below elides the end of the message (ELLIPSIS).

    >>> print(LoadError("Unexpected end of file", source="a.ttl", position=Position(3, 11)))
    a.ttl: line 3, column 11: Unexpected end of file (nothing was loaded; fix the file and ...)
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | Path | None = None,
        position: Position | None = None,
        hint: str | None = "nothing was loaded; fix the file and load it again",
    ) -> None:
        self.source = str(source) if source is not None else None
        self.position = position or Position()
        where = ": ".join(p for p in (self.source, str(self.position)) if p)
        super().__init__(f"{where}: {message}" if where else message, hint=hint)
        self.reason = message


class QuerySyntaxError(KringloopError):
    """A SPARQL query or update that does not parse."""

    def __init__(self, message: str, *, position: Position | None = None) -> None:
        self.position = position or Position()
        super().__init__(message, hint="check the SPARQL syntax near the given position")


class QueryError(KringloopError):
    """A query or update that parsed but could not be evaluated."""


class NotFoundError(KringloopError):
    """A graph, resource or named query that does not exist."""


@dataclass(frozen=True)
class Violation:
    """One SHACL validation result."""

    focus: str
    path: str | None
    message: str
    severity: str
    shape: str | None = None
    value: str | None = None


class ValidationFailure(KringloopError):
    """Data that does not conform to the shapes; nothing was written to the store."""

    exit_code = 1

    def __init__(self, violations: list[Violation], *, source: str | None = None) -> None:
        self.violations = violations
        self.source = source
        what = f"{source}: " if source else ""
        super().__init__(
            f"{what}{len(violations)} SHACL violation(s); nothing was loaded",
            hint="fix the data (see the report) or load with --no-validate",
        )


class RefusedError(KringloopError):
    """A request the service's policy forbids, such as federation to a host not allowed."""


class LimitExceeded(QueryError):
    """A query that ran over a configured limit (result size); nothing was returned."""


class QueryTimeout(LimitExceeded):
    """A query that did not finish within the configured time."""


class Busy(KringloopError):
    """Every worker is taken (perhaps by long queries); try again later."""
