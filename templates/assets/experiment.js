/* runreport: an experiment page's run table: stat switch, sort, filter, pick runs to compare
   (needs common.js). */
(function () {
  "use strict";

  var RR = window.RR;
  var ROOT = RR.ROOT, el = RR.el;

  function setupRunTable() {
    var table = document.getElementById("run-table");
    if (!table) return;
    var tbody = table.tBodies[0];
    var statSwitch = document.getElementById("stat-switch");

    function showStat(stat) {
      table.querySelectorAll("td.metric[data-last]").forEach(function (td) {
        td.textContent = td.getAttribute("data-" + stat + "-text");
        td.setAttribute("data-sort", td.getAttribute("data-" + stat));
        if ((td.getAttribute("data-best") || "").split(" ").indexOf(stat) >= 0) {
          td.appendChild(document.createTextNode(" "));
          td.appendChild(el("span", { "class": "best", title: "best" }, "★"));
        }
      });
    }
    statSwitch.addEventListener("change", function () { showStat(statSwitch.value); });

    var sortState = { col: -1, dir: 1 };
    table.tHead.querySelectorAll("th").forEach(function (th, col) {
      if (th.getAttribute("data-type") === "none") return;
      th.classList.add("sortable-col");
      th.addEventListener("click", function () {
        sortState.dir = sortState.col === col ? -sortState.dir : 1;
        sortState.col = col;
        sortRows(col, th.getAttribute("data-type") === "num", sortState.dir);
        table.tHead.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", sortState.dir > 0 ? "ascending" : "descending");
      });
    });

    function key(row, col, numeric) {
      var cell = row.cells[col];
      var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
      if (!numeric) return raw.toLowerCase();
      var v = parseFloat(raw);
      return isNaN(v) ? null : v;
    }

    function sortRows(col, numeric, dir) {
      var rows = Array.prototype.slice.call(tbody.rows);
      var groups = [];
      var bySlug = {};
      rows.forEach(function (row) {
        var parent = row.getAttribute("data-parent");
        if (parent && bySlug[parent]) { bySlug[parent].rows.push(row); }
        else {
          var g = { rows: [row] };
          groups.push(g);
          bySlug[row.getAttribute("data-slug")] = g;
        }
        if (parent && bySlug[parent]) bySlug[row.getAttribute("data-slug")] = bySlug[parent];
      });
      groups.sort(function (a, b) {
        var ka = key(a.rows[0], col, numeric), kb = key(b.rows[0], col, numeric);
        if (ka === kb) return 0;
        if (ka === null) return 1;  /* empty cells last, whichever the direction */
        if (kb === null) return -1;
        return (ka < kb ? -1 : 1) * dir;
      });
      groups.forEach(function (g) { g.rows.forEach(function (r) { tbody.appendChild(r); }); });
    }

    var filter = document.getElementById("run-filter");
    filter.addEventListener("input", function () {
      var q = filter.value.trim().toLowerCase();
      Array.prototype.forEach.call(tbody.rows, function (row) {
        row.hidden = q !== "" && row.textContent.toLowerCase().indexOf(q) < 0;
      });
    });

    var button = document.getElementById("compare-selected");
    function picked() {
      return Array.prototype.map.call(table.querySelectorAll("input.pick:checked"),
        function (box) { return box.value; });
    }
    table.addEventListener("change", function (event) {
      if (event.target.classList.contains("pick")) button.disabled = picked().length === 0;
    });
    button.addEventListener("click", function () {
      window.location.href = ROOT + "compare.html#runs=" + picked().map(encodeURIComponent).join(",");
    });
  }

  RR.page("experiment", setupRunTable);
})();
