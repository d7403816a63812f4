"""Plain data passed between the pipeline stages.

ingest -> Article; extract -> Fact (with Evidence); resolve -> Entity + merged facts;
only kg.graph turns these into triples.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Article:
    """One cleaned news article.

    ``text`` is the cleaned body: paragraphs joined by a blank line ("\\n\\n"). Every
    character offset anywhere in kg refers to this string.
    """

    id: str  # ASCII slug, unique in a corpus, never starting with a digit ("a000-02837431f6c6951d")
    source: str  # the file it came from, as given (plus "#N" for the N-th record of a JSONL file)
    text: str
    title: str | None = None
    url: str | None = None
    published: str | None = None  # ISO 8601: "2022-11-01", "2022-11" or "2022"
    date_hints: tuple[
        str, ...
    ] = ()  # ISO dates the page states outside the body: captions, copyright, dateline


@dataclass(frozen=True, order=True)
class PartialDate:
    """A calendar date known only to the precision the text gives."""

    year: int
    month: int | None = None
    day: int | None = None

    def iso(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        parts = [int(p) for p in text.split("-")]
        return cls(*parts)  # type: ignore[arg-type]

    def refines(self, other: PartialDate) -> bool:
        """True when self is other or a more precise date inside it."""
        return all(o is None or s == o for s, o in zip(self._parts(), other._parts(), strict=False))

    def compatible(self, other: PartialDate) -> bool:
        return self.refines(other) or other.refines(self)

    def _parts(self) -> tuple[int | None, int | None, int | None]:
        return (self.year, self.month, self.day)


@dataclass(frozen=True)
class Evidence:
    """The sentence that states a fact: ``article.text[start:end] == text``."""

    article: str  # Article.id
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Ref:
    """A mention of an entity as the extractor saw it, before resolution.

    kind: person | jurisdiction | court | organization
    key: the gazetteer id when the name is in a gazetteer (jurisdictions, courts,
    organisations), else None.
    """

    kind: str
    name: str
    key: str | None = None


@dataclass(frozen=True)
class Fact:
    """One extracted statement.

    kind names the relation (each has a handler in kg.resolve); args holds its participants
    and values: Refs, PartialDates, ints, floats, bools and strings.
    """

    kind: str
    args: tuple[tuple[str, object], ...]
    evidence: Evidence
    extractor: str = ""

    def get(self, name: str, default: object = None) -> object:
        for key, value in self.args:
            if key == name:
                return value
        return default


@dataclass
class Entity:
    """A resolved real-world entity with one IRI."""

    kind: str  # person | jurisdiction | court | organization | couple | office | ...
    slug: str  # local name under the kind's IRI path, ASCII, no leading digit
    label: str
    key: str | None = None
    aliases: set[str] = field(default_factory=set)
    attrs: dict[str, object] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True, order=True)
class NodeRef:
    """A pointer to a resolved node: its kind (IRI path segment) and slug."""

    kind: str
    slug: str


@dataclass
class Support:
    """Why a claim is in the graph: the sentences that state it and who found it."""

    evidence: list[Evidence] = field(default_factory=list)
    extractors: set[str] = field(default_factory=set)

    def add(self, evidence: Evidence, extractor: str) -> None:
        if evidence not in self.evidence:
            self.evidence.append(evidence)
        self.extractors.add(extractor)


@dataclass
class Node:
    """A resolved entity or fact, with every claim about it and the claim's support.

    cls is the ontology class's local name ("Prefecture", "Ruling"); claims maps
    (property local name, value) to its Support, where a value is a NodeRef, a
    PartialDate, or a str / int / float / bool literal.
    """

    ref: NodeRef
    cls: str
    label: str
    claims: dict[tuple[str, object], Support] = field(default_factory=dict)

    def claim(self, prop: str, value: object, evidence: Evidence, extractor: str) -> None:
        self.claims.setdefault((prop, value), Support()).add(evidence, extractor)

    def values(self, prop: str) -> list[object]:
        return [v for (p, v) in self.claims if p == prop]
