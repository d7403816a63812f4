"""Couples ("X and her partner Y", "couples like X and Y", "X, 35, and his partner Y, 33",
"his partner Chris") and the certificates they receive."""

from __future__ import annotations

from collections.abc import Iterator

from spacy.tokens import Token

from kg.extract import policies
from kg.extract.context import ArticleContext, Mention, Sentence
from kg.extract.cues import cue, has_cue, lemmas
from kg.model import Fact, Ref

_AGE_OR_PUNCT = {",", "-", "–", "(", ")"}


def pairs(ctx: ArticleContext, s: Sentence) -> list[tuple[Mention, Mention]]:
    """The couples named in a sentence."""
    persons = s.of("person")
    if len(persons) < 1 or not (has_cue(s.span, "couple_nouns") or _among(ctx, s)):
        return []
    officials = {_covered(s, r) for r in s.of("role")}
    out: list[tuple[Mention, Mention]] = []
    doc = s.span.doc
    for a, b in zip(persons, persons[1:], strict=False):
        gap = doc[a.span.end : b.span.start]
        words = [t.lower_ for t in gap if t.text not in _AGE_OR_PUNCT and not t.like_num]
        words = [
            w for w in words if w not in ("his", "her", "their") and w not in cue("partner_nouns")
        ]
        if words == ["and"] and a.text != b.text and not ({a.text, b.text} & officials):
            out.append((a, b))
    seen = {m.text for pair in out for m in pair}
    for i, t in enumerate(s.span):
        # "her American girlfriend Katie": the partner of the person named just before
        if t.lower_ in ("his", "her") and i + 1 < len(s.span):
            tail = s.span[i + 1 : i + 4]
            partner_word = next((w for w in tail if w.lemma_.lower() in cue("partner_nouns")), None)
            if partner_word is None:
                continue
            # the name right after the word, or after "of 15 years,"
            gap_ok = {"of", ",", "-", "years", "year", "decades", "decade", "long", "time"}
            after = [
                p
                for p in persons
                if p.span.start > partner_word.i
                and p.span.start - partner_word.i <= 6
                and all(
                    w.lower_ in gap_ok or w.like_num for w in doc[partner_word.i + 1 : p.span.start]
                )
            ]
            before = [p for p in persons if p.span.end <= t.i]
            if after and before and after[0].text not in seen:
                out.append((_possessor(partner_word, before), after[0]))
                seen.add(after[0].text)
    return out


def _possessor(word: Token, candidates: list[Mention]) -> Mention:
    """Whose partner: the person the phrase hangs from ("Yui Matsuda, who lives in Kokura
    with her partner ..."), else the nearest name before it."""
    node = word
    for _ in range(10):
        for m in candidates:
            if m.span.start <= node.i < m.span.end:
                return m
            if node.pos_ in ("VERB", "AUX") and any(
                c.dep_ in ("nsubj", "nsubjpass") and m.span.start <= c.i < m.span.end
                for c in node.children
            ):
                return m
        if node.head.i == node.i:
            break
        node = node.head
    return candidates[-1]


def _among(ctx: ArticleContext, s: Sentence) -> bool:
    """'Among them were X and Y' after a sentence about couples."""
    opening = s.span[:3].text.lower()
    if not opening.startswith(("among them", "they included", "those included", "among the first")):
        return False
    return s.index > 0 and has_cue(ctx.sentences[s.index - 1].span, "couple_nouns")


def _covered(s: Sentence, role: Mention) -> str:
    """The person a title in this sentence belongs to, so officials are not paired up."""
    for p in s.of("person"):
        if 0 <= p.span.start - role.span.end <= 1:
            return p.text
    return ""


def extract_couples(ctx: ArticleContext) -> Iterator[Fact]:
    for s in ctx.sentences:
        for a, b in pairs(ctx, s):
            yield Fact(
                "couple",
                (("a", ctx.person(a.text)), ("b", ctx.person(b.text))),
                ctx.evidence(s.index),
                "couples",
            )


def extract_certificates(ctx: ArticleContext) -> Iterator[Fact]:
    """A named couple (or one partner) that received, collected or was issued a certificate."""
    last_couple: tuple[Ref, Ref] | None = None
    for s in ctx.sentences:
        couples = [(ctx.person(a.text), ctx.person(b.text)) for a, b in pairs(ctx, s)]
        words = lemmas(s.span)
        got = bool(words & cue("certificate_nouns")) and bool(
            words & (cue("receive_verbs") | cue("issue_verbs"))
        )
        among = (
            s.span[:3].text.lower().startswith(("among them", "they included", "those included"))
        )
        if among and s.index > 0 and not got:
            prev = ctx.sentences[s.index - 1]
            pw = lemmas(prev.span)
            got = bool(pw & cue("certificate_nouns")) and bool(pw & cue("issue_verbs"))
        else:
            among = False
        if got and _generic_plural(s) and not couples:
            got = False
        if got:
            recipients: list[tuple[Ref, Ref | None]] = list(couples)
            if not recipients:
                recipients = _single_recipient(ctx, s, last_couple)
            source = ctx.sentences[s.index - 1] if among else s
            issuer = _issuer(ctx, source)
            when = _date_of_receipt(source)
            first = source.index if among else s.index
            for a, b in recipients:
                args: list[tuple[str, object]] = [("a", a)]
                if b is not None:
                    args.append(("b", b))
                if issuer is not None:
                    args.append(("issuer", issuer))
                if when is not None:
                    args.append(("date", when))
                yield Fact("certificate", tuple(args), ctx.evidence(first, s.index), "certificates")
        if couples:
            last_couple = couples[-1]


def _date_of_receipt(s: Sentence) -> object:
    """The date nearest after the certificate noun ("have held a certificate from the city
    since 2021", not the system's "in April 2019" earlier in the sentence)."""
    if not s.dates:
        return None
    nouns = [s.char(t) for t in s.span if t.lemma_.lower() in cue("certificate_nouns")]
    anchor = nouns[0] if nouns else s.start
    after = [d for d in s.dates if d[0] >= anchor]
    return (after or s.dates)[0][2]


def _generic_plural(s: Sentence) -> bool:
    """'Tokyo began issuing certificates to same-sex couples': about couples in general."""
    return not s.of("person") and any(t.lower_ in ("couples", "pairs", "people") for t in s.span)


def _single_recipient(
    ctx: ArticleContext, s: Sentence, last: tuple[Ref, Ref] | None
) -> list[tuple[Ref, Ref | None]]:
    officials = {_covered(s, r) for r in s.of("role")}
    receiving = bool(lemmas(s.span) & cue("receive_verbs"))
    persons = [p for p in s.of("person") if p.text not in officials]
    if persons and receiving:
        # "Soyoka Yamamoto ... was among the first to collect her certificate"; not the
        # mayor who "issued certificates to 300 couples"
        return [(ctx.person(persons[0].text), None)]
    if last is not None and any(
        t.lower_ in ("couple", "they", "pair", "two", "both") for t in s.span
    ):
        return [last]
    return []


def _issuer(ctx: ArticleContext, s: Sentence) -> Ref | None:
    """The place whose system issued it: one named in the sentence that runs a system in
    this article, else the article's place with a system, else the place named."""
    running = _system_places(ctx)
    named = ctx.places(s)
    for m in named:
        if m.key in running:
            return ctx.jurisdiction(m)
    main = ctx.main_jurisdiction()
    if main in running or (not named and main):
        return ctx.ref(main)  # type: ignore[arg-type]
    if running:
        return ctx.ref(sorted(running)[0]) if len(running) == 1 else ctx.topic_place(s)
    return ctx.topic_place(s)


def _system_places(ctx: ArticleContext) -> set[str]:
    if "system_places" not in ctx.memo:
        found = {f.get("jurisdiction").key for f in policies.extract_systems(ctx)}  # type: ignore[union-attr]
        ctx.memo["system_places"] = found
    return ctx.memo["system_places"]  # type: ignore[return-value]
