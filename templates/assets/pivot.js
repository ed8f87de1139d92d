/* runreport: an experiment page's pivot (needs common.js and experiment.js): a metric's mean
   ± sample standard deviation (and count) over the runs the table shows, by the values of two
   params, with the stat the table shows; as Markdown or LaTeX for a paper. */
(function () {
  "use strict";

  var RR = window.RR, el = RR.el;
  var state = { rows: [], stat: "last" };

  function number(v) { return +v.toPrecision(4) + ""; }

  /* {head, rows} of texts: the row param's values down, the column param's across. */
  function pivot(rows, stat, r, c, m) {
    var k = RR.STATS.indexOf(stat), cells = {}, across = {}, down = {};
    rows.forEach(function (row) {
      var v = row.cells[m] ? row.cells[m][k] : null;
      if (v === null || v === undefined || typeof v !== "number" || !isFinite(v)) return;
      var a = row.params[r] === undefined || row.params[r] === null ? "(none)" : String(row.params[r]);
      var b = row.params[c] === undefined || row.params[c] === null ? "(none)" : String(row.params[c]);
      down[a] = across[b] = 1;
      (cells[a + "\u0000" + b] = cells[a + "\u0000" + b] || []).push(v);
    });
    var cols = Object.keys(across).sort(RR.naturalOrder);
    return {
      cols: cols,
      rows: Object.keys(down).sort(RR.naturalOrder).map(function (a) {
        return [a].concat(cols.map(function (b) {
          var vs = cells[a + "\u0000" + b];
          if (!vs) return "";
          var mean = vs.reduce(function (s, v) { return s + v; }, 0) / vs.length;
          if (vs.length < 2) return number(mean) + " (n=1)";
          var sd = Math.sqrt(vs.reduce(function (s, v) { return s + (v - mean) * (v - mean); }, 0) / (vs.length - 1));
          return number(mean) + " ± " + number(sd) + " (n=" + vs.length + ")";
        }));
      })
    };
  }

  function setup() {
    var box = document.getElementById("pivot");
    if (!box) return null;
    var params = Array.prototype.map.call(document.querySelectorAll("#run-table th.param"), function (th) { return th.textContent.trim(); });
    var metrics = Array.prototype.map.call(document.querySelectorAll("#run-table th.metric"), function (th) { return th.textContent.trim(); });
    if (params.length < 1 || !metrics.length) { box.hidden = true; return null; }
    var pick = { rows: document.getElementById("pivot-rows"), cols: document.getElementById("pivot-cols"),
                 value: document.getElementById("pivot-value") };
    params.forEach(function (p, i) {
      pick.rows.appendChild(el("option", { value: String(i) }, p));
      pick.cols.appendChild(el("option", { value: String(i) }, p));
    });
    metrics.forEach(function (m, i) { pick.value.appendChild(el("option", { value: String(i) }, m)); });
    pick.cols.value = String(Math.min(1, params.length - 1));
    var table = document.getElementById("pivot-table"), made = null;

    function draw() {
      var r = +pick.rows.value, c = +pick.cols.value, m = +pick.value.value;
      made = pivot(state.rows, state.stat, r, c, m);
      made.head = [params[r] + " \\ " + params[c]].concat(made.cols);
      made.name = metrics[m] + " (" + state.stat + ")";
      table.textContent = "";
      var caption = table.appendChild(el("caption", null, made.name + ": mean ± standard deviation over the runs shown"));
      caption.className = "note";
      var tr = table.appendChild(el("thead")).appendChild(el("tr"));
      made.head.forEach(function (h) { tr.appendChild(el("th", null, h)); });
      var tbody = table.appendChild(el("tbody"));
      made.rows.forEach(function (row) {
        var line = tbody.appendChild(el("tr"));
        row.forEach(function (t, i) { line.appendChild(el(i ? "td" : "th", i ? { "class": "num" } : null, t)); });
      });
    }
    [pick.rows, pick.cols, pick.value].forEach(function (s) { s.addEventListener("change", draw); });
    box.addEventListener("toggle", function () { if (box.open) draw(); });
    box.addEventListener("click", function (event) {
      var format = event.target.getAttribute && event.target.getAttribute("data-format");
      if (!format || !made) return;
      RR.saveText(RR.tableFile(format, made.head, made.rows),
        (document.body.getAttribute("data-experiment") + "-pivot." + format));
    });
    return draw;
  }

  var redraw;
  RR.pivot = {
    /* the table's rows shown (``shown()``) and stat: drawn again once every row is loaded */
    update: function (shown, stat, ready) {
      if (redraw === undefined) redraw = setup();
      if (!redraw) return;
      ready.then(function () {  /* made when the pivot is open (the table of 10,000 runs filters fast) */
        state.rows = shown();
        state.stat = stat;
        if (document.getElementById("pivot").open) redraw();
      });
    }
  };
})();
