// Report pack charts: one small chart per section, from the JSON the view wrote next to the tables.
(function () {
  const source = document.getElementById("pack-charts");
  if (!source || typeof Chart === "undefined") return;
  const charts = JSON.parse(source.textContent);
  const colours = ["#3b6ea5", "#a35200", "#1b6e3c", "#7a4fa0", "#b3261e", "#5b7083", "#c49000"];
  Object.entries(charts).forEach(function ([key, spec]) {
    const canvas = document.getElementById("chart-" + key);
    if (!canvas) return;
    const stacked = spec.kind === "stacked";
    const type = spec.kind === "line" ? "line" : spec.kind === "pie" ? "pie" : "bar";
    const datasets = spec.series.map(function (series, index) {
      const colour = type === "pie" ? colours : colours[index % colours.length];
      return { label: series.label, data: series.data, backgroundColor: colour, borderColor: colour, spanGaps: true };
    });
    const options = { responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { position: "bottom" } } };
    if (type === "bar") options.scales = { x: { stacked: stacked }, y: { stacked: stacked, beginAtZero: true } };
    new Chart(canvas, { type: type, data: { labels: spec.labels, datasets: datasets }, options: options });
  });
})();
