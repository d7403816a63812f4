"""kg.cache: a rebuild reads and extracts only what changed, and writes the same bytes."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import kg
from kg import cache as cache_module
from kg.build import build
from kg.cache import Cache, default_dir, fingerprint
from kg.cli import app
from kg.model import Article, Evidence, Fact, Ref

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"

ARTICLE = Article("a001", "corpus/a001.txt", "Osaka began issuing certificates.", title="Osaka")
FACT = Fact(
    "system",
    (("jurisdiction", Ref("jurisdiction", "Osaka", "osaka")), ("count", 137), ("share", 0.5)),
    Evidence("a001", 0, 33, "Osaka began issuing certificates."),
    "systems",
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed articles, in a folder of their own (a test may change one)."""
    folder = tmp_path_factory.mktemp("corpus") / "seeds"
    shutil.copytree(SEEDS, folder)
    return folder


@pytest.fixture(scope="module")
def builds(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    """The corpus built without a cache, with an empty one, and again with it filled:
    {name: (bytes, report, cache)}."""
    out = tmp_path_factory.mktemp("builds")
    root = out / "cache"
    found = {}
    for name, cache in (("none", None), ("cold", Cache(root)), ("warm", Cache(root))):
        report = build([corpus], out / f"{name}.ttl", cache=cache)
        found[name] = ((out / f"{name}.ttl").read_bytes(), report, cache)
    return found


def test_cold_warm_and_no_cache_write_the_same_bytes(builds: dict[str, tuple]) -> None:
    assert builds["cold"][0] == builds["none"][0]
    assert builds["warm"][0] == builds["none"][0]


def test_a_warm_build_extracts_nothing(builds: dict[str, tuple]) -> None:
    _, cold, cold_cache = builds["cold"]
    _, warm, warm_cache = builds["warm"]
    assert cold.cached == 0 and cold_cache.hits == 0
    assert warm.cached == warm.articles == cold.articles
    assert warm_cache.misses == 0 and warm_cache.hits > warm.articles  # files and articles
    assert f"({warm.articles} from the cache)" in warm.summary()
    assert (warm.facts, warm.triples) == (cold.facts, cold.triples)


def test_a_changed_article_is_read_and_extracted_again(
    builds: dict[str, tuple], corpus: Path, tmp_path: Path
) -> None:
    first = sorted(corpus.iterdir())[0]
    before = first.read_bytes()
    first.write_bytes(before + b"\n\nMore couples applied in Osaka.\n")
    try:
        warm_cache = builds["warm"][2]
        report = build([corpus], tmp_path / "kg.ttl", cache=Cache(warm_cache.root))
        build([corpus], tmp_path / "fresh.ttl")
    finally:
        first.write_bytes(before)
    assert report.cached == report.articles - 1
    assert (tmp_path / "kg.ttl").read_bytes() == (tmp_path / "fresh.ttl").read_bytes()
    assert (tmp_path / "kg.ttl").read_bytes() != builds["none"][0]


def test_stored_facts_come_back_equal(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    assert cache.facts(ARTICLE) is None
    cache.store_facts(ARTICLE, [FACT])
    assert Cache(tmp_path).facts(ARTICLE) == [FACT]


def test_the_whole_article_is_the_key(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.store_facts(ARTICLE, [FACT])
    for other in (
        Article(ARTICLE.id, ARTICLE.source, ARTICLE.text + " ", ARTICLE.title),
        Article(ARTICLE.id, "elsewhere/a001.txt", ARTICLE.text, ARTICLE.title),
        Article("a002", ARTICLE.source, ARTICLE.text, ARTICLE.title),
        Article(ARTICLE.id, ARTICLE.source, ARTICLE.text, ARTICLE.title, published="2022-11-01"),
    ):
        assert cache.facts(other) is None


def test_a_file_is_keyed_on_its_bytes_and_path(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.store_read("corpus/a001.txt", b"Osaka began", [ARTICLE])
    assert cache.read("corpus/a001.txt", b"Osaka began") == [ARTICLE]
    assert cache.read("corpus/a001.txt", b"Osaka began.") is None
    assert cache.read("other/a001.txt", b"Osaka began") is None


def test_another_kg_version_misses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Cache(tmp_path).store_facts(ARTICLE, [FACT])
    monkeypatch.setattr(kg, "__version__", kg.__version__ + ".post1")
    fingerprint.cache_clear()
    try:
        assert Cache(tmp_path).facts(ARTICLE) is None
    finally:
        monkeypatch.undo()
        fingerprint.cache_clear()
    assert Cache(tmp_path).facts(ARTICLE) == [FACT]


def test_the_fingerprint_covers_code_data_and_model() -> None:
    text = fingerprint()
    assert kg.__version__ in text and "en_core_web_sm" in text
    assert len(text.rsplit("\0", 1)[1]) == 64  # the digest of the package's files


def test_a_damaged_entry_is_a_miss(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.store_facts(ARTICLE, [FACT])
    (entry,) = (tmp_path).rglob("*.json")
    entry.write_text('{"key": "facts-', encoding="ascii")  # a write cut short
    again = Cache(tmp_path)
    assert again.facts(ARTICLE) is None and again.misses == 1
    again.store_facts(ARTICLE, [FACT])
    assert Cache(tmp_path).facts(ARTICLE) == [FACT]


def test_a_cache_that_cannot_be_written_is_one_warning(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be", encoding="utf-8")
    cache = Cache(blocked)
    cache.store_facts(ARTICLE, [FACT])
    cache.store_read("a.txt", b"a", [ARTICLE])
    assert len(cache.warnings) == 1 and "[E901]" in cache.warnings[0]
    assert cache.facts(ARTICLE) is None


def test_a_build_goes_on_without_a_cache_it_cannot_write(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("", encoding="utf-8")
    one = sorted(SEEDS.iterdir())[0]
    report = build([one], tmp_path / "with.ttl", cache=Cache(blocked))
    build([one], tmp_path / "without.ttl")
    assert [w for w in report.warnings if "[E901]" in w] == report.warnings[-1:]
    assert (tmp_path / "with.ttl").read_bytes() == (tmp_path / "without.ttl").read_bytes()


def test_where_the_cache_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path / "mine"))
    assert default_dir() == tmp_path / "mine"
    monkeypatch.delenv("KG_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_dir() == tmp_path / "xdg" / "kg"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_dir() == tmp_path / "home" / ".cache" / "kg"


def test_no_home_means_no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "default_dir", lambda: None)
    cache = Cache(cache_module.default_dir())
    cache.store_facts(ARTICLE, [FACT])
    assert cache.facts(ARTICLE) is None and "[E901]" in cache.warnings[0]


def test_kg_build_uses_the_cache_unless_told_not_to(tmp_path: Path) -> None:
    runner = CliRunner()
    one = sorted(SEEDS.iterdir())[0]
    root = tmp_path / "cache"
    env = {"KG_CACHE_DIR": str(root)}
    skip = runner.invoke(app, ["build", str(one), "-o", str(tmp_path / "a.ttl"), "--no-cache"],
                         env=env)
    assert skip.exit_code == 0, skip.output
    assert not root.exists()
    for name in ("b", "c"):
        used = runner.invoke(app, ["build", str(one), "-o", str(tmp_path / f"{name}.ttl")],
                             env=env)
        assert used.exit_code == 0, used.output
    assert "(1 from the cache)" in used.stderr and any(root.rglob("*.json"))
    assert {(tmp_path / f"{n}.ttl").read_bytes() for n in "abc"} == {
        (tmp_path / "a.ttl").read_bytes()
    }
