"""Shared fixtures: a fresh store per test, sample RDF files, a free port."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from kringloop.graph import OxigraphStore

SAMPLE_TTL = """\
@prefix ex: <https://example.org/kringloop/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:org-1 a ex:Thing ; rdfs:label "Example Refurb Gent"@en, "Voorbeeld Refurb Gent"@nl .
ex:org-2 a ex:Thing ; rdfs:label "Example Collector Brugge" ;
    ex:knows ex:org-1, [ rdfs:label "anon" ] .
"""

SAMPLE_TRIG = """\
@prefix ex: <https://example.org/kringloop/id/> .
ex:g1 { ex:a ex:p "one" . ex:a ex:q [ ex:r 1 ] . }
ex:g2 { ex:b ex:p "two"@nl . }
ex:c ex:p ex:d .
"""


@pytest.fixture
def memory_store() -> OxigraphStore:
    return OxigraphStore.memory()


@pytest.fixture
def disk_store(tmp_path: Path) -> Iterator[OxigraphStore]:
    store = OxigraphStore.open(tmp_path / "store")
    yield store
    store.close()


@pytest.fixture
def sample_ttl(tmp_path: Path) -> Path:
    path = tmp_path / "sample.ttl"
    path.write_text(SAMPLE_TTL, encoding="utf-8")
    return path


@pytest.fixture
def sample_trig(tmp_path: Path) -> Path:
    path = tmp_path / "sample.trig"
    path.write_text(SAMPLE_TRIG, encoding="utf-8")
    return path


@pytest.fixture
def bad_ttl(tmp_path: Path) -> Path:
    path = tmp_path / "bad.ttl"
    path.write_text(
        '@prefix ex: <https://example.org/> .\nex:a ex:p "ok" .\nex:b ex:p "unterminated .\n',
        encoding="utf-8",
    )
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
