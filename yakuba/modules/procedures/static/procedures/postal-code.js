// Fills an address field from its postal code (郵便番号から住所を入力). Adds a 「住所を検索」
// button after each postal-code input of a section that has data-postal-lookup (the lookup's
// URL); the address is put in the field's address input, where the resident adds the 番地.
// Without JavaScript, or when the code is unknown, the resident types the address. Texts come
// from data attributes so they are translated on the server.
(function () {
  "use strict";
  document.querySelectorAll("[data-postal-lookup]").forEach(function (section) {
    var url = section.getAttribute("data-postal-lookup");
    section.querySelectorAll("input[data-postal-code]").forEach(function (codeInput) {
      var group = codeInput.closest("fieldset");
      var addressInput = group && group.querySelector("input[data-postal-address]");
      if (!addressInput) {
        return;
      }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button button--secondary button--small";
      button.textContent = section.getAttribute("data-postal-button");
      var status = document.createElement("p");
      status.className = "field__hint";
      status.setAttribute("role", "status");
      codeInput.insertAdjacentElement("afterend", button);
      button.insertAdjacentElement("afterend", status);
      var choices = document.createElement("div");
      status.insertAdjacentElement("afterend", choices);

      function use(text) {
        addressInput.value = text;
        choices.textContent = "";
        status.textContent = section.getAttribute("data-postal-filled");
        addressInput.focus();
      }

      button.addEventListener("click", function () {
        status.textContent = "";
        choices.textContent = "";
        fetch(url + "?code=" + encodeURIComponent(codeInput.value), {
          headers: { Accept: "application/json" },
        })
          .then(function (response) {
            return response.json();
          })
          .then(function (body) {
            var addresses = body.addresses || [];
            if (body.error) {
              status.textContent = body.error;
            } else if (addresses.length === 0) {
              status.textContent = section.getAttribute("data-postal-none");
            } else if (addresses.length === 1) {
              use(addresses[0].text);
            } else {
              status.textContent = section.getAttribute("data-postal-choose");
              addresses.forEach(function (address) {
                var choice = document.createElement("button");
                choice.type = "button";
                choice.className = "link-button";
                choice.textContent = address.text;
                choice.addEventListener("click", function () {
                  use(address.text);
                });
                choices.appendChild(choice);
              });
            }
          })
          .catch(function () {
            status.textContent = section.getAttribute("data-postal-none");
          });
      });
    });
  });
})();
