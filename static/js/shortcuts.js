// Single-key shortcuts on the queue and the report page: j/k move between queue rows, Enter/o opens,
// a and e press the control marked data-shortcut="a"/"e", ? opens the help. They stay out of the way while
// someone types, leave modified keys to the browser, and can be turned off in the help (WCAG 2.1.4).
(() => {
  const SETTING = "mend-shortcuts"; // "off" once turned off in the help dialog
  const RETURN_TO = "mend-queue-row"; // the row a shortcut acted on, selected again after the page reloads
  const help = document.getElementById("shortcuts-help");
  if (!help) return;

  const toggle = help.querySelector("[data-shortcuts-toggle]");
  const enabled = () => localStorage.getItem(SETTING) !== "off";
  toggle.checked = enabled();
  toggle.addEventListener("change", () => localStorage.setItem(SETTING, toggle.checked ? "on" : "off"));
  for (const opener of document.querySelectorAll("[data-shortcuts-open]")) {
    opener.addEventListener("click", () => help.showModal());
  }
  document.querySelector("[data-shortcuts-hint]").hidden = false;

  const rows = () => [...document.querySelectorAll("[data-queue-row]")];
  const selected = () => document.querySelector('[data-queue-row][aria-current="true"]');
  const linkOf = (row) => row.querySelector("[data-row-link]");
  let selectedHref = null; // rows are swapped by the filters: the selection follows the report, not the place

  function mark(row) {
    for (const other of rows()) other.removeAttribute("aria-current");
    row.setAttribute("aria-current", "true");
    selectedHref = linkOf(row).getAttribute("href");
  }

  function select(row) {
    mark(row);
    linkOf(row).focus(); // the focus ring shows the selection, and screen readers read the row's link
  }

  function move(step) {
    const all = rows();
    if (!all.length) return;
    const here = all.indexOf(selected());
    select(all[here < 0 ? 0 : Math.min(Math.max(here + step, 0), all.length - 1)]);
  }

  function rowRequest(control, row) {
    // On the queue, a and e act on the selected row alone, whatever is ticked: the bulk form's own fields
    // (the CSRF token) with only this row's ids, posted the way the form would be.
    const form = document.createElement("form");
    form.method = "post";
    form.action = control.form.getAttribute("action"); // .action would name its "action" button
    form.hidden = true;
    const fields = [...control.form.querySelectorAll('input[type="hidden"]')].map((i) => [i.name, i.value]);
    fields.push(["ids", row.querySelector('input[name="ids"]').value], [control.name, control.value]);
    for (const [name, value] of fields) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      form.append(input);
    }
    document.body.append(form);
    sessionStorage.setItem(RETURN_TO, selectedHref);
    form.submit();
  }

  function press(key) {
    const control = document.querySelector(`[data-shortcut="${key}"]`);
    if (!control || control.disabled) return;
    if (!control.hasAttribute("data-shortcut-row")) {
      control.click();
      return;
    }
    const row = selected();
    if (row) rowRequest(control, row);
  }

  function open() {
    const row = selected();
    if (row) linkOf(row).click();
  }

  function typing(target) {
    if (!(target instanceof Element)) return false;
    if (target.isContentEditable || target.matches("textarea, select")) return true;
    return target.matches("input") && !["checkbox", "radio", "button", "submit", "reset"].includes(target.type);
  }

  const keys = {
    j: () => move(1),
    k: () => move(-1),
    o: open,
    a: () => press("a"),
    e: () => press("e"),
    "?": () => help.showModal(),
  };

  document.addEventListener("keydown", (evt) => {
    if (evt.defaultPrevented || evt.ctrlKey || evt.metaKey || evt.altKey || evt.isComposing) return;
    if (!enabled() || typing(evt.target) || document.querySelector("dialog[open]")) return;
    // Enter opens the selected row when nothing else has the focus (on a focused link it already does).
    const action = evt.key === "Enter" && evt.target === document.body ? open : keys[evt.key];
    if (!action) return;
    evt.preventDefault();
    action();
  });

  // Tabbing or clicking into a row selects it, so j and k carry on from there.
  document.addEventListener("focusin", (evt) => {
    const row = evt.target instanceof Element && evt.target.closest("[data-queue-row]");
    if (row) mark(row);
  });

  function reselect(href, focus) {
    const link = href && document.querySelector(`[data-queue-row] [data-row-link][href="${CSS.escape(href)}"]`);
    if (!link) return;
    const row = link.closest("[data-queue-row]");
    if (focus) select(row);
    else mark(row);
  }
  document.addEventListener("htmx:afterSwap", () => reselect(selectedHref, false));
  const returnTo = sessionStorage.getItem(RETURN_TO);
  sessionStorage.removeItem(RETURN_TO);
  reselect(returnTo, true);
})();
