// SLA dashboard: /audit/sla as a table and two bar charts drawn as inline SVG (no library).
"use strict";
(function () {
  const { api, el } = window.Fixline;
  const SVG = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs, text) => {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  };

  // Horizontal bars: one row per label, scaled to max; the values are written out too.
  function bars(rows, max, format, title) {
    const rowHeight = 26, width = 480, labelWidth = 170, barSpace = width - labelWidth - 60;
    const chart = svg("svg", { viewBox: `0 0 ${width} ${rows.length * rowHeight + 8}`, role: "img", "aria-label": title, class: "chart" });
    chart.append(svg("title", {}, title));
    rows.forEach(([label, value], i) => {
      const y = i * rowHeight + 4;
      const length = max > 0 && value !== null ? Math.max(1, (value / max) * barSpace) : 0;
      chart.append(svg("text", { x: labelWidth - 6, y: y + 16, "text-anchor": "end", class: "chart-label" }, label));
      chart.append(svg("rect", { x: labelWidth, y, width: length, height: rowHeight - 8, class: "chart-bar" }));
      chart.append(svg("text", { x: labelWidth + length + 6, y: y + 16, class: "chart-value" }, value === null ? "–" : format(value)));
    });
    return chart;
  }

  api("GET", "/audit/sla").then((figures) => {
    const message = document.getElementById("sla-msg");
    if (!figures.length) { message.textContent = "No ended runs yet."; return; }
    const label = (f) => `${f.action} (${f.customer})`;
    document.getElementById("chart-success").append(bars(figures.map((f) => [label(f), f.success_rate === null ? null : f.success_rate * 100]),
      100, (v) => `${v.toFixed(0)} %`, "Success rate per action"));
    const slowest = Math.max(0, ...figures.map((f) => f.p50_time_to_fix_s || 0));
    document.getElementById("chart-time").append(bars(figures.map((f) => [label(f), f.p50_time_to_fix_s]),
      slowest, (v) => `${v.toFixed(1)} s`, "Median time to fix per action"));
    const columns = ["action", "customer", "count", "succeeded", "ended", "refusals", "success_rate", "p50_time_to_fix_s", "p95_time_to_fix_s"];
    document.querySelector("#sla-table thead").append(el("tr", {}, ...columns.map((c) => el("th", { scope: "col" }, c.replace(/_/g, " ")))));
    document.querySelector("#sla-table tbody").replaceChildren(...figures.map((f) => el("tr", {}, ...columns.map((c) => el("td", {}, f[c] ?? "–")))));
  }, (error) => { document.getElementById("sla-msg").textContent = error.message; });
})();
