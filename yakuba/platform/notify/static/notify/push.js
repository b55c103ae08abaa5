// The "notifications on this browser" button (notify/push_button.html). Progressive enhancement:
// the partial stays hidden unless this script finds a browser that can receive Web Push.
// Everything it needs comes from data- attributes, as the CSP allows no inline script:
//   data-public-key       the town's VAPID key (base64url): the applicationServerKey
//   data-service-worker   the service worker's URL; data-subscribe, data-unsubscribe: endpoints
//   data-csrf-token       Django's CSRF token (the csrftoken cookie is HttpOnly)
//   data-text-*           the translated texts to show
(function () {
  "use strict";

  function decodeKey(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    base64 += "===".slice(0, (4 - (base64.length % 4)) % 4);
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes;
  }

  function setUp(box) {
    var button = box.querySelector("[data-push-toggle]");
    var state = box.querySelector("[data-push-state]");
    var text = box.dataset;
    var registration = null;

    function show(subscribed, message) {
      var denied = Notification.permission === "denied" && !subscribed;
      button.textContent = subscribed ? text.textTurnOff : text.textTurnOn;
      button.setAttribute("aria-pressed", subscribed ? "true" : "false");
      button.disabled = denied;
      state.textContent =
        message || (denied ? text.textDenied : subscribed ? text.textOn : text.textOff);
    }

    function post(url, body) {
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": text.csrfToken },
        body: JSON.stringify(body),
      }).then(function (response) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (answer) {
            if (!response.ok) {
              throw new Error(answer.error || text.textError);
            }
            return answer;
          });
      });
    }

    function subscribe() {
      return registration.pushManager
        .subscribe({ userVisibleOnly: true, applicationServerKey: decodeKey(text.publicKey) })
        .then(function (subscription) {
          return post(text.subscribe, subscription.toJSON()).catch(function (error) {
            // The town could not keep it: do not leave the browser subscribed for nothing.
            return subscription.unsubscribe().then(function () {
              throw error;
            });
          });
        });
    }

    function unsubscribe(subscription) {
      var endpoint = subscription.endpoint;
      return subscription.unsubscribe().then(function () {
        return post(text.unsubscribe, { endpoint: endpoint });
      });
    }

    button.addEventListener("click", function () {
      button.disabled = true;
      state.textContent = text.textWorking;
      registration.pushManager
        .getSubscription()
        .then(function (current) {
          return current ? unsubscribe(current) : subscribe();
        })
        .then(
          function () {
            return registration.pushManager.getSubscription().then(function (current) {
              show(Boolean(current));
            });
          },
          function (error) {
            return registration.pushManager.getSubscription().then(function (current) {
              var denied = Notification.permission === "denied";
              show(Boolean(current), denied ? "" : error.message || text.textError);
            });
          }
        );
    });

    navigator.serviceWorker
      .register(text.serviceWorker, { scope: "/" })
      .then(function () {
        return navigator.serviceWorker.ready;
      })
      .then(function (ready) {
        registration = ready;
        return registration.pushManager.getSubscription();
      })
      .then(function (current) {
        if (current) {
          // Tell the town again: the browser may have renewed the subscription, or the town may
          // have dropped it after the push service called it expired. The endpoint belongs to
          // whoever is signed in on this browser now.
          post(text.subscribe, current.toJSON()).catch(function () {});
        }
        box.hidden = false;
        show(Boolean(current));
      })
      .catch(function () {
        box.hidden = true;
      });
  }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    return; // no Web Push in this browser: the partial stays hidden
  }
  var boxes = document.querySelectorAll("[data-push-button]");
  for (var i = 0; i < boxes.length; i += 1) {
    setUp(boxes[i]);
  }
})();
