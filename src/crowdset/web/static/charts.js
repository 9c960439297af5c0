// The campaign dashboard's charts (Chart.js, vendored). Data comes from the JSON block the
// server renders in #campaign-series; htmx swaps that part every few seconds and the charts
// are drawn again from the new numbers.
(function () {
  "use strict";
  var palette = { submitted: "#1d4ed8", accepted: "#15803d", rejected: "#b91c1c", cost: "#7c3aed", escrow: "#4b5563" };

  function line(label, data, colour, dashed) {
    return {
      label: label, data: data, borderColor: colour, backgroundColor: colour,
      borderWidth: 2, pointRadius: 0, tension: 0.2, borderDash: dashed ? [6, 4] : [], spanGaps: true
    };
  }

  function options(yTitle, max) {
    return {
      animation: false, responsive: true, maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { ticks: { maxTicksLimit: 6, color: "#374151" } },
        y: { beginAtZero: true, max: max, title: { display: true, text: yTitle }, ticks: { color: "#374151" } }
      },
      plugins: { legend: { labels: { color: "#111827" } } }
    };
  }

  function draw(canvasId, datasets, labels, yTitle, max) {
    var canvas = document.getElementById(canvasId);
    if (!canvas || typeof Chart === "undefined") return;
    var old = Chart.getChart(canvas);
    if (old) old.destroy();
    new Chart(canvas, { type: "line", data: { labels: labels, datasets: datasets }, options: options(yTitle, max) });
  }

  function render() {
    var source = document.getElementById("campaign-series");
    if (!source) return;
    var s = JSON.parse(source.textContent);
    draw("chart-progress", [
      line("submitted", s.submitted, palette.submitted),
      line("accepted", s.accepted, palette.accepted),
      line("rejected", s.rejected, palette.rejected)
    ], s.labels, "queries");
    draw("chart-acceptance", [line("acceptance %", s.acceptance, palette.accepted)], s.labels, "%", 100);
    draw("chart-cost", [
      line("spent", s.spent, palette.cost),
      line("escrow", s.labels.map(function () { return s.escrow; }), palette.escrow, true)
    ], s.labels, s.currency + "s");
  }

  document.addEventListener("DOMContentLoaded", render);
  // htmx:load fires for content htmx adds (the swapped-in live part), and bubbles to document
  document.addEventListener("htmx:load", render);
})();
