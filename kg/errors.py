"""Every message a user sees from kg, with a stable code.

Raise ``KGError(E.CODE, name=value, ...)``; the CLI prints ``kg: [CODE] message`` and
exits with the error's status (2 for bad input, 1 for a failed check).
"""

from __future__ import annotations

from enum import StrEnum


class E(StrEnum):
    # ingest
    E001 = "{path}: no such file or folder"
    E002 = "{path}: cannot read: {reason}"
    E003 = "{path}: empty, nothing to read"
    E004 = "{path}: binary data ({kind}), not an article"
    E005 = "{path}: JSON record {index} has no text field (looked for: {fields})"
    E006 = "{path}: not valid JSON: {reason}"
    E007 = "{path}: no article text found after cleaning"
    E008 = "nothing could be built; every input failed:\n{reasons}"
    E009 = "{path}: an RDF graph ({suffix}), not an article; skipped"
    # query
    E101 = "unknown query {name!r}; named queries: {choices}"
    E102 = "SPARQL syntax error: {reason}"
    E103 = "unknown result format {name!r}; choose one of: {choices}"
    E104 = "graph file {path} not found; build it first with `kg build`"
    E105 = "the query reaches the network ({what}); pass --allow-network to allow it"
    E106 = "the query ran longer than {seconds} s and was stopped"
    E107 = "SPARQL Update ({what}) is not supported; kg query only reads the graph"
    E108 = "the query failed: {reason}"
    E109 = "result format {name!r} cannot show {kind} results; choose one of: {choices}"
    # output
    E201 = "unknown output format {name!r}; choose one of: {choices}"
    E202 = "cannot write {path}: {reason}"
    # validation
    E301 = "the graph does not conform to {shapes}:\n{report}"
    E302 = "cannot parse {path} as {format}: {reason}"
    # graph page
    E401 = "no node matches --focus {focus!r}; give a label or an IRI"
    E402 = "bad option: {reason}"


class KGError(Exception):
    """An error with a stable code and a message for people."""

    exit_code = 2

    def __init__(self, code: E, exit_code: int | None = None, **values: object) -> None:
        self.code = code
        self.values = values
        if exit_code is not None:
            self.exit_code = exit_code
        super().__init__(f"[{code.name}] {code.value.format(**values)}")
