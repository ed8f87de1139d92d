/* runreport: hover on line charts (needs common.js): a vertical rule at the pointer and, beside
   it, every shown line's value at that x (its nearest drawn point), sorted by value, in the
   line's colour. The pointer need not touch a line. Made from the chart's drawn data when the
   pointer first moves over it, so no chart pays for hover data it is never asked for.
   User text is only ever set with textContent. */
(function () {
  "use strict";

  var RR = window.RR, el = RR.el;
  /* Lines listed at most (the highest values; the rest are counted). */
  var MAX_ROWS = 20;

  /* The drawn lines of a view: [{label, xs, ys}] in x order, nulls left out. */
  function linesOf(view) {
    var by = {}, order = [];
    view.data("data").forEach(function (row) {
      if (row.y === null || row.y !== row.y || row.x === null) return;
      var series = row.series === null || row.series === undefined ? "" : row.series;
      /* metrics drawn together over runs (overlays.js): a line per run and metric (m) */
      var key = row.m ? series + "\u0000" + row.m : series;
      if (!by[key]) {
        by[key] = { label: row.m ? series + " · " + row.m : series, series: series, xs: [], ys: [] };
        order.push(key);
      }
      by[key].xs.push(row.x);
      by[key].ys.push(row.y);
    });
    return order.map(function (k) {
      var line = by[k], sorted = true;
      for (var i = 1; i < line.xs.length && sorted; i++) sorted = line.xs[i - 1] <= line.xs[i];
      if (!sorted) {
        var idx = line.xs.map(function (_, j) { return j; });
        idx.sort(function (a, b) { return line.xs[a] - line.xs[b]; });
        line.xs = idx.map(function (i) { return by[k].xs[i]; });
        line.ys = idx.map(function (i) { return by[k].ys[i]; });
      }
      return line;
    });
  }

  /* Index of the point of ``xs`` (ascending) nearest to ``x``. */
  function nearest(xs, x) {
    var lo = 0, hi = xs.length - 1;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (xs[mid] < x) lo = mid + 1; else hi = mid;
    }
    return lo > 0 && x - xs[lo - 1] <= xs[lo] - x ? lo - 1 : lo;
  }

  function number(v) {
    if (typeof v !== "number") return String(v);
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return v.toLocaleString("en");
    return +v.toPrecision(6) + "";
  }

  /* Every drawn x of ``lines`` inside ``domain``, ascending, once each. */
  function stops(lines, domain) {
    var seen = {}, out = [];
    lines.forEach(function (line) {
      line.xs.forEach(function (x) {
        if (x >= domain[0] && x <= domain[1] && !seen[x]) { seen[x] = 1; out.push(x); }
      });
    });
    return out.sort(function (a, b) { return a - b; });
  }

  /* The runs highlighted from the legend (none: every line is shown). */
  function picked(view) {
    try {
      var store = view.data("pick_store");
      return store && store.length ? store.map(function (t) { return t.values[0]; }) : null;
    } catch (e) { return null; }
  }

  /* Hover for a drawn line chart: ``titles`` [x, y], ``colour`` of a line by its label. */
  function attach(container, view, titles, colour) {
    if (container.rrHoverOff) container.rrHoverOff();
    var canvas = container.querySelector("canvas");
    if (!canvas) return;
    var rule = el("div", { "class": "hover-rule", "aria-hidden": "true" });
    var tip = el("div", { "class": "hover-tip", role: "tooltip" });
    rule.hidden = tip.hidden = true;
    container.appendChild(rule);
    container.appendChild(tip);
    var lines = null, frame = 0, last = null, keyX = null;

    function show() {  /* at the pointer */
      frame = 0;
      var px = last.clientX - canvas.getBoundingClientRect().left - view.origin()[0];
      showAt(view.scale("x").invert(px));
    }

    function showAt(x) {
      var box = canvas.getBoundingClientRect(), host = container.getBoundingClientRect();
      var origin = view.origin(), xs = view.scale("x"), ys = view.scale("y");
      var px = xs(x), yr = ys.range(), xr = xs.range();
      if (px < Math.min(xr[0], xr[1]) || px > Math.max(xr[0], xr[1])) { hide(); return; }
      lines = lines || linesOf(view);
      var only = picked(view), values = [];
      lines.forEach(function (line) {
        if (!line.xs.length || (only && only.indexOf(line.series) < 0)) return;
        var i = nearest(line.xs, x);
        values.push({ label: line.label, series: line.series, x: line.xs[i], y: line.ys[i] });
      });
      if (!values.length) { hide(); return; }
      values.sort(function (a, b) { return b.y - a.y; });
      var at = values.reduce(function (best, v) {  /* the drawn x nearest the pointer */
        return Math.abs(v.x - x) < Math.abs(best - x) ? v.x : best;
      }, values[0].x);
      var left = box.left - host.left + origin[0];
      var top = box.top - host.top + origin[1];
      keyX = container.rrKeyX = at;
      rule.style.left = (left + px) + "px";
      rule.style.top = (top + Math.min(yr[0], yr[1])) + "px";
      rule.style.height = Math.abs(yr[0] - yr[1]) + "px";
      tip.textContent = "";
      tip.appendChild(el("div", { "class": "hover-x" },
        titles[0] + " " + ((container.rrXFormat && container.rrXFormat(at)) || number(at))));
      values.slice(0, MAX_ROWS).forEach(function (v) {
        var row = el("div", { "class": "hover-row" });
        var swatch = el("span", { "class": "swatch" });
        swatch.style.background = colour(v.series);
        row.appendChild(swatch);
        if (v.label) row.appendChild(el("span", { "class": "hover-label" }, v.label));
        row.appendChild(el("span", { "class": "hover-value" },
          number(v.y) + (v.x !== at ? " (at " + number(v.x) + ")" : "")));
        tip.appendChild(row);
      });
      if (values.length > MAX_ROWS) {
        tip.appendChild(el("div", { "class": "hover-x" }, "and " + (values.length - MAX_ROWS) + " more"));
      }
      rule.hidden = tip.hidden = false;
      var width = tip.offsetWidth, right = left + px + 12;
      tip.style.left = (right + width > host.width ? Math.max(0, left + px - 12 - width) : right) + "px";
      tip.style.top = (top + Math.min(yr[0], yr[1])) + "px";
    }

    function hide() { rule.hidden = tip.hidden = true; }

    function move(event) {
      last = event;
      if (!frame) frame = window.requestAnimationFrame(show);
    }
    function leave() {
      if (frame) window.cancelAnimationFrame(frame);
      frame = 0;
      hide();
    }
    /* from the keyboard: the arrows move from one drawn x to the next, Home and End go to
       the ends, Escape hides the values */
    container.setAttribute("tabindex", "0");
    container.setAttribute("aria-label", "Chart of " + titles[1] + ". Arrow keys: the values " +
      "at each " + titles[0] + "; + and −: zoom; 0: the whole range.");
    tip.setAttribute("aria-live", "polite");
    function key(event) {
      var k = event.key;
      if (["ArrowLeft", "ArrowRight", "Home", "End", "Escape"].indexOf(k) < 0) return;
      event.preventDefault();
      if (k === "Escape") { hide(); return; }
      lines = lines || linesOf(view);
      var xs = stops(lines, view.scale("x").domain());
      if (!xs.length) return;
      var i = keyX === null ? -1 : nearest(xs, keyX);
      if (k === "Home" || (k === "ArrowRight" && keyX === null)) i = 0;
      else if (k === "End" || (k === "ArrowLeft" && keyX === null)) i = xs.length - 1;
      else i = Math.max(0, Math.min(xs.length - 1, i + (k === "ArrowRight" ? 1 : -1)));
      showAt(xs[i]);
    }
    container.addEventListener("keydown", key);
    container.addEventListener("blur", hide);
    container.addEventListener("pointermove", move);
    container.addEventListener("pointerleave", leave);
    container.rrHoverOff = function () {  /* before the chart is drawn again */
      leave();
      container.removeEventListener("keydown", key);
      container.removeEventListener("blur", hide);
      container.removeEventListener("pointermove", move);
      container.removeEventListener("pointerleave", leave);
      rule.remove();
      tip.remove();
      container.rrHoverOff = null;
    };
  }

  RR.hover = attach;
})();
