// The API reference at /docs: Swagger UI on the OpenAPI document, loaded from this site only
// (no inline script, so the pages' Content-Security-Policy holds here too).
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: document.getElementById("swagger-ui").dataset.openapi,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
