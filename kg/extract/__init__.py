"""Extraction: articles in, facts with their evidence out.

Each extractor is a function ``(ArticleContext) -> Iterable[Fact]`` registered in
EXTRACTORS by name; ``extract`` parses articles in batches with spaCy and runs them all.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace

from spacy.tokens import Doc

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
    """Parse articles with nlp.pipe and extract their facts, each article as soon as its
    last paragraph is parsed.

    The paragraphs of all the articles flow through one nlp.pipe in batches of
    ``batch_size`` (a batch may span articles: a parse does not depend on its batch), so
    only the Docs of the articles in the current batch are held at any time.
    """
    nlp = load()
    waiting: deque[tuple[Article, list[tuple[int, str]]]] = deque()  # read, not yet extracted

    def texts() -> Iterator[str]:
        for article in articles:
            paras = paragraphs(article.text)
            waiting.append((article, paras))
            yield from (p for _, p in paras)

    def finished(docs: list[Doc]) -> tuple[Article, list[Fact]]:
        article, paras = waiting.popleft()
        offsets = (o for o, _ in paras)
        return article, extract_article(article, list(zip(offsets, docs, strict=True)))

    parsed: list[Doc] = []
    for doc in nlp.pipe(texts(), batch_size=batch_size):
        while not waiting[0][1]:  # an article without a paragraph to parse
            yield finished([])
        parsed.append(doc)
        if len(parsed) == len(waiting[0][1]):
            yield finished(parsed)
            parsed = []
    while waiting:
        yield finished([])
