"""Worker processes awaited on the event loop (`ProcessRunner.acall`): more callers than
workers all get answers, a caller that gives up stops its job, and the limits still hold.
Runaway queries do not hold up short ones (standby and extra workers, `Headroom`), in worker
processes and in the thread-mode twin."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kringloop.graph import OxigraphStore
from kringloop.graph.errors import Busy, QueryTimeout
from kringloop.graph.execution import (
    Boolean,
    Deadline,
    Event,
    Headroom,
    ThreadRunner,
    query_job,
)
from kringloop.graph.isolation import ProcessRunner
from kringloop.graph.streaming import AnswerFormat, Head, ReadQuery, stream_job
from tests.hardening import whole

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
    status = runner.status()
    assert status.idle == 2 and status.waiting == 0


def test_the_answer_is_written_in_the_worker(runner: ProcessRunner) -> None:
    query = ReadQuery("SELECT ?o WHERE { ?s ?p ?o } ORDER BY ?o")

    async def main() -> list[Event]:
        return [e async for e in runner.astream(stream_job, query, AnswerFormat("text/csv", None))]

    events = asyncio.run(main())
    assert events == [
        ("head", Head("solutions", "text/csv")),
        ("chunk", b"o\r\n1\r\n2\r\n"),
        ("done", "solutions"),
    ]
    assert runner.status().idle == 2  # the worker went back once the answer was written


def test_a_caller_that_gives_up_stops_its_job(runner: ProcessRunner) -> None:
    async def main() -> None:
        await asyncio.wait_for(runner.acall(nap, 30.0, 0), timeout=0.5)

    pids = runner.status().pids
    with pytest.raises(TimeoutError):
        asyncio.run(main())
    whole(runner)
    # the worker that held the abandoned job was replaced; the pool is whole again
    assert len(pids - runner.status().pids) == 1
    assert asyncio.run(runner.acall(nap, 0.0, 7)) == 7


def test_deadline_and_queue_limits_hold_on_the_event_loop(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = OxigraphStore.open(tmp_path / "store")
    store.close()
    fixed = Headroom(extra_workers=0, standby_workers=0)  # no room made for short work
    runner = ProcessRunner(
        tmp_path / "store", timeout_s=2.0, max_rows=10, workers=2, headroom=fixed
    )
    request.addfinalizer(runner.close)
    with pytest.raises(QueryTimeout):
        asyncio.run(runner.acall(nap, 10.0, 0))
    assert runner.stats["killed"] == 1
    runner.queue_wait_s = 0.3

    async def crowd() -> list[int | BaseException]:
        calls = [runner.acall(nap, 1.0, tag) for tag in range(3)]
        return await asyncio.gather(*calls, return_exceptions=True)

    whole(runner)
    outcome = asyncio.run(crowd())
    assert sorted(o for o in outcome if isinstance(o, int)) == [0, 1]
    assert [type(o) for o in outcome if not isinstance(o, int)] == [Busy]


# -- runaway queries do not hold up short ones ---------------------------------------------

#: Blocks inside the engine (a group over a three-way cross join of 1,500 triples) far past
#: every deadline here.
RUNAWAY = "SELECT ?c (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } GROUP BY ?c"
LOOKUP = f"ASK {{ <{E}n1> <{E}next> <{E}n2> }}"
WORKERS = 2


@pytest.fixture
def chain(tmp_path: Path) -> Path:
    """An on-disk store holding a chain of 1,500 nodes."""
    path = tmp_path / "chain"
    store = OxigraphStore.open(path)
    body = " ".join(f"<{E}n{i}> <{E}next> <{E}n{i + 1}> ." for i in range(1500))
    store.update(f"INSERT DATA {{ {body} }}")
    store.close()
    return path


def roomy(
    path: Path, request: pytest.FixtureRequest, *, extra_workers: int = WORKERS + 1
) -> ProcessRunner:
    """Two workers (and a standby) with room for twice as many runaways and a lookup."""
    runner = ProcessRunner(
        path,
        timeout_s=4.0,
        max_rows=10,
        workers=WORKERS,
        headroom=Headroom(extra_workers=extra_workers),
    )
    request.addfinalizer(runner.close)
    return runner


@pytest.mark.slow
@pytest.mark.parametrize("runaways", [WORKERS, 2 * WORKERS], ids=["workers", "twice-workers"])
def test_a_lookup_does_not_wait_for_runaway_queries(
    chain: Path, request: pytest.FixtureRequest, runaways: int
) -> None:
    runner = roomy(chain, request)
    finished: list[str] = []  # in the order the answers come back

    async def runaway() -> None:
        with pytest.raises(QueryTimeout):
            await runner.acall(query_job, RUNAWAY, 10)
        finished.append("runaway")

    async def lookup() -> bool:
        answer = await runner.acall(query_job, LOOKUP, 10)  # Busy would fail the test
        finished.append("lookup" if not runner.stats["killed"] else "lookup after a kill")
        return answer == Boolean(True)

    async def main() -> list[bool]:
        held = [asyncio.create_task(runaway()) for _ in range(runaways)]
        await asyncio.sleep(0)  # every runaway has a worker or queues up
        answers = [await lookup()]  # sent alongside: queued behind the runaways
        while not all(task.done() for task in held):  # and more while they run
            answers.append(await lookup())
        await asyncio.gather(*held)
        return answers

    answers = asyncio.run(main())
    # the first lookup was answered while every runaway still ran, before any was killed
    assert finished[0] == "lookup", finished[:5]
    assert finished.count("runaway") == runaways
    assert all(answers) and len(answers) > 1
    assert runner.stats["killed"] == runaways and runner.stats["extra"] >= 1
    whole(runner)  # and the pool is whole again


@pytest.mark.slow
def test_blocking_callers_do_not_wait_for_runaway_queries(
    chain: Path, request: pytest.FixtureRequest
) -> None:
    runner = roomy(chain, request)
    finished: list[str] = []
    lock = threading.Lock()

    def runaway() -> None:
        with pytest.raises(QueryTimeout):
            runner.call(query_job, RUNAWAY, 10)
        with lock:
            finished.append("runaway")

    held = [threading.Thread(target=runaway) for _ in range(2 * WORKERS)]
    for thread in held:
        thread.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # every runaway has a worker or queues up
        status = runner.status()
        if status.busy + status.waiting == 2 * WORKERS:
            break
        time.sleep(0.01)
    answers = []
    while any(thread.is_alive() for thread in held):
        answers.append(runner.call(query_job, LOOKUP, 10) == Boolean(True))
        with lock:
            finished.append("lookup" if not runner.stats["killed"] else "lookup after a kill")
    for thread in held:
        thread.join()
    assert finished[0] == "lookup", finished[:5]
    assert finished.count("runaway") == 2 * WORKERS and all(answers)


@pytest.mark.slow
def test_a_killed_worker_is_replaced_by_a_standby_at_once(
    chain: Path, request: pytest.FixtureRequest
) -> None:
    runner = roomy(chain, request, extra_workers=0)
    before = runner.status()
    assert before.workers == WORKERS and len(before.standby_pids) == 1
    with pytest.raises(QueryTimeout):
        runner.call(query_job, RUNAWAY, 10)
    after = runner.status()  # at once: nothing waited for a process to start
    assert before.standby_pids <= after.pids and after.workers == WORKERS
    assert len(before.pids - after.pids) == 1
    assert runner.stats["killed"] == 1 and runner.stats["replaced"] == 1
    assert runner.call(query_job, LOOKUP, 10) == Boolean(True)
    whole(runner)  # a new standby started in the background
    assert runner.stats["started"] == 1
    fresh = runner.status().standby_pids
    assert fresh and fresh.isdisjoint(before.pids | before.standby_pids)


@pytest.mark.slow
def test_extra_workers_stop_when_idle(chain: Path, request: pytest.FixtureRequest) -> None:
    runner = ProcessRunner(
        chain,
        timeout_s=4.0,
        max_rows=10,
        workers=1,
        headroom=Headroom(extra_workers=1, long_s=0.2, extra_idle_s=0.5),
    )
    request.addfinalizer(runner.close)

    async def main() -> list[int]:
        held = asyncio.create_task(runner.acall(nap, 1.5, 1))
        await asyncio.sleep(0)
        short = await runner.acall(nap, 0.0, 2)  # an extra worker takes it
        assert not held.done()
        return [short, await held]

    assert asyncio.run(main()) == [2, 1]
    assert runner.stats["extra"] == 1
    deadline = time.monotonic() + 20
    while runner.stats["retired"] < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    status = runner.status()
    assert runner.stats["retired"] == 1 and status.workers == 1 and status.extra == 0


def test_threads_make_room_for_short_jobs_too() -> None:
    store = OxigraphStore.memory()
    runner = ThreadRunner(
        store,
        timeout_s=5.0,
        max_rows=10,
        workers=WORKERS,
        headroom=Headroom(extra_workers=WORKERS + 1, long_s=0.2),
    )
    finished: list[str] = []
    lock = threading.Lock()

    def hold() -> None:  # holds its thread like a query blocking inside the engine
        runner.call(nap, 1.5, 0)
        with lock:
            finished.append("long")

    held = [threading.Thread(target=hold) for _ in range(2 * WORKERS)]
    for thread in held:
        thread.start()
    time.sleep(0.05)
    assert runner.call(query_job, "ASK {}", 10) == Boolean(True)
    with lock:
        finished.append("short")
    for thread in held:
        thread.join()
    runner.close()
    assert finished[0] == "short" and finished.count("long") == 2 * WORKERS


def test_the_forkserver_imports_what_the_main_script_imported(tmp_path: Path) -> None:
    # every child runs the main script again; the `kringloop` command's script imports the
    # whole command line, which each worker would otherwise import anew
    script = tmp_path / "kringloop-like.py"
    script.write_text(
        "import sys\n"
        "from kringloop.service.cli import main\n"
        "from kringloop.graph import worker\n"
        "print(worker.main_imports())\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert "'kringloop.service.cli'" in done.stdout, done.stderr
    assert "'sys'" in done.stdout


def which_worker(store: OxigraphStore, deadline: Deadline, query: str) -> tuple[int, bool]:
    """The worker's pid and the answer of an ASK query (holding the worker a moment)."""
    time.sleep(0.2)
    return os.getpid(), bool(store.query(query))


@pytest.mark.slow
def test_a_standby_sees_writes_made_while_it_waited(
    chain: Path, request: pytest.FixtureRequest
) -> None:
    runner = roomy(chain, request, extra_workers=0)
    standby = runner.status().standby_pids
    writer = OxigraphStore.open(chain)  # the service's writer, beside the read-only workers
    request.addfinalizer(writer.close)
    writer.update(f"INSERT DATA {{ <{E}fresh> <{E}p> 1 }}")
    writer.raw.flush()
    runner.written()
    with pytest.raises(QueryTimeout):  # the standby takes the killed worker's place
        runner.call(query_job, RUNAWAY, 10)
    assert standby <= runner.status().pids

    async def every_worker() -> list[tuple[int, bool]]:
        ask = f"ASK {{ <{E}fresh> <{E}p> 1 }}"
        return await asyncio.gather(*(runner.acall(which_worker, ask) for _ in range(WORKERS)))

    answers = asyncio.run(every_worker())
    assert standby <= {pid for pid, _ in answers}
    assert all(found for _, found in answers)
