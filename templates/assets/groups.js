/* runreport: groups of runs on an experiment page (needs common.js, colours.js and sweep.js):
   "Group runs" by params (at first every param but those named like a seed), each group drawn
   on the charts as the mean or median of its runs at each x, with a band (mean ± 1 standard
   deviation, min to max, or a 95 % bootstrap interval of the line's statistic, resampled with
   a seeded generator so it is the same on every load); x is aligned across runs by linear
   interpolation between each run's own points, within its own x range, over steps (whatever
   the x axis chosen); the page's smoothing smooths lines and bands, the lines as they were
   drawn faintly behind. A table gives each group's runs and every metric's mean ± sample
   standard deviation. Text set with textContent. */
(function () {
  "use strict";

  var RR = window.RR, el = RR.el;
  var MAX_RUNS = 200;  /* runs of the table a chart groups at most (each one's data file loads) */
  var MAX_XS = 400;  /* x values a group's line is drawn at, at most */
  var RESAMPLES = 1000;
  var SEED_LIKE = /(^|[^a-z])(seed|random_state|rng)([^a-z]|$)/i;
  var params = [], chosen = {};

  function on() { return document.getElementById("group-on").checked; }

  /* The group of a row: its values of ``by`` (params), as "lr=0.1, optimizer=adam". */
  function label(row, by) {
    var parts = by.map(function (p) {
      var v = row.params[p.k];
      return p.name + "=" + (v === null || v === undefined ? "(none)" : v);
    });
    return parts.length ? parts.join(", ") : "all runs";
  }

  /* [{label, rows}] of ``rows`` in the order first met, by the params chosen that vary
     among them (one value for all says nothing of a group). */
  function groupsOf(rows) {
    var by = {}, out = [], vary = params.filter(function (p) {
      return chosen[p.k] && rows.some(function (r) { return String(r.params[p.k]) !== String(rows[0].params[p.k]); });
    });
    rows.forEach(function (row) {
      var key = label(row, vary);
      if (!by[key]) { by[key] = { label: key, rows: [] }; out.push(by[key]); }
      by[key].rows.push(row);
    });
    return out;
  }

  function mean(vs) { return vs.reduce(function (s, v) { return s + v; }, 0) / vs.length; }
  function sd(vs) {
    var m = mean(vs);
    return Math.sqrt(vs.reduce(function (s, v) { return s + (v - m) * (v - m); }, 0) / (vs.length - 1));
  }
  function median(vs) {
    var s = vs.slice().sort(function (a, b) { return a - b; }), h = s.length >> 1;
    return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
  }

  /* A generator of uniform numbers in [0, 1) from ``seed`` (mulberry32). */
  function generator(seed) {
    return function () {
      seed = (seed + 0x6d2b79f5) | 0;
      var t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /* The 2.5th and 97.5th percentiles of ``stat`` over RESAMPLES resamples of ``vs``. */
  function bootstrap(vs, stat, random) {
    var out = [], sample = new Array(vs.length);
    for (var r = 0; r < RESAMPLES; r++) {
      for (var i = 0; i < vs.length; i++) sample[i] = vs[Math.floor(random() * vs.length)];
      out.push(stat(sample));
    }
    out.sort(function (a, b) { return a - b; });
    return [out[Math.floor(0.025 * (RESAMPLES - 1))], out[Math.ceil(0.975 * (RESAMPLES - 1))]];
  }

  /* A run's finite points of ``metric``, in x order: {xs, ys}, or null. */
  function pointsOf(slug, metric) {
    var run = RR.data("runs/" + slug), chart = run && run.charts[metric];
    if (!chart) return null;
    var c = RR.columns(chart), idx = [];
    for (var i = 0; i < c.x.length; i++) if (c.y[i] !== null && isFinite(c.y[i]) && isFinite(c.x[i])) idx.push(i);
    if (!idx.length) return null;
    idx.sort(function (a, b) { return c.x[a] - c.x[b]; });
    return { xs: idx.map(function (i) { return c.x[i]; }), ys: idx.map(function (i) { return c.y[i]; }) };
  }

  /* The value of ``p`` at ``x`` by linear interpolation, or null outside its x range. */
  function at(p, x) {
    var xs = p.xs, lo = 0, hi = xs.length - 1;
    if (x < xs[0] || x > xs[hi]) return null;
    while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (xs[mid] <= x) lo = mid; else hi = mid; }
    if (xs[lo] === x || hi === lo) return p.ys[lo];
    if (xs[hi] === x) return p.ys[hi];
    return p.ys[lo] + (p.ys[hi] - p.ys[lo]) * (x - xs[lo]) / (xs[hi] - xs[lo]);
  }

  /* The rows of ``groups``' lines of ``metric`` and of their bands: {rows, band}. */
  function aggregate(groups, metric) {
    var how = document.getElementById("group-line").value, kind = document.getElementById("group-band").value;
    var stat = how === "median" ? median : mean, random = generator(1);
    var rows = [], band = [];
    groups.forEach(function (g) {
      var runs = g.rows.map(function (r) { return pointsOf(r.slug, metric); }).filter(Boolean);
      if (!runs.length) return;
      var seen = {}, xs = [];
      runs.forEach(function (p) { p.xs.forEach(function (x) { if (!seen[x]) { seen[x] = 1; xs.push(x); } }); });
      xs.sort(function (a, b) { return a - b; });
      if (xs.length > MAX_XS) {  /* every k-th, and the last */
        var every = Math.ceil(xs.length / MAX_XS), end = xs.length - 1;
        xs = xs.filter(function (x, i) { return i % every === 0 || i === end; });
      }
      xs.forEach(function (x) {
        var vs = runs.map(function (p) { return at(p, x); }).filter(function (v) { return v !== null; });
        if (!vs.length) return;
        var y = stat(vs);
        rows.push({ x: x, y: y, series: g.label });
        var edge = kind === "minmax" ? [Math.min.apply(null, vs), Math.max.apply(null, vs)]
          : vs.length < 2 || kind === "none" ? null
          : kind === "std" ? [mean(vs) - sd(vs), mean(vs) + sd(vs)] : bootstrap(vs, stat, random);
        if (edge) band.push({ x: x, lo: edge[0], hi: edge[1], series: g.label });
      });
    });
    return { rows: rows, band: band };
  }

  /* ``rows``' values of ``key`` smoothed series by series (each one's rows are together, in x
     order), with the page's smoothing (smoothing.js). */
  function smoothed(rows, key) {
    for (var i = 0; i < rows.length;) {
      var j = i;
      while (j < rows.length && rows[j].series === rows[i].series) j++;
      var out = RR.smoothing.smooth(rows.slice(i, j).map(function (r) { return r[key]; }));
      for (var k = i; k < j; k++) rows[k][key] = out[k - i];
      i = j;
    }
  }

  /* Draws ``metric``'s chart of the groups of ``rows`` (shown runs with a key metric, in the
     table's order) in ``container``: a promise of vega-embed's result. */
  function draw(container, index, rows, metric) {
    var groups = groupsOf(rows.slice(0, MAX_RUNS));
    return RR.loadRuns(groups.reduce(function (s, g) { return s.concat(g.rows.map(function (r) { return r.slug; })); }, []))
      .then(function () {
        var made = aggregate(groups, metric), o = index.overlays[metric];
        var named = groups.map(function (g, k) { return [g.label, g.label + " (" + g.rows.length + ")", RR.paletteColour(k)]; });
        var names = {};
        named.forEach(function (n) { names[n[0]] = n[1]; });
        made.rows.forEach(function (r) { r.series = names[r.series]; });
        made.band.forEach(function (r) { r.series = names[r.series]; });
        container.rrRuns = [];
        /* the notes of a chart of runs (points cut, runs off the x axis) say nothing of groups */
        container.parentNode.querySelectorAll("p.overlay-note, p.axis-note").forEach(function (p) { p.remove(); });
        var raw = [];
        if (RR.smoothing && RR.smoothing.get().weight > 0) {  /* the lines and bands smoothed, */
          raw = made.rows.map(function (r) { return { x: r.x, y: r.y, series: r.series }; });  /* as they were behind */
          smoothed(made.rows, "y");
          smoothed(made.band, "lo");
          smoothed(made.band, "hi");
        }
        return RR.embed(container, index.shapes.lines, made.rows, o.titles, { runs: named, band: made.band, raw: raw });
      });
  }

  /* The table of the groups of ``rows`` (every run shown): runs, and each metric's mean ±
     standard deviation of the value the table shows. */
  function table(rows) {
    var box = document.getElementById("group-table");
    box.textContent = "";
    if (!on()) { box.hidden = true; return; }
    box.hidden = false;
    var k = RR.STATS.indexOf(document.getElementById("stat-switch").value);
    var metrics = Array.prototype.map.call(document.querySelectorAll("#run-table thead th.metric"), function (th) { return th.textContent.trim(); });
    var head = el("tr");
    ["Group", "Runs"].concat(metrics).forEach(function (t) { head.appendChild(el("th", { scope: "col" }, t)); });
    box.appendChild(el("thead")).appendChild(head);
    var body = box.appendChild(el("tbody"));
    groupsOf(rows).forEach(function (g) {
      var tr = body.appendChild(el("tr"));
      tr.appendChild(el("td", null, g.label));
      tr.appendChild(el("td", { "class": "num" }, String(g.rows.length)));
      metrics.forEach(function (m, i) {
        var vs = g.rows.map(function (r) { return r.cells[i] ? r.cells[i][k] : null; })
          .filter(function (v) { return typeof v === "number" && isFinite(v); });
        var text = !vs.length ? "" : vs.length < 2 ? +vs[0].toPrecision(4) + ""
          : +mean(vs).toPrecision(4) + " ± " + +sd(vs).toPrecision(2);
        tr.appendChild(el("td", { "class": "num" }, text));
      });
    });
  }

  /* The controls: the params (from the table's head), those named like a seed left out. */
  function setup(changed) {
    var list = document.getElementById("group-params");
    if (!list) return;
    params = Array.prototype.map.call(document.querySelectorAll("#run-table thead th.param"), function (th) {
      return { k: +th.getAttribute("data-key").slice(1), name: th.textContent.trim() };
    });
    params.forEach(function (p) {
      chosen[p.k] = !SEED_LIKE.test(p.name);
      var li = el("li"), box = el("input", { type: "checkbox", id: "group-p" + p.k });
      box.checked = chosen[p.k];
      box.addEventListener("change", function () { chosen[p.k] = box.checked; changed(); });
      li.appendChild(box);
      li.appendChild(el("label", { "for": "group-p" + p.k }, p.name));
      list.appendChild(li);
    });
    ["group-on", "group-line", "group-band"].forEach(function (id) {
      document.getElementById(id).addEventListener("change", changed);
    });
  }

  /* What the chart note says of the groups, and the key for redrawing. */
  function describe() {
    var by = params.filter(function (p) { return chosen[p.k]; }).map(function (p) { return p.name; });
    document.getElementById("group-by-names").textContent = by.length ? by.join(", ") : "nothing (all runs in one)";
    return "groups by " + (by.length ? by.join(", ") : "nothing") + ": " + document.getElementById("group-line").value +
      " line, " + document.getElementById("group-band").selectedOptions[0].textContent + " band";
  }

  RR.groups = { setup: setup, on: on, draw: draw, table: table, describe: describe, MAX_RUNS: MAX_RUNS, SEED_LIKE: SEED_LIKE,
                generator: generator, bootstrap: bootstrap };
})();
