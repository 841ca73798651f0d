// Starts Swagger UI on /docs. A file of its own, not an inline script, so the page keeps to a
// Content-Security-Policy of `script-src 'self'`. The document's URL comes from the page.
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    persistAuthorization: true,
    presets: [SwaggerUIBundle.presets.apis],
  });
});
