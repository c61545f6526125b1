/* Draws every report chart from its <script type="application/json" data-chart-for="canvas-id"> block.
   The server sends amounts as decimal strings; they become numbers here, for drawing only. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }

  var PALETTE = ["#0d6efd", "#dc3545", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#6c757d", "#d63384", "#0dcaf0", "#ffc107"];

  function moneyFormatter(currency) {
    try {
      return new Intl.NumberFormat(document.documentElement.lang || "en", { style: "currency", currency: currency });
    } catch (error) {
      return new Intl.NumberFormat(document.documentElement.lang || "en", { minimumFractionDigits: 2 });
    }
  }

  // A phone keeps the chart's full height: the legend goes under it, in small boxes.
  var narrow = window.matchMedia("(max-width: 575.98px)");

  function build(spec) {
    var format = moneyFormatter(spec.currency);
    var valueAxis = spec.horizontal ? "x" : "y";
    var datasets = spec.data.datasets.map(function (dataset, index) {
      var colour = PALETTE[index % PALETTE.length];
      var drawn = Object.assign({}, dataset, {
        data: dataset.data.map(function (value) { return value === null ? null : Number(value); }),
        borderColor: colour,
        backgroundColor: dataset.type === "line" || spec.type === "line" ? colour : colour + "cc"
      });
      if (drawn.type === "line" || spec.type === "line") { drawn.tension = 0.2; drawn.pointRadius = 2; }
      return drawn;
    });
    var scales = {};
    scales[valueAxis] = { ticks: { callback: function (value) { return format.format(value); } } };
    return {
      type: spec.type,
      data: { labels: spec.data.labels, datasets: datasets },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        // Chart.js holds a resize that arrives while it animates until its next drawn frame; one that arrives after
        // the last frame of an animation would wait for the next redraw, leaving the chart as wide as the window was
        // (wider than a phone turned upright). Size it to its figure again whenever an animation ends.
        animation: { onComplete: function (context) { context.chart.resize(); } },
        interaction: { mode: "index", intersect: false },
        scales: scales,
        plugins: {
          legend: {
            position: narrow.matches ? "bottom" : "top",
            labels: { boxWidth: narrow.matches ? 10 : 40, font: { size: narrow.matches ? 11 : 12 } }
          },
          tooltip: {
            callbacks: {
              label: function (context) {
                var value = spec.horizontal ? context.parsed.x : context.parsed.y;
                return context.dataset.label + ": " + format.format(value);
              }
            }
          }
        }
      }
    };
  }

  document.querySelectorAll('script[type="application/json"][data-chart-for]').forEach(function (block) {
    var canvas = document.getElementById(block.getAttribute("data-chart-for"));
    if (canvas) { new Chart(canvas, build(JSON.parse(block.textContent))); }
  });
})();
