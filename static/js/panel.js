/* The report panel inside the widget's iframe: focus and Escape for the host page, and clear
   messages when a request could not be answered with a form (too large, offline, database away,
   server error). The customer's text stays in the form in every case. */
(() => {
  const embedded = window.parent !== window;
  const firstField = () => document.querySelector("[data-autofocus]") || document.querySelector("input:not([type=hidden]), textarea, button");
  // Each form htmx sends carries its own status line: the request's form may be all that is left of the
  // page it came from (the report form is gone once the apology has replaced it).
  const statusOf = (elt) => elt?.closest?.("form")?.querySelector(".status-line");
  const answerOf = (xhr) => {
    try { return JSON.parse(xhr.responseText) || {}; } catch { return {}; }
  };

  // The dialog's focus trap, this side of the frame: Tab stops at each control, once per radio group.
  const sameGroup = (a, b) => a.type === "radio" && b.type === "radio" && a.name === b.name && a.form === b.form;
  const stops = () => [...document.querySelectorAll("a[href], button, input, select, textarea, [tabindex]")].filter(
    (el) => el.tabIndex >= 0 && !el.disabled && el.type !== "hidden" && el.getClientRects().length);
  const precedes = (a, b) => Boolean(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
  const focusEdge = (last) => {
    const all = stops(), edge = last ? all[all.length - 1] : all[0];
    // Into a radio group at its chosen radio, as the browser's own Tab does.
    if (edge) (all.find((el) => el.checked && sameGroup(el, edge)) || edge).focus();
  };
  const isEdge = (el, backwards) => !stops().some((other) => !sameGroup(other, el) && other !== el &&
    (backwards ? precedes(other, el) : precedes(el, other)));

  window.addEventListener("message", (event) => {
    if (event.source !== window.parent) return;
    if (event.data === "mend:focus") firstField()?.focus();
    if (event.data === "mend:first" || event.data === "mend:last") focusEdge(event.data === "mend:last");
  });
  document.addEventListener("keydown", (event) => {
    if (!embedded) return;
    if (event.key === "Escape") window.parent.postMessage("mend:close", "*");
    // Past the first or last control, focus goes to the dialog's close button on the host page, not to the page.
    if (event.key === "Tab" && isEdge(document.activeElement, event.shiftKey)) {
      event.preventDefault();
      window.parent.postMessage("mend:out", "*");
    }
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
    const line = statusOf(event.detail.elt);
    if (!line) return;
    const code = event.detail.xhr.status;
    const answer = answerOf(event.detail.xhr);
    const reference = answer.extra?.request_id; // a 500's reference, for the customer to quote to the site
    if (code === 413) line.textContent = line.dataset.tooLarge;
    else if (code === 503) line.textContent = line.dataset.unavailable;
    else if (code >= 500) line.textContent = line.dataset.serverError + (reference ? ` (${reference})` : "");
    else line.textContent = answer.detail || line.dataset.serverError;
  });
  document.addEventListener("htmx:sendError", (event) => {
    const line = statusOf(event.detail.elt);
    if (line) line.textContent = line.dataset.offline;
  });
  document.addEventListener("htmx:beforeRequest", (event) => {
    const line = statusOf(event.detail.elt);
    if (line) line.textContent = "";
  });
  // Swapped-in content leads with a heading to focus; the newest swap's heading is the last one.
  document.addEventListener("htmx:afterSwap", () => {
    const headings = document.querySelectorAll("[data-focus-after-swap]");
    if (headings.length) headings[headings.length - 1].focus();
  });
})();
