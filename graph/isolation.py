"""Running read work in worker processes that can be killed: a query timeout that really stops.

pyoxigraph has no query timeout and cannot be interrupted inside a sort, a group or a join, so
a thread that runs a runaway query keeps its core busy until the query ends by itself. Here
every job runs in one of a few worker **processes**, each holding the on-disk store open
read-only. At the deadline the worker is killed (SIGKILL: it only reads, so nothing can be
left half-written) and a fresh one is started in the background; the caller gets
`QueryTimeout`. A job that crashes its worker (the engine overflowing its stack, say) gets
`QueryError`, and the worker is replaced too.

- Workers are started with the ``spawn`` method and open the store *after* they start:
  forking a process that holds an open RocksDB store makes RocksDB crawl.
- A read-only RocksDB instance does not see writes made after it was opened. The writer
  bumps a shared *generation* counter after every write (`ProcessRunner.written`); before its
  next job a worker whose generation is old reopens the store (a few ms on a flushed store;
  the log replay of unflushed writes costs more: ~0.75 s for 200k quads in the log).
- A job is a module-level function ``job(store, deadline, *args)`` (pickled by name); its
  arguments and its answer cross the process boundary by pickle (pyoxigraph terms pickle).

The thread-mode twin for in-memory stores (which a second process cannot open) is
`kringloop.graph.execution.ThreadRunner`; both implement `Runner`.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import multiprocessing
import pickle
import queue
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from kringloop.graph.errors import Busy, ConfigError, KringloopError, QueryError
from kringloop.graph.execution import Deadline, Runner, busy_error, timeout_error

if TYPE_CHECKING:
    from kringloop.graph.store import OxigraphStore

T = TypeVar("T")
log = logging.getLogger("kringloop.isolation")

#: Modules a worker imports before it says it is ready (so a first job is not slow).
WARM_MODULES = (
    "kringloop.graph.execution",
    "kringloop.queries.catalog",
    "kringloop.queries.matchmaker",
    "kringloop.queries.loops",
)


def _pack_error(error: BaseException) -> tuple[str, Any]:
    """An error as something that survives pickling (kringloop errors keep their fields)."""
    if isinstance(error, KringloopError):
        state = (type(error), error.args, dict(error.__dict__))
        try:
            pickle.dumps(state)
            return ("error", state)
        except Exception:  # an attribute that does not pickle: keep the message
            pass
        return ("error", (QueryError, (str(error),), {"message": str(error), "hint": None}))
    message = f"the query failed while running: {type(error).__name__}: {error}"
    return ("error", (QueryError, (message,), {"message": message, "hint": None}))


def _unpack_error(state: tuple[type[KringloopError], tuple[Any, ...], dict[str, Any]]) -> Exception:
    cls, args, attributes = state
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(attributes)
    return error


#: Messages of RocksDB errors that mean "the writer moved files under a read-only instance".
_MOVED = ("No such file", "Corruption", "IO error")


def _open(path: str) -> OxigraphStore:
    """Open the store read-only, retrying while the writer flushes or compacts.

    A read-only RocksDB instance opened at the moment the writer replaces files can find its
    manifest naming a file that is already gone (measured: "Corruption: ... No such file");
    a moment later the manifest is consistent again.
    """
    from kringloop.graph.store import OxigraphStore

    for attempt in range(50):
        try:
            return OxigraphStore.open(Path(path), read_only=True)
        except (ConfigError, RuntimeError, OSError) as err:
            if attempt == 49 or not any(m in str(err) for m in _MOVED):
                raise
            time.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")


def _serve(conn: Connection, path: str, generation: Synchronized[int], warm: bool) -> None:
    """The loop of one worker process: open the store read-only, run jobs until told to stop."""
    import importlib

    if warm:
        for name in WARM_MODULES:
            importlib.import_module(name)
    seen = generation.value
    store = _open(path)
    conn.send(("ready", None))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        job, args, timeout_s = message
        reopened = 0.0
        if generation.value != seen:  # the writer wrote since we opened: see its data
            conn.send(("reopening", None))  # the deadline waits until the store is open
            started = time.perf_counter()
            seen = generation.value
            store.close()
            store = _open(path)
            reopened = time.perf_counter() - started
            conn.send(("started", None))
        deadline = Deadline(timeout_s)
        try:
            try:
                result = job(store, deadline, *args)
            except KringloopError as error:
                if not any(m in str(error) for m in _MOVED):
                    raise
                store.close()  # files moved under us: reopen, and try once more
                store = _open(path)
                result = job(store, deadline, *args)
            reply: tuple[str, Any] = ("ok", result)
            try:
                conn.send((*reply, reopened))
                continue
            except (pickle.PicklingError, TypeError, AttributeError) as err:
                reply = _pack_error(QueryError(f"the answer could not be sent back: {err}"))
        except BaseException as error:  # every failure goes back to the caller
            reply = _pack_error(error)
        conn.send((*reply, reopened))


async def _receive(conn: Connection, timeout_s: float) -> Any:
    """The next message on ``conn``, or None when none comes within ``timeout_s``; the event
    loop watches the pipe meanwhile."""
    if not conn.poll(0):
        loop = asyncio.get_running_loop()
        readable: asyncio.Future[None] = loop.create_future()

        def ready() -> None:
            if not readable.done():
                readable.set_result(None)

        fd = conn.fileno()
        loop.add_reader(fd, ready)
        try:
            await asyncio.wait_for(readable, timeout_s)
        except TimeoutError:
            return None
        finally:
            loop.remove_reader(fd)
    return conn.recv()


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.stopped = False
        self._stopping = threading.Lock()

    def stop(self, *, kill: bool) -> None:
        """End the process (politely unless ``kill``); safe to call more than once."""
        with self._stopping:
            if self.stopped:
                return
            self.stopped = True
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except (OSError, ValueError):
                self.process.kill()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.conn.close()


class ProcessRunner(Runner):
    """A pool of worker processes over the on-disk store at ``path``, with a real timeout.

    ``workers`` processes run at most that many jobs at once; a caller waits at most
    ``queue_wait_s`` for a free worker, then gets `Busy` (503). A job gets ``timeout_s``
    once a worker has it; past that its worker is killed and replaced.
    """

    def __init__(
        self,
        path: Path,
        *,
        timeout_s: float,
        max_rows: int,
        workers: int = 2,
        queue_wait_s: float = 10.0,
        start_timeout_s: float = 60.0,
        warm: bool = True,
    ) -> None:
        self.path = path
        self.timeout_s = timeout_s
        self.max_rows = max_rows
        self.queue_wait_s = queue_wait_s
        #: How long a worker may take to reopen the store before a job (not the job's time).
        self.reopen_wait_s = 60.0
        self._warm = warm
        self._context = multiprocessing.get_context("spawn")
        self._generation: Synchronized[int] = self._context.Value("Q", 0, lock=False)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        #: Event-loop callers waiting for an idle worker (`_atake`), first come first served.
        self._waiters: collections.deque[
            tuple[asyncio.AbstractEventLoop, asyncio.Future[_Worker]]
        ] = collections.deque()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        #: What happened, for tests and operators: kills, crashes, reopens and their cost.
        self.stats: dict[str, float] = {"killed": 0, "crashed": 0, "reopened": 0, "reopen_s": 0.0}
        starting = [self._start() for _ in range(workers)]
        for worker in starting:
            self._ready(worker, start_timeout_s)

    def _start(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=_serve,
            args=(child, str(self.path), self._generation, self._warm),
            name="kringloop-query-worker",
            daemon=True,
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        with self._lock:
            self._all.add(worker)
        return worker

    def _ready(self, worker: _Worker, timeout_s: float) -> None:
        """Wait until ``worker`` has opened the store; then it takes jobs."""
        try:
            if not worker.conn.poll(timeout_s):
                raise ConfigError(f"a query worker did not start within {timeout_s:g} s")
            kind, detail = worker.conn.recv()
        except (EOFError, OSError) as err:
            self._forget(worker, kill=True)
            if self._closed:
                return
            raise ConfigError(
                f"a query worker could not open the store at {self.path}",
                hint="check that the store exists (kringloop init) and is readable",
            ) from err
        if kind != "ready":
            self._forget(worker, kill=True)
            raise ConfigError(f"a query worker failed to start: {detail}")
        if self._closed:
            self._forget(worker, kill=False)
        else:
            self._give_back(worker)

    def _forget(self, worker: _Worker, *, kill: bool) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.stop(kill=kill)

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` and start another in the background."""
        self._forget(worker, kill=True)
        if self._closed:
            return

        def start() -> None:
            try:
                self._ready(self._start(), 60.0)
            except ConfigError as err:  # pragma: no cover - the store vanished
                log.error("could not replace a query worker: %s", err)

        threading.Thread(target=start, name="kringloop-worker-start", daemon=True).start()

    def written(self) -> None:
        """The store changed: every worker reopens it before its next job."""
        self._generation.value += 1

    @property
    def generation(self) -> int:
        return int(self._generation.value)

    def _reply(self, conn: Connection) -> Any:
        """The worker's answer to the job just sent, or None past the deadline.

        A worker that must first reopen the store says so ("reopening", then "started"), and
        the deadline then runs from "started"; otherwise the only message is the answer (one
        wake-up per job, which matters on a busy machine).
        """
        ready = conn.poll(self.timeout_s)
        reply = conn.recv() if ready else None
        if reply is not None and reply[0] == "reopening":
            if not conn.poll(self.reopen_wait_s):  # reopening the store takes long
                raise OSError("the worker did not start the job")
            conn.recv()  # "started"
            reply = conn.recv() if conn.poll(self.timeout_s) else None
        return reply

    def call(self, job: Callable[..., T], *args: Any) -> T:
        """Run ``job(store, deadline, *args)`` in a worker; blocks until done or killed."""
        if self._closed:
            raise busy_error(0, why="the service is shutting down")
        worker = self._take()
        try:
            worker.conn.send((job, args, self.timeout_s))
            reply = self._reply(worker.conn)
        except (EOFError, OSError, BrokenPipeError):
            self._crashed(worker)
            raise self._crash_error(worker) from None
        if reply is None:  # past the deadline: the only way to stop the engine is to kill it
            self.stats["killed"] += 1
            self._replace(worker)
            raise timeout_error(self.timeout_s)
        result: T = self._settle(worker, reply)
        return result

    def _settle(self, worker: _Worker, reply: Any) -> Any:
        """Give the worker back and unpack its reply (raising the job's error)."""
        self._give_back(worker)
        kind, payload, reopened = reply
        if reopened:
            self.stats["reopened"] += 1
            self.stats["reopen_s"] += reopened
        if kind == "error":
            raise _unpack_error(payload)
        return payload

    async def acall(self, job: Callable[..., T], *args: Any) -> T:
        """`call` for the event loop: waits for the worker's pipe on the loop itself.

        No thread is held while the job runs (a hop to a thread and back costs more than a
        short query). If the caller is cancelled (the client went away), the worker is killed
        and replaced: its job stops too.
        """
        if self._closed:
            raise busy_error(0, why="the service is shutting down")
        worker = await self._atake()
        try:
            worker.conn.send((job, args, self.timeout_s))
            reply = await self._areply(worker.conn)
        except (EOFError, OSError, BrokenPipeError):
            await asyncio.to_thread(self._crashed, worker)
            raise self._crash_error(worker) from None
        except BaseException:  # cancelled while the job ran: stop it
            threading.Thread(target=self._replace, args=(worker,), daemon=True).start()
            raise
        result: T = await self._finish(worker, reply)
        return result

    def _take(self) -> _Worker:
        """An idle worker, waiting at most ``queue_wait_s`` (blocking)."""
        try:
            return self._idle.get(timeout=self.queue_wait_s)
        except queue.Empty:
            raise busy_error(self.queue_wait_s) from None

    async def _atake(self) -> _Worker:
        """An idle worker, waiting at most ``queue_wait_s`` on the event loop.

        First come, first served: a caller that finds others waiting queues up behind them,
        and a worker given back goes straight to the first of them (`_give_back`). Without that
        hand-over, a request that just arrived could take the worker a waiting one was woken
        for, and the unlucky ones waited many turns (measured: p95 at 16 clients several times
        the median).
        """
        loop = asyncio.get_running_loop()
        with self._lock:
            if not self._waiters:
                try:
                    return self._idle.get_nowait()
                except queue.Empty:
                    pass
            handed: asyncio.Future[_Worker] = loop.create_future()
            self._waiters.append((loop, handed))
        try:
            return await asyncio.wait_for(handed, self.queue_wait_s)
        except TimeoutError:
            raise busy_error(self.queue_wait_s) from None

    def _give_back(self, worker: _Worker) -> None:
        """``worker`` is idle again: to the first event-loop caller still waiting, else to the
        idle queue (where blocking callers find it)."""
        with self._lock:
            while self._waiters:
                loop, handed = self._waiters.popleft()
                if not handed.done():
                    loop.call_soon_threadsafe(self._hand, handed, worker)
                    return
            self._idle.put(worker)

    def _hand(self, handed: asyncio.Future[_Worker], worker: _Worker) -> None:
        """On the waiter's loop: give it ``worker``, or pass the worker on if it left."""
        if handed.done():  # timed out or cancelled meanwhile
            self._give_back(worker)
        else:
            handed.set_result(worker)

    async def _areply(self, conn: Connection) -> Any:
        """`_reply` without blocking the event loop."""
        reply = await _receive(conn, self.timeout_s)
        if reply is not None and reply[0] == "reopening":
            if await _receive(conn, self.reopen_wait_s) is None:
                raise OSError("the worker did not start the job")
            reply = await _receive(conn, self.timeout_s)
        return reply

    def _crashed(self, worker: _Worker) -> None:
        self.stats["crashed"] += 1
        self._replace(worker)

    def _crash_error(self, worker: _Worker) -> QueryError:
        return QueryError(
            f"the query stopped its worker process (exit code {worker.process.exitcode}); "
            "nothing was answered",
            hint="simplify the query (deeply nested groups or expressions are refused)",
        )

    async def _finish(self, worker: _Worker, reply: Any) -> Any:
        if reply is None:  # past the deadline: the only way to stop the engine is to kill it
            self.stats["killed"] += 1
            await asyncio.to_thread(self._replace, worker)
            raise timeout_error(self.timeout_s)
        return self._settle(worker, reply)

    def close(self) -> None:
        """Stop every worker (running jobs are killed)."""
        self._closed = True
        with self._lock:
            workers = list(self._all)
        idle = set()
        while True:
            try:
                idle.add(self._idle.get_nowait())
            except queue.Empty:
                break
        for worker in workers:
            self._forget(worker, kill=worker not in idle)


__all__ = ["Busy", "ProcessRunner"]
