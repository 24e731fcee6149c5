"""Worker processes awaited on the event loop (`ProcessRunner.acall`): more callers than
workers all get answers, a caller that gives up stops its job, and the limits still hold."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kringloop.graph import OxigraphStore
from kringloop.graph.errors import Busy, QueryTimeout
from kringloop.graph.execution import Deadline, written_job
from kringloop.graph.isolation import ProcessRunner

E = "http://e.org/"


def nap(store: OxigraphStore, deadline: Deadline, seconds: float, tag: int) -> int:
    """A job that holds its worker for ``seconds``."""
    time.sleep(seconds)
    return tag


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[ProcessRunner]:
    store = OxigraphStore.open(tmp_path / "store")
    store.update(f"INSERT DATA {{ <{E}a> <{E}p> 1, 2 }}")
    store.close()
    pool = ProcessRunner(tmp_path / "store", timeout_s=2.0, max_rows=10, workers=2)
    yield pool
    pool.close()


def test_more_callers_than_workers_all_get_their_own_answer(runner: ProcessRunner) -> None:
    async def main() -> list[int]:
        return await asyncio.gather(*(runner.acall(nap, 0.1, tag) for tag in range(8)))

    assert asyncio.run(main()) == list(range(8))
    assert runner._idle.qsize() == 2 and not runner._waiters


def test_the_answer_is_written_in_the_worker(runner: ProcessRunner) -> None:
    query = "SELECT ?o WHERE { ?s ?p ?o } ORDER BY ?o"
    args: tuple[object, ...] = (query, 10, None, None, False, "text/csv", None, {})
    answer = asyncio.run(runner.acall(written_job, *args))
    assert answer.kind == "solutions" and answer.body == b"o\r\n1\r\n2\r\n"
    # the same job through the blocking call gives the same bytes
    assert runner.call(written_job, *args) == answer


def test_a_caller_that_gives_up_stops_its_job(runner: ProcessRunner) -> None:
    async def main() -> None:
        await asyncio.wait_for(runner.acall(nap, 30.0, 0), timeout=0.5)

    pids = {w.process.pid for w in runner._all}
    with pytest.raises(TimeoutError):
        asyncio.run(main())
    deadline = time.monotonic() + 30
    while runner._idle.qsize() < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    # the worker that held the abandoned job was replaced; the pool is whole again
    assert len(pids - {w.process.pid for w in runner._all}) == 1
    assert asyncio.run(runner.acall(nap, 0.0, 7)) == 7


def test_deadline_and_queue_limits_hold_on_the_event_loop(runner: ProcessRunner) -> None:
    with pytest.raises(QueryTimeout):
        asyncio.run(runner.acall(nap, 10.0, 0))
    assert runner.stats["killed"] == 1
    runner.queue_wait_s = 0.3

    async def crowd() -> list[int | BaseException]:
        calls = [runner.acall(nap, 1.0, tag) for tag in range(3)]
        return await asyncio.gather(*calls, return_exceptions=True)

    deadline = time.monotonic() + 30
    while runner._idle.qsize() < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    outcome = asyncio.run(crowd())
    assert sorted(o for o in outcome if isinstance(o, int)) == [0, 1]
    assert [type(o) for o in outcome if not isinstance(o, int)] == [Busy]
