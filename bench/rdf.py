"""Query latency and Turtle serialization on a big graph, and the graph page, in one process.

    python -m bench.rdf GRAPH.nt [--rdflib-limit 10] [--page GRAPH.ttl --page-nodes 5000]

prints a JSON object with:

- ``queries``: each query in queries/ run by kg (kg.query.open_graph + run_query, its
  default engine), by pyoxigraph itself (Store.query, every row read), and by rdflib
  (Graph.query; stopped after ``--rdflib-limit`` seconds): the best of three runs for kg
  and pyoxigraph after a first one, one run for rdflib;
- ``serialize``: the graph written as Turtle by kg (kg.serialize.turtle_text from the
  table kg.graph builds for a build, with the garbage collector off as `kg build` has it)
  and by pyoxigraph (pyoxigraph.serialize of its triples, with kg's prefixes);
- ``page``: `kg viz` on the graph ``--page`` (reading it, then writing the page of its
  ``--page-nodes`` most central nodes).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph
from rdflib import Graph

from kg import query as q
from kg.build import no_gc
from kg.namespaces import PREFIXES
from kg.serialize import Triples, turtle_text

RUNS = 3


def best(action: Callable[[], Any], runs: int = RUNS) -> tuple[float, Any]:
    """The shortest time of ``runs`` runs after a first one (which warms caches)."""
    result = action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return min(times), result


class Stopped(Exception):
    pass


def limited(action: Callable[[], Any], seconds: float) -> tuple[float | None, Any]:
    """(time, result) of ``action``, or (None, None) if it runs longer than ``seconds``:
    then it is stopped (an exception raised in its thread; rdflib's query engine is
    Python, so it notices)."""
    out: dict[str, Any] = {}

    def work() -> None:
        try:
            start = time.perf_counter()
            out["result"] = action()
            out["time"] = time.perf_counter() - start
        except Stopped:
            pass

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident), ctypes.py_object(Stopped)  # type: ignore[arg-type]
        )
        thread.join()
        return None, None
    return out.get("time"), out.get("result")


def queries(path: Path, rdflib_limit: float) -> dict[str, Any]:
    texts = {name: p.read_text(encoding="utf-8") for name, p in q.named_queries().items()}
    start = time.perf_counter()
    store = pyoxigraph.Store()
    store.bulk_load(path=str(path), format=pyoxigraph.RdfFormat.N_TRIPLES)
    ox_load = time.perf_counter() - start
    start = time.perf_counter()
    opened = q.open_graph(path) if hasattr(q, "open_graph") else q.load_graph(path)
    kg_load = time.perf_counter() - start
    rows: dict[str, dict[str, Any]] = {}
    for name, text in texts.items():
        ox_time, ox_rows = best(lambda t=text: [list(row) for row in store.query(t)])
        kg_time, result = best(lambda t=text: q.run_query(opened, t))
        rows[name] = {"pyoxigraph": ox_time, "kg": kg_time, "rows": len(ox_rows),
                      "kg_rows": len(result.rows)}
    start = time.perf_counter()
    graph = Graph()
    graph.parse(path, format="nt")
    rdflib_load = time.perf_counter() - start
    for name, text in texts.items():
        seconds, _ = limited(lambda t=text: list(graph.query(t)), rdflib_limit)
        rows[name]["rdflib"] = seconds
    return {
        "triples": len(store),
        "load": {"pyoxigraph": ox_load, "kg": kg_load, "rdflib": rdflib_load},
        "queries": rows,
        "graph": graph,
        "store": store,
    }


def serialize(graph: Graph, store: pyoxigraph.Store) -> dict[str, Any]:
    """kg's Turtle writer over the table a build writes from, against pyoxigraph's."""
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    table = Triples.of(graph)  # as kg.graph.to_triples makes it for a build (not timed)
    triples = [quad.triple for quad in store]
    prefixes = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
    ox_time, ox_text = best(
        lambda: pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.TURTLE,
                                     prefixes=prefixes),
        runs=2,
    )
    with no_gc():  # as `kg build` writes (kg.build.build)
        kg_time, kg_text = best(lambda: turtle_text(table), runs=2)
    return {"triples": len(table), "pyoxigraph": ox_time, "kg": kg_time,
            "kg_bytes": len(kg_text.encode("utf-8")) if kg_text else None,
            "pyoxigraph_bytes": len(ox_text)}


def page(path: Path, nodes: int) -> dict[str, Any]:
    from kg.viz import write_page

    start = time.perf_counter()
    graph = q.load_graph(path)
    read = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "page.html"
        start = time.perf_counter()
        drawn = write_page(graph, out, max_nodes=nodes)
        write = time.perf_counter() - start
        size = out.stat().st_size
    return {"read": read, "write": write, "nodes": drawn, "bytes": size,
            "triples": len(graph)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("graph", type=Path)
    parser.add_argument("--rdflib-limit", type=float, default=10.0)
    parser.add_argument("--page", type=Path)
    parser.add_argument("--page-nodes", type=int, default=5000)
    args = parser.parse_args()
    found = queries(args.graph, args.rdflib_limit)
    graph, store = found.pop("graph"), found.pop("store")
    found["serialize"] = serialize(graph, store)
    del graph, store
    if args.page:
        found["page"] = page(args.page, args.page_nodes)
    print(json.dumps(found))


if __name__ == "__main__":
    main()
