"""Lexical cues (kg/data/cues.json) and the small syntactic tests built on them."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from spacy.tokens import Span, Token

from kg.resources import load_json

VERBISH = {"VERB", "AUX"}


@cache
def cue(name: str) -> frozenset[str]:
    """A cue list from kg/data/cues.json, lower-cased."""
    return frozenset(w.lower() for w in load_json("cues.json")[name])


def generic_places() -> dict[str, str]:
    return dict(load_json("cues.json")["generic_places"])


def lemmas(span: Span | Iterable[Token]) -> set[str]:
    return {t.lemma_.lower() for t in span} | {t.lower_ for t in span}


def has_cue(span: Span, name: str) -> bool:
    return bool(lemmas(span) & cue(name))


def tokens_with(span: Span, name: str) -> list[Token]:
    words = cue(name)
    return [t for t in span if t.lemma_.lower() in words or t.lower_ in words]


def is_negated(token: Token, stop: Token | None = None) -> bool:
    """Whether ``token`` sits under a negation: a negative word on its way up to (and
    including) the first verb that governs it ("will not help with adoption", "lack of
    spousal visa status", "is not guaranteed")."""
    negative = cue("negative_words")
    node = token
    seen = 0
    while seen < 12:
        seen += 1
        if node.i != token.i:
            if node.lower_ in negative or node.lemma_.lower() in negative:
                return True
            if any(
                c.dep_ == "neg" or c.lower_ in ("not", "n't", "never", "no") for c in node.children
            ):
                return True
            if node.pos_ in VERBISH:
                # "carry no legal weight in matters such as inheritance"
                return any(
                    c.dep_ in ("dobj", "attr")
                    and (
                        c.lower_ in ("none", "nothing") or any(d.lower_ == "no" for d in c.children)
                    )
                    for c in node.children
                )
        if (stop is not None and node.i == stop.i) or node.head.i == node.i:
            return False
        node = node.head
    return False


def path_to_root(token: Token) -> list[Token]:
    out = [token]
    while out[-1].head.i != out[-1].i and len(out) < 40:
        out.append(out[-1].head)
    return out
