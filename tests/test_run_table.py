"""An experiment page's run table as a sweep's user works it (issue: sweeps), in headless
Chromium: child runs sorted within their parent and a parent by its best child, a filter of
expressions over the columns or a regular expression, the count of ticked runs with those the
filter hides, and a header and run column that stay in view."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import write_run

from runreport.build import BuildConfig, build_site

#: (run, lr, optimizer, accuracy): a sweep's trials, in the order they were logged
TRIALS = [
    ("trial-1", 0.1, "adam", 0.71),
    ("trial-2", 0.01, "sgd", 0.93),
    ("trial-3", 0.001, "adam", 0.88),
    ("trial-4", 0.03, "adam", 0.65),
]


def _site(tmp_path: Path) -> Path:
    logs = tmp_path / "logs"
    write_run(logs, "sweep", [], name="sweep", experiment="exp")
    for name, lr, optimizer, acc in TRIALS:
        write_run(
            logs,
            name,
            [{"kind": "scalar", "name": "accuracy", "value": acc}],
            name=name,
            experiment="exp",
            parent_id="sweep",
            params={"lr": lr, "optimizer": optimizer},
            tags={"team": "vision-and-language-research"},
        )
    write_run(
        logs,
        "baseline",
        [{"kind": "scalar", "name": "accuracy", "value": 0.9}],
        name="baseline",
        experiment="exp",
        params={"lr": 0.05, "optimizer": "sgd"},
    )
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(logs,), output=site, jobs=1))
    return site


def _names(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "#run-table tbody tr td:nth-child(2) a", "as => as.map(a => a.textContent)"
    )


def test_sweep_table_sorts_filters_counts_and_keeps_its_run_column(
    browser: Any, tmp_path: Path
) -> None:
    site = _site(tmp_path)
    page = browser.new_page(viewport={"width": 900, "height": 700})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(next((site / "experiments").glob("*.html")).as_uri(), wait_until="load")

    # accuracy, highest first: the sweep (no value of its own) goes by its best trial (0.93,
    # above the baseline's 0.9), and its trials are sorted among themselves
    header = page.get_by_role("button", name="accuracy", exact=True)
    header.focus()
    header.press("Enter")
    header.press("Enter")  # twice: descending
    assert page.locator("#run-table th[aria-sort='descending']").inner_text() == "accuracy"
    assert _names(page) == ["sweep", "trial-2", "trial-3", "trial-1", "trial-4", "baseline"]
    header.press("Enter")  # ascending: the sweep by its worst trial (0.65), first
    assert _names(page) == ["sweep", "trial-4", "trial-1", "trial-3", "trial-2", "baseline"]

    # an expression over params and metrics (a metric compares the value shown)
    box = page.get_by_label("Filter runs")
    box.fill("lr > 0.005 and optimizer == adam")
    assert _names(page) == ["trial-4", "trial-1"]
    assert page.inner_text("#run-count") == "2 of 6 runs match the filter"
    box.fill("accuracy >= 0.9 or (lr < 0.002 and not optimizer = sgd)")
    assert sorted(_names(page)) == ["baseline", "trial-2", "trial-3"]
    box.fill("momentum > 1")  # no such column: said, and read as text
    assert page.inner_text("#run-count") == (
        "0 of 6 runs match the filter (not an expression: no column “momentum”; matched as text)"
    )
    box.fill("^trial-[12]$")  # a regular expression, on a row's text
    assert _names(page) == []
    box.fill("TRIAL-[12] ")  # case aside
    assert sorted(_names(page)) == ["trial-1", "trial-2"]

    # ticked runs count, those the filter hides included, and all are compared
    page.get_by_label("Select trial-1").check()
    box.fill("baseline")
    page.get_by_label("Select baseline").check()
    button = page.locator("#compare-selected")
    assert button.inner_text() == "Compare the 2 ticked runs (1 hidden by the filter)"
    box.fill("")
    assert button.inner_text() == "Compare the 2 ticked runs"

    # the header and the run column stay in view as the table's box scrolls
    page.set_viewport_size({"width": 900, "height": 300})
    table_box = page.locator("#run-table-box")
    run_cell = page.locator("#run-table tbody tr:last-child td:nth-child(2)")
    head = page.locator("#run-table thead th:nth-child(2)")
    metric = page.locator("#run-table tbody tr:last-child td:last-child")
    table_box.scroll_into_view_if_needed()

    def places() -> list[float]:  # where each is in the table's box
        outer = table_box.bounding_box()
        boxes = [run_cell.bounding_box(), head.bounding_box(), metric.bounding_box()]
        assert outer is not None and all(boxes)
        return [boxes[0]["x"] - outer["x"], boxes[1]["y"] - outer["y"], boxes[2]["x"] - outer["x"]]

    before = places()
    table_box.evaluate("b => { b.scrollLeft = b.scrollWidth; b.scrollTop = b.scrollHeight; }")
    assert table_box.evaluate("b => [b.scrollLeft > 0, b.scrollTop > 0]") == [True, True]
    after = places()
    assert after[0] == before[0]  # the run column stays
    assert 0 <= after[1] <= before[1]  # and the header, at the top of the box
    assert after[2] < before[2]  # while the metrics scroll by
    # tags keep their words whole
    tag = page.locator("#run-table .tag").first.bounding_box()
    assert tag is not None and tag["height"] < 30
    assert errors == []
    page.close()
