"""Score a built graph against gold answers to the competency questions (CQs).

The metrics are those of ``../shared/eval/score.py``, the script the project is judged
by; that script is not part of the package, so kg carries its own implementation with
the same normalisers, the same matching and claiming algorithm and the same numbers
(``tests/test_evaluate.py`` runs both on one fixture and compares them).

A gold file holds, for each CQ, the key fields that identify a row, the kind of every
field (a name in :data:`MATCHERS`), optionally a pair of fields whose order does not
matter, and the gold rows. Each CQ is answered by running ``<queries>/<name>.rq`` over
the graph:

- a predicted row matches a gold row when every key field matches;
- each required gold row claims the matching predicted row that gets most of its other
  fields right (one predicted row per gold row);
- precision = correct predicted rows / predicted rows, where a row is correct when it
  was claimed or repeats a gold row with every field right (the same fact from another
  article); rows that only match gold rows marked ``"optional"`` count for neither;
- recall = required gold rows matched / required gold rows;
- attribute accuracy = non-key gold values (not null) that the claimed row gets right.

Gold values may be a list of alternatives; null matches anything and is not scored.
The tables below (titles, place words, roles, benefits, ...) are the scoring contract
itself, copied from score.py, so they stay here rather than in kg/data.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rdflib
from rdflib import Literal, URIRef
from rdflib.term import Node

from kg.errors import E, KGError

Scalar = str | int | float | bool
GoldValue = Scalar | list[Scalar] | None  # a list holds accepted alternatives
GoldRow = dict[str, Any]  # field -> GoldValue, plus "optional": bool
Row = dict[str, str | None]  # a predicted row: variable -> value read from the graph

# ---------------------------------------------------------------- text helpers


def fold(text: str) -> str:
    """Lower case without accents, with typographic quotes made plain."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    for curly, plain in (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"')):
        text = text.replace(curly, plain)
    return text.lower()


def humanize(local: str) -> str:
    """Turn an IRI local name ("unconstitutional-state", "primeMinister") into words."""
    local = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", local)
    return re.sub(r"[_\-]+", " ", local)


def tokens(text: str, drop: frozenset[str] = frozenset()) -> list[str]:
    """The folded words of ``text`` (possessive 's and apostrophes removed), minus ``drop``."""
    words = re.findall(r"[a-z0-9]+", fold(text).replace("'s ", " ").replace("'", ""))
    return [w for w in words if w not in drop]


def subset_match(a: Sequence[str], b: Sequence[str]) -> bool:
    """True when both word lists are non-empty and one word set contains the other."""
    sa, sb = set(a), set(b)
    return bool(sa) and bool(sb) and (sa <= sb or sb <= sa)


# ---------------------------------------------------------------- field kinds

TITLES = frozenset(
    "mr mrs ms miss dr prof governor gov mayor prime minister pm judge justice presiding "
    "chief secretary lawmaker assemblyman assemblywoman campaigner activist plaintiff the".split()
)
PLACE_WORDS = frozenset(
    "the of ward city town village prefecture prefectural metropolis metropolitan government "
    "area office ku shi ken fu to special region".split()
)
ORG_WORDS = frozenset("the of inc corp corporation co ltd".split())
COURT_WORDS = PLACE_WORDS | {"court", "courts", "branch", "a", "in"}
COURT_LEVELS = ("supreme", "high", "district", "family", "summary")

# Ordered: the first canonical role one of whose aliases occurs wins.
ROLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("chief cabinet secretary", ("chief cabinet secretary",)),
    ("prime minister", ("prime minister", "premier")),
    ("governor", ("governor",)),
    ("mayor", ("mayor", "head of the ward", "ward head", "head of shibuya", "ward chief")),
    ("judge", ("judge", "justice")),
    ("minister", ("minister",)),
    ("secretary", ("secretary", "aide")),
    (
        "assembly member",
        (
            "assemblyman",
            "assemblywoman",
            "assembly member",
            "assemblyperson",
            "representative",
            "lawmaker",
            "councillor",
            "councilor",
            "council member",
            "legislator",
            "member of the assembly",
            "diet member",
            "assembly",
        ),
    ),
)

# Ordered: the first canonical benefit one of whose stems occurs wins.
BENEFITS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("spousal visa", ("visa", "spousal", "residency status")),
    ("inheritance", ("inherit",)),
    ("adoption", ("adopt",)),
    ("parental rights", ("parental", "custody", "child")),
    ("tax", ("tax",)),
    ("insurance", ("insurance",)),
    ("housing", ("housing", "rent", "apartment", "tenan", "residence", "dwelling", "lease")),
    ("medical", ("medic", "health", "hospital", "surgery", "icu", "clinic")),
    ("welfare", ("welfare", "social service")),
)

TRUE_WORDS = frozenset(
    {"true", "1", "yes", "granted", "grants", "included", "covered", "provided", "allowed"}
)
FALSE_WORDS = frozenset(
    {"false", "0", "no", "excluded", "not granted", "denied", "none", "not covered", "not provided"}
)

JURISDICTION_TYPES: dict[str, tuple[str, ...]] = {
    "country": ("country", "nation", "state"),
    "prefecture": ("prefecture", "metropolis", "prefectural"),
    "municipality": ("municipality", "ward", "city", "town", "village", "municipal"),
}


def match_name(gold: Scalar, pred: str) -> bool:
    """Person names by their words, titles ignored, at most two words apart."""
    g, p = tokens(str(gold), TITLES), tokens(pred, TITLES)
    return subset_match(g, p) and abs(len(set(g)) - len(set(p))) <= 2


def match_org(gold: Scalar, pred: str) -> bool:
    return subset_match(tokens(str(gold), ORG_WORDS), tokens(pred, ORG_WORDS))


def match_place(gold: Scalar, pred: str) -> bool:
    """Places by their words, without "ward", "city", "prefecture" and the like."""
    return subset_match(tokens(str(gold), PLACE_WORDS), tokens(pred, PLACE_WORDS))


def court_parts(text: str) -> tuple[str | None, list[str]]:
    """A court's level ("district", ...) if named, and the words of its seat."""
    words = tokens(text, COURT_WORDS)
    level = next((w for w in words if w in COURT_LEVELS), None)
    return level, [w for w in words if w not in COURT_LEVELS]


def match_court(gold: Scalar, pred: str) -> bool:
    """Courts by seat and level; a court without a seat matches only as the Supreme Court."""
    (gold_level, gold_seat), (pred_level, pred_seat) = court_parts(str(gold)), court_parts(pred)
    if gold_level and pred_level and gold_level != pred_level:
        return False
    if not gold_seat and not pred_seat:
        return gold_level == pred_level == "supreme"
    return subset_match(gold_seat, pred_seat)


def iso_parts(text: str) -> list[str] | None:
    """The year, month and day found in an ISO date of any precision."""
    m = re.search(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", str(text))
    return [p for p in m.groups() if p] if m else None


def match_date(gold: Scalar, pred: str) -> bool:
    """Dates agree on every part both state: "2021" matches "2021-03-17", "2021-04" does not."""
    g, p = iso_parts(str(gold)), iso_parts(pred)
    if not g or not p:
        return False
    n = min(len(g), len(p))
    return g[:n] == p[:n]


def canon_role(text: str) -> str:
    t = " ".join(tokens(text))
    for role, aliases in ROLES:
        if any(re.search(rf"\b{re.escape(a)}\b", t) for a in aliases):
            return role
    return t


def match_role(gold: Scalar, pred: str) -> bool:
    return canon_role(str(gold)) == canon_role(pred)


def canon_outcome(text: str) -> str:
    t = " ".join(tokens(text))
    if "state of unconstitutionality" in t or "unconstitutional state" in t:
        return "unconstitutional state"
    if "unconstitutional" in t or "violat" in t:
        return "unconstitutional"
    if "constitutional" in t:
        return "constitutional"
    return t


def match_outcome(gold: Scalar, pred: str) -> bool:
    return canon_outcome(str(gold)) == canon_outcome(pred)


def canon_benefit(text: str) -> str:
    t = " ".join(tokens(text))
    for benefit, stems in BENEFITS:
        if any(s in t for s in stems):
            return benefit
    return t


def match_benefit(gold: Scalar, pred: str) -> bool:
    return canon_benefit(str(gold)) == canon_benefit(pred)


def canon_bool(text: str) -> bool | None:
    t = " ".join(tokens(text))
    if t in TRUE_WORDS:
        return True
    if t in FALSE_WORDS:
        return False
    return None


def match_bool(gold: Scalar, pred: str) -> bool:
    g = gold if isinstance(gold, bool) else canon_bool(str(gold))
    return g is not None and g == canon_bool(pred)


def number(text: Scalar) -> float | None:
    """The first number written in ``text`` ("1,234.5" -> 1234.5), if any."""
    m = re.search(r"-?\d[\d,]*(?:\.\d+)?", str(text))
    return float(m.group().replace(",", "")) if m else None


def match_number(gold: Scalar, pred: str) -> bool:
    """Equal numbers; a fraction (0.57) also matches the percentage (57)."""
    g, p = number(gold), number(pred)
    if g is None or p is None:
        return False
    return abs(g - p) < 1e-6 or (p <= 1 < g and abs(g - 100 * p) < 1e-6)


def match_text(gold: Scalar, pred: str) -> bool:
    """Quotes by word overlap: most of the shorter and a good part of the longer."""
    a, b = set(tokens(str(gold))), set(tokens(pred))
    if not a or not b:
        return False
    both = len(a & b)
    return both / min(len(a), len(b)) >= 0.75 and both / max(len(a), len(b)) >= 0.3


def match_type(gold: Scalar, pred: str) -> bool:
    """A jurisdiction type ("country", "prefecture", "municipality") by any of its words."""
    t = " ".join(tokens(pred))
    kind = next((k for k, words in JURISDICTION_TYPES.items() if any(w in t for w in words)), t)
    return kind == gold


Matcher = Callable[[Scalar, str], bool]

MATCHERS: dict[str, Matcher] = {
    "name": match_name,
    "org": match_org,
    "place": match_place,
    "court": match_court,
    "date": match_date,
    "role": match_role,
    "outcome": match_outcome,
    "benefit": match_benefit,
    "bool": match_bool,
    "number": match_number,
    "text": match_text,
    "type": match_type,
}


def field_match(kind: str, gold: GoldValue, pred: str | None) -> bool:
    """True when ``pred`` matches ``gold`` (or one of its alternatives); null gold matches all."""
    if gold is None:
        return True
    if pred is None or pred == "":
        return False
    alternatives = gold if isinstance(gold, list) else [gold]
    return any(MATCHERS[kind](g, pred) for g in alternatives)


# ---------------------------------------------------------------- gold file


@dataclass(frozen=True)
class CompetencyQuestion:
    """One CQ of a gold file: which fields identify a row, how each field is compared."""

    name: str
    key: tuple[str, ...]
    fields: Mapping[str, str]  # field -> kind, a name in MATCHERS
    rows: tuple[GoldRow, ...]
    unordered: tuple[str, str] | None = None  # two key fields whose order does not matter
    question: str = ""

    @property
    def required(self) -> list[GoldRow]:
        return [g for g in self.rows if not g.get("optional")]

    @property
    def optional(self) -> list[GoldRow]:
        return [g for g in self.rows if g.get("optional")]


def load_gold(path: Path) -> dict[str, CompetencyQuestion]:
    """Read a gold file (the format of ../shared/eval/gold/seeds.json), CQs in file order."""
    if not path.is_file():
        raise KGError(E.E001, path=path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise KGError(E.E006, path=path, reason=exc) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise KGError(E.E002, path=path, reason=exc) from exc
    cqs = data.get("cqs") if isinstance(data, dict) else None
    if not isinstance(cqs, dict):
        raise KGError(E.E006, path=path, reason='no "cqs" object')
    return {name: _competency_question(path, name, cq) for name, cq in cqs.items()}


def _competency_question(path: Path, name: str, cq: Any) -> CompetencyQuestion:
    def bad(reason: str) -> KGError:
        return KGError(E.E006, path=path, reason=f"CQ {name!r}: {reason}")

    if not isinstance(cq, dict) or not all(k in cq for k in ("key", "fields", "rows")):
        raise bad('needs "key", "fields" and "rows"')
    fields = cq["fields"]
    unknown = sorted({kind for kind in fields.values() if kind not in MATCHERS})
    if unknown:
        raise bad(f"unknown field kind {unknown[0]!r}; known: {', '.join(MATCHERS)}")
    if not cq["key"] or any(k not in fields for k in cq["key"]):
        raise bad("every key field must be one of its fields")
    unordered = cq.get("unordered")
    if unordered and (len(unordered) != 2 or any(k not in fields for k in unordered)):
        raise bad('"unordered" must name two of its fields')
    return CompetencyQuestion(
        name=name,
        key=tuple(cq["key"]),
        fields=dict(fields),
        rows=tuple(cq["rows"]),
        unordered=(unordered[0], unordered[1]) if unordered else None,
        question=cq.get("question", ""),
    )


# ---------------------------------------------------------------- graph side

LABEL_PROPERTIES = ("label", "prefLabel", "name")  # local names: rdfs, skos, schema, foaf


def load_graph(path: Path) -> rdflib.Dataset:
    """Parse a graph file of any RDF syntax rdflib knows; named graphs form one union."""
    if not path.is_file():
        raise KGError(E.E104, path=path)
    fmt = rdflib.util.guess_format(str(path)) or "turtle"
    ds = rdflib.Dataset(default_union=True)
    try:
        ds.parse(str(path), format=fmt)
    except Exception as exc:  # rdflib's parsers raise many unrelated types
        raise KGError(E.E302, path=path, format=fmt, reason=exc) from exc
    return ds


def _local_name(iri: str) -> str:
    return re.split(r"[#/]", iri)[-1]


def value_of(ds: rdflib.Dataset, term: Node | None, cache: dict[Node, str | None]) -> str | None:
    """How a result value reads: a literal's lexical form, an IRI's label (English or
    untagged preferred) or else its humanised local name; a blank node reads as None."""
    if term is None:
        return None
    if isinstance(term, Literal):
        return str(term)
    if term in cache:
        return cache[term]
    label: str | None = None
    if isinstance(term, URIRef):
        for p, o in ds.predicate_objects(term):
            if isinstance(o, Literal) and _local_name(str(p)) in LABEL_PROPERTIES:
                if o.language in (None, "en") or label is None:
                    label = str(o)
        if label is None:
            label = humanize(_local_name(str(term).rstrip("/#")))
    cache[term] = label
    return label


def run_query(ds: rdflib.Dataset, query: str) -> list[Row]:
    """The distinct rows of a SPARQL SELECT, values read by :func:`value_of`, sorted."""
    cache: dict[Node, str | None] = {}
    rows = [
        {str(var): value_of(ds, value, cache) for var, value in binding.items()}
        for binding in ds.query(query).bindings
    ]
    unique = {tuple(sorted(row.items(), key=lambda kv: kv[0])) for row in rows}
    return [dict(t) for t in sorted(unique, key=str)]


# ---------------------------------------------------------------- scoring


def prf(correct: int, predicted: int, found: int, gold: int) -> tuple[float, float, float]:
    """Precision, recall and F1; recall is 1 when there is nothing to find."""
    p = correct / predicted if predicted else 0.0
    r = found / gold if gold else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


@dataclass
class CQScore:
    """The counts for one competency question."""

    name: str
    predicted: int  # predicted rows counted (rows matching only optional gold rows are not)
    correct: int
    gold: int  # required gold rows
    found: int
    attr_right: int
    attr_total: int
    wrong: list[Row] = field(default_factory=list)
    missed: list[GoldRow] = field(default_factory=list)
    error: str | None = None  # why the query gave no rows (missing or broken), if it did not run

    @property
    def precision(self) -> float:
        return prf(self.correct, self.predicted, self.found, self.gold)[0]

    @property
    def recall(self) -> float:
        return prf(self.correct, self.predicted, self.found, self.gold)[1]

    @property
    def f1(self) -> float:
        return prf(self.correct, self.predicted, self.found, self.gold)[2]

    @property
    def attribute_accuracy(self) -> float:
        return self.attr_right / self.attr_total if self.attr_total else 1.0

    def as_dict(self) -> dict[str, Any]:
        """The counts as score.py --json writes them for one CQ."""
        return {
            "predicted": self.predicted,
            "correct": self.correct,
            "gold": self.gold,
            "found": self.found,
            "attr_right": self.attr_right,
            "attr_total": self.attr_total,
            "wrong": self.wrong,
            "missed": self.missed,
            "error": self.error,
        }


@dataclass
class EvalReport:
    """Scores for every CQ of a gold file, with micro-averaged totals."""

    cqs: dict[str, CQScore]

    def _total(self, count: str) -> int:
        return sum(getattr(score, count) for score in self.cqs.values())

    def _prf(self) -> tuple[float, float, float]:
        return prf(
            self._total("correct"),
            self._total("predicted"),
            self._total("found"),
            self._total("gold"),
        )

    @property
    def precision(self) -> float:
        return self._prf()[0]

    @property
    def recall(self) -> float:
        return self._prf()[1]

    @property
    def f1(self) -> float:
        return self._prf()[2]

    @property
    def attribute_accuracy(self) -> float:
        total = self._total("attr_total")
        return self._total("attr_right") / total if total else 1.0

    def as_dict(self) -> dict[str, Any]:
        """The report in the shape of score.py --json."""
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "attribute_accuracy": self.attribute_accuracy,
            "cqs": {name: score.as_dict() for name, score in self.cqs.items()},
        }

    def table(self, verbose: bool = False) -> str:
        """A text table, one line per CQ and a micro line (score.py's text layout);
        ``verbose`` lists the wrong and missed rows under each CQ."""
        lines = [f"{'cq':<14}{'pred':>5}{'gold':>5}{'P':>7}{'R':>7}{'F1':>7}{'attr':>7}  note"]
        for name, s in self.cqs.items():
            lines.append(
                f"{name:<14}{s.predicted:>5}{s.gold:>5}{s.precision:>7.2f}{s.recall:>7.2f}"
                f"{s.f1:>7.2f}{s.attribute_accuracy:>7.2f}  {s.error or ''}"
            )
            if verbose:
                lines.extend(f"    wrong:  {w}" for w in s.wrong)
                lines.extend(
                    f"    missed: { {k: v for k, v in m.items() if k != 'optional'} }"
                    for m in s.missed
                )
        lines.append(
            f"micro: precision {self.precision:.3f} recall {self.recall:.3f} f1 {self.f1:.3f}"
            f" attribute_accuracy {self.attribute_accuracy:.3f}"
        )
        return "\n".join(lines)


def keys_match(cq: CompetencyQuestion, gold: GoldRow, pred: Row) -> bool:
    """True when every key field matches, in either order for the unordered pair."""
    if all(field_match(cq.fields[k], gold.get(k), pred.get(k)) for k in cq.key):
        return True
    if cq.unordered is None:
        return False
    a, b = cq.unordered
    swapped = dict(pred, **{a: pred.get(b), b: pred.get(a)})
    return all(field_match(cq.fields[k], gold.get(k), swapped.get(k)) for k in cq.key)


def attrs_right(cq: CompetencyQuestion, gold: GoldRow, pred: Row) -> tuple[int, int]:
    """How many of the gold row's non-key, non-null values ``pred`` gets right, out of how many."""
    scored = [f for f in cq.fields if f not in cq.key and gold.get(f) is not None]
    return sum(field_match(cq.fields[f], gold[f], pred.get(f)) for f in scored), len(scored)


def score_cq(cq: CompetencyQuestion, pred_rows: Sequence[Row], error: str | None = None) -> CQScore:
    """Score the rows a CQ's query returned against its gold rows.

    Each required gold row claims its best unclaimed predicted row with matching keys
    (the first of equals, in row order). A predicted row is correct when it was claimed
    or repeats a gold row with every attribute right; a row matching only optional gold
    rows is not counted; any other row is wrong.
    """
    required, optional = cq.required, cq.optional
    claimed: set[int] = set()
    found = right = total = 0
    missed: list[GoldRow] = []
    for g in required:
        candidates = [
            i for i, p in enumerate(pred_rows) if i not in claimed and keys_match(cq, g, p)
        ]
        if not candidates:
            missed.append(g)
            total += attrs_right(cq, g, {})[1]
            continue
        best = max(candidates, key=lambda i: attrs_right(cq, g, pred_rows[i])[0])
        claimed.add(best)
        found += 1
        got, out_of = attrs_right(cq, g, pred_rows[best])
        right += got
        total += out_of
    counted = hit = 0
    wrong: list[Row] = []
    for i, p in enumerate(pred_rows):
        golds = [g for g in required if keys_match(cq, g, p)]
        if not golds and any(keys_match(cq, g, p) for g in optional):
            continue
        counted += 1
        repeats = any(got == out_of for got, out_of in (attrs_right(cq, g, p) for g in golds))
        if i in claimed or repeats:
            hit += 1
        else:
            wrong.append(p)
    return CQScore(
        name=cq.name,
        predicted=counted,
        correct=hit,
        gold=len(required),
        found=found,
        attr_right=right,
        attr_total=total,
        wrong=wrong,
        missed=missed,
        error=error,
    )


def evaluate(graph_path: Path, gold_path: Path, queries_dir: Path) -> EvalReport:
    """Run ``queries_dir/<cq>.rq`` for every CQ of the gold file over the graph and score
    the rows. A missing or failing query scores as no rows, its error noted."""
    cqs = load_gold(gold_path)
    ds = load_graph(graph_path)
    scores: dict[str, CQScore] = {}
    for name, cq in cqs.items():
        qfile = queries_dir / f"{name}.rq"
        rows: list[Row] = []
        error: str | None = None
        if not qfile.exists():
            error = f"missing {qfile.name}"
        else:
            try:
                rows = run_query(ds, qfile.read_text(encoding="utf-8"))
            except Exception as exc:  # any failure of one query must not stop the others
                error = f"{type(exc).__name__}: {exc}"
        scores[name] = score_cq(cq, rows, error)
    return EvalReport(scores)
