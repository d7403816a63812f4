"""Writing graphs: a registry of output formats, deterministic text, atomic files."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from kg.errors import E, KGError


@dataclass(frozen=True)
class Format:
    name: str
    suffix: str
    write: Callable[[Graph], str]


def _rdflib(fmt: str) -> Callable[[Graph], str]:
    def write(graph: Graph) -> str:
        return graph.serialize(format=fmt)

    return write


def _ntriples(graph: Graph) -> str:
    # rdflib writes N-Triples in hash order; sorted lines make the file reproducible.
    lines = sorted(line for line in graph.serialize(format="nt").splitlines() if line.strip())
    return "\n".join(lines) + "\n"


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("turtle", ".ttl", _rdflib("turtle")),
        Format("nt", ".nt", _ntriples),
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
    a part: a temporary file in the same folder, flushed, then renamed over it."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
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


def serialize(graph: Graph, fmt: Format) -> str:
    return fmt.write(graph)


def write_graph(graph: Graph, path: Path, fmt_name: str | None = None) -> Format:
    fmt = format_for(path, fmt_name)
    write_atomic(path, serialize(graph, fmt))
    return fmt
