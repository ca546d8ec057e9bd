/*
 * 随手拍 report page: a client id for idempotent resends, the position from the phone or picked on the map
 * (GCJ-02 when the configured tiles are a Chinese map's), the duplicate guard (/s/nearby/) and photo checks.
 * The server checks everything again; without JavaScript the form still posts (the map needs it).
 */
(function () {
  "use strict";

  var form = document.getElementById("report-form");
  if (!form) {
    return;
  }
  var strings = JSON.parse(document.getElementById("sp-strings").textContent);
  var boundaries = JSON.parse(document.getElementById("sp-boundaries").textContent);
  var field = function (name) { return form.elements.namedItem(name); };
  var text = document.getElementById("location-text");
  var tileUrl = form.dataset.tileUrl || "";
  // AMap/高德 and Tencent tiles are drawn in GCJ-02: a point picked on them is GCJ-02 too.
  var tilesGcj = /autonavi|amap|gtimg|map\.qq|tencent/i.test(tileUrl);

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) { return values[key]; });
  }

  function uuid4() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  if (!field("client_id").value) {
    field("client_id").value = uuid4();
  }

  // --- the map -------------------------------------------------------------------------------------------
  var map = null;
  var marker = null;
  if (window.L) {
    map = L.map("pick-map", { zoomControl: true, attributionControl: !!tileUrl });
    if (tileUrl) {
      L.tileLayer(tileUrl, { attribution: form.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    var layer = L.geoJSON(boundaries, { style: { color: "#17406d", weight: 2, fillOpacity: 0.04 } }).addTo(map);
    if (layer.getLayers().length) {
      map.fitBounds(layer.getBounds());
    } else {
      map.setView([30.0, 120.0], 12);
    }
    map.on("click", function (event) {
      setPosition(event.latlng.lat, event.latlng.lng, tilesGcj, strings.picked);
    });
  }

  function setPosition(lat, lng, gcj, message) {
    field("lat").value = lat.toFixed(7);
    field("lng").value = lng.toFixed(7);
    field("gcj02").value = gcj ? "1" : "";
    text.textContent = message;
    if (map) {
      if (marker) {
        marker.setLatLng([lat, lng]);
      } else {
        marker = L.circleMarker([lat, lng], { radius: 9, color: "#b3261e", fillOpacity: 0.7 }).addTo(map);
      }
      map.setView([lat, lng], Math.max(map.getZoom(), 16));
    }
    checkNearby();
  }

  if (field("lat").value && field("lng").value && map) {
    marker = L.circleMarker([+field("lat").value, +field("lng").value], { radius: 9, color: "#b3261e" }).addTo(map);
  }

  document.getElementById("locate").addEventListener("click", function () {
    if (!navigator.geolocation) {
      text.textContent = strings.unsupported;
      return;
    }
    text.textContent = strings.locating;
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        // The phone's GPS gives WGS-84.
        setPosition(pos.coords.latitude, pos.coords.longitude, false,
          fmt(strings.located, { m: Math.round(pos.coords.accuracy || 0) }));
      },
      function () { text.textContent = strings.denied; },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 }
    );
  });

  // --- the duplicate guard -------------------------------------------------------------------------------
  var nearby = document.getElementById("nearby");
  var list = document.getElementById("nearby-list");
  var csrf = field("csrfmiddlewaretoken").value;

  function checkNearby() {
    var category = form.querySelector("input[name=category]:checked");
    if (!category || !field("lat").value) {
      return;
    }
    var params = new URLSearchParams({
      category: category.value, lat: field("lat").value, lng: field("lng").value, gcj02: field("gcj02").value
    });
    fetch(form.dataset.nearbyUrl + "?" + params.toString(), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (data) { showNearby(data.items || []); })
      .catch(function () { showNearby([]); });
  }

  function showNearby(items) {
    list.textContent = "";
    nearby.hidden = items.length === 0;
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "sp-nearby__item";
      li.dataset.kind = item.kind;
      var title = document.createElement("p");
      title.className = "sp-nearby__title";
      title.textContent = item.title + " · " + item.status + " · " + fmt(strings.metres, { m: item.distance_m });
      li.appendChild(title);
      if (item.supporters) {
        var who = document.createElement("p");
        who.className = "sp-hint";
        who.textContent = fmt(strings.supporters, { n: item.supporters });
        li.appendChild(who);
      }
      if (item.support_url) {
        var f = document.createElement("form");
        f.method = "post";
        f.action = item.support_url;
        f.className = "sp-support";
        var token = document.createElement("input");
        token.type = "hidden";
        token.name = "csrfmiddlewaretoken";
        token.value = csrf;
        var phone = document.createElement("input");
        phone.type = "hidden";
        phone.name = "phone";
        phone.value = field("phone").value;
        var button = document.createElement("button");
        button.type = "submit";
        button.className = "sp-button sp-button--small";
        button.textContent = strings.me_too;
        button.addEventListener("click", function () { phone.value = field("phone").value; });
        f.appendChild(token);
        f.appendChild(phone);
        f.appendChild(button);
        li.appendChild(f);
      } else {
        var note = document.createElement("p");
        note.className = "sp-hint";
        note.textContent = strings.in_progress;
        li.appendChild(note);
      }
      list.appendChild(li);
    });
  }

  form.querySelectorAll("input[name=category]").forEach(function (input) {
    input.addEventListener("change", checkNearby);
  });

  // --- photos --------------------------------------------------------------------------------------------
  var photos = document.getElementById("photos");
  var photoList = document.getElementById("photo-list");
  var maxPhotos = +form.dataset.maxPhotos;
  var maxBytes = +form.dataset.maxMb * 1024 * 1024;
  photos.addEventListener("change", function () {
    photoList.textContent = "";
    var problems = [];
    if (photos.files.length > maxPhotos) {
      problems.push(fmt(strings.too_many, { n: maxPhotos }));
    }
    Array.prototype.forEach.call(photos.files, function (file) {
      if (file.size > maxBytes) {
        problems.push(fmt(strings.too_big, { name: file.name, mb: form.dataset.maxMb }));
      }
      var li = document.createElement("li");
      var img = document.createElement("img");
      img.alt = file.name;
      img.src = URL.createObjectURL(file);
      li.appendChild(img);
      photoList.appendChild(li);
    });
    photos.setCustomValidity(problems.join("；"));
    if (problems.length) {
      photos.reportValidity();
    }
  });

  form.addEventListener("submit", function (event) {
    if (!photos.checkValidity()) {
      event.preventDefault();
      photos.reportValidity();
      return;
    }
    var button = document.getElementById("submit");
    button.disabled = true;
    button.textContent = strings.sending;
  });

  checkNearby();
})();
