/* Small behaviours htmx does not give on its own (no inline scripts: CSP). */
(function () {
  "use strict";
  // Grids with inline editing work like a spreadsheet: after Enter saves a value,
  // focus moves to the next value (or stays on a value the server refused).
  // Typing that goes on while a save is in flight is kept across the swap.
  var pending = null;
  var kept = {};
  var focused = null;

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    pending = form && form.dataset ? form.dataset.focusNext || null : null;
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!pending) return; // only swaps answering a grid's save
    var target = event.detail.target;
    var submitted = event.detail.requestConfig ? event.detail.requestConfig.elt : null;
    kept = {};
    focused = null;
    if (!target || !target.querySelectorAll) return;
    target.querySelectorAll("input[id]").forEach(function (input) {
      var mine = submitted && submitted.contains && submitted.contains(input);
      if (!mine && input.value !== input.defaultValue) kept[input.id] = input.value;
    });
    var active = document.activeElement;
    if (active && active.id && target.contains(active) && !(submitted && submitted.contains(active))) {
      focused = active.id;
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (!pending) return;
    Object.keys(kept).forEach(function (id) {
      var input = document.getElementById(id);
      if (input) input.value = kept[id];
    });
    kept = {};
    var invalid = document.querySelector("#card [aria-invalid=true], [data-grid] [aria-invalid=true]");
    var target = invalid || (focused && document.getElementById(focused)) || (pending && document.getElementById(pending));
    var select = !focused || invalid;
    pending = null;
    focused = null;
    if (target) {
      target.focus();
      if (select && target.select) target.select();
    }
  });
})();

/* A region that scrolls (a wide table, a long listing) can be scrolled from the keyboard: it takes focus. */
(function () {
  "use strict";
  var SCROLLERS = ".table-responsive, pre, .scroll-60";
  function focusable(root) {
    (root.querySelectorAll ? root : document).querySelectorAll(SCROLLERS).forEach(function (el) {
      var scrolls = el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1;
      if (scrolls && !el.hasAttribute("tabindex")) {
        el.setAttribute("tabindex", "0");
        if (!el.hasAttribute("aria-label") && !el.hasAttribute("role")) {
          var caption = el.querySelector("caption");
          el.setAttribute("role", "region");
          el.setAttribute("aria-label", caption ? caption.textContent.trim() : "Scrollable content");
        }
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { focusable(document); });
  window.addEventListener("resize", function () { focusable(document); });
  document.addEventListener("htmx:afterSettle", function (event) { focusable(event.detail.elt || document); });
})();
