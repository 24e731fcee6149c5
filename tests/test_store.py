"""The store: loading in every format, atomicity, named graphs, dump/restore, persistence."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic

from kringloop.graph import OxigraphStore
from kringloop.graph import load as loading
from kringloop.graph.errors import (
    ConfigError,
    FormatError,
    LoadError,
    QuerySyntaxError,
)
from tests.conftest import SAMPLE_TTL
from tests.rdfcompare import nquads_of, same_dataset

EX = "https://example.org/kringloop/id/"

RDFLIB_FORMATS = {
    "ttl": "turtle",
    "nt": "nt",
    "nq": "nquads",
    "trig": "trig",
    "jsonld": "json-ld",
    "rdf": "xml",
}


@pytest.mark.parametrize("ext", sorted(RDFLIB_FORMATS))
def test_every_format_loads_by_extension(
    tmp_path: Path, ext: str, memory_store: OxigraphStore
) -> None:
    source = Graph().parse(data=SAMPLE_TTL, format="turtle")
    path = tmp_path / f"sample.{ext}"
    if ext in ("nq", "trig"):  # dataset formats: put the triples in the target graph
        ds = Dataset()
        for triple in source:
            ds.graph(URIRef(EX + "g")).add(triple)
        ds.serialize(destination=path, format=RDFLIB_FORMATS[ext])
    else:
        source.serialize(destination=path, format=RDFLIB_FORMATS[ext])
    [loaded] = loading.load(memory_store, loading.plan([path], graph=EX + "g"))
    assert loaded.quads == len(source)
    got = Graph()
    got.parse(
        data=memory_store.raw.dump(
            format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(EX + "g")
        ),
        format="nt",
    )
    assert isomorphic(got, source)


def test_explicit_format_overrides_extension(tmp_path: Path, memory_store: OxigraphStore) -> None:
    path = tmp_path / "data.txt"
    path.write_text(SAMPLE_TTL, encoding="utf-8")
    with pytest.raises(FormatError, match="--format"):
        loading.plan([path])
    [loaded] = loading.load(memory_store, loading.plan([path], fmt="turtle"))
    assert loaded.quads == 8


def test_triples_go_to_a_graph_named_after_the_file(
    sample_ttl: Path, memory_store: OxigraphStore
) -> None:
    [loaded] = loading.load(memory_store, loading.plan([sample_ttl]))
    assert loaded.graph == sample_ttl.resolve().as_uri()
    assert memory_store.graphs() == [ox.NamedNode(sample_ttl.resolve().as_uri())]
    assert memory_store.count(ox.DefaultGraph()) == 0


def test_quad_formats_keep_their_graphs(sample_trig: Path, memory_store: OxigraphStore) -> None:
    loading.load(memory_store, loading.plan([sample_trig]))
    assert [g.value for g in memory_store.graphs()] == [EX + "g1", EX + "g2"]
    assert memory_store.count(ox.DefaultGraph()) == 1
    assert memory_store.count(ox.NamedNode(EX + "g1")) == 3
    assert memory_store.count() == 5


def test_bad_file_in_the_middle_changes_nothing(
    sample_ttl: Path, sample_trig: Path, bad_ttl: Path, disk_store: OxigraphStore
) -> None:
    loading.load(disk_store, loading.plan([sample_trig]))
    before = nquads_of(disk_store.raw)
    with pytest.raises(LoadError) as caught:
        loading.load(disk_store, loading.plan([sample_ttl, bad_ttl, sample_trig], graph=EX + "x"))
    assert caught.value.source == str(bad_ttl)
    assert caught.value.position.line == 3
    assert caught.value.position.column is not None
    assert "bad.ttl: line 3, column" in str(caught.value)
    assert nquads_of(disk_store.raw) == before


def test_bulk_path_checks_every_file_before_writing(
    sample_ttl: Path, bad_ttl: Path, disk_store: OxigraphStore
) -> None:
    with pytest.raises(LoadError):
        loading.load(disk_store, loading.plan([sample_ttl, bad_ttl]), bulk_threshold=0)
    assert disk_store.is_empty()
    [loaded] = loading.load(disk_store, loading.plan([sample_ttl]), bulk_threshold=0)
    assert loaded.quads == 8
    assert disk_store.count() == 8


def test_bulk_load_into_new_graphs_is_undone_when_a_file_fails(
    tmp_path: Path, sample_trig: Path, disk_store: OxigraphStore
) -> None:
    """New graphs are bulk-loaded without a checking pass; when a later file fails, the graphs
    the load already wrote are dropped again."""
    loading.load(disk_store, loading.plan([sample_trig]))
    before = nquads_of(disk_store.raw)
    good, bad = tmp_path / "good.nt", tmp_path / "bad.nt"
    lines = "".join(f"<{EX}s{i}> <{EX}p> <{EX}o{i}> .\n" for i in range(100_000))
    good.write_text(lines, encoding="utf-8")
    bad.write_text(lines + f"<{EX}s> <{EX}p> .\n", encoding="utf-8")
    seen: list[int] = []
    with pytest.raises(LoadError) as caught:
        loading.load(disk_store, loading.plan([good, bad]), bulk_threshold=0, progress=seen.append)
    assert caught.value.source == str(bad) and caught.value.position.column is not None
    assert sum(seen) > good.stat().st_size  # it really was loading, and said so
    assert nquads_of(disk_store.raw) == before
    [loaded] = loading.load(disk_store, loading.plan([good]), bulk_threshold=0)
    assert loaded.quads == 100_000 == disk_store.count(loading.graph_for_path(good))


def test_bulk_load_into_an_existing_graph_checks_the_file_first(
    sample_ttl: Path, bad_ttl: Path, disk_store: OxigraphStore
) -> None:
    loading.load(disk_store, loading.plan([sample_ttl], graph=EX + "x"))
    before = nquads_of(disk_store.raw)
    with pytest.raises(LoadError):
        loading.load(disk_store, loading.plan([bad_ttl], graph=EX + "x"), bulk_threshold=0)
    assert nquads_of(disk_store.raw) == before


def test_named_graph_operations(memory_store: OxigraphStore) -> None:
    g = ox.NamedNode(EX + "graph/a")
    quads = [
        ox.Quad(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), ox.Literal(str(i)), g)
        for i in range(3)
    ]
    memory_store.add_quads(quads)
    assert memory_store.has_graph(g)
    memory_store.replace_graph(g, quads[:1])
    assert memory_store.count(g) == 1
    memory_store.drop_graph(g)
    assert not memory_store.has_graph(g)
    assert memory_store.is_empty()


def test_bindings_are_terms_not_text(memory_store: OxigraphStore) -> None:
    memory_store.update(f'INSERT DATA {{ <{EX}a> <{EX}p> "x" . <{EX}b> <{EX}p> "y" }}')
    sneaky = ox.Literal('x" } UNION { ?s ?p ?o } #')
    rows = memory_store.select(f"SELECT ?s WHERE {{ ?s <{EX}p> ?v }}", bindings={"v": sneaky})
    assert rows == []
    rows = memory_store.select(
        f"SELECT ?s WHERE {{ ?s <{EX}p> ?v }}", bindings={"v": ox.Literal("x")}
    )
    assert [r["s"] for r in rows] == [ox.NamedNode(EX + "a")]


def test_query_syntax_error_has_position(memory_store: OxigraphStore) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        memory_store.query("SELECT * WHERE { ?s ?p }")
    assert caught.value.position.line == 1
    assert caught.value.position.column == 25


def test_dump_and_restore_round_trip_on_disk(
    tmp_path: Path, sample_ttl: Path, sample_trig: Path, disk_store: OxigraphStore
) -> None:
    loading.load(disk_store, loading.plan([sample_ttl, sample_trig]))
    for fmt, ext in ((ox.RdfFormat.N_QUADS, "nq"), (ox.RdfFormat.TRIG, "trig")):
        dump = tmp_path / f"dump.{ext}"
        disk_store.dump(dump, fmt)
        other = OxigraphStore.open(tmp_path / f"restored-{ext}")
        count = loading.restore(other, loading.plan([dump])[0])
        assert count == disk_store.count()
        assert same_dataset(nquads_of(disk_store.raw), nquads_of(other.raw))
        other.close()


def test_restore_refuses_a_store_with_data(
    tmp_path: Path, sample_trig: Path, memory_store: OxigraphStore
) -> None:
    loading.load(memory_store, loading.plan([sample_trig]))
    dump = tmp_path / "d.nq"
    memory_store.dump(dump, ox.RdfFormat.N_QUADS)
    with pytest.raises(ConfigError, match="--replace"):
        loading.restore(memory_store, loading.plan([dump])[0])
    assert loading.restore(memory_store, loading.plan([dump])[0], replace=True) == 5


def test_whole_dataset_dump_needs_a_quad_format(memory_store: OxigraphStore) -> None:
    with pytest.raises(ConfigError, match="N-Quads or TriG"):
        memory_store.dump(io.BytesIO(), ox.RdfFormat.TURTLE)


def test_data_persists_across_processes(tmp_path: Path, sample_ttl: Path) -> None:
    location = tmp_path / "store"
    writer = (
        "import sys; from pathlib import Path; from kringloop.graph import OxigraphStore;"
        "from kringloop.graph import load as l;"
        "s = OxigraphStore.open(Path(sys.argv[1]));"
        "l.load(s, l.plan([Path(sys.argv[2])])); s.close()"
    )
    subprocess.run([sys.executable, "-c", writer, str(location), str(sample_ttl)], check=True)
    reader = (
        "import sys; from pathlib import Path; from kringloop.graph import OxigraphStore;"
        "print(OxigraphStore.open(Path(sys.argv[1]), read_only=True).count())"
    )
    done = subprocess.run(
        [sys.executable, "-c", reader, str(location)], check=True, capture_output=True, text=True
    )
    assert done.stdout.strip() == "8"


def test_read_only_store_refuses_writes(tmp_path: Path, sample_ttl: Path) -> None:
    with pytest.raises(ConfigError, match="kringloop init"):
        OxigraphStore.open(tmp_path / "missing", read_only=True)
    writable = OxigraphStore.open(tmp_path / "s")
    loading.load(writable, loading.plan([sample_ttl]))
    writable.close()
    reader = OxigraphStore.open(tmp_path / "s", read_only=True)
    with pytest.raises(ConfigError, match="read-only"):
        reader.update("CLEAR ALL")
    assert reader.count() == 8


def test_every_write_moves_the_generation(tmp_path: Path, memory_store: OxigraphStore) -> None:
    """Readers that keep derived data key it by the generation; every kind of write moves it."""
    g = ox.NamedNode(EX + "g")
    quad = ox.Quad(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), ox.Literal("o"), g)
    data = tmp_path / "data.nt"
    data.write_text(f"<{EX}s> <{EX}p> <{EX}o> .\n", encoding="utf-8")
    writes = [
        lambda: memory_store.update(f"INSERT DATA {{ <{EX}a> <{EX}p> 1 }}"),
        lambda: memory_store.add_quads([quad]),
        lambda: memory_store.change(remove=[quad]),
        lambda: memory_store.bulk_load(data, ox.RdfFormat.N_TRIPLES, graph=g),
        lambda: memory_store.replace_graph(g, [quad]),
        lambda: memory_store.drop_graph(g),
        memory_store.clear,
    ]
    for write in writes:
        before = memory_store.generation
        write()
        assert memory_store.generation > before
    before = memory_store.generation
    with pytest.raises(QuerySyntaxError):  # a failed write may still count: never stale
        memory_store.update("INSERT DATA { <not an iri> <p> 1 }")
    assert memory_store.generation > before
    memory_store.count()
    memory_store.select("SELECT * WHERE { ?s ?p ?o }")
    assert memory_store.generation == before + 1  # reads do not
