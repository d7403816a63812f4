"""Direct speech and who said it.

A quote's speaker is found, in this order: a speech verb right after the closing mark
('…," Miki said', '…," said Setsuko Yuragi', '…," he said'); a speech verb that governs
the quote ('Yoriko calling the move a "huge step forward"', 'told reporters she hoped
"…"'); the speaker of the quote just before, for a quote that stands alone
('"…," Miki said. "All that's left …"').
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from spacy.tokens import Token

from kg.extract.context import ArticleContext, Mention, Sentence
from kg.extract.cues import cue
from kg.model import Fact

_QUOTE = re.compile(r"“([^”]{2,}?)”|\"([^\"]{2,}?)\"")
_PRONOUNS = {"he", "she", "they", "i", "we"}
_TRIM = " ,.;:-–—…"


@dataclass
class _Quote:
    start: int  # article offsets of the text inside the marks
    end: int
    text: str
    first: Sentence
    last: Sentence


def extract(ctx: ArticleContext) -> Iterator[Fact]:
    said: list[tuple[list[_Quote], str]] = []  # runs of quotes by one speaker
    previous: tuple[_Quote, str] | None = None
    inside = _quoted_positions(ctx)
    for quote in _quotes(ctx):
        speaker = (
            _after(ctx, quote, inside)
            or _governing(ctx, quote, inside)
            or _speech_before(ctx, quote, inside)
        )
        if previous is not None and _continues(ctx, previous[0], quote):
            same_sentence = quote.first.index == previous[0].last.index
            if (
                said
                and said[-1][0][-1] is previous[0]
                and same_sentence
                and speaker in (None, previous[1])
            ):
                said[-1][0].append(quote)  # '"…," she said, "…"': one quote in two parts
                previous = (quote, previous[1])
                continue
            speaker = speaker or previous[1]
        if speaker is None:
            previous = None
            continue
        previous = (quote, speaker)
        said.append(([quote], speaker))
    for parts, speaker in said:
        text = " ".join(_clean(q.text) for q in parts)
        if len(text) < 2:
            continue
        yield Fact(
            "quote",
            (("speaker", ctx.person(speaker)), ("text", text)),
            ctx.evidence(parts[0].first.index, parts[-1].last.index),
            "quotes",
        )


def _clean(text: str) -> str:
    return text.strip(_TRIM + "\"'“”")


def _quoted_positions(ctx: ArticleContext) -> set[int]:
    """Article offsets inside quotation marks: names there are not speakers."""
    return {i for q in _quotes(ctx) for i in range(q.start, q.end)}


def _quotes(ctx: ArticleContext) -> list[_Quote]:
    text = ctx.article.text
    out = []
    for m in _QUOTE.finditer(text):
        group = 1 if m.group(1) is not None else 2
        start, end = m.start(group), m.end(group)
        if "\n\n" in text[start:end]:
            continue
        first = _sentence_at(ctx, start)
        last = _sentence_at(ctx, end - 1)
        if first is None or last is None:
            continue
        out.append(_Quote(start, end, m.group(group), first, last))
    return out


def _sentence_at(ctx: ArticleContext, pos: int) -> Sentence | None:
    for s in ctx.sentences:
        if s.start <= pos < s.end:
            return s
    return None


def _tokens_between(s: Sentence, lo: int, hi: int) -> list[Token]:
    return [t for t in s.span if lo <= s.char(t) < hi]


def _after(ctx: ArticleContext, q: _Quote, inside: set[int]) -> str | None:
    """'…," Miki told AFP' / '…," said Setsuko Yuragi, 22' / '…," he said'. A quote that
    ends its sentence inside the marks ('…lasts."') is not attributed by what follows."""
    if q.text.rstrip().endswith("."):
        return None
    s = _sentence_at(ctx, q.end) or q.last
    tail = _tokens_between(s, q.end + 1, s.end)
    tail = [t for t in tail if t.text not in ("”", '"')]
    if (
        not tail
        or tail[0].text not in (",", "!", "?", ".")
        and tail[0].lemma_ not in cue("speech_verbs")
    ):
        if not tail or tail[0].pos_ not in ("PROPN", "NOUN", "PRON", "NUM", "ADJ"):
            return None
    window = tail[:10]
    for i, t in enumerate(window):
        if t.text in ("“", '"'):
            break
        if t.lemma_.lower() in cue("speech_verbs") and t.pos_ in ("VERB", "AUX"):
            before = [w for w in window[:i] if w.text != ","]
            return _speaker_near(ctx, s, t, before, window[i + 1 :], inside)
    return None


def _speaker_near(
    ctx: ArticleContext,
    s: Sentence,
    verb: Token,
    before: list[Token],
    after: list[Token],
    inside: set[int],
) -> str | None:
    for group in (before, after[:6]):
        names = [m for m in s.of("person") if any(m.span.start <= t.i < m.span.end for t in group)]
        if names:
            return names[-1].text if group is before else names[0].text
        if group and group[-1 if group is before else 0].lower_ in _PRONOUNS:
            return _antecedent(ctx, s, verb, inside)
    return None


def _governing(ctx: ArticleContext, q: _Quote, inside_marks: set[int]) -> str | None:
    """The subject of the speech verb the quoted words hang from."""
    s = q.first
    inside = _tokens_between(s, q.start, q.end)
    if not inside:
        return None
    node = inside[0]
    inside_ids = {t.i for t in inside}
    while node.i in inside_ids and node.head.i != node.i:
        node = node.head
    if node.i in inside_ids:
        return None  # the quote is a sentence of its own: nothing outside governs it
    hops = 0
    while hops < 8:
        hops += 1
        if node.lemma_.lower() in cue("speech_verbs") or node.pos_ in ("VERB", "AUX"):
            who = _subject_person(ctx, s, node, inside_marks)
            if who:
                return who
            if who == "" and node.lemma_.lower() in cue("speech_verbs"):
                return None  # a speaker who is not a named person: do not look further up
        if node.head.i == node.i:
            break
        node = node.head
    return None


def _speech_before(ctx: ArticleContext, q: _Quote, inside: set[int]) -> str | None:
    """A last resort when the parse is broken ('X - a local representative - called
    same-sex marriage "disgusting"'): a speech word before the quote in its sentence,
    and the one person named before that word."""
    s = q.first
    verbs = [t for t in s.span if s.char(t) < q.start and t.lemma_.lower() in cue("speech_verbs")]
    if not verbs:
        return None
    names = {m.text for m in s.of("person") if m.span.end <= verbs[-1].i and m.start not in inside}
    return names.pop() if len(names) == 1 else None


def _subject_person(ctx: ArticleContext, s: Sentence, verb: Token, inside: set[int]) -> str | None:
    """The named person who is the verb's subject; '' when the subject is someone
    else ("the ministry"); None when the verb has no subject."""
    for child in verb.children:
        if child.dep_ in ("nsubj", "nsubjpass"):
            names = [
                m for m in s.of("person") if child.left_edge.i <= m.span.start <= child.right_edge.i
            ]
            if names:
                return names[0].text
            if child.lower_ in _PRONOUNS and verb.lemma_.lower() in cue("speech_verbs"):
                return _antecedent(ctx, s, verb, inside)
            if child.pos_ == "NOUN" and any(
                d.lower_ in ("the", "this", "that") for d in child.children
            ):
                # "the aide told reporters": the person the sentence just named
                before = [m for m in s.of("person") if m.span.end <= child.i]
                return before[-1].text if before else ""
            return ""
    if verb.lemma_.lower() in cue("speech_verbs"):
        # a parse with no subject: the name just before the verb ("Judge Kenta Saito said")
        before = [m for m in s.of("person") if 0 <= verb.i - m.span.end <= 1]
        if before:
            return before[-1].text
    return None


def _antecedent(ctx: ArticleContext, s: Sentence, before: Token, inside: set[int]) -> str | None:
    """The person a pronoun points back to: the latest named before it, outside quotation
    marks, in this sentence or the two before."""
    names: list[Mention] = [
        m for m in s.of("person") if m.span.end <= before.i and m.start not in inside
    ]
    if names:
        return names[-1].text
    for back in range(1, 3):
        if s.index - back < 0:
            break
        prev = ctx.sentences[s.index - back]
        outside = [m for m in prev.of("person") if m.start not in inside]
        subjects = [m for m in outside if m.span.root.dep_ in ("nsubj", "nsubjpass")]
        persons = subjects or outside
        if persons:
            return persons[-1].text if not subjects else subjects[0].text
    return None


def _continues(ctx: ArticleContext, prev: _Quote, q: _Quote) -> bool:
    """A quote with no speaker of its own continues the one before: in the same sentence
    ('…," she said, "…'), or standing alone as the next sentence ('…," Miki said. "…"')."""
    if q.first.index == prev.last.index:
        return True
    if q.first.index - prev.last.index > 1:
        return False
    outside = ctx.article.text[q.first.start : q.start] + ctx.article.text[q.end : q.last.end]
    return len(re.findall(r"\w+", outside)) < 3
