// The dry-run page's chart (Chart.js, vendored): net income per hour of each strategy as bars,
// the fair wage as a dashed line. Data comes from the JSON block in #dry-run-series, which
// appears when htmx swaps in the finished run.
(function () {
  "use strict";
  var colours = { missed: "#b91c1c", met: "#15803d", fair: "#4b5563" };

  function render() {
    var source = document.getElementById("dry-run-series");
    var canvas = document.getElementById("dry-run-chart");
    if (!source || !canvas || typeof Chart === "undefined") return;
    var s = JSON.parse(source.textContent);
    var old = Chart.getChart(canvas);
    if (old) old.destroy();
    new Chart(canvas, {
      data: {
        labels: s.labels,
        datasets: [
          {
            type: "bar", label: "net per hour", data: s.net_per_hour,
            backgroundColor: s.missed.map(function (m) { return m ? colours.missed : colours.met; })
          },
          {
            type: "line", label: "fair wage", data: s.labels.map(function () { return s.fair; }),
            borderColor: colours.fair, borderDash: [6, 4], borderWidth: 2, pointRadius: 0
          }
        ]
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: { y: { title: { display: true, text: s.currency + "s per hour" }, ticks: { color: "#374151" } },
                  x: { ticks: { color: "#374151" } } },
        plugins: { legend: { labels: { color: "#111827" } } }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", render);
  document.addEventListener("htmx:load", render);
})();
