/* runreport: the compare page: the run picker, params, summaries, overlaid charts and images
   of the runs in the URL (needs common.js). */
(function () {
  "use strict";

  var RR = window.RR;
  var ROOT = RR.ROOT, STATS = RR.STATS, data = RR.data, runLabel = RR.runLabel, el = RR.el;
  var loadRuns = RR.loadRuns, lazily = RR.lazily;
  var overlayRows = RR.overlayRows;
  var downloadCsv = RR.downloadCsv, csvName = RR.csvName;

  function hashRuns() {
    var m = /(?:^#|&)runs=([^&]*)/.exec(window.location.hash);
    if (!m) return [];
    return m[1].split(",").map(function (s) {
      try { return decodeURIComponent(s); } catch (e) { return ""; }
    }).filter(function (s) { return s !== ""; });
  }

  function setupCompare() {
    var index = data("index");
    if (!index) return;
    var chosen = hashRuns().filter(function (s) { return index.runs[s]; });
    buildPicker(index, chosen);
    if (!chosen.length) {
      document.getElementById("compare-charts").appendChild(
        el("p", { "class": "empty" }, "Tick runs above (or use “Compare” on an experiment page) to compare them."));
      return;
    }
    /* Tables and images come from the index; a chart loads the runs' data files only when
       it comes near the viewport, so the first screen does not wait for a hundred of them. */
    buildParams(index, chosen);
    buildSummary(index, chosen);
    buildCharts(index, chosen);
    buildImages(index, chosen);
  }

  /* Tables of many rows start folded, so that the charts are on the first screen. */
  var OPEN_UP_TO_ROWS = 6;

  /* The run picker, folded while runs are compared: every run of the site by experiment, both
     in natural order, with a search (name or experiment, case aside); ticking runs changes
     nothing until "Compare the ticked runs", which puts them in the address. Its list is made
     when it is first opened (10,000 runs' checkboxes took a third of the first screen). */
  function buildPicker(index, chosen) {
    var box = document.getElementById("run-picker");
    var labels = [], total = Object.keys(index.runs).length;
    function list() {
      var byExp = {};
      Object.keys(index.runs).forEach(function (slug) {
        var exp = index.runs[slug].experiment;
        (byExp[exp] = byExp[exp] || []).push(slug);
      });
      Object.keys(byExp).sort(RR.naturalOrder).forEach(function (exp) {
        var fs = el("fieldset");
        fs.appendChild(el("legend", null, exp));
        byExp[exp].sort(function (a, b) {
          return RR.naturalOrder(index.runs[a].name, index.runs[b].name) || (a < b ? -1 : a > b ? 1 : 0);
        }).forEach(function (slug) {
          var label = el("label", { "class": "pick-run" });
          var input = el("input", { type: "checkbox", value: slug });
          input.checked = chosen.indexOf(slug) >= 0;
          label.appendChild(input);
          var swatch = el("span", { "class": "swatch", "aria-hidden": "true" });
          swatch.style.background = RR.runColour(slug);
          label.appendChild(swatch);
          label.appendChild(document.createTextNode(index.runs[slug].name));
          label.rrText = (index.runs[slug].name + "\u0000" + exp).toLowerCase();
          fs.appendChild(label);
          labels.push(label);
        });
        box.appendChild(fs);
      });
      count();
    }
    var picker = document.getElementById("compare-pick");
    document.getElementById("pick-count").textContent = chosen.length
      ? "(" + chosen.length + " of " + total + " compared)" : "(none compared yet: tick some)";
    var search = document.getElementById("run-search"), found = document.getElementById("search-count");
    search.addEventListener("input", function () {
      var q = search.value.trim().toLowerCase(), shown = 0;
      labels.forEach(function (label) {
        label.hidden = !!q && label.rrText.indexOf(q) < 0;
        if (!label.hidden) shown++;
      });
      box.querySelectorAll("fieldset").forEach(function (fs) {
        fs.hidden = !fs.querySelector("label.pick-run:not([hidden])");
      });
      found.textContent = q ? shown + " of " + total + " runs match" : "";
    });
    var button = document.getElementById("compare-ticked");
    var ticked = function () { return box.querySelectorAll("input:checked"); };
    function count() {  /* the runs ticked, those the search hides too */
      button.textContent = "Compare the ticked runs (" + ticked().length + ")";
    }
    box.addEventListener("change", count);
    if (chosen.length) {
      picker.addEventListener("toggle", function made() {
        picker.removeEventListener("toggle", made);
        list();
      });
    } else {
      list();
      picker.open = true;
    }
    button.addEventListener("click", function () {
      window.location.hash = "runs=" + Array.prototype.map.call(ticked(), function (i) {
        return encodeURIComponent(i.value);
      }).join(",");
    });
    /* other runs asked for: draw the page again (the chart tools keep other settings there) */
    var runs = hashRuns().join(",");
    window.addEventListener("hashchange", function () {
      if (hashRuns().join(",") !== runs) window.location.reload();
    });
  }

  /* Says beside a folded table's heading how many rows it holds; open when they are few. */
  function fold(id, rows, text) {
    document.getElementById(id + "-count").textContent = "(" + text + ")";
    document.getElementById("compare-" + id + "-section").open = rows <= OPEN_UP_TO_ROWS;
  }

  function headerRow(table, first, chosen, index) {
    var thead = el("thead");
    var tr = el("tr");
    tr.appendChild(el("th", null, first));
    chosen.forEach(function (slug) {
      var th = el("th");
      var a = el("a", { href: ROOT + index.runs[slug].href }, index.runs[slug].name);
      th.appendChild(a);
      tr.appendChild(th);
    });
    thead.appendChild(tr);
    table.appendChild(thead);
  }

  /* The names in the ``field`` mapping of any of the chosen runs, sorted. */
  function namesIn(index, chosen, field) {
    var names = {};
    chosen.forEach(function (s) { Object.keys(index.runs[s][field]).forEach(function (k) { names[k] = 1; }); });
    return Object.keys(names).sort();
  }

  function buildParams(index, chosen) {
    var table = document.getElementById("compare-params");
    headerRow(table, "parameter", chosen, index);
    var tbody = el("tbody"), names = namesIn(index, chosen, "params"), differ = 0;
    names.forEach(function (p) {
      var tr = el("tr");
      var values = chosen.map(function (s) {
        var v = index.runs[s].params[p];
        return v === undefined ? "" : v;
      });
      var differs = values.some(function (v) { return v !== values[0]; });
      if (!differs) tr.classList.add("same");
      else differ++;
      tr.appendChild(el("th", null, p));
      values.forEach(function (v) { tr.appendChild(el("td", null, v)); });
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    fold("params", names.length, names.length + " parameter" + (names.length === 1 ? "" : "s") +
      (chosen.length > 1 ? ", " + differ + " differ" : ""));
    var only = document.getElementById("only-diff");
    only.addEventListener("change", function () {
      table.classList.toggle("only-diff", only.checked);
    });
  }

  function buildSummary(index, chosen) {
    var table = document.getElementById("compare-summary");
    var stat = document.getElementById("compare-stat");
    headerRow(table, "metric", chosen, index);
    var tbody = el("tbody"), names = namesIn(index, chosen, "summaries");
    fold("summary", names.length, names.length + " metric" + (names.length === 1 ? "" : "s"));
    names.forEach(function (m) {
      var tr = el("tr");
      tr.appendChild(el("th", null, m));
      chosen.forEach(function (s) {
        var summary = index.runs[s].summaries[m];
        var td = el("td", { "class": "num" }, summary ? summary.last : "");
        if (summary) STATS.forEach(function (st) { td.setAttribute("data-" + st, summary[st]); });
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    stat.addEventListener("change", function () {
      table.querySelectorAll("td[data-last]").forEach(function (td) {
        td.textContent = td.getAttribute("data-" + stat.value);
      });
    });
  }

  function buildCharts(index, chosen) {
    var box = document.getElementById("compare-charts");
    var metrics = {};
    chosen.forEach(function (s) {
      index.runs[s].charts.forEach(function (m) {
        if (index.overlays[m]) metrics[m] = 1;  /* heatmaps are not overlaid */
      });
    });
    var names = Object.keys(metrics).sort();
    if (!names.length) box.appendChild(el("p", { "class": "empty" }, "These runs have no charted metrics."));
    var sections = {};
    names.forEach(function (m) { (sections[index.overlays[m].section] = sections[index.overlays[m].section] || []).push(m); });
    var keys = index.sections.filter(function (k) { return sections[k]; });  /* in the build's order */
    /* metrics measured on different splits (loss, val_loss) also drawn together, on a card
       where the first of them is shown (overlays.js) */
    var groupOf = {};
    RR.togetherGroups(index, names).forEach(function (g) {
      g.members.forEach(function (m) { groupOf[m] = g; });
    });
    keys.forEach(function (key) {
      var grid = el("div", { "class": "charts" });
      if (keys.length > 1) {
        var section = el("section", { "class": "chart-section", "data-section": key });
        var h3 = el("h3"), n = sections[key].length;
        var toggle = el("button", { type: "button", "class": "section-toggle", "aria-expanded": "true" },
          (key || "ungrouped") + " ");
        toggle.appendChild(el("span", { "class": "note" }, "(" + n + " chart" + (n === 1 ? "" : "s") + ")"));
        h3.appendChild(toggle);
        section.appendChild(h3);
        section.appendChild(grid);
        box.appendChild(section);
      } else {
        box.appendChild(grid);
      }
      sections[key].forEach(function (m) {
        var g = groupOf[m];
        if (g && !g.shown) {
          g.shown = true;
          RR.togetherCard(index, chosen, g, "drawn together", function (fig) { grid.appendChild(fig); });
        }
        chartCard(index, chosen, grid, m, !!g);
      });
    });
    RR.chartTools();
  }

  function chartCard(index, chosen, box, m, paired) {
    var fig = el("figure", { "class": "chart-card" + (paired ? " paired" : ""), "data-name": m });
    var cap = el("figcaption");
    cap.appendChild(el("span", { "class": "metric-name" }, m));
    cap.appendChild(document.createTextNode(" "));
    cap.appendChild(el("a", { "class": "chart-link", href: RR.hashWith("chart", m), title: "Link to this chart",
      "aria-label": "Link to the chart of " + m }, "link"));
    fig.appendChild(cap);
    var container = el("div", { "class": "chart", "data-compare": m });
    fig.appendChild(container);
    var exp = el("p", { "class": "export" }, "Data: ");
    var plotted = el("a", { href: "#", "class": "csv-plotted" }, "CSV as plotted, all runs");
    plotted.addEventListener("click", function (event) {
      event.preventDefault();
      loadRuns(chosen).then(function () {
        downloadCsv(overlayRows(chosen, m), ["series", "x", "y"], csvName("compare-" + m));
      });
    });
    exp.appendChild(plotted);
    fig.appendChild(exp);
    box.appendChild(fig);
    /* data and rows are loaded and made only when the chart comes into view */
    container.rrSmooth = true;
    container.rrDraw = function () {
      return RR.drawOverlay(container, fig, index, chosen, m).catch(function (err) {
        container.setAttribute("data-marks", "error");
        container.textContent = "This chart could not be drawn: " + err.message;
        console.error(err);
      });
    };
    lazily(container, function () {
      loadRuns(chosen).then(function () {  /* one menu of the runs' files of every point */
        var list = el("ul");
        chosen.forEach(function (s) {
          var chart = data("runs/" + s).charts[m];
          if (!chart) return;
          var li = el("li");
          li.appendChild(el("a", { href: "#", "class": "csv-full", "data-run": s, "data-metric": m },
            index.runs[s].name + " (" + chart.points.toLocaleString("en") + " points)"));
          list.appendChild(li);
        });
        var menu = el("details", { "class": "menu" });
        menu.appendChild(el("summary", null, "CSV of every point, per run (" + list.children.length + ")"));
        menu.appendChild(list);
        exp.appendChild(document.createTextNode(" · "));
        exp.appendChild(menu);
      });
      container.rrDraw();
    });
  }

  function buildImages(index, chosen) {
    var box = document.getElementById("compare-images");
    var names = {};
    chosen.forEach(function (s) { index.runs[s].images.forEach(function (i) { names[i.name] = 1; }); });
    var keys = Object.keys(names).sort();
    if (!keys.length) { document.getElementById("compare-images-section").hidden = true; return; }
    keys.forEach(function (name) {
      box.appendChild(el("h3", null, name));
      var row = el("div", { "class": "images side-by-side" });
      chosen.forEach(function (s) {
        index.runs[s].images.filter(function (i) { return i.name === name; }).forEach(function (i) {
          var fig = el("figure");
          fig.appendChild(el("img", { src: (i.src.indexOf("data:") === 0 ? "" : ROOT) + i.src, alt: name + " — " + runLabel(s), loading: "lazy" }));
          fig.appendChild(el("figcaption", null, runLabel(s)));
          row.appendChild(fig);
        });
      });
      box.appendChild(row);
    });
  }

  RR.page("compare", setupCompare);
})();
