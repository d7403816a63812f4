"""Partnership systems: who runs one and since when, how many applied, from what age one
may apply, and which benefits it grants or explicitly does not."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from functools import cache

from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Token

from kg.dates import DateExpr
from kg.extract.context import ArticleContext, Mention, Sentence
from kg.extract.cues import cue, has_cue, is_negated, lemmas, path_to_root
from kg.model import Fact, Ref
from kg.nlp import gazetteer, load
from kg.resources import load_json

_SUBJECT_DEPS = {"nsubj", "nsubjpass", "csubj", "expl"}
_CLIMB_DEPS = {"xcomp", "ccomp", "advcl", "acl", "relcl", "conj", "pcomp", "prep", "pobj", "attr"}
_CONTAINER_DEPS = {
    "compound",
    "poss",
    "conj",
    "appos",
    "cc",
    "det",
    "amod",
    "nmod",
    "case",
    "prep",
    "pobj",
    "npadvmod",
}


def extract_systems(ctx: ArticleContext) -> Iterator[Fact]:
    for s in ctx.sentences:
        if not has_cue(s.span, "system_nouns"):
            yield from _followed(ctx, s)
            continue
        for verb in _start_verbs(s):
            if verb.lemma_.lower() == "effect" and verb.head.lemma_ == "take":
                verb = verb.head
            for place in _subjects(ctx, s, verb):
                args: list[tuple[str, object]] = [("jurisdiction", place)]
                when = _date_near(s, verb)
                if when is not None:
                    args.append(("start", when))
                yield Fact("system", tuple(args), ctx.evidence(s.index), "policies")


def _followed(ctx: ArticleContext, s: Sentence) -> Iterator[Fact]:
    """'Neighbouring Yokohama ... followed in December 2019', after a sentence about a
    system starting: the place started one too."""
    if s.index == 0 or not s.dates:
        return
    prev = ctx.sentences[s.index - 1]
    if not (has_cue(prev.span, "system_nouns") and _start_verbs(prev)):
        return
    for t in s.span:
        if t.lemma_ == "follow" and t.pos_ == "VERB":
            for sub in (c for c in t.children if c.dep_ == "nsubj"):
                for m in _places_in(ctx, s, sub):
                    if ctx.gaz.jurisdictions[m.key]["kind"] != "country":
                        args = (("jurisdiction", ctx.jurisdiction(m)), ("start", _date_near(s, t)))
                        yield Fact("system", args, ctx.evidence(s.index), "policies")


def _start_verbs(s: Sentence) -> list[Token]:
    verbs = []
    for t in s.span:
        lemma = t.lemma_.lower()
        if lemma in cue("start_verbs") and t.pos_ in ("VERB", "NOUN"):
            if lemma == "effect" and not any(w.lemma_ == "take" for w in t.ancestors):
                continue
            if lemma == "run" and "since" not in s.text:
                continue
            if lemma == "roll" and not any(c.lower_ == "out" for c in t.children):
                continue
            if lemma == "set" and not any(c.lower_ == "up" for c in t.children):
                continue
            verbs.append(t)
        elif (
            lemma == "issue"
            and t.pos_ == "VERB"
            and any(a.lemma_ in ("begin", "start") for a in t.ancestors)
        ):
            verbs.append(t)
    return verbs


def _subjects(ctx: ArticleContext, s: Sentence, verb: Token) -> list[Ref]:
    """The places that did the starting: named in the verb's subject (or, for a
    passive "was introduced in X", in its 'in'/'by' phrase)."""
    node = verb
    for _ in range(6):
        subj = [c for c in node.children if c.dep_ in _SUBJECT_DEPS]
        if subj:
            break
        if node.dep_ in ("relcl", "acl") and node.head.pos_ in ("NOUN", "PROPN"):
            subj = [node.head]
            break
        if node.dep_ not in _CLIMB_DEPS or node.head.i == node.i:
            break
        node = node.head
    places: list[Mention] = []
    if verb.dep_ == "relcl" and verb.head.lemma_.lower() in cue("system_nouns"):
        # "the Tokyo Metropolitan Government's own system, which ... launched in 2022"
        places += _places_in(ctx, s, verb.head)
    for sub in subj:
        if sub.tag_ in ("NNS", "NNPS") and sub.lemma_.lower() in cue("admin_nouns"):
            continue  # "Two Tokyo districts issued ..." names no single place
        places += _places_in(ctx, s, sub)
        if sub.lemma_.lower() in cue("system_nouns"):
            for prep in verb.children:
                if prep.lower_ in ("in", "by") and prep.dep_ in ("prep", "agent"):
                    places += _places_in(ctx, s, prep)
    places = [m for m in places if ctx.gaz.jurisdictions[m.key]["kind"] != "country"]
    if not places:
        for sub in subj:
            if sub.head.dep_ == "appos" or sub.dep_ == "appos":
                # "Yokosuka, a port city ... that introduced": the place the noun renames
                owner = sub.head if sub.dep_ == "appos" else sub
                places = [m for m in s.of("jurisdiction") if m.span.root.i == owner.head.i]
                if places:
                    return [ctx.jurisdiction(places[0])]
            if sub.lower_ in ("it", "its") and len({m.key for m in ctx.places(s)}) == 1:
                return [ctx.jurisdiction(ctx.places(s)[0])]  # "a system it has run since 2019"
            generic = _generic_place(ctx, s, sub)
            if generic is not None:
                return [generic]
            named = ctx.places(s)
            if sub.lemma_.lower() in cue("system_nouns") and len({m.key for m in named}) == 1:
                # "Ibaraki became the first ..., as a partnership system ... took effect"
                return [ctx.jurisdiction(named[0])]
    keys = {m.key for m in places}
    specific = [m for m in places if not any(m.key in ctx.gaz.ancestors(k) for k in keys)]
    out, seen = [], set()
    for m in specific:
        if ctx.gaz.jurisdictions[m.key]["kind"] != "country" and m.key not in seen:
            seen.add(m.key)
            out.append(ctx.jurisdiction(m))
    return out


def _places_in(ctx: ArticleContext, s: Sentence, head: Token) -> list[Mention]:
    subtree = {t.i for t in head.subtree}
    found = []
    for m in s.of("jurisdiction"):
        if m.span.root.i not in subtree:
            continue
        path = path_to_root(m.span.root)
        inner = path[: path.index(head)] if head in path else []
        if all(t.dep_ in _CONTAINER_DEPS for t in inner):
            found.append(m)
    return found


def _generic_place(ctx: ArticleContext, s: Sentence, sub: Token) -> Ref | None:
    """ "The capital", "the ward", "the prefecture": the place the article is about."""
    words = {t.lower_ for t in sub.subtree}
    if (
        words & {"capital", "ward", "city", "prefecture", "metropolis", "district", "government"}
        and "the" in words
    ):
        main = ctx.main_jurisdiction()
        return ctx.ref(main) if main else None
    return None


def _future(verb: Token) -> bool:
    """'will start', 'would start', 'plans to launch', 'is set to begin'."""
    words = {c.lower_ for c in verb.children if c.dep_ == "aux"}
    heads = {a.lemma_.lower() for a in list(verb.ancestors)[:2]}
    return bool(words & {"will", "would", "'ll", "shall"}) or bool(
        heads & {"plan", "set", "expect", "aim"}
    )


def _date_near(s: Sentence, verb: Token) -> DateExpr | None:
    """The date in the verb's own clause; "has begun" with none means lately."""
    lo, hi = s.char(verb.left_edge), s.char(verb.right_edge) + len(verb.right_edge)
    inside = [d for d in s.dates if lo <= d[0] < hi]
    if inside:
        expr = inside[0][2]
        if _future(verb) and not expr.is_absolute:
            expr = replace(expr, future=True)
        return expr
    root = verb.sent.root
    if root.i != verb.i and root in verb.ancestors:
        # "Ibaraki on Monday became the first prefecture to introduce ...": a date that
        # modifies the main verb dates the clause that hangs from it
        for child in root.children:
            lo, hi = s.char(child.left_edge), s.char(child.right_edge) + len(child.right_edge)
            direct = [d for d in s.dates if lo <= d[0] < hi and child.dep_ in ("prep", "npadvmod")]
            if direct:
                return direct[0][2]
    if any(
        c.dep_ == "aux" and c.lemma_ == "have" and c.tag_ in ("VBZ", "VBP") for c in verb.children
    ):
        return DateExpr("recent", verb.text)
    return None


@cache
def _matchers() -> dict[str, Matcher]:
    nlp = load()
    out = {}
    for name, patterns in load_json("patterns.json")["matcher"].items():
        m = Matcher(nlp.vocab)
        m.add(name, patterns)
        out[name] = m
    return out


def _numbers(s: Sentence, name: str) -> list[tuple[int, Token]]:
    found = []
    for _, start, end in _matchers()[name](s.span.as_doc()):
        span = s.span[start:end]
        nums = [t for t in span if t.like_num and re.fullmatch(r"[\d,]+", t.text)]
        if nums:
            found.append((int(nums[0].text.replace(",", "")), nums[0]))
    return found


def extract_applicants(ctx: ArticleContext) -> Iterator[Fact]:
    for s in ctx.sentences:
        for count, _ in _numbers(s, "applicants"):
            place = ctx.topic_place(s)
            if place is not None:
                yield Fact(
                    "applicants",
                    (("jurisdiction", place), ("count", count)),
                    ctx.evidence(s.index),
                    "policies",
                )


def extract_min_age(ctx: ArticleContext) -> Iterator[Fact]:
    for s in ctx.sentences:
        for age, token in _numbers(s, "min_age"):
            nxt = token.nbor(1).lower_ if token.i + 1 < len(token.doc) else ""
            if nxt in ("couples", "people", "percent", "%", "applications", "pairs"):
                continue
            place = ctx.topic_place(s)
            if place is not None and 0 < age < 130:
                yield Fact(
                    "min_age",
                    (("jurisdiction", place), ("age", age)),
                    ctx.evidence(s.index),
                    "policies",
                )


def extract_benefits(ctx: ArticleContext) -> Iterator[Fact]:
    for s in ctx.sentences:
        hits = _benefit_hits(ctx, s)
        if not hits:
            continue
        positive_context = has_cue(s.span, "system_nouns") or bool(
            lemmas(s.span) & cue("positive_context")
        )
        place = ctx.topic_place(s)
        if place is None:
            continue
        seen: set[str] = set()
        for benefit, token in hits:
            granted = not is_negated(token)
            if benefit in seen or (granted and not positive_context):
                continue
            seen.add(benefit)
            yield Fact(
                "benefit",
                (("jurisdiction", place), ("benefit", benefit), ("granted", granted)),
                ctx.evidence(s.index),
                "policies",
            )


@cache
def _benefit_matcher() -> PhraseMatcher:
    nlp = load()
    # by lemma, so "hospitals" and "visas" match the patterns "hospital" and "visa"
    m = PhraseMatcher(nlp.vocab, attr="LEMMA")
    for bid, row in sorted(gazetteer().benefits.items()):
        m.add(bid, list(nlp.pipe(row["patterns"])))
    return m


def _benefit_hits(ctx: ArticleContext, s: Sentence) -> list[tuple[str, Token]]:
    doc = s.span.as_doc()
    matches = _benefit_matcher()(doc)
    # longest match wins where two overlap ("health insurance" over "health")
    matches = sorted(matches, key=lambda m: (m[1], -(m[2] - m[1])))
    out, taken = [], -1
    for match_id, start, end in matches:
        if start < taken:
            continue
        taken = end
        token = s.span[start + (end - start) - 1]
        out.append((load().vocab.strings[match_id], token))
    return out
