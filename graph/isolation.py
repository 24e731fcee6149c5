"""Running read work in worker processes that can be killed: a query timeout that really stops.

pyoxigraph has no query timeout and cannot be interrupted inside a sort, a group or a join, so
a thread that runs a runaway query keeps its core busy until the query ends by itself. Here
every job runs in one of a few worker **processes**, each holding the on-disk store open
read-only. At the deadline the worker is killed (SIGKILL: it only reads, so nothing can be
left half-written); the caller gets `QueryTimeout`. A job that crashes its worker (the engine
overflowing its stack, say) gets `QueryError`, and the worker goes too.

Runaway queries do not hold up short ones (`kringloop.graph.pool`, by the rule of
`kringloop.graph.execution.Headroom`):

- ``standby_workers`` (default 1) more processes are started, warm and with the store open:
  a killed worker's place is taken at once, and a new standby starts in the background.
- When callers wait and long jobs (running over ``long_s``, default 0.5 s) hold the workers,
  standbys join as extra workers, so at most ``workers`` jobs that are still short run at
  once and long ones stop counting, up to ``extra_workers`` (default 4) more. So up to
  ``workers + extra_workers - 1`` runaway queries at once do not make a lookup wait for their
  deadline: it waits at most about ``2 * long_s``. Extra workers stop after ``extra_idle_s``
  idle (default 30 s): each holds caches that grow with the data.
- Workers are forked from a forkserver that has imported the query modules (and never opens
  a store: RocksDB's threads do not survive a fork), so a new one is ready in tens of ms.

More:

- A read-only RocksDB instance does not see writes made after it was opened. The writer
  bumps a shared *generation* counter after every write (`ProcessRunner.written`); before its
  next job a worker whose generation is old (a standby too) reopens the store (a few ms on a
  flushed store; the log replay of unflushed writes costs more: ~0.75 s for 200k quads).
- A job is a module-level function ``job(store, deadline, *args)`` (pickled by name); its
  arguments and its answer cross the process boundary by pickle (pyoxigraph terms pickle).

The thread-mode twin for in-memory stores (which a second process cannot open) is
`kringloop.graph.execution.ThreadRunner`; both implement `Runner`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncGenerator, Callable
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any, TypeVar

from kringloop.graph import worker as worker_process
from kringloop.graph.errors import Busy, QueryError
from kringloop.graph.execution import Event, Headroom, Runner, busy_error, timeout_error
from kringloop.graph.pool import PoolStatus, WorkerPool
from kringloop.graph.worker import Worker

T = TypeVar("T")
log = logging.getLogger("kringloop.isolation")


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


class ProcessRunner(Runner):
    """A pool of worker processes over the on-disk store at ``path``, with a real timeout.

    ``workers`` processes run jobs, with room for more while long jobs hold them
    (``headroom``, see the module's docstring); a caller waits at most ``queue_wait_s`` for
    a worker, then gets `Busy` (503). A job gets ``timeout_s`` once a worker has it; past
    that its worker is killed and replaced.
    """

    def __init__(
        self,
        path: Path,
        *,
        timeout_s: float,
        max_rows: int,
        workers: int = 2,
        queue_wait_s: float = 10.0,
        headroom: Headroom | None = None,
        start_timeout_s: float = 60.0,
    ) -> None:
        self.path = path
        self.timeout_s = timeout_s
        self.max_rows = max_rows
        #: How long a worker may take to reopen the store before a job (not the job's time).
        self.reopen_wait_s = 60.0
        context = worker_process.context()
        self._generation: Synchronized[int] = context.Value("Q", 0, lock=False)
        self._closed = False
        self.pool = WorkerPool(
            lambda: worker_process.start(context, path, self._generation),
            lambda worker, timeout: worker.wait_ready(timeout, path),
            workers=workers,
            headroom=headroom or Headroom(),
            queue_wait_s=queue_wait_s,
            start_timeout_s=start_timeout_s,
        )
        #: What happened, for tests and operators (`WorkerPool.stats`).
        self.stats = self.pool.stats

    @property
    def queue_wait_s(self) -> float:
        return self.pool.queue_wait_s

    @queue_wait_s.setter
    def queue_wait_s(self, seconds: float) -> None:
        self.pool.queue_wait_s = seconds

    def status(self) -> PoolStatus:
        """The workers at this moment: busy, idle, extra, standby, callers waiting."""
        return self.pool.status()

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
        return self._call(job, args, retire=False)

    def call_and_retire(self, job: Callable[..., T], *args: Any) -> T:
        """`call`, then the worker is replaced by a fresh one (a standby takes its place at
        once): the memory of what the job read goes back to the system."""
        return self._call(job, args, retire=True)

    def _call(self, job: Callable[..., T], args: tuple[Any, ...], *, retire: bool) -> T:
        if self._closed:
            raise busy_error(0, why="the service is shutting down")
        worker = self.pool.take()
        try:
            worker.conn.send((job, args, self.timeout_s, False))
            reply = self._reply(worker.conn)
        except (EOFError, OSError, BrokenPipeError):
            self._crashed(worker)
            raise self._crash_error(worker) from None
        if reply is None:  # past the deadline: the only way to stop the engine is to kill it
            self._killed(worker)
            raise timeout_error(self.timeout_s)
        result: T = self._settle(worker, reply, retire=retire)
        return result

    def _settle(self, worker: Worker, reply: Any, *, retire: bool = False) -> Any:
        """Give the worker back (or replace it: ``retire``) and unpack its reply (raising the
        job's error)."""
        if retire:
            self.pool.discard(worker, why="retired after a large job")
        else:
            self.pool.give_back(worker)
        kind, payload, reopened = reply
        if reopened:
            self.stats["reopened"] += 1
            self.stats["reopen_s"] += reopened
        if kind == "error":
            raise worker_process.unpack_error(payload)
        return payload

    async def acall(self, job: Callable[..., T], *args: Any) -> T:
        """`call` for the event loop: waits for the worker's pipe on the loop itself.

        No thread is held while the job runs (a hop to a thread and back costs more than a
        short query). If the caller is cancelled (the client went away), the worker is killed
        and replaced: its job stops too.
        """
        if self._closed:
            raise busy_error(0, why="the service is shutting down")
        worker = await self.pool.atake()
        try:
            worker.conn.send((job, args, self.timeout_s, False))
            reply = await self._areply(worker.conn)
        except (EOFError, OSError, BrokenPipeError):
            await asyncio.to_thread(self._crashed, worker)
            raise self._crash_error(worker) from None
        except BaseException:  # cancelled while the job ran: stop it
            threading.Thread(
                target=self.pool.discard,
                args=(worker,),
                kwargs={"why": "stopped: its caller went away"},
                daemon=True,
            ).start()
            raise
        if reply is None:  # past the deadline: the only way to stop the engine is to kill it
            await asyncio.to_thread(self._killed, worker)
            raise timeout_error(self.timeout_s)
        result: T = self._settle(worker, reply)
        return result

    async def astream(self, job: Callable[..., object], *args: Any) -> AsyncGenerator[Event, None]:
        """`Runner.astream` in a worker process: its parts arrive down the pipe as the job
        writes them. No part within the time limit (a query that blocks in the engine) kills
        the worker; so does closing the stream before the end (the client went away)."""
        if self._closed:
            raise busy_error(0, why="the service is shutting down")
        worker = await self.pool.atake()
        settled = False
        try:
            worker.conn.send((job, args, self.timeout_s, True))
            reply = await self._areply(worker.conn)
            while True:
                if reply is None:  # nothing within the limit: the engine blocks, stop it
                    settled = True
                    await asyncio.to_thread(self._killed, worker)
                    raise timeout_error(self.timeout_s)
                if len(reply) == 2:  # a part: ("head", ...) or ("chunk", bytes)
                    yield reply
                    reply = await _receive(worker.conn, self.timeout_s)
                    continue
                settled = True
                yield ("done", self._settle(worker, reply))
                return
        except (EOFError, OSError, BrokenPipeError):
            settled = True
            await asyncio.to_thread(self._crashed, worker)
            raise self._crash_error(worker) from None
        finally:
            if not settled:  # closed early or cancelled: stop the job with its worker
                threading.Thread(
                    target=self.pool.discard,
                    args=(worker,),
                    kwargs={"why": "stopped: its reader went away"},
                    daemon=True,
                ).start()

    async def _areply(self, conn: Connection) -> Any:
        """`_reply` without blocking the event loop."""
        reply = await _receive(conn, self.timeout_s)
        if reply is not None and reply[0] == "reopening":
            if await _receive(conn, self.reopen_wait_s) is None:
                raise OSError("the worker did not start the job")
            reply = await _receive(conn, self.timeout_s)
        return reply

    def _killed(self, worker: Worker) -> None:
        self.stats["killed"] += 1
        self.pool.discard(worker, why=f"killed at the {self.timeout_s:g} s deadline")

    def _crashed(self, worker: Worker) -> None:
        self.stats["crashed"] += 1
        self.pool.discard(worker, why="crashed")

    def _crash_error(self, worker: Worker) -> QueryError:
        return QueryError(
            f"the query stopped its worker process (exit code {worker.process.exitcode}); "
            "nothing was answered",
            hint="simplify the query (deeply nested groups or expressions are refused)",
        )

    def close(self) -> None:
        """Stop every worker (running jobs are killed)."""
        self._closed = True
        self.pool.close()


__all__ = ["Busy", "ProcessRunner"]
