// Worklist keyboard: j/k move between entries, Enter opens the customer, c logs a call, d marks done.
(function () {
  "use strict";
  function rows() { return Array.from(document.querySelectorAll("#worklist tbody tr[data-entry]")); }
  function current() { return document.querySelector("#worklist tbody tr.is-current"); }
  function select(row) {
    rows().forEach(function (r) { r.classList.remove("is-current"); r.removeAttribute("aria-selected"); });
    if (!row) { return; }
    row.classList.add("is-current");
    row.setAttribute("aria-selected", "true");
    row.focus({ preventScroll: false });
  }
  function move(step) {
    var all = rows();
    if (!all.length) { return; }
    var index = all.indexOf(current());
    select(all[Math.max(0, Math.min(all.length - 1, index < 0 ? 0 : index + step))]);
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) { return; }
    var row = current();
    if (event.key === "j") { move(1); event.preventDefault(); }
    else if (event.key === "k") { move(-1); event.preventDefault(); }
    else if (event.key === "Enter" && row) { window.location = row.dataset.open; event.preventDefault(); }
    else if (event.key === "c" && row) { window.location = row.dataset.call; event.preventDefault(); }
    else if (event.key === "d" && row) { var b = row.querySelector("button.done"); if (b) { b.click(); } event.preventDefault(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    rows().forEach(function (r) { r.addEventListener("click", function (e) { if (e.target.tagName !== "A" && e.target.tagName !== "BUTTON") { select(r); } }); });
    select(rows()[0]);
  });
  // After a "done" removes a row, keep the focus on the next one.
  document.addEventListener("htmx:afterSwap", function () { if (!current()) { select(rows()[0]); } });
})();
