"""What every extractor sees of one article: its sentences, with the entity mentions and
date expressions in each, and the in-article reading of short names ("Masuhara")."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from kg.dates import DateExpr, find_dates
from kg.model import Article, Evidence, Ref
from kg.nlp import Gazetteer, gazetteer

PARAGRAPH_BREAK = "\n\n"
_NAME_TOKEN = re.compile(r"^[A-Z][a-z'\-]+$")
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
        found = [m for m in s.of("jurisdiction") if self.gaz.jurisdictions[m.key]["kind"] != "country"]
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
    gaz = gazetteer()
    sentences: list[Sentence] = []
    for para, (offset, doc) in enumerate(docs):
        for span in doc.sents:
            if not span.text.strip():
                continue
            start = offset + span.start_char
            sentences.append(Sentence(len(sentences), start, offset + span.end_char, span, para, offset))
    ctx = ArticleContext(article, sentences, gaz)
    person_names = _person_names(sentences)
    for s in sentences:
        s.mentions = _mentions(s, gaz, person_names)
        s.dates = [(s.start + a, s.start + b, e) for a, b, e in find_dates(s.text)]
    ctx.persons = _name_map([m.text for s in sentences for m in s.of("person")])
    return ctx


def _person_names(sentences: list[Sentence]) -> set[str]:
    return {e.text for s in sentences for e in s.span.ents if e.label_ == "PERSON"}


def _mentions(s: Sentence, gaz: Gazetteer, person_names: set[str]) -> list[Mention]:
    out = []
    for ent in s.span.ents:
        kind = {"JURIS": "jurisdiction", "COURT": "court", "KORG": "organization",
                "ROLE": "role", "PERSON": "person"}.get(ent.label_)
        text, key = ent.text, ent.ent_id_ or None
        if kind is None and ent.label_ in _MAYBE_PERSON and ent.text in person_names:
            kind = "person"
        if kind == "person":
            text = _clean_person(ent)
            if not text:
                continue
            key = None
        elif kind == "jurisdiction":
            key = _disambiguate(ent, key, gaz)
        elif kind is None:
            continue
        out.append(Mention(kind, text, key, s.char(ent[0]), s.char(ent[0]) + len(ent.text), s.index, ent))
    return out


def _clean_person(ent: Span) -> str:
    """A PERSON span without possessive "'s" or stray punctuation; '' when it is not a name."""
    words = [t.text for t in ent if t.text not in ("'s", "’s", "'", "’")]
    words = [w for w in words if _NAME_TOKEN.match(w) or w in ("-",)]
    return " ".join(words).replace(" - ", "-").strip(" -")


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
