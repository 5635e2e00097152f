// Swagger UI over the document this script's data-openapi-url names. A file, not an inline
// script: the page's Content-Security-Policy allows scripts of its own origin only.
window.ui = SwaggerUIBundle({
  url: document.currentScript.dataset.openapiUrl,
  dom_id: "#swagger-ui",
  deepLinking: true,
});
