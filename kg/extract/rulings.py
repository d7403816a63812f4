"""Court rulings on marriage equality: which court, when, with what outcome."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from spacy.matcher import PhraseMatcher
from spacy.tokens import Token

from kg.dates import DateExpr
from kg.extract.context import ArticleContext, Mention, Sentence
from kg.extract.cues import cue, has_cue
from kg.model import Fact, Ref
from kg.nlp import Gazetteer, gazetteer, load

_FOLLOWING = ("following", "after", "like", "joining", "as did", "in line with")
_LEVELS = ("supreme", "high", "district", "family", "summary")
_ARTICLE = re.compile(r"\bArticles?\s+(\d{1,3})(?:\s*(?:,|and|&)\s*(\d{1,3}))?")
_DAMAGES = re.compile(
    r"\b(?:reject|dismiss|deni|turn)\w*\b[^.]{0,80}\b(?:damages|compensation)\b"
    r"|\b(?:damages|compensation)\b[^.]{0,40}\b(?:rejected|dismissed|denied|turned down)\b",
    re.I,
)


def extract(ctx: ArticleContext) -> Iterator[Fact]:
    for s in ctx.sentences:
        if not has_cue(s.span, "ruling_words"):
            continue
        courts = _courts(ctx, s) or _court_referred(ctx, s)
        if not courts:
            vague = _unnamed_court(s)
            named = _court_named_next(ctx, s, vague) if vague is not None else None
            if named is None:
                continue
            courts = [(s.start, named)]
        # a sentence may report several rulings: each court takes the outcome and
        # date stated between it and the next court (named or not)
        starts = sorted({start for start, _ in courts} | set(_unnamed_court_starts(s)))
        previous: str | None = None
        for start, court in courts:
            lo = s.start if start == starts[0] else start
            later = [b for b in starts if b > start]
            hi = later[0] if later else s.end
            segment = ctx.article.text[lo:hi]
            if any(w in segment.lower() for w in cue("modal_cues")):
                continue  # "is expected to rule", "would wait for a Supreme Court decision"
            outcome = _outcome(s, lo, hi)
            lead = ctx.article.text[max(s.start, lo - 30) : lo].lower()
            if outcome is None and previous and any(w in lead for w in _FOLLOWING):
                outcome = (
                    previous  # "... found it unconstitutional, following the Sapporo High Court"
                )
            if outcome is None:
                continue
            previous = outcome
            args: list[tuple[str, object]] = [("court", court), ("outcome", outcome)]
            dates = [d for d in s.dates if lo <= d[0] < hi]
            if dates:
                args.append(("date", dates[0][2]))
            elif _present_perfect(s, lo, hi):
                args.append(("date", DateExpr("recent", "has ruled")))
            articles = sorted(
                {f"Article {n}" for m in _ARTICLE.finditer(segment) for n in m.groups() if n}
            )
            if articles:
                args.append(("articles", tuple(articles)))
            if _DAMAGES.search(segment):
                args.append(("damages_rejected", True))
            yield Fact("ruling", tuple(args), ctx.evidence(s.index), "rulings")


def _court_referred(ctx: ArticleContext, s: Sentence) -> list[tuple[int, Ref]]:
    """'The court said ...', 'the high court found ...': the court last named before, in
    this paragraph or the one before."""
    for t in s.span:
        if t.lower_ != "court" or t.ent_type_ == "COURT":
            continue
        words = [w.lower_ for w in s.span.doc[max(t.i - 2, s.span.start) : t.i]]
        if "the" not in words:
            continue
        level = next((w for w in words if w in _LEVELS), None)
        for prev in reversed(ctx.sentences[max(0, s.index - 6) : s.index]):
            if s.para - prev.para > 1:
                break
            for _, court in reversed(_courts(ctx, prev)):
                row = ctx.gaz.courts.get(court.key or "")
                if level is None or (row is not None and row["level"] == level):
                    return [(s.char(t), court)]
        return []
    return []


def _unnamed_court_starts(s: Sentence) -> list[int]:
    """Where courts with no seat are named ("another high court found ...")."""
    out = []
    for t in s.span:
        if t.lower_ == "court" and t.ent_type_ != "COURT" and _seat(s, t) is None:
            words = [w.lower_ for w in s.span.doc[max(t.i - 3, s.span.start) : t.i]]
            if any(w in ("a", "an", "another", "lower", "appeals") for w in words):
                out.append(s.char(s.span.doc[max(t.i - 3, s.span.start)]))
    return out


def _present_perfect(s: Sentence, lo: int, hi: int) -> bool:
    """'The Tokyo High Court has ruled ...': a ruling of the article's day."""
    for t in s.span:
        if lo <= s.char(t) < hi and t.lemma_.lower() in cue("ruling_words") and t.pos_ == "VERB":
            if any(
                c.dep_ == "aux" and c.lemma_ == "have" and c.tag_ in ("VBZ", "VBP")
                for c in t.children
            ):
                return True
    return False


def _unnamed_court(s: Sentence) -> str | None:
    """'A Japanese court ruled ...', 'a high court said ...': a court with no seat named;
    returns its level ('' when none is given)."""
    for t in s.span:
        if t.lower_ == "court" and t.ent_type_ != "COURT":
            words = [w.lower_ for w in s.span.doc[max(t.i - 3, s.span.start) : t.i]]
            if any(w in ("a", "an") for w in words):
                return next((w for w in words if w in _LEVELS), "")
    return None


def _court_named_next(ctx: ArticleContext, s: Sentence, level: str) -> Ref | None:
    """The court the next sentences name, of a compatible level ('The Nagoya District
    Court said ...' after 'A Japanese court ruled on Tuesday ...')."""
    for nxt in ctx.sentences[s.index + 1 : s.index + 3]:
        for _, court in _courts(ctx, nxt):
            row = ctx.gaz.courts.get(court.key or "")
            if row is not None and (not level or row["level"] == level):
                return court
    return None


def _courts(ctx: ArticleContext, s: Sentence) -> list[tuple[int, Ref]]:
    """Courts named by the gazetteer ("Osaka District Court") or by a phrase naming a
    seat ("a court in Osaka", "an Osaka court", "a district court in Sapporo")."""
    found: list[tuple[int, Ref]] = []
    for m in s.of("court"):
        found.append((m.start, Ref("court", ctx.gaz.courts[m.key]["label"], m.key)))
    doc = s.span.doc
    for t in s.span:
        if t.lower_ not in ("court", "courts") or t.ent_type_ == "COURT":
            continue
        level = next((w.lower_ for w in doc[max(t.i - 2, 0) : t.i] if w.lower_ in _LEVELS), None)
        seat = _seat(s, t)
        if seat is None:
            continue
        start = s.char(doc[max(t.i - 3, s.span.start)])
        found.append((start, court_ref(seat, level, ctx.gaz)))
    return sorted(found, key=lambda x: x[0])


def _seat(s: Sentence, court: object) -> Mention | None:
    for m in s.of("jurisdiction"):
        before = m.span.end <= court.i and court.i - m.span.end <= 2  # "an Osaka (district) court"
        after = (
            m.span.start > court.i and m.span.start - court.i <= 2 and court.nbor(1).lower_ == "in"
        )
        if before or after:
            return m
    return None


def court_ref(seat: Mention, level: str | None, gaz: Gazetteer | None = None) -> Ref:
    """The gazetteer court at ``seat`` of ``level``; with no level, a court known only by
    its seat (resolve merges it with the one court of that seat the corpus names)."""
    gaz = gaz or gazetteer()
    seat_keys = [seat.key, *gaz.same_name.get(seat.text, [])]
    if level:
        # the court named after its seat ("Tokyo High Court", not the IP High Court there)
        rows = [
            (cid, r)
            for cid, r in gaz.courts.items()
            if r["level"] == level and r["seat"] in seat_keys
        ]
        rows.sort(key=lambda cr: (not cr[1]["label"].startswith(seat.text), cr[0]))
        if rows:
            return Ref("court", rows[0][1]["label"], rows[0][0])
    city = next((k for k in seat_keys if gaz.jurisdictions[k]["kind"] == "municipality"), seat.key)
    label = gaz.jurisdictions[city]["label"]
    return Ref(
        "court", f"{label} {level + ' ' if level else ''}court".replace("  ", " "), f"seat:{city}"
    )


@cache
def _outcome_matcher() -> tuple[PhraseMatcher, dict[str, int]]:
    nlp = load()
    m = PhraseMatcher(nlp.vocab, attr="LOWER")
    priority = {}
    for oid, row in gazetteer().outcomes.items():
        m.add(oid, [nlp.make_doc(p) for p in row["patterns"]])
        priority[oid] = row.get("priority", 9)
    return m, priority


def _outcome(s: Sentence, lo: int, hi: int) -> str | None:
    """The outcome phrase between article offsets lo and hi (the most specific wins); a
    claim of unconstitutionality the court rejected means the ban was upheld."""
    matcher, priority = _outcome_matcher()
    hits = []
    for mid, start, _ in matcher(s.span.as_doc()):
        token = s.span[start]
        if not lo <= s.char(token) < hi:
            continue
        outcome = load().vocab.strings[mid]
        if outcome == "unconstitutional" and _rejected_claim(token):
            outcome = "constitutional"
        hits.append(outcome)
    return min(hits, key=lambda h: priority[h]) if hits else None


def _rejected_claim(token: Token) -> bool:
    """'rejected the claim that the ban violates the constitution'."""
    path = [token, *token.ancestors]
    nouns = {t.lemma_.lower() for t in path}
    return bool(nouns & {"claim", "argument", "assertion", "contention", "plaintiff"}) and bool(
        nouns & {"reject", "dismiss", "deny", "refuse"}
    )
