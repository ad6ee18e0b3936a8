/* The header's search box (templates/search/_header_box.html): "/" anywhere but in a field focuses it; what
   htmx finds as you type opens under it; the arrow keys move through it, Escape closes it. Without JS the box is
   a plain GET form to the search page. */
(function () {
  "use strict";

  function box() { return document.getElementById("site-search-q"); }
  function panel() { return document.getElementById("site-search-results"); }

  function typing(el) {
    if (!el || !el.tagName) return false;
    var tag = el.tagName;
    return el.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  function show(open) {
    var p = panel();
    if (p) p.hidden = !open || !p.firstElementChild;
  }

  function links() {
    var p = panel();
    return p && !p.hidden ? Array.prototype.slice.call(p.querySelectorAll("a[href]")) : [];
  }

  document.addEventListener("keydown", function (event) {
    var input = box();
    if (!input) return;
    var p = panel();
    var target = event.target;
    if (event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey && !typing(target)) {
      event.preventDefault();
      input.focus();
      input.select();
      return;
    }
    if (target !== input && !(p && p.contains(target))) return;
    if (event.key === "Escape" && p && !p.hidden) {
      event.preventDefault();
      show(false);
      input.focus();
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    if (event.key === "ArrowDown" && p && p.hidden) show(true);
    var items = links();
    if (!items.length) return;
    event.preventDefault();
    var at = items.indexOf(document.activeElement);
    if (event.key === "ArrowDown") {
      items[Math.min(at + 1, items.length - 1)].focus();
    } else if (at <= 0) {
      input.focus();
    } else {
      items[at - 1].focus();
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var p = panel();
    if (!p || event.detail.target !== p) return;
    var input = box();
    show(document.activeElement === input || p.contains(document.activeElement));
    var status = document.getElementById("site-search-status");
    var summary = p.querySelector("[data-summary]");
    if (status) status.textContent = summary && !p.hidden ? summary.getAttribute("data-summary") : "";
  });

  // Tabbing out of the box and its results, or pressing elsewhere, closes them; back in the box they open again.
  document.addEventListener("focusout", function (event) {
    var form = box() && box().form;
    var to = event.relatedTarget;
    if (form && form.contains(event.target) && to && !form.contains(to)) show(false);
  });
  document.addEventListener("pointerdown", function (event) {
    var form = box() && box().form;
    if (form && !form.contains(event.target)) show(false);
  });
  document.addEventListener("focusin", function (event) {
    var input = box();
    var from = event.relatedTarget;
    if (input && event.target === input && input.value.trim() && !(from && input.form.contains(from))) show(true);
  });
})();
