"""Jurisdictions named in the text (their kind and parent come from the gazetteer)."""

from __future__ import annotations

from collections.abc import Iterator

from kg.extract.context import ArticleContext
from kg.model import Fact


def extract(ctx: ArticleContext) -> Iterator[Fact]:
    seen: set[str] = set()
    for s in ctx.sentences:
        for m in s.of("jurisdiction"):
            row = ctx.gaz.jurisdictions.get(m.key or "", {})
            if row.get("learned") and (m.key, "new") not in seen:
                # "the Ibaraki city of Tsukuba": a municipality the gazetteer lacks
                seen.add((m.key, "new"))  # type: ignore[arg-type]
                args = (("jurisdiction", ctx.jurisdiction(m)), ("parent", row.get("parent") or ""))
                yield Fact("new_place", args, ctx.evidence(s.index), "places")
            if m.key and m.key not in seen:
                seen.add(m.key)
                yield Fact(
                    "place",
                    (("jurisdiction", ctx.jurisdiction(m)),),
                    ctx.evidence(s.index),
                    "places",
                )
