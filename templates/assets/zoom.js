/* runreport: zoom on line charts (needs common.js): drag across a chart to zoom to that x
   range, Ctrl, ⌘ or Shift with the wheel to zoom around the pointer (the wheel alone scrolls
   the page), + and − from the keyboard; double-click, "Reset zoom" or 0 to see it all again.
   A zoomed chart is drawn again from every point inside the range (smoothing.js reads the
   run's full-resolution data), so each extreme in it shows at the chart's width. With "Same x
   range on all charts", a zoom applies to every line chart of the page. */
(function () {
  "use strict";

  var RR = window.RR, el = RR.el;
  var shared = { on: false, range: null };

  /* The x range a chart is drawn with (null: all of it). */
  function rangeOf(container) {
    return shared.on ? shared.range : (container.rrZoom || null);
  }

  function setZoom(container, range) {
    if (shared.on) {
      shared.range = range;
      RR.redrawCharts(function (c) { return c.rrZoomable; });
    } else {
      container.rrZoom = range;
      container.rrDraw();
    }
  }

  function setShared(on) {
    shared.on = !!on;
    shared.range = null;
    document.querySelectorAll(".chart").forEach(function (c) { c.rrZoom = null; });
    RR.redrawCharts(function (c) { return c.rrZoomable; });
  }

  /* Ends every zoom (the charts are drawn again by the caller). */
  function clear() {
    shared.range = null;
    document.querySelectorAll(".chart").forEach(function (c) { c.rrZoom = null; });
  }

  /* Zoom for a drawn line chart. */
  function attach(container, view) {
    if (container.rrZoomOff) container.rrZoomOff();
    var canvas = container.querySelector("canvas");
    if (!canvas) return;
    container.rrZoomable = true;
    var box = el("div", { "class": "zoom-box", "aria-hidden": "true" });
    box.hidden = true;
    container.appendChild(box);
    var start = null, frame = 0, pending = null;

    function plotX(event) {  /* the pointer's x in the plot, clamped to it, and the plot */
      var rect = canvas.getBoundingClientRect(), xr = view.scale("x").range();
      var px = event.clientX - rect.left - view.origin()[0];
      return Math.max(Math.min(xr[0], xr[1]), Math.min(Math.max(xr[0], xr[1]), px));
    }

    function down(event) {
      var menu = event.target.closest ? event.target.closest("details") : null;  /* the ⋯ menu */
      if (event.button !== 0 || (menu && container.contains(menu))) return;
      start = plotX(event);
    }
    function move(event) {
      if (start === null) return;
      var now = plotX(event), rect = canvas.getBoundingClientRect(), host = container.getBoundingClientRect();
      var left = rect.left - host.left + view.origin()[0], yr = view.scale("y").range();
      box.style.left = (left + Math.min(start, now)) + "px";
      box.style.width = Math.abs(now - start) + "px";
      box.style.top = (rect.top - host.top + view.origin()[1] + Math.min(yr[0], yr[1])) + "px";
      box.style.height = Math.abs(yr[0] - yr[1]) + "px";
      box.hidden = false;
    }
    function up(event) {
      if (start === null) return;
      var end = plotX(event), from = start;
      start = null;
      box.hidden = true;
      if (Math.abs(end - from) < 5) return;  /* a click, not a drag */
      var xs = view.scale("x"), a = xs.invert(from), b = xs.invert(end);
      setZoom(container, [Math.min(a, b), Math.max(a, b)]);
    }
    function reset() { if (rangeOf(container)) setZoom(container, null); }
    function wheel(event) {
      if (!(event.ctrlKey || event.metaKey || event.shiftKey)) return;
      event.preventDefault();
      var xs = view.scale("x"), d = xs.domain(), at = xs.invert(plotX(event));
      var f = (event.deltaY || event.deltaX) > 0 ? 1.25 : 0.8;
      pending = [at - (at - d[0]) * f, at + (d[1] - at) * f];
      if (!frame) {
        frame = window.requestAnimationFrame(function () {
          frame = 0;
          setZoom(container, pending);
        });
      }
    }
    /* from the keyboard: + and − zoom around the x the arrow keys are at (hover.js; else the
       middle), 0 shows the whole range */
    function key(event) {
      var k = event.key, d = view.scale("x").domain();
      if (k === "0") { event.preventDefault(); reset(); return; }
      if (["+", "=", "-", "−"].indexOf(k) < 0) return;
      event.preventDefault();
      var at = typeof container.rrKeyX === "number" && container.rrKeyX >= d[0] && container.rrKeyX <= d[1]
        ? container.rrKeyX : (d[0] + d[1]) / 2;
      var f = k === "+" || k === "=" ? 0.8 : 1.25;
      setZoom(container, [at - (at - d[0]) * f, at + (d[1] - at) * f]);
    }
    container.addEventListener("keydown", key);
    canvas.addEventListener("pointerdown", down);
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
    canvas.addEventListener("dblclick", reset);
    canvas.addEventListener("wheel", wheel, { passive: false });

    /* a button to see it all again (the keyboard's way, and a sign that the chart is zoomed) */
    var card = container.closest("figure") || container.parentNode;
    var old = card.querySelector("button.reset-zoom");
    if (old) old.remove();
    if (rangeOf(container)) {
      var button = el("button", { type: "button", "class": "reset-zoom" }, "Reset zoom");
      button.addEventListener("click", reset);
      var caption = card.querySelector("figcaption");
      (caption || card).appendChild(button);
    }

    container.rrZoomOff = function () {
      container.removeEventListener("keydown", key);
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      box.remove();
      container.rrZoomOff = null;
    };
  }

  RR.zoom = { attach: attach, rangeOf: rangeOf, setShared: setShared, clear: clear };
})();
