"""The `kg` command line: a thin layer that parses options and calls the library."""

from __future__ import annotations

import logging
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import click
import typer

from kg import __version__
from kg.errors import E, KGError

if TYPE_CHECKING:
    from kg.build import BuildReport

T = TypeVar("T")
DEFAULT_GRAPH = Path("graphs/kg.ttl")
DEFAULT_PAGE = Path("graphs/kg.html")
DEFAULT_ONTOLOGY_PAGE = Path("graphs/ontology.html")

app = typer.Typer(
    name="kg",
    help="Build, query and draw a knowledge graph of same-sex partnership recognition in Japan "
    "from news articles.\n\nExample: kg build seeds -o graphs/kg.ttl && kg query rulings",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
_state = {"debug": False}

GraphOption = Annotated[Path, typer.Option("--graph", "-g", help="The graph file to read.")]
BaseOption = Annotated[
    str | None,
    typer.Option("--base", help="Base IRI for the graph's nodes (default: $KG_BASE or kg's)."),
]


def _run(action: Callable[[], T]) -> T:
    """Call the library; turn kg's own errors into a one-line message and exit status."""
    try:
        return action()
    except KGError as exc:
        if _state["debug"]:
            traceback.print_exc()
        typer.echo(f"kg: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kg {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Show the version and exit.", is_eager=True, callback=_version
        ),
    ] = False,
) -> None:
    _state["debug"] = debug


@app.command()
def build(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Article files or folders (default: seeds/).")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Where to write the graph (default: graphs/kg.ttl; with --shard I/N, "
            "graphs/part-I-of-N.facts.jsonl).",
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format: turtle, nt, trig, nq or jsonld (default: from the file "
            "suffix .ttl .nt .trig .nq .jsonld).",
        ),
    ] = None,
    base: BaseOption = None,
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            help="Read and extract only share I of N (e.g. 2/3) and write its facts for "
            "`kg merge` (PART.facts.jsonl), to build a big corpus on N machines.",
        ),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            help="Read and extract in this many processes (e.g. one per core); the graph is "
            "the same.",
        ),
    ] = 1,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Neither read nor write the build cache ($KG_CACHE_DIR, default "
            "~/.cache/kg), which keeps what each file and article gave, so that a rebuild "
            "redoes only what changed.",
        ),
    ] = False,
) -> None:
    """Build the graph from articles (text, HTML, JSON, JSONL, Python lists of HTML).

    TriG, N-Quads and JSON-LD hold one named graph per article.

    Examples: kg build seeds/ more-articles/ -o graphs/kg.ttl ·
    kg build seeds/ -f trig -o graphs/kg.trig ·
    kg build corpus/ --jobs 4 ·
    kg build corpus/ --shard 2/3 -o part-2.facts.jsonl (then kg merge)
    """
    sources = paths or [Path("seeds")]
    bars: list[Any] = []  # made when the number of articles is known

    def step(done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        if not bars:
            bars.append(click.progressbar(length=total, label="extracting", file=sys.stderr,
                                          show_pos=True, show_eta=True))
        bars[0].update(done - bars[0].pos)

    def run() -> BuildReport:
        from kg.cache import Cache

        cache = None if no_cache else Cache()
        if shard is not None:
            from kg.shard import build_shard

            return build_shard(
                sources, shard, output, fmt, progress=step, base=base, jobs=jobs, cache=cache
            )
        from kg.build import build as run_build

        return run_build(
            sources, output or DEFAULT_GRAPH, fmt, base, progress=step, jobs=jobs, cache=cache
        )

    report = _run(_guarded(run))
    if bars:
        bars[0].render_finish()
    _report(report)


@app.command()
def merge(
    parts: Annotated[
        list[Path], typer.Argument(help="The facts files of `kg build --shard`, all N shares.")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the graph.")
    ] = DEFAULT_GRAPH,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", "-f", help="turtle, nt, trig, nq or jsonld (default: from the suffix)."
        ),
    ] = None,
    base: BaseOption = None,
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            help="Write only share I of N of the graph (the named graphs of its articles), "
            "e.g. to bulk-load N-Quads into a clustered store from N machines.",
        ),
    ] = None,
) -> None:
    """Resolve the facts of all shares together and write the graph one build would write.

    Example: kg merge part-*.facts.jsonl -o graphs/kg.nq
    """
    from kg.shard import merge as run_merge

    _report(_run(_guarded(lambda: run_merge(parts, output, fmt, base, shard))))


def _guarded(action: Callable[[], T]) -> Callable[[], T]:
    """``action`` as a build runs it: any failure is one line (E706; E707 for Ctrl-C or
    SIGTERM, after which the output is left as it was); with --debug the traceback of each
    warning and error is printed too."""

    def run() -> T:
        logger = logging.getLogger("kg")
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("kg: debug: %(message)s"))
        level = logger.level
        if _state["debug"]:
            logger.addHandler(handler)
            logger.setLevel(logging.DEBUG)
        in_main_thread = threading.current_thread() is threading.main_thread()
        if in_main_thread:
            previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            return action()
        except KGError:
            raise
        except Exception as exc:
            error = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
            raise KGError(E.E706, error=error) from exc
        except KeyboardInterrupt:
            raise KGError(E.E707, exit_code=130) from None
        finally:
            if in_main_thread:
                signal.signal(signal.SIGTERM, previous)
            logger.removeHandler(handler)
            logger.setLevel(level)

    return run


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # unwinds like Ctrl-C: temporary files are removed on the way


def _report(report: BuildReport) -> None:
    for warning in report.warnings:
        # one line each, even for a file name with a line break in it
        typer.echo(f"kg: warning: {warning}".replace("\n", "\\n"), err=True)
    typer.echo(report.summary(), err=True)


@app.command()
def query(
    query: Annotated[
        str,
        typer.Argument(
            help="A name from queries/ (e.g. rulings), a .rq file, SPARQL text, or - for stdin."
        ),
    ],
    graph: GraphOption = DEFAULT_GRAPH,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json, csv or tsv.")] = "table",
    allow_network: Annotated[
        bool, typer.Option("--allow-network", help="Allow SERVICE, LOAD and remote FROM.")
    ] = False,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Stop the query after this many seconds.")
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="oxigraph (fast on large graphs) or rdflib; both give the same answers.",
        ),
    ] = "oxigraph",
    endpoint: Annotated[
        str | None,
        typer.Option(
            "--endpoint", help="Run the query on this remote SPARQL endpoint, not on -g."
        ),
    ] = None,
    default_graphs: Annotated[
        list[str] | None,
        typer.Option(
            "--default-graph", help="With --endpoint: the graph IRI to query (repeatable)."
        ),
    ] = None,
) -> None:
    """Run a SPARQL query over the graph, or over a remote SPARQL endpoint.

    Examples: kg query rulings · kg query jurisdictions -f json ·
    kg query 'SELECT ?s WHERE { ?s a <https://w3id.org/kg-jp-partnership/ontology#Ruling> }' ·
    kg query rulings --endpoint http://localhost:8890/sparql --default-graph urn:kg ·
    kg query rulings --engine rdflib
    """
    from kg import query as q

    def run() -> str:
        text = q.resolve_query(query, stdin=sys.stdin)
        if fmt not in q.FORMATS:
            raise KGError(E.E103, name=fmt, choices=", ".join(sorted(q.FORMATS)))
        if endpoint is not None:
            from kg.endpoint import DEFAULT_TIMEOUT, query_endpoint

            seconds = DEFAULT_TIMEOUT if timeout is None else timeout
            answer = query_endpoint(endpoint, text, default_graphs or (), timeout=seconds)
            return q.format_result(answer, fmt, graph=answer.graph)
        if default_graphs:
            raise KGError(E.E402, reason="--default-graph needs --endpoint")
        g = q.open_graph(graph, engine=engine)
        result = q.run_query(
            g, text, allow_network=allow_network, timeout_seconds=timeout, engine=engine
        )
        return q.format_result(result, fmt, graph=g)

    sys.stdout.write(_run(run))


@app.command()
def push(
    endpoint: Annotated[
        str, typer.Option("--endpoint", help="The SPARQL 1.1 Graph Store endpoint URL.")
    ],
    source: Annotated[
        Path, typer.Option("--file", "-g", help="The graph file to upload.")
    ] = DEFAULT_GRAPH,
    graph_iri: Annotated[
        str | None,
        typer.Option("--graph", help="The named graph to write (default: the default graph)."),
    ] = None,
    append: Annotated[
        bool, typer.Option("--append", help="Add to the graph (POST) instead of replacing it.")
    ] = False,
    user: Annotated[str | None, typer.Option("--user", help="User name to log in.")] = None,
    password: Annotated[
        str | None,
        typer.Option("--password", envvar="KG_ENDPOINT_PASSWORD", help="Password for --user."),
    ] = None,
    digest: Annotated[
        bool, typer.Option("--digest", help="HTTP Digest authentication (default: Basic).")
    ] = False,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Give up after this many seconds.")
    ] = None,
) -> None:
    """Upload the graph to a triplestore (SPARQL 1.1 Graph Store HTTP Protocol).

    Example: kg push -g graphs/kg.ttl --endpoint http://localhost:8890/sparql-graph-crud-auth
    --graph urn:kg --user dba --digest (password from $KG_ENDPOINT_PASSWORD)
    """
    from kg.endpoint import DEFAULT_TIMEOUT
    from kg.endpoint import push as run_push

    report = _run(
        lambda: run_push(
            source,
            endpoint,
            graph_iri,
            replace=not append,
            user=user,
            password=password if user is not None else None,
            auth="digest" if digest else "basic",
            timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
        )
    )
    typer.echo(report.summary(), err=True)


@app.command()
def viz(
    graph: Annotated[
        Path | None,
        typer.Option(
            "--graph", "-g", help="The graph file to read (with --ontology: the ontology file)."
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help=f"Where to write the page (default {DEFAULT_PAGE}, "
            f"with --ontology {DEFAULT_ONTOLOGY_PAGE}).",
        ),
    ] = None,
    max_nodes: Annotated[
        int | None, typer.Option("--max-nodes", help="Keep only the N most central nodes.")
    ] = None,
    focus: Annotated[
        str | None, typer.Option("--focus", help="Draw only this node's neighbourhood.")
    ] = None,
    depth: Annotated[int, typer.Option("--depth", help="Hops around --focus.")] = 1,
    ontology: Annotated[
        bool,
        typer.Option(
            "--ontology",
            help="Draw the ontology (ontology/kg.ttl): its classes, and its properties as "
            "links from domain to range.",
        ),
    ] = False,
) -> None:
    """Write an interactive graph page that opens offline (one self-contained HTML file).

    Examples: kg viz -g graphs/kg.ttl -o graphs/kg.html --focus Shibuya --depth 2 ·
    kg viz --ontology -o /tmp/ontology.html
    """
    from kg import query as q
    from kg import viz as v

    def run() -> tuple[int, Path]:
        if ontology:
            from kg.validate import ontology_path

            chosen = [
                name
                for name, value in (("--max-nodes", max_nodes), ("--focus", focus))
                if value is not None
            ]
            if chosen:
                raise KGError(E.E403, options=" and ".join(chosen))
            source = graph or ontology_path()
            if not source.is_file():
                raise KGError(E.E404, path=source)
            out = output or DEFAULT_ONTOLOGY_PAGE
            return v.write_ontology_page(q.load_graph(source), out), out
        g = q.load_graph(graph or DEFAULT_GRAPH)
        out = output or DEFAULT_PAGE
        try:
            return v.write_page(g, out, max_nodes=max_nodes, focus=focus, depth=depth), out
        except LookupError:
            raise KGError(E.E401, focus=focus) from None
        except ValueError as exc:
            raise KGError(E.E402, reason=exc) from None

    nodes, out = _run(run)
    typer.echo(f"{nodes} {'classes' if ontology else 'nodes'} -> {out}", err=True)


@app.command()
def validate(graph: GraphOption = DEFAULT_GRAPH) -> None:
    """Check the graph against the SHACL shapes in ontology/shapes.ttl (exit 1 on violations).

    Example: kg validate -g graphs/kg.ttl
    """
    from kg import query as q
    from kg.validate import shapes_path
    from kg.validate import validate as run_validate

    def run() -> None:
        report = run_validate(q.load_graph(graph))
        if not report.conforms:
            raise KGError(E.E301, exit_code=1, shapes=shapes_path(), report=report.text)

    _run(run)
    typer.echo(f"{graph} conforms to {shapes_path().name}", err=True)


@app.command("eval")
def evaluate(
    gold: Annotated[
        Path, typer.Option("--gold", help="Gold answers (JSON, the format of score.py).")
    ],
    queries: Annotated[Path, typer.Option("--queries", help="Folder of <cq>.rq files.")] = Path(
        "queries"
    ),
    graph: GraphOption = DEFAULT_GRAPH,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="List wrong and missed rows.")
    ] = False,
) -> None:
    """Score the graph against gold answers to the competency questions.

    Example: kg eval --gold tests/data/heldout/gold.json -g /tmp/heldout.ttl --verbose
    """
    from kg.evaluate import evaluate as run_eval

    def run() -> str:
        for path, code in ((gold, E.E001), (graph, E.E104)):
            if not path.exists():
                raise KGError(code, path=path)
        return run_eval(graph, gold, queries).table(verbose=verbose)

    typer.echo(_run(run))


def main() -> None:
    app()
