/* The town map (町の地図): draws the layers the page lists, and filters by name as one types.

   Only an improvement: without it the page's form chooses the layers and the server lists what is
   on them. Each layer checkbox carries the GeoJSON URL (data-geojson-url) and the colour index of
   its swatch; the list below the map has one section per layer (data-layer-index), each item with
   its folded name (data-search). Texts come from data-text-* attributes, translated by the
   template. No inline script or style (CSP). */
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

  /* As the server's fold_for_search: NFKC (全角/半角), katakana as hiragana, any case. */
  function fold(text) {
    return String(text || "")
      .normalize("NFKC")
      .replace(/[\u30a1-\u30f6]/g, function (ch) {
        return String.fromCharCode(ch.charCodeAt(0) - 0x60);
      })
      .toLowerCase();
  }

  function words(element, name) {
    return (element.dataset[name] || "").split(" ").filter(Boolean);
  }

  function first(properties, keys) {
    for (var i = 0; i < keys.length; i++) {
      if (properties[keys[i]]) {
        return String(properties[keys[i]]);
      }
    }
    return "";
  }

  ready(function () {
    var element = document.getElementById("town-map");
    if (!element || typeof L === "undefined") {
      return;
    }
    var form = document.querySelector(".town-map-controls");
    var search = form.querySelector("input[name=q]");
    var status = document.getElementById("town-map-status");
    var nameKeys = words(element, "nameKeys");
    var otherNameKeys = words(element, "otherNameKeys");
    var addressKeys = words(element, "addressKeys");
    var countText = element.dataset.textCount || "{count}";

    element.hidden = false;
    var map = L.map(element, { scrollWheelZoom: false, tap: true }).setView(
      [number(element.dataset.centerLatitude, 38.037), number(element.dataset.centerLongitude, 140.853)],
      number(element.dataset.zoom, 13)
    );
    if (element.dataset.tileUrl) {
      // Tiles may not load (offline, a slow phone): the points still show on the blank map.
      L.tileLayer(element.dataset.tileUrl, {
        attribution: element.dataset.tileAttribution || "",
        maxZoom: 18,
      }).addTo(map);
    }

    function say(text) {
      status.textContent = text;
    }

    function popup(properties) {
      var box = document.createElement("div");
      var name = document.createElement("strong");
      name.textContent = first(properties, nameKeys);
      box.appendChild(name);
      var address = first(properties, addressKeys);
      if (address) {
        box.appendChild(document.createElement("br"));
        box.appendChild(document.createTextNode(address));
      }
      var url = String(properties.url || "");
      if (/^https?:\/\//.test(url)) {
        var link = document.createElement("a");
        link.href = url;
        link.textContent = element.dataset.textOpen || url;
        box.appendChild(document.createElement("br"));
        box.appendChild(link);
      }
      return box;
    }

    var layers = Array.prototype.map.call(
      form.querySelectorAll("input[name=layer]"),
      function (checkbox) {
        var swatch = checkbox.parentNode.querySelector(".layer-swatch");
        return {
          checkbox: checkbox,
          index: checkbox.dataset.layerIndex,
          colour: swatch ? getComputedStyle(swatch).backgroundColor : "#0017c1",
          title: checkbox.dataset.title || "",
          group: L.featureGroup(),
          items: [],
          loading: null,
        };
      }
    );

    function matches(item, folded) {
      return !folded || item.search.indexOf(folded) !== -1;
    }

    function applySearch(layer) {
      var folded = fold(search.value.trim());
      layer.items.forEach(function (item) {
        if (matches(item, folded)) {
          layer.group.addLayer(item.marker);
        } else {
          layer.group.removeLayer(item.marker);
        }
      });
    }

    function filterList() {
      var folded = fold(search.value.trim());
      document.querySelectorAll(".map-list__layer").forEach(function (section) {
        var shown = 0;
        section.querySelectorAll(".map-list__item").forEach(function (item) {
          item.hidden = !matches({ search: item.dataset.search || "" }, folded);
          shown += item.hidden ? 0 : 1;
        });
        var count = section.querySelector("[data-count-of]");
        if (count) {
          count.textContent = countText.replace("{count}", shown);
        }
        var empty = section.querySelector("[data-empty-of]");
        if (empty) {
          empty.hidden = shown > 0;
        }
      });
    }

    function load(layer) {
      if (layer.loading === null) {
        layer.loading = fetch(layer.checkbox.dataset.geojsonUrl, {
          headers: { Accept: "application/geo+json" },
        })
          .then(function (response) {
            if (!response.ok) {
              throw new Error(response.status);
            }
            return response.json();
          })
          .then(function (data) {
            L.geoJSON(data, {
              pointToLayer: function (feature, latlng) {
                return L.circleMarker(latlng, {
                  radius: 8,
                  color: "#ffffff",
                  weight: 2,
                  fillColor: layer.colour,
                  fillOpacity: 1,
                });
              },
              style: function () {
                return { color: layer.colour, weight: 3 };
              },
              onEachFeature: function (feature, shape) {
                var properties = feature.properties || {};
                shape.bindPopup(popup(properties));
                var names = [first(properties, nameKeys)].concat(
                  otherNameKeys.map(function (key) {
                    return properties[key] || "";
                  })
                );
                layer.items.push({ marker: shape, search: fold(names.join(" ")) });
              },
            });
            applySearch(layer);
          })
          .catch(function () {
            say((element.dataset.textFailed || "") + layer.title);
          });
      }
      return layer.loading;
    }

    function show(layer, announce) {
      var section = document.querySelector('.map-list__layer[data-layer-index="' + layer.index + '"]');
      if (section) {
        section.hidden = !layer.checkbox.checked;
      }
      if (layer.checkbox.checked) {
        load(layer).then(function () {
          // Unticked again while it was loading: leave it off.
          if (layer.checkbox.checked) {
            layer.group.addTo(map);
          }
        });
      } else {
        map.removeLayer(layer.group);
      }
      if (announce) {
        say(
          ((layer.checkbox.checked ? element.dataset.textShown : element.dataset.textHidden) || "").replace(
            "{title}",
            layer.title
          )
        );
      }
    }

    layers.forEach(function (layer) {
      show(layer, false);
      layer.checkbox.addEventListener("change", function () {
        show(layer, true);
      });
    });

    search.addEventListener("input", function () {
      filterList();
      layers.forEach(applySearch);
    });
  });
})();
