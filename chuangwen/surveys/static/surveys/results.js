/*
 * 问卷调查 trend chart: one ECharts line chart per office on the trend page, drawn from the JSON that the page
 * carries in <script id="survey-trend-data" type="application/json"> (Django's json_script):
 *   [{"id": 7, "waves": ["2026 年 6 月", …], "series": [{"name": "知晓率 · 文明区", "data": [62.5, null, …],
 *     "dashed": false}, …]}]
 * into <div data-trend-chart="7">. Values are percentages (one decimal); a wave without a figure is a gap.
 *
 * Names (waves, units) are drawn on the canvas only: tooltips render as rich text (renderMode "richText"),
 * so no HTML is ever built from the data, and nothing needs inline styles under the Content-Security-Policy.
 * After drawing, each chart element carries data-state="ready" and data-series-count.
 */

const PALETTE = ["#17406d", "#b3261e", "#1e7a46", "#a86400", "#6a3d9a"];

function option(group) {
  // A measure's overall line and the viewer's unit's dashed line share a colour.
  const colours = [];
  let index = -1;
  group.series.forEach((s) => {
    if (!s.dashed) {
      index += 1;
    }
    colours.push(PALETTE[index % PALETTE.length]);
  });
  return {
    color: colours,
    tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: (v) => (v == null ? "—" : `${v}%`) },
    legend: { top: 0, type: "scroll" },
    grid: { left: 48, right: 24, top: 48, bottom: 32 },
    xAxis: { type: "category", data: group.waves },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: group.series.map((s) => ({
      name: s.name,
      type: "line",
      data: s.data,
      connectNulls: true,
      symbolSize: 7,
      lineStyle: { type: s.dashed ? "dashed" : "solid" },
    })),
  };
}

function draw(groups) {
  groups.forEach((group) => {
    const el = document.querySelector(`[data-trend-chart="${CSS.escape(String(group.id))}"]`);
    if (!el || !window.echarts) {
      return;
    }
    const chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
    chart.on("finished", () => {
      el.dataset.state = "ready";
    });
    chart.setOption(option(group), true);
    el.dataset.seriesCount = String(group.series.length);
    window.addEventListener("resize", () => chart.resize());
  });
}

const source = document.getElementById("survey-trend-data");
if (source) {
  draw(JSON.parse(source.textContent || "[]"));
}
