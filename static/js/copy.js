/* Copy buttons: <button data-copy="element-id"> copies that element's text; the status element
   carries the translated messages in data-copied and data-refused. */
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const status = button.parentElement.querySelector("[data-copy-status]");
  try {
    await navigator.clipboard.writeText(document.getElementById(button.dataset.copy).textContent);
    if (status) status.textContent = status.dataset.copied;
  } catch {
    if (status) status.textContent = status.dataset.refused;
  }
});
