// kringloop pages: a printed page shows what is folded away on screen (score, evidence).
(function () {
  "use strict";
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = [];
    document.querySelectorAll("details:not([open])").forEach(function (d) {
      if (!d.classList.contains("no-print") && !d.closest(".no-print")) {
        d.setAttribute("open", "");
        opened.push(d);
      }
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) {
      d.removeAttribute("open");
    });
    opened = [];
  });
})();
