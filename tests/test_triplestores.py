"""The graph in other RDF tools and in a real triplestore.

Every Turtle parser at hand (rdflib, pyoxigraph, raptor's rapper, serd's serdi) reads the
committed graph and a fresh build of the seeds to the same number of triples, and a
Virtuoso 7 server that loaded graphs/kg.ttl answers every competency question with the
rows kg's own engine gives. The Debian tools are skipped, naming their package, where
they are not installed (never in CI).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.request
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import pyoxigraph
import pytest
from rdflib import BNode, Graph, Literal
from rdflib.compare import isomorphic
from rdflib.term import Node

from kg.query import load_graph, named_queries, run_query

if TYPE_CHECKING:
    from virtuoso import Virtuoso

pytest_plugins = ["virtuoso"]

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "graphs" / "kg.ttl"
GRAPH_IRI = "urn:kg:test:committed"
TOOL_SECONDS = 60
HTTP_SECONDS = 30

Canonical = tuple[object, ...]


# --- parsers -----------------------------------------------------------------------


@pytest.fixture(scope="module", params=["committed", "seed"])
def source(request: pytest.FixtureRequest) -> tuple[Path, Graph]:
    """(Turtle file, the graph rdflib reads from it): graphs/kg.ttl, or a fresh build."""
    path = COMMITTED if request.param == "committed" else request.getfixturevalue("seed_ttl")
    return path, Graph().parse(path, format="turtle")


def _tool(program: str, package: str, *args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which(program) is None:
        pytest.skip(f"{program} not found: install the Debian package {package}")
    done = subprocess.run(
        [program, *args], capture_output=True, text=True, timeout=TOOL_SECONDS, check=False
    )
    assert done.returncode == 0, done.stderr
    return done


def count_pyoxigraph(path: Path) -> int:
    return sum(1 for _ in pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE))


def count_rapper(path: Path) -> int:
    done = _tool("rapper", "raptor2-utils", "-i", "turtle", "-c", str(path))
    counted = re.search(r"Parsing returned (\d+) triples", done.stderr)
    assert counted, done.stderr
    return int(counted.group(1))


def count_serdi(path: Path) -> int:
    return len(_serdi_lines(path))


def _serdi_lines(path: Path) -> list[str]:
    done = _tool("serdi", "serdi", "-i", "turtle", str(path))
    assert done.stderr == ""
    return [line for line in done.stdout.splitlines() if line.strip()]


COUNTERS: dict[str, Callable[[Path], int]] = {
    "pyoxigraph": count_pyoxigraph,
    "rapper": count_rapper,
    "serdi": count_serdi,
}


@pytest.mark.parametrize("tool", sorted(COUNTERS))
def test_every_parser_counts_the_same_triples(source: tuple[Path, Graph], tool: str) -> None:
    path, graph = source
    assert len(graph) > 1000
    assert COUNTERS[tool](path) == len(graph)


def test_serdi_reads_the_same_triples(source: tuple[Path, Graph]) -> None:
    path, graph = source
    ntriples = "\n".join(_serdi_lines(path)) + "\n"
    assert isomorphic(Graph().parse(data=ntriples, format="nt"), graph)


# --- Virtuoso ----------------------------------------------------------------------

# (rdflib's XSD namespace object would warn when pytest inspects this module's names)
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMBERS = frozenset(
    XSD + name
    for name in (
        "integer decimal double float int long short byte nonNegativeInteger "
        "positiveInteger negativeInteger nonPositiveInteger unsignedLong unsignedInt "
        "unsignedShort unsignedByte"
    ).split()
)
DATES = frozenset(XSD + name for name in ("date", "dateTime", "time", "gYear", "gYearMonth"))


def canonical(kind: str, value: str, datatype: str | None, language: str | None) -> Canonical:
    """One RDF term in a form two engines agree on when they mean the same value.

    Numbers compare by value (Virtuoso writes 57.0 as 57, and COUNT as xsd:integer);
    dates, times and years by lexical form and datatype; a simple literal is an
    xsd:string. Virtuoso has no boolean type: true and false come back as the integers 1
    and 0, so booleans compare as those numbers.
    """
    if kind == "uri":
        return ("iri", value)
    if kind == "bnode":
        return ("bnode",)
    if language:
        return ("text", value, language.lower())
    if datatype in (None, XSD + "string"):
        return ("text", value, "")
    if datatype in NUMBERS:
        return ("number", Decimal(value))
    if datatype == XSD + "boolean":
        return ("number", Decimal(1 if value.strip() in ("true", "1") else 0))
    if datatype in DATES:
        return ("date", value, datatype)
    return ("literal", value, datatype)


def from_term(term: Node | None) -> Canonical | None:
    if term is None:
        return None
    if isinstance(term, Literal):
        datatype = None if term.datatype is None else str(term.datatype)
        return canonical("literal", str(term), datatype, term.language)
    return canonical("bnode" if isinstance(term, BNode) else "uri", str(term), None, None)


def from_json(binding: dict[str, str] | None) -> Canonical | None:
    if binding is None:
        return None
    kind = "literal" if binding["type"] == "typed-literal" else binding["type"]
    return canonical(kind, binding["value"], binding.get("datatype"), binding.get("xml:lang"))


def ask_virtuoso(server: Virtuoso, sparql: str, method: str) -> tuple[list[str], list[dict]]:
    """(variables, bindings) of a query on Virtuoso's /sparql over ``GRAPH_IRI``."""
    params = urlencode({"query": sparql, "default-graph-uri": GRAPH_IRI})
    headers = {"Accept": "application/sparql-results+json"}
    if method == "GET":
        request = urllib.request.Request(f"{server.sparql}?{params}", headers=headers)
    else:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(
            server.sparql, data=params.encode("ascii"), headers=headers, method="POST"
        )
    no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with no_proxy.open(request, timeout=HTTP_SECONDS) as response:
        assert response.headers.get_content_type() == "application/sparql-results+json"
        document = json.load(response)
    return document["head"]["vars"], document["results"]["bindings"]


@pytest.fixture(scope="module")
def loaded(virtuoso: Virtuoso) -> Virtuoso:
    """The server, with graphs/kg.ttl loaded into ``GRAPH_IRI``."""
    virtuoso.load_turtle(COMMITTED, GRAPH_IRI)
    return virtuoso


@pytest.fixture(scope="module")
def committed() -> Graph:
    return load_graph(COMMITTED)


def _difference(theirs: Counter, ours: Counter) -> str:
    return f"only Virtuoso: {list(theirs - ours)[:5]}; only kg: {list(ours - theirs)[:5]}"


def test_virtuoso_holds_every_triple(loaded: Virtuoso, committed: Graph) -> None:
    names, bindings = ask_virtuoso(loaded, "SELECT ?s ?p ?o WHERE { ?s ?p ?o }", "GET")
    assert names == ["s", "p", "o"]
    theirs = Counter(tuple(from_json(b.get(name)) for name in names) for b in bindings)
    ours = Counter(tuple(from_term(term) for term in triple) for triple in committed)
    assert len(bindings) == len(committed)
    assert theirs == ours, _difference(theirs, ours)


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("name", sorted(named_queries()))
def test_virtuoso_answers_like_kg(
    loaded: Virtuoso, committed: Graph, name: str, method: str
) -> None:
    sparql = named_queries()[name].read_text(encoding="utf-8")
    answer = run_query(committed, sparql)
    assert answer.rows, f"{name} finds nothing in graphs/kg.ttl: nothing to compare"
    names, bindings = ask_virtuoso(loaded, sparql, method)
    assert names == answer.vars
    theirs = Counter(tuple(from_json(b.get(var)) for var in names) for b in bindings)
    ours = Counter(tuple(from_term(term) for term in row) for row in answer.rows)
    assert theirs == ours, _difference(theirs, ours)
