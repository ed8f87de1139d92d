"""The compare page's run picker, folded tables and per-run CSV menu (issue: sweeps), in
headless Chromium: a searchable picker in natural order that does not push the charts below the
fold, and one menu of per-run downloads per chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import write_run

from runreport.build import BuildConfig, build_site


def _sweep(root: Path, runs: int) -> list[str]:
    """``runs`` runs of one experiment (named trial-1 ... trial-N, so that a plain string
    sort would put trial-10 before trial-2) and one of another, each with 8 params and 3
    metrics: their ids."""
    ids = []
    for k in range(1, runs + 1):
        params = {f"p{j}": j if j % 2 else k for j in range(8)}
        records: list[dict[str, Any]] = []
        records += [
            {"kind": "scalar", "name": name, "value": (k + i) * (j + 1), "step": i}
            for i in range(20)
            for j, name in enumerate(("loss", "acc", "lr"))
        ]
        write_run(root, f"trial-{k}", records, name=f"trial-{k}", experiment="sweep", params=params)
        ids.append(f"trial-{k}")
    write_run(
        root,
        "other",
        [{"kind": "scalar", "name": "loss", "value": 1.0, "step": 0}],
        experiment="baseline",
    )
    return ids


def test_picker_searches_in_natural_order_and_keeps_charts_on_the_first_screen(
    browser: Any, tmp_path: Path
) -> None:
    _sweep(tmp_path / "logs", 30)
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(tmp_path / "logs",), output=site))
    slugs = sorted(p.stem for p in (site / "runs").glob("trial-*.html"))
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((site / "compare.html").as_uri() + "#runs=" + ",".join(slugs), wait_until="load")

    # the picker and the long tables are folded, saying what they hold: the charts are on
    # the first screen, drawn
    assert page.inner_text("#pick-count") == "(30 of 31 compared)"
    assert not page.locator("#compare-pick").evaluate("d => d.open")
    assert page.inner_text("#params-count") == "(8 parameters, 4 differ)"
    assert page.inner_text("#summary-count") == "(3 metrics)"
    assert not page.locator("#compare-params-section").evaluate("d => d.open")
    first = page.locator(".chart").first
    page.wait_for_function("el => el.hasAttribute('data-marks')", arg=first.element_handle())
    # the plot itself (its legend of 30 runs, in rows, may run past the fold)
    plot_bottom = first.evaluate(
        "el => el.getBoundingClientRect().top + el.rrView.origin()[1] + el.rrView.height()"
    )
    assert plot_bottom <= 900

    # its list is made when it is first opened (10,000 runs' checkboxes were a third of the
    # first screen); opened, it lists each experiment's runs in natural order
    assert page.locator("label.pick-run").count() == 0
    page.get_by_text("Runs", exact=True).click()
    # (the list is made on the "toggle" event, which comes after the click returns)
    page.get_by_role("button", name="Compare the ticked runs (30)").wait_for(state="visible")
    names = page.eval_on_selector_all(
        "#run-picker fieldset:first-of-type label.pick-run", "ls => ls.map(l => l.textContent)"
    )
    assert page.inner_text("#run-picker fieldset:first-of-type legend") == "baseline"
    sweep = page.eval_on_selector_all(
        "#run-picker fieldset:nth-of-type(2) label.pick-run", "ls => ls.map(l => l.textContent)"
    )
    assert names == ["other"]
    assert sweep == [f"trial-{k}" for k in range(1, 31)]

    # the search narrows the list; ticked runs it hides still count, and are compared
    search = page.get_by_label("Search runs")
    search.fill("TRIAL-1")  # case aside
    assert page.inner_text("#search-count") == "11 of 31 runs match"  # 1, 10-19
    assert not page.locator("#run-picker fieldset:first-of-type").is_visible()
    page.get_by_label("trial-12").uncheck()
    button = page.get_by_role("button", name="Compare the ticked runs (29)")
    search.fill("")
    assert page.locator("label.pick-run:visible").count() == 31
    button.press("Enter")  # from the keyboard
    page.wait_for_function("() => document.querySelectorAll('#compare-params thead th').length")
    page.wait_for_function("() => document.querySelector('#pick-count').textContent.includes('29')")
    assert page.inner_text("#pick-count") == "(29 of 31 compared)"

    # one menu of per-run downloads per chart, not a link per run
    page.wait_for_function("() => document.querySelector('p.export details.menu')")
    menu = page.locator("p.export details.menu").first
    assert menu.locator("summary").inner_text() == "CSV of every point, per run (29)"
    assert not menu.locator("a.csv-full").first.is_visible()
    menu.locator("summary").click()
    assert menu.locator("a.csv-full").count() == 29
    with page.expect_download() as info:
        menu.locator("a.csv-full").first.click()
    assert info.value.suggested_filename.endswith(".csv")
    assert errors == []
    page.close()
