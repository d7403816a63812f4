"""A cache of what a build reads and extracts, so that a rebuild redoes only what changed.

Two kinds of entry, each one small JSON file named by the SHA-256 of its key:

- ``read``: the articles of one input file, keyed on the file's bytes and its path as given
  (an article's dcterms:source is that path);
- ``facts``: the facts extracted from one article, keyed on the whole article (id, source,
  text, title, url, dates): extraction sees one article at a time, so its facts depend on
  nothing else.

Every key also holds kg's fingerprint: its version, a digest of its code and reference
data (every file of the kg package), and the versions of spaCy and of the model. A kg that
could read or extract differently never sees another's entries, so the cache cannot change
what a build writes: a build with it, warm or cold, writes the bytes a build without it
writes.

Where: ``$KG_CACHE_DIR``, else ``$XDG_CACHE_HOME/kg``, else ``~/.cache/kg``; deleting it
at any time is safe. Entries are written to a temporary file and renamed, so builds running
at once never read a part of one; an entry that cannot be read or decoded is a miss. A cache
folder that cannot be written is one warning (E901), and the build goes on without it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field, fields
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import kg
from kg.dates import DateExpr
from kg.errors import E, KGError
from kg.model import Article, Evidence, Fact, PartialDate, Ref

ENV = "KG_CACHE_DIR"
LAYOUT = "1"  # the folder layout and entry format; a new one starts a new folder

# the types an entry stores, by name ("$" in their JSON objects)
_TYPES: dict[str, type] = {
    t.__name__: t for t in (Article, Fact, Evidence, Ref, PartialDate, DateExpr)
}


def encode(value: Any) -> Any:
    """``value`` as JSON: tuples and lists as arrays, kg's dataclasses as objects naming
    their type in "$"; anything else kg does not store raises TypeError."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    name = type(value).__name__
    if _TYPES.get(name) is type(value):
        return {"$": name, **{f.name: encode(getattr(value, f.name)) for f in fields(value)}}
    raise TypeError(f"cannot store a {name}: {value!r}")


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _decoded(obj: dict[str, Any]) -> Any:
    """One JSON object as json.loads meets it (its values decoded already): a kg
    dataclass where it names one in "$", its arrays made tuples (a Fact's values are
    hashable, so they never hold lists)."""
    kind = obj.pop("$", None)
    if kind is None:
        return obj
    return _TYPES[kind](**{k: _tuples(v) if isinstance(v, list) else v for k, v in obj.items()})


def decode(value: Any) -> Any:
    """The inverse of :func:`encode`, for a value JSON has read already."""
    if isinstance(value, list):
        return tuple(decode(v) for v in value)
    if isinstance(value, dict):
        if "$" not in value:  # encode writes no plain objects
            raise KeyError("$")
        return _decoded({k: decode(v) for k, v in value.items()})
    return value


def loads(text: str) -> Any:
    """The inverse of ``dumps(encode(value))``: kg's dataclasses are made again, and
    arrays outside a plain object become tuples."""
    return _tuples(json.loads(text, object_hook=_decoded))


def dumps(obj: object) -> str:
    """Canonical JSON: sorted keys, no spaces, ASCII (a lone surrogate in an article is
    escaped, not an encoding error)."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


def default_dir() -> Path | None:
    """$KG_CACHE_DIR, else the user's cache folder ($XDG_CACHE_HOME or ~/.cache) /kg; None
    when there is no home folder to keep it in."""
    given = os.environ.get(ENV)
    if given:
        return Path(given).expanduser()
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base) / "kg"
    try:
        return Path.home() / ".cache" / "kg"
    except (RuntimeError, KeyError):  # no $HOME, and no home in the password database
        return None


@cache
def fingerprint() -> str:
    """What a cached entry was made by: kg's version, a digest of every file of the kg
    package (its code and its reference data), and the versions of spaCy and the model."""
    from kg.nlp import MODEL

    package = Path(kg.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.is_file()):
        if "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        digest.update(path.relative_to(package).as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    versions = [kg.__version__, _version("spacy"), MODEL, _version(MODEL)]
    return "\0".join([*versions, digest.hexdigest()])


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


@dataclass
class Cache:
    """The entries under ``root`` (default: :func:`default_dir`)."""

    root: Path | None = field(default_factory=default_dir)
    hits: int = 0
    misses: int = 0
    warnings: list[str] = field(default_factory=list)  # at most one: E901
    writable: bool = True

    def __post_init__(self) -> None:
        if self.root is None:
            self._refuse("?", f"no home folder to keep it in; set ${ENV}")

    # --- the two kinds of entry ---------------------------------------------------------

    def read(self, source: str, data: bytes) -> list[Article] | None:
        """The articles of the file ``source`` whose content is ``data``, if cached."""
        found = self._get(self._key("read", source.encode("utf-8"), data))
        return None if found is None else list(found)

    def store_read(self, source: str, data: bytes, articles: list[Article]) -> None:
        self._put(self._key("read", source.encode("utf-8"), data), articles)

    def facts(self, article: Article) -> list[Fact] | None:
        """The facts of ``article``, if cached."""
        found = self._get(self._article_key(article))
        return None if found is None else list(found)

    def store_facts(self, article: Article, facts: list[Fact]) -> None:
        self._put(self._article_key(article), facts)

    # --- entries ------------------------------------------------------------------------

    def _article_key(self, article: Article) -> str:
        return self._key("facts", dumps(encode(article)).encode("ascii"))

    @staticmethod
    def _key(kind: str, *parts: bytes) -> str:
        digest = hashlib.sha256(f"{kind}\0{fingerprint()}".encode())
        for part in parts:
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
        return f"{kind}-{digest.hexdigest()}"

    def _path(self, key: str) -> Path:
        kind, _, digest = key.partition("-")
        return Path(self.root or ".") / f"v{LAYOUT}" / kind / digest[:2] / f"{digest}.json"

    def _get(self, key: str) -> Any:
        if self.root is None:
            return None
        try:
            text = self._path(key).read_text(encoding="ascii")
            entry = loads(text)
            if entry["key"] != key:
                raise ValueError("an entry of another key")
            value = _tuples(entry["value"])
        except (OSError, ValueError, KeyError, TypeError):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def _put(self, key: str, value: Any) -> None:
        if not self.writable:
            return
        path = self._path(key)
        text = dumps({"key": key, "value": encode(value)})
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.stem[:16]}.", suffix=".tmp",
                                       dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="ascii") as fh:
                    fh.write(text)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            # no space, no permission, a read-only disk: build on without the cache
            self._refuse(self.root, exc.strerror or str(exc))

    def _refuse(self, where: object, reason: str) -> None:
        self.writable = False
        self.warnings.append(str(KGError(E.E901, path=where, reason=reason)))
