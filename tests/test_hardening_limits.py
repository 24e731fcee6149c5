"""Limits that hold: a timeout that really stops work, freshness after writes, busy and
overload answers, body and result sizes, nesting bombs."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from kringloop.graph import OxigraphStore
from kringloop.graph.isolation import ProcessRunner
from kringloop.service.app import create_app
from kringloop.service.settings import Settings
from tests.hardening import canonical_hash, whole

TOKEN = "hardening-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
E = "http://e.org/"

#: Each blocks inside the engine for far longer than the timeout.
PATHOLOGICAL = {
    "cartesian": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "path": f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s (<{E}next>|^<{E}next>)* ?o . ?x ?y ?z }}",
    "order-by": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i LIMIT 1",
}


def chain_data(store_path: Path, size: int = 1500) -> None:
    """A chain of ``size`` nodes in the default graph."""
    store = OxigraphStore.open(store_path)
    body = " ".join(f"<{E}n{i}> <{E}next> <{E}n{i + 1}> ." for i in range(size))
    store.update(f"INSERT DATA {{ {body} }}")
    store.close()


def disk_settings(store_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "store": "oxigraph",
        "store_path": store_path,
        "demo_data": False,
        "validate_data": False,
        "query_timeout_s": 1.0,
        "query_workers": 2,
        "queue_wait_s": 5.0,
        "write_token": SecretStr(TOKEN),
    }
    values.update(overrides)
    return Settings(**values)


@contextmanager
def disk_client(store_path: Path, **overrides: Any) -> Iterator[TestClient]:
    chain_data(store_path)
    with TestClient(create_app(disk_settings(store_path, **overrides))) as client:
        yield client


def ask(client: TestClient, query: str) -> Any:
    return client.get("/sparql", params={"query": query}, headers={"Accept": "application/json"})


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_a_pathological_query_is_killed_at_the_timeout(tmp_path: Path) -> None:
    with disk_client(tmp_path / "store") as client:
        runner = client.app.state.runner  # type: ignore[attr-defined]
        assert isinstance(runner, ProcessRunner)
        for name, query in PATHOLOGICAL.items():
            pids = runner.status().pids
            started = time.monotonic()
            response = ask(client, query)
            took = time.monotonic() - started
            assert response.status_code == 504, (name, response.text)
            body = response.json()
            assert body["error"] == "query_timeout" and "1 s" in body["message"]
            assert took < 1.0 + 2.0, f"{name}: answered after {took:.2f} s"
            # the worker that ran it is gone: its CPU is free again
            gone = pids - runner.status().pids
            assert len(gone) == 1 and not any(alive(pid) for pid in gone), name
        assert runner.stats["killed"] == len(PATHOLOGICAL)
        # the pool refills itself and answers again
        whole(runner)
        assert ask(client, "ASK { ?s ?p ?o }").json()["boolean"] is True


def hub_data(store_path: Path, flows: int = 20_000) -> str:
    """An organisation with ``flows`` flows to as many others: its depth-2 neighbourhood
    takes seconds to read and lay out, even capped."""
    kl = "https://w3id.org/kringloop/ns#"
    hub = f"{E}hub"
    store = OxigraphStore.open(store_path)
    body = [f"<{hub}> a <{kl}Organisation> ."]
    body += [
        f"<{E}flow{i}> a <{kl}Flow> ; <{kl}flowFrom> <{hub}> ; <{kl}flowTo> <{E}org{i}> ."
        for i in range(flows)
    ]
    store.update(f"INSERT DATA {{ {' '.join(body)} }}")
    store.close()
    return hub


@pytest.mark.slow
def test_a_viz_page_over_the_time_limit_is_stopped_in_its_worker(tmp_path: Path) -> None:
    hub = hub_data(tmp_path / "store")
    settings = disk_settings(tmp_path / "store", query_timeout_s=0.5)
    with TestClient(create_app(settings)) as client:
        runner = client.app.state.runner  # type: ignore[attr-defined]
        assert isinstance(runner, ProcessRunner)
        pids = runner.status().pids
        started = time.monotonic()
        page = client.get("/viz/neighbourhood", params={"iri": hub, "depth": 2, "cap": 5000})
        took = time.monotonic() - started
        assert page.status_code == 504, page.text[:300]
        assert page.json()["error"] == "query_timeout" and took < 0.5 + 2.0
        gone = pids - runner.status().pids  # the worker that built the page was killed
        assert len(gone) == 1 and not any(alive(pid) for pid in gone)
        assert runner.stats["killed"] == 1
        whole(runner)
        small = client.get("/viz/neighbourhood", params={"iri": f"{E}flow1", "lang": "en"})
        assert small.status_code == 200 and "<h1>Neighbourhood of" in small.text


@pytest.mark.slow
def test_simple_queries_are_answered_while_a_runaway_one_runs(tmp_path: Path) -> None:
    with disk_client(tmp_path / "store", query_timeout_s=3.0) as client:
        results: list[tuple[int, float]] = []

        def runaway() -> None:
            status = ask(client, PATHOLOGICAL["cartesian"]).status_code
            results.append((status, time.monotonic()))

        slow = threading.Thread(target=runaway)
        slow.start()
        time.sleep(0.3)
        answered: list[float] = []  # when each lookup's answer came
        while slow.is_alive():
            assert ask(client, f"ASK {{ <{E}n1> <{E}next> <{E}n2> }}").status_code == 200
            answered.append(time.monotonic())
        slow.join()
        [(status, runaway_ended)] = results
        assert status == 504
        # lookups were answered one after another while the runaway still ran, not after it
        # (an order of events, not a duration: the machine's speed does not matter)
        assert sum(1 for at in answered if at < runaway_ended) >= 5


@pytest.mark.slow
@pytest.mark.parametrize("runaways", [2, 4], ids=["workers", "twice-workers"])
def test_lookups_do_not_wait_behind_runaway_queries(tmp_path: Path, runaways: int) -> None:
    # the default room for short work: a standby and up to 4 extra workers
    with disk_client(tmp_path / "store", query_timeout_s=3.0) as client:
        runner = client.app.state.runner  # type: ignore[attr-defined]
        answers: list[tuple[str, int]] = []  # in the order they came
        lock = threading.Lock()

        def runaway() -> None:
            status = ask(client, PATHOLOGICAL["cartesian"]).status_code
            with lock:
                answers.append(("runaway", status))

        held = [threading.Thread(target=runaway) for _ in range(runaways)]
        for thread in held:
            thread.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # every runaway has a worker or queues up
            status = runner.status()
            if status.busy + status.waiting == runaways:
                break
            time.sleep(0.01)
        while any(thread.is_alive() for thread in held):
            status = ask(client, f"ASK {{ <{E}n1> <{E}next> <{E}n2> }}").status_code
            with lock:
                answers.append(("lookup" if not runner.stats["killed"] else "late lookup", status))
        for thread in held:
            thread.join()
        # the first lookup was answered before any runaway was killed; none was refused
        assert answers[0] == ("lookup", 200), answers[:5]
        assert {status for _, status in answers} == {200, 504}
        assert [a for a in answers if a[0] == "runaway"] == [("runaway", 504)] * runaways


@pytest.mark.slow
def test_workers_see_writes_and_reopen_cheaply(tmp_path: Path) -> None:
    with disk_client(tmp_path / "store") as client:
        runner = client.app.state.runner  # type: ignore[attr-defined]
        for i in range(12):
            update = f"INSERT DATA {{ <{E}fresh{i}> <{E}p> {i} }}"
            response = client.post(
                "/update",
                content=update,
                headers={**AUTH, "Content-Type": "application/sparql-update"},
            )
            assert response.status_code == 204
            # every worker must see it at once (each of them answers some of these)
            for _ in range(3):
                found = ask(client, f"ASK {{ <{E}fresh{i}> <{E}p> {i} }}").json()["boolean"]
                assert found is True
        assert runner.stats["reopened"] >= 12
        average = runner.stats["reopen_s"] / runner.stats["reopened"]
        assert average < 0.5, f"reopening takes {average * 1000:.0f} ms"


@pytest.mark.slow
def test_an_update_with_a_pathological_where_is_refused_unchanged(tmp_path: Path) -> None:
    with disk_client(tmp_path / "store") as client:
        store = client.app.state.store  # type: ignore[attr-defined]
        before = canonical_hash(store)
        update = "DELETE { ?a ?b ?c } WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
        started = time.monotonic()
        response = client.post(
            "/update", content=update, headers={**AUTH, "Content-Type": "application/sparql-update"}
        )
        assert response.status_code == 504 and "WHERE" in response.json()["message"]
        assert time.monotonic() - started < 3.0
        assert canonical_hash(store) == before
        # a WHERE that matches more solutions than the row limit is refused too
        client.app.state.settings.max_update_solutions = 100  # type: ignore[attr-defined]
        response = client.post(
            "/update",
            content="DELETE { ?a ?b ?c } WHERE { ?a ?b ?c }",
            headers={**AUTH, "Content-Type": "application/sparql-update"},
        )
        assert response.status_code == 400 and response.json()["error"] == "result_too_large"
        assert canonical_hash(store) == before


@pytest.mark.slow
def test_a_match_runs_in_a_worker_within_the_deadline(tmp_path: Path) -> None:
    with disk_client(tmp_path / "store") as client:
        runner = client.app.state.runner  # type: ignore[attr-defined]
        response = client.post("/match", json={"what": "office chairs"})
        assert response.status_code in (200, 422), response.text
        assert ask(client, "ASK {}").status_code == 200
        assert runner.stats["crashed"] == 0


@pytest.mark.slow
def test_busy_workers_answer_503_with_retry_after(tmp_path: Path) -> None:
    with disk_client(
        tmp_path / "store",
        query_workers=1,
        query_extra_workers=0,  # a fixed pool: the runaway holds the only worker
        queue_wait_s=0.3,
        query_timeout_s=3.0,
    ) as client:
        slow = threading.Thread(target=lambda: ask(client, PATHOLOGICAL["cartesian"]))
        slow.start()
        time.sleep(0.5)
        response = ask(client, "ASK {}")
        slow.join()
        assert response.status_code == 503
        assert response.json()["error"] == "busy" and int(response.headers["Retry-After"]) >= 1


def memory_client(**overrides: Any) -> TestClient:
    values: dict[str, Any] = {"store": "memory", "demo_data": False, "validate_data": False}
    values.update(overrides)
    return TestClient(create_app(Settings(**values)))


def test_too_many_requests_in_flight_get_503_at_once() -> None:
    with memory_client(max_concurrent_requests=1) as client:
        gate = client.app.state.gate  # type: ignore[attr-defined]
        runner = client.app.state.runner  # type: ignore[attr-defined]
        entered, release = threading.Event(), threading.Event()
        original = runner.astream

        async def held(job: Any, *args: Any) -> AsyncIterator[Any]:  # holds the only slot
            entered.set()
            await asyncio.to_thread(release.wait, 10)
            async for event in original(job, *args):
                yield event

        runner.astream = held
        first = threading.Thread(target=lambda: ask(client, "ASK {}"))
        first.start()
        assert entered.wait(10)
        runner.astream = original
        assert gate.in_flight == 1
        response = ask(client, "ASK {}")
        assert response.status_code == 503 and response.headers["Retry-After"] == "1"
        assert response.json()["error"] == "busy"
        assert client.get("/healthz").status_code == 200  # never refused
        release.set()
        first.join()
        assert ask(client, "ASK {}").status_code == 200
        assert gate.refused == 1


BIG = 2048
ROUTES = [
    ("POST", "/sparql", "application/sparql-query", "data"),
    ("POST", "/update", "application/sparql-update", "data"),
    ("POST", "/store?default", "text/turtle", "data"),
    ("PUT", "/store?default", "text/turtle", "data"),
    ("POST", "/match", "application/json", "json"),
    ("POST", "/queries/market-scan", "application/json", "json"),
]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize(("method", "path", "media", "kind"), ROUTES)
def test_bodies_over_the_limit_get_413(
    method: str, path: str, media: str, kind: str, chunked: bool
) -> None:
    with memory_client(
        max_body_bytes=BIG, max_json_body_bytes=BIG // 2, write_token=SecretStr(TOKEN)
    ) as client:
        limit = BIG if kind == "data" else BIG // 2
        filler = b" " * (limit + 1)
        body = b'{"what": "x"' + filler + b"}" if media == "application/json" else filler
        content: Any = iter([body[:100], body[100:]]) if chunked else body
        response = client.request(
            method, path, content=content, headers={**AUTH, "Content-Type": media}
        )
        assert response.status_code == 413, response.text
        assert response.json()["error"] == "too_large"
        assert str(limit) in response.json()["message"]


def test_result_size_limit_is_an_explicit_error() -> None:
    with memory_client(max_result_rows=3) as client:
        client.app.state.store.update(  # type: ignore[attr-defined]
            f"INSERT DATA {{ <{E}a> <{E}p> 1, 2, 3, 4, 5 }}"
        )
        response = ask(client, "SELECT * WHERE { ?s ?p ?o }")
        assert response.status_code == 400 and response.json()["error"] == "result_too_large"
        assert ask(client, "SELECT * WHERE { ?s ?p ?o } LIMIT 3").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE " + "{" * 5000 + "}" * 5000,
        "SELECT * WHERE { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
        "ASK { ?s ?p " + "[ <http://e.org/p> " * 5000 + "1" + " ]" * 5000 + " }",
    ],
    ids=["groups", "parentheses", "blank-nodes"],
)
def test_nesting_bombs_are_refused_before_the_engine(query: str) -> None:
    # Without the guard the engine overflows its stack and kills this very process.
    with memory_client() as client:
        response = client.post(
            "/sparql", content=query, headers={"Content-Type": "application/sparql-query"}
        )
        assert response.status_code == 400 and response.json()["error"] == "refused"
        assert "deep" in response.json()["message"]


def test_match_limits_are_declared() -> None:
    with memory_client() as client:
        assert client.post("/match", json={"what": "x", "top_k": 51}).status_code == 422
        too_many = {f"s{i}": 1 for i in range(100)}
        assert (
            client.post("/match", json={"what": "x", "rank_overrides": too_many}).status_code == 422
        )
