"""Extraction: articles in, facts with their evidence out.

Each extractor is a function ``(ArticleContext) -> Iterable[Fact]`` registered in
EXTRACTORS by name; ``extract`` parses articles in batches with spaCy and runs them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace

from kg.extract import couples, officials, places, policies, polls, quotes, rulings
from kg.extract.context import PARAGRAPH_BREAK, ArticleContext, build
from kg.model import Article, Fact
from kg.nlp import load

Extractor = Callable[[ArticleContext], Iterable[Fact]]

EXTRACTORS: dict[str, Extractor] = {
    "places": places.extract,
    "officials": officials.extract,
    "couples": couples.extract_couples,
    "certificates": couples.extract_certificates,
    "systems": policies.extract_systems,
    "applicants": policies.extract_applicants,
    "eligibility": policies.extract_min_age,
    "benefits": policies.extract_benefits,
    "rulings": rulings.extract,
    "polls": polls.extract,
    "quotes": quotes.extract,
}


def paragraphs(text: str) -> list[tuple[int, str]]:
    """The paragraphs of an article body with their offsets."""
    out, pos = [], 0
    for part in text.split(PARAGRAPH_BREAK):
        if part.strip():
            out.append((pos, part))
        pos += len(part) + len(PARAGRAPH_BREAK)
    return out


def extract_article(article: Article, docs: list | None = None) -> list[Fact]:
    """Every fact the registered extractors find in one article."""
    if docs is None:
        nlp = load()
        docs = [(off, nlp(p)) for off, p in paragraphs(article.text)]
    ctx = build(article, docs)
    facts: dict[Fact, None] = {}  # ordered, without repeats
    for name, extractor in EXTRACTORS.items():
        facts.update(dict.fromkeys(replace(f, extractor=name) for f in extractor(ctx)))
    return list(facts)


def extract(
    articles: Iterable[Article], batch_size: int = 64
) -> Iterator[tuple[Article, list[Fact]]]:
    """Parse articles with nlp.pipe (paragraph by paragraph) and extract their facts."""
    nlp = load()
    for article in articles:
        paras = paragraphs(article.text)
        parsed = nlp.pipe((p for _, p in paras), batch_size=batch_size)
        docs = list(zip((o for o, _ in paras), parsed, strict=True))
        yield article, extract_article(article, docs)
