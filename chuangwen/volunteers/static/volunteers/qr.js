/*
 * The organiser's full-screen check-in QR code: asks the API for the code of the moment and the seconds until
 * it turns, redraws the QR image (an SVG made on the server, never cached) and the code just after it turns,
 * and counts down in between. A volunteer's screenshot stops working once the code has turned twice.
 */
(function () {
  "use strict";

  var screen = document.getElementById("qr-screen");
  if (!screen) {
    return;
  }
  var strings = JSON.parse(document.getElementById("vo-strings").textContent);
  var image = document.getElementById("qr");
  var codeText = document.getElementById("qr-code");
  var left = document.getElementById("qr-left");
  var deadline = Date.now() + Number(screen.dataset.secondsLeft || 0) * 1000;
  var current = codeText.textContent;
  var timer = null;

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) { return String(values[key]); });
  }

  function tick() {
    var seconds = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    left.classList.remove("vo-offline");
    left.textContent = fmt(strings.seconds, { n: seconds });
  }

  function schedule(ms) {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, Math.max(300, ms));
  }

  function refresh() {
    fetch(screen.dataset.codeUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (body) {
        deadline = Date.now() + body.seconds_left * 1000;
        if (body.code !== current) {
          current = body.code;
          codeText.textContent = body.code;
          image.src = screen.dataset.svgUrl + "?c=" + encodeURIComponent(body.code);
        }
        screen.dataset.code = body.code;
        tick();
        // Ask again just after the code turns.
        schedule(body.seconds_left * 1000 + 250);
      })
      .catch(function () {
        left.textContent = strings.offline;
        left.classList.add("vo-offline");
        schedule(3000);
      });
  }

  window.setInterval(tick, 1000);
  screen.dataset.code = current;
  schedule((deadline - Date.now()) + 250);
})();
