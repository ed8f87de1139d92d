/* runreport: the axes of line charts (needs common.js), set from the data drawn when a chart is
   drawn: x fitted to the data (no rounding out past it); y on a log scale when asked ("Log
   scale": symlog where values are 0 or below, said in the axis title); y fitted to the central
   98 % of the points when asked ("Ignore outliers", also said there, with the count of points
   beyond, each marked by a triangle at the edge it crosses); a series of one value drawn with
   ticks around it, not a lone "0"; and the points no line can show (no finite neighbour) for
   the spec's "lone" layer to mark. */
(function () {
  "use strict";

  var RR = window.RR;
  var setting = { log: false, outliers: false };

  function finiteYs(rows) {
    var out = [];
    for (var i = 0; i < rows.length; i++) {
      var v = rows[i].y;
      if (v !== null && v - v === 0) out.push(v);
    }
    return out;
  }

  function gaps(rows) {
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      if (r.y === null || r.y - r.y !== 0 || r.x === null || r.x - r.x !== 0) return true;
    }
    return false;
  }

  /* The value at quantile ``q`` of ascending ``sorted`` (linear between neighbours). */
  function quantile(sorted, q) {
    var at = (sorted.length - 1) * q, lo = Math.floor(at);
    return lo + 1 < sorted.length ? sorted[lo] + (sorted[lo + 1] - sorted[lo]) * (at - lo) : sorted[lo];
  }

  /* Sets the axes of a line chart's spec (one with a "main" layer) drawn from ``rows`` with
     ``raw`` behind them, over the x ``range`` it is zoomed to (null: all). */
  function apply(spec, rows, raw, range) {
    var enc = spec.encoding;
    if (!enc || !enc.x || !enc.y || !(spec.layer || []).some(function (l) { return l.name === "main"; })) return;
    enc.x.scale = Object.assign({}, enc.x.scale, { nice: false });
    /* lines with no gap need no test of each point for one (Vega evaluates it point by point,
       without eval under the page's CSP: a fifth of the time of drawing 100 runs' lines) */
    if (!gaps(rows) && !gaps(raw || [])) {
      spec.layer.forEach(function (l) {
        if (l.mark && l.mark.invalid) l.mark = Object.assign({}, l.mark, { invalid: null });
      });
      spec.usermeta = Object.assign({}, spec.usermeta, { rrNoGaps: true });  /* for lighten */
    }
    if (range) {  /* zoomed (zoom.js): lines cut at the edges */
      enc.x.scale.domain = range;
      spec.layer.forEach(function (l) { l.mark = Object.assign({}, l.mark, { clip: true }); });
    }
    var ys = finiteYs(raw && raw.length ? raw : rows);
    if (!ys.length) return;
    var y = enc.y, lo = Infinity, hi = -Infinity, notes = [];
    for (var i = 0; i < ys.length; i++) {
      if (ys[i] < lo) lo = ys[i];
      if (ys[i] > hi) hi = ys[i];
    }
    y.scale = Object.assign({}, y.scale);
    if (setting.log) {
      y.scale.type = lo > 0 ? "log" : "symlog";
      notes.push(lo > 0 ? "log scale" : "symlog scale: values ≤ 0");
    }
    if (setting.outliers && ys.length > 2) {  /* sorted only then: not on every chart drawn */
      ys.sort(function (a, b) { return a - b; });
      var from = quantile(ys, 0.01), to = quantile(ys, 0.99);
      if (to > from) {
        var beyond = ys.filter(function (v) { return v < from || v > to; }).length;
        y.scale.domain = [from, to];
        if (spec.datasets) spec.datasets.clipped = clipped(rows, from, to);
        spec.layer.forEach(function (l) { l.mark = Object.assign({}, l.mark, { clip: true }); });
        notes.push("central 98 %: " + beyond + " point" + (beyond === 1 ? "" : "s") + " beyond");
        lo = hi = null;
      }
    }
    if (lo !== null && lo === hi) {  /* one value: a range around it, not a lone tick */
      var d = Math.abs(lo) * 0.1 || 1;
      y.scale.domain = setting.log && lo > 0 ? [lo / 1.25, lo * 1.25] : [lo - d, hi + d];
    }
    if (notes.length) y.title = (y.title || "") + " (" + notes.join("; ") + ")";
  }

  /* A mark at the edge of the range [from, to] for each of ``rows`` beyond it. */
  function clipped(rows, from, to) {
    var out = [];
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      if (r.y === null || !(r.y < from || r.y > to)) continue;
      out.push({ x: r.x, y: r.y > to ? to : from, v: r.y, series: r.series, edge: r.y > to ? "above" : "below" });
    }
    return out;
  }

  /* The rows of ``rows`` with no finite neighbour in their series: a line draws nothing for
     them, so they are marked (a single value among NaNs). */
  function lone(rows) {
    var out = [];
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i], p = rows[i - 1], n = rows[i + 1];
      if (r.y === null || r.y - r.y !== 0) continue;
      var before = p && p.series === r.series && p.y !== null && p.y - p.y === 0;
      var after = n && n.series === r.series && n.y !== null && n.y - n.y === 0;
      if (!before && !after) out.push(r);
    }
    return out;
  }

  /* Marks along a chart drawn over its logging order (its points crowd a few x values, as
     per-batch values logged at the epoch number do) where each x value begins: a faint rule,
     and the value above it where there is room (``marks``: {title, at, values}), within the
     x ``range`` shown (null: all). */
  function order(spec, marks, range, width) {
    var room = Math.max(1, Math.floor((width || 600) / 56)), shown = [], i;
    for (i = 0; i < marks.at.length; i++) {
      if (!range || (marks.at[i] >= range[0] && marks.at[i] <= range[1])) shown.push(i);
    }
    var every = Math.ceil(shown.length / room);
    var rows = shown.map(function (k, j) {
      var v = marks.values[k], text = +v.toPrecision(6) + "";
      return { x: marks.at[k], label: j % every ? "" : (j ? text : marks.title + " " + text) };
    });
    if (!rows.length) return;
    var fixed = { color: { value: "#888" }, opacity: { value: 1 }, strokeDash: { value: [2, 3] } };
    var x = { field: "x", type: "quantitative" };
    spec.layer.push({
      data: { values: rows },
      mark: { type: "rule", strokeWidth: 1, opacity: 0.45 },
      encoding: Object.assign({}, fixed, { x: x, y: { value: 0 }, y2: { value: { expr: "height" } } })
    }, {
      data: { values: rows.filter(function (r) { return r.label; }) },
      mark: { type: "text", align: "left", baseline: "bottom", dx: 2, dy: -2, fontSize: 10 },
      encoding: { color: fixed.color, x: x, y: { value: 0 }, text: { field: "label" } }
    });
    spec.encoding.x.title += " (" + marks.title + " along the top)";
  }

  /* Vega's compiled spec (vega-embed's "patch"), lightened where the data allow. Vega-Lite
     parses the x of every row again and, for lines, tests every point for a missing x or y:
     each an expression that Vega interprets point by point (no eval under the page's CSP). The
     x parsed is the number it already is, and with no gap in the rows drawn (``noGaps``) no
     test can change a point, so both are left out: a third of drawing 100 runs' lines. */
  function lighten(vg, noGaps) {
    (vg.data || []).forEach(function (d) {
      if (d.transform) {
        d.transform = d.transform.filter(function (t) {
          return !(t.type === "formula" && t.as === "x" && t.expr === 'toNumber(datum["x"])');
        });
      }
    });
    (function walk(m) {
      (m.marks || []).forEach(function (mark) {
        var u = mark.encode && mark.encode.update;
        /* a field of the rows says where a line is broken (parallel coordinates: thousands of
           runs), in place of Vega-Lite's test of each point, interpreted under the CSP */
        if (u && u.defined && mark.type === "line" && vg.usermeta && vg.usermeta.rrDefined) u.defined = { field: vg.usermeta.rrDefined };
        if (noGaps && u && mark.type === "line") {
          delete u.defined;
          ["x", "y"].forEach(function (k) {
            if (Array.isArray(u[k]) && u[k].length === 2 && u[k][0].test && !u[k][1].test) u[k] = u[k][1];
          });
        }
        walk(mark);
      });
    })(vg);
    return vg;
  }

  RR.axes = {
    order: order,
    apply: apply,
    lone: lone,
    lighten: lighten,
    get: function () { return { log: setting.log, outliers: setting.outliers }; },
    set: function (log, outliers) { setting.log = !!log; setting.outliers = !!outliers; }
  };
})();
