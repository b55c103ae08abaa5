// Shows a procedure form's conditional fields (show_if) only while their condition is met.
// The server decides what counts — a hidden field is not required and its answer is dropped —
// so this only spares residents questions that are not theirs. Without JavaScript every field
// stays on the page with a note saying when to answer it. Loaded from
// procedures/form/scripts.html with `defer` (the CSP allows no inline script).
(function () {
  "use strict";
  var dependants = document.querySelectorAll("[data-show-if-field]");
  if (!dependants.length) {
    return;
  }

  function answered(scope, name) {
    var values = [];
    scope.querySelectorAll("[name]").forEach(function (input) {
      if (input.name !== name || input.closest("[hidden]")) {
        return;
      }
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) {
          values.push(input.value);
        }
      } else if (input.value.trim() !== "") {
        values.push(input.value.trim());
      }
    });
    return values;
  }

  function update() {
    // In document order, so a field whose own condition hides it counts as unanswered below.
    dependants.forEach(function (element) {
      var scope = element.closest("form") || document;
      var wanted = JSON.parse(element.getAttribute("data-show-if-values"));
      var have = answered(scope, element.getAttribute("data-show-if-field"));
      var shown = wanted.some(function (value) {
        return value === "" ? have.length === 0 : have.indexOf(value) !== -1;
      });
      element.hidden = !shown;
    });
  }

  update();
  document.addEventListener("change", update);
  document.addEventListener("input", update);
})();
