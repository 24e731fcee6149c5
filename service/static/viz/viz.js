// The graph pages of kringloop: draws the node and edge lists the server computed (positions
// included, physics off) with vis-network, and fills the side panel when a node is clicked.
// Every text from the data goes through textContent: nothing is parsed as HTML.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("viz-data").textContent);
  var container = document.getElementById("graph");
  // On a narrow screen the chains stand one under the other, and the first is shown whole.
  var narrow = container.clientWidth < 600 && data.nodes.some(function (n) {
    return n.narrow;
  });
  if (narrow) {
    data.nodes.forEach(function (n) {
      if (n.narrow) {
        n.x = n.narrow[0];
        n.y = n.narrow[1];
      }
    });
  }
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, data.options);
  window.network = network;
  window.vizData = { nodes: nodes, edges: edges, sent: data.sent };

  network.once("afterDrawing", function () {
    window.vizReady = performance.now();
    document.body.setAttribute("data-ready", "true");
    if (narrow) {
      var first = data.nodes.filter(function (n) {
        return n.narrow && n.id.indexOf(data.nodes[0].id.split("|")[0] + "|") === 0;
      });
      network.fit({ nodes: first.map(function (n) { return n.id; }), animation: false });
    }
    // Room around the drawing, so that labels at its edge are not cut off.
    network.moveTo({ scale: network.getScale() * 0.85 });
  });

  // Labels keep a readable size on screen at every zoom: their size on the canvas follows
  // the scale (within bounds, so that a far zoom-out does not fill the screen with text).
  var nodeFont = (data.options.nodes && data.options.nodes.font && data.options.nodes.font.size) || 14;
  var edgeFont = (data.options.edges && data.options.edges.font && data.options.edges.font.size) || 12;
  var wrapWidth = (data.options.nodes && data.options.nodes.widthConstraint &&
    data.options.nodes.widthConstraint.maximum) || 170;
  var lastSize = null;
  function readable() {
    var scale = network.getScale();
    var factor = Math.min(6, Math.max(0.6, 1 / scale));
    var size = Math.round(nodeFont * factor);
    if (size === lastSize) {
      return;
    }
    lastSize = size;
    network.setOptions({
      nodes: { font: { size: size }, widthConstraint: { maximum: Math.round(wrapWidth * factor) } },
      edges: { font: { size: Math.round(edgeFont * factor) } },
    });
  }
  network.on("zoom", readable);
  network.once("afterDrawing", readable);

  function clear(element) {
    while (element.firstChild) {
      element.removeChild(element.firstChild);
    }
  }

  function safe(href) {
    // Links are built by the server; only this host's pages (or the configured base) pass.
    if (typeof href !== "string") {
      return false;
    }
    if (/^\/[^\/\\]/.test(href)) {
      return true;
    }
    return data.base !== "" && href.indexOf(data.base + "/") === 0;
  }

  function show(id) {
    var node = nodes.get(id);
    if (!node) {
      return;
    }
    var facts = node.facts || [];
    document.getElementById("panel-title").textContent = facts.length ? facts[0][1] : node.label;
    var list = document.getElementById("panel-facts");
    clear(list);
    facts.slice(1).forEach(function (fact) {
      var term = document.createElement("dt");
      term.textContent = fact[0];
      var value = document.createElement("dd");
      value.textContent = fact[1];
      list.appendChild(term);
      list.appendChild(value);
    });
    var links = document.getElementById("panel-links");
    clear(links);
    (node.links || []).forEach(function (link) {
      if (!safe(link[1])) {
        return;
      }
      var item = document.createElement("li");
      var anchor = document.createElement("a");
      anchor.href = link[1];
      anchor.textContent = link[0];
      item.appendChild(anchor);
      links.appendChild(item);
    });
    document.getElementById("panel-hint").hidden = true;
    document.getElementById("panel").setAttribute("data-node", String(id));
  }

  network.on("click", function (params) {
    if (params.nodes.length) {
      show(params.nodes[0]);
    }
  });
  if (data.centre !== null && nodes.get(data.centre)) {
    network.selectNodes([data.centre]);
    show(data.centre);
  }
})();
