"""kg.build: several processes, and the fast writers, give the bytes one process and rdflib
give."""
from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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


def test_a_prefix_rdflib_would_rename_is_left_to_rdflib() -> None:
    g = odd_graph()
    g.bind("_under", Namespace("http://example.org/under/"))  # Turtle has no "_" prefix
    g.add((EX.thing, URIRef("http://example.org/under/p"), Literal("x")))
    assert turtle_text(Triples.of(g)) is None
    assert serialize(Triples.of(g), FORMATS["turtle"]) == g.serialize(format="turtle")


# Terms the Turtle writer formats itself (and some it leaves to rdflib's label): text with
# every kind of character a literal escapes, or may not hold (lone surrogates, controls),
# in every form of literal, and IRIs with local names rdflib writes as prefixed names or not
ODD_TEXT = ['"', '"""', "'", "\\", "\n", "\r", "\r\n", "\t", "\x00", "\x0b", "\x7f", "\x85",
            "\u2028", "\ud800", "\udfff", "é", "東京", "😀", "%", "@en", "^^", "1", "-0", "1.50",
            "1e3", "INF", "-INF", "NaN", "true", "false", "2015-11-05", "2015", " ", "a"]
odd_text = st.lists(
    st.one_of(st.sampled_from(ODD_TEXT), st.text(st.characters(exclude_categories=()), max_size=4)),
    max_size=5,
).map("".join)
DATATYPES = [XSD.integer, XSD.decimal, XSD.boolean, XSD.double, XSD.float, XSD.date, XSD.gYear,
             XSD.gYearMonth, XSD.anyURI, XSD.string, XSD.dateTime, EX.custom,
             URIRef("http://unbound.example.org/types#t")]
literals = st.one_of(
    odd_text.map(Literal),
    st.tuples(odd_text, st.from_regex(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8}){0,2}", fullmatch=True))
    .map(lambda t: Literal(t[0], lang=t[1])),
    st.tuples(odd_text, st.sampled_from(DATATYPES)).map(lambda t: Literal(t[0], datatype=t[1])),
    st.one_of(st.integers(), st.floats(), st.booleans(), st.decimals(allow_nan=False))
    .map(Literal),
)
local_names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.%()-]{0,6}(/[a-z][a-z0-9-]{0,5}){0,2}",
                            fullmatch=True)
iris = st.one_of(
    local_names.map(ID.__getitem__), local_names.map(EX.__getitem__),
    st.sampled_from([KG.Person, RDFS.Class, RDF.nil, URIRef("http://example.org/ns"),
                     URIRef("http://unbound.example.org/x/y"), EX["b\ud801"], ID["\udfff/x"]]),
)
PREDICATES = [RDF.type, RDFS.label, KG.quoteText, KG.partner, EX.value, EX["p.q"], EX["p\ud800"],
              URIRef("http://example.org/other/p")]
triples = st.lists(
    st.tuples(iris, st.sampled_from(PREDICATES), st.one_of(iris, literals)), max_size=12
)


@pytest.mark.filterwarnings("ignore::UserWarning")  # rdflib's, about ill-typed literals
@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(triples)
def test_the_fast_writer_writes_rdflib_s_bytes_for_any_terms(found: list[tuple]) -> None:
    g = Graph()
    for prefix, namespace in (("kg", KG), ("id", ID), ("ex", EX)):
        g.bind(prefix, namespace)
    for triple in found:
        g.add(triple)
    table = Triples.of(g)
    try:
        text = turtle_text(table)
    except Exception:  # a term rdflib cannot write either (below)
        text = None
    try:
        expected = g.serialize(format="turtle")  # (binds ns1 for an unbound predicate)
    except Exception:
        assert text is None
        return
    declined = RDFS.Class in set(g.objects(None, RDF.type)) or any(
        p == URIRef("http://example.org/other/p") for _, p, _ in found
    )
    assert (text is None) == declined  # the fast writer writes all of it but these
    if text is not None:
        assert text == expected
        assert turtle_text(Triples.of(g)) == text  # and the same again


def test_a_table_holds_each_triple_once() -> None:
    """Objects one by one, a dict once a predicate has several; equal terms (not the same
    object) are one, as in a Graph."""
    g = odd_graph()
    added = list(g) + [(s, p, Literal(str(o), lang=o.language, datatype=o.datatype))
                       if isinstance(o, Literal) else (s, p, URIRef(str(o)))
                       for s, p, o in g]
    table, extended = Triples(g), Triples(g)
    for triple in added:
        table.add(*triple)
    extended.extend(added)
    for t in (table, extended):
        assert len(t) == len(g) == len(list(t)) and set(t) == set(g)
    assert table.several == extended.several == {ID["person/hiroko-masuhara"], ID["quote/a-b"]}
    quote = ID["quote/a-b"]
    first_added = dict.fromkeys(o for s, p, o in added if (s, p) == (quote, KG.quoteText))
    assert list(table.spo[quote][KG.quoteText]) == list(first_added)
    assert table.spo[quote][KG.speaker] is g.value(quote, KG.speaker)  # one object: as it is


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
