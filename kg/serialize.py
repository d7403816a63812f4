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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XMLNS
from rdflib.plugins.serializers.nt import _quoteLiteral as _nt_literal
from rdflib.plugins.serializers.trig import TrigSerializer
from rdflib.plugins.serializers.turtle import OBJECT as _OBJECT
from rdflib.plugins.serializers.turtle import VERB as _VERB
from rdflib.plugins.serializers.turtle import TurtleSerializer
from rdflib.term import Node

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
    """A set of triples grouped by subject, then predicate (each object once, in the order
    first added), with the prefixes bound in ``namespaces``: what :func:`turtle_text`
    writes from. kg.graph fills one for a build written as Turtle or N-Triples, which then
    needs none of an rdflib Graph's indexes; :meth:`of` reads one from a Graph."""

    def __init__(self, namespaces: Graph) -> None:
        self.namespaces = namespaces
        self.spo: dict[Node, dict[Node, dict[Node, None]]] = {}
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
                predicates = spo[s] = {}
            objects = predicates.get(p)
            if objects is None:
                objects = predicates[p] = {}
            if o not in objects:
                objects[o] = None
                count += 1
        self.count += count

    def add(self, s: Node, p: Node, o: Node) -> None:
        terms = self.terms
        s, p, o = terms.setdefault(s, s), terms.setdefault(p, p), terms.setdefault(o, o)
        predicates = self.spo.get(s)
        if predicates is None:
            predicates = self.spo[s] = {}
        objects = predicates.get(p)
        if objects is None:
            objects = predicates[p] = {}
        if o not in objects:
            objects[o] = None
            self.count += 1

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[tuple[Node, Node, Node]]:
        for s, predicates in self.spo.items():
            for p, objects in predicates.items():
                for o in objects:
                    yield s, p, o

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
    predicate whose namespace has no prefix yet (rdflib would make one up), rdfs:Class
    subjects.

    It does what rdflib's TurtleSerializer does, without its per-triple lookups: the prefixes
    used (sorted), then each subject (by how often it is an object, then by IRI) with its
    predicates (rdf:type and rdfs:label first, then sorted) and their objects (sorted),
    each term written once by the serializer's own ``label``. A subject's lines depend on
    nothing else, so each is written as it is met, and only the blocks are sorted.
    """
    graph = table.namespaces
    if graph.base is not None:
        return None
    writer = TurtleSerializer(graph)
    known_prefix = graph.namespace_manager.compute_qname
    iri_label = _iri_labels(writer, graph)
    terms: dict[Node, str] = {}
    verbs: dict[Node, str] = {}
    references: dict[Node, int] = {}  # of each IRI as an object: subjects are sorted by it
    rdf_type, rdfs_label = (table.terms.get(t, t) for t in (RDF.type, RDFS.label))
    first = (rdf_type, rdfs_label)
    firsts = set(first)  # found by hash: "in" a tuple asks each term's (Python) __eq__

    def verb(p: Node) -> str | None:
        if type(p) is not URIRef:
            return None
        if p not in writer.keywords:
            try:
                known_prefix(p, generate=False)
            except KeyError:
                return None  # rdflib would bind a new prefix (ns1, ...) for it
            except Exception:  # noqa: S110 - no prefixed name at all: written as <IRI>
                pass
            writer.get_pname(p, gen_prefix=True)
        found = verbs[p] = writer.label(p, _VERB)
        return found

    def term(o: Node) -> str | None:
        if type(o) is URIRef:
            found = iri_label(o)
        elif isinstance(o, Literal):
            if o.datatype:
                writer.get_pname(o.datatype, gen_prefix=False)  # binds its prefix, as rdflib
            found = writer.label(o, _OBJECT)
        else:
            return None  # a blank node, or a term rdflib nests or refuses
        terms[o] = found
        return found

    blocks: list[tuple[int, str, str]] = []
    for s, predicates in table.spo.items():
        if type(s) is not URIRef or RDFS.Class in predicates.get(rdf_type, ()):
            return None
        subject = terms.get(s) or term(s)
        named = [p for p in first if p in predicates]
        rest = [p for p in predicates if p not in firsts]
        if len(rest) > 1:
            rest.sort(key=str)  # IRIs, which rdflib orders as strings
        parts = []
        for p in named + rest:
            head = verbs.get(p) or verb(p)
            if head is None:
                return None
            objects = predicates[p]
            listed = []
            for o in objects if len(objects) == 1 else sorted(objects):
                text = terms.get(o) or term(o)
                if text is None:
                    return None
                if type(o) is URIRef:
                    references[o] = references.get(o, 0) + 1
                listed.append(text)
            parts.append(head + " " + ",\n        ".join(listed))
        block = f"\n{subject} " + " ;\n    ".join(parts) + " .\n"
        if not block.isascii():
            try:
                block.encode("utf-8")
            except UnicodeEncodeError:  # as rdflib writes it: a lone surrogate becomes "?"
                block = block.encode("utf-8", "replace").decode("utf-8")
        blocks.append((0, s, block))
    blocks = [(references.get(s, 0), str(s), block) for _, s, block in blocks]
    blocks.sort()
    out = [f"@prefix {prefix}: <{uri}> .\n" for prefix, uri in sorted(writer.namespaces.items())]
    out.extend(block for _, _, block in blocks)
    out.append("\n")
    return out


_XMLNS = str(XMLNS)
# An IRI whose local name (after its last "/") is a plain word, and which holds nothing
# N3 refuses (term._invalid_uri_chars)
_PLAIN_IRI = re.compile(r"([^<>\"{}|\\^`\s]*/)[A-Za-z][A-Za-z0-9_-]*", re.ASCII)


def _iri_labels(writer: TurtleSerializer, graph: Graph) -> Callable[[URIRef], str]:
    """``writer.label`` for IRIs in a subject or object position, quicker for the IRIs
    that are most of kg's (<.../statement/s0a1b...>): where no bound namespace starts
    with the part of the IRI up to its last "/", rdflib finds no prefixed name for it
    (it splits the IRI there, finds no prefix for that namespace or a longer one, and
    the IRI is no namespace itself), and writes <IRI>."""
    bound = [str(namespace) for _, namespace in graph.namespaces()]
    free: dict[str, bool] = {}

    def label(iri: URIRef) -> str:
        match = _PLAIN_IRI.fullmatch(iri)
        if match is not None and not iri.startswith(_XMLNS):
            head = match.group(1)
            unbound = free.get(head)
            if unbound is None:
                unbound = free[head] = not any(b.startswith(head) for b in bound)
            if unbound:
                return f"<{iri}>"
        return writer.label(iri, _OBJECT)

    return label


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
            rows.update(f"{head}{term(o)} ." for o in objects)
    text = "\n".join(sorted(rows)) + "\n" if rows else ""
    text.encode("utf-8")  # rdflib refuses what UTF-8 cannot encode (a lone surrogate)
    return text


def _fast(write: Callable[[Triples], str | None], graph: Graph | Triples, rdflib: str) -> str:
    """``write`` the triples of ``graph``; where it declines (None) or fails, rdflib
    writes them (in the ``rdflib`` format), and fails, if it does, in its own words."""
    table = graph if isinstance(graph, Triples) else Triples.of(graph)
    try:
        text = write(table)
    except Exception:
        text = None
    if text is not None:
        return text
    text = (table.graph() if isinstance(graph, Triples) else graph).serialize(format=rdflib)
    return _sorted_lines(text) if rdflib == "nt" else text


def _turtle_parts(graph: Graph | Triples) -> list[str]:
    table = graph if isinstance(graph, Triples) else Triples.of(graph)
    try:
        parts = turtle_parts(table)
    except Exception:  # rdflib says what is wrong, below
        parts = None
    if parts is not None:
        return parts
    return [(table.graph() if isinstance(graph, Triples) else graph).serialize(format="turtle")]


def _turtle(graph: Graph | Triples) -> str:
    return "".join(_turtle_parts(graph))


def _sorted_lines(text: str) -> str:
    # split at "\n" only: str.splitlines() also splits at characters a literal may hold
    # unescaped (\x0b, \x1c, \x85, \u2028, ...), which would cut a triple in two
    lines = sorted({line for line in text.split("\n") if line.strip()})
    return "\n".join(lines) + "\n" if lines else ""


def _ntriples(graph: Graph | Triples) -> str:
    return _fast(nt_text, graph, "nt")


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
