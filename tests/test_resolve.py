"""kg.resolve: one node per real-world entity or event, on the seed build and on small
hand-made facts; and the slugs that name the nodes."""
from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.dates import DateExpr, find_dates
from kg.model import Article, Evidence, Fact, Node, NodeRef, PartialDate, Ref
from kg.resolve import KnowledgeBase, resolve, slug

SLUG = re.compile(r"[a-z][a-z0-9-]*")
SINGLE_VALUED = ("startDate", "issueDate", "rulingDate", "pollYear", "applicantCount",
                 "minimumAge", "supportPercent", "opposePercent", "outcome", "issuer")
DATE_PROPS = ("startDate", "issueDate", "rulingDate", "pollYear")


def nodes(kb: KnowledgeBase, cls: str) -> list[Node]:
    return [n for n in kb.sorted_nodes() if n.cls == cls]


def label(kb: KnowledgeBase, ref: object) -> str:
    assert isinstance(ref, NodeRef)
    return kb.nodes[ref].label


def articles_of(node: Node) -> set[str]:
    return {ev.article for support in node.claims.values() for ev in support.evidence}


def partners(kb: KnowledgeBase, couple: object) -> set[str]:
    assert isinstance(couple, NodeRef)
    return {label(kb, p) for p in kb.nodes[couple].values("partner")}


def precision(d: PartialDate) -> int:
    return 1 + (d.month is not None) + (d.day is not None)


# --- the seed build ---------------------------------------------------------------------


def test_one_node_per_person(seed_kb: KnowledgeBase) -> None:
    people = [n.label for n in nodes(seed_kb, "Person")]
    assert len(people) == len(set(people))
    full = [p for p in people if " " in p]
    # a surname or first name alone never stands beside the full name that contains it
    for short in (p for p in people if " " not in p):
        assert not [f for f in full if short in f.split()], short
    assert "Masuhara" not in people and "Yamamoto" not in people


def test_short_name_resolves_to_full_name(seed_kb: KnowledgeBase) -> None:
    (quote,) = [q for q in nodes(seed_kb, "Quotation") if "exhilarated" in q.label]
    (speaker,) = quote.values("speaker")
    assert label(seed_kb, speaker) == "Hiroko Masuhara"
    said = quote.claims[("speaker", speaker)].evidence
    assert all("Masuhara" in ev.text and "Hiroko" not in ev.text for ev in said)


def test_a_person_in_several_articles_is_one_node(seed_kb: KnowledgeBase) -> None:
    by_label = {n.label: n for n in nodes(seed_kb, "Person")}
    assert len(articles_of(by_label["Miki"])) >= 2
    assert len(articles_of(by_label["Soyoka Yamamoto"])) >= 2


def test_one_osaka_ruling(seed_kb: KnowledgeBase) -> None:
    osaka = [r for r in nodes(seed_kb, "Ruling")
             if any("Osaka" in label(seed_kb, c) for c in r.values("court"))]
    assert len(osaka) == 1
    (ruling,) = osaka
    (court,) = ruling.values("court")
    assert label(seed_kb, court) == "Osaka District Court"
    assert ruling.values("outcome") == [NodeRef("outcome", "constitutional")]
    # "a court in Osaka", "an Osaka court", "a district court in Osaka": three articles
    assert len(articles_of(ruling)) == 3
    # the court known only by its seat is gone, merged into the named court
    courts = nodes(seed_kb, "Court")
    seats = [c.values("seat") for c in courts]
    assert len(seats) == len({tuple(sorted(map(str, s))) for s in seats})
    assert all(c.values("courtLevel") or "Osaka" not in c.label for c in courts)


def test_certificate_of_yamamoto_and_yoriko_exists_once(seed_kb: KnowledgeBase) -> None:
    pair = {"Soyoka Yamamoto", "Yoriko"}
    certificates = [c for c in nodes(seed_kb, "Certificate")
                    if any(partners(seed_kb, to) == pair for to in c.values("issuedTo"))]
    assert len(certificates) == 1
    assert [label(seed_kb, i) for i in certificates[0].values("issuer")] == ["Tokyo"]
    couples = [c for c in nodes(seed_kb, "Couple") if partners(seed_kb, c.ref) == pair]
    assert len(couples) == 1


def test_every_couple_has_two_partners(seed_kb: KnowledgeBase) -> None:
    for couple in nodes(seed_kb, "Couple"):
        assert len(couple.values("partner")) == 2, couple.label


def test_tokyo_system_has_one_start_date(seed_kb: KnowledgeBase) -> None:
    (tokyo,) = [s for s in nodes(seed_kb, "PartnershipSystem")
                if [label(seed_kb, j) for j in s.values("adoptedBy")] == ["Tokyo"]]
    (start,) = tokyo.values("startDate")
    assert isinstance(start, PartialDate) and start.year == 2022


def test_single_valued_properties_have_one_value(seed_kb: KnowledgeBase) -> None:
    for node in seed_kb.sorted_nodes():
        for prop in SINGLE_VALUED:
            assert len(node.values(prop)) <= 1, (node.ref, prop, node.values(prop))


def test_sapporo_ruling_is_dated_by_year_only(seed_kb: KnowledgeBase) -> None:
    (sapporo,) = [r for r in nodes(seed_kb, "Ruling")
                  if any("Sapporo" in label(seed_kb, c) for c in r.values("court"))]
    # "last year's landmark verdict by a Sapporo court", in articles dated to the year
    assert sapporo.values("rulingDate") == [PartialDate(2021)]


def test_osaka_ruling_is_dated_by_month_only(seed_kb: KnowledgeBase) -> None:
    (osaka,) = [r for r in nodes(seed_kb, "Ruling")
                if any("Osaka" in label(seed_kb, c) for c in r.values("court"))]
    (when,) = osaka.values("rulingDate")
    assert isinstance(when, PartialDate) and when.day is None and when.month == 6


def allowed(kb: KnowledgeBase, ev: Evidence) -> int:
    """The most precise date a sentence can support: a date it states, or its article's
    reference date (relative words are read against that)."""
    best = precision(kb.anchors[ev.article]) if ev.article in kb.anchors else 0
    for _, _, expr in find_dates(ev.text):
        if expr.is_absolute and expr.value is not None:
            best = max(best, precision(expr.value))
        elif expr.kind in ("month", "md"):
            best = max(best, 2 if expr.kind == "month" else 3)
    return best


def test_dates_never_more_precise_than_the_text(seed_kb: KnowledgeBase) -> None:
    dated = 0
    for node in seed_kb.sorted_nodes():
        for prop in DATE_PROPS:
            for value in node.values(prop):
                assert isinstance(value, PartialDate)
                support = node.claims[(prop, value)].evidence
                assert precision(value) <= max(allowed(seed_kb, ev) for ev in support), (
                    node.ref, prop, value)
                dated += 1
    assert dated >= 5


def test_anchors_are_dates_the_articles_support(seed_kb: KnowledgeBase) -> None:
    assert set(seed_kb.anchors) <= set(seed_kb.articles)
    # the one seed whose page states a full date (in its captions) is anchored to that day
    dated = [a for a in seed_kb.articles.values() if any(len(h) == 10 for h in a.date_hints)]
    assert dated
    for article in dated:
        assert seed_kb.anchors[article.id].iso() in article.date_hints


# --- hand-made facts --------------------------------------------------------------------


def article(aid: str, published: str | None = None) -> Article:
    return Article(id=aid, source=f"{aid}.txt", text="x" * 200, published=published)


def fact(aid: str, kind: str, extractor: str = "test", **args: object) -> Fact:
    evidence = Evidence(aid, 0, 10, "x" * 10)
    return Fact(kind, tuple(args.items()), evidence, extractor)


def person(name: str) -> Ref:
    return Ref("person", name)


def absolute(text: str) -> DateExpr:
    ((_, _, expr),) = find_dates(text)
    return expr


TUESDAY = DateExpr("weekday", "on Tuesday", weekday=1)
OSAKA_COURT = Ref("court", "Osaka court", "seat:osaka-city")
OSAKA_DISTRICT = Ref("court", "Osaka District Court", "osaka-district-court")


def test_a_short_name_in_one_article_is_the_full_name_of_another() -> None:
    kb = resolve([
        (article("a1"), [fact("a1", "quote", speaker=person("Masuhara"), text="Hello there")]),
        (article("a2"), [fact("a2", "couple", a=person("Hiroko Masuhara"),
                              b=person("Koyuki Higashi"))]),
    ])
    assert [n.label for n in nodes(kb, "Person")] == ["Hiroko Masuhara", "Koyuki Higashi"]
    (quote,) = nodes(kb, "Quotation")
    assert [label(kb, s) for s in quote.values("speaker")] == ["Hiroko Masuhara"]
    (masuhara,) = [n for n in nodes(kb, "Person") if n.label == "Hiroko Masuhara"]
    assert masuhara.values("altLabel") == ["Masuhara"]


def test_a_short_name_two_full_names_contain_stays_apart() -> None:
    kb = resolve([(article("a1"), [
        fact("a1", "quote", speaker=person("Tanaka"), text="Hello there"),
        fact("a1", "couple", a=person("Aki Tanaka"), b=person("Ken Tanaka")),
    ])])
    assert sorted(n.label for n in nodes(kb, "Person")) == ["Aki Tanaka", "Ken Tanaka", "Tanaka"]


def test_a_misspelt_partner_is_the_same_person() -> None:
    kb = resolve([
        (article("a1"), [fact("a1", "couple", a=person("Miki"), b=person("Katie")),
                         fact("a1", "quote", speaker=person("Katie"), text="We hope")]),
        (article("a2"), [fact("a2", "couple", a=person("Miki"), b=person("Kaiti"))]),
    ])
    assert sorted(n.label for n in nodes(kb, "Person")) == ["Katie", "Miki"]
    assert len(nodes(kb, "Couple")) == 1


def test_a_one_letter_slip_in_a_partners_name_is_the_same_person() -> None:
    kb = resolve([
        (article("a1"), [fact("a1", "couple", a=person("Miki"), b=person("Katie")),
                         fact("a1", "quote", speaker=person("Katie"), text="We hope")]),
        (article("a2"), [fact("a2", "couple", a=person("Miki"), b=person("Katei"))]),
    ])
    assert sorted(n.label for n in nodes(kb, "Person")) == ["Katie", "Miki"]
    assert len(nodes(kb, "Couple")) == 1


def test_a_court_known_by_its_seat_merges_into_the_named_court() -> None:
    kb = resolve([
        (article("a1", "2022-11-01"), [
            fact("a1", "ruling", court=OSAKA_COURT, outcome="constitutional",
                 date=DateExpr("month", "in June", month=6))]),
        (article("a2", "2022-06-21"), [
            fact("a2", "ruling", court=OSAKA_DISTRICT, outcome="constitutional",
                 date=absolute("on June 20, 2022"))]),
    ])
    (court,) = nodes(kb, "Court")
    assert court.label == "Osaka District Court"
    (ruling,) = nodes(kb, "Ruling")
    assert ruling.values("court") == [court.ref]
    # both dates agree; the more precise one stays, supported by both sentences
    assert ruling.values("rulingDate") == [PartialDate(2022, 6, 20)]
    assert articles_of(ruling) == {"a1", "a2"}


def test_rulings_of_one_court_on_different_dates_stay_apart() -> None:
    kb = resolve([(article("a1", "2024-03-15"), [
        fact("a1", "ruling", court=OSAKA_DISTRICT, outcome="constitutional",
             date=absolute("on June 20, 2022")),
        fact("a1", "ruling", court=OSAKA_DISTRICT, outcome="unconstitutional",
             date=absolute("on March 14, 2024")),
    ])])
    dates = sorted(str(r.values("rulingDate")) for r in nodes(kb, "Ruling"))
    assert len(dates) == 2 and dates[0] != dates[1]


def test_one_certificate_per_couple_across_articles() -> None:
    tokyo = Ref("jurisdiction", "Tokyo", "tokyo")
    kb = resolve([
        (article("a1", "2022-11-03"), [
            fact("a1", "certificate", a=person("Soyoka Yamamoto"), b=person("Yoriko"),
                 issuer=tokyo, date=TUESDAY)]),
        (article("a2", "2022"), [
            fact("a2", "certificate", a=person("Yoriko"), b=person("Soyoka Yamamoto"),
                 issuer=tokyo, date=TUESDAY)]),
    ])
    (certificate,) = nodes(kb, "Certificate")
    assert len(nodes(kb, "Couple")) == 1
    assert certificate.values("issueDate") == [PartialDate(2022, 11, 1)]
    assert articles_of(certificate) == {"a1", "a2"}


def test_an_undated_article_is_dated_by_an_event_it_shares() -> None:
    couple = {"a": person("Soyoka Yamamoto"), "b": person("Yoriko")}
    kb = resolve([
        (article("a1"), [fact("a1", "certificate", date=absolute("on November 1, 2022"),
                              **couple)]),
        (article("a2"), [fact("a2", "certificate", date=TUESDAY, **couple),
                         fact("a2", "ruling", court=OSAKA_DISTRICT, outcome="constitutional",
                              date=DateExpr("month", "in June", month=6))]),
    ])
    assert kb.anchors["a2"] == PartialDate(2022, 11, 1)
    (ruling,) = nodes(kb, "Ruling")
    assert ruling.values("rulingDate") == [PartialDate(2022, 6)]


def test_an_undated_article_with_no_shared_event_gives_no_relative_date() -> None:
    kb = resolve([(article("a1"), [
        fact("a1", "system", jurisdiction=Ref("jurisdiction", "Tokyo", "tokyo"), start=TUESDAY),
    ])])
    (system,) = nodes(kb, "PartnershipSystem")
    assert system.values("startDate") == []


def test_one_start_date_the_best_supported() -> None:
    tokyo = Ref("jurisdiction", "Tokyo", "tokyo")
    kb = resolve([
        (article("a1", "2022-11-03"), [fact("a1", "system", jurisdiction=tokyo, start=TUESDAY)]),
        (article("a2", "2022-11-04"), [fact("a2", "system", jurisdiction=tokyo, start=TUESDAY)]),
        (article("a3", "2023"), [fact("a3", "system", jurisdiction=tokyo,
                                      start=absolute("in 2021"))]),
    ])
    (system,) = nodes(kb, "PartnershipSystem")
    assert system.values("startDate") == [PartialDate(2022, 11, 1)]


def test_a_benefit_both_granted_and_not_keeps_the_side_more_sentences_state() -> None:
    tokyo = Ref("jurisdiction", "Tokyo", "tokyo")
    kb = resolve([(article("a1"), [
        fact("a1", "benefit", jurisdiction=tokyo, benefit="housing", granted=True),
        Fact("benefit", (("jurisdiction", tokyo), ("benefit", "housing"), ("granted", True)),
             Evidence("a1", 20, 30, "x" * 10), "test"),
        fact("a1", "benefit", jurisdiction=tokyo, benefit="housing", granted=False),
    ])])
    (system,) = nodes(kb, "PartnershipSystem")
    assert system.values("grantsBenefit") == [NodeRef("benefit", "housing")]
    assert system.values("excludesBenefit") == []


def test_resolve_is_deterministic() -> None:
    results = [
        (article("a1", "2022-11-03"), [
            fact("a1", "couple", a=person("Miki"), b=person("Katie")),
            fact("a1", "quote", speaker=person("Miki"), text="We felt it"),
            fact("a1", "system", jurisdiction=Ref("jurisdiction", "Tokyo", "tokyo"),
                 start=TUESDAY),
        ]),
    ]
    first, second = resolve(results), resolve(results)
    assert [(n.ref, n.cls, n.label, list(n.claims)) for n in first.sorted_nodes()] == [
        (n.ref, n.cls, n.label, list(n.claims)) for n in second.sorted_nodes()]


# --- slugs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hiroko Masuhara", "hiroko-masuhara"),
        ("  Hiroko   MASUHARA ", "hiroko-masuhara"),
        ("Ōsaka District Court", "osaka-district-court"),
        ("Setsuko Yuragi, 22", "setsuko-yuragi-22"),
        ("2021 survey", "n2021-survey"),
        ("It's like Tokyo is cheering us on!", "it-s-like-tokyo-is-cheering-us-on"),
        ("seat:osaka-city", "seat-osaka-city"),
    ],
)
def test_slug(text: str, expected: str) -> None:
    assert slug(text) == expected


@given(st.text())
def test_slug_is_an_ascii_local_name(text: str) -> None:
    s = slug(text)
    assert s.isascii() and SLUG.fullmatch(s)
    assert "--" not in s and not s.endswith("-")
    assert slug(text) == s  # stable
    assert slug(s) == s  # a slug is its own slug


def test_names_in_japanese_script_get_distinct_slugs() -> None:
    assert slug("増原裕子") != slug("東小雪")
