/*
 * 创文 maps: unit boundaries and sites drawn with Leaflet over GeoJSON, no tile layer unless configured.
 *
 * <div class="cw-map" id="..."
 *      data-boundaries-url="/org/boundaries.geojson"   or data-boundaries-json="<id of a json_script>"
 *      data-sites-url="/sites/sites.geojson?..."        or data-sites-json="<id of a json_script>"
 *      data-tile-url="" data-tile-attribution=""
 *      data-label-open="查看点位" data-label-declared="申报点位" data-label-other="其他点位"
 *      data-legend-json="<id of a json_script with [[colour, label], …]>" (optional, replaces the legend)
 *      data-label-error="地图数据加载失败">
 *
 * A feature may carry its own colour (properties.color), extra popup lines (properties.lines) and link
 * text (properties.url_label), as the case map does.
 *
 * Every value from the data reaches the page as text (textContent, or an element given to Leaflet): Leaflet
 * reads a string given to bindTooltip/bindPopup as HTML, so a site or case name must never be one.
 *
 * After each load the element carries data-state="ready", data-site-count and data-boundary-count.
 * An htmx swap that brings an element with data-map-id and data-sites-url reloads that map's sites.
 */
(function () {
  "use strict";

  var COLORS = { declared: "#b3261e", other: "#17406d", inactive: "#8a94a3", boundary: "#17406d" };
  var maps = {};

  function loadJson(el, urlKey, scriptKey) {
    var scriptId = el.dataset[scriptKey];
    if (scriptId) {
      var node = document.getElementById(scriptId);
      return Promise.resolve(node ? JSON.parse(node.textContent) : null);
    }
    var url = el.dataset[urlKey];
    if (!url) {
      return Promise.resolve(null);
    }
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } }).then(
      function (response) {
        if (!response.ok) {
          throw new Error(response.status + " " + url);
        }
        return response.json();
      }
    );
  }

  var textNode = window.cwDom.textNode;
  var safeUrl = window.cwDom.safeUrl;

  function sitePopup(el, props) {
    var box = document.createElement("div");
    box.className = "cw-popup";
    box.appendChild(textNode("strong", "", props.name));
    box.appendChild(
      textNode("div", "", [props.code, props.site_type_name || props.site_type].filter(Boolean).join(" · "))
    );
    (props.lines || []).forEach(function (text) {
      box.appendChild(textNode("div", "", text));
    });
    if (props.declared) {
      var tag = document.createElement("span");
      tag.className = "cw-tag cw-tag--risk";
      tag.textContent = el.dataset.labelDeclared || "";
      box.appendChild(tag);
    }
    var href = props.url ? safeUrl(props.url) : "";
    if (href) {
      var link = document.createElement("a");
      link.href = href;
      link.textContent = props.url_label || el.dataset.labelOpen || props.url;
      var line = document.createElement("div");
      line.appendChild(link);
      box.appendChild(line);
    }
    return box;
  }

  function siteStyle(props) {
    var color =
      props.color ||
      (props.active === false ? COLORS.inactive : props.declared ? COLORS.declared : COLORS.other);
    return {
      radius: 7,
      color: "#ffffff",
      weight: 1.5,
      fillColor: color,
      fillOpacity: 0.9,
      className: "cw-site",
    };
  }

  function addLegend(map, el) {
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "cw-legend");
      var custom = el.dataset.legendJson && document.getElementById(el.dataset.legendJson);
      var pairs = custom
        ? JSON.parse(custom.textContent)
        : [
            [COLORS.declared, el.dataset.labelDeclared],
            [COLORS.other, el.dataset.labelOther],
          ];
      pairs.forEach(function (pair) {
        if (!pair[1]) {
          return;
        }
        var row = L.DomUtil.create("div", "", div);
        var dot = L.DomUtil.create("span", "cw-legend__dot", row);
        dot.style.background = pair[0];
        row.appendChild(document.createTextNode(pair[1]));
      });
      return div;
    };
    legend.addTo(map);
  }

  function fit(state) {
    var bounds = L.latLngBounds([]);
    [state.boundaries, state.sites].forEach(function (layer) {
      var b = layer.getBounds();
      if (b.isValid()) {
        bounds.extend(b);
      }
    });
    if (bounds.isValid()) {
      state.map.fitBounds(bounds, { padding: [16, 16], maxZoom: 17 });
    }
  }

  function reloadSites(state, url) {
    var el = state.el;
    if (url !== undefined) {
      el.dataset.sitesUrl = url;
    }
    el.dataset.state = "loading";
    return loadJson(el, "sitesUrl", "sitesJson")
      .then(function (data) {
        state.sites.clearLayers();
        if (data) {
          state.sites.addData(data);
        }
        el.dataset.siteCount = String(state.sites.getLayers().length);
        fit(state);
        el.dataset.state = "ready";
      })
      .catch(function (error) {
        el.dataset.state = "error";
        showError(state, error);
      });
  }

  function showError(state, error) {
    if (window.console) {
      window.console.error(error);
    }
    var note = document.createElement("p");
    note.className = "cw-map-note";
    note.setAttribute("role", "alert");
    note.textContent = state.el.dataset.labelError || String(error);
    state.el.insertAdjacentElement("afterend", note);
  }

  function initMap(el) {
    var map = L.map(el, { zoomSnap: 0.25, attributionControl: true }).setView([35, 105], 4);
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, {
        attribution: el.dataset.tileAttribution || "",
        maxZoom: 19,
      }).addTo(map);
    }
    map.attributionControl.setPrefix("");
    var state = { el: el, map: map };
    state.boundaries = L.geoJSON(null, {
      style: { color: COLORS.boundary, weight: 1.5, fillColor: COLORS.boundary, fillOpacity: 0.06 },
      interactive: false,
      className: "cw-boundary",
    }).addTo(map);
    state.sites = L.geoJSON(null, {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, siteStyle(feature.properties || {}));
      },
      onEachFeature: function (feature, layer) {
        layer.bindPopup(sitePopup(el, feature.properties || {}));
        layer.bindTooltip(textNode("span", "cw-tooltip", (feature.properties || {}).name));
      },
    }).addTo(map);
    addLegend(map, el);
    maps[el.id] = state;
    loadJson(el, "boundariesUrl", "boundariesJson")
      .then(function (data) {
        if (data) {
          state.boundaries.addData(data);
        }
        el.dataset.boundaryCount = String(state.boundaries.getLayers().length);
        return reloadSites(state);
      })
      .catch(function (error) {
        el.dataset.state = "error";
        showError(state, error);
      });
  }

  function initAll(root) {
    root.querySelectorAll(".cw-map[data-map]").forEach(function (el) {
      if (!el.dataset.initialised) {
        el.dataset.initialised = "1";
        initMap(el);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    initAll(document);
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.target;
    if (!target) {
      return;
    }
    var sources = target.matches("[data-map-id]") ? [target] : target.querySelectorAll("[data-map-id]");
    sources.forEach(function (source) {
      var state = maps[source.dataset.mapId];
      if (state) {
        reloadSites(state, source.dataset.sitesUrl);
      }
    });
    initAll(target);
  });
})();
