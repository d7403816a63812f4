"""Ontology mapping: the resolved knowledge base becomes RDF triples.

Every triple about an entity or fact node is reified by one rdf:Statement that points
(prov:wasDerivedFrom) to the kg:Sentence nodes stating it; each sentence carries its text
and character offsets into its kg:Article's body. ``to_dataset`` files the triples into
one named graph per article (see there); ``to_graph`` is their union.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from kg.model import Article, Evidence, NodeRef, PartialDate
from kg.namespaces import KG, PREFIXES, SCHEMA, base_namespace
from kg.nlp import gazetteer
from kg.resolve import KnowledgeBase
from kg.serialize import Triples

# concept kinds -> (class, gazetteer table)
CONCEPTS = {
    "role": (KG.Role, "roles"),
    "benefit": (KG.Benefit, "benefits"),
    "outcome": (KG.Outcome, "outcomes"),
    "court-level": (KG.CourtLevel, "court_levels"),
}
PROPERTIES = {"type": RDF.type, "label": RDFS.label, "altLabel": SKOS.altLabel}
# graph names under BASE: one graph per article, one for the concepts no article owns
ARTICLE_GRAPH = "graph/"
CONCEPT_GRAPH = "concepts"  # not under graph/, so no article id can take the name


def to_dataset(kb: KnowledgeBase, base: str | None = None) -> Dataset:
    """The knowledge base as named graphs: one per article, holding the facts taken from it.

    The graph of article A is ``BASE graph/<A's id>``. It holds every entity or fact triple
    a sentence of A states, with its rdf:Statement (rdf:subject/predicate/object,
    kg:extractor) and the statement's prov:wasDerivedFrom links to A's sentences only;
    A's kg:Sentence nodes and A's kg:Article node. A triple stated in two articles is in
    both graphs, so each graph is self-contained: its statements point to sentences and an
    article that are in the same graph. The SKOS concepts (roles, benefits, outcomes,
    court levels), which no article owns, are in ``BASE concepts``.
    The union of the graphs is :func:`to_graph`.
    """
    ns = base_namespace(base)
    ds = Dataset()
    _bind(ds, ns)
    graphs: dict[URIRef, Graph] = {}
    for s, p, o, name in _quads(kb, ns):
        if name not in graphs:
            graphs[name] = ds.graph(name)
        graphs[name].add((s, p, o))
    return ds


def to_graph(kb: KnowledgeBase, base: str | None = None) -> Graph:
    """The RDF graph of a knowledge base, every fact with its provenance: the union of the
    named graphs of :func:`to_dataset`."""
    ns = base_namespace(base)
    g = Graph()
    _bind(g, ns)
    for s, p, o, _ in _quads(kb, ns, union=True):
        g.add((s, p, o))
    return g


def to_triples(kb: KnowledgeBase, base: str | None = None) -> Triples:
    """The triples of :func:`to_graph`, without building an rdflib Graph: what a build
    that writes Turtle or N-Triples needs (kg.serialize writes the same bytes from it)."""
    ns = base_namespace(base)
    prefixes = Graph()
    _bind(prefixes, ns)
    table = Triples(prefixes)
    table.extend((s, p, o) for s, p, o, _ in _quads(kb, ns, union=True))
    return table


def article_graph(ns: Namespace, article_id: str) -> URIRef:
    """The name of the graph holding what ``article_id`` states."""
    return ns[f"{ARTICLE_GRAPH}{article_id}"]


def concept_graph(ns: Namespace) -> URIRef:
    """The name of the graph holding the SKOS concepts, which no article owns."""
    return ns[CONCEPT_GRAPH]


def _bind(g: Graph, ns: Namespace) -> None:
    for prefix, namespace in PREFIXES.items():
        g.bind(prefix, namespace)
    g.bind("id", ns)


Quad = tuple[URIRef, URIRef, URIRef | Literal, URIRef]

# the terms every node uses, made once (a namespace's attribute makes a new URIRef each time)
# (rdf:type and rdfs:label the very objects of PROPERTIES: a dict finds them by identity)
_TYPE, _LABEL = PROPERTIES["type"], PROPERTIES["label"]
_STATEMENT, _SUBJECT, _PREDICATE, _OBJECT = RDF.Statement, RDF.subject, RDF.predicate, RDF.object
_DERIVED_FROM, _EXTRACTOR = PROV.wasDerivedFrom, KG.extractor
_SENTENCE, _SENTENCE_TEXT, _BEGIN, _END, _IN_ARTICLE = (
    KG.Sentence, KG.sentenceText, KG.beginIndex, KG.endIndex, KG.inArticle
)
_ARTICLE, _SOURCE, _BODY, _TITLE, _URL, _DATE = (
    KG.Article, DCTERMS.source, SCHEMA.articleBody, DCTERMS.title, SCHEMA.url, DCTERMS.date
)
_INTEGER, _ANY_URI = XSD.integer, XSD.anyURI


class _Terms:
    """The RDF terms of one mapping, each made once: the same node, value or sentence is
    the same object wherever it recurs (cheaper to make, and to look up in a dict)."""

    def __init__(self, ns: Namespace) -> None:
        self.ns = ns
        self.iris: dict[NodeRef, URIRef] = {}
        self.predicates: dict[str, URIRef] = {}
        self.objects: dict[tuple[str, type, object], URIRef | Literal] = {}
        self.sentences: dict[tuple[str, int, int], URIRef] = {}  # by what names one
        self.extractors: dict[str, Literal] = {}
        self.graphs: dict[str, URIRef] = {}
        self.articles: dict[str, URIRef] = {}
        self.integers: dict[int, Literal] = {}
        self.n3s: dict[URIRef | Literal, str] = {}

    def digest(self, s: URIRef, p: URIRef, o: URIRef | Literal) -> str:
        """What names the statement of (s, p, o): the first 20 hex digits of the SHA-256
        of the three terms' N3, each term's N3 made once."""
        n3s = self.n3s
        parts = []
        for t in (s, p, o):
            text = n3s.get(t)
            if text is None:
                text = n3s[t] = t.n3()
            parts.append(text)
        return hashlib.sha256(" ".join(parts).encode()).hexdigest()[:20]

    def article(self, article_id: str) -> URIRef:
        found = self.articles.get(article_id)
        if found is None:
            found = self.articles[article_id] = self.ns[f"article/{article_id}"]
        return found

    def integer(self, value: int) -> Literal:
        found = self.integers.get(value)
        if found is None:
            found = self.integers[value] = Literal(value, datatype=_INTEGER)
        return found

    def iri(self, ref: NodeRef) -> URIRef:
        found = self.iris.get(ref)
        if found is None:
            found = self.iris[ref] = iri(self.ns, ref)
        return found

    def predicate(self, prop: str) -> URIRef:
        found = self.predicates.get(prop)
        if found is None:
            found = self.predicates[prop] = PROPERTIES.get(prop) or KG[prop]
        return found

    def object(self, prop: str, value: object) -> URIRef | Literal:
        if type(value) is NodeRef:
            return self.iri(value)
        key = (prop, type(value), value)  # the type: 1, 1.0 and True are one dict key
        found = self.objects.get(key)
        if found is None:
            found = self.objects[key] = _object(self.ns, prop, value)
        return found

    def sentence(self, ev: Evidence) -> URIRef:
        key = (ev.article, ev.start, ev.end)  # hashed in C, unlike the Evidence
        found = self.sentences.get(key)
        if found is None:
            found = self.sentences[key] = _sentence_iri(self.ns, ev)
        return found

    def extractor(self, name: str) -> Literal:
        found = self.extractors.get(name)
        if found is None:
            found = self.extractors[name] = Literal(name)
        return found

    def graph(self, article_id: str) -> URIRef:
        found = self.graphs.get(article_id)
        if found is None:
            found = self.graphs[article_id] = article_graph(self.ns, article_id)
        return found


def _quads(kb: KnowledgeBase, ns: Namespace, union: bool = False) -> Iterator[Quad]:
    """Every triple with the graph it goes in (see to_dataset). With ``union``, a triple
    that several articles' graphs hold comes once (its first time), for a graph of their
    union: each subject's triples come in the same order as they first come without."""
    terms = _Terms(ns)
    concepts: set[NodeRef] = set()
    sentences: set[Evidence] = set()
    for node in kb.sorted_nodes():
        subject = terms.iri(node.ref)
        for (prop, value), support in sorted(
            node.claims.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))
        ):
            predicate = terms.predicate(prop)
            obj = terms.object(prop, value)
            if type(value) is NodeRef and value.kind in CONCEPTS:
                concepts.add(value)
            statement = ns[f"statement/s{terms.digest(subject, predicate, obj)}"]
            by_article: dict[str, list[Evidence]] = defaultdict(list)
            for ev in support.evidence:  # never empty: a Support is made with its evidence
                by_article[ev.article].append(ev)
            extractors = [terms.extractor(e) for e in sorted(support.extractors)]
            first = True
            for aid in sorted(by_article):
                name = terms.graph(aid)
                if first or not union:
                    yield subject, predicate, obj, name
                    yield statement, _TYPE, _STATEMENT, name
                    yield statement, _SUBJECT, subject, name
                    yield statement, _PREDICATE, predicate, name
                    yield statement, _OBJECT, obj, name
                for ev in by_article[aid]:
                    yield statement, _DERIVED_FROM, terms.sentence(ev), name
                    sentences.add(ev)
                if first or not union:
                    for extractor in extractors:
                        yield statement, _EXTRACTOR, extractor, name
                first = False
    for ev in sorted(sentences, key=lambda e: (e.article, e.start, e.end, e.text)):
        yield from _sentence(terms, ev, terms.graph(ev.article))
    for aid in sorted({ev.article for ev in sentences}):
        yield from _article(terms, kb.articles[aid], terms.graph(aid))
    for ref in sorted(concepts):
        yield from _concept(ns, ref, concept_graph(ns))


def iri(ns: Namespace, ref: NodeRef) -> URIRef:
    return ns[f"{ref.kind}/{ref.slug}"]


def date_literal(d: PartialDate) -> Literal:
    """An xsd:date, xsd:gYearMonth or xsd:gYear: exactly the precision known."""
    if d.day is not None:
        return Literal(d.iso(), datatype=XSD.date)
    if d.month is not None:
        return Literal(d.iso(), datatype=XSD.gYearMonth)
    return Literal(d.iso(), datatype=XSD.gYear)


def _object(ns: Namespace, prop: str, value: object) -> URIRef | Literal:
    if prop == "type":
        return KG[str(value)]
    if isinstance(value, NodeRef):
        return iri(ns, value)
    if isinstance(value, PartialDate):
        if prop == "pollYear":
            return Literal(f"{value.year:04d}", datatype=XSD.gYear)
        return date_literal(value)
    if isinstance(value, bool):
        return Literal(value, datatype=XSD.boolean)
    if isinstance(value, int):
        return Literal(value, datatype=XSD.integer)
    if isinstance(value, float):
        return Literal(_decimal(value), datatype=XSD.decimal)
    return Literal(str(value))


def _decimal(value: float) -> str:
    """The canonical xsd:decimal form ("57.0", "57.25"), the one every parser reads back."""
    text = format(Decimal(str(value)).normalize(), "f")
    return text if "." in text else f"{text}.0"


def _sentence_iri(ns: Namespace, ev: Evidence) -> URIRef:
    return ns[f"sentence/{ev.article}-{ev.start}-{ev.end}"]


def _sentence(terms: _Terms, ev: Evidence, graph: URIRef) -> Iterator[Quad]:
    s = terms.sentence(ev)
    yield s, _TYPE, _SENTENCE, graph
    yield s, _SENTENCE_TEXT, Literal(ev.text), graph
    yield s, _BEGIN, terms.integer(ev.start), graph
    yield s, _END, terms.integer(ev.end), graph
    yield s, _IN_ARTICLE, terms.article(ev.article), graph


def _article(terms: _Terms, article: Article, graph: URIRef) -> Iterator[Quad]:
    a = terms.article(article.id)
    yield a, _TYPE, _ARTICLE, graph
    yield a, _SOURCE, Literal(article.source), graph
    yield a, _BODY, Literal(article.text), graph
    if article.title:
        title = Literal(article.title)
        yield a, _TITLE, title, graph
        yield a, _LABEL, title, graph
    else:
        yield a, _LABEL, Literal(article.source.rsplit("/", 1)[-1]), graph
    if article.url:
        yield a, _URL, Literal(article.url, datatype=_ANY_URI), graph
    if article.published:
        d = PartialDate.parse(article.published[:10])
        yield a, _DATE, date_literal(d), graph


def _concept(ns: Namespace, ref: NodeRef, graph: URIRef) -> Iterator[Quad]:
    cls, table = CONCEPTS[ref.kind]
    row = getattr(gazetteer(), table).get(ref.slug, {"label": ref.slug})
    c = iri(ns, ref)
    yield c, RDF.type, cls, graph
    yield c, RDF.type, SKOS.Concept, graph
    yield c, SKOS.prefLabel, Literal(row["label"]), graph
    yield c, RDFS.label, Literal(row["label"]), graph
