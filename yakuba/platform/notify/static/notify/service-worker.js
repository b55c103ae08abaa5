// Yakuba's service worker: shows the town's Web Push notifications and opens the message when one
// is clicked. Served by notify.push_views.service_worker (with Service-Worker-Allowed: /).
// The payload is the JSON built by notify.channels.webpush.payload_for:
//   {title, body, url, tag, lang, urgent, actions: [{action, title}]}
"use strict";

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

function readPayload(event) {
  if (!event.data) {
    return {};
  }
  try {
    return event.data.json();
  } catch (error) {
    return { body: event.data.text() };
  }
}

self.addEventListener("push", function (event) {
  var payload = readPayload(event);
  var actions = Array.isArray(payload.actions) ? payload.actions : [];
  // Buttons only when the browser can show every choice: offering two of five answers would
  // mislead. Otherwise the resident answers in the inbox the notification opens.
  var maxActions = (self.Notification && self.Notification.maxActions) || 0;
  if (actions.length > maxActions) {
    actions = [];
  }
  var options = {
    body: payload.body || "",
    // The same tag for a repeated push of one delivery: it replaces the first on screen.
    tag: payload.tag || undefined,
    lang: payload.lang || "",
    data: { url: payload.url || "/" },
    actions: actions,
    // An emergency stays on screen until the resident deals with it.
    requireInteraction: Boolean(payload.urgent),
  };
  event.waitUntil(self.registration.showNotification(payload.title || "", options));
});

// The URL to open: the message's page; for a choice button, with ?answer=<code>.
function targetUrl(data, action) {
  var url = new URL((data && data.url) || "/", self.location.origin);
  if (action) {
    url.searchParams.set("answer", action);
  }
  return url.href;
}

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = targetUrl(event.notification.data, event.action);
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      for (var i = 0; i < windows.length; i += 1) {
        if (windows[i].url === url && "focus" in windows[i]) {
          return windows[i].focus();
        }
      }
      return self.clients.openWindow(url);
    })
  );
});
