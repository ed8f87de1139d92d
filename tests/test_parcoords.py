"""An experiment page's parallel coordinates (issue: sweeps), read from what Vega drew in
headless Chromium: an axis per param that varies and one for the metric, a line per run in its
colour, brushing an axis with the mouse or from the keyboard filtering the run table and the
charts, runs outside the brushes drawn grey, and names that are markup drawn as text."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import write_run
from test_sweep_charts import BROWSER_OK, HOSTILE_PARAM, TRIALS, _experiment_page, _sweep

#: What Vega drew: the runs' lines (coloured), those outside the brushes (grey, beneath), the
#: ticked runs' (thick), each as the distinct [series, stroke] of their drawn points; the
#: axes' labels; and the brushes.
DRAWN = """el => {
  const out = {main: {}, faded: {}, picked: {}, labels: [], brushes: 0};
  (function walk(mark) {
    if (mark.marktype === "line") {
      mark.items.forEach(i => {
        if (i.datum.y === null) return;
        const kind = i.strokeWidth >= 3 ? "picked" : i.stroke === "#999" ? "faded" : "main";
        out[kind][i.datum.series + "\\u0000" + i.stroke] = [i.datum.series, i.stroke];
      });
    }
    if (mark.marktype === "text") mark.items.forEach(i => out.labels.push(i.text));
    if (mark.marktype === "rect") out.brushes += mark.items.length;
    if (mark.marktype === "group") mark.items.forEach(g => (g.items || []).forEach(walk));
  })(el.rrView.scenegraph().root);
  for (const k of ["main", "faded", "picked"]) out[k] = Object.values(out[k]);
  return out;
}"""

#: Where on the page axis ``i`` is at value ``y`` (0 its least to 1 its most).
AXIS_AT = """(el, [i, y]) => {
  const v = el.rrView, box = el.querySelector("canvas").getBoundingClientRect(), o = v.origin();
  return [box.x + o[0] + v.scale("x")(i), box.y + o[1] + v.scale("y")(y)];
}"""


def _drawn(page: Any, old: Any = None) -> dict[str, Any]:
    chart = page.locator("#pc-chart")
    page.wait_for_function(
        "([el, old]) => el.rrView && el.rrView !== old && el.getAttribute('data-marks')",
        arg=[chart.element_handle(), old],
        timeout=15_000,
    )
    return chart.evaluate(DRAWN)  # type: ignore[no-any-return]


def _shown_runs(page: Any) -> list[str]:
    return page.eval_on_selector_all(  # type: ignore[no-any-return]
        "#run-table tbody tr a[href*='runs/']", "as => as.map(a => a.textContent)"
    )


def _redrawn(page: Any) -> Any:
    return page.locator("#pc-chart").evaluate_handle("el => el.rrView")


def _names(n: int) -> set[str]:
    return {f"trial-{k}" for k in range(n)}


def _drag(page: Any, axis: int, y0: float, y1: float) -> None:
    chart = page.locator("#pc-chart")
    chart.scroll_into_view_if_needed()
    x, ya = chart.evaluate(AXIS_AT, [axis, y0])
    _, yb = chart.evaluate(AXIS_AT, [axis, y1])
    page.mouse.move(x, ya)
    page.mouse.down()
    page.mouse.move(x, (ya + yb) / 2)
    page.mouse.move(x, yb)
    page.mouse.up()


@pytest.mark.browser
@pytest.mark.skipif(not BROWSER_OK, reason="RUNREPORT_SKIP_BROWSER=1 and no /usr/bin/chromium")
def test_parallel_coordinates_brushed_by_mouse_and_keyboard_filter_the_table(
    browser: Any, tmp_path: Path
) -> None:
    _sweep(tmp_path / "logs")  # params k = 0..24 and lr = 10 ** (-k / 6)
    page, errors = _experiment_page(browser, tmp_path)
    page.get_by_text("Params and metrics").click()
    drawn = _drawn(page)
    # axes k, lr (spanning 4 decades: log) and the metric; a line per trial, each in its run's
    # colour (the parent run, with no param, draws none)
    assert drawn["labels"][:3] == ["k", "lr (log)", "val_loss"]
    assert len(drawn["main"]) == TRIALS and not drawn["faded"]
    colours = dict(
        page.eval_on_selector_all(
            "#run-table tbody tr",
            "trs => trs.map(tr => [tr.querySelector('a').textContent,"
            " window.RR.runColour(tr.dataset.slug)])",
        )
    )
    assert {tuple(m) for m in drawn["main"]} == {(n, colours[n]) for n in _names(TRIALS)}
    assert len(set(colours.values())) > 10
    assert page.locator("#pc-count").inner_text().startswith(f"{TRIALS + 1} of {TRIALS + 1} runs")

    # a drag along k from its least to about its middle keeps trials 0..12 in the table, in
    # the key metrics' charts, and coloured here; the others are grey
    old = _redrawn(page)
    _drag(page, 0, -0.05, 12.5 / 24)
    drawn = _drawn(page, old)
    kept = {f"trial-{k}" for k in range(13)}
    assert set(_shown_runs(page)) == kept
    assert {s for s, _ in drawn["main"]} == kept
    assert {s for s, stroke in drawn["faded"]} == {f"trial-{k}" for k in range(13, TRIALS)}
    assert drawn["brushes"] == 1
    assert (
        page.locator("#run-count")
        .inner_text()
        .startswith("13 of 26 runs match the brush on 1 axis")
    )
    sweep = page.locator(".chart[data-compare='val_loss']")
    page.wait_for_function(
        "el => el.rrView && el.rrView.data('data')"
        ".every(r => !/trial-(1[3-9]|2\\d)$/.test(r.series))",
        arg=sweep.element_handle(),
    )
    brush = page.get_by_role("button", name="Clear the brush on k")
    assert re.fullmatch("\u00d7 k: 0 to 12\\.[0-9]+", brush.inner_text())

    # a click on the axis clears its brush
    old = _redrawn(page)
    x, y = page.locator("#pc-chart").evaluate(AXIS_AT, [0, 0.5])
    page.mouse.click(x, y)
    drawn = _drawn(page, old)
    assert len(drawn["main"]) == TRIALS and not drawn["faded"] and drawn["brushes"] == 0
    assert len(_shown_runs(page)) == TRIALS + 1

    # from the keyboard: lr from 1e-3 to 1e-2 (k = 12..17), then the brush's button clears it
    old = _redrawn(page)
    page.get_by_label("Brush axis").select_option(label="lr (log)")
    page.get_by_label("Brush from").fill("0.001")
    page.get_by_label("Brush to").fill("1e-2")
    page.get_by_label("Brush to").press("Enter")
    drawn = _drawn(page, old)
    ks = [k for k in range(TRIALS) if 1e-3 <= 10 ** (-k / 6) <= 1e-2]
    assert set(_shown_runs(page)) == {f"trial-{k}" for k in ks}
    assert {s for s, _ in drawn["main"]} == {f"trial-{k}" for k in ks}
    old = _redrawn(page)
    page.get_by_role("button", name="Clear the brush on lr (log)").focus()
    page.keyboard.press("Enter")
    _drawn(page, old)
    assert len(_shown_runs(page)) == TRIALS + 1
    assert page.get_by_role("button", name="Clear brushes").is_disabled()

    # a ticked run's line is drawn thick above the others
    old = _redrawn(page)
    page.get_by_role("checkbox", name="Select trial-3").check()
    drawn = _drawn(page, old)
    assert {s for s, _ in drawn["picked"]} == {"trial-3"}

    # the pointer over a line, a quarter of the way from k to lr, names its run and its
    # values; a click there ticks it
    chart = page.locator("#pc-chart")
    chart.scroll_into_view_if_needed()
    x0, y0 = chart.evaluate(AXIS_AT, [0, 7 / 24])
    x1, y1 = chart.evaluate(AXIS_AT, [1, 1 - 7 / 24])  # lr falls as k grows, over 4 decades
    x, y = x0 + (x1 - x0) / 4, y0 + (y1 - y0) / 4
    page.mouse.move(x, y - 20)
    page.mouse.move(x, y)
    tip = page.locator("#pc-chart").get_by_role("tooltip")
    tip.wait_for(timeout=5000)
    assert tip.inner_text().split("\n")[:3] == ["trial-7", "k", "7"], errors
    old = _redrawn(page)
    page.mouse.click(x, y)
    drawn = _drawn(page, old)
    assert {s for s, _ in drawn["picked"]} == {"trial-3", "trial-7"}
    assert page.get_by_role("checkbox", name="Select trial-7").is_checked()
    assert errors == []


HOSTILE_VALUE = "<img src=x onerror=alert(1)>"


@pytest.mark.browser
@pytest.mark.skipif(not BROWSER_OK, reason="RUNREPORT_SKIP_BROWSER=1 and no /usr/bin/chromium")
def test_parallel_coordinates_of_text_params_and_hostile_names(
    browser: Any, tmp_path: Path
) -> None:
    """A param of texts is an axis of its values, in natural order, brushed by dragging over
    them or by naming two; names and values that are markup are drawn as text; seeds get no
    axis."""
    for k in range(6):
        write_run(
            tmp_path / "logs",
            f"r{k}",
            [{"kind": "scalar", "name": "loss", "value": k + i / 10, "step": i} for i in range(3)],
            name=f"r{k}",
            experiment="exp",
            params={
                HOSTILE_PARAM: [HOSTILE_VALUE, "b2", "b10"][k % 3],
                "seed": k,
                "lr": math.pi * k,
            },
        )
    page, errors = _experiment_page(browser, tmp_path)
    page.get_by_text("Params and metrics").click()
    drawn = _drawn(page)
    # axes in the table's order; the param's title cleaned as chart titles are (U+2028 and BEL
    # become spaces); values sorted naturally (b2 before b10); no axis for the seed
    names = [t for t in drawn["labels"] if t in ("lr", "loss") or t.startswith("opt")]
    assert names == ["lr", 'opt" </script><b>x ', "loss"]
    assert [t for t in drawn["labels"] if t in (HOSTILE_VALUE, "b2", "b10")] == [
        HOSTILE_VALUE,
        "b2",
        "b10",
    ]
    assert "seed" not in drawn["labels"]

    # naming two of its values brushes the span between them
    old = _redrawn(page)
    page.get_by_label("Brush axis").select_option(index=1)
    page.get_by_label("Brush from").fill("b2")
    page.get_by_label("Brush to").fill("b10")
    page.get_by_role("button", name="Brush", exact=True).click()
    _drawn(page, old)
    assert sorted(_shown_runs(page)) == ["r1", "r2", "r4", "r5"]
    # a drag over the first value alone keeps its runs
    old = _redrawn(page)
    page.get_by_role("button", name="Clear brushes").click()
    _drawn(page, old)
    old = _redrawn(page)
    _drag(page, 1, -0.04, 0.2)
    _drawn(page, old)
    assert sorted(_shown_runs(page)) == ["r0", "r3"]
    assert page.get_by_role("list", name="Brushes").inner_text().endswith(HOSTILE_VALUE)
    assert page.locator("img, b").count() == 0  # no user text became markup
    assert errors == []
