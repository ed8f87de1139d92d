"""The chart tools of run and compare pages in headless Chromium: sections by name prefix, the
metric filter, the chart size and links to one chart, found by their labels as a screen
reader would, and checked in the drawn charts (Vega's views)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from conftest import CHROMIUM, write_run

from runreport.build import BuildConfig, build_site

pytestmark = pytest.mark.browser

if not CHROMIUM.exists() and os.environ.get("RUNREPORT_SKIP_BROWSER") == "1":
    pytest.skip("RUNREPORT_SKIP_BROWSER=1 and no /usr/bin/chromium", allow_module_level=True)

METRICS = ["loss", "lr", "train/acc", "val/loss", "val/acc", "eval_f1", "system/gpu", "grad"]


def _site(tmp_path: Path, runs: int = 2, metrics: list[str] = METRICS) -> Path:
    for r in range(runs):
        records = [
            {"kind": "scalar", "name": name, "value": (k + 1) * (i + 1 + r), "step": i}
            for i in range(30)
            for k, name in enumerate(metrics)
        ]
        write_run(tmp_path / "logs", f"run{r}", records)
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(tmp_path / "logs",), output=site))
    return site


def _run_page(site: Path, split: bool = True) -> str:
    """run0's page, by default with paired metrics split (loss and val/loss each on its own
    chart: test_together.py tests them drawn together)."""
    url = next((site / "runs").glob("run0-*.html")).as_uri()
    return url + "#split=1" if split else url


def _open(browser: Any, url: str, width: int = 1400, height: int = 900) -> Any:
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    page.goto(url, wait_until="load")
    return page


def _shown(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "figure.chart-card[data-name]",
        "cards => cards.filter(c => c.offsetParent !== null).map(c => c.dataset.name)",
    )


def _sections(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "section.chart-section", "ds => ds.filter(d => !d.hidden).map(d => d.dataset.section)"
    )


def _drawn_height(page: Any, name: str) -> int:
    chart = page.locator(f"figure.chart-card[data-name='{name}'] .chart")
    chart.scroll_into_view_if_needed()
    page.wait_for_function("el => el.rrView", arg=chart.element_handle(), timeout=15_000)
    return int(chart.evaluate("el => el.rrView.height()"))


@pytest.mark.parametrize("kind", ["run", "compare"])
def test_sections_and_the_metric_filter(browser: Any, tmp_path: Path, kind: str) -> None:
    site = _site(tmp_path)
    url = _run_page(site) if kind == "run" else _compare_url(site)
    page = _open(browser, url)
    assert _sections(page) == ["", "eval", "system", "train", "val"]
    headings = page.locator("section.chart-section h3").all_text_contents()
    assert headings[0] == "ungrouped (3 charts)" and headings[4] == "val (2 charts)"
    assert sorted(_shown(page)) == sorted(METRICS)
    val = page.get_by_role("button", name="val (2 charts)")  # a section shows or hides its charts
    assert val.get_attribute("aria-expanded") == "true"
    # clicked once the charts around it are drawn, as a reader sees it: cards drawn as they
    # come into view take their drawn height (content-visibility), moving what is below them
    val.scroll_into_view_if_needed()
    page.wait_for_function(
        """() => [...document.querySelectorAll('.chart')].filter(c => {
          const r = c.closest('.chart-card').getBoundingClientRect();
          return r.top < innerHeight && r.bottom > 0; }).every(c => c.hasAttribute('data-marks'))"""
    )
    val.scroll_into_view_if_needed()
    val.click()
    assert val.get_attribute("aria-expanded") == "false" and "val/acc" not in _shown(page)
    val.press("Enter")
    assert val.get_attribute("aria-expanded") == "true" and "val/acc" in _shown(page)

    box = page.get_by_label("Metric filter")
    box.fill("^VAL/")  # case-insensitive regular expression
    page.wait_for_function("() => location.hash.includes('filter=')")
    assert sorted(_shown(page)) == ["val/acc", "val/loss"]
    assert _sections(page) == ["val"]  # sections with nothing shown are hidden
    assert page.locator("#chart-count").text_content() == "Showing 2 of 8 charts"
    assert box.get_attribute("aria-invalid") == "false"

    box.fill("loss|acc")
    page.wait_for_function("() => location.hash.includes('filter=loss%7Cacc')")
    assert sorted(_shown(page)) == ["loss", "train/acc", "val/acc", "val/loss"]

    box.fill("(")  # not a regular expression: matched as text, and said so
    page.wait_for_function("() => location.hash.includes('filter=(')")
    assert _shown(page) == [] and box.get_attribute("aria-invalid") == "true"
    assert "not a valid regular expression" in page.locator("#chart-count").text_content()

    page.goto(page.url.replace("filter=(", "filter=gpu"))
    page.reload()  # a changed hash alone does not load the page again
    assert page.get_by_label("Metric filter").input_value() == "gpu"
    assert _shown(page) == ["system/gpu"]
    box = page.get_by_label("Metric filter")
    box.fill("")
    page.wait_for_function("() => !location.hash.includes('filter=')")
    assert len(_shown(page)) == len(METRICS)
    assert page.errors == []
    page.close()


def _compare_url(site: Path, split: bool = True) -> str:
    """The compare page of every run, by default with paired metrics split (as _run_page)."""
    slugs = ",".join(sorted(p.stem for p in (site / "runs").glob("run*.html")))
    return (site / "compare.html").as_uri() + "#runs=" + slugs + ("&split=1" if split else "")


def test_small_charts_fit_six_on_a_1400_by_900_screen_and_sizes_redraw(
    browser: Any, tmp_path: Path
) -> None:
    site = _site(tmp_path, runs=1, metrics=[f"train/m{i}" for i in range(12)])
    page = _open(browser, _run_page(site))
    medium = _drawn_height(page, "train/m4")
    page.get_by_label("Chart size").select_option("small")
    page.wait_for_function("() => location.hash.includes('size=s')")
    small = _drawn_height(page, "train/m4")
    assert small < medium * 0.7
    page.get_by_label("Chart size").select_option("large")
    assert _drawn_height(page, "train/m4") > medium * 1.4

    page = _open(browser, _run_page(site) + "&size=s")
    assert page.get_by_label("Chart size").input_value() == "s"
    page.locator("figure.chart-card").first.evaluate("el => el.scrollIntoView()")
    page.wait_for_timeout(300)
    inside = page.eval_on_selector_all(
        "figure.chart-card",
        """cards => cards.filter(c => {
            const r = c.getBoundingClientRect();
            return r.top >= 0 && r.bottom <= innerHeight && r.height > 0;
        }).length""",
    )
    assert inside >= 6
    page.close()


def _scrolled_to(card: Any) -> bool:
    """Whether ``card`` is at the top of the window, or in it with the page scrolled down to
    its end (nearer its end than a window's height)."""
    return bool(
        card.evaluate(
            """el => {
                const top = el.getBoundingClientRect().top;
                const end = scrollY + innerHeight >= document.documentElement.scrollHeight - 1;
                return Math.abs(top) < 2 || (end && top > 0 && top < innerHeight);
            }"""
        )
    )


@pytest.mark.parametrize("kind", ["run", "compare"])
def test_a_chart_link_opens_the_page_at_that_chart(browser: Any, tmp_path: Path, kind: str) -> None:
    site = _site(tmp_path)
    base = _run_page(site) + "&" if kind == "run" else _compare_url(site) + "&"
    page = _open(browser, base + "chart=" + quote("eval_f1", safe=""), height=600)
    card = page.locator("figure.chart-card[data-name='eval_f1']")
    page.wait_for_function("el => el.querySelector('.chart').rrView", arg=card.element_handle())
    assert _scrolled_to(card)  # charts above it drawn or not
    assert card.evaluate("el => document.activeElement === el")
    shown = page.evaluate("() => scrollY")
    assert shown > 600

    # the caption's link, by its name; following it keeps the page's other settings
    link = page.get_by_role("link", name="Link to the chart of train/acc")
    assert link.text_content() == "link"
    link.click()
    assert page.url.endswith("chart=train%2Facc")
    if kind == "compare":
        assert "#runs=" in page.url  # the same comparison
    target = page.locator("figure.chart-card[data-name='train/acc']")
    assert _scrolled_to(target)
    assert page.errors == []
    page.close()


LINES = """el => {
  const out = {};
  const walk = node => (node.items || []).forEach(item => {
    if (node.marktype === "line" && item.datum && !(item.datum.series in out)) {
      out[item.datum.series] = {stroke: item.stroke, dash: String(item.strokeDash || ""),
                                opacity: item.opacity};
    }
    walk(item);
  });
  walk(el.rrView.scenegraph().root);
  return out;
}"""


def _lines(page: Any, name: str) -> dict[str, dict[str, Any]]:
    chart = page.locator(f"figure.chart-card[data-name='{name}'] .chart")
    chart.scroll_into_view_if_needed()
    page.wait_for_function("el => el.rrView", arg=chart.element_handle(), timeout=15_000)
    return chart.evaluate(LINES)


def test_a_run_has_one_colour_in_every_chart_and_its_legend_highlights_everywhere(
    browser: Any, tmp_path: Path
) -> None:
    site = _site(tmp_path, runs=4)
    page = _open(browser, _compare_url(site))
    charts = {name: _lines(page, name) for name in ("loss", "val/acc", "system/gpu")}
    runs = sorted(charts["loss"])
    assert runs == ["run0", "run1", "run2", "run3"]
    for name, lines in charts.items():
        assert {r: s["stroke"] for r, s in lines.items()} == {
            r: s["stroke"] for r, s in charts["loss"].items()
        }, name
    page.get_by_text("Runs", exact=True).click()  # the picker's list is made when opened
    picker = page.eval_on_selector_all(
        "label.pick-run",
        "ls => ls.map(l => [l.textContent.trim(), l.querySelector('.swatch').style.background])",
    )
    for run, swatch in picker:
        r, g, b = (int(charts["loss"][run]["stroke"][i : i + 2], 16) for i in (1, 3, 5))
        assert swatch == f"rgb({r}, {g}, {b})", run
    for run in runs:  # and on the run's own page
        own = _open(browser, next((site / "runs").glob(f"{run}-*.html")).as_uri() + "#split=1")
        line = _lines(own, "loss")
        assert [s["stroke"] for s in line.values()] == [charts["loss"][run]["stroke"]]
        own.close()

    # a run picked in one chart's legend is highlighted in every chart of the page
    page.get_by_label("Metric filter").fill("^(loss|val/acc)$")
    chart = page.locator("figure.chart-card[data-name='loss'] .chart")
    chart.scroll_into_view_if_needed()
    symbol = chart.evaluate(LEGEND_SYMBOL, "run2")
    box = chart.locator("canvas").bounding_box()
    page.mouse.click(box["x"] + symbol[0], box["y"] + symbol[1])
    other = page.locator("figure.chart-card[data-name='val/acc'] .chart")
    page.wait_for_function(
        "el => el.rrView.data('pick_store').length === 1", arg=other.element_handle()
    )
    lines = _lines(page, "val/acc")
    assert lines["run2"]["opacity"] == 1 and {lines[r]["opacity"] for r in runs if r != "run2"} == {
        0.12
    }
    assert page.errors == []
    page.close()


LEGEND_SYMBOL = """(el, label) => {
  const view = el.rrView;
  let found = null;
  const walk = (mark, dx, dy) => (mark.items || []).forEach(item => {
    if (mark.role === "legend-symbol" && item.datum && item.datum.value === label) {
      found = [dx + (item.x || 0), dy + (item.y || 0)];
    }
    if (mark.marktype === "group" || mark.role === "legend-entry") {
      (item.items || []).forEach(m => walk(m, dx + (item.x || 0), dy + (item.y || 0)));
    }
  });
  walk(view.scenegraph().root, view.origin()[0], view.origin()[1]);
  return found;
}"""


def test_runs_sharing_a_colour_are_told_apart_by_dashes(browser: Any, tmp_path: Path) -> None:
    site = _site(tmp_path, runs=25)  # more runs than colours: some share one
    page = _open(browser, _compare_url(site))
    lines = _lines(page, "loss")
    assert len(lines) == 25
    by_colour: dict[str, list[str]] = {}
    for style in lines.values():
        by_colour.setdefault(style["stroke"], []).append(style["dash"])
    shared = [dashes for dashes in by_colour.values() if len(dashes) > 1]
    assert shared  # 25 runs, 20 colours
    for dashes in shared:
        assert len(set(dashes)) == len(dashes)
    assert len(by_colour) >= 12  # spread over the palette, not a few colours
    page.close()


def test_png_and_svg_files_are_named_after_the_run_and_metric(browser: Any, tmp_path: Path) -> None:
    site = _site(tmp_path, runs=2)
    context = browser.new_context(accept_downloads=True)
    for url, name, stem in (
        (_run_page(site), "val/acc", "run0-val-acc"),
        (_compare_url(site), "eval_f1", "compare-eval_f1"),
    ):
        page = context.new_page()
        page.goto(url)
        chart = page.locator(f"figure.chart-card[data-name='{name}'] .chart")
        chart.scroll_into_view_if_needed()
        page.wait_for_function("el => el.rrView", arg=chart.element_handle())
        for kind in ("SVG", "PNG"):
            if not chart.locator("details").evaluate("d => d.open"):
                chart.locator("details summary").click()  # the ⋯ menu
            with page.expect_download() as info:
                chart.get_by_text(f"Save as {kind}").click()
            assert info.value.suggested_filename == f"{stem}.{kind.lower()}"
        page.close()
    context.close()


def test_hover_shows_every_runs_value_at_the_pointer_sorted(browser: Any, tmp_path: Path) -> None:
    site = _site(tmp_path, runs=4)
    page = _open(browser, _compare_url(site))
    strokes = {run: s["stroke"] for run, s in _lines(page, "loss").items()}
    chart = page.locator("figure.chart-card[data-name='loss'] .chart")
    # the pointer at step 10, near the top of the plot: on no line
    x, y = chart.evaluate(
        """el => {
            const v = el.rrView, box = el.querySelector('canvas').getBoundingClientRect();
            return [box.left + v.origin()[0] + v.scale('x')(10.2),
                    box.top + v.origin()[1] + 3];
        }"""
    )
    page.mouse.move(x, y)
    tip = chart.get_by_role("tooltip")
    tip.wait_for()
    rows = tip.locator(".hover-row").evaluate_all(
        """rows => rows.map(r => [r.querySelector('.hover-label').textContent,
                                  r.querySelector('.hover-value').textContent,
                                  r.querySelector('.swatch').style.background])"""
    )
    assert tip.locator(".hover-x").first.text_content() == "step 10"
    assert [r[:2] for r in rows] == [["run3", "14"], ["run2", "13"], ["run1", "12"], ["run0", "11"]]
    for run, _, swatch in rows:
        r, g, b = (int(strokes[run][i : i + 2], 16) for i in (1, 3, 5))
        assert swatch == f"rgb({r}, {g}, {b})"
    rule = chart.locator(".hover-rule")
    assert rule.is_visible() and abs(rule.bounding_box()["x"] - x) < 2
    page.mouse.move(x, y - 200)  # off the chart
    tip.wait_for(state="hidden")
    assert page.errors == []
    page.close()


AXIS_LABEL_FILL = """el => {
  let fill = null;
  const walk = node => (node.items || []).forEach(item => {
    if (node.role === "axis-label" && item.fill && !fill) fill = item.fill;
    walk(item);
  });
  walk(el.rrView.scenegraph().root);
  return fill;
}"""


def _bright(colour: str) -> bool:
    """Whether a CSS colour (#rgb, #rrggbb or rgb(...)) is light."""
    if colour.startswith("rgb"):
        r, g, b = (int(v) for v in colour[colour.index("(") + 1 : -1].split(",")[:3])
    else:
        hexes = colour.lstrip("#")
        hexes = "".join(c * 2 for c in hexes) if len(hexes) == 3 else hexes
        r, g, b = (int(hexes[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b > 128


def _looks(page: Any) -> tuple[bool, bool]:
    """(page background is light, chart axis labels are light) once the chart is drawn."""
    chart = page.locator("figure.chart-card[data-name='loss'] .chart")
    chart.scroll_into_view_if_needed()
    page.wait_for_function("el => el.rrView", arg=chart.element_handle())
    background = page.evaluate("() => getComputedStyle(document.documentElement).backgroundColor")
    return _bright(background), _bright(chart.evaluate(AXIS_LABEL_FILL))


def test_dark_theme_follows_the_system_and_the_switch_is_kept(browser: Any, tmp_path: Path) -> None:
    site = _site(tmp_path, runs=1)
    context = browser.new_context(color_scheme="dark", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(_run_page(site))
    assert _looks(page) == (False, True)  # dark page, light labels
    theme = page.get_by_label("Theme")
    assert theme.input_value() == "auto"
    old = page.locator(".chart[data-metric='loss']").evaluate_handle("el => el.rrView")
    theme.select_option("light")
    page.wait_for_function(
        "old => document.querySelector('.chart[data-metric=loss]').rrView !== old", arg=old
    )
    assert _looks(page) == (True, False)
    page.reload()  # the choice is kept in this browser
    assert page.get_by_label("Theme").input_value() == "light"
    assert _looks(page) == (True, False)
    context.close()

    context = browser.new_context(color_scheme="light")
    page = context.new_page()
    page.goto(_run_page(site))
    assert _looks(page) == (True, False)
    page.get_by_label("Theme").select_option("dark")
    page.reload()
    assert _looks(page) == (False, True)
    context.close()


AXES = """el => {
  const v = el.rrView, labels = [], titles = [];
  const walk = node => (node.items || []).forEach(item => {
    if (node.role === "axis-label") labels.push(item.text);
    if (node.role === "axis-title") titles.push(item.text);
    walk(item);
  });
  walk(v.scenegraph().root);
  return {x: v.scale("x").domain(), y: v.scale("y").domain(), type: v.scale("y").type,
          labels: labels, titles: titles};
}"""


def _axes(page: Any, name: str, old: Any = None) -> dict[str, Any]:
    chart = page.locator(f".chart[data-metric='{name}']")
    chart.scroll_into_view_if_needed()
    page.wait_for_function(
        "([el, old]) => el.rrView && el.rrView !== old", arg=[chart.element_handle(), old]
    )
    return chart.evaluate(AXES)


def test_axes_fit_the_data_and_switch_to_log_or_the_central_values(
    browser: Any, tmp_path: Path
) -> None:
    records = [
        {"kind": "scalar", "name": name, "value": value, "step": i}
        for i in range(386)
        for name, value in (
            ("lr", 0.001),  # one value all along
            ("loss", 1 / (i + 1) + (1000.0 if i == 200 else 0.0)),  # one spike
            ("reward", i - 100.0),  # values below 0
        )
    ]
    write_run(tmp_path / "logs", "run0", records)
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(tmp_path / "logs",), output=site))
    page = _open(browser, _run_page(site))
    lr = _axes(page, "lr")
    assert lr["x"] == [0, 385]  # no padding past the data
    assert lr["y"][0] < 0.001 < lr["y"][1] and "0.00100" in lr["labels"]  # not a lone "0"
    loss = _axes(page, "loss")
    assert loss["type"] == "linear" and loss["y"][1] >= 1000

    old = [
        page.locator(f".chart[data-metric='{n}']").evaluate_handle("el => el.rrView")
        for n in ("loss", "reward")
    ]
    page.get_by_label("Log scale").check()
    page.wait_for_function("() => location.hash.includes('log=1')")
    loss = _axes(page, "loss", old[0])
    assert loss["type"] == "log" and "loss (log scale)" in loss["titles"]
    reward = _axes(page, "reward", old[1])
    assert reward["type"] == "symlog" and "reward (symlog scale: values ≤ 0)" in reward["titles"]

    old[0] = page.locator(".chart[data-metric='loss']").evaluate_handle("el => el.rrView")
    page.get_by_label("Log scale").uncheck()
    page.get_by_label("Ignore outliers").check()
    page.wait_for_function("() => location.hash.includes('outliers=1')")
    loss = _axes(page, "loss", old[0])
    assert loss["y"][1] < 2  # the spike is out of the range shown
    assert "loss (central 98 %: 8 points beyond)" in loss["titles"]
    # each point beyond is marked at the edge it crosses
    edges = page.locator(".chart[data-metric='loss']").evaluate(
        "el => el.rrView.data('clipped').map(d => [d.edge, d.y, d.v])"
    )
    assert len(edges) == 8 and max(v for _, _, v in edges) == pytest.approx(1000 + 1 / 201)
    low, top = loss["y"]
    assert all((e, y) in (("above", top), ("below", low)) for e, y, _ in edges)
    page.reload()
    assert page.get_by_label("Ignore outliers").is_checked()
    assert not page.get_by_label("Log scale").is_checked()
    assert page.errors == []
    page.close()


def _one_run(browser: Any, tmp_path: Path, records: list[Any], name: str) -> tuple[Any, Any]:
    """The page of a run of ``records``, and its chart of ``name``, drawn."""
    write_run(tmp_path / "logs", "run0", records)
    build_site(BuildConfig(inputs=(tmp_path / "logs",), output=tmp_path / "site"))
    page = _open(browser, _run_page(tmp_path / "site"))
    chart = page.locator(f".chart[data-metric='{name}']")
    chart.scroll_into_view_if_needed()
    page.wait_for_function("el => el.rrView", arg=chart.element_handle())
    return page, chart


def test_a_lone_value_among_nans_is_marked(browser: Any, tmp_path: Path) -> None:
    records = [
        json.dumps({"kind": "scalar", "name": "acc", "value": "NaN", "step": i}).replace(
            '"NaN"', "0.5" if i == 70 else '"NaN"'
        )
        for i in range(100)  # more points than get markers
    ]
    page, chart = _one_run(browser, tmp_path, records, "acc")
    points = chart.evaluate(
        """el => {
            const out = [];
            const walk = node => (node.items || []).forEach(item => {
              if (node.marktype === "symbol" && node.role === "mark" && item.datum) {
                out.push([item.datum.x, item.datum.y, item.fill]);
              }
              walk(item);
            });
            walk(el.rrView.scenegraph().root);
            return out;
        }"""
    )
    assert [p[:2] for p in points] == [[70, 0.5]] and points[0][2]  # drawn, filled
    assert page.errors == []
    page.close()


def test_no_page_scrolls_sideways_at_400_px(browser: Any, example_site: Path) -> None:
    runs = ",".join(sorted(p.stem for p in (example_site / "runs").glob("*.html")))
    urls = [p.as_uri() for p in sorted(example_site.rglob("*.html"))]
    urls.append((example_site / "compare.html").as_uri() + "#runs=" + runs)
    page = browser.new_page(viewport={"width": 400, "height": 800})
    wide = {}
    for url in urls:
        page.goto(url, wait_until="load")
        page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")  # draw charts
        page.wait_for_timeout(200)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > 400:
            wide[url.rsplit("/", 1)[-1]] = width
    assert wide == {}  # only a table's own box may scroll sideways
    page.close()


def test_a_zoomed_chart_shows_a_spike_the_unzoomed_one_bucketed_away(
    browser: Any, tmp_path: Path
) -> None:
    n, spike = 50_000, 25_025  # the middle of a bucket of 50 points, below its maximum
    records = [
        {
            "kind": "scalar",
            "name": "ramp",
            "value": i / n + (0.0004 if i == spike else 0),
            "step": i,
        }
        for i in range(n)
    ]
    page, chart = _one_run(browser, tmp_path, records, "ramp")
    drawn = "el => el.rrView.data('data').map(r => [r.x, r.y])"
    assert [spike, spike / n + 0.0004] not in chart.evaluate(drawn)
    assert len(chart.evaluate(drawn)) <= 2002

    def at(x: float) -> tuple[float, float]:
        return chart.evaluate(
            """(el, x) => {
                const v = el.rrView, box = el.querySelector('canvas').getBoundingClientRect();
                return [box.left + v.origin()[0] + v.scale('x')(x), box.top + v.origin()[1] + 40];
            }""",
            x,
        )

    old = chart.evaluate_handle("el => el.rrView")
    page.mouse.move(*at(24_800))
    page.mouse.down()
    page.mouse.move(*at(25_050))
    page.mouse.move(*at(25_300))
    page.mouse.up()
    page.wait_for_function(
        "([el, old]) => el.rrView && el.rrView !== old", arg=[chart.element_handle(), old]
    )
    low, high = chart.evaluate("el => el.rrView.scale('x').domain()")
    assert low == pytest.approx(24_800, abs=60) and high == pytest.approx(25_300, abs=60)
    points = chart.evaluate(drawn)
    assert [spike, spike / n + 0.0004] in points  # every point of the range, from full data
    inside = [x for x, _ in points if low <= x <= high]
    assert len(inside) == int(high) - math.ceil(low) + 1

    reset = page.get_by_role("button", name="Reset zoom")
    old = chart.evaluate_handle("el => el.rrView")
    reset.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "([el, old]) => el.rrView && el.rrView !== old", arg=[chart.element_handle(), old]
    )
    assert chart.evaluate("el => el.rrView.scale('x').domain()") == [0, n - 1]
    assert page.get_by_role("button", name="Reset zoom").count() == 0
    assert page.errors == []
    page.close()


def test_wheel_zoom_and_one_x_range_for_every_chart(browser: Any, tmp_path: Path) -> None:
    site = _site(tmp_path, runs=1)
    page = _open(browser, _run_page(site))
    charts = [page.locator(f".chart[data-metric='{n}']") for n in ("loss", "grad")]
    for chart in charts:
        chart.scroll_into_view_if_needed()
        page.wait_for_function("el => el.rrView", arg=chart.element_handle())
    domain = "el => el.rrView.scale('x').domain()"
    box = charts[0].locator("canvas").bounding_box()
    middle = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 3)

    old = charts[0].evaluate_handle("el => el.rrView")
    page.mouse.move(*middle)
    page.mouse.wheel(0, 100)  # the wheel alone scrolls the page, as everywhere
    page.keyboard.down("Control")
    page.mouse.move(*middle)
    page.mouse.wheel(0, -100)  # with Ctrl, it zooms in around the pointer
    page.keyboard.up("Control")
    page.wait_for_function(
        "([el, old]) => el.rrView && el.rrView !== old", arg=[charts[0].element_handle(), old]
    )
    low, high = charts[0].evaluate(domain)
    assert 0 < low < high < 29 and high - low == pytest.approx(29 * 0.8, rel=0.01)
    assert charts[1].evaluate(domain) == [0, 29]  # the others are left as they are

    page.get_by_label("Same x range on all charts").check()
    page.wait_for_function(
        "el => el.rrView.scale('x').domain()[0] === 0", arg=charts[0].element_handle()
    )
    old = charts[1].evaluate_handle("el => el.rrView")
    charts[0].scroll_into_view_if_needed()
    box = charts[0].locator("canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + 40)
    page.mouse.up()
    page.wait_for_function(
        "([el, old]) => el.rrView && el.rrView !== old", arg=[charts[1].element_handle(), old]
    )
    page.wait_for_timeout(200)
    assert charts[1].evaluate(domain) == charts[0].evaluate(domain) != [0, 29]
    assert page.errors == []
    page.close()


def test_a_chart_works_from_the_keyboard(browser: Any, tmp_path: Path) -> None:
    site = _site(tmp_path, runs=2)
    page = _open(browser, _compare_url(site))
    chart = page.get_by_label("Chart of loss.", exact=False)
    chart.scroll_into_view_if_needed()
    page.wait_for_function("el => el.rrView", arg=chart.element_handle())
    chart.focus()
    tip = chart.get_by_role("tooltip")
    page.keyboard.press("ArrowRight")  # the first x
    assert tip.locator(".hover-x").text_content() == "step 0"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert tip.locator(".hover-x").text_content() == "step 2"
    values = tip.locator(".hover-value").all_text_contents()
    assert values == ["4", "3"]  # run1, run0 at step 2
    page.keyboard.press("End")
    assert tip.locator(".hover-x").text_content() == "step 29"
    page.keyboard.press("Home")
    for _ in range(9):
        page.keyboard.press("ArrowRight")
    assert tip.locator(".hover-x").text_content() == "step 9"

    old = chart.evaluate_handle("el => el.rrView")
    page.keyboard.press("+")  # zoom in around step 9
    page.wait_for_function(
        "([el, old]) => el.rrView && el.rrView !== old", arg=[chart.element_handle(), old]
    )
    low, high = chart.evaluate("el => el.rrView.scale('x').domain()")
    assert low < 9 < high and high - low == pytest.approx(29 * 0.8)
    assert chart.evaluate("el => document.activeElement === el")  # still where the reader was
    old = chart.evaluate_handle("el => el.rrView")
    page.keyboard.press("0")
    page.wait_for_function(
        "([el, old]) => el.rrView && el.rrView !== old", arg=[chart.element_handle(), old]
    )
    assert chart.evaluate("el => el.rrView.scale('x').domain()") == [0, 29]
    page.keyboard.press("Escape")
    assert tip.is_hidden()
    assert page.errors == []
    page.close()
