"""Writing graphs: a registry of output formats, deterministic text, atomic files.

Triple formats (Turtle, N-Triples) write one graph; quad formats (TriG, N-Quads, JSON-LD)
write a Dataset, one named graph per article (kg.graph.to_dataset). Every writer gives
the same bytes for the same graph, whatever the hash seed: rdflib writes Turtle sorted,
while its N-Triples/N-Quads lines, TriG graphs and JSON-LD nodes come in hash order, so
kg sorts them.
"""

from __future__ import annotations

import glob
import io
import json
import os
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XMLNS, XSD
from rdflib.plugins.serializers.nt import _quoteLiteral as _nt_literal
from rdflib.plugins.serializers.trig import TrigSerializer
from rdflib.plugins.serializers.turtle import OBJECT as _OBJECT
from rdflib.plugins.serializers.turtle import VERB as _VERB
from rdflib.plugins.serializers.turtle import TurtleSerializer
from rdflib.term import _NUMERIC_INF_NAN_LITERAL_TYPES, _PLAIN_LITERAL_TYPES, Node

from kg.errors import E, KGError
from kg.namespaces import PREFIXES


@dataclass(frozen=True)
class Format:
    """An output format: ``write`` turns a Graph (or, if ``named_graphs``, a Dataset) into
    text; ``rdflib`` is the name rdflib parses it by."""

    name: str
    suffix: str
    write: Callable[[Graph], str]
    rdflib: str
    named_graphs: bool = False


class Triples:
    """A set of triples grouped by subject, then predicate, with the prefixes bound in
    ``namespaces``: what :func:`turtle_text` writes from. kg.graph fills one for a build
    written as Turtle or N-Triples, which then needs none of an rdflib Graph's indexes;
    :meth:`of` reads one from a Graph.

    ``spo[s][p]`` is the object of (s, p), or, where (s, p) has several, a dict of them
    (each once, in the order first added); ``several`` holds the subjects that have such a
    predicate. Most predicates have one object: no dict of one to make, nor to read.
    """

    def __init__(self, namespaces: Graph) -> None:
        self.namespaces = namespaces
        self.spo: dict[Node, dict[Node, Node | dict[Node, None]]] = {}
        self.several: set[Node] = set()
        self.count = 0
        # one object per term: a dict finds a key by identity before it asks the term's
        # (Python) __eq__
        self.terms: dict[Node, Node] = {}

    @classmethod
    def of(cls, graph: Graph) -> Triples:
        """The triples of ``graph``, each subject's in the order rdflib's writer reads them
        (the order they were added: where rdflib's ordering of terms is no total order,
        as between literals of different types, its sort keeps that order)."""
        table = cls(graph)
        for s in graph.subjects(unique=True):
            for p, o in graph.predicate_objects(s):
                table.add(s, p, o)
        return table

    def extend(self, triples: Iterable[tuple[Node, Node, Node]]) -> None:
        """Add ``triples`` whose equal terms are one object already, as kg.graph makes them
        (add's interning would cost more than it saves)."""
        spo, count = self.spo, 0
        for s, p, o in triples:
            predicates = spo.get(s)
            if predicates is None:
                spo[s] = {p: o}
                count += 1
                continue
            size = len(predicates)
            old = predicates.setdefault(p, o)
            if len(predicates) != size:
                count += 1
            elif old is not o:
                count += self._another(s, predicates, p, old, o)
        self.count += count

    def add(self, s: Node, p: Node, o: Node) -> None:
        terms = self.terms
        s, p, o = terms.setdefault(s, s), terms.setdefault(p, p), terms.setdefault(o, o)
        predicates = self.spo.get(s)
        if predicates is None:
            self.spo[s] = {p: o}
            self.count += 1
            return
        size = len(predicates)
        old = predicates.setdefault(p, o)
        if len(predicates) != size:
            self.count += 1
        elif old is not o:
            self.count += self._another(s, predicates, p, old, o)

    def _another(
        self, s: Node, predicates: dict[Node, Any], p: Node, old: Any, o: Node
    ) -> int:
        """Add ``o`` to the objects of (s, p), ``old`` so far: 1 if it is new, else 0 (as a
        dict of them finds it: the same object, or an equal one of the same hash)."""
        if type(old) is dict:
            if o in old:
                return 0
            old[o] = None
            return 1
        if hash(old) == hash(o) and old == o:
            return 0
        predicates[p] = {old: None, o: None}
        self.several.add(s)
        return 1

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[tuple[Node, Node, Node]]:
        for s, predicates in self.spo.items():
            for p, objects in predicates.items():
                if type(objects) is dict:
                    for o in objects:
                        yield s, p, o
                else:
                    yield s, p, objects

    def graph(self) -> Graph:
        """The triples as an rdflib Graph, with the same prefixes (and no others)."""
        graph = Graph(bind_namespaces="none")
        for prefix, namespace in self.namespaces.namespaces():
            graph.bind(prefix, namespace)
        for triple in self:
            graph.add(triple)
        return graph


def turtle_text(table: Triples) -> str | None:
    """rdflib's Turtle for the triples of ``table``, to the byte, in a fraction of its time;
    None for what this writer leaves to rdflib (see turtle_parts)."""
    parts = turtle_parts(table)
    return None if parts is None else "".join(parts)


def turtle_parts(table: Triples) -> list[str] | None:
    """:func:`turtle_text` in pieces (a file can be written from them without holding the
    whole text); None for what this writer leaves to rdflib: blank nodes, a base IRI, a
    predicate whose namespace has no prefix yet (rdflib would make one up), a prefix that
    rdflib would rename, rdfs:Class subjects.

    It does what rdflib's TurtleSerializer does, without its per-triple lookups: the prefixes
    used (sorted), then each subject (by how often it is an object, then by IRI) with its
    predicates (rdf:type and rdfs:label first, then sorted) and their objects (sorted),
    each term written once (see _Labels). A subject's lines depend on nothing else, so each
    is written as it is met, and only the blocks are sorted. Subjects with the same
    predicates (kg has a dozen kinds) share a plan (see _Plans): the predicates in order,
    and the block as a %-template with a slot for the subject and for each predicate.
    """
    graph = table.namespaces
    if graph.base is not None or any(prefix.startswith("_") for prefix, _ in graph.namespaces()):
        return None
    if not set(map(type, table.spo)) <= {URIRef}:
        return None  # a blank node (or a literal) as a subject
    writer = TurtleSerializer(graph)
    labels = _Labels(writer, graph)
    label = labels.__getitem__  # a label made on first sight (_Labels.__missing__)
    plans = _Plans(writer, table)
    templates, getters = plans.templates, plans.getters
    several = table.several
    blocks: list[str] = []
    names: list[str] = []  # each subject's label
    listed: list[str] = []  # each object's label, as often as it is an object
    try:
        for s, predicates in table.spo.items():
            kind = plans[tuple(predicates)]
            if s in several:
                objects = _several(getters[kind](predicates), label, listed)
            else:
                objects = [*map(label, getters[kind](predicates))]
                listed += objects
            name = labels.get(s) or labels.subject(s)
            names.append(name)
            blocks.append(templates[kind] % (name, *objects))
    except _Declined:
        return None
    if labels.classes and any(
        RDFS.Class in _objects(predicates[RDF.type])
        for predicates in table.spo.values()
        if RDF.type in predicates
    ):
        return None  # rdflib writes rdfs:Class members first (RecursiveSerializer.topClasses)
    if labels.unencodable or plans.unencodable:  # as rdflib writes a lone surrogate: "?"
        blocks = [_encodable(block) for block in blocks]
    # subjects by how often they are objects, then by IRI: a stable sort by the count of
    # the subjects sorted by IRI (as strings, as rdflib orders IRIs)
    references = Counter(listed)
    del listed
    iris = [*map(str, table.spo)]
    order = sorted(range(len(iris)), key=iris.__getitem__)
    del iris
    order.sort(key=[*map(references.get, names, repeat(0))].__getitem__)
    out = [
        _encodable(f"@prefix {prefix}: <{uri}> .\n")
        for prefix, uri in sorted(writer.namespaces.items())
    ]
    out.extend(map(blocks.__getitem__, order))
    out.append("\n")
    return out


_SUBJECT_JOIN = " ;\n    "
_OBJECT_JOIN = ",\n        "


def _objects(value: Any) -> Iterable[Node]:
    """The objects of a Triples entry: one, or a dict of several."""
    return value if type(value) is dict else (value,)


def _several(
    groups: tuple[Any, ...], label: Callable[[Node], str], listed: list[str]
) -> list[str]:
    """The text of each predicate's objects, some predicates with several: sorted as
    rdflib sorts them (IRIs as strings; other terms by rdflib's own ordering, which keeps
    the order they were added in where it has none), each label also ``listed``."""
    texts = []
    for group in groups:
        if type(group) is not dict:
            text = label(group)
            listed.append(text)
        else:
            if set(map(type, group)) == _IRI_ONLY:
                ordered = sorted(group, key=str)
            else:
                ordered = sorted(group)
            found = [*map(label, ordered)]
            listed += found
            text = _OBJECT_JOIN.join(found)
        texts.append(text)
    return texts


_IRI_ONLY = {URIRef}


def _encodable(text: str) -> str:
    """``text`` as rdflib's writer puts it in a file: what UTF-8 cannot encode (a lone
    surrogate) as "?"."""
    if text.isascii():
        return text
    return text.encode("utf-8", "replace").decode("utf-8")


class _Declined(Exception):
    """A term the fast writer leaves to rdflib."""


class _Plans(dict):
    """The number of the plan for a subject with the predicates of a key (a tuple, in the
    table's order), made on first sight. Plan n is ``templates[n]``, a %-template of the
    subject's block with a slot for the subject and for each predicate's objects, and
    ``getters[n]``, from the subject's predicates to their objects, in the order written.
    Where rdflib would bind a prefix of its own for a predicate, it declines."""

    def __init__(self, writer: TurtleSerializer, table: Triples) -> None:
        super().__init__()
        self.writer = writer
        self.known_prefix = writer.store.namespace_manager.compute_qname
        self.first = [table.terms.get(t, t) for t in (RDF.type, RDFS.label)]
        self.templates: list[str] = []
        self.getters: list[Callable[[dict[Node, Any]], tuple[Any, ...]]] = []
        self.unencodable = False  # some template holds what UTF-8 cannot encode

    def __missing__(self, key: tuple[Node, ...]) -> int:
        named = [p for p in self.first if p in key]
        order = named + sorted((p for p in key if p not in named), key=str)
        heads = [self.verb(p).replace("%", "%%") + " %s" for p in order]
        template = "\n%s " + _SUBJECT_JOIN.join(heads) + " .\n"
        self.unencodable = self.unencodable or _encodable(template) != template
        self.templates.append(template)
        if len(order) == 1:
            only = order[0]
            self.getters.append(lambda predicates: (predicates[only],))
        else:
            self.getters.append(itemgetter(*order))
        found = self[key] = len(self.templates) - 1
        return found

    def verb(self, p: Node) -> str:
        writer = self.writer
        if type(p) is not URIRef:
            raise _Declined
        if p not in writer.keywords:
            try:
                self.known_prefix(p, generate=False)
            except KeyError:
                raise _Declined from None  # rdflib would bind a new prefix (ns1, ...) for it
            except Exception:  # noqa: S110 - no prefixed name at all: written as <IRI>
                pass
            writer.get_pname(p, gen_prefix=True)
        return writer.label(p, _VERB)


_XMLNS = str(XMLNS)
# An IRI up to its last "/" that holds nothing N3 refuses (term._invalid_uri_chars), and a
# plain word after it
_HEAD = re.compile(r"[^<>\"{}|\\^`\s]*/", re.ASCII)
_LOCAL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*", re.ASCII)
_QUOTED = re.compile(r'[\n\r"\\]')  # what rdflib escapes in a literal (Literal._quote_encode)
_XSD_INTEGER = XSD.integer
_UNSEEN = object()


class _Labels(dict):
    """Each term's text in a subject or object position, as ``writer.label`` writes it,
    made once, on first sight (a missing key). Quicker than rdflib's for the terms that
    are most of kg's, to the same bytes:

    - IRIs (<.../statement/s0a1b...>) where no bound namespace starts with the part of the
      IRI up to its last "/": rdflib finds no prefixed name for them (it splits the IRI
      there, finds no prefix for that namespace or a longer one, and the IRI is no
      namespace itself), and writes <IRI>;
    - literals with no datatype, or a language tag, or a datatype rdflib writes as "..."^^dt
      (anything but its numbers and booleans), or a well-formed xsd:integer (its digits);
      the quoting is rdflib's own where the text holds a quote, backslash or line break.

    Anything else is rdflib's label; a blank node (or any other kind of term) is declined.
    """

    def __init__(self, writer: TurtleSerializer, graph: Graph) -> None:
        super().__init__()
        self.writer = writer
        self.bound = [str(namespace) for _, namespace in graph.namespaces()]
        self.free: dict[str, bool] = {}
        self.datatypes: dict[Node, str | None] = {}  # "^^dt" after a literal (see typed)
        self.classes = False  # rdfs:Class is an object somewhere
        self.unencodable = False  # some label holds what UTF-8 cannot encode

    def __missing__(self, term: Node) -> str:
        if type(term) is URIRef:
            found = self.iri(term)
        elif isinstance(term, Literal):
            found = self.literal(term)
        else:
            raise _Declined
        if not found.isascii() and not self.unencodable:
            try:
                found.encode("utf-8")
            except UnicodeEncodeError:
                self.unencodable = True
        self[term] = found
        return found

    def subject(self, iri: URIRef) -> str:
        """The label of a subject, not kept (most subjects are no object)."""
        found = self.iri(iri)
        if not found.isascii() and not self.unencodable:
            try:
                found.encode("utf-8")
            except UnicodeEncodeError:
                self.unencodable = True
        return found

    def iri(self, iri: URIRef) -> str:
        # <IRI> where rdflib finds no prefixed name: a plain word after the last "/", and
        # no bound namespace that starts with the part before it
        cut = iri.rfind("/") + 1
        if cut and _LOCAL_NAME.fullmatch(iri, cut) is not None:
            free = self.free.get(iri[:cut])
            if free is None:
                free = self.head(iri[:cut])
            if free and not str.startswith(iri, _XMLNS):
                return f"<{iri}>"
        if iri == RDFS.Class:
            self.classes = True
        # binds the IRI's prefix as rdflib's writer does for every IRI it meets, even one
        # it then writes otherwise (rdf:nil as "()")
        self.writer.get_pname(iri, gen_prefix=False)
        return self.writer.label(iri, _OBJECT)

    def head(self, head: str) -> bool:
        """Whether rdflib writes the IRIs that are ``head`` and then a plain word as <IRI>:
        nothing N3 refuses in it, and no bound namespace starts with it."""
        free = self.free[head] = _HEAD.fullmatch(head) is not None and not any(
            b.startswith(head) for b in self.bound
        )
        return free

    def literal(self, literal: Literal) -> str:
        datatype, language = literal.datatype, literal.language
        if datatype is not None:
            suffix = self.datatypes.get(datatype, _UNSEEN)
            if suffix is _UNSEEN:
                suffix = self.datatypes[datatype] = self.typed(datatype)
            if suffix is None:  # written as a number or boolean where well-formed
                if datatype == _XSD_INTEGER and literal.value is not None:
                    return str(literal)
                return self.writer.label(literal, _OBJECT)
        elif language is None:
            suffix = ""
        elif language:
            suffix = "@" + language
        else:
            return self.writer.label(literal, _OBJECT)
        if _QUOTED.search(literal) is None:
            return f'"{literal}"{suffix}'
        return literal._quote_encode() + suffix

    def typed(self, datatype: Node) -> str | None:
        """"^^" and how rdflib writes ``datatype`` after a literal, None for the datatypes
        whose literals it may write otherwise; binds the datatype's prefix, as rdflib's
        writer does for every datatype it meets, whatever it then writes."""
        pname = self.writer.get_pname(datatype, gen_prefix=False)
        if (
            type(datatype) is not URIRef
            or datatype in _PLAIN_LITERAL_TYPES
            or datatype in _NUMERIC_INF_NAN_LITERAL_TYPES
        ):
            return None
        return "^^" + (pname or f"<{datatype}>")


def nt_text(table: Triples) -> str:
    """rdflib's N-Triples for the triples of ``table``, each term written once, the lines
    sorted (as :func:`_ntriples` sorts rdflib's)."""
    terms: dict[Node, str] = {}

    def term(t: Node) -> str:
        found = terms.get(t)
        if found is None:
            found = terms[t] = _nt_literal(t) if isinstance(t, Literal) else t.n3()
        return found

    rows = set()
    for s, predicates in table.spo.items():
        subject = term(s)
        for p, objects in predicates.items():
            head = f"{subject} {term(p)} "
            rows.update(f"{head}{term(o)} ." for o in _objects(objects))
    text = "\n".join(sorted(rows)) + "\n" if rows else ""
    text.encode("utf-8")  # rdflib refuses what UTF-8 cannot encode (a lone surrogate)
    return text


def _fast(
    write: Callable[[Triples], str | list[str] | None], graph: Graph | Triples, rdflib: str
) -> list[str]:
    """``write`` the triples of ``graph`` (text, or text in pieces); where it declines
    (None) or fails, rdflib writes them (in the ``rdflib`` format), and fails, if it does,
    in its own words."""
    table = graph if isinstance(graph, Triples) else Triples.of(graph)
    try:
        written = write(table)
    except Exception:  # rdflib says what is wrong, below
        written = None
    if written is not None:
        return [written] if isinstance(written, str) else written
    text = (table.graph() if isinstance(graph, Triples) else graph).serialize(format=rdflib)
    return [_sorted_lines(text) if rdflib == "nt" else text]


def _turtle_parts(graph: Graph | Triples) -> list[str]:
    return _fast(turtle_parts, graph, "turtle")


def _turtle(graph: Graph | Triples) -> str:
    return "".join(_turtle_parts(graph))


def _sorted_lines(text: str) -> str:
    # split at "\n" only: str.splitlines() also splits at characters a literal may hold
    # unescaped (\x0b, \x1c, \x85, \u2028, ...), which would cut a triple in two
    lines = sorted({line for line in text.split("\n") if line.strip()})
    return "\n".join(lines) + "\n" if lines else ""


def _ntriples(graph: Graph | Triples) -> str:
    return "".join(_fast(nt_text, graph, "nt"))


def _nquads(dataset: Graph) -> str:
    return _sorted_lines(dataset.serialize(format="nquads"))


class _SortedTrig(TrigSerializer):
    """rdflib's TriG writer with the graphs in name order (the default graph first)."""

    def __init__(self, store: Graph) -> None:
        super().__init__(store)
        self.contexts.sort(
            key=lambda g: (g.identifier != self.default_context, str(g.identifier))
        )


def _trig(dataset: Graph) -> str:
    out = io.BytesIO()
    _SortedTrig(dataset).serialize(out, encoding="utf-8")
    return out.getvalue().decode("utf-8")


def jsonld_context(graph: Graph) -> dict[str, str]:
    """The @context of kg's JSON-LD: kg's prefixes (kg.namespaces.PREFIXES), and ``id`` for
    the instance namespace the graph binds (kg.graph binds it)."""
    known = {str(ns) for ns in PREFIXES.values()}
    bound = dict(graph.namespaces())
    context = {name: str(PREFIXES[name]) for name in PREFIXES}
    if "id" in bound and str(bound["id"]) not in known:
        context["id"] = str(bound["id"])
    return context


def _jsonld(dataset: Graph) -> str:
    text = dataset.serialize(format="json-ld", context=jsonld_context(dataset))
    return json.dumps(_canonical(json.loads(text)), indent=2, sort_keys=True,
                      ensure_ascii=False) + "\n"


def _canonical(value: Any, key: str | None = None) -> Any:
    """JSON-LD with every unordered array sorted: node lists and multi-valued properties
    (an @list and the @context keep their order)."""
    if key == "@context":
        return value
    if isinstance(value, dict):
        return {k: _canonical(v, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        if key == "@list":
            return items
        return sorted(items, key=_node_order)
    return value


def _node_order(value: Any) -> tuple[str, str]:
    """Nodes and graphs by @id, then anything by its JSON text."""
    ident = value.get("@id", "") if isinstance(value, dict) else ""
    return str(ident), json.dumps(value, sort_keys=True, ensure_ascii=False)


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("turtle", ".ttl", _turtle, "turtle"),
        Format("nt", ".nt", _ntriples, "nt"),
        Format("trig", ".trig", _trig, "trig", named_graphs=True),
        Format("nq", ".nq", _nquads, "nquads", named_graphs=True),
        Format("jsonld", ".jsonld", _jsonld, "json-ld", named_graphs=True),
    )
}


def format_for(path: Path, name: str | None = None) -> Format:
    """The format named, else the one the file's suffix implies; unknown -> E201."""
    if name is not None:
        if name not in FORMATS:
            raise KGError(E.E201, name=name, choices=", ".join(sorted(FORMATS)))
        return FORMATS[name]
    for f in FORMATS.values():
        if path.suffix == f.suffix:
            return f
    raise KGError(
        E.E201,
        name=path.suffix or str(path),
        choices=", ".join(f"{f.name} ({f.suffix})" for f in FORMATS.values()),
    )


def write_atomic(path: Path, data: str | bytes | list[str]) -> None:
    """Write ``data`` (text, bytes, or text in pieces) to ``path`` so that readers see the
    old file or the new one, never a part: a temporary file in the same folder, flushed,
    then renamed over it.

    The temporary file is hidden and named after the path and the writing process
    (".kg.ttl.<pid>.<random>.tmp"). A writer killed outright (SIGKILL, power loss) leaves
    it behind; the next write to the same path removes it once its process is gone and it
    has not changed for STALE_SECONDS.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    pieces = [payload] if isinstance(payload, bytes) else payload
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path)
        prefix = f".{path.name}.{os.getpid()}."
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise KGError(E.E202, path=path, reason=exc.strerror or exc) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            for piece in pieces:
                fh.write(piece if isinstance(piece, bytes) else piece.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise KGError(E.E202, path=path, reason=exc.strerror or exc) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


STALE_SECONDS = 60.0  # a live writer touches its temporary file more often than this


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove the temporary files of writes to ``path`` whose process no longer runs on
    this machine and which have not changed for STALE_SECONDS; the ones removed.

    The age keeps a file another machine is writing right now (on a shared folder its
    process id means nothing here) safe.
    """
    removed: list[Path] = []
    prefix = f".{path.name}."
    for tmp in path.parent.glob(f"{glob.escape(prefix)}*.tmp"):
        pid, _, rest = tmp.name[len(prefix) :].partition(".")
        if not pid.isdigit() or not rest or _running(int(pid)):
            continue
        try:
            if time.time() - tmp.stat().st_mtime > STALE_SECONDS:
                tmp.unlink()
                removed.append(tmp)
        except FileNotFoundError:
            continue  # another writer removed it first
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process (or a number no process has: keep it, to be safe)
    return True


def serialize_parts(graph: Graph | Triples, fmt: Format) -> list[str]:
    """:func:`serialize` in pieces: Turtle from a Triples table comes in one piece per
    subject, so that a big graph is written without holding its whole text twice."""
    if isinstance(graph, Triples) and fmt.name == "turtle":
        return _turtle_parts(graph)
    return [serialize(graph, fmt)]


def serialize(graph: Graph | Triples, fmt: Format) -> str:
    """``graph`` as ``fmt`` text: a Dataset written in a triple format gives the union of
    its graphs; a plain Graph (or Triples) written in a quad format is the default graph."""
    if isinstance(graph, Triples):
        if not fmt.named_graphs:
            return fmt.write(graph)  # type: ignore[arg-type]
        graph = graph.graph()
    if fmt.named_graphs and not isinstance(graph, Dataset):
        dataset = Dataset()
        for prefix, namespace in graph.namespaces():
            dataset.bind(prefix, namespace)
        for triple in graph:
            dataset.add(triple)
        graph = dataset
    elif not fmt.named_graphs and isinstance(graph, Dataset):
        graph = union(graph)
    return fmt.write(graph)


def union(dataset: Dataset) -> Graph:
    """Every triple of every graph of ``dataset``, with its prefixes."""
    graph = Graph()
    for prefix, namespace in dataset.namespaces():
        graph.bind(prefix, namespace)
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


def write_graph(graph: Graph, path: Path, fmt_name: str | None = None) -> Format:
    fmt = format_for(path, fmt_name)
    write_atomic(path, serialize(graph, fmt))
    return fmt
