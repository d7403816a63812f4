"""Ontology mapping: the resolved knowledge base becomes RDF triples.

Every triple about an entity or fact node is reified by one rdf:Statement that points
(prov:wasDerivedFrom) to the kg:Sentence nodes stating it; each sentence carries its text
and character offsets into its kg:Article's body.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from kg.model import Article, Evidence, NodeRef, PartialDate
from kg.namespaces import KG, PREFIXES, SCHEMA, base_namespace
from kg.nlp import gazetteer
from kg.resolve import KnowledgeBase

# concept kinds -> (class, gazetteer table)
CONCEPTS = {
    "role": (KG.Role, "roles"),
    "benefit": (KG.Benefit, "benefits"),
    "outcome": (KG.Outcome, "outcomes"),
    "court-level": (KG.CourtLevel, "court_levels"),
}
PROPERTIES = {"type": RDF.type, "label": RDFS.label, "altLabel": SKOS.altLabel}


def to_graph(kb: KnowledgeBase, base: str | None = None) -> Graph:
    """The RDF graph of a knowledge base, every fact with its provenance."""
    ns = base_namespace(base)
    g = Graph()
    for prefix, namespace in PREFIXES.items():
        g.bind(prefix, namespace)
    g.bind("id", ns)
    concepts: set[NodeRef] = set()
    sentences: set[Evidence] = set()
    for node in kb.sorted_nodes():
        subject = iri(ns, node.ref)
        for (prop, value), support in sorted(
            node.claims.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))
        ):
            predicate = PROPERTIES.get(prop) or KG[prop]
            obj = _object(ns, prop, value)
            if isinstance(value, NodeRef) and value.kind in CONCEPTS:
                concepts.add(value)
            g.add((subject, predicate, obj))
            statement = ns[f"statement/s{_digest(subject, predicate, obj)}"]
            g.add((statement, RDF.type, RDF.Statement))
            g.add((statement, RDF.subject, subject))
            g.add((statement, RDF.predicate, predicate))
            g.add((statement, RDF.object, obj))
            for ev in support.evidence:
                g.add((statement, PROV.wasDerivedFrom, _sentence_iri(ns, ev)))
                sentences.add(ev)
            for extractor in sorted(support.extractors):
                g.add((statement, KG.extractor, Literal(extractor)))
    for ev in sentences:
        _add_sentence(g, ns, ev)
    used = {ev.article for ev in sentences}
    for aid in sorted(used):
        _add_article(g, ns, kb.articles[aid])
    for ref in sorted(concepts):
        _add_concept(g, ns, ref)
    return g


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


def _digest(*terms: object) -> str:
    return hashlib.sha256(" ".join(t.n3() for t in terms).encode()).hexdigest()[:20]  # type: ignore[attr-defined]


def _sentence_iri(ns: Namespace, ev: Evidence) -> URIRef:
    return ns[f"sentence/{ev.article}-{ev.start}-{ev.end}"]


def _add_sentence(g: Graph, ns: Namespace, ev: Evidence) -> None:
    s = _sentence_iri(ns, ev)
    g.add((s, RDF.type, KG.Sentence))
    g.add((s, KG.sentenceText, Literal(ev.text)))
    g.add((s, KG.beginIndex, Literal(ev.start, datatype=XSD.integer)))
    g.add((s, KG.endIndex, Literal(ev.end, datatype=XSD.integer)))
    g.add((s, KG.inArticle, ns[f"article/{ev.article}"]))


def _add_article(g: Graph, ns: Namespace, article: Article) -> None:
    a = ns[f"article/{article.id}"]
    g.add((a, RDF.type, KG.Article))
    g.add((a, DCTERMS.source, Literal(article.source)))
    g.add((a, SCHEMA.articleBody, Literal(article.text)))
    if article.title:
        g.add((a, DCTERMS.title, Literal(article.title)))
        g.add((a, RDFS.label, Literal(article.title)))
    else:
        g.add((a, RDFS.label, Literal(article.source.rsplit("/", 1)[-1])))
    if article.url:
        g.add((a, SCHEMA.url, Literal(article.url, datatype=XSD.anyURI)))
    if article.published:
        d = PartialDate.parse(article.published[:10])
        g.add((a, DCTERMS.date, date_literal(d)))


def _add_concept(g: Graph, ns: Namespace, ref: NodeRef) -> None:
    cls, table = CONCEPTS[ref.kind]
    row = getattr(gazetteer(), table).get(ref.slug, {"label": ref.slug})
    c = iri(ns, ref)
    g.add((c, RDF.type, cls))
    g.add((c, RDF.type, SKOS.Concept))
    g.add((c, SKOS.prefLabel, Literal(row["label"])))
    g.add((c, RDFS.label, Literal(row["label"])))
