/* Maps of the report pages (Leaflet, served from our own static files).

   Only an improvement: every page works without it. On the "where" step the map fills in the
   latitude and longitude fields a resident can otherwise leave empty (an address is enough).
   data-report-map="pick"  choose a place: tap to put the pin, drag it, or use the phone's location
   data-report-map="show"  one report's pin
   data-report-map="list"  reports in view, read from the GeoJSON endpoint; zoomed out, the
                           endpoint answers groups with a count, and a tap zooms into one
   Texts come from data-text-* attributes, translated by the template. No inline script or style
   (CSP). */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") {
      fn();
    } else {
      document.addEventListener("DOMContentLoaded", fn);
    }
  }

  function number(value, fallback) {
    var parsed = parseFloat(value);
    return isFinite(parsed) ? parsed : fallback;
  }

  function createMap(element) {
    element.hidden = false;
    var map = L.map(element, { scrollWheelZoom: false, tap: true }).setView(
      [number(element.dataset.centerLatitude, 38.037), number(element.dataset.centerLongitude, 140.853)],
      number(element.dataset.zoom, 13)
    );
    if (element.dataset.tileUrl) {
      // Tiles may not load (offline, a slow phone): the pin still works on the blank map.
      L.tileLayer(element.dataset.tileUrl, {
        attribution: element.dataset.tileAttribution || "",
        maxZoom: 18,
      }).addTo(map);
    }
    if (element.dataset.districtsUrl) {
      // The districts' outlines and names: the town's shape even when no tile can be loaded.
      fetch(element.dataset.districtsUrl, { headers: { Accept: "application/geo+json" } })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (data) {
          if (!data) {
            return;
          }
          L.geoJSON(data, {
            interactive: false,
            style: { color: "#0017c1", weight: 1.5, fill: false, dashArray: "4 4" },
            onEachFeature: function (feature, layer) {
              var name = feature.properties && feature.properties.name;
              if (name) {
                layer.bindTooltip(name, { permanent: true, direction: "center", className: "report-map__district" });
              }
            },
          }).addTo(map);
        })
        .catch(function () {});
    }
    return map;
  }

  function pinIcon(element) {
    return L.icon({
      iconUrl: element.dataset.pinIcon,
      iconSize: [32, 44],
      iconAnchor: [16, 43],
      popupAnchor: [0, -40],
    });
  }

  function setupPicker(element) {
    var form = element.closest("form");
    var latitude = form.querySelector("[name=latitude]");
    var longitude = form.querySelector("[name=longitude]");
    var status = document.getElementById("report-map-status");
    var area = document.getElementById("report-map-area");
    if (area) {
      area.hidden = false;
    }
    var map = createMap(element);
    var marker = null;

    function say(text) {
      if (status) {
        status.textContent = text;
      }
    }

    function write(position) {
      latitude.value = position.lat.toFixed(6);
      longitude.value = position.lng.toFixed(6);
    }

    function place(position, centre) {
      if (marker === null) {
        marker = L.marker(position, {
          draggable: true,
          icon: pinIcon(element),
          title: element.dataset.textPinTitle || "",
          alt: element.dataset.textPinTitle || "",
        }).addTo(map);
        marker.on("dragend", function () {
          write(marker.getLatLng());
          say(element.dataset.textPin || "");
        });
      } else {
        marker.setLatLng(position);
      }
      write(marker.getLatLng());
      if (centre) {
        map.setView(position, Math.max(map.getZoom(), 17));
      }
    }

    map.on("click", function (event) {
      place(event.latlng, false);
      say(element.dataset.textPin || "");
    });

    // Coming back to the step (or after an error): show the pin already chosen.
    if (latitude.value && longitude.value) {
      place(L.latLng(number(latitude.value, 0), number(longitude.value, 0)), true);
    }
    // Typed coordinates move the pin too.
    [latitude, longitude].forEach(function (input) {
      input.addEventListener("change", function () {
        if (isFinite(parseFloat(latitude.value)) && isFinite(parseFloat(longitude.value))) {
          place(L.latLng(parseFloat(latitude.value), parseFloat(longitude.value)), true);
        }
      });
    });

    var centreButton = document.getElementById("report-map-centre");
    if (centreButton) {
      centreButton.addEventListener("click", function () {
        place(map.getCenter(), false);
        say(element.dataset.textPin || "");
      });
    }

    var hereButton = document.getElementById("report-map-here");
    if (hereButton) {
      if (!("geolocation" in navigator)) {
        hereButton.hidden = true;
        return;
      }
      hereButton.addEventListener("click", function () {
        say(element.dataset.textLocating || "");
        hereButton.disabled = true;
        navigator.geolocation.getCurrentPosition(
          function (found) {
            hereButton.disabled = false;
            place(L.latLng(found.coords.latitude, found.coords.longitude), true);
            say(element.dataset.textLocated || "");
          },
          function () {
            hereButton.disabled = false;
            say(element.dataset.textNoLocation || "");
          },
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
        );
      });
    }
  }

  function setupShow(element) {
    var map = createMap(element);
    var position = L.latLng(number(element.dataset.latitude, 0), number(element.dataset.longitude, 0));
    L.marker(position, { icon: pinIcon(element), keyboard: false, interactive: false }).addTo(map);
    map.setView(position, 17);
  }

  function setupList(element) {
    var map = createMap(element);
    var layer = L.layerGroup().addTo(map);
    var url = element.dataset.geojsonUrl;
    var request = 0;

    function popup(properties) {
      // Built from text nodes: nothing from the data is read as HTML.
      var box = document.createElement("div");
      var title = document.createElement("strong");
      title.textContent = "#" + properties.id + " " + properties.category_name;
      var state = document.createElement("div");
      state.textContent = properties.status_name;
      var link = document.createElement("a");
      link.href = properties.url;
      link.textContent = element.dataset.textOpen || properties.url;
      box.appendChild(title);
      box.appendChild(state);
      box.appendChild(link);
      return box;
    }

    function cluster(properties, position) {
      // The count is a number from our endpoint; the label for screen readers comes from the page.
      var label = (element.dataset.textCluster || "{count}")
        .replace("{count}", properties.count)
        .replace("{open}", properties.open_count);
      var size = properties.count < 10 ? 34 : properties.count < 100 ? 42 : 50;
      var marker = L.marker(position, {
        icon: L.divIcon({
          className: "report-map__cluster" + (properties.open_count ? " report-map__cluster--open" : ""),
          html: "<span>" + Number(properties.count) + "</span>",
          iconSize: [size, size],
        }),
        title: label,
        alt: label,
        keyboard: true,
      });
      marker.on("click", function () {
        var box = properties.bbox;
        var bounds = L.latLngBounds([box[1], box[0]], [box[3], box[2]]);
        if (bounds.getNorth() === bounds.getSouth() && bounds.getEast() === bounds.getWest()) {
          map.setView(bounds.getCenter(), map.getZoom() + 2);
        } else {
          map.fitBounds(bounds.pad(0.2));
        }
      });
      return marker;
    }

    function load() {
      var bounds = map.getBounds();
      var bbox = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
        .map(function (value) { return value.toFixed(5); })
        .join(",");
      var mine = ++request;
      var query = "bbox=" + bbox + "&zoom=" + map.getZoom();
      fetch(url + (url.indexOf("?") === -1 ? "?" : "&") + query, {
        headers: { Accept: "application/geo+json" },
      })
        .then(function (response) { return response.ok ? response.json() : { features: [] }; })
        .then(function (data) {
          if (mine !== request) {
            return; // an older answer arriving after a newer one
          }
          layer.clearLayers();
          data.features.forEach(function (feature) {
            var coordinates = feature.geometry.coordinates;
            if (feature.properties.cluster) {
              cluster(feature.properties, [coordinates[1], coordinates[0]]).addTo(layer);
              return;
            }
            var open = feature.properties.is_open;
            L.circleMarker([coordinates[1], coordinates[0]], {
              radius: 9,
              weight: 2,
              color: "#ffffff",
              fillColor: open ? "#ce0000" : "#197a4b",
              fillOpacity: 0.9,
            })
              .bindPopup(popup(feature.properties))
              .addTo(layer);
          });
        })
        .catch(function () { /* the list below the map still shows every report */ });
    }

    map.on("moveend", load);
    load();
  }

  ready(function () {
    if (typeof L === "undefined") {
      return; // Leaflet did not load: the page works without the map.
    }
    document.querySelectorAll("[data-report-map]").forEach(function (element) {
      var kind = element.dataset.reportMap;
      if (kind === "pick") {
        setupPicker(element);
      } else if (kind === "show") {
        setupShow(element);
      } else if (kind === "list") {
        setupList(element);
      }
    });
  });
})();
