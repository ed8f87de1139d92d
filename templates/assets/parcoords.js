/* runreport: an experiment page's parallel coordinates (needs common.js, sweep.js, groups.js,
   relations.js and experiment.js): an axis per param that varies among the runs the filter
   keeps (not those named like a seed, which groups.js leaves out too) and one for the metric
   chosen for the scatter, a line per run in its colour (the "parallel" shape of
   runreport.chartshapes). Dragging along an axis brushes it: the runs outside every brush
   leave the run table, the charts and the pivot, and are drawn grey here; a click on an axis
   clears its brush. The form below the chart brushes from the keyboard. The pointer over a
   line names its run, and a click ticks it. User text is only ever set with textContent. */
(function () {
  "use strict";

  var RR = window.RR, el = RR.el;
  var WAIT_MS = 200;  /* after the last change to the table before this follows it */
  var MAX_PARAMS = 12;  /* param axes at most (the metric's besides) */
  var MAX_CATEGORIES = 30;  /* a param of more distinct texts than this gets no axis */
  var LABELS = 12;  /* categories labelled on an axis at most (else its ends) */
  var DECADES = 2;  /* a positive axis spanning this many powers of ten is on a log scale */
  var NEAR_PX = 24;  /* a drag this near an axis brushes it */
  var FEW = 100;  /* lines drawn 2 px wide up to this many */
  var NEAR_LINE_PX = 8;  /* the pointer this near a line names its run; a click ticks it */
  /* brushes by column ("p3"): {lo, hi} in the param's own numbers, or {cats: [texts]} */
  var brushes = {}, names = {};
  var state = { filtered: [], shown: [], picks: [], axes: [], lines: [], timer: null, refilter: null, view: null };

  function fmt(v) { return String(+v.toPrecision(4)); }

  /* An axis of column ``col`` over ``rows``: how a row's value is placed on it (``pos``: 0 to 1,
     or null), and its labels; null when it does not vary (a param) or cannot be drawn. */
  function axis(col, name, rows, always) {
    var value = RR.relations.value, nums = [], texts = Object.create(null), numeric = true, k = +col.slice(1);
    rows.forEach(function (row) {
      var v = value(row, col), raw = col[0] === "p" ? row.params[k] : null;
      if (v !== null) nums.push(v);
      if (raw === null || raw === undefined || String(raw).trim() === "") return;
      texts[String(raw)] = 1;
      if (v === null) numeric = false;  /* a param with a text that is no number */
    });
    if (!numeric) {
      var cats = Object.keys(texts).sort(function (a, b) { return a.localeCompare(b, "en", { numeric: true }); });
      if (cats.length < 2 || cats.length > MAX_CATEGORIES) return null;
      var at = Object.create(null);
      cats.forEach(function (c, i) { at[c] = i / (cats.length - 1); });
      return { col: col, name: name, cats: cats,
               pos: function (row) { var t = String(row.params[k]); return t in at ? at[t] : null; },
               text: function (row) { var t = String(row.params[k]); return t in at ? t : "(none)"; },
               labels: cats.length <= LABELS ? cats.map(function (c) { return [at[c], c]; })
                 : [[0, cats[0]], [1, cats[cats.length - 1]]] };
    }
    if (!nums.length) return null;
    var lo = Math.min.apply(null, nums), hi = Math.max.apply(null, nums);
    if (lo === hi && !always) return null;
    var log = lo > 0 && hi / lo >= Math.pow(10, DECADES), f = log ? Math.log : function (v) { return v; };
    var a = f(lo), span = f(hi) - a;
    return { col: col, name: name + (log ? " (log)" : ""), lo: lo, hi: hi, log: log,
             pos: function (row) { var v = value(row, col); return v === null ? null : span ? (f(v) - a) / span : 0.5; },
             at: function (v) { return span ? (f(v) - a) / span : 0.5; },
             text: function (row) { var v = value(row, col); return v === null ? "(none)" : fmt(v); },
             from: function (p) { return log ? Math.exp(a + p * span) : a + p * span; },
             labels: lo === hi ? [[0.5, fmt(lo)]] : [[0, fmt(lo)], [0.5, fmt(log ? Math.exp(a + span / 2) : a + span / 2)], [1, fmt(hi)]] };
  }

  /* The axes over ``rows``: the params that vary (MAX_PARAMS at most), then the metric. */
  function axesOf(rows) {
    var heads = RR.relations.heads(), metric = document.getElementById("rel-metric").value, out = [];
    heads.params.forEach(function (p) {
      if (out.length >= MAX_PARAMS || RR.groups.SEED_LIKE.test(p.name)) return;
      var a = axis(p.col, p.name, rows, false);
      if (a) out.push(a);
    });
    var m = axis(metric, heads.byCol[metric], rows, true);
    return m ? out.concat([m]) : out;
  }

  /* Whether ``row`` is within every brush (its metrics' ``stat``: the value shown). */
  function within(row, stat) {
    for (var col in brushes) {
      var b = brushes[col], v;
      if (b.cats) {
        v = row.params[+col.slice(1)];
        if (b.cats.indexOf(String(v)) < 0) return false;
      } else {
        v = RR.relations.value(row, col, stat);
        if (v === null || v < b.lo || v > b.hi) return false;
      }
    }
    return true;
  }

  /* ``rows`` within every brush (``rows`` itself when there is none): experiment.js's filter. */
  function keep(rows, stat) {
    return Object.keys(brushes).length ? rows.filter(function (row) { return within(row, stat); }) : rows;
  }

  /* Each of ``rows`` with its place on each of ``axes`` (null where it has no value). */
  function placed(rows, axes) {
    return rows.map(function (row) { return { row: row, at: axes.map(function (a) { return a.pos(row); }) }; });
  }

  /* The points of ``lines`` (from ``placed``), each line ended by a point with no y (as is a
     value a run lacks; ``d`` false): the shape draws a path per colour, in the order of ``v``. */
  function points(lines) {
    var out = [];
    lines.forEach(function (line) {
      var c = RR.runColour(line.row.slug), title = line.row.title, n = line.at.length;
      for (var i = 0; i < n; i++) out.push({ x: i, y: line.at[i], d: line.at[i] !== null, c: c, series: title, v: out.length });
      out.push({ x: n - 1, y: null, d: false, c: c, series: title, v: out.length });
    });
    return out;
  }

  /* The line (from ``placed``) passing nearest the plot's point (px, py), within NEAR_LINE_PX
     at that x, or null. */
  function lineAt(px, py) {
    var view = state.view, sx = view.scale("x"), sy = view.scale("y"), n = state.axes.length;
    var i = 0;
    while (i < n - 2 && px > sx(i + 1)) i++;
    var t = (px - sx(i)) / (sx(i + 1) - sx(i)), best = null, dist = NEAR_LINE_PX;
    if (t < -0.1 || t > 1.1) return null;
    state.lines.forEach(function (line) {
      var a = line.at[i], b = line.at[i + 1];
      if (a === null || b === null) return;
      var d = Math.abs(sy(a + (b - a) * t) - py);
      if (d < dist) { dist = d; best = line; }
    });
    return best;
  }

  /* Over the chart, the name of the run whose line is nearest the pointer and its value on
     each axis, beside it. */
  function hover(container, tip, event) {
    var p = RR.sweep.plotXY(container, state.view, event), line = lineAt(p[0], p[1]);
    tip.hidden = !line;
    if (!line) return;
    tip.textContent = "";
    var head = tip.appendChild(el("div", { "class": "hover-row" }));
    var swatch = head.appendChild(el("span", { "class": "swatch" }));
    swatch.style.background = RR.runColour(line.row.slug);
    head.appendChild(el("span", { "class": "hover-label" }, line.row.title));
    state.axes.forEach(function (a) {
      var row = tip.appendChild(el("div", { "class": "hover-row" }));
      row.appendChild(el("span", { "class": "hover-x" }, a.name));
      row.appendChild(el("span", { "class": "hover-value" }, a.text(line.row)));
    });
    var host = container.getBoundingClientRect();
    tip.style.left = Math.min(event.clientX - host.left + 14, host.width - tip.offsetWidth - 4) + "px";
    tip.style.top = (event.clientY - host.top + 14) + "px";
  }

  /* The normalised span of brush ``b`` on axis ``a``. */
  function span(a, b) {
    if (b.cats) {
      var ps = b.cats.map(function (c) { return a.cats ? a.cats.indexOf(c) / (a.cats.length - 1) : -1; })
        .filter(function (p) { return p >= 0; });
      return ps.length ? [Math.min.apply(null, ps), Math.max.apply(null, ps)] : null;
    }
    if (a.cats) return null;
    return [Math.max(0, Math.min(1, a.at(Math.max(b.lo, a.lo)))), Math.max(0, Math.min(1, a.at(Math.min(b.hi, a.hi))))];
  }

  function brushRows(axes) {
    var out = [];
    axes.forEach(function (a, i) {
      var s = brushes[a.col] ? span(a, brushes[a.col]) : null;
      if (s) out.push({ x: i, lo: s[0], hi: s[1] });
    });
    return out;
  }

  function draw() {
    var box = document.getElementById("relations"), container = document.getElementById("pc-chart");
    showBrushes();
    if (!box.open || !container) return;
    var axes = axesOf(state.filtered), seen = {};
    state.axes = axes;
    fillAxes(axes);
    state.shown.forEach(function (row) { seen[row.slug] = 1; });
    var faded = state.filtered.filter(function (row) { return !seen[row.slug]; });
    var labels = [];
    axes.forEach(function (a, i) {
      labels.push({ x: i, y: 1, edge: "name", series: RR.relations.title(a.name) });
      a.labels.forEach(function (l) { labels.push({ x: i, y: l[0], edge: "value", series: RR.relations.title(l[1]) }); });
    });
    document.getElementById("pc-count").textContent = axes.length < 2 ? "Fewer than two axes to draw: no param varies."
      : state.shown.length + " of " + state.filtered.length + " runs within the brushes" +
        (faded.length ? " (the others grey)" : "") + "; " + axes.length + " axes";
    if (axes.length < 2) {
      if (container.rrView) { container.rrView.finalize(); container.rrView = state.view = null; }
      container.textContent = "";
      container.setAttribute("data-marks", "0");  /* drawn: nothing to draw */
      return;
    }
    state.lines = placed(state.shown, axes);
    var datasets = { faded: points(placed(faded, axes)), axes: labels, brush: brushRows(axes),
                     picked: points(state.lines.filter(function (l) { return state.picks.indexOf(l.row.slug) >= 0; })) };
    var spec = RR.relations.shapes().parallel;
    if (state.lines.length <= FEW) {  /* few lines: drawn bolder (many are hairlines, fast to draw) */
      spec = JSON.parse(JSON.stringify(spec));
      spec.layer.forEach(function (l) {
        if (l.data && l.data.name === "data") l.mark = Object.assign({}, l.mark, { strokeWidth: 2, opacity: 0.85 });
      });
    }
    RR.sweep.vega().then(function () {
      return RR.embed(container, spec, points(state.lines), ["x", "y"], { datasets: datasets });
    }).then(function (result) { state.view = result && result.view; });
  }

  /* The keyboard's brush form: its axis select lists the axes drawn. */
  function fillAxes(axes) {
    var select = document.getElementById("pc-axis"), was = select.value;
    select.textContent = "";
    axes.forEach(function (a) {
      var opt = el("option", { value: a.col }, a.name);
      names[a.col] = a.name;
      if (a.col === was) opt.selected = true;
      select.appendChild(opt);
    });
  }

  /* The brushes, listed: each a button that clears it. */
  function showBrushes() {
    var list = document.getElementById("pc-brushes");
    list.textContent = "";
    Object.keys(brushes).forEach(function (col) {
      var b = brushes[col], name = names[col] || col;
      var text = name + ": " + (b.cats ? b.cats.join(", ") : fmt(b.lo) + " to " + fmt(b.hi));
      var button = el("button", { type: "button", "aria-label": "Clear the brush on " + name }, "× " + text);
      button.addEventListener("click", function () { set(col, null); });
      list.appendChild(el("li")).appendChild(button);
    });
    document.getElementById("pc-clear").disabled = !Object.keys(brushes).length;
  }

  /* Sets (or, ``b`` null, clears) the brush on ``col``, and filters the table again. */
  function set(col, b) {
    if (b) brushes[col] = b;
    else delete brushes[col];
    if (state.refilter) state.refilter();
  }

  /* A brush of axis ``a`` over its normalised span [lo, hi]. */
  function brushOf(a, lo, hi) {
    if (a.cats) {
      var cats = a.cats.filter(function (c, i) { var p = i / (a.cats.length - 1); return p >= lo - 1e-9 && p <= hi + 1e-9; });
      return cats.length ? { cats: cats } : null;
    }
    return { lo: a.from(lo), hi: a.from(hi) };
  }

  /* Dragging along an axis brushes it (a box shows the span while dragging); a click on it
     clears its brush. Elsewhere, the run whose line is nearest the pointer is named beside
     it, and a click ticks it. */
  function attachDrag(container) {
    var drag = null, press = null, frame = 0;
    var box = el("div", { "class": "zoom-box", "aria-hidden": "true" }), tip = el("div", { "class": "hover-tip", role: "tooltip" });
    box.hidden = tip.hidden = true;
    function at(event) {
      var view = state.view, p = RR.sweep.plotXY(container, view, event);
      return { view: view, px: p[0], py: p[1], y: Math.max(0, Math.min(1, view.scale("y").invert(p[1]))) };
    }
    container.addEventListener("pointerdown", function (event) {
      var menu = event.target.closest ? event.target.closest("details") : null;  /* the ⋯ menu */
      if (!state.view || event.button !== 0 || (menu && container.contains(menu))) return;
      var p = at(event), sx = p.view.scale("x"), best = -1, dist = NEAR_PX;
      state.axes.forEach(function (a, i) { if (Math.abs(sx(i) - p.px) < dist) { dist = Math.abs(sx(i) - p.px); best = i; } });
      if (best < 0) { press = p; return; }
      drag = { i: best, y0: p.y, py0: p.py };
      tip.hidden = true;
      container.setPointerCapture(event.pointerId);
      event.preventDefault();
    });
    container.addEventListener("pointermove", function (event) {
      if (!state.view) return;
      if (!drag) {
        if (tip.parentNode !== container) container.appendChild(tip);
        window.cancelAnimationFrame(frame);
        frame = window.requestAnimationFrame(function () { if (state.view) hover(container, tip, event); });
        return;
      }
      var p = at(event), sy = p.view.scale("y"), sx = p.view.scale("x"), o = p.view.origin();
      var canvas = container.querySelector("canvas").getBoundingClientRect(), host = container.getBoundingClientRect();
      var top = Math.min(sy(drag.y0), sy(p.y)), left = canvas.left - host.left + o[0] + sx(drag.i);
      box.style.left = (left - 8) + "px";
      box.style.width = "16px";
      box.style.top = (canvas.top - host.top + o[1] + top) + "px";
      box.style.height = Math.abs(sy(drag.y0) - sy(p.y)) + "px";
      if (box.parentNode !== container) container.appendChild(box);
      box.hidden = false;
    });
    container.addEventListener("pointerleave", function () { window.cancelAnimationFrame(frame); tip.hidden = true; });
    container.addEventListener("pointerup", function (event) {
      var p = state.view ? at(event) : null, d = drag, down = press;
      drag = press = null;
      box.hidden = true;
      if (!p) return;
      if (down && Math.abs(p.px - down.px) < 4 && Math.abs(p.py - down.py) < 4) {  /* a click on a line */
        var line = lineAt(p.px, p.py);
        if (line) RR.picks.toggle(line.row.slug);
        return;
      }
      if (!d) return;
      var a = state.axes[d.i];
      if (Math.abs(p.py - d.py0) < 4) set(a.col, null);  /* a click on the axis */
      else set(a.col, brushOf(a, Math.min(d.y0, p.y), Math.max(d.y0, p.y)));
    });
  }

  /* The keyboard's brush: the axis chosen, from and to in its own numbers (or category names). */
  function brushFromForm(event) {
    event.preventDefault();
    var col = document.getElementById("pc-axis").value, a = state.axes.filter(function (x) { return x.col === col; })[0];
    var from = document.getElementById("pc-from").value.trim(), to = document.getElementById("pc-to").value.trim();
    var note = document.getElementById("pc-form-note");
    note.textContent = "";
    if (!a) return;
    if (a.cats) {
      var i = a.cats.indexOf(from), j = a.cats.indexOf(to);
      if (i < 0 || j < 0) { note.textContent = "Give two of: " + a.cats.join(", "); return; }
      set(col, { cats: a.cats.slice(Math.min(i, j), Math.max(i, j) + 1) });
      return;
    }
    var lo = from === "" ? a.lo : Number(from), hi = to === "" ? a.hi : Number(to);
    if (!isFinite(lo) || !isFinite(hi)) { note.textContent = "From and to are numbers (empty: the axis's end)."; return; }
    set(col, { lo: Math.min(lo, hi), hi: Math.max(lo, hi) });
  }

  function later() {
    window.clearTimeout(state.timer);
    state.timer = window.setTimeout(draw, WAIT_MS);
  }

  /* Called by experiment.js whenever the table is drawn: ``filtered`` the rows the filter
     keeps, ``shown`` those within the brushes too (in the table's order), ``picks`` the slugs
     of the runs ticked. */
  function update(filtered, shown, picks) {
    state.filtered = filtered;
    state.shown = shown;
    state.picks = picks;
    if (RR.relations.heads() && RR.relations.heads().metrics.length) later();
  }

  /* ``refilter``: experiment.js's, to call when the brushes change. */
  function setup(refilter) {
    var container = document.getElementById("pc-chart");
    if (!container) return;
    state.refilter = refilter;
    attachDrag(container);
    document.getElementById("pc-form").addEventListener("submit", brushFromForm);
    document.getElementById("pc-clear").addEventListener("click", function () { brushes = {}; refilter(); });
    document.getElementById("rel-metric").addEventListener("change", later);
    document.getElementById("relations").addEventListener("toggle", function () { if (this.open) draw(); });
  }

  /* How many axes are brushed (experiment.js's count of runs says so). */
  function count() { return Object.keys(brushes).length; }

  RR.parcoords = { setup: setup, update: update, keep: keep, count: count };
})();
