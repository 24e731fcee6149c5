"""The worker processes of a `ProcessRunner`: who takes the next job, standbys and extras.

A pool keeps ``workers`` processes for jobs and ``standby_workers`` more started, warm and
with the store open (`Headroom`). Callers wait first come, first served for an idle worker.

- A worker killed at a deadline (or crashed) is replaced at once: by an extra worker if there
  is one, else by a standby; a new standby then starts in the background.
- When callers wait and fewer than ``workers`` of the busy workers are on a job that is still
  short (under ``long_s``), standbys join as *extra* workers, up to ``extra_workers`` of them
  (`Headroom.room`); more processes are started when the standbys run out. So runaway queries
  run out their deadline while short work finds a worker.
- An extra worker that has been idle for ``extra_idle_s`` stops (each worker holds caches that
  grow with the data); idle workers are taken ordinary ones first, so extras do fall idle.

A watcher thread does the growing, retiring and starting; it sleeps until a caller queues up,
a worker goes, or a busy worker's job turns long.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from kringloop.graph.errors import ConfigError
from kringloop.graph.execution import Headroom, busy_error
from kringloop.graph.worker import Worker

log = logging.getLogger("kringloop.isolation")

#: After a worker failed to start, the next attempt waits this long.
RETRY_S = 5.0


@dataclass(frozen=True)
class PoolStatus:
    """What a pool holds at one moment (for tests, logs and operators)."""

    workers: int
    extra: int
    busy: int
    idle: int
    standby: int
    starting: int
    waiting: int
    pids: frozenset[int]
    standby_pids: frozenset[int]


class _Waiter:
    """A caller waiting for a worker: a coroutine on an event loop, or a blocked thread."""

    def __init__(self, pool: WorkerPool, loop: asyncio.AbstractEventLoop | None) -> None:
        self.pool = pool
        self.loop = loop
        self.future: asyncio.Future[Worker] | None = loop.create_future() if loop else None
        self.event = threading.Event()
        self.worker: Worker | None = None
        self.left = False

    def gone(self) -> bool:
        return self.left if self.future is None else self.future.done()

    def give(self, worker: Worker) -> bool:
        """Hand ``worker`` over (under the pool's lock); False if the caller already left."""
        if self.gone():
            return False
        if self.loop is None:
            self.worker = worker
            self.event.set()
            return True
        try:
            self.loop.call_soon_threadsafe(self._arrive, worker)
        except RuntimeError:  # its event loop has closed
            return False
        return True

    def _arrive(self, worker: Worker) -> None:
        """On the caller's loop: take ``worker``, or pass it on if the caller left meanwhile."""
        assert self.future is not None
        if self.future.done():  # timed out or cancelled meanwhile
            self.pool.give_back(worker)
        else:
            self.future.set_result(worker)


class WorkerPool:
    """Worker processes made by ``start`` (which starts one; `Worker.wait_ready` follows).

    Starts ``workers`` + ``headroom.standby_workers`` processes and waits for them
    (`ConfigError` if one cannot open the store).
    """

    def __init__(
        self,
        start: Callable[[], Worker],
        ready: Callable[[Worker, float], None],
        *,
        workers: int,
        headroom: Headroom,
        queue_wait_s: float,
        start_timeout_s: float = 60.0,
    ) -> None:
        self.workers = workers
        self.headroom = headroom
        self.queue_wait_s = queue_wait_s
        self._start = start
        self._ready = ready
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._all: set[Worker] = set()  # every live process, for `close`
        self._active: set[Worker] = set()  # taking jobs: busy, idle or being handed over
        self._idle: collections.deque[Worker] = collections.deque()
        self._standby: collections.deque[Worker] = collections.deque()
        self._waiters: collections.deque[_Waiter] = collections.deque()
        self._starting = 0
        self._wanted = 0  # extra workers the rule asked for when no standby was left
        self._retry_at = 0.0
        self._closed = False
        #: What happened: jobs killed at the deadline, workers crashed, replaced at once by an
        #: extra or standby worker, extra workers taken on and retired, processes started
        #: after start-up; store reopens (and their seconds) are counted by the runner.
        self.stats: dict[str, float] = dict.fromkeys(
            ("killed", "crashed", "replaced", "extra", "retired", "started", "reopened"), 0
        )
        self.stats["reopen_s"] = 0.0
        first = [self._launch() for _ in range(workers + headroom.standby_workers)]
        try:
            for worker in first:
                ready(worker, start_timeout_s)
        except ConfigError:
            for worker in first:
                self._drop(worker, kill=True)
            raise
        for number, worker in enumerate(first):
            if number < workers:
                self._active.add(worker)
                self._idle.append(worker)
            else:
                self._standby.append(worker)
        self._watcher = threading.Thread(target=self._watch, name="kringloop-pool", daemon=True)
        self._watcher.start()

    # -- taking and giving back ---------------------------------------------------------------

    def take(self) -> Worker:
        """An idle worker, waiting at most ``queue_wait_s`` (blocking), else `Busy`."""
        with self._lock:
            worker = self._take_now()
            if worker is not None:
                return worker
            waiter = self._queue(None)
        if waiter.event.wait(self.queue_wait_s):
            assert waiter.worker is not None
            return waiter.worker
        with self._lock:
            if waiter.worker is not None:  # handed over just now
                return waiter.worker
            waiter.left = True
        raise busy_error(self.queue_wait_s)

    async def atake(self) -> Worker:
        """An idle worker, waiting at most ``queue_wait_s`` on the event loop, else `Busy`.

        First come, first served: a caller that finds others waiting queues up behind them,
        and a worker given back goes straight to the first of them (`give_back`). Without that
        hand-over, a request that just arrived could take the worker a waiting one was woken
        for, and the unlucky ones waited many turns (measured: p95 at 16 clients several times
        the median).
        """
        with self._lock:
            worker = self._take_now()
            if worker is not None:
                return worker
            waiter = self._queue(asyncio.get_running_loop())
        assert waiter.future is not None
        try:
            return await asyncio.wait_for(waiter.future, self.queue_wait_s)
        except TimeoutError:
            raise busy_error(self.queue_wait_s) from None

    def _take_now(self) -> Worker | None:
        """An idle worker if nobody waits before us (ordinary workers first), under the lock."""
        if self._closed:
            raise busy_error(0, why="the service is shutting down")
        while self._waiters and self._waiters[0].gone():
            self._waiters.popleft()
        if self._waiters or not self._idle:
            return None
        worker = next((w for w in self._idle if not w.extra), self._idle[0])
        self._idle.remove(worker)
        worker.busy_since = time.monotonic()
        return worker

    def _queue(self, loop: asyncio.AbstractEventLoop | None) -> _Waiter:
        waiter = _Waiter(self, loop)
        self._waiters.append(waiter)
        self._changed.notify()  # the watcher sees whether the pool must grow
        return waiter

    def give_back(self, worker: Worker) -> None:
        """``worker`` finished its job: to the first caller still waiting, else idle."""
        with self._lock:
            worker.busy_since = None
            if worker in self._active:
                self._offer(worker)

    def _offer(self, worker: Worker) -> None:
        """Under the lock: hand ``worker`` to the first waiting caller, else make it idle."""
        while self._waiters:
            waiter = self._waiters.popleft()
            worker.busy_since = time.monotonic()
            if waiter.give(worker):
                return
        worker.busy_since = None
        worker.idle_since = time.monotonic()
        self._idle.append(worker)

    def discard(self, worker: Worker, *, why: str) -> None:
        """``worker`` is killed (its job ran past the deadline, crashed or was abandoned):
        another takes its place at once, and a new standby starts in the background."""
        with self._lock:
            was_active = worker in self._active
            self._active.discard(worker)
            replacement, how = None, ""
            if was_active and not worker.extra and not self._closed:
                replacement, how = self._replace()
                self.stats["replaced"] += replacement is not None
            self._changed.notify()
        self._drop(worker, kill=True)
        if replacement is not None:
            log.info(
                "query worker %d %s; %s %d takes its place", worker.pid, why, how, replacement.pid
            )
        elif was_active and not worker.extra:
            log.info("query worker %d %s; a new one is starting", worker.pid, why)
        elif was_active:
            log.info("extra query worker %d %s", worker.pid, why)

    def _replace(self) -> tuple[Worker | None, str]:
        """Under the lock: an extra worker becomes an ordinary one, or a standby joins."""
        extra = next((w for w in self._active if w.extra), None)
        if extra is not None:
            extra.extra = False
            return extra, "extra worker"
        if not self._standby:
            return None, ""
        standby = self._standby.popleft()
        self._active.add(standby)
        self._offer(standby)
        return standby, "standby worker"

    # -- the watcher ------------------------------------------------------------------------

    def _watch(self) -> None:
        """Grow, retire and start workers as the rules of `Headroom` say, until closed."""
        while True:
            with self._changed:
                if self._closed:
                    return
                now = time.monotonic()
                self._fill()
                self._grow(now)
                retiring = self._retire(now)
                starts = self._shortfall(now)
                self._starting += starts
                if not retiring and not starts:
                    self._changed.wait(self._next_check(now))
                    continue
            for worker in retiring:
                self._drop(worker, kill=False)
            for _ in range(starts):
                adding = threading.Thread(target=self._add, name="kringloop-worker-start")
                adding.daemon = True
                adding.start()

    def _fill(self) -> None:
        """Under the lock: standbys take the places of ordinary workers that went."""
        while self._standby and sum(1 for w in self._active if not w.extra) < self.workers:
            worker = self._standby.popleft()
            self._active.add(worker)
            self._offer(worker)

    def _grow(self, now: float) -> None:
        """Under the lock: callers wait and long jobs hold the workers: standbys join."""
        waiting = sum(1 for w in self._waiters if not w.gone())
        self._wanted = 0
        if not waiting:
            return
        busy = [w.busy_since for w in self._active if w.busy_since is not None]
        wanted = min(waiting, self.headroom.room(self.workers, busy, now) - len(self._idle))
        long = sum(1 for started in busy if now - started >= self.headroom.long_s)
        joined: list[Worker] = []
        for _ in range(wanted):
            if not self._standby:
                self._wanted = wanted - len(joined)
                break
            worker = self._standby.popleft()
            worker.extra = True
            self._active.add(worker)
            joined.append(worker)
            self._offer(worker)
        if joined:
            self.stats["extra"] += len(joined)
            extra = sum(1 for w in self._active if w.extra)
            log.info(
                "%d callers wait and %d of %d query workers run jobs longer than %g s: "
                "%d standby worker(s) join (%d extra, at most %d)",
                waiting,
                long,
                len(self._active) - len(joined),
                self.headroom.long_s,
                len(joined),
                extra,
                self.headroom.extra_workers,
            )

    def _retire(self, now: float) -> list[Worker]:
        """Under the lock: extra workers and surplus standbys idle for ``extra_idle_s``."""
        idle_s = self.headroom.extra_idle_s
        retiring = []
        for worker in list(self._idle):
            if worker.extra and now - worker.idle_since >= idle_s:
                if len(self._active) <= self.workers:
                    worker.extra = False  # a missing ordinary worker: it stays as one
                    continue
                self._idle.remove(worker)
                self._active.discard(worker)
                retiring.append(worker)
        while len(self._standby) > self.headroom.standby_workers:
            if now - self._standby[0].idle_since < idle_s:
                break
            retiring.append(self._standby.popleft())
        if retiring:
            self.stats["retired"] += len(retiring)
            log.info(
                "%d idle query worker(s) stop after %g s (%d workers, %d standby)",
                len(retiring),
                idle_s,
                len(self._active),
                len(self._standby),
            )
        return retiring

    def _shortfall(self, now: float) -> int:
        """Under the lock: how many processes to start now (missing ordinary workers, extras
        asked for, standbys to refill), beyond those starting already."""
        if now < self._retry_at:
            return 0
        ordinary = sum(1 for w in self._active if not w.extra)
        missing = max(0, self.workers - ordinary) + self._wanted
        missing += self.headroom.standby_workers - len(self._standby)
        return max(0, missing - self._starting)

    def _next_check(self, now: float) -> float:
        """Under the lock: seconds until the rules may say something new."""
        checks = [5.0]
        if any(not w.gone() for w in self._waiters):
            busy = [w.busy_since for w in self._active if w.busy_since is not None]
            turns = self.headroom.turns_long(busy, now)
            if turns is not None:
                checks.append(turns + 0.001)
        idle_s = self.headroom.extra_idle_s
        checks += [w.idle_since + idle_s - now for w in self._idle if w.extra]
        if len(self._standby) > self.headroom.standby_workers:
            checks.append(self._standby[0].idle_since + idle_s - now)
        if self._retry_at > now:
            checks.append(self._retry_at - now)
        return max(0.001, min(checks))

    def _launch(self) -> Worker:
        worker = self._start()
        with self._lock:
            self._all.add(worker)
        return worker

    def _add(self) -> None:
        """Start one process (in its own thread); once ready it is a standby."""
        started = time.perf_counter()
        worker: Worker | None = None
        try:
            worker = self._launch()
            self._ready(worker, 60.0)
        except (ConfigError, OSError) as err:
            if worker is not None:
                self._drop(worker, kill=True)
            with self._lock:
                self._starting -= 1
                self._retry_at = time.monotonic() + RETRY_S
                self._changed.notify()
                if self._closed:  # stopped by `close` while it started
                    return
            log.error("could not start a query worker (next try in %g s): %s", RETRY_S, err)
            return
        with self._lock:
            self._starting -= 1
            self.stats["started"] += 1
            closed = self._closed
            if not closed:
                self._standby.append(worker)
                self._changed.notify()
        if closed:
            self._drop(worker, kill=False)
            return
        log.debug("query worker %d ready in %.2f s", worker.pid, time.perf_counter() - started)

    def _drop(self, worker: Worker, *, kill: bool) -> None:
        worker.stop(kill=kill)
        with self._lock:
            self._all.discard(worker)

    # -- the rest ---------------------------------------------------------------------------

    def status(self) -> PoolStatus:
        with self._lock:
            busy = sum(1 for w in self._active if w.busy_since is not None)
            return PoolStatus(
                workers=len(self._active),
                extra=sum(1 for w in self._active if w.extra),
                busy=busy,
                idle=len(self._idle),
                standby=len(self._standby),
                starting=self._starting,
                waiting=sum(1 for w in self._waiters if not w.gone()),
                pids=frozenset(w.pid for w in self._active),
                standby_pids=frozenset(w.pid for w in self._standby),
            )

    def close(self) -> None:
        """Stop every worker (running jobs are killed)."""
        with self._lock:
            self._closed = True
            self._changed.notify()
            everyone = list(self._all)
            quiet = set(self._idle) | set(self._standby)
        for worker in everyone:
            self._drop(worker, kill=worker not in quiet)
