"""kg.evaluate must give the numbers ../shared/eval/score.py gives, the script the project
is judged by: on the fixture in tests/data/eval/ (every scoring case appears there) and
on random rows and values."""
from __future__ import annotations

import ast
import html
import importlib.util
import itertools
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import rdflib
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.errors import E, KGError
from kg.evaluate import (
    MATCHERS,
    CompetencyQuestion,
    EvalReport,
    evaluate,
    field_match,
    keys_match,
    load_gold,
    load_graph,
    prf,
    run_query,
    score_cq,
    tokens,
)

DATA = Path(__file__).parent / "data"
EVAL = DATA / "eval"
GRAPH, GOLD, QUERIES = EVAL / "graph.ttl", EVAL / "gold.json", EVAL / "queries"
HELDOUT_GOLD = DATA / "heldout" / "gold.json"
HELDOUT_ARTICLES = DATA / "heldout" / "articles"
SHARED_EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
SCORE_PY = SHARED_EVAL / "score.py"
SEEDS_GOLD = SHARED_EVAL / "gold" / "seeds.json"

needs_score_py = pytest.mark.skipif(
    not SCORE_PY.is_file(), reason=f"{SCORE_PY} not found: cannot compare with the reference"
)


@pytest.fixture(scope="module")
def report() -> EvalReport:
    return evaluate(GRAPH, GOLD, QUERIES)


@pytest.fixture(scope="module")
def cqs() -> dict[str, CompetencyQuestion]:
    return load_gold(GOLD)


@pytest.fixture(scope="module")
def reference() -> ModuleType:
    """score.py imported as a module, to compare single functions."""
    if not SCORE_PY.is_file():
        pytest.skip(f"{SCORE_PY} not found: cannot compare with the reference")
    spec = importlib.util.spec_from_file_location("reference_score", SCORE_PY)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_score_py(graph: Path, *flags: str) -> str:
    done = subprocess.run(
        [sys.executable, str(SCORE_PY), str(graph), "--queries", str(QUERIES), "--gold", str(GOLD),
         *flags],
        capture_output=True, text=True, check=True,
    )
    return done.stdout


def as_json(value: object) -> object:
    """What a value looks like after the JSON round trip score.py's output makes."""
    return json.loads(json.dumps(value, default=str))


def graph_as(tmp_path: Path, suffix: str) -> Path:
    """The fixture graph in another syntax; quad syntaxes put it in a named graph."""
    if suffix == "ttl":
        return GRAPH
    graph = rdflib.Graph().parse(GRAPH)
    ds = rdflib.Dataset()
    named = ds.graph(rdflib.URIRef("https://example.org/named"))
    for triple in graph:
        named.add(triple)
    out = tmp_path / f"graph.{suffix}"
    if suffix in ("trig", "nq"):
        ds.serialize(out, format={"trig": "trig", "nq": "nquads"}[suffix])
    else:
        graph.serialize(out, format={"nt": "nt", "jsonld": "json-ld"}[suffix])
    return out


# ---------------------------------------------------------------- same numbers as score.py


@needs_score_py
@pytest.mark.parametrize("suffix", ["ttl", "trig", "nq", "nt", "jsonld"])
def test_counts_and_micro_metrics_equal_score_py(tmp_path: Path, suffix: str) -> None:
    graph = graph_as(tmp_path, suffix)
    expected = json.loads(run_score_py(graph, "--json"))
    got = evaluate(graph, GOLD, QUERIES)
    assert list(got.cqs) == list(expected["cqs"])
    for name, score in got.cqs.items():
        ref = expected["cqs"][name]
        counts = ("predicted", "correct", "gold", "found", "attr_right", "attr_total")
        assert {c: getattr(score, c) for c in counts} == {c: ref[c] for c in counts}, name
        assert (score.error is None) == (ref["error"] is None), name
    for metric in ("precision", "recall", "f1", "attribute_accuracy"):
        assert getattr(got, metric) == expected[metric], metric
    assert as_json(got.as_dict()) == expected


@needs_score_py
@pytest.mark.parametrize("verbose", [False, True])
def test_table_equals_score_py_text(report: EvalReport, verbose: bool) -> None:
    expected = run_score_py(GRAPH, *(["--verbose"] if verbose else []))
    assert report.table(verbose=verbose) + "\n" == expected


def gold_values_by_kind() -> dict[str, list[object]]:
    """Every gold value (each alternative on its own) of the fixture, seed and held-out gold,
    by field kind."""
    by_kind: dict[str, list[object]] = {kind: [] for kind in MATCHERS}
    for path in (GOLD, HELDOUT_GOLD, SEEDS_GOLD):
        if not path.is_file():
            continue
        for cq in json.loads(path.read_text(encoding="utf-8"))["cqs"].values():
            for row in cq["rows"]:
                for f, kind in cq["fields"].items():
                    values = row.get(f) if isinstance(row.get(f), list) else [row.get(f)]
                    by_kind[kind].extend(v for v in values if v is not None)
    return by_kind


def near_misses(value: object) -> list[str]:
    """Predictions close to a gold value: word windows, some words swapped for others (to
    reach the overlap thresholds), added titles and words, other case, fractions."""
    text = str(value)
    words = text.split()
    half = max(1, len(words) // 2)
    swapped = [" ".join(words[: len(words) - k] + [f"other{i}" for i in range(k)])
               for k in range(1, min(len(words), 6))]
    return [text, text.upper(), " ".join(words[1:]), " ".join(words[:-1]), " ".join(words[:half]),
            " ".join(words[half:]), *swapped, f"Governor {text}", f"{text} Jr",
            f"{text} the elder Sr", f"{text} Ward", f"the {text} Court", f"{text}-05",
            f"not {text}", f"0.{text}", "1", "1.0", "0.5"]


def reference_phrases(reference: ModuleType) -> list[str]:
    """The words score.py's tables react to, each alone and in a short phrase."""
    found: list[str] = [*reference.TITLES, *reference.PLACE_WORDS, *reference.ORG_WORDS,
                        *reference.COURT_LEVELS, *reference.TRUE, *reference.FALSE]
    for _, aliases in (*reference.ROLES, *reference.BENEFITS):
        found.extend(aliases)
    found += ["state of unconstitutionality", "unconstitutional state", "violated", "nation",
              "municipal", "prefectural", "metropolis", "village"]
    return found + [f"the {w} of Tokyo" for w in found] + [f"{w}s" for w in found]


def test_field_match_equals_score_py_on_gold_values(reference: ModuleType) -> None:
    phrases = reference_phrases(reference)
    for kind, found in gold_values_by_kind().items():
        distinct = list(dict.fromkeys(found))
        golds = [*distinct, *phrases[:: max(1, len(phrases) // 40)], 100, 50]
        step = 1 if len(distinct) <= 12 else 7  # small vocabularies (types, booleans) meet all
        for i, gold in enumerate(golds):
            neighbours = golds[max(0, i - 2): i + 3]  # itself and two on each side
            preds = [p for g in neighbours for p in near_misses(g)] + phrases[i % step:: step]
            for pred in preds:
                assert field_match(kind, gold, pred) == reference.field_match(kind, gold, pred), (
                    kind, gold, pred)


@given(data=st.data(), kind=st.sampled_from(sorted(MATCHERS)))
@settings(max_examples=400, deadline=None)
def test_field_match_equals_score_py_on_random_phrases(
    reference: ModuleType, data: st.DataObject, kind: str
) -> None:
    vocabulary = st.sampled_from(
        [w for phrase in reference_phrases(reference) for w in phrase.split()]
        + "Tokyo Shibuya Sapporo Kenji Hamada 2021 2021-03-17 57 0.57 1,024 It's it’s Ōsaka "
          "\u201cquote\u201d".split()
    )
    text = st.lists(vocabulary, max_size=6).map(" ".join)
    gold = data.draw(st.one_of(st.none(), text, st.booleans(), st.integers(-5, 2030),
                               st.lists(text, min_size=1, max_size=3)))
    pred = data.draw(st.one_of(st.none(), text))
    assert field_match(kind, gold, pred) == reference.field_match(kind, gold, pred)


noise = st.lists(st.sampled_from("Tokyo Ward Sapporo High Court Kenji true 2021 57".split()),
                 max_size=4).map(" ".join)


@st.composite
def predicted_rows(draw: st.DrawFn, cq: CompetencyQuestion) -> list[dict[str, str | None]]:
    """Rows built from the CQ's own gold values (shuffled between rows) and noise."""
    pool: dict[str, list[str]] = {f: [] for f in cq.fields}
    for row in cq.rows:
        for f in cq.fields:
            value = row.get(f)
            for v in value if isinstance(value, list) else [value]:
                if v is not None:
                    pool[f].append(str(v).lower() if isinstance(v, bool) else str(v))
    value = {f: st.one_of(st.none(), noise, *([st.sampled_from(vs)] if vs else []))
             for f, vs in pool.items()}
    return draw(st.lists(st.fixed_dictionaries(value), max_size=8))


@pytest.mark.parametrize("gold_path", [GOLD, HELDOUT_GOLD], ids=["fixture", "heldout"])
@given(data=st.data())
@settings(max_examples=300, deadline=None)
def test_score_cq_equals_score_py(reference: ModuleType, gold_path: Path,
                                  data: st.DataObject) -> None:
    gold = json.loads(gold_path.read_text(encoding="utf-8"))["cqs"]
    cqs = load_gold(gold_path)
    name = data.draw(st.sampled_from(sorted(cqs)))
    rows = data.draw(predicted_rows(cqs[name]))
    expected = reference.score_cq(gold[name], rows)
    got = score_cq(cqs[name], rows).as_dict()
    assert {k: v for k, v in got.items() if k != "error"} == expected


# ---------------------------------------------------------------- the fixture's cases


def test_prf_equals_score_py(reference: ModuleType) -> None:
    for counts in itertools.product(range(3), repeat=4):
        assert prf(*counts) == reference.prf(*counts), counts


def test_query_rows_are_distinct_and_sorted() -> None:
    ds = load_graph(GRAPH)
    for query in sorted(QUERIES.glob("*.rq")):
        try:
            rows = run_query(ds, query.read_text(encoding="utf-8"))
        except Exception:  # the deliberately broken query
            continue
        keys = [str(tuple(sorted(row.items()))) for row in rows]
        assert rows and keys == sorted(set(keys)), query.name



def test_broken_and_missing_queries_score_as_empty(report: EvalReport) -> None:
    broken, missing = report.cqs["eligibility"], report.cqs["parties"]
    assert broken.error and "Exception" in broken.error
    assert missing.error == "missing parties.rq"
    for score in (broken, missing):
        assert (score.predicted, score.correct, score.found) == (0, 0, 0)
        assert score.missed == [dict(g) for g in load_gold(GOLD)[score.name].required]
        assert score.recall == 0.0 and score.precision == 0.0
    ran = [s for name, s in report.cqs.items() if name not in ("eligibility", "parties")]
    assert ran and all(s.error is None for s in ran)


def test_rows_matching_only_optional_gold_are_not_counted(
    report: EvalReport, cqs: dict[str, CompetencyQuestion]
) -> None:
    ds = load_graph(GRAPH)
    for name in ("jurisdictions", "certificates"):
        cq = cqs[name]
        rows = run_query(ds, (QUERIES / f"{name}.rq").read_text(encoding="utf-8"))
        optional_only = [
            p for p in rows
            if not any(keys_match(cq, g, p) for g in cq.required)
            and any(keys_match(cq, g, p) for g in cq.optional)
        ]
        assert optional_only, name
        assert report.cqs[name].predicted == len(rows) - len(optional_only)
        assert not any(p in report.cqs[name].wrong for p in optional_only)


def test_unordered_pair_matches_in_either_order(cqs: dict[str, CompetencyQuestion]) -> None:
    couples = cqs["couples"]
    gold = couples.required[0]
    straight = {"partner1": gold["partner1"], "partner2": gold["partner2"]}
    swapped = {"partner1": gold["partner2"], "partner2": gold["partner1"]}
    assert keys_match(couples, gold, straight) and keys_match(couples, gold, swapped)
    ordered = CompetencyQuestion("ordered", couples.key, couples.fields, couples.rows)
    assert keys_match(ordered, gold, straight) and not keys_match(ordered, gold, swapped)


def test_repeat_from_another_article_is_correct_but_found_once(
    cqs: dict[str, CompetencyQuestion],
) -> None:
    policies = cqs["policies"]
    gold = next(g for g in policies.required if g["applicants"] is None)
    year, month, _ = gold["start"].split("-")
    rows = [{"jurisdiction": gold["jurisdiction"], "start": gold["start"]},
            {"jurisdiction": f"{gold['jurisdiction']} Ward", "start": f"{year}-{month}"},
            {"jurisdiction": gold["jurisdiction"], "start": f"{int(year) + 1}"}]
    score = score_cq(policies, rows)
    assert (score.predicted, score.correct, score.found) == (3, 2, 1)
    assert score.wrong == [rows[2]]


def only(cq: CompetencyQuestion, row: dict[str, object]) -> CompetencyQuestion:
    """The CQ with one gold row."""
    return CompetencyQuestion(cq.name, cq.key, cq.fields, (row,), cq.unordered)


def test_null_gold_values_are_not_scored_and_alternatives_count(
    cqs: dict[str, CompetencyQuestion],
) -> None:
    couples, polls, officials = cqs["couples"], cqs["polls"], cqs["officials"]
    gold = next(g for g in couples.required if isinstance(g["partner2"], list))
    for alternative in gold["partner2"]:
        assert keys_match(couples, gold, {"partner1": gold["partner1"], "partner2": alternative})
    poll = next(g for g in polls.required if isinstance(g["organization"], list))
    score = score_cq(only(polls, poll), [{"organization": poll["organization"][-1]}])
    assert (score.found, score.attr_right, score.attr_total) == (1, 0, 3)
    judge = next(g for g in officials.required if g["jurisdiction"] is None)
    score = score_cq(only(officials, judge), [{"name": judge["name"], "role": judge["role"]}])
    assert (score.found, score.attr_right, score.attr_total) == (1, 1, 1)


@pytest.mark.parametrize(("gold", "pred", "same"), [
    ("2021-03-17", "2021", True),
    ("2021-03-17", "2021-03", True),
    ("2021-03-17", "2021-04", False),
    ("2021", "2021-12-31", True),
])
def test_dates_agree_on_the_parts_both_state(gold: str, pred: str, same: bool) -> None:
    assert field_match("date", gold, pred) is same


def test_fixture_exercises_wrong_missed_and_partial_attributes(report: EvalReport) -> None:
    assert any(s.wrong for s in report.cqs.values())
    assert any(s.missed and s.error is None for s in report.cqs.values())
    assert any(0 < s.attr_right < s.attr_total for s in report.cqs.values())
    assert 0 < report.precision < 1 and 0 < report.recall < 1
    assert 0 < report.attribute_accuracy < 1
    assert report.f1 == pytest.approx(
        2 * report.precision * report.recall / (report.precision + report.recall))


def test_table_lists_every_cq_and_details_only_when_verbose(report: EvalReport) -> None:
    short, long = report.table(), report.table(verbose=True)
    for name in report.cqs:
        assert any(line.startswith(name) for line in short.splitlines())
    assert "wrong:" not in short and "missed:" not in short
    assert "wrong:" in long and "missed:" in long
    assert short.splitlines()[-1].startswith("micro: precision")


# ---------------------------------------------------------------- inputs that cannot be read


def test_missing_or_bad_inputs_raise_coded_errors(tmp_path: Path) -> None:
    with pytest.raises(KGError) as err:
        evaluate(GRAPH, tmp_path / "nope.json", QUERIES)
    assert err.value.code is E.E001
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(KGError) as err:
        evaluate(GRAPH, bad, QUERIES)
    assert err.value.code is E.E006
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    gold["cqs"]["couples"]["fields"]["partner1"] = "shoe size"
    bad.write_text(json.dumps(gold), encoding="utf-8")
    with pytest.raises(KGError, match="shoe size") as err:
        evaluate(GRAPH, bad, QUERIES)
    assert err.value.code is E.E006
    with pytest.raises(KGError) as err:
        evaluate(tmp_path / "none.ttl", GOLD, QUERIES)
    assert err.value.code is E.E104
    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> .", encoding="utf-8")
    with pytest.raises(KGError) as err:
        evaluate(broken, GOLD, QUERIES)
    assert err.value.code is E.E302


# ---------------------------------------------------------------- the held-out gold file


def test_heldout_gold_is_well_formed() -> None:
    cqs = load_gold(HELDOUT_GOLD)
    data = json.loads(HELDOUT_GOLD.read_text(encoding="utf-8"))
    assert data["about"]
    for name, cq in cqs.items():
        assert cq.required, name
        for row in cq.rows:
            assert set(row) - {"optional"} == set(cq.fields), (name, row)


@pytest.mark.skipif(not SEEDS_GOLD.is_file(), reason=f"{SEEDS_GOLD} not found")
def test_heldout_gold_defines_the_cqs_as_the_seed_gold_does() -> None:
    seeds = json.loads(SEEDS_GOLD.read_text(encoding="utf-8"))["cqs"]
    heldout = json.loads(HELDOUT_GOLD.read_text(encoding="utf-8"))["cqs"]
    assert list(heldout) == list(seeds)
    for name, cq in seeds.items():
        assert {k: v for k, v in heldout[name].items() if k != "rows"} == {
            k: v for k, v in cq.items() if k != "rows"}, name


def heldout_words() -> list[set[str]]:
    """The words of each held-out file, JSON escapes and HTML entities undone."""
    return [
        set(tokens(html.unescape(path.read_text(encoding="utf-8"))
                   .replace("\\n", " ").replace('\\"', '"')))
        for path in sorted(HELDOUT_ARTICLES.glob("1*.txt"))
    ]


def test_heldout_gold_names_and_quotes_come_from_one_article() -> None:
    files = heldout_words()
    assert len(files) >= 8
    for name, cq in load_gold(HELDOUT_GOLD).items():
        for row in cq.rows:
            for f, kind in cq.fields.items():
                values = row[f] if isinstance(row[f], list) else [row[f]]
                for value in values:
                    if kind in ("name", "place", "court", "org", "text") and value is not None:
                        assert any(set(tokens(value)) <= words for words in files), (name, value)


def test_heldout_gold_rows_match_themselves_and_no_other() -> None:
    def as_prediction(row: dict[str, object]) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for f, value in row.items():
            value = value[0] if isinstance(value, list) else value
            if f != "optional":
                out[f] = None if value is None else str(value).lower() if isinstance(
                    value, bool) else str(value)
        return out

    for name, cq in load_gold(HELDOUT_GOLD).items():
        score = score_cq(cq, [as_prediction(g) for g in cq.rows])
        assert (score.precision, score.recall, score.attribute_accuracy) == (1.0, 1.0, 1.0), name
        for i, gold in enumerate(cq.rows):
            others = [as_prediction(g) for j, g in enumerate(cq.rows) if j != i]
            assert not any(keys_match(cq, gold, p) for p in others), (name, gold)


def test_heldout_files_come_in_every_input_shape() -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted(HELDOUT_ARTICLES.glob("1*.txt"))]
    html_pages = [t for t in texts if t.lstrip().lower().startswith("<!doctype html")]
    assert html_pages and all('property="article:published_time"' in t for t in html_pages)
    records = [json.loads(t) for t in texts if t.startswith("{") and t.count("\n{") == 0]
    assert records and all(set(r) == {"title", "url", "published", "text"} for r in records)
    jsonl = [[json.loads(line) for line in t.splitlines()] for t in texts
             if t.startswith("{") and t.count("\n{") == 1]
    assert jsonl and all(len(lines) == 2 for lines in jsonl)
    lists = [ast.literal_eval(t) for t in texts if t.startswith("[")]
    assert lists and any("\u00c2\u00a9" in item for items in lists for item in items)
    repeated = [t.split("\n") for t in texts if t.startswith("<p>")]
    assert repeated and all(len(lines) == 2 and lines[0] == lines[1] for lines in repeated)
    assert any("(Kyodo) -" in t.splitlines()[0] for t in texts)
    assert any("\u201c" in t and "\n" not in t.strip() for t in texts)
