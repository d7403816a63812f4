"""SPARQL results and the formats that print them.

``FORMATS`` is the registry of result formats, looked up by name; ``format_result`` is
the one entry point. json, csv and tsv are the W3C SPARQL 1.1 Query Results formats;
table is for people. Every formatter returns text that ends with a line end.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from rdflib import BNode, Graph, Literal, URIRef, Variable
from rdflib.namespace import RDFS, SKOS
from rdflib.query import Result as RDFLibResult
from rdflib.term import Node

from kg.errors import E, KGError
from kg.namespaces import PREFIXES, SCHEMA

SELECT, ASK, CONSTRUCT, DESCRIBE = "SELECT", "ASK", "CONSTRUCT", "DESCRIBE"
GRAPH_KINDS = frozenset({CONSTRUCT, DESCRIBE})

#: Predicates tried in order for the name a table shows instead of an IRI.
LABEL_PREDICATES = (RDFS.label, SKOS.prefLabel, SCHEMA.name)
#: Default maximum width of a table cell, in terminal columns.
TABLE_CELL_WIDTH = 40
ELLIPSIS = "…"

# Bidirectional-text controls can make a terminal show text in another order than it
# is stored ("Trojan Source"); article text must never rearrange the table.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


@dataclass(frozen=True)
class Result:
    """The answer to one query.

    SELECT fills ``vars`` and ``rows`` (one term or None per variable, in ``vars``
    order); ASK fills ``boolean``; CONSTRUCT and DESCRIBE fill ``graph``.
    """

    kind: str
    vars: list[str] = field(default_factory=list)
    rows: list[tuple[Node | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None


class LabelSource(Protocol):
    """Where the table format looks up labels: an rdflib Graph, or the Oxigraph store of
    kg.engine.OxigraphGraph (anything with rdflib's ``Graph.objects``)."""

    def objects(self, subject: Node, predicate: Node) -> Iterable[Node]: ...


Formatter = Callable[..., str]
FORMATS: dict[str, Formatter] = {}
_KINDS: dict[str, frozenset[str]] = {}


def result_format(name: str, kinds: Iterable[str]) -> Callable[[Formatter], Formatter]:
    """Register a formatter ``(result, graph=None, max_width=...) -> str`` under ``name``."""

    def register(function: Formatter) -> Formatter:
        FORMATS[name] = function
        _KINDS[name] = frozenset(kinds)
        return function

    return register


def format_result(
    result: Result,
    fmt: str,
    graph: LabelSource | None = None,
    max_width: int = TABLE_CELL_WIDTH,
) -> str:
    """Print ``result`` in the format named ``fmt``.

    ``graph`` is where the table format looks up labels; ``max_width`` caps the width of a
    table cell (the W3C formats never truncate).
    """
    formatter = FORMATS.get(fmt)
    if formatter is None:
        raise KGError(E.E103, name=fmt, choices=", ".join(FORMATS))
    if result.kind not in _KINDS[fmt]:
        able = [name for name, kinds in _KINDS.items() if result.kind in kinds]
        raise KGError(E.E109, name=fmt, kind=result.kind, choices=", ".join(able))
    return formatter(result, graph=graph, max_width=max_width)


# --- W3C formats ------------------------------------------------------------------


def _rdflib_result(result: Result) -> RDFLibResult:
    """The same answer as an rdflib Result, to hand to rdflib's own serializers."""
    answer = RDFLibResult(result.kind)
    if result.kind == ASK:
        answer.askAnswer = result.boolean
        return answer
    names = [Variable(name) for name in result.vars]
    answer.vars = names
    answer.bindings = [
        {name: term for name, term in zip(names, row, strict=True) if term is not None}
        for row in result.rows
    ]
    return answer


@result_format("table", kinds=(SELECT, ASK, CONSTRUCT, DESCRIBE))
def format_table(
    result: Result, graph: LabelSource | None = None, max_width: int = TABLE_CELL_WIDTH
) -> str:
    """Aligned plain text: IRIs shown by their labels, literals by their lexical form,
    unbound as empty, long cells cut with an ellipsis, then a line counting the rows.
    ASK prints true or false; CONSTRUCT and DESCRIBE print Turtle.
    """
    if result.kind == ASK:
        return f"{'true' if result.boolean else 'false'}\n"
    if result.kind in GRAPH_KINDS:
        triples = 0 if result.graph is None else len(result.graph)
        return _turtle(result.graph) + f"# {_count(triples, 'triple')}\n"
    labels: dict[Node, str] = {}
    header = [_cut(_printable(name), max_width) for name in result.vars]
    body = [
        [_cut(_printable(_display(term, graph, labels)), max_width) for term in row]
        for row in result.rows
    ]
    right = [
        any(row[i] is not None for row in result.rows)
        and all(row[i] is None or _is_number(row[i]) for row in result.rows)
        for i in range(len(header))
    ]
    widths = [
        max([_width(cell)] + [_width(line[i]) for line in body]) for i, cell in enumerate(header)
    ]
    lines = [_align(header, widths, [False] * len(header))]
    lines.append(_align(["-" * width for width in widths], widths, right))
    lines.extend(_align(line, widths, right) for line in body)
    lines.append(_count(len(result.rows), "row"))
    return "".join(line + "\n" for line in lines)


@result_format("json", kinds=(SELECT, ASK))
def format_json(
    result: Result, graph: LabelSource | None = None, max_width: int = TABLE_CELL_WIDTH
) -> str:
    """SPARQL 1.1 Query Results JSON (application/sparql-results+json), by rdflib."""
    return _rdflib_result(result).serialize(format="json").decode("utf-8") + "\n"


@result_format("csv", kinds=(SELECT,))
def format_csv(
    result: Result, graph: LabelSource | None = None, max_width: int = TABLE_CELL_WIDTH
) -> str:
    """SPARQL 1.1 Query Results CSV (text/csv, CRLF line ends), by rdflib."""
    return _rdflib_result(result).serialize(format="csv").decode("utf-8")


@result_format("tsv", kinds=(SELECT,))
def format_tsv(
    result: Result, graph: LabelSource | None = None, max_width: int = TABLE_CELL_WIDTH
) -> str:
    """SPARQL 1.1 Query Results TSV (text/tab-separated-values).

    Written here because rdflib 7.6 registers a TSV result parser but no serializer, and
    rdflib's ``Literal.n3()`` writes literals with line breaks as Turtle long strings
    and leaves tabs raw, both of which would break a TSV row.
    """
    lines = ["\t".join(f"?{name}" for name in result.vars)]
    lines.extend("\t".join(_tsv_term(term) for term in row) for row in result.rows)
    return "".join(line + "\n" for line in lines)


# --- helpers ----------------------------------------------------------------------

_STRING_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})
# Characters N-Triples forbids inside <...>; written as \u escapes (UCHAR).
_IRI_ESCAPES = str.maketrans({c: f"\\u{ord(c):04X}" for c in '<>"{}|^`\\ \t\n\r'})


def _tsv_term(term: Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return f"<{str(term).translate(_IRI_ESCAPES)}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        text = f'"{str(term).translate(_STRING_ESCAPES)}"'
        if term.language:
            return f"{text}@{term.language}"
        if term.datatype is not None:
            return f"{text}^^<{str(term.datatype).translate(_IRI_ESCAPES)}>"
        return text
    raise TypeError(f"not an RDF term: {term!r}")


def _turtle(graph: Graph | None) -> str:
    out = Graph()
    for prefix, namespace in PREFIXES.items():
        out.bind(prefix, namespace)
    if graph is not None:
        out += graph
    return out.serialize(format="turtle")


def _display(term: Node | None, graph: LabelSource | None, labels: dict[Node, str]) -> str:
    if term is None:
        return ""
    if isinstance(term, Literal):
        return str(term)
    if term not in labels:
        labels[term] = _label(term, graph)
    return labels[term]


def _label(term: Node, graph: LabelSource | None) -> str:
    if graph is not None:
        for predicate in LABEL_PREDICATES:
            names = [o for o in graph.objects(term, predicate) if isinstance(o, Literal)]
            if names:
                return str(min(names, key=_label_preference))
    if isinstance(term, BNode):
        return f"_:{term}"
    return _local_name(str(term))


def _label_preference(name: Literal) -> tuple[bool, str, str]:
    # English or untagged first, then a stable order
    return (name.language not in (None, "en"), name.language or "", str(name))


def _local_name(iri: str) -> str:
    stripped = iri.rstrip("/#")
    cut = max(stripped.rfind("/"), stripped.rfind("#"))
    return stripped[cut + 1 :] or iri


def _is_number(term: Node) -> bool:
    if not isinstance(term, Literal):
        return False
    value = term.value
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _printable(text: str) -> str:
    """One line of text that cannot move the cursor or reorder what follows."""
    text = " ".join(text.split())
    return "".join(
        "\ufffd" if unicodedata.category(c) == "Cc" or c in _BIDI_CONTROLS else c for c in text
    )


def _char_width(c: str) -> int:
    if unicodedata.combining(c) or unicodedata.category(c) == "Cf":
        return 0
    return 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1


def _width(text: str) -> int:
    return sum(_char_width(c) for c in text)


def _cut(text: str, max_width: int) -> str:
    if _width(text) <= max_width:
        return text
    room = max(max_width - _width(ELLIPSIS), 0)
    kept, used = [], 0
    for c in text:
        used += _char_width(c)
        if used > room:
            break
        kept.append(c)
    return "".join(kept) + ELLIPSIS


def _align(cells: list[str], widths: list[int], right: list[bool]) -> str:
    padded = [
        " " * (width - _width(cell)) + cell if flush_right else cell + " " * (width - _width(cell))
        for cell, width, flush_right in zip(cells, widths, right, strict=True)
    ]
    return "  ".join(padded).rstrip()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
