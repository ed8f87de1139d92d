/* runreport: an experiment page's column picker (needs common.js and charttools.js; used by
   experiment.js): which of the run table's columns are shown, and in which order, kept in the
   page's address (#cols=Status,lr,val_loss: the names shown, in order), so a reload or a
   shared address keeps them. The select and run columns always come first. A row's cells
   keep their first order in ``tr.rrCells`` (what experiment.js fills by position). */
(function () {
  "use strict";

  var RR = window.RR, el = RR.el;
  var FIXED = 2;  /* the select and run columns: never moved or hidden */
  /* Metric columns shown at first when a table has more: the key metrics, then the first in
     the page's order (a table of 100 runs x 2,000 metrics took seconds to sort or filter; the
     cells of hidden columns cost nothing to lay out). The others are a tick away. */
  var MAX_METRICS = 30;
  var names = [], order = null, shown = {}, defaults = {};

  /* The page's columns after the fixed ones, as first made: [{key, name, metric}]. */
  function columns(table) {
    return Array.prototype.slice.call(table.tHead.rows[0].cells, FIXED).map(function (th) {
      return { key: th.getAttribute("data-key"), name: th.textContent.trim(),
        metric: th.classList.contains("metric") };
    });
  }

  /* The columns shown when the address lists none: all but the metrics past MAX_METRICS. */
  function byDefault(keys) {
    var out = {}, metrics = [];
    names.forEach(function (c, i) { if (c.metric) metrics.push(i); else out[i] = true; });
    var first = metrics.filter(function (i) { return keys.indexOf(names[i].name) >= 0; });
    metrics.forEach(function (i) { if (first.indexOf(i) < 0) first.push(i); });
    first.slice(0, MAX_METRICS).forEach(function (i) { out[i] = true; });
    return out;
  }

  function isDefault() {
    return names.every(function (c, i) { return !shown[i] === !defaults[i]; });
  }

  /* Order and visibility from the address: the names listed, shown, in that order, then the
     others, hidden; "*", every column; none listed, the default set; in the page's order. */
  function fromHash() {
    var value = RR.hashParam("cols");
    order = names.map(function (c, i) { return i; });
    shown = {};
    if (!value || value === "*") {
      order.forEach(function (i) { shown[i] = value === "*" || !!defaults[i]; });
      return;
    }
    var listed = [];
    value.split(",").forEach(function (n) {
      var i = names.findIndex(function (c) { return c.name === n; });
      if (i >= 0 && listed.indexOf(i) < 0) { listed.push(i); shown[i] = true; }
    });
    order = listed.concat(order.filter(function (i) { return listed.indexOf(i) < 0; }));
  }

  function toHash() {
    var inOrder = order.every(function (i, k) { return i === k; });
    var all = inOrder && order.every(function (i) { return shown[i]; });
    var value = inOrder && isDefault() ? "" : all ? "*" : order.filter(function (i) { return shown[i]; })
      .map(function (i) { return names[i].name.replace(/,/g, " "); }).join(",");
    history.replaceState(history.state, "", RR.hashWith("cols", value) || window.location.pathname);
  }

  /* Puts a row's cells (or the header's) in the chosen order, the hidden ones hidden. A row
     may leave a hidden column's cell unmade (null in ``rrCells``): it is made, by the row's
     ``rrMake(position)``, when its column is first shown (a row of 2,000 metrics makes 30). */
  function arrange(tr) {
    if (!tr.rrCells) tr.rrCells = Array.prototype.slice.call(tr.cells);
    var cells = tr.rrCells;
    order.forEach(function (i) {
      var cell = cells[FIXED + i];
      if (!cell) {
        if (!shown[i]) return;
        cell = cells[FIXED + i] = tr.rrMake(FIXED + i);
      }
      cell.hidden = !shown[i];
      tr.appendChild(cell);
    });
  }

  /* ``values`` (one per column after the select column, in the page's first order) in the
     order shown, without the hidden ones (for the table's downloads). */
  function pick(values) {
    return [values[0]].concat(order.filter(function (i) { return shown[i]; }).map(function (i) {
      return values[FIXED - 1 + i];
    }));
  }

  function apply(table, rows) {
    arrange(table.tHead.rows[0]);
    rows().forEach(function (row) { if (row.tr) arrange(row.tr); });
    var n = order.filter(function (i) { return shown[i]; }).length;
    document.getElementById("columns-count").textContent = "(" + n + " of " + names.length + ")";
    toHash();
  }

  /* The picker: a checkbox per column to show it, and buttons to move it up or down. */
  function drawList(table, rows, focus) {
    var list = document.getElementById("column-list");
    list.textContent = "";
    order.forEach(function (i, at) {
      var name = names[i].name, li = el("li");
      var box = el("input", { type: "checkbox", id: "col-" + i });
      box.checked = !!shown[i];
      box.addEventListener("change", function () { shown[i] = box.checked; apply(table, rows); });
      var label = el("label", { "for": "col-" + i }, name);
      li.appendChild(box);
      li.appendChild(label);
      [["up", -1, "\u2191"], ["down", 1, "\u2193"]].forEach(function (m) {
        var b = el("button", { type: "button", "class": "move", id: "col-" + m[0] + "-" + i,
          "aria-label": "Move " + name + " " + m[0] }, m[2]);
        b.disabled = at + m[1] < 0 || at + m[1] >= order.length;
        b.addEventListener("click", function () {
          order.splice(at, 1);
          order.splice(at + m[1], 0, i);
          apply(table, rows);
          drawList(table, rows, b.id);
        });
        li.appendChild(b);
      });
      list.appendChild(li);
    });
    var again = focus && document.getElementById(focus);
    if (again) (again.disabled ? document.getElementById("col-" + focus.split("-").pop()) : again).focus();
  }

  /* Sets up the picker for ``table`` (``rows``: every row of it made so far, a function). */
  function setup(table, rows, keys) {
    if (!document.getElementById("column-pick")) return;
    names = columns(table);
    defaults = byDefault(keys || []);
    fromHash();
    var menu = document.getElementById("column-pick");
    menu.addEventListener("toggle", function () {  /* listed when first opened: 4 controls a column */
      if (menu.open && !document.getElementById("column-list").firstChild) drawList(table, rows);
    });
    document.getElementById("columns-all").addEventListener("click", function () {
      order = names.map(function (c, i) { return i; });
      order.forEach(function (i) { shown[i] = true; });
      apply(table, rows);
      drawList(table, rows);
    });
    menu.addEventListener("keydown", function (event) {  /* Escape closes the picker */
      if (event.key === "Escape" && menu.open) { menu.open = false; menu.querySelector("summary").focus(); }
    });
    apply(table, rows);
  }

  RR.columnPicker = {
    setup: setup,
    /* whether the cell at ``at`` (a position in a row, as first made) is shown */
    shows: function (at) { return !order || at < FIXED || !!shown[at - FIXED]; },
    arrange: function (tr) { if (order) arrange(tr); },
    pick: function (values) { return order ? pick(values) : values; }
  };
})();
