"""A deterministic graph of exactly N triples in kg's layout, for the query, serialization
and page benchmarks (no network, no spaCy: it writes N-Triples directly).

Articles, their sentences, and for each article a few facts about people, couples,
certificates, partnership systems, rulings, polls, quotes and offices, drawn from pools
that grow with the graph (so entities recur across articles, as in a real corpus) and from
kg's gazetteers; every fact triple is reified by an rdf:Statement derived from a sentence,
as kg.graph writes it. Every query in queries/ has answers on it.

    python -m bench.graph 1000000 /tmp/graph.nt
"""

from __future__ import annotations

import argparse
import hashlib
import random
from collections.abc import Iterator
from pathlib import Path

from bench.corpus import _data, _pools
from kg.namespaces import DEFAULT_BASE

KG = "https://w3id.org/kg-jp-partnership/ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
DCT = "http://purl.org/dc/terms/"
SCHEMA = "https://schema.org/"
PROV = "http://www.w3.org/ns/prov#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ID = DEFAULT_BASE
SENTENCES = 8  # per article
ROLES = ("mayor", "governor", "assembly-member", "judge", "spokesperson")
OUTCOMES = ("constitutional", "unconstitutional", "unconstitutional-state")


def iri(text: str) -> str:
    return f"<{text}>"


def lit(text: str, datatype: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"' + (f"^^<{datatype}>" if datatype else "")


def slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


# properties with one value per node (kg.resolve keeps the best supported one)
SINGLE = {
    iri(KG + p)
    for p in ("startDate", "minimumAge", "applicantCount", "issueDate", "issuer", "rulingDate",
              "outcome", "pollYear", "supportPercent", "jurisdiction")
}


class Writer:
    """Triples as N-Triples lines, each once; fact triples with their statements."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.seen: set[str] = set()
        self.statements: dict[str, str] = {}
        self.single: dict[tuple[str, str], str] = {}

    def raw(self, s: str, p: str, o: str) -> None:
        line = f"{s} {p} {o} ."
        if line not in self.seen:
            self.seen.add(line)
            self.lines.append(line)

    def fact(self, s: str, p: str, o: str, sentence: str, extractor: str) -> None:
        """A triple about an entity or fact node, reified, derived from ``sentence``."""
        if p in SINGLE:
            o = self.single.setdefault((s, p), o)
        key = f"{s} {p} {o}"
        statement = self.statements.get(key)
        if statement is None:
            digest = hashlib.sha256(key.encode()).hexdigest()[:20]
            statement = self.statements[key] = iri(f"{ID}statement/s{digest}")
            self.raw(s, p, o)
            self.raw(statement, iri(RDF + "type"), iri(RDF + "Statement"))
            self.raw(statement, iri(RDF + "subject"), s)
            self.raw(statement, iri(RDF + "predicate"), p)
            self.raw(statement, iri(RDF + "object"), o)
        self.raw(statement, iri(PROV + "wasDerivedFrom"), sentence)
        self.raw(statement, iri(KG + "extractor"), lit(extractor))


def _article(w: Writer, i: int, rng: random.Random, pools: dict[str, list]) -> None:
    data = _data()
    aid = f"a{i:07d}"
    article = iri(f"{ID}article/{aid}")
    words = " ".join(rng.choice(data["filler"]) for _ in range(6))
    year, month, day = rng.randint(2015, 2024), rng.randint(1, 12), rng.randint(1, 28)
    date = f"{year:04d}-{month:02d}-{day:02d}"
    title = f"Article {i}: same-sex partnerships in Japan"
    w.raw(article, iri(RDF + "type"), iri(KG + "Article"))
    w.raw(article, iri(DCT + "source"), lit(f"corpus/{aid}.txt"))
    w.raw(article, iri(SCHEMA + "articleBody"), lit(words))
    w.raw(article, iri(DCT + "title"), lit(title))
    w.raw(article, iri(RDFS + "label"), lit(title))
    w.raw(article, iri(SCHEMA + "url"), lit(f"https://news.example.org/{aid}", XSD + "anyURI"))
    w.raw(article, iri(DCT + "date"), lit(date, XSD + "date"))
    sentences = []
    for k in range(SENTENCES):
        sentence = iri(f"{ID}sentence/{aid}-{k * 100}-{k * 100 + 90}")
        sentences.append(sentence)
        w.raw(sentence, iri(RDF + "type"), iri(KG + "Sentence"))
        w.raw(sentence, iri(KG + "sentenceText"), lit(rng.choice(data["filler"])))
        w.raw(sentence, iri(KG + "beginIndex"), lit(str(k * 100), XSD + "integer"))
        w.raw(sentence, iri(KG + "endIndex"), lit(str(k * 100 + 90), XSD + "integer"))
        w.raw(sentence, iri(KG + "inArticle"), article)

    def node(kind: str, name: str, cls: str, label: str, sentence: str, ex: str) -> str:
        n = iri(f"{ID}{kind}/{slug(name)}")
        w.fact(n, iri(RDF + "type"), iri(KG + cls), sentence, ex)
        w.fact(n, iri(RDFS + "label"), lit(label), sentence, ex)
        return n

    def place(row: dict, sentence: str) -> str:
        cls = {"country": "Country", "prefecture": "Prefecture"}.get(row["kind"], "Municipality")
        n = node("jurisdiction", row["id"], cls, row["label"], sentence, "gazetteer")
        parent = row.get("parent")
        if parent:
            prow = pools["by_id"][0][parent]
            w.fact(n, iri(KG + "partOf"), place(prow, sentence), sentence, "gazetteer")
        return n

    def person(sentence: str, ex: str) -> str:
        name = rng.choice(pools["people"])
        return node("person", name, "Person", name, sentence, ex)

    for _ in range(3):
        s = rng.choice(sentences)
        kind = rng.choice(("certificate", "system", "ruling", "poll", "quote", "office"))
        if kind in ("certificate", "system"):
            city = place(rng.choice(pools["cities"]), s)
            label = city.rsplit("/", 1)[1][:-1]
            system = node("system", label, "PartnershipSystem", f"{label} partnership system",
                          s, "systems")
            w.fact(system, iri(KG + "adoptedBy"), city, s, "systems")
            w.fact(system, iri(KG + "startDate"), lit(date, XSD + "date"), s, "systems")
            w.fact(system, iri(KG + "minimumAge"), lit(str(rng.choice((18, 20))),
                                                       XSD + "integer"), s, "eligibility")
            w.fact(system, iri(KG + "applicantCount"),
                   lit(str(rng.randint(3, 2000)), XSD + "integer"), s, "applicants")
            benefit = iri(f"{ID}benefit/{rng.choice(pools['benefits'])['id']}")
            w.fact(system, iri(KG + rng.choice(("grantsBenefit", "excludesBenefit"))), benefit, s,
                   "benefits")
            if kind == "certificate":
                a, b = person(s, "couples"), person(s, "couples")
                if a != b:
                    pair = sorted((a, b))
                    couple = node("couple", f"{pair[0]}-and-{pair[1]}", "Couple",
                                  f"couple {pair[0]} and {pair[1]}", s, "couples")
                    w.fact(couple, iri(KG + "partner"), a, s, "couples")
                    w.fact(couple, iri(KG + "partner"), b, s, "couples")
                    cert = node("certificate", couple, "Certificate", "certificate", s,
                                "certificates")
                    w.fact(cert, iri(KG + "issuedTo"), couple, s, "certificates")
                    w.fact(cert, iri(KG + "issuer"), city, s, "certificates")
                    w.fact(cert, iri(KG + "issueDate"), lit(date, XSD + "date"), s,
                           "certificates")
        elif kind == "ruling":
            row = rng.choice(pools["courts"])
            court = node("court", row["id"], "Court", row["label"], s, "rulings")
            ruling = node("ruling", f"{row['id']}-{year}", "Ruling", f"{row['label']} ruling", s,
                          "rulings")
            w.fact(ruling, iri(KG + "court"), court, s, "rulings")
            w.fact(ruling, iri(KG + "rulingDate"), lit(date, XSD + "date"), s, "rulings")
            w.fact(ruling, iri(KG + "outcome"), iri(f"{ID}outcome/{rng.choice(OUTCOMES)}"), s,
                   "rulings")
        elif kind == "poll":
            row = rng.choice(pools["pollsters"])
            org = node("organization", row["id"], "NewsOrganization", row["label"], s, "polls")
            poll = node("poll", f"{row['id']}-{year}", "Poll", f"{row['label']} poll", s, "polls")
            w.fact(poll, iri(KG + "conductedBy"), org, s, "polls")
            w.fact(poll, iri(KG + "pollYear"), lit(str(year), XSD + "gYear"), s, "polls")
            w.fact(poll, iri(KG + "supportPercent"), lit(f"{rng.randint(40, 80)}.0",
                                                         XSD + "decimal"), s, "polls")
        elif kind == "quote":
            speaker = person(s, "quotes")
            text = rng.choice(data["quotes"])
            quote = node("quote", f"{speaker}-{text[:30]}", "Quotation", text[:60], s, "quotes")
            w.fact(quote, iri(KG + "speaker"), speaker, s, "quotes")
            w.fact(quote, iri(KG + "quoteText"), lit(text), s, "quotes")
        else:
            holder = person(s, "officials")
            role = rng.choice(ROLES)
            office = node("office", f"{holder}-{role}", "OfficeHolding", f"office {role}", s,
                          "officials")
            w.fact(office, iri(KG + "holder"), holder, s, "officials")
            w.fact(office, iri(KG + "role"), iri(f"{ID}role/{role}"), s, "officials")
            w.fact(office, iri(KG + "jurisdiction"), place(rng.choice(pools["cities"]), s), s,
                   "officials")


def _concepts(w: Writer) -> None:
    for kind, cls, names in (
        ("role", "Role", ROLES),
        ("outcome", "Outcome", OUTCOMES),
        ("benefit", "Benefit", [b["id"] for b in _pools()["benefits"]]),
    ):
        for name in names:
            c = iri(f"{ID}{kind}/{name}")
            w.raw(c, iri(RDF + "type"), iri(KG + cls))
            w.raw(c, iri(RDF + "type"), iri(SKOS + "Concept"))
            w.raw(c, iri(SKOS + "prefLabel"), lit(name.replace("-", " ")))
            w.raw(c, iri(RDFS + "label"), lit(name.replace("-", " ")))


def triples(n: int, seed: int = 0) -> Iterator[str]:
    """The first ``n`` N-Triples lines of the graph of ``seed`` (without the final " .")."""
    rng = random.Random(f"kg-bench-graph:{seed}")
    data = _data()
    pools = dict(_pools())
    people_count = max(50, n // 60)
    pools["people"] = [
        f"{rng.choice(data['given_names'])} {rng.choice(data['surnames'])} {k}"
        for k in range(people_count)
    ]
    w = Writer()
    _concepts(w)
    i = 0
    while len(w.lines) < n:
        _article(w, i, rng, pools)
        i += 1
    yield from w.lines[:n]


def write_graph(n: int, path: Path, seed: int = 0) -> int:
    """Write the graph of exactly ``n`` triples to ``path`` (N-Triples); the article count."""
    lines = list(triples(n, seed))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sum(1 for line in lines if line.endswith(f"<{KG}Article> ."))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="how many triples")
    parser.add_argument("path", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    articles = write_graph(args.n, args.path, args.seed)
    print(f"{args.n} triples ({articles} articles) -> {args.path}")


if __name__ == "__main__":
    main()
