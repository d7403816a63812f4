"""The README's Oxigraph and Jena TDB2 blocks (section "Bulk-loading a sharded build"),
run as written, with the stores' own command-line tools.

The block that makes the shares (``readme_blocks.SHARES_MARKER``) runs once for the module
in a folder of its own; then each store's block runs in bash from the repository's folder
with ``LOAD`` set to that folder, as the README runs it after the first block. Only what
differs here is put in its place: Oxigraph's ``localhost:7878`` becomes a free port of
127.0.0.1, and ``kg`` is a script on PATH that runs this Python's kg. Then the triples per
graph that each store prints are those of kg's files (kg.nt in the default graph, the
shares' quads in their graphs), and the store's answer to kg's question ``QUESTION`` has
the rows `kg query QUESTION -f csv -g kg.nt` prints. Where a store's software is missing its
tests skip and name the package (never in CI).
"""
from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from readme_blocks import (
    ONE_GRAPH,
    REPO,
    SHARDS,
    block_env,
    csv_rows,
    localize,
    quads_per_graph,
    readme_block,
    run_block,
    shares,
    shares_script,
    triples,
)

OXIGRAPH_MARKER = (
    "# Into Oxigraph: tests/test_stores_cli.py runs this block as written, after the first one"
)
JENA_MARKER = (
    "# Into Jena TDB2: tests/test_stores_cli.py runs this block as written, after the first one"
)
OXIGRAPH_BIND = "localhost:7878"  # the README's; here a free port of 127.0.0.1
JENA_CORE = Path("/usr/share/java/jena-core.jar")
QUESTION = "rulings"  # the named query (queries/) both blocks ask
COUNTS_HEADER = ["g", "n"]  # the variables of the blocks' query of triples per graph
RUN_SECONDS = 600
STORE_SECONDS = 300  # a store block takes seconds; its wait for the server has no end
STORES = ["oxigraph", "jena"]  # the fixtures below, one per block


@dataclass(frozen=True)
class Shares:
    folder: Path  # what LOAD names
    env: dict[str, str]  # the environment the blocks run in


@dataclass(frozen=True)
class Answers:
    counts: dict[str, int]  # graph ("" for the default graph) -> triples, in printed order
    question: list[list[str]]  # the CSV rows of QUESTION, header first


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Shares:
    """The README's first block, run once: the shares and kg.nt in a fresh folder."""
    work = tmp_path_factory.mktemp("stores")
    folder = work / "load"
    env = block_env(work / "bin")
    done = run_block(shares_script(folder), env, RUN_SECONDS)
    assert done.returncode == 0, done.stderr
    return Shares(folder, env)


@pytest.fixture(scope="module")
def expected(made: Shares) -> Answers:
    """What kg's own files and engine say: the triples of kg.nt, the quads of the shares per
    graph, and `kg query QUESTION -f csv -g kg.nt`."""
    one = made.folder / ONE_GRAPH
    counts = {"": triples(one)}
    for share in shares(made.folder):
        per_graph = quads_per_graph(share)
        assert not counts.keys() & per_graph.keys(), "a graph in two shares"
        counts.update(per_graph)
    done = subprocess.run(
        [sys.executable, "-m", "kg", "query", QUESTION, "-f", "csv", "-g", str(one)],
        cwd=REPO, capture_output=True, text=True, timeout=RUN_SECONDS, check=False,
    )
    assert done.returncode == 0, done.stderr
    return Answers(counts, csv_rows(done.stdout))


def store_script(marker: str, folder: Path, replacements: dict[str, str]) -> str:
    """A store's block as the README runs it after the first one: with ``LOAD`` set."""
    return f"LOAD={shlex.quote(str(folder))}\n" + localize(readme_block(marker), replacements)


def answers(stdout: str, question_header: list[str]) -> Answers:
    """A block's two answers, printed one after the other as CSV: the triples per graph,
    then QUESTION's rows."""
    rows = csv_rows(stdout)
    assert COUNTS_HEADER in rows and question_header in rows, stdout
    start, middle = rows.index(COUNTS_HEADER), rows.index(question_header)
    assert start < middle, stdout
    counts = {graph: int(n) for graph, n in rows[start + 1 : middle]}
    assert len(counts) == middle - start - 1, "a graph printed twice"
    return Answers(counts, rows[middle:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def oxigraph(request: pytest.FixtureRequest) -> Answers:
    """The README's Oxigraph block, run once, on a free port of 127.0.0.1."""
    scripts = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    if shutil.which("oxigraph", path=scripts) is None:  # found as the blocks will find it
        pytest.skip("oxigraph not found: install the PyPI package oxigraph "
                    "(pip install -e '.[test]')")
    made: Shares = request.getfixturevalue("made")
    expected: Answers = request.getfixturevalue("expected")
    block = readme_block(OXIGRAPH_MARKER)
    assert f"kg query {QUESTION} -f csv " in block
    script = store_script(OXIGRAPH_MARKER, made.folder,
                          {OXIGRAPH_BIND: f"127.0.0.1:{_free_port()}"})
    done = run_block(script, made.env, STORE_SECONDS)
    assert done.returncode == 0, done.stderr
    return answers(done.stdout, expected.question[0])


@pytest.fixture(scope="module")
def jena(request: pytest.FixtureRequest) -> Answers:
    """The README's Jena TDB2 block, run once."""
    for program, package in (("java", "default-jre-headless"), ("unzip", "unzip")):
        if shutil.which(program) is None:
            pytest.skip(f"{program} not found: install the Debian package {package}")
    if not JENA_CORE.is_file():
        pytest.skip(f"{JENA_CORE} not found: install the Debian package libapache-jena-java")
    made: Shares = request.getfixturevalue("made")
    expected: Answers = request.getfixturevalue("expected")
    block = readme_block(JENA_MARKER)
    assert f"--query queries/{QUESTION}.rq" in block
    done = run_block(store_script(JENA_MARKER, made.folder, {}), made.env, STORE_SECONDS)
    assert done.returncode == 0, done.stderr
    return answers(done.stdout, expected.question[0])


@pytest.mark.parametrize("store", STORES)
def test_the_store_holds_kgs_triples_graph_by_graph(
    store: str, request: pytest.FixtureRequest
) -> None:
    got: Answers = request.getfixturevalue(store)
    want: Answers = request.getfixturevalue("expected")
    assert len(want.counts) > SHARDS + 1  # the default graph, the concepts, the articles
    assert got.counts == want.counts
    # as the README says: the default graph first, then the graphs in order ...
    assert list(got.counts) == sorted(got.counts) and list(got.counts)[0] == ""
    # ... and the graphs per article add up to more than the one graph
    assert sum(n for graph, n in got.counts.items() if graph) > got.counts[""]


@pytest.mark.parametrize("store", STORES)
def test_the_store_answers_like_kg(store: str, request: pytest.FixtureRequest) -> None:
    got: Answers = request.getfixturevalue(store)
    want: Answers = request.getfixturevalue("expected")
    assert len(want.question) > 1, f"{QUESTION} finds nothing in {ONE_GRAPH}: nothing to compare"
    assert got.question[0] == want.question[0]
    # ORDER BY over dates of several precisions (xsd:date, gYearMonth, gYear) is left to
    # each engine by SPARQL, so the rows compare as a multiset
    assert Counter(map(tuple, got.question[1:])) == Counter(map(tuple, want.question[1:]))
