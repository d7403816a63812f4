"""kg.extract: one small article per phrasing, and the facts (kinds, arguments, evidence)
the registered extractors find in it."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from kg.dates import DateExpr
from kg.extract import EXTRACTORS, extract, extract_article, paragraphs
from kg.extract.context import build
from kg.ingest import read_file
from kg.model import Article, Fact, PartialDate, Ref
from kg.nlp import load
from kg.resolve import _Resolver

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def facts_of(text: str) -> list[Fact]:
    return extract_article(Article(id="t1", source="t1", text=text))


def of_kind(facts: Iterable[Fact], kind: str) -> list[Fact]:
    return [f for f in facts if f.kind == kind]


def one(facts: Iterable[Fact], kind: str) -> Fact:
    found = of_kind(facts, kind)
    assert len(found) == 1, found
    return found[0]


def name(value: object) -> str | None:
    assert isinstance(value, Ref), value
    return value.name


def key(value: object) -> str | None:
    assert isinstance(value, Ref), value
    return value.key


def quotes(facts: Iterable[Fact]) -> dict[str, str]:
    """quote text -> speaker name."""
    return {str(f.get("text")): str(name(f.get("speaker"))) for f in of_kind(facts, "quote")}


@pytest.fixture(scope="module")
def seed_articles() -> list[Article]:
    return [a for path in sorted(SEEDS.iterdir()) for a in read_file(path)]


@pytest.fixture(scope="module")
def seed_facts(seed_articles: list[Article]) -> list[tuple[Article, list[Fact]]]:
    return list(extract(seed_articles))


# --- officials ----------------------------------------------------------------------


def test_governor_before_the_name() -> None:
    office = one(facts_of("Tokyo Governor Yuriko Koike said the city would act."), "office")
    assert name(office.get("holder")) == "Yuriko Koike"
    assert office.get("role") == "governor"
    assert key(office.get("jurisdiction")) == "tokyo"


def test_mayor_lower_case_before_the_name() -> None:
    office = one(facts_of("Shibuya mayor Ken Hasebe attended the ceremony."), "office")
    assert name(office.get("holder")) == "Ken Hasebe"
    assert office.get("role") == "mayor"
    assert name(office.get("jurisdiction")) == "Shibuya"


def test_title_after_the_name() -> None:
    office = one(facts_of("Ken Hasebe, the mayor of Shibuya, greeted the couple."), "office")
    assert (name(office.get("holder")), office.get("role")) == ("Ken Hasebe", "mayor")
    assert name(office.get("jurisdiction")) == "Shibuya"


def test_assembly_member_and_party() -> None:
    facts = facts_of(
        "Noboru Watanabe, a local assemblyman for the ruling Liberal Democratic Party, "
        "called same-sex marriage disgusting."
    )
    office = one(facts, "office")
    assert name(office.get("holder")) == "Noboru Watanabe"
    assert office.get("role") == "assembly-member"
    assert name(office.get("party")) == "Liberal Democratic Party"


def test_a_name_without_a_title_holds_no_office() -> None:
    assert of_kind(facts_of("Yuriko Koike visited Shibuya on Friday."), "office") == []


# --- couples and certificates -----------------------------------------------------------


def test_couple_and_certificate() -> None:
    facts = facts_of(
        "Soyoka Yamamoto and her partner Yoriko received their certificate on Tuesday."
    )
    couple = one(facts, "couple")
    assert {name(couple.get("a")), name(couple.get("b"))} == {"Soyoka Yamamoto", "Yoriko"}
    certificate = one(facts, "certificate")
    assert {name(certificate.get("a")), name(certificate.get("b"))} == {"Soyoka Yamamoto",
                                                                        "Yoriko"}
    when = certificate.get("date")
    assert isinstance(when, DateExpr) and (when.kind, when.weekday) == ("weekday", 1)


def test_couple_with_ages_and_issuer() -> None:
    facts = facts_of("Hiroko Masuhara, 37, and her partner Koyuki Higashi, 30, received their "
                     "certificate in Shibuya on Thursday.")
    certificate = one(facts, "certificate")
    assert {name(certificate.get("a")), name(certificate.get("b"))} == {"Hiroko Masuhara",
                                                                        "Koyuki Higashi"}
    assert key(certificate.get("issuer")) == "tokyo-shibuya"


def test_couple_his_partner() -> None:
    couple = one(facts_of("Masato and his partner Chris moved to Tokyo last year."), "couple")
    assert {name(couple.get("a")), name(couple.get("b"))} == {"Masato", "Chris"}


def test_certificates_for_couples_in_general_name_no_couple() -> None:
    facts = facts_of("Tokyo began issuing partnership certificates to same-sex couples.")
    assert of_kind(facts, "certificate") == [] and of_kind(facts, "couple") == []


# --- partnership systems ---------------------------------------------------------------


def test_system_with_weekday_start() -> None:
    system = one(facts_of("Tokyo began issuing partnership certificates on Tuesday."), "system")
    assert key(system.get("jurisdiction")) == "tokyo"
    start = system.get("start")
    assert isinstance(start, DateExpr) and (start.kind, start.weekday) == ("weekday", 1)


def test_system_with_absolute_start() -> None:
    system = one(facts_of("Setagaya ward introduced a partnership system on Nov. 5, 2015."),
                 "system")
    assert key(system.get("jurisdiction")) == "tokyo-setagaya"
    start = system.get("start")
    assert isinstance(start, DateExpr) and start.value == PartialDate(2015, 11, 5)


def benefits(facts: Iterable[Fact]) -> dict[str, bool]:
    found = {}
    for f in of_kind(facts, "benefit"):
        assert key(f.get("jurisdiction")) == "tokyo"
        found[str(f.get("benefit"))] = bool(f.get("granted"))
    return found


def test_benefits_granted() -> None:
    facts = facts_of(
        "Tokyo began issuing partnership certificates on Tuesday. The certificates allow "
        "couples to be treated as married couples in areas such as housing, medicine and welfare."
    )
    assert benefits(facts) == {"housing": True, "medical": True, "welfare": True}


def test_benefits_not_granted() -> None:
    facts = facts_of(
        "Tokyo began issuing partnership certificates on Tuesday. The system will not help "
        "with adoption, inheritance and spousal visas."
    )
    assert benefits(facts) == {"adoption": False, "inheritance": False, "spousal-visa": False}


def test_min_age() -> None:
    facts = facts_of("Tokyo started a partnership system. Anyone aged over 18 can apply.")
    min_age = one(facts, "min_age")
    assert (key(min_age.get("jurisdiction")), min_age.get("age")) == ("tokyo", 18)


def test_applicants() -> None:
    facts = facts_of("Tokyo started a partnership system. By Friday 137 couples had applied.")
    applicants = one(facts, "applicants")
    assert (key(applicants.get("jurisdiction")), applicants.get("count")) == ("tokyo", 137)


# --- rulings and polls ------------------------------------------------------------------


def test_ruling_by_a_court_known_by_its_seat() -> None:
    ruling = one(facts_of("A court in Osaka ruled in June that the ban on same-sex marriage "
                          "was constitutional."), "ruling")
    court = ruling.get("court")
    assert isinstance(court, Ref) and court.kind == "court"
    assert "Osaka" in court.name
    assert ruling.get("outcome") == "constitutional"
    when = ruling.get("date")
    assert isinstance(when, DateExpr) and (when.kind, when.month) == ("month", 6)


def test_ruling_by_a_named_court() -> None:
    ruling = one(facts_of("The Sapporo District Court ruled in March 2021 that the ban was "
                          "unconstitutional."), "ruling")
    assert key(ruling.get("court")) == "sapporo-district-court"
    assert ruling.get("outcome") == "unconstitutional"
    when = ruling.get("date")
    assert isinstance(when, DateExpr) and when.value == PartialDate(2021, 3)


def test_poll() -> None:
    poll = one(facts_of(
        "A 2021 survey by public broadcaster NHK showed 57 percent of respondents were in "
        "favour of same-sex marriage, versus 37 percent against."), "poll")
    assert name(poll.get("org")) == "NHK"
    year = poll.get("year")
    assert isinstance(year, DateExpr) and year.value == PartialDate(2021)
    assert (poll.get("support"), poll.get("oppose")) == (57.0, 37.0)


def test_a_percentage_outside_a_poll_is_no_poll() -> None:
    assert of_kind(facts_of("Prices in Tokyo rose 3 percent, NHK said."), "poll") == []


# --- quotes -----------------------------------------------------------------------------


def test_quote_name_then_verb() -> None:
    found = quotes(facts_of('"We felt official documents would be more effective," Miki said.'))
    assert found == {"We felt official documents would be more effective": "Miki"}


def test_quote_curly_marks() -> None:
    found = quotes(facts_of("“We felt official documents would be more effective,” Miki said."))
    assert found == {"We felt official documents would be more effective": "Miki"}


def test_quote_verb_then_name_and_age() -> None:
    found = quotes(facts_of(
        '"Same-sex marriage is something completely natural," said Setsuko Yuragi, 22.'))
    assert found == {"Same-sex marriage is something completely natural": "Setsuko Yuragi"}


def test_quote_pronoun_after_a_sentence_naming_the_speaker() -> None:
    found = quotes(facts_of('Ken Hasebe, the mayor of Shibuya, greeted the couple at city hall. '
                            '"It took a long time to get here," he said.'))
    assert found == {"It took a long time to get here": "Ken Hasebe"}


def test_quote_governed_by_a_speech_verb() -> None:
    found = quotes(facts_of("Soyoka Yamamoto and her partner Yoriko received their certificate "
                            'on Tuesday, with Yoriko calling the move a "huge step forward".'))
    assert found == {"huge step forward": "Yoriko"}


def test_standalone_quote_continues_the_previous_speaker() -> None:
    found = quotes(facts_of('"My biggest fear was that we would be treated as strangers," Miki '
                            'said. "All that is left is for policymakers to act."'))
    assert found == {
        "My biggest fear was that we would be treated as strangers": "Miki",
        "All that is left is for policymakers to act": "Miki",
    }


def test_quote_governed_by_a_verb_after_a_dashed_apposition() -> None:
    found = quotes(facts_of("Then, in October, Noboru Watanabe - a local representative for the "
                            'ruling Liberal Democratic Party - called same-sex marriage '
                            '"disgusting". The comments were widely criticised.'))
    assert found == {"disgusting": "Noboru Watanabe"}


def test_a_quote_with_no_speaker_is_dropped() -> None:
    assert quotes(facts_of('The sign read "equality now" in big letters.')) == {}


# --- every fact -------------------------------------------------------------------------

PHRASINGS = [
    "Tokyo Governor Yuriko Koike said the city would act.",
    "Tokyo began issuing partnership certificates on Tuesday.\n\nSoyoka Yamamoto and her "
    'partner Yoriko received their certificate, with Yoriko calling the move a "huge step '
    'forward".\n\n"It took a long time," she said.',
    "A court in Osaka ruled in June that the ban was constitutional.\n\nA 2021 survey by NHK "
    "showed 57 percent in favour, versus 37 percent against.",
]


@pytest.mark.parametrize("text", PHRASINGS, ids=lambda t: t[:20])
def test_evidence_is_the_article_text(text: str) -> None:
    article = Article(id="t1", source="t1", text=text)
    facts = extract_article(article)
    assert facts
    for f in facts:
        ev = f.evidence
        assert ev.article == "t1"
        assert article.text[ev.start : ev.end] == ev.text
        assert ev.text.strip() == ev.text and "\n\n" not in ev.text


def test_seed_evidence_is_the_article_text(
    seed_facts: list[tuple[Article, list[Fact]]],
) -> None:
    assert sum(len(facts) for _, facts in seed_facts) > 50
    for article, facts in seed_facts:
        for f in facts:
            assert f.evidence.article == article.id
            assert article.text[f.evidence.start : f.evidence.end] == f.evidence.text
            assert f.extractor


def test_extraction_is_repeatable(seed_facts: list[tuple[Article, list[Fact]]]) -> None:
    article, facts = seed_facts[1]
    assert extract_article(article) == facts  # one by one, the same as batched


def test_every_fact_kind_is_one_resolve_reads(
    seed_facts: list[tuple[Article, list[Fact]]],
) -> None:
    kinds = {f.kind for _, facts in seed_facts for f in facts}
    assert kinds >= {"place", "office", "couple", "certificate", "system", "benefit",
                     "min_age", "applicants", "ruling", "poll", "quote"}
    # resolve drops a kind it has no handler for without a word
    assert all(hasattr(_Resolver, f"_on_{kind}") for kind in kinds)


def test_every_registered_extractor_finds_something_in_the_seeds(
    seed_articles: list[Article],
) -> None:
    nlp = load()
    contexts = [build(a, [(off, nlp(p)) for off, p in paragraphs(a.text)]) for a in seed_articles]
    for registered, extractor in EXTRACTORS.items():
        assert any(list(extractor(ctx)) for ctx in contexts), registered


def test_paragraph_offsets() -> None:
    text = "One.\n\nTwo words.\n\n\n\nThree."
    for offset, paragraph in paragraphs(text):
        assert text[offset : offset + len(paragraph)] == paragraph
    assert [p for _, p in paragraphs(text)] == ["One.", "Two words.", "Three."]


# --- phrasings met in articles beyond the seeds ---------------------------------------


def test_a_quote_split_around_its_attribution_is_one_quote() -> None:
    facts = facts_of(
        'Kosuke Nagata and his partner live in Fukuoka. "I had hoped the court would go one step '
        'further," Nagata told AFP, "but it still says clearly that the law must change."'
    )
    assert quotes(facts) == {
        "I had hoped the court would go one step further but it still says clearly that the law "
        "must change": "Kosuke Nagata"
    }


def test_a_quote_in_the_next_sentence_is_its_own_quote_of_the_same_speaker() -> None:
    facts = facts_of(
        'Yui Matsuda, 41, lives in Kitakyushu with her partner Saki Ogawa. "We want to hold hands '
        'in the hospital," Matsuda said. "It\'s a small thing, but it\'s everything to us."'
    )
    assert quotes(facts) == {
        "We want to hold hands in the hospital": "Yui Matsuda",
        "It's a small thing, but it's everything to us": "Yui Matsuda",
    }


def test_a_name_inside_a_quote_is_not_its_speaker() -> None:
    facts = facts_of(
        "Ren Ishiguro, 41, had surgery two years ago. Haruto Kanzaki waited outside. "
        '"The hospital would not let Haruto sign anything. With this card, that should not '
        'happen again," he said.'
    )
    # "he" is one of the two men named before the quote, never the "Haruto" inside it
    assert set(quotes(facts).values()) <= {"Haruto Kanzaki", "Ren Ishiguro"}
    assert len(quotes(facts)) == 1


def test_the_court_refers_to_the_court_named_before() -> None:
    facts = facts_of(
        "The Nagoya High Court heard the appeal. The court said on Friday that the ban was "
        "unconstitutional."
    )
    ruling = one(facts, "ruling")
    assert key(ruling.get("court")) == "nagoya-high-court"
    assert ruling.get("outcome") == "unconstitutional"


def test_a_rejected_claim_of_unconstitutionality_is_a_constitutional_ruling() -> None:
    facts = facts_of(
        "The Osaka District Court on Monday rejected the claim that the ban violates the "
        "constitution."
    )
    assert one(facts, "ruling").get("outcome") == "constitutional"


def test_a_court_cited_after_following_shares_the_outcome() -> None:
    facts = facts_of(
        "Earlier this month, the Nagoya High Court found the lack of legal recognition "
        "unconstitutional, following the Sapporo High Court in March last year."
    )
    rulings = {key(f.get("court")): f for f in of_kind(facts, "ruling")}
    assert rulings["sapporo-high-court"].get("outcome") == "unconstitutional"
    assert rulings["sapporo-high-court"].get("date").kind == "month_last_year"  # type: ignore[union-attr]


def test_a_modal_statement_is_no_ruling() -> None:
    facts = facts_of("The Supreme Court is expected to rule that the ban is unconstitutional.")
    assert of_kind(facts, "ruling") == []


def test_an_assembly_named_around_its_place() -> None:
    facts = facts_of(
        '"Questions of family should be decided by parliament," said Toru Fujimoto, a member of '
        "the Kobe city assembly."
    )
    office = one(facts, "office")
    assert office.get("role") == "assembly-member"
    assert key(office.get("jurisdiction")) == "kobe"


def test_no_legal_weight_in_matters_such_as_is_not_granted() -> None:
    facts = facts_of(
        "Sendai began its partnership system in 2023. However, the certificates carry no legal "
        "weight in matters such as inheritance, taxation or child custody."
    )
    granted = {f.get("benefit"): f.get("granted") for f in of_kind(facts, "benefit")}
    assert granted == {"inheritance": False, "tax": False, "parental-rights": False}


def test_a_future_start_is_read_forward() -> None:
    system = one(
        facts_of("Tokyo Governor Yuriko Koike said the partnership system will start in November."),
        "system",
    )
    start = system.get("start")
    assert isinstance(start, DateExpr) and start.future
    from kg.dates import resolve_expr

    assert resolve_expr(start, PartialDate(2022, 6, 1)) == PartialDate(2022, 11)


def test_an_official_who_issues_certificates_does_not_receive_one() -> None:
    facts = facts_of(
        "Sapporo Mayor Katsuhiro Akimoto said the city had issued certificates to more than 300 "
        "couples."
    )
    assert of_kind(facts, "certificate") == []


def test_a_city_the_gazetteer_lacks_is_learnt_from_its_phrase() -> None:
    facts = facts_of("They live in the Ibaraki city of Tsukuba with their two cats.")
    places = {name(f.get("jurisdiction")) for f in of_kind(facts, "place")}
    assert {"Ibaraki", "Tsukuba"} <= places


def test_a_place_named_surname_after_a_given_name_is_a_person() -> None:
    facts = facts_of('Their lawyer, Ryo Miyazaki, called the decision "a half victory".')
    assert quotes(facts) == {"a half victory": "Ryo Miyazaki"}
    assert "Miyazaki" not in {name(f.get("jurisdiction")) for f in of_kind(facts, "place")}


def test_two_polls_in_one_sentence() -> None:
    facts = facts_of(
        "An Asahi Shimbun poll in February 2023 found 72% in favor and 18% opposed, and a "
        "Yomiuri Shimbun survey the same year put support at 57% and opposition at 31%."
    )
    polls = {
        name(f.get("org")): (f.get("support"), f.get("oppose")) for f in of_kind(facts, "poll")
    }
    assert polls == {"Asahi Shimbun": (72.0, 18.0), "Yomiuri Shimbun": (57.0, 31.0)}
