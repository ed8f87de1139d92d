/* runreport: an experiment page's params against a metric (needs common.js, sweep.js and
   experiment.js): the numeric params ranked by their Spearman correlation with the metric over
   the runs the table shows, and a scatter of a param (or metric) against the metric, coloured
   by a third, drawn with the experiment's scatter shape (runreport.charts). Clicking a point
   ticks its run. User text is only ever set with textContent. */
(function () {
  "use strict";

  var RR = window.RR, el = RR.el;
  var WAIT_MS = 200;  /* after the last change to the table before this follows it */
  var DECADES = 2;  /* a positive axis spanning this many powers of ten is drawn on a log scale */
  var state = { rows: [], stat: "last", heads: null, timer: null, logTouched: false, shapes: null, importance: null };

  /* The value of column ``col`` ("p3": the 4th param, "m0": the first metric; its ``stat``,
     else the one shown) of ``row`` as a number, or null (params are kept as text: "0.001", "adam"). */
  function value(row, col, stat) {
    var k = +col.slice(1);
    if (col[0] === "p") {
      var p = row.params[k];
      if (p === null || p === undefined || String(p).trim() === "") return null;
      var n = Number(p);
      return isFinite(n) ? n : null;
    }
    var c = row.cells[k], v = c ? c[RR.STATS.indexOf(stat || state.stat)] : null;
    return typeof v === "number" && isFinite(v) ? v : null;
  }

  function text(row, col) {
    var k = +col.slice(1);
    if (col[0] === "p") return row.params[k] === null || row.params[k] === undefined ? "(none)" : String(row.params[k]);
    var v = value(row, col);
    return v === null ? "(none)" : String(+v.toPrecision(4));
  }

  /* Ranks of ``xs`` (1 = smallest), ties given their mean rank. */
  function ranks(xs) {
    var idx = xs.map(function (_, i) { return i; }).sort(function (a, b) { return xs[a] - xs[b]; });
    var out = new Array(xs.length);
    for (var i = 0; i < idx.length;) {
      var j = i;
      while (j + 1 < idx.length && xs[idx[j + 1]] === xs[idx[i]]) j++;
      for (var k = i; k <= j; k++) out[idx[k]] = (i + j) / 2 + 1;
      i = j + 1;
    }
    return out;
  }

  /* Spearman's rank correlation of paired ``xs`` and ``ys`` (Pearson's on their ranks), or
     null when either does not vary or there are fewer than 3 pairs. */
  function spearman(xs, ys) {
    if (xs.length < 3) return null;
    var rx = ranks(xs), ry = ranks(ys), n = xs.length, mx = (n + 1) / 2, sxy = 0, sxx = 0, syy = 0;
    for (var i = 0; i < n; i++) {
      sxy += (rx[i] - mx) * (ry[i] - mx); sxx += (rx[i] - mx) * (rx[i] - mx); syy += (ry[i] - mx) * (ry[i] - mx);
    }
    return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : null;
  }

  /* Pairs of (column, metric) numbers over ``rows``, rows lacking either left out. */
  function pairs(rows, col, metric) {
    var xs = [], ys = [];
    rows.forEach(function (row) {
      var x = value(row, col), y = value(row, metric);
      if (x !== null && y !== null) { xs.push(x); ys.push(y); }
    });
    return { xs: xs, ys: ys };
  }

  /* The params ranked by |ρ| with ``metric``: [{name, rho, n}] (params with no numeric value
     among the rows last, rho null). */
  function ranking(rows, metric) {
    return state.heads.params.map(function (p) {
      var xy = pairs(rows, p.col, metric);
      return { name: p.name, col: p.col, rho: spearman(xy.xs, xy.ys), n: xy.xs.length };
    }).sort(function (a, b) {
      return (b.rho === null ? -1 : Math.abs(b.rho)) - (a.rho === null ? -1 : Math.abs(a.rho));
    });
  }

  function fillSelect(select, options, chosen) {
    select.textContent = "";
    options.forEach(function (o) {
      var opt = el("option", { value: o.col }, o.name);
      if (o.col === chosen) opt.selected = true;
      select.appendChild(opt);
    });
  }

  /* A name fit for a chart's title (as runreport.charts._title makes them): Vega compiles
     tooltip titles into expressions, where control characters and U+2028/U+2029 end a string. */
  function title(text) {
    var clean = String(text).replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, " ");
    return clean.length <= 120 ? clean : clean.slice(0, 119) + "\u2026";
  }

  function rho(r) { return r === null ? "—" : (r < 0 ? "\u2212" : "") + Math.abs(r).toFixed(2); }

  function showRanking(list, metric) {
    var body = document.getElementById("rank-table").tBodies[0];
    var found = state.importance && state.importance.by_metric[metric], note = document.getElementById("rel-importance");
    document.querySelector("#rank-table th.importance").hidden = note.hidden = !found;
    note.textContent = found ? "Importance: " + state.importance.method + ". Over every run of the experiment, " +
      "as built: it does not follow the filter." : "";
    body.textContent = "";
    list.forEach(function (r) {
      var tr = el("tr");
      tr.appendChild(el("td", null, r.name));
      var td = el("td", { "class": "num" }, r.rho !== null ? rho(r.rho) : r.n ? "— (constant)" : "— (not numeric)");
      if (r.rho !== null) {
        var bar = el("span", { "class": "rho-bar " + (r.rho < 0 ? "neg" : "pos"), "aria-hidden": "true" });
        bar.style.width = Math.round(Math.abs(r.rho) * 60) + "px";
        td.insertBefore(bar, td.firstChild);
      }
      tr.appendChild(td);
      tr.appendChild(el("td", { "class": "num" }, String(r.n)));
      if (found) {
        var imp = found[+r.col.slice(1)];
        tr.appendChild(el("td", { "class": "num" }, imp === null || imp === undefined ? "—" : String(+imp.toPrecision(3))));
      }
      body.appendChild(tr);
    });
  }

  function draw() {
    var box = document.getElementById("relations");
    var metric = document.getElementById("rel-metric").value, xcol = document.getElementById("rel-x").value;
    var ccol = document.getElementById("rel-colour").value;
    var list = ranking(state.rows, metric), top = list[0];
    var mname = state.heads.byCol[metric];
    document.getElementById("rel-summary").textContent = top && top.rho !== null
      ? "(strongest with " + mname + ": " + top.name + ", \u03c1 = " + rho(top.rho) + ")"
      : "(no numeric param varies with " + mname + ")";
    if (!box.open) return;
    showRanking(list, metric);
    var rows = [], xs = [];
    var nominal = ccol && state.rows.some(function (row) { return value(row, ccol) === null && text(row, ccol) !== "(none)"; });
    state.rows.forEach(function (row) {
      var x = value(row, xcol), y = value(row, metric);
      if (x === null || y === null) return;
      var r = { x: x, y: y, series: row.title, run: row.slug };
      if (ccol) r.c = nominal ? text(row, ccol) : value(row, ccol);
      rows.push(r);
      xs.push(x);
    });
    var log = document.getElementById("rel-log");
    if (!state.logTouched) {
      var lo = Math.min.apply(null, xs), hi = Math.max.apply(null, xs);
      log.checked = xs.length > 1 && lo > 0 && hi / lo >= Math.pow(10, DECADES);
    }
    var container = document.getElementById("rel-chart");
    var spec = JSON.parse(JSON.stringify(state.shapes[nominal ? "scatter_nominal" : "scatter"]));
    if (log.checked) spec.encoding.x.scale = { type: "log" };  /* ("zero" does not apply) */
    if (!ccol) {
      delete spec.encoding.color;
      spec.encoding.tooltip = spec.encoding.tooltip.filter(function (t) { return t.field !== "c"; });
    } else {
      spec.encoding.color.title = title(state.heads.byCol[ccol]);
      spec.encoding.tooltip.forEach(function (t) { if (t.field === "c") t.title = title(state.heads.byCol[ccol]); });
    }
    document.getElementById("rel-count").textContent = rows.length + " of " + state.rows.length +
      " runs shown have both values";
    RR.sweep.vega().then(function () {
      return RR.embed(container, spec, rows, [title(state.heads.byCol[xcol]), title(mname)]);
    }).then(function (result) {
      if (!result || !result.view) return;
      result.view.addEventListener("click", function (event) {
        var run = pointAt(container, result.view, event);
        if (run) RR.picks.toggle(run);
      });
    });
  }

  /* The run of the point nearest a click, within NEAR_PX (a point need not be hit), or null. */
  var NEAR_PX = 10;
  function pointAt(container, view, event) {
    var at = RR.sweep.plotXY(container, view, event), px = at[0], py = at[1];
    var sx = view.scale("x"), sy = view.scale("y"), best = null, dist = NEAR_PX * NEAR_PX;
    view.data("data").forEach(function (d) {
      var dx = sx(d.x) - px, dy = sy(d.y) - py;
      if (dx * dx + dy * dy < dist) { dist = dx * dx + dy * dy; best = d.run; }
    });
    return best;
  }

  function later() {
    window.clearTimeout(state.timer);
    state.timer = window.setTimeout(draw, WAIT_MS);
  }

  /* Called by experiment.js whenever the table is drawn: ``rows`` those shown, ``stat`` the
     value shown of each metric. */
  function update(rows, stat) {
    state.rows = rows;
    state.stat = stat;
    if (!state.heads) setup();
    if (state.heads && state.heads.metrics.length) later();
  }

  /* The selects, from the table's columns: the metric (the first key metric charted), x (the
     param ranked first, else a metric) and the colour (none at first). */
  function setup() {
    var box = document.getElementById("relations");
    var data = RR.data("experiments/" + document.body.getAttribute("data-experiment"));
    var heads = { params: [], metrics: [], byCol: {} };
    document.querySelectorAll("#run-table thead th[data-key]").forEach(function (th) {
      var col = th.getAttribute("data-key"), name = th.textContent.trim();
      if (/^p\d+$/.test(col)) heads.params.push({ col: col, name: name });
      else if (/^m\d+$/.test(col)) heads.metrics.push({ col: col, name: name });
      else return;
      heads.byCol[col] = name;
    });
    state.heads = heads;
    if (!box || !heads.metrics.length || !data.key_charts || !data.key_charts.shapes.scatter) {
      if (box) box.hidden = true;
      return;
    }
    state.shapes = data.key_charts.shapes;  /* (a big table's file of every row has none) */
    state.importance = data.key_charts.importance || null;  /* runreport.importance */
    var first = data.key_charts.cells.filter(function (c) { return c !== null; })[0];
    var metric = "m" + (first === undefined ? 0 : first);
    fillSelect(document.getElementById("rel-metric"), heads.metrics, metric);
    var ranked = ranking(state.rows, metric).filter(function (r) { return r.rho !== null; })[0];
    var xcol = ranked ? heads.params.filter(function (p) { return p.name === ranked.name; })[0].col
      : heads.metrics.filter(function (m) { return m.col !== metric; }).concat(heads.metrics)[0].col;
    var numeric = heads.params.filter(function (p) {  /* only numbers go on the x axis */
      return state.rows.some(function (row) { return value(row, p.col) !== null; });
    });
    fillSelect(document.getElementById("rel-x"), numeric.concat(heads.metrics), xcol);
    fillSelect(document.getElementById("rel-colour"), [{ col: "", name: "none" }].concat(heads.params), "");
    ["rel-metric", "rel-x", "rel-colour"].forEach(function (id) {
      document.getElementById(id).addEventListener("change", function () { state.logTouched = false; draw(); });
    });
    document.getElementById("rel-log").addEventListener("change", function () { state.logTouched = true; draw(); });
    box.addEventListener("toggle", function () { if (box.open) draw(); });
    box.hidden = false;
  }

  /* for parcoords.js: a row's value of a column as a number (or null), the table's columns
     ({params, metrics: [{col, name}], byCol}), a name fit for a chart's title, and the
     experiment's chart shapes */
  RR.relations = { update: update, spearman: spearman, value: value, title: title,
                   heads: function () { return state.heads; }, shapes: function () { return state.shapes; } };
})();
