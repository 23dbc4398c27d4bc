// Stacked bars of open amounts per aging bucket; the data comes from the page (json_script).
(function () {
  "use strict";
  const source = document.getElementById("aging-chart-data");
  const canvas = document.getElementById("aging-chart");
  if (!source || !canvas || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const locale = document.documentElement.lang || "en";
  const money = new Intl.NumberFormat(locale, { style: "currency", currency: data.currency });
  const compact = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });
  // Colour-blind-safe palette (Okabe-Ito), darkest first for the largest group.
  const palette = ["#0b5394", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#7a7a7a"];
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 12;
  Chart.defaults.color = "#334155";
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: data.datasets.map((set, index) => ({
        label: set.label,
        data: set.data.map(Number),
        backgroundColor: palette[index % palette.length],
        borderWidth: 0,
        maxBarThickness: 48,
      })),
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { stacked: true, grid: { display: false } },
        y: { stacked: true, ticks: { callback: (value) => compact.format(value) } },
      },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 12, boxHeight: 12 } },
        tooltip: {
          callbacks: {
            label: (ctx) => `${ctx.dataset.label}: ${money.format(ctx.parsed.y)}`,
            footer: (items) => money.format(items.reduce((sum, item) => sum + item.parsed.y, 0)),
          },
        },
      },
    },
  });
})();
