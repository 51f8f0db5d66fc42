// The dashboard's "card payments per day" chart (Chart.js, vendored in static/vendor/chartjs).
// Data and labels come from the page (json_script), already in the admin's language.
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("payment-chart-data");
    var canvas = document.getElementById("payment-chart");
    if (!source || !canvas || typeof window.Chart === "undefined") {
      return;
    }
    var chart = JSON.parse(source.textContent);
    var colours = ["#007d7e", "#cd4444"];
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: chart.labels,
        datasets: chart.series.map(function (series, index) {
          return { label: series.label, data: series.data, backgroundColor: colours[index], stack: "attempts" };
        })
      },
      options: {
        animation: false,
        layout: { padding: { left: 12, right: 12 } },
        responsive: true,
        maintainAspectRatio: false,
        locale: document.documentElement.lang || "en",
        scales: {
          // Arabic reads right to left: the newest day on the left edge would read backwards.
          x: { stacked: true, reverse: chart.rtl, ticks: { maxRotation: 0, autoSkipPadding: 16 } },
          y: { stacked: true, beginAtZero: true, position: chart.rtl ? "right" : "left", ticks: { precision: 0 } }
        },
        plugins: {
          legend: { rtl: chart.rtl, textDirection: chart.rtl ? "rtl" : "ltr" },
          tooltip: { rtl: chart.rtl, textDirection: chart.rtl ? "rtl" : "ltr" }
        }
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
