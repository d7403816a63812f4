"""Run SPARQL over a built graph: find the query, load the graph, run it safely.

Safety: by default a query may not reach the network. SERVICE, LOAD and FROM / FROM
NAMED / USING with an IRI that is neither a graph in the loaded file nor a local file are
refused from the parsed algebra before anything runs (rdflib would fetch such IRIs over
HTTP). As a second line, while a query runs or a graph loads an audit hook refuses any
socket connection and any urllib request other than file: (it is installed once and
does nothing outside those moments).

Engines (``ENGINES``): "oxigraph", the default, runs queries in Rust on a pyoxigraph Store
(kg.engine), orders of magnitude faster than rdflib on large graphs; "rdflib" is rdflib's
own evaluator. Both give the same answer, term for term: every query is checked and
its rows ordered here, by the same code. What Oxigraph would do differently runs on
rdflib, whichever engine is chosen (see ``rdflib_only``): DESCRIBE (rdflib's Concise
Bounded Description, which includes reifications), SERVICE once allowed (Oxigraph's own
HTTP client is never used, so the network guard covers every request), FROM / FROM NAMED
graphs the file does not hold (rdflib reads them), extension functions (only rdflib knows
the ones registered with it), and a query Oxigraph's parser rejects but rdflib's reads.

Parsing with rdflib costs more than Oxigraph takes to answer most queries, so on a loaded
Oxigraph store a query whose text shows none of the above (no SERVICE, FROM, DESCRIBE,
function called by IRI, SELECT *, subquery, ORDER BY expression: ``_direct_plan``) runs
there directly; an update or a syntax error is rejected by Oxigraph's parser, and then,
as any other query, it is parsed by rdflib, checked and reported (E107, E102 with line
and column) or run (``_run_checked``). Its rows are made rdflib terms in one pass
(kg.engine.make_literal) and ordered with sort keys equivalent to rdflib's comparisons.
"""

from __future__ import annotations

import contextvars
import ctypes
import datetime
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import TextIO, TypeVar
from urllib.parse import urlsplit

import pyoxigraph
import rdflib
from pyparsing import ParseBaseException, ParseResults
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.plugins.sparql.algebra import translateQuery, translateUpdate
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query, Update
from rdflib.term import _NUMERIC_LITERAL_TYPES, _TOTAL_ORDER_CASTERS, Node, Variable

import kg
from kg import engine as oxigraph
from kg.engine import XSD_STRING, OxigraphGraph
from kg.errors import E, KGError
from kg.namespaces import PREFIXES
from kg.results import FORMATS, Result, format_result

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "FORMATS",
    "QUERIES_DIR",
    "Engine",
    "OxigraphGraph",
    "Result",
    "format_result",
    "load_graph",
    "load_store",
    "named_queries",
    "open_graph",
    "rdflib_only",
    "resolve_query",
    "run_query",
]

QUERIES_DIR = Path(kg.__file__).parent.parent / "queries"
QUERY_SUFFIXES = (".rq", ".sparql")
#: The engine of ``run_query`` and ``kg query`` unless one is named (see ``ENGINES``).
DEFAULT_ENGINE = "oxigraph"

# Words that only SPARQL text (not a query name or a file path) contains. The update
# words are here so that `kg query "LOAD <...>"` is refused as what it is (E105, E107).
_SPARQL_KEYWORD = re.compile(
    r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE|PREFIX|BASE"
    r"|LOAD|INSERT|DELETE|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)\b",
    re.IGNORECASE,
)

# suffix -> (rdflib format, name for people, holds named graphs)
GRAPH_FORMATS: dict[str, tuple[str, str, bool]] = {
    ".ttl": ("turtle", "Turtle", False),
    ".nt": ("nt", "N-Triples", False),
    ".trig": ("trig", "TriG", True),
    ".nq": ("nquads", "N-Quads", True),
    ".jsonld": ("json-ld", "JSON-LD", True),
}
# rdflib's own errors for these formats carry no line number; pyoxigraph's do.
_OXIGRAPH_FORMATS = {"nt": pyoxigraph.RdfFormat.N_TRIPLES, "nquads": pyoxigraph.RdfFormat.N_QUADS}

# IRI schemes rdflib reads without the network (no scheme: a relative file path).
LOCAL_SCHEMES = frozenset({"", "file"})

# Algebra nodes between a SELECT and its ORDER BY (solution modifiers, outermost first).
_MODIFIERS = frozenset({"Slice", "Distinct", "Reduced", "Project"})

_NUMERIC_DATATYPES = frozenset(str(datatype) for datatype in _NUMERIC_LITERAL_TYPES)
# The group of numbers in ``_rank_keys`` (not an IRI, so it sorts nowhere among them)
_NUMBER = "number"
# Types of literal values that Python orders totally, as rdflib compares them
_ORDERED_VALUES = frozenset(
    {str, bytes, bool, int, Decimal, datetime.date, datetime.datetime, datetime.time,
     datetime.timedelta}
)

# How long a stopped query may take to notice it was stopped.
_STOP_GRACE_SECONDS = 2.0

T = TypeVar("T")


# --- finding the query -----------------------------------------------------------


def named_queries(queries_dir: Path | None = None) -> dict[str, Path]:
    """Every ``*.rq`` file in ``queries_dir`` (default ``QUERIES_DIR``) by name, sorted."""
    folder = QUERIES_DIR if queries_dir is None else queries_dir
    if not folder.is_dir():
        return {}
    return {path.stem: path for path in sorted(folder.glob("*.rq")) if path.is_file()}


def resolve_query(query: str, queries_dir: Path | None = None, stdin: TextIO | None = None) -> str:
    """The SPARQL text that ``query`` stands for.

    ``query`` is, tried in this order: "-" to read stdin; the name of a ``queries/*.rq``
    file ("rulings"); a path to a query file; inline SPARQL text (anything containing a
    SELECT/ASK/CONSTRUCT/DESCRIBE/PREFIX/BASE keyword and a space or brace, so that a
    mistyped name like "select-places" is not taken for SPARQL). Anything else is an
    unknown name.
    """
    if query == "-":
        text = (sys.stdin if stdin is None else stdin).read()
        return _not_empty(text, "<stdin>")
    names = named_queries(queries_dir)
    if query in names:
        return _read_query(names[query])
    if _could_be_path(query) and (query.endswith(QUERY_SUFFIXES) or _is_file(query)):
        return _read_query(Path(query))
    if _SPARQL_KEYWORD.search(query) and re.search(r"[\s{]", query):
        return query
    raise KGError(E.E101, name=query, choices=", ".join(names) or "(none)")


def _could_be_path(text: str) -> bool:
    return "\n" not in text and "{" not in text


def _is_file(text: str) -> bool:
    try:
        return Path(text).is_file()
    except (OSError, ValueError):  # too long, or a NUL byte: not a path
        return False


def _read_query(path: Path) -> str:
    if not path.is_file():
        raise KGError(E.E001, path=path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise KGError(E.E002, path=path, reason=error) from error
    return _not_empty(text, path)


def _not_empty(text: str, where: object) -> str:
    if not text.strip():
        raise KGError(E.E003, path=where)
    return text


# --- loading the graph -------------------------------------------------------------


def load_graph(path: Path) -> Dataset | Graph:
    """The graph in ``path``, its format guessed from the suffix.

    Formats with named graphs (TriG, N-Quads, JSON-LD) give a Dataset whose default graph
    is the union of all graphs, so queries without GRAPH see every triple.
    """
    path = Path(path)
    rdflib_format, format_name, quads = _graph_format(path)
    graph: Dataset | Graph = Dataset(default_union=True) if quads else Graph()
    try:
        with _offline():
            graph.parse(path, format=rdflib_format)
    except _NetworkRefused as refused:
        reason = f"it needs {refused.what}, and kg does not fetch anything"
        raise KGError(E.E302, path=path, format=format_name, reason=reason) from None
    except OSError as error:
        raise KGError(E.E002, path=path, reason=error) from error
    except Exception as error:  # each rdflib parser raises its own kind
        reason = _parse_error_reason(error, path, rdflib_format)
        raise KGError(E.E302, path=path, format=format_name, reason=reason) from error
    return graph


def load_store(path: Path) -> OxigraphGraph:
    """The graph in ``path`` in an Oxigraph store (kg.engine), for the oxigraph engine.

    The formats and errors of ``load_graph``; a file with named graphs gets a default graph
    that is their union. A file Oxigraph rejects is read by ``load_graph``: it reports the
    error as before, or reads what Oxigraph will not (a JSON-LD remote @context, which it
    then refuses to fetch: E302), and what it reads is copied into the store.
    """
    path = Path(path)
    _, format_name, _ = _graph_format(path)
    try:
        return oxigraph.from_file(path, load_graph)
    except SyntaxError as error:
        rejected = error.msg
    except OSError as error:
        raise KGError(E.E002, path=path, reason=error) from error
    read = load_graph(path)
    try:
        return oxigraph.from_rdflib(read)
    except ValueError:
        reason = f"{rejected} (rdflib reads it: try --engine rdflib)"
        raise KGError(E.E302, path=path, format=format_name, reason=reason) from None


def _graph_format(path: Path) -> tuple[str, str, bool]:
    """(rdflib format, name for people, holds named graphs) of the graph file ``path``."""
    if not path.is_file():
        raise KGError(E.E104, path=path)
    known = GRAPH_FORMATS.get(path.suffix.lower())
    if known is None:
        raise KGError(
            E.E302,
            path=path,
            format="RDF",
            reason=f"unknown suffix {path.suffix!r}; kg reads {', '.join(GRAPH_FORMATS)}",
        )
    return known


def _parse_error_reason(error: Exception, path: Path, rdflib_format: str) -> str:
    if isinstance(error, SyntaxError) and hasattr(error, "_why"):
        # rdflib's Turtle/TriG BadSyntax: its str() dumps a bytes repr of the input
        return f"line {error.lines + 1}: {error._why}"
    if rdflib_format in _OXIGRAPH_FORMATS:
        try:
            for _ in pyoxigraph.parse(path=str(path), format=_OXIGRAPH_FORMATS[rdflib_format]):
                pass
        except SyntaxError as located:
            return located.msg
    return str(error)


# --- running the query -----------------------------------------------------------


def run_query(
    graph: Graph | OxigraphGraph,
    sparql: str,
    allow_network: bool = False,
    timeout_seconds: float | None = None,
    engine: str | None = None,
) -> Result:
    """Run a SELECT, ASK, CONSTRUCT or DESCRIBE query over ``graph`` with ``engine``.

    ``graph`` is what ``open_graph`` (or ``load_graph`` / ``load_store``) returns; an engine
    given the other kind of graph copies it. ``engine`` is a name in ``ENGINES`` (default
    ``DEFAULT_ENGINE``). The kg prefixes (kg:, schema:, rdfs:, ...) are predeclared; the
    query's own PREFIX lines win. SELECT rows keep the query's ORDER BY, rows it leaves
    tied in a fixed order; without one they are sorted, so the same graph always prints
    the same. ``timeout_seconds`` stops a query that runs longer (E106).

    A query for a loaded Oxigraph store runs there at once when its text shows that none
    of the checks needs rdflib's parse (``_direct_plan``); otherwise, or when Oxigraph
    rejects it or fails on it, it is parsed by rdflib, checked and run (``_run_checked``).
    """
    chosen = _engine(DEFAULT_ENGINE if engine is None else engine)
    if chosen.run is _run_oxigraph and isinstance(graph, OxigraphGraph):
        direct = _run_direct(graph, sparql, timeout_seconds)
        if direct is not None:
            return direct
    return _run_checked(graph, sparql, allow_network, timeout_seconds, chosen)


def _run_checked(
    graph: Graph | OxigraphGraph,
    sparql: str,
    allow_network: bool,
    seconds: float | None,
    chosen: Engine,
) -> Result:
    """The query parsed by rdflib, checked (network, updates) and run with ``chosen``, or
    with rdflib for what only rdflib does (``rdflib_only``)."""
    parsed = _parse(sparql)
    held = _graph_names(graph)
    if not allow_network:
        uses = _network_uses(parsed, held)
        if uses:
            raise KGError(E.E105, what=", ".join(uses))
    if isinstance(parsed, Update):
        raise KGError(E.E107, what=", ".join(_update_operations(parsed)))
    if chosen.name != "rdflib" and rdflib_only(parsed, sparql, held):
        chosen = ENGINES["rdflib"]
    result = chosen.run(graph, parsed, sparql, allow_network, seconds)
    return _arranged(result, _order_spec(parsed, result.vars))


def open_graph(path: Path, engine: str = DEFAULT_ENGINE) -> Graph | OxigraphGraph:
    """The graph in ``path``, loaded the way ``engine`` queries it."""
    return _engine(engine).load(Path(path))


def _engine(name: str) -> Engine:
    chosen = ENGINES.get(name)
    if chosen is None:
        raise KGError(E.E801, name=name, choices=", ".join(ENGINES))
    return chosen


def rdflib_only(parsed: Query, sparql: str, held: frozenset[Node] = frozenset()) -> str | None:
    """Why ``parsed`` runs on rdflib whichever engine is chosen, or None.

    ``held`` are the names of the graphs the loaded file has. The text is checked for the
    word SERVICE too (in a string or a comment it is harmless: the query just runs on
    rdflib), so that no difference between the two parsers can send a SERVICE call to
    Oxigraph, whose HTTP client the network guard does not see.
    """
    if parsed.algebra.name == "DescribeQuery":
        return "DESCRIBE"
    if _SERVICE_WORD.search(sparql):
        return "SERVICE"
    defaults = 0
    for node in _walk(parsed.algebra):
        if node.name == "Function" and str(node["iri"]) not in _OXIGRAPH_FUNCTIONS:
            return f"the function {node['iri'].n3()}"
        if node.name == "DatasetClause":
            named = _field(node, "named")
            iri = named if named is not None else _field(node, "default")
            defaults += named is None
            if iri not in held:
                return f"FROM {iri.n3()}, a graph the file does not have"
            if defaults > 1:
                return "FROM with several graphs"  # Oxigraph merges them as a bag
    return None


def _run_rdflib(
    graph: Graph | OxigraphGraph,
    parsed: Query,
    sparql: str,
    allow_network: bool,
    seconds: float | None,
) -> Result:
    """The query run by rdflib's own evaluator, rows in the order it gives them."""
    data = graph.rdflib_graph() if isinstance(graph, OxigraphGraph) else graph

    def evaluate() -> Result:
        return _collect(data.query(parsed))

    try:
        with nullcontext() if allow_network else _offline():
            return _call_with_timeout(evaluate, seconds)
    except KGError:
        raise
    except _NetworkRefused as refused:
        raise KGError(E.E105, what=refused.what) from None
    except Exception as error:  # rdflib raises plain Exception for most evaluation errors
        raise KGError(E.E108, reason=str(error) or type(error).__name__) from error


def _run_oxigraph(
    graph: Graph | OxigraphGraph,
    parsed: Query,
    sparql: str,
    allow_network: bool,
    seconds: float | None,
) -> Result:
    """The query run by Oxigraph (kg.engine), rows in the order it gives them.

    An rdflib graph is copied into a store first; one Oxigraph cannot hold (an IRI it
    rejects) is queried by rdflib, as is a query Oxigraph's parser rejects (it is stricter
    in places, e.g. relative IRIs), since rdflib's has read it.
    """
    try:
        store = graph if isinstance(graph, OxigraphGraph) else oxigraph.from_rdflib(graph)
    except ValueError:
        return ENGINES["rdflib"].run(graph, parsed, sparql, allow_network, seconds)
    try:
        answer = _oxigraph_answer(store, sparql, seconds)
    except KGError:
        raise
    except SyntaxError:
        return ENGINES["rdflib"].run(graph, parsed, sparql, allow_network, seconds)
    except Exception as error:  # RuntimeError for evaluation errors, OSError from the store
        raise KGError(E.E108, reason=str(error) or type(error).__name__) from error
    kind = _KINDS[parsed.algebra.name]
    if kind != "SELECT":
        return _oxigraph_result(kind, answer, store)
    names = [str(name) for name in parsed.algebra["PV"]]
    rows = _oxigraph_rows(answer, store, names, _computed(parsed.algebra))
    return Result(kind, vars=names, rows=rows or [])


def _oxigraph_answer(
    store: OxigraphGraph, sparql: str, seconds: float | None
) -> oxigraph.Answer:
    """Oxigraph's answer to ``sparql``; what it raises, raises (E106 after ``seconds``)."""

    def evaluate() -> oxigraph.Answer:
        return oxigraph.evaluate(store.store, sparql, _OXIGRAPH_PREFIXES)

    if seconds is None:
        return oxigraph.call_in_thread(evaluate)
    if hasattr(os, "fork"):
        return oxigraph.call_in_child(evaluate, seconds)
    # no fork: the answer is given up on time, the query runs on until it ends
    return _call_with_timeout(evaluate, seconds)


def _oxigraph_result(kind: str, answer: oxigraph.Answer, store: OxigraphGraph) -> Result:
    """An ASK or graph answer of Oxigraph as a Result of ``kind``."""
    if kind == "ASK":
        return Result(kind, boolean=answer.boolean)
    terms: dict[object, Node] = {}

    def term(value: oxigraph.OxTerm) -> Node:
        if value not in terms:
            terms[value] = store.term(value)
        return terms[value]

    built = Graph()
    for triple in answer.triples:
        built.add((term(triple.subject), term(triple.predicate), term(triple.object)))
    return Result(kind, graph=built)


def _oxigraph_rows(
    answer: oxigraph.Answer, store: OxigraphGraph, names: list[str], computed: set[str] | None
) -> list[tuple[Node | None, ...]] | None:
    """The rows of a SELECT answer as rdflib terms, one per name in ``names``.

    Literals of the ``computed`` variables keep the store's form, the others get the file's
    (``Lexicon``). ``computed`` None stands for not known yet: then the answer is None if
    that would change a literal. Each distinct term is converted once.
    """
    where = {name: i for i, name in enumerate(answer.variables)}
    read: dict[object, Node | None] = {None: None}
    made: dict[object, Node | None] = {None: None}
    columns: list[list[Node | None]] = []
    for name in names:
        i = where.get(name)
        if i is None:
            columns.append([None] * len(answer.rows))
            continue
        data = computed is None or name not in computed
        terms = read if data else made
        values = list(map(itemgetter(i), answer.rows))
        new = store.terms(
            [value for value in dict.fromkeys(values) if value not in terms],
            data,
            strict=computed is None,
        )
        if new is None:
            return None
        terms.update(new)
        columns.append(list(map(terms.__getitem__, values)))
    if not columns:
        return [()] * len(answer.rows)
    return list(zip(*columns, strict=True))


def _computed(algebra: CompValue) -> set[str]:
    """The variables whose values the query makes rather than reads from the graph: BIND
    and SELECT expressions, COUNT, SUM, AVG, GROUP_CONCAT, VALUES (MIN, MAX and SAMPLE
    pick a value of the graph)."""
    aggregates = {
        node["res"]: node.name for node in _walk(algebra) if node.name.startswith("Aggregate_")
    }
    names: set[str] = set()
    for node in _walk(algebra):
        if node.name == "Extend":
            expr = node["expr"]
            picked = aggregates.get(expr, "Aggregate_Sample") if isinstance(expr, Variable) else ""
            if picked not in _PICKING_AGGREGATES:
                names.add(str(node["var"]))
        elif node.name == "values":
            names.update(str(name) for row in node["res"] for name in row)
    return names


@dataclass(frozen=True)
class Engine:
    """A SPARQL engine: how it loads a graph file, and how it runs a parsed, checked query.

    ``run(graph, parsed, sparql, allow_network, timeout_seconds)`` returns SELECT rows in
    the engine's own order; ``run_query`` orders them the same way for every engine.
    """

    name: str
    description: str
    load: Callable[[Path], Graph | OxigraphGraph]
    run: Callable[[Graph | OxigraphGraph, Query, str, bool, float | None], Result]


#: The query engines by name (``kg query --engine``).
ENGINES: dict[str, Engine] = {
    engine.name: engine
    for engine in (
        Engine("oxigraph", "Oxigraph (Rust): fast on large graphs", load_store, _run_oxigraph),
        Engine("rdflib", "rdflib's own evaluator (pure Python)", load_graph, _run_rdflib),
    )
}

_KINDS = {
    "SelectQuery": "SELECT",
    "AskQuery": "ASK",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
}
_OXIGRAPH_PREFIXES = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
_PICKING_AGGREGATES = frozenset({"Aggregate_Sample", "Aggregate_Min", "Aggregate_Max"})
# SPARQL 1.1's casts (section 17.5), which both engines implement; any other function
# is an extension only rdflib may know.
_OXIGRAPH_FUNCTIONS = frozenset(
    f"http://www.w3.org/2001/XMLSchema#{name}"
    for name in ("string", "boolean", "integer", "decimal", "float", "double", "dateTime")
)
# The keyword, not a variable (?service), a prefixed name (ex:Service) or part of an IRI
_SERVICE_WORD = re.compile(r"(?<![\w?$:/#.\-])SERVICE(?![\w:\-])", re.IGNORECASE)


def _parse(sparql: str) -> Query | Update:
    """The parsed and translated query, or update; E102 on any syntax error."""
    try:
        tree = parseQuery(sparql)
        query = translateQuery(tree, initNs=PREFIXES)
    except ParseBaseException as query_error:
        try:
            update = translateUpdate(parseUpdate(sparql), initNs=PREFIXES)
        except ParseBaseException as update_error:
            # report the reading that got further (ties: the query's)
            furthest = max((query_error, update_error), key=lambda error: error.loc)
            raise KGError(E.E102, reason=_syntax_reason(furthest)) from None
        except Exception as error:
            raise KGError(E.E102, reason=str(error)) from error
        if not isinstance(update, Update):  # rdflib returns [] for an update with no operation
            raise KGError(E.E102, reason=_syntax_reason(query_error)) from None
        return update
    except Exception as error:  # raised while translating, e.g. an undeclared prefix
        raise KGError(E.E102, reason=str(error)) from error
    if tree[1].name == "SelectQuery" and "projection" not in tree[1]:
        # rdflib lists the variables of SELECT * in set order, which changes from run
        # to run; use the order in which the query first mentions them
        first = {name: _first_mention(name, sparql) for name in query.algebra["PV"]}
        query.algebra["PV"].sort(key=lambda name: (first[name], str(name)))
    return query


def _first_mention(name: str, sparql: str) -> int:
    mention = re.search(rf"[?$]{re.escape(name)}(?!\w)", sparql)
    return mention.start() if mention else len(sparql)


def _syntax_reason(error: ParseBaseException) -> str:
    found = f", found {error.found}" if error.found else ""
    line = error.line
    where = f"line {error.lineno}, column {error.col}"
    return f"{where}: {error.msg}{found}\n  {line}\n  {' ' * (error.col - 1)}^"


def _network_uses(parsed: Query | Update, local_graphs: frozenset[Node] = frozenset()) -> list[str]:
    """What in a parsed query or update would reach the network, in query order.

    ``local_graphs`` are graph names the dataset already holds: rdflib reads FROM and
    FROM NAMED graphs from the dataset when they are there and fetches them only if not.
    """
    found: list[str] = []
    for node in _walk(parsed.algebra):
        if node.name == "ServiceGraphPattern":
            found.append(f"SERVICE {node['term'].n3()}")
        elif node.name == "Load":
            found.append(f"LOAD {node['iri'].n3()}")
        elif node.name in ("DatasetClause", "UsingClause"):
            named = _field(node, "named")
            iri = named if named is not None else _field(node, "default")
            if iri is None or iri in local_graphs or _local_iri(iri):
                continue
            keyword = "FROM" if node.name == "DatasetClause" else "USING"
            found.append(f"{keyword}{' NAMED' if named is not None else ''} {iri.n3()}")
    return list(dict.fromkeys(found))


def _field(node: CompValue, key: str) -> object:
    # CompValue.get(key) returns the key itself when the key is missing
    return node[key] if key in node else None


def _walk(value: object) -> Iterator[CompValue]:
    if isinstance(value, CompValue):
        yield value
        for child in value.values():
            yield from _walk(child)
    elif isinstance(value, dict):
        for child in value.values():
            yield from _walk(child)
    elif isinstance(value, list | tuple | ParseResults):
        for child in value:
            yield from _walk(child)


def _local_iri(iri: URIRef) -> bool:
    return urlsplit(str(iri)).scheme.lower() in LOCAL_SCHEMES


def _graph_names(graph: Graph | OxigraphGraph) -> frozenset[Node]:
    if isinstance(graph, OxigraphGraph):
        return graph.graph_names()
    if isinstance(graph, Dataset):
        return frozenset(named.identifier for named in graph.graphs() if len(named))
    return frozenset()


def _update_operations(update: Update) -> list[str]:
    # algebra names are CamelCase ("InsertData"); Modify is DELETE/INSERT ... WHERE
    names = ["DELETE/INSERT" if op.name == "Modify" else op.name for op in update.algebra]
    return [re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).upper() for name in names]


def _has_order_by(algebra: CompValue) -> bool:
    return _order_by(algebra) is not None


def _order_by(algebra: CompValue) -> CompValue | None:
    """The query's ORDER BY node (under its LIMIT, DISTINCT, projection), or None."""
    node = _field(algebra, "p")
    while isinstance(node, CompValue) and node.name in _MODIFIERS:
        node = _field(node, "p")
    return node if isinstance(node, CompValue) and node.name == "OrderBy" else None


def _collect(answer: rdflib.query.Result) -> Result:
    if answer.type == "SELECT":
        rows = [tuple(row) for row in answer]
        return Result("SELECT", vars=[str(name) for name in answer.vars or []], rows=rows)
    if answer.type == "ASK":
        return Result("ASK", boolean=bool(answer.askAnswer))
    return Result(answer.type, graph=answer.graph)


def _order_spec(parsed: Query, names: list[str]) -> list[tuple[int, bool]] | None:
    """(column, descending) of each ORDER BY key of ``parsed``, [] without ORDER BY; None if
    a key is not a selected variable (an expression)."""
    order = _order_by(parsed.algebra)
    return [] if order is None else _order_keys(order, parsed.algebra, names)


def _arranged(result: Result, keys: list[tuple[int, bool]] | None) -> Result:
    """``result`` with its SELECT rows in kg's order, the same for every engine.

    ``keys`` are the ORDER BY keys (``_order_spec``). Without ORDER BY the rows are sorted
    by all their columns. With an ORDER BY whose keys are selected variables (also through
    GROUP BY), they are sorted by all their columns and then by the keys the way rdflib's
    ORDER BY sorts (one stable sort per key, the last first): rows the keys leave tied stay
    in column order, and values SPARQL leaves unordered (a date and a year) come in
    rdflib's order. Other keys (expressions, ``keys`` None) keep the engine's order. With
    LIMIT, which rows are cut off is the engine's choice.

    Each distinct term's sort key is made once. When every key column has keys equivalent
    to rdflib's comparisons (``_rank_keys``), the rows are sorted once by those keys and
    only the runs they leave tied by their columns, which gives the same order; otherwise
    as described, with rdflib's comparisons where no such keys are known.
    """
    if result.kind != "SELECT" or keys is None or not result.rows:
        return result
    rows = result.rows
    columns = list(zip(*rows, strict=True))
    ranks = [_rank_keys(columns[index]) for index, _ in keys]
    if keys and all(rank is not None for rank in ranks):
        ordered = [
            _descending(rank) if descending else rank
            for rank, (_, descending) in zip(ranks, keys, strict=True)
            if rank is not None
        ]
        return Result(result.kind, vars=result.vars, rows=_sorted_by_keys(rows, ordered))
    row_keys = [_keyed(column, _term_key) for column in columns]
    decorated = list(zip(*row_keys, range(len(rows)), strict=True))
    decorated.sort()
    order = [entry[-1] for entry in decorated]
    for (index, descending), rank in reversed(list(zip(keys, ranks, strict=True))):
        if rank is not None:
            order.sort(key=rank.__getitem__, reverse=descending)
            continue
        name = Variable(result.vars[index])
        column = columns[index]
        try:
            order.sort(key=lambda j, c=column, n=name: _rank(c[j], n), reverse=descending)
        except (TypeError, ArithmeticError):  # literals rdflib cannot compare (a decimal
            return result  # and a NaN double): its own ORDER BY fails too
    return Result(result.kind, vars=result.vars, rows=[rows[j] for j in order])


def _descending(keys: list[object]) -> list[int]:
    """Keys that sort as ``keys`` do, reversed: minus their places among the distinct keys."""
    places = {key: -place for place, key in enumerate(sorted(set(keys)))}
    return list(map(places.__getitem__, keys))


def _sorted_by_keys(
    rows: list[tuple[Node | None, ...]], columns: list[list[object]]
) -> list[tuple[Node | None, ...]]:
    """``rows`` sorted by the keys of the ORDER BY ``columns``, each run they tie by
    ``_term_key`` of its columns, then by place (as the stable sorts of ``_arranged``)."""
    keys = list(zip(*columns, strict=True))
    order = sorted(range(len(rows)), key=keys.__getitem__)
    if len(set(keys)) == len(keys):  # no ties
        return [rows[j] for j in order]
    made: dict[int, tuple[int, str, str, str]] = {}

    def row_key(j: int) -> tuple[tuple[int, str, str, str], ...]:
        found = []
        for term in rows[j]:
            key = made.get(id(term))
            if key is None:
                key = made[id(term)] = _term_key(term)
            found.append(key)
        return tuple(found)

    start = 0
    for end in range(1, len(order) + 1):
        if end == len(order) or keys[order[end]] != keys[order[start]]:
            if end - start > 1:
                order[start:end] = sorted(order[start:end], key=row_key)
            start = end
    return [rows[j] for j in order]


def _keyed(column: Sequence[Node | None], key: Callable[[Node | None], T]) -> list[T]:
    """``key`` of each term of ``column``, made once per term object."""
    ids = list(map(id, column))
    made = {ident: key(term) for ident, term in dict(zip(ids, column, strict=True)).items()}
    return list(map(made.__getitem__, ids))


def _order_keys(
    order: CompValue, algebra: CompValue, names: list[str]
) -> list[tuple[int, bool]] | None:
    """(column, descending) of each ORDER BY key; None if one is not a selected variable."""
    # after GROUP BY rdflib orders by SAMPLE(?v) of a variable ?v, under an internal name
    samples = {
        node["res"]: node["vars"] for node in _walk(algebra) if node.name == "Aggregate_Sample"
    }
    keys = []
    for condition in order["expr"]:
        expr, descending = condition, False
        if isinstance(condition, CompValue) and condition.name == "OrderCondition":
            expr, descending = condition["expr"], _field(condition, "order") == "DESC"
        while isinstance(expr, Variable) and expr in samples:
            expr = samples[expr]
        if not isinstance(expr, Variable) or str(expr) not in names:
            return None
        keys.append((names.index(str(expr)), descending))
    return keys


def _rank(term: Node | None, name: Variable) -> tuple[int, Node]:
    # rdflib's ORDER BY key (rdflib.plugins.sparql.evalutils._val): unbound, blank node,
    # IRI, literal; literals compared by rdflib's Literal ordering
    if term is None:
        return (0, name)
    if isinstance(term, BNode):
        return (1, term)
    if isinstance(term, Literal):
        return (3, term)
    return (2, term)


def _rank_keys(column: Sequence[Node | None]) -> list[object] | None:
    """Sort keys for the terms of ``column`` that order them exactly as ``_rank`` does
    (every pair compares the same, so a stable sort gives the same rows), or None if the
    column holds literals for which no such key is known.

    rdflib compares literals of different datatypes by datatype IRI (plain and language
    strings count as xsd:string), except that numbers compare by value; the same datatype
    by value, else by lexical form; strings by language, then text. The keys follow that
    for: strings (no explicit xsd:string, which ties with a plain string of the same
    text; no two language tags that differ only in case, which rdflib also ties); numbers
    with a value (no NaN) whose datatypes are not interleaved with another's IRI; and any
    other datatype whose literals all have a value of one comparable type, or none has.
    """
    ids = list(map(id, column))
    distinct = dict(zip(ids, column, strict=True))
    if all(term is None or (type(term) is Literal and term.datatype is None
                            and term.language is None) for term in distinct.values()):
        # plain strings (the most common), perhaps unbound: ordered by their text
        unbound = id(None) in distinct
        texts = {
            ident: (0, "") if term is None else (3, str(term)) if unbound else str(term)
            for ident, term in distinct.items()
        }
        return list(map(texts.__getitem__, ids))
    ranks: dict[int, tuple[object, ...]] = {}
    groups: dict[str, list[Literal]] = {}
    for term in distinct.values():
        kind = type(term)
        if term is None:
            ranks[id(term)] = (0,)
        elif kind is BNode:
            ranks[id(term)] = (1, str(term))
        elif kind is URIRef:
            ranks[id(term)] = (2, str(term))
        elif kind is Literal and not rdflib.DAWG_LITERAL_COLLATION:
            if term.language is not None or term.datatype is None:
                group = XSD_STRING
            elif str(term.datatype) in _NUMERIC_DATATYPES:
                group = _NUMBER
            else:
                group = str(term.datatype)
            groups.setdefault(group, []).append(term)
        else:
            return None
    numbers = groups.pop(_NUMBER, [])
    if numbers:
        # numbers compare by value whatever their datatypes, with the rest by datatype IRI
        iris = [str(term.datatype) for term in numbers]
        low, high = min(iris), max(iris)
        if any(low < group < high for group in groups):
            return None
        groups[low] = numbers
    single = not ranks and len(groups) == 1  # then the literals' own keys do
    for group, literals in groups.items():
        kind = "number" if literals is numbers else "string" if group == XSD_STRING else ""
        keys = _literal_keys(literals, kind)
        if keys is None:
            return None
        if single:
            ranks = dict(zip(map(id, literals), keys, strict=True))
        else:
            for term, key in zip(literals, keys, strict=True):
                ranks[id(term)] = (3, group, key)
    return list(map(ranks.__getitem__, ids))


def _literal_keys(literals: list[Literal], kind: str) -> list[object] | None:
    """Keys ordering ``literals`` (one group of ``_rank_keys``: "number", "string" or one
    other datatype) as rdflib does, or None."""
    if kind == "number":
        values = [term.value for term in literals]
        if any(term.ill_typed or value is None or value != value  # NaN
               for term, value in zip(literals, values, strict=True)):
            return None
        return values
    if kind == "string":
        if any(term.datatype is not None for term in literals):
            return None
        tags = {term.language for term in literals if term.language is not None}
        if not tags:
            return [str(term) for term in literals]
        if len({tag.lower() for tag in tags}) != len(tags):
            return None
        return [
            ("", str(term)) if term.language is None else (term.language, str(term))
            for term in literals
        ]
    values = [term.value for term in literals]
    if all(value is None for value in values):
        return [str(term) for term in literals]
    kinds = {type(value) for value in values}
    if len(kinds) != 1 or not kinds <= _ORDERED_VALUES or any(
        value != value for value in values  # NaN
    ):
        return None
    if kinds <= {datetime.datetime, datetime.time}:
        return [_TOTAL_ORDER_CASTERS[type(value)](value) for value in values]
    return values


def _row_key(row: tuple[Node | None, ...]) -> tuple[tuple[int, str, str, str], ...]:
    return tuple(_term_key(term) for term in row)


def _term_key(term: Node | None) -> tuple[int, str, str, str]:
    # SPARQL's ORDER BY ranks: unbound, blank node, IRI, literal
    if term is None:
        return (0, "", "", "")
    if isinstance(term, Literal):
        return (3, str(term), str(term.datatype or ""), term.language or "")
    if isinstance(term, BNode):
        return (1, str(term), "", "")
    return (2, str(term), "", "")


# --- the direct path: Oxigraph first, rdflib's parser only when needed ----------------


def _run_direct(graph: OxigraphGraph, sparql: str, seconds: float | None) -> Result | None:
    """``sparql`` run on Oxigraph without rdflib's parser, or None when it needs the full
    path (``_run_checked``): its text shows something the checks must see, or Oxigraph
    rejects it (an update, a syntax error, what only rdflib reads) or fails on it; the full
    path then refuses it, reports the error, or runs it on rdflib, as for every query.

    Nothing is lost by not parsing first: Oxigraph's parser reads queries only, so an
    update never runs; a query without the word SERVICE cannot reach the network through
    Oxigraph (it never fetches a FROM graph, and those go to the full path anyway); what
    the full path sends to rdflib (DESCRIBE, extension functions, FROM) is screened from the
    text, and so is what rdflib's algebra tells the ordering (``_direct_plan``).
    """
    plan = _direct_plan(sparql)
    if plan is None:
        return None
    try:
        answer = _oxigraph_answer(graph, sparql, seconds)
    except KGError:
        raise
    except Exception:  # the full path runs it again and says what is wrong
        return None
    if answer.kind != "SELECT":
        return _oxigraph_result(answer.kind, answer, graph)
    names = answer.variables
    order, computes = plan
    # without AS or VALUES no selected variable is computed; else, if that changes a
    # literal, which ones are is read from rdflib's parse
    rows = _oxigraph_rows(answer, graph, names, None if computes else set())
    if rows is None:
        parsed = _parse(sparql)
        held = _graph_names(graph)
        if isinstance(parsed, Update) or _network_uses(parsed, held):
            return None
        if rdflib_only(parsed, sparql, held):
            return None
        rows = _oxigraph_rows(answer, graph, names, _computed(parsed.algebra)) or []
    keys = None
    if all(name in names for name, _ in order):
        keys = [(names.index(name), descending) for name, descending in order]
    return _arranged(Result("SELECT", vars=list(names), rows=rows), keys)


# What ``_direct_plan`` hides before it reads the code of a query: an escaped character
# of a prefixed name, a comment, an IRI, a string (a '(' or a keyword in them is not code)
_OPAQUE = re.compile(
    r"\\."
    r"|#[^\r\n]*"
    r"|<(?:[^<>\"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>"
    r'|"""(?:(?:"|"")?(?:[^"\\]|\\.))*"""'
    r"|'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''"
    r'|"(?:[^"\\\r\n]|\\.)*"'
    r"|'(?:[^'\\\r\n]|\\.)*'",
    re.DOTALL,
)


# Keywords that send a query to the full path: what needs rdflib's algebra to check
# (SERVICE, FROM, DESCRIBE), and SPARQL 1.2 and Oxigraph extensions that rdflib's parser
# refuses, so that both engines refuse them alike.
_FULL_PATH_WORDS = (
    "SERVICE", "FROM", "DESCRIBE", "LATERAL", "VERSION", "TRIPLE", "ISTRIPLE", "SUBJECT",
    "PREDICATE", "OBJECT", "LANGDIR", "HASLANG", "HASLANGDIR", "STRLANGDIR", "ADJUST",
)
# SPARQL 1.2 syntax (triple terms, annotations, reifiers, base directions), anywhere
_SPARQL_12_MARKS = ("<<", ">>", "{|", "|}", "~", "--")
_SPARQL_12 = re.compile(r"<<|>>|\{\||\|\}|~|@[A-Za-z]+(?:-[A-Za-z0-9]+)*--")
# An IRI (hidden as <>) or a prefixed name followed by '(': a function call
_CALL = re.compile(r"(?:>|:[^\s(){}\[\],;<>\"'=!&|^*/+?$]*)\s*\(")
# In the code upper-cased: SELECT *, and the keys of ORDER BY up to what may follow them
_SELECT_ALL = re.compile(r"SELECT\s*(?:(?:DISTINCT|REDUCED)\s*)?\*")
_ORDER_BY = re.compile(
    r"ORDER\s+BY((?:\s*(?:[?$]\w+|(?:ASC|DESC)\s*\(\s*[?$]\w+\s*\)))+)"
    r"\s*(?:(?:LIMIT|OFFSET|VALUES)(?![\w:\-])|$)"
)
_ORDER_CONDITION = re.compile(r"[?$](\w+)|(ASC|DESC)\s*\(\s*[?$](\w+)", re.IGNORECASE)
# Characters that make a keyword part of a longer name or variable: before and after it
_NAME_BEFORE = frozenset("_?$:.-")
_NAME_AFTER = frozenset("_:-")


def _direct_plan(sparql: str) -> tuple[list[tuple[str, bool]], bool] | None:
    """What the direct path needs from the text of ``sparql``: the ORDER BY keys as
    (variable name, descending), [] without ORDER BY, and whether a selected variable may
    be computed (the query has AS or VALUES: see ``_computed``); or None if the query is
    for the full path.

    That is a query with SERVICE, FROM or DESCRIBE; a call of a function named by an IRI
    (Oxigraph knows some casts rdflib does otherwise, and an unknown one fails there
    anyway); SELECT * (its columns are in the order of the query's text, known from the
    parse) or a subquery; an ORDER BY by anything but variables (its tied rows keep the
    engine's order, known from the parse); SPARQL 1.2; a Unicode escape (SPARQL
    reads them before anything else, so one could spell a keyword; rdflib does, Oxigraph
    0.5 does not). Words in strings, IRIs and comments may only make a query take the full
    path without need.
    """
    if "\\u" in sparql or "\\U" in sparql:
        return None  # escapes (\\u0053ERVICE) may spell anything, keywords too
    if "SERVICE" in sparql.upper() and _SERVICE_WORD.search(sparql):
        return None
    if any(mark in sparql for mark in _SPARQL_12_MARKS) and _SPARQL_12.search(sparql):
        return None
    code = _OPAQUE.sub(_hidden, sparql)
    upper = code.upper()
    if len(upper) != len(code) or ("(" in code and _CALL.search(code)):
        return None  # (upper-casing changed a length: the places below would not match)
    if any(_keyword_at(upper, word) for word in _FULL_PATH_WORDS):
        return None
    selects = _keyword_at(upper, "SELECT")
    if len(selects) > 1 or any(_SELECT_ALL.match(upper, at) for at in selects):
        return None
    computes = bool(_keyword_at(upper, "AS") or _keyword_at(upper, "VALUES"))
    orders = _keyword_at(upper, "ORDER")
    if not orders:
        return [], computes
    found = _ORDER_BY.match(upper, orders[0])
    if len(orders) > 1 or found is None:
        return None
    conditions = code[found.start(1) : found.end(1)]  # the variables as written
    keys = [
        (ascending or name, direction.upper() == "DESC")
        for ascending, direction, name in _ORDER_CONDITION.findall(conditions)
    ]
    return keys, computes


def _keyword_at(upper: str, word: str) -> list[int]:
    """Where ``word`` stands in ``upper`` (code, upper-cased) as a keyword, not inside a
    name or a variable."""
    found = []
    at = upper.find(word)
    while at >= 0:
        end = at + len(word)
        before = upper[at - 1] if at else " "
        after = upper[end] if end < len(upper) else " "
        if not (before.isalnum() or before in _NAME_BEFORE or after.isalnum()
                or after in _NAME_AFTER):
            found.append(at)
        at = upper.find(word, at + 1)
    return found


def _hidden(found: re.Match[str]) -> str:
    """What ``_direct_plan`` reads in place of an opaque part of the text (``_OPAQUE``)."""
    text = found.group()
    if text[0] == "<":
        return "<>(" if "(" in text else "<>"  # '<' may be less-than: <x(?a)&&?b> is code
    if text[0] == "\\":
        return "_"
    return " " if text[0] == "#" else '""'


# --- timeout ---------------------------------------------------------------------


class _Stopped(BaseException):
    """Raised inside a query thread to stop it; not an Exception, so no rdflib
    ``except Exception`` can swallow it."""


def _call_with_timeout(function: Callable[[], T], seconds: float | None) -> T:
    """``function()``, run in a worker thread that is stopped after ``seconds``.

    Python cannot kill a thread; PyThreadState_SetAsyncExc raises _Stopped in it at its
    next bytecode, which ends rdflib's pure-Python evaluation promptly.
    """
    if seconds is None:
        return function()
    context = contextvars.copy_context()  # carries the offline flag into the thread
    outcome: dict[str, object] = {}
    lock = threading.Lock()
    finished = False

    def work() -> None:
        nonlocal finished
        try:
            try:
                outcome["value"] = context.run(function)
            except BaseException as error:  # handed to the caller below
                outcome["error"] = error
            finally:
                with lock:
                    finished = True
        except _Stopped:  # arrived while finishing; the caller already gave up
            pass

    worker = threading.Thread(target=work, name="kg-query", daemon=True)
    worker.start()
    worker.join(seconds)
    with lock:
        stop = not finished
        if stop:
            _raise_in_thread(worker, _Stopped)
    if stop:
        worker.join(_STOP_GRACE_SECONDS)
        raise KGError(E.E106, seconds=seconds)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


def _raise_in_thread(thread: threading.Thread, exception: type[BaseException]) -> None:
    if thread.ident is not None and hasattr(ctypes, "pythonapi"):
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident), ctypes.py_object(exception)
        )


# --- network guard -----------------------------------------------------------------


class _NetworkRefused(BaseException):
    """Raised by the audit hook; not an Exception, so no ``except Exception`` in rdflib
    (which tries one parser after another) can swallow it."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


_OFFLINE: contextvars.ContextVar[bool] = contextvars.ContextVar("kg_offline", default=False)
_SOCKET_EVENTS = frozenset({"socket.connect", "socket.getaddrinfo", "socket.gethostbyname"})
_hook_lock = threading.Lock()
_hook_installed = False


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "urllib.Request":
        if _OFFLINE.get() and urlsplit(str(args[0])).scheme.lower() not in LOCAL_SCHEMES:
            raise _NetworkRefused(f"a request to {args[0]}")
    elif event in _SOCKET_EVENTS and _OFFLINE.get():
        raise _NetworkRefused(f"a network connection ({event})")


@contextmanager
def _offline() -> Iterator[None]:
    """Within this block (and threads started with its context) nothing reaches the network."""
    global _hook_installed
    with _hook_lock:
        if not _hook_installed:
            sys.addaudithook(_audit)  # audit hooks cannot be removed, hence the flag
            _hook_installed = True
    token = _OFFLINE.set(True)
    try:
        yield
    finally:
        _OFFLINE.reset(token)
