"""kg.serialize: every output format, byte-identical output, atomic writes."""
from __future__ import annotations

import os
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.build import build
from kg.errors import E, KGError
from kg.serialize import FORMATS, format_for, serialize, write_atomic, write_graph

OXIGRAPH_FORMATS = {"turtle": pyoxigraph.RdfFormat.TURTLE, "nt": pyoxigraph.RdfFormat.N_TRIPLES}
OLD = "the old content\n"


@pytest.fixture
def old_file(tmp_path: Path) -> Path:
    path = tmp_path / "kg.ttl"
    path.write_text(OLD, encoding="utf-8")
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --- deterministic text -----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_same_graph_same_bytes(seed_graph: Graph, name: str) -> None:
    fmt = FORMATS[name]
    assert serialize(seed_graph, fmt).encode() == serialize(seed_graph, fmt).encode()


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_rebuilt_graph_same_bytes(seed_graph: Graph, seed_rebuild: tuple, name: str) -> None:
    assert seed_rebuild[0] is not seed_graph
    fmt = FORMATS[name]
    assert serialize(seed_rebuild[0], fmt).encode() == serialize(seed_graph, fmt).encode()


@pytest.mark.parametrize(
    "name",
    sorted(FORMATS),
)
def test_every_format_round_trips(seed_graph: Graph, name: str) -> None:
    text = serialize(seed_graph, FORMATS[name])
    back = Graph().parse(data=text, format=name)
    assert len(back) == len(seed_graph)
    assert isomorphic(back, seed_graph)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_pyoxigraph_reads_every_format(seed_graph: Graph, name: str) -> None:
    text = serialize(seed_graph, FORMATS[name])
    quads = list(pyoxigraph.parse(text, format=OXIGRAPH_FORMATS[name]))
    assert len(quads) == len(seed_graph)
    store = pyoxigraph.Store()
    store.load(text, format=OXIGRAPH_FORMATS[name])
    assert len(store) == len(seed_graph)


def test_turtle_counts_agree(seed_turtle: str, seed_graph: Graph) -> None:
    rdflib_count = len(Graph().parse(data=seed_turtle, format="turtle"))
    oxigraph_count = len(list(pyoxigraph.parse(seed_turtle, format=pyoxigraph.RdfFormat.TURTLE)))
    assert rdflib_count == oxigraph_count == len(seed_graph)


def test_turtle_and_ntriples_files_hold_the_same_graph(seed_graph: Graph) -> None:
    turtle = Graph().parse(data=serialize(seed_graph, FORMATS["turtle"]), format="turtle")
    ntriples = Graph().parse(data=serialize(seed_graph, FORMATS["nt"]), format="nt")
    assert isomorphic(turtle, ntriples)


def test_ntriples_lines_are_sorted_and_unique(seed_graph: Graph) -> None:
    text = serialize(seed_graph, FORMATS["nt"])
    assert text.endswith(" .\n")
    lines = text.splitlines()
    assert lines == sorted(lines)
    assert len(lines) == len(set(lines)) == len(seed_graph)


def test_turtle_uses_the_kg_prefixes(seed_turtle: str) -> None:
    head = [line for line in seed_turtle.splitlines() if line.startswith("@prefix")]
    declared = {line.split()[1] for line in head}
    assert {"kg:", "prov:", "skos:", "schema:", "dcterms:", "xsd:"} <= declared


# --- formats by name and by suffix ------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_format_by_name_and_suffix(name: str) -> None:
    fmt = FORMATS[name]
    assert format_for(Path("out.any"), name) is fmt
    assert format_for(Path("graphs/out" + fmt.suffix)) is fmt


def test_unknown_format_name_lists_choices() -> None:
    with pytest.raises(KGError) as caught:
        format_for(Path("out.ttl"), "rdfxml")
    assert caught.value.code is E.E201
    assert caught.value.exit_code == 2
    message = str(caught.value)
    assert message.startswith("[E201]") and "rdfxml" in message
    assert all(name in message for name in FORMATS)


def test_unknown_suffix_lists_choices() -> None:
    with pytest.raises(KGError) as caught:
        format_for(Path("out.xml"))
    assert caught.value.code is E.E201
    assert all(f.suffix in str(caught.value) for f in FORMATS.values())


def test_unknown_format_fails_before_any_work(tmp_path: Path) -> None:
    # the input does not exist either: the format is checked first, and nothing is written
    with pytest.raises(KGError) as caught:
        build([tmp_path / "missing"], tmp_path / "out.ttl", fmt="rdfxml")
    assert caught.value.code is E.E201
    assert list(tmp_path.iterdir()) == []


# --- atomic files -----------------------------------------------------------------------


def test_write_graph_replaces_the_file_and_leaves_no_temp(
    seed_graph: Graph, seed_turtle: str, old_file: Path
) -> None:
    assert write_graph(seed_graph, old_file) is FORMATS["turtle"]
    assert old_file.read_text(encoding="utf-8") == seed_turtle
    assert leftovers(old_file.parent) == []
    assert oct(old_file.stat().st_mode & 0o777) == oct(0o644)


def test_write_atomic_makes_missing_folders(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "kg.nt"
    write_atomic(path, b"<urn:x:s> <urn:x:p> <urn:x:o> .\n")
    assert path.read_bytes() == b"<urn:x:s> <urn:x:p> <urn:x:o> .\n"
    assert leftovers(path.parent) == []


def test_text_that_cannot_be_encoded_leaves_the_old_file(old_file: Path) -> None:
    with pytest.raises(UnicodeEncodeError):
        write_atomic(old_file, "a lone surrogate \ud800")
    assert old_file.read_text(encoding="utf-8") == OLD
    assert leftovers(old_file.parent) == []


def test_a_failing_write_leaves_the_old_file(old_file: Path) -> None:
    with pytest.raises(TypeError):
        write_atomic(old_file, 12345)  # type: ignore[arg-type]
    assert old_file.read_text(encoding="utf-8") == OLD
    assert leftovers(old_file.parent) == []


def test_a_folder_in_the_way_is_reported_and_kept(tmp_path: Path) -> None:
    folder = tmp_path / "kg.ttl"
    folder.mkdir()
    (folder / "inside.txt").write_text(OLD)
    with pytest.raises(KGError) as caught:
        write_atomic(folder, "data")
    assert caught.value.code is E.E202
    assert str(folder) in str(caught.value)
    assert folder.is_dir() and (folder / "inside.txt").read_text() == OLD
    assert leftovers(tmp_path) == []


def test_a_file_in_place_of_the_folder_is_reported(old_file: Path) -> None:
    with pytest.raises(KGError) as caught:
        write_atomic(old_file / "kg.ttl", "data")
    assert caught.value.code is E.E202
    assert old_file.read_text(encoding="utf-8") == OLD


def test_a_failed_build_writes_nothing(tmp_path: Path, old_file: Path) -> None:
    empty = tmp_path / "in"
    empty.mkdir()
    (empty / "blank.txt").write_text("   \n")
    with pytest.raises(KGError) as caught:
        build([empty], old_file)
    assert caught.value.code is E.E008
    assert old_file.read_text(encoding="utf-8") == OLD
    assert leftovers(tmp_path) == []
    assert os.listdir(empty) == ["blank.txt"]
