"""Opinion polls: who asked, in what year, how many supported and opposed."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kg.dates import DateExpr
from kg.extract.context import ArticleContext, Sentence
from kg.extract.cues import cue, has_cue
from kg.model import Fact, Ref

_PERCENT = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*(?:%|percent\b|per cent\b)")
_REPORTING = ("told", "said", "according to")  # "X told AFP": AFP reports, it did not poll


def extract(ctx: ArticleContext) -> Iterator[Fact]:
    for s in ctx.sentences:
        if not has_cue(s.span, "poll_nouns") and "percent" not in s.text and "%" not in s.text:
            continue
        values = list(_PERCENT.finditer(s.text))
        if not values or not _about_polling(ctx, s):
            continue
        support = oppose = None
        for i, m in enumerate(values):
            nxt = values[i + 1].start() if i + 1 < len(values) else len(s.text)
            window = s.text[m.end() : min(nxt, m.end() + 100)].lower()
            before = s.text[max(0, m.start() - 40) : m.start()].lower()
            side = _side(window) or _side(before, last=True)
            if side == "support" and support is None:
                support = float(m.group(1))
            elif side == "oppose" and oppose is None:
                oppose = float(m.group(1))
        org = _pollster(ctx, s)
        if org is None or (support is None and oppose is None):
            continue
        args: list[tuple[str, object]] = [("org", org)]
        year = _year(s)
        if year is not None:
            args.append(("year", year))
        if support is not None:
            args.append(("support", support))
        if oppose is not None:
            args.append(("oppose", oppose))
        yield Fact("poll", tuple(args), ctx.evidence(s.index), "polls")


def _about_polling(ctx: ArticleContext, s: Sentence) -> bool:
    if has_cue(s.span, "poll_nouns"):
        return True
    prev = ctx.sentences[s.index - 1] if s.index else None
    return prev is not None and has_cue(prev.span, "poll_nouns")


def _side(text: str, last: bool = False) -> str | None:
    found = []
    for name, side in (("support_cues", "support"), ("oppose_cues", "oppose")):
        for word in cue(name):
            for m in re.finditer(rf"\b{re.escape(word)}\b", text):
                found.append((m.start(), side))
    if not found:
        return None
    return (max if last else min)(found)[1]


def _pollster(ctx: ArticleContext, s: Sentence) -> Ref | None:
    """The organisation that ran the poll: a known one, else one spaCy found, but not
    an agency the sentence only reports through ("told AFP")."""
    doc = s.span.doc
    candidates = [(m.span, m.key) for m in s.of("organization")]
    candidates += [(e, None) for e in s.span.ents if e.label_ == "ORG"]
    for span, key in sorted(candidates, key=lambda c: c[0].start):
        preceding = doc[max(span.start - 2, 0) : span.start].text.lower()
        if any(preceding.endswith(w) for w in _REPORTING):
            continue
        label = ctx.gaz.organizations[key]["label"] if key else span.text
        return Ref("organization", label, key)
    return None


def _year(s: Sentence) -> DateExpr | None:
    for _, _, expr in s.dates:
        return expr
    return None
