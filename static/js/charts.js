/* Draws each <canvas data-chart="id"> from the JSON configuration in the script element with that id.
   The numbers are also in the table beside every chart, so nothing depends on this running. */
(() => {
  if (!window.Chart) return;
  if (matchMedia("(prefers-reduced-motion: reduce)").matches) Chart.defaults.animation = false;
  const ink = getComputedStyle(document.body).color;
  Chart.defaults.color = ink;
  for (const canvas of document.querySelectorAll("canvas[data-chart]")) {
    new Chart(canvas, JSON.parse(document.getElementById(canvas.dataset.chart).textContent));
  }
})();
