/* runreport: smoothing of line charts (needs common.js and overlays.js). One setting for the
   page (charttools.js shows it and keeps it in the address): a weight from 0 to 0.999 and a
   method, TensorBoard's debiased exponential moving average or a centred moving average.
   A series is smoothed from every point, exactly: from its plotted points when they are all
   of them as logged, else from the run's full-resolution data file. The smoothed series is
   then cut to the chart's budget of points, keeping each bucket's min and max, and the
   plotted points stay drawn faintly behind it (the spec's "raw" data). */
(function () {
  "use strict";

  var RR = window.RR;
  /* Points of a smoothed series drawn on one run's chart (stats.MAX_POINTS_PER_SERIES). */
  var SERIES_POINTS = 2000;
  var setting = { weight: 0, method: "ema" };

  function finite(v) { return v !== null && v - v === 0; }

  /* TensorBoard's smoothing, as its line charts compute it (classicSmoothing): a series
     whose values are all equal is left as it is; a value that is not finite is left as it is
     (a gap: NaN here) and does not count; the others are averaged, debiased by
     1 - weight^count. A Float64Array: a third of the time of an Array on a long series. */
  function ema(y, weight) {
    var n = y.length, out = new Float64Array(n), last = 0, count = 0, debias = 0, i;
    for (i = 1; i < n && y[i] === y[0]; i++) { /* equal so far */ }
    if (i >= n) return y.slice();
    for (i = 0; i < n; i++) {
      if (!finite(y[i])) { out[i] = NaN; continue; }
      last = last * weight + (1 - weight) * y[i];
      count++;
      /* once weight^count is below half an ulp of 1, 1 - weight^count is exactly 1: the same
         result without Math.pow at every point (a tenth of the time on a long series) */
      if (debias !== 1) debias = weight === 1 ? 1 : 1 - Math.pow(weight, count);
      out[i] = last / debias;
    }
    return out;
  }

  /* The mean of the finite values among the ``window`` points centred on each point (fewer
     at the ends); a value that is not finite stays a gap (NaN). */
  function centred(y, window) {
    var n = y.length, sums = new Float64Array(n + 1), counts = new Int32Array(n + 1), i;
    for (i = 0; i < n; i++) {
      sums[i + 1] = sums[i] + (finite(y[i]) ? y[i] : 0);
      counts[i + 1] = counts[i] + (finite(y[i]) ? 1 : 0);
    }
    var half = Math.floor(window / 2), out = new Float64Array(n);
    for (i = 0; i < n; i++) {
      if (!finite(y[i])) { out[i] = NaN; continue; }
      var lo = Math.max(0, i - half), hi = Math.min(n, i + half + 1);
      out[i] = (sums[hi] - sums[lo]) / (counts[hi] - counts[lo]);
    }
    return out;
  }

  /* The centred window matching an EMA weight: the span of pandas' ewm, (1 + w) / (1 - w)
     points, made odd (0.6: 5 points; 0.9: 19; 0.99: 199). */
  function windowFor(weight) {
    var span = Math.round((1 + weight) / (1 - weight));
    return span % 2 ? span : span + 1;
  }

  function smooth(y) {
    return setting.method === "ma" ? centred(y, windowFor(setting.weight)) : ema(y, setting.weight);
  }

  var fullCache = {};

  /* Every point of a run's chart of ``metric`` ({x, y, t}: t each point's time in seconds, or
     null), exactly: its plotted columns when they hold every point as logged (not cut to
     float32) and no ``times`` are asked for, else the columns of its full-resolution data
     (null when they are not numbers). */
  function everyPoint(slug, metric, chart, times) {
    var c = RR.columns(chart);
    if (!times && c.x.length === chart.points && !chart.x.f32 && !chart.y.f32) {
      return Promise.resolve({ x: c.x, y: c.y, t: null });
    }
    var key = slug + "\u0000" + metric + (times ? "\u0000t" : "");
    if (!fullCache[key]) {
      fullCache[key] = RR.loadFull(slug).then(function () {
        var full = (RR.data("full/" + slug) || {})[metric];
        if (!full || !full.data) return null;
        var xi = chart.xy[0] === null ? -1 : full.columns.indexOf(chart.xy[0]);
        var yi = full.columns.indexOf(chart.xy[1]);
        var ti = chart.xy[2] ? full.columns.indexOf(chart.xy[2]) : -1;
        if (yi < 0 || (chart.xy[0] !== null && xi < 0)) return null;
        return Promise.all([xi < 0 ? null : RR.decodeExact(full.data[xi]), RR.decodeExact(full.data[yi]),
                            ti < 0 ? null : RR.decodeExact(full.data[ti])])
          .then(function (cols) {
            var y = cols[1], x = cols[0];
            if (!x) { x = new Array(y.length); for (var i = 0; i < y.length; i++) x[i] = i; }
            return { x: x, y: y, t: cols[2] };
          });
      });
    }
    return fullCache[key];
  }

  /* Rows of ``points`` whose x is in ``range`` (all when null; with the point just outside
     each end, so lines reach the chart's edges), at most about ``budget`` of them keeping each
     bucket's min and max of ``ys``. */
  function cut(points, ys, range, budget, label) {
    var xs = points.x, n = xs.length, idx = null, i;
    if (range) {
      idx = [];
      for (i = 0; i < n; i++) if (xs[i] >= range[0] && xs[i] <= range[1]) idx.push(i);
      if (idx.length && idx[0] > 0) idx.unshift(idx[0] - 1);
      if (idx.length && idx[idx.length - 1] < n - 1) idx.push(idx[idx.length - 1] + 1);
    }
    var sub = idx ? idx.map(function (j) { return ys[j]; }) : ys;
    var keep = RR.minMaxKeep(sub, 0, sub.length, budget), rows = new Array(keep.length);
    for (var k = 0; k < keep.length; k++) {
      var j = idx ? idx[keep[k]] : keep[k], v = ys[j];
      rows[k] = { x: xs[j], y: v === v ? v : null, v: null, series: label };
    }
    return rows;
  }

  /* A run's series of ``metric`` drawn from every point: over the page's x axis (xaxis.js),
     smoothed (when asked) and within ``range`` (when zoomed): {rows, raw} (raw: the unsmoothed
     points in the range), {missing: true} when the run has nothing on that axis (no times, no
     epoch), or null when its plotted points are to be drawn as they are. */
  function exactRows(slug, metric, chart, label, budget, range, overStep) {
    var smoothing = setting.weight > 0, axis = overStep ? "step" : RR.xaxis.get();
    if (!chart.xy || (!smoothing && !range && axis === "step")) return Promise.resolve(null);
    return everyPoint(slug, metric, chart, axis !== "step").then(function (points) {
      return points && (axis === "step" ? points : RR.xaxis.remap(slug, chart, points));
    }).then(function (points) {
      if (!points) return axis === "step" ? null : { missing: true };
      var ys = smoothing ? smooth(points.y) : points.y;
      return { rows: cut(points, ys, range, budget, label),
               raw: smoothing && (range || axis !== "step") ? cut(points, points.y, range, budget, label) : null };
    }).catch(function (err) {  /* its full-resolution data could not be read: drawn as it is */
      console.error(err);
      return null;
    });
  }

  /* A run's own chart: {rows, raw} to draw (raw empty when not smoothed), within ``range``. */
  function runChart(slug, metric, chart, range) {
    var plotted = RR.rowsOf(chart, null);
    return exactRows(slug, metric, chart, null, SERIES_POINTS, range).then(function (d) {
      if (d && d.missing) {  /* nothing on the page's x axis: over its step, smoothed as asked */
        return exactRows(slug, metric, chart, null, SERIES_POINTS, range, true).then(function (s) {
          return { rows: s ? s.rows : plotted, raw: s && setting.weight ? plotted : [], missing: true };
        });
      }
      if (!d) return { rows: plotted, raw: [] };
      /* the plotted points (steps) are behind only on the step axis */
      var behind = RR.xaxis.get() === "step" ? plotted : d.rows;
      return { rows: d.rows, raw: setting.weight ? d.raw || behind : [], mapped: RR.xaxis.get() !== "step" };
    });
  }

  /* An overlay's rows (RR.overlayRows) drawn run by run from every point, each to the points
     it drew: smoothed, with the rows as they were behind (``raw``), and within ``range``.
     Runs whose chart is not a line of one series stay as they are. */
  function overlay(rows, range) {
    var smoothing = setting.weight > 0, mapped = RR.xaxis.get() !== "step";
    if (!smoothing && !range && !mapped) return Promise.resolve(rows);
    var cutDown = rows.length < rows.total;  /* each run drew its share of the points */
    return Promise.all(rows.runs.map(function (run, k) {
      var span = rows.spans[k], own = rows.slice(span[0], span[1]);
      /* each part's run and metric: one metric of several runs, or several of one run */
      var source = rows.sources ? rows.sources[k] : [run[0], rows.metric];
      var chart = RR.data("runs/" + source[0]).charts[source[1]];
      var budget = cutDown ? Math.max(20, own.length) : SERIES_POINTS;
      return exactRows(source[0], source[1], chart, run[1], budget, range).then(function (d) {
        d = d || (mapped ? { missing: true } : { rows: own, raw: null });
        if (rows.tags) {  /* metrics drawn together over runs: each row's metric (overlays.js) */
          (d.rows || []).concat(d.raw || []).forEach(function (r) { r.m = rows.tags[k]; });
        }
        return d;
      });
    })).then(function (parts) {
      /* runs with nothing on the page's x axis (no times, no epoch) are left out, and said */
      var drawn = parts.filter(function (d) { return !d.missing; });
      var missing = rows.runs.filter(function (run, k) { return parts[k].missing; });
      if (!drawn.length) {
        var as = rows.slice();
        as.runs = rows.runs;
        as.total = rows.total;
        as.missing = missing;
        as.unmapped = true;
        return as;
      }
      var out = [].concat.apply([], drawn.map(function (d) { return d.rows; }));
      out.runs = rows.runs.filter(function (run, k) { return !parts[k].missing; });
      if (rows.sources) out.sources = rows.sources.filter(function (src, k) { return !parts[k].missing; });
      out.total = rows.total;
      out.missing = missing;
      out.mapped = mapped;
      if (smoothing) {
        out.raw = range || mapped ? [].concat.apply([], drawn.map(function (d) { return d.raw || d.rows; })) : rows;
      }
      return out;
    });
  }

  RR.smoothing = {
    get: function () { return { weight: setting.weight, method: setting.method }; },
    set: function (weight, method) {
      setting.weight = Math.max(0, Math.min(0.999, +weight || 0));
      setting.method = method === "ma" ? "ma" : "ema";
    },
    ema: ema,
    centred: centred,
    smooth: smooth,  /* a series' values with the page's setting (groups.js) */
    windowFor: windowFor,
    everyPoint: everyPoint,
    runChart: runChart,
    overlay: overlay
  };
})();
