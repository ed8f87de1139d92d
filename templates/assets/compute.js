/* runreport: a compute target's page lists its first runs as HTML; "Show all N runs" draws
   the others from data/compute/<slug>.js (needs common.js). Every text is set as text. */
(function () {
  "use strict";

  var RR = window.RR;
  var el = RR.el, ROOT = RR.ROOT;

  function cell(child) {
    var td = el("td");
    if (child) td.appendChild(child);
    return td;
  }

  function link(href, text) {
    return el("a", { href: ROOT + href }, text);
  }

  /* A row as macros.html's runs_table makes it. */
  function row(r) {
    var tr = el("tr");
    var name = cell(link("runs/" + encodeURIComponent(r.slug) + ".html", r.name));
    if (r.id) {
      name.appendChild(document.createTextNode(" "));
      name.appendChild(el("span", { "class": "note short-id" }, r.id));
    }
    tr.appendChild(name);
    tr.appendChild(cell(link("experiments/" + encodeURIComponent(r.experiment_slug) + ".html", r.experiment)));
    tr.appendChild(cell(el("span", { "class": "status status-" + r.status.toLowerCase() }, r.status)));
    tr.appendChild(cell(r.compute ? link("compute/" + encodeURIComponent(r.compute_slug) + ".html", r.compute) : null));
    tr.appendChild(el("td", { "class": "nowrap" }, r.start_text));
    var dur = el("td", { "class": "nowrap" }, r.dur_text);
    if (r.live) {
      dur.appendChild(document.createTextNode(r.live.text));
      if (r.live.stalled) {
        dur.appendChild(document.createTextNode(" "));
        dur.appendChild(el("span", { "class": "status status-stalled", title: r.live.stalled }, "possibly stalled"));
      }
    }
    tr.appendChild(dur);
    return tr;
  }

  function setup() {
    var button = document.getElementById("show-all-runs");
    if (!button) return;
    var note = document.getElementById("more-runs-note");
    var body = document.querySelector("table.runs tbody");
    button.addEventListener("click", function () {
      button.disabled = true;
      note.textContent = "(drawing them…)";
      RR.loadScript(button.getAttribute("data-src")).then(function () {
        var rows = (RR.data(button.getAttribute("data-key")) || {}).rows || [];
        var frag = document.createDocumentFragment();
        rows.forEach(function (r) { frag.appendChild(row(r)); });
        body.appendChild(frag);
        button.hidden = true;
        note.textContent = "All " + body.rows.length.toLocaleString("en") + " runs are listed.";
      }).catch(function (err) {
        button.disabled = false;
        note.textContent = "(" + err.message + ")";
      });
    });
  }

  RR.page("compute", setup);
})();
