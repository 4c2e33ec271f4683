/* chainwatch dashboard: draws the ECharts charts of a page from its embedded JSON (no inline scripts).

   Names in the data (segments, enterprises, districts …) are text, never markup: every tooltip is built
   as DOM nodes with textContent (formatters return elements, so ECharts never parses an HTML string),
   and esc() is there for any place that must produce an HTML string. */
(function () {
  "use strict";
  var LEVEL_COLORS = { 0: "#8fbc8f", 1: "#3b82f6", 2: "#eab308", 3: "#f97316", 4: "#dc2626" };
  var PALETTE = ["#1f5fa8", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#0b7285", "#c2255c"];
  var ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

  function esc(v) {
    return (v === null || v === undefined ? "" : String(v)).replace(/[&<>"']/g, function (c) { return ESCAPES[c]; });
  }
  function node(tag, text, cls) {
    var el = document.createElement(tag);
    if (text !== undefined && text !== null) el.textContent = String(text);
    if (cls) el.className = cls;
    return el;
  }
  function fmtValue(v) {
    if (v === null || v === undefined || v === "" || (typeof v === "number" && isNaN(v))) return "—";
    if (typeof v === "number") return v.toLocaleString(undefined, { maximumFractionDigits: Math.abs(v) >= 100 ? 0 : 2 });
    return String(v);
  }
  function line(color, name, value) {
    var row = node("div", null, "tt-row");
    var dot = node("span", "●", "tt-dot");
    if (color && typeof color === "string") dot.style.color = color;   /* CSSOM: allowed by the CSP */
    row.appendChild(dot);
    row.appendChild(node("span", " " + name + (value === undefined ? "" : ": "), "tt-name"));
    if (value !== undefined) row.appendChild(node("span", fmtValue(value), "tt-value"));
    return row;
  }
  /* axis tooltip: the category, then one line per series */
  function axisTooltip(params) {
    var list = Array.isArray(params) ? params : [params];
    var box = node("div", null, "tt");
    if (list.length) box.appendChild(node("div", list[0].axisValueLabel || list[0].name, "tt-title"));
    list.forEach(function (p) { box.appendChild(line(p.color, p.seriesName, Array.isArray(p.value) ? p.value[1] : p.value)); });
    return box;
  }
  /* item tooltip (pie): name, value and percentage */
  function itemTooltip(p) {
    var box = node("div", null, "tt");
    box.appendChild(line(p.color, p.name, p.value));
    if (typeof p.percent === "number") box.appendChild(node("div", p.percent.toFixed(1) + "%", "tt-note"));
    return box;
  }
  /* graph node tooltip: the node's own text (name and reasons), as text */
  function graphTooltip(p) {
    var box = node("div", null, "tt");
    var d = p.data || {};
    if (p.dataType === "edge") { box.appendChild(node("div", (d.sourceName || d.source) + " → " + (d.targetName || d.target))); return box; }
    String(d.tip || d.name || "").split(" · ").forEach(function (part, i) { box.appendChild(node("div", part, i ? "tt-note" : "tt-title")); });
    return box;
  }
  window.chainwatchEsc = esc;

  function get(obj, path) {
    if (!path) return obj;
    return path.split(".").reduce(function (o, k) { return o == null ? undefined : o[k]; }, obj);
  }
  function num(v) { return (v === null || v === undefined || v === "") ? null : Number(v); }
  function fields(el, name, dflt) {
    var raw = el.getAttribute("data-" + name);
    return raw ? raw.split(",") : (dflt || []);
  }
  function label(el, f) {
    var labels = {};
    try { labels = JSON.parse(el.getAttribute("data-labels") || "{}"); } catch (e) { labels = {}; }
    return labels[f] || f;
  }

  function display(v) {
    /* English category names start with a capital (service labels are lower-case words) */
    var s = v == null ? "" : String(v);
    return (document.documentElement.lang || "").indexOf("en") === 0 ? s.charAt(0).toUpperCase() + s.slice(1) : s;
  }

  function lineOrBar(el, rows, kind) {
    var x = el.getAttribute("data-x") || "period";
    var ys = fields(el, "y");
    var y2 = fields(el, "y2");
    var series = [];
    var scale = Number(el.getAttribute("data-scale") || "1") || 1;
    function scaled(v) { return v === null ? null : Math.round(v / scale * 10) / 10; }
    ys.forEach(function (f, i) {
      series.push({ name: label(el, f), type: kind, data: rows.map(function (r) { return scale === 1 ? num(r[f]) : scaled(num(r[f])); }),
                    smooth: kind === "line", itemStyle: { color: PALETTE[i % PALETTE.length] } });
    });
    y2.forEach(function (f, i) {
      series.push({ name: label(el, f), type: "line", yAxisIndex: 1, data: rows.map(function (r) { return num(r[f]); }),
                    itemStyle: { color: PALETTE[(ys.length + i) % PALETTE.length] } });
    });
    var pct = ys.length && ys.every(function (f) { return /_(pct|pp)$/.test(f); });
    var yAxis = [{ type: "value", scale: !pct, name: el.getAttribute("data-unit") || (pct ? "%" : ""),
                   axisLabel: pct ? { formatter: "{value}%" } : {} }];
    if (y2.length) yAxis.push({ type: "value", scale: true, axisLabel: { formatter: "{value}%" } });
    return {
      tooltip: { trigger: "axis", formatter: axisTooltip }, legend: { top: 0 }, grid: { left: 60, right: 50, top: 56, bottom: 50, containLabel: true },
      xAxis: { type: "category", data: rows.map(function (r) { return r[x]; }), axisLabel: { rotate: rows.length > 12 ? 40 : 0 } },
      yAxis: yAxis, series: series, dataZoom: rows.length > 30 ? [{ type: "inside" }, { type: "slider" }] : []
    };
  }

  function pie(el, rows) {
    var n = el.getAttribute("data-name") || "name", v = el.getAttribute("data-value") || "value";
    var colors = el.getAttribute("data-levels") ? rows.map(function (r) { return LEVEL_COLORS[r.grade] || "#999"; }) : PALETTE;
    return {
      tooltip: { trigger: "item", formatter: itemTooltip }, legend: { bottom: 0 }, color: colors,
      series: [{ type: "pie", radius: ["35%", "65%"], data: rows.map(function (r) { return { name: display(r[n]), value: num(r[v]) }; }) }]
    };
  }

  /* canvas labels are not HTML, but ECharts reads {style|text} and {a}/{b} templates in label strings:
     a function formatter shows the name as it is */
  function labelText(p) { return String((p.data && p.data.name) || p.name || ""); }

  function graph(el, data) {
    var nodes = (data.nodes || []).map(function (n) {
      var level = n.grade || 0;
      return { id: String(n.id), name: String(n.name || n.id), x: num(n.x), y: num(n.y), value: n.value,
               tip: n.tooltip || n.name || n.id,
               symbolSize: n.size || 38, itemStyle: { color: LEVEL_COLORS[level] || "#8fbc8f",
               borderColor: n.missing ? "#dc2626" : "#333", borderType: n.missing ? "dashed" : "solid" },
               label: { show: true, formatter: labelText } };
    });
    var names = {};
    nodes.forEach(function (n) { names[n.id] = n.name; });
    var links = (data.edges || []).map(function (e) {
      return { source: String(e.source), target: String(e.target), sourceName: names[String(e.source)], targetName: names[String(e.target)] };
    });
    var fixed = nodes.every(function (n) { return n.x !== null && n.y !== null; });
    return {
      tooltip: { formatter: graphTooltip }, animation: false,
      series: [{ type: "graph", layout: fixed ? "none" : "force", roam: true, draggable: true, data: nodes,
                 links: links, edgeSymbol: ["none", "arrow"], edgeSymbolSize: 9, force: { repulsion: 300, edgeLength: 120 },
                 label: { position: "bottom", fontSize: 11 }, lineStyle: { color: "#888", width: 1.5, curveness: 0.08 } }]
    };
  }

  function draw(el, pageData) {
    var kind = el.getAttribute("data-chart");
    var source = get(pageData, el.getAttribute("data-source"));
    var rows = Array.isArray(source) ? source : [];
    var filter = el.getAttribute("data-filter");
    if (filter && rows.length) {
      var kv = filter.split("=");
      rows = rows.filter(function (r) { return String(r[kv[0]]) === kv[1]; });
    }
    var count = kind === "graph" ? ((source && source.nodes) || []).length : rows.length;
    el.setAttribute("data-points", String(count));
    if (!count) { el.classList.add("empty"); el.textContent = document.body.getAttribute("data-empty") || "—"; return; }
    if (typeof window.echarts === "undefined") { el.classList.add("no-echarts"); return; }
    var option = kind === "pie" ? pie(el, rows) : kind === "graph" ? graph(el, source) : lineOrBar(el, rows, kind);
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option);
    if (kind === "graph" && el.getAttribute("data-link")) {
      chart.on("click", function (p) { if (p.dataType === "node") { window.location.hash = "seg-" + p.data.id; } });
    }
    window.addEventListener("resize", function () { chart.resize(); });
    el.setAttribute("data-rendered", "true");
  }

  function init() {
    var node = document.getElementById("page-data");
    var pageData = {};
    try { pageData = JSON.parse(node ? node.textContent : "{}"); } catch (e) { pageData = {}; }
    document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
      try { draw(el, pageData); } catch (e) { el.setAttribute("data-error", String(e)); }
    });
    document.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (ev) { if (!window.confirm(f.getAttribute("data-confirm"))) ev.preventDefault(); });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
