"""kg.viz: the offline graph page."""
from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SKOS

from kg import viz
from kg.errors import E, KGError
from kg.namespaces import DEFAULT_BASE, KG, base_namespace

SMALL = Path(__file__).parent / "data" / "viz" / "small.ttl"
ID = base_namespace(DEFAULT_BASE)
TOKYO = ID["jurisdiction/tokyo"]
SHIBUYA = ID["jurisdiction/shibuya"]
NOT_NODES = (KG.Sentence, KG.Role, KG.Benefit, KG.Outcome, KG.CourtLevel)
CHROMIUM = Path("/usr/bin/chromium")
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


def test_article_links_are_hidden_edges(small: Graph) -> None:
    data = page_data(viz.render(small))
    article = {i for i, d in enumerate(data["details"]) if d["cls"] == "Article"}
    sources = [e for e in data["edges"] if e.get("kind") == "source"]
    assert sources
    assert all(e["hidden"] and e["to"] in article for e in sources)


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


# -- in a browser (Debian's chromium, headless) ----------------------------------------


def browser_dom(page: Path, fragment: str = "") -> str:
    """The DOM after the page's scripts ran, as headless Chromium serialises it."""
    if not CHROMIUM.exists():
        pytest.skip("needs a browser: apt-get install chromium (Debian package 'chromium')")
    run = subprocess.run(
        [
            str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
            "--virtual-time-budget=5000", "--dump-dom", page.as_uri() + fragment,
        ],
        capture_output=True, text=True, timeout=120, check=True,
    )
    return run.stdout


def test_page_runs_in_a_browser(small: Graph, tmp_path: Path) -> None:
    out = tmp_path / "graph.html"
    viz.write_page(small, out)
    dom = browser_dom(out)
    assert 'data-kg-ready="1"' in dom  # the script ran under the page's CSP
    legend = re.search(r'<details id="kg-legend"[^>]*>(.*?)</details>', dom, re.S).group(1)
    assert legend.count('type="checkbox"') == len(viz.build(small)["classes"])


def test_browser_panel_shows_facts_with_evidence(small: Graph, tmp_path: Path) -> None:
    out = tmp_path / "graph.html"
    viz.write_page(small, out)
    panel = re.search(r'<aside id="kg-panel".*?</aside>', browser_dom(out, "#Shibuya"), re.S)
    assert panel is not None
    text = re.sub(r"<[^>]+>", "", panel.group(0))
    assert "part of" in text and "Tokyo" in text
    sentence = small.value(ID["sentence/a000-shibuya-0-105"], KG.sentenceText)
    assert str(sentence) in text


def test_browser_shows_hostile_text_as_text(small: Graph, tmp_path: Path) -> None:
    out = tmp_path / "graph.html"
    viz.write_page(with_hostile_text(small), out)
    dom = browser_dom(out, "#" + str(ID["quote/mallory"]))
    assert "&lt;img src=x onerror=alert(1)&gt;" in dom  # shown in the panel, as text
    assert "<img" not in dom
    assert "<script>alert" not in dom


def test_page_script_is_valid_javascript() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("needs node to check the syntax (Debian package 'nodejs')")
    subprocess.run([node, "--check", str(viz.DATA_DIR / "page.js")], check=True)


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


DRIVER = """
(function () {
  const nodes = window.network.body.data.nodes, edges = window.network.body.data.edges;
  const state = () => ({
    selected: window.network.getSelectedNodes(),
    heading: (document.querySelector("#kg-panel h2") || {}).textContent || null,
    dimmed: nodes.get({ filter: (n) => typeof n.color === "object" }).length,
    hidden: nodes.get({ filter: (n) => n.hidden }).map((n) => n.cls),
    sources: edges.get({ filter: (e) => e.kind === "source" && !e.hidden }).length,
  });
  const out = {};
  document.getElementById("kg-search").value = "shibuya ward";
  document.getElementById("kg-find").requestSubmit();
  out.found = state();
  const boxes = document.querySelectorAll("#kg-legend input");
  boxes[[...boxes].findIndex((b) => b.parentNode.textContent.startsWith("Person"))].click();
  document.getElementById("kg-sources").click();
  out.filtered = state();
  document.getElementById("kg-reset").click();
  out.reset = state();
  document.body.setAttribute("data-test", JSON.stringify(out));
}());
"""


def test_browser_search_filter_and_reset(
    small: Graph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the page as built, plus a script that drives it (the CSP is computed for both)
    templates = tmp_path / "viz"
    shutil.copytree(viz.DATA_DIR, templates)
    with (templates / "page.js").open("a", encoding="utf-8") as script:
        script.write(DRIVER)
    monkeypatch.setattr(viz, "DATA_DIR", templates)
    out = tmp_path / "graph.html"
    viz.write_page(small, out)
    found = re.search(r'data-test="([^"]*)"', browser_dom(out))
    assert found is not None, "the driver did not run"
    state = json.loads(html.unescape(found.group(1)))
    data = viz.build(small)
    shibuya = next(i for i, d in enumerate(data["details"]) if d["iri"] == str(SHIBUYA))
    people = sum(1 for n in data["nodes"] if n["cls"] == "Person")
    sources = sum(1 for e in data["edges"] if e.get("kind") == "source")
    assert state["found"]["selected"] == [shibuya]
    assert state["found"]["heading"] == "Shibuya"
    assert 0 < state["found"]["dimmed"] < len(data["nodes"])
    assert state["filtered"]["hidden"] == ["Person"] * people
    assert state["filtered"]["sources"] == sources
    assert state["reset"] == {
        "selected": [], "heading": None, "dimmed": 0, "hidden": [], "sources": 0,
    }
