/*
 * 创文 problem heat map: grid cells shaded by the number of problems, findings and open cases as points.
 * The server does the aggregation (dashboards/services/heatmap.py: heat_cells); no plugin.
 *
 * <div id="heat-map" data-heat-source="/dashboards/heatmap.json?…" data-boundaries-url="…" data-tile-url="">
 * Values from the data reach the page as text only: Leaflet reads a string given to bindTooltip/bindPopup as
 * HTML, so tooltips and popups get elements built with textContent.
 *
 * After loading: data-state="ready", data-cell-count, data-point-count.
 */
(function () {
  "use strict";

  var POINT_COLORS = { finding: "#b3261e", "case": "#d49a00" };

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) {
        throw new Error(r.status + " " + url);
      }
      return r.json();
    });
  }

  var safeUrl = window.cwDom.safeUrl;

  function textNode(tag, text) {
    return window.cwDom.textNode(tag, "", text);
  }

  function popup(props, openLabel) {
    var box = document.createElement("div");
    box.className = "cw-popup";
    box.appendChild(textNode("strong", props.name));
    box.appendChild(textNode("div", props.label));
    var href = props.url ? safeUrl(props.url) : "";
    if (href) {
      var link = document.createElement("a");
      link.href = href;
      link.textContent = openLabel;
      var row = document.createElement("div");
      row.appendChild(link);
      box.appendChild(row);
    }
    return box;
  }

  function init(el) {
    var map = L.map(el, { zoomSnap: 0.25 }).setView([35, 105], 4);
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    map.attributionControl.setPrefix("");
    var boundaries = L.geoJSON(null, {
      style: { color: "#17406d", weight: 1.5, fillOpacity: 0.04 },
      interactive: false,
    }).addTo(map);
    var cells = L.featureGroup().addTo(map);
    var points = L.featureGroup().addTo(map);
    var boundaryLoad = el.dataset.boundariesUrl ? getJson(el.dataset.boundariesUrl) : Promise.resolve(null);
    Promise.all([boundaryLoad, getJson(el.dataset.heatSource)])
      .then(function (results) {
        if (results[0]) {
          boundaries.addData(results[0]);
        }
        var data = results[1];
        var labels = data.labels;
        data.cells.forEach(function (cell) {
          var share = data.max ? cell.total / data.max : 0;
          L.rectangle(cell.bounds, {
            color: "#b3261e",
            weight: 0.5,
            fillColor: "#b3261e",
            fillOpacity: 0.15 + 0.6 * share,
            className: "cw-heat-cell",
          })
            .bindTooltip(
              textNode(
                "span",
                labels.cell + "：" + labels.finding + " " + cell.findings + " · " + labels["case"] + " " + cell.cases
              )
            )
            .addTo(cells);
        });
        data.points.forEach(function (p) {
          L.circleMarker([p.lat, p.lng], {
            radius: 5,
            color: "#ffffff",
            weight: 1,
            fillColor: POINT_COLORS[p.kind] || "#17406d",
            fillOpacity: 0.9,
            className: "cw-heat-point cw-heat-point--" + String(p.kind).replace(/[^a-z_-]/g, ""),
          })
            .bindPopup(popup(p, labels.open))
            .addTo(points);
        });
        var bounds = L.latLngBounds([]);
        [boundaries, cells, points].forEach(function (layer) {
          var b = layer.getBounds();
          if (b.isValid()) {
            bounds.extend(b);
          }
        });
        if (bounds.isValid()) {
          map.fitBounds(bounds, { padding: [16, 16], maxZoom: 17 });
        }
        var summary = document.getElementById("heat-summary");
        if (summary && el.dataset.labelSummary) {
          summary.textContent = el.dataset.labelSummary
            .replace("%(findings)s", data.findings)
            .replace("%(cases)s", data.cases)
            .replace("%(cells)s", data.cells.length);
        }
        el.dataset.cellCount = String(data.cells.length);
        el.dataset.pointCount = String(data.points.length);
        el.dataset.state = "ready";
      })
      .catch(function (error) {
        el.dataset.state = "error";
        var note = document.createElement("p");
        note.className = "cw-map-note";
        note.setAttribute("role", "alert");
        note.textContent = el.dataset.labelError || String(error);
        el.insertAdjacentElement("afterend", note);
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("heat-map");
    if (el) {
      init(el);
    }
  });
})();
