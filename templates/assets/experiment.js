/* runreport: an experiment page's run table, drawn from the experiment's data file: stat
   switch, sort, filter, pick runs to compare (needs common.js). Sorting and filtering take
   every run; the first rows of the result are drawn, and more on request (10,000 rows take a
   browser seconds to lay out, and keep it busy while they are added). A row is made the
   first time it is shown. A big table's data file holds only its first rows: they are drawn,
   then the file of every row is loaded (what is asked of the table meanwhile is done then). */
(function () {
  "use strict";

  var RR = window.RR;
  var ROOT = RR.ROOT, el = RR.el, STATS = RR.STATS;
  var FIRST = 200;  /* rows drawn at first (pages.FIRST_ROWS: a big table's first file) */
  var MORE = 1000;  /* rows added by "Show more" */

  function link(href, text) {
    return el("a", { href: href }, text);
  }

  function setupRunTable() {
    var table = document.getElementById("run-table");
    var dataKey = "experiments/" + document.body.getAttribute("data-experiment");
    var data = RR.data(dataKey);
    if (!table || !data) return;
    var tbody = table.tBodies[0];
    var statSwitch = document.getElementById("stat-switch");
    var filter = document.getElementById("run-filter");
    var button = document.getElementById("compare-selected");
    var count = document.getElementById("run-count");
    var all = data.rows;  /* in table order: each parent followed by its children */
    var total = data.total || all.length;  /* all runs, loaded or not */
    var shown = all;
    var ready = data.rest ? new Promise(function (resolve) {
      /* the rest once this page has shown its first rows (not holding up its load event) */
      function rest() {
        RR.loadScript(ROOT + data.rest).then(function () {
          var made = {};
          all.forEach(function (row) { if (row.tr) made[row.slug] = row.tr; });
          all = RR.data(dataKey).rows;
          all.forEach(function (row) { if (made[row.slug]) row.tr = made[row.slug]; });
          total = all.length;
          shown = all;
          table.removeAttribute("aria-busy");
          button.disabled = pickedSlugs().length === 0;  /* runs picked before (a live reload) */
          resolve();
        }).catch(function (err) {
          count.textContent += " (the other runs could not be loaded: " + err.message + ")";
        });
      }
      table.setAttribute("aria-busy", "true");
      if (document.readyState === "complete") setTimeout(rest, 0);
      else window.addEventListener("load", function () { setTimeout(rest, 0); });
    }) : Promise.resolve();

    /* ``fn`` as an event handler that waits for every row to be loaded. */
    function whenReady(fn) {
      return function (event) { ready.then(function () { fn(event); }); };
    }
    var picked = {};
    var stat = statSwitch.value;

    function metricCell(c) {
      var td = el("td", { "class": "metric num" });
      if (c) fillMetric(td, c);
      return td;
    }

    function fillMetric(td, c) {
      var k = STATS.indexOf(stat);
      td.textContent = c[STATS.length + k];
      if (c[2 * STATS.length].split(" ").indexOf(stat) >= 0) {
        td.appendChild(document.createTextNode(" "));
        td.appendChild(el("span", { "class": "best", title: "best " + stat }, "★"));
      }
    }

    function makeRow(row) {
      var tr = el("tr", { "data-slug": row.slug, "data-parent": row.parent || "" });
      if (row.parent) tr.className = "child";
      var box = el("input", { type: "checkbox", "class": "pick", value: row.slug,
                              "aria-label": "Select " + row.title });
      box.checked = !!picked[row.slug];
      tr.appendChild(el("td")).appendChild(box);
      var name = tr.appendChild(el("td"));
      name.appendChild(link(ROOT + "runs/" + encodeURIComponent(row.slug) + ".html", row.name));
      if (row.id) {
        name.appendChild(document.createTextNode(" "));
        name.appendChild(el("span", { "class": "note short-id" }, row.id));
      }
      tr.appendChild(el("td")).appendChild(
        el("span", { "class": "status status-" + row.status.toLowerCase() }, row.status));
      var compute = tr.appendChild(el("td"));
      if (row.compute) {
        compute.appendChild(link(ROOT + "compute/" + encodeURIComponent(row.compute_slug) +
                                 ".html", row.compute));
      }
      tr.appendChild(el("td", { "class": "nowrap" }, row.start_text));
      var dur = tr.appendChild(el("td", { "class": "nowrap" }, row.dur_text));
      if (row.live) {
        dur.appendChild(document.createTextNode(row.live.text));
        if (row.live.stalled) {
          dur.appendChild(document.createTextNode(" "));
          dur.appendChild(el("span", { "class": "status status-stalled", title: row.live.stalled },
                             "possibly stalled"));
        }
      }
      var tags = tr.appendChild(el("td"));
      row.tags.forEach(function (t) {
        tags.appendChild(el("span", { "class": "tag" }, t[1] ? t[0] + ": " + t[1] : t[0]));
        tags.appendChild(document.createTextNode(" "));
      });
      row.params.forEach(function (p) { tr.appendChild(el("td", { "class": "param" }, p)); });
      row.cells.forEach(function (c) { tr.appendChild(metricCell(c)); });
      row.tr = tr;
      return tr;
    }

    var limit = FIRST;
    var more = document.getElementById("more-runs");
    var moreButton = more.querySelector("#show-more");
    var allButton = more.querySelector("#show-all");

    /* Draw the first ``limit`` rows of ``shown``, and say how many there are. */
    function draw() {
      var frag = document.createDocumentFragment();
      var end = Math.min(limit, shown.length);
      for (var at = 0; at < end; at++) frag.appendChild(shown[at].tr || makeRow(shown[at]));
      tbody.textContent = "";
      tbody.appendChild(frag);
      var size = shown === all ? total : shown.length;
      var n = size.toLocaleString("en");
      count.textContent = (size === total ? n : n + " of " +
        total.toLocaleString("en")) + " run" + (total === 1 ? "" : "s") +
        (filter.value.trim() ? " match the filter" : "") +
        (end < size ? "; the first " + end.toLocaleString("en") + " are shown" : "");
      more.hidden = end >= size;
      moreButton.textContent = "Show " + Math.min(MORE, size - end).toLocaleString("en") + " more";
      allButton.textContent = "Show all " + n;
    }
    moreButton.addEventListener("click", whenReady(function () { limit += MORE; draw(); }));
    allButton.addEventListener("click", whenReady(function () { limit = Infinity; draw(); }));

    /* The value a column sorts by: a number or null for numeric columns, else text. */
    function key(row, col) {
      if (col === "title") return row.title.toLowerCase();
      if (col === "status") return row.status.toLowerCase();
      if (col === "compute") return (row.compute || "").toLowerCase();
      if (col === "start") return row.start;
      if (col === "dur") return row.dur;
      if (col === "tags") return row.tags.map(function (t) { return t.join(": "); }).join(" ").toLowerCase();
      var i = parseInt(col.slice(1), 10);
      if (col[0] === "p") return (row.params[i] || "").toLowerCase();
      var c = row.cells[i];
      return c ? c[STATS.indexOf(stat)] : null;
    }

    var sortState = { col: null, dir: 1 };

    function sorted(rows) {
      if (sortState.col === null) return rows;
      var groups = [], bySlug = {};
      rows.forEach(function (row) {
        var g = row.parent && bySlug[row.parent];
        if (!g) { g = { head: row, rows: [] }; groups.push(g); }
        g.rows.push(row);
        bySlug[row.slug] = g;
      });
      var col = sortState.col, dir = sortState.dir;
      groups.forEach(function (g) { g.key = key(g.head, col); });
      groups.sort(function (a, b) {
        var ka = a.key, kb = b.key;
        if (ka === kb) return 0;
        if (ka === null || ka === undefined) return 1;  /* empty cells last, either direction */
        if (kb === null || kb === undefined) return -1;
        return (ka < kb ? -1 : 1) * dir;
      });
      return [].concat.apply([], groups.map(function (g) { return g.rows; }));
    }

    function text(row) {
      if (row.text === undefined) {
        row.text = [row.title, row.status, row.compute || "", row.start_text, row.dur_text]
          .concat(row.tags.map(function (t) { return t.join(": "); }), row.params.map(String),
                  row.cells.map(function (c) { return c ? c[STATS.length + STATS.indexOf(stat)] : ""; }))
          .join(" ").toLowerCase();
      }
      return row.text;
    }

    function update() {
      var q = filter.value.trim().toLowerCase();
      shown = sorted(q ? all.filter(function (row) { return text(row).indexOf(q) >= 0; }) : all);
      draw();
    }

    table.tHead.querySelectorAll("th[data-key]").forEach(function (th) {
      var label = th.textContent;
      var sortButton = el("button", { type: "button", "class": "sort" }, label);
      th.textContent = "";
      th.appendChild(sortButton);
      sortButton.addEventListener("click", whenReady(function () {
        var col = th.getAttribute("data-key");
        sortState.dir = sortState.col === col ? -sortState.dir : 1;
        sortState.col = col;
        table.tHead.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", sortState.dir > 0 ? "ascending" : "descending");
        update();
      }));
    });

    statSwitch.addEventListener("change", whenReady(function () {
      stat = statSwitch.value;
      all.forEach(function (row) {
        row.text = undefined;
        if (!row.tr) return;
        row.cells.forEach(function (c, i) {
          if (c) fillMetric(row.tr.cells[7 + row.params.length + i], c);
        });
      });
      if ((sortState.col && sortState.col[0] === "m") || filter.value.trim()) update();
    }));

    filter.addEventListener("input", whenReady(update));

    function pickedSlugs() {
      return all.filter(function (row) { return picked[row.slug]; })
        .map(function (row) { return row.slug; });
    }
    table.addEventListener("change", function (event) {
      var box = event.target;
      if (!box.classList.contains("pick")) return;
      picked[box.value] = box.checked;
      button.disabled = pickedSlugs().length === 0;
    });
    button.addEventListener("click", function () {
      window.location.href = ROOT + "compare.html#runs=" + pickedSlugs().map(encodeURIComponent).join(",");
    });
    /* for live pages, which keep the runs picked across a reload (see common.js) */
    RR.picks = {
      get: pickedSlugs,
      set: function (slugs) {
        slugs.forEach(function (s) { picked[s] = true; });
        all.forEach(function (row) { if (row.tr) row.tr.cells[0].firstChild.checked = !!picked[row.slug]; });
        button.disabled = pickedSlugs().length === 0;
      }
    };
    draw();
  }

  RR.page("experiment", setupRunTable);
})();
