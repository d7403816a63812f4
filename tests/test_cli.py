"""kg.cli: the wiring of each command (the library behind it is tested elsewhere)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
import pytest
import typer
from lxml import html
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF
from typer.testing import CliRunner

from kg import __version__
from kg.cli import app
from kg.namespaces import DEFAULT_BASE, KG

REPO = Path(__file__).resolve().parents[1]
SEED = next((REPO / "seeds").glob("001_*"))
EVAL = REPO / "tests" / "data" / "eval"
COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def one_seed(tmp_path: Path) -> Path:
    """A folder holding a copy of one seed article."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    return folder


def test_the_commands() -> None:
    assert COMMANDS == ["build", "eval", "merge", "push", "query", "validate", "viz"]


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)],
                         ids=lambda c: c[0] if c else "kg")
def test_help_has_an_example(runner: CliRunner, command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


# --- build ------------------------------------------------------------------------------


def test_build_writes_the_graph_and_a_summary(
    runner: CliRunner, one_seed: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "kg.ttl"
    result = runner.invoke(app, ["build", str(one_seed), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 articles" in result.stderr and str(out) in result.stderr
    assert len(Graph().parse(out, format="turtle")) > 100


def test_build_in_another_format(runner: CliRunner, one_seed: Path, tmp_path: Path) -> None:
    out = tmp_path / "kg.data"
    result = runner.invoke(app, ["build", str(one_seed), "-o", str(out), "-f", "nt"])
    assert result.exit_code == 0, result.output
    assert len(Graph().parse(out, format="nt")) > 100


def test_build_unknown_format(runner: CliRunner, one_seed: Path, tmp_path: Path) -> None:
    out = tmp_path / "kg.ttl"
    result = runner.invoke(app, ["build", str(one_seed), "-o", str(out), "-f", "xml"])
    assert result.exit_code == 2
    assert "[E201]" in result.stderr and "turtle" in result.stderr
    assert not out.exists()


def test_build_missing_path(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "kg.ttl"
    result = runner.invoke(app, ["build", str(tmp_path / "nowhere"), "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr.startswith("kg: [E001]") and "nowhere" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


@pytest.fixture
def only_an_empty_file(tmp_path: Path) -> Path:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "blank.txt").write_bytes(b"")
    return folder


def test_build_with_nothing_to_read(
    runner: CliRunner, only_an_empty_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "kg.ttl"
    result = runner.invoke(app, ["build", str(only_an_empty_file), "-o", str(out)])
    assert result.exit_code == 2
    assert "[E008]" in result.stderr
    assert not out.exists()


def test_build_with_nothing_to_read_says_why(
    runner: CliRunner, only_an_empty_file: Path, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["build", str(only_an_empty_file), "-o", str(tmp_path / "x.ttl")])
    assert "[E003]" in result.stderr and "blank.txt" in result.stderr


def test_build_warns_about_a_bad_file_and_builds_the_rest(
    runner: CliRunner, one_seed: Path, tmp_path: Path
) -> None:
    (one_seed / "blank.txt").write_bytes(b"")
    out = tmp_path / "kg.ttl"
    result = runner.invoke(app, ["build", str(one_seed), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning" in result.stderr and "[E003]" in result.stderr
    assert out.exists()


# --- query ------------------------------------------------------------------------------


def test_query_rulings(runner: CliRunner, seed_ttl: Path) -> None:
    result = runner.invoke(app, ["query", "rulings", "-g", str(seed_ttl)])
    assert result.exit_code == 0, result.output
    assert "Osaka" in result.stdout and "Sapporo" in result.stdout


def test_query_as_json(runner: CliRunner, seed_ttl: Path) -> None:
    result = runner.invoke(app, ["query", "jurisdictions", "-f", "json", "-g", str(seed_ttl)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["head"]["vars"] == ["jurisdiction", "type", "parent"]
    names = {b["jurisdiction"]["value"] for b in data["results"]["bindings"]}
    assert {"Tokyo", "Shibuya"} <= names


def test_query_unknown_name_lists_the_names(runner: CliRunner, seed_ttl: Path) -> None:
    result = runner.invoke(app, ["query", "nosuchquery", "-g", str(seed_ttl)])
    assert result.exit_code == 2
    assert "[E101]" in result.stderr
    for path in (REPO / "queries").glob("*.rq"):
        assert path.stem in result.stderr


def test_query_missing_graph(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["query", "rulings", "-g", str(tmp_path / "none.ttl")])
    assert result.exit_code == 2 and "[E104]" in result.stderr


# --- validate ---------------------------------------------------------------------------


def test_validate_the_seed_graph(runner: CliRunner, seed_ttl: Path) -> None:
    result = runner.invoke(app, ["validate", "-g", str(seed_ttl)])
    assert result.exit_code == 0, result.output
    assert "conforms" in result.stderr


@pytest.fixture
def three_partners(seed_turtle: str, tmp_path: Path) -> Path:
    """The seed graph with a third partner given to one couple, the claim reified and
    sourced like any other, so that only the partner count is wrong."""
    graph = Graph().parse(data=seed_turtle, format="turtle")
    couple = URIRef(DEFAULT_BASE + "couple/katie-and-miki")
    third = URIRef(DEFAULT_BASE + "person/chris")
    assert (couple, RDF.type, KG.Couple) in graph and (third, RDF.type, KG.Person) in graph
    sentence = next(graph.subjects(RDF.type, KG.Sentence))
    statement = URIRef(DEFAULT_BASE + "statement/s-by-hand")
    graph.add((couple, KG.partner, third))
    for prop, value in ((RDF.type, RDF.Statement), (RDF.subject, couple),
                        (RDF.predicate, KG.partner), (RDF.object, third),
                        (PROV.wasDerivedFrom, sentence), (KG.extractor, Literal("hand"))):
        graph.add((statement, prop, value))
    path = tmp_path / "broken.ttl"
    graph.serialize(path, format="turtle")
    return path


def test_validate_a_broken_graph(runner: CliRunner, three_partners: Path) -> None:
    result = runner.invoke(app, ["validate", "-g", str(three_partners)])
    assert result.exit_code == 1
    assert "[E301]" in result.stderr
    assert "katie-and-miki" in result.stderr and "partner" in result.stderr


# --- viz --------------------------------------------------------------------------------


def test_viz_writes_a_page_that_fetches_nothing(
    runner: CliRunner, seed_ttl: Path, tmp_path: Path
) -> None:
    out = tmp_path / "page" / "kg.html"
    result = runner.invoke(app, ["viz", "-g", str(seed_ttl), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out) in result.stderr
    page = html.fromstring(out.read_bytes())
    assert page.xpath("//script") and page.xpath("//body")
    links = [v for el in page.iter() if isinstance(el.tag, str)
             for k, v in el.attrib.items() if k in ("src", "href")]
    assert not [v for v in links if "http://" in v or "https://" in v]


def test_viz_focus_on_nothing(runner: CliRunner, seed_ttl: Path, tmp_path: Path) -> None:
    out = tmp_path / "kg.html"
    result = runner.invoke(app, ["viz", "-g", str(seed_ttl), "-o", str(out),
                                 "--focus", "no such node at all"])
    assert result.exit_code == 2 and "[E401]" in result.stderr
    assert not out.exists()


# --- eval -------------------------------------------------------------------------------


def test_eval_prints_the_micro_line(runner: CliRunner) -> None:
    result = runner.invoke(app, ["eval", "--gold", str(EVAL / "gold.json"),
                                 "-g", str(EVAL / "graph.ttl"), "--queries", str(EVAL / "queries")])
    assert result.exit_code == 0, result.output
    (micro,) = [line for line in result.stdout.splitlines() if line.startswith("micro:")]
    assert "f1" in micro and "attribute_accuracy" in micro


def test_eval_missing_gold(runner: CliRunner, seed_ttl: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "--gold", str(tmp_path / "gold.json"),
                                 "-g", str(seed_ttl)])
    assert result.exit_code == 2 and "[E001]" in result.stderr


def test_errors_are_one_line_without_traceback(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", str(tmp_path / "nowhere"), "-o", str(tmp_path / "x")])
    assert isinstance(result.exception, SystemExit)
    assert not isinstance(result.exception, click.ClickException)
    assert result.stderr.count("\n") == 1
