"""Building a big corpus on N machines: each extracts one share, one merge resolves all.

Resolution works across articles (a surname in one article is the full name another one
gives; a ruling reported by five articles is one node), so no share of the articles can be
resolved, or written as RDF, on its own and still agree with one build of the whole. What
splits cleanly is the expensive part, reading and extraction (spaCy: nearly all of a
build's time); resolving and mapping the facts of the whole corpus is fast. So:

    kg build corpus/ --shard I/N -o part-I.facts.jsonl    # machine I of N, in parallel
    kg merge part-*.facts.jsonl -o kg.nq                   # resolve everything, write it

``merge`` writes one build's graph: it resolves the same articles with the same facts, in
the same order, as ``kg build corpus/``. Extraction sees one article at a time (a place the
gazetteer lacks is learned per article, and resolution settles it), so a share's facts are
the facts one build extracts from those articles.

To write the N-Quads in shares for a clustered store, run
``kg merge part-*.facts.jsonl --shard I/N -o kg-I.nq`` on machine I: share I holds the
named graphs (kg.graph.to_dataset) of the articles of the files of share I, and share 1
also the concept graph; the shares are disjoint and together they are one build's dataset
(sorted, their concatenated lines are one build's .nq file).

Shares: a file is in share ``shard_of(key, N)``, from the SHA-256 of its path relative to
the folder argument it was found in (kg.build.InputFile.key), so it lands in the same share
on every machine wherever the corpus is mounted, and one more file moves no other file.
dcterms:source keeps the path as each machine was given it: run the same command line from
the same folder everywhere for one build's graph to the byte.

A facts file is JSON Lines: a header (format version, kg version, the share, a digest of
the whole list of input keys, the share's warnings), then one line per article in build
order: its place in the build (file index, record number), its file's key, the article and
its facts. ``merge`` refuses parts that are not exactly shares
1..N of one list of files, made by this kg version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rdflib import Dataset, URIRef

from kg import __version__
from kg.build import (
    FACTS_SUFFIX,
    BuildReport,
    InputFile,
    Progress,
    Workers,
    extract_articles,
    list_inputs,
    no_articles,
    no_gc,
    read_inputs,
    write_output,
)
from kg.cache import Cache, decode, dumps, encode
from kg.errors import E, KGError
from kg.graph import article_graph, concept_graph, to_dataset, to_triples
from kg.ingest import distinct_articles
from kg.model import Article, Fact
from kg.namespaces import base_namespace
from kg.resolve import KnowledgeBase, resolve
from kg.serialize import format_for, write_atomic

FACTS_FORMAT = "kg-facts/2"
# a facts file stores articles and facts as the build cache does (kg.cache)
_dumps = dumps


@dataclass(frozen=True)
class Shard:
    """Share ``index`` (1-based) of ``count``."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """ "2/3" -> Shard(2, 3); anything else (0/3, 4/3, 2, a/b) -> E501."""
        left, slash, right = text.strip().partition("/")
        if slash and left.isdigit() and right.isdigit():
            index, count = int(left), int(right)
            if 1 <= index <= count:
                return cls(index, count)
        raise KGError(E.E501, value=text)

    def holds(self, key: str) -> bool:
        return shard_of(key, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def shard_of(key: str, count: int) -> int:
    """The share (1..count) of the file whose InputFile.key is ``key``."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def _shard(value: Shard | str) -> Shard:
    return value if isinstance(value, Shard) else Shard.parse(value)


# --- writing a share's facts ------------------------------------------------------------


def build_shard(
    paths: Sequence[Path],
    shard: Shard | str,
    out: Path | None = None,
    fmt: str | None = None,
    progress: Progress | None = None,
    base: str | None = None,
    jobs: int = 1,
    cache: Cache | None = None,
) -> BuildReport:
    """Read and extract the files of share ``shard`` of ``paths`` and write their facts to
    ``out`` (default graphs/part-I-of-N.facts.jsonl). A share with no file, or no readable
    article, is an empty part, not an error: its files may all be in other shares.
    ``fmt`` and ``base`` are refused: they belong to `kg merge`. ``jobs`` and ``cache``:
    see kg.build.build_kb."""
    shard = _shard(shard)
    out = out or Path("graphs") / f"part-{shard.index}-of-{shard.count}{FACTS_SUFFIX}"
    if fmt is not None or not out.name.endswith(FACTS_SUFFIX):
        raise KGError(E.E504, path=out)
    if base is not None:
        raise KGError(E.E506)
    report = BuildReport()
    files = list_inputs(paths, report, exclude=[out])
    mine = [f for f in files if shard.holds(f.key)]
    placed: dict[str, tuple[InputFile, int]] = {}
    articles: list[Article] = []
    with Workers(jobs) as workers:
        for file, n, article in read_inputs(mine, report, workers, cache):
            placed[article.source] = (file, n)
            articles.append(article)
        # repeated articles and shared ids are settled by merge, which sees every share
        unique = articles
        lines = [
            _dumps(
                {
                    "format": FACTS_FORMAT,
                    "kg": __version__,
                    "shard": [shard.index, shard.count],
                    "inputs": inputs_digest(files),
                    "warnings": report.warnings,
                }
            )
        ]
        for article, facts in extract_articles(unique, report, progress, workers, cache):
            file, n = placed[article.source]
            record = {"file": file.index, "record": n, "key": file.key}
            lines.append(_dumps({**record, "article": encode(article), "facts": encode(facts)}))
    write_atomic(out, "\n".join(lines) + "\n")
    report.output = out
    return report


def inputs_digest(files: Sequence[InputFile]) -> str:
    """What every share must agree on: the keys of all the files of the build, in order."""
    return hashlib.sha256("\n".join(f.key for f in files).encode("utf-8")).hexdigest()


# --- merging the shares -----------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One article of a facts file, with its place in the build."""

    order: tuple[int, int]  # (file index, record number)
    key: str
    article: Article
    facts: list[Fact]


def read_part(path: Path) -> tuple[dict[str, Any], list[Record]]:
    """The header and the records of one facts file; E502 if it is not one."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise KGError(E.E001, path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KGError(E.E502, path=path, reason=exc) from exc
    try:
        header = json.loads(lines[0]) if lines else {}
        if not isinstance(header, dict) or header.get("format") != FACTS_FORMAT:
            raise ValueError(f"its first line is not a {FACTS_FORMAT} header")
        if header.get("kg") != __version__:
            # another kg extracts other facts: the merge would not be that kg's build
            raise ValueError(f"made by kg {header.get('kg')}, this is kg {__version__}")
        index, count = header["shard"]
        if not 1 <= index <= count or not isinstance(header["inputs"], str):
            raise ValueError("its header is damaged")
        header["warnings"] = [str(w) for w in header["warnings"]]
        records = []
        for line in lines[1:]:
            row = json.loads(line)
            facts = list(decode(row["facts"]))
            order = (row["file"], row["record"])
            records.append(Record(order, row["key"], decode(row["article"]), facts))
    except (ValueError, KeyError, TypeError) as exc:
        raise KGError(E.E502, path=path, reason=exc) from exc
    return header, records


def _check_whole(parts: Sequence[Path], headers: list[dict[str, Any]]) -> None:
    if len({h["inputs"] for h in headers}) > 1:
        reason = "they were built from different input files (or different arguments)"
        raise KGError(E.E503, reason=reason)
    counts = {h["shard"][1] for h in headers}
    if len(counts) > 1:
        raise KGError(E.E503, reason=f"shares of different totals ({sorted(counts)})")
    count = counts.pop()
    seen: dict[int, Path] = {}
    for path, header in zip(parts, headers, strict=True):
        index = header["shard"][0]
        if index in seen:
            reason = f"{seen[index]} and {path} are both share {index}/{count}"
            raise KGError(E.E503, reason=reason)
        seen[index] = path
    missing = [f"{i}/{count}" for i in range(1, count + 1) if i not in seen]
    if missing:
        raise KGError(E.E503, reason=f"share {', '.join(missing)} is missing")


def merge_records(parts: Sequence[Path], report: BuildReport) -> list[Record]:
    """The articles of every part, in the order one build reads them, each id once."""
    headers, records = [], []
    for path in parts:
        header, found = read_part(Path(path))
        headers.append(header)
        records.extend(found)
        # every share warns about the same RDF and facts files among the inputs
        report.warnings.extend(w for w in header["warnings"] if w not in report.warnings)
    if not headers:
        raise KGError(E.E503, reason="no parts given")
    _check_whole(parts, headers)
    records.sort(key=lambda r: r.order)
    # as one build does (kg.build.read_articles): each text once, each id once
    kept = distinct_articles([r.article for r in records], lambda e: report.warnings.append(str(e)))
    by_source = {a.source: a for a in kept}
    settled = []
    for r in records:
        article = by_source.get(r.article.source)
        if article is None:
            continue
        if article.id != r.article.id:  # renamed: its sentences are the new id's
            facts = [replace(f, evidence=replace(f.evidence, article=article.id)) for f in r.facts]
            r = Record(r.order, r.key, article, facts)
        settled.append(r)
    return settled


def merge_kb(parts: Sequence[Path]) -> tuple[KnowledgeBase, list[Record], BuildReport]:
    """The knowledge base of all the ``parts`` (the shares of `kg build --shard`) resolved
    together: the one a build of all their files gives (kg.build.build_kb)."""
    report = BuildReport()
    records = merge_records(parts, report)
    if not records:
        raise no_articles(report)
    results = [(r.article, r.facts) for r in records]
    with no_gc():
        kb = resolve(results)
    report.articles = len(results)
    report.facts = sum(len(facts) for _, facts in results)
    return kb, records, report


def merge(
    parts: Sequence[Path],
    out: Path,
    fmt: str | None = None,
    base: str | None = None,
    shard: Shard | str | None = None,
) -> BuildReport:
    """Resolve the facts of all the ``parts`` together and write the graph to ``out``: the
    graph one build of all their files gives. With ``shard`` I/N, write only share I of it
    (see the module's doc)."""
    chosen = format_for(out, fmt)
    share = _shard(shard) if shard is not None else None
    kb, records, report = merge_kb(parts)
    with no_gc():
        if share is None:
            data = to_dataset(kb, base) if chosen.named_graphs else to_triples(kb, base)
        else:
            ns = base_namespace(base)
            names = {article_graph(ns, r.article.id) for r in records if share.holds(r.key)}
            if share.index == 1:
                names.add(concept_graph(ns))
            data = only(to_dataset(kb, base), names)
        write_output(data, out, chosen, report)
    return report


def only(dataset: Dataset, names: set[URIRef]) -> Dataset:
    """The graphs of ``dataset`` named in ``names``."""
    out = Dataset()
    for prefix, namespace in dataset.namespaces():
        out.bind(prefix, namespace)
    for g in dataset.graphs():
        if g.identifier in names:
            target = out.graph(g.identifier)
            for triple in g:
                target.add(triple)
    return out
