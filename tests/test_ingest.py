"""kg.ingest: every input shape, the cleaning rules and the error codes."""
from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg import ingest
from kg.errors import E, KGError
from kg.ingest import (
    article_id,
    distinct_articles,
    iter_paths,
    parse_date,
    read_corpus_file,
    read_file,
    read_text,
)
from kg.model import Article

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
DATA = Path(__file__).parent / "data" / "ingest"
SLUG = re.compile(r"[a-z][a-z0-9-]*")


def seed(prefix: str) -> Article:
    (path,) = SEEDS.glob(f"{prefix}_*")
    (article,) = read_file(path)
    return article


def paragraphs(article: Article) -> list[str]:
    return article.text.split("\n\n")


def error(call: Callable[[], object]) -> KGError:
    with pytest.raises(KGError) as info:
        call()
    return info.value


# --- properties every article has -------------------------------------------------------

ALL_INPUTS = sorted(SEEDS.iterdir()) + [
    DATA / n for n in ("page.html", "record.json", "records.jsonl", "dateline.txt",
                       "cp1252.txt", "shift_jis.txt")
]


@pytest.mark.parametrize("path", ALL_INPUTS, ids=lambda p: p.name)
def test_article_shape(path: Path) -> None:
    articles = read_file(path)
    assert articles == read_file(path)  # same input, same output
    for article in articles:
        assert SLUG.fullmatch(article.id)
        assert article.source.split("#")[0] == str(path)
        assert article.text == article.text.strip()
        for paragraph in paragraphs(article):
            assert paragraph and paragraph == " ".join(paragraph.split())
        assert list(article.date_hints) == sorted(set(article.date_hints))
        keys = ["".join(p.casefold().split()) for p in paragraphs(article)]
        assert len(keys) == len(set(keys))


# --- the four seeds ---------------------------------------------------------------------


def test_seed_000_keeps_the_story_and_drops_the_page() -> None:
    article = seed("000")
    source = (SEEDS / "000_02837431f6c6951d.txt").read_text(encoding="utf-8")
    assert article.id == "a000-02837431f6c6951d"
    assert article.title == source.splitlines()[0]
    assert article.title not in article.text
    body = paragraphs(article)
    assert body[0].startswith("Two Tokyo districts issued Japan's first certificates")
    assert body[-1].startswith("But younger Japanese are generally in favor of LGBT rights")
    quote = next(line for line in source.splitlines() if line.startswith('"I am exhilarated'))
    assert quote in body
    for clutter in ("Before you go", "PHOTOS", "See Gallery", "Photo by", "AFP PHOTO",
                    "Getty Images", "SHOW CAPTION", "BACK TO SLIDE", "See photos of",
                    "More from AOL.com", "crocodiles", "Read Full Story", "Sign up for",
                    "newsletters", "unsubscribe", "From Our Partners", "Koyuki Higashi (L)"):
        assert clutter not in article.text, clutter
    # Every kept paragraph is a paragraph of the source, text unchanged.
    source_paragraphs = {" ".join(p.split()) for p in source.split("\n\n")}
    assert set(body) <= source_paragraphs
    # The body says only "on Thursday"; the gallery captions give the day.
    assert "November 5, 2015" not in article.text
    assert article.date_hints == ("2015-11-05",)
    assert article.published is None


def test_seed_001_repeated_paragraphs_appear_once() -> None:
    article = seed("001")
    first_copy = (SEEDS / "001_da75d781d006492c.txt").read_text(encoding="utf-8").splitlines()[0]
    body = paragraphs(article)
    assert len(body) == first_copy.count("<p>")
    assert body[0].startswith("Tokyo began issuing partnership certificates")
    last = '"All that\'s left is for policymakers to be serious about it, and make changes".'
    assert body[-1] == last
    assert "<p>" not in article.text and "." not in body
    assert article.title is None and article.date_hints == ()


def test_seed_002_loses_only_the_photo_credit() -> None:
    article = seed("002")
    source = (SEEDS / "002_ce99203f33a7ab39.txt").read_text(encoding="utf-8")
    credit = "Photo: Yuichi Yamazaki/AFP/Getty Images "
    assert credit in source
    assert article.text == source.replace(credit, "")
    assert "“My biggest fear was" in article.text  # curly quotes kept as written


def test_seed_003_python_list_is_repaired_and_loses_the_copyright_line() -> None:
    article = seed("003")
    body = paragraphs(article)
    assert "Â" not in article.text and "©" not in article.text
    assert "BBC is not responsible" not in article.text
    assert "external linking" not in article.text
    assert any(p.startswith("Anyone aged over 18 who either lives or works in Tokyo") for p in body)
    assert body[0].startswith("Tokyo has begun rolling out a partnership certificate scheme")
    assert 'called same-sex marriage "disgusting".' in article.text
    assert article.title is None
    assert article.date_hints == ("2022",)


# --- HTML -------------------------------------------------------------------------------


def test_html_page_keeps_the_article_only() -> None:
    (article,) = read_file(DATA / "page.html")
    assert article.id == "page"
    assert article.title == "Ward starts partnership scheme"
    assert article.url == "https://news.example.org/2022/11/ward-partnership"  # canonical
    assert article.published == "2022-11-01"
    assert paragraphs(article) == [
        "A Tokyo ward began issuing partnership certificates to same-sex couples on Tuesday.",
        "“It is a small step, but an important one,” the mayor said.",
        "Officials said 12 couples had applied in the first week.",
    ]
    # Dates from the photo caption and the footer's copyright line.
    assert article.date_hints == ("2022", "2022-10-31")


def page(head: str, body: str) -> str:
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"


def test_html_published_from_json_ld() -> None:
    ld = ('<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
          '{"@type": "WebSite", "url": "https://example.org/"}, {"@type": "NewsArticle", '
          '"headline": "LD headline", "datePublished": "2021-03-17T08:00:00+09:00", '
          '"mainEntityOfPage": {"@id": "https://example.org/ld-story"}}]}</script>')
    (article,) = read_text(page(ld, "<article><p>Sapporo court rules.</p></article>"), "ld.html")
    assert (article.title, article.published, article.url) == (
        "LD headline", "2021-03-17", "https://example.org/ld-story")


def test_html_published_from_time_element() -> None:
    body = ('<article><time datetime="2023-06-16">June 16</time>'
            "<p>Fukuoka court rules.</p></article>")
    (article,) = read_text(page("<title>T</title>", body), "time.html")
    assert article.published == "2023-06-16"
    assert article.title == "T"


def test_html_without_a_stated_date_has_none() -> None:
    body = "<article><p>The ward began the scheme in 2015 and said so on 1 April.</p></article>"
    (article,) = read_text(page("", body), "undated.html")
    assert article.published is None and article.date_hints == ()


def test_html_class_rules_match_whole_words() -> None:
    fragment = ('<div class="shared-story"><p>Kept paragraph.</p></div>'
                '<div class="social-share"><p>Share this on social media.</p></div>'
                '<p><a href="/next">A link-only paragraph</a></p>')
    (article,) = read_text(fragment, "words.html")
    assert article.text == "Kept paragraph."


def test_html_line_breaks() -> None:
    fragment = ("<p>A sentence broken<br>\nby a line break.</p><p>Line one.<br>Line two.</p>"
                "<p>Part A.<br><br>Part B.</p>")
    (article,) = read_text(fragment, "br.html")
    assert paragraphs(article) == ["A sentence broken by a line break.", "Line one.",
                                   "Line two.", "Part A.", "Part B."]


def test_html_title_prefers_the_article_heading_to_the_site_name() -> None:
    body = ('<header><h1 class="site-title">Example Blog</h1></header>'
            "<article><h1>Osaka joins the system</h1><p>Osaka joined.</p></article>")
    (article,) = read_text(page("<title>Osaka joins | Example Blog</title>", body), "h1.html")
    assert article.title == "Osaka joins the system"
    assert article.text == "Osaka joined."


def test_html_with_control_characters_keeps_its_text() -> None:
    # lxml refuses C0 controls; they go (a vertical tab becomes a space) and the page is read
    body = "<article><p>Osaka\x0bjoined\x01 the \x1bsystem.</p></article>"
    (article,) = read_text(page("<title>T\x02</title>", body), "controls.html")
    assert article.text == "Osaka joined the system." and article.title == "T"
    (article,) = read_text("<p>Sapporo\x0c ruled\x7f.</p>", "fragment.html")
    assert article.text == "Sapporo ruled."


def test_lone_surrogates_are_replaced() -> None:
    (article,) = read_text("The ward \ud800said yes.", "surrogate.txt")
    assert article.text == "The ward \ufffdsaid yes."
    article.text.encode("utf-8")  # what every writer does


def test_a_page_whose_root_looks_like_a_caption_is_still_read() -> None:
    failure = error(lambda: read_text("<html class='caption'></html>", "odd.html"))
    assert failure.code is E.E007
    (article,) = read_text("<html class='gallery'><body><p>Kept.</p></body></html>", "g.html")
    assert article.text == "Kept."


def test_json_ld_graph_of_any_shape() -> None:
    ld = ('<script type="application/ld+json">{"@graph": 5, "@type": "NewsArticle", '
          '"headline": "From LD", "datePublished": {"@id": 3}}</script>')
    (article,) = read_text(page(ld, "<p>Body text.</p>"), "ld.html")
    assert (article.title, article.published, article.text) == ("From LD", None, "Body text.")


def test_html_that_is_all_navigation_has_no_article() -> None:
    nav = "<nav><a href='/'>Home</a></nav><footer>© 2022 Site</footer>"
    assert error(lambda: read_text(page("", nav), "nav.html")).code is E.E007


# --- JSON, JSON Lines -------------------------------------------------------------------


def test_json_record() -> None:
    (article,) = read_file(DATA / "record.json")
    assert article.id == "record" and article.source == str(DATA / "record.json")
    assert article.title == "City joins partnership system"
    assert article.url == "https://news.example.org/city-partnership"
    assert article.published == "2023-04-01"
    # The body's first line repeats the headline; it goes.
    assert paragraphs(article) == [
        "The city began recognising same-sex partnerships on Saturday.",
        "“We want everyone to feel at home here,” the mayor said.",
    ]


def test_jsonl_records_are_numbered_articles() -> None:
    first, second = read_file(DATA / "records.jsonl")
    assert (first.id, second.id) == ("records-r1", "records-r2")
    assert second.source == f"{DATA / 'records.jsonl'}#2"
    assert (first.title, first.published) == ("First record", "2022-09-01")
    assert first.text == "The prefecture announced a partnership oath system."
    assert paragraphs(second) == ["A court ruled on the marriage ban.", "The ruling was appealed."]
    assert second.url == "https://news.example.org/ruling" and second.published is None


def test_json_list_of_objects_and_container() -> None:
    records = '{"articles": [{"text": "One."}, {"body": "Two."}]}'
    assert [a.id for a in read_text(records, "feed.json")] == ["feed-r1", "feed-r2"]
    assert [a.text for a in read_text('[{"text": "Solo."}]', "list.json")] == ["Solo."]


def test_json_record_without_text() -> None:
    failure = error(lambda: read_file(DATA / "no_text.json"))
    assert failure.code is E.E005 and failure.values["index"] == 2
    assert "text" in str(failure.values["fields"])


def test_a_bad_record_does_not_lose_the_others() -> None:
    errors: list[KGError] = []
    (article,) = read_file(DATA / "no_text.json", errors)
    assert article.id == "no-text-r1" and article.title == "Has text"
    assert [(e.code, e.values["index"]) for e in errors] == [(E.E005, 2)]


def test_a_bad_json_line_does_not_lose_the_others() -> None:
    lines = '{"text": "One."}\n{"text": broken}\n\n{"text": "Three."}\n[1]\n'
    errors: list[KGError] = []
    articles = read_text(lines, "feed.jsonl", errors)
    # records keep their numbers: the third line is still record 3
    assert [(a.id, a.text) for a in articles] == [("feed-r1", "One."), ("feed-r3", "Three.")]
    assert [e.code for e in errors] == [E.E006, E.E006]
    assert "line 2" in str(errors[0]) and "line 5: expected an object" in str(errors[1])


def test_bad_json() -> None:
    assert error(lambda: read_file(DATA / "bad.json")).code is E.E006
    lines = '{"text": "fine"}\n{"text": broken}\n'
    failure = error(lambda: read_text(lines, "bad.jsonl"))
    assert failure.code is E.E006 and "line 2" in str(failure.values["reason"])
    assert error(lambda: read_text('[{"text": "a"}, "b"]', "mixed.json")).code is E.E006


@pytest.mark.parametrize("text", [
    "[" + "9" * 5000 + "]",  # more digits than Python converts
    '{"text": ' + "9" * 5000 + "}",
    "[" * 100_000 + "]" * 100_000,  # deeper than the parser recurses
    '{"a": ' * 100_000 + "1" + "}" * 100_000,
])
def test_json_too_big_for_the_parser_is_bad_json(text: str) -> None:
    assert error(lambda: read_text(text, "huge.json")).code is E.E006


def test_python_literal_is_never_evaluated(tmp_path: Path) -> None:
    witness = tmp_path / "ran"
    code = f"['<p>Text</p>', open({str(witness)!r}, 'w')]"
    assert error(lambda: read_text(code, "code.txt")).code is E.E006
    assert not witness.exists()


def test_bracket_at_start_of_plain_text_is_not_json() -> None:
    (article,) = read_text("[Updated] The ward extended the scheme to commuters.", "upd.txt")
    assert article.text.startswith("[Updated] The ward")


# --- plain text -------------------------------------------------------------------------


def test_dateline_gives_the_publication_date() -> None:
    (article,) = read_file(DATA / "dateline.txt")
    assert article.title == "Court rules on same-sex marriage"
    assert article.published == "2022-11-30"
    body = paragraphs(article)
    # Hard-wrapped lines are one paragraph again; the dateline stays in the sentence.
    assert body[0].startswith("TOKYO, Nov. 30, 2022 (Reuters) - A Tokyo court said")
    assert body[0].endswith("violated their human rights.")
    assert len(body) == 2


@pytest.mark.parametrize("text", [
    "TOKYO (AP) — Osaka Prefecture joined the system on Monday.",
    "TOKYO, Nov 1 (Reuters) - Tokyo began issuing certificates on Tuesday.",
])
def test_dateline_without_a_year_states_no_date(text: str) -> None:
    (article,) = read_text(text, "wire.txt")
    assert article.published is None and article.text == text


def test_date_lines_under_the_headline() -> None:
    text = ("Partnership scheme begins\n\nBy Jane Doe\n\nPublished: 1 November 2022\n\n"
            "Updated: Wednesday, November 2, 2022 10:15 JST\n\nThe scheme began.")
    (article,) = read_text(text, "dated.txt")
    assert article.title == "Partnership scheme begins"
    assert article.published == "2022-11-01"
    assert article.date_hints == ("2022-11-02",)
    assert article.text == "The scheme began."


def test_caption_paragraph_dropped_with_its_date_kept() -> None:
    caption = ("Couples hold certificates in Tokyo on April 1, 2023. "
               "(Photo by A. Person/Getty Images)")
    story = ("The ward said more couples applied. " * 30).strip()
    # Too long to be a caption: only the credit goes.
    text = f"First paragraph.\n\n{caption}\n\n{story} (Photo by A. Person)"
    (article,) = read_text(text, "caption.txt")
    assert paragraphs(article) == ["First paragraph.", story]
    assert article.date_hints == ("2023-04-01",)


def test_mojibake_repaired_quotes_kept() -> None:
    (article,) = read_text("The wardâ€™s â€œoathâ€\x9d system.", "moji.txt")
    assert article.text == "The ward’s “oath” system."


def test_near_duplicate_paragraphs_removed() -> None:
    (article,) = read_text("Same  paragraph here.\n\nsame paragraph   HERE.\n\nOther one.", "d.txt")
    assert paragraphs(article) == ["Same paragraph here.", "Other one."]


def test_only_clutter_leaves_nothing() -> None:
    failure = error(lambda: read_text("Read Full Story\n\nFrom Our Partners\n", "c.txt"))
    assert failure.code is E.E007


# --- bytes and encodings ----------------------------------------------------------------


def test_cp1252_file() -> None:
    (article,) = read_file(DATA / "cp1252.txt")
    assert article.title == "Café owners welcome the ward’s decision"
    assert article.text == (
        "“We are delighted,” said the owner of a café in Shibuya — one of the first wards."
    )


def test_shift_jis_file() -> None:
    (article,) = read_file(DATA / "shift_jis.txt")
    assert paragraphs(article) == ["渋谷区は同性パートナーシップ証明書の発行を始めた。",
                                   "「大きな一歩だ」と区長は語った。"]


def test_utf8_bytes_with_bom_equal_the_string() -> None:
    text = "The mayor said “yes”."
    assert read_text(b"\xef\xbb\xbf" + text.encode(), "bom.txt") == read_text(text, "bom.txt")


@pytest.mark.parametrize("data", [b"abc\x00def", "abc\x00def", "a\x00b".encode("utf-16")])
def test_nul_is_binary(data: str | bytes) -> None:
    assert error(lambda: read_text(data, "nul.bin")).code is E.E004


def test_binary_file() -> None:
    failure = error(lambda: read_file(DATA / "pixel.png"))
    assert failure.code is E.E004 and "PNG" in str(failure.values["kind"])


@pytest.mark.parametrize("data", [b"", b" \n\t\r\n", b"\xef\xbb\xbf", "\u200b \n"])
def test_empty_input(data: str | bytes) -> None:
    assert error(lambda: read_text(data, "empty.txt")).code is E.E003


def test_empty_file() -> None:
    assert error(lambda: read_file(DATA / "empty.txt")).code is E.E003


def test_missing_and_unreadable_paths(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    assert error(lambda: read_file(missing)).code is E.E001
    assert error(lambda: iter_paths([DATA, missing])).code is E.E001
    assert error(lambda: read_file(tmp_path)).code is E.E002


def test_iter_paths_can_report_and_go_on(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    errors: list[KGError] = []
    found = iter_paths([missing, DATA / "record.json"], on_error=errors.append)
    assert found == [DATA / "record.json"]
    assert [(e.code, e.values["path"]) for e in errors] == [(E.E001, str(missing))]


def test_a_file_that_cannot_be_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # as root chmod 000 does not stop reading; the OS error is what matters here
    path = tmp_path / "locked.txt"
    path.write_text("Text.", encoding="utf-8")

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    failure = error(lambda: read_file(path))
    assert failure.code is E.E002 and "Permission denied" in str(failure)


def test_a_named_pipe_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)  # opening it to read would wait for a writer forever
    failure = error(lambda: read_file(fifo))
    assert failure.code is E.E002 and "named pipe" in str(failure)


def test_a_device_is_refused() -> None:
    failure = error(lambda: read_file(Path("/dev/zero")))  # reading it would never end
    assert failure.code is E.E002 and "character device" in str(failure)


# --- limits -----------------------------------------------------------------------------


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Limits small enough to reach with a few bytes (the real ones are tested end to end
    in test_robustness)."""
    monkeypatch.setattr(ingest.RULES, "max_file_bytes", 1000)
    monkeypatch.setattr(ingest.RULES, "max_source_chars", 500)
    monkeypatch.setattr(ingest.RULES, "max_article_chars", 100)


@pytest.mark.usefixtures("small_limits")
def test_a_file_too_large_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * 1001)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read"))
    failure = error(lambda: read_file(path))
    assert failure.code is E.E701 and "1,001 bytes" in str(failure)


@pytest.mark.usefixtures("small_limits")
@pytest.mark.parametrize("shape", [
    lambda text: text,
    lambda text: f"<p>{text}</p>",
    lambda text: f'{{"text": "{text}"}}',
    lambda text: f'["{text}"]',
])
def test_text_too_long_before_cleaning(shape: Callable[[str], str]) -> None:
    failure = error(lambda: read_text(shape("word " * 101), "long.txt"))
    assert failure.code is E.E702 and "before cleaning" in str(failure)


@pytest.mark.usefixtures("small_limits")
def test_article_too_long_after_cleaning() -> None:
    paragraphs = "\n\n".join(f"Paragraph {n} of the story." for n in range(6))
    failure = error(lambda: read_text(paragraphs, "long.txt"))
    assert failure.code is E.E702 and "before cleaning" not in str(failure)
    assert failure.values["length"] == len(paragraphs) > 100
    # repeats go before the length is measured
    (article,) = read_text("\n\n".join(["The same paragraph."] * 20), "repeats.txt")
    assert article.text == "The same paragraph."


def test_limits_keep_each_paragraph_within_spacy() -> None:
    from kg.nlp import load

    rules = ingest.RULES
    assert rules.max_article_chars <= rules.max_source_chars
    assert rules.max_article_chars < load().max_length


# --- a corpus: one bad file, repeats ----------------------------------------------------


def test_read_corpus_file_never_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    warnings: list[KGError] = []
    assert read_corpus_file(tmp_path / "nope.txt", warnings.append) == []
    assert read_corpus_file(DATA / "no_text.json", warnings.append)[0].title == "Has text"

    def bug(*args: object) -> list[Article]:
        raise ZeroDivisionError("division by zero\nin kg")

    monkeypatch.setattr(ingest, "_articles", bug)
    assert read_corpus_file(DATA / "dateline.txt", warnings.append) == []
    assert [w.code for w in warnings] == [E.E001, E.E005, E.E705]
    assert "ZeroDivisionError: division by zero" in str(warnings[-1])
    assert isinstance(warnings[-1].__cause__, ZeroDivisionError)


def story(source: str, text: str = "The same story.") -> Article:
    return Article(id=article_id(source), source=source, text=text)


def test_the_same_text_twice_is_one_article() -> None:
    first, copy = story("in/a.txt"), story("in/b.txt")
    other = story("in/c.txt", "Another story.")
    for order in ([first, other, copy], [copy, other, first]):
        warnings: list[KGError] = []
        # whatever the order, the one whose source sorts first stays
        assert distinct_articles(order, warnings.append) == [a for a in order if a is not copy]
        assert [(w.code, w.values["path"], w.values["first"]) for w in warnings] == [
            (E.E703, "in/b.txt", "in/a.txt")]


def test_two_articles_with_one_id_both_stay() -> None:
    html, txt = story("in/a.html", "Text one."), story("in/a.txt", "Text two.")
    assert html.id == txt.id == "a"
    ids = set()
    for order in ([html, txt], [txt, html]):
        warnings: list[KGError] = []
        kept = distinct_articles(order, warnings.append)
        assert kept[order.index(html)] == html  # its source sorts first: it keeps the id
        renamed = kept[order.index(txt)]
        assert renamed == replace(txt, id=renamed.id) and renamed.id.startswith("a-")
        assert SLUG.fullmatch(renamed.id)
        assert [w.code for w in warnings] == [E.E704] and warnings[0].values["new"] == renamed.id
        ids.add(renamed.id)
    assert len(ids) == 1


# --- paths and ids ----------------------------------------------------------------------


def test_iter_paths_recurses_sorted_and_skips_hidden(tmp_path: Path) -> None:
    for name in ("b.txt", "a/z.json", "a/c.html", ".hidden.txt", ".git/x.txt", "a/.d/y.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("text", encoding="utf-8")
    found = iter_paths([tmp_path, tmp_path / "b.txt", tmp_path / ".hidden.txt"])
    relative = [p.relative_to(tmp_path).as_posix() for p in found]
    assert relative == ["a/c.html", "a/z.json", "b.txt", ".hidden.txt"]


@pytest.mark.parametrize(("name", "expected"), [
    ("seeds/000_02837431f6c6951d.txt", "a000-02837431f6c6951d"),
    ("Ward News (2022).HTML", "ward-news-2022"),
    ("café.txt", "cafe"),
    ("noext", "noext"),
])
def test_article_id(name: str, expected: str) -> None:
    assert article_id(name) == expected


def test_article_id_of_a_name_without_ascii_letters() -> None:
    assert article_id("東京.txt") == article_id("東京.txt") != article_id("大阪.txt")
    assert SLUG.fullmatch(article_id("東京.txt"))


@given(st.text(min_size=1))
def test_article_id_is_always_a_slug(name: str) -> None:
    assert SLUG.fullmatch(article_id(name))


@pytest.mark.parametrize(("value", "expected"), [
    ("2022-11-01T09:30:00+09:00", "2022-11-01"),
    ("20221101", "2022-11-01"),
    ("Tue, 01 Nov 2022 10:00:00 GMT", "2022-11-01"),
    ("November 5, 2015", "2015-11-05"),
    ("2022年11月1日", "2022-11-01"),
    ("November 2022", "2022-11"),
    ("2022", "2022"),
    ("2022-02-30", None),
    ("last Thursday", None),
])
def test_parse_date(value: str, expected: str | None) -> None:
    assert parse_date(value) == expected
