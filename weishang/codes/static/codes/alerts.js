// Diversion alerts by province, drawn with the locally served ECharts.
(function () {
  "use strict";
  function draw() {
    var el = document.getElementById("alerts-chart");
    var data = document.getElementById("alerts-chart-data");
    if (!el || !data || !window.echarts) return;
    var d = JSON.parse(data.textContent);
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: {}, grid: { left: 90, right: 20, top: 10, bottom: 20 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: d.names.slice().reverse() },
      series: [{ type: "bar", name: el.dataset.label, data: d.values.slice().reverse(), itemStyle: { color: "#c2185b" } }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
