// The post-crisis report: the Print button (no inline handler: the page's CSP refuses them).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("report-print");
    if (button) {
      button.addEventListener("click", function () { window.print(); });
    }
  });
})();
