"""The whole pipeline: files -> articles -> facts -> resolved nodes -> RDF -> a file."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from kg import extract as extraction
from kg.errors import E, KGError
from kg.graph import to_graph
from kg.ingest import iter_paths, read_file
from kg.model import Article, Fact
from kg.resolve import KnowledgeBase, resolve
from kg.serialize import format_for, write_graph


@dataclass
class BuildReport:
    articles: int = 0
    facts: int = 0
    triples: int = 0
    warnings: list[str] = field(default_factory=list)
    output: Path | None = None

    def summary(self) -> str:
        where = f" -> {self.output}" if self.output else ""
        warn = f", {len(self.warnings)} warning(s)" if self.warnings else ""
        return f"{self.articles} articles, {self.facts} facts, {self.triples} triples{warn}{where}"


RDF_SUFFIXES = {".ttl", ".nt", ".nq", ".trig", ".jsonld", ".rdf", ".owl"}


def read_articles(
    paths: Sequence[Path], report: BuildReport, exclude: Sequence[Path] = ()
) -> list[Article]:
    """Every article in ``paths`` but the files in ``exclude`` (the build's own output);
    a file that cannot be read becomes a warning."""
    articles: list[Article] = []
    seen: set[str] = set()
    skip = {p.resolve() for p in exclude}
    for path in iter_paths(paths):
        if path.resolve() in skip:
            continue
        if path.suffix.lower() in RDF_SUFFIXES:
            report.warnings.append(str(KGError(E.E009, path=path, suffix=path.suffix)))
            continue
        try:
            found = read_file(path)
        except KGError as exc:
            report.warnings.append(str(exc))
            continue
        for article in found:
            if article.id in seen:
                report.warnings.append(
                    f"{article.source}: article id {article.id} repeats; skipped"
                )
                continue
            seen.add(article.id)
            articles.append(article)
    return articles


def build_graph(
    paths: Sequence[Path],
    base: str | None = None,
    progress: Callable[[Article], None] | None = None,
    exclude: Sequence[Path] = (),
) -> tuple[Graph, KnowledgeBase, BuildReport]:
    """Read, extract, resolve and map ``paths``; E008 when no article could be read."""
    report = BuildReport()
    articles = read_articles(paths, report, exclude)
    if not articles:
        reasons = "\n".join(f"  {w}" for w in report.warnings) or "  no input files"
        raise KGError(E.E008, reasons=reasons)

    def tracked() -> Iterator[tuple[Article, list[Fact]]]:
        for article, facts in extraction.extract(articles):
            report.articles += 1
            report.facts += len(facts)
            if progress is not None:
                progress(article)
            yield article, facts

    kb = resolve(tracked())
    graph = to_graph(kb, base)
    report.triples = len(graph)
    return graph, kb, report


def build(
    paths: Sequence[Path],
    out: Path,
    fmt: str | None = None,
    base: str | None = None,
    progress: Callable[[Article], None] | None = None,
) -> BuildReport:
    """Build the graph of ``paths`` and write it to ``out`` (nothing is written on failure)."""
    format_for(out, fmt)  # an unknown format fails before the work, not after
    graph, _, report = build_graph(paths, base, progress, exclude=[out])
    write_graph(graph, out, fmt)
    report.output = out
    return report
