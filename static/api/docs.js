// Renders /api/v1/docs from the vendored Swagger UI; a file of its own, as the CSP allows no inline script.
window.addEventListener("load", function () {
  var root = document.getElementById("reference");
  window.SwaggerUIBundle({ url: root.dataset.specUrl, domNode: root, deepLinking: true });
});
