"""A census computed once per store version is found by every other process opening the store
in that state, never by one that sees other data."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from kringloop.graph import OxigraphStore, derived
from kringloop.graph import load as loading
from kringloop.graph.bundle import bundled_sources
from kringloop.queries import loops
from kringloop.queries.loop.judge import MAX_PARTNERS

GOLDEN = Path(__file__).parent / "golden" / "golden.ttl"
TODAY = date(2026, 6, 1)
# Every processing offer goes: no loop of the golden data can close any more.
DROP_PROCESSING = """PREFIX kl: <https://w3id.org/kringloop/ns#>
DELETE WHERE { GRAPH ?g { ?offer a kl:ProcessingOffer ; ?p ?o } }"""


@pytest.fixture
def golden(tmp_path: Path) -> Iterator[Path]:
    """An on-disk store holding the ontology and the golden data, closed."""
    path = tmp_path / "store"
    store = OxigraphStore.open(path)
    loading.load(store, [*bundled_sources(["ontology"]), *loading.plan([GOLDEN])])
    store.close()
    yield path


def _kept(path: Path, name: str = "census") -> list[Path]:
    return sorted((path / derived.DIRECTORY).glob(f"*/{name}-*.pickle"))


def _no_computing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> loops.Census:
        raise AssertionError("the census was computed again")

    monkeypatch.setattr(loops, "_census", refuse)


def test_another_reader_of_the_same_store_finds_the_census(
    golden: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = loops.census(OxigraphStore.open(golden, read_only=True), today=TODAY)
    assert first.loops and len(_kept(golden)) == 1
    _no_computing(monkeypatch)
    again = loops.census(OxigraphStore.open(golden, read_only=True), today=TODAY)
    assert again == first
    # another day, radius or scope is another census
    with pytest.raises(AssertionError, match="computed again"):
        loops.census(OxigraphStore.open(golden, read_only=True), today=date(2026, 6, 2))


def test_a_write_is_a_new_census_and_an_older_reader_keeps_its_own(golden: Path) -> None:
    before = OxigraphStore.open(golden, read_only=True)  # sees the files as they are now
    writer = OxigraphStore.open(golden)
    writer.update(DROP_PROCESSING)
    after = loops.census(writer, today=TODAY)
    old = loops.census(before, today=TODAY)  # the data it was opened on, kept under its version
    fresh = loops._census(writer, TODAY, loops.DEFAULT_RADIUS_KM, MAX_PARTNERS, None, None)
    assert after == fresh
    assert old.loops and not after.loops
    assert len({p.parent.name for p in _kept(golden)}) == 2
    # a reader opened after the write finds the writer's census, not the old one
    writer.close()
    assert loops.census(OxigraphStore.open(golden, read_only=True), today=TODAY) == after


def test_a_damaged_result_is_computed_again_and_replaced(golden: Path) -> None:
    first = loops.census(OxigraphStore.open(golden, read_only=True), today=TODAY)
    [kept] = _kept(golden)
    kept.write_bytes(b"not a pickle")
    assert loops.census(OxigraphStore.open(golden, read_only=True), today=TODAY) == first
    assert kept.read_bytes() != b"not a pickle"


def test_a_folder_that_cannot_be_written_keeps_nothing_and_answers(golden: Path) -> None:
    (golden / derived.DIRECTORY).write_text("a file where the folder would be")
    census = loops.census(OxigraphStore.open(golden, read_only=True), today=TODAY)
    assert census.loops and not _kept(golden)


def test_results_of_other_code_or_old_versions_are_not_found(tmp_path: Path) -> None:
    store = OxigraphStore.open(tmp_path / "s")
    assert derived.once(store, "n", ("k",), "code-a", lambda: 1) == 1
    assert derived.once(store, "n", ("k",), "code-a", lambda: 2) == 1
    assert derived.once(store, "n", ("k",), "code-b", lambda: 3) == 3
    for number in range(derived.KEEP_VERSIONS + 2):
        store.update(f"INSERT DATA {{ <http://e.org/{number}> <http://e.org/p> 1 }}")
        assert derived.once(store, "n", ("k",), "code-a", _value(number)) == number
    versions = list((tmp_path / "s" / derived.DIRECTORY).iterdir())
    assert len(versions) == derived.KEEP_VERSIONS
    assert derived.once(OxigraphStore.memory(), "n", ("k",), "code-a", lambda: 9) == 9


def test_the_gaps_command_answers_from_the_census_of_the_loops_command(golden: Path) -> None:
    """Two commands, two processes, one census: the second finds the first's."""
    env = {**os.environ, "KRINGLOOP_STORE_PATH": str(golden)}
    command = [sys.executable, "-m", "kringloop.service.cli"]
    loops_run = subprocess.run(
        [*command, "loops", "--json", "--on", "2026-06-01"], env=env, capture_output=True
    )
    assert loops_run.returncode == 0, loops_run.stderr
    [kept] = _kept(golden)
    written = kept.stat().st_mtime_ns
    gaps_run = subprocess.run(
        [*command, "gaps", "--json", "--on", "2026-06-01"], env=env, capture_output=True
    )
    assert gaps_run.returncode == 0, gaps_run.stderr
    assert _kept(golden) == [kept] and kept.stat().st_mtime_ns == written
    census = loops.census(OxigraphStore.open(golden, read_only=True), today=TODAY)
    assert json.loads(gaps_run.stdout)["gaps"] == [
        json.loads(json.dumps(g, default=str)) for g in _plain(census.gaps)
    ]


def _value(number: int) -> Callable[[], int]:
    return lambda: number


def _plain(items: list[loops.Gap]) -> list[dict[str, object]]:
    import dataclasses

    return [dataclasses.asdict(i) for i in items]


def test_a_match_in_another_process_reads_no_facts_again(
    golden: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What one query worker read for a product type (and the vocabulary) another finds:
    the same match, without reading the store's facts again."""
    from kringloop.queries import matchmaker
    from kringloop.queries.loop import facts
    from kringloop.queries.request import MatchRequest

    chairs = MatchRequest(what="office chair", near="Kortrijk", quantity=40)
    first = matchmaker.match(OxigraphStore.open(golden, read_only=True), chairs, today=TODAY)
    assert first.chains
    assert _kept(golden, "loop-facts") and _kept(golden, "loop-vocabulary")

    def refuse(*args: object) -> object:
        raise AssertionError("the facts were read again")

    monkeypatch.setattr(facts, "_loop_facts", refuse)
    monkeypatch.setattr(facts, "_vocabulary", refuse)
    again = matchmaker.match(OxigraphStore.open(golden, read_only=True), chairs, today=TODAY)
    assert again == first


@pytest.mark.parametrize("isolation", ["process", "thread"])
def test_the_census_has_its_own_time_limit(golden: Path, isolation: str) -> None:
    """The census reads the whole graph: it may run longer than a query (a minute and more
    at 100k organisations), within ``census_timeout_s``; past that it is stopped (504)."""
    from fastapi.testclient import TestClient

    from kringloop.service.app import create_app
    from kringloop.service.settings import Settings

    def loops_status(query_s: float, census_s: float) -> int:
        copy = golden.with_name(f"copy-{len(list(golden.parent.iterdir()))}")
        shutil.copytree(golden, copy)  # a store of its own: nothing kept, nobody holding it
        settings = Settings(
            store_path=copy,
            isolation=isolation,
            demo_data=False,
            query_timeout_s=query_s,
            census_timeout_s=census_s,
        )
        with TestClient(create_app(settings)) as client:
            status: int = client.get("/loops", headers={"accept": "application/json"}).status_code
        return status

    assert loops_status(query_s=0.001, census_s=120) == 200
    # stopped at its limit (504), or, with threads, not started past it (503)
    assert loops_status(query_s=120, census_s=0.001) in (503, 504)


def test_the_service_prepares_each_store_version_in_the_background(golden: Path) -> None:
    """After start and after a write, one worker reads what the first match and the census
    of the new version need, and keeps it: a census asked for afterwards is not computed by
    the worker that answers, and it is the census of the data as written."""
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from kringloop.service.app import create_app
    from kringloop.service.settings import Settings

    settings = Settings(
        store_path=golden,
        isolation="process",
        demo_data=False,
        prepare_in_background=True,
        write_token=SecretStr("t"),
    )
    with TestClient(create_app(settings)) as client:
        preparer = client.app.state.preparer  # type: ignore[attr-defined]
        assert preparer.wait_idle(120), preparer.last
        assert preparer.last["error"] is None and set(preparer.last["seconds"]) == {
            "vocabulary",
            "facts",
            "census",
        }
        assert _kept(golden) and _kept(golden, "loop-facts")
        said = client.get("/healthz").json()["prepared"]
        assert said["on"] and said["done"] and said["runs"] == 1 and said["error"] is None
        before = client.get("/loops", headers={"accept": "application/json"}).json()
        assert before["closed"] > 0
        answer = client.post(
            "/update",
            content=DROP_PROCESSING,
            headers={"content-type": "application/sparql-update", "authorization": "Bearer t"},
        )
        assert answer.status_code == 204, answer.text
        assert preparer.wait_idle(120), preparer.last
        assert preparer.runs == 2 and preparer.last["error"] is None
        # each preparing worker was replaced: what it read went back to the system
        assert client.app.state.runner.pool.stats["replaced"] >= 2  # type: ignore[attr-defined]
        # the new version's census is kept too (a compaction meanwhile can add a version)
        assert len({p.parent.name for p in _kept(golden)}) >= 2
        after = client.get("/loops", headers={"accept": "application/json"}).json()
        assert after["closed"] == 0 and after["open"] > 0


def test_store_files_that_change_during_the_scan_have_no_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table file listed, then compacted away before it is looked at: the files are in
    flux, so they name no state (and a store opened then keeps nothing on disk)."""
    import contextlib

    from kringloop.graph import store as store_module

    for name in ("000001.sst", "000002.sst", "CURRENT"):
        (tmp_path / name).write_text(name)
    assert store_module.files_version(tmp_path) is not None
    real = os.scandir

    @contextlib.contextmanager
    def compacting(path: Path) -> Iterator[Iterator[os.DirEntry[str]]]:
        with real(path) as entries:
            listed = list(entries)
        (tmp_path / "000002.sst").unlink()
        yield iter(listed)

    monkeypatch.setattr(os, "scandir", compacting)
    assert store_module.files_version(tmp_path) is None
