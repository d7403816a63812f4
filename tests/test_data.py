"""The reference data in kg/data/: well-formed, consistent, and saying what it must."""
from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

import kg

DATA = Path(kg.__file__).parent / "data"
FILES = (
    "jurisdictions.jsonl",
    "courts.jsonl",
    "roles.jsonl",
    "organizations.jsonl",
    "benefits.jsonl",
    "outcomes.jsonl",
    "court_levels.jsonl",
)
SLUG = re.compile(r"[a-z][a-z0-9-]*")

# The government designates these 20 cities by cabinet order; the extractors rely on them.
DESIGNATED_CITIES = (
    "sapporo", "sendai", "saitama-city", "chiba-city", "yokohama", "kawasaki", "sagamihara",
    "niigata-city", "shizuoka-city", "hamamatsu", "nagoya", "kyoto-city", "osaka-city",
    "sakai", "kobe", "okayama-city", "hiroshima-city", "kitakyushu", "fukuoka-city",
    "kumamoto-city",
)
ROLE_LABELS = {
    "prime-minister": "prime minister",
    "chief-cabinet-secretary": "chief cabinet secretary",
    "minister": "minister",
    "governor": "governor",
    "mayor": "mayor",
    "assembly-member": "assembly member",
    "judge": "judge",
    "secretary": "secretary",
    "spokesperson": "spokesperson",
}
BENEFIT_LABELS = {
    "housing": "housing",
    "medical": "medical",
    "welfare": "welfare",
    "adoption": "adoption",
    "inheritance": "inheritance",
    "spousal-visa": "spousal visa",
    "tax": "tax",
    "insurance": "insurance",
    "parental-rights": "parental rights",
    "pension": "pension",
}
OUTCOME_LABELS = {
    "constitutional": "constitutional",
    "unconstitutional": "unconstitutional",
    "unconstitutional-state": "unconstitutional state",
}
COURT_LEVEL_LABELS = {level: level for level in ("supreme", "high", "district", "family",
                                                 "summary")}
JURISDICTION_KINDS = {"country", "prefecture", "municipality"}
ORGANIZATION_KINDS = {"party", "news", "pollster", "ngo", "company", "government"}
ROLE_SCOPES = {"country", "prefecture", "municipality", "court", None}


def load(name: str) -> list[dict]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def data() -> dict[str, list[dict]]:
    return {name.removesuffix(".jsonl"): load(name) for name in FILES}


@pytest.fixture(scope="module")
def places(data: dict[str, list[dict]]) -> dict[str, dict]:
    return {rec["id"]: rec for rec in data["jurisdictions"]}


def names_of(rec: dict) -> list[str]:
    return [rec["label"], *rec.get("aliases", [])]


@pytest.mark.parametrize("name", FILES)
def test_every_file_is_utf8_jsonl_of_objects(name: str) -> None:
    raw = (DATA / name).read_bytes()
    text = raw.decode("utf-8")
    assert text.endswith("\n") and "\n\n" not in text and "\r" not in text
    for line in text.splitlines():
        assert isinstance(json.loads(line), dict), line


@pytest.mark.parametrize("name", FILES)
def test_ids_are_unique_sorted_slugs(name: str) -> None:
    ids = [rec["id"] for rec in load(name)]
    assert [i for i in ids if not SLUG.fullmatch(i)] == []
    assert len(ids) == len(set(ids))
    assert ids == sorted(ids)


@pytest.mark.parametrize("name", FILES)
def test_names_are_trimmed_and_not_repeated(name: str) -> None:
    for rec in load(name):
        for names in (names_of(rec), rec.get("patterns", [])):
            assert all(n and n == n.strip() and "  " not in n for n in names), rec["id"]
            assert len(names) == len(set(names)), rec["id"]


def test_jurisdiction_fields(places: dict[str, dict]) -> None:
    for rec in places.values():
        assert rec["kind"] in JURISDICTION_KINDS, rec["id"]
        assert isinstance(rec["aliases"], list), rec["id"]
        assert isinstance(rec.get("ambiguous", False), bool), rec["id"]


def test_parents_resolve_to_the_kind_above(places: dict[str, dict]) -> None:
    above = {"prefecture": "country", "municipality": "prefecture"}
    for rec in places.values():
        if rec["kind"] == "country":
            assert rec["parent"] is None, rec["id"]
        else:
            assert places[rec["parent"]]["kind"] == above[rec["kind"]], rec["id"]


def test_every_prefecture_is_in_japan(places: dict[str, dict]) -> None:
    prefectures = [r for r in places.values() if r["kind"] == "prefecture"]
    assert len(prefectures) == 47
    assert {r["parent"] for r in prefectures} == {"japan"}
    assert all(r["japanese"][-1] in "都道府県" for r in prefectures)


def test_tokyo_has_23_special_wards(places: dict[str, dict]) -> None:
    wards = [r for r in places.values() if r.get("japanese", "").endswith("区")]
    assert len(wards) == 23
    assert all(r["parent"] == "tokyo" and r["kind"] == "municipality" for r in wards)
    assert sorted(r["id"] for r in wards) == sorted(
        i for i in places if i.startswith("tokyo-")
    )


def test_designated_cities_sit_in_a_prefecture(places: dict[str, dict]) -> None:
    for city in DESIGNATED_CITIES:
        assert places[city]["kind"] == "municipality", city
        assert places[places[city]["parent"]]["kind"] == "prefecture", city


def test_same_name_as_points_at_the_parent_prefecture(places: dict[str, dict]) -> None:
    twins = [r for r in places.values() if "same_name_as" in r]
    assert twins
    for rec in twins:
        assert rec["same_name_as"] == rec["parent"], rec["id"]
        assert rec["label"] == places[rec["parent"]]["label"], rec["id"]
    unmarked = [
        r["id"] for r in places.values()
        if r["kind"] == "municipality" and "same_name_as" not in r
        and r["label"] == places[r["parent"]]["label"]
    ]
    assert unmarked == []


def test_no_name_names_two_jurisdictions(places: dict[str, dict]) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for rec in places.values():
        for name in names_of(rec):
            owners[name.casefold()].add(rec["id"])

    def twins(ids: set[str]) -> bool:
        a, b = sorted(ids)
        return places[a].get("same_name_as") == b or places[b].get("same_name_as") == a

    clashes = {n: sorted(ids) for n, ids in owners.items()
               if len(ids) > 1 and not (len(ids) == 2 and twins(ids))}
    assert clashes == {}


def test_courts_sit_somewhere_at_a_known_level(
    data: dict[str, list[dict]], places: dict[str, dict]
) -> None:
    levels = {rec["id"] for rec in data["court_levels"]}
    for court in data["courts"]:
        assert court["seat"] in places, court["id"]
        assert places[court["seat"]]["kind"] != "country", court["id"]
        assert court["level"] in levels, court["id"]


def test_district_and_high_courts(data: dict[str, list[dict]]) -> None:
    courts = data["courts"]
    by_level: dict[str, list[dict]] = defaultdict(list)
    for court in courts:
        by_level[court["level"]].append(court)
    assert len(by_level["supreme"]) == 1
    assert len(by_level["district"]) == 50
    assert all(c["label"].endswith(" District Court") for c in by_level["district"])
    regional = [c for c in by_level["high"] if c["id"] != "intellectual-property-high-court"]
    assert len(regional) == 8
    # family courts sit beside district courts, one for one
    assert sorted(c["seat"] for c in by_level["family"]) == sorted(
        c["seat"] for c in by_level["district"]
    )


def test_each_prefecture_has_a_district_court(
    data: dict[str, list[dict]], places: dict[str, dict]
) -> None:
    def prefecture_of(seat: str) -> str:
        return seat if places[seat]["kind"] == "prefecture" else places[seat]["parent"]

    covered = {prefecture_of(c["seat"]) for c in data["courts"] if c["level"] == "district"}
    assert covered == {r["id"] for r in places.values() if r["kind"] == "prefecture"}


@pytest.mark.parametrize(
    ("name", "labels"),
    [
        ("roles", ROLE_LABELS),
        ("benefits", BENEFIT_LABELS),
        ("outcomes", OUTCOME_LABELS),
        ("court_levels", COURT_LEVEL_LABELS),
    ],
)
def test_concept_labels_are_the_required_ones(
    data: dict[str, list[dict]], name: str, labels: dict[str, str]
) -> None:
    assert {rec["id"]: rec["label"] for rec in data[name]} == labels


@pytest.mark.parametrize("name", ["roles", "benefits", "outcomes"])
def test_patterns_are_lower_case_longest_first_and_owned_once(
    data: dict[str, list[dict]], name: str
) -> None:
    seen: dict[str, str] = {}
    for rec in data[name]:
        patterns = rec["patterns"]
        assert patterns and all(p == p.lower() for p in patterns), rec["id"]
        assert [len(p) for p in patterns] == sorted((len(p) for p in patterns), reverse=True)
        for p in patterns:
            assert seen.setdefault(p, rec["id"]) == rec["id"], p


def test_role_scopes(data: dict[str, list[dict]]) -> None:
    assert all(rec["scope"] in ROLE_SCOPES for rec in data["roles"])


def test_outcome_that_contains_another_is_checked_first(data: dict[str, list[dict]]) -> None:
    outcomes = data["outcomes"]
    priorities = [rec["priority"] for rec in outcomes]
    assert all(isinstance(p, int) for p in priorities)
    assert len(set(priorities)) == len(priorities)
    for outer in outcomes:
        for inner in outcomes:
            if outer is inner:
                continue
            nested = any(
                re.search(rf"\b{re.escape(short)}\b", long)
                for long in outer["patterns"]
                for short in inner["patterns"]
            )
            if nested:
                assert outer["priority"] < inner["priority"], (outer["id"], inner["id"])


def test_organizations(data: dict[str, list[dict]]) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for rec in data["organizations"]:
        assert rec["kind"] in ORGANIZATION_KINDS, rec["id"]
        for name in names_of(rec):
            owners[name.casefold()].add(rec["id"])
    assert {n: ids for n, ids in owners.items() if len(ids) > 1} == {}
