"""kg.serialize and kg.graph.to_dataset: every output format, named graphs per article,
byte-identical output, atomic writes."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import PROV, RDF, SKOS
from typer.testing import CliRunner

from kg.build import build
from kg.cli import app
from kg.errors import E, KGError
from kg.graph import to_dataset, to_graph
from kg.namespaces import DEFAULT_BASE, KG, PREFIXES
from kg.query import load_graph
from kg.resolve import KnowledgeBase
from kg.serialize import (
    FORMATS,
    Format,
    format_for,
    serialize,
    union,
    write_atomic,
    write_graph,
)

REPO = Path(__file__).resolve().parents[1]
SEED = next((REPO / "seeds").glob("001_*"))
OXIGRAPH_FORMATS = {
    "turtle": pyoxigraph.RdfFormat.TURTLE,
    "nt": pyoxigraph.RdfFormat.N_TRIPLES,
    "trig": pyoxigraph.RdfFormat.TRIG,
    "nq": pyoxigraph.RdfFormat.N_QUADS,
    "jsonld": pyoxigraph.RdfFormat.JSON_LD,
}
QUAD_FORMATS = sorted(name for name, f in FORMATS.items() if f.named_graphs)
OLD = "the old content\n"
GRAPH = DEFAULT_BASE + "graph/"
CONCEPTS = URIRef(DEFAULT_BASE + "concepts")


@pytest.fixture(scope="module")
def seed_dataset(seed_kb: KnowledgeBase) -> Dataset:
    return to_dataset(seed_kb, DEFAULT_BASE)


@pytest.fixture(scope="module")
def seed_texts(seed_graph: Graph, seed_dataset: Dataset) -> dict[str, str]:
    """The seed build in every format (read-only)."""
    return {name: serialize(content(f, seed_graph, seed_dataset), f) for name, f in FORMATS.items()}


@pytest.fixture
def old_file(tmp_path: Path) -> Path:
    path = tmp_path / "kg.ttl"
    path.write_text(OLD, encoding="utf-8")
    return path


def content(fmt: Format, graph: Graph, dataset: Dataset) -> Graph:
    """What a build writes in ``fmt``: the named graphs, or their union."""
    return dataset if fmt.named_graphs else graph


def graphs_of(dataset: Dataset) -> dict[URIRef, Graph]:
    """The non-empty graphs of ``dataset`` by name (the default graph as DATASET_DEFAULT...)."""
    return {g.identifier: g for g in dataset.graphs() if len(g)}


def quad_count(dataset: Dataset) -> int:
    return sum(len(g) for g in graphs_of(dataset).values())


def same_dataset(a: Dataset, b: Dataset) -> bool:
    """Graph by graph: the same names, and each graph isomorphic to its namesake."""
    ga, gb = graphs_of(a), graphs_of(b)
    return ga.keys() == gb.keys() and all(isomorphic(ga[n], gb[n]) for n in ga)


def parse(text: str, fmt: Format) -> Graph:
    if fmt.named_graphs:
        dataset = Dataset()
        dataset.parse(data=text, format=fmt.rdflib)
        return dataset
    return Graph().parse(data=text, format=fmt.rdflib)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --- deterministic text -----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_same_graph_same_bytes(
    seed_graph: Graph, seed_dataset: Dataset, seed_texts: dict[str, str], name: str
) -> None:
    fmt = FORMATS[name]
    assert serialize(content(fmt, seed_graph, seed_dataset), fmt).encode() == (
        seed_texts[name].encode()
    )


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_rebuilt_graph_same_bytes(
    seed_rebuild: tuple, seed_texts: dict[str, str], name: str
) -> None:
    fmt = FORMATS[name]
    graph, kb, _ = seed_rebuild
    rebuilt = content(fmt, graph, to_dataset(kb, DEFAULT_BASE))
    assert serialize(rebuilt, fmt).encode() == seed_texts[name].encode()


WRITE_EVERY_FORMAT = """
import sys
from pathlib import Path
from kg.build import build_kb
from kg.graph import to_dataset, to_graph
from kg.namespaces import DEFAULT_BASE
from kg.serialize import FORMATS, serialize
kb, _ = build_kb([Path("seeds")])
graph, dataset = to_graph(kb, DEFAULT_BASE), to_dataset(kb, DEFAULT_BASE)
for name, fmt in FORMATS.items():
    text = serialize(dataset if fmt.named_graphs else graph, fmt)
    Path(sys.argv[1], name).write_bytes(text.encode("utf-8"))
"""


def test_bytes_do_not_depend_on_the_hash_seed(
    seed_texts: dict[str, str], tmp_path: Path
) -> None:
    """rdflib lists graphs, nodes and lines in hash order; kg's writers must not."""
    outputs = {}
    for seed in ("0", "4242"):
        folder = tmp_path / seed
        folder.mkdir()
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [sys.executable, "-c", WRITE_EVERY_FORMAT, str(folder)],
            cwd=REPO, env=env, check=True, capture_output=True, timeout=300,
        )
        outputs[seed] = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert sorted(outputs["0"]) == sorted(FORMATS)
    for name in FORMATS:
        assert outputs["0"][name] == outputs["4242"][name], name
        assert outputs["0"][name] == seed_texts[name].encode(), name  # and this process's


# --- reading it back --------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_round_trips(
    seed_graph: Graph, seed_dataset: Dataset, seed_texts: dict[str, str], name: str
) -> None:
    fmt = FORMATS[name]
    back = parse(seed_texts[name], fmt)
    if fmt.named_graphs:
        assert quad_count(back) == quad_count(seed_dataset)
        assert same_dataset(back, seed_dataset)
    else:
        assert len(back) == len(seed_graph)
        assert isomorphic(back, seed_graph)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_pyoxigraph_reads_every_format(
    seed_graph: Graph, seed_dataset: Dataset, seed_texts: dict[str, str], name: str
) -> None:
    fmt = FORMATS[name]
    expected = quad_count(seed_dataset) if fmt.named_graphs else len(seed_graph)
    quads = list(pyoxigraph.parse(seed_texts[name], format=OXIGRAPH_FORMATS[name]))
    assert len(quads) == expected
    store = pyoxigraph.Store()
    store.load(seed_texts[name], format=OXIGRAPH_FORMATS[name])
    assert len(store) == expected
    named = {q.graph_name.value for q in quads if isinstance(q.graph_name, pyoxigraph.NamedNode)}
    if fmt.named_graphs:
        assert named == {str(n) for n in graphs_of(seed_dataset)}
    else:
        assert named == set()


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_kg_query_reads_every_format(
    seed_graph: Graph, seed_texts: dict[str, str], name: str, tmp_path: Path
) -> None:
    path = tmp_path / f"kg{FORMATS[name].suffix}"
    path.write_text(seed_texts[name], encoding="utf-8")
    loaded = load_graph(path)
    assert set(loaded.triples((None, None, None))) == set(seed_graph)


def test_turtle_counts_agree(seed_turtle: str, seed_graph: Graph) -> None:
    rdflib_count = len(Graph().parse(data=seed_turtle, format="turtle"))
    oxigraph_count = len(list(pyoxigraph.parse(seed_turtle, format=pyoxigraph.RdfFormat.TURTLE)))
    assert rdflib_count == oxigraph_count == len(seed_graph)


def test_the_trig_graphs_together_are_the_turtle_graph(seed_texts: dict[str, str]) -> None:
    trig = parse(seed_texts["trig"], FORMATS["trig"])
    turtle = Graph().parse(data=seed_texts["turtle"], format="turtle")
    together = Graph()
    for graph in graphs_of(trig).values():
        together += graph
    assert len(graphs_of(trig)) > 1
    assert len(together) == len(turtle)
    assert isomorphic(together, turtle)


def test_every_format_holds_the_same_triples(seed_texts: dict[str, str]) -> None:
    triples = [set(union(parse(text, FORMATS[name])) if FORMATS[name].named_graphs
                   else parse(text, FORMATS[name]))
               for name, text in sorted(seed_texts.items())]
    assert all(t == triples[0] for t in triples)


@pytest.mark.parametrize("name", ["nt", "nq"])
def test_line_formats_are_sorted_and_unique(
    seed_texts: dict[str, str], seed_dataset: Dataset, seed_graph: Graph, name: str
) -> None:
    text = seed_texts[name]
    assert text.endswith(" .\n")
    lines = text.splitlines()
    assert lines == sorted(lines)
    expected = quad_count(seed_dataset) if name == "nq" else len(seed_graph)
    assert len(lines) == len(set(lines)) == expected


def test_turtle_uses_the_kg_prefixes(seed_turtle: str) -> None:
    head = [line for line in seed_turtle.splitlines() if line.startswith("@prefix")]
    declared = {line.split()[1] for line in head}
    assert {"kg:", "prov:", "skos:", "schema:", "dcterms:", "xsd:"} <= declared


def test_trig_lists_its_graphs_by_name(seed_texts: dict[str, str]) -> None:
    opened = [line.split()[0] for line in seed_texts["trig"].splitlines()
              if line.endswith("{") and not line.startswith(" ")]
    names = [n.strip("<>").replace("id:", DEFAULT_BASE, 1) for n in opened]
    assert len(names) > 1 and names == sorted(names)


def test_jsonld_context_maps_the_kg_prefixes(seed_texts: dict[str, str]) -> None:
    document = json.loads(seed_texts["jsonld"])
    context = document["@context"]
    assert {k: v for k, v in context.items() if k in PREFIXES} == {
        k: str(v) for k, v in PREFIXES.items()
    }
    assert context["id"] == DEFAULT_BASE
    names = [g["@id"] for g in document["@graph"]]
    assert names == sorted(names) and f"{GRAPH}" in names[1]


# --- named graphs: one per article ------------------------------------------------------


def test_the_graphs_are_the_articles_and_the_concepts(
    seed_dataset: Dataset, seed_graph: Graph
) -> None:
    articles = {str(a) for a in seed_graph.subjects(RDF.type, KG.Article)}
    expected = {URIRef(GRAPH + a.rsplit("/", 1)[-1]) for a in articles} | {CONCEPTS}
    assert set(graphs_of(seed_dataset)) == expected
    assert DATASET_DEFAULT_GRAPH_ID not in graphs_of(seed_dataset)


def test_the_union_of_the_graphs_is_to_graph(
    seed_dataset: Dataset, seed_graph: Graph, seed_kb: KnowledgeBase
) -> None:
    assert set(union(seed_dataset)) == set(seed_graph) == set(to_graph(seed_kb, DEFAULT_BASE))


def test_each_article_graph_holds_its_own_sources(seed_dataset: Dataset) -> None:
    """A statement in article A's graph is derived from sentences of A, which are in the
    graph with A's article node; nothing in the graph points to another article."""
    checked = 0
    for name, g in graphs_of(seed_dataset).items():
        if name == CONCEPTS:
            continue
        article = URIRef(DEFAULT_BASE + "article/" + name[len(GRAPH):])
        assert (article, RDF.type, KG.Article) in g
        assert set(g.objects(None, KG.inArticle)) == {article}
        for statement in g.subjects(RDF.type, RDF.Statement):
            sources = set(g.objects(statement, PROV.wasDerivedFrom))
            assert sources, statement
            for sentence in sources:
                assert (sentence, KG.inArticle, article) in g
                assert (sentence, KG.sentenceText, None) in g
            s, p, o = (g.value(statement, x) for x in (RDF.subject, RDF.predicate, RDF.object))
            assert (s, p, o) in g
            checked += 1
    assert checked > 100


def test_a_fact_from_two_articles_is_in_both_graphs(seed_dataset: Dataset) -> None:
    where: dict[tuple, set[URIRef]] = {}
    for s, p, o, g in seed_dataset.quads((None, None, None, None)):
        if p != PROV.wasDerivedFrom:
            where.setdefault((s, p, o), set()).add(g if isinstance(g, URIRef) else g.identifier)
    statements = {t[0] for t, graphs in where.items() if len(graphs) > 1 and t[1] == RDF.type
                  and t[2] == RDF.Statement}
    assert statements, "the seeds have facts stated by two articles"
    graphs = graphs_of(seed_dataset)
    for statement in statements:
        for name in where[(statement, RDF.type, RDF.Statement)]:
            own = name[len(GRAPH):]
            sources = set(graphs[name].objects(statement, PROV.wasDerivedFrom))
            assert sources and all(f"/sentence/{own}-" in s for s in sources)


def test_the_concepts_graph_holds_the_skos_concepts_only(seed_dataset: Dataset) -> None:
    graphs = graphs_of(seed_dataset)
    concepts = set(graphs[CONCEPTS].subjects(RDF.type, SKOS.Concept))
    assert concepts and set(graphs[CONCEPTS].subjects()) == concepts
    for name, g in graphs.items():
        if name != CONCEPTS:
            assert not set(g.subjects(RDF.type, SKOS.Concept))


# --- formats by name and by suffix ------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_format_by_name_and_suffix(name: str) -> None:
    fmt = FORMATS[name]
    assert format_for(Path("out.any"), name) is fmt
    assert format_for(Path("graphs/out" + fmt.suffix)) is fmt


def test_the_formats() -> None:
    assert {f.suffix for f in FORMATS.values()} == {".ttl", ".nt", ".trig", ".nq", ".jsonld"}
    assert QUAD_FORMATS == ["jsonld", "nq", "trig"]


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


def test_a_dataset_in_a_triple_format_is_its_union(
    seed_dataset: Dataset, seed_texts: dict[str, str]
) -> None:
    assert serialize(seed_dataset, FORMATS["turtle"]) == seed_texts["turtle"]


@pytest.mark.parametrize("name", QUAD_FORMATS)
def test_a_graph_in_a_quad_format_is_the_default_graph(seed_graph: Graph, name: str) -> None:
    back = parse(serialize(seed_graph, FORMATS[name]), FORMATS[name])
    graphs = graphs_of(back)
    assert list(graphs) == [DATASET_DEFAULT_GRAPH_ID]
    assert isomorphic(graphs[DATASET_DEFAULT_GRAPH_ID], seed_graph)


# --- the build command ------------------------------------------------------------------


@pytest.fixture(scope="module")
def one_seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("in")
    shutil.copy(SEED, folder / SEED.name)
    return folder


def test_kg_build_format_trig(one_seed: Path, tmp_path: Path) -> None:
    out = tmp_path / "kg.data"
    result = CliRunner().invoke(app, ["build", str(one_seed), "-f", "trig", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "graphs)" in result.stderr
    back = parse(out.read_text(encoding="utf-8"), FORMATS["trig"])
    article = SEED.stem.replace("_", "-")
    assert set(graphs_of(back)) == {URIRef(f"{GRAPH}a{article}"), CONCEPTS}


@pytest.mark.parametrize("name", ["jsonld", "nq", "nt"])
def test_kg_build_picks_the_format_by_suffix(one_seed: Path, tmp_path: Path, name: str) -> None:
    fmt = FORMATS[name]
    out = tmp_path / f"kg{fmt.suffix}"
    result = CliRunner().invoke(app, ["build", str(one_seed), "-o", str(out)])
    assert result.exit_code == 0, result.output
    back = parse(out.read_text(encoding="utf-8"), fmt)
    assert isinstance(back, Dataset) == fmt.named_graphs
    assert len(back) > 100 if not fmt.named_graphs else quad_count(back) > 100


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
