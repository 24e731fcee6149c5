"""The command line, run through typer's runner against a real on-disk store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kringloop.service.cli import app
from tests.rdfcompare import nquads_of, same_dataset

runner = CliRunner()


def kl(store: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--store-path", str(store), *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "store"


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert "kringloop 0.1.0" in result.stdout


def test_load_query_formats(store: Path, sample_ttl: Path) -> None:
    code, out, _ = kl(store, "load", str(sample_ttl), "--graph", "https://example.org/g")
    assert code == 0, out
    assert "8 triples" in out
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    sparql = f"SELECT ?l WHERE {{ GRAPH ?g {{ ?s {label} ?l }} }} ORDER BY ?l"
    code, out, _ = kl(store, "query", sparql)
    assert code == 0
    assert "Example Collector Brugge" in out and "4 row(s)" in out
    code, out, _ = kl(store, "query", sparql, "--format", "json")
    assert code == 0
    assert len(json.loads(out)["results"]["bindings"]) == 4
    code, out, _ = kl(store, "query", sparql, "--format", "csv")
    assert out.splitlines()[0] == "l"
    code, out, _ = kl(store, "query", sparql, "--format", "tsv")
    assert out.splitlines()[0] == "?l"
    code, out, _ = kl(
        store,
        "query",
        "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
        "--format",
        "turtle",
    )
    assert code == 0 and "Example Refurb Gent" in out
    code, out, _ = kl(store, "query", "ASK { GRAPH ?g { ?s ?p ?o } }")
    assert out.strip() == "true"


def test_query_from_file_and_union(store: Path, sample_ttl: Path, tmp_path: Path) -> None:
    kl(store, "load", str(sample_ttl))
    rq = tmp_path / "count.rq"
    rq.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", encoding="utf-8")
    code, out, _ = kl(store, "query", "-f", str(rq), "--format", "csv", "--union")
    assert code == 0 and out.splitlines()[1] == "8"
    code, out, _ = kl(store, "query", "-f", str(rq), "--format", "csv")  # union by default
    assert out.splitlines()[1] == "8"
    code, out, _ = kl(store, "query", "-f", str(rq), "--format", "csv", "--strict")
    assert out.splitlines()[1] == "0"  # the real default graph is empty
    ask = "ASK { ?s <http://www.w3.org/2000/01/rdf-schema#label> 'Example Collector Brugge' }"
    assert kl(store, "query", ask)[1].strip() == "true"
    # the same file (without blank nodes, which are new at each load) in two graphs: each
    # triple still counts once
    plain = tmp_path / "plain.ttl"
    plain.write_text("<https://e.org/a> <https://e.org/p> 1, 2 .\n", encoding="utf-8")
    for graph in ("https://e.org/one", "https://e.org/two"):
        assert kl(store, "load", str(plain), "--graph", graph)[0] == 0
    code, out, _ = kl(store, "query", "-f", str(rq), "--format", "csv")
    assert out.splitlines()[1] == "10"


def test_bad_file_exits_2_with_position_and_loads_nothing(
    store: Path, sample_ttl: Path, bad_ttl: Path
) -> None:
    code, _, err = kl(store, "load", str(sample_ttl), str(bad_ttl))
    assert code == 2
    assert "bad.ttl: line 3, column" in err and "nothing was loaded" in err
    code, out, _ = kl(store, "query", "ASK { GRAPH ?g { ?s ?p ?o } }")
    assert out.strip() == "false"


def test_bad_query_and_usage_errors_exit_2(store: Path, sample_ttl: Path, tmp_path: Path) -> None:
    kl(store, "load", str(sample_ttl))
    code, _, err = kl(store, "query", "SELECT * WHERE { ?s ?p }")
    assert code == 2 and "1:25" in err
    code, _, err = kl(store, "query")
    assert code == 2 and "--file" in err
    code, _, err = kl(store, "query", "SELECT * WHERE { ?s ?p ?o }", "--format", "turtle")
    assert code == 2 and "not a format for SELECT" in err
    code, _, err = kl(store, "load", str(tmp_path / "missing.ttl"))
    assert code == 2 and "no such file" in err
    code, _, err = kl(tmp_path / "nowhere", "stats")
    assert code == 2 and "kringloop init" in err


def test_export_restore_round_trip(
    store: Path, sample_ttl: Path, sample_trig: Path, tmp_path: Path
) -> None:
    kl(store, "load", str(sample_ttl), str(sample_trig))
    dump = tmp_path / "dump.trig"
    code, _, _ = kl(store, "export", "--out", str(dump), "--format", "trig")
    assert code == 0
    other = tmp_path / "other"
    code, out, _ = kl(other, "restore", str(dump))
    assert code == 0 and "restored 13 quads" in out
    assert same_dataset(nquads_of(store), nquads_of(other))
    code, _, err = kl(other, "restore", str(dump))
    assert code == 2 and "--replace" in err
    code, _, err = kl(store, "export", "--format", "turtle")
    assert code == 2 and "N-Quads or TriG" in err


def test_stats(store: Path, sample_trig: Path) -> None:
    kl(store, "load", str(sample_trig))
    code, out, _ = kl(store, "stats", "--json")
    assert code == 0
    figures = json.loads(out)
    assert figures["quads"] == 5
    assert {g["graph"]: g["triples"] for g in figures["graphs"]} == {
        "(default graph)": 1,
        "https://example.org/kringloop/id/g1": 3,
        "https://example.org/kringloop/id/g2": 1,
    }


def test_init_loads_the_bundle_once(store: Path) -> None:
    code, out, _ = kl(store, "init")
    assert code == 0 and "initialised" in out
    code, out, _ = kl(store, "init")
    assert code == 0 and "already holds data" in out


GOLDEN = Path(__file__).parent / "golden" / "golden.ttl"
SHAPES = Path(__file__).parent / "shapes"


def test_validate_reports_and_exits_1_on_violations(store: Path) -> None:
    code, out, _ = kl(store, "validate", str(GOLDEN))
    assert code == 0, out
    assert "conforms: 0 violation(s)" in out
    invalid = SHAPES / "SupplyOfferShape-invalid-no-business-model.ttl"
    code, out, _ = kl(store, "validate", str(invalid))
    assert code == 1
    assert "does not conform" in out and "businessModel" in out


def test_load_refuses_data_that_does_not_conform(store: Path) -> None:
    kl(store, "init", "--no-demo")
    invalid = SHAPES / "SupplyOfferShape-invalid-no-business-model.ttl"
    code, _, err = kl(store, "load", str(invalid))
    assert code == 1
    assert "SHACL violation" in err and "nothing was loaded" in err
    code, out, _ = kl(
        store, "query", "ASK { GRAPH ?g { ?s a <https://w3id.org/kringloop/ns#SupplyOffer> } }"
    )
    assert out.strip() == "false"
    code, out, _ = kl(store, "load", str(invalid), "--no-validate")
    assert code == 0
    code, out, _ = kl(store, "load", str(GOLDEN))
    assert code == 0, out


def test_the_store_path_may_follow_the_command(store: Path, sample_ttl: Path) -> None:
    result = runner.invoke(app, ["load", str(sample_ttl), "--store-path", str(store)])
    assert result.exit_code == 0, result.stdout
    result = runner.invoke(app, ["stats", f"--store-path={store}"])
    assert result.exit_code == 0 and str(store) in result.stdout
