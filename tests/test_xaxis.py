"""The x axis of line charts in headless Chromium: step, epoch, relative and wall time, chosen
with the "X axis" control, read from the drawn charts (Vega's views): every point's time as
the producer wrote it (tensorboardX's ``add_scalar(walltime=...)``), epochs from the run's
epoch metric, and runs that logged no times left out of a comparison, said under it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from conftest import CHROMIUM, write_run
from tests_helpers import drawn

from runreport.build import BuildConfig, build_site

pytestmark = pytest.mark.browser

if not CHROMIUM.exists() and os.environ.get("RUNREPORT_SKIP_BROWSER") == "1":
    pytest.skip("RUNREPORT_SKIP_BROWSER=1 and no /usr/bin/chromium", allow_module_level=True)

T0 = 1795826884.25  # the first event's wall time
STEPS = list(range(200))
PAUSE = 3600.0  # the run stopped for an hour after step 99


def _wall(step: int) -> float:
    return T0 + step * 30.0 + (PAUSE if step >= 100 else 0.0)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import tensorboardX as tbx

    root = tmp_path_factory.mktemp("xaxis")
    writer = tbx.SummaryWriter(str(root / "logs" / "tb"))
    for step in STEPS:
        writer.add_scalar("loss", 1 / (step + 1), step, walltime=_wall(step))
        writer.add_scalar("epoch", step // 50, step, walltime=_wall(step))  # as Lightning logs it
    writer.close()
    records = [{"kind": "scalar", "name": "loss", "value": 1 / (i + 2), "step": i} for i in STEPS]
    write_run(root / "logs", "plain", records)  # no "time" in its records
    out = root / "site"
    build_site(BuildConfig(inputs=(root / "logs",), output=out))
    return out


DRAWN = """el => {
  const v = el.rrView, titles = [];
  const walk = node => (node.items || []).forEach(item => {
    if (node.role === "axis-title") titles.push(item.text);
    walk(item);
  });
  walk(v.scenegraph().root);
  return {x: v.data("data").map(d => d.x), y: v.data("data").map(d => d.y),
          type: v.scale("x").type, domain: v.scale("x").domain().map(Number), titles: titles};
}"""


def _open(browser: Any, url: str) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    page.goto(url, wait_until="load")
    return page


def _drawn(page: Any, selector: str, old: Any = None) -> dict[str, Any]:
    got: dict[str, Any] = drawn(page, selector, DRAWN, old)
    return got


def _switch(page: Any, selector: str, axis: str) -> dict[str, Any]:
    old = page.locator(selector).evaluate_handle("el => el.rrView")
    page.get_by_label("X axis").select_option(axis)
    return _drawn(page, selector, old)


def _run_url(site: Path, name: str) -> str:
    return next((site / "runs").glob(f"*{name}-*.html")).as_uri()


def test_a_run_drawn_over_step_epoch_relative_and_wall_time(browser: Any, site: Path) -> None:
    page = _open(browser, _run_url(site, "tb"))
    loss = ".chart[data-metric='loss']"
    step = _drawn(page, loss)
    assert step["x"] == STEPS and "step" in step["titles"]

    relative = _switch(page, loss, "relative")
    assert relative["x"] == [_wall(s) - T0 for s in STEPS]  # every point, the pause kept
    assert relative["y"] == pytest.approx([1 / (s + 1) for s in STEPS], rel=1e-6)
    assert "relative time (min)" in relative["titles"]  # 160 minutes: shown in minutes
    assert "x=relative" in page.evaluate("location.hash")

    wall = _switch(page, loss, "wall")
    assert wall["type"] == "time"
    assert wall["domain"] == [T0 * 1000, _wall(STEPS[-1]) * 1000]
    assert "wall time (your time zone)" in wall["titles"]

    # the epoch logged at each step (an integer, as Lightning logs it): each epoch begins at
    # the first step that logged it, and the steps of an epoch are spread evenly over it
    epoch = _switch(page, loss, "epoch")
    assert epoch["x"] == pytest.approx([s / 50 for s in STEPS])
    assert "epoch" in epoch["titles"]

    page.reload()  # the choice is kept in the address
    assert page.get_by_label("X axis").input_value() == "epoch"
    assert _drawn(page, loss)["x"] == pytest.approx([s / 50 for s in STEPS])
    assert page.errors == []
    page.close()


def test_a_run_without_times_stays_over_step_and_says_so(browser: Any, site: Path) -> None:
    page = _open(browser, _run_url(site, "plain") + "#x=relative&smooth=0.5")
    drawn = _drawn(page, ".chart[data-metric='loss']")
    assert drawn["x"] == STEPS
    assert "step (no relative time logged)" in drawn["titles"]
    # smoothed over its step all the same (TensorBoard's debiased EMA at 0.5)
    assert drawn["y"][1] == pytest.approx((1 / 2 + 2 * (1 / 3)) / 3, rel=1e-6)
    assert page.errors == []
    page.close()


def test_a_comparison_over_time_leaves_out_runs_without_times(browser: Any, site: Path) -> None:
    slugs = ",".join(sorted(p.stem for p in (site / "runs").glob("*.html")))
    page = _open(browser, (site / "compare.html").as_uri() + "#runs=" + slugs)
    chart = ".chart[data-compare='loss']"
    both = _drawn(page, chart)
    assert len(both["x"]) == 2 * len(STEPS)
    relative = _switch(page, chart, "relative")
    assert relative["x"] == [_wall(s) - T0 for s in STEPS]  # the plain run is left out
    note = page.locator("figure:has(.chart[data-compare='loss']) p.axis-note")
    assert note.text_content() == "Not drawn over relative time (none logged): plain."
    back = _switch(page, chart, "step")
    assert len(back["x"]) == 2 * len(STEPS) and note.count() == 0
    assert page.errors == []
    page.close()


def test_points_crowding_one_step_are_drawn_in_logging_order(browser: Any, tmp_path: Path) -> None:
    """A loss logged 40 times at each of 10 steps (per batch, at the epoch number) is drawn over
    its logging order, each step marked along the top where it begins; smoothing and zoom
    work on that order."""
    records = [
        {"kind": "scalar", "name": "loss", "value": 1 / (i + 1), "step": i // 40}
        for i in range(400)
    ]
    write_run(tmp_path / "logs", "batches", records)
    build_site(BuildConfig(inputs=(tmp_path / "logs",), output=tmp_path / "site"))
    page = _open(browser, _run_url(tmp_path / "site", "batches"))
    chart = ".chart[data-metric='loss']"
    drawn = _drawn(page, chart)
    assert drawn["x"] == list(range(400))
    assert "logging order (step along the top)" in drawn["titles"]
    marks = page.locator(chart).evaluate(
        """el => el.rrView.scenegraph().root.items[0].items
                 .filter(n => n.marktype === "rule" || n.marktype === "text")
                 .map(n => [n.marktype, n.items.map(i => i.datum.x)])"""
    )
    rules = [at for kind, at in marks if kind == "rule" and len(at) == 10]
    assert rules == [[40 * k for k in range(10)]]  # where each step begins
    labels = page.locator(chart).evaluate(
        """el => { const out = [];
                   const walk = n => (n.items || []).forEach(i => {
                     if (n.marktype === "text" && n.role === "mark" && i.text) out.push(i.text);
                     walk(i); });
                   walk(el.rrView.scenegraph().root); return out; }"""
    )
    assert labels[0] == "step 0" and "9" in labels
    smoothed = _switch_smoothing(page, chart)
    assert smoothed["x"] == list(range(400))  # smoothed over the same order
    assert page.errors == []
    page.close()


def _switch_smoothing(page: Any, selector: str) -> dict[str, Any]:
    old = page.locator(selector).evaluate_handle("el => el.rrView")
    page.get_by_label("Smoothing", exact=True).fill("0.6")
    return _drawn(page, selector, old)


def test_a_parent_run_without_charts_of_its_own_has_the_tools_for_its_children(
    browser: Any, example_site: Path
) -> None:
    """The example sweep's parent logs summaries only: its page still has the chart tools,
    and they apply to its child runs' overlays."""
    parent = next(
        p
        for p in (example_site / "runs").glob("*.html")
        if "data-overlay" in p.read_text() and 'class="chart-area"' not in p.read_text()
    )
    page = _open(browser, parent.as_uri())
    chart = ".chart[data-overlay='loss']"
    assert "step" in _drawn(page, chart)["titles"]
    relative = _switch(page, chart, "relative")
    assert "relative time (s)" in relative["titles"] and len(relative["x"]) == 4 * 12 - 7
    assert page.errors == []
    page.close()
