/* The report panel inside the widget's iframe: focus and Escape for the host page, and clear
   messages when a request could not be answered with a form (too large, offline, database away,
   server error). The customer's text stays in the form in every case. */
(() => {
  const embedded = window.parent !== window;
  const firstField = () => document.querySelector("[data-autofocus]") || document.querySelector("input:not([type=hidden]), textarea, button");
  const status = () => document.getElementById("panel-status");
  const answerOf = (xhr) => {
    try { return JSON.parse(xhr.responseText) || {}; } catch { return {}; }
  };

  window.addEventListener("message", (event) => {
    if (event.source === window.parent && event.data === "mend:focus") firstField()?.focus();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && embedded) window.parent.postMessage("mend:close", "*");
  });
  // An error that is not a page (a JSON answer: input we could not read, a failure) has no form to
  // swap in: keep the form as it is and say what happened instead.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const xhr = event.detail.xhr;
    if (xhr.status >= 400 && !(xhr.getResponseHeader("content-type") || "").startsWith("text/html")) {
      event.detail.shouldSwap = false;
      event.detail.isError = true;
    }
  });
  document.addEventListener("htmx:responseError", (event) => {
    // The messages come translated, in the page's data attributes or in the answer's detail.
    const line = status();
    const code = event.detail.xhr.status;
    const answer = answerOf(event.detail.xhr);
    const reference = answer.extra?.request_id; // a 500's reference, for the customer to quote to the site
    if (code === 413) line.textContent = line.dataset.tooLarge;
    else if (code === 503) line.textContent = line.dataset.unavailable;
    else if (code >= 500) line.textContent = line.dataset.serverError + (reference ? ` (${reference})` : "");
    else line.textContent = answer.detail || line.dataset.serverError;
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
