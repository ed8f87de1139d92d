/* runreport site script, common to every page: data files, chart drawing, CSV downloads and
   live reloads; each page kind adds its own script (run.js, experiment.js, compare.js), which
   registers its setup with RR.page(name, setup).
   Works from file:// (data comes from <script> files, never fetch) and needs no network.
   User text is only ever set with textContent, never parsed as HTML. */
(function () {
  "use strict";

  var body = document.body;
  var ROOT = body.getAttribute("data-root") || "";
  var STATS = ["last", "min", "max"];

  function data(key) {
    return (window.RR_DATA || {})[key];
  }

  /* A run's name: from the site index where the page loads it, else from the run page. */
  function runLabel(slug) {
    var index = data("index");
    if (index && index.runs[slug]) return index.runs[slug].name;
    if (body.getAttribute("data-run") === slug) return body.getAttribute("data-run-name") || slug;
    return slug;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    }
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src;
      s.onload = function () { resolve(); };
      s.onerror = function () { reject(new Error("cannot load " + src)); };
      document.head.appendChild(s);
    });
  }

  var loading = {};  /* a run's data file, by slug, while it loads: loaded once */
  function loadRuns(slugs) {
    return Promise.all(slugs.map(function (slug) {
      return data("runs/" + slug) ? Promise.resolve() : loading[slug] || (loading[slug] = loadScript(ROOT + "data/runs/" + encodeURIComponent(slug) + ".js"));
    }));
  }

  /* ---- charts ---------------------------------------------------------------------- */

  function countMarks(node) {
    var n = 0;
    (function walk(item) {
      if (!item) return;
      if (item.marktype && item.role === "mark") n += (item.items || []).length;
      (item.items || []).forEach(walk);
    })(node);
    return n;
  }

  /* A data file's column (see runreport.encoding.encode_column): a JSON list, an even integer
     range, or little-endian int32/float32/float64 in base64. NaN becomes null (a gap). */
  function decodeColumn(col) {
    if (!col || Array.isArray(col)) return col || null;
    var i, out;
    if (col.labels) {
      out = [];
      col.labels.forEach(function (label, k) { for (i = 0; i < col.counts[k]; i++) out.push(label); });
      return out;
    }
    out = decodeNumbers(col);
    for (i = 0; i < out.length; i++) {
      var v = out[i];
      /* float32 to 7 significant digits, as stored: 0.1 shows as 0.1, not 0.100000001 */
      out[i] = v !== v ? null : (col.f32 ? +v.toPrecision(7) : v);
    }
    return out;
  }

  /* A full-resolution column (runreport.encoding.encode_exact), exactly: its compressed form
     is inflated by the browser's own DecompressionStream (no library, works from file://). */
  function decodeExact(col) {
    if (!col || !col.z) return Promise.resolve(decodeNumbers(col));
    var text = atob(col.z), packed = new Uint8Array(text.length), i, b;
    for (i = 0; i < text.length; i++) packed[i] = text.charCodeAt(i);
    var inflated = new Blob([packed]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(inflated).arrayBuffer().then(function (buffer) {
      var planes = new Uint8Array(buffer), n = col.n, bytes = new Uint8Array(n * 8);
      for (b = 0; b < 8; b++) for (i = 0; i < n; i++) bytes[i * 8 + b] = planes[b * n + i];
      if (col.t === "f64") return Array.prototype.slice.call(new Float64Array(bytes.buffer));
      var steps = new BigInt64Array(bytes.buffer), out = new Array(n), sum = 0;
      for (i = 0; i < n; i++) { sum += Number(steps[i]); out[i] = sum; }
      return out;
    });
  }

  /* A numeric column exactly as stored (NaN kept). */
  function decodeNumbers(col) {
    var i, out;
    if (col.n !== undefined) {
      out = new Array(col.n);
      for (i = 0; i < col.n; i++) out[i] = col.start + i * col.step;
      return out;
    }
    var text = atob(col.i32 || col.f32 || col.f64);
    var bytes = new Uint8Array(text.length);
    for (i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    var typed = col.i32 ? new Int32Array(bytes.buffer)
      : (col.f32 ? new Float32Array(bytes.buffer) : new Float64Array(bytes.buffer));
    return Array.prototype.slice.call(typed);
  }

  function columns(chart) {
    if (!chart.decoded) {
      chart.decoded = { x: decodeColumn(chart.x), y: decodeColumn(chart.y),
                        v: decodeColumn(chart.v), series: decodeColumn(chart.series) };
    }
    return chart.decoded;
  }

  /* Rows of a chart's points (``keep``: the indices to take; default all). */
  function rowsOf(chart, label, keep) {
    var c = columns(chart);
    var n = keep ? keep.length : c.x.length;
    var rows = new Array(n);
    for (var k = 0; k < n; k++) {
      var i = keep ? keep[k] : k;
      var series = c.series ? c.series[i] : null;
      rows[k] = {
        x: c.x[i],
        y: c.y[i],
        v: c.v ? c.v[i] : null,
        series: label === null ? series : (series === null ? label : label + " · " + series)
      };
    }
    return rows;
  }

  /* A chart's spec: a copy of its shape's template with the chart's x and y titles where the
     template holds "\u0000x" and "\u0000y" (charts.spec_template; no title can be either). */
  function embed(container, spec, rows, titles, extra) {
    extra = extra || {};
    if (container.rrView) { container.rrView.finalize(); container.rrView = null; }
    var full = JSON.parse(JSON.stringify(spec), titles && function (key, value) {
      return value === "\u0000x" ? titles[0] : value === "\u0000y" ? titles[1] : value;
    });
    full.datasets = Object.assign({ data: rows, raw: extra.raw || [], lone: window.RR.axes ? window.RR.axes.lone(rows) : [], clipped: [], band: extra.band || [] }, extra.datasets);
    if (extra.runs) window.RR.styleRuns(full, extra.runs, extra.dashBy, container.clientWidth);  /* colours.js */
    var range = window.RR.zoom ? window.RR.zoom.rangeOf(container) : null;  /* zoom.js */
    if (window.RR.axes) window.RR.axes.apply(full, rows, full.datasets.raw, range);  /* axes.js */
    if (extra.mapped) window.RR.xaxis.apply(full, range, rows);  /* xaxis.js */
    else if (extra.order) window.RR.axes.order(full, extra.order, range, container.clientWidth);
    /* a layer with nothing to draw (no smoothing, no lone or clipped point) is left out (Vega
       warns of the empty extents of its data) */
    if (full.layer) {
      full.layer = full.layer.filter(function (l) {
        return !(l.data && full.datasets[l.data.name] && !full.datasets[l.data.name].length);
      });
    }
    container.rrXFormat = extra.mapped ? window.RR.xaxis.format : null;
    scaleHeights(full, window.RR.sizeFactor ? window.RR.sizeFactor() : 1);
    var opts = {
      actions: { export: true, source: false, compiled: false, editor: false },
      ast: true,  /* vega-embed then evaluates expressions without eval: no 'unsafe-eval' */
      renderer: "canvas",
      downloadFileName: fileStem(container),
      patch: function (vg) {  /* axes.js */
        return window.RR.axes ? window.RR.axes.lighten(vg, !!(full.usermeta && full.usermeta.rrNoGaps)) : vg;
      }
    };
    if (window.RR_THEME && window.RR_THEME.isDark()) {  /* vega-themes dark, page background */
      opts.theme = "dark";
      opts.config = { background: null };
    }
    return window.vegaEmbed(container, full, opts).then(function (result) {
      if (extra.runs) window.RR.linkPicks(container, result.view);
      if (window.RR.hover && (full.layer || []).some(function (l) { return l.name === "main"; })) {
        window.RR.hover(container, result.view, titles || ["x", "y"], lineColour(result.view, full));
        if (window.RR.zoom) window.RR.zoom.attach(container, result.view);
      }
      restoreSelection(container, result.view);
      container.setAttribute("data-marks", String(countMarks(result.view.scenegraph().root)));
      container.rrView = result.view;  /* for the browser tests and the curious */
      return result;
    }).catch(function (err) {
      container.setAttribute("data-marks", "error");
      container.textContent = "This chart could not be drawn: " + err.message;
      console.error(err);
    });
  }

  /* The name a chart's PNG or SVG file is saved under: its run (or comparison) and metric. */
  function fileStem(container) {
    var metric = container.getAttribute("data-metric") || container.getAttribute("data-together");
    var runs = container.getAttribute("data-compare") || container.getAttribute("data-together-runs") ||
      container.getAttribute("data-overlay");
    var text = metric !== null ? runLabel(container.getAttribute("data-run") || "") + "-" + metric
      : (container.getAttribute("data-stem") || (document.getElementById("compare-charts") ? "compare-" : "child-runs-")) + (runs || "chart");
    return csvName(text).slice(0, -4);
  }

  /* The colour of a line chart's line of a label (hover.js). */
  function lineColour(view, spec) {
    var scale = null;
    try { scale = view.scale("color"); } catch (e) { /* one line */ }
    var one = (spec.encoding.color || {}).value || "#4c78a8";
    return function (label) { return scale ? scale(label) : one; };
  }

  function scaleHeights(spec, factor) {
    if (typeof spec.height === "number") spec.height = Math.round(spec.height * factor);
    (spec.vconcat || []).forEach(function (part) { scaleHeights(part, factor); });
  }

  /* The chart of ``metric`` over ``rows`` of several runs: its overlay in the site index
     (``group``: metrics drawn together, overlays.js, shown as the first one's, named for all). */
  function embedOverlay(container, index, metric, rows, group) {
    var o = index.overlays[metric], titles = window.RR.xaxis.titles(o.titles, rows.mapped, rows.unmapped);
    if (group) titles = [titles[0], group.name];
    return embed(container, index.shapes[o.shape], rows, titles,
      { runs: rows.runs, raw: rows.raw, mapped: rows.mapped, dashBy: group ? group.members : null });
  }

  /* Draws again the charts drawn so far that ``which`` picks (default all); the others are
     drawn, with the page's settings, when they come into view. */
  function redrawCharts(which) {
    var drawn = [];
    document.querySelectorAll(".chart").forEach(function (c) {
      if (c.rrView && c.rrDraw && (!which || which(c))) drawn.push(c.rrDraw());
    });
    return Promise.all(drawn);
  }

  /* A test of text: a case-insensitive regular expression, or the text when it is not one (bad). */
  function matcher(text) {
    try {
      var re = new RegExp(text, "i");
      return { test: function (name) { return re.test(name); }, bad: false };
    } catch (e) {
      var low = text.toLowerCase();
      return { test: function (name) { return name.toLowerCase().indexOf(low) >= 0; }, bad: true };
    }
  }

  /* ---- CSV of what a chart plots, made in the browser (no request, works from file://) -- */

  function csvCell(value) {
    if (value === null || value === undefined) return "";
    var text = String(value);
    if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = "'" + text;
    return /[",\n\r]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function downloadCsv(rows, columns, name) {
    var lines = [columns.join(",")].concat(rows.map(function (r) {
      return columns.map(function (c) { return csvCell(r[c]); }).join(",");
    }));
    saveText(lines.join("\n") + "\n", name);
  }

  function csvName(text) {
    return String(text).replace(/[^A-Za-z0-9._-]+/g, "-").slice(0, 80) + ".csv";
  }

  /* "CSV, every point": the run's full-resolution data file is loaded only now. Numbers are
     printed as the shortest text that reads back as the same double (JavaScript's own
     number-to-text, which differs from Python's repr only in how it writes exponents). */
  function exactCell(v) {
    if (v !== v) return "NaN";
    if (v === Infinity) return "inf";
    if (v === -Infinity) return "-inf";
    return String(v);
  }

  /* A run's full-resolution data file, loaded once (RR_DATA["full/" + slug]). */
  function loadFull(slug) {
    return data("full/" + slug) ? Promise.resolve()
      : loadScript(ROOT + "data/full/" + encodeURIComponent(slug) + ".js");
  }

  function downloadFull(slug, metric) {
    var name = csvName(runLabel(slug) + "-" + metric + "-every-point");
    return loadFull(slug).then(function () {
      var full = (data("full/" + slug) || {})[metric];
      if (!full) throw new Error("no data for " + metric);
      if (full.csv !== undefined) return saveText(full.csv, name);
      return Promise.all(full.data.map(decodeExact)).then(function (cols) {
        var n = cols.length ? cols[0].length : 0;
        var lines = new Array(n + 1);
        lines[0] = full.columns.map(csvCell).join(",");
        for (var i = 0; i < n; i++) {
          lines[i + 1] = cols.map(function (c) { return exactCell(c[i]); }).join(",");
        }
        saveText(lines.join("\n") + "\n", name);
      });
    });
  }

  function saveText(text, name) {
    var url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
    var a = el("a", { href: url, download: name });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  document.addEventListener("click", function (event) {
    var a = event.target.closest ? event.target.closest("a.csv-full") : null;
    if (!a) return;
    event.preventDefault();
    downloadFull(a.getAttribute("data-run"), a.getAttribute("data-metric")).catch(function (err) {
      console.error(err);
    });
  });

  /* Draw a chart when it comes near the viewport, so long pages open fast. */
  var pending = new Map();
  var observer = ("IntersectionObserver" in window) ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (!entry.isIntersecting) return;
      var draw = pending.get(entry.target);
      observer.unobserve(entry.target);
      pending.delete(entry.target);
      if (draw) draw();
    });
  }, { rootMargin: "300px" }) : null;

  function lazily(container, draw) {
    if (!observer) { draw(); return; }
    pending.set(container, draw);
    observer.observe(container);
  }

  /* ---- live pages (runreport serve): reload when the site changes, keeping the reader's
     place: scroll position, the runs picked, the stat shown, the runs highlighted in charts - */

  var LIVE_KEY = "runreport-live:" + location.pathname + location.hash;
  var saved = null;

  function chartKey(container) {
    return ["data-run", "data-metric", "data-compare", "data-overlay", "data-together", "data-together-runs"].map(function (a) {
      return container.getAttribute(a) || "";
    }).join("|");
  }

  function saveState() {
    var state = { x: window.scrollX, y: window.scrollY, picks: [], stat: null, selections: {} };
    if (window.RR.picks) state.picks = window.RR.picks.get();  /* a table that draws some rows */
    else document.querySelectorAll("input.pick:checked").forEach(function (box) { state.picks.push(box.value); });
    var stat = document.getElementById("stat-switch");
    if (stat) state.stat = stat.value;
    document.querySelectorAll(".chart").forEach(function (container) {
      if (!container.rrView) return;
      try {
        var store = container.rrView.data("pick_store");
        if (store && store.length) state.selections[chartKey(container)] = store;
      } catch (e) { /* a chart without a legend selection */ }
    });
    try { sessionStorage.setItem(LIVE_KEY, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }

  function loadState() {
    try {
      saved = JSON.parse(sessionStorage.getItem(LIVE_KEY) || "null");
      sessionStorage.removeItem(LIVE_KEY);
    } catch (e) { saved = null; }
    if (!saved) return;
    var stat = document.getElementById("stat-switch");
    if (stat && saved.stat) {
      stat.value = saved.stat;
      stat.dispatchEvent(new Event("change"));
    }
    if (window.RR.picks) window.RR.picks.set(saved.picks);
    else saved.picks.forEach(function (slug) {
      document.querySelectorAll("input.pick").forEach(function (box) {
        if (box.value === slug && !box.checked) box.click();
      });
    });
    window.scrollTo(saved.x, saved.y);
  }

  function restoreSelection(container, view) {
    var store = saved && saved.selections[chartKey(container)];
    if (!store) return;
    try { view.data("pick_store", store).run(); } catch (e) { /* the chart changed shape */ }
  }

  function setupLive() {
    if (!body.hasAttribute("data-live")) return;
    var first = window.RR_LIVE;
    window.setInterval(function () {
      var s = document.createElement("script");
      s.src = ROOT + "data/live.js?t=" + Date.now();
      s.onload = function () {
        s.remove();
        if (window.RR_LIVE !== first) {
          saveState();
          location.reload();
        }
      };
      s.onerror = function () { s.remove(); };  /* the server is rebuilding or gone: try again */
      document.head.appendChild(s);
    }, 2000);
  }

  /* Page scripts register their setup here; it runs once the page is parsed (every script is
     deferred, so every page script has registered by then), before live reloads start. */
  var pages = {};

  function start() {
    var setup = pages[body.getAttribute("data-page")];
    if (setup) setup();
    if (body.hasAttribute("data-live")) {
      loadState();
      setupLive();
    }
  }

  window.RR = {
    ROOT: ROOT,
    STATS: STATS,
    data: data,
    runLabel: runLabel,
    el: el,
    loadRuns: loadRuns,
    loadScript: loadScript,
    columns: columns,
    rowsOf: rowsOf,
    decodeExact: decodeExact,
    loadFull: loadFull,
    embed: embed,
    embedOverlay: embedOverlay,
    lazily: lazily,
    redrawCharts: redrawCharts,
    downloadCsv: downloadCsv,
    csvCell: csvCell,
    matcher: matcher,
    naturalOrder: new Intl.Collator("en", { numeric: true, sensitivity: "base" }).compare,  /* run-2, run-10 */
    saveText: saveText,
    csvName: csvName,
    page: function (name, setup) { pages[name] = setup; }
  };

  if (document.readyState === "complete") start();
  else document.addEventListener("DOMContentLoaded", start);
})();
