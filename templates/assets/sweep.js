/* runreport: an experiment page's charts (needs common.js, the chart scripts and
   experiment.js): its key metrics (the data file's ``key_charts``: those given a goal, else a few
   chosen by name, runreport.rules.key_metrics) overlaid across runs, each run in its colour
   (colours.js): the first CHART_RUNS runs the table shows, as sorted and filtered, that have
   any of them, and every ticked run. Clicking a line ticks its run's row and shows it; ticked
   runs are highlighted in every chart. Vega is loaded once the table is drawn, so the table
   never waits for it. */
(function () {
  "use strict";

  var RR = window.RR, el = RR.el;
  var CHART_RUNS = 20;
  var WAIT_MS = 250;  /* after the last change to the table before the charts follow it */
  var charts = null, cards = [], charted = "", vega = null, timer = null, picks = [], last = null;
  /* settled once every chart has been drawn the first time (or there are none, or after
     LATEST_MS): experiment.js loads the rest of a big table's rows then */
  var LATEST_MS = 3000, settle = null, left = 0;
  var drawn = new Promise(function (resolve) { settle = resolve; window.setTimeout(resolve, LATEST_MS); });

  /* The experiment's part of the site index (runLabel and embedOverlay read "index"): names
     of the runs, the key metrics' overlays and their spec templates. */
  var named = null;  /* the rows named in it last (the table's rows change once: all loaded) */
  function makeIndex(rows) {
    var index = RR.data("index");
    if (!index) {
      index = { runs: {}, overlays: charts.overlays, shapes: charts.shapes, together_max: charts.together_max };
      window.RR_DATA.index = index;
    }
    if (rows !== named) rows.forEach(function (row) { index.runs[row.slug] = { name: row.title }; });
    named = rows;
    return index;
  }

  /* Whether a row has a value of any key metric (a run charted with none would draw nothing). */
  function hasAny(row) {
    return charts.cells.some(function (i) { return i !== null && row.cells[i]; });
  }

  /* Counts ``container``'s first drawing; the last chart's settles ``drawn``. */
  function drawnOnce(container) {
    if (!container.rrOnce) { container.rrOnce = true; if (--left <= 0) settle(); }
  }

  function card(index, metric) {
    var fig = el("figure", { "class": "chart-card", "data-name": metric });
    var cap = el("figcaption");
    cap.appendChild(el("span", { "class": "metric-name" }, metric));
    fig.appendChild(cap);
    var container = el("div", { "class": "chart", "data-compare": metric,
      "data-stem": document.body.getAttribute("data-experiment") + "-" });
    fig.appendChild(container);
    container.rrSmooth = true;
    container.rrDraw = function () {
      var slugs = container.rrSlugs || [];
      if (!slugs.length) {
        container.textContent = "No run shown has this metric.";
        container.setAttribute("data-marks", "0");  /* drawn: nothing to draw */
        drawnOnce(container);
        return Promise.resolve();
      }
      var grouped = RR.groups && RR.groups.on();  /* groups.js */
      return (grouped ? RR.groups.draw(container, index, container.rrGroupRows, metric)
        : RR.drawOverlay(container, fig, index, slugs, metric)).then(function (result) {
        drawnOnce(container);
        if (!result || !result.view) return;
        highlight(container);
        result.view.addEventListener("click", function (event) {
          var slug = lineAt(container, result.view, event);
          if (slug) RR.picks.toggle(slug);
        });
      }).catch(function (err) {
        container.setAttribute("data-marks", "error");
        container.textContent = "This chart could not be drawn: " + err.message;
        console.error(err);
      });
    };
    return fig;
  }

  /* Where a click is on a chart, in its plot's pixels (as Vega's scales give them). */
  function plotXY(container, view, event) {
    var r = container.querySelector("canvas").getBoundingClientRect(), o = view.origin();
    return [event.clientX - r.left - o[0], event.clientY - r.top - o[1]];
  }

  /* The run whose drawn line passes nearest a click (within NEAR_PX, at the drawn point
     nearest the click's x), or null: lines are thin, so a click need not touch one. */
  var NEAR_PX = 12;
  function lineAt(container, view, event) {
    var at = plotXY(container, view, event), px = at[0], py = at[1];
    var sx = view.scale("x"), sy = view.scale("y"), best = {}, label = null, dist = NEAR_PX;
    view.data("data").forEach(function (row) {
      if (row.y === null || row.y !== row.y || row.x === null) return;
      var dx = Math.abs(sx(row.x) - px), b = best[row.series];
      if (!b || dx < b.dx) best[row.series] = { dx: dx, dy: Math.abs(sy(row.y) - py) };
    });
    Object.keys(best).forEach(function (s) {
      if (best[s].dx <= NEAR_PX * 2 && best[s].dy < dist) { dist = best[s].dy; label = s; }
    });
    var runs = container.rrRuns || [];
    for (var k = 0; k < runs.length; k++) if (runs[k][1] === label) return runs[k][0];
    return null;
  }

  /* Highlights the ticked runs in a drawn chart (its legend's pick, as a click on their
     legend entries would), or none when none is ticked. */
  function highlight(container) {
    var view = container.rrView, runs = container.rrRuns || [];
    if (!view) return;
    var labels = runs.filter(function (r) { return picks.indexOf(r[0]) >= 0; }).map(function (r) { return r[1]; });
    var store = labels.map(function (label) {
      return { unit: "main", fields: [{ field: "series", channel: "color", type: "E" }], values: [label] };
    });
    try { view.data("pick_store", store).runAsync(); } catch (e) { /* no legend pick */ }
  }

  /* Groups of runs (groups.js) in place of the runs' lines: the runs shown with a key
     metric, the first groups.MAX_RUNS of them. */
  function drawGroups(shown) {
    var rows = shown.filter(hasAny), used = rows.slice(0, RR.groups.MAX_RUNS), text = RR.groups.describe();
    document.getElementById("sweep-note").textContent = "Runs in " + text + "; the first " + used.length +
      " runs the table shows" + (rows.length > used.length ? " of " + rows.length : "") +
      " (as sorted and filtered), over steps.";
    RR.groups.table(shown);
    var key = "groups|" + text + "|" + used.map(function (r) { return r.slug; }).join(",");
    if (key === charted) return;
    charted = key;
    drawCards(used.map(function (r) { return r.slug; }), used);
  }

  /* Draws every chart again over ``slugs`` (or the groups of ``rows``), or when it comes
     into view if it was never drawn. */
  function drawCards(slugs, rows) {
    cards.forEach(function (fig) {
      var container = fig.querySelector(".chart");
      container.rrSlugs = slugs;
      container.rrGroupRows = rows;
      if (container.rrView || container.rrStarted) container.rrDraw();
      else { container.rrStarted = true; RR.lazily(container, container.rrDraw); }
    });
  }

  /* The runs charted: the first CHART_RUNS of ``shown`` with a key metric, then the ticked
     runs not among them. */
  function chosen(shown) {
    var slugs = [], seen = {};
    for (var i = 0; i < shown.length && slugs.length < CHART_RUNS; i++) {
      if (hasAny(shown[i])) { slugs.push(shown[i].slug); seen[shown[i].slug] = 1; }
    }
    var out = slugs.concat(picks.filter(function (s) { return !seen[s]; }));
    out.first = slugs.length;  /* those from the table */
    return out;
  }

  function draw(all, shown) {
    last = [all, shown];
    if (RR.groups && RR.groups.on()) { makeIndex(all); drawGroups(shown); return; }
    if (RR.groups) RR.groups.table(shown);
    makeIndex(all);
    var slugs = chosen(shown), first = slugs.first, extra = slugs.length - first;
    document.getElementById("sweep-note").textContent = slugs.length
      ? "Lines of the first " + first + " run" + (first === 1 ? "" : "s") + " the table shows (as sorted and filtered)" +
        (extra ? " and of " + extra + " more ticked" : "") + ". Click a line to tick its run; ticked runs are highlighted."
      : "No run the table shows has these metrics.";
    var key = slugs.join(",");
    if (key === charted) { cards.forEach(function (c) { highlight(c.querySelector(".chart")); }); return; }
    charted = key;
    drawCards(slugs, null);
  }

  /* Called by experiment.js whenever the table is drawn (``all`` its rows, ``shown`` those the
     filter keeps, in the table's order) or runs are ticked (``picked``: their slugs). */
  function update(all, shown, picked) {
    picks = picked.slice();
    if (!charts) return;
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      if (!(RR.groups && RR.groups.on())) RR.loadRuns(chosen(shown));  /* while Vega loads */
      loadVega().then(function () { draw(all, shown); });
    }, cards.length && cards[0].querySelector(".chart").rrView ? WAIT_MS : 0);
  }

  /* Makes the chart cards, if the experiment has key metrics (``data``: its data file). */
  function setup(data) {
    var section = document.getElementById("sweep-section");
    if (!section || !data.key_charts || !data.key_charts.metrics.length) { settle(); return; }
    charts = data.key_charts;
    left = charts.metrics.length;
    var index = makeIndex(data.rows), box = document.getElementById("sweep-charts");
    charts.metrics.forEach(function (m) {
      var fig = card(index, m);
      box.appendChild(fig);
      cards.push(fig);
    });
    section.hidden = false;
    if (RR.groups) {
      RR.groups.setup(function () {  /* grouping changed: draw again */
        if (last) RR.sweep.vega().then(function () { draw(last[0], last[1]); });
      });
    }
    RR.chartTools();
  }

  /* Vega, loaded: the page loads it async (it is not needed to draw the table). */
  function loadVega() {
    if (!vega) {
      var tag = document.getElementById("vega-script");
      vega = window.vegaEmbed ? Promise.resolve() : !tag ? RR.loadScript(RR.ROOT + "assets/vega.js")
        : new Promise(function (resolve, reject) {
          tag.addEventListener("load", function () { resolve(); });
          tag.addEventListener("error", function () { reject(new Error("cannot load " + tag.src)); });
        });
    }
    return vega;
  }

  RR.sweep = { setup: setup, update: update, drawn: drawn, vega: loadVega, plotXY: plotXY };
})();
