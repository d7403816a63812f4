"""kg.graph on the seed build: the layout, the provenance rule, IRIs and literals."""
from __future__ import annotations

import re

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS

from kg.graph import date_literal
from kg.model import PartialDate
from kg.namespaces import DEFAULT_BASE, KG, SCHEMA
from kg.validate import ontology_path, validate

BASE = DEFAULT_BASE
# a plain Namespace: pytest probes module globals, and rdflib's XSD warns on unknown names
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
LOCAL = re.compile(r"[a-z][a-z0-9-]*")
# the classes whose nodes are entities or facts (the provenance rule's targets)
ENTITY_ROOTS = (KG.Jurisdiction, KG.Person, KG.Organization, KG.Court, KG.Couple,
                KG.OfficeHolding, KG.PartnershipSystem, KG.Certificate, KG.Ruling, KG.Poll,
                KG.Quotation)
ENTITY_KINDS = {"jurisdiction", "person", "organization", "court", "office", "couple", "system",
                "certificate", "ruling", "poll", "quote"}
DATE_PROPS = (KG.startDate, KG.issueDate, KG.rulingDate, DCTERMS.date)
PARTIAL_DATES = {XSD.date, XSD.gYearMonth, XSD.gYear}
VOCABULARIES = (str(KG._NS), str(RDF), str(RDFS), str(SKOS), str(PROV), str(DCTERMS),
                str(SCHEMA), str(XSD), str(OWL))


@pytest.fixture(scope="module")
def entity_classes() -> set[URIRef]:
    """ENTITY_ROOTS and their subclasses, as the ontology defines them."""
    ontology = Graph().parse(ontology_path(), format="turtle")
    found = set(ENTITY_ROOTS)
    for root in ENTITY_ROOTS:
        found |= set(ontology.transitive_subjects(RDFS.subClassOf, root))
    return {c for c in found if isinstance(c, URIRef)}


@pytest.fixture(scope="module")
def entity_nodes(seed_graph: Graph, entity_classes: set[URIRef]) -> set[URIRef]:
    return {s for s, _, c in seed_graph.triples((None, RDF.type, None))
            if c in entity_classes and isinstance(s, URIRef)}


def kind(iri: URIRef) -> str:
    """The IRI path segment naming what a node is ("person" in BASE person/miki)."""
    return str(iri)[len(BASE):].split("/")[0]


def test_entity_nodes_are_the_entity_kinds(entity_nodes: set[URIRef]) -> None:
    assert {kind(n) for n in entity_nodes} == ENTITY_KINDS


def test_every_entity_triple_is_reified_once_with_a_source(
    seed_graph: Graph, entity_nodes: set[URIRef]
) -> None:
    checked = 0
    for s, p, o in seed_graph:
        if s not in entity_nodes:
            continue
        statements = set(seed_graph.subjects(RDF.subject, s)) & set(
            seed_graph.subjects(RDF.predicate, p)) & set(seed_graph.subjects(RDF.object, o))
        assert len(statements) == 1, (s, p, o)
        (statement,) = statements
        assert (statement, RDF.type, RDF.Statement) in seed_graph
        sources = list(seed_graph.objects(statement, PROV.wasDerivedFrom))
        assert sources, (s, p, o)
        assert all((src, RDF.type, KG.Sentence) in seed_graph for src in sources)
        assert list(seed_graph.objects(statement, KG.extractor))
        checked += 1
    assert checked > 100


def test_every_statement_reifies_a_triple_of_the_graph(seed_graph: Graph) -> None:
    statements = set(seed_graph.subjects(RDF.type, RDF.Statement))
    assert statements
    for st in statements:
        (s,) = seed_graph.objects(st, RDF.subject)
        (p,) = seed_graph.objects(st, RDF.predicate)
        (o,) = seed_graph.objects(st, RDF.object)
        assert (s, p, o) in seed_graph


def test_sentences_are_slices_of_their_article_body(seed_graph: Graph) -> None:
    sentences = list(seed_graph.subjects(RDF.type, KG.Sentence))
    assert sentences
    for sentence in sentences:
        (article,) = seed_graph.objects(sentence, KG.inArticle)
        (body,) = seed_graph.objects(article, SCHEMA.articleBody)
        (text,) = seed_graph.objects(sentence, KG.sentenceText)
        (begin,) = seed_graph.objects(sentence, KG.beginIndex)
        (end,) = seed_graph.objects(sentence, KG.endIndex)
        assert begin.datatype == end.datatype == XSD.integer
        assert str(body)[begin.toPython() : end.toPython()] == str(text)
        assert (article, RDF.type, KG.Article) in seed_graph


def test_articles_carry_their_source_and_body(seed_graph: Graph) -> None:
    articles = set(seed_graph.subjects(RDF.type, KG.Article))
    assert len(articles) == 4
    for article in articles:
        (source,) = seed_graph.objects(article, DCTERMS.source)
        assert str(source).startswith("seeds/")
        assert len(list(seed_graph.objects(article, SCHEMA.articleBody))) == 1


def iris(graph: Graph) -> set[URIRef]:
    return {t for triple in graph for t in triple if isinstance(t, URIRef)}


def test_instance_iris_are_ascii_slugs(seed_graph: Graph) -> None:
    instances = [i for i in iris(seed_graph) if str(i).startswith(BASE)]
    assert len(instances) > 100
    for iri in instances:
        assert str(iri).isascii(), iri
        path = str(iri)[len(BASE):].split("/")
        assert len(path) == 2, iri
        assert LOCAL.fullmatch(path[0]) and LOCAL.fullmatch(path[1]), iri


def test_other_iris_are_vocabulary_terms(seed_graph: Graph) -> None:
    for iri in iris(seed_graph):
        if not str(iri).startswith(BASE):
            assert str(iri).isascii() and str(iri).startswith(VOCABULARIES), iri


def test_no_blank_nodes(seed_graph: Graph) -> None:
    assert not [t for triple in seed_graph for t in triple if isinstance(t, BNode)]


def test_dates_are_partial_dates(seed_graph: Graph) -> None:
    dates = [o for p in DATE_PROPS for o in seed_graph.objects(None, p)]
    assert len(dates) >= 5
    for date in dates:
        assert isinstance(date, Literal) and date.datatype in PARTIAL_DATES, date
        assert not date.ill_typed, date
    for year in seed_graph.objects(None, KG.pollYear):
        assert year.datatype == XSD.gYear and not year.ill_typed


def test_numbers_and_flags_are_typed(seed_graph: Graph) -> None:
    types = {KG.minimumAge: XSD.integer, KG.applicantCount: XSD.integer,
             KG.supportPercent: XSD.decimal, KG.opposePercent: XSD.decimal,
             KG.damagesRejected: XSD.boolean}
    seen = 0
    for prop, datatype in types.items():
        for value in seed_graph.objects(None, prop):
            assert value.datatype == datatype and not value.ill_typed, (prop, value)
            seen += 1
    assert seen >= 4


@pytest.mark.parametrize(
    ("date", "lexical", "datatype"),
    [
        (PartialDate(2022, 11, 1), "2022-11-01", XSD.date),
        (PartialDate(2022, 6), "2022-06", XSD.gYearMonth),
        (PartialDate(2021), "2021", XSD.gYear),
    ],
)
def test_date_literal_has_exactly_the_known_precision(
    date: PartialDate, lexical: str, datatype: URIRef
) -> None:
    literal = date_literal(date)
    assert (str(literal), literal.datatype) == (lexical, datatype)


def test_seed_graph_conforms_to_the_shapes(seed_graph: Graph) -> None:
    report = validate(seed_graph)
    assert report.conforms, report.text
    assert report.violations == 0
