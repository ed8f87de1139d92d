/* runreport: one colour per run, in every chart of every page (needs common.js): a run's
   colour comes from its slug alone; runs of one chart that share a colour are told apart by
   dashes; a run highlighted from one chart's legend is highlighted in every chart. */
(function () {
  "use strict";

  /* 20 colours: D3's category10, then the colours of colorcet's glasbey_bw_minc_20 (chosen
     to stand apart), in its order, that are mid-light (CIE L* 40-72, legible on a light and a
     dark page) and at least ΔE 25 from every colour before them. Changing the list, or the
     hash, changes every user's run colours. */
  var RUN_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#17becf", "#8c3cff", "#95b578", "#c004b9", "#8f7a00", "#ec0077",
    "#04c600", "#9e4b00", "#00af8a", "#c59f72", "#c2a6c5"];
  /* Rows of a legend of runs at most; its title says how many runs it leaves out. */
  var LEGEND_ROWS = 3;
  /* Runs of one colour in one chart: the first (by slug) solid, the others dashed. */
  var RUN_DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [12, 4], [1, 3]];

  /* A run's colour, from its slug alone (32-bit FNV-1a): the same in every chart of every
     page, and in every build while the run keeps its slug. */
  function runColour(slug) {
    var h = 0x811c9dc5;
    for (var i = 0; i < slug.length; i++) h = Math.imul(h ^ slug.charCodeAt(i), 0x01000193) >>> 0;
    return RUN_COLOURS[h % RUN_COLOURS.length];
  }

  /* Draws ``runs`` ([slug, series label] pairs, or [key, label, colour] for lines that are not
     runs) in their colours: a chart with a line per run by its series (runs that share a
     colour told apart by dashes), a run's own chart (label null) in its colour. With
     ``dashBy`` (metrics drawn together over runs, each row's ``m`` one of them), the dashes
     tell the metrics apart instead, in that order, each in its own legend entry. The legend
     of runs wraps in as many columns as fit ``width`` (one row was cut at the chart's edge),
     LEGEND_ROWS rows at most. */
  function styleRuns(spec, runs, dashBy, width) {
    var enc = spec.encoding || {}, seen = {};
    runs = runs.filter(function (r) { return seen[r[1]] ? false : (seen[r[1]] = true); });  /* a run per label */
    if (!enc.color) {
      if (runs.length === 1) enc.color = { value: runColour(runs[0][0]) };
      return;
    }
    var colours = runs.map(function (r) { return r[2] || runColour(r[0]); });
    var dashes = runs.map(function (r, k) {
      return RUN_DASHES[runs.filter(function (o, j) {
        return colours[j] === colours[k] && o[0] < r[0];
      }).length % RUN_DASHES.length];
    });
    var labels = runs.map(function (r) { return r[1]; });
    var widest = Math.max.apply(null, labels.map(function (l) { return Math.min(String(l).length, 40); }));
    var columns = Math.max(1, Math.floor((width || 600) / (28 + 6 * widest)));
    var legend = Object.assign({}, enc.color.legend, { symbolType: "stroke", symbolStrokeWidth: 2.5,
      columns: columns });
    if (labels.length > columns * LEGEND_ROWS) {  /* (Vega's own symbolLimit warns in the console) */
      legend.values = labels.slice(0, columns * LEGEND_ROWS);
      legend.title = legend.values.length + " of " + labels.length + " runs";
    }
    enc.color.scale = { domain: labels, range: colours };
    enc.color.legend = legend;
    if (!dashBy) {
      if (new Set(colours).size === colours.length) return;  /* no two alike: no dashes needed */
      enc.strokeDash = { field: enc.color.field, type: "nominal", title: enc.color.title,
        legend: legend, scale: { domain: labels, range: dashes } };
      return;
    }
    enc.strokeDash = { field: "m", type: "nominal", title: null,
      /* grey strokes: Vega-Lite draws the symbols of a legend of dashes blank */
      legend: Object.assign({}, legend, { encode: { symbols: { update: { stroke: { value: "#888" } } } } }),
      scale: { domain: dashBy, range: dashBy.map(function (m, k) { return RUN_DASHES[k % RUN_DASHES.length]; }) } };
  }

  /* The runs highlighted from a chart's legend are highlighted in every chart of the page. */
  var picked = null;

  function linkPicks(container, view) {
    try { view.data("pick_store"); } catch (e) { return; }  /* a chart without a legend pick */
    container.rrPicks = true;
    if (picked && picked.length) view.data("pick_store", picked.slice()).run();
    view.addDataListener("pick_store", function (name, value) {
      if (JSON.stringify(value) === JSON.stringify(picked || [])) return;  /* ours, echoed back */
      picked = value.slice();
      document.querySelectorAll(".chart").forEach(function (c) {
        if (c.rrPicks && c.rrView && c.rrView !== view) c.rrView.data("pick_store", picked.slice()).runAsync();
      });
    });
  }

  window.RR.runColour = runColour;
  window.RR.paletteColour = function (k) { return RUN_COLOURS[k % RUN_COLOURS.length]; };
  window.RR.styleRuns = styleRuns;
  window.RR.linkPicks = linkPicks;
})();
