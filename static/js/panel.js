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
    const code = event.detail.xhr.status;
    status().textContent = code === 413
      ? "That is more text than we can take in one go. Please shorten it and send again."
      : "Sorry, something went wrong on our side and nothing was sent. Your text is still here; please try again in a moment.";
  });
  document.addEventListener("htmx:sendError", () => {
    status().textContent = "We couldn't reach our server. Your text is still here; please try again when you're back online.";
  });
  document.addEventListener("htmx:beforeRequest", () => { status().textContent = ""; });
  // Swapped-in content leads with a heading to focus; the newest swap's heading is the last one.
  document.addEventListener("htmx:afterSwap", () => {
    const headings = document.querySelectorAll("[data-focus-after-swap]");
    if (headings.length) headings[headings.length - 1].focus();
  });
})();
