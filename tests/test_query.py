"""kg.query and kg.results: finding queries, loading graphs, running SPARQL, printing results."""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import rdflib.plugins.sparql.evaluate
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import BNode, Dataset, Graph, Literal, URIRef, Variable
from rdflib.compare import isomorphic
from rdflib.namespace import RDFS
from rdflib.plugins.sparql.operators import register_custom_function, unregister_custom_function

from kg.errors import E, KGError
from kg.query import (
    FORMATS,
    QUERIES_DIR,
    Result,
    _arranged,
    _computed,
    _direct_plan,
    _network_uses,
    _order_spec,
    _parse,
    _rank,
    _rank_keys,
    _row_key,
    format_result,
    load_graph,
    named_queries,
    rdflib_only,
    resolve_query,
    run_query,
)

DATA = Path(__file__).parent / "data" / "query"
ID = "https://w3id.org/kg-jp-partnership/id/"
XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
PREFIXES = """PREFIX kg: <https://w3id.org/kg-jp-partnership/ontology#>
PREFIX j: <https://w3id.org/kg-jp-partnership/id/jurisdiction/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
DATED = PREFIXES + """SELECT ?thing ?date ?count WHERE {
  ?thing kg:startDate|kg:rulingDate ?date .
  OPTIONAL { ?thing kg:applicantCount ?count }
} ORDER BY ?date"""
QUOTE = PREFIXES + "SELECT ?text WHERE { ?quote kg:quoteText ?text }"
TOKYO_NAMES = PREFIXES + "SELECT ?name WHERE { j:tokyo rdfs:label ?name }"


@pytest.fixture(scope="module")
def graph() -> Graph:
    return load_graph(DATA / "graph.ttl")


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return load_graph(DATA / "graphs.trig")


@pytest.fixture
def queries_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "queries"
    folder.mkdir()
    (folder / "rulings.rq").write_text("SELECT ?r WHERE { ?r a kg:Ruling }\n", encoding="utf-8")
    (folder / "places.rq").write_text("SELECT ?p WHERE { ?p kg:partOf ?q }\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not a query\n", encoding="utf-8")
    return folder


def error_of(call, *args, **kwargs) -> KGError:
    with pytest.raises(KGError) as caught:
        call(*args, **kwargs)
    return caught.value


# --- finding the query -----------------------------------------------------------


def test_queries_dir_is_the_repository_folder() -> None:
    assert QUERIES_DIR == Path(__file__).parent.parent / "queries"


def test_named_queries_lists_rq_files_sorted(queries_dir: Path) -> None:
    found = named_queries(queries_dir)
    assert list(found) == ["places", "rulings"]
    assert found["rulings"] == queries_dir / "rulings.rq"


def test_named_queries_of_a_missing_folder_is_empty(tmp_path: Path) -> None:
    assert named_queries(tmp_path / "nowhere") == {}


def test_query_by_name(queries_dir: Path) -> None:
    text = resolve_query("rulings", queries_dir)
    assert text == (queries_dir / "rulings.rq").read_text(encoding="utf-8")


def test_query_by_path(queries_dir: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine.rq"
    mine.write_text("ASK { ?s ?p ?o }", encoding="utf-8")
    assert resolve_query(str(mine), queries_dir) == "ASK { ?s ?p ?o }"


def test_query_by_missing_path(queries_dir: Path, tmp_path: Path) -> None:
    error = error_of(resolve_query, str(tmp_path / "gone.rq"), queries_dir)
    assert error.code is E.E001


def test_inline_query(queries_dir: Path) -> None:
    inline = "prefix kg: <urn:x:>\nselect * { ?s ?p ?o }"
    assert resolve_query(inline, queries_dir) == inline


def test_query_from_stdin(queries_dir: Path) -> None:
    text = "SELECT ?s WHERE { ?s ?p ?o }\n"
    assert resolve_query("-", queries_dir, stdin=io.StringIO(text)) == text


def test_empty_stdin_is_refused(queries_dir: Path) -> None:
    assert error_of(resolve_query, "-", queries_dir, stdin=io.StringIO("  \n")).code is E.E003


def test_a_mistyped_name_with_a_keyword_is_still_a_name(queries_dir: Path) -> None:
    assert error_of(resolve_query, "select-places", queries_dir).code is E.E101


def test_unknown_name_lists_the_named_queries(queries_dir: Path) -> None:
    error = error_of(resolve_query, "rullings", queries_dir)
    assert error.code is E.E101
    assert "'rullings'" in str(error)
    assert "places, rulings" in str(error)


# --- loading the graph -----------------------------------------------------------


def test_turtle_loads_as_a_graph(graph: Graph) -> None:
    assert not isinstance(graph, Dataset)
    assert (URIRef(ID + "jurisdiction/tokyo"), RDFS.label, Literal("Tokyo")) in graph


def test_trig_loads_as_a_dataset_whose_default_graph_is_the_union(dataset: Dataset) -> None:
    assert isinstance(dataset, Dataset)
    result = run_query(dataset, "SELECT ?label WHERE { ?s rdfs:label ?label }")
    assert result.rows == [(Literal("Article one"),), (Literal("Person one"),)]


def test_missing_graph_file(tmp_path: Path) -> None:
    error = error_of(load_graph, tmp_path / "kg.ttl")
    assert error.code is E.E104
    assert "kg.ttl" in str(error)


@pytest.mark.parametrize(("name", "line"), [("bad.ttl", "line 3"), ("bad.nt", "line 2")])
def test_parse_error_says_where(name: str, line: str) -> None:
    error = error_of(load_graph, DATA / name)
    assert error.code is E.E302
    assert line in str(error)


def test_unknown_graph_suffix(tmp_path: Path) -> None:
    odd = tmp_path / "graph.xyz"
    odd.write_text("", encoding="utf-8")
    error = error_of(load_graph, odd)
    assert error.code is E.E302
    assert ".ttl" in str(error)


def test_remote_jsonld_context_is_not_fetched() -> None:
    error = error_of(load_graph, DATA / "remote-context.jsonld")
    assert error.code is E.E302
    assert "https://example.org/context.jsonld" in str(error)


# --- running queries -----------------------------------------------------------------


def test_select_keeps_order_by(graph: Graph) -> None:
    result = run_query(graph, DATED.replace("ORDER BY ?date", "ORDER BY DESC(?date)"))
    assert [row[0] for row in result.rows] == [
        URIRef(ID + "ruling/sapporo-2021"),
        URIRef(ID + "system/shibuya"),
    ]


def test_select_without_order_by_is_sorted(graph: Graph) -> None:
    result = run_query(graph, "SELECT ?type WHERE { ?s a ?type }")
    assert result.rows == sorted(result.rows)
    assert len(result.rows) == 6


def test_select_star_lists_variables_in_query_order(graph: Graph) -> None:
    for _ in range(5):
        result = run_query(graph, "SELECT * WHERE { ?zeta kg:partOf ?alpha . ?zeta a ?mid }")
        assert result.vars == ["zeta", "alpha", "mid"]


def test_kg_prefixes_are_predeclared(graph: Graph) -> None:
    result = run_query(graph, "SELECT ?r WHERE { ?r a kg:Ruling }")
    assert result.rows == [(URIRef(ID + "ruling/sapporo-2021"),)]


def test_ask(graph: Graph) -> None:
    assert run_query(graph, "ASK { ?r a kg:Ruling }").boolean is True
    assert run_query(graph, "ASK { ?r a kg:Poll }").boolean is False


def test_malformed_sparql_says_line_and_column(graph: Graph) -> None:
    sparql = "SELECT ?x\nWHERE {\n  ?x ?y ?z\n  OPTIONAL ?x\n}"
    error = error_of(run_query, graph, sparql)
    assert error.code is E.E102
    assert re.search(r"line 4, column \d+", str(error))
    assert "OPTIONAL ?x" in str(error)


def test_empty_query_is_a_syntax_error(graph: Graph) -> None:
    assert error_of(run_query, graph, "# nothing\n").code is E.E102


def test_undeclared_prefix_is_a_syntax_error(graph: Graph) -> None:
    error = error_of(run_query, graph, "SELECT ?x WHERE { ?x nope:thing ?y }")
    assert error.code is E.E102
    assert "nope" in str(error)


def test_updates_are_not_run(graph: Graph) -> None:
    error = error_of(run_query, graph, "INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    assert error.code is E.E107
    assert "INSERT DATA" in str(error)
    assert (URIRef("urn:a"), URIRef("urn:b"), URIRef("urn:c")) not in graph


def test_timeout_stops_a_long_query() -> None:
    big = Graph()
    for i in range(300):
        big.add((URIRef(f"urn:n:{i}"), RDFS.label, Literal(i)))
    started = time.monotonic()
    error = error_of(
        run_query,
        big,
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
        timeout_seconds=0.2,
    )
    assert error.code is E.E106
    assert time.monotonic() - started < 10
    assert not any(thread.name == "kg-query" for thread in threading.enumerate())


def test_timeout_leaves_a_quick_query_alone(graph: Graph) -> None:
    assert run_query(graph, DATED, timeout_seconds=30) == run_query(graph, DATED)


# --- network safety -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sparql", "what"),
    [
        ("SELECT * WHERE { SERVICE <https://example.org/sparql> { ?s ?p ?o } }", "SERVICE"),
        (
            "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE SILENT ?endpoint { ?s ?p ?x } } }",
            "SERVICE ?endpoint",
        ),
        ("LOAD <https://example.org/data.ttl>", "LOAD <https://example.org/data.ttl>"),
        ("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", "FROM <http://example.org/g>"),
        (
            "SELECT * FROM NAMED <https://example.org/g> WHERE { GRAPH ?g { ?s ?p ?o } }",
            "FROM NAMED <https://example.org/g>",
        ),
    ],
)
def test_network_is_refused_by_default(graph: Graph, sparql: str, what: str) -> None:
    error = error_of(run_query, graph, sparql)
    assert error.code is E.E105
    assert what in str(error)


def test_the_word_service_in_a_string_is_not_refused(graph: Graph) -> None:
    sparql = 'SELECT ?s WHERE { ?s ?p "SERVICE <https://example.org/sparql> { }" }'
    assert run_query(graph, sparql).rows == []


def test_from_a_graph_the_dataset_holds_is_local(dataset: Dataset) -> None:
    sparql = "SELECT ?label FROM <https://example.org/people> WHERE { ?s rdfs:label ?label }"
    assert run_query(dataset, sparql).rows == [(Literal("Person one"),)]


def test_from_a_local_file_is_read(dataset: Dataset) -> None:
    iri = (DATA / "extra.ttl").resolve().as_uri()
    sparql = f"SELECT ?label FROM <{iri}> WHERE {{ ?s rdfs:label ?label }}"
    assert run_query(dataset, sparql).rows == [(Literal("from a local file"),)]


def test_allowed_service_runs(graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    answer = {
        "head": {"vars": ["o"]},
        "results": {"bindings": [{"o": {"type": "literal", "value": "remote"}}]},
    }

    class Response:
        status = 200

        def read(self) -> bytes:
            return json.dumps(answer).encode("utf-8")

    def fake_urlopen(request: urllib.request.Request) -> Response:
        asked.append(request.full_url)
        return Response()

    monkeypatch.setattr(rdflib.plugins.sparql.evaluate, "urlopen", fake_urlopen)
    sparql = "SELECT ?o WHERE { SERVICE <https://example.org/sparql> { ?s ?p ?o } }"
    result = run_query(graph, sparql, allow_network=True)
    assert result.rows == [(Literal("remote"),)]
    assert asked and asked[0].startswith("https://example.org/sparql")


def test_allowed_from_is_not_refused(graph: Graph) -> None:
    # a plain graph ignores FROM in rdflib, so nothing is fetched
    sparql = "SELECT ?r FROM <https://example.org/g> WHERE { ?r a kg:Ruling }"
    assert run_query(graph, sparql, allow_network=True).rows == [
        (URIRef(ID + "ruling/sapporo-2021"),)
    ]


def test_allowed_load_is_still_an_update(graph: Graph) -> None:
    error = error_of(run_query, graph, "LOAD <https://example.org/d.ttl>", allow_network=True)
    assert error.code is E.E107


@pytest.fixture
def fetching_function():
    """A custom SPARQL function that tries to reach the network when called."""
    iri = URIRef("https://example.org/fn/fetch")

    def fetch(*args: object) -> Literal:
        urllib.request.urlopen("http://example.invalid/data")
        return Literal("fetched")

    register_custom_function(iri, fetch)
    yield iri
    unregister_custom_function(iri)


def test_network_guard_catches_what_the_algebra_does_not_show(
    graph: Graph, fetching_function: URIRef
) -> None:
    sparql = f"SELECT ?x WHERE {{ BIND(<{fetching_function}>(1) AS ?x) }}"
    error = error_of(run_query, graph, sparql)
    assert error.code is E.E105
    assert "http://example.invalid/data" in str(error)
    error = error_of(run_query, graph, sparql, timeout_seconds=30)
    assert error.code is E.E105


# --- result formats ---------------------------------------------------------------


def test_json_is_sparql_results_json(graph: Graph) -> None:
    data = json.loads(format_result(run_query(graph, DATED), "json"))
    assert data == {
        "head": {"vars": ["thing", "date", "count"]},
        "results": {
            "bindings": [
                {
                    "thing": {"type": "uri", "value": ID + "system/shibuya"},
                    "date": {"type": "literal", "value": "2015-04-01", "datatype": XSD_DATE},
                    "count": {"type": "literal", "value": "42", "datatype": XSD_INTEGER},
                },
                {
                    "thing": {"type": "uri", "value": ID + "ruling/sapporo-2021"},
                    "date": {"type": "literal", "value": "2021-03-17", "datatype": XSD_DATE},
                },
            ]
        },
    }


def test_json_language_tags(graph: Graph) -> None:
    data = json.loads(format_result(run_query(graph, TOKYO_NAMES), "json"))
    assert data["results"]["bindings"] == [
        {"name": {"type": "literal", "value": "Tokyo"}},
        {"name": {"type": "literal", "value": "東京都", "xml:lang": "ja"}},
    ]


def test_json_ask(graph: Graph) -> None:
    data = json.loads(format_result(run_query(graph, "ASK { ?r a kg:Ruling }"), "json"))
    assert data == {"head": {}, "boolean": True}


def test_csv(graph: Graph) -> None:
    assert format_result(run_query(graph, DATED), "csv") == (
        "thing,date,count\r\n"
        f"{ID}system/shibuya,2015-04-01,42\r\n"
        f"{ID}ruling/sapporo-2021,2021-03-17,\r\n"
    )


def test_csv_quotes_what_needs_quoting(graph: Graph) -> None:
    assert format_result(run_query(graph, QUOTE), "csv") == (
        'text\r\n"She said ""yes"", then\tleft\nquietly"\r\n'
    )


def test_tsv(graph: Graph) -> None:
    assert format_result(run_query(graph, DATED), "tsv") == (
        "?thing\t?date\t?count\n"
        f'<{ID}system/shibuya>\t"2015-04-01"^^<{XSD_DATE}>\t"42"^^<{XSD_INTEGER}>\n'
        f'<{ID}ruling/sapporo-2021>\t"2021-03-17"^^<{XSD_DATE}>\t\n'
    )


def test_tsv_escapes_literals(graph: Graph) -> None:
    assert format_result(run_query(graph, QUOTE), "tsv") == (
        '?text\n"She said \\"yes\\", then\\tleft\\nquietly"\n'
    )
    assert format_result(run_query(graph, TOKYO_NAMES), "tsv") == '?name\n"Tokyo"\n"東京都"@ja\n'


def test_table_shows_labels_not_iris(graph: Graph) -> None:
    sparql = (
        "SELECT ?system ?place ?region"
        " WHERE { ?system kg:adoptedBy ?place . ?place kg:partOf ?region }"
    )
    table = format_result(run_query(graph, sparql), "table", graph=graph)
    assert table.splitlines() == [
        "system                           place    region",
        "-------------------------------  -------  ------",
        "Shibuya partnership certificate  Shibuya  Tokyo",
        "1 row",
    ]


def test_table_falls_back_to_pref_label_then_local_name(graph: Graph) -> None:
    sparql = (
        "SELECT ?ruling ?outcome ?date"
        " WHERE { ?ruling kg:outcome ?outcome ; kg:rulingDate ?date }"
    )
    lines = format_result(run_query(graph, sparql), "table", graph=graph).splitlines()
    assert lines[2].split() == ["sapporo-2021", "unconstitutional", "2021-03-17"]
    assert lines[-1] == "1 row"


def test_table_truncates_long_cells(graph: Graph) -> None:
    sparql = "SELECT ?system WHERE { ?system a kg:PartnershipSystem }"
    table = format_result(run_query(graph, sparql), "table", graph=graph, max_width=10)
    assert table.splitlines()[2] == "Shibuya p…"


def test_table_counts_double_width_characters(graph: Graph) -> None:
    lines = format_result(run_query(graph, TOKYO_NAMES), "table", graph=graph).splitlines()
    assert lines == ["name", "------", "Tokyo", "東京都", "2 rows"]


def test_table_right_aligns_numbers_and_leaves_unbound_empty(graph: Graph) -> None:
    sparql = DATED.replace("SELECT ?thing ?date ?count", "SELECT ?date ?count")
    lines = format_result(run_query(graph, sparql), "table", graph=graph).splitlines()
    assert lines == [
        "date        count",
        "----------  -----",
        "2015-04-01     42",
        "2021-03-17",
        "2 rows",
    ]


def test_table_neutralises_control_characters() -> None:
    tricky = Graph()
    tricky.add((URIRef("urn:x:a"), RDFS.label, Literal("red\x1b[31m\u202eevil\nline")))
    result = run_query(tricky, "SELECT ?a WHERE { ?a rdfs:label ?l }")
    table = format_result(result, "table", graph=tricky)
    assert "\x1b" not in table and "\u202e" not in table
    assert "red\ufffd[31m\ufffdevil line" in table


def test_construct_prints_turtle_in_the_table(graph: Graph) -> None:
    sparql = "CONSTRUCT { ?place kg:partOf ?region } WHERE { ?place kg:partOf ?region }"
    result = run_query(graph, sparql)
    text = format_result(result, "table")
    expected = Graph()
    part_of = URIRef("https://w3id.org/kg-jp-partnership/ontology#partOf")
    expected.add((URIRef(ID + "jurisdiction/shibuya"), part_of, URIRef(ID + "jurisdiction/tokyo")))
    assert isomorphic(Graph().parse(data=text, format="turtle"), expected)
    assert text.endswith("# 1 triple\n")


def test_construct_has_no_csv(graph: Graph) -> None:
    result = run_query(graph, "DESCRIBE <urn:x:nothing>")
    error = error_of(format_result, result, "csv")
    assert error.code is E.E109
    assert "table" in str(error)


def test_unknown_format_lists_the_choices(graph: Graph) -> None:
    error = error_of(format_result, run_query(graph, DATED), "xml")
    assert error.code is E.E103
    for name in ("table", "json", "csv", "tsv"):
        assert name in str(error)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_prints_a_select(graph: Graph, fmt: str) -> None:
    text = format_result(run_query(graph, DATED), fmt, graph=graph)
    assert text.endswith("\n")
    assert "2015-04-01" in text
    assert text == format_result(run_query(graph, DATED), fmt, graph=graph)


def test_result_is_plain_data() -> None:
    empty = Result("SELECT", vars=["x"])
    assert format_result(empty, "csv") == "x\r\n"
    assert format_result(empty, "table").splitlines()[-1] == "0 rows"


PRINT_EVERY_FORMAT = """
import sys
from pathlib import Path
from kg.query import FORMATS, format_result, load_graph, run_query
graph = load_graph(Path(sys.argv[1]))
for sparql in ("SELECT * WHERE { ?s ?p ?o }", "CONSTRUCT WHERE { ?s ?p ?o }"):
    result = run_query(graph, sparql)
    for fmt in FORMATS:
        if fmt == "table" or result.kind == "SELECT":
            sys.stdout.write(format_result(result, fmt, graph=graph))
"""


def test_output_is_byte_identical_across_runs() -> None:
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", PRINT_EVERY_FORMAT, str(DATA / "graph.ttl")],
            env=env,
            capture_output=True,
            check=True,
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1
    assert b"Shibuya partnership certificate" in outputs.pop()


# --- the order of rows: sort keys equivalent to rdflib's comparisons --------------------

XSD = "http://www.w3.org/2001/XMLSchema#"
# Terms to sort: every rank, strings with and without tags (one differing only in case),
# numbers of several types (ties across types, NaN, ill-typed), dates with and without a
# value, years, times, datatypes rdflib has no value for, an explicit xsd:string
TERMS = [
    None,
    ("iri", "urn:a"), ("iri", "urn:b"), ("bnode", "b1"), ("bnode", "b2"),
    ("a", None, None), ("b", None, None), ("B", None, None), ("", None, None),
    ("a", "en", None), ("a", "EN", None), ("b", "ja", None), ("a", "en-US", None),
    ("a", None, "string"), ("1", None, "integer"), ("01", None, "integer"),
    ("-3", None, "integer"), ("abc", None, "integer"), ("1.0", None, "decimal"),
    ("2.5", None, "decimal"), ("1e0", None, "double"), ("NaN", None, "double"),
    ("INF", None, "double"), ("1.5", None, "float"), ("7", None, "int"),
    ("true", None, "boolean"), ("1", None, "boolean"), ("false", None, "boolean"),
    ("2020-01-01", None, "date"), ("2020-01-01Z", None, "date"), ("2021-02-30", None, "date"),
    ("2019-12-31", None, "date"), ("2020", None, "gYear"), ("2020-05", None, "gYearMonth"),
    ("2020-01-01T00:00:00", None, "dateTime"), ("2020-01-01T00:00:00Z", None, "dateTime"),
    ("2020-01-01T09:00:00+09:00", None, "dateTime"), ("10:00:00", None, "time"),
    ("10:00:00Z", None, "time"), ("P1D", None, "duration"), ("AB", None, "hexBinary"),
    ("x", None, "urn:x:type"), ("y", None, "urn:x:type"),
]


def term_of(spec: object) -> object:
    """A new term object for one of TERMS."""
    if spec is None:
        return None
    if spec[0] == "iri":
        return URIRef(spec[1])
    if spec[0] == "bnode":
        return BNode(spec[1])
    lexical, lang, datatype = spec
    if datatype is None:
        return Literal(lexical, lang=lang)
    return Literal(lexical, datatype=datatype if ":" in datatype else XSD + datatype)


def rdflibs_order(result: Result, keys: list[tuple[int, bool]]) -> list[tuple]:
    """The rows as kg ordered them with rdflib's own comparisons (one stable sort per key)."""
    rows = sorted(result.rows, key=_row_key)
    try:
        for index, descending in reversed(keys):
            name = Variable(result.vars[index])
            rows.sort(key=lambda row, i=index, n=name: _rank(row[i], n), reverse=descending)
    except (TypeError, ArithmeticError):
        return result.rows
    return rows


# Columns of one family each, so that most get sort keys rather than rdflib's comparisons
FAMILIES = {
    "strings": [spec for spec in TERMS if spec is None or (len(spec) == 3 and spec[2] is None
                                                           and spec[1] != "EN")],
    "numbers": [None, *(spec for spec in TERMS if spec and spec[-1] in (
        "integer", "decimal", "double", "float", "int") and spec[0] not in ("NaN", "abc"))],
    "dates": [None, ("iri", "urn:a"), *(spec for spec in TERMS if spec and spec[-1] in (
        "date", "gYear", "gYearMonth") and spec[0] != "2021-02-30")],
    "everything": TERMS,
}
SHARED = {spec: term_of(spec) for spec in TERMS if spec}  # engines reuse one object per term


@st.composite
def rows_and_keys(draw: st.DrawFn) -> tuple[list[tuple], list[tuple[int, bool]]]:
    families = [draw(st.sampled_from(sorted(FAMILIES))) for _ in range(3)]
    cells = [
        st.sampled_from(FAMILIES[family]).flatmap(
            lambda spec: st.sampled_from([SHARED.get(spec), term_of(spec)])
        )
        for family in families
    ]
    rows = draw(st.lists(st.tuples(*cells), max_size=14))
    keys = draw(st.lists(st.tuples(st.integers(0, 2), st.booleans()), max_size=3))
    return rows, keys


@settings(max_examples=500, deadline=None)
@given(drawn=rows_and_keys())
def test_rows_are_ordered_as_rdflibs_comparisons_order_them(
    drawn: tuple[list[tuple], list[tuple[int, bool]]],
) -> None:
    rows, keys = drawn
    result = Result("SELECT", vars=["a", "b", "c"], rows=rows)
    assert _arranged(result, keys).rows == rdflibs_order(result, keys)


@pytest.mark.parametrize("family", ["strings", "numbers", "dates"])
def test_a_column_of_one_family_gets_sort_keys(family: str) -> None:
    column = [term_of(spec) for spec in FAMILIES[family]]
    assert _rank_keys(column) is not None
    assert _rank_keys([*column, Literal("a", datatype=XSD + "string")]) is None


def test_a_column_of_plain_strings_is_sorted_by_its_text() -> None:
    column = [Literal("b"), Literal("a"), Literal("B"), Literal("a")]
    assert _rank_keys(column) == ["b", "a", "B", "a"]


def test_an_order_by_expression_keeps_the_engines_order() -> None:
    rows = [(Literal("b"),), (Literal("a"),)]
    assert _arranged(Result("SELECT", vars=["x"], rows=rows), None).rows == rows
    assert _arranged(Result("SELECT", vars=["x"], rows=rows), []).rows == rows[::-1]


# --- what the text of a query tells (the direct path on Oxigraph) ------------------------

NEEDS_THE_PARSE = [
    "SELECT ?s WHERE { SERVICE <https://example.org/sparql> { ?s ?p ?o } }",
    "SELECT ?s WHERE { ?s ?p ?o } # SERVICE in a comment",
    "SELECT ?s FROM <https://example.org/g> WHERE { ?s ?p ?o }",
    "SELECT ?s FROM NAMED <urn:g:1> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "DESCRIBE <urn:x:a>",
    "SELECT * WHERE { ?s ?p ?o }",
    "SELECT DISTINCT* WHERE { ?s ?p ?o }",
    "SELECT ?s WHERE { { SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 1 } }",
    "SELECT ?x WHERE { BIND (<https://example.org/fn>(1) AS ?x) }",
    "SELECT ?x WHERE { ?s ?p ?o BIND (xsd:date (?o) AS ?x) }",
    "SELECT ?x WHERE { ?s ?p ?x FILTER (?x<xsd:date(?x)&&?x>?x) }",
    "SELECT ?s WHERE { ?s ?p ?o } ORDER BY STR(?s)",
    "SELECT ?s WHERE { ?s ?p ?o } ORDER BY (?o + 1)",
    "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s ORDER BY ?o",
    "SELECT ?s WHERE { << ?s ?p ?o >> ?q ?z }",
    'SELECT ?s WHERE { ?s ?p "a"@en--ltr }',
    "SELECT ?s WHERE { ?s ?p ?o . LATERAL { SELECT ?s WHERE { ?s ?p ?o } } }",
    "SELECT ?s \\u0046ROM <https://example.org/g> WHERE { ?s ?p ?o }",
]
DIRECT = {
    "SELECT ?service WHERE { ?service a schema:Service }": ([], False),
    "SELECT ?s WHERE { ?s kg:issuedFrom ?o ; rdfs:label \"FROM DESCRIBE * (\" }": ([], False),
    "SELECT ?s ?l WHERE { ?s rdfs:label ?l } # FROM <x> ORDER BY STR(?l)\nORDER BY ?l": (
        [("l", False)], False),
    "SELECT ?s ?n WHERE { ?s ?p ?o } ORDER BY DESC (?n) ASC(?s) $o LIMIT 3": (
        [("n", True), ("s", False), ("o", False)], False),
    "SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY DESC (?o) ASC(?s) LIMIT 3": (
        [("o", True), ("s", False)], False),
    "select ?s (count(?o) as ?n) where { ?s ?p ?o } group by ?s order by ?n offset 1": (
        [("n", False)], True),
    "SELECT ?v WHERE { VALUES ?v { 1 2 } }": ([], True),
    "ASK { ?s kg:partOf ?o }": ([], False),
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }": ([], False),
}


@pytest.mark.parametrize("sparql", NEEDS_THE_PARSE)
def test_what_the_text_cannot_settle_goes_to_the_parse(sparql: str) -> None:
    assert _direct_plan(sparql) is None


@pytest.mark.parametrize(("sparql", "plan"), DIRECT.items())
def test_what_the_text_settles(sparql: str, plan: tuple) -> None:
    assert _direct_plan(sparql) == plan


@pytest.mark.parametrize("sparql", list(DIRECT))
def test_the_text_says_what_rdflibs_parse_says(sparql: str) -> None:
    parsed = _parse(sparql)
    keys, computes = _direct_plan(sparql)
    assert rdflib_only(parsed, sparql) is None and not _network_uses(parsed)
    if parsed.algebra.name == "SelectQuery":
        names = [str(name) for name in parsed.algebra["PV"]]
        by_place = None  # a key that is not selected: the engine's order, as for rdflib
        if all(name in names for name, _ in keys):
            by_place = [(names.index(name), descending) for name, descending in keys]
        assert by_place == _order_spec(parsed, names)
        assert computes or not _computed(parsed.algebra) & set(names)
