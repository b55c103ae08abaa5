/* A dataset's page: the "copy the credit line" button (出典をコピー). Without it the credit line
   is still there to select and copy by hand. No inline script (CSP). */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      var source = document.getElementById(button.dataset.copy);
      var status = button.parentNode.querySelector("[role=status]");
      if (!source || !navigator.clipboard) {
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.value).then(function () {
          if (status) {
            status.textContent = button.dataset.copied || "";
          }
        });
      });
    });
  });
})();
