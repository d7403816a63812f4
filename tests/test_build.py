"""kg.build: several processes, and the fast writers, give the bytes one process and rdflib
give."""
from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, XSD
from typer.testing import CliRunner

from kg import build as build_module
from kg.build import Workers, build, build_graph
from kg.cli import app
from kg.errors import KGError
from kg.graph import to_triples
from kg.namespaces import DEFAULT_BASE, KG
from kg.serialize import FORMATS, Triples, nt_text, serialize, turtle_text

REPO = Path(__file__).resolve().parents[1]
# more files and articles than a worker's share (kg.build.CHUNK is lowered below), so that
# both reading and extraction are spread over the workers
CORPUS = [Path("seeds"), Path("tests/data/heldout/articles"), Path("tests/data/blind/articles")]
ID = Namespace(DEFAULT_BASE)
EX = Namespace("http://example.org/ns/")


@pytest.fixture(scope="module")
def one_process(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, object]:
    out = tmp_path_factory.mktemp("one") / "kg.ttl"
    with contextlib.chdir(REPO):
        report = build(CORPUS, out)
    return out.read_bytes(), report


def test_two_jobs_write_the_bytes_of_one(
    one_process: tuple[bytes, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build_module, "CHUNK", 3)  # many tasks: their order is tested too
    out = tmp_path / "kg.ttl"
    with contextlib.chdir(REPO):
        report = build(CORPUS, out, jobs=2)
    data, single = one_process
    assert out.read_bytes() == data
    assert (report.articles, report.facts, report.triples, report.warnings) == (
        single.articles, single.facts, single.triples, single.warnings  # type: ignore[attr-defined]
    )


def test_kg_build_jobs(one_process: tuple[bytes, object], tmp_path: Path) -> None:
    out = tmp_path / "kg.ttl"
    with contextlib.chdir(REPO):
        result = CliRunner().invoke(
            app, ["build", *map(str, CORPUS), "-o", str(out), "--jobs", "2", "--no-cache"]
        )
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == one_process[0]


@pytest.mark.parametrize("jobs", [0, -1])
def test_jobs_must_be_one_or_more(jobs: int, tmp_path: Path) -> None:
    with pytest.raises(KGError, match="E902"):
        Workers(jobs)
    result = CliRunner().invoke(app, ["build", "seeds", "-o", str(tmp_path / "kg.ttl"),
                                      "--jobs", str(jobs), "--no-cache"])
    assert result.exit_code == 2 and "[E902]" in result.stderr


def test_a_worker_pool_keeps_the_order_of_the_work() -> None:
    with Workers(2) as workers:
        assert list(workers.map(abs, list(range(-40, 0)))) == list(range(40, 0, -1))


# --- the fast writers write rdflib's bytes ----------------------------------------------


def test_a_build_writes_what_rdflib_writes(seed_build: tuple) -> None:
    graph, kb, _ = seed_build
    table = to_triples(kb, DEFAULT_BASE)
    assert len(table) == len(graph) and set(table) == set(graph)
    assert turtle_text(table) == graph.serialize(format="turtle")
    assert serialize(table, FORMATS["turtle"]) == serialize(graph, FORMATS["turtle"])
    assert serialize(table, FORMATS["nt"]) == serialize(graph, FORMATS["nt"])


def test_build_graph_is_unchanged_by_jobs_and_the_table(seed_build: tuple) -> None:
    graph, _, _ = seed_build
    with contextlib.chdir(REPO):
        again, _, _ = build_graph([Path("seeds")], base=DEFAULT_BASE, jobs=2)
    assert set(again) == set(graph)


def odd_graph() -> Graph:
    """Terms of every kind the Turtle writer treats apart."""
    g = Graph()
    g.bind("kg", KG)
    g.bind("id", ID)
    g.bind("ex", EX)
    s1, s2 = ID["person/hiroko-masuhara"], ID["quote/a-b"]
    g.add((s1, RDF.type, KG.Person))
    g.add((s1, RDFS.label, Literal("Hiroko Masuhara")))
    g.add((s1, RDFS.label, Literal("増原裕子", lang="ja")))
    g.add((s1, KG.memberOf, ID["organization/ldp"]))
    g.add((s2, KG.speaker, s1))
    g.add((s2, KG.quoteText, Literal('She said "yes"\nthen "no" \\ and\ttabs')))
    g.add((s2, KG.quoteText, Literal("'''triple''' and \"\"\"quotes\"\"\"")))
    for value in (57, 57.25, True, "2015-11-05"):
        g.add((s2, EX.value, Literal(value)))
    g.add((s2, EX.value, Literal("2015-11", datatype=XSD.gYearMonth)))
    g.add((s2, EX.value, Literal("1e3", datatype=XSD.double)))
    g.add((s2, EX.value, Literal("x", datatype=EX.custom)))
    for local in ("a(b)", "100%", "50%25", "dot.", "x-y_z", "9lives", "ünï"):
        g.add((EX[local], RDFS.label, Literal(local)))
        g.add((s1, EX.link, EX[local]))
    g.add((ID["ünï/x"], RDFS.seeAlso, URIRef("http://example.org/other/path#frag")))
    g.add((ID["sentence/a-1-2"], KG.inArticle, ID["article/a"]))
    g.add((ID["article/a"], KG.inArticle, ID["sentence/a-1-2"]))  # referenced both ways
    g.add((URIRef("http://example.org/ns"), RDFS.label, Literal("the namespace itself")))
    return g


def test_turtle_of_odd_terms_is_rdflib_s() -> None:
    g = odd_graph()
    table = Triples.of(g)
    assert turtle_text(table) == g.serialize(format="turtle")
    assert nt_text(table).splitlines() == sorted(set(g.serialize(format="nt").splitlines()) - {""})


@pytest.mark.parametrize(
    "extra",
    [
        (BNode("b1"), RDFS.label, Literal("a blank node")),
        (EX.thing, RDF.type, RDFS.Class),
        (EX.thing, URIRef("http://unbound.example.org/vocab#p"), Literal("an unbound predicate")),
    ],
    ids=["blank node", "rdfs:Class", "unbound predicate"],
)
def test_what_the_fast_writer_leaves_to_rdflib(extra: tuple) -> None:
    g = odd_graph()
    g.add(extra)
    table = Triples.of(g)
    assert turtle_text(table) is None
    expected = g.serialize(format="turtle")  # may bind a prefix (ns1) for the predicate
    assert serialize(Triples.of(g), FORMATS["turtle"]) == expected


def test_the_garbage_collector_is_back_as_it_was() -> None:
    import gc

    from kg.build import no_gc

    assert gc.isenabled()
    with pytest.raises(ValueError), no_gc():
        assert not gc.isenabled()
        raise ValueError("a stage that fails")
    assert gc.isenabled()
    gc.disable()
    try:
        with no_gc():
            pass
        assert not gc.isenabled()  # off before, off after
    finally:
        gc.enable()


def test_progress_counts_every_article_against_the_total(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    with contextlib.chdir(REPO):
        report = build([Path("seeds")], tmp_path / "kg.ttl",
                       progress=lambda done, total: seen.append((done, total)))
    total = report.articles
    assert total > 1
    assert seen == [(i, total) for i in range(1, total + 1)]
