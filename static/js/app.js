// Every page: a table that scrolls sideways (on a phone) takes keyboard focus, so arrow keys can scroll it,
// and says what it holds; one that fits takes no extra Tab stop.
(function () {
  "use strict";
  function label(region) {
    var caption = region.querySelector("caption");
    return caption ? caption.textContent.trim() : "Table";
  }
  function update() {
    document.querySelectorAll(".table-responsive").forEach(function (region) {
      if (region.scrollWidth > region.clientWidth) {  // as axe-core counts it: one pixel scrolls
        region.setAttribute("tabindex", "0");
        region.setAttribute("role", "region");
        region.setAttribute("aria-label", label(region) + " (scrolls sideways)");
      } else if (region.getAttribute("tabindex") === "0") {
        region.removeAttribute("tabindex");
        region.removeAttribute("role");
        region.removeAttribute("aria-label");
      }
    });
  }
  update();
  window.addEventListener("load", update);  // after fonts and charts, which can widen a table
  window.addEventListener("resize", update);
  if (window.ResizeObserver) {
    var observer = new ResizeObserver(update);
    document.querySelectorAll(".table-responsive, .table-responsive table").forEach(function (element) {
      observer.observe(element);
    });
  }
})();
