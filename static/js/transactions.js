// The transaction table: "select all" for the bulk category form, page size applies at once, and a filtered view's
// totals the page left out (too many rows to sum with it) are fetched after it.
(function () {
  "use strict";
  var computeTotals = document.getElementById("compute-totals");
  var summary = document.getElementById("result-summary");
  if (computeTotals && summary && window.fetch && window.DOMParser) {
    fetch(computeTotals.href, {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        var computed = html && new DOMParser().parseFromString(html, "text/html").getElementById("result-summary");
        if (computed) { summary.innerHTML = computed.innerHTML; }
      })
      .catch(function () { /* the link still computes them */ });
  }
  var selectAll = document.getElementById("select-all-rows");
  if (selectAll) {
    selectAll.addEventListener("change", function () {
      document.querySelectorAll("input.row-select").forEach(function (box) { box.checked = selectAll.checked; });
    });
  }
  var perPage = document.getElementById("per_page");
  if (perPage && perPage.form) {
    perPage.addEventListener("change", function () { perPage.form.submit(); });
  }
})();
