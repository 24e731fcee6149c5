"""One query worker process: its loop (run in the child) and the parent's handle on it.

The child opens the on-disk store read-only *after* it starts, runs jobs sent down its pipe
and sends back each answer (or the job's error, pickled with its fields); a streaming job
sends its answer's parts first, as it writes them (`PipeSink`). Workers are forked
from a `multiprocessing` *forkserver* that has imported `WARM_MODULES` and never opens a
store: a new worker is ready in tens of milliseconds (measured: 66-74 ms with the demo store,
against 1.4-1.5 s for a ``spawn`` that imports the modules itself), and RocksDB's threads,
which do not survive a fork, are only ever started in the worker.
"""

from __future__ import annotations

import pickle
import sys
import threading
import time
import types
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kringloop.graph.errors import ConfigError, KringloopError, QueryError
from kringloop.graph.execution import Deadline, Sink

if TYPE_CHECKING:
    from kringloop.graph.store import OxigraphStore

#: Modules the forkserver imports once, so that no worker imports them (a first job is quick).
WARM_MODULES = (
    "kringloop.graph.execution",
    "kringloop.queries.catalog",
    "kringloop.queries.matchmaker",
    "kringloop.queries.loops",
    "kringloop.queries.jobs",
    # networkx's Kamada-Kawai layout (small graph pages) imports it on first use: 0.5 s
    "scipy.optimize",
)

#: Messages of RocksDB errors that mean "the writer moved files under a read-only instance".
MOVED = ("No such file", "Corruption", "IO error")


def pack_error(error: BaseException) -> tuple[str, Any]:
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


def unpack_error(state: tuple[type[KringloopError], tuple[Any, ...], dict[str, Any]]) -> Exception:
    cls, args, attributes = state
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(attributes)
    return error


def _open(path: str) -> OxigraphStore:
    """Open the store read-only, retrying while the writer flushes or compacts.

    A read-only RocksDB instance opened at the moment the writer replaces files can find its
    manifest naming a file that is already gone (measured: "Corruption: ... No such file");
    a moment later the manifest is consistent again. A store opened while the files changed
    has no version (`OxigraphStore.disk_version`) and could not find or keep results beside
    the store: it is opened again, a few times, until it has one.
    """
    from kringloop.graph.store import OxigraphStore

    for attempt in range(50):
        try:
            store = OxigraphStore.open(Path(path), read_only=True)
            if store.opened_version is None and attempt < 10:  # opened while files moved:
                store.close()  # once they settle it has a version, and finds what was kept
                time.sleep(0.02 * (attempt + 1))
                continue
            return store
        except (ConfigError, RuntimeError, OSError) as err:
            if attempt == 49 or not any(m in str(err) for m in MOVED):
                raise
            time.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")


def serve(conn: Connection, path: str, generation: Synchronized[int]) -> None:
    """The loop of one worker process: open the store read-only, run jobs until told to stop."""
    import importlib

    for name in WARM_MODULES:  # already imported when forked from the forkserver
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
        job, args, timeout_s, streaming = message
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
        sink = PipeSink(conn, deadline)
        extra = (sink,) if streaming else ()
        try:
            try:
                result = job(store, deadline, *extra, *args)
            except KringloopError as error:
                if sink.sent or not any(m in str(error) for m in MOVED):
                    raise
                store.close()  # files moved under us: reopen, and try once more
                store = _open(path)
                result = job(store, deadline, *extra, *args)
            reply: tuple[str, Any] = ("ok", result)
            try:
                conn.send((*reply, reopened))
                continue
            except (pickle.PicklingError, TypeError, AttributeError) as err:
                reply = pack_error(QueryError(f"the answer could not be sent back: {err}"))
        except BaseException as error:  # every failure goes back to the caller
            reply = pack_error(error)
        conn.send((*reply, reopened))


class PipeSink(Sink):
    """A streaming job's `Sink` in a worker: each part goes down the pipe at once. Time the
    worker waits for the pipe (the reader is slower than the query) moves the deadline."""

    def __init__(self, conn: Connection, deadline: Deadline) -> None:
        self.conn = conn
        self.deadline = deadline
        self.sent = False

    def _send(self, message: tuple[str, Any]) -> None:
        started = time.monotonic()
        self.conn.send(message)
        self.sent = True
        self.deadline.extend(time.monotonic() - started)

    def head(self, value: object) -> None:
        self._send(("head", value))

    def chunk(self, data: bytes) -> None:
        self._send(("chunk", data))


class Worker:
    """One worker process, the parent's end of its pipe, and what its pool knows of it."""

    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.stopped = False
        self._stopping = threading.Lock()
        #: When its current job was handed to it (None while it has none).
        self.busy_since: float | None = None
        #: When it last became idle (or ready).
        self.idle_since = time.monotonic()
        #: Taken on because long jobs held the others; stops again after being idle.
        self.extra = False

    @property
    def pid(self) -> int:
        return int(self.process.pid or 0)

    def wait_ready(self, timeout_s: float, path: Path) -> None:
        """Wait until the worker has opened the store (`ConfigError` if it does not)."""
        try:
            if not self.conn.poll(timeout_s):
                raise ConfigError(f"a query worker did not start within {timeout_s:g} s")
            kind, detail = self.conn.recv()
        except (EOFError, OSError) as err:
            self.stop(kill=True)
            raise ConfigError(
                f"a query worker could not open the store at {path}",
                hint="check that the store exists (kringloop init) and is readable",
            ) from err
        except ConfigError:
            self.stop(kill=True)
            raise
        if kind != "ready":
            self.stop(kill=True)
            raise ConfigError(f"a query worker failed to start: {detail}")
        self.idle_since = time.monotonic()

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


def main_imports() -> list[str]:
    """The modules the parent's main script took names from.

    multiprocessing runs the main script again in every child, forked ones too, and the
    ``kringloop`` command's script imports the whole command line (measured: 150-250 ms per
    worker). Imported once in the forkserver, they cost a worker nothing (20 ms to ready).
    """
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__spec__", None) is not None:  # -m: not run again
        return []
    names = set()
    for value in vars(main).values():
        if isinstance(value, types.ModuleType):
            name = value.__name__
        elif isinstance(value, types.FunctionType | type):
            name = value.__module__
        else:
            continue
        if isinstance(name, str) and name in sys.modules and not name.startswith("__"):
            names.add(name)
    return sorted(names)


def context() -> ForkServerContext:
    """The forkserver context workers start from: the forkserver imports `WARM_MODULES` and
    what the main script imported (`main_imports`), and never opens a store."""
    import multiprocessing
    import os

    # One BLAS thread per worker (read when the forkserver imports numpy): the layouts of the
    # graph pages multiply small matrices, which OpenBLAS's threads made 3-6 times slower on
    # two busy cores; the pool runs jobs side by side instead. An operator's setting wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    forkserver = multiprocessing.get_context("forkserver")
    forkserver.set_forkserver_preload([*WARM_MODULES, *main_imports()])
    return forkserver


def start(ctx: ForkServerContext, path: Path, generation: Synchronized[int]) -> Worker:
    """Start a worker process over the store at ``path`` (`Worker.wait_ready` waits for it)."""
    parent, child = ctx.Pipe()
    process = ctx.Process(
        target=serve,
        args=(child, str(path), generation),
        name="kringloop-query-worker",
        daemon=True,
    )
    process.start()
    child.close()
    return Worker(process, parent)
