// 统计看板: draws each figure from the JSON block the page carries (no inline script: the CSP refuses it).
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || !window.echarts) { return; }
  var figures = {};
  JSON.parse(source.textContent).forEach(function (f) { figures[f.key] = f; });

  function pieOption(f) {
    var values = f.series[0].data;
    return {
      tooltip: { trigger: "item" },
      legend: { bottom: 0 },
      series: [{ type: "pie", radius: "60%", name: f.series[0].name,
        data: f.categories.map(function (c, i) { return { name: c, value: values[i] }; }) }]
    };
  }

  function barOption(f) {
    return {
      tooltip: { trigger: "axis" },
      legend: { bottom: 0, type: "scroll" },
      grid: { left: 40, right: 16, top: 16, bottom: 64, containLabel: true },
      xAxis: { type: "category", data: f.categories, axisLabel: { interval: 0, rotate: f.categories.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: f.series.map(function (s) { return { type: "bar", name: s.name, data: s.data }; })
    };
  }

  var charts = [];
  document.querySelectorAll(".dashboard-chart").forEach(function (el) {
    var f = figures[el.dataset.figure];
    if (!f) { return; }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(f.chart === "pie" ? pieOption(f) : barOption(f));
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
