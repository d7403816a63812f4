"""What every extractor sees of one article: its sentences, with the entity mentions and
date expressions in each, and the in-article reading of short names ("Masuhara")."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from spacy.matcher import Matcher
from spacy.tokens import Doc, Span, Token

from kg.dates import DateExpr, find_dates
from kg.model import Article, Evidence, Ref
from kg.nlp import Gazetteer, gazetteer
from kg.resources import load_json

PARAGRAPH_BREAK = "\n\n"
_NAME_TOKEN = re.compile(r"^[A-ZĀĒĪŌŪ][a-zāēīōū'\-]+$")
# spaCy labels that may hide a person the model mislabelled ("Katie" as GPE).
_MAYBE_PERSON = {"GPE", "ORG", "NORP", "LOC", "PRODUCT", "WORK_OF_ART", "FAC"}


@dataclass
class Mention:
    kind: str  # person | jurisdiction | court | organization | role
    text: str
    key: str | None
    start: int  # article offsets
    end: int
    sent: int  # Sentence.index
    span: Span


@dataclass
class Sentence:
    index: int
    start: int
    end: int
    span: Span
    para: int
    offset: int  # where the sentence's Doc starts in the article text
    mentions: list[Mention] = field(default_factory=list)
    dates: list[tuple[int, int, DateExpr]] = field(default_factory=list)  # article offsets

    @property
    def text(self) -> str:
        return self.span.text

    def of(self, kind: str) -> list[Mention]:
        return [m for m in self.mentions if m.kind == kind]

    def char(self, token: Token) -> int:
        """A token's offset in the article."""
        return self.offset + token.idx


@dataclass
class ArticleContext:
    article: Article
    sentences: list[Sentence]
    gaz: Gazetteer
    persons: dict[str, str] = field(default_factory=dict)  # in-article name -> fullest name
    memo: dict[str, object] = field(default_factory=dict)  # results extractors share

    def evidence(self, first: int, last: int | None = None) -> Evidence:
        """The sentences first..last (inclusive) as evidence."""
        a, b = self.sentences[first], self.sentences[last if last is not None else first]
        text = self.article.text[a.start : b.end]
        return Evidence(self.article.id, a.start, b.end, text)

    def person(self, name: str) -> Ref:
        return Ref("person", self.persons.get(name, name))

    def jurisdiction(self, mention: Mention) -> Ref:
        return Ref("jurisdiction", self.gaz.jurisdictions[mention.key]["label"], mention.key)

    def ref(self, key: str) -> Ref:
        return Ref("jurisdiction", self.gaz.jurisdictions[key]["label"], key)

    def places(self, s: Sentence) -> list[Mention]:
        """The sub-national places named in a sentence, most specific only ("Tokyo's
        Shibuya district" -> Shibuya)."""
        found = [
            m for m in s.of("jurisdiction") if self.gaz.jurisdictions[m.key]["kind"] != "country"
        ]
        return [m for m in found if not any(m.key in self.gaz.ancestors(o.key) for o in found)]

    def topic_place(self, s: Sentence) -> Ref | None:
        """The place a sentence speaks of: one it names, else the article's main place."""
        named = self.places(s)
        if named:
            return self.jurisdiction(named[0])
        main = self.main_jurisdiction()
        return self.ref(main) if main else None

    def main_jurisdiction(self) -> str | None:
        """The sub-national jurisdiction the article is mostly about (most mentions;
        the first mentioned wins a tie)."""
        counts: Counter[str] = Counter()
        first: dict[str, int] = {}
        for s in self.sentences:
            for m in s.of("jurisdiction"):
                if m.key and self.gaz.jurisdictions[m.key]["kind"] != "country":
                    counts[m.key] += 1
                    first.setdefault(m.key, m.start)
        if not counts:
            return None
        return min(counts, key=lambda k: (-counts[k], first[k]))


def build(article: Article, docs: list[tuple[int, Doc]]) -> ArticleContext:
    """The context of an article whose paragraphs were parsed as ``docs`` (offset, Doc)."""
    gaz = gazetteer().for_article()  # places it learns stay with this article
    sentences: list[Sentence] = []
    for para, (offset, doc) in enumerate(docs):
        for span in doc.sents:
            if not span.text.strip():
                continue
            start = offset + span.start_char
            sentences.append(
                Sentence(len(sentences), start, offset + span.end_char, span, para, offset)
            )
    ctx = ArticleContext(article, sentences, gaz)
    names = _full_names(sentences)
    parts = {w for n in names for w in n.split()}
    for s in sentences:
        s.mentions = _mentions(s, gaz, names, parts)
        s.dates = [(s.start + a, s.start + b, e) for a, b, e in find_dates(s.text)]
    _prefer_named_kind(sentences, gaz)
    main = ctx.main_jurisdiction()
    if main and gaz.jurisdictions[main]["kind"] == "prefecture":
        # a second look, now that "the prefecture" has a referent
        for s in sentences:
            s.mentions = _mentions(s, gaz, names, parts, main)
        _prefer_named_kind(sentences, gaz)
    ctx.persons = _name_map([m.text for s in sentences for m in s.of("person")])
    return ctx


def _romaji(word: str) -> bool:
    plain = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().lower()
    return bool(plain) and re.fullmatch(cue_text("romaji_word"), plain) is not None


def cue_text(name: str) -> str:
    return str(load_json("cues.json")[name])


def _looks_like_name(span: Span) -> bool:
    """Two or three capitalised words shaped like a romanised Japanese name
    ("Daiki Moriya", which the small model calls an ORG)."""
    words = [t.text for t in span]
    return (
        2 <= len(words) <= 3
        and all(_NAME_TOKEN.match(w) for w in words)
        and all(_romaji(w) for w in words)
        and not set(words) & set(load_json("cues.json")["not_names"])
    )


def _full_names(sentences: list[Sentence]) -> set[str]:
    """Every multi-word personal name the article uses, however the model labelled it."""
    names = set()
    for s in sentences:
        for ent in s.span.ents:
            if ent.label_ == "PERSON" or (ent.label_ in _MAYBE_PERSON and _looks_like_name(ent)):
                cleaned = _clean_person(ent)
                if " " in cleaned:
                    names.add(cleaned)
            elif ent.label_ == "JURIS":
                given = _given_name_before(ent)
                if given is not None:
                    names.add(f"{given.text} {ent.text}")
    return names


def _given_name_before(ent: Span) -> Token | None:
    """'Ryo Miyazaki': a place name right after a given name is a surname."""
    if ent.start == 0 or len(ent) != 1:
        return None
    prev = ent.doc[ent.start - 1]
    if (
        prev.ent_type_
        or not _NAME_TOKEN.match(prev.text)
        or prev.text in load_json("cues.json")["not_names"]
    ):
        return None
    return prev if _romaji(prev.text) and prev.pos_ == "PROPN" else None


def _mentions(
    s: Sentence,
    gaz: Gazetteer,
    names: set[str],
    parts: set[str],
    main_prefecture: str | None = None,
) -> list[Mention]:
    out: list[Mention] = []
    covered: set[int] = set()

    def add(kind: str, text: str, key: str | None, span: Span) -> None:
        out.append(
            Mention(
                kind, text, key, s.char(span[0]), s.char(span[0]) + len(span.text), s.index, span
            )
        )
        covered.update(range(span.start, span.end))

    for ent in s.span.ents:
        kind = {
            "JURIS": "jurisdiction",
            "COURT": "court",
            "KORG": "organization",
            "ROLE": "role",
            "PERSON": "person",
        }.get(ent.label_)
        text = _clean_person(ent)
        if ent.label_ == "JURIS":
            given = _given_name_before(ent)
            if given is not None:
                add("person", f"{given.text} {ent.text}", None, ent.doc[given.i : ent.end])
                continue
        if kind is None and ent.label_ in _MAYBE_PERSON and (text in names or text in parts):
            kind = "person"
        if kind == "person":
            prev = ent.doc[ent.start - 1].lower_ if ent.start > 0 else ""
            if len(ent) == 1 and prev in ("in", "at", "from", "near") and ent.text not in parts:
                continue  # "lives in Kokura": a place the gazetteer does not know
            if text:
                add("person", text, None, ent)
        elif kind == "jurisdiction":
            add(kind, ent.text, _disambiguate(ent, ent.ent_id_ or None, gaz), ent)
        elif kind is not None:
            add(kind, ent.text, ent.ent_id_ or None, ent)
    for rid, span in _role_phrases(s):
        if not any(t.i in covered for t in span if t.ent_type_ == "ROLE"):
            out.append(
                Mention(
                    "role",
                    span.text,
                    rid,
                    s.char(span[0]),
                    s.char(span[0]) + len(span.text),
                    s.index,
                    span,
                )
            )
    for m in _new_places(s, gaz, covered, names, main_prefecture):
        out.append(m)
    # a one-word name the model missed, in a place only a person stands: "Masato and his
    # partner", "Masato, 39,", "Masato said"
    for t in s.span:
        if t.i in covered or t.ent_type_ or t.pos_ != "PROPN" or not _NAME_TOKEN.match(t.text):
            continue
        if t.text in load_json("cues.json")["not_names"] or not _romaji(t.text):
            continue
        if _person_context(t):
            add("person", t.text, None, t.doc[t.i : t.i + 1])
    # a bare surname or given name of someone the article names in full ("Hanaoka said")
    for t in s.span:
        if t.i in covered or t.text not in parts or not _NAME_TOKEN.match(t.text):
            continue
        if t.ent_type_ in ("COURT", "KORG", "ROLE") or (
            t.ent_type_ == "JURIS" and not _surname_use(t)
        ):
            continue
        out = [m for m in out if not (m.span.start <= t.i < m.span.end)]
        add("person", t.text, None, t.doc[t.i : t.i + 1])
    return sorted(out, key=lambda m: m.start)


@cache
def _role_matcher() -> Matcher:
    from kg.nlp import load

    matcher = Matcher(load().vocab)
    for rid, patterns in load_json("patterns.json")["roles"].items():
        matcher.add(rid, patterns)
    return matcher


def _role_phrases(s: Sentence) -> list[tuple[str, Span]]:
    """Offices named by a phrase around a place: "a member of the Kobe city assembly"."""
    doc = s.span.doc
    found = _role_matcher()(doc[s.span.start : s.span.end], as_spans=True)
    return [(doc.vocab.strings[span.label], doc[span.start : span.end]) for span in found]


def _new_places(
    s: Sentence, gaz: Gazetteer, covered: set[int], names: set[str], main_prefecture: str | None
) -> list[Mention]:
    """Municipalities the gazetteer lacks, named by a phrase that says what they are."""
    found = []
    parts = {w for n in names for w in n.split()}
    for pattern in load_json("cues.json")["new_place_patterns"]:
        for m in re.finditer(pattern, s.text):
            name = m.group("name")
            if (
                name in gaz.same_name
                or name in parts
                or any(
                    r["label"] == name for r in gaz.jurisdictions.values() if not r.get("learned")
                )
            ):
                continue
            parent_name = m.groupdict().get("parent")
            parent = next(
                (
                    k
                    for k, r in gaz.jurisdictions.items()
                    if r["label"] == parent_name and r["kind"] == "prefecture"
                ),
                None,
            )
            if parent is None and m.groupdict().get("inpref"):
                parent = main_prefecture  # "Kawagoe, a city in the prefecture"
            begin = s.start + m.start("name")
            span = s.span.char_span(m.start("name"), m.end("name"))
            if span is None or any(t.i in covered for t in span):
                continue
            key = gaz.learn_place(name, parent)
            found.append(
                Mention("jurisdiction", name, key, begin, begin + len(name), s.index, span)
            )
            covered.update(t.i for t in span)
    return found


def _person_context(t: Token) -> bool:
    nxt = [w.lower_ for w in t.doc[t.i + 1 : t.i + 5]]
    if len(nxt) >= 3 and nxt[0] == "," and t.doc[t.i + 2].like_num and nxt[2] == ",":
        return True  # "Masato, 39,"
    if (
        nxt[:1] == ["and"]
        and nxt[1:2] in (["his"], ["her"])
        and nxt[2:3] in (["partner"], ["wife"], ["husband"])
    ):
        return True
    return bool(nxt) and t.doc[t.i + 1].lemma_ in ("say", "tell", "add")


def _surname_use(t: Token) -> bool:
    """A place-named token used as a person's name: not followed by a place word."""
    nxt = t.doc[t.i + 1].lower_ if t.i + 1 < len(t.doc) else ""
    return nxt not in ("prefecture", "city", "ward", "district", "court", "prefectural", "'s", "’s")


def _clean_person(ent: Span) -> str:
    """A PERSON span without titles, possessive "'s" or stray punctuation; '' when it is
    not a name."""
    honorifics = set(load_json("cues.json")["honorifics"])
    words = [
        t.text for t in ent if t.text not in ("'s", "’s", "'", "’") and t.text not in honorifics
    ]
    words = [w for w in words if _NAME_TOKEN.match(w) or w in ("-",)]
    return " ".join(words).replace(" - ", "-").strip(" -")


def _prefer_named_kind(sentences: list[Sentence], gaz: Gazetteer) -> None:
    """In an article that says "Kyoto city" and never "Kyoto Prefecture", a bare
    "Kyoto" is the city too (and the other way round)."""
    explicit: dict[str, set[str]] = {}
    for s in sentences:
        for m in s.of("jurisdiction"):
            if m.text != gaz.jurisdictions[m.key]["label"]:  # "Kyoto city", "Osaka Prefecture"
                explicit.setdefault(gaz.jurisdictions[m.key]["label"], set()).add(m.key)
    for s in sentences:
        for m in s.of("jurisdiction"):
            keys = explicit.get(m.text, set())
            if m.text in gaz.same_name and len(keys) == 1:
                m.key = next(iter(keys))


def _disambiguate(ent: Span, key: str | None, gaz: Gazetteer) -> str | None:
    """Tell a same-named city from its prefecture by the word after it ("Osaka city")
    or a court seated there ("a court in Osaka")."""
    if key is None:
        return None
    candidates = gaz.same_name.get(ent.text)
    if not candidates:
        return key
    nxt = ent.doc[ent.end].lower_ if ent.end < len(ent.doc) else ""
    prev = ent.doc[max(ent.start - 2, 0) : ent.start].text.lower()
    want = None
    if nxt in ("city", "municipal") or prev.endswith("city of"):
        want = "municipality"
    elif nxt in ("prefecture", "prefectural"):
        want = "prefecture"
    elif re.search(r"\bcourt in$", prev) or nxt == "court":
        want = "municipality"
    if want:
        for c in candidates:
            if gaz.jurisdictions[c]["kind"] == want:
                return c
    return key


def _name_map(names: list[str]) -> dict[str, str]:
    """Map each name to the fullest name in the article that contains it as a word
    ("Masuhara" -> "Hiroko Masuhara"), when exactly one does."""
    full = sorted({n for n in names if " " in n})
    out = {}
    for n in set(names):
        if " " in n:
            out[n] = n
            continue
        hits = [f for f in full if n in f.split()]
        out[n] = hits[0] if len(hits) == 1 else n
    return out
