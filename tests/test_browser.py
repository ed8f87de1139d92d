"""The example site in real headless Chromium, from file:// and over HTTP under a sub-path.

Fails on any console error, any request to another host, any chart that drew no marks and any
broken internal link. Uses Debian's /usr/bin/chromium (tests/run.sh installs it).
"""

from __future__ import annotations

import csv
import functools
import http.server
import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import CHROMIUM, write_run
from htmlparse import parse_file
from tests_helpers import data_file, data_value, experiment_rows

from runreport.build import BuildConfig, build_site

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

pytestmark = pytest.mark.browser

if not CHROMIUM.exists() and os.environ.get("RUNREPORT_SKIP_BROWSER") == "1":
    pytest.skip("RUNREPORT_SKIP_BROWSER=1 and no /usr/bin/chromium", allow_module_level=True)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def http_root(example_site: Path) -> Iterator[str]:
    """The site served from a loopback port under a sub-path (as GitHub Pages project sites)."""
    handler = functools.partial(_Quiet, directory=str(example_site.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{example_site.name}/"
    server.shutdown()
    server.server_close()


def _urls(site: Path) -> list[str]:
    """Every page, plus each experiment's "compare all" link and a child-run comparison."""
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    extra = []
    for page in sorted((site / "experiments").glob("*.html")):
        for a in parse_file(page).iter("a"):
            href = a.attrs.get("href", "")
            if href.startswith("../compare.html#runs="):
                extra.append(href.removeprefix("../"))
    assert extra, "experiment pages link to a comparison"
    return pages + extra


def _visit(browser: Any, url: str, allowed_prefix: str) -> dict[str, Any]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))

    def dialog(d: Any) -> None:
        problems.append(f"dialog: {d.message}")
        d.dismiss()

    page.on("dialog", dialog)
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on(
        "response",
        lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None,
    )

    def guard(route: Any) -> None:
        u = route.request.url
        if u.startswith((allowed_prefix, "data:", "blob:")):
            route.continue_()
        else:
            problems.append(f"external request: {u}")
            route.abort()

    page.route("**/*", guard)
    page.goto(url, wait_until="load")
    # charts of a card hidden by the page's settings (a metric drawn together with its pair,
    # until "Split paired metrics") are checked by visiting with #split=1 (_check_pages)
    charts = page.locator(".chart:visible")
    paired = page.locator("figure.chart-card.paired").count() > 0
    marks = []
    for i in range(charts.count()):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        page.wait_for_function(
            "el => el.hasAttribute('data-marks')", arg=chart.element_handle(), timeout=15_000
        )
        marks.append(chart.get_attribute("data-marks"))
    page.close()
    return {"problems": problems, "marks": marks, "paired": paired}


def _check_pages(browser: Any, base: str, urls: list[str], allowed: str) -> int:
    """Visit every URL; fail on any problem or empty chart; return the number of charts."""
    total_charts = 0
    todo = list(urls)
    while todo:
        rel = todo.pop(0)
        result = _visit(browser, base + rel, allowed)
        assert result["problems"] == [], f"{rel}: {result['problems']}"
        for m in result["marks"]:
            assert m not in (None, "error") and int(m) > 0, f"{rel}: a chart drew no marks ({m})"
        total_charts += len(result["marks"])
        if result["paired"] and "#" not in rel:  # its paired metrics' own charts too
            todo.append(rel + "#split=1")
    return total_charts


@pytest.mark.parametrize("mode", ["file", "http"])
def test_every_page_renders_cleanly(
    browser: Any, example_site: Path, http_root: str, mode: str
) -> None:
    base = example_site.as_uri() + "/" if mode == "file" else http_root
    allowed = "file://" if mode == "file" else http_root.split("/site")[0]
    assert _check_pages(browser, base, _urls(example_site), allowed) >= 20


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")
def test_corpus_site_renders_cleanly(browser: Any, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(CORPUS,), output=site))
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    assert _check_pages(browser, site.as_uri() + "/", pages, "file://") >= 100


def test_hostile_site_shows_everything_as_text(
    browser: Any, hostile_logs: Path, tmp_path: Path
) -> None:
    """No dialog, console error, external request or empty chart on any page built from the
    hostile set; the hostile strings are on the pages as text."""
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(hostile_logs,), output=site))
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    compare = [f"compare.html#runs={','.join(p.stem for p in (site / 'runs').glob('*.html'))}"]
    assert _check_pages(browser, site.as_uri() + "/", pages + compare, "file://") >= 10
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto((site / "runs" / "xss-1-6bc1ae2e.html").as_uri())
    assert page.inner_text("h1").startswith('<script>alert(1)</script>"><img src=x onerror')
    # the SVG image is drawn (through <img>, from a data: URI) and its scripts did not run
    svg = page.get_by_role("img", name="svg plot")
    svg.scroll_into_view_if_needed()
    page.wait_for_function("el => el.complete && el.naturalWidth > 0", arg=svg.element_handle())
    # copied documents open as text: their scripts never run
    copied = sorted((site / "runs").glob("*/files/**/*.txt"))
    assert any(p.name == "report.html.txt" for p in copied)
    for path in copied:
        page.goto(path.as_uri())
        if path.name in ("report.html.txt", "plot.svg.txt"):
            assert "<script>" in page.inner_text("body")
    assert dialogs == []
    page.close()


def _compare_all_href(site: Path, experiment: str) -> str:
    """The experiment page's "compare all runs" link (relative to that page)."""
    page = next(
        p
        for p in (site / "experiments").glob("*.html")
        if parse_file(p).iter("h1")[0].text == experiment
    )
    return next(
        a.attrs["href"]
        for a in parse_file(page).iter("a")
        if a.attrs.get("href", "").startswith("../compare.html#runs=")
    )


def _open(browser: Any, url: str) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url, wait_until="load")
    return page


def test_a_long_run_table_shows_its_first_rows_then_sorts_and_picks_every_row(
    browser: Any, tmp_path: Path
) -> None:
    """250 runs: the first 200 are drawn, the rest on request; sorting and filtering take
    every run, and a run drawn late can be picked and compared."""
    logs = tmp_path / "logs"
    for i in range(250):
        value = (i * 37) % 250 / 10  # every value once, not in run order
        write_run(logs, f"r{i:03d}", [{"kind": "scalar", "name": "loss", "value": value}])
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(logs,), output=site, jobs=1))
    # the page's own data file holds the first 200 rows: the rest come after they are shown
    (first_file,) = (
        p for p in (site / "data" / "experiments").glob("*.js") if not p.name.endswith(".all.js")
    )
    first = first_file.read_text()
    in_order = [row["slug"] for row in data_value(first_file)[1]["rows"]]
    assert first.count('"slug":') == 200 and '"total":250' in first
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    held: list[Any] = []
    page.route(
        "**/*.all.js", lambda route: held.append(route)
    )  # the rest held back until the sort is asked for
    page.goto(next((site / "experiments").glob("*.html")).as_uri(), wait_until="load")
    rows = page.locator("#run-table tbody tr")
    assert rows.count() == 200
    assert page.inner_text("#run-count") == "250 runs; the first 200 are shown"
    # sorted by loss: the lowest of all 250 first (the run of loss 0 is not among the first
    # 200); asked for before the rest is there, it is done when every row is
    page.get_by_role("button", name="loss", exact=True).click()
    page.wait_for_timeout(200)
    assert page.get_attribute("#run-table", "aria-busy") == "true"
    assert [rows.nth(i).get_attribute("data-slug") for i in range(5)] == in_order[:5]  # not yet
    assert len(held) == 1
    held[0].continue_()
    page.wait_for_function(
        "() => !document.getElementById('run-table').hasAttribute('aria-busy')"
        " && document.querySelector('#run-table td.metric').textContent.startsWith('0 ')"
    )
    losses = [float(t.split()[0]) for t in page.locator("#run-table td.metric").all_inner_texts()]
    assert losses == [i / 10 for i in range(200)]
    assert "★" in rows.first.inner_text()  # the lowest loss is the best
    page.get_by_role("button", name="Show 50 more").click()
    assert rows.count() == 250 and page.inner_text("#run-count") == "250 runs"
    assert not page.get_by_role("button", name="Show all 250").is_visible()
    late = rows.nth(240).get_attribute("data-slug")
    page.get_by_role("checkbox", name=f"Select {rows.nth(240).locator('a').inner_text()}").check()
    page.fill("#run-filter", "r24")  # ten runs match, the one picked among them
    assert rows.count() == 10 and page.inner_text("#run-count") == "10 of 250 runs match the filter"
    page.click("#compare-selected")
    page.wait_for_load_state("load")
    assert page.url.endswith(f"#runs={late}")
    page.close()


def test_run_table_switches_sorts_filters_and_picks(browser: Any, example_site: Path) -> None:
    exp = next(
        p
        for p in (example_site / "experiments").glob("*.html")
        if parse_file(p).iter("h1")[0].text == "mnist-sweep"
    )
    page = _open(browser, exp.as_uri())
    # the table is drawn from the experiment's data file: a metric cell shows the stat chosen
    row, i, stats = next(
        (r, i, c) for r in experiment_rows(exp) for i, c in enumerate(r["cells"]) if c
    )
    params = len(parse_file(exp).find_all("th", **{"class": "param"}))
    cell = page.locator(f"#run-table tr[data-slug='{row['slug']}'] td").nth(7 + params + i)
    assert cell.inner_text().split(" ")[0] == stats[3]
    page.select_option("#stat-switch", "max")
    assert cell.inner_text().split(" ")[0] == stats[5]
    page.select_option("#stat-switch", "min")
    assert cell.inner_text().split(" ")[0] == stats[4]
    # sort by run name, descending, from the header's button: parents move with their children
    header = page.get_by_role("button", name="Run", exact=True)
    header.click()
    header.press("Enter")  # from the keyboard too
    assert page.locator("#run-table th[aria-sort='descending']").inner_text().startswith("Run")
    names = page.locator("#run-table tbody tr td:nth-child(2)").all_inner_texts()
    assert names[0] == "lr-sweep" and all(n.startswith("lr=") for n in names[1:5])
    page.fill("#run-filter", "baseline")
    assert page.locator("#run-table tbody tr").count() == 2
    assert page.inner_text("#run-count") == "2 of 7 runs match the filter"
    page.fill("#run-filter", "")
    boxes = page.locator("input.pick")
    boxes.nth(1).check()
    boxes.nth(2).check()
    page.click("#compare-selected")
    page.wait_for_load_state("load")
    assert "compare.html#runs=" in page.url
    assert page.locator("#compare-params thead th").count() == 3  # "parameter" + 2 runs
    page.locator(".chart").first.wait_for()
    page.wait_for_function("document.querySelector('.chart').hasAttribute('data-marks')")
    params = page.locator("#compare-params-section")
    if not params.evaluate("d => d.open"):  # folded when long: its heading opens it
        params.locator("summary").click()
    page.click("#only-diff")
    same = page.locator("#compare-params tr.same")
    assert same.count() > 0 and not same.first.is_visible()
    page.close()


LEGEND_SYMBOLS = """el => {
  const view = el.rrView, out = [];
  const walk = (mark, dx, dy) => (mark.items || []).forEach(item => {
    if (mark.role === "legend-symbol") out.push([dx + (item.x || 0), dy + (item.y || 0)]);
    if (mark.marktype === "group") {
      (item.items || []).forEach(m => walk(m, dx + (item.x || 0), dy + (item.y || 0)));
    }
  });
  walk(view.scenegraph().root, view.origin()[0], view.origin()[1]);
  return out;
}"""


def test_compare_legend_click_toggles_a_run(browser: Any, example_site: Path) -> None:
    href = _compare_all_href(example_site, "mnist-sweep")
    page = _open(browser, example_site.as_uri() + "/" + href.removeprefix("../"))
    chart = page.locator(".chart").first
    chart.scroll_into_view_if_needed()  # charts are drawn when they come into view
    page.wait_for_function(
        "el => el.hasAttribute('data-marks')", arg=chart.element_handle(), timeout=15_000
    )
    symbols = chart.evaluate(LEGEND_SYMBOLS)
    assert len(symbols) >= 3
    box = chart.locator("canvas").bounding_box()
    assert box is not None
    selected = "el => el.rrView.data('pick_store').map(t => t.values[0])"
    assert chart.evaluate(selected) == []
    first = (box["x"] + symbols[0][0], box["y"] + symbols[0][1])
    second = (box["x"] + symbols[1][0], box["y"] + symbols[1][1])
    page.mouse.click(*first)
    [one] = chart.evaluate(selected)
    page.mouse.click(*second)
    assert len(chart.evaluate(selected)) == 2  # a second run joins the highlight
    page.mouse.click(*first)
    assert chart.evaluate(selected) != [] and one not in chart.evaluate(selected)  # toggled off
    page.close()


def test_compare_of_many_runs_draws_a_points_budget_keeping_each_runs_extremes(
    browser: Any, tmp_path: Path
) -> None:
    """12 runs of 1,000 points are over the compare page's 10,000-point budget: each run keeps
    its share, its first and last point, and its min and max (float32, as data files hold)."""
    rng = np.random.default_rng(5)
    extremes = {}
    for r in range(12):
        y = np.cumsum(rng.normal(size=1000))
        extremes[f"run{r:02d}"] = (float(np.float32(y.min())), float(np.float32(y.max())))
        records = [
            {"kind": "scalar", "name": "loss", "value": float(v), "step": i}
            for i, v in enumerate(y)
        ]
        write_run(tmp_path / "logs", f"run{r:02d}", records, experiment="big")
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(tmp_path / "logs",), output=site))
    page = _open(browser, site.as_uri() + "/" + _compare_all_href(site, "big").removeprefix("../"))
    chart = page.locator(".chart").first
    chart.scroll_into_view_if_needed()
    page.wait_for_function(
        "el => el.hasAttribute('data-marks')", arg=chart.element_handle(), timeout=30_000
    )
    rows = chart.evaluate("el => el.rrView.data('data').map(d => [d.series, d.x, d.y])")
    assert 9_000 < len(rows) <= 10_000 + 2 * 12  # the budget, and each run's first and last
    by_run: dict[str, list[tuple[float, float]]] = {}
    for series, x, y in rows:
        by_run.setdefault(series, []).append((x, y))
    assert set(by_run) == set(extremes)
    for name, points in by_run.items():
        ys = [y for _, y in points]
        assert min(ys) == pytest.approx(extremes[name][0], rel=1e-6)
        assert max(ys) == pytest.approx(extremes[name][1], rel=1e-6)
        xs = [x for x, _ in points]
        assert xs == sorted(xs) and (xs[0], xs[-1]) == (0, 999)
    note = chart.locator("xpath=ancestor::figure").locator("p.note").inner_text()
    assert note.startswith(f"Plotted {len(rows):,} of 12,000 points")
    page.close()


def test_charts_export_png_svg_and_csv(browser: Any, example_site: Path) -> None:
    run_page = next(
        p for p in (example_site / "runs").glob("*.html") if "<h1>azure-examples" in p.read_text()
    )
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(run_page.as_uri())
    chart = page.locator(".chart").first
    chart.scroll_into_view_if_needed()  # charts are drawn when they come into view
    page.wait_for_function("el => el.hasAttribute('data-marks')", arg=chart.element_handle())
    menu = chart.locator(".vega-actions a")
    labels = menu.evaluate_all("els => els.map(e => e.textContent)")
    assert "Save as SVG" in labels and "Save as PNG" in labels
    link = page.locator("a.csv-plotted", has_text="CSV as plotted").first
    with page.expect_download() as info:
        link.click()
    text = Path(info.value.path()).read_text()
    assert text.startswith("x,y\n") and text.count("\n") >= 3
    # every point, as exact numbers, from the run's full-resolution data file: a metric whose
    # values are stored compressed (inflated by the browser's DecompressionStream)
    links = page.locator("a.csv-full", has_text="CSV, every point")
    slug = links.first.get_attribute("data-run")
    compressed = {
        m
        for m, v in data_value(example_site / "data" / "full" / f"{slug}.js")[1].items()
        if any("z" in c for c in v.get("data", ()))
    }
    assert compressed, "no compressed column in the example run: the test would not test"
    full = next(
        links.nth(i)
        for i in range(links.count())
        if links.nth(i).get_attribute("data-metric") in compressed
    )
    metric = full.get_attribute("data-metric")
    full.scroll_into_view_if_needed()
    with page.expect_download() as info:
        full.click()
    rows = list(csv.reader(io.StringIO(Path(info.value.path()).read_text())))
    expected = data_file(example_site / "data" / "full" / f"{slug}.js")[metric]
    assert rows[0] == expected["columns"]
    got = [[float(cell) for cell in row] for row in rows[1:]]
    assert got == [list(row) for row in zip(*expected["data"], strict=True)]
    # the compare page: all runs of a chart in one CSV
    href = _compare_all_href(example_site, "mnist-sweep")
    page.goto(example_site.as_uri() + "/" + href.removeprefix("../"))
    link = page.locator("a.csv-plotted").first
    link.wait_for()
    with page.expect_download() as info:
        link.click()
    rows = Path(info.value.path()).read_text().splitlines()
    assert rows[0] == "series,x,y" and len({r.split(",")[0] for r in rows[1:]}) >= 6
    # the per-run links to every point come with the chart's data, when it comes into view
    page.locator(".chart").first.scroll_into_view_if_needed()
    page.locator("p.export details.menu summary").first.click()  # one menu of the runs
    per_run = page.locator("p.export a.csv-full").first
    with page.expect_download() as info:
        per_run.click()
    rows = Path(info.value.path()).read_text().splitlines()
    assert len(rows) > 1 and all(len(r.split(",")) == len(rows[0].split(",")) for r in rows)
    context.close()


@pytest.mark.slow
def test_every_export_link_downloads(browser: Any, example_site: Path) -> None:
    """Each "CSV as plotted" and "CSV, every point" link of every run page and of each
    experiment's comparison gives a download of a CSV file with a header and rows."""
    urls = [p.as_uri() for p in sorted((example_site / "runs").glob("*.html"))]
    for exp in sorted({p.parent for p in (example_site / "experiments").glob("*.html")}):
        for page_file in sorted(exp.glob("*.html")):
            for a in parse_file(page_file).iter("a"):
                href = a.attrs.get("href", "")
                if href.startswith("../compare.html#runs="):
                    urls.append(example_site.as_uri() + "/" + href.removeprefix("../"))
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    kinds: dict[str, int] = {}
    for url in urls:
        page = context.new_page()
        charts = page.locator(".chart")
        page.goto(url, wait_until="load")
        for i in range(charts.count()):  # drawn (so the page stops moving), and the compare
            chart = charts.nth(i)  # page's per-run links made, before anything is clicked
            chart.scroll_into_view_if_needed()
            page.wait_for_function(
                "el => el.hasAttribute('data-marks')", arg=chart.element_handle(), timeout=15_000
            )
        # the compare page's menus of per-run links, opened
        page.eval_on_selector_all("details.menu", "ds => ds.forEach(d => { d.open = true; })")
        links = page.locator("a.csv-plotted, a.csv-full")
        for i in range(links.count()):
            link = links.nth(i)
            link.scroll_into_view_if_needed()
            # Chromium drops a frame's downloads past 10 a second (its throttle of download
            # requests: chromedp/chromedp#791); a person never clicks that fast
            page.wait_for_timeout(120)
            what = f"{url}: {link.inner_text()!r} ({link.get_attribute('class')})"
            try:
                with page.expect_download(timeout=15_000) as info:
                    link.click()
            except Exception as exc:
                raise AssertionError(f"no download: {what}") from exc
            text = Path(info.value.path()).read_text()
            assert info.value.suggested_filename.endswith(".csv"), url
            lines = text.splitlines()  # a header, then rows
            assert len(lines) >= 2 and lines[0] and lines[1], (url, text[:200])
            kind = f"{'compare' if 'compare.html' in url else 'run'} {link.get_attribute('class')}"
            kinds[kind] = kinds.get(kind, 0) + 1
        page.close()
    context.close()
    assert set(kinds) == {
        "run csv-plotted",
        "run csv-full",
        "compare csv-plotted",
        "compare csv-full",
    }
    assert sum(kinds.values()) >= 80


DRAWN_TEXTS = """el => {
  const out = [];
  const walk = mark => (mark.items || []).forEach(item => {
    if (mark.marktype === "text" && item.text !== undefined) out.push(String(item.text));
    (item.items || []).forEach(walk);
  });
  walk(el.rrView.scenegraph().root);
  return out;
}"""


def test_charts_draw_their_own_titles_from_their_shapes_template(
    browser: Any, example_site: Path
) -> None:
    """A run page's charts share one spec per shape: each draws its own axis titles (the
    axes of a two-variable line named by its columns), and the compare page's overlays
    theirs, from the site index."""
    run_page = next(
        p for p in (example_site / "runs").glob("*.html") if "<h1>azure-examples" in p.read_text()
    )
    page = _open(browser, run_page.as_uri())
    for metric, x_title, y_title in [
        ("Cosine Wave", "angle", "cos"),
        ("Fibonacci", "index", "Fibonacci"),
    ]:
        chart = page.locator(f'.chart[data-metric="{metric}"]')
        chart.scroll_into_view_if_needed()
        page.wait_for_function("el => el.hasAttribute('data-marks')", arg=chart.element_handle())
        texts = chart.evaluate(DRAWN_TEXTS)
        assert x_title in texts and y_title in texts, texts
    slug = page.locator("body").get_attribute("data-run")
    page.goto((example_site / "compare.html").as_uri() + f"#runs={slug}")
    card = page.locator("figure.chart-card", has=page.locator(".metric-name", has_text="Fibonacci"))
    chart = card.locator(".chart")
    chart.scroll_into_view_if_needed()
    page.wait_for_function("el => el.hasAttribute('data-marks')", arg=chart.element_handle())
    texts = chart.evaluate(DRAWN_TEXTS)
    assert "Fibonacci" in texts and "index" in texts, texts
    page.close()


def test_histograms_draw_bands_and_the_histogram_chosen_with_the_slider(
    browser: Any, tmp_path: Path
) -> None:
    from tensorboardX import SummaryWriter

    rng = np.random.default_rng(3)
    with SummaryWriter(str(tmp_path / "logs" / "run")) as w:
        for step in range(0, 100, 10):
            w.add_histogram("weights", rng.normal(step / 10, 1.0, 300), step)
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(tmp_path / "logs",), output=site))
    [run_page] = list((site / "runs").glob("*.html"))
    page = _open(browser, run_page.as_uri())
    chart = page.locator(".chart").first
    chart.scroll_into_view_if_needed()
    page.wait_for_function("el => el.hasAttribute('data-marks')", arg=chart.element_handle())
    assert int(chart.get_attribute("data-marks") or 0) > 0
    texts = chart.evaluate(DRAWN_TEXTS)
    assert "step 90" in texts  # the last histogram, as TensorBoard opens on it
    slider = page.get_by_role("slider", name="Histogram shown, first to last")
    slider.focus()
    slider.press("Home")  # from the keyboard, to the first histogram
    page.wait_for_function("el => el.rrView.signal('at') === 0", arg=chart.element_handle())
    page.wait_for_function(
        f"el => ({DRAWN_TEXTS})(el).includes('step 0')", arg=chart.element_handle()
    )
    page.close()
