/* Huoshui supervision page: the few lines htmx does not do. Shows whether the live stream is
   connected, and keeps the live ticker short on a display that runs for days. No data is read
   or sent here. Apache-2.0, part of Huoshui. */
(function () {
  "use strict";
  var MAX_LINES = 30;
  function setState(state, text) {
    var root = document.getElementById("live");
    var label = document.getElementById("live-state");
    if (root) root.setAttribute("data-live", state);
    if (label) label.textContent = text;
  }
  document.addEventListener("htmx:sseOpen", function () {
    setState("open", "实时连接正常");
  });
  // A stream that stays down (the platform restarted, or the session ended) reloads the page
  // after a while: the wall display then shows the figures again, or the login form.
  var reloadTimer = null;
  document.addEventListener("htmx:sseOpen", function () {
    if (reloadTimer) { clearTimeout(reloadTimer); reloadTimer = null; }
  });
  document.addEventListener("htmx:sseError", function () {
    setState("retrying", "连接中断，正在重连…");
    if (!reloadTimer) reloadTimer = setTimeout(function () { location.reload(); }, 30000);
  });
  document.addEventListener("htmx:sseMessage", function (e) {
    var list = document.getElementById("activity");
    if (!list || e.target !== list) return;
    while (list.children.length > MAX_LINES) list.removeChild(list.lastElementChild);
    var first = list.firstElementChild;
    if (first) {
      first.classList.add("fresh");
      setTimeout(function () { first.classList.remove("fresh"); }, 4000);
    }
  });
})();
