"""A deterministic corpus of generated news articles, for benchmarks (no network).

``write_corpus(n, folder)`` writes articles 0..n-1 in every input shape kg reads: plain
text with page clutter, HTML fragments, Python lists of HTML strings, JSON objects, whole
HTML pages and JSON Lines files of several records. Each article is one of the topics of
the real articles (certificates, partnership systems, court rulings, polls, politics), in
their phrasings (bench/data/corpus.json), with people, places, courts, organisations,
dates and numbers drawn from seeded pools and kg's own gazetteers, so extraction finds
facts and resolution has names and events to merge across articles.

Article i depends only on (seed, i): the first n articles of a bigger corpus are the n
articles of a smaller one, and ``write_article`` adds one more as a file of its own.

    python -m bench.corpus 1000 /tmp/corpus-1000
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from kg.resources import load_jsonl

DATA = Path(__file__).parent / "data" / "corpus.json"
MONTHS = (
    "January February March April May June July August September October November December"
).split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday".split()
SMALL = ("two", "three", "four", "five", "six")
# shapes in turn; "jsonl" articles are gathered JSONL_RECORDS to a file
SHAPES = ("text", "fragment", "pylist", "json", "page", "blob", "jsonl")
JSONL_RECORDS = 10


@dataclass(frozen=True)
class Generated:
    """One article before it is given a shape."""

    index: int
    title: str
    paragraphs: tuple[str, ...]
    url: str
    published: str  # ISO date
    photographer: str


@cache
def _data() -> dict[str, Any]:
    return json.loads(DATA.read_text(encoding="utf-8"))


@cache
def _pools() -> dict[str, list[dict[str, Any]]]:
    places = load_jsonl("jurisdictions.jsonl")
    by_id = {row["id"]: row for row in places}
    cities = [
        row
        for row in places
        if row["kind"] == "municipality"
        and not row.get("ambiguous")
        and by_id.get(row.get("parent") or "", {}).get("kind") == "prefecture"
    ]
    return {
        "cities": cities,
        "prefectures": [row for row in places if row["kind"] == "prefecture"],
        "by_id": [by_id],
        "courts": [
            row for row in load_jsonl("courts.jsonl") if row["level"] in ("district", "high")
        ],
        "pollsters": [
            row
            for row in load_jsonl("organizations.jsonl")
            if row["kind"] in ("news", "pollster")
        ],
        "parties": [row for row in load_jsonl("organizations.jsonl") if row["kind"] == "party"],
        "benefits": load_jsonl("benefits.jsonl"),
    }


def _person(rng: random.Random) -> str:
    data = _data()
    return f"{rng.choice(data['given_names'])} {rng.choice(data['surnames'])}"


def generate(index: int, seed: int = 0) -> Generated:
    """Article ``index`` of the corpus of ``seed``."""
    rng = random.Random(f"kg-bench:{seed}:{index}")
    data, pools = _data(), _pools()
    kind = rng.choice(sorted(data["kinds"]))
    template = data["kinds"][kind]
    city = rng.choice(pools["cities"])
    pref = pools["by_id"][0][city["parent"]] if kind != "system" else rng.choice(
        pools["prefectures"]
    )
    year = rng.randint(2015, 2024)
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    benefits = rng.sample(pools["benefits"], 3)
    outcome = rng.choice(sorted(data["outcomes"]))
    p1, p2 = _person(rng), _person(rng)
    slots = {
        "city": city["label"],
        "city_kind": "ward" if "ward" in " ".join(city.get("aliases", [])).lower() else "city",
        "pref": pref["label"],
        "date": f"{MONTHS[month - 1]} {day}, {year}",
        "weekday": rng.choice(WEEKDAYS),
        "month_year": f"{MONTHS[month - 1]} {year}",
        "year": str(year),
        "years": str(rng.randint(2, 40)),
        "small": rng.choice(SMALL),
        "count": f"{rng.randint(3, 2400):,}",
        "age": str(rng.choice((18, 20))),
        "p1": p1,
        "p2": p2,
        "p1_last": p1.split()[1],
        "p1_poss": rng.choice(("his", "her")),
        "mayor": _person(rng),
        "governor": (governor := _person(rng)),
        "governor_last": governor.split()[1],
        "judge": _person(rng),
        "lawyer": _person(rng),
        "court": rng.choice(pools["courts"])["label"],
        "org": rng.choice(pools["pollsters"])["label"],
        "party": rng.choice(pools["parties"])["label"],
        "support": str(rng.randint(40, 80)),
        "oppose": str(rng.randint(10, 40)),
        "quote": rng.choice(data["quotes"]),
        "benefit_a": benefits[0]["patterns"][0],
        "benefit_b": benefits[1]["patterns"][0],
        "excluded": benefits[2]["patterns"][0],
        "outcome_text": data["outcomes"][outcome][0],
        "verdict": data["outcomes"][outcome][1],
        "article_text": rng.choice(data["articles_text"]),
    }
    paragraphs = [p for p in template["paragraphs"] if rng.random() < 0.85] or template[
        "paragraphs"
    ][:2]
    for filler in rng.sample(data["filler"], rng.randint(1, 2)):
        paragraphs.insert(rng.randint(1, len(paragraphs)), filler)
    title = rng.choice(template["titles"]).format(**slots)
    slug = "-".join(title.lower().replace("'", "").split())[:60]
    site = rng.choice(data["sites"])
    return Generated(
        index=index,
        title=title,
        paragraphs=tuple(p.format(**slots) for p in paragraphs),
        url=f"https://{site}/news/{year}/{month:02d}/{day:02d}/{slug}-{index}/",
        published=f"{year}-{month:02d}-{day:02d}",
        photographer=_person(rng),
    )


# --- shapes ---------------------------------------------------------------------------


def _text(a: Generated) -> str:
    clutter = [c.format(photographer=a.photographer) for c in _data()["clutter"]]
    body = list(a.paragraphs)
    body.insert(min(2, len(body)), "\n".join([*clutter[:2], "", a.title, clutter[2]]))
    return "\n\n".join([a.title, *body, clutter[3]]) + "\n"


def _fragment(a: Generated) -> str:
    return ".".join(f"<p>{html.escape(p, quote=False)}</p>" for p in a.paragraphs)


def _pylist(a: Generated) -> str:
    first, *rest = a.paragraphs
    items = [f'<b class="ssrcss-hmf8ql-BoldText e5tfeyi3">{html.escape(first, quote=False)}</b>']
    return repr([*items, *rest])


def _record(a: Generated) -> dict[str, str]:
    return {"title": a.title, "url": a.url, "published": a.published,
            "text": "\n\n".join(a.paragraphs)}


def _json(a: Generated) -> str:
    return json.dumps(_record(a), indent=1, ensure_ascii=False) + "\n"


def _page(a: Generated) -> str:
    e = html.escape
    body = "\n".join(f"<p>{e(p, quote=False)}</p>" for p in a.paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{e(a.title)} | News</title>
<meta property="og:type" content="article">
<meta property="og:title" content="{e(a.title)}">
<meta property="og:url" content="{e(a.url)}">
<meta property="article:published_time" content="{a.published}T09:00:00+09:00">
</head>
<body>
<div id="cookie-banner" class="cookie-consent"><p>We use cookies to give you the best \
experience on our site.</p><button class="accept">Accept</button></div>
<header class="site-header"><nav class="main-nav"><ul><li><a href="/news/">News</a></li>\
<li><a href="/opinion/">Opinion</a></li></ul></nav></header>
<main>
<article class="article">
<h1>{e(a.title)}</h1>
<p class="byline">by Staff writer</p>
<div class="article-body">
{body}
</div>
</article>
<section class="related"><h3>Related stories</h3><ul><li><a href="/news/">More news</a>\
</li></ul></section>
</main>
<footer class="site-footer"><p>&copy; News, Ltd. All rights reserved.</p></footer>
</body>
</html>
"""


def _blob(a: Generated) -> str:
    return " ".join(a.paragraphs) + "\n"


WRITERS = {
    "text": (_text, ".txt"),
    "fragment": (_fragment, ".txt"),
    "pylist": (_pylist, ".txt"),
    "json": (_json, ".json"),
    "page": (_page, ".html"),
    "blob": (_blob, ".txt"),
}


def shape_of(index: int) -> str:
    return SHAPES[index % len(SHAPES)]


def _name(index: int, text: str, suffix: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return f"{index:05d}_{digest}{suffix}"


def write_article(index: int, folder: Path, seed: int = 0, shape: str = "text") -> Path:
    """Write article ``index`` as one file of ``shape`` (not "jsonl") in ``folder``."""
    write, suffix = WRITERS[shape]
    text = write(generate(index, seed))
    path = folder / _name(index, text, suffix)
    path.write_text(text, encoding="utf-8")
    return path


def write_corpus(n: int, folder: Path, seed: int = 0) -> list[Path]:
    """Write articles 0..n-1 into ``folder`` (made if missing); the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    records: list[str] = []
    first = 0
    for i in range(n):
        shape = shape_of(i)
        if shape != "jsonl":
            written.append(write_article(i, folder, seed, shape))
            continue
        if not records:
            first = i
        a = generate(i, seed)
        content = "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in a.paragraphs)
        records.append(json.dumps({"title": a.title, "content": content, "link": a.url,
                                   "published": a.published}, ensure_ascii=False))
        if len(records) == JSONL_RECORDS or i == n - 1 or _last_jsonl(i, n):
            text = "\n".join(records) + "\n"
            path = folder / _name(first, text, ".jsonl")
            path.write_text(text, encoding="utf-8")
            written.append(path)
            records = []
    return written


def _last_jsonl(i: int, n: int) -> bool:
    """No later article below n goes to a JSON Lines file."""
    return all(shape_of(j) != "jsonl" for j in range(i + 1, n))


def words(text: str) -> int:
    return len(text.split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="how many articles")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    files = write_corpus(args.n, args.folder, args.seed)
    print(f"{args.n} articles in {len(files)} files -> {args.folder}")


if __name__ == "__main__":
    main()
