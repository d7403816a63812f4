"""Draw the knowledge graph as one self-contained HTML page that opens offline.

The page is vis-network (the copy pyvis ships, inlined) in kg's own template
(kg/data/viz/): pyvis's templates load Bootstrap and more from CDNs, so they are not used.

Nodes are entities: the classes listed in kg/data/viz/classes.json (jurisdictions, people,
couples, courts, rulings, systems, certificates, polls, quotations, organisations, office
holdings, articles). rdf:Statement and kg:Sentence nodes are not drawn: they supply the
evidence shown for each fact. Literals and SKOS concepts (roles, benefits, outcomes, court
levels) are values in a node's details, not nodes, so that a shared concept such as
"unconstitutional" does not become a hub. Links from an entity to the articles it was read
from are drawn dashed, and only once the page's "article links" box is ticked.

build_ontology draws an OWL ontology in the same page (kg viz --ontology): classes as nodes,
object properties as edges from domain to range, subclass edges dashed
(kg/data/viz/ontology.json).

Every string from the graph reaches the page inside one JSON blob with "<", ">" and "&"
escaped, and the page script inserts it with textContent only: article text is data, never
markup. A Content-Security-Policy allows only the page's own two scripts and no network.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import re
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Formatter
from typing import Any

import networkx as nx
import pyvis
from networkx.algorithms.link_analysis.pagerank_alg import _pagerank_python
from pyvis.network import Network
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from kg.namespaces import KG, SCHEMA
from kg.serialize import write_atomic

DATA_DIR = Path(__file__).parent / "data" / "viz"
VIS_DIR = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"

PYTHON_LAYOUT_ABOVE = 500  # more nodes than this: positions computed here, physics off
DIM_UP_TO = 2000  # selecting a node dims the others only on pages with at most this many
SIZE_MIN, SIZE_MAX = 10, 40  # node sizes in px, from PageRank
LABEL_MAX = 40  # characters of a label drawn on the canvas; the panel shows it whole
SEED = 7  # for every layout, here and in the browser
SPACING = 90  # px between neighbours in the Python layout
# spring_layout handles this many nodes of a big component and the rest are attached; keep it
# under 500, where networkx switches to a solver that needs SciPy
CORE_SIZE = 400
ASPECT = 1.6  # width / height the packed components aim at (screens are wide)
GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


@dataclass(frozen=True)
class Style:
    """How one class is drawn."""

    key: str  # the class's local name, e.g. "Prefecture"
    name: str  # what the legend says
    colour: str
    shape: str  # a vis-network shape that draws its label outside and honours size
    iri: URIRef


@cache
def _config() -> dict[str, Any]:
    return json.loads((DATA_DIR / "classes.json").read_text(encoding="utf-8"))


@cache
def styles() -> tuple[Style, ...]:
    """The classes drawn as nodes, most specific first."""
    return tuple(
        Style(c["class"], c["name"], c["colour"], c["shape"], getattr(KG, c["class"]))
        for c in _config()["classes"]
    )


def humanise(prop: str) -> str:
    """A property IRI or local name as people say it: kg:partOf -> "part of"."""
    name = _local(prop)
    override = _config()["property_names"].get(name)
    if override:
        return override
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").lower()


def _local(iri: str) -> str:
    return re.split(r"[#/]", iri.rstrip("/#"))[-1]


def _preferred(literals: Iterable[Literal]) -> str | None:
    """English first, then untagged, then the rest, each in a fixed order."""
    ranked = sorted(
        (0 if lit.language == "en" else 1 if not lit.language else 2, lit.language or "", str(lit))
        for lit in literals
    )
    return ranked[0][2] if ranked else None


def _short(label: str) -> str:
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1].rstrip() + "\u2026"


def _one(graph: Graph, subject: Any, prop: URIRef) -> Any:
    """The smallest value of prop, so that an extra value cannot make the page change."""
    return min(graph.objects(subject, prop), key=lambda o: (type(o).__name__, str(o)), default=None)


class _Reading:
    """What the page needs from the graph, read once."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        rank = {s.iri: i for i, s in enumerate(styles())}
        by_iri = {s.iri: s for s in styles()}
        self.style: dict[URIRef, Style] = {}
        for node, cls in graph.subject_objects(RDF.type):
            if isinstance(node, URIRef) and cls in by_iri:
                old = self.style.get(node)
                if old is None or rank[cls] < rank[old.iri]:
                    self.style[node] = by_iri[cls]
        self.nodes = sorted(self.style)
        self.omitted = {URIRef(p) for p in _config()["omitted_properties"]}
        self.templates: dict[str, list[str]] = _config()["labels"]
        self._labels: dict[URIRef, str] = {}
        self._busy: set[URIRef] = set()

        # (subject, predicate, object) -> the sentences the triple was derived from
        self.evidence: dict[tuple, set[URIRef]] = defaultdict(set)
        for statement, subject in graph.subject_objects(RDF.subject):
            triple = (
                subject,
                _one(graph, statement, RDF.predicate),
                _one(graph, statement, RDF.object),
            )
            for sentence in graph.objects(statement, PROV.wasDerivedFrom):
                if isinstance(sentence, URIRef):
                    self.evidence[triple].add(sentence)
        # entity -> articles its facts come from, and back
        self.sources: dict[URIRef, set[URIRef]] = defaultdict(set)
        self.mentions: dict[URIRef, set[URIRef]] = defaultdict(set)
        article_of: dict[URIRef, Any] = {}
        for (subject, _, _), sentences in self.evidence.items():
            if subject not in self.style:
                continue
            for sentence in sentences:
                if sentence not in article_of:
                    article_of[sentence] = _one(graph, sentence, KG.inArticle)
                article = article_of[sentence]
                if isinstance(article, URIRef):
                    self.sources[subject].add(article)
                    if article in self.style:
                        self.mentions[article].add(subject)

    def own_label(self, node: URIRef) -> str | None:
        for prop in (RDFS.label, SKOS.prefLabel):
            label = _preferred(o for o in self.graph.objects(node, prop) if isinstance(o, Literal))
            if label:
                return label
        return None

    def label(self, node: URIRef) -> str:
        """rdfs:label, else skos:prefLabel, else the class's label template, else the IRI."""
        if node not in self._labels:
            self._busy.add(node)
            self._labels[node] = (
                self.own_label(node) or self._template_label(node) or _local(node) or str(node)
            )
            self._busy.discard(node)
        return self._labels[node]

    def names(self, node: URIRef) -> list[str]:
        """Every name a search or --focus may use for node."""
        names = {self.label(node)}
        for prop in (RDFS.label, SKOS.prefLabel, SKOS.altLabel):
            names.update(str(o) for o in self.graph.objects(node, prop) if isinstance(o, Literal))
        return sorted(names)

    def _template_label(self, node: URIRef) -> str | None:
        style = self.style.get(node)
        if style is None:
            return None
        for template in self.templates.get(style.key, []):
            fields = {f for _, f, _, _ in Formatter().parse(template) if f}
            values = {f: self._field(node, f) for f in fields}
            if all(values.values()):
                return template.format_map(values)
        return None

    def _field(self, node: URIRef, field: str) -> str:
        values = sorted(
            {
                self.value_text(o)
                for p, o in self.graph.predicate_objects(node)
                if _local(p) == field and isinstance(o, (URIRef, Literal))
            }
        )
        return " and ".join(values)

    def value_text(self, value: URIRef | Literal) -> str:
        if isinstance(value, Literal):
            return str(value)
        if value in self._busy:
            return self.own_label(value) or _local(value)
        if value in self.style:
            return self.label(value)
        return self.own_label(value) or str(value)


# -- choosing what to draw ----------------------------------------------------------------


def _fact_graph(reading: _Reading) -> nx.Graph:
    """Entities linked by the facts between them (undirected; no article links)."""
    pairs = {
        (min(s, o), max(s, o))
        for s in reading.nodes
        for p, o in reading.graph.predicate_objects(s)
        if o in reading.style and o != s and p not in reading.omitted
    }
    # built in sorted order, so PageRank adds up its floats in the same order every time
    g = nx.Graph()
    g.add_nodes_from(reading.nodes)
    g.add_edges_from(sorted(pairs))
    return g


def _pagerank(g: nx.Graph) -> dict[URIRef, float]:
    # nx.pagerank needs SciPy, which kg does not depend on; this is networkx's own
    # pure-Python implementation of the same algorithm.
    # rounded so that nodes in the same position tie exactly and sort by IRI
    return {n: round(r, 12) for n, r in _pagerank_python(g).items()} if len(g) else {}


def _roots(reading: _Reading, focus: str) -> list[URIRef]:
    """The nodes focus names: its IRI, the end of its IRI, or a label (every match)."""
    entities = reading.nodes
    wanted = focus.strip()
    exact = [n for n in entities if str(n) == wanted]
    if exact:
        return exact
    tail = "/" + wanted.strip("/")
    by_path = [n for n in entities if str(n).endswith(tail)]
    if by_path:
        return by_path
    key = wanted.casefold()
    by_name = [n for n in entities if key in {name.casefold() for name in reading.names(n)}]
    if by_name:
        return by_name
    example = f" (e.g. {reading.label(entities[0])!r})" if entities else ""
    raise LookupError(f"no node matches focus {focus!r}: give a label{example} or an IRI")


def _neighbourhood(reading: _Reading, g: nx.Graph, roots: list[URIRef], depth: int) -> set[URIRef]:
    """Nodes within depth fact links of a root; a root article also reaches what it mentions."""
    seen = {root: 0 for root in roots}
    queue = deque(roots)
    while queue:
        node = queue.popleft()
        if seen[node] == depth:
            continue
        nearby = sorted(g[node])
        if node in roots:
            nearby += sorted(reading.mentions.get(node, ()))
        for other in nearby:
            if other not in seen:
                seen[other] = seen[node] + 1
                queue.append(other)
    return set(seen)


def _sizes(rank: dict[URIRef, float], nodes: list[URIRef]) -> dict[URIRef, int]:
    """Whole pixels in SIZE_MIN..SIZE_MAX, the area above the minimum growing with PageRank."""
    low = min((rank[n] for n in nodes), default=0.0)
    high = max((rank[n] for n in nodes), default=0.0)
    if high - low < 1e-12:
        return {n: (SIZE_MIN + SIZE_MAX) // 2 for n in nodes}
    span = SIZE_MAX - SIZE_MIN
    return {n: SIZE_MIN + round(span * math.sqrt((rank[n] - low) / (high - low))) for n in nodes}


# -- layout for big graphs ----------------------------------------------------------------


def layout(g: nx.Graph, order: dict[Any, int]) -> dict[Any, tuple[int, int]]:
    """Whole-pixel positions for every node of g, the same for the same graph.

    Each connected component is laid out on its own (spring_layout, fixed seed; a component
    over CORE_SIZE nodes lays out its CORE_SIZE most central nodes and places the others
    next to a placed neighbour), and the components are packed in rows, biggest first.
    ``order`` ranks the nodes, most central first.
    """
    components = sorted(
        (sorted(c, key=order.__getitem__) for c in nx.connected_components(g)),
        key=lambda c: (-len(c), order[c[0]]),
    )
    placed = [_component_layout(g.subgraph(c), c) for c in components]
    extents = [_extent(p) for p in placed]
    area = sum((w + SPACING) * (h + SPACING) for _, _, w, h in extents)
    row_width = max([math.sqrt(area * ASPECT)] + [w for _, _, w, _ in extents])
    positions: dict[Any, tuple[int, int]] = {}
    x = y = row_height = 0.0
    for part, (left, top, width, height) in zip(placed, extents, strict=True):
        if x > 0 and x + width > row_width:
            x, y, row_height = 0.0, y + row_height + SPACING, 0.0
        for node, (px, py) in part.items():
            positions[node] = (round(x + px - left), round(y + py - top))
        x += width + SPACING
        row_height = max(row_height, height)
    return positions


def _extent(part: dict[Any, tuple[float, float]]) -> tuple[float, float, float, float]:
    xs = [p[0] for p in part.values()]
    ys = [p[1] for p in part.values()]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def _component_layout(g: nx.Graph, ranked: list[Any]) -> dict[Any, tuple[float, float]]:
    if len(ranked) == 1:
        return {ranked[0]: (0.0, 0.0)}
    core = ranked[:CORE_SIZE]
    core_graph = nx.Graph()
    core_graph.add_nodes_from(core)
    core_graph.add_edges_from(sorted(g.subgraph(core).edges(), key=str))
    spread = SPACING * math.sqrt(len(core)) / 2
    raw = nx.spring_layout(core_graph, seed=SEED, scale=spread)
    positions = {n: (float(raw[n][0]), float(raw[n][1])) for n in core}
    # attach the rest breadth-first, each beside its most central placed neighbour
    index = {n: i for i, n in enumerate(ranked)}
    children: dict[Any, int] = defaultdict(int)
    frontier = core
    while frontier and len(positions) < len(ranked):
        nxt: list[Any] = []
        for node in frontier:
            for other in sorted(g[node], key=index.__getitem__):
                if other in positions:
                    continue
                anchor = min((n for n in g[other] if n in positions), key=index.__getitem__)
                k = children[anchor]
                children[anchor] += 1
                radius = SPACING * (0.6 + 0.25 * math.sqrt(k))
                ax, ay = positions[anchor]
                angle = k * GOLDEN_ANGLE
                positions[other] = (ax + radius * math.cos(angle), ay + radius * math.sin(angle))
                nxt.append(other)
        frontier = nxt
    return positions


# -- the page data ------------------------------------------------------------------------


def _options(fixed: bool, font: int = 14, spring: int = 110) -> dict[str, Any]:
    """vis-network options; fixed: positions come from Python and physics is off."""
    return {
        "layout": {"randomSeed": SEED, "improvedLayout": not fixed},
        "nodes": {"borderWidth": 1, "font": {"size": font, "color": "#222222"}},
        "edges": {
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.5}},
            "color": {"color": "#9aa5b1", "highlight": "#333333", "hover": "#333333"},
            "font": {"size": font - 4, "color": "#555555", "strokeWidth": 3, "align": "middle"},
            "smooth": {"enabled": False} if fixed else {"enabled": True, "type": "dynamic"},
        },
        "interaction": {"hover": True, "hideEdgesOnDrag": fixed, "tooltipDelay": 300},
        "physics": {"enabled": False}
        if fixed
        else {
            "enabled": True,
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {"gravitationalConstant": -60, "springLength": spring},
            "stabilization": {"enabled": True, "iterations": 400, "fit": True},
        },
    }


def build(
    graph: Graph, *, max_nodes: int | None = None, focus: str | None = None, depth: int = 1
) -> dict[str, Any]:
    """Everything the page shows, as plain JSON-ready data (see render for the options)."""
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1, not {max_nodes}")
    if depth < 0:
        raise ValueError(f"depth must be 0 or more, not {depth}")
    reading = _Reading(graph)
    g = _fact_graph(reading)
    rank = _pagerank(g)
    order = {n: i for i, n in enumerate(sorted(g, key=lambda n: (-rank[n], n)))}

    chosen = set(g)
    roots: list[URIRef] = []
    if focus is not None:
        roots = _roots(reading, focus)
        chosen = _neighbourhood(reading, g, roots, depth)
    if max_nodes is not None and len(chosen) > max_nodes:
        chosen = set(sorted(chosen, key=lambda n: (n not in roots, order[n]))[:max_nodes])
    kept = sorted(chosen)
    ids = {n: i for i, n in enumerate(kept)}
    sizes = _sizes(rank, kept)
    fixed = len(kept) > PYTHON_LAYOUT_ABOVE
    positions = layout(g.subgraph(kept), order) if fixed else {}

    net = Network(directed=True)
    for node in kept:
        style = reading.style[node]
        extra: dict[str, Any] = {}
        if fixed:
            extra["x"], extra["y"] = positions[node]
        net.add_node(
            ids[node],
            label=_short(reading.label(node)),
            shape=style.shape,
            color=style.colour,
            size=sizes[node],
            cls=style.key,
            **extra,
        )

    details = []
    links: set[tuple[int, int, str, str]] = set()
    for node in kept:
        facts = []
        for p, o in reading.graph.predicate_objects(node):
            if p in reading.omitted or not isinstance(o, (URIRef, Literal)):
                continue
            target = ids.get(o) if isinstance(o, URIRef) else None
            proof = sorted(reading.evidence.get((node, p, o), ()))
            facts.append([humanise(p), reading.value_text(o), target, proof])
            if target is not None:
                links.add((ids[node], target, humanise(p), "fact"))
        incoming = []
        for s, p in reading.graph.subject_predicates(node):
            if s in ids and p not in reading.omitted:
                proof = sorted(reading.evidence.get((s, p, node), ()))
                incoming.append([humanise(p), ids[s], proof])
        sources = sorted(reading.sources.get(node, ()))
        links.update((ids[node], ids[a], "source", "source") for a in sources if a in ids)
        details.append(
            {
                "iri": str(node),
                "label": reading.label(node),
                "names": reading.names(node),
                "cls": reading.style[node].key,
                "facts": sorted(facts, key=_fact_order),
                "incoming": sorted(incoming, key=lambda f: (f[0].casefold(), *f)),
                "sources": sources,
                "mentions": sorted(ids[m] for m in reading.mentions.get(node, ()) if m in ids),
            }
        )

    for number, (source, target, label, kind) in enumerate(sorted(links)):
        if kind == "fact":
            net.add_edge(source, target, id=number, label=label)
        else:
            # drawn only when the page's "article links" box is ticked
            net.add_edge(
                source, target, id=number, kind=kind, physics=False, dashes=True, color="#b0b0b0"
            )
    net.options = _options(fixed)
    nodes, edges, _, _, _, options = net.get_network_data()

    # evidence sentences and their articles go into two tables in IRI order; the details
    # refer to rows by number
    sentence_iris = sorted({s for d in details for f in d["facts"] + d["incoming"] for s in f[-1]})
    sentence_article = {s: _one(reading.graph, s, KG.inArticle) for s in sentence_iris}
    article_iris = sorted(
        {a for a in sentence_article.values() if isinstance(a, URIRef)}
        | {a for d in details for a in d["sources"]}
    )
    article_row = {a: i for i, a in enumerate(article_iris)}
    sentence_row = {s: i for i, s in enumerate(sentence_iris)}
    for d in details:
        for f in d["facts"] + d["incoming"]:
            f[-1] = [sentence_row[s] for s in f[-1]]
        d["sources"] = [article_row[a] for a in d["sources"]]

    counts: dict[str, int] = defaultdict(int)
    for node in kept:
        counts[reading.style[node].key] += 1
    return {
        "nodes": nodes,
        "edges": edges,
        "options": json.loads(options),
        "details": details,
        "sentences": [
            [
                str(_one(reading.graph, s, KG.sentenceText) or ""),
                article_row.get(sentence_article[s]),
            ]
            for s in sentence_iris
        ],
        "articles": [_article_row(reading, a, ids) for a in article_iris],
        "classes": [
            {
                "key": s.key,
                "name": s.name,
                "colour": s.colour,
                "shape": s.shape,
                "count": counts[s.key],
            }
            for s in styles()
            if counts[s.key]
        ],
        "counts": {
            "nodes": len(kept),
            "entities": len(g),
            "links": sum(1 for _, _, _, kind in links if kind == "fact"),
        },
        "text": _config()["text"],
        "dim_up_to": DIM_UP_TO,
    }


def _fact_order(fact: list[Any]) -> tuple[Any, ...]:
    prop, value, target, proof = fact
    return prop.casefold(), prop, value, -1 if target is None else target, proof


def _article_row(reading: _Reading, article: URIRef, ids: dict[URIRef, int]) -> list[Any]:
    """[title, date, url, node id or None] for an article."""
    graph = reading.graph
    title = _one(graph, article, DCTERMS.title) or _one(graph, article, DCTERMS.source)
    date = _one(graph, article, DCTERMS.date)
    url = _one(graph, article, SCHEMA.url)
    return [
        str(title) if title is not None else _local(article),
        str(date) if date is not None else None,
        str(url) if url is not None else None,
        ids.get(article),
    ]


# -- the ontology -------------------------------------------------------------------------

CLASS_TYPES = (OWL.Class, RDFS.Class)
PROPERTY_TYPES = (OWL.ObjectProperty, OWL.DatatypeProperty, RDF.Property)
DATATYPE_IRIS = (str(XSD), str(RDFS.Literal), str(RDF.langString), str(RDF.HTML))


@cache
def _ontology_config() -> dict[str, Any]:
    return json.loads((DATA_DIR / "ontology.json").read_text(encoding="utf-8"))


def _text(literal: str) -> str:
    """A comment's text on one line (Turtle comments are wrapped with newlines)."""
    return " ".join(literal.split())


class _Ontology:
    """The classes and properties of an OWL or RDFS ontology, read once."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.declared = {
            c for t in CLASS_TYPES for c in graph.subjects(RDF.type, t) if isinstance(c, URIRef)
        }
        self.object_properties: list[URIRef] = []
        self.datatype_properties: list[URIRef] = []
        props = {p for t in PROPERTY_TYPES for p in graph.subjects(RDF.type, t)}
        for prop in sorted(p for p in props if isinstance(p, URIRef)):
            if (prop, RDF.type, OWL.ObjectProperty) in graph:
                self.object_properties.append(prop)
            elif (prop, RDF.type, OWL.DatatypeProperty) in graph or all(
                self.is_datatype(r) for r in self.ranges(prop)
            ):
                self.datatype_properties.append(prop)
            else:
                self.object_properties.append(prop)
        classes = set(self.declared)
        for c in self.declared:
            classes.update(self.superclasses(c))
        for prop in self.object_properties:
            classes.update(self.domains(prop))
            classes.update(self.ranges(prop))
        for prop in self.datatype_properties:
            classes.update(self.domains(prop))
        self.classes = sorted(classes)

    def members(self, node: Any) -> list[URIRef]:
        """node itself, or the members of an owl:unionOf it stands for."""
        if isinstance(node, URIRef):
            return [node]
        union = self.graph.value(node, OWL.unionOf)
        if union is None:
            return []
        return [m for m in Collection(self.graph, union) if isinstance(m, URIRef)]

    def domains(self, prop: URIRef) -> list[URIRef]:
        return self._classes_of(prop, RDFS.domain)

    def ranges(self, prop: URIRef) -> list[URIRef]:
        return self._classes_of(prop, RDFS.range)

    def _classes_of(self, prop: URIRef, which: URIRef) -> list[URIRef]:
        """The classes a domain or range names, a union's in the order it lists them."""
        found: dict[URIRef, None] = {}
        listed = (self.members(o) for o in self.graph.objects(prop, which))
        for group in sorted(listed, key=lambda ms: [str(m) for m in ms]):
            found.update(dict.fromkeys(group))
        return list(found)

    def is_datatype(self, iri: URIRef) -> bool:
        return str(iri).startswith(DATATYPE_IRIS) or (iri, RDF.type, RDFS.Datatype) in self.graph

    def superclasses(self, c: URIRef) -> list[URIRef]:
        return sorted(o for o in self.graph.objects(c, RDFS.subClassOf) if isinstance(o, URIRef))

    def ancestors(self, c: URIRef) -> set[URIRef]:
        seen: set[URIRef] = set()
        todo = [c]
        while todo:
            for sup in self.superclasses(todo.pop()):
                if sup not in seen:
                    seen.add(sup)
                    todo.append(sup)
        return seen

    def disjoint(self, c: URIRef) -> list[URIRef]:
        """Classes declared disjoint with c, pairwise or in an owl:AllDisjointClasses."""
        found = set(self.graph.objects(c, OWL.disjointWith))
        found.update(self.graph.subjects(OWL.disjointWith, c))
        for group in self.graph.subjects(RDF.type, OWL.AllDisjointClasses):
            listed = self.graph.value(group, OWL.members)
            members = list(Collection(self.graph, listed)) if listed is not None else []
            if c in members:
                found.update(members)
        return sorted(m for m in found if isinstance(m, URIRef) and m != c)

    def name(self, iri: URIRef) -> str:
        """A prefixed name such as kg:Prefecture, else the whole IRI."""
        return self.graph.namespace_manager.normalizeUri(iri).strip("<>")

    def label(self, iri: URIRef) -> str | None:
        return _preferred(o for o in self.graph.objects(iri, RDFS.label) if isinstance(o, Literal))

    def comment(self, iri: URIRef) -> str | None:
        found = _preferred(
            o for o in self.graph.objects(iri, RDFS.comment) if isinstance(o, Literal)
        )
        return _text(found) if found else None

    def property_label(self, prop: URIRef) -> str:
        return self.label(prop) or humanise(prop)

    def kind(self, c: URIRef) -> dict[str, Any]:
        kinds = _ontology_config()["kinds"]
        for kind in kinds:
            if kind["declared"] != (c in self.declared):
                continue
            if "subClassOf" in kind and URIRef(kind["subClassOf"]) not in self.ancestors(c):
                continue
            return kind
        return kinds[-1]

    def title(self) -> str | None:
        for ontology in sorted(self.graph.subjects(RDF.type, OWL.Ontology)):
            found = _preferred(
                o for o in self.graph.objects(ontology, DCTERMS.title) if isinstance(o, Literal)
            )
            if found:
                return found
        return None


def build_ontology(graph: Graph) -> dict[str, Any]:
    """The page data for an ontology: its classes as nodes, object properties as edges from
    domain to range, rdfs:subClassOf as dashed edges, datatype properties in the details."""
    onto = _Ontology(graph)
    config = _ontology_config()
    words = config["words"]
    ids = {c: i for i, c in enumerate(onto.classes)}

    # (from, to, property or None for rdfs:subClassOf)
    links: list[tuple[URIRef, URIRef, URIRef | None]] = [
        (c, sup, None) for c in onto.classes for sup in onto.superclasses(c) if sup in ids
    ]
    links += [
        (d, r, prop)
        for prop in onto.object_properties
        for d in onto.domains(prop)
        for r in onto.ranges(prop)
    ]
    links.sort(key=lambda link: (ids[link[0]], ids[link[1]], str(link[2] or "")))

    g = nx.Graph()
    g.add_nodes_from(onto.classes)
    g.add_edges_from((a, b) for a, b, _ in links if a != b)
    sizes = _sizes(_pagerank(g), onto.classes)

    net = Network(directed=True)
    for c in onto.classes:
        kind = onto.kind(c)
        net.add_node(
            ids[c],
            label=onto.name(c),
            shape=kind["shape"],
            color=kind["colour"],
            size=sizes[c],
            cls=kind["key"],
        )
    between: dict[frozenset[int], int] = defaultdict(int)
    subclass = config["subclass_edge"]
    for number, (a, b, prop) in enumerate(links):
        extra: dict[str, Any] = {}
        pair = frozenset((ids[a], ids[b]))
        if between[pair]:  # a second link between the same classes bends away from the first
            bend = 0.3 * between[pair]
            extra["smooth"] = {"enabled": True, "type": "curvedCW", "roundness": bend}
        between[pair] += 1
        if prop is None:
            extra.update(label=subclass["label"], dashes=True, color=subclass["colour"])
        else:
            extra["label"] = onto.property_label(prop)
            comment = onto.comment(prop)
            if comment:
                extra["title"] = comment  # vis-network shows a string title as text
        net.add_edge(ids[a], ids[b], id=number, **extra)
    net.options = _options(False, font=16, spring=150)  # few nodes, long names
    nodes, edges, _, _, _, options = net.get_network_data()

    details = []
    for c in onto.classes:
        facts: list[list[Any]] = []
        label, comment = onto.label(c), onto.comment(c)
        if label:
            facts.append([words["label"], label, None, []])
        if comment:
            facts.append([words["comment"], comment, None, []])
        facts += [[words["subClassOf"], onto.name(s), ids.get(s), []] for s in onto.superclasses(c)]
        facts += [[words["disjointWith"], onto.name(d), ids.get(d), []] for d in onto.disjoint(c)]
        properties = []
        for prop in onto.object_properties:
            if c in onto.domains(prop):
                properties += [
                    [onto.property_label(prop), onto.name(r), ids.get(r), []]
                    for r in onto.ranges(prop)
                ]
        for prop in onto.datatype_properties:
            if c in onto.domains(prop):
                kinds = words["union"].join(onto.name(r) for r in onto.ranges(prop))
                text = onto.comment(prop)
                value = words["datatype"].format(range=kinds, comment=text) if text else kinds
                properties.append([onto.property_label(prop), value, None, []])
        facts += sorted(properties, key=_fact_order)
        incoming = [
            [words["subClassOf"], ids[s], []] for s in onto.classes if c in onto.superclasses(s)
        ]
        incoming += [
            [onto.property_label(prop), ids[d], []]
            for prop in onto.object_properties
            if c in onto.ranges(prop)
            for d in onto.domains(prop)
        ]
        names = {onto.name(c), _local(c)} | ({label} if label else set())
        details.append(
            {
                "iri": str(c),
                "label": onto.name(c),
                "names": sorted(names),
                "cls": onto.kind(c)["key"],
                "facts": facts,
                "incoming": sorted(incoming, key=lambda f: (f[0].casefold(), *f)),
                "sources": [],
                "mentions": [],
            }
        )

    counts: dict[str, int] = defaultdict(int)
    for node in nodes:
        counts[node["cls"]] += 1
    return {
        "nodes": nodes,
        "edges": edges,
        "options": json.loads(options),
        "details": details,
        "sentences": [],
        "articles": [],
        "classes": [
            {
                "key": k["key"],
                "name": k["name"],
                "colour": k["colour"],
                "shape": k["shape"],
                "count": counts[k["key"]],
            }
            for k in config["kinds"]
            if counts[k["key"]]
        ],
        "counts": {"nodes": len(nodes), "entities": len(nodes), "links": len(edges)},
        "text": config["text"],
        "dim_up_to": DIM_UP_TO,
    }


def ontology_title(graph: Graph) -> str:
    """The ontology's dcterms:title, else "ontology"."""
    return _Ontology(graph).title() or "ontology"


# -- the page -----------------------------------------------------------------------------


def render(
    graph: Graph,
    *,
    max_nodes: int | None = None,
    focus: str | None = None,
    depth: int = 1,
    title: str = "kg",
) -> str:
    """The whole HTML page for graph, as a str; the same graph gives the same page.

    max_nodes keeps that many of the most central nodes (PageRank over the facts between
    entities). focus (an IRI, the end of one such as "jurisdiction/tokyo", or a label)
    keeps only the nodes within depth fact links of it; max_nodes then applies to those,
    the focus always kept. Raises LookupError when nothing matches focus.
    """
    return _page(build(graph, max_nodes=max_nodes, focus=focus, depth=depth), title)


def write_page(graph: Graph, out: Path, **kwargs: Any) -> int:
    """Write render(graph, **kwargs) to out as UTF-8, atomically; return the node count."""
    data = build(graph, **{k: v for k, v in kwargs.items() if k != "title"})
    write_atomic(Path(out), _page(data, kwargs.get("title", "kg")).encode("utf-8"))
    return len(data["nodes"])


def render_ontology(graph: Graph, *, title: str | None = None) -> str:
    """The page that draws an ontology (see build_ontology); the title defaults to the
    ontology's dcterms:title."""
    return _page(build_ontology(graph), title or ontology_title(graph))


def write_ontology_page(graph: Graph, out: Path, *, title: str | None = None) -> int:
    """Write render_ontology(graph) to out as UTF-8, atomically; return the class count."""
    data = build_ontology(graph)
    write_atomic(Path(out), _page(data, title or ontology_title(graph)).encode("utf-8"))
    return len(data["nodes"])


def script_json(data: Any) -> str:
    """JSON that is safe inside <script>: "<", ">" and "&" escaped, so "</script>" cannot end it."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


@cache
def _asset(path: Path, closing: str | None = None) -> str:
    """A file to inline (inside <script> or <style>, given the closing tag), with newlines
    as the HTML parser sees them, so the CSP hash of a script matches what runs."""
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\r", "\n")
    if closing is not None and closing in text.lower():
        raise RuntimeError(f"{path} contains {closing!r} and cannot be inlined")
    return text


def _csp(scripts: Iterable[str]) -> str:
    """Only these inline scripts run, nothing is fetched, and no form goes anywhere."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode() + "'"
        for s in scripts
    )
    return (
        f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


def _page(data: dict[str, Any], title: str) -> str:
    vis_js = _asset(VIS_DIR / "vis-network.min.js", "</script")
    page_js = _asset(DATA_DIR / "page.js", "</script")
    parts = {
        "title": html.escape(title),
        "csp": html.escape(_csp([vis_js, page_js]), quote=False),  # no " in it
        "vis_css": _asset(VIS_DIR / "vis-network.css", "</style"),
        "page_css": _asset(DATA_DIR / "page.css", "</style"),
        "data": script_json(data),
        "vis_js": vis_js,
        "page_js": page_js,
    }
    template = _asset(DATA_DIR / "page.html")
    # one pass, so nothing inserted is itself searched for placeholders
    return _PLACEHOLDER.sub(lambda m: parts[m.group(1)], template)
