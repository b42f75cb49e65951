/* The report panel inside the widget's iframe: focus and Escape for the host page, and clear
   messages when a request could not be answered with a form (too large, offline, server error). */
(() => {
  const embedded = window.parent !== window;
  const firstField = () => document.querySelector("[data-autofocus]") || document.querySelector("input:not([type=hidden]), textarea, button");
  const status = () => document.getElementById("panel-status");

  window.addEventListener("message", (event) => {
    if (event.source === window.parent && event.data === "mend:focus") firstField()?.focus();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && embedded) window.parent.postMessage("mend:close", "*");
  });
  document.addEventListener("htmx:responseError", (event) => {
    // The messages come translated in the page's data attributes.
    const line = status();
    line.textContent = event.detail.xhr.status === 413 ? line.dataset.tooLarge : line.dataset.serverError;
  });
  document.addEventListener("htmx:sendError", () => {
    status().textContent = status().dataset.offline;
  });
  document.addEventListener("htmx:beforeRequest", () => { status().textContent = ""; });
  // Swapped-in content leads with a heading to focus; the newest swap's heading is the last one.
  document.addEventListener("htmx:afterSwap", () => {
    const headings = document.querySelectorAll("[data-focus-after-swap]");
    if (headings.length) headings[headings.length - 1].focus();
  });
})();
