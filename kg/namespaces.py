"""Every IRI namespace kg writes, in one place.

KG is closed (``_fail = True``): a misspelt ontology term raises instead of minting a
new IRI. Keep it in step with ontology/kg.ttl (a test checks both ways).
"""

from __future__ import annotations

import os

import pyoxigraph
from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD, DefinedNamespace
from rdflib.term import URIRef

from kg.errors import E, KGError

ONTOLOGY_IRI = "https://w3id.org/kg-jp-partnership/ontology"
DEFAULT_BASE = "https://w3id.org/kg-jp-partnership/id/"

SCHEMA = Namespace("https://schema.org/")


class KG(DefinedNamespace):
    """The kg ontology (ontology/kg.ttl)."""

    _fail = True
    _NS = Namespace(ONTOLOGY_IRI + "#")

    # classes: places
    Jurisdiction: URIRef
    Country: URIRef
    Prefecture: URIRef
    Municipality: URIRef
    # classes: people, groups and offices
    Person: URIRef
    Organization: URIRef
    NewsOrganization: URIRef
    PoliticalParty: URIRef
    Court: URIRef
    Couple: URIRef
    OfficeHolding: URIRef
    Role: URIRef
    # classes: what happened
    PartnershipSystem: URIRef
    Benefit: URIRef
    Certificate: URIRef
    Ruling: URIRef
    Outcome: URIRef
    CourtLevel: URIRef
    Poll: URIRef
    Quotation: URIRef
    # classes: provenance
    Article: URIRef
    Sentence: URIRef
    # properties: places
    partOf: URIRef
    # properties: offices and people
    holder: URIRef
    role: URIRef
    jurisdiction: URIRef
    memberOf: URIRef
    partner: URIRef
    # properties: partnership systems
    adoptedBy: URIRef
    startDate: URIRef
    minimumAge: URIRef
    applicantCount: URIRef
    grantsBenefit: URIRef
    excludesBenefit: URIRef
    # properties: certificates
    issuedTo: URIRef
    issuer: URIRef
    issueDate: URIRef
    # properties: rulings and courts
    court: URIRef
    seat: URIRef
    courtLevel: URIRef
    rulingDate: URIRef
    outcome: URIRef
    constitutionalArticle: URIRef
    damagesRejected: URIRef
    # properties: polls
    conductedBy: URIRef
    pollYear: URIRef
    supportPercent: URIRef
    opposePercent: URIRef
    # properties: quotations
    speaker: URIRef
    quoteText: URIRef
    # properties: provenance
    sentenceText: URIRef
    beginIndex: URIRef
    endIndex: URIRef
    inArticle: URIRef
    extractor: URIRef


def base_namespace(base: str | None = None) -> Namespace:
    """The namespace for instance IRIs: ``base``, else $KG_BASE, else DEFAULT_BASE;
    E708 when it is not an absolute IRI."""
    given = base or os.environ.get("KG_BASE") or DEFAULT_BASE
    base = given if given.endswith(("/", "#")) else given + "/"
    try:
        pyoxigraph.NamedNode(base + "a")  # the IRI grammar of RFC 3987, as triplestores check it
    except ValueError as error:
        raise KGError(E.E708, base=given, reason=error) from None
    return Namespace(base)


PREFIXES = {
    "kg": KG._NS,
    "schema": SCHEMA,
    "prov": PROV,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "rdfs": RDFS,
    "rdf": RDF,
    "owl": OWL,
    "xsd": XSD,
}
