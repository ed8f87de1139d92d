/* runreport: the chart tools of run and compare pages (needs common.js): the metric filter (a
   regular expression), the chart size, the sections charts are grouped in, and links to one
   chart (#chart=NAME). The filter and the size are kept in the page's address
   (#filter=…&size=…, with history.replaceState), so a reload or a shared address keeps them.
   User text is only ever set with textContent. */
(function () {
  "use strict";

  var RR = window.RR;
  /* chart heights at each size, as a factor of the height the chart's shape gives */
  var SIZES = { s: 0.6, m: 1, l: 1.6 };

  /* The address's hash as its key=value parts, each kept as written (compare.html's runs=
     holds a list of encoded run slugs). */
  function hashParts() {
    return window.location.hash.replace(/^#/, "").split("&").filter(Boolean);
  }

  function hashParam(key) {
    var parts = hashParts();
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (eq > 0 && parts[i].slice(0, eq) === key) {
        try { return decodeURIComponent(parts[i].slice(eq + 1)); } catch (e) { return null; }
      }
    }
    return null;
  }

  /* The hash with ``key`` set to ``value`` (left out when null or ""), the rest as it was. */
  function hashWith(key, value) {
    var parts = hashParts().filter(function (p) { return p.split("=")[0] !== key; });
    if (value !== null && value !== "") parts.push(key + "=" + encodeURIComponent(value));
    return parts.length ? "#" + parts.join("&") : "";
  }

  function setHashParam(key, value) {
    var hash = hashWith(key, value);
    history.replaceState(history.state, "", hash || window.location.pathname + window.location.search);
  }

  function sizeFactor() {
    return SIZES[document.body.getAttribute("data-chart-size")] || 1;
  }

  /* Sets up the tools for the chart cards now on the page (figure.chart-card[data-name]). */
  function setup() {
    var tools = document.querySelector(".chart-tools");
    if (!tools) return;
    tools.hidden = false;
    var cards = Array.prototype.slice.call(document.querySelectorAll("figure.chart-card[data-name]"));
    var names = cards.map(function (c) { return c.getAttribute("data-name"); });
    /* each card's link to itself, made here (in the page it was 400 kB of 2,000 charts) */
    cards.forEach(function (card, i) {
      var caption = card.querySelector("figcaption");
      if (!caption || caption.querySelector("a.chart-link")) return;
      caption.appendChild(document.createTextNode(" "));
      caption.appendChild(RR.el("a", { "class": "chart-link", href: hashWith("chart", names[i]),
        title: "Link to this chart", "aria-label": "Link to the chart of " + names[i] }, "link"));
    });
    var sections = Array.prototype.slice.call(document.querySelectorAll("section.chart-section"));
    /* a section's heading is a button that shows or hides its charts (a plain section, not a
       <details>: 400 open <details> made a page of 2,000 charts 100-300 ms slower to show) */
    function expand(section, open) {
      var toggle = section.querySelector(".section-toggle"), grid = section.querySelector(".charts");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      grid.hidden = !open;
    }
    sections.forEach(function (section) {
      section.querySelector(".section-toggle").addEventListener("click", function (event) {
        expand(section, event.currentTarget.getAttribute("aria-expanded") !== "true");
      });
    });
    var input = document.getElementById("metric-filter");
    var size = document.getElementById("chart-size");
    var count = document.getElementById("chart-count");

    /* Metrics measured on different splits (loss, val_loss) are drawn together on one card,
       unless split: then each has its own card again. */
    var split = document.getElementById("split-paired");
    var pairedShown = function (card) {
      return split.checked ? !card.classList.contains("together") : !card.classList.contains("paired");
    };
    var current = "";

    function filter(text) {
      current = text;
      var m = text ? RR.matcher(text) : null, shown = 0;
      cards.forEach(function (card, i) {
        var keep = (!m || m.test(names[i])) && pairedShown(card);
        card.hidden = !keep;
        if (keep) shown++;
      });
      sections.forEach(function (s) {
        var n = s.querySelectorAll("figure.chart-card:not([hidden])").length;
        s.hidden = !n;
        var note = s.querySelector(".section-toggle .note");
        if (note) note.textContent = "(" + n + " chart" + (n === 1 ? "" : "s") + ")";
      });
      input.setAttribute("aria-invalid", m && m.bad ? "true" : "false");
      var total = cards.filter(pairedShown).length;
      count.textContent = !m ? "" : "Showing " + shown + " of " + total + " chart" +
        (total === 1 ? "" : "s") + (m.bad ? " (not a valid regular expression: matched as text)" : "");
    }
    if (document.querySelector("figure.chart-card.together")) {
      document.getElementById("split-paired-label").hidden = false;
      split.addEventListener("change", function () {
        setHashParam("split", split.checked ? "1" : "");
        filter(current);
      });
    }

    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        filter(input.value);
        setHashParam("filter", input.value);
      }, 120);
    });

    function applySize(value, redraw) {
      if (!SIZES[value]) value = "m";
      size.value = value;
      document.body.setAttribute("data-chart-size", value);
      if (redraw) RR.redrawCharts();
    }
    size.addEventListener("change", function () {
      applySize(size.value, true);
      setHashParam("size", size.value === size.getAttribute("data-default") ? "" : size.value);
    });

    /* Smoothing: a weight (0: none) and a method, for every line chart of the page. */
    var weight = document.getElementById("smoothing");
    var shown = document.getElementById("smoothing-value");
    var method = document.getElementById("smoothing-method");
    function applySmoothing() {
      RR.smoothing.set(weight.value, method.value);
      shown.textContent = (+weight.value).toFixed(3).replace(/\.?0+$/, "") || "0";
    }
    /* Charts are drawn again at the next frame; while they are, later changes wait, and the
       last of them is drawn once they are done (a dragged slider never queues redraws). */
    var busy = false, again = false;
    function smoothingChanged() {
      if (busy) { again = true; return; }
      busy = true;
      window.requestAnimationFrame(function () {
        applySmoothing();
        setHashParam("smooth", +weight.value ? weight.value : "");
        setHashParam("method", method.value === "ema" ? "" : method.value);
        var done = function () {
          busy = false;
          if (again) { again = false; smoothingChanged(); }
        };
        RR.redrawCharts(function (c) { return c.rrSmooth; }).then(done, function (err) {
          console.error(err);
          done();
        });
      });
    }
    weight.addEventListener("input", smoothingChanged);
    method.addEventListener("change", smoothingChanged);

    /* Axes: a log scale, the central 98 % of values (axes.js), for every line chart. */
    var logScale = document.getElementById("log-scale");
    var outliers = document.getElementById("outliers");
    function axesChanged() {
      RR.axes.set(logScale.checked, outliers.checked);
      setHashParam("log", logScale.checked ? "1" : "");
      setHashParam("outliers", outliers.checked ? "1" : "");
      RR.redrawCharts();
    }
    logScale.addEventListener("change", axesChanged);
    /* The x axis of every line chart (xaxis.js): zooms are in its units, so they end. */
    var xAxis = document.getElementById("x-axis");
    xAxis.addEventListener("change", function () {
      RR.xaxis.set(xAxis.value);
      setHashParam("x", xAxis.value === "step" ? "" : xAxis.value);
      RR.zoom.clear();
      RR.redrawCharts(function (c) { return c.rrSmooth; });
    });
    var sharedX = document.getElementById("shared-x");
    sharedX.addEventListener("change", function () { RR.zoom.setShared(sharedX.checked); });
    outliers.addEventListener("change", axesChanged);

    function goToChart(name) {
      var i = names.indexOf(name);
      if (i < 0) return;
      var card = cards[i];
      if (!pairedShown(card)) {  /* a paired metric's own card, or a pair's: shown as asked */
        split.checked = !split.checked;
        setHashParam("split", split.checked ? "1" : "");
        filter(current);
      }
      if (card.hidden) { input.value = ""; filter(""); setHashParam("filter", ""); }
      var section = card.closest("section.chart-section");
      if (section) expand(section, true);
      cards.forEach(function (c) { c.classList.remove("target"); });
      card.classList.add("target");
      card.setAttribute("tabindex", "-1");
      card.scrollIntoView({ block: "start" });
      card.focus({ preventScroll: true });
    }

    document.addEventListener("click", function (event) {
      var a = event.target.closest ? event.target.closest("a.chart-link") : null;
      if (!a) return;
      event.preventDefault();
      var name = a.closest("figure.chart-card").getAttribute("data-name");
      history.pushState(history.state, "", hashWith("chart", name) || "#");
      goToChart(name);
    });
    window.addEventListener("hashchange", function () {
      var name = hashParam("chart");
      if (name !== null) goToChart(name);
    });

    applySize(hashParam("size") || size.getAttribute("data-default") || "m", false);
    if (hashParam("smooth")) weight.value = hashParam("smooth");
    if (hashParam("method") === "ma") method.value = "ma";
    applySmoothing();
    if (RR.xaxis.isAxis(hashParam("x"))) xAxis.value = hashParam("x");
    RR.xaxis.set(xAxis.value);
    logScale.checked = hashParam("log") === "1";
    outliers.checked = hashParam("outliers") === "1";
    RR.axes.set(logScale.checked, outliers.checked);
    split.checked = hashParam("split") === "1";
    var text = hashParam("filter");
    input.value = text || "";
    filter(text || "");
    var target = hashParam("chart");
    if (target !== null) goToChart(target);
  }

  RR.chartTools = setup;
  RR.sizeFactor = sizeFactor;
  RR.hashParam = hashParam;
  RR.hashWith = hashWith;
})();
