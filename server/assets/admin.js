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
  document.addEventListener("htmx:sseError", function () {
    setState("retrying", "连接中断，正在重连…");
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
