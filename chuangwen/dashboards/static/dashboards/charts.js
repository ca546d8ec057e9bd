/*
 * 创文 dashboards: ECharts charts drawn from the dashboard's JSON (data-dash-source on a container).
 *
 * <div data-dash-source="/dashboards/data.json" [data-theme="dark"]>
 *   <div class="cw-chart" data-chart="score|cases|categories"></div>
 * </div>
 *
 * Names in the data (units, months, categories) are drawn on the canvas only: ECharts' HTML tooltip builds
 * markup with inline style attributes, so tooltips render as rich text on the canvas (renderMode "richText"),
 * which neither parses HTML nor needs 'unsafe-inline' styles under the Content-Security-Policy.
 *
 * After drawing, each chart element carries data-state="ready" and data-series-count. On the big screen
 * (body[data-refresh-seconds]) the page reloads itself after that many seconds and shows a clock.
 */
(function () {
  "use strict";

  var PALETTE = ["#17406d", "#b3261e", "#2e7d32", "#d49a00", "#6a3d9a"];
  // The big screen's dark background needs brighter colours.
  var DARK_PALETTE = ["#5fb0ff", "#ff6b6b", "#4cd07d", "#ffd166", "#c39bff"];

  function scoreOption(data) {
    var t = data.trend;
    var l = data.labels;
    return {
      tooltip: tooltip({ trigger: "axis" }),
      legend: { top: 0, data: [l.mean_score, l.mean_rate] },
      grid: { left: 48, right: 48, top: 60, bottom: 32 },
      xAxis: { type: "category", data: t.months },
      yAxis: [
        { type: "value", min: 0, max: 100, name: l.mean_score },
        { type: "value", min: 0, max: 100, name: l.mean_rate, splitLine: { show: false } },
      ],
      series: [
        { name: l.mean_score, type: "line", data: t.mean_score, connectNulls: true, symbolSize: 7 },
        { name: l.mean_rate, type: "line", yAxisIndex: 1, data: t.mean_rate, connectNulls: true, symbolSize: 7 },
      ],
    };
  }

  function casesOption(data) {
    var t = data.trend;
    var l = data.labels;
    return {
      tooltip: tooltip({ trigger: "axis" }),
      legend: { top: 0, data: [l.opened, l.closed] },
      grid: { left: 48, right: 16, top: 40, bottom: 32 },
      xAxis: { type: "category", data: t.months },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: l.opened, type: "bar", data: t.opened, itemStyle: { color: "#b3261e" } },
        { name: l.closed, type: "bar", data: t.closed, itemStyle: { color: "#2e7d32" } },
      ],
    };
  }

  function categoriesOption(data) {
    var rows = data.categories.slice().reverse();
    return {
      tooltip: tooltip({ trigger: "axis", axisPointer: { type: "shadow" } }),
      grid: { left: 8, right: 32, top: 16, bottom: 24, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: {
        type: "category",
        data: rows.map(function (r) {
          return r.category;
        }),
      },
      series: [
        {
          name: data.labels.problems,
          type: "bar",
          data: rows.map(function (r) {
            return r.count;
          }),
          label: { show: true, position: "right" },
        },
      ],
      graphic: rows.length
        ? []
        : [{ type: "text", left: "center", top: "middle", style: { text: data.labels.no_data, fontSize: 16 } }],
    };
  }

  // Tooltips drawn on the canvas: no HTML is built from the data (see the header comment).
  function tooltip(extra) {
    var option = { renderMode: "richText" };
    Object.keys(extra).forEach(function (key) {
      option[key] = extra[key];
    });
    return option;
  }

  var BUILDERS = { score: scoreOption, cases: casesOption, categories: categoriesOption };

  function draw(container, data) {
    var dark = container.dataset.theme === "dark";
    container.querySelectorAll("[data-chart]").forEach(function (el) {
      var build = BUILDERS[el.dataset.chart];
      if (!build) {
        return;
      }
      var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el, dark ? "dark" : null);
      var option = build(data);
      option.color = dark ? DARK_PALETTE : PALETTE;
      if (dark) {
        option.backgroundColor = "transparent";
        option.textStyle = { fontSize: 16 };
      }
      chart.on("finished", function () {
        el.dataset.state = "ready";
      });
      chart.setOption(option, true);
      el.dataset.seriesCount = String(option.series.length);
      window.addEventListener("resize", function () {
        chart.resize();
      });
    });
  }

  function load(container) {
    fetch(container.dataset.dashSource, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status + " " + container.dataset.dashSource);
        }
        return response.json();
      })
      .then(function (data) {
        draw(container, data);
      })
      .catch(function (error) {
        container.dataset.state = "error";
        if (window.console) {
          window.console.error(error);
        }
      });
  }

  function startScreen() {
    var seconds = parseInt(document.body.dataset.refreshSeconds || "0", 10);
    if (seconds > 0) {
      window.setTimeout(function () {
        window.location.reload();
      }, seconds * 1000);
    }
    var clock = document.getElementById("screen-clock");
    if (clock) {
      var tick = function () {
        clock.textContent = new Date().toLocaleString(document.documentElement.lang || "zh-CN", { hour12: false });
      };
      tick();
      window.setInterval(tick, 1000);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-dash-source]").forEach(load);
    startScreen();
  });
})();
