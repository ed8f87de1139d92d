"""The experiment page's "Download the table shown" (issue: sweeps): the rows the filter keeps,
in the order shown, with the stat shown, as CSV, Markdown and LaTeX, user text escaped for
each."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from conftest import write_run

from runreport.build import BuildConfig, build_site


def test_the_shown_table_downloads_as_csv_markdown_and_latex(browser: Any, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    for name, opt, losses in (
        ("a|b_%&", "adam", [3.0, 1.5, -0.25]),
        ("plain", "sgd", [2.0, 1.0, 0.5]),
        ("other", "sgd", [9.0, 8.0, 7.0]),
    ):
        write_run(
            logs,
            name.replace("|", "").replace("%", "").replace("&", ""),
            [
                {"kind": "scalar", "name": "loss", "value": v, "step": i}
                for i, v in enumerate(losses)
            ],
            name=name,
            experiment="exp",
            params={"optimizer": opt},
        )
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(logs,), output=site))
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(next((site / "experiments").glob("*.html")).as_uri(), wait_until="load")
    page.get_by_label("Filter runs").fill("loss < 5")  # leaves "other" out
    page.select_option("#stat-switch", "min")
    page.get_by_role("button", name="loss", exact=True).click()  # ascending by min loss
    page.locator("#table-export summary").click()
    files = {}
    for label in ("CSV", "Markdown", "LaTeX"):
        with page.expect_download() as info:
            page.get_by_role("button", name=f"Download the table shown as {label}").click()
        files[label] = (info.value.suggested_filename, Path(info.value.path()).read_text())
    name, text = files["CSV"]
    assert name.endswith("-min.csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "Run",
        "Status",
        "Compute",
        "Started",
        "Duration",
        "Tags",
        "optimizer",
        "loss",
    ]
    assert [(r[0], r[6], r[7]) for r in rows[1:]] == [
        ("a|b_%&", "adam", "-0.25"),
        ("plain", "sgd", "0.5"),
    ]
    _, md = files["Markdown"]
    lines = md.splitlines()
    assert lines[1] == "|---|---|---|---|---|---|---|---|" and len(lines) == 4
    assert lines[2].startswith("| a\\|b_%& | Completed |") and lines[2].endswith("| adam | -0.25 |")
    _, tex = files["LaTeX"]
    assert tex.splitlines()[0] == "\\begin{tabular}{llllllll}"
    assert "a|b\\_\\%\\& & Completed" in tex and tex.rstrip().endswith("\\end{tabular}")
    context.close()


def test_the_pivot_gives_mean_and_deviation_by_two_params(browser: Any, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    values = {("0.1", "32"): [0.90, 0.92], ("0.1", "64"): [0.80], ("0.01", "32"): [0.70, 0.74]}
    for (lr, batch), accs in values.items():
        for seed, acc in enumerate(accs):
            write_run(
                logs,
                f"r-{lr}-{batch}-{seed}",
                [{"kind": "scalar", "name": "acc", "value": acc}],
                experiment="exp",
                params={
                    "lr": lr,
                    "batch": batch,
                    "seed": seed,
                    **({"opt": "adam"} if seed else {}),
                },
            )
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(logs,), output=site))
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(next((site / "experiments").glob("*.html")).as_uri(), wait_until="load")
    page.get_by_text("Pivot", exact=True).click()
    page.get_by_label("Pivot rows").select_option(label="lr")
    page.get_by_label("Pivot columns").select_option(label="batch")
    page.get_by_label("Pivot metric").select_option(label="acc")
    cells = page.eval_on_selector_all(
        "#pivot-table tr", "trs => trs.map(tr => [...tr.cells].map(c => c.textContent))"
    )
    assert cells == [
        ["lr \\ batch", "32", "64"],
        ["0.01", "0.72 ± 0.02828 (n=2)", ""],  # natural order of values
        ["0.1", "0.91 ± 0.01414 (n=2)", "0.8 (n=1)"],
    ]
    page.get_by_label("Filter runs").fill("seed == 0")  # the runs shown only
    cells = page.eval_on_selector_all(
        "#pivot-table tbody tr", "trs => trs.map(tr => [...tr.cells].map(c => c.textContent))"
    )
    assert cells == [["0.01", "0.7 (n=1)", ""], ["0.1", "0.9 (n=1)", "0.8 (n=1)"]]
    page.get_by_label("Pivot columns").select_option(label="opt")  # a param some runs lack
    cells = page.eval_on_selector_all(
        "#pivot-table tr", "trs => trs.map(tr => [...tr.cells].map(c => c.textContent))"
    )
    assert cells[0] == ["lr \\ opt", "(none)"]  # seed 0 only, as filtered
    page.get_by_label("Pivot columns").select_option(label="batch")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the pivot as Markdown").click()
    assert Path(info.value.path()).read_text().splitlines()[:2] == [
        "| lr \\\\ batch | 32 | 64 |",
        "|---|---|---|",
    ]
    context.close()


def test_columns_chosen_and_ordered_from_the_keyboard_are_kept_and_downloaded(
    browser: Any, tmp_path: Path
) -> None:
    """The column picker: hide and move columns with the keyboard alone; the table, the
    address (kept across a reload) and the download all follow."""
    logs = tmp_path / "logs"
    for k in range(3):
        write_run(
            logs,
            f"run-{k}",
            [{"kind": "scalar", "name": "loss", "value": 1.0 / (k + 1), "step": 0}],
            name=f"run-{k}",
            experiment="exp",
            params={"lr": 10.0**-k, "optimizer": "adam"},
        )
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(logs,), output=site))
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(next((site / "experiments").glob("*.html")).as_uri(), wait_until="load")

    def heads() -> list[str]:
        return page.eval_on_selector_all(
            "#run-table thead th:not([hidden])", "ths => ths.map(t => t.textContent.trim())"
        )

    def first_row() -> list[str]:
        return page.eval_on_selector_all(
            "#run-table tbody tr:first-child td:not([hidden])",
            "tds => tds.map(t => t.textContent.trim())",
        )

    picker = page.locator("#column-pick summary")
    picker.focus()
    page.keyboard.press("Enter")
    assert page.inner_text("#columns-count") == "(8 of 8)"
    for name in ("Compute", "Started", "Tags"):
        page.get_by_label(name, exact=True).focus()
        page.keyboard.press("Space")  # unticked: hidden
    up = page.get_by_role("button", name="Move loss up")
    for _ in range(6):  # past optimizer, lr, Tags, Duration, Started and Compute
        up.focus()
        page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == (
        "Move loss up"
    )  # the focus stays on the button moved
    page.keyboard.press("Escape")
    assert not page.locator("#column-pick").evaluate("d => d.open")
    assert heads() == ["Select", "Run", "Status", "loss", "Duration", "lr", "optimizer"]
    assert first_row()[1:4] == ["run-0", "Completed", "1"]
    assert page.inner_text("#columns-count") == "(5 of 8)"

    # kept in the address: a reload shows the same columns, and a changed stat fills the
    # right cells
    assert "cols=Status%2Closs%2CDuration%2Clr%2Coptimizer" in page.evaluate("location.hash")
    page.reload(wait_until="load")
    assert heads() == ["Select", "Run", "Status", "loss", "Duration", "lr", "optimizer"]
    page.select_option("#stat-switch", "max")
    assert first_row()[3] == "1"

    # the download has the columns shown, in their order
    page.locator("#table-export summary").click()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the table shown as CSV").click()
    rows = list(csv.reader(io.StringIO(Path(info.value.path()).read_text())))
    assert rows[0] == ["Run", "Status", "loss", "Duration", "lr", "optimizer"]
    assert rows[1][:3] == ["run-0", "Completed", "1"] and rows[1][4:] == ["1", "adam"]
    assert errors == []
    context.close()


def test_a_table_of_many_metrics_shows_the_key_ones_and_the_first_30_until_asked(
    browser: Any, tmp_path: Path
) -> None:
    """Over 30 metric columns, the table shows the key metrics and the first others up to 30
    (a table of 2,000 took seconds to sort or filter); the picker shows the rest, and "Show
    all" every one, kept in the address as ``cols=*``."""
    logs = tmp_path / "logs"
    names = [f"m{i:02d}" for i in range(35)] + ["val_loss"]  # the key metric comes last
    for k in range(2):
        records = [  # two steps: charted, so the key metric is among the page's charts
            {"kind": "scalar", "name": n, "value": float(i + k + step), "step": step}
            for step in (0, 1)
            for i, n in enumerate(names)
        ]
        write_run(logs, f"run-{k}", records, name=f"run-{k}", experiment="exp")
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(logs,), output=site, goals={"val_loss": "min"}))
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(next((site / "experiments").glob("*.html")).as_uri(), wait_until="load")

    def metric_heads() -> list[str]:
        return page.eval_on_selector_all(
            "#run-table thead th.metric:not([hidden])", "ths => ths.map(t => t.textContent.trim())"
        )

    def visible_cells() -> int:
        return page.locator("#run-table tbody tr:first-child td.metric:visible").count()

    assert metric_heads() == [*names[:29], "val_loss"]  # in the page's order
    assert visible_cells() == 30
    assert page.inner_text("#columns-count") == "(35 of 41)"  # with Status … Tags
    assert "cols" not in page.evaluate("location.hash")  # the default needs no address
    # a hidden column's cells are made when it is first shown, with the stat shown then
    assert page.locator("#run-table tbody tr:first-child td.metric").count() == 30
    assert page.locator("#column-list li").count() == 0  # listed when the picker opens
    page.get_by_label("Value shown for each metric").select_option("min")
    page.locator("#column-pick summary").click()
    page.get_by_label("m34", exact=True).check()
    assert "m34" in metric_heads() and visible_cells() == 31
    cells = page.eval_on_selector_all(
        "#run-table tbody tr:first-child td.metric:not([hidden])",
        "tds => tds.map(t => t.textContent)",
    )
    assert cells[metric_heads().index("m34")].startswith("34")  # run-0's min (its last is 35)
    page.get_by_label("Value shown for each metric").select_option("last")
    cells = page.eval_on_selector_all(
        "#run-table tbody tr:first-child td.metric:not([hidden])",
        "tds => tds.map(t => t.textContent)",
    )
    assert cells[metric_heads().index("m34")].startswith("35")
    assert "cols=" in page.evaluate("location.hash")
    page.get_by_role("button", name="Show all, in the page's order").click()
    assert len(metric_heads()) == 36 and page.inner_text("#columns-count") == "(41 of 41)"
    assert page.evaluate("location.hash") == "#cols=*"
    page.reload(wait_until="load")
    assert len(metric_heads()) == 36 and visible_cells() == 36
    assert errors == []
    page.close()
