/*
 * 志愿服务签到签退 (/v/checkin/<activity>/?c=<code>): asks the phone for its position, sends the code of the
 * QR code, the position and a request id to the API, and shows the answer. The server checks the code, the
 * time and the distance; this page only reports what it says. Text goes in through textContent only.
 */
(function () {
  "use strict";

  var box = document.getElementById("checkin");
  if (!box) {
    return;
  }
  var strings = JSON.parse(document.getElementById("va-strings").textContent);
  var result = document.getElementById("checkin-result");
  var buttons = box.querySelectorAll("button[data-action]");
  // One request id per action for this page: a resend after a lost answer is recorded once.
  var clientIds = {};

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) { return String(values[key]); });
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

  function show(kind, lines) {
    while (result.firstChild) {
      result.removeChild(result.firstChild);
    }
    result.className = "va-result va-result--" + kind;
    result.dataset.kind = kind;
    lines.forEach(function (line, index) {
      var p = document.createElement(index === 0 ? "strong" : "p");
      p.textContent = line;
      result.appendChild(p);
    });
  }

  function busy(on) {
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = on; });
  }

  function timeOf(iso) {
    var d = new Date(iso);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }

  function refusal(status, body) {
    if (status === 401 || (status === 403 && !body.code)) {
      return strings.login;
    }
    if (body && typeof body.detail === "string") {
      return body.detail;
    }
    if (body && Array.isArray(body.detail) && body.detail.length) {
      return body.detail.map(function (e) { return String(e.msg); }).join("；");
    }
    return strings.failed;
  }

  function send(action, position) {
    var url = action === "in" ? box.dataset.checkInUrl : box.dataset.checkOutUrl;
    if (!clientIds[action]) {
      clientIds[action] = uuid4();
    }
    var payload = {
      code: box.dataset.code,
      lat: position.coords.latitude,
      lng: position.coords.longitude,
      accuracy_m: position.coords.accuracy,
      client_id: clientIds[action]
    };
    show("info", [strings.sending]);
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": box.dataset.csrf },
      body: JSON.stringify(payload)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        busy(false);
        if (!response.ok) {
          show("error", [refusal(response.status, body)]);
          return;
        }
        clientIds[action] = null; // done: the next press is a new request
        if (action === "in") {
          var lines = [strings.signed_in, fmt(strings.at, { time: timeOf(body.signed_in_at) })];
          if (body.sign_in_distance_m !== null) {
            lines.push(fmt(strings.distance, { m: body.sign_in_distance_m }));
          }
          show("ok", lines);
        } else {
          var out = [strings.signed_out, fmt(strings.at, { time: timeOf(body.signed_out_at) })];
          if (body.measured_minutes !== null) {
            out.push(fmt(strings.minutes, { n: body.measured_minutes }));
          }
          show("ok", out);
        }
      });
    }).catch(function () {
      busy(false);
      show("error", [strings.failed]);
    });
  }

  function start(action) {
    if (!box.dataset.code) {
      show("error", [strings.no_code]);
      return;
    }
    if (!navigator.geolocation) {
      show("error", [strings.unsupported]);
      return;
    }
    busy(true);
    show("info", [strings.locating]);
    navigator.geolocation.getCurrentPosition(
      function (position) { send(action, position); },
      function () {
        busy(false);
        show("error", [strings.denied]);
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 }
    );
  }

  Array.prototype.forEach.call(buttons, function (button) {
    button.addEventListener("click", function () { start(button.dataset.action); });
  });
})();
