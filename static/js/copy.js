/* Copy buttons: <button data-copy="element-id"> copies that element's text. */
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const status = button.parentElement.querySelector("[data-copy-status]");
  try {
    await navigator.clipboard.writeText(document.getElementById(button.dataset.copy).textContent);
    if (status) status.textContent = "Copied.";
  } catch {
    if (status) status.textContent = "Select the text and copy it by hand: the browser refused.";
  }
});
