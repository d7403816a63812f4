"""kg.viz: the offline graph page."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS
from typer.testing import CliRunner

from kg import viz
from kg.cli import app
from kg.errors import E, KGError
from kg.namespaces import DEFAULT_BASE, KG, base_namespace
from kg.validate import ontology_path

SMALL = Path(__file__).parent / "data" / "viz" / "small.ttl"
ID = base_namespace(DEFAULT_BASE)
TOKYO = ID["jurisdiction/tokyo"]
SHIBUYA = ID["jurisdiction/shibuya"]
NOT_NODES = (KG.Sentence, KG.Role, KG.Benefit, KG.Outcome, KG.CourtLevel)
XSS_LABEL = "<script>alert(1)</script>"
XSS_QUOTE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def small() -> Graph:
    """Two articles about Shibuya's certificates and the Sapporo ruling (tests/data/viz)."""
    return Graph().parse(SMALL)


def reify(graph: Graph, s: URIRef, p: URIRef, o: URIRef | Literal, sentence: URIRef) -> None:
    """Add a triple and the rdf:Statement that says which sentence it came from."""
    graph.add((s, p, o))
    digest = hashlib.sha256(f"{s} {p} {o.n3()}".encode()).hexdigest()[:16]
    statement = ID[f"statement/{digest}"]
    graph.add((statement, RDF.type, RDF.Statement))
    graph.add((statement, RDF.subject, s))
    graph.add((statement, RDF.predicate, p))
    graph.add((statement, RDF.object, o))
    graph.add((statement, PROV.wasDerivedFrom, sentence))


def with_hostile_text(graph: Graph) -> Graph:
    """small plus a person and a quotation whose text is HTML."""
    sentence = next(iter(sorted(graph.subjects(RDF.type, KG.Sentence))))
    person, quote = ID["person/mallory"], ID["quote/mallory"]
    reify(graph, person, RDF.type, KG.Person, sentence)
    reify(graph, person, RDFS.label, Literal(XSS_LABEL), sentence)
    reify(graph, quote, RDF.type, KG.Quotation, sentence)
    reify(graph, quote, KG.speaker, person, sentence)
    reify(graph, quote, KG.quoteText, Literal(XSS_QUOTE), sentence)
    return graph


def municipalities(count: int) -> Graph:
    """count jurisdictions: a prefecture for every 40, each town part of one."""
    graph = Graph()
    prefectures = [ID[f"jurisdiction/prefecture-{i}"] for i in range(max(1, count // 40))]
    for i, prefecture in enumerate(prefectures):
        graph.add((prefecture, RDF.type, KG.Prefecture))
        graph.add((prefecture, RDFS.label, Literal(f"Prefecture {i}")))
    for i in range(count - len(prefectures)):
        town = ID[f"jurisdiction/town-{i}"]
        graph.add((town, RDF.type, KG.Municipality))
        graph.add((town, RDFS.label, Literal(f"Town {i}")))
        graph.add((town, KG.partOf, prefectures[i % len(prefectures)]))
    return graph


def page_data(page: str) -> dict:
    blob = re.search(r'<script type="application/json" id="kg-data">(.*?)</script>', page, re.S)
    assert blob is not None
    return json.loads(blob.group(1))


def entities(graph: Graph) -> set[URIRef]:
    """Subjects typed with a kg class that is neither provenance nor a SKOS concept."""
    rows = graph.query(
        "SELECT DISTINCT ?s WHERE { ?s a ?c . FILTER(STRSTARTS(STR(?c), STR(kg:))) "
        "FILTER(?c NOT IN (kg:Sentence, kg:Role, kg:Benefit, kg:Outcome, kg:CourtLevel)) }",
        initNs={"kg": KG._NS},
    )
    return {row[0] for row in rows}


def links(graph: Graph) -> set[tuple[URIRef, URIRef, URIRef]]:
    """Triples between two entities (what the page draws as edges)."""
    nodes = entities(graph)
    return {(s, p, o) for s, p, o in graph if s in nodes and o in nodes and p != RDF.type}


def iris(data: dict) -> set[str]:
    return {d["iri"] for d in data["details"]}


# -- the fixture itself -------------------------------------------------------------------


def test_fixture_reifies_every_entity_triple_once(small: Graph) -> None:
    nodes = entities(small) - set(small.subjects(RDF.type, KG.Article))
    for s, p, o in small:
        if s not in nodes:
            continue
        statements = [
            st
            for st in small.subjects(RDF.subject, s)
            if (st, RDF.predicate, p) in small and (st, RDF.object, o) in small
        ]
        assert len(statements) == 1, (s, p, o)
        assert list(small.objects(statements[0], PROV.wasDerivedFrom)), (s, p, o)


# -- offline and self-contained -------------------------------------------------------


def test_page_loads_nothing_from_elsewhere(small: Graph) -> None:
    page = viz.render(small)
    styles = re.findall(r"<style[^>]*>(.*?)</style>", page, re.S | re.I)
    assert styles
    for css in styles:
        assert "@import" not in css.lower()
        for ref in re.findall(r"url\(\s*(['\"]?)([^'\")]*)", css, re.I):
            assert ref[1].startswith("data:"), ref
    # the markup outside <script> and <style> has no attribute that loads or links anything
    markup = re.sub(r"<(script|style)\b([^>]*)>.*?</\1>", r"<\1\2>", page, flags=re.S | re.I)
    assert not re.search(r"<link\b", markup, re.I)
    assert not re.search(r"\b(?:src|href|srcset|action|poster)\s*=", markup, re.I)
    assert not re.search(r"https?://", markup, re.I)
    assert "//cdn" not in page.lower()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert csp is not None and "default-src 'none'" in csp.group(1)


def test_inline_scripts_are_the_only_scripts_allowed(small: Graph) -> None:
    page = viz.render(small)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)
    allowed = set(re.findall(r"'sha256-([A-Za-z0-9+/=]+)'", csp))
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    hashes = {base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in scripts}
    assert len(scripts) == 2
    assert hashes == allowed


def test_vis_network_is_inlined(small: Graph) -> None:
    page = viz.render(small)
    vis_js = (viz.VIS_DIR / "vis-network.min.js").read_text(encoding="utf-8")
    vis_css = (viz.VIS_DIR / "vis-network.css").read_text(encoding="utf-8")
    assert f"<script>{vis_js}</script>" in page
    assert vis_css in page
    assert "new vis.Network(" in page


def test_page_script_never_parses_data_as_markup() -> None:
    script = (viz.DATA_DIR / "page.js").read_text(encoding="utf-8")
    assert "textContent" in script
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script


# -- what is drawn --------------------------------------------------------------------


def test_nodes_are_the_entities(small: Graph) -> None:
    data = page_data(viz.render(small))
    expected = {str(n) for n in entities(small)}
    assert len(data["nodes"]) == len(expected)
    assert iris(data) == expected
    plumbing = {str(s) for s in small.subjects(RDF.type, RDF.Statement)}
    plumbing |= {str(s) for c in NOT_NODES for s in small.subjects(RDF.type, c)}
    assert plumbing and not plumbing & iris(data)


def test_concepts_and_literals_are_details(small: Graph) -> None:
    data = build_by_iri(small)
    office = data[str(ID["office/ken-hasebe-mayor-shibuya"])]
    role = [f for f in office["facts"] if f[0] == "role"]
    assert [f[1:3] for f in role] == [["mayor", None]]
    system = data[str(ID["system/shibuya-partnership"])]
    values = {f[0]: f[1] for f in system["facts"]}
    assert values["start date"] == "2015-11-05"
    assert values["minimum age"] == "20"
    assert values["grants benefit"] == "housing"


def build_by_iri(graph: Graph, **kwargs: object) -> dict[str, dict]:
    return {d["iri"]: d for d in viz.build(graph, **kwargs)["details"]}


def test_labels_come_from_the_graph_or_the_class_template(small: Graph) -> None:
    data = build_by_iri(small)
    assert data[str(TOKYO)]["label"] == str(small.value(TOKYO, RDFS.label))
    holder = small.value(ID["office/ken-hasebe-mayor-shibuya"], KG.holder)
    office_label = data[str(ID["office/ken-hasebe-mayor-shibuya"])]["label"]
    assert str(small.value(holder, RDFS.label)) in office_label
    assert "mayor" in office_label


def test_edges_are_the_links_with_readable_labels(small: Graph) -> None:
    data = page_data(viz.render(small))
    drawn = [e for e in data["edges"] if e.get("kind") != "source"]
    assert len(drawn) == len(links(small))
    labels = {e["label"] for e in drawn}
    assert {"part of", "adopted by", "issued to", "conducted by"} <= labels
    for label in labels:
        assert re.fullmatch(r"[a-z]+( [a-z]+)*", label), label


def test_article_links_are_a_kind_of_edge_of_their_own(small: Graph) -> None:
    # the page draws them only when asked (tests/test_browser.py ticks the box)
    data = page_data(viz.render(small))
    article = {i for i, d in enumerate(data["details"]) if d["cls"] == "Article"}
    sources = [e for e in data["edges"] if e.get("kind") == "source"]
    assert {e["to"] for e in sources} == article
    assert all(e["dashes"] and "label" not in e for e in sources)
    assert {e["from"] for e in sources} == {
        i for i, d in enumerate(data["details"]) if d["sources"]
    }


def test_each_fact_carries_its_sentence_and_article(small: Graph) -> None:
    data = viz.build(small)
    shibuya = next(d for d in data["details"] if d["iri"] == str(SHIBUYA))
    [fact] = [f for f in shibuya["facts"] if f[0] == "part of"]
    assert fact[1] == "Tokyo" and data["details"][fact[2]]["iri"] == str(TOKYO)
    [statement] = [
        st for st in small.subjects(RDF.subject, SHIBUYA) if (st, RDF.object, TOKYO) in small
    ]
    sentence = small.value(statement, PROV.wasDerivedFrom)
    article = small.value(sentence, KG.inArticle)
    [row] = fact[3]
    text, article_row = data["sentences"][row]
    assert text == str(small.value(sentence, KG.sentenceText))
    title, date, url, node = data["articles"][article_row]
    assert title == str(small.value(article, URIRef("http://purl.org/dc/terms/title")))
    assert date == str(small.value(article, URIRef("http://purl.org/dc/terms/date")))
    assert data["details"][node]["iri"] == str(article)
    assert shibuya["sources"] == [article_row]


def test_sizes_are_whole_pixels_growing_with_centrality(small: Graph) -> None:
    data = viz.build(small)
    sizes = {d["iri"]: n["size"] for d, n in zip(data["details"], data["nodes"], strict=True)}
    assert all(isinstance(s, int) and viz.SIZE_MIN <= s <= viz.SIZE_MAX for s in sizes.values())
    pairs = links(small)
    degree = {n: sum(1 for s, _, o in pairs if n in (s, o)) for n in entities(small)}
    hub = max(degree, key=degree.get)
    leaf = min((n for n in degree if degree[n] == 1), key=str)
    assert sizes[str(hub)] == viz.SIZE_MAX
    assert sizes[str(hub)] > sizes[str(leaf)] > viz.SIZE_MIN


def test_legend_lists_the_classes_drawn(small: Graph) -> None:
    data = viz.build(small)
    counted = {c["key"]: c["count"] for c in data["classes"]}
    drawn = [n["cls"] for n in data["nodes"]]
    assert counted == {key: drawn.count(key) for key in set(drawn)}
    colours = {c["key"]: c["colour"] for c in data["classes"]}
    assert all(n["color"] == colours[n["cls"]] for n in data["nodes"])


# -- determinism and escaping ---------------------------------------------------------


def test_same_graph_same_page(small: Graph) -> None:
    first = viz.render(small)
    assert viz.render(small) == first
    lines = small.serialize(format="nt").splitlines()
    shuffled = Graph().parse(data="\n".join(reversed(lines)), format="nt")
    assert viz.render(shuffled) == first


def test_article_text_cannot_become_markup(small: Graph) -> None:
    page = viz.render(with_hostile_text(small), title=XSS_LABEL)
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    blob = re.search(r'id="kg-data">(.*?)</script>', page, re.S).group(1)
    assert "<" not in blob and ">" not in blob
    names = {d["label"] for d in page_data(page)["details"]}
    assert XSS_LABEL in names  # kept as data, only escaped
    assert any(XSS_QUOTE in name for name in names)
    assert f"<title>{XSS_LABEL}" not in page


# -- choosing nodes -------------------------------------------------------------------


def test_max_nodes_keeps_the_most_central(small: Graph) -> None:
    data = viz.build(small, max_nodes=3)
    assert len(data["nodes"]) == 3
    pairs = links(small)
    degree = {n: sum(1 for s, _, o in pairs if n in (s, o)) for n in entities(small)}
    assert str(max(degree, key=degree.get)) in iris(data)
    assert data["counts"]["entities"] == len(entities(small))
    edges = [(e["from"], e["to"]) for e in data["edges"]]
    assert all(0 <= a < 3 and 0 <= b < 3 for a, b in edges)


def test_focus_draws_the_neighbourhood(small: Graph) -> None:
    nodes = entities(small)
    near = {TOKYO} | {o for o in small.objects(TOKYO) if o in nodes}
    near |= {s for s in small.subjects(None, TOKYO) if s in nodes}
    assert iris(viz.build(small, focus="Tokyo", depth=1)) == {str(n) for n in near}
    assert iris(viz.build(small, focus=str(TOKYO), depth=0)) == {str(TOKYO)}
    assert iris(viz.build(small, focus="jurisdiction/tokyo")) == {str(n) for n in near}
    wider = iris(viz.build(small, focus="tokyo", depth=2))
    assert {str(n) for n in near} < wider < {str(n) for n in nodes}
    assert iris(viz.build(small, focus="Shibuya Ward", depth=0)) == {str(SHIBUYA)}


def test_focus_on_an_article_shows_what_it_mentions(small: Graph) -> None:
    article = ID["article/a001-sapporo"]
    sentences = set(small.subjects(KG.inArticle, article))
    mentioned = {
        s
        for st, s in small.subject_objects(RDF.subject)
        if set(small.objects(st, PROV.wasDerivedFrom)) & sentences
    }
    assert iris(viz.build(small, focus=str(article), depth=1)) == {
        str(n) for n in mentioned | {article}
    }


def test_focus_with_max_nodes_keeps_the_focus(small: Graph) -> None:
    data = viz.build(small, focus="Japan", depth=3, max_nodes=2)
    assert len(data["nodes"]) == 2
    assert str(ID["jurisdiction/japan"]) in iris(data)


def test_empty_graph_gives_an_empty_page(tmp_path: Path) -> None:
    assert viz.write_page(Graph(), tmp_path / "empty.html") == 0
    data = page_data((tmp_path / "empty.html").read_text(encoding="utf-8"))
    assert data["nodes"] == [] and data["edges"] == [] and data["classes"] == []


def test_bad_choices_are_refused(small: Graph) -> None:
    with pytest.raises(LookupError, match="Atlantis"):
        viz.render(small, focus="Atlantis")
    with pytest.raises(ValueError, match="max_nodes"):
        viz.render(small, max_nodes=0)
    with pytest.raises(ValueError, match="depth"):
        viz.render(small, focus="Tokyo", depth=-1)


# -- layout ---------------------------------------------------------------------------


def test_small_graph_leaves_layout_to_the_browser(small: Graph) -> None:
    data = viz.build(small)
    assert data["options"]["physics"]["enabled"] is True
    assert data["options"]["layout"]["randomSeed"] == viz.SEED
    assert not any("x" in n or "y" in n for n in data["nodes"])


def test_big_graph_gets_fixed_positions_and_no_physics() -> None:
    graph = municipalities(600)
    data = viz.build(graph)
    assert len(data["nodes"]) == 600 > viz.PYTHON_LAYOUT_ABOVE
    assert data["options"]["physics"] == {"enabled": False}
    positions = [(n["x"], n["y"]) for n in data["nodes"]]
    assert all(isinstance(c, int) for xy in positions for c in xy)
    assert len(set(positions)) == 600
    assert viz.build(graph)["nodes"] == data["nodes"]


def test_big_component_attaches_the_rest_to_a_core() -> None:
    graph = municipalities(viz.CORE_SIZE + 200)
    country = ID["jurisdiction/japan"]
    graph.add((country, RDF.type, KG.Country))
    for prefecture in graph.subjects(RDF.type, KG.Prefecture):
        graph.add((prefecture, KG.partOf, country))
    data = viz.build(graph)
    xy = {d["iri"]: (n["x"], n["y"]) for d, n in zip(data["details"], data["nodes"], strict=True)}
    assert len(set(xy.values())) == len(xy)
    # a town sits nearer its own prefecture than the graph is wide
    width = max(x for x, _ in xy.values()) - min(x for x, _ in xy.values())
    for town, prefecture in list(graph.subject_objects(KG.partOf))[:50]:
        (tx, ty), (px, py) = xy[str(town)], xy[str(prefecture)]
        assert ((tx - px) ** 2 + (ty - py) ** 2) ** 0.5 < width / 3


# -- writing --------------------------------------------------------------------------


def test_write_page_writes_utf8_atomically(small: Graph, tmp_path: Path) -> None:
    small.add((TOKYO, SKOS.altLabel, Literal("東京都", lang="ja")))
    out = tmp_path / "graph.html"
    count = viz.write_page(small, out, title="Tokyo", max_nodes=5)
    assert count == 5
    assert out.read_bytes() == viz.render(small, title="Tokyo", max_nodes=5).encode("utf-8")
    assert "東京都".encode() in out.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.html"]
    viz.write_page(small, out)  # replaces the old page
    assert len(page_data(out.read_text(encoding="utf-8"))["nodes"]) == len(entities(small))


def test_write_page_reports_a_path_it_cannot_write(small: Graph, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(KGError) as caught:
        viz.write_page(small, blocker / "graph.html")
    assert caught.value.code is E.E202


def test_same_page_whatever_the_hash_seed(tmp_path: Path) -> None:
    script = (
        "import sys; from rdflib import Graph; from kg import viz; "
        "sys.stdout.write(viz.render(Graph().parse(sys.argv[1]), max_nodes=9))"
    )
    pages = {
        subprocess.run(
            [sys.executable, "-c", script, str(SMALL)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True, check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(pages) == 1


# -- the ontology (kg viz --ontology) ---------------------------------------------------


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ontology_path())


def edge_triples(data: dict) -> list[tuple[str, str, str]]:
    """(domain IRI, range IRI, label) of every edge drawn."""
    iri = [d["iri"] for d in data["details"]]
    return [(iri[e["from"]], iri[e["to"]], e["label"]) for e in data["edges"]]


def label_of(graph: Graph, prop: URIRef) -> str:
    return str(graph.value(prop, RDFS.label))


def test_ontology_draws_every_class_by_kind(ontology: Graph) -> None:
    data = viz.build_ontology(ontology)
    declared = {c for c in ontology.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}
    parents = {o for o in ontology.objects(None, RDFS.subClassOf) if isinstance(o, URIRef)}
    assert {str(c) for c in declared | parents} <= iris(data)
    assert len(data["nodes"]) == len(iris(data)) == data["counts"]["nodes"]
    kind = {d["iri"]: d["cls"] for d in data["details"]}

    def below(cls: URIRef, ancestor: URIRef) -> bool:
        ask = "ASK { ?c rdfs:subClassOf+ ?a }"
        return bool(ontology.query(ask, initBindings={"c": cls, "a": ancestor}).askAnswer)

    for c in declared:
        expected = (
            "Concept" if below(c, SKOS.Concept)
            else "Provenance" if below(c, PROV.Entity)
            else "Class"
        )
        assert kind[str(c)] == expected, c
    assert all(kind[str(c)] == "Reused" for c in parents - declared)
    legend = {c["key"]: c["count"] for c in data["classes"]}
    assert legend == {k: list(kind.values()).count(k) for k in set(kind.values())}


def test_ontology_edges_are_properties_and_subclasses(ontology: Graph) -> None:
    data = viz.build_ontology(ontology)
    expected = {
        (str(s), str(o), "subclass of")
        for s, o in ontology.subject_objects(RDFS.subClassOf)
        if isinstance(o, URIRef)
    }
    for prop in ontology.subjects(RDF.type, OWL.ObjectProperty):
        for domain in ontology.objects(prop, RDFS.domain):
            for range_ in ontology.objects(prop, RDFS.range):
                expected.add((str(domain), str(range_), label_of(ontology, prop)))
    drawn = edge_triples(data)
    assert len(drawn) == len(set(drawn))
    assert set(drawn) == expected
    assert (str(KG.Jurisdiction), str(KG.Jurisdiction), "part of") in expected  # a loop
    # two properties between the same classes are drawn apart
    pairs: dict[frozenset, list[dict]] = {}
    for e in data["edges"]:
        pairs.setdefault(frozenset((e["from"], e["to"])), []).append(e)
    shared = [group for group in pairs.values() if len(group) > 1]
    assert shared
    for group in shared:
        bends = [json.dumps(e.get("smooth"), sort_keys=True) for e in group]
        assert len(set(bends)) == len(bends)


def test_datatype_properties_are_details_of_their_class(ontology: Graph) -> None:
    data = viz.build_ontology(ontology)
    details = {d["iri"]: d for d in data["details"]}
    drawn = {label for _, _, label in edge_triples(data)}
    properties = list(ontology.subjects(RDF.type, OWL.DatatypeProperty))
    assert properties
    for prop in properties:
        label = label_of(ontology, prop)
        assert label not in drawn
        for domain in ontology.objects(prop, RDFS.domain):
            [row] = [f for f in details[str(domain)]["facts"] if f[0] == label]
            value, target = row[1], row[2]
            assert target is None
            comment = " ".join(str(ontology.value(prop, RDFS.comment)).split())
            assert value.endswith(comment)
            rdf_range = ontology.value(prop, RDFS.range)
            kinds = ontology.query(
                "SELECT ?t WHERE { ?r (owl:unionOf/rdf:rest*/rdf:first)? ?t . FILTER isIRI(?t) }",
                initBindings={"r": rdf_range},
            )
            for (t,) in kinds:
                assert ontology.namespace_manager.normalizeUri(t) in value, (prop, t)


def test_ontology_details_say_what_a_class_is(ontology: Graph) -> None:
    details = {d["iri"]: d for d in viz.build_ontology(ontology)["details"]}
    prefecture = details[str(KG.Prefecture)]
    facts = {(f[0], f[1]) for f in prefecture["facts"]}
    assert ("label", str(ontology.value(KG.Prefecture, RDFS.label))) in facts
    assert ("subclass of", "kg:Jurisdiction") in facts
    assert ("disjoint with", "kg:Municipality") in facts
    assert "prefecture" in prefecture["names"] and "kg:Prefecture" in prefecture["names"]
    jurisdiction = details[str(KG.Jurisdiction)]
    linked = {(f[0], details_iri(details, f[1])) for f in jurisdiction["incoming"]}
    assert ("subclass of", str(KG.Prefecture)) in linked
    assert ("adopted by", str(KG.PartnershipSystem)) in linked


def details_iri(details: dict[str, dict], row: int) -> str:
    return list(details)[row]


def test_ontology_page_is_safe_and_the_same_each_time(ontology: Graph) -> None:
    page = viz.render_ontology(ontology)
    assert viz.render_ontology(Graph().parse(ontology_path())) == page
    title = next(ontology.objects(None, DCTERMS.title))
    assert f"<title>{title}</title>" in page
    data = page_data(page)
    assert data["text"] != viz.build(Graph())["text"]  # its own words in the side panel
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    hashes = {base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in scripts}
    assert set(re.findall(r"'sha256-([A-Za-z0-9+/=]+)'", csp)) == hashes


# -- the viz command -------------------------------------------------------------------


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_cli_draws_the_ontology(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "ontology.html"
    result = runner.invoke(app, ["viz", "--ontology", "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = page_data(out.read_text(encoding="utf-8"))
    assert f"{len(data['nodes'])} classes -> {out}" in result.stderr
    assert {str(KG.Prefecture), str(KG.Ruling)} <= iris(data)


def test_cli_ontology_takes_no_graph_options(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "ontology.html"
    result = runner.invoke(app, ["viz", "--ontology", "-o", str(out), "--max-nodes", "3"])
    assert result.exit_code == 2 and "[E403]" in result.stderr and "--max-nodes" in result.stderr
    missing = tmp_path / "none.ttl"
    result = runner.invoke(app, ["viz", "--ontology", "-g", str(missing), "-o", str(out)])
    assert result.exit_code == 2 and "[E404]" in result.stderr and str(missing) in result.stderr
    assert not out.exists()


def test_cli_max_nodes_and_focus(runner: CliRunner, small: Graph, tmp_path: Path) -> None:
    out = tmp_path / "kg.html"
    result = runner.invoke(app, ["viz", "-g", str(SMALL), "-o", str(out), "--max-nodes", "4"])
    assert result.exit_code == 0, result.output
    assert iris(page_data(out.read_text(encoding="utf-8"))) == iris(viz.build(small, max_nodes=4))
    args = ["viz", "-g", str(SMALL), "-o", str(out), "--focus", "Tokyo", "--depth", "2"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    expected = iris(viz.build(small, focus="Tokyo", depth=2))
    assert f"{len(expected)} nodes -> {out}" in result.stderr
    assert iris(page_data(out.read_text(encoding="utf-8"))) == expected
    result = runner.invoke(app, ["viz", "-g", str(SMALL), "-o", str(out), "--max-nodes", "0"])
    assert result.exit_code == 2 and "[E402]" in result.stderr


def test_committed_page_is_drawn_from_the_committed_graph() -> None:
    graphs = Path(__file__).resolve().parents[1] / "graphs"
    expected = viz.render(Graph().parse(graphs / "kg.ttl"))
    assert (graphs / "kg.html").read_text(encoding="utf-8") == expected, "run `make graph`"
