// The HQ dashboard's charts (admin index), drawn with the locally served ECharts from the
// figures the page carries in json_script blocks (no inline script under the CSP).
(function () {
  "use strict";
  var COLORS = ["#417690", "#c2185b", "#f9a825", "#2e7d32"];
  function read(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) return;
    var chart = window.echarts.init(el);
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function bars(d, horizontal) {
    var names = horizontal ? d.names.slice().reverse() : d.names;
    var series = d.series.map(function (s) {
      return { type: "bar", name: s.name, data: horizontal ? s.data.slice().reverse() : s.data };
    });
    var cat = { type: "category", data: names, axisLabel: { interval: 0, width: 80, overflow: "truncate" } };
    var val = { type: "value" };
    return {
      color: COLORS, tooltip: { trigger: "axis" }, legend: { show: d.series.length > 1 },
      grid: { left: horizontal ? 90 : 50, right: 16, top: 24, bottom: 30 },
      xAxis: horizontal ? val : cat, yAxis: horizontal ? cat : val, series: series
    };
  }
  function init() {
    if (!window.echarts) return;
    var t = read("chart-trend-data");
    if (t) {
      var series = t.series.map(function (s) { return { type: "line", name: s.name, data: s.data, smooth: true }; });
      series.push({ type: "bar", name: t.orders_label, data: t.orders, yAxisIndex: 1, itemStyle: { opacity: 0.35 } });
      draw("chart-trend", {
        color: COLORS, tooltip: { trigger: "axis" }, legend: { top: 0 },
        grid: { left: 50, right: 36, top: 30, bottom: 30 },
        xAxis: { type: "category", data: t.days },
        yAxis: [{ type: "value" }, { type: "value", minInterval: 1, splitLine: { show: false } }],
        series: series
      });
    }
    var l = read("chart-level-data");
    if (l) draw("chart-level", bars(l, false));
    var p = read("chart-province-data");
    if (p) draw("chart-province", bars(p, true));
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
