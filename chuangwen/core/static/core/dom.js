/*
 * 创文 DOM helpers shared by the page scripts: values from data reach the page as text only, and only http(s)
 * or same-site links are built. Leaflet, for one, reads a string given to bindTooltip/bindPopup as HTML, so
 * scripts hand it elements made here.
 */
(function () {
  "use strict";

  function textNode(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    node.textContent = text === undefined || text === null ? "" : String(text);
    return node;
  }

  // A "javascript:" (or any other scheme's) URL in the data must not become a link.
  function safeUrl(url) {
    var parsed;
    try {
      parsed = new URL(String(url), window.location.href);
    } catch (error) {
      return "";
    }
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : "";
  }

  window.cwDom = { textNode: textNode, safeUrl: safeUrl };
})();
