"""queries/*.rq: each states its question, is standard SPARQL 1.1 (rdflib and Oxigraph
both run it), selects the variables of the scoring contract, and both engines agree."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import Graph, Literal
from rdflib.plugins.sparql import prepareQuery

REPO = Path(__file__).resolve().parents[1]
QUERIES = REPO / "queries"
CONTRACT_README = REPO.parent / "shared" / "eval" / "README.md"
# the competency questions of ../shared/eval/README.md: file name -> SELECT variables
CONTRACT = {
    "jurisdictions": ["jurisdiction", "type", "parent"],
    "policies": ["jurisdiction", "start", "applicants"],
    "benefits": ["jurisdiction", "benefit", "granted"],
    "eligibility": ["jurisdiction", "minAge"],
    "officials": ["name", "role", "jurisdiction"],
    "couples": ["partner1", "partner2"],
    "certificates": ["partner1", "partner2", "issuer", "date"],
    "rulings": ["court", "date", "outcome"],
    "polls": ["organization", "year", "support", "oppose"],
    "quotes": ["speaker", "quote"],
}
NAMES = sorted(CONTRACT)


def text_of(name: str) -> str:
    return (QUERIES / f"{name}.rq").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def store(seed_turtle: str) -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    store.load(seed_turtle, format=pyoxigraph.RdfFormat.TURTLE)
    return store


@pytest.fixture(scope="module")
def parsed_seed(seed_turtle: str) -> Graph:
    """The seed graph as a triplestore user gets it: read back from the Turtle file."""
    return Graph().parse(data=seed_turtle, format="turtle")


Cell = str | Decimal | None


def cell(lexical: str | None) -> Cell:
    """A value to compare across engines: Oxigraph writes a decimal's canonical form ("57"),
    rdflib the form it read ("57.0")."""
    if lexical is None:
        return None
    try:
        return Decimal(lexical)
    except InvalidOperation:
        return lexical


def rdflib_rows(graph: Graph, name: str) -> list[tuple[Cell, ...]]:
    result = graph.query(text_of(name))
    return [tuple(cell(None if v is None else str(v)) for v in row) for row in result]


def oxigraph_rows(store: pyoxigraph.Store, name: str) -> list[tuple[Cell, ...]]:
    solutions = store.query(text_of(name))
    assert isinstance(solutions, pyoxigraph.QuerySolutions)
    names = [v.value for v in solutions.variables]
    return [tuple(cell(None if row[n] is None else row[n].value) for n in names)
            for row in solutions]


def test_the_query_files_are_the_contract() -> None:
    assert sorted(p.stem for p in QUERIES.glob("*.rq")) == NAMES


def test_the_contract_is_the_readmes() -> None:
    if not CONTRACT_README.exists():
        pytest.skip(f"{CONTRACT_README} is missing (CI has ../shared beside the repo)")
    table = {
        m.group(1): m.group(2).replace("?", "").split()
        for m in re.finditer(r"^\| (\w+)\.rq \| ([?\w ]+) \|", CONTRACT_README.read_text(),
                             re.MULTILINE)
    }
    assert table == CONTRACT


@pytest.mark.parametrize("name", NAMES)
def test_query_begins_with_its_question(name: str) -> None:
    first = text_of(name).splitlines()[0]
    assert re.fullmatch(r"# [A-Z].{10,}\?", first), first


@pytest.mark.parametrize("name", NAMES)
def test_rdflib_parses_and_selects_the_contract(name: str) -> None:
    query = prepareQuery(text_of(name))
    assert query.algebra.name == "SelectQuery"
    assert [str(v) for v in query.algebra["PV"]] == CONTRACT[name]


@pytest.mark.parametrize("name", NAMES)
def test_oxigraph_parses_and_selects_the_contract(name: str, store: pyoxigraph.Store) -> None:
    solutions = store.query(text_of(name))
    assert isinstance(solutions, pyoxigraph.QuerySolutions)
    assert [v.value for v in solutions.variables] == CONTRACT[name]


@pytest.mark.parametrize("name", NAMES)
def test_both_engines_give_the_same_rows(
    name: str, parsed_seed: Graph, store: pyoxigraph.Store
) -> None:
    ours = rdflib_rows(parsed_seed, name)
    theirs = oxigraph_rows(store, name)
    assert len(ours) == len(theirs) > 0
    assert sorted(ours, key=str) == sorted(theirs, key=str)


@pytest.mark.parametrize("name", NAMES)
def test_rows_are_the_same_on_the_built_graph(
    name: str, seed_graph: Graph, parsed_seed: Graph
) -> None:
    # what the CLI answers from the file, the graph answered before it was written
    assert len(rdflib_rows(seed_graph, name)) == len(rdflib_rows(parsed_seed, name))


def test_dates_come_back_as_iso_text(parsed_seed: Graph) -> None:
    result = parsed_seed.query(text_of("rulings"))
    dates = [row[1] for row in result if row[1] is not None]
    assert dates
    for date in dates:
        assert isinstance(date, Literal)
        assert re.fullmatch(r"\d{4}(-\d{2}){0,2}", str(date))
