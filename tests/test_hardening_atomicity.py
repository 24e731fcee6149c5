"""Nothing lost: failing writes change nothing, acknowledged writes survive SIGKILL, backups
restore to the same dataset."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from typer.testing import CliRunner

from kringloop.graph import OxigraphStore
from kringloop.service.app import create_app
from kringloop.service.cli import app as cli
from kringloop.service.settings import Settings
from tests.conftest import free_port
from tests.hardening import canonical_hash
from tests.test_serve import wait_for

TOKEN = "atomic-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EX = "https://example.org/kringloop/atomic/"
G = f"{EX}graph"
KL_ORG = (
    "@prefix kl: <https://w3id.org/kringloop/ns#> .\n"
    f"<{EX}org> a kl:Organisation .\n"  # no label: violates the organisation shape
)

# One write: (kind, payload, good?). Good ones succeed; bad ones fail in a different way each.
Write = tuple[str, str, bool]


def good_update(n: int) -> Write:
    return (
        "update",
        f"INSERT DATA {{ GRAPH <{G}> {{ <{EX}s{n}> <{EX}p> {n}, [ <{EX}q> {n} ] }} }}",
        True,
    )


def good_post(n: int) -> Write:
    return ("post", f"<{EX}t{n}> <{EX}p> 'value {n}'@en ; <{EX}q> [ <{EX}r> {n} ] .", True)


def good_delete(n: int) -> Write:
    return ("update", f"DELETE DATA {{ GRAPH <{G}> {{ <{EX}s{n}> <{EX}p> {n} }} }}", True)


BAD: list[Write] = [
    ("post", f"<{EX}a> <{EX}p> 'unterminated .", False),  # malformed Turtle
    ("post", KL_ORG, False),  # SHACL-invalid
    ("post", f"<{EX}a> <{EX}p> '{'x' * 5000}' .", False),  # over the body limit
    (
        "update",
        f"INSERT DATA {{ GRAPH <{G}> {{ <{EX}x> <{EX}p> 1 }} }} ; INSERT DATA {{ <{EX}y",
        False,
    ),
    # fails at run time after its first operation ran: the whole update must roll back
    (
        "update",
        f"INSERT DATA {{ GRAPH <{G}> {{ <{EX}x> <{EX}p> 2 }} }} ; DROP GRAPH <{EX}none>",
        False,
    ),
    (
        "update",
        f"INSERT DATA {{ GRAPH <{G}> {{ <{EX}x> <{EX}p> 3 }} }} ; CREATE GRAPH <{G}>",
        False,
    ),
    (
        "update",
        f"INSERT DATA {{ GRAPH <{G}> {{ <{EX}x> <{EX}p> 4 }} }} ; LOAD <http://127.0.0.1:9/x>",
        False,
    ),
    (
        "update",
        "INSERT DATA { GRAPH <https://example.org/kringloop/atomic/graph> { "
        + KL_ORG.split("\n", 1)[1].replace(
            "a kl:Organisation", "a <https://w3id.org/kringloop/ns#Organisation>"
        )
        + " } }",
        False,
    ),
    ("put", "<a> <b> <c> <d> .", False),  # malformed, replacing the graph
    ("put", KL_ORG, False),  # SHACL-invalid PUT must not clear the graph
]


def apply(client: TestClient, write: Write) -> int:  # the HTTP status
    kind, payload, _ = write
    if kind == "update":
        headers = {**AUTH, "Content-Type": "application/sparql-update"}
        return int(client.post("/update", content=payload, headers=headers).status_code)
    headers = {**AUTH, "Content-Type": "text/turtle"}
    method = "PUT" if kind == "put" else "POST"
    response = client.request(method, f"/store?graph={quote(G)}", content=payload, headers=headers)
    return int(response.status_code)


def make_client() -> TestClient:
    return TestClient(
        create_app(
            Settings(
                store="memory",
                demo_data=False,
                validate_data=True,
                write_token=SecretStr(TOKEN),
                max_body_bytes=4096,
            )
        )
    )


writes = st.one_of(
    st.integers(0, 30).map(good_update),
    st.integers(0, 30).map(good_post),
    st.integers(0, 30).map(good_delete),
    st.sampled_from(BAD),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(writes, min_size=1, max_size=8))
def test_the_store_equals_applying_only_the_good_writes(sequence: list[Write]) -> None:
    with make_client() as client, make_client() as reference:
        for write in sequence:
            status = apply(client, write)
            if write[2]:
                assert status in (201, 204), (write, status)
                assert apply(reference, write) in (201, 204)
            else:
                assert 400 <= status < 500, (write, status)
        store = client.app.state.store  # type: ignore[attr-defined]
        expected = reference.app.state.store  # type: ignore[attr-defined]
        assert canonical_hash(store) == canonical_hash(expected)


def test_each_bad_write_leaves_the_store_identical() -> None:
    with make_client() as client:
        for n in range(3):
            assert apply(client, good_update(n)) == 204
            assert apply(client, good_post(n)) in (201, 204)
        store = client.app.state.store  # type: ignore[attr-defined]
        before = canonical_hash(store)
        for write in BAD:
            status = apply(client, write)
            assert 400 <= status < 500, write
            assert canonical_hash(store) == before, write


# ---- Durability: SIGKILL mid-stream ----------------------------------------------------------


def start_server(store: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "KRINGLOOP_STORE_PATH": str(store),
        "KRINGLOOP_DEMO_DATA": "false",
        "KRINGLOOP_VALIDATE_DATA": "false",
        "KRINGLOOP_WRITE_TOKEN": TOKEN,
        "KRINGLOOP_QUERY_WORKERS": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "kringloop.service.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(f"http://127.0.0.1:{port}/healthz", process)
    return process


@pytest.mark.slow
def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    store = tmp_path / "store"
    acknowledged: list[str] = []
    cycles, rng = 3, random.Random(7)
    for cycle in range(cycles):
        port = free_port()
        process = start_server(store, port)
        stop = threading.Event()

        def stream(cycle: int = cycle, port: int = port, stop: threading.Event = stop) -> None:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
                n = 0
                while not stop.is_set():
                    n += 1
                    subject = f"{EX}c{cycle}-w{n}"
                    try:
                        if n % 2:
                            response = http.post(
                                "/update",
                                content=f"INSERT DATA {{ GRAPH <{G}> {{ <{subject}> <{EX}p> {n} }} }}",  # noqa: E501
                                headers={**AUTH, "Content-Type": "application/sparql-update"},
                            )
                        else:
                            response = http.post(
                                f"/store?graph={quote(G)}",
                                content=f"<{subject}> <{EX}p> {n} .",
                                headers={**AUTH, "Content-Type": "application/n-triples"},
                            )
                    except httpx.TransportError:
                        return  # the server died under us: this write was not acknowledged
                    if 200 <= response.status_code < 300:
                        acknowledged.append(subject)

        before = len(acknowledged)
        writer = threading.Thread(target=stream)
        writer.start()
        # the kill comes part-way through a stream of writes, however slow the machine is
        waited = time.monotonic() + 60
        while len(acknowledged) < before + 5 and time.monotonic() < waited:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.3, 1.2))
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        stop.set()
        writer.join(timeout=30)
    assert len(acknowledged) >= 5 * cycles
    reopened = OxigraphStore.open(store)
    try:
        found = {
            str(row["s"]).strip("<>")
            for row in reopened.select(f"SELECT ?s WHERE {{ GRAPH <{G}> {{ ?s ?p ?o }} }}")
        }
    finally:
        reopened.close()
    missing = [s for s in acknowledged if s not in found]
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged writes lost"


# ---- Backup and restore ------------------------------------------------------------------------


def test_backup_and_restore_give_the_same_dataset(tmp_path: Path, sample_trig: Path) -> None:
    runner = CliRunner()
    store = tmp_path / "store"

    def invoke(*args: Any, path: Path = store) -> Any:
        return runner.invoke(cli, ["--store-path", str(path), *map(str, args)])

    assert invoke("init", "--no-demo").exit_code == 0
    assert invoke("load", sample_trig, "--no-validate").exit_code == 0
    original = OxigraphStore.open(store, read_only=True)
    expected = canonical_hash(original)
    original.close()

    done = invoke("backup", tmp_path / "backup")
    assert done.exit_code == 0, done.output
    assert invoke("backup", tmp_path / "backup").exit_code == 2  # never into an existing dir

    restored = tmp_path / "restored"
    done = invoke("restore-backup", tmp_path / "backup", path=restored)
    assert done.exit_code == 0, done.output
    copy = OxigraphStore.open(restored, read_only=True)
    assert canonical_hash(copy) == expected
    copy.close()
    # an existing store is replaced only when asked
    assert invoke("restore-backup", tmp_path / "backup").exit_code == 2
    assert invoke("restore-backup", tmp_path / "backup", "--replace").exit_code == 0
    again = OxigraphStore.open(store, read_only=True)
    assert canonical_hash(again) == expected
    again.close()
