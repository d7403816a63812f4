"""Writing graphs: a registry of output formats, deterministic text, atomic files.

Triple formats (Turtle, N-Triples) write one graph; quad formats (TriG, N-Quads, JSON-LD)
write a Dataset, one named graph per article (kg.graph.to_dataset). Every writer gives
the same bytes for the same graph, whatever the hash seed: rdflib writes Turtle sorted,
while its N-Triples/N-Quads lines, TriG graphs and JSON-LD nodes come in hash order, so
kg sorts them.
"""

from __future__ import annotations

import glob
import io
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import Dataset, Graph
from rdflib.plugins.serializers.trig import TrigSerializer

from kg.errors import E, KGError
from kg.namespaces import PREFIXES


@dataclass(frozen=True)
class Format:
    """An output format: ``write`` turns a Graph (or, if ``named_graphs``, a Dataset) into
    text; ``rdflib`` is the name rdflib parses it by."""

    name: str
    suffix: str
    write: Callable[[Graph], str]
    rdflib: str
    named_graphs: bool = False


def _turtle(graph: Graph) -> str:
    return graph.serialize(format="turtle")


def _sorted_lines(text: str) -> str:
    # split at "\n" only: str.splitlines() also splits at characters a literal may hold
    # unescaped (\x0b, \x1c, \x85, \u2028, ...), which would cut a triple in two
    lines = sorted({line for line in text.split("\n") if line.strip()})
    return "\n".join(lines) + "\n" if lines else ""


def _ntriples(graph: Graph) -> str:
    return _sorted_lines(graph.serialize(format="nt"))


def _nquads(dataset: Graph) -> str:
    return _sorted_lines(dataset.serialize(format="nquads"))


class _SortedTrig(TrigSerializer):
    """rdflib's TriG writer with the graphs in name order (the default graph first)."""

    def __init__(self, store: Graph) -> None:
        super().__init__(store)
        self.contexts.sort(
            key=lambda g: (g.identifier != self.default_context, str(g.identifier))
        )


def _trig(dataset: Graph) -> str:
    out = io.BytesIO()
    _SortedTrig(dataset).serialize(out, encoding="utf-8")
    return out.getvalue().decode("utf-8")


def jsonld_context(graph: Graph) -> dict[str, str]:
    """The @context of kg's JSON-LD: kg's prefixes (kg.namespaces.PREFIXES), and ``id`` for
    the instance namespace the graph binds (kg.graph binds it)."""
    known = {str(ns) for ns in PREFIXES.values()}
    bound = dict(graph.namespaces())
    context = {name: str(PREFIXES[name]) for name in PREFIXES}
    if "id" in bound and str(bound["id"]) not in known:
        context["id"] = str(bound["id"])
    return context


def _jsonld(dataset: Graph) -> str:
    text = dataset.serialize(format="json-ld", context=jsonld_context(dataset))
    return json.dumps(_canonical(json.loads(text)), indent=2, sort_keys=True,
                      ensure_ascii=False) + "\n"


def _canonical(value: Any, key: str | None = None) -> Any:
    """JSON-LD with every unordered array sorted: node lists and multi-valued properties
    (an @list and the @context keep their order)."""
    if key == "@context":
        return value
    if isinstance(value, dict):
        return {k: _canonical(v, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        if key == "@list":
            return items
        return sorted(items, key=_node_order)
    return value


def _node_order(value: Any) -> tuple[str, str]:
    """Nodes and graphs by @id, then anything by its JSON text."""
    ident = value.get("@id", "") if isinstance(value, dict) else ""
    return str(ident), json.dumps(value, sort_keys=True, ensure_ascii=False)


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("turtle", ".ttl", _turtle, "turtle"),
        Format("nt", ".nt", _ntriples, "nt"),
        Format("trig", ".trig", _trig, "trig", named_graphs=True),
        Format("nq", ".nq", _nquads, "nquads", named_graphs=True),
        Format("jsonld", ".jsonld", _jsonld, "json-ld", named_graphs=True),
    )
}


def format_for(path: Path, name: str | None = None) -> Format:
    """The format named, else the one the file's suffix implies; unknown -> E201."""
    if name is not None:
        if name not in FORMATS:
            raise KGError(E.E201, name=name, choices=", ".join(sorted(FORMATS)))
        return FORMATS[name]
    for f in FORMATS.values():
        if path.suffix == f.suffix:
            return f
    raise KGError(
        E.E201,
        name=path.suffix or str(path),
        choices=", ".join(f"{f.name} ({f.suffix})" for f in FORMATS.values()),
    )


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never
    a part: a temporary file in the same folder, flushed, then renamed over it.

    The temporary file is hidden and named after the path and the writing process
    (".kg.ttl.<pid>.<random>.tmp"). A writer killed outright (SIGKILL, power loss) leaves
    it behind; the next write to the same path removes it once its process is gone and it
    has not changed for STALE_SECONDS.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path)
        prefix = f".{path.name}.{os.getpid()}."
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise KGError(E.E202, path=path, reason=exc.strerror or exc) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise KGError(E.E202, path=path, reason=exc.strerror or exc) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


STALE_SECONDS = 60.0  # a live writer touches its temporary file more often than this


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove the temporary files of writes to ``path`` whose process no longer runs on
    this machine and which have not changed for STALE_SECONDS; the ones removed.

    The age keeps a file another machine is writing right now (on a shared folder its
    process id means nothing here) safe.
    """
    removed: list[Path] = []
    prefix = f".{path.name}."
    for tmp in path.parent.glob(f"{glob.escape(prefix)}*.tmp"):
        pid, _, rest = tmp.name[len(prefix) :].partition(".")
        if not pid.isdigit() or not rest or _running(int(pid)):
            continue
        try:
            if time.time() - tmp.stat().st_mtime > STALE_SECONDS:
                tmp.unlink()
                removed.append(tmp)
        except FileNotFoundError:
            continue  # another writer removed it first
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process (or a number no process has: keep it, to be safe)
    return True


def serialize(graph: Graph, fmt: Format) -> str:
    """``graph`` as ``fmt`` text: a Dataset written in a triple format gives the union of
    its graphs; a plain Graph written in a quad format is the default graph."""
    if fmt.named_graphs and not isinstance(graph, Dataset):
        dataset = Dataset()
        for prefix, namespace in graph.namespaces():
            dataset.bind(prefix, namespace)
        for triple in graph:
            dataset.add(triple)
        graph = dataset
    elif not fmt.named_graphs and isinstance(graph, Dataset):
        graph = union(graph)
    return fmt.write(graph)


def union(dataset: Dataset) -> Graph:
    """Every triple of every graph of ``dataset``, with its prefixes."""
    graph = Graph()
    for prefix, namespace in dataset.namespaces():
        graph.bind(prefix, namespace)
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


def write_graph(graph: Graph, path: Path, fmt_name: str | None = None) -> Format:
    fmt = format_for(path, fmt_name)
    write_atomic(path, serialize(graph, fmt))
    return fmt
