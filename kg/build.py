"""The whole pipeline: files -> articles -> facts -> resolved nodes -> RDF -> a file."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Dataset, Graph

from kg import extract as extraction
from kg.errors import E, KGError
from kg.graph import to_dataset, to_graph
from kg.ingest import distinct_articles, iter_paths, read_corpus_file
from kg.model import Article, Fact
from kg.namespaces import base_namespace
from kg.resolve import KnowledgeBase, resolve
from kg.serialize import Format, format_for, serialize, write_atomic

Progress = Callable[[Article], None]


@dataclass
class BuildReport:
    articles: int = 0
    facts: int = 0
    triples: int = 0
    quads: int = 0  # written in a format with named graphs: quads in ``graphs`` graphs
    graphs: int = 0
    warnings: list[str] = field(default_factory=list)
    output: Path | None = None

    def summary(self) -> str:
        parts = [f"{self.articles} articles", f"{self.facts} facts"]
        if self.triples:
            quads = f" ({self.quads} quads in {self.graphs} graphs)" if self.graphs else ""
            parts.append(f"{self.triples} triples{quads}")
        if self.warnings:
            parts.append(f"{len(self.warnings)} warning(s)")
        where = f" -> {self.output}" if self.output else ""
        return ", ".join(parts) + where


RDF_SUFFIXES = {".ttl", ".nt", ".nq", ".trig", ".jsonld", ".rdf", ".owl"}
FACTS_SUFFIX = ".facts.jsonl"  # what `kg build --shard` writes (kg.shard)


@dataclass(frozen=True)
class InputFile:
    """One file a build reads.

    ``key`` is its path relative to the folder argument it was found in (POSIX form; a file
    argument's own name): the same on every machine, wherever the corpus is mounted.
    ``index`` is its place among every file of the build (the order articles are read in).
    """

    path: Path
    key: str
    index: int


def list_inputs(
    paths: Sequence[Path], report: BuildReport, exclude: Sequence[Path] = ()
) -> list[InputFile]:
    """The files of ``paths`` that may hold articles, in build order (ingest.iter_paths):
    the files in ``exclude`` (the build's own output) are left out, RDF graphs and facts
    files too, each with a warning. A path that does not exist is a warning too, unless no
    path does (E001)."""
    missing: list[str] = []

    def warn(error: KGError) -> None:
        if error.code is E.E001:
            missing.append(str(error.values["path"]))
        report.warnings.append(str(error))

    skip = {p.resolve() for p in exclude}
    seen: set[Path] = set()
    files: list[InputFile] = []
    for given in paths:
        root = Path(given)
        for path in iter_paths([root], on_error=warn):
            if path in seen:  # a file reached twice is read once, as iter_paths lists it
                continue
            seen.add(path)
            if path.resolve() in skip:
                continue
            if path.name.endswith(FACTS_SUFFIX):
                report.warnings.append(str(KGError(E.E505, path=path)))
                continue
            if path.suffix.lower() in RDF_SUFFIXES:
                report.warnings.append(str(KGError(E.E009, path=path, suffix=path.suffix)))
                continue
            key = path.relative_to(root).as_posix() if root.is_dir() else path.name
            files.append(InputFile(path, key, len(files)))
    if missing and len(missing) == len(paths):
        raise KGError(E.E001, path=", ".join(missing))
    return files


def read_inputs(
    files: Iterable[InputFile], report: BuildReport
) -> Iterator[tuple[InputFile, int, Article]]:
    """(file, record number, article) for every article of ``files``; a file that cannot
    be read becomes a warning."""
    for file in files:
        found = read_corpus_file(file.path, lambda e: report.warnings.append(str(e)))
        for n, article in enumerate(found):
            yield file, n, article


def read_articles(
    paths: Sequence[Path], report: BuildReport, exclude: Sequence[Path] = ()
) -> list[Article]:
    """Every article in ``paths`` but the files in ``exclude`` (the build's own output);
    a file that cannot be read, or a repeat of an article, becomes a warning (see
    ingest.distinct_articles)."""
    found = (a for _, _, a in read_inputs(list_inputs(paths, report, exclude), report))
    return distinct_articles(found, lambda e: report.warnings.append(str(e)))


def extract_articles(
    articles: Iterable[Article], report: BuildReport, progress: Progress | None = None
) -> Iterator[tuple[Article, list[Fact]]]:
    """Each article with its facts, counted in ``report``."""
    for article, facts in extraction.extract(articles):
        report.articles += 1
        report.facts += len(facts)
        if progress is not None:
            progress(article)
        yield article, facts


def no_articles(report: BuildReport) -> KGError:
    reasons = "\n".join(f"  {w}" for w in report.warnings) or "  no input files"
    return KGError(E.E008, reasons=reasons)


def build_kb(
    paths: Sequence[Path], progress: Progress | None = None, exclude: Sequence[Path] = ()
) -> tuple[KnowledgeBase, BuildReport]:
    """Read, extract and resolve ``paths``; E008 when no article could be read."""
    report = BuildReport()
    articles = read_articles(paths, report, exclude)
    if not articles:
        raise no_articles(report)
    return resolve(extract_articles(articles, report, progress)), report


def build_graph(
    paths: Sequence[Path],
    base: str | None = None,
    progress: Progress | None = None,
    exclude: Sequence[Path] = (),
) -> tuple[Graph, KnowledgeBase, BuildReport]:
    """Read, extract, resolve and map ``paths``; E008 when no article could be read."""
    kb, report = build_kb(paths, progress, exclude)
    graph = to_graph(kb, base)
    report.triples = len(graph)
    return graph, kb, report


def build(
    paths: Sequence[Path],
    out: Path,
    fmt: str | None = None,
    base: str | None = None,
    progress: Progress | None = None,
) -> BuildReport:
    """Build the graph of ``paths`` and write it to ``out`` (nothing is written on failure).

    Formats with named graphs (TriG, N-Quads, JSON-LD) get one graph per article
    (kg.graph.to_dataset); the others get their union.
    """
    chosen = format_for(out, fmt)  # an unknown format fails before the work, not after
    base_namespace(base)  # so does a bad base IRI
    kb, report = build_kb(paths, progress, exclude=[out])
    data = to_dataset(kb, base) if chosen.named_graphs else to_graph(kb, base)
    write_output(data, out, chosen, report)
    return report


def write_output(data: Graph, out: Path, fmt: Format, report: BuildReport) -> None:
    """Write ``data`` (a Graph, or a Dataset of named graphs) and count it in ``report``."""
    if isinstance(data, Dataset):
        graphs = [g for g in data.graphs() if len(g)]
        report.triples = len({t for g in graphs for t in g})
        if fmt.named_graphs:
            report.graphs = len(graphs)
            report.quads = sum(len(g) for g in graphs)
    else:
        report.triples = len(data)
    write_atomic(out, serialize(data, fmt))
    report.output = out
