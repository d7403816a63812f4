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
    E403 = "--ontology draws the whole ontology; it takes no {options}"
    E404 = "ontology file {path} not found; give one with --graph"
    # remote endpoints
    E601 = "cannot connect to {url}: {reason}"
    E602 = "{url} answered HTTP {status} {reason}: {body}"
    E603 = "{url} refused the credentials of user {user!r} (HTTP 401){hint}"
    E604 = "{url} needs authentication (HTTP 401); pass --user and --password{hint}"
    E605 = "{url!r} is not an http:// or https:// URL"
    E606 = "{url} did not answer within {seconds} s"
    E607 = "{url} did not answer with {expected}: {reason}"
    E608 = "a user name needs a password: pass --password or set $KG_ENDPOINT_PASSWORD"
    E609 = "unknown {what} {name!r}; choose one of: {choices}"
    E610 = "graph name {iri!r} is not an absolute IRI (the file to upload goes in -g)"
    # sharded builds
    E501 = "bad --shard {value!r}: give I/N, whole numbers with 1 <= I <= N (e.g. 2/3)"
    E502 = "{path}: not a facts file of `kg build --shard`: {reason}"
    E503 = "the parts do not make one whole build: {reason}"
    E504 = (
        "--shard writes the facts of one share, for `kg merge`, not a graph: name the output "
        "PART.facts.jsonl and leave out --format (got {path})"
    )
    E505 = "{path}: a facts file of `kg build --shard`, not an article; skipped (see kg merge)"
    E506 = "--base does nothing with --shard (facts hold no IRIs yet); give it to `kg merge`"
    # robustness: oversized input, repeats, the unexpected
    E701 = "{path}: too large ({size:,} bytes); kg reads files up to {limit:,} bytes"
    E702 = (
        "{path}: too long for one article ({length:,} characters{stage}); kg reads articles "
        "up to {limit:,}; split it into several files"
    )
    E703 = "{path}: the same article as {first}; skipped"
    E704 = "{path}: article id {id!r} is also {other}'s; this one is {new!r}"
    E705 = "{path}: unexpected error ({error}); skipped. Please report it (--debug shows where)"
    E706 = "unexpected error ({error}); nothing was written. Please report it (--debug shows where)"
    E707 = "interrupted; nothing was written"
    E708 = "bad base IRI {base!r}: {reason}; give an absolute IRI (e.g. https://example.org/id/)"
    # performance: the build cache, parallel builds
    E901 = "cannot write the cache in {path}: {reason}; building without it (see --no-cache)"
    E902 = "bad --jobs {value!r}: give a whole number of processes, 1 or more"
    # query engines
    E801 = "unknown query engine {name!r}; choose one of: {choices}"
    E802 = "the answer holds an RDF 1.2 triple term ({term}); kg's results cannot show one"


class KGError(Exception):
    """An error with a stable code and a message for people."""

    exit_code = 2

    def __init__(self, code: E, exit_code: int | None = None, **values: object) -> None:
        self.code = code
        self.values = values
        if exit_code is not None:
            self.exit_code = exit_code
        super().__init__(f"[{code.name}] {code.value.format(**values)}")
