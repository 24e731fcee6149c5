"""Work done before it is asked for: after the service starts and after writes, one query
worker reads what the first requests of the new store version would otherwise wait for
(`kringloop.queries.jobs.prepare_job`: the vocabulary, each product type's facts, the whole
loop census) and keeps it on disk beside the store, where every worker finds it.

At 1M triples the first match of a product type in a worker takes 0.7-0.8 s when it reads
the store and 60-70 ms when it finds the facts another process kept; the census at 100k
organisations a minute and more, against a fraction of a second. Preparing runs once the
store has been quiet for `QUIET_S` (a load of many small writes prepares once, after the
last), within the census's time limit, in one worker of the pool (the headroom workers take
short requests meanwhile). Only for stores on disk served by worker processes: that is
where others can find what was prepared.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from kringloop.graph.errors import KringloopError
from kringloop.graph.execution import Runner
from kringloop.queries import jobs

#: Seconds without a write before the new store version is prepared.
QUIET_S = 2.0

log = logging.getLogger(__name__)


class Preparer:
    """Prepares each store version once it is quiet, in a thread of its own."""

    def __init__(self, runner: Runner, *, timeout_s: float, max_partners: int) -> None:
        self.runner = runner
        self.timeout_s = timeout_s
        self.max_partners = max_partners
        self.quiet_s = QUIET_S
        #: What the last preparation did: seconds per part, or the error that stopped it.
        self.last: dict[str, Any] = {}
        self.runs = 0
        self._changed = threading.Event()
        self._stopping = threading.Event()
        self._idle = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kringloop-prepare", daemon=True)

    def start(self) -> None:
        """Prepare the store as it is now, then after every quiet spell following writes."""
        self._changed.set()
        self._thread.start()

    def written(self, _: object = None) -> None:
        """The store changed (a listener of the service's write lock)."""
        self._idle.clear()
        self._changed.set()

    def wait_idle(self, timeout_s: float) -> bool:
        """Whether every change so far was prepared within ``timeout_s`` (for tests and
        benchmarks)."""
        return self._idle.wait(timeout_s)

    def status(self) -> dict[str, Any]:
        """What ``/healthz`` says of it: whether the store as it is now is prepared, how often
        it prepared, and what the last time took (or the error that stopped it)."""
        return {"on": True, "done": self._idle.is_set(), "runs": self.runs, **self.last}

    def close(self) -> None:
        self._stopping.set()
        self._changed.set()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._changed.wait()
            while self._changed.is_set():  # a write during the quiet spell starts it again
                self._changed.clear()
                if self._stopping.wait(self.quiet_s):
                    return
            self._prepare()
            if not self._changed.is_set():
                self._idle.set()

    def _prepare(self) -> None:
        started = time.perf_counter()
        try:
            runner = self.runner.with_limit(self.timeout_s)
            took = runner.call_and_retire(jobs.prepare_job, self.max_partners)
            self.last = {"seconds": took, "error": None}
            log.info(
                "prepared the store in %.1f s (%s)",
                time.perf_counter() - started,
                ", ".join(f"{part} {seconds:.1f} s" for part, seconds in took.items()),
            )
        except KringloopError as error:  # busy, over the limit, a worker lost: next change
            self.last = {"seconds": {}, "error": str(error)}
            log.warning("preparing the store stopped: %s", error)
        except Exception as error:  # never let the thread die: the next change tries again
            self.last = {"seconds": {}, "error": f"{type(error).__name__}: {error}"}
            log.exception("preparing the store failed")
        self.runs += 1
