/* runreport: the x axis of line charts (needs common.js): "step" as logged, "epoch" where the run
   logs one (a metric named epoch over its steps, or charts logged over the epoch), "relative"
   time since the run started or "wall" time, where its format records each point's time
   (runreport's own logs, MLflow, TensorBoard, W&B, DVCLive). A chart is drawn over epoch or
   time from every point of the run's full-resolution data (its plotted points hold steps
   only); a run with no epoch or times stays out of the chart, said under it. */
(function () {
  "use strict";

  var RR = window.RR;
  var AXES = { step: "step", epoch: "epoch", relative: "relative time", wall: "wall time" };
  var setting = { axis: "step" };
  var epochs = {};

  function isAxis(name) { return Object.prototype.hasOwnProperty.call(AXES, name); }

  function finite(v) { return v !== null && v - v === 0; }

  /* The run's epoch at each step, from every point of its epoch metric (smoothing.js reads
     them): where each epoch value logged begins, {steps, epochs}, steps ascending; null when
     the run logs no epoch. A value logged at many steps (an integer epoch, or one rounded as
     the Trainer logs it) begins at the first of them, and the steps between are spread
     evenly over it (epochAt). */
  function epochTable(slug) {
    var run = RR.data("runs/" + slug), name = run && run.epoch;
    if (!name) return Promise.resolve(null);
    if (!epochs[slug]) {
      epochs[slug] = RR.smoothing.everyPoint(slug, name, run.charts[name], false).then(function (points) {
        if (!points) return null;
        var at = {}, i;
        for (i = 0; i < points.x.length; i++) {
          if (finite(points.x[i]) && finite(points.y[i])) at[points.x[i]] = points.y[i];  /* the last at a step */
        }
        var knots = { steps: [], epochs: [] };
        Object.keys(at).map(Number).sort(function (a, b) { return a - b; }).forEach(function (st) {
          var e = at[st], k = knots.epochs.length;
          if (!k || e !== knots.epochs[k - 1]) { knots.steps.push(st); knots.epochs.push(e); }
        });
        return knots.steps.length ? knots : null;
      });
    }
    return epochs[slug];
  }

  /* The epoch at ``step``: interpolated between the steps where an epoch value was first
     logged; before the first, its epoch; after the last, at the pace of the epoch before. */
  function epochAt(table, step) {
    var s = table.steps, e = table.epochs, lo = 0, hi = s.length - 1;
    if (step <= s[0]) return e[0];
    if (step >= s[hi]) return hi ? e[hi] + (step - s[hi]) * (e[hi] - e[hi - 1]) / (s[hi] - s[hi - 1]) : e[hi];
    while (hi - lo > 1) {
      var mid = (lo + hi) >> 1;
      if (s[mid] <= step) lo = mid; else hi = mid;
    }
    var f = (step - s[lo]) / (s[hi] - s[lo]);
    return table.epochs[lo] + f * (table.epochs[hi] - table.epochs[lo]);
  }

  /* ``points`` ({x: steps, y, t: seconds or null}) of a run's chart over the page's axis:
     a promise of {x, y} (points with no x on it left out), or null when the run has none. */
  function remap(slug, chart, points) {
    var axis = setting.axis, run = RR.data("runs/" + slug) || {};
    if (axis === "step") return Promise.resolve(points);
    if (axis === "epoch") {
      if (chart.xy[0] === "epoch") return Promise.resolve(points);
      if (chart.xy[0] !== "step" || !run.epoch) return Promise.resolve(null);
      return epochTable(slug).then(function (table) {
        if (!table) return null;
        return keep(points, points.x.map(function (s) { return finite(s) ? epochAt(table, s) : NaN; }));
      });
    }
    var t = points.t;
    if (!t) return Promise.resolve(null);
    var origin = run.t0, i;
    if (!finite(origin)) {
      origin = Infinity;
      for (i = 0; i < t.length; i++) if (finite(t[i]) && t[i] < origin) origin = t[i];
    }
    var x = new Array(t.length);
    for (i = 0; i < t.length; i++) {
      x[i] = !finite(t[i]) ? NaN : axis === "wall" ? t[i] * 1000 : t[i] - origin;
    }
    return Promise.resolve(keep(points, x));
  }

  /* The points whose new ``x`` is a number, over it. */
  function keep(points, x) {
    var xs = [], ys = [];
    for (var i = 0; i < x.length; i++) {
      if (finite(x[i])) { xs.push(x[i]); ys.push(points.y[i]); }
    }
    return xs.length ? { x: xs, y: ys } : null;
  }

  /* The unit relative times are shown in, for a span of ``seconds``. */
  function unit(seconds) {
    return seconds >= 2 * 86400 ? ["d", 86400] : seconds >= 3 * 3600 ? ["h", 3600]
      : seconds >= 180 ? ["min", 60] : ["s", 1];
  }

  /* Sets a line chart spec's x axis for the page's axis, from the x ``range`` it is zoomed to,
     else the extent of the ``rows`` drawn. */
  function apply(spec, range, rows) {
    var extent = range || xExtent(rows);
    var x = spec.encoding && spec.encoding.x;
    if (!x || setting.axis === "step" || setting.axis === "epoch") return;
    if (setting.axis === "wall") {
      x.type = "temporal";
      if (x.scale) delete x.scale.zero;  /* no zero on a time scale */
      x.title = "wall time (your time zone)";
      return;
    }
    var u = unit(extent ? Math.max(Math.abs(extent[0]), Math.abs(extent[1])) : 0);
    x.title = "relative time (" + u[0] + ")";
    x.axis = Object.assign({}, x.axis, { labelExpr: "format(datum.value / " + u[1] + ", '~g')" });
    if (extent) x.axis.values = ticks(extent[0] / u[1], extent[1] / u[1]).map(function (v) { return v * u[1]; });
  }

  /* Round ticks from ``lo`` to ``hi`` (in the unit shown): about six, 1, 2 or 5 times a power
     of ten apart. */
  function ticks(lo, hi) {
    if (!(hi > lo)) return [lo];
    var raw = (hi - lo) / 6, power = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / power;
    var step = (f >= 7.07 ? 10 : f >= 3.16 ? 5 : f >= 1.41 ? 2 : 1) * power, out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
    return out;
  }

  function xExtent(rows) {
    var lo = Infinity, hi = -Infinity;
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].x < lo) lo = rows[i].x;
      if (rows[i].x > hi) hi = rows[i].x;
    }
    return lo <= hi ? [lo, hi] : null;
  }

  /* A chart's [x, y] ``titles`` as drawn: x named for the page's axis when drawn over it
     (``mapped``), or said to have none of it when drawn over its step instead (``missing``). */
  function titles(given, mapped, missing) {
    if (mapped) return [AXES[setting.axis], given[1]];
    if (missing) return [given[0] + " (no " + AXES[setting.axis] + " logged)", given[1]];
    return given;
  }

  /* An x value as the hover shows it. */
  function format(v) {
    if (setting.axis === "wall") return new Date(v).toLocaleString("en");
    if (setting.axis !== "relative") return null;
    var u = unit(Math.abs(v));
    return +(v / u[1]).toPrecision(6) + " " + u[0];
  }

  RR.xaxis = {
    get: function () { return setting.axis; },
    isAxis: isAxis,
    set: function (axis) { setting.axis = isAxis(axis) ? axis : "step"; },
    title: function () { return AXES[setting.axis]; },
    titles: titles,
    remap: remap,
    apply: apply,
    format: format
  };
})();
