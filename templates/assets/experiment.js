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

  /* ---- the run filter: an expression over the table's columns, else a regular expression
     on a row's text (case aside), else that text as it is ------------------------------ */

  var TOKEN = /\s*(?:(\(|\))|(<=|>=|!=|==|<|>|=)|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([^\s()<>=!"']+))/y;

  function tokenize(text) {
    var out = [], m;
    TOKEN.lastIndex = 0;
    while (TOKEN.lastIndex < text.length && (m = TOKEN.exec(text))) {
      if (m[1]) out.push({ paren: m[1] });
      else if (m[2]) out.push({ op: m[2] === "=" ? "==" : m[2] });
      else if (m[3] !== undefined || m[4] !== undefined) out.push({ word: (m[3] !== undefined ? m[3] : m[4]).replace(/\\(.)/g, "$1"), quoted: true });
      else out.push({ word: m[5] });
    }
    if (TOKEN.lastIndex < text.replace(/\s+$/, "").length) throw new Error("cannot read “" + text.slice(TOKEN.lastIndex) + "”");
    return out;
  }

  function compare(a, op, b) {
    if (a === null || a === undefined || a === "") return false;
    var x = typeof a === "number" ? a : Number(a), y = Number(b);
    if (!(isFinite(x) && isFinite(y) && String(b).trim() !== "")) {
      x = String(a).toLowerCase(); y = String(b).toLowerCase();
    }
    return op === "==" ? x === y : op === "!=" ? x !== y : op === "<" ? x < y
      : op === "<=" ? x <= y : op === ">" ? x > y : x >= y;
  }

  /* A test of rows from an expression such as ``lr > 0.01 and optimizer == adam``:
     comparisons of a column (``columns``: its name, case aside, to the row's value) with a
     value, joined by and, or, not and brackets. Throws, saying why, when it is not one. */
  function expression(text, columns) {
    var toks = tokenize(text), at = 0;
    function peekWord(w) { return toks[at] && !toks[at].quoted && (toks[at].word || "").toLowerCase() === w; }
    function any() {
      var left = all();
      while (peekWord("or")) { at++; left = (function (a, b) { return function (r) { return a(r) || b(r); }; })(left, all()); }
      return left;
    }
    function all() {
      var left = one();
      while (peekWord("and")) { at++; left = (function (a, b) { return function (r) { return a(r) && b(r); }; })(left, one()); }
      return left;
    }
    function one() {
      var t = toks[at];
      if (!t) throw new Error("it ends too soon");
      if (peekWord("not")) { at++; var inner = one(); return function (r) { return !inner(r); }; }
      if (t.paren === "(") {
        at++;
        var e = any();
        if (!toks[at] || toks[at].paren !== ")") throw new Error("a bracket is not closed");
        at++;
        return e;
      }
      var op = toks[at + 1], value = toks[at + 2];
      if (t.word === undefined || !op || !op.op || !value || value.word === undefined) {
        throw new Error("expected a column, a comparison and a value");
      }
      var get = columns[t.word.toLowerCase()];
      if (!get) throw new Error("no column “" + t.word + "”");
      at += 3;
      return function (r) { return compare(get(r), op.op, value.word); };
    }
    var test = any();
    if (at < toks.length) throw new Error("cannot read “" + (toks[at].word || toks[at].op || toks[at].paren) + "”");
    return test;
  }

  /* ---- the table shown (every row the filter keeps, in its order) as a file ---------- */

  function markdownCell(text) {
    return String(text).replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/[\r\n]+/g, " ") || " ";
  }

  var TEX = { "\\": "\\textbackslash{}", "&": "\\&", "%": "\\%", "$": "\\$", "#": "\\#", "_": "\\_",
              "{": "\\{", "}": "\\}", "~": "\\textasciitilde{}", "^": "\\textasciicircum{}" };

  function texCell(text) {
    return String(text).replace(/[\\&%$#_{}~^]/g, function (c) { return TEX[c]; }).replace(/[\r\n]+/g, " ");
  }

  /* ``head`` and ``rows`` (lists of texts) as CSV, a Markdown table or a LaTeX tabular
     (booktabs). */
  function tableFile(format, head, rows) {
    if (format === "csv") {
      return [head].concat(rows).map(function (r) { return r.map(RR.csvCell).join(","); }).join("\n") + "\n";
    }
    if (format === "md") {
      var line = function (r) { return "| " + r.map(markdownCell).join(" | ") + " |"; };
      return [line(head), "|" + head.map(function () { return "---"; }).join("|") + "|"]
        .concat(rows.map(line)).join("\n") + "\n";
    }
    var tex = function (r) { return r.map(texCell).join(" & ") + " \\\\"; };
    return ["\\begin{tabular}{" + head.map(function () { return "l"; }).join("") + "}", "\\toprule", tex(head),
            "\\midrule"].concat(rows.map(tex), ["\\bottomrule", "\\end{tabular}"]).join("\n") + "\n";
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
    var shown = all, filtered = all;  /* filtered: the rows the filter keeps, brushes aside */
    var ready = data.rest ? new Promise(function (resolve) {
      /* the rest once this page has shown its first rows (not holding up its load event) */
      function rest() {
        RR.loadScript(ROOT + data.rest).then(function () {
          var made = {};
          all.forEach(function (row) { if (row.tr) made[row.slug] = row.tr; });
          all = RR.data(dataKey).rows;
          all.forEach(function (row) { if (made[row.slug]) row.tr = made[row.slug]; });
          total = all.length;
          shown = filtered = all;
          table.removeAttribute("aria-busy");
          draw();  /* the count, runs picked before (a live reload), what follows the table */
          resolve();
        }).catch(function (err) {
          count.textContent += " (the other runs could not be loaded: " + err.message + ")";
        });
      }
      table.setAttribute("aria-busy", "true");
      /* and after the charts of the first screen (sweep.js): parsing 12 MB holds them up */
      var start = function () { (RR.sweep ? RR.sweep.drawn : Promise.resolve()).then(function () { setTimeout(rest, 0); }); };
      if (document.readyState === "complete") start();
      else window.addEventListener("load", start);
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
      var first = tr.cells.length, picker = RR.columnPicker;  /* a metric's cell: made once shown (colpicker.js) */
      tr.rrCells = Array.prototype.slice.call(tr.cells).concat(row.cells.map(function (c, i) {
        return picker && !picker.shows(first + i) ? null : tr.appendChild(metricCell(c));
      }));
      tr.rrMake = function (at) { return metricCell(row.cells[at - first]); };
      if (picker) picker.arrange(tr);  /* the order and columns chosen */
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
      var n = size.toLocaleString("en"), brushed = RR.parcoords ? RR.parcoords.count() : 0;
      var why = [filter.value.trim() ? "the filter" + (how ? " (" + how + ")" : "") : "",
                 brushed ? "the brush" + (brushed === 1 ? " on 1 axis" : "es on " + brushed + " axes") : ""];
      count.textContent = (size === total ? n : n + " of " +
        total.toLocaleString("en")) + " run" + (total === 1 ? "" : "s") +
        (why.join("") ? " match " + why.filter(Boolean).join(" and ") : "") +
        (end < size ? "; the first " + end.toLocaleString("en") + " are shown" : "");
      more.hidden = end >= size;
      ticked();
      if (RR.pivot) RR.pivot.update(function () { return shown; }, stat, ready);  /* pivot.js */
      if (RR.relations) RR.relations.update(shown, stat);  /* relations.js */
      charts();
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

    /* Rows sorted by the column asked, each parent followed by its children: the children
       sorted among themselves, and a parent with no value of its own placed by its first
       child's (its best in the order asked: a sweep's parent by its best trial). */
    function sorted(rows) {
      if (sortState.col === null) return rows;
      var groups = [], bySlug = {};
      rows.forEach(function (row) {
        var g = row.parent && bySlug[row.parent];
        if (!g) { g = { head: row, kids: [] }; groups.push(g); }
        else g.kids.push(row);
        bySlug[row.slug] = g;
      });
      var col = sortState.col, dir = sortState.dir;
      var order = function (a, b) {
        var ka = a.key, kb = b.key;
        if (ka === kb) return 0;
        if (ka === null || ka === undefined) return 1;  /* empty cells last, either direction */
        if (kb === null || kb === undefined) return -1;
        return (ka < kb ? -1 : 1) * dir;
      };
      groups.forEach(function (g) {
        var kids = g.kids.map(function (row) { return { row: row, key: key(row, col) }; }).sort(order);
        g.rows = [g.head].concat(kids.map(function (k) { return k.row; }));
        g.key = key(g.head, col);
        if ((g.key === null || g.key === undefined) && kids.length) g.key = kids[0].key;
      });
      groups.sort(order);
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

    /* Each column by its heading (case aside; "name" too for the run's): its row's value. */
    var columns = {};
    table.tHead.querySelectorAll("th[data-key]").forEach(function (th) {
      var col = th.getAttribute("data-key");
      columns[th.textContent.trim().toLowerCase()] = function (row) { return key(row, col); };
    });
    if (!columns.name) columns.name = columns.run;

    /* The filter's test of a row, and how its text was read when not as asked. */
    function matcher(q) {
      if (/[<>=]/.test(q)) {
        try {
          return { test: expression(q, columns), how: "" };
        } catch (err) {
          return { test: function (row) { return text(row).indexOf(q.toLowerCase()) >= 0; },
                   how: "not an expression: " + err.message + "; matched as text" };
        }
      }
      var m = RR.matcher(q);  /* common.js, as the metric filter */
      return { test: function (row) { return m.test(text(row)); },
               how: m.bad ? "not a valid regular expression: matched as text" : "" };
    }

    var how = "";
    function update() {
      var q = filter.value.trim(), m = q ? matcher(q) : null;
      how = m ? m.how : "";
      filtered = m ? all.filter(m.test) : all;
      shown = sorted(RR.parcoords ? RR.parcoords.keep(filtered, stat) : filtered);
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

    document.getElementById("table-export").addEventListener("click", whenReady(function (event) {
      var format = event.target.getAttribute && event.target.getAttribute("data-format");
      if (!format) return;
      var k = STATS.indexOf(stat), pick = RR.columnPicker ? RR.columnPicker.pick : function (v) { return v; };
      var head = pick(Array.prototype.filter.call(table.tHead.rows[0].rrCells || table.tHead.rows[0].cells,
        function (th) { return th.hasAttribute("data-key"); }).map(function (th) { return th.textContent.trim(); }));
      var rows = shown.map(function (row) {
        return pick([row.title, row.status, row.compute || "", row.start_text, row.dur_text,
                row.tags.map(function (t) { return t[1] ? t[0] + ": " + t[1] : t[0]; }).join(", ")]
          .concat(row.params.map(function (p) { return p === null ? "" : String(p); }), row.cells.map(function (c) {  /* CSV: the number itself */
            return !c ? "" : format === "csv" ? c[k] : c[STATS.length + k];
          })));
      });
      var name = document.body.getAttribute("data-experiment") + "-" + stat + "." + format;
      RR.saveText(tableFile(format, head, rows), name);
    }));

    statSwitch.addEventListener("change", whenReady(function () {
      stat = statSwitch.value;
      all.forEach(function (row) {
        row.text = undefined;
        if (!row.tr) return;
        row.cells.forEach(function (c, i) {
          var td = row.tr.rrCells[7 + row.params.length + i];
          if (c && td) fillMetric(td, c);  /* (not made while its column is hidden) */
        });
      });
      if ((sortState.col && sortState.col[0] === "m") || filter.value.trim() || (RR.parcoords && RR.parcoords.count())) update();
    }));

    filter.addEventListener("input", whenReady(update));

    /* The charts of the runs shown and ticked follow the table. */
    function charts() {
      if (RR.sweep) RR.sweep.update(all, shown, pickedSlugs());  /* sweep.js */
      if (RR.parcoords) RR.parcoords.update(filtered, shown, pickedSlugs());  /* parcoords.js */
    }

    function pickedSlugs() {
      return all.filter(function (row) { return picked[row.slug]; })
        .map(function (row) { return row.slug; });
    }
    /* The compare button says how many runs are ticked, those the filter hides included. */
    function ticked() {
      var slugs = pickedSlugs(), seen = {};
      shown.forEach(function (row) { seen[row.slug] = 1; });
      var hidden = slugs.filter(function (s) { return !seen[s]; }).length;
      button.disabled = slugs.length === 0;
      button.textContent = !slugs.length ? "Compare selected" : "Compare the " + slugs.length + " ticked run" +
        (slugs.length === 1 ? "" : "s") + (hidden ? " (" + hidden + " hidden by the filter)" : "");
    }
    table.addEventListener("change", function (event) {
      var box = event.target;
      if (!box.classList.contains("pick")) return;
      picked[box.value] = box.checked;
      ticked();
      charts();
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
        ticked();
      },
      toggle: function (slug) {  /* a line clicked in a chart (sweep.js): its row, shown */
        picked[slug] = !picked[slug];
        var row = all.filter(function (r) { return r.slug === slug; })[0];
        if (row && row.tr) {
          row.tr.cells[0].firstChild.checked = picked[slug];
          if (row.tr.parentNode) {
            row.tr.scrollIntoView({ block: "nearest" });
            row.tr.classList.remove("flash"); void row.tr.offsetWidth; row.tr.classList.add("flash");
          }
        }
        ticked();
        charts();
      }
    };
    if (RR.sweep) RR.sweep.setup(data);
    if (RR.parcoords) RR.parcoords.setup(whenReady(update));
    var keys = data.key_charts ? data.key_charts.metrics : [];  /* shown first (colpicker.js) */
    if (RR.columnPicker) RR.columnPicker.setup(table, function () { return all; }, keys);
    draw();
  }

  RR.tableFile = tableFile;
  RR.page("experiment", setupRunTable);
})();
