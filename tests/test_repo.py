"""The repository itself: committed outputs are fresh, the seeds are the shared ones, and
the docs, CI entry point and pins say what they should."""
from __future__ import annotations

import contextlib
import re
import tomllib
from pathlib import Path

import pytest

from kg.build import build
from kg.namespaces import DEFAULT_BASE
from kg.query import load_graph
from kg.viz import write_page

REPO = Path(__file__).resolve().parents[1]
SHARED_SEEDS = REPO.parent / "shared" / "seeds"
PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9,._-]+\])?==[A-Za-z0-9.+!-]+$")


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """graphs/kg.ttl and graphs/kg.html made again, the way `make graph` makes them."""
    out = tmp_path_factory.mktemp("graphs")
    ttl, page = out / "kg.ttl", out / "kg.html"
    with contextlib.chdir(REPO):
        build([Path("seeds")], ttl, base=DEFAULT_BASE)
    write_page(load_graph(ttl), page)
    return ttl, page


def test_committed_turtle_is_fresh(rebuilt: tuple[Path, Path]) -> None:
    committed = REPO / "graphs" / "kg.ttl"
    assert committed.read_bytes() == rebuilt[0].read_bytes(), "run `make graph`"


def test_committed_page_is_fresh(rebuilt: tuple[Path, Path]) -> None:
    committed = REPO / "graphs" / "kg.html"
    assert committed.read_bytes() == rebuilt[1].read_bytes(), "run `make graph`"


def test_page_of_the_built_graph_is_the_page_of_the_file(
    rebuilt: tuple[Path, Path], seed_build: tuple, tmp_path: Path
) -> None:
    page = tmp_path / "kg.html"
    write_page(seed_build[0], page)
    assert page.read_bytes() == rebuilt[1].read_bytes()


def test_seeds_are_the_shared_seeds() -> None:
    if not SHARED_SEEDS.is_dir():
        pytest.skip(f"{SHARED_SEEDS} is missing (CI has ../shared beside the repo)")
    ours = {p.name: p.read_bytes() for p in (REPO / "seeds").iterdir()}
    theirs = {p.name: p.read_bytes() for p in SHARED_SEEDS.iterdir()}
    assert sorted(ours) == sorted(theirs)
    assert [n for n in ours if ours[n] != theirs[n]] == []


def test_readme_quick_start() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Quick start\n(.*?)(?=^## |\Z)", readme, re.MULTILINE | re.DOTALL)
    assert match, "README.md has no '## Quick start' section"
    assert "make graph" in match.group(1) and "make test" in match.group(1)


def test_ci_runs_make_test() -> None:
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line.strip() for line in script.splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    assert "make test" in commands


def test_make_test_runs_lint_and_pytest() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "ruff check" in recipe and "pytest" in recipe


def test_every_dependency_is_pinned() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    requirements = [*project["build-system"]["requires"], *project["project"]["dependencies"]]
    for extra in project["project"].get("optional-dependencies", {}).values():
        requirements += extra
    assert requirements
    assert [r for r in requirements if not PIN.match(r.replace(" ", ""))] == []


def test_the_model_is_pinned_by_hash() -> None:
    lines = [line for line in (REPO / "requirements" / "model.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines
    for line in lines:
        requirement, *options = line.split()
        assert PIN.match(requirement)
        assert any(o.startswith("--hash=sha256:") for o in options)
