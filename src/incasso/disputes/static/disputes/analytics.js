// Dispute analytics charts: open cases by age, root-cause Pareto (bars + cumulative line), cycle time by reason.
(function () {
  const source = document.getElementById("dispute-charts");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const small = { responsive: true, maintainAspectRatio: false, plugins: { legend: { position: "bottom" } } };
  new Chart(document.getElementById("age-chart"), {
    type: "bar",
    data: { labels: data.age.labels, datasets: [
      { label: data.age.l_open, data: data.age.open, backgroundColor: "#3b6ea5" },
      { label: data.age.l_late, data: data.age.late, backgroundColor: "#b3261e" },
    ] },
    options: small,
  });
  new Chart(document.getElementById("pareto-chart"), {
    data: { labels: data.pareto.labels, datasets: [
      { type: "bar", label: data.pareto.l_count, data: data.pareto.count, backgroundColor: "#3b6ea5", yAxisID: "y" },
      { type: "line", label: data.pareto.l_cumulative, data: data.pareto.cumulative, borderColor: "#a35200", yAxisID: "y2" },
    ] },
    options: Object.assign({}, small, { scales: { y: { beginAtZero: true }, y2: { position: "right", min: 0, max: 100 } } }),
  });
  new Chart(document.getElementById("reason-chart"), {
    type: "bar",
    data: { labels: data.reason.labels, datasets: [
      { label: data.reason.l_mean, data: data.reason.mean, backgroundColor: "#3b6ea5" },
      { label: data.reason.l_median, data: data.reason.median, backgroundColor: "#7aa6d6" },
    ] },
    options: Object.assign({}, small, { indexAxis: "y" }),
  });
})();
