/* Work that has started shows it and cannot be started twice. A form's submit button (or an htmx button)
   gets aria-busy and a spinner, and the form ignores further submits until the answer comes: the next page,
   htmx:afterRequest, or pageshow when the back button brings the page back from the cache. The button is
   not `disabled`: that would drop its name=value from the submission and throw keyboard focus to the page.
   A download link (<a download>) says "Preparing…" for a few seconds, since a streamed download has no end
   event here. The texts come translated in <html data-busy-text data-preparing-text>. */
(() => {
  const root = document.documentElement;
  const DOWNLOAD_MS = 4000;
  // A native submission that never leaves the page (a 204, a download) must not lock the form for good.
  const NATIVE_MS = 20000;
  const status = document.createElement("p");
  status.className = "sr-only";
  status.setAttribute("role", "status");
  document.body.append(status);

  const busy = (element, text) => {
    element.setAttribute("data-busy", "");
    if (element.tagName === "FORM") return;
    element.setAttribute("aria-busy", "true");
    element.setAttribute("aria-disabled", "true");
    if (text) element.dataset.busyText = text;
    status.textContent = text || root.dataset.busyText || "";
  };
  const idle = (element) => {
    for (const attribute of ["data-busy", "aria-busy", "aria-disabled", "data-busy-text"]) element.removeAttribute(attribute);
  };
  const start = (form, submitter) => {
    busy(form);
    if (submitter) busy(submitter);
    else status.textContent = root.dataset.busyText || "";
  };
  const finish = (element) => {
    const form = element.closest("form") || element;
    for (const done of [form, ...form.querySelectorAll("[data-busy]")]) idle(done);
    if (element !== form) idle(element);
    status.textContent = "";
  };

  // Capture phase, ahead of htmx's own listeners: a second press while busy goes nowhere.
  document.addEventListener("submit", (event) => {
    if (event.target.hasAttribute("data-busy")) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("click", (event) => {
    if (event.target.closest("button[data-busy], a[data-busy], .button[data-busy]")) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // A plain submission (htmx's are prevented by htmx and marked below, once their request starts).
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (event.defaultPrevented || (form.target && form.target !== "_self")) return;
    start(form, event.submitter);
    setTimeout(() => finish(form), NATIVE_MS);
  });

  // Only requests a person started (a submit, a click) are marked, and only those are unmarked: a polling
  // refresh around a busy form must not release it.
  const started = new WeakSet();
  document.addEventListener("htmx:beforeRequest", (event) => {
    const { elt, requestConfig } = event.detail;
    const trigger = requestConfig && requestConfig.triggeringEvent;
    if (trigger && trigger.type === "submit") start(elt.closest("form") || elt, trigger.submitter);
    else if (trigger && trigger.type === "click" && elt.matches("button, a, .button")) busy(elt);
    else return;
    started.add(elt);
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    if (started.delete(event.detail.elt)) finish(event.detail.elt);
  });

  window.addEventListener("pageshow", (event) => {
    if (event.persisted) for (const element of document.querySelectorAll("[data-busy]")) idle(element);
  });

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[download]");
    if (!link || event.defaultPrevented) return;
    busy(link, root.dataset.preparingText);
    setTimeout(() => idle(link), DOWNLOAD_MS);
  });
})();
