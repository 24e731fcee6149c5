"""Running queries within limits: a deadline, a cap on result size, a bounded pool of workers.

pyoxigraph has no query timeout and cannot be interrupted. Queries therefore run in a small
pool of worker threads (pyoxigraph releases the GIL while it evaluates), and results are
read row by row against a deadline and a row cap before anything is answered:

- a query that *streams* (joins, filters, paths) stops at the next row after its deadline or
  its cap, so it really ends;
- a query that *blocks* inside the engine (ORDER BY, GROUP BY, COUNT over a huge join) cannot
  be stopped in a thread: the caller gets `QueryTimeout` at the deadline while the worker
  finishes in the background, holding one of the pool's threads. When every worker is held,
  new queries wait and get `Busy`.

Long jobs do not hold up short ones (`Headroom`): at most ``workers`` jobs that are still
short run at once, and a job that has run for longer than ``long_s`` stops counting against
that, up to ``extra_workers`` more jobs in all. So while runaway queries hold every worker, a
lookup still starts at once (or within ``long_s``), and up to ``workers + extra_workers - 1``
runaways at a time cannot make it wait.

That thread mode (`ThreadRunner`) is what in-memory stores get (tests, throw-away stores: a
second process cannot open them). On-disk stores get `kringloop.graph.isolation.ProcessRunner`,
whose workers are processes that are killed at the deadline, so a runaway query really stops.
Both are `Runner`s: ``runner.call(job, *args)`` runs ``job(store, deadline, *args)``.

`query_job` materialises results (at most ``max_rows`` of them), so a limit is always reported
as an error and never as a silently shortened answer; answers that stream to a client are
written chunk by chunk where they run (`Runner.astream`, `kringloop.graph.streaming`).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import queue
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _quote
from typing import Generic, TypeAlias, TypeVar

import pyoxigraph as ox

from kringloop.graph.binding import Binding, Term
from kringloop.graph.errors import Busy, LimitExceeded, QueryError, QueryTimeout
from kringloop.graph.store import GraphName, QueryResult, Store

T = TypeVar("T")

#: How many rows are read between two looks at the clock.
CHECK_EVERY = 64


class Deadline:
    """A point in time after which work stops; can also be cancelled early."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.started = threading.Event()
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def extend(self, seconds: float) -> None:
        """Move the deadline ``seconds`` later (time a streamed answer waited for its reader
        does not count as the query's)."""
        self.at += seconds

    @property
    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        return self._cancelled.is_set() or time.monotonic() >= self.at

    def check(self) -> None:
        """Raise `QueryTimeout` once the deadline has passed."""
        if self.expired():
            raise timeout_error(self.seconds)


def timeout_error(seconds: float) -> QueryTimeout:
    return QueryTimeout(
        f"the query did not finish within {seconds:g} s and was stopped",
        hint="make it more selective (filters, LIMIT) or ask the operator to raise "
        "KRINGLOOP_QUERY_TIMEOUT_S",
    )


def busy_error(waited_s: float, *, why: str | None = None) -> Busy:
    return Busy(
        why
        or f"every query worker stayed busy for {waited_s:g} s (other queries are still running)",
        hint="try again in a few seconds",
    )


@dataclass(frozen=True)
class Headroom:
    """How a pool of workers makes room for short jobs while long ones hold its workers.

    Jobs cannot be told apart before they run, but a job that has run for longer than
    ``long_s`` is *long*. At most ``workers`` short jobs run at once; long ones stop counting
    against that, up to ``extra_workers`` more jobs in all, so short work finds a worker while
    runaways run out their deadline. Worker processes also keep ``standby_workers`` started,
    warm and with the store open, to take the place of a killed worker at once (or to join as
    an extra one); an extra process idle for ``extra_idle_s`` stops (each holds its caches).

    >>> Headroom(extra_workers=2, long_s=1.0).room(2, [0.0, 0.0], now=5.0)  # both long
    2
    >>> Headroom(extra_workers=2, long_s=1.0).room(2, [0.0, 4.5], now=5.0)  # one long
    1
    >>> Headroom(extra_workers=2, long_s=1.0).room(2, [0.0, 0.0, 0.0, 0.0], now=5.0)  # full
    0
    >>> Headroom(extra_workers=0).room(2, [0.0, 0.0], now=5.0)  # a fixed pool
    0
    """

    extra_workers: int = 4
    long_s: float = 0.5
    standby_workers: int = 1
    extra_idle_s: float = 30.0

    def room(self, workers: int, busy_since: Iterable[float], now: float) -> int:
        """How many more jobs may start at ``now``, given when the running jobs started."""
        running = list(busy_since)
        short = sum(1 for started in running if now - started < self.long_s)
        return max(0, min(workers - short, workers + self.extra_workers - len(running)))

    def turns_long(self, busy_since: Iterable[float], now: float) -> float | None:
        """Seconds until the next short job among ``busy_since`` turns long (None: none is
        short), which is when `room` may grow."""
        waits = [started + self.long_s - now for started in busy_since]
        left = [w for w in waits if w > 0]
        return min(left) if left else None


class _Gate:
    """Admission of jobs to the threads of a `QueryRunner`, by the rule of `Headroom`."""

    def __init__(self, workers: int, headroom: Headroom) -> None:
        self.workers = workers
        self.headroom = headroom
        self._changed = threading.Condition()
        self._running: dict[object, float] = {}

    def enter(self, deadline: Deadline) -> object | None:
        """A token once the job may start, or None if its deadline passes first."""
        token = object()
        with self._changed:
            while not deadline.expired():  # waited in the queue past its deadline: no start
                now = time.monotonic()
                if self.headroom.room(self.workers, self._running.values(), now) > 0:
                    self._running[token] = now
                    return token
                turns = self.headroom.turns_long(self._running.values(), now)
                self._changed.wait(min(deadline.remaining, turns or deadline.remaining))
        return None

    def leave(self, token: object) -> None:
        with self._changed:
            del self._running[token]
            self._changed.notify_all()


@dataclass(frozen=True)
class Solutions:
    """The rows of a SELECT query, in order."""

    variables: tuple[str, ...]
    rows: list[tuple[Term | None, ...]]


@dataclass(frozen=True)
class Boolean:
    """The answer of an ASK query."""

    value: bool


@dataclass(frozen=True)
class Triples:
    """The triples of a CONSTRUCT or DESCRIBE query, with the prefixes to write them with."""

    triples: list[ox.Triple]
    prefixes: dict[str, str] = field(default_factory=dict)


Materialised: TypeAlias = Solutions | Boolean | Triples


def materialise(result: QueryResult, *, deadline: Deadline, max_rows: int) -> Materialised:
    """Read ``result`` completely, within the deadline and the row cap.

    >>> store = ox.Store()
    >>> store.update("INSERT DATA { <http://e.org/a> <http://e.org/p> 1, 2, 3 }")
    >>> materialise(store.query("SELECT ?o WHERE { ?s ?p ?o }"), deadline=Deadline(5), max_rows=2)
    Traceback (most recent call last):
    ...
    kringloop.graph.errors.LimitExceeded: the query has more than 2 results ...
    """
    try:
        if isinstance(result, ox.QueryBoolean):
            return Boolean(bool(result))
        if isinstance(result, ox.QuerySolutions):
            names = tuple(v.value for v in result.variables)
            return Solutions(names, _read(result, tuple, deadline, max_rows))
        return Triples(_read(result, lambda t: t, deadline, max_rows))
    except (OSError, RuntimeError) as err:
        raise QueryError(f"the query failed while running: {err}") from err


def _read(
    rows: ox.QuerySolutions | ox.QueryTriples | list[ox.Triple],
    convert: Callable[[T], object],
    deadline: Deadline,
    max_rows: int,
) -> list[T]:
    found: list[T] = []
    for count, row in enumerate(rows, start=1):
        if count > max_rows:
            raise LimitExceeded(
                f"the query has more than {max_rows} results (the service's limit); "
                "nothing was returned",
                hint="add LIMIT and OFFSET to read the results page by page, or make the "
                "query more selective",
            )
        if count % CHECK_EVERY == 0:
            deadline.check()
        found.append(convert(row))  # type: ignore[arg-type]
    return found


class Pending(Generic[T]):
    """A job submitted to the pool: its future and its deadline."""

    def __init__(self, future: Future[T], deadline: Deadline) -> None:
        self.future = future
        self.deadline = deadline

    def give_up(self) -> Exception:
        """Stop waiting: cancel the job and say why (timed out, or never started)."""
        self.deadline.cancel()
        self.future.cancel()
        if not self.deadline.started.is_set():
            return busy_error(self.deadline.seconds)
        return timeout_error(self.deadline.seconds)

    def result(self) -> T:
        """Wait for the job until its deadline (blocking)."""
        try:
            return self.future.result(timeout=self.deadline.remaining)
        except FutureTimeout:
            raise self.give_up() from None


def _detach(error: BaseException) -> None:
    """Drop the tracebacks of ``error`` (and its causes) on this thread.

    pyoxigraph's result iterators must be released on the thread that made them; a traceback
    would keep the frames that hold them alive until another thread drops the exception.
    """
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        current.__traceback__ = None
        pending += [current.__cause__, current.__context__]


class QueryRunner:
    """A bounded pool of threads that run queries against deadlines.

    >>> runner = QueryRunner(timeout_s=5, max_rows=10, workers=1)
    >>> store = ox.Store()
    >>> runner.run(lambda deadline: bool(store.query("ASK {}")))
    True
    >>> runner.close()
    """

    def __init__(
        self,
        *,
        timeout_s: float,
        max_rows: int,
        workers: int = 4,
        headroom: Headroom | None = None,
    ) -> None:
        self.timeout_s = timeout_s
        self.max_rows = max_rows
        headroom = headroom or Headroom()
        self._gate = _Gate(workers, headroom)
        self._pool = ThreadPoolExecutor(
            max_workers=workers + headroom.extra_workers, thread_name_prefix="kringloop-query"
        )

    def submit(self, job: Callable[[Deadline], T]) -> Pending[T]:
        deadline = Deadline(self.timeout_s)

        def guarded() -> T:
            token = self._gate.enter(deadline)
            if token is None:  # waited past its deadline: do not start
                raise busy_error(deadline.seconds)
            deadline.started.set()
            try:
                return job(deadline)
            except BaseException as error:
                _detach(error)
                raise
            finally:
                self._gate.leave(token)

        return Pending(self._pool.submit(guarded), deadline)

    def run(self, job: Callable[[Deadline], T]) -> T:
        """Run ``job`` on a worker; `QueryTimeout` (or `Busy`) when its deadline passes."""
        return self.submit(job).result()

    def close(self) -> None:
        """Stop taking jobs; running ones end by themselves (they cannot be interrupted)."""
        self._pool.shutdown(wait=False, cancel_futures=True)


class Runner(ABC):
    """Where read jobs run, within the service's limits: threads or killable processes."""

    timeout_s: float
    max_rows: int

    @abstractmethod
    def call(self, job: Callable[..., T], *args: object) -> T:
        """Run ``job(store, deadline, *args)``; `QueryTimeout` past the deadline, `Busy` when
        no worker is free in time. Blocks: call it from a worker thread, not the event loop."""

    @abstractmethod
    def astream(self, job: Callable[..., object], *args: object) -> AsyncGenerator[Event, None]:
        """Run ``job(store, deadline, sink, *args)``, which writes its answer to ``sink``
        (`Sink`), and give what it writes as it comes: ``("head", ...)``, ``("chunk",
        bytes)``..., then ``("done", its result)``. Errors are raised; before the first chunk
        they are the job's own, later ones end the stream. Closing the iterator early stops
        the job (its worker process is killed)."""

    def call_and_retire(self, job: Callable[..., T], *args: object) -> T:
        """`call`, for a job that reads a lot once (preparing a store version): its worker
        process is then replaced, so that what it read goes back to the system. Threads have
        nothing to give back: a plain `call`."""
        return self.call(job, *args)

    def with_limit(self, timeout_s: float) -> Runner:
        """This runner, its workers and limits, but with another time limit per job: for the
        jobs known to read the whole graph (the loop census), which may take minutes.

        >>> runner = ThreadRunner(ox.Store(), timeout_s=5, max_rows=10, workers=1)
        >>> runner.with_limit(600).timeout_s, runner.timeout_s
        (600, 5)
        >>> runner.close()
        """
        view = copy.copy(self)
        view.timeout_s = timeout_s
        return view

    def written(self) -> None:  # noqa: B027 - thread mode shares the writer's store
        """The store changed (called by the writer after every write)."""

    @abstractmethod
    def close(self) -> None:
        """Stop taking jobs."""


class ThreadRunner(Runner):
    """Jobs in a pool of threads over one shared store (in-memory stores).

    A query that blocks inside the engine is answered with `QueryTimeout` at its deadline but
    keeps its thread (and a core) until it ends by itself; see the module's docstring. While
    such jobs hold every thread, up to ``headroom.extra_workers`` more threads take short work
    (`Headroom`); there are no standby threads, a thread costs nothing to start.

    >>> store = ox.Store()
    >>> runner = ThreadRunner(store, timeout_s=5, max_rows=10, workers=1)
    >>> runner.call(lambda s, deadline, text: bool(s.query(text)), "ASK {}")
    True
    >>> runner.close()
    """

    def __init__(
        self,
        store: object,
        *,
        timeout_s: float,
        max_rows: int,
        workers: int,
        headroom: Headroom | None = None,
    ) -> None:
        self.store = store
        self.timeout_s = timeout_s
        self.max_rows = max_rows
        self._runner = QueryRunner(
            timeout_s=timeout_s, max_rows=max_rows, workers=workers, headroom=headroom
        )

    def call(self, job: Callable[..., T], *args: object) -> T:
        return self._runner.run(lambda deadline: job(self.store, deadline, *args))

    def with_limit(self, timeout_s: float) -> Runner:
        view = super().with_limit(timeout_s)
        assert isinstance(view, ThreadRunner)
        view._runner = copy.copy(self._runner)  # the same threads, another deadline
        view._runner.timeout_s = timeout_s
        return view

    async def astream(
        self, job: Callable[..., object], *args: object
    ) -> AsyncGenerator[Event, None]:
        events: queue.Queue[Event] = queue.Queue(maxsize=STREAM_QUEUE)

        def produce(deadline: Deadline) -> None:
            sink = QueueSink(events, deadline)
            try:
                sink.put(("done", job(self.store, deadline, sink, *args)))
            except BaseException as error:
                _detach(error)
                sink.put(("error", error), always=True)

        pending = self._runner.submit(produce)
        pending.future.add_done_callback(lambda f: _refused(f, events))
        finished = False
        try:
            while True:
                kind, payload = await asyncio.to_thread(_next_event, events, pending)
                if kind == "error":
                    finished = True
                    assert isinstance(payload, BaseException)
                    raise payload
                if kind == "done":
                    finished = True
                yield kind, payload
                if finished:
                    return
        finally:
            if not finished:
                pending.deadline.cancel()  # the job stops at its next write

    def close(self) -> None:
        self._runner.close()


#: What `Runner.astream` gives: ``("head", ...)``, ``("chunk", bytes)``, ``("done", result)``.
Event: TypeAlias = tuple[str, object]
#: Chunks a thread-mode stream holds before its job waits for the reader.
STREAM_QUEUE = 4


class Sink(ABC):
    """Where a streaming job writes its answer: a head first, then chunks of bytes."""

    @abstractmethod
    def head(self, value: object) -> None:
        """What the answer is (its kind and media type), before any chunk."""

    @abstractmethod
    def chunk(self, data: bytes) -> None:
        """The next bytes of the answer."""


class QueueSink(Sink):
    """A `Sink` into a bounded queue, read by the event loop (thread mode). A full queue
    makes the job wait for its reader; that time is added to its deadline. A cancelled
    deadline (the reader went away) stops the job at its next chunk."""

    def __init__(self, events: queue.Queue[Event], deadline: Deadline) -> None:
        self.events = events
        self.deadline = deadline

    def put(self, event: Event, *, always: bool = False) -> None:
        started = time.monotonic()
        while True:
            if self.deadline.cancelled and not always:
                raise timeout_error(self.deadline.seconds)
            try:
                self.events.put(event, timeout=0.1)
                break
            except queue.Full:
                if always and self.deadline.cancelled:
                    return  # nobody reads any more
        self.deadline.extend(time.monotonic() - started)

    def head(self, value: object) -> None:
        self.put(("head", value))

    def chunk(self, data: bytes) -> None:
        self.put(("chunk", data))


def _refused(future: Future[None], events: queue.Queue[Event]) -> None:
    """A job the pool never started (busy, or shut down): its caller hears why."""
    error = None if future.cancelled() else future.exception()
    if error is not None:
        with contextlib.suppress(queue.Full):  # the queue holds parts: it was started
            events.put_nowait(("error", error))


def _next_event(events: queue.Queue[Event], pending: Pending[None]) -> Event:
    """The next event of a thread-mode stream, waiting at most until the job's deadline
    (which moves while the job waits for its reader)."""
    while True:
        try:
            return events.get(timeout=pending.deadline.remaining + 0.05)
        except queue.Empty:
            if pending.deadline.expired():
                return ("error", pending.give_up())


class WriteLock:
    """Writes one at a time; after each, the runner is told the store changed (its worker
    processes then reopen the store before their next job, and see the write).

    >>> lock = WriteLock()
    >>> with lock:
    ...     pass
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.runner: Runner | None = None
        #: Called after each write, before the runner is told: the app sets it to flush an
        #: on-disk store, so that readers reopen from files rather than replaying the log
        #: (measured: 0.75 s to reopen with 200k quads in the log, a few ms once flushed).
        self.after_write: Callable[[], object] | None = None
        #: Called after each write with the quads it added (None: not known), e.g. to keep
        #: the union default graph's view and the answers' validators current.
        self.listeners: list[Callable[[Sequence[ox.Quad] | None], object]] = []
        #: What the write under way added, when its writer knows (`added`).
        self._added: Sequence[ox.Quad] | None = None

    def added(self, quads: Sequence[ox.Quad]) -> None:
        """Say what the write under way adds (inside the ``with`` block)."""
        self._added = quads

    def __enter__(self) -> WriteLock:
        self._lock.acquire()
        self._added = None
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.after_write is not None:
                self.after_write()
            for listener in self.listeners:
                listener(self._added)
            if self.runner is not None:
                self.runner.written()
        finally:
            self._added = None
            self._lock.release()


def query_job(
    store: Store,
    deadline: Deadline,
    sparql: str,
    max_rows: int,
    bindings: Mapping[str, Binding] | None = None,
    default_graphs: Sequence[GraphName] | None = None,
    named_graphs: Sequence[ox.NamedNode] | None = None,
    union: bool = False,
    base_iri: str | None = None,
) -> Materialised:
    """Run a query and read all of its results within ``deadline`` and ``max_rows`` (a job
    for a `Runner`)."""
    result = store.query(
        sparql,
        bindings=bindings,
        default_graphs=default_graphs,
        named_graphs=named_graphs,
        union_default_graph=union,
        base_iri=base_iri,
    )
    return materialise(result, deadline=deadline, max_rows=max_rows)


# Writing materialised results. Written here rather than by pyoxigraph because the rows have
# already been read (to enforce the limits); the output follows pyoxigraph's own writers.

_XSD = "http://www.w3.org/2001/XMLSchema#"
_XSD_STRING = _XSD + "string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_PLAIN_TSV = {
    _XSD + "integer": r"[+-]?\d+",
    _XSD + "decimal": r"[+-]?\d*\.\d+",
    _XSD + "boolean": r"true|false",
}


def _json_term(term: Term) -> dict[str, object]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": _json_term(term.subject),
                "predicate": _json_term(term.predicate),
                "object": _json_term(term.object),
            },
        }
    out: dict[str, object] = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != _XSD_STRING:
        out["datatype"] = term.datatype.value
    return out


def _json_text(term: Term) -> str:
    """``term`` as SPARQL JSON text (one object), written directly: the results writer's
    inner loop, several times faster than building dicts for `json.dumps`."""
    if type(term) is ox.NamedNode:
        return '{"type":"uri","value":' + _quote(term.value) + "}"
    if type(term) is ox.Literal:
        value = _quote(term.value)
        language = term.language
        if language:
            return '{"type":"literal","value":' + value + ',"xml:lang":' + _quote(language) + "}"
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            return '{"type":"literal","value":' + value + "}"
        return '{"type":"literal","value":' + value + ',"datatype":' + _quote(datatype) + "}"
    return json.dumps(_json_term(term), ensure_ascii=False, separators=(",", ":"))


def _json_results(result: Solutions) -> bytes:
    """SELECT results as SPARQL JSON (https://www.w3.org/TR/sparql11-results-json/).

    >>> a = ox.NamedNode("http://e.org/a")
    >>> _json_results(Solutions(("s", "o"), [(a, ox.Literal("é", language="fr")), (a, None)]))
    b'{"head":{"vars":["s","o"]},"results":{"bindings":[{"s":{"type":"uri","value":"http://e.org/a"},"o":{"type":"literal","value":"\\xc3\\xa9","xml:lang":"fr"}},{"s":{"type":"uri","value":"http://e.org/a"}}]}}'
    """
    keys = [_quote(name) + ":" for name in result.variables]
    rows = [
        "{"
        + ",".join([key + _json_text(t) for key, t in zip(keys, row, strict=True) if t is not None])
        + "}"
        for row in result.rows
    ]
    head = json.dumps(list(result.variables), ensure_ascii=False, separators=(",", ":"))
    text = '{"head":{"vars":' + head + '},"results":{"bindings":[' + ",".join(rows) + "]}}"
    return text.encode()


def _xml_escape(text: str, *, attribute: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if attribute else text


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{_xml_escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{_xml_escape(term.value)}</bnode>"
    if isinstance(term, ox.Triple):
        return (
            f"<triple><subject>{_xml_term(term.subject)}</subject>"
            f"<predicate>{_xml_term(term.predicate)}</predicate>"
            f"<object>{_xml_term(term.object)}</object></triple>"
        )
    if term.language:
        attrs = f' xml:lang="{_xml_escape(term.language, attribute=True)}"'
    elif term.datatype.value != _XSD_STRING:
        attrs = f' datatype="{_xml_escape(term.datatype.value, attribute=True)}"'
    else:
        attrs = ""
    return f"<literal{attrs}>{_xml_escape(term.value)}</literal>"


def _csv_field(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        value = f"_:{term.value}"
    elif isinstance(term, ox.Triple):
        value = str(term)
    else:
        value = term.value
    if any(c in value for c in '",\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _tsv_field(term: Term | None) -> str:
    if term is None:
        return ""
    if (
        isinstance(term, ox.Literal)
        and term.datatype.value in _PLAIN_TSV
        and re.fullmatch(_PLAIN_TSV[term.datatype.value], term.value)
    ):
        return term.value
    return str(term)


def write_results(result: Solutions | Boolean, fmt: ox.QueryResultsFormat) -> bytes:
    """SELECT or ASK results in a SPARQL results format (JSON, XML, CSV or TSV).

    >>> a = ox.NamedNode("http://e.org/a")
    >>> write_results(Solutions(("s", "o"), [(a, ox.Literal("x, y"))]), ox.QueryResultsFormat.CSV)
    b's,o\\r\\nhttp://e.org/a,"x, y"\\r\\n'
    """
    if isinstance(result, Boolean):
        value = "true" if result.value else "false"
        if fmt == ox.QueryResultsFormat.JSON:
            return json.dumps({"head": {}, "boolean": result.value}).encode()
        if fmt == ox.QueryResultsFormat.XML:
            return (
                '<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f"<head></head><boolean>{value}</boolean></sparql>"
            ).encode()
        return value.encode()
    names = result.variables
    if fmt == ox.QueryResultsFormat.JSON:
        return _json_results(result)
    if fmt == ox.QueryResultsFormat.XML:
        parts = ['<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">']
        parts.append(
            "<head>"
            + "".join(f'<variable name="{_xml_escape(n, attribute=True)}"/>' for n in names)
            + "</head><results>"
        )
        for row in result.rows:
            parts.append("<result>")
            for name, term in zip(names, row, strict=True):
                if term is not None:
                    parts.append(f'<binding name="{name}">{_xml_term(term)}</binding>')
            parts.append("</result>")
        parts.append("</results></sparql>")
        return "".join(parts).encode()
    if fmt == ox.QueryResultsFormat.CSV:
        lines = [",".join(names)] + [",".join(_csv_field(t) for t in row) for row in result.rows]
        return "".join(line + "\r\n" for line in lines).encode()
    if fmt == ox.QueryResultsFormat.TSV:
        lines = ["\t".join(f"?{n}" for n in names)]
        lines += ["\t".join(_tsv_field(t) for t in row) for row in result.rows]
        return "".join(line + "\n" for line in lines).encode()
    raise QueryError(f"{fmt.name} is not a format for SELECT/ASK results")


def write_triples(result: Triples, fmt: ox.RdfFormat, *, base_iri: str | None = None) -> bytes:
    """CONSTRUCT or DESCRIBE results in an RDF format (dataset formats: in the default graph).

    >>> e = "http://e.org/"
    >>> t = ox.Triple(ox.NamedNode(e + "a"), ox.NamedNode(e + "p"), ox.Literal("x"))
    >>> write_triples(Triples([t], {"e": "http://e.org/"}), ox.RdfFormat.TURTLE).decode()
    '@prefix e: <http://e.org/> .\\ne:a e:p "x" .\\n'
    """
    data: list[ox.Triple] | list[ox.Quad] = result.triples
    if fmt.supports_datasets:
        data = [ox.Quad(t.subject, t.predicate, t.object) for t in result.triples]
    usable = {k: v for k, v in result.prefixes.items() if v}
    try:
        out = ox.serialize(data, format=fmt, prefixes=usable or None, base_iri=base_iri)
    except ValueError:  # a prefix the writer cannot use (e.g. a relative IRI): write without
        out = ox.serialize(data, format=fmt)
    assert out is not None
    return out
