"""Resolution: facts from many articles in, one node per real-world entity or event out.

- People: a first name or surname alone reads as the one full name in the corpus that
  contains it ("Masuhara" -> "Hiroko Masuhara"); a misspelt partner of the same person
  is the same person ("Kaiti" / "Katie").
- Courts known only by their seat ("a court in Osaka") are the one court of that seat
  the corpus names ("Osaka District Court").
- Dates: relative expressions are read against each article's reference date: its
  publication date, else the dates its page states (captions, copyright), else the date
  of an event it shares with a dated article ("on Tuesday" for a certificate another
  article dates).
- Events reported by several articles (a ruling, a certificate, a poll, a system) merge
  into one node, keeping every sentence that states each claim.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from kg.dates import DateExpr, invert, resolve_expr
from kg.model import Article, Evidence, Fact, Node, NodeRef, PartialDate, Ref, Support
from kg.nlp import Gazetteer, gazetteer

JURISDICTION_CLASS = {
    "country": "Country",
    "prefecture": "Prefecture",
    "municipality": "Municipality",
}
ORG_CLASS = {"party": "PoliticalParty", "news": "NewsOrganization", "pollster": "NewsOrganization"}
COUNTRY = "japan"


@lru_cache(maxsize=1 << 16)  # the same few names, slugged for every fact that names them
def slug(text: str) -> str:
    """An ASCII slug that never starts with a digit: "Hiroko Masuhara" -> "hiroko-masuhara"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if not s:  # a name in Japanese script: a stable slug of its own
        return "u" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return s if s[0].isalpha() else f"n{s}"


@dataclass
class KnowledgeBase:
    """The resolved graph content: nodes by reference, and the articles they came from."""

    nodes: dict[NodeRef, Node] = field(default_factory=dict)
    articles: dict[str, Article] = field(default_factory=dict)
    anchors: dict[str, PartialDate] = field(default_factory=dict)

    def node(self, ref: NodeRef, cls: str, label: str) -> Node:
        if ref not in self.nodes:
            self.nodes[ref] = Node(ref, cls, label)
        return self.nodes[ref]

    def sorted_nodes(self) -> list[Node]:
        return [self.nodes[k] for k in sorted(self.nodes)]


def resolve(results: Iterable[tuple[Article, list[Fact]]]) -> KnowledgeBase:
    """Merge the facts of every article into one knowledge base.

    The articles are taken in the order of their text's digest, not in the order given:
    where resolution depends on order (the first article to name a ruling gives its label),
    the same articles give the same graph whatever their order or file names.
    """
    kb = KnowledgeBase()
    facts: list[Fact] = []
    for article, found in sorted(results, key=lambda pair: _reading_order(pair[0])):
        kb.articles[article.id] = article
        facts.extend(found)
    return _Resolver(kb, facts, gazetteer()).run()


def _reading_order(article: Article) -> tuple[str, str]:
    return hashlib.sha256(article.text.encode("utf-8")).hexdigest(), article.id


class _Resolver:
    def __init__(self, kb: KnowledgeBase, facts: list[Fact], gaz: Gazetteer) -> None:
        self.kb, self.facts, self.gaz = kb, facts, gaz.for_article()
        self.people: dict[str, str] = {}
        self.mentioned: set[str] = set()
        self.court_seats: dict[NodeRef, str] = {}
        # indexes, so that no fact scans every node (each list in the order of kb.nodes)
        self._evidence: dict[int, tuple[Support, set[Evidence]]] = {}  # by id(Support)
        self._rulings: dict[NodeRef, list[Node]] = defaultdict(list)  # by court
        self._polls: dict[NodeRef, list[Node]] = defaultdict(list)  # by organisation

    def _claim(self, node: Node, prop: str, value: object, ev: Evidence, extractor: str) -> None:
        """``node.claim``, with each support's evidence in a set as well as its list:
        Support.add looks an evidence up in the list, a scan of thousands of sentences
        per claim for a place a big corpus names often."""
        support = node.claims.get((prop, value))
        if support is None:
            node.claim(prop, value, ev, extractor)
            return
        known = self._evidence.get(id(support))
        if known is None or known[0] is not support or len(known[1]) != len(support.evidence):
            # new to the index, or its list changed behind it: read it again
            known = self._evidence[id(support)] = (support, set(support.evidence))
        if ev not in known[1]:
            support.evidence.append(ev)
            known[1].add(ev)
        support.extractors.add(extractor)

    # ------------------------------------------------------------------ orchestration

    def run(self) -> KnowledgeBase:
        self._learn_places()
        self.people = self._person_names()
        self._anchor_articles()
        self.mentioned = {
            self._ref_key(f.get("jurisdiction")) for f in self.facts if f.kind == "place"
        }
        self.mentioned.discard(None)  # type: ignore[arg-type]
        couples = self._couples()
        for f in self.facts:
            handler = getattr(self, f"_on_{f.kind}", None)
            if handler is not None:
                handler(f, couples)
        self._merge_courts()
        self._finish_certificates()
        self._pick_single_values()
        return self.kb

    # ------------------------------------------------------------------ places

    def _learn_places(self) -> None:
        """Municipalities the gazetteer lacks, as the articles introduce them; where they
        disagree on the parent, the one most of them state (then the first by name)."""
        parents: dict[str, Counter[str]] = defaultdict(Counter)
        labels: dict[str, str] = {}
        for f in self.facts:
            if f.kind == "new_place":
                ref = f.get("jurisdiction")
                if isinstance(ref, Ref) and ref.key:
                    labels[ref.key] = ref.name
                    parents[ref.key][str(f.get("parent") or "")] += 1
        for key in sorted(labels):
            counts = parents[key]
            parent = min(counts, key=lambda p: (-counts[p], p == "", p)) or None
            self.gaz.jurisdictions[key] = {
                "id": key,
                "label": labels[key],
                "kind": "municipality",
                "parent": parent if parent in self.gaz.jurisdictions else None,
                "aliases": [],
                "learned": True,
            }

    # ------------------------------------------------------------------ people

    def _person_names(self) -> dict[str, str]:
        names = Counter(
            v.name
            for f in self.facts
            for _, v in f.args
            if isinstance(v, Ref) and v.kind == "person"
        )
        full = sorted(n for n in names if " " in n)
        having: dict[str, list[str]] = defaultdict(list)  # word -> the full names with it
        for f in full:
            for word in dict.fromkeys(f.split()):
                having[word].append(f)
        out: dict[str, str] = {}
        for n in names:
            hits = having.get(n, []) if " " not in n else [n]
            out[n] = hits[0] if len(hits) == 1 else n
        # a misspelt name of someone's partner: same person ("Kaiti" for "Katie")
        partners: dict[str, set[str]] = defaultdict(set)
        for f in self.facts:
            if f.kind == "couple":
                a, b = (out[f.get(x).name] for x in ("a", "b"))  # type: ignore[union-attr]
                partners[a].add(b)
                partners[b].add(a)
        for group in partners.values():
            for x in sorted(group):
                for y in sorted(group):
                    if x < y and _similar(x, y):
                        keep, drop = (x, y) if names[x] >= names[y] else (y, x)
                        for k, v in out.items():
                            if v == drop:
                                out[k] = keep
        return out

    def _person(self, ref: Ref, ev: Evidence, extractor: str) -> NodeRef:
        name = self.people.get(ref.name, ref.name)
        node = self.kb.node(NodeRef("person", slug(name)), "Person", name)
        self._claim(node, "type", "Person", ev, extractor)
        self._claim(node, "label", name, ev, extractor)
        if ref.name != name:
            self._claim(node, "altLabel", ref.name, ev, extractor)
        return node.ref

    # ------------------------------------------------------------------ dates

    def _anchor_articles(self) -> None:
        for aid, article in self.kb.articles.items():
            anchor = _parse(article.published) or _best_hint(article.date_hints)
            if anchor:
                self.kb.anchors[aid] = anchor
        # An undated article shares an event with a dated one: date it by that event.
        for _ in range(2):
            known: dict[tuple, list[PartialDate]] = defaultdict(list)
            for f in self.facts:
                when = self._date(f)
                if when is not None:
                    known[self._event_key(f)].append(when)
            for f in self.facts:
                aid = f.evidence.article
                expr = _date_expr(f)
                if aid in self.kb.anchors or expr is None or expr.is_absolute:
                    continue
                for event in known.get(self._event_key(f), []):
                    guess = invert(expr, event)
                    if guess is not None:
                        self.kb.anchors[aid] = guess
                        break

    def _event_key(self, f: Fact) -> tuple:
        if f.kind == "certificate":
            return ("certificate", self._person_key(f.get("a")))
        if f.kind == "ruling":
            court = f.get("court")
            return (
                "ruling",
                court.key.split(":")[-1] if isinstance(court, Ref) and court.key else None,
            )
        if f.kind == "system":
            return ("system", self._ref_key(f.get("jurisdiction")))
        if f.kind == "poll":
            return ("poll", self._ref_key(f.get("org")))
        return (f.kind,)

    def _person_key(self, ref: object) -> str | None:
        return self.people.get(ref.name, ref.name) if isinstance(ref, Ref) else None

    @staticmethod
    def _ref_key(ref: object) -> str | None:
        return (ref.key or ref.name) if isinstance(ref, Ref) else None

    def _date(self, f: Fact, name: str | None = None) -> PartialDate | None:
        expr = _date_expr(f, name)
        if expr is None:
            return None
        return resolve_expr(expr, self.kb.anchors.get(f.evidence.article))

    # ------------------------------------------------------------------ places, orgs

    def _place(self, ref: Ref, ev: Evidence, extractor: str) -> NodeRef | None:
        key = ref.key
        if key is None or key not in self.gaz.jurisdictions:
            return None
        row = self.gaz.jurisdictions[key]
        node = self.kb.node(
            NodeRef("jurisdiction", slug(key)), JURISDICTION_CLASS[row["kind"]], row["label"]
        )
        self._claim(node, "type", node.cls, ev, "gazetteer")
        self._claim(node, "label", row["label"], ev, "gazetteer")
        # the parent, when the corpus itself names it
        parent = row.get("parent")
        if parent in self.mentioned:
            pnode = self._place(Ref("jurisdiction", "", parent), ev, extractor)
            if pnode is not None:
                self._claim(node, "partOf", pnode, ev, "gazetteer")
        return node.ref

    def _org(self, ref: Ref, ev: Evidence, extractor: str) -> NodeRef:
        row = self.gaz.organizations.get(ref.key or "")
        label = row["label"] if row else ref.name
        cls = ORG_CLASS.get(row["kind"], "Organization") if row else "Organization"
        node = self.kb.node(NodeRef("organization", slug(ref.key or label)), cls, label)
        self._claim(node, "type", cls, ev, extractor)
        self._claim(node, "label", label, ev, extractor)
        return node.ref

    def _court(self, ref: Ref, ev: Evidence, extractor: str) -> NodeRef:
        key = ref.key or slug(ref.name)
        node = self.kb.node(
            NodeRef(
                "court",
                slug(key.replace("seat:", "") + ("-court" if key.startswith("seat:") else "")),
            ),
            "Court",
            ref.name,
        )
        self._claim(node, "type", "Court", ev, extractor)
        self._claim(node, "label", ref.name, ev, extractor)
        row = self.gaz.courts.get(key)
        seat = row["seat"] if row else key.split(":", 1)[-1]
        level = row["level"] if row else None
        self.court_seats[node.ref] = seat
        # the seat as a place only where the text names it as one ("a court in Osaka")
        if seat in self.mentioned:
            seat_ref = self._place(Ref("jurisdiction", "", seat), ev, "gazetteer")
            if seat_ref is not None:
                self._claim(node, "seat", seat_ref, ev, "gazetteer")
        if level:
            self._claim(node, "courtLevel", NodeRef("court-level", level), ev, "gazetteer")
        return node.ref

    # ------------------------------------------------------------------ fact handlers

    def _on_place(self, f: Fact, couples: dict) -> None:
        self._place(f.get("jurisdiction"), f.evidence, f.extractor)  # type: ignore[arg-type]

    def _on_office(self, f: Fact, couples: dict) -> None:
        ev, ex = f.evidence, f.extractor
        holder = self._person(f.get("holder"), ev, ex)  # type: ignore[arg-type]
        role = str(f.get("role"))
        node = self.kb.node(
            NodeRef("office", f"{holder.slug}-{role}"),
            "OfficeHolding",
            f"{self.kb.nodes[holder].label}, {self.gaz.roles[role]['label']}",
        )
        self._claim(node, "type", "OfficeHolding", ev, ex)
        self._claim(node, "label", node.label, ev, ex)
        self._claim(node, "holder", holder, ev, ex)
        self._claim(node, "role", NodeRef("role", role), ev, ex)
        place = f.get("jurisdiction")
        if isinstance(place, Ref):
            pref = self._place(place, ev, ex)
            if pref is not None:
                self._claim(node, "jurisdiction", pref, ev, ex)
        party = f.get("party")
        if isinstance(party, Ref):
            self._claim(self.kb.nodes[holder], "memberOf", self._org(party, ev, ex), ev, ex)

    def _couples(self) -> dict[frozenset[str], list[Fact]]:
        out: dict[frozenset[str], list[Fact]] = defaultdict(list)
        for f in self.facts:
            if f.kind == "couple":
                pair = frozenset(self._person_key(f.get(x)) for x in ("a", "b"))
                if len(pair) == 2:
                    out[pair].append(f)
        return out

    def _couple(
        self, pair: frozenset[str], ev: Evidence, ex: str, refs: tuple[Ref, Ref]
    ) -> NodeRef:
        a, b = sorted(pair)
        node = self.kb.node(NodeRef("couple", f"{slug(a)}-and-{slug(b)}"), "Couple", f"{a} and {b}")
        self._claim(node, "type", "Couple", ev, ex)
        self._claim(node, "label", node.label, ev, ex)
        for r in refs:
            self._claim(node, "partner", self._person(r, ev, ex), ev, ex)
        return node.ref

    def _on_couple(self, f: Fact, couples: dict) -> None:
        a, b = f.get("a"), f.get("b")
        pair = frozenset(self._person_key(x) for x in (a, b))
        if len(pair) == 2:
            self._couple(pair, f.evidence, f.extractor, (a, b))  # type: ignore[arg-type]

    def _on_certificate(self, f: Fact, couples: dict) -> None:
        ev, ex = f.evidence, f.extractor
        a, b = f.get("a"), f.get("b")
        if b is not None:
            pair = frozenset(self._person_key(x) for x in (a, b))
            refs = (a, b)
        else:
            # one partner named: the couple the corpus pairs them in, if only one
            who = self._person_key(a)
            known = [p for p in couples if who in p]
            if len(known) != 1:
                return
            pair = known[0]
            refs = (couples[pair][0].get("a"), couples[pair][0].get("b"))
        if len(pair) != 2:
            return
        couple = self._couple(pair, ev, ex, refs)  # type: ignore[arg-type]
        issuer = f.get("issuer")
        issuer_ref = self._place(issuer, ev, ex) if isinstance(issuer, Ref) else None
        node = self.kb.node(
            NodeRef("certificate", f"{couple.slug}"),
            "Certificate",
            f"certificate of {self.kb.nodes[couple].label}",
        )
        self._claim(node, "type", "Certificate", ev, ex)
        self._claim(node, "label", node.label, ev, ex)
        self._claim(node, "issuedTo", couple, ev, ex)
        if issuer_ref is not None:
            self._claim(node, "issuer", issuer_ref, ev, ex)
        when = self._date(f)
        if when is not None:
            self._claim(node, "issueDate", when, ev, ex)
        if isinstance(issuer, Ref):
            self._system(issuer, ev, ex)  # a certificate is issued under its issuer's system

    def _system(self, place: Ref, ev: Evidence, ex: str) -> Node | None:
        pref = self._place(place, ev, ex)
        if pref is None:
            return None
        label = f"{self.kb.nodes[pref].label} partnership system"
        node = self.kb.node(NodeRef("system", pref.slug), "PartnershipSystem", label)
        self._claim(node, "type", "PartnershipSystem", ev, ex)
        self._claim(node, "label", label, ev, ex)
        self._claim(node, "adoptedBy", pref, ev, ex)
        return node

    def _on_system(self, f: Fact, couples: dict) -> None:
        node = self._system(f.get("jurisdiction"), f.evidence, f.extractor)  # type: ignore[arg-type]
        when = self._date(f, "start")
        if node is not None and when is not None:
            self._claim(node, "startDate", when, f.evidence, f.extractor)

    def _on_applicants(self, f: Fact, couples: dict) -> None:
        node = self._system(f.get("jurisdiction"), f.evidence, f.extractor)  # type: ignore[arg-type]
        if node is not None:
            self._claim(node, "applicantCount", int(f.get("count")), f.evidence, f.extractor)  # type: ignore[arg-type]

    def _on_min_age(self, f: Fact, couples: dict) -> None:
        node = self._system(f.get("jurisdiction"), f.evidence, f.extractor)  # type: ignore[arg-type]
        if node is not None:
            self._claim(node, "minimumAge", int(f.get("age")), f.evidence, f.extractor)  # type: ignore[arg-type]

    def _on_benefit(self, f: Fact, couples: dict) -> None:
        node = self._system(f.get("jurisdiction"), f.evidence, f.extractor)  # type: ignore[arg-type]
        if node is not None:
            prop = "grantsBenefit" if f.get("granted") else "excludesBenefit"
            benefit = NodeRef("benefit", str(f.get("benefit")))
            self._claim(node, prop, benefit, f.evidence, f.extractor)

    def _on_ruling(self, f: Fact, couples: dict) -> None:
        ev, ex = f.evidence, f.extractor
        court = self._court(f.get("court"), ev, ex)  # type: ignore[arg-type]
        when = self._date(f)
        # one ruling per court and date: a new date incompatible with a known one is another ruling
        # (self._rulings[court]: the Ruling nodes with that court, as kb.nodes lists them;
        # until _merge_courts only this handler makes rulings, each with its one court)
        existing = self._rulings[court]
        node = None
        for n in existing:
            dates = [d for d in n.values("rulingDate") if isinstance(d, PartialDate)]
            if when is None or all(when.compatible(d) for d in dates):
                node = n
                break
        if node is None:
            suffix = f"-{when.iso()}" if when else ""
            label = f"{self.kb.nodes[court].label} ruling" + (f" ({when.iso()})" if when else "")
            ref = NodeRef("ruling", f"{court.slug}{suffix}")
            node = self._event(existing, ref, "Ruling", label, ev, ex)
        self._claim(node, "court", court, ev, ex)
        if when is not None:
            self._claim(node, "rulingDate", when, ev, ex)
        self._claim(node, "outcome", NodeRef("outcome", str(f.get("outcome"))), ev, ex)
        for article in f.get("articles", ()) or ():  # type: ignore[union-attr]
            self._claim(node, "constitutionalArticle", article, ev, ex)
        if f.get("damages_rejected"):
            self._claim(node, "damagesRejected", True, ev, ex)

    def _event(self, existing: list[Node], ref: NodeRef, cls: str, label: str,
               ev: Evidence, ex: str) -> Node:
        """The node ``ref`` of an event (a ruling, a poll), typed and labelled; a new one
        joins ``existing``, the events of its court or pollster in order."""
        if ref not in self.kb.nodes:
            existing.append(self.kb.node(ref, cls, label))
        node = self.kb.node(ref, cls, label)
        self._claim(node, "type", cls, ev, ex)
        self._claim(node, "label", label, ev, ex)
        return node

    def _on_poll(self, f: Fact, couples: dict) -> None:
        ev, ex = f.evidence, f.extractor
        org = self._org(f.get("org"), ev, ex)  # type: ignore[arg-type]
        year = self._date(f, "year")
        year = PartialDate(year.year) if year else None
        existing = self._polls[org]  # as self._rulings: the Poll nodes of org, in order
        node = next(
            (
                n
                for n in existing
                if year is None or not n.values("pollYear") or year in n.values("pollYear")
            ),
            None,
        )
        if node is None:
            label = f"{self.kb.nodes[org].label} poll" + (f" ({year.iso()})" if year else "")
            ref = NodeRef("poll", org.slug + (f"-{year.iso()}" if year else ""))
            node = self._event(existing, ref, "Poll", label, ev, ex)
        self._claim(node, "conductedBy", org, ev, ex)
        if year is not None:
            self._claim(node, "pollYear", year, ev, ex)
        for name, prop in (("support", "supportPercent"), ("oppose", "opposePercent")):
            value = f.get(name)
            if value is not None:
                self._claim(node, prop, float(value), ev, ex)  # type: ignore[arg-type]

    def _on_quote(self, f: Fact, couples: dict) -> None:
        ev, ex = f.evidence, f.extractor
        speaker = self._person(f.get("speaker"), ev, ex)  # type: ignore[arg-type]
        text = str(f.get("text"))
        key = slug(" ".join(text.split()[:8]))[:60].strip("-")
        node = self.kb.node(NodeRef("quote", f"{speaker.slug}-{key}"), "Quotation", _short(text))
        self._claim(node, "type", "Quotation", ev, ex)
        self._claim(node, "label", node.label, ev, ex)
        self._claim(node, "speaker", speaker, ev, ex)
        self._claim(node, "quoteText", text, ev, ex)

    # ------------------------------------------------------------------ merging

    def _merge_courts(self) -> None:
        """A court known only by its seat is the one named court of that seat, when the
        rulings it gave fit that court's ("a Sapporo court" in 2021 is not the Sapporo
        High Court that ruled in 2024)."""
        courts = [n for n in self.kb.nodes.values() if n.cls == "Court"]
        seat = self.court_seats
        for vague in [c for c in courts if not c.values("courtLevel")]:
            named = [
                c
                for c in courts
                if c.values("courtLevel") and seat.get(c.ref) == seat.get(vague.ref)
            ]
            if len(named) == 1 and self._rulings_fit(vague.ref, named[0].ref):
                self._redirect(vague.ref, named[0].ref)

    def _rulings_fit(self, vague: NodeRef, named: NodeRef) -> bool:
        def dates(court: NodeRef) -> list[PartialDate]:
            return [
                d
                for n in self.kb.nodes.values()
                if n.cls == "Ruling" and court in n.values("court")
                for d in n.values("rulingDate")
                if isinstance(d, PartialDate)
            ]

        theirs = dates(named)
        return all(any(d.compatible(t) for t in theirs) for d in dates(vague)) or not theirs

    def _redirect(self, old: NodeRef, new: NodeRef) -> None:
        gone = self.kb.nodes.pop(old)
        target = self.kb.nodes[new]
        for (prop, value), support in gone.claims.items():
            if prop in ("label", "type"):
                continue
            for ev in support.evidence:
                for ex in sorted(support.extractors):
                    self._claim(target, prop, value, ev, ex)
        for node in list(self.kb.nodes.values()):
            for (prop, value), support in list(node.claims.items()):
                if value == old:
                    del node.claims[(prop, value)]
                    for ev in support.evidence:
                        for ex in sorted(support.extractors):
                            self._claim(node, prop, new, ev, ex)
        # rulings of the vague court now sit with the named court's: merge same-date ones
        rulings = [
            n for n in self.kb.nodes.values() if n.cls == "Ruling" and new in n.values("court")
        ]
        for r in rulings:
            if r.ref not in self.kb.nodes:
                continue
            for other in rulings:
                if other is r or other.ref not in self.kb.nodes:
                    continue
                d1 = [d for d in r.values("rulingDate") if isinstance(d, PartialDate)]
                d2 = [d for d in other.values("rulingDate") if isinstance(d, PartialDate)]
                if all(a.compatible(b) for a in d1 for b in d2):
                    keep, drop = (r, other) if r.ref < other.ref else (other, r)
                    if drop.ref in self.kb.nodes:
                        self._redirect(drop.ref, keep.ref)

    def _finish_certificates(self) -> None:
        """A certificate the text does not date was issued when its issuer's system
        started, if the same article reports that start with a date."""
        systems: dict[str, list[tuple[int, Fact]]] = defaultdict(list)  # by article
        for i, f in enumerate(self.facts):
            if f.kind == "system":
                systems[f.evidence.article].append((i, f))
        for node in list(self.kb.nodes.values()):
            if node.cls != "Certificate" or node.values("issueDate"):
                continue
            issuers = node.values("issuer")
            articles = {ev.article for s in node.claims.values() for ev in s.evidence}
            # the system facts of those articles, in the order of self.facts
            for _, f in sorted(x for a in articles for x in systems.get(a, ())):
                place = self._place(f.get("jurisdiction"), f.evidence, f.extractor)  # type: ignore[arg-type]
                when = self._date(f, "start")
                if place in issuers and when is not None and when.day is not None:
                    self._claim(node, "issueDate", when, f.evidence, f.extractor)
                    break

    def _pick_single_values(self) -> None:
        """Keep one value where the ontology allows one: the best supported, then the most
        precise of those that agree with it."""
        single = (
            "startDate",
            "issueDate",
            "rulingDate",
            "pollYear",
            "applicantCount",
            "minimumAge",
            "supportPercent",
            "opposePercent",
            "outcome",
            "issuer",
            "jurisdiction",
        )
        for node in self.kb.nodes.values():
            for prop in single:
                values = node.values(prop)
                if len(values) < 2:
                    continue
                best = _best(node, prop, values)
                for v in values:
                    if v != best:
                        support = node.claims.pop((prop, v))
                        if (
                            isinstance(v, PartialDate)
                            and isinstance(best, PartialDate)
                            and v.compatible(best)
                        ):
                            node.claims[(prop, best)].evidence.extend(
                                e
                                for e in support.evidence
                                if e not in node.claims[(prop, best)].evidence
                            )
            # a benefit both granted and not: the side more sentences state
            for value in [
                v for v in node.values("grantsBenefit") if v in node.values("excludesBenefit")
            ]:
                g = len(node.claims[("grantsBenefit", value)].evidence)
                x = len(node.claims[("excludesBenefit", value)].evidence)
                node.claims.pop(("excludesBenefit", value) if g >= x else ("grantsBenefit", value))


def _best(node: Node, prop: str, values: list[object]) -> object:
    def weight(v: object) -> int:
        return len(node.claims[(prop, v)].evidence)

    if all(isinstance(v, PartialDate) for v in values):
        dates: list[PartialDate] = values  # type: ignore[assignment]
        score = {d: sum(weight(o) for o in dates if d.compatible(o)) for d in dates}
        top = max(score.values())
        group = [d for d in dates if score[d] == top]
        if prop == "startDate" and len(group) > 1:
            # a system starts once; a later date beside an earlier one is an extension
            earliest = min(group, key=lambda d: (d.year, d.month or 0, d.day or 0))
            group = [d for d in group if d.compatible(earliest)]
        return max(group, key=lambda d: (len([p for p in (d.month, d.day) if p]), -d.year, d))
    return max(values, key=lambda v: (weight(v), str(v)))


def _date_expr(f: Fact, name: str | None = None) -> DateExpr | None:
    for key in [name] if name else ["date", "start", "year"]:
        value = f.get(key)
        if isinstance(value, DateExpr):
            return value
    return None


def _parse(text: str | None) -> PartialDate | None:
    if not text:
        return None
    try:
        return PartialDate.parse(text[:10])
    except (TypeError, ValueError):
        return None


def _best_hint(hints: tuple[str, ...]) -> PartialDate | None:
    """The most precise (then latest) date a page states outside its body."""
    dates = [d for d in (_parse(h) for h in hints) if d]
    if not dates:
        return None
    return max(
        dates,
        key=lambda d: (len([p for p in (d.month, d.day) if p]), d.year, d.month or 0, d.day or 0),
    )


def _similar(a: str, b: str) -> bool:
    """Two one-word names of the same person's partner that differ by a slip or two of
    the keyboard ("Kaiti" for "Katie")."""
    if " " in a or " " in b or a[0] != b[0] or min(len(a), len(b)) < 4:
        return False
    slips = 2 if min(len(a), len(b)) >= 5 else 1
    return sorted(a.lower()) == sorted(b.lower()) or _edit_distance(a.lower(), b.lower()) <= slips


def _edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
