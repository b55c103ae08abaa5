// After a failed submit, move focus to the error summary (GOV.UK / デジタル庁 pattern) so that
// keyboard and screen-reader users start from the list of what to fix; a link in the summary then
// focuses its field, not just scrolls to it. Without JavaScript the summary is still at the top.
// Loaded with `defer` from base.html: the CSP allows no inline script.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (!summary) {
    return;
  }
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    var field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (field) {
      event.preventDefault();
      field.focus();
      field.scrollIntoView({ block: "center" });
    }
  });
})();
