"""Officials: a title next to a name ("Tokyo Governor Yuriko Koike", "Shibuya mayor Ken
Hasebe", "Noboru Watanabe, a local assemblyman for the Liberal Democratic Party",
"Japan's new education minister, Hiroshi Hase")."""

from __future__ import annotations

from collections.abc import Iterator

from kg.extract.context import ArticleContext, Mention, Sentence
from kg.extract.cues import cue
from kg.model import Fact, Ref
from kg.resources import load_json

COUNTRY = "japan"


def extract(ctx: ArticleContext) -> Iterator[Fact]:
    for s in ctx.sentences:
        persons = s.of("person")
        for role in s.of("role"):
            holder = _holder(s, role, persons)
            if holder is None:
                continue
            args: list[tuple[str, object]] = [
                ("holder", ctx.person(holder.text)),
                ("role", role.key),
            ]
            place = _jurisdiction(ctx, s, role)
            if place is not None:
                args.append(("jurisdiction", place))
            party = _party(ctx, s, holder, role)
            if party is not None:
                args.append(("party", party))
            yield Fact("office", tuple(args), ctx.evidence(s.index), "officials")


def _holder(s: Sentence, role: Mention, persons: list[Mention]) -> Mention | None:
    doc = role.span.doc
    after = role.span.end
    for p in persons:
        # "Governor Yuriko Koike", "minister, Hiroshi Hase"
        gap = doc[after : p.span.start]
        if p.span.start >= after and len(gap) <= 1 and all(t.text in (",", "-") for t in gap):
            return p
    for p in reversed(persons):
        # "Noboru Watanabe, a local assemblyman": the title in an apposition to the name
        if p.span.end <= role.span.start:
            gap = doc[p.span.end : role.span.start]
            if (
                len(gap) <= 6
                and gap[0].text in (",", "(", "-", "–", "—")
                and not any(t.pos_ in ("VERB", "AUX") or t.ent_type_ == "PERSON" for t in gap)
            ):
                return p
            break
    return None


def _jurisdiction(ctx: ArticleContext, s: Sentence, role: Mention) -> Ref | None:
    """The place the office belongs to: a place named just before the title ("Tokyo
    Governor", "Japan's new education minister") or after it ("mayor of Shibuya");
    national offices belong to the country."""
    doc = role.span.doc
    scope = ctx.gaz.roles.get(role.key or "", {}).get("scope")
    for m in s.of("jurisdiction"):
        if role.span.start <= m.span.start < role.span.end:  # "member of the Kobe city assembly"
            return _fit(ctx, m, scope)
        before = doc[m.span.end : role.span.start]
        after = doc[role.span.end : m.span.start]
        near_before = (
            m.span.end <= role.span.start
            and len(before) <= 3
            and all(
                t.text in ("'s", "’s")
                or t.pos_ in ("ADJ", "NOUN", "PROPN")
                and t.ent_type_ != "PERSON"
                for t in before
            )
        )
        near_after = (
            m.span.start >= role.span.end
            and len(after) <= 3
            and (
                len(after) > 0 and after[0].lower_ == "of" and all(t.pos_ != "VERB" for t in after)
            )
        )
        if near_before or near_after:
            return _fit(ctx, m, scope)
    scope = scope or _implied_scope(ctx, s, role)
    if scope == "country":
        country = ctx.gaz.jurisdictions.get(COUNTRY)
        if country is not None:
            return Ref("jurisdiction", country["label"], COUNTRY)
    # "Mayor Kenji Hamada" in an article that names one city: that city's mayor
    main = ctx.main_jurisdiction()
    if main and scope and ctx.gaz.jurisdictions[main]["kind"] == scope:
        return ctx.ref(main)
    if scope in ("prefecture", "municipality"):
        kinds = {
            m.key
            for sent in ctx.sentences
            for m in sent.of("jurisdiction")
            if ctx.gaz.jurisdictions[m.key]["kind"] == scope
        }
        if len(kinds) == 1:
            return ctx.ref(kinds.pop())
    return None


def _implied_scope(ctx: ArticleContext, s: Sentence, role: Mention) -> str | None:
    """The level of an office whose title does not say it: a lawmaker "in the upper
    house" sits in the Diet, a "city assemblyman" in the city; an aide or secretary
    serves the national office named beside them ("the prime minister's aide")."""
    text = s.text.lower()
    if any(w in text for w in cue("national_assembly")) and role.key == "assembly-member":
        return "country"
    for kind, words in load_json("cues.json")["local_assembly"].items():
        if role.key == "assembly-member" and any(w in text for w in words):
            return kind
    others = [
        ctx.gaz.roles.get(r.key or "", {}).get("scope") for r in s.of("role") if r is not role
    ]
    if role.key in ("secretary", "spokesperson") and "country" in others:
        return "country"
    return None


def _fit(ctx: ArticleContext, m: Mention, scope: str | None) -> Ref:
    """A governor governs the prefecture, a mayor the city, when both share a name."""
    key = m.key
    for other in ctx.gaz.same_name.get(m.text, []):
        if scope and ctx.gaz.jurisdictions[other]["kind"] == scope:
            key = other
    return Ref("jurisdiction", ctx.gaz.jurisdictions[key]["label"], key)


def _party(ctx: ArticleContext, s: Sentence, holder: Mention, role: Mention) -> Ref | None:
    lo = min(holder.span.start, role.span.start)
    hi = role.span.end + 8
    for org in s.of("organization"):
        kind = ctx.gaz.organizations.get(org.key or "", {}).get("kind")
        if kind == "party" and lo <= org.span.start <= hi:
            label = ctx.gaz.organizations[org.key]["label"]
            return Ref("organization", label, org.key)
    return None
