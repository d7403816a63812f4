"""Opinion polls: who asked, in what year, how many supported and opposed."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kg.extract.context import ArticleContext, Sentence
from kg.extract.cues import cue, has_cue
from kg.model import Fact, Ref

_PERCENT = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*(?:%|percent\b|per cent\b)")
_REPORTING = ("told", "said", "according to")  # "X told AFP": AFP reports, it did not poll


def extract(ctx: ArticleContext) -> Iterator[Fact]:
    for s in ctx.sentences:
        if not has_cue(s.span, "poll_nouns") and "percent" not in s.text and "%" not in s.text:
            continue
        if not _about_polling(ctx, s):
            continue
        # "An Asahi poll found 72% ..., and a Yomiuri survey put support at 57% ...":
        # each pollster takes the figures between it and the next
        orgs = _pollsters(ctx, s)
        for i, (offset, org) in enumerate(orgs):
            lo = 0 if i == 0 else offset - s.start
            hi = orgs[i + 1][0] - s.start if i + 1 < len(orgs) else len(s.text)
            fact = _poll(ctx, s, org, lo, hi)
            if fact is not None:
                yield fact


def _poll(ctx: ArticleContext, s: Sentence, org: Ref, lo: int, hi: int) -> Fact | None:
    text = s.text[:hi]
    values = [m for m in _PERCENT.finditer(text) if m.start() >= lo]
    support = oppose = None
    for i, m in enumerate(values):
        nxt = values[i + 1].start() if i + 1 < len(values) else len(text)
        window = text[m.end() : min(nxt, m.end() + 100)].lower()
        before = text[max(lo, m.start() - 40) : m.start()].lower()
        lead = re.search(r"(\w+(?: \w+)?)\s+(?:at|of|was|stood at|reached)\s*$", before)
        side = (_side(lead.group(1)) if lead else None) or _side(window) or _side(before, last=True)
        if side == "support" and support is None:
            support = float(m.group(1))
        elif side == "oppose" and oppose is None:
            oppose = float(m.group(1))
    if support is None and oppose is None:
        return None
    args: list[tuple[str, object]] = [("org", org)]
    # the year stated for this poll, else the one stated before it ("the same year")
    dates = [e for start, _, e in s.dates if start - s.start < hi]
    mine = [e for start, _, e in s.dates if lo <= start - s.start < hi]
    year = (mine or dates[-1:] or [None])[0]
    if year is not None:
        args.append(("year", year))
    if support is not None:
        args.append(("support", support))
    if oppose is not None:
        args.append(("oppose", oppose))
    return Fact("poll", tuple(args), ctx.evidence(s.index), "polls")


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


def _pollsters(ctx: ArticleContext, s: Sentence) -> list[tuple[int, Ref]]:
    """The organisations that ran polls in the sentence, with their offsets: known ones,
    else ones spaCy found, but not agencies the sentence only reports through ("told AFP")."""
    doc = s.span.doc
    candidates = [(m.span, m.key) for m in s.of("organization")]
    known = {(m.span.start, m.span.end) for m in s.of("organization")}
    candidates += [
        (e, None) for e in s.span.ents if e.label_ == "ORG" and (e.start, e.end) not in known
    ]
    out = []
    for span, key in sorted(candidates, key=lambda c: c[0].start):
        preceding = doc[max(span.start - 2, 0) : span.start].text.lower()
        if any(preceding.endswith(w) for w in _REPORTING):
            continue
        label = ctx.gaz.organizations[key]["label"] if key else span.text
        out.append((s.char(span[0]), Ref("organization", label, key)))
    return out
