"""Dates as the text states them: absolute, or relative to when the article was written.

A ``DateExpr`` keeps what the text said ("on Tuesday", "last year", "in June") until
the resolve stage knows the article's reference date; ``resolve_expr`` then gives a
``PartialDate`` never more precise than the text and the reference date allow.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from kg.model import PartialDate
from kg.resources import load_json

# Month names are matched capitalised only, so the verb "may" is never a month.
MONTHS = {name: i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name: i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["Sept"] = 9
WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}

_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"


def _load_patterns() -> list[tuple[str, re.Pattern[str]]]:
    patterns = []
    for p in load_json("dates.json")["patterns"]:
        flags = re.I if p["ignore_case"] else 0
        patterns.append((p["kind"], re.compile(p["regex"].replace("{MONTH}", _MONTH), flags)))
    return patterns


_PATTERNS = _load_patterns()


@dataclass(frozen=True)
class DateExpr:
    """What the text said about a date.

    kind: "absolute" (value holds the PartialDate) or one of the relative kinds
    (last_year, this_year, last_month, this_month, weekday, today, month, md, and
    recent for a present perfect with no date: "has begun").
    """

    kind: str
    text: str
    value: PartialDate | None = None
    month: int | None = None
    day: int | None = None
    weekday: int | None = None
    future: bool = False  # "will start in November": the next November, not the last

    @property
    def is_absolute(self) -> bool:
        return self.kind == "absolute"


def find_dates(text: str) -> list[tuple[int, int, DateExpr]]:
    """Every date expression in ``text`` as (start, end, expr), left to right, not overlapping."""
    found: list[tuple[int, int, DateExpr]] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            expr = _to_expr(kind, m)
            if expr is None:
                continue
            taken.append((m.start(), m.end()))
            found.append((m.start(), m.end(), expr))
    return sorted(found, key=lambda t: t[0])


def _to_expr(kind: str, m: re.Match[str]) -> DateExpr | None:
    g = m.groupdict()
    text = m.group(0)
    month = MONTHS.get((g.get("month") or "").rstrip("."))
    if kind == "iso":
        return DateExpr("absolute", text, _valid(int(g["year"]), int(g["m"]), int(g["d"])))
    if kind in ("mdy", "dmy"):
        return DateExpr("absolute", text, _valid(int(g["year"]), month, int(g["day"])))
    if kind == "my":
        return DateExpr("absolute", text, PartialDate(int(g["year"]), month))
    if kind == "year":
        return DateExpr("absolute", text, PartialDate(int(g.get("year") or g["year2"])))
    if kind == "md":
        return DateExpr("md", text, month=month, day=int(g["day"]))
    if kind == "month":
        return DateExpr("month", text, month=month)
    if kind in ("month_last_year", "month_this_year"):
        return DateExpr(kind, text, month=month)
    if kind == "weekday":
        return DateExpr("weekday", text, weekday=WEEKDAYS[g["weekday"].lower()])
    return DateExpr(kind, text)


def _valid(year: int, month: int | None, day: int | None) -> PartialDate | None:
    try:
        date(year, month or 1, day or 1)
    except ValueError:
        return None
    return PartialDate(year, month, day)


def parse_iso(text: str) -> PartialDate | None:
    """An ISO date or date-time prefix ("2022-11-01T09:00:00+09:00", "2022-11", "2022")."""
    m = re.match(r"\s*((?:19|20)\d\d)(?:-(\d\d)(?:-(\d\d))?)?", text or "")
    if not m:
        return None
    year, month, day = (int(p) if p else None for p in m.groups())
    return _valid(year, month, day) if month else PartialDate(year)  # type: ignore[arg-type]


def resolve_expr(expr: DateExpr, anchor: PartialDate | None) -> PartialDate | None:
    """The date ``expr`` names, read against the article's reference date ``anchor``.

    The result is never more precise than both allow: "on Tuesday" against an anchor
    known only to the year gives that year, not a guessed day.
    """
    if expr.is_absolute:
        return expr.value
    if anchor is None:
        return None
    y, m, d = anchor.year, anchor.month, anchor.day
    if expr.kind == "last_year":
        return PartialDate(y - 1)
    if expr.kind == "month_last_year":
        return PartialDate(y - 1, expr.month)
    if expr.kind == "month_this_year":
        return PartialDate(y, expr.month)
    if expr.kind == "this_year":
        return PartialDate(y)
    if expr.kind in ("last_month", "this_month"):
        if m is None:
            return None
        if expr.kind == "this_month":
            return PartialDate(y, m)
        return PartialDate(y - 1, 12) if m == 1 else PartialDate(y, m - 1)
    if expr.kind == "today":
        return anchor
    if expr.kind == "recent":  # "has begun": lately; the text says no more than the year
        return PartialDate(y) if m is None or m > 1 else None
    if expr.kind == "weekday":
        if d is None or m is None:
            # The day lies within the week before the article: its year is the anchor's
            # unless the anchor is a January, when it may be the December before.
            return None if m == 1 else PartialDate(y)
        # News says "on Tuesday" for the latest such day on or before the article's date.
        anchor_day = date(y, m, d)
        back = (anchor_day.weekday() - (expr.weekday or 0)) % 7
        day = anchor_day - timedelta(days=back)
        return PartialDate(day.year, day.month, day.day)
    if expr.kind in ("month", "md"):
        month = expr.month or 1
        # "in June" is this year's June when it has come; "last June" is always past
        current = month < m if m is not None and expr.text.lower().startswith("last") else None
        year = y if m is None or (current if current is not None else month <= m) else y - 1
        if expr.future and m is not None:
            year = y if month >= m else y + 1
        if expr.kind == "md" and expr.day:
            return _valid(year, month, expr.day)
        return PartialDate(year, month)
    return None


def invert(expr: DateExpr, event: PartialDate) -> PartialDate | None:
    """When an article must have been written, given that ``expr`` in it names ``event``
    (known from another article): "last year" for a 2021 ruling means 2022."""
    if expr.is_absolute:
        return None
    if expr.kind in ("weekday", "today", "recent"):
        return event
    if expr.kind in ("last_year", "month_last_year"):
        return PartialDate(event.year + 1)
    if expr.kind == "month_this_year":
        return PartialDate(event.year)
    if expr.kind in ("this_year", "month", "md"):
        return PartialDate(event.year)
    if expr.kind == "this_month" and event.month:
        return PartialDate(event.year, event.month)
    if expr.kind == "last_month" and event.month:
        return (
            PartialDate(event.year + 1, 1)
            if event.month == 12
            else PartialDate(event.year, event.month + 1)
        )
    return None
