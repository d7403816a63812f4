/* kg graph page: draws the JSON in #kg-data with vis-network.
   Every string that comes from the data is put in the page with textContent (or as a DOM
   property), never parsed as markup. */
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("kg-data").textContent);
  const text = data.text;  // the words the panel uses (the graph page and the ontology differ)
  const fixed = !data.options.physics.enabled;  // positions computed in Python
  const edgeById = {};
  data.edges.forEach(function (e) { edgeById[e.id] = e; });
  // links to the articles are drawn only when asked for: vis-network builds every edge it
  // is given, hidden or not, and on a big graph that is half the time to the first drawing
  const sourceEdges = data.edges.filter(function (e) { return e.kind === "source"; });
  const nodes = new vis.DataSet(data.nodes);
  const edges = new vis.DataSet(data.edges.filter(function (e) { return e.kind !== "source"; }));
  const network = new vis.Network(
    document.getElementById("kg-graph"), { nodes: nodes, edges: edges }, data.options);
  window.network = network;

  const NODE_FONT = data.options.nodes.font.color;
  const EDGE_COLOUR = data.options.edges.color;
  const EDGE_FONT = data.options.edges.font.color;
  const DIM_NODE = { background: "#ececec", border: "#d4d4d4" };
  const DIM_FONT = "#c4c4c4";
  const DIM_EDGE = { color: "#ededed", highlight: "#ededed", hover: "#ededed" };
  const NO_FONT = "rgba(0,0,0,0)";

  const classes = {};
  data.classes.forEach(function (c) { classes[c.key] = c; });
  const panel = document.getElementById("kg-panel");
  const search = document.getElementById("kg-search");
  const matches = document.getElementById("kg-matches");
  const sourcesBox = document.getElementById("kg-sources");
  const classBoxes = {};
  let hiddenClasses = {};

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function clear(e) {
    while (e.firstChild) e.removeChild(e.firstChild);
  }

  function swatch(c) {
    const s = el("span", "kg-swatch kg-shape-" + c.shape);
    s.style.backgroundColor = c.colour;
    return s;
  }

  // -- showing and hiding --------------------------------------------------------------

  let selected = null;  // the node whose neighbourhood is highlighted
  const dimNodes = {};  // node id -> true while drawn dimmed
  const dimEdges = {};

  function applyVisibility() {
    const changed = [];
    data.nodes.forEach(function (n) {
      const hide = hiddenClasses[n.cls] === true;
      if ((nodes.get(n.id).hidden === true) !== hide) changed.push({ id: n.id, hidden: hide });
    });
    nodes.update(changed);
    const shown = sourceEdges.length > 0 && edges.get(sourceEdges[0].id) !== null;
    if (sourcesBox.checked && !shown) {
      edges.add(sourceEdges);
      if (selected !== null) highlight(selected);
    } else if (!sourcesBox.checked && shown) {
      edges.remove(sourceEdges.map(function (e) { return e.id; }));
      sourceEdges.forEach(function (e) { delete dimEdges[e.id]; });
    }
  }

  function buildLegend() {
    const legend = document.getElementById("kg-legend");
    // on a narrow screen the open legend would cover most of the graph
    if (window.matchMedia("(max-width: 760px)").matches) legend.open = false;
    data.classes.forEach(function (c) {
      const label = el("label");
      const box = el("input");
      box.type = "checkbox";
      box.checked = true;
      box.addEventListener("change", function () {
        hiddenClasses[c.key] = !box.checked;
        applyVisibility();
      });
      classBoxes[c.key] = box;
      label.appendChild(box);
      label.appendChild(swatch(c));
      label.appendChild(el("span", null, c.name + " (" + c.count + ")"));
      legend.appendChild(label);
    });
  }

  // -- highlighting a node and its neighbours ----------------------------------------------

  // Dims everything but the node and its neighbours. Only what changes is updated, as each
  // update costs; above data.dim_up_to nodes nothing is dimmed (the selection's own
  // highlight of the node and its links remains), as that would take most of a second.
  function highlight(id) {
    selected = id;
    if (data.nodes.length > data.dim_up_to) return;
    const near = {};
    near[id] = true;
    data.details[id].mentions.forEach(function (m) { near[m] = true; });  // an article's
    network.getConnectedEdges(id).forEach(function (eid) {
      const e = edges.get(eid);
      if (e) { near[e.from] = true; near[e.to] = true; }
    });
    const nodeChanges = [];
    data.nodes.forEach(function (n) {
      const dim = near[n.id] !== true;
      if ((dimNodes[n.id] === true) !== dim) {
        dimNodes[n.id] = dim;
        nodeChanges.push({
          id: n.id, color: dim ? DIM_NODE : n.color, font: { color: dim ? DIM_FONT : NODE_FONT },
        });
      }
    });
    nodes.update(nodeChanges);
    const edgeChanges = [];
    edges.getIds().forEach(function (eid) {
      const e = edgeById[eid];
      const dim = e.from !== id && e.to !== id;
      if ((dimEdges[eid] === true) !== dim) {
        dimEdges[eid] = dim;
        edgeChanges.push({
          id: eid,
          color: dim ? DIM_EDGE : (e.color || EDGE_COLOUR),
          font: { color: dim ? NO_FONT : EDGE_FONT },
        });
      }
    });
    edges.update(edgeChanges);
  }

  function unhighlight() {
    selected = null;
    nodes.update(Object.keys(dimNodes).filter(function (k) { return dimNodes[k]; })
      .map(function (k) {
        const n = data.nodes[k];
        return { id: n.id, color: n.color, font: { color: NODE_FONT } };
      }));
    edges.update(Object.keys(dimEdges).filter(function (k) { return dimEdges[k]; })
      .map(function (k) {
        const e = edgeById[k];
        return { id: e.id, color: e.color || EDGE_COLOUR, font: { color: EDGE_FONT } };
      }));
    Object.keys(dimNodes).forEach(function (k) { delete dimNodes[k]; });
    Object.keys(dimEdges).forEach(function (k) { delete dimEdges[k]; });
  }

  function select(id, move) {
    const n = data.nodes[id];
    if (!n) return;
    if (hiddenClasses[n.cls]) {
      hiddenClasses[n.cls] = false;
      classBoxes[n.cls].checked = true;
      applyVisibility();
    }
    network.selectNodes([id]);
    // a big graph redraws too slowly for an animation to look like one
    if (move) network.focus(id, { scale: 1.2, animation: fixed ? false : { duration: 400 } });
    highlight(id);
    showDetails(id);
  }

  // -- the side panel --------------------------------------------------------------------

  function nodeLink(id) {
    const b = el("button", "kg-link", data.details[id].label);
    b.type = "button";
    b.addEventListener("click", function () { select(id, true); });
    return b;
  }

  function articleRef(index) {
    const a = data.articles[index];  // [title, date, url, node id or null]
    const span = el("span");
    span.appendChild(a[3] === null ? el("cite", null, a[0]) : nodeLink(a[3]));
    if (a[1]) span.appendChild(el("span", null, " (" + a[1] + ")"));
    if (typeof a[2] === "string" && /^https?:\/\/\S+$/i.test(a[2])) {
      const link = el("a", "kg-ext", "\u2197");
      link.href = a[2];
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      link.title = "the article online";
      span.appendChild(link);
    }
    return span;
  }

  function section(title, items, render, tag) {
    if (!items.length) return null;
    panel.appendChild(el("h3", null, title));
    const list = el(tag || "ul");
    items.forEach(function (item) { list.appendChild(render(item)); });
    panel.appendChild(list);
    return list;
  }

  function showDetails(id) {
    const d = data.details[id];
    const c = classes[d.cls];
    // each evidence sentence is listed once, as a numbered note the facts point to
    const notes = [];
    const noteOf = {};
    function refs(sentences) {
      const span = el("span", "kg-refs");
      sentences.forEach(function (i) {
        if (!(i in noteOf)) { notes.push(i); noteOf[i] = notes.length; }
        const b = el("button", "kg-ref", "[" + noteOf[i] + "]");
        b.type = "button";
        b.title = "the sentence this comes from";
        b.addEventListener("click", function () {
          const target = document.getElementById("kg-note-" + noteOf[i]);
          target.scrollIntoView({ block: "nearest" });
          target.classList.remove("kg-flash");
          void target.offsetWidth;  // restart the animation
          target.classList.add("kg-flash");
        });
        span.appendChild(b);
      });
      return span;
    }

    clear(panel);
    panel.appendChild(el("h2", null, d.label));
    const kind = el("p", "kg-kind");
    kind.appendChild(swatch(c));
    kind.appendChild(el("span", null, " " + c.name));
    panel.appendChild(kind);
    panel.appendChild(el("p", "kg-iri", d.iri));
    section(text.facts, d.facts, function (f) {  // [property, value, node id or null, sentences]
      const li = el("li");
      li.appendChild(el("span", "kg-prop", f[0]));
      li.appendChild(f[2] === null ? el("span", "kg-value", f[1]) : nodeLink(f[2]));
      li.appendChild(refs(f[3]));
      return li;
    });
    section(text.incoming, d.incoming, function (f) {  // [property, node id, sentences]
      const li = el("li");
      li.appendChild(nodeLink(f[1]));
      li.appendChild(el("span", "kg-rel", " " + f[0] + " this"));
      li.appendChild(refs(f[2]));
      return li;
    });
    section("Evidence", notes, function (i) {
      const s = data.sentences[i];  // [text, article row or null]
      const li = el("li");
      li.id = "kg-note-" + noteOf[i];
      li.appendChild(el("q", null, s[0]));
      if (s[1] !== null) {
        const cite = el("div", "kg-cite");
        cite.appendChild(articleRef(s[1]));
        li.appendChild(cite);
      }
      return li;
    }, "ol");
    section("Read in", d.sources, function (a) {
      const li = el("li");
      li.appendChild(articleRef(a));
      return li;
    });
    section("Mentions", d.mentions, function (m) {
      const li = el("li");
      li.appendChild(nodeLink(m));
      return li;
    });
  }

  function showHint() {
    clear(panel);
    panel.appendChild(el("p", "kg-hint", text.hint));
  }

  // -- search ----------------------------------------------------------------------------

  function find(query) {
    const q = query.trim().toLocaleLowerCase();
    if (!q) return [];
    const ranked = [[], [], []];  // exact, starts with, contains
    data.details.forEach(function (d, id) {
      let best = 3;
      d.names.forEach(function (name) {
        const s = name.toLocaleLowerCase();
        if (s === q) best = 0;
        else if (s.indexOf(q) === 0) best = Math.min(best, 1);
        else if (s.indexOf(q) >= 0) best = Math.min(best, 2);
      });
      if (best < 3) ranked[best].push(id);
    });
    return ranked[0].concat(ranked[1], ranked[2]);
  }

  function showMatches(ids, query) {
    clear(matches);
    ids.slice(0, 25).forEach(function (id) {
      const li = el("li");
      const b = el("button", null, data.details[id].label + " \u00b7 "
        + classes[data.details[id].cls].name);
      b.type = "button";
      b.addEventListener("click", function () {
        matches.hidden = true;
        select(id, true);
      });
      li.appendChild(b);
      matches.appendChild(li);
    });
    if (!ids.length && query.trim()) matches.appendChild(el("li", "kg-none", "no node matches"));
    matches.hidden = !matches.firstChild;
  }

  search.addEventListener("input", function () { showMatches(find(search.value), search.value); });
  search.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") matches.hidden = true;
  });
  document.getElementById("kg-find").addEventListener("submit", function (ev) {
    ev.preventDefault();
    const ids = find(search.value);
    if (ids.length) {
      matches.hidden = true;
      select(ids[0], true);
    } else {
      showMatches(ids, search.value);
    }
  });

  // -- the rest --------------------------------------------------------------------------

  network.on("click", function (params) {
    if (params.nodes.length) {
      select(params.nodes[0], false);
    } else {
      unhighlight();
      showHint();
    }
  });

  sourcesBox.addEventListener("change", applyVisibility);

  document.getElementById("kg-reset").addEventListener("click", function () {
    search.value = "";
    showMatches([], "");
    hiddenClasses = {};
    Object.keys(classBoxes).forEach(function (k) { classBoxes[k].checked = true; });
    sourcesBox.checked = false;
    applyVisibility();
    network.unselectAll();
    unhighlight();
    showHint();
    network.fit();
  });

  const counts = data.counts;
  document.getElementById("kg-count").textContent = counts.nodes + " nodes, " + counts.links
    + " links" + (counts.entities > counts.nodes ? " (of " + counts.entities + " nodes)" : "");
  // page.html#Shibuya opens with that node selected; like --focus, the hash may also be an
  // IRI or its end ("jurisdiction/shibuya")
  function selectFromHash() {
    let wanted = "";
    try { wanted = decodeURIComponent(location.hash.slice(1)).trim(); } catch (e) { return; }
    if (!wanted) return;
    let id = data.details.findIndex(function (d) { return d.iri === wanted; });
    if (id < 0) {
      const tail = "/" + wanted.replace(/^\/+|\/+$/g, "");
      id = data.details.findIndex(function (d) { return d.iri.endsWith(tail); });
    }
    if (id < 0) id = find(wanted)[0];
    if (id !== undefined) select(id, true);
  }
  window.addEventListener("hashchange", selectFromHash);

  buildLegend();
  sourcesBox.checked = false;
  sourcesBox.parentNode.hidden = sourceEdges.length === 0;
  showHint();
  // data-kg-drawn: the graph has been drawn once; data-kg-stable: the nodes have stopped
  // moving (tests and the screenshot script wait for these)
  function stable() { document.body.setAttribute("data-kg-stable", "1"); }
  network.once("afterDrawing", function () {
    performance.mark("kg-drawn");
    document.body.setAttribute("data-kg-drawn", "1");
    // node sizes are known only once drawn: fit again then, so the edges are not cut off
    if (fixed) { network.fit(); stable(); }
  });
  if (!fixed) {
    if (data.nodes.length) network.once("stabilized", stable); else stable();
  }
  if (location.hash.length > 1) {
    selectFromHash();
    // the layout is still settling: look again where the node ended up
    network.once("stabilizationIterationsDone", selectFromHash);
  }
  document.body.setAttribute("data-kg-ready", "1");
}());
