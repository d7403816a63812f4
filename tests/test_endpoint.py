"""kg.endpoint and its commands (`kg query --endpoint`, `kg push`): against the session's
Virtuoso 7 server (tests/virtuoso.py), and against tiny local HTTP servers where the exact
request on the wire is what is tested."""
from __future__ import annotations

import http.server
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDFS
from typer.testing import CliRunner

from kg.cli import app
from kg.endpoint import graph_store_url, push, query_endpoint, with_prefixes
from kg.errors import KGError
from kg.query import FORMATS, load_graph, run_query
from kg.results import format_result

if TYPE_CHECKING:
    from virtuoso import Virtuoso

pytest_plugins = ["virtuoso"]

SEED_IRI = "urn:kg:test:seed"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
RULINGS = "CONSTRUCT { ?r ?p ?o } WHERE { ?r a kg:Ruling ; ?p ?o }"
EXTRA = "https://example.org/kg-test/"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever proxy the environment names, the test servers are on 127.0.0.1."""
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "127.0.0.1")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="module")
def seeded(virtuoso: Virtuoso, seed_ttl: Path) -> Virtuoso:
    """The server, with the seed graph pushed into ``SEED_IRI``."""
    push(seed_ttl, virtuoso.crud, SEED_IRI, user="dba", password=virtuoso.password, auth="digest")
    return virtuoso


@pytest.fixture
def graph_iri(request: pytest.FixtureRequest) -> str:
    """A named graph of the test's own, empty when the test starts."""
    return "urn:kg:test:" + re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")


@pytest.fixture(scope="module")
def extra_ttl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A three-triple graph that shares no triple with the seed graph."""
    graph = Graph()
    for name in ("a", "b", "c"):
        graph.add((URIRef(EXTRA + name), RDFS.label, Literal(f"extra {name}")))
    path = tmp_path_factory.mktemp("extra") / "extra.ttl"
    graph.serialize(path, format="turtle")
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cli_count(runner: CliRunner, server: Virtuoso, iri: str) -> int:
    """The number of triples in graph ``iri``, by `kg query --endpoint`."""
    args = ["query", COUNT, "--endpoint", server.sparql, "--default-graph", iri, "-f", "csv"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    header, value = result.stdout.splitlines()
    assert header == "n"
    return int(value)


def cli_push(runner: CliRunner, server: Virtuoso, path: Path, iri: str, *more: str):  # noqa: ANN201
    args = ["push", "-g", str(path), "--endpoint", server.crud, "--graph", iri,
            "--user", "dba", "--digest", *more]
    return runner.invoke(app, args, env={"KG_ENDPOINT_PASSWORD": server.password})


# --- push ----------------------------------------------------------------------------


def test_push_then_count(
    runner: CliRunner, virtuoso: Virtuoso, seed_ttl: Path, seed_graph: Graph, graph_iri: str
) -> None:
    assert cli_count(runner, virtuoso, graph_iri) == 0
    result = cli_push(runner, virtuoso, seed_ttl, graph_iri)
    assert result.exit_code == 0, result.output
    assert f"{len(seed_graph)} triples from {seed_ttl}" in result.stderr
    assert cli_count(runner, virtuoso, graph_iri) == len(seed_graph)


def test_push_replaces_the_graph(
    runner: CliRunner, virtuoso: Virtuoso, seed_ttl: Path, extra_ttl: Path, graph_iri: str
) -> None:
    assert cli_push(runner, virtuoso, seed_ttl, graph_iri).exit_code == 0
    result = cli_push(runner, virtuoso, extra_ttl, graph_iri)
    assert result.exit_code == 0, result.output
    assert "replaced the graph" in result.stderr
    assert cli_count(runner, virtuoso, graph_iri) == 3


def test_push_append_adds_to_the_graph(
    runner: CliRunner,
    virtuoso: Virtuoso,
    seed_ttl: Path,
    seed_graph: Graph,
    extra_ttl: Path,
    graph_iri: str,
) -> None:
    assert cli_push(runner, virtuoso, seed_ttl, graph_iri).exit_code == 0
    for _ in range(2):  # a graph is a set: the same triples twice are there once
        result = cli_push(runner, virtuoso, extra_ttl, graph_iri, "--append")
        assert result.exit_code == 0, result.output
        assert "added to the graph" in result.stderr
        assert cli_count(runner, virtuoso, graph_iri) == len(seed_graph) + 3


def test_push_with_a_wrong_password(
    runner: CliRunner, virtuoso: Virtuoso, extra_ttl: Path, graph_iri: str
) -> None:
    args = ["push", "-g", str(extra_ttl), "--endpoint", virtuoso.crud, "--graph", graph_iri,
            "--user", "dba", "--password", virtuoso.password + "-wrong", "--digest"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr.startswith("kg: [E603]") and "'dba'" in result.stderr
    assert virtuoso.password not in result.stderr
    assert cli_count(runner, virtuoso, graph_iri) == 0


def test_push_basic_where_digest_is_asked(virtuoso: Virtuoso, extra_ttl: Path) -> None:
    with pytest.raises(KGError, match=r"\[E603\].*pass --digest"):
        push(extra_ttl, virtuoso.crud, "urn:kg:test:basic", user="dba", password="x")


def test_push_without_credentials(virtuoso: Virtuoso, extra_ttl: Path) -> None:
    with pytest.raises(KGError, match=r"\[E604\].*--user and --password"):
        push(extra_ttl, virtuoso.crud, "urn:kg:test:anonymous")


def test_push_to_a_missing_store(virtuoso: Virtuoso, extra_ttl: Path) -> None:
    with pytest.raises(KGError, match=r"\[E602\] .*/no-such-store answered HTTP [45]\d\d "):
        push(extra_ttl, f"{virtuoso.url}/no-such-store", "urn:kg:test:nowhere")


def test_http_error_shows_the_first_line(virtuoso: Virtuoso) -> None:
    with pytest.raises(KGError, match=r"\[E602\].*HTTP 404 Not Found: \w.+") as raised:
        query_endpoint(f"{virtuoso.url}/no-such-endpoint", COUNT)
    assert "<" not in str(raised.value)  # the text of the HTML error page, not its markup


def test_push_converts_other_formats(
    virtuoso: Virtuoso, extra_ttl: Path, tmp_path: Path, graph_iri: str
) -> None:
    quads = tmp_path / "extra.nq"
    quads.write_text(Graph().parse(extra_ttl).serialize(format="nt"), encoding="utf-8")
    report = push(quads, virtuoso.crud, graph_iri, user="dba", password=virtuoso.password,
                  auth="digest")
    assert report.triples == 3 and report.status in (200, 201, 204)
    answer = query_endpoint(virtuoso.sparql, COUNT, default_graphs=[graph_iri])
    assert answer.rows[0][0].toPython() == 3


def test_push_checks_the_file_before_sending(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> .\n", encoding="utf-8")
    # the port is closed: a connection attempt would be E601
    with pytest.raises(KGError, match=r"\[E302\]"):
        push(broken, f"http://127.0.0.1:{_free_port()}/store")


def test_push_refuses_a_graph_name_that_is_not_an_iri(extra_ttl: Path) -> None:
    with pytest.raises(KGError, match=r"\[E610\]"):
        push(extra_ttl, "http://127.0.0.1:9/store", graph_iri="graphs/kg.ttl")


def test_graph_store_url() -> None:
    assert graph_store_url("http://h/store") == "http://h/store?default"
    assert graph_store_url("http://h/store", "urn:x:a b") == "http://h/store?graph=urn%3Ax%3Aa+b"
    assert graph_store_url("http://h/s?key=1#top", "urn:y") == "http://h/s?key=1&graph=urn%3Ay"


# --- the request on the wire -------------------------------------------------------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Records each request and answers it with the server's ``status`` and ``body``."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.server.seen.append((self.command, self.path, dict(self.headers),  # type: ignore[attr-defined]
                                 self.rfile.read(length)))
        status, content_type, body = self.server.reply  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def recorder() -> Iterator[http.server.HTTPServer]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    server.seen = []  # type: ignore[attr-defined]
    server.reply = (204, "text/plain", b"")  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.mark.parametrize(("replace", "method"), [(True, "PUT"), (False, "POST")])
def test_push_request(
    recorder: http.server.HTTPServer, extra_ttl: Path, replace: bool, method: str
) -> None:
    url = f"http://127.0.0.1:{recorder.server_port}/store"
    report = push(extra_ttl, url, "urn:g", replace=replace, user="u", password="p:w")
    assert report.status == 204 and report.triples == 3
    [(command, path, headers, body)] = recorder.seen  # type: ignore[attr-defined]
    assert (command, path) == (method, "/store?graph=urn%3Ag")
    assert headers["Content-Type"] == "text/turtle"
    assert headers["Authorization"] == "Basic dTpwOnc="  # base64 of u:p:w
    assert body == extra_ttl.read_bytes()


def test_query_request(recorder: http.server.HTTPServer) -> None:
    recorder.reply = (200, "application/sparql-results+json",  # type: ignore[attr-defined]
                      b'{"head": {"vars": ["n"]}, "results": {"bindings": []}}')
    url = f"http://127.0.0.1:{recorder.server_port}/sparql"
    answer = query_endpoint(url, "SELECT ?n WHERE { ?n a kg:Ruling }", default_graphs=["urn:g"])
    assert answer.kind == "SELECT" and answer.vars == ["n"] and answer.rows == []
    [(command, path, headers, body)] = recorder.seen  # type: ignore[attr-defined]
    assert (command, path) == ("POST", "/sparql")
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["Accept"] == "application/sparql-results+json"
    assert "Authorization" not in headers
    assert body.startswith(b"query=PREFIX+kg%3A+%3Chttps%3A%2F%2Fw3id.org")
    assert body.endswith(b"&default-graph-uri=urn%3Ag")


def test_query_answer_that_is_not_results(recorder: http.server.HTTPServer) -> None:
    recorder.reply = (200, "text/html", b"<html><p>Log in first</p></html>")  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{recorder.server_port}/sparql"
    with pytest.raises(KGError, match=r"\[E607\].*Log in first"):
        query_endpoint(url, "SELECT * WHERE { ?s ?p ?o }")


# --- query -----------------------------------------------------------------------------


def test_query_rulings_on_the_endpoint(runner: CliRunner, seeded: Virtuoso) -> None:
    args = ["query", "rulings", "--endpoint", seeded.sparql, "--default-graph", SEED_IRI]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Osaka" in result.stdout and "Sapporo" in result.stdout


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_endpoint_output_is_kg_output(
    runner: CliRunner, seeded: Virtuoso, seed_ttl: Path, fmt: str
) -> None:
    remote = runner.invoke(app, ["query", "rulings", "-f", fmt, "--endpoint", seeded.sparql,
                                 "--default-graph", SEED_IRI])
    here = runner.invoke(app, ["query", "rulings", "-f", fmt, "-g", str(seed_ttl)])
    assert remote.exit_code == 0 and here.exit_code == 0, remote.output + here.output
    assert remote.stdout == here.stdout


def test_get_and_post_agree(seeded: Virtuoso) -> None:
    sparql = "SELECT ?court ?date WHERE { ?r kg:court/rdfs:label ?court ; kg:rulingDate ?date }"
    posted = query_endpoint(seeded.sparql, sparql, default_graphs=[SEED_IRI])
    got = query_endpoint(seeded.sparql, sparql, default_graphs=[SEED_IRI], method="get")
    assert len(posted.rows) == 2 and posted == got


def test_ask(seeded: Virtuoso) -> None:
    yes = query_endpoint(seeded.sparql, "ASK { ?r a kg:Ruling }", default_graphs=[SEED_IRI])
    no = query_endpoint(seeded.sparql, "ASK { ?r a kg:Nothing }", default_graphs=[SEED_IRI])
    assert (yes.kind, yes.boolean, no.boolean) == ("ASK", True, False)
    assert format_result(yes, "json") == format_result(run_query(Graph(), "ASK {}"), "json")


def test_construct(seeded: Virtuoso, seed_graph: Graph) -> None:
    remote = query_endpoint(seeded.sparql, RULINGS, default_graphs=[SEED_IRI])
    here = run_query(seed_graph, RULINGS)
    assert remote.kind == "CONSTRUCT" and len(remote.graph) > 5
    assert isomorphic(remote.graph, here.graph)


def test_unordered_rows_are_sorted(seeded: Virtuoso, seed_ttl: Path) -> None:
    sparql = "SELECT ?label WHERE { ?j a kg:Municipality ; rdfs:label ?label }"
    remote = query_endpoint(seeded.sparql, sparql, default_graphs=[SEED_IRI])
    assert len(remote.rows) > 1
    assert remote.rows == run_query(load_graph(seed_ttl), sparql).rows


def test_endpoint_syntax_error(seeded: Virtuoso) -> None:
    # rdflib cannot read this either, so it goes to the endpoint to judge
    with pytest.raises(KGError, match=r"\[E602\].*HTTP 400 Bad Request: .*syntax error"):
        query_endpoint(seeded.sparql, "SELECT WHERE { ?s }")


def test_connection_refused() -> None:
    url = f"http://127.0.0.1:{_free_port()}/sparql"
    with pytest.raises(KGError, match=r"\[E601\] cannot connect to .*: Connection refused"):
        query_endpoint(url, COUNT)


def test_timeout() -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/sparql"
        with pytest.raises(KGError, match=r"\[E606\] .* did not answer within 0.3 s"):
            query_endpoint(url, COUNT, timeout=0.3)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "localhost:8890"])
def test_only_http_urls(url: str) -> None:
    with pytest.raises(KGError, match=r"\[E605\]"):
        query_endpoint(url, COUNT)


@pytest.mark.parametrize(("update", "what"), [
    ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "INSERT DATA"),
    ("PREFIX ex: <urn:select#> DELETE WHERE { ?s ex:p ?o } ; oops", "DELETE"),  # rdflib fails
])
def test_updates_are_refused_before_sending(update: str, what: str) -> None:
    url = f"http://127.0.0.1:{_free_port()}/sparql"  # closed: sending would be E601
    with pytest.raises(KGError, match=rf"\[E107\] SPARQL Update \({what}\)"):
        query_endpoint(url, update)


def test_user_needs_a_password() -> None:
    with pytest.raises(KGError, match=r"\[E608\]"):
        query_endpoint("http://127.0.0.1:9/sparql", COUNT, user="dba")


def test_unknown_authentication() -> None:
    with pytest.raises(KGError, match=r"\[E609\] unknown authentication 'ntlm'"):
        query_endpoint("http://127.0.0.1:9/sparql", COUNT, user="u", password="p", auth="ntlm")


def test_with_prefixes() -> None:
    assert with_prefixes("ASK { ?x a kg:Ruling }").startswith(
        "PREFIX kg: <https://w3id.org/kg-jp-partnership/ontology#>\nASK"
    )
    declared = "PREFIX kg: <urn:mine#>\nASK { ?x a kg:Ruling }"
    assert with_prefixes(declared) == declared
    unused = "ASK { ?x <urn:p> 'kg: not a prefix' }  # nor rdfs: here"
    assert with_prefixes(unused) == unused
    commented = "# PREFIX kg: <urn:old#>\nASK { ?x a kg:Ruling }"
    assert with_prefixes(commented).startswith("PREFIX kg: <https://w3id.org/")


def test_default_graph_needs_an_endpoint(runner: CliRunner, seed_ttl: Path) -> None:
    result = runner.invoke(app, ["query", "rulings", "-g", str(seed_ttl),
                                 "--default-graph", SEED_IRI])
    assert result.exit_code == 2 and "[E402]" in result.stderr
