"""Check a graph against the SHACL shapes of the kg layout (ontology/shapes.ttl).

The ontology (ontology/kg.ttl) is given to pySHACL as ``ont_graph`` so that its
rdfs:subClassOf axioms are visible to ``sh:targetClass`` and ``sh:class`` (a kg:Prefecture
is a kg:Jurisdiction). No inference is run: the shapes need none, and RDFS inference would
add triples (schema:containedInPlace, rdf:type schema:AdministrativeArea...) that no
rdf:Statement reifies, which the provenance rule would then report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyshacl
import rdflib
from rdflib.namespace import SH
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query

import kg
from kg.errors import E, KGError


@dataclass(frozen=True)
class Report:
    """The outcome of one validation."""

    conforms: bool
    text: str  # pySHACL's human-readable report
    violations: int  # number of results (sh:result) in the report


def _ontology_dir() -> Path:
    return Path(kg.__file__).resolve().parent.parent / "ontology"


def ontology_path() -> Path:
    """The kg OWL ontology (Turtle)."""
    return _ontology_dir() / "kg.ttl"


def shapes_path() -> Path:
    """The SHACL shapes every graph kg writes must satisfy (Turtle)."""
    return _ontology_dir() / "shapes.ttl"


class _PreparedQueryGraph(rdflib.Graph):
    """A graph that parses each distinct SPARQL text once.

    pySHACL sends the text of a SPARQL-based constraint again for every focus node, and
    rdflib parses it every time: parsing, not evaluation, then dominates validation.
    """

    def __init__(self) -> None:
        super().__init__()
        self._prepared: dict[str, Query] = {}

    def query(self, query_object: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if isinstance(query_object, str):
            if query_object not in self._prepared:
                self._prepared[query_object] = prepareQuery(query_object)
            query_object = self._prepared[query_object]
        return super().query(query_object, *args, **kwargs)


def _load_turtle(path: Path) -> rdflib.Graph:
    if not path.is_file():
        raise KGError(E.E001, path=path)
    try:
        return rdflib.Graph().parse(path, format="turtle")
    except Exception as error:  # rdflib raises many types for bad input
        raise KGError(E.E302, path=path, format="Turtle", reason=error) from error


def validate(graph: rdflib.Graph, shapes: Path | None = None) -> Report:
    """Validate ``graph`` against ``shapes`` (default: ontology/shapes.ttl).

    ``graph`` is not modified: pySHACL works on a copy with the ontology mixed in.
    """
    shapes_graph = _load_turtle(shapes or shapes_path())
    ontology = _load_turtle(ontology_path())
    data = _PreparedQueryGraph()
    for prefix, namespace in graph.namespaces():
        data.bind(prefix, namespace, override=False)
    for triple in graph:
        data.add(triple)
    conforms, results, text = pyshacl.validate(
        data,
        shacl_graph=shapes_graph,
        ont_graph=ontology,
        inference="none",
        inplace=True,  # on our copy, so that its query() is the one pySHACL calls
        abort_on_first=False,
        allow_warnings=False,
        meta_shacl=False,
        advanced=False,
    )
    # top-level results only: sh:detail results explain a result, they are not more of them
    violations = len(set(results.objects(None, SH.result)))
    return Report(conforms=bool(conforms), text=str(text), violations=violations)
