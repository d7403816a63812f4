"""kg.shard: a corpus built in N shares and merged is the graph of one build."""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from rdflib import Dataset
from rdflib.compare import isomorphic
from typer.testing import CliRunner

from kg import __version__
from kg.build import BuildReport, build, build_kb, list_inputs
from kg.cli import app
from kg.errors import E, KGError
from kg.graph import to_dataset
from kg.model import Evidence, Fact, PartialDate, Ref
from kg.namespaces import DEFAULT_BASE
from kg.resolve import KnowledgeBase, resolve
from kg.serialize import FORMATS, serialize
from kg.shard import (
    FACTS_FORMAT,
    Record,
    Shard,
    build_shard,
    decode,
    encode,
    merge,
    merge_kb,
    read_part,
    shard_of,
)

REPO = Path(__file__).resolve().parents[1]
CORPUS = [Path("seeds"), Path("tests/data/heldout/articles")]  # relative to REPO
N = 3
NQ = FORMATS["nq"]

# Two articles that introduce the same municipality the gazetteer lacks, in two phrasings.
TSUKUBA = {
    "a.txt": "Tsukuba introduces partnership certificates\n\nThe Ibaraki city of Tsukuba "
    "began issuing partnership certificates to same-sex couples on April 1, 2019, Mayor "
    "Tatsuo Igarashi said.\n",
    "b.txt": "More cities join\n\nThe city of Tsukuba in Ibaraki began issuing partnership "
    "certificates in 2019.\n",
}


@contextlib.contextmanager
def at_repo() -> Iterator[None]:
    with contextlib.chdir(REPO):
        yield


def build_parts(paths: Sequence[Path], count: int, folder: Path) -> list[Path]:
    parts = [folder / f"part-{i}.facts.jsonl" for i in range(1, count + 1)]
    for i, part in enumerate(parts, 1):
        build_shard(paths, Shard(i, count), part)
    return parts


def graphs_of(dataset: Dataset) -> dict:
    return {g.identifier: g for g in dataset.graphs() if len(g)}


def same_dataset(a: Dataset, b: Dataset) -> bool:
    ga, gb = graphs_of(a), graphs_of(b)
    return ga.keys() == gb.keys() and all(isomorphic(ga[n], gb[n]) for n in ga)


def quads(dataset: Dataset) -> int:
    return sum(len(g) for g in graphs_of(dataset).values())


def triples(dataset: Dataset) -> int:
    return len({t for g in graphs_of(dataset).values() for t in g})


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The facts of the corpus in N shares, as N machines write them."""
    with at_repo():
        return build_parts(CORPUS, N, tmp_path_factory.mktemp("parts"))


@pytest.fixture(scope="module")
def one_build() -> tuple[Dataset, BuildReport]:
    with at_repo():
        kb, report = build_kb(CORPUS)
    return to_dataset(kb, DEFAULT_BASE), report


@pytest.fixture(scope="module")
def merged(parts: list[Path]) -> tuple[KnowledgeBase, list[Record], BuildReport]:
    return merge_kb(parts)


@pytest.fixture(scope="module")
def tsukuba(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """TSUKUBA as files, and a number of shares that puts a.txt and b.txt apart."""
    folder = tmp_path_factory.mktemp("tsukuba")
    for name, text in TSUKUBA.items():
        (folder / name).write_text(text, encoding="utf-8")
    count = next(n for n in range(2, 10) if shard_of("a.txt", n) != shard_of("b.txt", n))
    return folder, count


# --- merging the shares is one build ----------------------------------------------------


def test_merged_shares_are_one_build(
    merged: tuple[KnowledgeBase, list[Record], BuildReport], one_build: tuple[Dataset, BuildReport]
) -> None:
    kb, _, report = merged
    dataset, one_report = one_build
    together = to_dataset(kb, DEFAULT_BASE)
    assert (report.articles, report.facts) == (one_report.articles, one_report.facts)
    assert quads(together) == quads(dataset) and triples(together) == triples(dataset)
    assert same_dataset(together, dataset)
    assert serialize(together, NQ) == serialize(dataset, NQ)  # to the byte


def test_every_share_has_part_of_the_corpus(
    parts: list[Path], one_build: tuple[Dataset, BuildReport]
) -> None:
    counts = [len(read_part(p)[1]) for p in parts]
    assert all(counts) and sum(counts) == one_build[1].articles


def test_the_corpus_resolves_across_shares(
    merged: tuple[KnowledgeBase, list[Record], BuildReport],
) -> None:
    """The test above means something: merged nodes hold claims from articles in
    different shares (a person, a ruling, a place reported in several)."""
    kb, records, _ = merged
    share = {r.article.id: shard_of(r.key, N) for r in records}
    crossing = [
        node for node in kb.nodes.values()
        if len({share[ev.article] for s in node.claims.values() for ev in s.evidence}) > 1
    ]
    assert len(crossing) >= 3


def test_shares_resolved_alone_are_not_one_build(
    parts: list[Path], one_build: tuple[Dataset, BuildReport]
) -> None:
    """Why a share writes facts, not RDF: each share resolved on its own and the graphs
    put together differ from one build."""
    alone = Dataset()
    for part in parts:
        records = read_part(part)[1]
        kb = resolve([(r.article, r.facts) for r in records])
        for s, p, o, g in to_dataset(kb, DEFAULT_BASE).quads((None, None, None, None)):
            alone.add((s, p, o, g))
    assert not same_dataset(alone, one_build[0])


def test_the_nquads_shares_are_one_build(
    parts: list[Path], one_build: tuple[Dataset, BuildReport], tmp_path: Path
) -> None:
    lines: list[str] = []
    for i in range(1, N + 1):
        out = tmp_path / f"kg-{i}.nq"
        report = merge(parts, out, shard=f"{i}/{N}")
        assert report.quads > 0
        lines += out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(set(lines))  # the shares do not overlap
    assert "\n".join(sorted(lines)) + "\n" == serialize(one_build[0], NQ)


def test_merge_writes_every_format(
    parts: list[Path], one_build: tuple[Dataset, BuildReport], tmp_path: Path
) -> None:
    out = tmp_path / "kg.trig"
    report = merge(parts, out)
    assert out.read_text(encoding="utf-8") == serialize(one_build[0], FORMATS["trig"])
    assert report.graphs == len(graphs_of(one_build[0]))


def test_a_share_is_the_same_file_every_time(parts: list[Path], tmp_path: Path) -> None:
    again = tmp_path / "part-2.facts.jsonl"
    with at_repo():
        build_shard(CORPUS, "2/3", again)
    assert again.read_bytes() == parts[1].read_bytes()


# --- places one article teaches the next ------------------------------------------------


def test_a_place_learned_in_another_share(tsukuba: tuple[Path, int], tmp_path: Path) -> None:
    folder, count = tsukuba
    parts = build_parts([folder], count, tmp_path)
    kb, records, report = merge_kb(parts)
    one_kb, one_report = build_kb([folder])
    assert report.facts == one_report.facts
    assert serialize(to_dataset(kb, DEFAULT_BASE), NQ) == serialize(
        to_dataset(one_kb, DEFAULT_BASE), NQ
    )
    assert "m-tsukuba" in {r.slug for r in kb.nodes if r.kind == "jurisdiction"}


def test_each_article_alone_knows_the_place_it_introduces(
    tsukuba: tuple[Path, int], tmp_path: Path
) -> None:
    """Extraction sees one article at a time: "the city of Tsukuba in Ibaraki" teaches
    b.txt its parent on its own, so Ibaraki gets no system of its own."""
    folder, count = tsukuba
    records = sorted(
        (r for p in build_parts([folder], count, tmp_path) for r in read_part(p)[1]),
        key=lambda r: r.order,
    )
    for r in records:
        places = {f.get("jurisdiction").key for f in r.facts if f.kind == "system"}  # type: ignore[union-attr]
        assert places == {"m-tsukuba"}, r.article.id
        parents = {f.get("parent") for f in r.facts if f.kind == "new_place"}
        assert parents == {"ibaraki"}, r.article.id


def test_an_empty_share_is_a_part(tsukuba: tuple[Path, int], tmp_path: Path) -> None:
    folder, _ = tsukuba
    parts = build_parts([folder], 7, tmp_path)  # 2 files, 7 shares: at least 5 are empty
    empty = [p for p in parts if not read_part(p)[1]]
    assert len(empty) >= 5
    kb, _, _ = merge_kb(parts)
    one_kb, _ = build_kb([folder])
    assert serialize(to_dataset(kb, None), NQ) == serialize(to_dataset(one_kb, None), NQ)


# --- shares -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["1/1", "2/3", "3/3", " 10/12 "])
def test_shard_parse(text: str) -> None:
    shard = Shard.parse(text)
    assert str(shard) == text.strip() and 1 <= shard.index <= shard.count


@pytest.mark.parametrize("text", ["0/3", "4/3", "3", "1/0", "-1/3", "a/b", "", "1/3/5", "1.0/3"])
def test_bad_shards_are_refused(text: str) -> None:
    with pytest.raises(KGError) as caught:
        Shard.parse(text)
    assert caught.value.code is E.E501 and caught.value.exit_code == 2
    assert repr(text) in str(caught.value)


def test_each_file_is_in_exactly_one_share() -> None:
    with at_repo():
        files = list_inputs(CORPUS, BuildReport())
    for count in (1, 2, 3, 5):
        holders = [[i for i in range(1, count + 1) if Shard(i, count).holds(f.key)] for f in files]
        assert all(len(h) == 1 for h in holders)
    keys = [f"folder/file-{n}.txt" for n in range(300)]
    assert {shard_of(k, 4) for k in keys} == {1, 2, 3, 4}


def test_a_file_keeps_its_share_wherever_the_corpus_is(tmp_path: Path) -> None:
    folder = tmp_path / "corpus" / "sub"
    folder.mkdir(parents=True)
    (folder / "x.txt").write_text("text")
    with contextlib.chdir(tmp_path):
        relative = [f.key for f in list_inputs([Path("corpus")], BuildReport())]
    absolute = [f.key for f in list_inputs([tmp_path / "corpus"], BuildReport())]
    single = [f.key for f in list_inputs([folder / "x.txt"], BuildReport())]
    assert relative == absolute == ["sub/x.txt"] and single == ["x.txt"]


def test_shares_do_not_depend_on_the_hash_seed() -> None:
    with at_repo():
        keys = [f.key for f in list_inputs(CORPUS, BuildReport())]
    script = "import sys; from kg.shard import shard_of; " \
             "print([shard_of(k, 3) for k in sys.argv[1:]])"
    runs = {
        subprocess.run([sys.executable, "-c", script, *keys], capture_output=True, text=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}, check=True).stdout
        for seed in ("1", "2")
    }
    assert runs == {f"{[shard_of(k, 3) for k in keys]}\n"}


# --- the facts file ---------------------------------------------------------------------


def test_every_fact_survives_the_facts_file(
    merged: tuple[KnowledgeBase, list[Record], BuildReport],
) -> None:
    records = merged[1]
    facts = [f for r in records for f in r.facts]
    assert len(facts) > 100
    for value in (*facts, *(r.article for r in records)):
        assert decode(json.loads(json.dumps(encode(value)))) == value


def test_the_facts_file_holds_only_kg_types() -> None:
    ev = Evidence("a", 0, 4, "text")
    fact = Fact("poll", (("org", Ref("organization", "NHK", "nhk")), ("support", 57.25),
                         ("year", PartialDate(2023)), ("flag", True)), ev, "polls")
    assert decode(encode(fact)) == fact
    with pytest.raises(TypeError):
        encode({"a": 1})
    with pytest.raises(TypeError):
        encode(Path("x"))


def write_part(path: Path, index: int, count: int, inputs: str = "same", **header: object) -> Path:
    fields = {"format": FACTS_FORMAT, "kg": __version__, "shard": [index, count],
              "inputs": inputs, "warnings": [], **header}
    path.write_text(json.dumps(fields) + "\n", encoding="utf-8")
    return path


def merge_error(parts: list[Path]) -> KGError:
    with pytest.raises(KGError) as caught:
        merge_kb(parts)
    return caught.value


def test_a_missing_share_is_refused(tmp_path: Path) -> None:
    error = merge_error([write_part(tmp_path / "1", 1, 3), write_part(tmp_path / "3", 3, 3)])
    assert error.code is E.E503 and "2/3" in str(error)


def test_a_share_given_twice_is_refused(tmp_path: Path) -> None:
    error = merge_error([write_part(tmp_path / "a", 1, 2), write_part(tmp_path / "b", 1, 2),
                         write_part(tmp_path / "c", 2, 2)])
    assert error.code is E.E503 and "1/2" in str(error)


def test_shares_of_other_inputs_are_refused(tmp_path: Path) -> None:
    error = merge_error([write_part(tmp_path / "a", 1, 2),
                         write_part(tmp_path / "b", 2, 2, inputs="other")])
    assert error.code is E.E503 and "different input files" in str(error)


def test_shares_of_other_totals_are_refused(tmp_path: Path) -> None:
    error = merge_error([write_part(tmp_path / "a", 1, 1), write_part(tmp_path / "b", 2, 2)])
    assert error.code is E.E503


def test_a_part_of_another_kg_is_refused(tmp_path: Path) -> None:
    error = merge_error([write_part(tmp_path / "a", 1, 1, kg="0.0.1")])
    assert error.code is E.E502 and "0.0.1" in str(error)


@pytest.mark.parametrize("text", ["", "not json\n", '{"format": "other"}\n',
                                  f'{{"format": "{FACTS_FORMAT}"}}\n'])
def test_not_a_facts_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "x.facts.jsonl"
    path.write_text(text, encoding="utf-8")
    error = merge_error([path])
    assert error.code is E.E502 and str(path) in str(error)


def test_parts_without_articles_build_nothing(tmp_path: Path) -> None:
    error = merge_error([write_part(tmp_path / "a", 1, 1)])
    assert error.code is E.E008


@pytest.mark.parametrize(("out", "fmt", "base", "code"), [
    ("part.nq", None, None, E.E504),
    ("part.facts.jsonl", "nq", None, E.E504),
    ("part.facts.jsonl", None, "https://example.org/", E.E506),
])
def test_a_share_writes_facts_only(
    tmp_path: Path, out: str, fmt: str | None, base: str | None, code: E
) -> None:
    with pytest.raises(KGError) as caught:
        build_shard([tmp_path], "1/2", tmp_path / out, fmt, base=base)
    assert caught.value.code is code
    assert list(tmp_path.iterdir()) == []


def test_facts_files_are_not_read_as_articles(tmp_path: Path) -> None:
    write_part(tmp_path / "part-1.facts.jsonl", 1, 1)
    (tmp_path / "article.txt").write_text("An article.")
    report = BuildReport()
    assert [f.key for f in list_inputs([tmp_path], report)] == ["article.txt"]
    assert len(report.warnings) == 1 and "[E505]" in report.warnings[0]


# --- the commands -----------------------------------------------------------------------


def test_kg_build_shard_then_kg_merge(tsukuba: tuple[Path, int], tmp_path: Path) -> None:
    folder, count = tsukuba
    runner = CliRunner()
    parts = []
    for i in range(1, count + 1):
        part = tmp_path / f"part-{i}.facts.jsonl"
        result = runner.invoke(app, ["build", str(folder), "--shard", f"{i}/{count}",
                                     "-o", str(part)])
        assert result.exit_code == 0, result.output
        assert str(part) in result.stderr
        parts.append(str(part))
    merged, one = tmp_path / "merged.trig", tmp_path / "one.trig"
    result = runner.invoke(app, ["merge", *parts, "-o", str(merged)])
    assert result.exit_code == 0, result.output
    assert "2 articles" in result.stderr
    assert runner.invoke(app, ["build", str(folder), "-o", str(one)]).exit_code == 0
    assert merged.read_bytes() == one.read_bytes()


def test_kg_build_bad_shard(tsukuba: tuple[Path, int], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["build", str(tsukuba[0]), "--shard", "4/3",
                                      "-o", str(tmp_path / "p.facts.jsonl")])
    assert result.exit_code == 2 and "[E501]" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_kg_merge_incomplete(tmp_path: Path) -> None:
    part = write_part(tmp_path / "p.facts.jsonl", 1, 2)
    result = CliRunner().invoke(app, ["merge", str(part), "-o", str(tmp_path / "kg.nq")])
    assert result.exit_code == 2 and "[E503]" in result.stderr and "2/2" in result.stderr
    assert not (tmp_path / "kg.nq").exists()


def test_repeats_and_shared_ids_merge_as_one_build(tmp_path: Path) -> None:
    """A copy of an article and two articles with one id ("a.txt", "a.html") may land in
    different shares; merge settles them as one build does (E703, E704)."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    seeds = sorted((REPO / "seeds").iterdir())
    (folder / "a.txt").write_bytes(seeds[0].read_bytes())
    (folder / "copy.txt").write_bytes(seeds[0].read_bytes())
    (folder / "a.html").write_bytes(seeds[2].read_bytes())
    parts = build_parts([folder], 3, tmp_path)
    merged, one = tmp_path / "merged.nq", tmp_path / "one.nq"
    report = merge(parts, merged)
    one_report = build([folder], one)
    assert merged.read_bytes() == one.read_bytes()
    assert report.articles == one_report.articles == 2
    assert any("[E703]" in w for w in report.warnings)
    assert any("[E704]" in w for w in report.warnings)
