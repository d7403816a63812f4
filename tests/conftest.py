"""Fixtures shared by the pipeline tests: one build of the seed articles per session.

Loading spaCy and running the pipeline takes seconds, so every test that needs the seed
graph shares this one build. It is made the way `make graph` makes graphs/kg.ttl: from
the repository root, with the relative path ``seeds`` (an article's dcterms:source is the
path as given) and the default base IRI.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest
from rdflib import Graph

from kg.build import BuildReport, build_graph
from kg.namespaces import DEFAULT_BASE
from kg.resolve import KnowledgeBase
from kg.serialize import FORMATS, serialize

REPO = Path(__file__).resolve().parents[1]
SEEDS = Path("seeds")  # relative to REPO, as the Makefile passes it

SeedBuild = tuple[Graph, KnowledgeBase, BuildReport]


def build_seeds() -> SeedBuild:
    """A fresh build of seeds/, exactly as `make graph` runs it."""
    with contextlib.chdir(REPO):
        return build_graph([SEEDS], base=DEFAULT_BASE)


@pytest.fixture(scope="session")
def seed_build() -> SeedBuild:
    """(graph, knowledge base, report) of seeds/, built once per session; do not modify."""
    return build_seeds()


@pytest.fixture(scope="session")
def seed_rebuild() -> SeedBuild:
    """A second, independent build of seeds/ (to compare with ``seed_build``)."""
    return build_seeds()


@pytest.fixture(scope="session")
def seed_graph(seed_build: SeedBuild) -> Graph:
    return seed_build[0]


@pytest.fixture(scope="session")
def seed_kb(seed_build: SeedBuild) -> KnowledgeBase:
    return seed_build[1]


@pytest.fixture(scope="session")
def seed_turtle(seed_graph: Graph) -> str:
    return serialize(seed_graph, FORMATS["turtle"])


@pytest.fixture(scope="session")
def seed_ttl(seed_turtle: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed graph as a Turtle file (read-only for tests)."""
    path = tmp_path_factory.mktemp("seed") / "kg.ttl"
    path.write_text(seed_turtle, encoding="utf-8")
    return path


# In CI every tool a test needs is installed (make test does it), so a skip there is a
# failure: it would hide a test that never ran.
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # noqa: ANN201
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where nothing may skip: {report.longrepr}"
