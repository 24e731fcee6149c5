// kringloop's SPARQL editor: YASGUI configured to stay on this host.
//
// The page passes its settings as JSON in <script type="application/json" id="editor-config">:
// {endpoint, prefixes, args, overview: {name, query}, tabs: [{name, query}, ...]}.
(function () {
  "use strict";

  var element = document.getElementById("yasgui");
  var configElement = document.getElementById("editor-config");
  if (!element || !configElement || typeof Yasgui === "undefined") {
    return;
  }
  var config = JSON.parse(configElement.textContent);

  // Only the completers that work offline. The defaults array is changed in place: YASGUI
  // merges configuration arrays instead of replacing them, and its class and property
  // completers would ask an online vocabulary service.
  var completers = Yasgui.Yasqe.defaults.autocompleters;
  completers.splice(0, completers.length, "variables", "prefixes");

  var endpoint = window.location.origin + config.endpoint;
  var requestConfig = {
    endpoint: endpoint,
    method: "POST",
    args: config.args,
  };

  var yasgui = new Yasgui(element, {
    persistenceId: null,
    autofocus: false,
    tabName: config.overview.name,
    copyEndpointOnNewTab: true,
    populateFromUrl: false,
    requestConfig: requestConfig,
    endpointCatalogueOptions: {
      getData: function () {
        return [{ endpoint: endpoint }];
      },
      keys: [],
    },
    yasqe: {
      value: config.overview.query,
      prefixCcApi: config.prefixes,
      resizeable: true,
      editorHeight: "260px",
    },
    yasr: {
      defaultPlugin: "table",
    },
  });

  // One tab per named query, with its example values in a VALUES block.
  config.tabs.forEach(function (tab) {
    yasgui.addTab(false, {
      name: tab.name,
      yasqe: { value: tab.query },
      requestConfig: requestConfig,
    });
  });

  // A share link (YASGUI puts the query after the "#": query=...&tabTitle=...) opens its
  // query in a tab of its own, selected. Only the query text and the tab's name are taken
  // from the link: the endpoint, headers and arguments stay this host's.
  function shared() {
    var text = window.location.hash.replace(/^#/, "") || window.location.search.replace(/^\?/, "");
    var params = new URLSearchParams(text);
    var query = params.get("query");
    if (!query) {
      return;
    }
    var name = params.get("tabTitle") || config.overview.name;
    var tab = yasgui.addTab(true, {
      name: name,
      yasqe: { value: query },
      requestConfig: requestConfig,
    });
    window.kringloopShared = tab.getId();
  }
  shared();
  window.addEventListener("hashchange", shared);

  // Accessible names and valid references for what YASGUI draws (it draws more as tabs are
  // opened): the endpoint field and the query editor get labels in the page's language, a
  // tab refers only to a panel that exists, and the "add a tab" button stands beside the
  // tab list instead of inside it (a tab list holds tabs only).
  var labels = config.labels || {};
  var list = yasgui.tabElements;
  if (list && list.addTabEl && list._tabsListEl && list._tabsListEl.parentNode) {
    var add = list.addTabEl;
    list.addTabEl = null; // YASGUI then appends new tabs at the end of the list
    add.className = "addTabBeside";
    add.removeAttribute("role");
    list._tabsListEl.parentNode.insertBefore(add, list._tabsListEl.nextSibling);
    var button = add.querySelector("button");
    if (button && labels.addTab) {
      button.setAttribute("aria-label", labels.addTab);
      button.title = labels.addTab;
    }
  }
  function mend() {
    element.querySelectorAll("input.autocomplete").forEach(function (input) {
      if (!input.getAttribute("aria-label") && labels.endpoint) {
        input.setAttribute("aria-label", labels.endpoint);
      }
    });
    element.querySelectorAll(".CodeMirror textarea").forEach(function (area) {
      if (!area.getAttribute("aria-label") && labels.query) {
        area.setAttribute("aria-label", labels.query);
      }
    });
    element.querySelectorAll("a[role=tab][aria-controls]").forEach(function (tab) {
      if (!document.getElementById(tab.getAttribute("aria-controls"))) {
        tab.removeAttribute("aria-controls");
      }
    });
  }
  var pending = false;
  new MutationObserver(function () {
    if (!pending) {
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        mend();
      });
    }
  }).observe(element, { childList: true, subtree: true, attributes: true, attributeFilter: ["aria-controls"] });
  mend();

  window.kringloopEditor = yasgui;
})();
