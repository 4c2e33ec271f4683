/* chainwatch API documentation: starts the vendored Swagger UI on /api/openapi.json (no inline script,
   no CDN, no external validator). */
(function () {
  "use strict";
  var el = document.getElementById("swagger-ui");
  if (!el) return;
  if (typeof window.SwaggerUIBundle !== "function") {
    el.setAttribute("data-error", "swagger-ui-missing");
    return;
  }
  window.ui = window.SwaggerUIBundle({
    url: el.getAttribute("data-url") || "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    withCredentials: true,
    onComplete: function () { el.setAttribute("data-rendered", "true"); }
  });
})();
