"""An experiment page's charts of its key metrics across runs (issue: sweeps), read from what
Vega drew in headless Chromium: the metrics chosen, the runs charted following the table's
sort and filter, ticked runs added and highlighted, and a click on a line ticking its row."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import CHROMIUM, write_run
from tests_helpers import data_file

from runreport.build import BuildConfig, build_site
from runreport.rules import key_metrics

BROWSER_OK = CHROMIUM.exists() or os.environ.get("RUNREPORT_SKIP_BROWSER") != "1"
TRIALS = 25


def test_key_metrics_are_goals_else_held_out_first_and_bookkeeping_last() -> None:
    names = ["train/acc", "epoch", "system/gpu", "loss", "val_loss", "learning_rate", "eval/f1"]
    assert key_metrics(names) == ["eval/f1", "val_loss", "loss", "train/acc"]
    assert key_metrics(names, n=2) == ["eval/f1", "val_loss"]
    assert key_metrics(names, goals=["epoch", "loss", "not-charted"]) == ["loss", "epoch"]
    assert key_metrics([]) == []


def _sweep(logs: Path) -> list[str]:
    """25 trials of a sweep under a parent with no metrics: trial-k's val_loss ends lower as
    k grows; names in the order logged."""
    write_run(logs, "sweep", [], name="sweep", experiment="exp")
    names = []
    for k in range(TRIALS):
        name = f"trial-{k}"
        records = [
            {"kind": "scalar", "name": metric, "value": value, "step": i}
            for i in range(8)
            for metric, value in (
                ("val_loss", math.exp(-i * (k + 1) / 20) + 0.01 * k),
                ("loss", math.exp(-i * (k + 1) / 18)),
                ("epoch", float(i)),
            )
        ]
        write_run(
            logs,
            name,
            records,
            name=name,
            experiment="exp",
            parent_id="sweep",
            params={"k": k, "lr": 10 ** (-k / 6)},
        )
        names.append(name)
    return names


def test_the_data_file_names_the_key_metrics_and_their_cells(tmp_path: Path) -> None:
    _sweep(tmp_path / "logs")
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(tmp_path / "logs",), output=site, goals={"loss": "min"}))
    data = data_file(next((site / "data" / "experiments").glob("*.js")))
    charts = data["key_charts"]
    assert charts["metrics"] == ["loss"]  # a goal given: that one
    assert charts["cells"] == [["epoch", "loss", "val_loss"].index("loss")]
    assert set(charts["overlays"]) == {"loss"}
    shapes = {
        charts["overlays"]["loss"]["shape"],
        "lines",
        "scatter",
        "scatter_nominal",
        "parallel",
    }
    assert set(charts["shapes"]) == shapes


LINES = """el => {
  const out = [];
  (function walk(mark) {
    if (mark.marktype === "line" && mark.name === "main_marks" && mark.items.length) {
      out.push([mark.items[0].datum.series, mark.items[0].opacity]);
    }
    if (mark.marktype === "group") mark.items.forEach(g => (g.items || []).forEach(walk));
  })(el.rrView.scenegraph().root);
  return out;
}"""

#: Where on the page a run's line is drawn (its middle point), as a user would click it.
POINT_OF = """(el, label) => {
  let hit = null;
  (function walk(mark, ox, oy) {
    if (mark.marktype === "line" && mark.name === "main_marks" && mark.items.length &&
        mark.items[0].datum.series === label) {
      const it = mark.items[Math.floor(mark.items.length / 2)];
      hit = [ox + it.x, oy + it.y];
    }
    if (mark.marktype === "group") {
      mark.items.forEach(g => (g.items || []).forEach(m => walk(m, ox + (g.x || 0),
                                                                 oy + (g.y || 0))));
    }
  })(el.rrView.scenegraph().root, 0, 0);
  const box = el.querySelector("canvas").getBoundingClientRect(), o = el.rrView.origin();
  return [box.x + o[0] + hit[0], box.y + o[1] + hit[1]];
}"""


#: The right edge of each legend label as drawn, and the canvas's width.
LEGEND_EDGES = """el => {
  const out = [];
  (function walk(mark, ox) {
    if (mark.marktype === "text" && mark.role === "legend-label") {
      mark.items.forEach(t => out.push(ox + t.x + (t.bounds ? t.bounds.width() : 0)));
    }
    if (mark.marktype === "group") {
      mark.items.forEach(g => (g.items || []).forEach(m => walk(m, ox + (g.x || 0))));
    }
  })(el.rrView.scenegraph().root, el.rrView.origin()[0]);
  return [out, el.querySelector("canvas").getBoundingClientRect().width];
}"""


def _experiment_page(browser: Any, tmp_path: Path) -> tuple[Any, list[str]]:
    """The experiment page of the site built from ``tmp_path / "logs"``, open, and the
    console's errors and warnings (a list that grows)."""
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(tmp_path / "logs",), output=site))
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(next((site / "experiments").glob("*.html")).as_uri(), wait_until="load")
    return page, errors


def _row(page: Any, name: str) -> Any:
    return page.locator("#run-table tbody tr", has=page.get_by_role("link", name=name, exact=True))


def _lines(page: Any, old: Any = None) -> list[list[Any]]:
    chart = page.locator(".chart[data-compare='val_loss']")
    page.wait_for_function(
        "([el, old]) => el.rrView && el.rrView !== old && el.getAttribute('data-marks')",
        arg=[chart.element_handle(), old],
        timeout=15_000,
    )
    return chart.evaluate(LINES)  # type: ignore[no-any-return]


@pytest.mark.browser
@pytest.mark.skipif(not BROWSER_OK, reason="RUNREPORT_SKIP_BROWSER=1 and no /usr/bin/chromium")
def test_experiment_charts_follow_the_table_and_tick_runs(browser: Any, tmp_path: Path) -> None:
    names = _sweep(tmp_path / "logs")
    page, errors = _experiment_page(browser, tmp_path)

    # the key metrics, held-out first, bookkeeping (epoch) left out of the first few
    cards = page.eval_on_selector_all(
        "#sweep-charts figure.chart-card", "fs => fs.map(f => f.getAttribute('data-name'))"
    )
    assert cards == ["val_loss", "loss", "epoch"]
    # the first 20 runs of the table that have these metrics (the parent has none), all shown
    lines = _lines(page)
    in_table = page.eval_on_selector_all(
        "#run-table tbody tr td:nth-child(2) a", "as => as.map(a => a.textContent)"
    )
    assert in_table[0] == "sweep" and sorted(in_table[1:]) == sorted(names)
    assert [s for s, _ in lines] == in_table[1:21]
    assert {o for _, o in lines} == {1}
    assert "first 20 runs" in page.locator("#sweep-note").inner_text()
    # the legend wraps inside the chart (in one row it ran past the chart's edge, cut)
    edges, width = page.locator(".chart[data-compare='val_loss']").evaluate(LEGEND_EDGES)
    assert len(edges) >= 6 and max(edges) <= width

    # sorted by val_loss, lowest first: the 20 best are charted
    chart = page.locator(".chart[data-compare='val_loss']")
    old = chart.evaluate_handle("el => el.rrView")
    page.get_by_role("button", name="val_loss", exact=True).click()
    lines = _lines(page, old)
    best = sorted(names, key=lambda n: math.exp(-7 * (int(n[6:]) + 1) / 20) + 0.01 * int(n[6:]))[
        :20
    ]
    assert sorted(s for s, _ in lines) == sorted(best)

    # a run ticked beyond those is added, and the ticked runs are highlighted
    worst = next(n for n in names if n not in best)
    old = chart.evaluate_handle("el => el.rrView")
    _row(page, worst).get_by_role("checkbox").check()
    lines = _lines(page, old)
    assert len(lines) == 21
    assert {s for s, o in lines if o == 1} == {worst}
    assert "and of 1 more ticked" in page.locator("#sweep-note").inner_text()

    # a click on a line ticks its run's row; both ticked runs are highlighted
    # the charted run whose line's middle point stands furthest from the others' there
    def mid(n: str) -> float:
        k = int(n[6:])
        return math.exp(-4 * (k + 1) / 20) + 0.01 * k

    target = max(best, key=lambda n: min(abs(mid(n) - mid(o)) for o in [*best, worst] if o != n))
    chart.scroll_into_view_if_needed()
    x, y = chart.evaluate(POINT_OF, target)
    page.mouse.click(x, y)
    page.wait_for_function(
        "el => el.rrView.data('pick_store').length === 2", arg=chart.element_handle()
    )
    assert _row(page, target).get_by_role("checkbox").is_checked()
    assert {s for s, o in chart.evaluate(LINES) if o == 1} == {worst, target}
    assert page.get_by_role("button", name="Compare the 2 ticked runs").is_visible()

    # the filter narrows what is charted
    old = chart.evaluate_handle("el => el.rrView")
    page.get_by_label("Filter runs").fill("k < 3")
    lines = _lines(page, old)
    assert sorted(s for s, _ in lines) == sorted({"trial-0", "trial-1", "trial-2", worst, target})

    # the chart tools apply: smoothed, each line drawn faintly as logged behind its smoothing
    old = chart.evaluate_handle("el => el.rrView")
    page.get_by_label("Smoothing", exact=True).fill("0.6")
    _lines(page, old)
    raw, smooth = chart.evaluate("el => [el.rrView.data('raw'), el.rrView.data('data')]")
    assert len(raw) == len(smooth) > 0
    assert [r["y"] for r in raw] != [r["y"] for r in smooth]
    assert errors == []


def _last_val_loss(k: int) -> float:
    return math.exp(-7 * (k + 1) / 20) + 0.01 * k


def _spearman(xs: list[float], ys: list[float]) -> float:
    """Spearman's rank correlation of values with no ties: Pearson's on their ranks."""
    rx = [sorted(xs).index(x) for x in xs]
    ry = [sorted(ys).index(y) for y in ys]
    mean = (len(xs) - 1) / 2
    num = sum((a - mean) * (b - mean) for a, b in zip(rx, ry, strict=True))
    den = math.sqrt(sum((a - mean) ** 2 for a in rx) * sum((b - mean) ** 2 for b in ry))
    return num / den


#: The scatter's points as drawn: [x, y, run slug, page x, page y] of each.
POINTS = """el => {
  const out = [], box = el.querySelector("canvas").getBoundingClientRect(), o = el.rrView.origin();
  (function walk(mark, ox, oy) {
    if (mark.marktype === "symbol" && mark.role === "mark") {
      mark.items.forEach(it => out.push([it.datum.x, it.datum.y, it.datum.run,
                                         box.x + o[0] + ox + it.x, box.y + o[1] + oy + it.y]));
    }
    if (mark.marktype === "group") {
      mark.items.forEach(g => (g.items || []).forEach(m => walk(m, ox + (g.x || 0),
                                                                 oy + (g.y || 0))));
    }
  })(el.rrView.scenegraph().root, 0, 0);
  return out;
}"""


@pytest.mark.browser
@pytest.mark.skipif(not BROWSER_OK, reason="RUNREPORT_SKIP_BROWSER=1 and no /usr/bin/chromium")
def test_params_ranked_by_spearman_and_scattered_against_the_metric(
    browser: Any, tmp_path: Path
) -> None:
    _sweep(tmp_path / "logs")
    page, errors = _experiment_page(browser, tmp_path)

    # folded, the heading already names the strongest correlation: k and lr (which falls as
    # k grows) tie in |rho|, k first
    ks = list(range(TRIALS))
    rho = _spearman([float(k) for k in ks], [_last_val_loss(k) for k in ks])
    sign = "\u2212" if rho < 0 else ""
    summary = page.locator("#rel-summary")
    summary.filter(has_text="strongest").wait_for()
    assert summary.inner_text() == f"(strongest with val_loss: k, \u03c1 = {sign}{abs(rho):.2f})"

    page.get_by_text("Params and metrics").click()
    chart = page.locator("#rel-chart")
    page.wait_for_function("el => el.rrView", arg=chart.element_handle())
    ranked = page.eval_on_selector_all(  # (then the importance, test_importance.py)
        "#rank-table tbody tr",
        "trs => trs.map(tr => [...tr.cells].slice(0, 3).map(c => c.textContent))",
    )
    other = "\u2212" if rho > 0 else ""
    assert ranked == [["k", f"{sign}{abs(rho):.2f}", "25"], ["lr", f"{other}{abs(rho):.2f}", "25"]]

    # the scatter: a point per run, the metric's last value against the param
    points = chart.evaluate(POINTS)
    assert sorted((x, round(y, 9)) for x, y, *_ in points) == [
        (k, round(_last_val_loss(k), 9)) for k in ks
    ]
    assert not page.get_by_label("Log x axis").is_checked()

    # a param spanning decades goes on a log axis by itself
    old = chart.evaluate_handle("el => el.rrView")
    page.get_by_label("Scatter x axis").select_option(label="lr")
    page.wait_for_function("([el, old]) => el.rrView !== old", arg=[chart.element_handle(), old])
    assert page.get_by_label("Log x axis").is_checked()
    assert chart.evaluate("el => el.rrView.scale('x').type") == "log"

    # the filter narrows the points and the ranking; a click on a point ticks its run
    old = chart.evaluate_handle("el => el.rrView")
    page.get_by_label("Filter runs").fill("k >= 20")
    page.wait_for_function("([el, old]) => el.rrView !== old", arg=[chart.element_handle(), old])
    points = chart.evaluate(POINTS)
    assert len(points) == 5
    assert page.locator("#rank-table tbody tr").first.locator("td").nth(2).inner_text() == "5"
    chart.scroll_into_view_if_needed()
    x, _, _, px, py = chart.evaluate(POINTS)[0]
    page.mouse.click(px, py)
    name = f"trial-{round(-6 * math.log10(x))}"
    expect_checked = _row(page, name).get_by_role("checkbox")
    page.wait_for_function("el => el.checked", arg=expect_checked.element_handle())
    assert errors == []


#: (lr, seed) of each run: three learning rates, three seeds each; a run's loss at step i is
#: lr * (i + 1) + seed / 10 (seed 2 of lr 0.3 logs only even steps).
SEEDED = [(lr, seed) for lr in (0.1, 0.2, 0.3) for seed in range(3)]


def _seeded(logs: Path) -> None:
    for lr, seed in SEEDED:
        steps = range(0, 9, 2) if (lr, seed) == (0.3, 2) else range(9)
        write_run(
            logs,
            f"lr{lr}-s{seed}",
            [
                {"kind": "scalar", "name": "loss", "value": lr * (i + 1) + seed / 10, "step": i}
                for i in steps
            ],
            name=f"lr{lr}-s{seed}",
            experiment="exp",
            params={"lr": lr, "seed": seed},
        )


GROUPED = """el => {
  const by = {};
  el.rrView.data("data").forEach(r => { (by[r.series] = by[r.series] || {})[r.x] = [r.y]; });
  el.rrView.data("band").forEach(r => { by[r.series][r.x].push(r.lo, r.hi); });
  return by;
}"""


@pytest.mark.browser
@pytest.mark.skipif(not BROWSER_OK, reason="RUNREPORT_SKIP_BROWSER=1 and no /usr/bin/chromium")
def test_runs_grouped_by_params_but_the_seed_with_a_band(browser: Any, tmp_path: Path) -> None:
    _seeded(tmp_path / "logs")
    page, errors = _experiment_page(browser, tmp_path)
    chart = page.locator(".chart[data-compare='loss']")
    page.wait_for_function("el => el.rrView", arg=chart.element_handle())

    # over epoch (none logged), the runs' chart says it leaves them out; groups say nothing of it
    old = chart.evaluate_handle("el => el.rrView")
    page.get_by_label(re.compile("^X axis")).select_option("epoch")  # not "Scatter x axis"
    page.wait_for_function("([el, old]) => el.rrView !== old", arg=[chart.element_handle(), old])
    note = page.locator("figure[data-name='loss'] p.axis-note")
    assert note.inner_text().startswith("Not drawn over epoch")

    old = chart.evaluate_handle("el => el.rrView")
    page.get_by_label("Group runs", exact=True).check()
    page.wait_for_function("([el, old]) => el.rrView !== old", arg=[chart.element_handle(), old])
    assert note.count() == 0
    assert page.inner_text("#group-by-names") == "lr"  # every param but the seed
    got = chart.evaluate(GROUPED)
    assert set(got) == {"lr=0.1 (3)", "lr=0.2 (3)", "lr=0.3 (3)"}
    # mean and mean ± 1 sample standard deviation of the seeds (0, 0.1, 0.2): sd 0.1
    y, lo, hi = got["lr=0.1 (3)"]["4"]  # (keyed by x, as text)
    assert (y, lo, hi) == pytest.approx((0.5 + 0.1, 0.5, 0.7))
    # steps aligned: seed 2 of lr 0.3 logged no odd step, its value there is interpolated
    y, lo, hi = got["lr=0.3 (3)"]["3"]
    assert y == pytest.approx(1.2 + 0.1)

    def redrawn(label: str, choice: str) -> Any:
        old = chart.evaluate_handle("el => el.rrView")
        page.get_by_label(label).select_option(label=choice)
        page.wait_for_function(
            "([el, old]) => el.rrView !== old", arg=[chart.element_handle(), old]
        )
        return chart.evaluate(GROUPED)["lr=0.2 (3)"]

    at = redrawn("Group band", "min to max")
    assert at["0"] == pytest.approx([0.3, 0.2, 0.4])
    at = redrawn("Group line", "median")
    assert at["0"][0] == pytest.approx(0.3)
    first = redrawn("Group band", "95 % bootstrap interval")
    point = first["0"]
    assert 0.2 <= point[1] <= point[0] <= point[2] <= 0.4
    # seeded: the same interval on every load
    page.reload(wait_until="load")
    page.get_by_label("Group runs", exact=True).check()
    page.get_by_label("Group line").select_option(label="median")
    again = redrawn("Group band", "95 % bootstrap interval")
    assert again == first

    # the groups' table: runs and each metric's mean ± standard deviation
    rows = page.eval_on_selector_all(
        "#group-table tbody tr", "trs => trs.map(tr => [...tr.cells].map(c => c.textContent))"
    )
    assert rows[0] == ["lr=0.1", "3", "1 ± 0.1"]  # last loss: 0.9 + seed / 10
    assert [r[:2] for r in rows] == [["lr=0.1", "3"], ["lr=0.2", "3"], ["lr=0.3", "3"]]

    # smoothing applies to groups: their lines are TensorBoard's EMA of the group's means, the
    # means drawn faintly behind
    old = chart.evaluate_handle("el => el.rrView")
    page.get_by_label("Smoothing", exact=True).fill("0.6")
    page.wait_for_function("([el, old]) => el.rrView !== old", arg=[chart.element_handle(), old])
    line, raw = chart.evaluate(
        "el => ['data', 'raw'].map(d => el.rrView.data(d)"
        ".filter(r => r.series === 'lr=0.1 (3)').map(r => [r.x, r.y]))"
    )
    means = [0.1 * (i + 1) + 0.1 for i in range(9)]  # lr * (step + 1) + the seeds' mean / 10
    assert [y for _, y in sorted(raw)] == pytest.approx(means)
    last, expected = 0.0, []
    for k, y in enumerate(means, 1):
        last = last * 0.6 + 0.4 * y
        expected.append(last / (1 - 0.6**k))
    assert [y for _, y in sorted(line)] == pytest.approx(expected)
    assert errors == []


#: A param and a metric named as hostile users name them: quotes, markup, a line separator
#: (which ends a string in Vega's compiled tooltips) and a control character.
HOSTILE_PARAM = 'opt"\u2028</script><b>x\x07'
HOSTILE_METRIC = "val/<img src=x onerror=alert(1)>\u2029'loss"


@pytest.mark.browser
@pytest.mark.skipif(not BROWSER_OK, reason="RUNREPORT_SKIP_BROWSER=1 and no /usr/bin/chromium")
def test_hostile_names_chart_scatter_group_and_pick_columns_as_text(
    browser: Any, tmp_path: Path
) -> None:
    for k in range(4):
        write_run(
            tmp_path / "logs",
            f"r{k}",
            [
                {"kind": "scalar", "name": HOSTILE_METRIC, "value": k + i / 10, "step": i}
                for i in range(5)
            ],
            name=f"r{k}",
            experiment="exp",
            params={"lr": 10.0**-k, HOSTILE_PARAM: "a" if k % 2 else "b"},
        )
    page, errors = _experiment_page(browser, tmp_path)
    chart = page.locator("#sweep-charts .chart").first
    page.wait_for_function("el => el.rrView", arg=chart.element_handle())
    assert page.locator("#sweep-charts figcaption .metric-name").inner_text() == HOSTILE_METRIC

    page.get_by_text("Params and metrics").click()
    page.get_by_label("Scatter colour by").select_option(label=HOSTILE_PARAM)
    scatter = page.locator("#rel-chart")
    page.wait_for_function(
        "el => el.rrView && el.rrView.data('data').every(d => d.c !== undefined)",
        arg=scatter.element_handle(),
    )
    assert len(scatter.evaluate(POINTS)) == 4
    page.get_by_label("Group runs", exact=True).check()
    page.locator("#group-by summary").click()
    # by the hostile param alone: 2 groups of 2
    page.get_by_label("Params to group runs by").get_by_label("lr", exact=True).uncheck()
    page.wait_for_function(
        "el => el.rrView.data('data').some(r => /\\(2\\)$/.test(r.series))",
        arg=chart.element_handle(),
    )
    page.locator("#column-pick summary").click()
    page.get_by_role("button", name=f"Move {HOSTILE_PARAM} up").click()
    assert page.locator("img, b").count() == 0  # no user text became markup
    assert errors == []
