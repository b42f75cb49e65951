// The queue refreshes itself every 15 s (data-hx-trigger on #queue-rows), and a refresh replaces the rows.
// So it waits while someone works in them: a ticked box, an open group, or focus inside the rows would be lost.
(() => {
  const rows = document.getElementById("queue-rows");
  const paused = document.getElementById("queue-paused");
  if (!rows || !paused) return;

  const working = () =>
    rows.querySelector('input[name="ids"]:checked, details[open]') !== null || rows.contains(document.activeElement);
  const asked = (evt) => evt.detail.requestConfig?.triggeringEvent?.type === "queue-refresh";

  // Only the rows' own refresh is held: the filters and "Refresh now" replace the rows on purpose.
  rows.addEventListener("htmx:beforeRequest", (evt) => {
    if (evt.target !== rows) return;
    const hold = !asked(evt) && working();
    paused.hidden = !hold;
    if (hold) evt.preventDefault();
  });
  // A refresh already on its way when work started is dropped rather than swapped in.
  rows.addEventListener("htmx:beforeSwap", (evt) => {
    if (evt.target !== rows || asked(evt) || !working()) return;
    evt.detail.shouldSwap = false;
    paused.hidden = false;
  });
  // Once the work is done (last box unticked, focus gone), the note goes and the next refresh runs.
  const settle = () => {
    if (!working()) paused.hidden = true;
  };
  rows.addEventListener("change", settle);
  rows.addEventListener("focusout", () => setTimeout(settle));
  paused.querySelector("[data-queue-refresh-now]").addEventListener("click", () => {
    paused.hidden = true;
    htmx.trigger(rows, "queue-refresh");
  });
})();
