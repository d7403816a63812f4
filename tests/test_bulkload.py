"""The README's walkthrough of bulk-loading a sharded build, run as written.

The shell block of README.md that starts with ``MARKER`` (section "Bulk-loading a sharded
build") runs in bash from the repository's folder against the session's throwaway Virtuoso 7
(tests/virtuoso.py). Only what differs here is put in its place: the folder ``LOAD`` (a fresh
folder under the server's DirsAllowed), the server's ports (``isql-vt 1111`` and
``localhost:8890``) and ``kg`` (a script on PATH that runs this Python's kg). Then: the
shares are one build's N-Quads, Virtuoso's bulk loader loaded every file without error, and
the triples per graph that the block's last command prints are those of one build. The
graphs it loaded are cleared afterwards, so the other Virtuoso tests never see them.
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph
import pytest

if TYPE_CHECKING:
    from virtuoso import Virtuoso

pytest_plugins = ["virtuoso"]

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
MARKER = "# Bulk-loading a sharded build: tests/test_bulkload.py runs this block as written"
INPUTS = ("seeds/", "tests/data/heldout/articles")
SHARDS = 3
GRAPHS = "https://w3id.org/kg-jp-partnership/id/"  # BASE: every graph kg writes is under it
FALLBACK_GRAPH = GRAPHS + "graph/default"  # the third argument of the README's ld_dir
RUN_SECONDS = 600
# the README's text -> what it becomes here (each must occur in the block)
LOAD_LINE = "LOAD=/srv/kg-load\n"
ISQL = "isql-vt 1111 "
HTTP = "http://localhost:8890/"


@dataclass(frozen=True)
class Walkthrough:
    folder: Path  # what LOAD names
    output: str  # the block's standard output
    one_build: Path  # one `kg build` of the same inputs, as N-Quads


def readme_block() -> str:
    """The fenced shell block of README.md whose first line is ``MARKER``."""
    blocks = re.findall(r"^```sh\n(.*?)^```$", README.read_text(encoding="utf-8"), re.M | re.S)
    found = [block for block in blocks if block.startswith(MARKER + "\n")]
    assert len(found) == 1, f"README.md has {len(found)} sh blocks starting {MARKER!r}"
    return found[0]


def localize(block: str, server: Virtuoso, folder: Path) -> str:
    """The block with this test's folder and server in place of the README's."""
    for text in (LOAD_LINE, ISQL, HTTP):
        assert text in block, f"the README's block no longer has {text!r}"
    return (
        block.replace(LOAD_LINE, f"LOAD={shlex.quote(str(folder))}\n")
        .replace(ISQL, f"isql-vt 127.0.0.1:{server.sql_port} ")
        .replace(HTTP, f"{server.url}/")
    )


def kg_on_path(folder: Path) -> str:
    """A PATH whose ``kg`` runs ``python -m kg`` with the Python running the tests."""
    folder.mkdir()
    script = folder / "kg"
    script.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m kg "$@"\n',
                      encoding="utf-8")
    script.chmod(0o755)
    return f"{folder}{os.pathsep}{os.environ.get('PATH', '')}"


def quads_per_graph(path: Path) -> Counter[str]:
    quads = pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.N_QUADS)
    return Counter(quad.graph_name.value for quad in quads)


def load_list(server: Virtuoso, folder: Path) -> dict[str, tuple[int, str]]:
    """The bulk loader's rows for the files in ``folder``: file -> (ll_state, ll_error)."""
    out = server.isql(
        "SELECT ll_file, ll_state, ll_error FROM DB.DBA.load_list "
        f"WHERE ll_file LIKE '{folder}/%';\n"
    )
    rows = re.findall(rf"^({re.escape(str(folder))}/\S+)\s+(\d+)\s+(.*?)\s*$", out, re.M)
    return {name: (int(state), error) for name, state, error in rows}


def graph_counts(text: str) -> Counter[str]:
    """``graph,count`` lines (the CSV `kg query -f csv` prints) of kg's graphs in ``text``."""
    pattern = rf"^({re.escape(GRAPHS)}\S*),(\d+)\r?$"
    return Counter({graph: int(n) for graph, n in re.findall(pattern, text, re.M)})


def _clear(server: Virtuoso, folder: Path, graphs: list[str]) -> None:
    server.isql(
        "".join(f"SPARQL CLEAR GRAPH <{graph}>;\n" for graph in graphs)
        + f"DELETE FROM DB.DBA.load_list WHERE ll_file LIKE '{folder}/%';\n"
    )


@pytest.fixture(scope="module")
def walkthrough(
    virtuoso: Virtuoso, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Walkthrough]:
    """The README's block, run once; the graphs it loaded are cleared afterwards."""
    block = readme_block()
    assert f"kg build {' '.join(INPUTS)} --shard" in block  # the build it is compared with
    work = tmp_path_factory.mktemp("bulkload")
    folder = virtuoso.load_dir / work.name  # under DirsAllowed; the server deletes it at the end
    one = work / "one.nq"
    built = subprocess.run(
        [sys.executable, "-m", "kg", "build", *INPUTS, "-o", str(one)],
        cwd=REPO, capture_output=True, text=True, timeout=RUN_SECONDS, check=False,
    )
    assert built.returncode == 0, built.stderr
    env = {
        **os.environ,
        "PATH": kg_on_path(work / "bin"),
        "DBA_PASSWORD": virtuoso.password,
        "no_proxy": "127.0.0.1",
        "NO_PROXY": "127.0.0.1",
    }
    try:
        done = subprocess.run(
            ["bash", "-e", "-u", "-o", "pipefail", "-c", localize(block, virtuoso, folder)],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=RUN_SECONDS,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "*** Error" not in done.stderr, done.stderr
        yield Walkthrough(folder, done.stdout, one)
    finally:
        _clear(virtuoso, folder, [*quads_per_graph(one), FALLBACK_GRAPH])


def test_the_shares_are_one_builds_nquads(walkthrough: Walkthrough) -> None:
    shares = [walkthrough.folder / f"kg-{i}.nq" for i in range(1, SHARDS + 1)]
    assert all(share.is_file() for share in shares)
    lines = [share.read_text(encoding="utf-8").splitlines() for share in shares]
    assert all(lines), "an empty share"
    one = walkthrough.one_build.read_text(encoding="utf-8").splitlines()
    assert sorted(line for share in lines for line in share) == one
    graphs = [set(quads_per_graph(share)) for share in shares]
    assert sum(len(g) for g in graphs) == len(set().union(*graphs))  # no graph in two shares


def test_the_bulk_loader_loaded_every_share(walkthrough: Walkthrough, virtuoso: Virtuoso) -> None:
    rows = load_list(virtuoso, walkthrough.folder)
    shares = {str(walkthrough.folder / f"kg-{i}.nq") for i in range(1, SHARDS + 1)}
    assert set(rows) == shares  # and not the part-*.facts.jsonl beside them
    assert all(row == (2, "NULL") for row in rows.values()), rows


def test_virtuoso_holds_one_builds_triples_per_graph(
    walkthrough: Walkthrough, virtuoso: Virtuoso
) -> None:
    expected = quads_per_graph(walkthrough.one_build)
    assert len(expected) > SHARDS and FALLBACK_GRAPH not in expected
    # what the README's last command printed ...
    assert graph_counts(walkthrough.output) == expected
    # ... and what the server says through isql, without kg
    out = virtuoso.isql(
        "SPARQL SELECT ?g COUNT(*) WHERE { GRAPH ?g { ?s ?p ?o } "
        f"FILTER(STRSTARTS(STR(?g), '{GRAPHS}')) }} GROUP BY ?g;\n"
    )
    rows = re.findall(rf"^({re.escape(GRAPHS)}\S*)\s+(\d+)\s*$", out, re.M)
    assert Counter({graph: int(n) for graph, n in rows}) == expected
