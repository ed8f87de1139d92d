"""A compute target's page lists its first runs as HTML and draws the others when asked for
(a table of 10,000 runs as HTML took 1.5-2 s to load and lay out), with the same rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import write_run
from htmlparse import parse_file
from tests_helpers import data_file

import runreport.pages as pages
from runreport.build import BuildConfig, build_site

EVIL = '<img src=x onerror=alert(1)>"&'


def _site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """5 runs on "gpu" (the fourth with a hostile name, the fifth running) and 1 on "cpu",
    with pages listing 3 runs as HTML."""
    monkeypatch.setattr(pages, "COMPUTE_ROWS", 3)
    logs = tmp_path / "logs"
    for k in range(5):
        write_run(
            logs,
            f"r{k}",
            [{"kind": "scalar", "name": "loss", "value": 1.0}],
            name=EVIL if k == 3 else f"r{k}",
            experiment="exp" if k % 2 else "other",
            compute_target="gpu",
            status="Running" if k == 4 else "Completed",
            start_time="2026-01-01T00:00:00Z",
            end_time=None if k == 4 else "2026-01-01T01:00:00Z",
        )
    write_run(logs, "c0", compute_target="cpu")
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(logs,), output=site, jobs=1))
    return site


def test_the_first_runs_are_html_and_the_rest_a_data_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site(tmp_path, monkeypatch)
    gpu, cpu = (next((site / "compute").glob(f"{name}-*.html")) for name in ("gpu", "cpu"))
    listed = [a.text for a in parse_file(gpu).iter("a") if "/runs/" in a.attrs.get("href", "")]
    assert len(listed) == 3
    (button,) = [b for b in parse_file(gpu).iter("button") if b.attrs.get("id") == "show-all-runs"]
    assert button.text == "Show all 5 runs"
    rest = data_file(site / "data" / "compute" / f"{gpu.stem}.js")["rows"]
    assert sorted(listed + [r["name"] for r in rest]) == sorted([EVIL, "r0", "r1", "r2", "r4"])
    assert "<img src=x" not in gpu.read_text()
    # a page listing every run as HTML has no button, no script for it and no data file
    assert not [b for b in parse_file(cpu).iter("button") if b.attrs.get("id")]
    assert "compute.js" not in cpu.read_text()
    assert not (site / "data" / "compute" / f"{cpu.stem}.js").exists()


@pytest.mark.browser
def test_show_all_draws_the_other_runs_as_the_first_are_drawn(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site(tmp_path, monkeypatch)
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(next((site / "compute").glob("gpu-*.html")).as_uri(), wait_until="load")
    rows = page.locator("table.runs tbody tr")
    assert rows.count() == 3
    cells = "trs => trs.map(tr => tr.innerHTML)"
    html_rows = page.eval_on_selector_all("table.runs tbody tr", cells)
    button = page.get_by_role("button", name="Show all 5 runs")
    table = page.locator("table.runs").bounding_box()
    box = button.bounding_box()
    assert box and table and box["y"] < table["y"]  # above the table: on the first screen
    button.press("Enter")  # from the keyboard
    page.get_by_text("All 5 runs are listed.").wait_for()
    assert page.get_by_role("status").inner_text() == "All 5 runs are listed."  # said aloud
    assert rows.count() == 5
    assert not page.get_by_role("button", name="Show all 5 runs").is_visible()
    drawn = page.eval_on_selector_all("table.runs tbody tr", cells)
    assert drawn[:3] == html_rows
    # each drawn row as the page's HTML would list it (the first three are made by jinja)
    by_name = {
        page.locator("table.runs tbody tr").nth(i).locator("a").first.inner_text(): i
        for i in range(5)
    }
    assert set(by_name) == {EVIL, "r0", "r1", "r2", "r4"}
    hostile = page.locator("table.runs tbody tr").nth(by_name[EVIL])
    assert hostile.locator("a").first.inner_text() == EVIL  # text, not markup
    assert page.locator("table.runs img").count() == 0
    for name in ("r4", EVIL):
        row = page.locator("table.runs tbody tr").nth(by_name[name])
        href = row.locator("a").first.get_attribute("href")
        assert href and href.startswith("../runs/") and href.endswith(".html")
        assert row.locator("a").nth(1).inner_text() in ("exp", "other")
        assert row.locator("a").nth(2).inner_text() == "gpu"
    running = page.locator("table.runs tbody tr").nth(by_name["r4"])
    assert running.locator(".status").first.inner_text() == "Running"
    assert running.locator("td").nth(5).inner_text().startswith("running ")
    assert errors == []
    page.close()
