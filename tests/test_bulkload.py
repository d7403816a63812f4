"""The README's walkthrough of bulk-loading a sharded build into Virtuoso, run as written.

Two shell blocks of README.md (section "Bulk-loading a sharded build") run, one after the
other, in bash from the repository's folder against the session's throwaway Virtuoso 7
(tests/virtuoso.py): the one that makes the shares (``readme_blocks.SHARES_MARKER``) and the
one that starts with ``MARKER``. Only what differs here is put in its place: the folder
``LOAD`` (a fresh folder under the server's DirsAllowed), the server's ports (``isql-vt
1111`` and ``localhost:8890``) and ``kg`` (a script on PATH that runs this Python's kg).
Then: the shares are one build's N-Quads, Virtuoso's bulk loader loaded every file without
error, and the triples per graph that the block's last command prints are those of one
build. The graphs it loaded are cleared afterwards, so the other Virtuoso tests never see
them.
"""
from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from readme_blocks import (
    GRAPHS,
    INPUTS,
    REPO,
    SHARDS,
    block_env,
    graph_counts,
    localize,
    quads_per_graph,
    readme_block,
    run_block,
    shares,
    shares_script,
)

if TYPE_CHECKING:
    from virtuoso import Virtuoso

pytest_plugins = ["virtuoso"]

MARKER = "# Into Virtuoso: tests/test_bulkload.py runs this block as written, after the first one"
FALLBACK_GRAPH = GRAPHS + "graph/default"  # the third argument of the README's ld_dir
RUN_SECONDS = 600
# the README's text -> what it becomes here (each must occur in the block)
ISQL = "isql-vt 1111 "
HTTP = "http://localhost:8890/"


@dataclass(frozen=True)
class Walkthrough:
    folder: Path  # what LOAD names
    output: str  # the block's standard output
    one_build: Path  # one `kg build` of the same inputs, as N-Quads


def walkthrough_script(server: Virtuoso, folder: Path) -> str:
    """The shares block and the Virtuoso block, with this test's folder and server."""
    block = localize(readme_block(MARKER), {
        ISQL: f"isql-vt 127.0.0.1:{server.sql_port} ",
        HTTP: f"{server.url}/",
    })
    return shares_script(folder) + block


def load_list(server: Virtuoso, folder: Path) -> dict[str, tuple[int, str]]:
    """The bulk loader's rows for the files in ``folder``: file -> (ll_state, ll_error)."""
    out = server.isql(
        "SELECT ll_file, ll_state, ll_error FROM DB.DBA.load_list "
        f"WHERE ll_file LIKE '{folder}/%';\n"
    )
    rows = re.findall(rf"^({re.escape(str(folder))}/\S+)\s+(\d+)\s+(.*?)\s*$", out, re.M)
    return {name: (int(state), error) for name, state, error in rows}


def _clear(server: Virtuoso, folder: Path, graphs: list[str]) -> None:
    server.isql(
        "".join(f"SPARQL CLEAR GRAPH <{graph}>;\n" for graph in graphs)
        + f"DELETE FROM DB.DBA.load_list WHERE ll_file LIKE '{folder}/%';\n"
    )


@pytest.fixture(scope="module")
def walkthrough(
    virtuoso: Virtuoso, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Walkthrough]:
    """The README's two blocks, run once; the graphs they loaded are cleared afterwards."""
    work = tmp_path_factory.mktemp("bulkload")
    folder = virtuoso.load_dir / work.name  # under DirsAllowed; the server deletes it at the end
    one = work / "one.nq"
    built = subprocess.run(
        [sys.executable, "-m", "kg", "build", *INPUTS, "-o", str(one)],
        cwd=REPO, capture_output=True, text=True, timeout=RUN_SECONDS, check=False,
    )
    assert built.returncode == 0, built.stderr
    env = block_env(work / "bin", DBA_PASSWORD=virtuoso.password)
    try:
        done = run_block(walkthrough_script(virtuoso, folder), env, RUN_SECONDS)
        assert done.returncode == 0, done.stderr
        assert "*** Error" not in done.stderr, done.stderr
        yield Walkthrough(folder, done.stdout, one)
    finally:
        _clear(virtuoso, folder, [*quads_per_graph(one), FALLBACK_GRAPH])


def test_the_shares_are_one_builds_nquads(walkthrough: Walkthrough) -> None:
    files = shares(walkthrough.folder)
    assert all(share.is_file() for share in files)
    lines = [share.read_text(encoding="utf-8").splitlines() for share in files]
    assert all(lines), "an empty share"
    one = walkthrough.one_build.read_text(encoding="utf-8").splitlines()
    assert sorted(line for share in lines for line in share) == one
    graphs = [set(quads_per_graph(share)) for share in files]
    assert sum(len(g) for g in graphs) == len(set().union(*graphs))  # no graph in two shares


def test_the_bulk_loader_loaded_every_share(walkthrough: Walkthrough, virtuoso: Virtuoso) -> None:
    rows = load_list(virtuoso, walkthrough.folder)
    assert set(rows) == {str(share) for share in shares(walkthrough.folder)}
    # and not the part-*.facts.jsonl nor the kg.nt beside them
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
