"""kg.engine and the engines of kg.query: Oxigraph answers exactly as rdflib does.

Every named query, on the seed graph and on the held-out graph in each format kg reads,
gives the same Result and prints the same bytes in every format on both engines; so do
ASK and CONSTRUCT. Refusals, syntax errors and the timeout behave the same on Oxigraph.
A timing comparison on a generated graph of about 200,000 triples is printed.
"""
from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from typer.testing import CliRunner

from kg import engine
from kg.build import build
from kg.cli import app
from kg.errors import E, KGError
from kg.query import (
    DEFAULT_ENGINE,
    ENGINES,
    FORMATS,
    Engine,
    OxigraphGraph,
    Result,
    _direct_plan,
    _run_checked,
    format_result,
    load_graph,
    load_store,
    named_queries,
    open_graph,
    rdflib_only,
    run_query,
)
from kg.query import _parse as parse_sparql
from kg.serialize import FORMATS as GRAPH_FORMATS
from kg.serialize import serialize

REPO = Path(__file__).resolve().parents[1]
HELDOUT = REPO / "tests" / "data" / "heldout" / "articles"
QUERY_DATA = REPO / "tests" / "data" / "query"
QUERIES = named_queries()
NAMES = sorted(QUERIES)
SUFFIXES = [fmt.suffix for fmt in GRAPH_FORMATS.values()]
GRAPHS = ["seed.ttl", *(f"heldout{suffix}" for suffix in SUFFIXES)]
ENGINE_NAMES = sorted(ENGINES)
XSD = "http://www.w3.org/2001/XMLSchema#"
ASKS = [
    "ASK { ?r a kg:Ruling }",
    "ASK { ?p a kg:Poll ; kg:supportPercent ?s FILTER (?s > 60) }",
    "ASK { ?x kg:noSuchProperty ?y }",
]
CONSTRUCTS = [
    "CONSTRUCT { ?place kg:partOf ?region } WHERE { ?place kg:partOf ?region }",
    "CONSTRUCT { ?c rdfs:label ?name ; kg:seat ?s } WHERE { ?c a kg:Court ; rdfs:label ?name"
    " OPTIONAL { ?c kg:seat ?s } }",
]
TIMED = ["jurisdictions", "officials", "quotes", "certificates", "rulings"]
COPIES = 54  # x ~3,700 triples of the held-out graph: ~200,000


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph_files(seed_ttl: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The seed graph, and the held-out articles built once, written in every format."""
    folder = tmp_path_factory.mktemp("engine")
    trig = folder / "heldout.trig"
    build([HELDOUT], trig)
    dataset = load_graph(trig)
    files = {"seed.ttl": seed_ttl}
    for fmt in GRAPH_FORMATS.values():
        path = folder / f"heldout{fmt.suffix}"
        if path != trig:
            path.write_text(serialize(dataset, fmt), encoding="utf-8")
        files[path.name] = path
    return files


@pytest.fixture(scope="module")
def opened(graph_files: dict[str, Path]) -> Callable[[str, str], Graph | OxigraphGraph]:
    """``opened(graph, engine)``: the graph file loaded for the engine, once."""
    cache: dict[tuple[str, str], Graph | OxigraphGraph] = {}

    def get(name: str, engine_name: str) -> Graph | OxigraphGraph:
        if (name, engine_name) not in cache:
            cache[name, engine_name] = open_graph(graph_files[name], engine=engine_name)
        return cache[name, engine_name]

    return get


@pytest.fixture
def rdflib_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SPARQL of every query the rdflib engine runs (also in place of Oxigraph)."""
    seen: list[str] = []
    real = ENGINES["rdflib"]

    def run(graph, parsed, sparql, allow_network, seconds):  # noqa: ANN001, ANN202
        seen.append(sparql)
        return real.run(graph, parsed, sparql, allow_network, seconds)

    monkeypatch.setitem(ENGINES, "rdflib", Engine(real.name, real.description, real.load, run))
    return seen


def both(
    opened: Callable[[str, str], Graph | OxigraphGraph], name: str, sparql: str
) -> tuple[Result, Result]:
    """(Oxigraph's result, rdflib's result) of ``sparql`` on graph file ``name``."""
    ours = run_query(opened(name, "oxigraph"), sparql, engine="oxigraph")
    theirs = run_query(opened(name, "rdflib"), sparql, engine="rdflib")
    return ours, theirs


def printed(result: Result, graph: Graph | OxigraphGraph) -> dict[str, str]:
    return {
        fmt: format_result(result, fmt, graph=graph)
        for fmt in FORMATS
        if fmt == "table" or result.kind == "SELECT" or (fmt == "json" and result.kind == "ASK")
    }


def error_of(call: Callable[..., object], *args: object, **kwargs: object) -> KGError:
    with pytest.raises(KGError) as caught:
        call(*args, **kwargs)
    return caught.value


# --- the registry ----------------------------------------------------------------------


def test_oxigraph_is_the_default_and_rdflib_the_alternative() -> None:
    assert DEFAULT_ENGINE == "oxigraph"
    assert ENGINE_NAMES == ["oxigraph", "rdflib"]
    assert all(name == chosen.name for name, chosen in ENGINES.items())


def test_each_engine_loads_its_own_kind_of_graph(graph_files: dict[str, Path]) -> None:
    assert isinstance(open_graph(graph_files["seed.ttl"], "oxigraph"), OxigraphGraph)
    assert isinstance(open_graph(graph_files["seed.ttl"], "rdflib"), Graph)


def test_an_unknown_engine_lists_the_engines(graph_files: dict[str, Path]) -> None:
    for call in (
        lambda: open_graph(graph_files["seed.ttl"], "jena"),
        lambda: run_query(Graph(), "ASK {}", engine="jena"),
    ):
        error = error_of(call)
        assert error.code is E.E801
        assert "'jena'" in str(error) and "oxigraph, rdflib" in str(error)


# --- the named queries: same answers, same bytes ---------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_the_named_queries_run_on_oxigraph_itself(name: str) -> None:
    sparql = QUERIES[name].read_text(encoding="utf-8")
    assert rdflib_only(parse_sparql(sparql), sparql) is None


@pytest.mark.parametrize("graph", GRAPHS)
@pytest.mark.parametrize("name", NAMES)
def test_both_engines_give_the_same_result(
    opened: Callable[[str, str], Graph | OxigraphGraph],
    rdflib_runs: list[str],
    graph: str,
    name: str,
) -> None:
    sparql = QUERIES[name].read_text(encoding="utf-8")
    ours = run_query(opened(graph, "oxigraph"), sparql, engine="oxigraph")
    assert rdflib_runs == []  # Oxigraph answered, not rdflib in its place
    theirs = run_query(opened(graph, "rdflib"), sparql, engine="rdflib")
    assert ours.rows, f"{name} finds nothing in {graph}: the comparison would prove nothing"
    assert ours.vars == theirs.vars
    assert ours.rows == theirs.rows


@pytest.mark.parametrize("graph", GRAPHS)
@pytest.mark.parametrize("name", NAMES)
def test_both_engines_print_the_same(
    opened: Callable[[str, str], Graph | OxigraphGraph], graph: str, name: str
) -> None:
    ours, theirs = both(opened, graph, QUERIES[name].read_text(encoding="utf-8"))
    ours_printed = printed(ours, opened(graph, "oxigraph"))
    assert ours_printed == printed(theirs, opened(graph, "rdflib"))
    assert sorted(ours_printed) == sorted(FORMATS)


@pytest.mark.parametrize("name", NAMES)
def test_an_rdflib_graph_in_memory_is_queried_on_oxigraph(
    seed_graph: Graph, rdflib_runs: list[str], name: str
) -> None:
    sparql = QUERIES[name].read_text(encoding="utf-8")
    ours = run_query(seed_graph, sparql)
    assert rdflib_runs == []
    assert ours == run_query(seed_graph, sparql, engine="rdflib")


# --- ASK, CONSTRUCT, DESCRIBE ------------------------------------------------------------


@pytest.mark.parametrize("sparql", ASKS)
def test_ask_is_the_same(
    opened: Callable[[str, str], Graph | OxigraphGraph], rdflib_runs: list[str], sparql: str
) -> None:
    ours, theirs = both(opened, "heldout.trig", sparql)
    assert rdflib_runs == [sparql]  # only the rdflib engine's own run
    assert ours.kind == theirs.kind == "ASK"
    assert ours.boolean is theirs.boolean
    assert printed(ours, opened("heldout.trig", "oxigraph")) == printed(
        theirs, opened("heldout.trig", "rdflib")
    )


def test_ask_answers_both_ways(opened: Callable[[str, str], Graph | OxigraphGraph]) -> None:
    answers = {both(opened, "heldout.ttl", sparql)[0].boolean for sparql in ASKS}
    assert answers == {True, False}


@pytest.mark.parametrize("sparql", CONSTRUCTS)
def test_construct_is_the_same(
    opened: Callable[[str, str], Graph | OxigraphGraph], rdflib_runs: list[str], sparql: str
) -> None:
    ours, theirs = both(opened, "heldout.nq", sparql)
    assert rdflib_runs == [sparql]
    assert ours.kind == theirs.kind == "CONSTRUCT"
    assert ours.graph is not None and len(ours.graph) > 0
    assert set(ours.graph) == set(theirs.graph)
    assert format_result(ours, "table") == format_result(theirs, "table")


def test_construct_with_blank_nodes_is_isomorphic(
    opened: Callable[[str, str], Graph | OxigraphGraph],
) -> None:
    sparql = (
        "CONSTRUCT { ?r kg:heard [ rdfs:label ?court ] } WHERE { ?r kg:court/rdfs:label ?court }"
    )
    ours, theirs = both(opened, "heldout.ttl", sparql)
    assert len(ours.graph) > 0
    assert isomorphic(ours.graph, theirs.graph)


def test_describe_is_rdflibs_on_both_engines(
    opened: Callable[[str, str], Graph | OxigraphGraph], rdflib_runs: list[str]
) -> None:
    # rdflib's description includes the reifications of the triples it describes
    sparql = "DESCRIBE ?c WHERE { ?c a kg:Court }"
    ours, theirs = both(opened, "heldout.ttl", sparql)
    assert rdflib_runs == [sparql, sparql]
    assert format_result(ours, "table") == format_result(theirs, "table")
    assert "rdf:Statement" in format_result(ours, "table")


# --- order ---------------------------------------------------------------------------------


def test_rows_tied_by_order_by_come_in_column_order(
    opened: Callable[[str, str], Graph | OxigraphGraph],
) -> None:
    sparql = "SELECT ?type ?label WHERE { ?x a ?type ; rdfs:label ?label } ORDER BY ?type"
    ours, theirs = both(opened, "heldout.trig", sparql)
    assert ours.rows == theirs.rows
    assert len({row[0] for row in ours.rows}) < len(ours.rows)  # there are ties
    assert ours.rows == sorted(ours.rows, key=lambda row: (str(row[0]), str(row[1])))


def test_order_by_an_aggregate_is_kept_and_ties_fixed(
    opened: Callable[[str, str], Graph | OxigraphGraph],
) -> None:
    sparql = "SELECT ?type (COUNT(*) AS ?n) WHERE { ?x a ?type } GROUP BY ?type ORDER BY DESC(?n)"
    ours, theirs = both(opened, "heldout.nt", sparql)
    assert ours.rows == theirs.rows
    counts = [int(row[1]) for row in ours.rows]
    assert counts == sorted(counts, reverse=True)


def test_values_sparql_leaves_unordered_come_in_rdflibs_order(
    opened: Callable[[str, str], Graph | OxigraphGraph],
) -> None:
    # Oxigraph puts "2022-11"^^xsd:gYearMonth among the dates, rdflib after them
    sparql = "SELECT ?date WHERE { ?r kg:rulingDate ?date } ORDER BY ?date"
    ours, theirs = both(opened, "heldout.ttl", sparql)
    native = [solution[0] for solution in opened("heldout.ttl", "oxigraph").store.query(
        sparql, prefixes={"kg": "https://w3id.org/kg-jp-partnership/ontology#"}
    )]
    assert {str(date.datatype.value) for date in native} >= {XSD + "date", XSD + "gYearMonth"}
    assert ours.rows == theirs.rows


# --- literal forms, the union graph, FROM ------------------------------------------------

FORMS = f"""@prefix x: <https://example.org/> .
@prefix xsd: <{XSD}> .
x:a x:decimal 57.0, 57.50 ; x:int "42"^^xsd:int ; x:long "7"^^xsd:long ;
    x:integer 0041 ; x:double 1.5e3 ; x:boolean "1"^^xsd:boolean ;
    x:date "2015-04-01Z"^^xsd:date ; x:dateTime "2015-04-01T09:00:00.500Z"^^xsd:dateTime ;
    x:stamp "2015-04-01T09:00:00Z"^^xsd:dateTimeStamp ; x:negative -0.0 ;
    x:name "Tokyo"@en-US, "東京"@ja ; x:year "2015"^^xsd:gYear .
"""


@pytest.fixture
def forms(tmp_path: Path) -> Path:
    path = tmp_path / "forms.ttl"
    path.write_text(FORMS, encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_literals_print_in_the_form_the_file_wrote(forms: Path, fmt: str) -> None:
    sparql = "SELECT ?p ?o WHERE { ?s ?p ?o }"
    ours = run_query(load_store(forms), sparql)
    theirs = run_query(load_graph(forms), sparql, engine="rdflib")
    assert format_result(ours, fmt) == format_result(theirs, fmt)
    assert ours.rows == theirs.rows


def test_counts_are_integers_whatever_the_data_holds(tmp_path: Path) -> None:
    path = tmp_path / "int.ttl"
    path.write_text(f'<urn:x:a> <urn:x:p> "1"^^<{XSD}int> .\n', encoding="utf-8")
    sparql = "SELECT ?o (COUNT(*) AS ?n) (MAX(?o) AS ?top) WHERE { ?s ?p ?o } GROUP BY ?o"
    ours = run_query(load_store(path), sparql)
    assert ours == run_query(load_graph(path), sparql, engine="rdflib")
    assert [term.datatype for term in ours.rows[0]] == [URIRef(XSD + "int"),
                                                          URIRef(XSD + "integer"),
                                                          URIRef(XSD + "int")]


# A value of each XSD datatype in forms that are not its canonical one
SAMPLES = {
    "int": ["0042", "-7"], "long": ["+5"], "short": ["3"], "byte": ["1"],
    "nonNegativeInteger": ["01"], "positiveInteger": ["2"], "nonPositiveInteger": ["-0"],
    "negativeInteger": ["-3"], "unsignedLong": ["9"], "unsignedInt": ["9"],
    "unsignedShort": ["9"], "unsignedByte": ["9"], "decimal": ["57.0", "57.50", "-0.0", "+1."],
    "integer": ["0042", "+5", "-0"], "double": ["1.5e3", "1.0E0", "INF", "-0", "0.1"],
    "float": ["1.10", "1e-7"], "boolean": ["1", "0", "true"],
    "date": ["2015-04-01Z", "2015-04-01+09:00"], "dateTime": ["2015-04-01T24:00:00"],
    "dateTimeStamp": ["2015-04-01T09:00:00Z"], "time": ["09:00:00.50Z"],
    "gYear": ["2015", "2015Z"], "gYearMonth": ["2015-04", "2015-04+01:00"],
    "gMonthDay": ["--04-01"], "gDay": ["---01"], "gMonth": ["--04"],
    "duration": ["P12M", "PT36H", "P0D", "-P1Y"], "dayTimeDuration": ["PT3600S"],
    "yearMonthDuration": ["P14M"], "normalizedString": ["a"], "token": ["a"],
    "language": ["EN"], "anyURI": ["http://x"], "hexBinary": ["AB"], "base64Binary": ["QQ=="],
}


@pytest.mark.parametrize(
    ("datatype", "lexical"), [(d, v) for d, values in SAMPLES.items() for v in values]
)
def test_the_lexicon_covers_every_form_the_store_changes(datatype: str, lexical: str) -> None:
    """Outside engine.REWRITTEN, rdflib reads the store's form as it reads the file's."""
    written = pyoxigraph.Literal(lexical, datatype=pyoxigraph.NamedNode(XSD + datatype))
    store = pyoxigraph.Store()
    store.add(pyoxigraph.Quad(pyoxigraph.NamedNode("urn:x:s"), pyoxigraph.NamedNode("urn:x:p"),
                              written))
    stored = next(iter(store)).object
    theirs = Literal(lexical, datatype=URIRef(XSD + datatype))
    ours = Literal(stored.value, datatype=URIRef(stored.datatype.value))
    if stored.datatype.value in engine.REWRITTEN:
        assert XSD + datatype in engine.REWRITTEN[stored.datatype.value]
    else:
        assert (str(ours), ours.datatype) == (str(theirs), theirs.datatype)


def test_the_store_itself_canonicalises_them(forms: Path) -> None:
    stored = {str(q.object.value) for q in load_store(forms).store}
    assert "57" in stored and "57.0" not in stored  # what the Lexicon undoes


def test_an_rdflib_graph_keeps_its_literal_forms(forms: Path) -> None:
    graph = load_graph(forms)
    sparql = "SELECT ?o WHERE { ?s ?p ?o }"
    assert format_result(run_query(graph, sparql), "json") == format_result(
        run_query(graph, sparql, engine="rdflib"), "json"
    )


def test_a_value_written_two_ways_keeps_oxigraphs_form(tmp_path: Path) -> None:
    path = tmp_path / "two.ttl"
    path.write_text("<urn:x:a> <urn:x:p> 57.0 .\n<urn:x:b> <urn:x:p> 57.00 .\n", encoding="utf-8")
    result = run_query(load_store(path), "SELECT ?o WHERE { ?s ?p ?o }")
    assert [str(row[0]) for row in result.rows] == ["57", "57"]


def test_the_union_default_graph_has_each_triple_once(tmp_path: Path) -> None:
    path = tmp_path / "shared.trig"
    path.write_text(
        "<urn:g:1> { <urn:x:a> <urn:x:p> <urn:x:b> . }\n"
        "<urn:g:2> { <urn:x:a> <urn:x:p> <urn:x:b> . <urn:x:a> <urn:x:p> <urn:x:c> . }\n",
        encoding="utf-8",
    )
    sparql = "SELECT ?o WHERE { <urn:x:a> ?p ?o }"
    ours = run_query(load_store(path), sparql)
    assert ours.rows == [(URIRef("urn:x:b"),), (URIRef("urn:x:c"),)]
    assert ours == run_query(load_graph(path), sparql, engine="rdflib")


@pytest.mark.parametrize(
    "sparql",
    [
        "SELECT ?label FROM <https://example.org/people> WHERE { ?s rdfs:label ?label }",
        "SELECT ?label FROM NAMED <https://example.org/people> WHERE { ?s rdfs:label ?label }",
        "SELECT ?g ?label FROM NAMED <https://example.org/people>"
        " WHERE { GRAPH ?g { ?s rdfs:label ?label } }",
        "SELECT ?g ?label WHERE { GRAPH ?g { ?s rdfs:label ?label } }",
    ],
)
def test_from_a_graph_the_file_holds_runs_on_oxigraph(rdflib_runs: list[str], sparql: str) -> None:
    trig = QUERY_DATA / "graphs.trig"
    ours = run_query(load_store(trig), sparql)
    assert rdflib_runs == []
    assert ours == run_query(load_graph(trig), sparql, engine="rdflib")


# --- what runs on rdflib whichever engine ------------------------------------------------


@pytest.mark.parametrize(
    ("sparql", "reason"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", None),
        ("SELECT ?service WHERE { ?service a schema:Service }", None),
        ("SELECT ?n WHERE { ?s kg:minimumAge ?a BIND (xsd:integer(?a) AS ?n) }", None),
        ("DESCRIBE <urn:x:a>", "DESCRIBE"),
        ("SELECT * WHERE { SERVICE <https://example.org/sparql> { ?s ?p ?o } }", "SERVICE"),
        ('SELECT ?s WHERE { ?s ?p "SERVICE <https://example.org/> {}" }', "SERVICE"),
        ("SELECT ?x WHERE { BIND (<https://example.org/fn>(1) AS ?x) }", "the function"),
        ("SELECT ?x WHERE { BIND (xsd:int(1) AS ?x) }", "the function"),
        ("SELECT * FROM <urn:x:elsewhere> WHERE { ?s ?p ?o }", "FROM <urn:x:elsewhere>"),
        ("SELECT * FROM <urn:g:1> FROM <urn:g:2> WHERE { ?s ?p ?o }", "several graphs"),
    ],
)
def test_what_runs_on_rdflib(sparql: str, reason: str | None) -> None:
    held = frozenset({URIRef("urn:g:1"), URIRef("urn:g:2")})
    found = rdflib_only(parse_sparql(sparql), sparql, held)
    if reason is None:
        assert found is None
    else:
        assert found is not None and reason in found


def test_a_query_oxigraphs_parser_rejects_runs_on_rdflib(
    opened: Callable[[str, str], Graph | OxigraphGraph], rdflib_runs: list[str]
) -> None:
    sparql = "SELECT ?p WHERE { ?s ?p <relative> }"  # Oxigraph wants a base IRI for it
    result = run_query(opened("heldout.ttl", "oxigraph"), sparql)
    assert rdflib_runs == [sparql]
    assert result.kind == "SELECT" and result.vars == ["p"]


# --- refusals, errors, the timeout: the same on Oxigraph -----------------------------------

REFUSED = [
    "SELECT * WHERE { SERVICE <https://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE SILENT ?endpoint { ?s ?p ?x } } }",
    "SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }",
    "SELECT * FROM NAMED <https://example.org/g> WHERE { GRAPH ?g { ?s ?p ?o } }",
]


@pytest.mark.parametrize("engine_name", ENGINE_NAMES)
@pytest.mark.parametrize("sparql", REFUSED)
def test_the_network_is_refused(
    opened: Callable[[str, str], Graph | OxigraphGraph], engine_name: str, sparql: str
) -> None:
    error = error_of(run_query, opened("heldout.trig", engine_name), sparql, engine=engine_name)
    assert error.code is E.E105


@pytest.mark.parametrize("engine_name", ENGINE_NAMES)
def test_updates_are_refused(
    opened: Callable[[str, str], Graph | OxigraphGraph], engine_name: str
) -> None:
    graph = opened("heldout.ttl", engine_name)
    insert = "INSERT DATA { <urn:a> <urn:b> <urn:c> }"
    error = error_of(run_query, graph, insert, engine=engine_name)
    assert error.code is E.E107
    assert run_query(graph, "ASK { <urn:a> ?p ?o }", engine=engine_name).boolean is False


def test_syntax_errors_say_the_same_on_both_engines(
    opened: Callable[[str, str], Graph | OxigraphGraph],
) -> None:
    sparql = "SELECT ?x\nWHERE {\n  ?x ?y ?z\n  OPTIONAL ?x\n}"
    errors = {str(error_of(run_query, opened("seed.ttl", name), sparql, engine=name))
              for name in ENGINE_NAMES}
    assert len(errors) == 1
    assert "[E102]" in errors.pop()


@pytest.fixture(scope="module")
def cartesian() -> OxigraphGraph:
    """300 triples: a three-way cross join of them is 27 million rows (seconds of Rust)."""
    data = "".join(f'<urn:n:{i}> <urn:p> "{i}" .\n' for i in range(300))
    store = pyoxigraph.Store()
    store.load(data, format=pyoxigraph.RdfFormat.N_TRIPLES)
    return OxigraphGraph(store, False, engine.RdflibOrigin(Graph()))


SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def test_the_timeout_stops_a_query_running_in_rust(cartesian: OxigraphGraph) -> None:
    started = time.monotonic()
    error = error_of(run_query, cartesian, SLOW, timeout_seconds=0.3)
    assert error.code is E.E106
    assert time.monotonic() - started < 3


def test_ctrl_c_interrupts_a_query_running_in_rust(cartesian: OxigraphGraph) -> None:
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    started = time.monotonic()
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with pytest.raises(KeyboardInterrupt):
            run_query(cartesian, SLOW)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - started < 2


def test_the_timed_out_process_is_gone(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"

    def stuck() -> None:
        pid_file.write_text(str(os.getpid()))
        time.sleep(60)

    error = error_of(engine.call_in_child, stuck, 0.5)
    assert error.code is E.E106
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)


def test_a_child_hands_back_its_answer_and_its_errors() -> None:
    def fails() -> None:
        raise SyntaxError(f"bad, says {os.getpid()}")

    answer = [Literal("x"), pyoxigraph.NamedNode("urn:x")]
    assert engine.call_in_child(lambda: answer, 30) == answer
    with pytest.raises(SyntaxError, match="bad, says") as caught:
        engine.call_in_child(fails, 30)
    assert str(os.getpid()) not in str(caught.value)  # raised in the child


def test_a_timed_query_gives_the_untimed_answer(
    opened: Callable[[str, str], Graph | OxigraphGraph],
) -> None:
    sparql = QUERIES["officials"].read_text(encoding="utf-8")
    graph = opened("heldout.ttl", "oxigraph")
    assert run_query(graph, sparql, timeout_seconds=30) == run_query(graph, sparql)


# --- loading -------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "line"), [("bad.ttl", "line 3"), ("bad.nt", "line 2")])
def test_a_bad_file_says_where(name: str, line: str) -> None:
    error = error_of(load_store, QUERY_DATA / name)
    assert error.code is E.E302
    assert line in str(error)


def test_a_remote_jsonld_context_is_not_fetched() -> None:
    error = error_of(load_store, QUERY_DATA / "remote-context.jsonld")
    assert error.code is E.E302
    assert "https://example.org/context.jsonld" in str(error)


def test_a_missing_file(tmp_path: Path) -> None:
    assert error_of(load_store, tmp_path / "kg.ttl").code is E.E104


def test_an_rdf_12_triple_term_is_refused_not_garbled(tmp_path: Path) -> None:
    path = tmp_path / "star.ttl"
    path.write_text(
        "<urn:x:a> <urn:x:says> <<( <urn:x:b> <urn:x:p> <urn:x:c> )>> .\n", encoding="utf-8"
    )
    error = error_of(run_query, load_store(path), "SELECT ?o WHERE { ?s ?p ?o }")
    assert error.code is E.E802
    assert "<urn:x:b> <urn:x:p> <urn:x:c>" in str(error)


def test_labels_come_from_the_store(opened: Callable[[str, str], Graph | OxigraphGraph]) -> None:
    store, graph = opened("heldout.trig", "oxigraph"), opened("heldout.trig", "rdflib")
    label = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
    subjects = {s for s in graph.subjects(label, None)}
    assert subjects
    for subject in subjects:
        assert sorted(store.objects(subject, label)) == sorted(graph.objects(subject, label))


# --- the direct path: Oxigraph first, rdflib's parser only when needed ----------------------

DIRECT = [
    "SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY DESC(?label) LIMIT 20",
    "SELECT ?type (COUNT(?x) AS ?n) WHERE { ?x a ?type } GROUP BY ?type ORDER BY DESC(?n) ?type",
    "SELECT DISTINCT ?date WHERE { ?s kg:startDate|kg:rulingDate|kg:issueDate ?date }"
    " ORDER BY ?date",
    "SELECT ?s ?lang WHERE { ?s rdfs:label ?name BIND (LANG(?name) AS ?lang) }",
    'SELECT ?v ?w WHERE { VALUES (?v ?w) { (1 "a") (2.50 "b"@en) (UNDEF "c")'
    ' ("2015"^^xsd:gYear UNDEF) } } ORDER BY ?v',
    "SELECT ?p (SAMPLE(?o) AS ?one) (MIN(?o) AS ?low) (MAX(?o) AS ?high) WHERE { ?s ?p ?o }"
    " GROUP BY ?p ORDER BY ?p",
    "SELECT ?r ?court WHERE { ?r kg:court ?c OPTIONAL { ?c rdfs:label ?court } }",
    "SELECT ?s (SUM(?a) AS ?total) (AVG(?a) AS ?mean) WHERE { ?s kg:applicantCount ?a }"
    " GROUP BY ?s ORDER BY ?s",
    'SELECT ?s ?l WHERE { ?s rdfs:label ?l FILTER (?l != "SELECT * FROM <x> ORDER BY STR(?z)") }'
    " # ORDER BY ?q, FROM <urn:x>\nORDER BY ?l",
    "SELECT ?s ?o WHERE { ?s kg:partOf ?o } ORDER BY ?nothing",
    "SELECT ?p ?o WHERE { ?s ?p ?o } ORDER BY ?o ?p",
    "SELECT ?o ?same WHERE { ?s ?p ?o BIND (?o AS ?same) } ORDER BY DESC(?o)",
    "ASK { ?r a kg:Ruling }",
    "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s a kg:Court ; rdfs:label ?l }",
]


def checked(graph: OxigraphGraph, sparql: str) -> Result:
    """``sparql`` parsed by rdflib, checked and run on Oxigraph (the full path)."""
    return _run_checked(graph, sparql, False, None, ENGINES["oxigraph"])


def same(ours: Result, theirs: Result) -> None:
    assert (ours.kind, ours.vars, ours.rows, ours.boolean) == (
        theirs.kind, theirs.vars, theirs.rows, theirs.boolean
    )
    if ours.graph is not None or theirs.graph is not None:
        assert set(ours.graph) == set(theirs.graph)


@pytest.mark.parametrize("graph", ["seed.ttl", "heldout.trig", "heldout.nt", "heldout.jsonld"])
@pytest.mark.parametrize("sparql", DIRECT)
def test_the_direct_path_answers_as_the_full_one(
    opened: Callable[[str, str], Graph | OxigraphGraph], graph: str, sparql: str
) -> None:
    assert _direct_plan(sparql) is not None
    store = opened(graph, "oxigraph")
    same(run_query(store, sparql), checked(store, sparql))


@pytest.mark.parametrize("name", NAMES)
def test_the_named_queries_need_no_rdflib_parse(
    opened: Callable[[str, str], Graph | OxigraphGraph], monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    sparql = QUERIES[name].read_text(encoding="utf-8")
    store = opened("heldout.trig", "oxigraph")
    expected = checked(store, sparql)
    monkeypatch.setattr("kg.query._parse", lambda text: pytest.fail(f"parsed {name}"))
    ours = run_query(store, sparql)
    assert ours.rows and ours == expected
    assert run_query(store, sparql, timeout_seconds=30) == expected


@pytest.mark.parametrize(
    "sparql",
    [
        "SELECT ?p ?o WHERE { ?s ?p ?o } ORDER BY ?o ?p",
        "SELECT ?o ?same WHERE { ?s ?p ?o BIND (?o AS ?same) } ORDER BY ?o",
        "SELECT ?o ?text WHERE { ?s ?p ?o BIND (STR(?o) AS ?text) } ORDER BY ?o",
        "SELECT ?o ?v WHERE { VALUES ?v { 57.0 57 } ?s <https://example.org/decimal> ?o }",
        "SELECT (SAMPLE(?o) AS ?one) (COUNT(?o) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p"
        " ORDER BY ?one",
        "SELECT ?o (LANG(?o) AS ?tag) WHERE { ?s <https://example.org/name> ?o }",
    ],
)
def test_the_direct_path_keeps_the_files_literal_forms(forms: Path, sparql: str) -> None:
    store = load_store(forms)
    ours = run_query(store, sparql)
    same(ours, checked(store, sparql))
    assert format_result(ours, "tsv") == format_result(checked(store, sparql), "tsv")


@pytest.mark.parametrize(
    ("sparql", "code", "said"),
    [
        ("SELECT ?s \\u0046ROM <https://example.org/g> WHERE { ?s ?p ?o }", E.E105, "FROM <"),
        ("SELECT ?s WHERE { \\u0053ERVICE <https://example.org/sparql> { ?s ?p ?o } }", E.E105,
         "SERVICE <"),
        ("DELETE WHERE { ?s ?p ?o }", E.E107, "DELETE WHERE"),
        ("SELECT ?x\nWHERE {\n  ?x ?y ?z\n  OPTIONAL ?x\n}", E.E102, "line 4, column"),
        ("SELECT ?x WHERE { ?x nope:thing ?y }", E.E102, "nope"),
    ],
)
def test_what_oxigraph_rejects_is_checked_as_before(
    opened: Callable[[str, str], Graph | OxigraphGraph], sparql: str, code: E, said: str
) -> None:
    store = opened("heldout.trig", "oxigraph")
    error = error_of(run_query, store, sparql)
    assert error.code is code
    assert said in str(error)
    assert run_query(store, "ASK { ?s ?p ?o }").boolean is True


def test_a_function_named_by_an_iri_still_runs_on_rdflib(
    opened: Callable[[str, str], Graph | OxigraphGraph], rdflib_runs: list[str]
) -> None:
    sparql = "SELECT ?x WHERE { BIND (<https://example.org/fn>(1) AS ?x) }"
    assert _direct_plan(sparql) is None
    ours = run_query(opened("heldout.ttl", "oxigraph"), sparql)
    assert rdflib_runs == [sparql]
    assert ours == run_query(opened("heldout.ttl", "rdflib"), sparql, engine="rdflib")


# --- rdflib literals made fast ---------------------------------------------------------------

LEXICAL = st.one_of(
    st.sampled_from(
        ["0", "-0", "1", "-12", "007", "+5", "1.5", "-0.0", "0.50", "57.0", "1e3", "NaN",
         "2021-03-17", "2021-02-30", "0000-01-01", "2021-03-17Z", "2021", "2021-03", "true",
         "false", "1", "TRUE", " 1", "x", "", "１２", "2021-03-17T10:00:00", "P1D"]
    ),
    st.text(alphabet="0123456789-+.:TZe x", max_size=12),
)
DATATYPE = st.sampled_from(
    [None, "urn:x:type", *(XSD + name for name in (
        "integer", "decimal", "date", "boolean", "gYear", "gYearMonth", "dateTime", "string",
        "double", "int", "token", "normalizedString", "time", "duration", "anyURI"))]
)


def made(make: Callable[[], Literal]) -> tuple[object, ...]:
    """Everything about a literal, or the exception making it raises."""
    try:
        term = make()
    except Exception as error:  # the same must happen both ways
        return (type(error),)
    value = term.value
    return (type(term), str(term), term.language, term.datatype, type(value), repr(value),
            term.ill_typed, hash(term))


@pytest.mark.filterwarnings("ignore:Parsing weird boolean")  # rdflib's, on "x"^^xsd:boolean
@settings(max_examples=600, deadline=None)
@given(lexical=LEXICAL, datatype=DATATYPE, lang=st.sampled_from([None, "en", "en-US", "1x"]))
def test_make_literal_makes_rdflibs_literal(
    lexical: str, datatype: str | None, lang: str | None
) -> None:
    ours = made(lambda: engine.make_literal(lexical, lang, datatype))
    assert ours == made(lambda: Literal(lexical, lang=lang, datatype=datatype))


def test_the_store_gives_back_forms_make_literal_makes_fast() -> None:
    store = pyoxigraph.Store()
    for i, (lexical, datatype) in enumerate(
        [("0041", "integer"), ("57.50", "decimal"), ("2015-04-01", "date"), ("1", "boolean")]
    ):
        written = pyoxigraph.Literal(lexical, datatype=pyoxigraph.NamedNode(XSD + datatype))
        store.add(pyoxigraph.Quad(pyoxigraph.NamedNode(f"urn:x:{i}"),
                                  pyoxigraph.NamedNode("urn:x:p"), written))
    for quad in store:
        literal = quad.object
        form, _ = engine._CANONICAL[literal.datatype.value]
        assert form.fullmatch(literal.value), literal


# --- the command line ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_kg_query_prints_the_same_with_either_engine(seed_ttl: Path, fmt: str) -> None:
    runner = CliRunner()
    outputs = set()
    for name in ENGINE_NAMES:
        args = ["query", "polls", "-g", str(seed_ttl), "-f", fmt, "--engine", name]
        done = runner.invoke(app, args)
        assert done.exit_code == 0, done.output
        outputs.add(done.stdout)
    assert len(outputs) == 1


def test_kg_query_refuses_an_unknown_engine(seed_ttl: Path) -> None:
    done = CliRunner().invoke(app, ["query", "polls", "-g", str(seed_ttl), "--engine", "jena"])
    assert done.exit_code == 2
    assert "E801" in done.output


# --- speed ---------------------------------------------------------------------------------


def test_timing_on_a_large_graph(
    graph_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """About 200,000 triples (copies of the held-out graph under other IRIs): both engines
    give the same rows; their times are printed, not asserted."""
    base = "https://w3id.org/kg-jp-partnership/id/"
    triples = list(pyoxigraph.parse(path=str(graph_files["heldout.nt"])))

    def copy(term: object, i: int) -> object:
        if isinstance(term, pyoxigraph.NamedNode) and term.value.startswith(base):
            return pyoxigraph.NamedNode(f"{term.value}-copy{i}")
        return term

    big = tmp_path / "big.nt"
    with big.open("wb") as out:
        pyoxigraph.serialize(
            (
                pyoxigraph.Triple(copy(t.subject, i), t.predicate, copy(t.object, i))
                for i in range(COPIES)
                for t in triples
            ),
            out,
            format=pyoxigraph.RdfFormat.N_TRIPLES,
        )
    times: dict[str, dict[str, float]] = {}
    answers: dict[str, dict[str, Result]] = {}
    for name in ENGINE_NAMES:
        started = time.perf_counter()
        graph = open_graph(big, name)
        times[name] = {"load": time.perf_counter() - started}
        answers[name] = {}
        for query in TIMED:
            started = time.perf_counter()
            answers[name][query] = run_query(
                graph, QUERIES[query].read_text(encoding="utf-8"), engine=name
            )
            times[name][query] = time.perf_counter() - started
    assert answers["oxigraph"] == answers["rdflib"]
    size = len(triples) * COPIES
    with capsys.disabled():
        print(f"\n{size:,} triples: seconds per step (oxigraph / rdflib)")
        for step in times["oxigraph"]:
            fast, slow = times["oxigraph"][step], times["rdflib"][step]
            print(f"  {step:14} {fast:8.3f} {slow:8.3f}  x{slow / fast:,.0f}")
