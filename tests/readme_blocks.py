"""Shell blocks of README.md that the tests run as written (helpers, not tests).

A block is a fenced ``sh`` block whose first line is a marker comment naming the test that
runs it. The section "Bulk-loading a sharded build" starts with the block that makes the
shares (``SHARES_MARKER``); each store's block runs after it, in the same folder ``LOAD``.
A test puts in place only what must differ here (``localize``): the folder, ports, and a
``kg`` on PATH that runs the Python running the tests.
"""
from __future__ import annotations

import csv
import io
import os
import re
import shlex
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyoxigraph

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
SHARES_MARKER = (
    "# A sharded build: tests/test_bulkload.py and tests/test_stores_cli.py run this block "
    "as written"
)
LOAD_LINE = "LOAD=/srv/kg-load\n"  # the shares block's folder
INPUTS = ("seeds/", "tests/data/heldout/articles")  # what the shares block builds
SHARDS = 3
GRAPHS = "https://w3id.org/kg-jp-partnership/id/"  # BASE: every graph kg writes is under it
ONE_GRAPH = "kg.nt"  # the shares block's last line writes the one graph here


def readme_block(marker: str) -> str:
    """The fenced shell block of README.md whose first line is ``marker``."""
    blocks = re.findall(r"^```sh\n(.*?)^```$", README.read_text(encoding="utf-8"), re.M | re.S)
    found = [block for block in blocks if block.startswith(marker + "\n")]
    assert len(found) == 1, f"README.md has {len(found)} sh blocks starting {marker!r}"
    return found[0]


def localize(block: str, replacements: dict[str, str]) -> str:
    """``block`` with each key replaced by its value; every key must occur in it, so that a
    change of the README that a test would silently stop matching fails instead."""
    for text, replacement in replacements.items():
        assert text in block, f"the README's block no longer has {text!r}"
        block = block.replace(text, replacement)
    return block


def shares_script(folder: Path) -> str:
    """The shares block, writing into ``folder`` instead of the README's ``LOAD``."""
    block = readme_block(SHARES_MARKER)
    assert f"kg build {' '.join(INPUTS)} --shard" in block  # what the tests compare with
    return localize(block, {LOAD_LINE: f"LOAD={shlex.quote(str(folder))}\n"})


def shares(folder: Path) -> list[Path]:
    """The N-Quads shares the shares block wrote into ``folder``."""
    return [folder / f"kg-{i}.nq" for i in range(1, SHARDS + 1)]


def kg_on_path(folder: Path) -> str:
    """A PATH whose ``kg`` runs ``python -m kg`` with the Python running the tests, and
    which then has that Python's scripts (``oxigraph`` of the test extra)."""
    folder.mkdir()
    script = folder / "kg"
    script.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m kg "$@"\n',
                      encoding="utf-8")
    script.chmod(0o755)
    return os.pathsep.join([str(folder), str(Path(sys.executable).parent),
                            os.environ.get("PATH", "")])


def block_env(bin_folder: Path, **extra: str) -> dict[str, str]:
    """The environment a block runs in: ``kg_on_path``, nothing through a proxy."""
    return {
        **os.environ,
        "PATH": kg_on_path(bin_folder),
        "no_proxy": "127.0.0.1",
        "NO_PROXY": "127.0.0.1",
        **extra,
    }


def run_block(script: str, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in bash (-e -u -o pipefail) from the repository's folder, in a process
    group of its own that is stopped afterwards: a server the block starts in the background
    does not outlive it, even when the block fails before it stops the server."""
    process = subprocess.Popen(
        ["bash", "-e", "-u", "-o", "pipefail", "-c", script],
        cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop_group(process.pid)
        out, err = process.communicate()
        raise AssertionError(f"the block did not finish in {timeout} s:\n{err}") from None
    finally:
        _stop_group(process.pid)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def _stop_group(group: int) -> None:
    try:
        os.killpg(group, signal.SIGTERM)
    except ProcessLookupError:  # nothing of the block is left
        pass


def quads_per_graph(path: Path) -> Counter[str]:
    quads = pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.N_QUADS)
    return Counter(quad.graph_name.value for quad in quads)


def triples(path: Path) -> int:
    """The number of distinct triples in an N-Triples file."""
    parsed = pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.N_TRIPLES)
    return len(set(parsed))


def graph_counts(text: str) -> Counter[str]:
    """``graph,count`` lines (the CSV `kg query -f csv` prints) of kg's graphs in ``text``."""
    pattern = rf"^({re.escape(GRAPHS)}\S*),(\d+)\r?$"
    return Counter({graph: int(n) for graph, n in re.findall(pattern, text, re.M)})


def csv_rows(text: str) -> list[list[str]]:
    """The rows of CSV text (SPARQL CSV results end lines with CR LF, kg's too)."""
    return list(csv.reader(io.StringIO(text, newline="")))
