"""kg's SPARQL engine on Oxigraph: a graph in a pyoxigraph Store, answers as rdflib terms.

Oxigraph evaluates SPARQL in Rust, orders of magnitude faster than rdflib on large graphs.
kg.query decides what runs here and refuses what would reach the network; this module is
the Oxigraph side: the loaded graph, terms both ways, and a query run in a child process
that a timeout can stop.

Two things make Oxigraph's answers rdflib's, term for term:

- The union default graph. For a file with named graphs (TriG, N-Quads, JSON-LD) the
  store's default graph holds every triple of every graph once, as rdflib's
  ``Dataset(default_union=True)`` sees it; Oxigraph's own ``use_default_graph_as_union``
  repeats a triple once for each graph that has it, which repeats rows.
- Literal forms. The store keeps decimals, integers, date-times and language tags in a
  canonical form ("57.0"^^xsd:decimal comes back as "57", xsd:int as xsd:integer, "en-US"
  as "en-us"), where rdflib keeps the form the file wrote. A ``Lexicon`` maps each
  canonical form back to the file's; it is read from the file the first time an answer
  holds such a literal. A value the file writes in two forms ("57" and "57.0") keeps
  Oxigraph's form, and so does a value a query computes (a sum, an average).
"""

from __future__ import annotations

import datetime
import functools
import os
import pickle
import re
import select
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Protocol, TypeVar

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID, ConjunctiveGraph
from rdflib.term import Node, _is_valid_langtag, _is_valid_uri, _toPythonMapping

from kg.errors import E, KGError

__all__ = [
    "RDF_FORMATS",
    "Answer",
    "FileOrigin",
    "Lexicon",
    "OxigraphGraph",
    "RdflibOrigin",
    "call_in_child",
    "call_in_thread",
    "evaluate",
    "from_file",
    "from_rdflib",
    "make_literal",
    "to_oxigraph",
]

T = TypeVar("T")
OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
#: The datatypes of literals the store may give back in another form than the file's,
#: each with the datatypes it stores that way (the rest come back as rdflib reads them:
#: rdflib also writes dates, doubles, booleans in a normal form). The integer types all
#: come back as xsd:integer ("7"^^xsd:long too), a decimal without trailing zeros.
REWRITTEN: dict[str, frozenset[str]] = {
    XSD + stored: frozenset(XSD + name for name in written.split())
    for stored, written in {
        "decimal": "decimal",
        "integer": "integer int long short byte nonNegativeInteger positiveInteger"
        " nonPositiveInteger negativeInteger unsignedLong unsignedInt unsignedShort unsignedByte",
        "dateTime": "dateTime dateTimeStamp",
    }.items()
}
_WRITTEN = frozenset().union(*REWRITTEN.values())

#: Suffix -> Oxigraph's parser for each graph format kg reads.
RDF_FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".trig": ox.RdfFormat.TRIG,
    ".nq": ox.RdfFormat.N_QUADS,
    ".jsonld": ox.RdfFormat.JSON_LD,
}

# Copies every named graph's triples into the default graph; a store is a set of quads,
# so a triple several graphs share is there once.
_UNION = "INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
_SCRATCH = "urn:kg:lexicon:"
# Language tags as the RDF syntaxes write them: "text"@en-US, and JSON-LD's "@language".
_TAG = re.compile(r"""["']@([A-Za-z]+(?:-[A-Za-z0-9]+)*)|"@language"\s*:\s*"([^"\\]+)\"""")


# --- where a graph came from ---------------------------------------------------------


class Origin(Protocol):
    """What a store was loaded from, asked again for what the store does not keep."""

    def rdflib_graph(self) -> Graph:
        """The same graph in rdflib, for what only rdflib does."""
        ...

    def typed_literals(self) -> Iterator[tuple[ox.Literal, Literal]]:
        """Every literal of a datatype in REWRITTEN as written, and rdflib's term for it."""
        ...

    def language_tags(self) -> Iterator[str]:
        """Every language tag, in the case it is written."""
        ...


@dataclass(frozen=True)
class FileOrigin:
    """A graph file; ``read_rdflib`` reads it with rdflib (kg.query.load_graph)."""

    path: Path
    format: ox.RdfFormat
    base_iri: str
    read_rdflib: Callable[[Path], Graph]

    def rdflib_graph(self) -> Graph:
        return self.read_rdflib(self.path)

    def typed_literals(self) -> Iterator[tuple[ox.Literal, Literal]]:
        # pyoxigraph.parse keeps lexical forms as written; only the Store canonicalises
        for quad in ox.parse(path=str(self.path), format=self.format, base_iri=self.base_iri):
            term = quad.object
            if type(term) is ox.Literal and term.datatype.value in _WRITTEN:
                yield term, Literal(term.value, datatype=URIRef(term.datatype.value))

    def language_tags(self) -> Iterator[str]:
        # pyoxigraph's parser lowercases tags too, so they are read from the text
        text = self.path.read_text(encoding="utf-8", errors="replace")
        for match in _TAG.finditer(text):
            yield match.group(1) or match.group(2)


@dataclass(frozen=True)
class RdflibOrigin:
    """An rdflib graph in memory."""

    graph: Graph

    def rdflib_graph(self) -> Graph:
        return self.graph

    def _literals(self) -> Iterator[Literal]:
        if isinstance(self.graph, ConjunctiveGraph):  # every graph of a Dataset
            statements = self.graph.quads((None, None, None, None))
        else:
            statements = self.graph.triples((None, None, None))
        return (found[2] for found in statements if isinstance(found[2], Literal))

    def typed_literals(self) -> Iterator[tuple[ox.Literal, Literal]]:
        for term in self._literals():
            if term.datatype is not None and not term.language:
                converted = to_oxigraph(term)
                if isinstance(converted, ox.Literal) and converted.datatype.value in _WRITTEN:
                    yield converted, term

    def language_tags(self) -> Iterator[str]:
        return (term.language for term in self._literals() if term.language)


# --- literal forms -------------------------------------------------------------------

_Key = tuple[str, str]  # (lexical form, datatype IRI) as the store gives them back


class Lexicon:
    """The forms a graph writes its literals in, for the ones the store canonicalises."""

    def __init__(self, origin: Origin) -> None:
        self._origin = origin
        self._forms: dict[_Key, Literal | None] | None = None
        self._tags: dict[str, str | None] | None = None

    def literal(self, term: ox.Literal, data: bool = True) -> Literal:
        """rdflib's term for a literal the store gave back: in the file's form if ``data``
        (read from the graph, not computed by the query) and the file has one form of it."""
        if term.language:
            return make_literal(term.value, self._tag(term.language) if data else term.language)
        datatype = term.datatype.value
        if datatype == XSD_STRING:
            return make_literal(term.value)
        if data and datatype in REWRITTEN:
            original = self._typed_forms().get((term.value, datatype))
            if original is not None:
                return original
        return make_literal(term.value, datatype=datatype)

    def rewrites(self, term: ox.Literal) -> bool:
        """Whether ``literal(term)`` differs from ``literal(term, data=False)``: the file
        writes this literal in another form than the store gives back."""
        if term.language:
            return self._tag(term.language) != term.language
        datatype = term.datatype.value
        if datatype not in REWRITTEN:
            return False
        return _differs(self.written(term.value, datatype), term.value, datatype)

    def written(self, lexical: str, datatype: str) -> Literal | None:
        """The file's one form of the literal the store gives back as ``lexical`` of
        ``datatype`` (one in REWRITTEN), or None."""
        return self._typed_forms().get((lexical, datatype))

    def _tag(self, tag: str) -> str:
        if self._tags is None:
            self._tags = _unique_map((t.lower(), t) for t in self._origin.language_tags())
        return self._tags.get(tag) or tag

    def _typed_forms(self) -> dict[_Key, Literal | None]:
        if self._forms is None:
            self._forms = self._read_forms()
        return self._forms

    def _read_forms(self) -> dict[_Key, Literal | None]:
        written = dict(self._origin.typed_literals())
        originals = list(written)
        # the store's form of each: put them in a scratch store and read them back
        scratch = ox.Store()
        predicate = ox.NamedNode(_SCRATCH + "form")
        scratch.extend(
            ox.Quad(ox.NamedNode(f"{_SCRATCH}{i}"), predicate, term)
            for i, term in enumerate(originals)
        )
        pairs = []
        for quad in scratch:
            stored = quad.object
            index = int(quad.subject.value.removeprefix(_SCRATCH))
            pairs.append(((stored.value, stored.datatype.value), written[originals[index]]))
        return _unique_map(pairs, key=lambda term: (str(term), str(term.datatype)))


def _unique_map(
    pairs: Iterable[tuple[object, T]], key: Callable[[T], object] = lambda value: value
) -> dict:
    """``pairs`` as a mapping; a key paired with two different values maps to None."""
    found: dict = {}
    for name, value in pairs:
        if name not in found:
            found[name] = value
        elif found[name] is not None and key(found[name]) != key(value):
            found[name] = None
    return found


# --- rdflib literals, made fast -------------------------------------------------------

_CANONICAL = {
    XSD + "integer": (re.compile(r"0|-?[1-9][0-9]*"), int),
    XSD + "decimal": (re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?"), Decimal),
    XSD + "date": (re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"), datetime.date.fromisoformat),
    XSD + "boolean": (re.compile(r"true|false"), lambda text: text == "true"),
}
# rdflib rewrites the lexical form of these whatever their value
_NORMALISED = frozenset({XSD + "normalizedString", XSD + "token"})


def make_literal(lexical: str, lang: str | None = None, datatype: str | None = None) -> Literal:
    """``Literal(lexical, lang=lang, datatype=datatype)``, equal in every attribute, made
    without rdflib's constructor where its outcome is known: a string (with a valid
    language tag), a datatype rdflib has no Python value for, and the canonical forms of
    integers, decimals, dates and booleans, which are what the store gives back. Several
    times faster; converting a large answer is mostly making its literals.
    """
    if datatype is None:
        if lang is None or _is_valid_langtag(lang):
            return _literal(lexical, lang, None, lexical, None)
        return Literal(lexical, lang=lang)  # raises rdflib's ValueError
    if lang is None and datatype not in _NORMALISED:
        uri = _datatype_uri(datatype)
        canonical = _CANONICAL.get(datatype)
        if canonical is not None:
            form, value_of = canonical
            if form.fullmatch(lexical):
                try:
                    return _literal(lexical, None, uri, value_of(lexical), False)
                except ValueError:  # not a date: rdflib's constructor says what it is
                    pass
        elif uri not in _toPythonMapping:  # rdflib keeps no value: nothing to check
            return _literal(lexical, None, uri, None, None)
    return Literal(lexical, lang=lang, datatype=datatype)


def _literal(
    lexical: str, lang: str | None, datatype: URIRef | None, value: object, ill_typed: bool | None
) -> Literal:
    made = str.__new__(Literal, lexical)
    made._language = lang
    made._datatype = datatype
    made._value = value
    made._ill_typed = ill_typed
    return made


def _differs(original: Literal | None, lexical: str, datatype: str) -> bool:
    """Whether the file's form ``original`` of a literal differs from the store's."""
    return original is not None and (
        str(original) != lexical or str(original.datatype) != datatype
    )


def _iri(iri: str) -> URIRef:
    # URIRef(iri) for an IRI rdflib finds valid: it only checks that, and warns if not
    return str.__new__(URIRef, iri)


@functools.lru_cache(maxsize=256)
def _datatype_uri(datatype: str) -> URIRef:
    return URIRef(datatype)


# --- the loaded graph ----------------------------------------------------------------


@dataclass(eq=False)
class OxigraphGraph:
    """A graph loaded into an in-memory Oxigraph store, for kg's queries.

    ``union``: the file had named graphs, and the store's default graph is their union.
    ``objects`` is what the table format needs to show labels (the rdflib Graph method of
    the same name, over the default graph).
    """

    store: ox.Store
    union: bool
    origin: Origin
    lexicon: Lexicon = field(init=False)
    _rdflib: Graph | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.lexicon = Lexicon(self.origin)

    def rdflib_graph(self) -> Graph:
        """The same graph in rdflib (read once, on first use)."""
        if self._rdflib is None:
            self._rdflib = self.origin.rdflib_graph()
        return self._rdflib

    def graph_names(self) -> frozenset[Node]:
        """The names of the graphs that hold triples."""
        return frozenset(self.term(name) for name in self.store.named_graphs())

    def term(self, term: OxTerm, data: bool = True) -> Node:
        """rdflib's term for a term of this store (``data``: see ``Lexicon.literal``)."""
        if isinstance(term, ox.NamedNode):
            return URIRef(term.value)
        if isinstance(term, ox.BlankNode):
            return BNode(term.value)
        if isinstance(term, ox.Literal):
            return self.lexicon.literal(term, data)
        raise KGError(E.E802, term=term)

    def terms(
        self, values: Iterable[OxTerm], data: bool = True, strict: bool = False
    ) -> dict[OxTerm, Node] | None:
        """``term`` of each of ``values`` (distinct), the same terms made faster. With
        ``strict`` the answer is None if ``data`` would make one of them differ from what
        ``data=False`` makes (``Lexicon.rewrites``)."""
        lexicon = self.lexicon
        made: dict[OxTerm, Node] = {}
        for value in values:
            kind = type(value)
            if kind is ox.NamedNode:
                iri = value.value
                made[value] = _iri(iri) if _is_valid_uri(iri) else URIRef(iri)
                continue
            if kind is ox.Literal and not value.language:
                datatype = value.datatype.value
                text = value.value
                if datatype == XSD_STRING:
                    made[value] = _literal(text, None, None, text, None)
                    continue
                original = lexicon.written(text, datatype) if datatype in REWRITTEN else None
                if strict and _differs(original, text, datatype):
                    return None
                if data and original is not None:
                    made[value] = original
                else:
                    made[value] = make_literal(text, datatype=datatype)
                continue
            if strict and kind is ox.Literal and lexicon.rewrites(value):
                return None
            made[value] = self.term(value, data)
        return made

    def objects(self, subject: Node, predicate: Node) -> Iterator[Node]:
        """The objects of ``subject predicate ?o`` in the default graph."""
        try:
            pattern = (to_oxigraph(subject), to_oxigraph(predicate))
        except ValueError:  # not a term the store can hold, so not in it
            return
        for quad in self.store.quads_for_pattern(*pattern, None, ox.DefaultGraph()):
            yield self.term(quad.object)


def from_file(path: Path, read_rdflib: Callable[[Path], Graph]) -> OxigraphGraph:
    """The graph file ``path`` (its format from its suffix) in a new store.

    Raises what pyoxigraph raises: SyntaxError for bad data (with the line), OSError.
    """
    rdf_format = RDF_FORMATS[path.suffix.lower()]
    base_iri = path.absolute().as_uri()  # as rdflib resolves relative IRIs in a file
    store = ox.Store()
    store.load(path=str(path), format=rdf_format, base_iri=base_iri)
    if rdf_format.supports_datasets:
        store.update(_UNION)
    origin = FileOrigin(path, rdf_format, base_iri, read_rdflib)
    return OxigraphGraph(store, rdf_format.supports_datasets, origin)


def from_rdflib(graph: Graph) -> OxigraphGraph:
    """An rdflib Graph or Dataset in a new store; ValueError for a term Oxigraph rejects
    (an IRI with a space, a malformed language tag)."""
    union = isinstance(graph, ConjunctiveGraph) and graph.default_union
    store = ox.Store()
    if isinstance(graph, ConjunctiveGraph):
        if isinstance(graph, Dataset):
            default = DATASET_DEFAULT_GRAPH_ID
        else:
            default = graph.default_context.identifier

        def name(context: Graph | Node) -> ox.NamedNode | ox.BlankNode | ox.DefaultGraph:
            # a Dataset gives graph names, a ConjunctiveGraph graphs
            identifier = context.identifier if isinstance(context, Graph) else context
            return ox.DefaultGraph() if identifier == default else to_oxigraph(identifier)

        store.extend(
            ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), name(context))
            for s, p, o, context in graph.quads((None, None, None, None))
        )
    else:
        store.extend(
            ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in graph
        )
    if union:
        store.update(_UNION)
    return OxigraphGraph(store, union, RdflibOrigin(graph))


def to_oxigraph(term: Node) -> OxTerm:
    """Oxigraph's term for an rdflib term; ValueError if Oxigraph rejects it."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise ValueError(f"not an RDF term: {term!r}")


# --- running a query -------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """Oxigraph's answer to one query as plain data (it crosses a process boundary).

    ``kind`` is "SELECT", "ASK" or "CONSTRUCT" (a graph: CONSTRUCT or DESCRIBE); ``rows``
    hold one term or None per name in ``variables``."""

    kind: str = "SELECT"
    variables: list[str] = field(default_factory=list)
    rows: list[tuple[OxTerm | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[ox.Triple] = field(default_factory=list)


def evaluate(store: ox.Store, sparql: str, prefixes: dict[str, str]) -> Answer:
    """Run ``sparql`` over ``store``'s default graph; what the store raises, raises."""
    answer = store.query(sparql, prefixes=prefixes)
    if isinstance(answer, ox.QueryBoolean):
        return Answer("ASK", boolean=bool(answer))
    if isinstance(answer, ox.QuerySolutions):
        names = [variable.value for variable in answer.variables]
        return Answer("SELECT", variables=names, rows=[tuple(solution) for solution in answer])
    return Answer("CONSTRUCT", triples=list(answer))


def call_in_thread(function: Callable[[], T]) -> T:
    """``function()`` in a worker thread that the caller waits for.

    Oxigraph computes with the GIL released and never looks at Python's signals, so a
    Ctrl-C in the thread that runs a query waits for the query to end; the thread that
    waits for another gets its KeyboardInterrupt at once (the worker, a daemon, goes on
    until its query ends or the program does).
    """
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            outcome["value"] = function()
        except BaseException as error:  # handed to the caller below
            outcome["error"] = error

    worker = threading.Thread(target=work, name="kg-oxigraph", daemon=True)
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


def call_in_child(function: Callable[[], T], seconds: float) -> T:
    """``function()`` run in a forked child process that is killed after ``seconds`` (E106).

    Oxigraph runs a query in Rust with the GIL released and never looks at Python's
    signals, so nothing raised in its thread stops it; ending a process does. A fork
    starts with the store already in memory (copy-on-write), so nothing is loaded twice.
    What ``function`` returns or raises comes back pickled through a pipe.
    """
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():  # Python 3.12+ warns about fork in threaded programs
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: answer, write, and leave without the parent's exit handlers
        status = 0
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(_outcome(function))
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    chunks: list[bytes] = []
    answered = False
    try:
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read_end], [], [], left)[0]:
                raise KGError(E.E106, seconds=seconds)
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        answered = True
    finally:
        os.close(read_end)
        if not answered:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if not chunks:
        raise RuntimeError(f"the query process ended without an answer (status {status})")
    succeeded, value = pickle.loads(b"".join(chunks))
    if not succeeded:
        raise value
    return value


def _outcome(function: Callable[[], object]) -> bytes:
    try:
        return pickle.dumps((True, function()))
    except BaseException as error:  # handed to the parent, which raises it
        try:
            return pickle.dumps((False, error))
        except Exception:  # an exception that does not pickle
            return pickle.dumps((False, RuntimeError(f"{type(error).__name__}: {error}")))
