"""How well the built graphs answer the competency questions: the seed graph scored by the
project's own judge (../shared/eval/score.py), the held-out articles by kg.evaluate."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kg.build import build
from kg.evaluate import evaluate

REPO = Path(__file__).resolve().parents[1]
SCORE_PY = REPO.parent / "shared" / "eval" / "score.py"
SEED_GOLD = REPO.parent / "shared" / "eval" / "gold" / "seeds.json"
DATA = REPO / "tests" / "data"
QUERIES = REPO / "queries"

# The bars; raise them as the extractors improve, never lower them to make a test pass.
SEED_MIN_F1 = 0.95
SEED_MIN_ATTRIBUTE_ACCURACY = 0.95
# Our own articles with gold answers: heldout/ was used while tuning the extractors;
# blind/ was written without looking at the extractor code (seen since, so tuning on
# it is no longer blind). Measured at this commit: heldout 1.000/1.000, blind 0.996/0.955.
HELDOUT_BARS = {"heldout": (0.95, 0.95), "blind": (0.95, 0.90)}


def test_seed_graph_scores_with_score_py(tmp_path: Path) -> None:
    if not (SCORE_PY.exists() and SEED_GOLD.exists()):
        pytest.skip(f"{SCORE_PY} or {SEED_GOLD} is missing (CI has ../shared beside the repo)")
    graph = tmp_path / "kg.ttl"
    build([REPO / "seeds"], graph)
    run = subprocess.run(
        [sys.executable, str(SCORE_PY), str(graph), "--queries", str(QUERIES),
         "--gold", str(SEED_GOLD), "--json"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert run.returncode == 0, run.stderr
    score = json.loads(run.stdout)
    errors = {name: cq["error"] for name, cq in score["cqs"].items() if cq["error"]}
    assert not errors
    assert score["f1"] >= SEED_MIN_F1, run.stdout
    assert score["attribute_accuracy"] >= SEED_MIN_ATTRIBUTE_ACCURACY, run.stdout


@pytest.mark.parametrize("name", sorted(HELDOUT_BARS))
def test_heldout_articles_score(name: str, tmp_path: Path) -> None:
    graph = tmp_path / f"{name}.ttl"
    report = build([DATA / name / "articles"], graph)
    assert report.articles >= 8 and not report.warnings
    scores = evaluate(graph, DATA / name / "gold.json", QUERIES)
    assert not [s.error for s in scores.cqs.values() if s.error]
    min_f1, min_attributes = HELDOUT_BARS[name]
    assert scores.f1 >= min_f1, scores.table(verbose=True)
    assert scores.attribute_accuracy >= min_attributes, scores.table(verbose=True)
