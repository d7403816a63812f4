"""The `kg` command line: a thin layer that parses options and calls the library."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import click
import typer

from kg import __version__
from kg.errors import E, KGError

T = TypeVar("T")
DEFAULT_GRAPH = Path("graphs/kg.ttl")
DEFAULT_PAGE = Path("graphs/kg.html")

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
        Path, typer.Option("--output", "-o", help="Where to write the graph.")
    ] = DEFAULT_GRAPH,
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="Output format (default: from the file suffix)."),
    ] = None,
    base: Annotated[
        str | None,
        typer.Option("--base", help="Base IRI for the graph's nodes (default: $KG_BASE or kg's)."),
    ] = None,
) -> None:
    """Build the graph from articles (text, HTML, JSON, JSONL, Python lists of HTML).

    Example: kg build seeds/ more-articles/ -o graphs/kg.ttl
    """
    from kg.build import build as run_build

    sources = paths or [Path("seeds")]
    bar = None
    if sys.stderr.isatty():
        bar = click.progressbar(length=0, label="extracting", file=sys.stderr, show_pos=True)

    def step(article: object) -> None:
        if bar is not None:
            bar.update(1)

    report = _run(lambda: run_build(sources, output, fmt, base, progress=step))
    if bar is not None:
        bar.render_finish()
    for warning in report.warnings:
        typer.echo(f"kg: warning: {warning}", err=True)
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
) -> None:
    """Run a SPARQL query over the graph.

    Examples: kg query rulings · kg query jurisdictions -f json ·
    kg query 'SELECT ?s WHERE { ?s a <https://w3id.org/kg-jp-partnership/ontology#Ruling> }'
    """
    from kg import query as q

    def run() -> str:
        text = q.resolve_query(query, stdin=sys.stdin)
        if fmt not in q.FORMATS:
            raise KGError(E.E103, name=fmt, choices=", ".join(sorted(q.FORMATS)))
        g = q.load_graph(graph)
        result = q.run_query(g, text, allow_network=allow_network, timeout_seconds=timeout)
        return q.format_result(result, fmt, graph=g)

    sys.stdout.write(_run(run))


@app.command()
def viz(
    graph: GraphOption = DEFAULT_GRAPH,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the page.")
    ] = DEFAULT_PAGE,
    max_nodes: Annotated[
        int | None, typer.Option("--max-nodes", help="Keep only the N most central nodes.")
    ] = None,
    focus: Annotated[
        str | None, typer.Option("--focus", help="Draw only this node's neighbourhood.")
    ] = None,
    depth: Annotated[int, typer.Option("--depth", help="Hops around --focus.")] = 1,
) -> None:
    """Write an interactive graph page that opens offline (one self-contained HTML file).

    Example: kg viz -g graphs/kg.ttl -o graphs/kg.html --focus Shibuya --depth 2
    """
    from kg import query as q
    from kg import viz as v

    def run() -> int:
        g = q.load_graph(graph)
        try:
            return v.write_page(g, output, max_nodes=max_nodes, focus=focus, depth=depth)
        except LookupError:
            raise KGError(E.E401, focus=focus) from None
        except ValueError as exc:
            raise KGError(E.E402, reason=exc) from None

    nodes = _run(run)
    typer.echo(f"{nodes} nodes -> {output}", err=True)


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
