"""The benchmark: `make bench` (python -m bench.run). Writes bench/results.md.

Every figure comes from a fresh process on generated input (bench/corpus.py,
bench/graph.py), in a scratch folder (default: a temporary one), so a run needs no
network and leaves the repository as it was but for the results file.

    python -m bench.run                         # the full run (sizes 200, 1000, 5000)
    python -m bench.run --sizes 50,100 --triples 100000 --out /tmp/results.md   # a quick one
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.corpus import write_article, write_corpus
from bench.graph import write_graph
from bench.measure import Run, run

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
# the goals of issue 6
FLOOR_RATIO = 1.3
WARM_SHARE = 0.10
QUERY_RATIO = 1.5
QUERY_SECONDS = 1.0
SERIALIZE_RATIO = 1.5
BENCH_SECONDS = 15 * 60
# how we read "about one article" and "flat": within a few seconds (the model's loading),
# and no more than a quarter more memory from the smallest corpus to the largest
WARM_ADDED_SECONDS = 5.0
MEMORY_GROWTH = 1.25
# why a goal can be missed, as measured while working on it (issue 6's notes)
QUERY_WHY = (
    "kg's fixed cost per query is about 0.5 ms (measured on the 1M graph: a thread to run "
    "Oxigraph in, so that Ctrl-C stops a query at once, about 0.25 ms; turning the rows into "
    "rdflib terms and ordering them, about 0.25 ms for 100 rows), which is as long as the "
    "query itself on the queries that take about 1 ms; from a few ms up it is within the goal"
)
SERIALIZE_WHY = (
    "kg writes rdflib's Turtle to the byte, in Python, from rdflib terms: a bare loop over "
    "1M triples takes about 0.26 s and a label lookup per object about 0.35 s more, and "
    "handing the triples to pyoxigraph's writer instead costs 1.7-2.1 s to build its terms"
)


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        lines = [f"### {self.title}", "", "| " + " | ".join(self.header) + " |",
                 "|" + "|".join("---" for _ in self.header) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        if self.notes:
            lines += ["", *self.notes]
        return "\n".join(lines) + "\n"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def mib(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB"


def secs(s: float) -> str:
    return f"{s:,.2f} s" if s < 100 else f"{s:,.0f} s"


def met(ok: bool) -> str:
    return "met" if ok else "**not met**"


# --- the machine ------------------------------------------------------------------------


def machine() -> dict[str, str]:
    memory = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = int(line.split()[1]) * 1024
    cpu = platform.processor() or platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    import pyoxigraph
    import rdflib
    import spacy

    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{memory / 2**30:.1f} GiB",
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "spacy": spacy.__version__,
        "rdflib": rdflib.__version__,
        "pyoxigraph": pyoxigraph.__version__,
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


# --- builds -----------------------------------------------------------------------------


def corpus_texts(folder: Path, out: Path) -> tuple[int, int]:
    """The cleaned article texts kg parses, as a JSON list in ``out`` (for the floor);
    (articles, words)."""
    from kg.build import BuildReport, read_articles

    texts = [a.text for a in read_articles([folder], BuildReport())]
    out.write_text(json.dumps(texts), encoding="utf-8")
    return len(texts), sum(len(t.split()) for t in texts)


def kg_build(corpus: Path, out: Path, cache: Path | None, jobs: int) -> Run:
    cmd = [PY, "-m", "kg", "build", str(corpus), "-o", str(out), "--jobs", str(jobs)]
    if cache is None:
        cmd.append("--no-cache")
    return run(cmd, env={"KG_CACHE_DIR": str(cache or "/nonexistent")}, cwd=REPO)


def extracted(run: Run) -> int:
    """How many articles a `kg build` extracted (its summary: "N articles (M from the
    cache), ...")."""
    found = re.search(r"(\d+) articles(?: \((\d+) from the cache\))?", run.stderr)
    assert found, run.stderr
    return int(found.group(1)) - int(found.group(2) or 0)


def bench_builds(sizes: list[int], jobs: int, work: Path, tables: list[Table],
                 goals: Table) -> None:
    """Cold builds against the floor at each size (--jobs 1 too, but at the largest);
    at the largest, a rebuild of the unchanged corpus and one with an article more."""
    build = Table(
        "Build throughput (cold: an empty cache)",
        ["articles", "words", "spaCy floor", "kg build --jobs 1", f"kg build --jobs {jobs}",
         "articles/s", "words/s", "CPU time: floor", "kg", "peak memory: floor", "kg",
         f"kg --jobs {jobs} / floor"],
    )
    rebuild = Table(f"Incremental builds (kg build --jobs {jobs}, the cache filled by the "
                    "cold build above)",
                    ["articles", "cold build", "unchanged corpus", "/ cold", "one article added",
                     "articles extracted", "cost over the unchanged rebuild"])
    ratios: list[tuple[int, float]] = []
    peaks: list[tuple[int, int, int]] = []
    for n in sizes:
        corpus = work / f"corpus-{n}"
        shutil.rmtree(corpus, ignore_errors=True)
        write_corpus(n, corpus)
        texts = work / f"texts-{n}.json"
        articles, words = corpus_texts(corpus, texts)
        log(f"{n} articles ({words:,} words): floor")
        floor = run([PY, "-m", "bench.floor", str(texts)], cwd=REPO)
        single = None
        if n != sizes[-1]:
            log(f"{n} articles: kg build --jobs 1 --no-cache")
            single = kg_build(corpus, work / f"kg-{n}-j1.ttl", None, 1)
        log(f"{n} articles: kg build --jobs {jobs} (cold cache)")
        cache = work / f"cache-{n}"
        shutil.rmtree(cache, ignore_errors=True)
        out = work / f"kg-{n}.ttl"
        cold = kg_build(corpus, out, cache, jobs)
        if single is not None:
            same = (work / f"kg-{n}-j1.ttl").read_bytes() == out.read_bytes()
            assert same, f"--jobs 1 and --jobs {jobs} wrote different graphs"
        ratio = cold.seconds / floor.seconds
        build.rows.append([
            f"{articles:,}", f"{words:,}", secs(floor.seconds),
            secs(single.seconds) if single else "(not run)", secs(cold.seconds),
            f"{articles / cold.seconds:,.1f}", f"{words / cold.seconds:,.0f}",
            secs(floor.cpu_seconds), secs(cold.cpu_seconds),
            mib(floor.peak_bytes), mib(cold.peak_bytes),
            f"{ratio:.2f} ({met(ratio <= FLOOR_RATIO)})",
        ])
        ratios.append((n, ratio))
        peaks.append((n, floor.peak_bytes, cold.peak_bytes))
        if n == sizes[-1]:
            log(f"{n} articles: rebuild, unchanged")
            again = work / f"kg-{n}-warm.ttl"
            warm = kg_build(corpus, again, cache, jobs)
            assert again.read_bytes() == out.read_bytes(), "the warm build differs from the cold"
            write_article(n, corpus)
            log(f"{n} articles: rebuild, one article added")
            plus = kg_build(corpus, work / f"kg-{n}-plus.ttl", cache, jobs)
            share = warm.seconds / cold.seconds
            added = plus.seconds - warm.seconds
            goals.rows.append([
                f"rebuild of an unchanged corpus under {WARM_SHARE:.0%} of a cold build",
                f"{share:.1%} at {n:,} articles", met(share <= WARM_SHARE), ""])
            goals.rows.append([
                "adding one article costs about one article",
                f"{extracted(plus)} article extracted; {added:+.2f} s over the unchanged "
                f"rebuild (a cold build: {cold.seconds / n:.2f} s per article)",
                met(extracted(plus) == 1 and added < WARM_ADDED_SECONDS),
                "the added time is mostly loading the spaCy model for it"])
            rebuild.rows.append([
                f"{n:,}", secs(cold.seconds), secs(warm.seconds),
                f"{share:.1%} ({met(share <= WARM_SHARE)})", secs(plus.seconds),
                f"{extracted(plus)} of {n + 1:,}",
                f"{plus.seconds - warm.seconds:+.2f} s",
            ])
    build.notes.append(
        "Each time is the wall-clock time of one process: its imports, loading the model, "
        "reading, parsing, extraction, resolution and writing the Turtle. Peak memory is the "
        "largest sum of PSS over the process tree (the workers of --jobs included), sampled "
        "every 0.2 s. The floor is `python -m bench.floor`: bare spaCy `nlp.pipe` with the "
        "same model over the same cleaned texts, in one process. --jobs 1 is not run at the "
        "largest size, to keep `make bench` within its time."
    )
    rebuild.notes.append(
        "A rebuild reads every file again (the cache is keyed on their bytes) and extracts "
        "only the articles it has not seen; resolution, mapping and writing always run on "
        "the whole corpus, as they depend on all of it. The cost of the added article is "
        "its extraction, which includes loading the spaCy model (a second or so)."
    )
    tables += [build, rebuild]
    worst = max(ratios, key=lambda r: r[1])
    goals.rows.insert(0, [
        f"cold `kg build --jobs {jobs}` within {FLOOR_RATIO}x of bare spaCy",
        ", ".join(f"{r:.2f} at {n:,}" for n, r in ratios), met(worst[1] <= FLOOR_RATIO),
        "" if worst[1] <= FLOOR_RATIO else
        "see the CPU time column: the extraction's own work on top of spaCy's"])
    (n0, _, kg0), (n1, _, kg1) = peaks[0], peaks[-1]
    growth = kg1 / kg0
    goals.rows.insert(1, [
        "peak memory flat in the number of articles",
        f"{mib(kg0)} at {n0:,}, {mib(kg1)} at {n1:,} (x{growth:.2f}); the floor: "
        + ", ".join(f"{mib(f)}" for _, f, _ in peaks),
        met(growth <= MEMORY_GROWTH),
        "" if growth <= MEMORY_GROWTH else
        "no spaCy Doc is kept (each article's is dropped once its facts are out), but "
        "resolution needs every article's facts at once and the Turtle is sorted by "
        "subject, so the knowledge base and the graph (about 180 triples an article) are "
        "held in memory: that part grows with the corpus"])


# --- queries, serialization, the page ---------------------------------------------------


def bench_rdf(triples: int, page: Path | None, nodes: int, work: Path,
              tables: list[Table], goals: Table) -> None:
    graph = work / f"graph-{triples}.nt"
    log(f"a graph of {triples:,} triples")
    write_graph(triples, graph)
    cmd = [PY, "-m", "bench.rdf", str(graph)]
    if page is not None:
        cmd += ["--page", str(page), "--page-nodes", str(nodes)]
    log("queries, serialization" + (", the page" if page else ""))
    measured = run(cmd, cwd=REPO)
    found = json.loads(measured.stdout)
    load = found["load"]
    query = Table(
        f"Query latency on a generated graph of {found['triples']:,} triples",
        ["query", "rows", "kg", "pyoxigraph", "kg / pyoxigraph", "rdflib"],
    )
    for name, row in found["queries"].items():
        ratio = row["kg"] / row["pyoxigraph"]
        ok = ratio <= QUERY_RATIO and row["kg"] < QUERY_SECONDS
        rdflib = secs(row["rdflib"]) if row["rdflib"] is not None else "stopped after 10 s"
        query.rows.append([name, f"{row['rows']:,}", f"{row['kg'] * 1000:,.0f} ms",
                           f"{row['pyoxigraph'] * 1000:,.0f} ms",
                           f"{ratio:.1f} ({met(ok)})", rdflib])
    ratios = {name: row["kg"] / row["pyoxigraph"] for name, row in found["queries"].items()}
    slowest = max(row["kg"] for row in found["queries"].values())
    worst = max(ratios, key=ratios.__getitem__)
    ok = ratios[worst] <= QUERY_RATIO and slowest < QUERY_SECONDS
    goals.rows.append([
        f"each query within {QUERY_RATIO}x of pyoxigraph and under {QUERY_SECONDS:.0f} s "
        f"({found['triples']:,} triples)",
        f"worst {ratios[worst]:.2f}x ({worst}); slowest {slowest * 1000:,.0f} ms", met(ok),
        "" if ok else QUERY_WHY])
    query.rows.append(["(loading the graph)", "", secs(load["kg"]), secs(load["pyoxigraph"]),
                       "", secs(load["rdflib"])])
    query.notes.append(
        f"kg: `kg.query.open_graph` then `run_query` (kg's default engine), the best of "
        f"{3} runs after a first; pyoxigraph: `Store.query`, every row read, the same; rdflib: "
        "`Graph.query`, one run, stopped after 10 s. Goal: kg within "
        f"{QUERY_RATIO}x of pyoxigraph and under {QUERY_SECONDS:.0f} s."
    )
    ser = found["serialize"]
    ratio = ser["kg"] / ser["pyoxigraph"]
    serialize = Table(
        f"Turtle serialization of {ser['triples']:,} triples",
        ["writer", "time", "output", "kg / pyoxigraph"],
        [["kg (`kg.serialize.turtle_text`)", secs(ser["kg"]), mib(ser["kg_bytes"] or 0),
          f"{ratio:.1f} ({met(ratio <= SERIALIZE_RATIO)})"],
         ["pyoxigraph (`pyoxigraph.serialize`)", secs(ser["pyoxigraph"]),
          mib(ser["pyoxigraph_bytes"]), ""]],
    )
    goals.rows.append([
        f"Turtle of {ser['triples']:,} triples within {SERIALIZE_RATIO}x of pyoxigraph",
        f"{ratio:.2f}x ({secs(ser['kg'])} / {secs(ser['pyoxigraph'])})",
        met(ratio <= SERIALIZE_RATIO), "" if ratio <= SERIALIZE_RATIO else SERIALIZE_WHY])
    tables += [query, serialize]
    if "page" in found:
        pg = found["page"]
        tables.append(Table(
            f"kg viz: a page of {pg['nodes']:,} nodes",
            ["graph", "reading it", "writing the page", "page size"],
            [[f"{pg['triples']:,} triples (the build of the middle size)", secs(pg["read"]),
              secs(pg["write"]), mib(pg["bytes"])]],
        ))
        goals.rows.append([f"`kg viz` of {pg['nodes']:,} nodes: the time to write the page",
                           secs(pg["write"]), "(a figure; no goal)", ""])


# --- the whole run ----------------------------------------------------------------------


def write_results(path: Path, info: dict[str, str], tables: list[Table], seconds: float,
                  argv: list[str]) -> None:
    lines = [
        "# Benchmark results",
        "",
        f"Made by `python -m bench.run {' '.join(argv)}`".rstrip() + f" in {secs(seconds)} "
        f"on {time.strftime('%Y-%m-%d')}.",
        "",
        "| machine | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in info.items()],
        "",
    ]
    text = "\n".join(lines) + "\n" + "\n".join(t.markdown() for t in tables)
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="200,1000,5000")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--viz-nodes", type=int, default=5000)
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (kept)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results.md")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    info = machine()
    tables: list[Table] = []
    goals = Table("Goals of issue 6", ["goal", "measured", "", "why not"])
    with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        sizes = [int(s) for s in args.sizes.split(",")]
        bench_builds(sizes, args.jobs, work, tables, goals)
        middle = work / f"kg-{sizes[len(sizes) // 2]}.ttl"
        bench_rdf(args.triples, middle if middle.exists() else None, args.viz_nodes, work,
                  tables, goals)
    seconds = time.perf_counter() - start
    goals.rows.append([f"`make bench` under {BENCH_SECONDS // 60} minutes",
                       f"{seconds / 60:.1f} minutes on {info['cores']} cores",
                       met(seconds <= BENCH_SECONDS), ""])
    write_results(args.out, info, [goals, *tables], seconds,
                  argv if argv is not None else sys.argv[1:])
    log(f"done in {time.perf_counter() - start:.0f} s -> {args.out}")


if __name__ == "__main__":
    main()
