// The transaction table: "select all" for the bulk category form, and page size applies at once.
(function () {
  "use strict";
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
