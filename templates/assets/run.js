/* runreport: a run page's charts, its children's overlays and their CSV links (needs common.js). */
(function () {
  "use strict";

  var RR = window.RR;
  var data = RR.data, runLabel = RR.runLabel, rowsOf = RR.rowsOf;
  var embed = RR.embed, lazily = RR.lazily, downloadCsv = RR.downloadCsv, csvName = RR.csvName;

  function setupCsvLinks() {
    document.querySelectorAll("a.csv-plotted").forEach(function (a) {
      a.addEventListener("click", function (event) {
        event.preventDefault();
        var run = data("runs/" + a.getAttribute("data-run"));
        var metric = a.getAttribute("data-metric");
        var chart = run && run.charts[metric];
        if (!chart) return;
        var names = chart.v ? ["x", "y", "v"] : (chart.series ? ["series", "x", "y"] : ["x", "y"]);
        downloadCsv(rowsOf(chart, null), names, csvName(runLabel(a.getAttribute("data-run")) + "-" + metric));
      });
    });
  }

  /* The rows of metrics drawn together (loss and val_loss): each member's plotted points,
     as a line of its own, coloured by its name. */
  function togetherRows(slug, run, group) {
    var rows = [], spans = [];
    group.members.forEach(function (metric) {
      var start = rows.length;
      rows = rows.concat(rowsOf(run.charts[metric], metric));
      spans.push([start, rows.length]);
    });
    rows.total = rows.length;
    rows.runs = group.members.map(function (metric, k) { return [metric, metric, RR.paletteColour(k)]; });
    rows.sources = group.members.map(function (metric) { return [slug, metric]; });
    rows.spans = spans;
    return rows;
  }

  /* The child runs' overlays of metrics measured on different splits (loss, val_loss) also
     drawn together (overlays.js), on a card before the first of them. */
  function groupOverlays(index) {
    var cards = Array.prototype.slice.call(document.querySelectorAll(".chart[data-overlay]"));
    if (!cards.length || !index) return;
    var names = cards.map(function (c) { return c.getAttribute("data-overlay"); });
    var slugs = cards[0].getAttribute("data-runs").split(",");
    RR.togetherGroups(index, names).forEach(function (g) {
      var first = cards[names.indexOf(g.members[0])].closest("figure");
      RR.togetherCard(index, slugs, g, "child runs overlaid, drawn together", function (fig) {
        first.parentNode.insertBefore(fig, first);
      });
      g.members.forEach(function (m) { cards[names.indexOf(m)].closest("figure").classList.add("paired"); });
    });
  }

  function drawRunCharts() {
    groupOverlays(data("index"));
    RR.chartTools();
    setupCsvLinks();
    document.querySelectorAll(".chart[data-metric]").forEach(function (container) {
      var slug = container.getAttribute("data-run"), metric = container.getAttribute("data-metric");
      var run = data("runs/" + slug);
      var chart = run && run.charts[metric];
      if (!chart) return;
      var line = chart.shape.indexOf("line") === 0;
      container.rrSmooth = !!chart.xy;
      container.rrDraw = function () {
        return RR.smoothing.runChart(slug, metric, chart, RR.zoom.rangeOf(container)).then(function (d) {
          return embed(container, run.shapes[chart.shape], d.rows, RR.xaxis.titles(chart.titles, d.mapped, d.missing),
            line ? { runs: [[slug, null]], raw: d.raw, mapped: d.mapped, order: chart.order } : {});
        });
      };
      lazily(container, container.rrDraw);
    });
    document.querySelectorAll(".chart[data-together]").forEach(function (container) {
      var slug = container.getAttribute("data-run"), run = data("runs/" + slug);
      var group = run && (run.together || {})[container.getAttribute("data-together")];
      if (!group) return;
      container.rrSmooth = true;
      container.rrDraw = function () {
        return RR.smoothing.overlay(togetherRows(slug, run, group), RR.zoom.rangeOf(container)).then(function (rows) {
          return embed(container, run.shapes[group.shape], rows, RR.xaxis.titles(group.titles, rows.mapped, rows.unmapped),
            { runs: rows.runs, raw: rows.raw, mapped: rows.mapped });
        });
      };
      lazily(container, container.rrDraw);
    });
    var overlays = document.querySelectorAll(".chart[data-overlay]");
    if (!overlays.length) return;
    var slugs = overlays[0].getAttribute("data-runs").split(",");
    var index = data("index");
    overlays.forEach(function (container) {
      var metric = container.getAttribute("data-overlay");
      container.rrSmooth = true;
      container.rrDraw = function () {
        return RR.drawOverlay(container, container.parentNode, index, slugs, metric)
          .catch(function (err) { console.error(err); });
      };
      lazily(container, container.rrDraw);
    });
  }

  RR.page("run", drawRunCharts);
})();
