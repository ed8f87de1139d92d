/* runreport: charts overlaying runs (a run's children on its page, the runs of the compare
   page): their rows, downsampled past a budget of points, and the note saying so (needs
   common.js). */
(function () {
  "use strict";

  var RR = window.RR;
  var columns = RR.columns, rowsOf = RR.rowsOf, runLabel = RR.runLabel, data = RR.data, el = RR.el;

  /* Most points a chart overlaying runs draws. Vega evaluates every point's encodings in its
     expression interpreter (the pages' Content-Security-Policy allows no eval): 100 runs of
     1,000 points took about 2 s per chart (benchmarks/README.md). Past this, each run's series
     keep the min and max of each of a number of equal buckets, as the build downsamples. */
  var OVERLAY_POINTS = 10000;
  var MIN_POINTS_PER_SERIES = 20;

  /* Indices of ``y[start..end)`` to draw with at most about ``budget`` points: all when few,
     else the first and last point, the min and max of each of budget/2 equal buckets, and the
     first point of each run of gaps (null or NaN), so gaps stay gaps. In index order. */
  function minMaxKeep(y, start, end, budget) {
    var n = end - start, out = [], i;
    if (n <= budget) {
      for (i = start; i < end; i++) out.push(i);
      return out;
    }
    var buckets = Math.max(1, Math.floor(budget / 2));
    var keep = new Set([start, end - 1]);
    for (var b = 0; b < buckets; b++) {
      var lo = start + Math.floor(b * n / buckets), hi = start + Math.floor((b + 1) * n / buckets);
      var iMin = -1, iMax = -1;
      for (i = lo; i < hi; i++) {
        var v = y[i];
        if (v === null || v !== v) {
          if (i === start || (y[i - 1] !== null && y[i - 1] === y[i - 1])) keep.add(i);
          continue;
        }
        if (iMin < 0 || v < y[iMin]) iMin = i;
        if (iMax < 0 || v > y[iMax]) iMax = i;
      }
      if (iMin >= 0) { keep.add(iMin); keep.add(iMax); }
    }
    keep.forEach(function (j) { out.push(j); });
    return out.sort(function (a, b2) { return a - b2; });
  }

  /* The indices of a run's chart to overlay with ``budget`` points: each of its series (a
     multi-series chart holds them one after another) downsampled to its share. */
  function overlayKeep(chart, budget) {
    var c = columns(chart), n = c.x.length;
    if (n <= budget) return null;
    var spans = [], start = 0, i;
    for (i = 1; i <= n; i++) {
      if (i === n || (c.series && c.series[i] !== c.series[start])) { spans.push([start, i]); start = i; }
    }
    var share = Math.max(MIN_POINTS_PER_SERIES, Math.floor(budget / spans.length));
    var keep = [];
    spans.forEach(function (s) { keep = keep.concat(minMaxKeep(c.y, s[0], s[1], share)); });
    return keep;
  }

  /* The rows of a chart overlaying ``slugs``' charts of ``metric``: every plotted point when
     they hold at most OVERLAY_POINTS (divided by ``parts``, the metrics drawn on the chart),
     else each run's share of them (see overlayKeep). */
  function overlayRows(slugs, metric, parts) {
    var charts = [];
    slugs.forEach(function (slug) {
      var run = data("runs/" + slug);
      if (run && run.charts[metric]) charts.push([slug, run.charts[metric]]);
    });
    var total = 0;
    charts.forEach(function (sc) { total += columns(sc[1]).x.length; });
    var points = OVERLAY_POINTS / (parts || 1);
    var budget = total > points
      ? Math.max(MIN_POINTS_PER_SERIES, Math.floor(points / charts.length)) : Infinity;
    var rows = [], spans = [], runs = runLabels(charts.map(function (sc) { return sc[0]; }));
    charts.forEach(function (sc, k) {
      var start = rows.length;
      rows = rows.concat(rowsOf(sc[1], runs[k][1], overlayKeep(sc[1], budget)));
      spans.push([start, rows.length]);
    });
    rows.total = total;
    rows.runs = runs;  /* [slug, label] of each run drawn, */
    rows.spans = spans;  /* and where its rows are */
    rows.metric = metric;
    return rows;
  }

  /* [slug, label] of each run: its name, with the end of its slug where names repeat. */
  function runLabels(slugs) {
    var seen = {};
    slugs.forEach(function (slug) { var n = runLabel(slug); seen[n] = (seen[n] || 0) + 1; });
    return slugs.map(function (slug) {
      var n = runLabel(slug);
      return [slug, seen[n] > 1 ? n + " (" + slug.slice(-8) + ")" : n];
    });
  }

  /* Says, under an overlay chart, that it draws fewer points than the runs plotted. */
  function overlayNote(figure, rows) {
    if (rows.length >= rows.total || figure.querySelector("p.overlay-note")) return;
    figure.appendChild(el("p", { "class": "note overlay-note" },
      "Plotted " + rows.length.toLocaleString("en") + " of " + rows.total.toLocaleString("en") +
      " points (each run's min and max per bucket kept); every run's own page has them all."));
  }

  /* Says, under an overlay chart, which runs it leaves out for having nothing on the page's x
     axis (no times or no epoch logged); nothing when none. */
  function axisNote(figure, missing) {
    var note = figure.querySelector("p.axis-note");
    if (!missing.length) { if (note) note.remove(); return; }
    if (!note) note = figure.appendChild(el("p", { "class": "note axis-note" }));
    var names = missing.map(function (run) { return run[1]; }).filter(function (n, i, all) {
      return all.indexOf(n) === i;  /* a run of metrics drawn together is named once */
    });
    note.textContent = "Not drawn over " + RR.xaxis.title() + " (none logged): " +
      (names.length > 5 ? names.slice(0, 5).join(", ") + " and " + (names.length - 5) + " more" : names.join(", ")) + ".";
  }

  /* Loads ``slugs``' data, then draws their charts of ``metric`` overlaid in ``container``
     (or of ``group``'s metrics drawn together, ``metric`` the first: togetherRows), smoothed
     and zoomed as the page asks (smoothing.js, zoom.js), with the note on a cut overlay under
     it in ``figure``: a promise (the caller says what a failure shows). */
  function drawOverlay(container, figure, index, slugs, metric, group) {
    return RR.loadRuns(slugs).then(function () {
      var rows = group ? togetherRows(slugs, group) : overlayRows(slugs, metric);
      overlayNote(figure, rows);
      return RR.smoothing.overlay(rows, RR.zoom.rangeOf(container));
    }).then(function (rows) {
      axisNote(figure, rows.missing || []);
      container.rrRuns = rows.runs;  /* [slug, label] of each line */
      return RR.embedOverlay(container, index, metric, rows, group);
    });
  }

  /* The metrics of ``names`` drawn together on one chart, as a run's page draws its own
     (runreport.views.RunView.together): lines of one paired name (the index's ``pair``: "loss"
     for loss, val_loss and train/loss) over one x, 2 to ``together_max`` of them, at least
     one named for a split; [{name, members}], in the order of the names. */
  function togetherGroups(index, names) {
    var by = {}, order = [];
    names.forEach(function (m) {
      var o = index.overlays[m];
      if (!o || o.pair === undefined) return;
      var key = o.pair + "\u0000" + o.titles[0];
      if (!by[key]) { by[key] = { pair: o.pair, members: [] }; order.push(key); }
      by[key].members.push(m);
    });
    return order.map(function (key) { return by[key]; }).filter(function (g) {
      return g.members.length >= 2 && g.members.length <= index.together_max &&
        g.members.some(function (m) { return m !== g.pair; });
    }).map(function (g) { return { name: g.members.join(" + "), members: g.members }; });
  }

  /* The rows of ``group``'s metrics of ``slugs`` on one chart: a line per run and metric, in
     the run's colour (``series``: the run) and the metric's dash (``m``), the point budget
     shared by the metrics. */
  function togetherRows(slugs, group) {
    var rows = [], runs = [], spans = [], sources = [], tags = [], total = 0;
    group.members.forEach(function (metric) {
      var part = overlayRows(slugs, metric, group.members.length);
      part.forEach(function (r) { r.m = metric; });
      part.runs.forEach(function (run, k) {
        spans.push([rows.length + part.spans[k][0], rows.length + part.spans[k][1]]);
        runs.push(run);
        sources.push([run[0], metric]);
        tags.push(metric);
      });
      rows = rows.concat(part);
      total += part.total;
    });
    rows.total = total;
    rows.runs = runs;  /* [slug, label] of each part (a run's metric) */
    rows.spans = spans;
    rows.sources = sources;
    rows.tags = tags;
    return rows;
  }

  /* A card of ``group``'s metrics drawn together over ``slugs`` (each run in its colour, each
     metric in its dash), put on the page by ``place``; it is drawn when it comes into view.
     "Split paired metrics" (charttools.js) shows each metric's own card instead. */
  function togetherCard(index, slugs, group, rule, place) {
    var fig = el("figure", { "class": "chart-card together", "data-name": group.name });
    var cap = el("figcaption");
    cap.appendChild(el("span", { "class": "metric-name" }, group.name));
    cap.appendChild(document.createTextNode(" "));
    cap.appendChild(el("span", { "class": "rule" }, rule));
    cap.appendChild(el("a", { "class": "chart-link", href: RR.hashWith("chart", group.name),
      title: "Link to this chart", "aria-label": "Link to the chart of " + group.name }, "link"));
    fig.appendChild(cap);
    var container = el("div", { "class": "chart", "data-together-runs": group.name });
    fig.appendChild(container);
    fig.appendChild(el("p", { "class": "note" }, "Metrics measured on different data splits, drawn " +
      "together (a dash per metric); \u201cSplit paired metrics\u201d shows each on its own chart, with its data."));
    place(fig);
    container.rrSmooth = true;
    container.rrDraw = function () {
      return drawOverlay(container, fig, index, slugs, group.members[0], group).catch(function (err) {
        container.setAttribute("data-marks", "error");
        container.textContent = "This chart could not be drawn: " + err.message;
        console.error(err);
      });
    };
    RR.lazily(container, container.rrDraw);
    return fig;
  }

  RR.togetherCard = togetherCard;
  RR.overlayRows = overlayRows;
  RR.togetherGroups = togetherGroups;
  RR.drawOverlay = drawOverlay;
  RR.minMaxKeep = minMaxKeep;
  RR.overlayNote = overlayNote;
})();
