"""The whole pipeline: files -> articles -> facts -> resolved nodes -> RDF -> a file."""

from __future__ import annotations

import gc
import multiprocessing
import signal
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.pool import Pool
from pathlib import Path
from types import TracebackType
from typing import Any

from rdflib import Dataset, Graph

from kg.cache import Cache
from kg.errors import E, KGError
from kg.graph import to_dataset, to_graph, to_triples
from kg.ingest import RULES, distinct_articles, iter_paths, read_corpus_file, read_text
from kg.model import Article, Fact
from kg.namespaces import base_namespace
from kg.resolve import KnowledgeBase, resolve
from kg.serialize import Format, Triples, format_for, serialize_parts, write_atomic

# told after each article is extracted: (articles done, articles in all)
Progress = Callable[[int, int], None]


@dataclass
class BuildReport:
    articles: int = 0
    facts: int = 0
    cached: int = 0  # articles whose facts came from the cache (kg.cache)
    triples: int = 0
    quads: int = 0  # written in a format with named graphs: quads in ``graphs`` graphs
    graphs: int = 0
    warnings: list[str] = field(default_factory=list)
    output: Path | None = None

    def summary(self) -> str:
        cached = f" ({self.cached} from the cache)" if self.cached else ""
        parts = [f"{self.articles} articles{cached}", f"{self.facts} facts"]
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


@contextmanager
def no_gc() -> Iterator[None]:
    """Python's cyclic garbage collector off for a while: resolving and mapping a big
    corpus make millions of objects and hardly a cycle, and each full collection walks all
    of them (a third of the time of those stages). It is back on, as it was, after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- several processes ------------------------------------------------------------------

CHUNK = 16  # articles per task of a worker: one nlp.pipe stream each


class Workers:
    """Where a build reads and extracts: this process (``jobs`` 1), or a pool of ``jobs``
    processes, started when first needed and stopped on leaving the ``with`` block.

    Results come back in the order of the work given, so a build with any number of jobs
    writes the same bytes. The pool forks this process (where the platform can fork;
    elsewhere the work stays in this process): the workers need no start-up of their own
    but loading the spaCy model, once each.
    """

    def __init__(self, jobs: int = 1) -> None:
        if not isinstance(jobs, int) or jobs < 1:
            raise KGError(E.E902, value=jobs)
        can_fork = "fork" in multiprocessing.get_all_start_methods()
        self.jobs = jobs if can_fork else 1
        self._pool: Pool | None = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()  # every task is done or no longer wanted
            self._pool.join()
            self._pool = None

    def map(
        self, task: Callable[[Any], Any], items: Sequence[Any], least: int = 2
    ) -> Iterator[Any]:
        """``task`` of each item, in order: in the pool when there are ``least`` items or
        more and more than one job, else here."""
        if self.jobs == 1 or len(items) < least:
            return map(task, items)
        if self._pool is None:
            context = multiprocessing.get_context("fork")
            self._pool = context.Pool(self.jobs, initializer=_start_worker)
        return self._pool.imap(task, items)


def _start_worker() -> None:
    # the parent process handles Ctrl-C and SIGTERM, and stops the workers itself
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _read_task(job: tuple[Path, bytes | None]) -> tuple[list[Article], list[str]]:
    """The articles of one file and its warnings; ``data``, when given, is the file's
    content (read by the caller, to key the cache on), which is then read as read_file
    would read it from the file. A file with any problem is read again the usual way, so
    that its warnings are the usual ones."""
    path, data = job
    warnings: list[str] = []
    if data is not None:
        errors: list[KGError] = []
        try:
            found = read_text(data, str(path), errors)
            if not errors:
                return found, warnings
        except Exception:  # read again below, the usual way, which says what went wrong
            pass
    return read_corpus_file(path, lambda e: warnings.append(str(e))), warnings


def _extracted(articles: list[Article]) -> Iterator[tuple[Article, list[Fact]]]:
    # imported here: spaCy takes a while to import, and a build whose every article is in
    # the cache does without it
    from kg.extract import extract

    return extract(articles)


def _extract_task(articles: list[Article]) -> list[list[Fact]]:
    return [facts for _, facts in _extracted(articles)]


def _file_bytes(path: Path) -> bytes | None:
    """The content of a regular file that ingest would read in full, else None."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > RULES.max_file_bytes:
            return None
        return path.read_bytes()
    except OSError:
        return None


# --- the stages -------------------------------------------------------------------------


def read_inputs(
    files: Iterable[InputFile],
    report: BuildReport,
    workers: Workers | None = None,
    cache: Cache | None = None,
) -> Iterator[tuple[InputFile, int, Article]]:
    """(file, record number, article) for every article of ``files``; a file that cannot
    be read becomes a warning. With a ``cache`` a file read before (the same bytes at the
    same path) is not read again."""
    files = list(files)
    cached: list[list[Article] | None] = [None] * len(files)
    jobs: list[tuple[Path, bytes | None]] = []
    contents: list[bytes | None] = []
    for i, file in enumerate(files):
        data = _file_bytes(file.path) if cache is not None else None
        if data is not None:
            cached[i] = cache.read(str(file.path), data)  # type: ignore[union-attr]
        if cached[i] is None:
            jobs.append((file.path, data))
            contents.append(data)
    done = (workers or Workers()).map(_read_task, jobs, least=CHUNK)
    fresh = zip(contents, done, strict=True)
    for i, file in enumerate(files):
        found = cached[i]
        if found is None:
            data, (found, warnings) = next(fresh)
            report.warnings.extend(warnings)
            if cache is not None and data is not None and not warnings:
                cache.store_read(str(file.path), data, found)
        for n, article in enumerate(found):
            yield file, n, article


def read_articles(
    paths: Sequence[Path],
    report: BuildReport,
    exclude: Sequence[Path] = (),
    workers: Workers | None = None,
    cache: Cache | None = None,
) -> list[Article]:
    """Every article in ``paths`` but the files in ``exclude`` (the build's own output);
    a file that cannot be read, or a repeat of an article, becomes a warning (see
    ingest.distinct_articles)."""
    files = list_inputs(paths, report, exclude)
    found = (a for _, _, a in read_inputs(files, report, workers, cache))
    return distinct_articles(found, lambda e: report.warnings.append(str(e)))


def extract_articles(
    articles: Iterable[Article],
    report: BuildReport,
    progress: Progress | None = None,
    workers: Workers | None = None,
    cache: Cache | None = None,
) -> Iterator[tuple[Article, list[Fact]]]:
    """Each article with its facts, in order, counted in ``report``. With a ``cache`` the
    facts of an article extracted before (by this kg) are taken from it; the others are
    extracted (by ``workers``) and stored in it."""
    articles = list(articles)
    known: list[list[Fact] | None] = [None] * len(articles)
    if cache is not None:
        with no_gc():
            known = [cache.facts(a) for a in articles]
    todo = [a for a, facts in zip(articles, known, strict=True) if facts is None]
    workers = workers or Workers()
    fresh: Iterator[list[Fact]] = iter(())
    if workers.jobs > 1 and len(todo) > CHUNK:
        chunks = [todo[i : i + CHUNK] for i in range(0, len(todo), CHUNK)]
        fresh = (facts for chunk in workers.map(_extract_task, chunks) for facts in chunk)
    elif todo:
        fresh = (facts for _, facts in _extracted(todo))
    for done, (article, facts) in enumerate(zip(articles, known, strict=True), 1):
        if facts is None:
            facts = next(fresh)
            if cache is not None:
                cache.store_facts(article, facts)
        else:
            report.cached += 1
        report.articles += 1
        report.facts += len(facts)
        if progress is not None:
            progress(done, len(articles))
        yield article, facts
    if cache is not None:
        report.warnings.extend(w for w in cache.warnings if w not in report.warnings)


def no_articles(report: BuildReport) -> KGError:
    reasons = "\n".join(f"  {w}" for w in report.warnings) or "  no input files"
    return KGError(E.E008, reasons=reasons)


def build_kb(
    paths: Sequence[Path],
    progress: Progress | None = None,
    exclude: Sequence[Path] = (),
    jobs: int = 1,
    cache: Cache | None = None,
) -> tuple[KnowledgeBase, BuildReport]:
    """Read, extract and resolve ``paths``; E008 when no article could be read.

    ``jobs`` processes read and extract (kg.build.Workers); a ``cache`` (kg.cache) keeps
    what was read and extracted for the next build. Neither changes the result.
    """
    report = BuildReport()
    with Workers(jobs) as workers:
        articles = read_articles(paths, report, exclude, workers, cache)
        if not articles:
            raise no_articles(report)
        results = list(extract_articles(articles, report, progress, workers, cache))
    with no_gc():
        return resolve(results), report


def build_graph(
    paths: Sequence[Path],
    base: str | None = None,
    progress: Progress | None = None,
    exclude: Sequence[Path] = (),
    jobs: int = 1,
    cache: Cache | None = None,
) -> tuple[Graph, KnowledgeBase, BuildReport]:
    """Read, extract, resolve and map ``paths``; E008 when no article could be read."""
    kb, report = build_kb(paths, progress, exclude, jobs, cache)
    with no_gc():
        graph = to_graph(kb, base)
    report.triples = len(graph)
    return graph, kb, report


def build(
    paths: Sequence[Path],
    out: Path,
    fmt: str | None = None,
    base: str | None = None,
    progress: Progress | None = None,
    jobs: int = 1,
    cache: Cache | None = None,
) -> BuildReport:
    """Build the graph of ``paths`` and write it to ``out`` (nothing is written on failure).

    Formats with named graphs (TriG, N-Quads, JSON-LD) get one graph per article
    (kg.graph.to_dataset); the others get their union. ``jobs`` and ``cache``: see
    build_kb.
    """
    chosen = format_for(out, fmt)  # an unknown format fails before the work, not after
    base_namespace(base)  # so does a bad base IRI
    kb, report = build_kb(paths, progress, [out], jobs, cache)
    # a triple format needs no rdflib Graph: kg.serialize writes the same bytes from a table
    with no_gc():
        data = to_dataset(kb, base) if chosen.named_graphs else to_triples(kb, base)
        del kb  # all that is written is in data now: the memory is the writer's
        write_output(data, out, chosen, report)
    return report


def write_output(data: Graph | Triples, out: Path, fmt: Format, report: BuildReport) -> None:
    """Write ``data`` (a Graph or Triples, or a Dataset of named graphs) and count it in
    ``report``."""
    if isinstance(data, Dataset):
        graphs = [g for g in data.graphs() if len(g)]
        report.triples = len({t for g in graphs for t in g})
        if fmt.named_graphs:
            report.graphs = len(graphs)
            report.quads = sum(len(g) for g in graphs)
    else:
        report.triples = len(data)
    write_atomic(out, serialize_parts(data, fmt))
    report.output = out
