/* runreport: the theme, light or dark: the reader's choice (kept in this browser), else the
   system's. Loaded without defer, so the page is drawn in the chosen theme from the start (a
   dark page never flashes light); the "Theme" switch is set up once the page is parsed, and
   charts drawn so far are drawn again in the new theme (common.js asks isDark when drawing). */
(function () {
  "use strict";

  var root = document.documentElement;
  var darkSystem = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  try {
    var theme = window.localStorage.getItem("runreport-theme");
    if (theme === "light" || theme === "dark") root.setAttribute("data-theme", theme);
  } catch (e) { /* storage refused (private mode): follow the system */ }

  function isDark() {
    var chosen = root.getAttribute("data-theme");
    return chosen ? chosen === "dark" : !!(darkSystem && darkSystem.matches);
  }

  function redraw() {
    if (window.RR && window.RR.redrawCharts) window.RR.redrawCharts();
  }

  function setupTheme() {
    var pick = document.getElementById("theme");
    if (!pick) return;
    pick.parentNode.hidden = false;
    pick.value = root.getAttribute("data-theme") || "auto";
    pick.addEventListener("change", function () {
      if (pick.value === "auto") root.removeAttribute("data-theme");
      else root.setAttribute("data-theme", pick.value);
      try {
        if (pick.value === "auto") window.localStorage.removeItem("runreport-theme");
        else window.localStorage.setItem("runreport-theme", pick.value);
      } catch (e) { /* not kept: this page only */ }
      redraw();
    });
    if (darkSystem && darkSystem.addEventListener) {
      darkSystem.addEventListener("change", function () {
        if (!root.getAttribute("data-theme")) redraw();
      });
    }
  }

  document.addEventListener("DOMContentLoaded", setupTheme);
  window.RR_THEME = { isDark: isDark };
})();
