"""Read articles from files of any shape we meet, and clean them.

The shape is recognised by content, never by the file name: a whole HTML page, an HTML
fragment, JSON (an object, or a list of objects or of strings), JSON Lines, a Python list
literal of HTML strings (read with ``ast.literal_eval``, never ``eval``), or plain text.
Every shape ends in the same cleaning: mojibake repair, whitespace normalisation, removal of
page clutter, photo galleries, captions, credits and copyright lines, and removal of
repeated paragraphs. Dates stated only in the removed parts are kept as
``Article.date_hints``. The rules are data, in ``kg/data/ingest.json``.
"""

from __future__ import annotations

import ast
import calendar
import codecs
import hashlib
import json
import logging
import os
import re
import stat
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath
from typing import Any

import charset_normalizer
import ftfy
from lxml import etree, html

from kg.errors import E, KGError
from kg.model import Article
from kg.resources import load_json

log = logging.getLogger(__name__)

_WHITESPACE = re.compile(r"\s+")
_WORDY = re.compile(r"[^\W_]")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_BR = "\x00"  # stands for <br>; input text never holds NUL (it is refused as binary)
_SURROGATE = re.compile("[\ud800-\udfff]")
# Characters XML (and so lxml) refuses: C0 controls but tab and line ends, U+FFFE, U+FFFF.
# Those that are whitespace become a space, the others go.
_NOT_XML = {
    c: " " if chr(c).isspace() else None
    for c in [*range(0x20), 0xFFFE, 0xFFFF]
    if chr(c) not in "\t\n\r"
}
_FILE_KINDS = (
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
_JSON_TYPES = {str: "a string", int: "a number", float: "a number", bool: "a boolean"}


def _rx(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile(pattern, flags)


def _alternation(words: Sequence[str]) -> str:
    """A regex alternation that tries longer words first ("september" before "sep")."""
    return "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))


def _source_spec(spec: str) -> tuple[str, Any]:
    """ "meta:og:title" -> ("meta", "og:title"); xpath sources are compiled."""
    kind, _, arg = spec.partition(":")
    if kind == "xpath":
        return kind, etree.XPath(arg)
    return kind, arg.lower() if kind == "meta" else arg


@dataclass(frozen=True)
class _LineRule:
    pattern: re.Pattern[str]
    hints: bool


@dataclass(frozen=True)
class _Section:
    """Lines from ``start`` to ``until`` (or to the end of the block) are one piece of clutter."""

    start: re.Pattern[str]
    until: re.Pattern[str] | None
    hints: bool


class _Rules:
    """The cleaning rules of kg/data/ingest.json, compiled once."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.ftfy = ftfy.TextFixerConfig(
            **{k: v for k, v in raw["ftfy"].items() if not k.startswith("_")}
        )
        self.invisible = re.compile("[" + re.escape(raw["invisible_characters"]) + "]")

        limits = raw["limits"]
        self.max_file_bytes: int = limits["max_file_bytes"]
        self.max_source_chars: int = limits["max_source_chars"]
        self.max_article_chars: int = limits["max_article_chars"]

        binary = raw["binary"]
        self.sample_bytes: int = binary["sample_bytes"]
        self.max_control_ratio: float = binary["max_control_ratio"]
        self.magic = [
            (m.get("offset", 0), bytes.fromhex(m["hex"]), m["kind"]) for m in binary["magic"]
        ]

        encodings = raw["encodings"]
        self.declared_charset = re.compile(encodings["declared"].encode("ascii"), re.IGNORECASE)
        self.charset_aliases: dict[str, str] = encodings["declared_aliases"]
        self.encodings: list[str] = encodings["candidates"]

        shapes = raw["shapes"]
        self.json_object = _rx(shapes["json_object"])
        self.json_list = _rx(shapes["json_list"])
        self.html_page = _rx(shapes["html_page"])
        self.html_fragment = _rx(shapes["html_fragment"])

        records = raw["json"]
        self.fields: dict[str, list[str]] = records["fields"]
        self.containers: list[str] = records["containers"]

        page = raw["html"]
        self.code_tags = frozenset(page["code_tags"])
        self.drop_tags = frozenset(page["drop_tags"])
        self.caption_tags = frozenset(page["caption_tags"])
        self.drop_xpaths = [etree.XPath(x) for x in page["drop_xpaths"]]
        self.drop_class = _rx(page["drop_class"])
        self.caption_class = _rx(page["caption_class"])
        self.block_tags = frozenset(page["block_tags"])
        self.break_tags = frozenset(page["break_tags"])
        self.line_break_tags = frozenset(page["line_break_tags"])
        self.max_link_share: float = page["max_link_share"]
        self.min_root_share: float = page["min_root_share"]
        self.content_roots = [etree.XPath(x) for x in page["content_roots"]]
        self.title_sources = [_source_spec(s) for s in page["title_sources"]]
        self.url_sources = [_source_spec(s) for s in page["url_sources"]]
        self.published_sources = [_source_spec(s) for s in page["published_sources"]]
        self.jsonld_body: str = page["jsonld_body"]
        self.jsonld_types = frozenset(page["jsonld_types"])

        text = raw["text"]
        self.drop_lines = frozenset(line.casefold() for line in text["drop_lines"])
        self.line_rules = [
            _LineRule(_rx(r["pattern"]), r.get("hints", False)) for r in text["line_patterns"]
        ]
        self.sections = [
            _Section(
                _rx(s["start"]), _rx(s["until"]) if "until" in s else None, s.get("hints", False)
            )
            for s in text["sections"]
        ]
        captions = text["captions"]
        self.caption_max: int = captions["max_chars"]
        self.caption_marker = _rx("|".join(f"(?:{m})" for m in captions["markers"]))
        credits = text["credits"]
        agency = _alternation(credits["agencies"])
        self.credits = [re.compile(p.replace("{agency}", agency)) for p in credits["patterns"]]
        copyright_ = text["copyright"]
        self.copyright_max: int = copyright_["max_chars"]
        self.copyright_paragraph = _rx(copyright_["paragraph"])
        self.copyright_anywhere = _rx(copyright_["anywhere"])
        title = text["title"]
        self.title_max_chars: int = title["max_chars"]
        self.title_max_words: int = title["max_words"]
        self.title_bad_endings: str = title["bad_endings"]
        self.byline = _rx(text["byline"])
        self.wrap_end: str = text["wrap_end"]
        self.dateline = _rx(text["dateline"])
        date_line = text["date_line"]
        labels = date_line["published_labels"] + date_line["hint_labels"]
        self.date_line = _rx(date_line["pattern"].replace("{label}", _alternation(labels)))
        self.published_labels = frozenset(date_line["published_labels"])
        self.date_residue = _rx(date_line["residue"])

        dates = raw["dates"]
        self.years: tuple[int, int] = tuple(dates["years"])  # type: ignore[assignment]
        self.months: dict[str, int] = dates["months"]
        month = _alternation(list(self.months))
        self.date_patterns = [_rx(p.replace("{month}", month)) for p in dates["patterns"]]
        self.date_values = [_rx(p) for p in dates["values"]]


RULES = _Rules(load_json("ingest.json"))


# --- public API -------------------------------------------------------------------------


def iter_paths(
    paths: Sequence[Path], on_error: Callable[[KGError], None] | None = None
) -> list[Path]:
    """The files named by ``paths``: files as given, folders searched recursively.

    Inside folders hidden files and folders (names starting with ".") are skipped; each
    folder's files come sorted. A file reached twice is listed once. A path that does not
    exist (E001) or a folder that cannot be listed (E002) is an error; with ``on_error``
    it is passed there instead and the other paths are still listed.
    """

    def fail(error: KGError) -> None:
        if on_error is None:
            raise error
        on_error(error)

    found: list[Path] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        try:
            exists = path.exists()
        except OSError as exc:
            fail(KGError(E.E002, path=str(path), reason=exc.strerror or str(exc)))
            continue
        if not exists:
            fail(KGError(E.E001, path=str(path)))
            continue
        files = _walk_folder(path, fail) if path.is_dir() else [path]
        for file in files:
            if file not in seen:
                seen.add(file)
                found.append(file)
    return found


def read_file(path: Path, errors: list[KGError] | None = None) -> list[Article]:
    """The articles in one file: one, or one per record of a JSON list or JSON Lines file.

    A file that gives no article raises its KGError. So does a bad record of a file of
    several, unless ``errors`` is given: then the record's error is appended there and the
    other records are still read.
    """
    source = str(path)
    path = Path(path)
    try:
        info = path.stat()  # follows a link: the kind and size of what is read
        if stat.S_ISDIR(info.st_mode):
            raise KGError(E.E002, path=source, reason="it is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            # reading a pipe or a device would wait, or never end
            kind = next((k for test, k in _FILE_KINDS if test(info.st_mode)), "special")
            raise KGError(E.E002, path=source, reason=f"not a regular file but {kind}")
        if info.st_size > RULES.max_file_bytes:
            raise KGError(E.E701, path=source, size=info.st_size, limit=RULES.max_file_bytes)
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise KGError(E.E001, path=source) from exc
    except OSError as exc:
        raise KGError(E.E002, path=source, reason=exc.strerror or str(exc)) from exc
    return read_text(data, source, errors)


def read_text(
    data: str | bytes, source: str, errors: list[KGError] | None = None
) -> list[Article]:
    """Like :func:`read_file` for content already in memory; ``source`` names it."""
    text = _decode(data, source) if isinstance(data, bytes) else _SURROGATE.sub("\ufffd", data)
    if "\x00" in text:
        raise KGError(E.E004, path=source, kind="contains NUL characters")
    if not RULES.invisible.sub("", text).strip():
        raise KGError(E.E003, path=source)
    return _articles(text.lstrip("\ufeff"), source, errors)


def read_corpus_file(path: Path, warn: Callable[[KGError], None]) -> list[Article]:
    """:func:`read_file` for a build that goes on whatever one file holds.

    Every problem is passed to ``warn``, never raised: the file's error, each bad record's,
    and any other exception as E705 (a bug in kg must not stop a build of thousands of
    files). The traceback of each is logged at DEBUG level.
    """
    errors: list[KGError] = []
    articles: list[Article] = []
    try:
        articles = read_file(path, errors)
    except KGError as exc:
        errors.append(exc)
    except Exception as exc:
        error = KGError(E.E705, path=str(path), error=_describe(exc))
        error.__cause__ = exc
        errors.append(error)
    for error in errors:
        log.debug("%s", error, exc_info=error.__cause__ or error)
        warn(error)
    return articles


def distinct_articles(
    articles: Iterable[Article], warn: Callable[[KGError], None]
) -> list[Article]:
    """``articles`` with each text once and each id once, whatever order they come in.

    Of articles with the same text the one whose source sorts first is kept; each other one
    is an E703 warning. Of articles that share an id but not a text ("a.txt" and "a.html"
    are both "a") the one whose source sorts first keeps it; each other one gets the id
    with a suffix made from its source, and an E704 warning. The rest keep their order.
    """
    given = list(articles)
    by_text: dict[str, Article] = {}
    for article in sorted(given, key=lambda a: a.source):
        first = by_text.setdefault(article.text, article)
        if first is not article:
            warn(KGError(E.E703, path=article.source, first=first.source))
    kept = sorted(by_text.values(), key=lambda a: a.source)
    taken = {a.id for a in kept}
    owner: dict[str, Article] = {}
    renamed: dict[int, Article] = {}  # by id() of the article renamed
    for article in kept:
        if article.id not in owner:
            owner[article.id] = article
            continue
        digest = hashlib.sha256(article.source.encode("utf-8")).hexdigest()
        size = 8
        while (new := f"{article.id}-{digest[:size]}") in taken:
            size += 4
        taken.add(new)
        other = owner[article.id].source
        warn(KGError(E.E704, path=article.source, id=article.id, other=other, new=new))
        renamed[id(article)] = replace(article, id=new)
    survivors = {id(a) for a in kept}
    return [renamed.get(id(a), a) for a in given if id(a) in survivors]


def article_id(source: str) -> str:
    """The ASCII slug naming the article read from ``source`` ("000_ab.txt" -> "a000-ab")."""
    name = PurePath(source).name or source
    stem = name.rpartition(".")[0] or name
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_stem.lower()).strip("-")
    if not slug:
        slug = "article-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:12]
    return "a" + slug if slug[0].isdigit() else slug


def parse_date(value: str) -> str | None:
    """The ISO date (any precision) a field states: "2022-11-01T09:00+09:00", "1 Nov 2022"."""
    for pattern in RULES.date_values:
        match = pattern.match(value)
        if match and (iso := _match_iso(match)):
            return iso
    found = _date_matches(value)
    return found[0][2] if found else None


# --- files and bytes --------------------------------------------------------------------


def _walk_folder(folder: Path, fail: Callable[[KGError], None]) -> list[Path]:
    def error(exc: OSError) -> None:
        path = exc.filename or str(folder)
        fail(KGError(E.E002, path=path, reason=exc.strerror or str(exc)))

    files: list[Path] = []
    for directory, subdirs, names in os.walk(folder, onerror=error):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        files.extend(Path(directory, n) for n in names if not n.startswith("."))
    return sorted(files)


def _decode(data: bytes, source: str) -> str:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise KGError(E.E002, path=source, reason=f"invalid {codec} text") from exc
    kind = _binary_kind(data)
    if kind:
        raise KGError(E.E004, path=source, kind=kind)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _declared_charset(data)
    if declared:
        try:
            return data.decode(declared)
        except UnicodeDecodeError:
            pass
    best = charset_normalizer.from_bytes(data, cp_isolation=RULES.encodings).best()
    if best is None:
        raise KGError(E.E002, path=source, reason="not UTF-8 and no known text encoding fits")
    return str(best)


def _binary_kind(data: bytes) -> str | None:
    for offset, magic, kind in RULES.magic:
        if data[offset : offset + len(magic)] == magic:
            return kind
    if b"\x00" in data:
        return "contains NUL bytes"
    sample = data[: RULES.sample_bytes]
    # ESC stays allowed: ISO-2022-JP text is made of escape sequences.
    controls = sum(1 for b in sample if b < 32 and b not in b"\t\n\r\f\v\x1b")
    if sample and controls / len(sample) > RULES.max_control_ratio:
        return "control characters"
    return None


def _declared_charset(data: bytes) -> str | None:
    match = RULES.declared_charset.search(data[: RULES.sample_bytes])
    if not match:
        return None
    label = (match.group(1) or match.group(2)).decode("ascii")
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return RULES.charset_aliases.get(name, name)


# --- shapes -----------------------------------------------------------------------------


@dataclass
class _Block:
    """Lines that belong together: a plain-text paragraph (maybe hard-wrapped) or an HTML block."""

    lines: list[str]
    wrapped: bool = False


@dataclass
class _Draft:
    """What a shape reader found, before the common cleaning."""

    blocks: list[_Block] = field(default_factory=list)
    guess_title: bool = False
    title: str | None = None
    url: str | None = None
    published: str | None = None
    hints: set[str] = field(default_factory=set)


def _articles(text: str, source: str, errors: list[KGError] | None) -> list[Article]:
    base = article_id(source)
    head = text.lstrip()
    if RULES.json_object.match(head) or RULES.json_list.match(head):
        return _from_json(head, source, base, errors)
    _check_source_length(len(text), source)
    if RULES.html_page.search(text):
        draft = _page_draft(text, source)
    elif RULES.html_fragment.search(text):
        draft = _fragment_draft(text, source)
    else:
        draft = _plain_draft(text)
    return [_finish(draft, base, source)]


def _plain_draft(text: str) -> _Draft:
    lines = text.strip().splitlines()
    if not any(not line.strip() for line in lines):
        # No blank lines: every line is a paragraph (and a clutter section ends with its line).
        return _Draft([_Block([line], True) for line in lines], guess_title=True)
    blocks: list[_Block] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line)
        elif current:
            blocks.append(_Block(current, True))
            current = []
    return _Draft(blocks, guess_title=True)


def _check_source_length(length: int, source: str) -> None:
    if length > RULES.max_source_chars:
        limit = RULES.max_source_chars
        raise KGError(E.E702, path=source, length=length, stage=" before cleaning", limit=limit)


def _fragment_draft(text: str, source: str) -> _Draft:
    draft = _Draft()
    try:
        root = html.fragment_fromstring(text.translate(_NOT_XML), create_parent="div")
    except (etree.ParserError, ValueError) as exc:
        raise KGError(E.E007, path=source) from exc
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    _strip_boilerplate(root, {root}, draft.hints)
    draft.blocks = _html_blocks(root)
    return draft


def _list_draft(items: list[str], source: str) -> _Draft:
    """A list of strings, one paragraph or HTML fragment each (seed 003)."""
    draft = _Draft()
    for item in items:
        if RULES.html_fragment.search(item):
            part = _fragment_draft(item, source)
            draft.hints |= part.hints
        else:
            part = _plain_draft(item)
        draft.blocks.extend(part.blocks)
    return draft


# --- HTML pages -------------------------------------------------------------------------


def _page_draft(text: str, source: str) -> _Draft:
    try:
        doc = html.document_fromstring(_XML_DECLARATION.sub("", text, count=1).translate(_NOT_XML))
    except (etree.ParserError, ValueError) as exc:
        raise KGError(E.E007, path=source) from exc
    etree.strip_elements(doc, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    meta = _meta_tags(doc)
    linked = _jsonld_articles(doc)
    draft = _Draft()
    draft.title = next(
        (t for v in _page_values(RULES.title_sources, doc, meta, linked) if (t := _fix(v))), None
    )
    draft.url = next(
        (u for v in _page_values(RULES.url_sources, doc, meta, linked) if (u := _url(v))), None
    )
    draft.published = next(
        (
            d
            for v in _page_values(RULES.published_sources, doc, meta, linked)
            if (d := parse_date(v))
        ),
        None,
    )

    candidates = [xpath(doc) for xpath in RULES.content_roots]
    protected = {el for found in candidates for el in found}
    protected |= {a for el in list(protected) for a in el.iterancestors()}
    _strip_boilerplate(doc, protected, draft.hints)
    page_size = _size(_html_blocks(doc))
    for found in candidates:
        blocks = max((_html_blocks(el) for el in found), key=_size, default=[])
        if blocks and _size(blocks) >= RULES.min_root_share * page_size:
            draft.blocks = blocks
            break
    if not draft.blocks:
        body = next(
            (ld[RULES.jsonld_body] for ld in linked if isinstance(ld.get(RULES.jsonld_body), str)),
            "",
        )
        draft.blocks = _plain_draft(body).blocks
    return draft


def _size(blocks: list[_Block]) -> int:
    return sum(len(line.strip()) for block in blocks for line in block.lines)


def _meta_tags(doc: html.HtmlElement) -> dict[str, str]:
    found: dict[str, str] = {}
    for meta in doc.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip()
        content = (meta.get("content") or "").strip()
        if key and content:
            found.setdefault(key.lower(), content)
    return found


def _jsonld_articles(doc: html.HtmlElement) -> list[dict[str, Any]]:
    """The article objects of the page's JSON-LD, in document order."""
    articles: list[dict[str, Any]] = []
    for script in doc.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            queue: deque[Any] = deque([_parse_json(script.text or "")])
        except ValueError:
            continue
        while queue:
            item = queue.popleft()
            if isinstance(item, list):
                queue.extend(item)
            elif isinstance(item, dict):
                types = item.get("@type")
                types = types if isinstance(types, list) else [types]
                if any(
                    isinstance(t, str) and t.rpartition("/")[2] in RULES.jsonld_types for t in types
                ):
                    articles.append(item)
                inner = item.get("@graph")
                queue.extend(inner if isinstance(inner, list) else [inner])
    return articles


def _page_values(
    sources: list[tuple[str, Any]],
    doc: html.HtmlElement,
    meta: dict[str, str],
    linked: list[dict[str, Any]],
) -> Iterator[str]:
    """The strings the page gives for one piece of metadata, best source first."""
    for kind, arg in sources:
        if kind == "meta" and arg in meta:
            yield meta[arg]
        elif kind == "jsonld":
            for article in linked:
                value = _jsonld_value(article.get(arg))
                if value:
                    yield value
        elif kind == "xpath":
            for result in arg(doc):
                yield result if isinstance(result, str) else result.text_content()


def _jsonld_value(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("@id") or value.get("url")
    return value if isinstance(value, str) else None


def _url(value: str) -> str | None:
    value = value.strip()
    return value if _URL.fullmatch(value) else None


def _strip_boilerplate(root: html.HtmlElement, protected: set[Any], hints: set[str]) -> None:
    """Remove navigation, banners, captions and the like in place, noting their dates."""
    for el in list(root.iter(*RULES.code_tags)):
        if el not in protected:
            el.drop_tree()
    flagged = {el for xpath in RULES.drop_xpaths for el in xpath(root)}
    for el in list(root.iter()):
        if el in protected or not isinstance(el.tag, str) or _detached(el, root):
            continue
        if el.getparent() is None:
            continue  # the document itself, whatever its class says
        kind = _removal_kind(el, flagged)
        if kind is None:
            continue
        text = _fix(el.text_content())
        if kind == "caption":
            hints.update(_dates_in(text))
        hints.update(_copyright_years(text, RULES.copyright_anywhere))
        el.drop_tree()


def _removal_kind(el: html.HtmlElement, flagged: set[Any]) -> str | None:
    if el.tag in RULES.caption_tags:
        return "caption"
    if el.tag in RULES.drop_tags or el in flagged:
        return "drop"
    marks = " ".join(filter(None, (el.get("class"), el.get("id"))))
    if RULES.caption_class.search(marks):
        return "caption"
    if RULES.drop_class.search(marks):
        return "drop"
    return None


def _detached(el: html.HtmlElement, root: html.HtmlElement) -> bool:
    return el is not root and not any(a is root for a in el.iterancestors())


def _html_blocks(root: html.HtmlElement) -> list[_Block]:
    """The text of each block element, in order; blocks that are mostly links are left out."""
    blocks: list[_Block] = []
    pieces: list[tuple[str, bool]] = []  # (text, inside a link); _BR marks a <br>
    in_link = 0

    def flush() -> None:
        text = "".join(p for p, _ in pieces)
        total = len("".join(text.replace(_BR, " ").split()))
        linked = sum(len("".join(p.split())) for p, is_link in pieces if is_link)
        pieces.clear()
        if total and linked / total < RULES.max_link_share:
            lines: list[str] = []
            for segment in [*text.split(_BR), ""]:
                if segment.strip():
                    lines.append(segment)
                elif lines:  # two line breaks in a row end a paragraph
                    blocks.append(_Block(lines, wrapped=True))
                    lines = []

    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in RULES.block_tags or tag in RULES.break_tags:
                flush()
            elif tag in RULES.line_break_tags:
                pieces.append((_BR, False))
            if tag == "a":
                in_link += 1
            if el.text:
                pieces.append((el.text, in_link > 0))
        else:
            if tag == "a":
                in_link -= 1
            if tag in RULES.block_tags:
                flush()
            if el is not root and el.tail:
                pieces.append((el.tail, in_link > 0))
    flush()
    return blocks


# --- JSON -------------------------------------------------------------------------------


def _from_json(
    text: str, source: str, base: str, errors: list[KGError] | None
) -> list[Article]:
    value, lines = _load_json(text, source)
    if lines:
        return _records(value, source, base, errors)
    if isinstance(value, dict):
        if _field(value, "text") is None:
            for key in RULES.containers:
                inner = value.get(key)
                if isinstance(inner, list) and inner and all(isinstance(r, dict) for r in inner):
                    return _records(inner, source, base, errors)
        return [_record(value, source, base, None)]
    if isinstance(value, list):
        if not value:
            raise KGError(E.E007, path=source)
        if all(isinstance(item, str) for item in value):
            _check_source_length(sum(len(item) for item in value), source)
            return [_finish(_list_draft(value, source), base, source)]
        if all(isinstance(item, dict) for item in value):
            return _records(value, source, base, errors)
        reason = "a list must hold only objects or only strings"
    else:
        reason = f"expected an object or a list, found {_JSON_TYPES.get(type(value), 'a value')}"
    raise KGError(E.E006, path=source, reason=reason)


def _records(
    records: list[dict[str, Any] | KGError],
    source: str,
    base: str,
    errors: list[KGError] | None,
) -> list[Article]:
    """The article of each record (numbered from 1); a record that fails (or a JSON Lines
    line that is not an object) raises, or goes to ``errors`` when that is given."""
    articles: list[Article] = []
    for n, record in enumerate(records, 1):
        try:
            if isinstance(record, KGError):
                raise record
            articles.append(_record(record, source, base, n))
        except KGError as exc:
            if errors is None:
                raise
            errors.append(exc)
    return articles


def _load_json(text: str, source: str) -> tuple[Any, bool]:
    """The parsed document, and whether it was JSON Lines: then a list with an object, or
    the error, for each line that is not blank."""
    try:
        return _parse_json(text), False
    except json.JSONDecodeError as exc:
        error = exc
    if text.startswith("["):
        try:
            return ast.literal_eval(text), False
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            pass
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if text.startswith("{") and len(numbered) > 1:
        records: list[dict[str, Any] | KGError] = []
        for n, line in numbered:
            try:
                record = _parse_json(line)
            except json.JSONDecodeError as exc:
                if not records:
                    break  # not even the first line is JSON: report the document's error
                records.append(KGError(E.E006, path=source, reason=f"line {n}: {exc.msg}"))
                continue
            if not isinstance(record, dict):
                reason = f"line {n}: expected an object"
                records.append(KGError(E.E006, path=source, reason=reason))
                continue
            records.append(record)
        else:
            return records, True
    reason = f"line {error.lineno} column {error.colno}: {error.msg}"
    raise KGError(E.E006, path=source, reason=reason)


def _parse_json(text: str) -> Any:
    """``json.loads``, failing only with JSONDecodeError (also for nesting too deep for the
    parser, or a number too long to convert)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as exc:
        raise json.JSONDecodeError(str(exc), text, 0) from exc


def _field(record: dict[str, Any], kind: str) -> Any:
    """The first non-empty value of a field of this kind (names compared case-insensitively)."""
    folded = {k.casefold(): v for k, v in record.items() if isinstance(k, str)}
    for name in RULES.fields[kind]:
        value = folded.get(name.casefold())
        if isinstance(value, str) and value.strip():
            return value
        if (
            kind == "text"
            and isinstance(value, list)
            and value
            and all(isinstance(v, str) for v in value)
        ):
            return value
    return None


def _record(record: dict[str, Any], source: str, base: str, n: int | None) -> Article:
    text = _field(record, "text")
    if text is None:
        fields = ", ".join(RULES.fields["text"])
        raise KGError(E.E005, path=source, index=n or 1, fields=fields)
    where = source if n is None else f"{source}#{n}"
    _check_source_length(len(text) if isinstance(text, str) else sum(map(len, text)), where)
    if isinstance(text, list):
        draft = _list_draft(text, source)
    elif RULES.html_fragment.search(text):
        draft = _fragment_draft(text, source)
    else:
        draft = _plain_draft(text)
    title, url, published = (_field(record, k) for k in ("title", "url", "published"))
    draft.title = _fix(title) if title else None
    draft.guess_title = draft.guess_title and draft.title is None
    draft.url = _url(url) if url else None
    draft.published = parse_date(published) if published else None
    if n is None:
        return _finish(draft, base, source)
    return _finish(draft, f"{base}-r{n}", f"{source}#{n}")


# --- cleaning ---------------------------------------------------------------------------


def _fix(text: str) -> str:
    """Mojibake repaired, invisible characters removed, whitespace collapsed."""
    text = RULES.invisible.sub("", ftfy.fix_text(text, RULES.ftfy))
    return _WHITESPACE.sub(" ", text).strip()


def _finish(draft: _Draft, ident: str, source: str) -> Article:
    hints = draft.hints
    paragraphs: list[tuple[str, bool]] = []  # (text, alone in its block)
    for block in draft.blocks:
        lines = _drop_lines([line for line in map(_fix, block.lines) if line], hints)
        joined = _join_wrapped(lines) if block.wrapped else lines
        for paragraph in joined:
            cleaned = _clean_paragraph(paragraph, hints)
            if cleaned:
                paragraphs.append((cleaned, len(lines) == 1))

    # The head: a headline, byline and date lines may come before the first body paragraph.
    title, published = draft.title, draft.published
    start = 0
    while start < len(paragraphs):
        paragraph, alone = paragraphs[start]
        dated = _date_line(paragraph)
        if dated:
            iso, is_published = dated
            if not is_published:
                hints.add(iso)
            elif published is None:
                published = iso
        elif RULES.byline.fullmatch(paragraph):
            pass
        elif (
            title is None
            and draft.guess_title
            and alone
            and start + 1 < len(paragraphs)
            and _looks_like_title(paragraph)
        ):
            title = paragraph
        else:
            break
        start += 1

    seen = {_key(title)} if title else set()
    body: list[str] = []
    for paragraph, _ in paragraphs[start:]:
        key = _key(paragraph)
        if key not in seen:
            seen.add(key)
            body.append(paragraph)
    if not body:
        raise KGError(E.E007, path=source)
    length = sum(map(len, body)) + 2 * (len(body) - 1)
    if length > RULES.max_article_chars:
        raise KGError(E.E702, path=source, length=length, stage="", limit=RULES.max_article_chars)
    if published is None:
        published = _dateline_date(body[0])
    return Article(
        id=ident,
        source=source,
        text="\n\n".join(body),
        title=title,
        url=draft.url,
        published=published,
        date_hints=tuple(sorted(hints)),
    )


def _drop_lines(lines: list[str], hints: set[str]) -> list[str]:
    """The lines of one block without clutter lines and clutter sections."""
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        section = next((s for s in RULES.sections if s.start.fullmatch(line)), None)
        if section:
            end = len(lines)
            if section.until:
                end = next(
                    (k + 1 for k in range(i + 1, len(lines)) if section.until.fullmatch(lines[k])),
                    end,
                )
            if section.hints:
                for dropped in lines[i:end]:
                    hints.update(_dates_in(dropped))
            i = end
            continue
        i += 1
        if line.casefold() in RULES.drop_lines:
            continue
        rule = next((r for r in RULES.line_rules if r.pattern.fullmatch(line)), None)
        if rule is None:
            kept.append(line)
        elif rule.hints:
            hints.update(_dates_in(line))
    return kept


def _join_wrapped(lines: list[str]) -> list[str]:
    """Hard-wrapped lines joined: a line ending mid-sentence before a lower-case start."""
    paragraphs: list[str] = []
    for line in lines:
        previous = paragraphs[-1] if paragraphs else ""
        if (
            previous
            and previous[-1] not in RULES.wrap_end
            and (line[0].islower() or line[0].isdigit())
        ):
            paragraphs[-1] = f"{previous} {line}"
        else:
            paragraphs.append(line)
    return paragraphs


def _clean_paragraph(paragraph: str, hints: set[str]) -> str | None:
    """The paragraph without credits, or None for a caption, copyright line or non-text."""
    if not _WORDY.search(paragraph):
        return None
    if len(paragraph) <= RULES.copyright_max:
        years = _copyright_years(paragraph, RULES.copyright_paragraph)
        if years:
            hints.update(years)
            return None
    if len(paragraph) <= RULES.caption_max and RULES.caption_marker.search(paragraph):
        hints.update(_dates_in(paragraph))
        return None
    for pattern in RULES.credits:
        while match := pattern.search(paragraph):
            hints.update(_dates_in(match.group()))
            paragraph = _cut(paragraph, match.start(), match.end())
    return paragraph if _WORDY.search(paragraph) else None


def _cut(text: str, start: int, end: int) -> str:
    left, right = text[:start].rstrip(), text[end:].lstrip()
    if not left or not right:
        return left + right
    return left + ("" if right[0] in ".,;:!?)]" else " ") + right


def _looks_like_title(paragraph: str) -> bool:
    words = len(paragraph.split())
    if len(paragraph) > RULES.title_max_chars or not 2 <= words <= RULES.title_max_words:
        return False
    if RULES.dateline.match(paragraph):
        return False
    core = paragraph.rstrip("\"”’')]")
    if core != paragraph and core[-1:] in ".!?,":
        return False  # a quoted sentence, not a headline
    return paragraph[-1] not in RULES.title_bad_endings


def _date_line(paragraph: str) -> tuple[str, bool] | None:
    """(date, states publication) for a line such as "Published: 1 November 2022"."""
    match = RULES.date_line.fullmatch(paragraph)
    if not match:
        return None
    iso = _whole_date(match.group("date"))
    if iso is None:
        return None
    label = (match.group("label") or "").lower()
    return iso, not label or label in RULES.published_labels


def _dateline_date(paragraph: str) -> str | None:
    """The date of a wire dateline ("TOKYO, Nov. 1, 2022 (Reuters) -"), when it has a year."""
    match = RULES.dateline.match(paragraph)
    if not match or not match.group("rest"):
        return None
    found = _date_matches(match.group("rest"))
    return found[0][2] if found else None


def _key(paragraph: str) -> str:
    return "".join(paragraph.casefold().split())


# --- dates ------------------------------------------------------------------------------


def _iso(year: int, month: int | None = None, day: int | None = None) -> str | None:
    low, high = RULES.years
    if not low <= year <= high:
        return None
    if month is None:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}"
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _match_iso(match: re.Match[str]) -> str | None:
    groups = match.groupdict()
    if groups.get("mon"):
        month: int | None = RULES.months[groups["mon"].lower()]
    else:
        month = int(groups["m"]) if groups.get("m") else None
    day = int(groups["d"]) if groups.get("d") else None
    return _iso(int(groups["y"]), month, day)


def _date_matches(text: str) -> list[tuple[int, int, str]]:
    """(start, end, ISO date) of each date in the text; precise patterns claim text first."""
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, int, str]] = []
    for pattern in RULES.date_patterns:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < e and s < end for s, e in taken):
                continue
            iso = _match_iso(match)
            if iso:
                taken.append((start, end))
                found.append((start, end, iso))
    return sorted(found)


def _dates_in(text: str) -> list[str]:
    return [iso for _, _, iso in _date_matches(text)]


def _whole_date(text: str) -> str | None:
    """The date when the text is one date and nothing else (a weekday and a time may go with it)."""
    found = _date_matches(text)
    if len(found) != 1:
        return None
    start, end, iso = found[0]
    residue = RULES.date_residue
    return iso if residue.fullmatch(text[:start]) and residue.fullmatch(text[end:]) else None


def _describe(exc: BaseException, limit: int = 200) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _copyright_years(text: str, pattern: re.Pattern[str]) -> list[str]:
    return [iso for m in pattern.finditer(text) if (iso := _iso(int(m.group("y"))))]
