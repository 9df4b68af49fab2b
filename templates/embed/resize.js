// The embedded form tells the page around it how tall it is, so that the iframe can fit it
// (README, "The form on your own site"). Only to the sites in EMBED_ORIGINS, listed in the
// data-parents attribute of this script's tag: a message for any other origin is dropped by
// the browser. Served from the form's own origin, as the form's CSP (script-src 'self') asks.
(function () {
  "use strict";
  var script = document.currentScript;
  var parents = ((script && script.getAttribute("data-parents")) || "").split(" ").filter(Boolean);
  if (window.parent === window || parents.length === 0) {
    return;
  }
  var told = 0;
  function tell() {
    // The page's own height, not scrollHeight: that is never less than the frame, so a
    // frame made tall once (a long page, a generous height="…") could never shrink again.
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === told) {
      return;
    }
    told = height;
    parents.forEach(function (origin) {
      window.parent.postMessage({ type: "buurtwhatsapp:height", height: height }, origin);
    });
  }
  window.addEventListener("load", tell);
  window.addEventListener("resize", tell);
  if (window.ResizeObserver) {
    new ResizeObserver(tell).observe(document.body);
  }
  tell();
})();
