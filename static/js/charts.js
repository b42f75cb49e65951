/* Draws each <canvas data-chart="id"> from the JSON configuration in the script element with that id.
   The numbers are also in the table under every chart, so nothing depends on this running.
   Colours come from mend.css (--chart-1…8: the Okabe–Ito palette, told apart with any colour-vision
   deficiency; --ink, --muted and --line for text and grid), so light and dark schemes both read well. */
(() => {
  if (!window.Chart) return;
  const css = getComputedStyle(document.documentElement);
  const token = (name) => css.getPropertyValue(name).trim();
  const palette = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => token(`--chart-${n}`));
  if (matchMedia("(prefers-reduced-motion: reduce)").matches) Chart.defaults.animation = false;
  Chart.defaults.color = token("--muted");
  Chart.defaults.borderColor = token("--line");
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 12;
  Chart.defaults.plugins.legend.labels.color = token("--ink");
  Chart.defaults.plugins.legend.labels.boxWidth = 12;
  Chart.defaults.plugins.legend.labels.boxHeight = 12;
  Chart.defaults.plugins.tooltip.titleFont = { weight: "600" };
  for (const canvas of document.querySelectorAll("canvas[data-chart]")) {
    const config = JSON.parse(document.getElementById(canvas.dataset.chart).textContent);
    const stacked = Object.values(config.options.scales || {}).some((scale) => scale.stacked);
    config.data.datasets.forEach((dataset, i) => {
      const colour = palette[i % palette.length];
      dataset.backgroundColor ??= colour;
      dataset.borderColor ??= colour;
      dataset.borderRadius ??= stacked ? 0 : 3;
      dataset.maxBarThickness ??= 40;
    });
    new Chart(canvas, config);
  }
})();
