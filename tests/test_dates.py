"""kg.dates: finding date expressions, reading them against the article's date, and back."""
from __future__ import annotations

import pytest

from kg.dates import DateExpr, find_dates, invert, parse_iso, resolve_expr
from kg.model import PartialDate

P = PartialDate
DAY = P(2022, 11, 3)  # a Thursday
MONTH = P(2022, 11)
YEAR = P(2022)
JANUARY = P(2023, 1)


def only(text: str) -> DateExpr:
    """The one date expression in ``text``."""
    found = find_dates(text)
    assert len(found) == 1, found
    return found[0][2]


def precision(d: PartialDate) -> int:
    return 1 + (d.month is not None) + (d.day is not None)


# --- finding ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "said"),
    [
        ("Tokyo began issuing certificates on Tuesday, a move.", "weekday", "on Tuesday"),
        ("last year's landmark verdict", "last_year", "last year"),
        ("a court ruling in June that", "month", "in June"),
        ("a district court ruled earlier this year that", "this_year", "earlier this year"),
        ("Watanabe said last month that", "last_month", "last month"),
        ("Jan. 29 was the deadline", "md", "Jan. 29"),
        ("since April 2015", "absolute", "April 2015"),
        ("on November 5, 2015 in Tokyo", "absolute", "November 5, 2015"),
        ("on 5 November 2015 in Tokyo", "absolute", "5 November 2015"),
        ("A 2021 survey by NHK", "absolute", "2021"),
    ],
)
def test_find_dates_kind_and_span(text: str, kind: str, said: str) -> None:
    ((start, end, expr),) = find_dates(text)
    assert expr.kind == kind
    assert text[start:end] == expr.text == said


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("November 5, 2015", P(2015, 11, 5)),
        ("Nov. 5, 2015", P(2015, 11, 5)),
        ("5 November 2015", P(2015, 11, 5)),
        ("2022-11-01", P(2022, 11, 1)),
        ("since April 2015", P(2015, 4)),
        ("in 2015", P(2015)),
    ],
)
def test_absolute_dates_keep_their_precision(text: str, value: PartialDate) -> None:
    expr = only(text)
    assert expr.is_absolute
    assert expr.value == value
    # an absolute date needs no anchor and ignores any
    assert resolve_expr(expr, None) == resolve_expr(expr, DAY) == value


def test_month_and_day_without_year() -> None:
    expr = only("The plan was approved on Jan. 29.")
    assert (expr.kind, expr.month, expr.day) == ("md", 1, 29)
    assert resolve_expr(expr, DAY) == P(2022, 1, 29)


@pytest.mark.parametrize(
    "text",
    [
        "Some hope this may be a step towards equality.",
        "It may take years, and they may not wait.",
        "May be, may be not.",
    ],
)
def test_the_verb_may_is_not_a_month(text: str) -> None:
    assert find_dates(text) == []


def test_the_month_may_is_a_month() -> None:
    assert only("The ward began in May, after a vote.").month == 5
    assert only("It began in May 2015.").value == P(2015, 5)


def test_an_impossible_date_resolves_to_nothing() -> None:
    assert all(resolve_expr(e, DAY) is None for _, _, e in find_dates("on Feb. 30, 2022"))


def test_dates_come_left_to_right_without_overlap() -> None:
    text = "Shibuya began on November 5, 2015, Tokyo last year, and Osaka in June."
    found = find_dates(text)
    assert [e.text for _, _, e in found] == ["November 5, 2015", "last year", "in June"]
    spans = [(s, e) for s, e, _ in found]
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))


def test_mid_month_is_found() -> None:
    assert only("The ordinance took effect in mid-June.").month == 6


# --- resolving against the article's date ---------------------------------------------


@pytest.mark.parametrize(
    ("anchor", "expected"),
    [
        (DAY, P(2022, 11, 1)),  # the Tuesday before Thursday 3 November
        (P(2022, 11, 1), P(2022, 11, 1)),  # the article's own day is a Tuesday
        (P(2022, 1, 2), P(2021, 12, 28)),  # the week before crosses the new year
        (MONTH, P(2022)),  # no day: only the year is sure
        (YEAR, P(2022)),
        (JANUARY, None),  # in January the Tuesday may be December's: nothing is sure
        (None, None),
    ],
)
def test_on_tuesday(anchor: PartialDate | None, expected: PartialDate | None) -> None:
    assert resolve_expr(only("They received it on Tuesday."), anchor) == expected


@pytest.mark.parametrize(
    ("text", "anchor", "expected"),
    [
        ("last year", DAY, P(2021)),
        ("last year", YEAR, P(2021)),
        ("earlier this year", DAY, P(2022)),
        ("earlier this year", YEAR, P(2022)),
        ("last month", DAY, P(2022, 10)),
        ("last month", P(2023, 1, 15), P(2022, 12)),  # January: December of the year before
        ("last month", JANUARY, P(2022, 12)),
        ("last month", YEAR, None),  # which month is unknowable
        ("earlier this month", MONTH, P(2022, 11)),
        ("earlier this month", YEAR, None),
        ("in June", DAY, P(2022, 6)),  # June before the anchor's month: this year
        ("in June", P(2022, 3, 10), P(2021, 6)),  # June after it: the year before
        ("in June", P(2022, 6, 20), P(2022, 6)),
        ("in November", MONTH, P(2022, 11)),
        ("in December", JANUARY, P(2022, 12)),
        ("Jan. 29", P(2022, 11, 3), P(2022, 1, 29)),
        ("Dec. 24", P(2023, 1, 5), P(2022, 12, 24)),
        ("today", DAY, DAY),
        ("today", MONTH, MONTH),
    ],
)
def test_relative_dates(text: str, anchor: PartialDate, expected: PartialDate | None) -> None:
    assert resolve_expr(only(text), anchor) == expected


@pytest.mark.parametrize("text", ["on Tuesday", "last year", "this year", "last month",
                                  "this month", "in June", "Jan. 29", "today"])
def test_a_relative_date_needs_an_anchor(text: str) -> None:
    assert resolve_expr(only(text), None) is None


ANCHORS = [P(2022, 11, 3), P(2022, 1, 2), P(2022, 11), P(2023, 1), P(2022)]
RELATIVE = ["on Tuesday", "last Friday", "last year", "earlier this year", "last month",
            "later this month", "in June", "since March", "today", "this morning"]


@pytest.mark.parametrize("anchor", ANCHORS, ids=str)
@pytest.mark.parametrize("text", RELATIVE)
def test_never_more_precise_than_text_and_anchor_allow(text: str, anchor: PartialDate) -> None:
    expr = only(text)
    result = resolve_expr(expr, anchor)
    if result is None:
        return
    text_precision = {"month": 2, "md": 3}.get(expr.kind, 1)
    assert precision(result) <= max(precision(anchor), text_precision)
    if expr.kind in ("last_year", "this_year"):
        assert precision(result) == 1
    # whatever it names lies no later than the article (news reports the past)
    assert result.year <= anchor.year


def test_recent_reads_as_the_anchors_year() -> None:
    # "has begun" says lately, not which day or month
    recent = DateExpr("recent", "has begun")
    assert resolve_expr(recent, DAY) == YEAR
    assert resolve_expr(recent, YEAR) == YEAR
    assert resolve_expr(recent, P(2023, 1, 2)) is None  # lately may be last December


# --- inverting: dating an article by an event another article dates ---------------------


@pytest.mark.parametrize(
    ("text", "event", "article"),
    [
        ("last year", P(2021, 3, 17), P(2022)),
        ("earlier this year", P(2022, 6, 20), P(2022)),
        ("in June", P(2022, 6, 20), P(2022)),
        ("on Tuesday", P(2022, 11, 1), P(2022, 11, 1)),
        ("last month", P(2022, 12), P(2023, 1)),
        ("last month", P(2022, 6), P(2022, 7)),
        ("earlier this month", P(2022, 6, 20), P(2022, 6)),
    ],
)
def test_invert(text: str, event: PartialDate, article: PartialDate) -> None:
    expr = only(text)
    assert invert(expr, event) == article
    # and the article's date reads the expression back as the event (to the precision known)
    back = resolve_expr(expr, article)
    assert back is not None and event.refines(back)


def test_invert_absolute_tells_nothing() -> None:
    assert invert(only("on November 5, 2015"), P(2015, 11, 5)) is None


def test_invert_month_relative_needs_the_events_month() -> None:
    assert invert(only("last month"), P(2022)) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2022-11-01T09:00:00+09:00", P(2022, 11, 1)),
        ("2022-11", P(2022, 11)),
        ("2022", P(2022)),
        ("2022-02-30", None),
        ("yesterday", None),
    ],
)
def test_parse_iso(text: str, value: PartialDate | None) -> None:
    assert parse_iso(text) == value
