"""The ontology (ontology/kg.ttl), the shapes (ontology/shapes.ttl) and kg.validate."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SH, SKOS

from kg.errors import KGError
from kg.namespaces import KG, ONTOLOGY_IRI, SCHEMA, base_namespace
from kg.validate import Report, ontology_path, shapes_path, validate

# a plain Namespace: pytest's collection probes rdflib's XSD DefinedNamespace and warns
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
BASE = base_namespace("https://w3id.org/kg-jp-partnership/id/")
KG_TERMS = {KG[name] for name in KG.__annotations__}


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ontology_path(), format="turtle")


def declared(ontology: Graph, kind: URIRef) -> set[URIRef]:
    return {s for s in ontology.subjects(RDF.type, kind) if isinstance(s, URIRef)}


# --- the ontology -------------------------------------------------------------------------


def test_ontology_header(ontology: Graph) -> None:
    header = URIRef(ONTOLOGY_IRI)
    assert (header, RDF.type, OWL.Ontology) in ontology
    version = ontology.value(header, OWL.versionInfo)
    assert version is not None and str(version)
    assert ontology.value(header, OWL.versionIRI) is not None
    assert ontology.value(header, DCTERMS.license) is not None


def test_every_kg_term_is_declared_and_nothing_else(ontology: Graph) -> None:
    in_namespace = {
        term
        for triple in ontology
        for term in triple
        if isinstance(term, URIRef) and str(term).startswith(str(KG._NS))
    }
    assert in_namespace == KG_TERMS
    classes = declared(ontology, OWL.Class)
    properties = declared(ontology, OWL.ObjectProperty) | declared(ontology, OWL.DatatypeProperty)
    assert classes | properties == KG_TERMS
    assert not classes & properties


def test_every_term_has_its_name_as_label_and_a_comment(ontology: Graph) -> None:
    for name in KG.__annotations__:
        term = KG[name]
        # the query layer shows and matches these labels as plain strings: "prefecture",
        # "news organization", "part of"
        assert list(ontology.objects(term, RDFS.label)) == [
            Literal(re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower())
        ], term
        assert ontology.value(term, RDFS.comment) is not None, term


def test_every_property_has_a_domain_and_a_range(ontology: Graph) -> None:
    for kind in (OWL.ObjectProperty, OWL.DatatypeProperty):
        for prop in declared(ontology, kind):
            assert ontology.value(prop, RDFS.domain) is not None, prop
            assert ontology.value(prop, RDFS.range) is not None, prop


def test_object_properties_range_over_classes_datatype_properties_over_datatypes(
    ontology: Graph,
) -> None:
    classes = declared(ontology, OWL.Class)
    for prop in declared(ontology, OWL.ObjectProperty):
        assert ontology.value(prop, RDFS.range) in classes, prop
    for prop in declared(ontology, OWL.DatatypeProperty):
        rng = ontology.value(prop, RDFS.range)
        assert rng not in classes, prop
        assert str(rng).startswith(str(XSD)) or (rng, RDF.type, RDFS.Datatype) in ontology, prop


def test_jurisdiction_kinds_are_disjoint_subclasses(ontology: Graph) -> None:
    kinds = {KG.Country, KG.Prefecture, KG.Municipality}
    for kind in kinds:
        assert (kind, RDFS.subClassOf, KG.Jurisdiction) in ontology
    members = [
        set(ontology.items(ontology.value(node, OWL.members)))
        for node in ontology.subjects(RDF.type, OWL.AllDisjointClasses)
    ]
    assert kinds in members


# --- a small graph in the layout kg writes ------------------------------------------------

# The article body, sentence by sentence, and what follows each sentence.
SENTENCES = (
    ("Shibuya Ward in Tokyo, Japan, began issuing partnership certificates in "
     "November 2015.", " "),
    ("Mayor Taro Yamada of the Example Party handed one to Aiko Sato and Mei Suzuki on "
     "November 5, 2015.", " "),
    ("The system grants access to ward housing but not inheritance, and partners must be "
     "at least 20.", " "),
    ("By 2020, 150 couples had applied.", "\n\n"),
    ("On November 30, 2022, the Tokyo District Court ruled that the lack of legal "
     "protection for same-sex couples was in a state of unconstitutionality under "
     "Article 24, and rejected the claim for damages.", " "),
    ("A 2023 poll by the Example Shimbun found 64 percent in favour of same-sex marriage "
     "and 28 percent against.", "\n\n"),
    ('"Love is love," Yamada said.', ""),
)

ARTICLE = BASE["article/a000-fixture"]
JAPAN, TOKYO, SHIBUYA = (BASE[f"jurisdiction/{s}"] for s in ("japan", "tokyo", "shibuya"))
YAMADA, SATO, SUZUKI = (BASE[f"person/{s}"] for s in ("taro-yamada", "aiko-sato", "mei-suzuki"))
PARTY = BASE["organization/example-party"]
SHIMBUN = BASE["organization/example-shimbun"]
OFFICE = BASE["office/taro-yamada-mayor-shibuya"]
COUPLE = BASE["couple/aiko-sato-mei-suzuki"]
CERTIFICATE = BASE["certificate/shibuya-aiko-sato-mei-suzuki"]
SYSTEM = BASE["system/shibuya"]
COURT = BASE["court/tokyo-district-court"]
RULING = BASE["ruling/tokyo-district-court-2022-11-30"]
POLL = BASE["poll/example-shimbun-2023"]
QUOTE = BASE["quote/taro-yamada-love-is-love"]
MAYOR = BASE["role/mayor"]
HOUSING, INHERITANCE = BASE["benefit/housing"], BASE["benefit/inheritance"]
DISTRICT = BASE["court-level/district"]
UNCONSTITUTIONAL_STATE = BASE["outcome/unconstitutional-state"]

# (sentence number, subject, predicate, object): every triple about an entity or fact.
FACTS = (
    (0, JAPAN, RDF.type, KG.Country),
    (0, JAPAN, RDFS.label, Literal("Japan")),
    (0, TOKYO, RDF.type, KG.Prefecture),
    (0, TOKYO, RDFS.label, Literal("Tokyo")),
    (0, TOKYO, KG.partOf, JAPAN),
    (0, SHIBUYA, RDF.type, KG.Municipality),
    (0, SHIBUYA, RDFS.label, Literal("Shibuya")),
    (0, SHIBUYA, SKOS.altLabel, Literal("Shibuya Ward")),
    (0, SHIBUYA, KG.partOf, TOKYO),
    (0, SYSTEM, RDF.type, KG.PartnershipSystem),
    (0, SYSTEM, RDFS.label, Literal("Shibuya partnership system")),
    (0, SYSTEM, KG.adoptedBy, SHIBUYA),
    (0, SYSTEM, KG.startDate, Literal("2015-11", datatype=XSD.gYearMonth)),
    (1, YAMADA, RDF.type, KG.Person),
    (1, YAMADA, RDFS.label, Literal("Taro Yamada")),
    (1, YAMADA, KG.memberOf, PARTY),
    (1, PARTY, RDF.type, KG.PoliticalParty),
    (1, PARTY, RDFS.label, Literal("Example Party")),
    (1, OFFICE, RDF.type, KG.OfficeHolding),
    (1, OFFICE, KG.holder, YAMADA),
    (1, OFFICE, KG.role, MAYOR),
    (1, OFFICE, KG.jurisdiction, SHIBUYA),
    (1, SATO, RDF.type, KG.Person),
    (1, SATO, RDFS.label, Literal("Aiko Sato")),
    (1, SUZUKI, RDF.type, KG.Person),
    (1, SUZUKI, RDFS.label, Literal("Mei Suzuki")),
    (1, COUPLE, RDF.type, KG.Couple),
    (1, COUPLE, RDFS.label, Literal("Aiko Sato and Mei Suzuki")),
    (1, COUPLE, KG.partner, SATO),
    (1, COUPLE, KG.partner, SUZUKI),
    (1, CERTIFICATE, RDF.type, KG.Certificate),
    (1, CERTIFICATE, KG.issuedTo, COUPLE),
    (1, CERTIFICATE, KG.issuer, SHIBUYA),
    (1, CERTIFICATE, KG.issueDate, Literal("2015-11-05", datatype=XSD.date)),
    (2, SYSTEM, KG.grantsBenefit, HOUSING),
    (2, SYSTEM, KG.excludesBenefit, INHERITANCE),
    (2, SYSTEM, KG.minimumAge, Literal(20)),
    (3, SYSTEM, KG.applicantCount, Literal(150)),
    (4, COURT, RDF.type, KG.Court),
    (4, COURT, RDFS.label, Literal("Tokyo District Court")),
    (4, COURT, KG.seat, TOKYO),
    (4, COURT, KG.courtLevel, DISTRICT),
    (4, RULING, RDF.type, KG.Ruling),
    (4, RULING, KG.court, COURT),
    (4, RULING, KG.rulingDate, Literal("2022-11-30", datatype=XSD.date)),
    (4, RULING, KG.outcome, UNCONSTITUTIONAL_STATE),
    (4, RULING, KG.constitutionalArticle, Literal("Article 24")),
    (4, RULING, KG.damagesRejected, Literal(True)),
    (5, SHIMBUN, RDF.type, KG.NewsOrganization),
    (5, SHIMBUN, RDFS.label, Literal("Example Shimbun")),
    (5, POLL, RDF.type, KG.Poll),
    (5, POLL, KG.conductedBy, SHIMBUN),
    (5, POLL, KG.pollYear, Literal("2023", datatype=XSD.gYear)),
    (5, POLL, KG.supportPercent, Literal("64", datatype=XSD.decimal)),
    (5, POLL, KG.opposePercent, Literal("28", datatype=XSD.decimal)),
    (6, QUOTE, RDF.type, KG.Quotation),
    (6, QUOTE, KG.speaker, YAMADA),
    (6, QUOTE, KG.quoteText, Literal("Love is love")),
)

# SKOS concepts: instance data, but not entity or fact nodes, so not reified.
CONCEPTS = (
    (MAYOR, KG.Role, "mayor"),
    (HOUSING, KG.Benefit, "housing"),
    (INHERITANCE, KG.Benefit, "inheritance"),
    (DISTRICT, KG.CourtLevel, "district"),
    (UNCONSTITUTIONAL_STATE, KG.Outcome, "unconstitutional state"),
)


def statement_iri(s: URIRef, p: URIRef, o: URIRef | Literal) -> URIRef:
    key = " ".join(term.n3() for term in (s, p, o))
    return BASE["statement/" + hashlib.sha256(key.encode()).hexdigest()[:16]]


def add_fact(graph: Graph, s: URIRef, p: URIRef, o: URIRef | Literal, source: URIRef) -> None:
    """Add a triple and the rdf:Statement that reifies it, derived from ``source``."""
    statement = statement_iri(s, p, o)
    graph.add((s, p, o))
    graph.add((statement, RDF.type, RDF.Statement))
    graph.add((statement, RDF.subject, s))
    graph.add((statement, RDF.predicate, p))
    graph.add((statement, RDF.object, o))
    graph.add((statement, PROV.wasDerivedFrom, source))
    graph.add((statement, KG.extractor, Literal("fixture")))


def remove_fact(graph: Graph, s: URIRef, p: URIRef, o: URIRef | Literal) -> None:
    """Remove a triple and every statement that reifies it."""
    graph.remove((s, p, o))
    for statement in set(graph.subjects(RDF.subject, s)):
        if (statement, RDF.predicate, p) in graph and (statement, RDF.object, o) in graph:
            graph.remove((statement, None, None))


def sentence_spans() -> list[tuple[int, int, str]]:
    """(begin, end, text) of each sentence in the article body."""
    spans = []
    begin = 0
    for text, after in SENTENCES:
        spans.append((begin, begin + len(text), text))
        begin += len(text) + len(after)
    return spans


def sentence_iri(number: int) -> URIRef:
    begin, end, _ = sentence_spans()[number]
    return BASE[f"sentence/a000-fixture-{begin}-{end}"]


def build_valid_graph() -> Graph:
    graph = Graph()
    body = "".join(text + after for text, after in SENTENCES)
    graph.add((ARTICLE, RDF.type, KG.Article))
    graph.add((ARTICLE, DCTERMS.title, Literal("Partnership certificates, ten years on")))
    graph.add((ARTICLE, SCHEMA.url, Literal("https://news.example/a/1", datatype=XSD.anyURI)))
    graph.add((ARTICLE, DCTERMS.source, Literal("000_fixture.txt")))
    graph.add((ARTICLE, DCTERMS.date, Literal("2023-01-10", datatype=XSD.date)))
    graph.add((ARTICLE, SCHEMA.articleBody, Literal(body)))
    for number, (begin, end, text) in enumerate(sentence_spans()):
        sentence = sentence_iri(number)
        graph.add((sentence, RDF.type, KG.Sentence))
        graph.add((sentence, KG.sentenceText, Literal(text)))
        graph.add((sentence, KG.beginIndex, Literal(begin)))
        graph.add((sentence, KG.endIndex, Literal(end)))
        graph.add((sentence, KG.inArticle, ARTICLE))
    for concept, kind, label in CONCEPTS:
        graph.add((concept, RDF.type, kind))
        graph.add((concept, RDF.type, SKOS.Concept))
        graph.add((concept, SKOS.prefLabel, Literal(label)))
    for number, s, p, o in FACTS:
        add_fact(graph, s, p, o, sentence_iri(number))
    return graph


@pytest.fixture(scope="module")
def valid_graph() -> Graph:
    return build_valid_graph()


def test_the_fixture_covers_every_kg_term(valid_graph: Graph) -> None:
    used = {term for triple in valid_graph for term in triple if term in KG_TERMS}
    # only the superclasses are reached through their subclasses alone
    assert KG_TERMS - used == {KG.Jurisdiction, KG.Organization}


def test_the_valid_graph_conforms(valid_graph: Graph) -> None:
    before = len(valid_graph)
    report = validate(valid_graph)
    assert report.conforms, report.text
    assert report.violations == 0
    assert len(valid_graph) == before  # validation works on a copy


# --- graphs that break one rule each -------------------------------------------------------


def replace_object(graph: Graph, s: URIRef, p: URIRef, new: URIRef | Literal) -> None:
    """Change the object of a reified triple, keeping it reified by the same sentences."""
    old = graph.value(s, p)
    sources = [
        source
        for statement in graph.subjects(RDF.subject, s)
        if (statement, RDF.predicate, p) in graph
        for source in graph.objects(statement, PROV.wasDerivedFrom)
    ]
    remove_fact(graph, s, p, old)
    for source in sources:
        add_fact(graph, s, p, new, source)


def three_partners(graph: Graph) -> None:
    add_fact(graph, COUPLE, KG.partner, YAMADA, sentence_iri(1))


def ruling_without_court(graph: Graph) -> None:
    remove_fact(graph, RULING, KG.court, COURT)


def triple_without_statement(graph: Graph) -> None:
    graph.add((TOKYO, SKOS.altLabel, Literal("Tokyo Metropolis")))


def statement_derived_from_the_article(graph: Graph) -> None:
    statement = statement_iri(TOKYO, RDFS.label, Literal("Tokyo"))
    graph.set((statement, PROV.wasDerivedFrom, ARTICLE))


def sentence_ending_where_it_begins(graph: Graph) -> None:
    sentence = sentence_iri(3)
    graph.set((sentence, KG.endIndex, graph.value(sentence, KG.beginIndex)))


def sentence_text_not_in_the_body(graph: Graph) -> None:
    sentence = sentence_iri(3)
    graph.set((sentence, KG.sentenceText, Literal("By 2021, 150 couples had applied.")))


def support_above_100(graph: Graph) -> None:
    replace_object(graph, POLL, KG.supportPercent, Literal("120", datatype=XSD.decimal))


def date_as_plain_string(graph: Graph) -> None:
    replace_object(graph, RULING, KG.rulingDate, Literal("2022-11-30"))


def minimum_age_out_of_range(graph: Graph) -> None:
    replace_object(graph, SYSTEM, KG.minimumAge, Literal(200))


def outcome_not_an_outcome(graph: Graph) -> None:
    replace_object(graph, RULING, KG.outcome, HOUSING)


def prefecture_part_of_a_municipality(graph: Graph) -> None:
    replace_object(graph, TOKYO, KG.partOf, SHIBUYA)


def benefit_granted_and_excluded(graph: Graph) -> None:
    add_fact(graph, SYSTEM, KG.grantsBenefit, INHERITANCE, sentence_iri(2))


def statement_without_its_triple(graph: Graph) -> None:
    graph.remove((SHIBUYA, SKOS.altLabel, Literal("Shibuya Ward")))


def triple_reified_twice(graph: Graph) -> None:
    statement = BASE["statement/second"]
    for p, o in graph.predicate_objects(statement_iri(RULING, KG.court, COURT)):
        graph.add((statement, p, o))


def statement_about_the_article(graph: Graph) -> None:
    add_fact(graph, ARTICLE, DCTERMS.publisher, SHIMBUN, sentence_iri(0))


def article_without_body(graph: Graph) -> None:
    graph.remove((ARTICLE, SCHEMA.articleBody, None))


BROKEN: dict[str, tuple[Callable[[Graph], None], tuple[str, ...]]] = {
    # name: (how to break the valid graph, what the report must mention)
    "three partners": (three_partners, ("kgsh:Couple-partner", "kg:partner")),
    "ruling without court": (ruling_without_court, ("kgsh:Ruling-court", "kg:court")),
    "triple without statement": (
        triple_without_statement,
        ("kgsh:EveryTripleHasASourceSentence", "skos:altLabel"),
    ),
    "source not a sentence": (
        statement_derived_from_the_article,
        ("kgsh:Statement-wasDerivedFrom", "kgsh:EveryTripleHasASourceSentence"),
    ),
    "begin not before end": (
        sentence_ending_where_it_begins,
        ("kgsh:Sentence-beginIndex", "kg:endIndex"),
    ),
    "sentence text not in body": (
        sentence_text_not_in_the_body,
        ("kgsh:SentenceTextMatchesBody",),
    ),
    "support 120": (support_above_100, ("kgsh:Poll-supportPercent", "kg:supportPercent")),
    "date as plain string": (date_as_plain_string, ("kgsh:Ruling-rulingDate", "kgsh:PartialDate")),
    "minimum age 200": (minimum_age_out_of_range, ("kgsh:PartnershipSystem-minimumAge",)),
    "outcome not an outcome": (outcome_not_an_outcome, ("kgsh:Ruling-outcome", "kg:Outcome")),
    "prefecture in a municipality": (
        prefecture_part_of_a_municipality,
        ("kgsh:Prefecture-partOf", "kg:Country"),
    ),
    "benefit granted and excluded": (
        benefit_granted_and_excluded,
        ("kgsh:PartnershipSystem-grantsBenefit", "kg:excludesBenefit"),
    ),
    "statement without its triple": (
        statement_without_its_triple,
        ("kgsh:EveryStatementIsAsserted", "skos:altLabel"),
    ),
    "triple reified twice": (triple_reified_twice, ("kgsh:EveryTripleIsReifiedOnce", "kg:court")),
    "statement about an article": (
        statement_about_the_article,
        ("kgsh:SubjectIsAnEntityOrFact", "a000-fixture"),
    ),
    "article without body": (article_without_body, ("kgsh:Article-articleBody",)),
}


@pytest.mark.parametrize("name", BROKEN)
def test_a_broken_graph_does_not_conform(name: str) -> None:
    break_graph, mentions = BROKEN[name]
    graph = build_valid_graph()
    break_graph(graph)
    report = validate(graph)
    assert not report.conforms
    assert report.violations >= 1
    for mention in mentions:
        assert mention in report.text, f"{name}: {mention!r} not in\n{report.text}"


def test_each_breakage_is_reported_once() -> None:
    # breakages that touch one rule give exactly one violation: the shapes do not overlap
    for name in ("three partners", "ruling without court", "triple without statement",
                 "support 120", "date as plain string", "begin not before end"):
        graph = build_valid_graph()
        BROKEN[name][0](graph)
        assert validate(graph).violations == 1, name


# --- kg.validate -------------------------------------------------------------------------


def test_paths_point_at_the_files() -> None:
    assert ontology_path().is_file() and ontology_path().name == "kg.ttl"
    assert shapes_path().is_file() and shapes_path().name == "shapes.ttl"


def test_the_shapes_are_valid_shacl() -> None:
    shapes = Graph().parse(shapes_path(), format="turtle")
    # meta_shacl first checks the shapes graph against the SHACL-for-SHACL shapes
    conforms, _, _ = pyshacl.validate(Graph(), shacl_graph=shapes, meta_shacl=True)
    assert conforms


def test_every_shape_is_named_and_described() -> None:
    shapes = Graph().parse(shapes_path(), format="turtle")
    named = {
        node
        for kind in (SH.NodeShape, SH.PropertyShape, SH.SPARQLConstraint)
        for node in shapes.subjects(RDF.type, kind)
        if isinstance(node, URIRef)
    }
    assert len(named) > 20
    for node in named:
        assert shapes.value(node, SH.name) is not None, node
        if (node, RDF.type, SH.SPARQLConstraint) not in shapes:
            assert shapes.value(node, SH.description) is not None, node


def test_custom_shapes(valid_graph: Graph, tmp_path: Path) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        f"@prefix kg: <{KG._NS}> .\n"
        "[] a sh:NodeShape ; sh:targetClass kg:Person ;\n"
        "   sh:property [ sh:path kg:memberOf ; sh:minCount 1 ] .\n"
    )
    report = validate(valid_graph, shapes)
    assert isinstance(report, Report)
    # two of the three people in the fixture belong to no organization
    members = set(valid_graph.subjects(KG.memberOf, None))
    people = set(valid_graph.subjects(RDF.type, KG.Person))
    assert report.violations == len(people - members) > 0


def test_unreadable_shapes_raise_a_kg_error(valid_graph: Graph, tmp_path: Path) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text("this is not turtle")
    with pytest.raises(KGError, match="E302"):
        validate(valid_graph, shapes)
    with pytest.raises(KGError, match="E001"):
        validate(valid_graph, tmp_path / "missing.ttl")
