"""Smoothing of line charts in headless Chromium, read from the drawn charts (Vega's views):
TensorBoard's debiased EMA and a centred moving average, from every point of a series (its
run's full-resolution data when the chart was downsampled), the raw line drawn faintly behind,
the setting kept in the page's address, on run and compare pages."""

from __future__ import annotations

import json
import math
import os
import random
from pathlib import Path
from typing import Any

import pytest
from conftest import CHROMIUM, write_run

from runreport.build import BuildConfig, build_site

pytestmark = pytest.mark.browser

if not CHROMIUM.exists() and os.environ.get("RUNREPORT_SKIP_BROWSER") == "1":
    pytest.skip("RUNREPORT_SKIP_BROWSER=1 and no /usr/bin/chromium", allow_module_level=True)


def tensorboard_ema(values: list[float], weight: float) -> list[float]:
    """TensorBoard's classicSmoothing (tensorboard/webapp/widgets/line_chart_v2/lib/
    data_transformer.ts), written again from its text: constant series unchanged, non-finite
    values passed through and not counted, the rest debiased by 1 - weight**count."""
    if all(v == values[0] for v in values):
        return list(values)
    last, count, out = 0.0, 0, []
    for v in values:
        if not math.isfinite(v):
            out.append(v)
            continue
        last = last * weight + (1 - weight) * v
        count += 1
        out.append(last / (1 - weight**count))
    return out


def centred_mean(values: list[float], window: int) -> list[float]:
    half, out = window // 2, []
    for i, v in enumerate(values):
        near = [u for u in values[max(0, i - half) : i + half + 1] if math.isfinite(u)]
        out.append(sum(near) / len(near) if math.isfinite(v) else math.nan)
    return out


NOISY = [math.exp(-i / 2000) + random.Random(i).gauss(0, 0.1) for i in range(5000)]
SHORT = [math.nan if i == 40 else i / 100 + random.Random(-i).gauss(0, 0.05) for i in range(100)]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("smoothing")
    for run, n in (("r0", 5000), ("r1", 3000)):
        records = [
            json.dumps({"kind": "scalar", "name": "loss", "value": v, "step": i})
            for i, v in enumerate(NOISY[:n])
        ] + [
            json.dumps({"kind": "scalar", "name": "val/acc", "value": v, "step": 10 * i}).replace(
                "NaN", '"NaN"'
            )
            for i, v in enumerate(SHORT)
        ]
        write_run(root / "logs", run, records)
    build_site(BuildConfig(inputs=(root / "logs",), output=root / "site"))
    return root / "site"


LAYERS = """el => {
  const out = {};
  const walk = node => (node.items || []).forEach(item => {
    if (node.marktype === "line" && item.datum) {
      const key = (node.name || "").startsWith("main") ? "main" : "raw";
      const d = item.datum;
      (out[key] = out[key] || []).push([d.series, d.x, d.y, item.opacity]);
    }
    walk(item);
  });
  walk(el.rrView.scenegraph().root);
  return out;
}"""


def _drawn(page: Any, name: str, old: Any = None) -> dict[str, list[Any]]:
    chart = page.locator(f"figure.chart-card[data-name='{name}'] .chart")
    chart.scroll_into_view_if_needed()
    page.wait_for_function(
        "([el, old]) => el.rrView && el.rrView !== old", arg=[chart.element_handle(), old]
    )
    return chart.evaluate(LAYERS)


def _view(page: Any, name: str) -> Any:
    return page.locator(f"figure.chart-card[data-name='{name}'] .chart").evaluate_handle(
        "el => el.rrView"
    )


def _open(browser: Any, url: str) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.goto(url, wait_until="load")
    return page


def _close(expected: list[float], drawn: list[list[Any]], x_of: Any) -> None:
    assert drawn
    for _, x, y, _ in drawn:
        want = expected[x_of(x)]
        if math.isfinite(want):
            assert y == pytest.approx(want, rel=1e-12, abs=1e-12), x
        else:
            assert y is None, x


def test_smoothing_matches_tensorboard_from_every_point(browser: Any, site: Path) -> None:
    page = _open(browser, next((site / "runs").glob("r0-*.html")).as_uri())
    plain = _drawn(page, "val/acc")
    assert "raw" not in plain  # nothing behind an unsmoothed line
    old = _view(page, "val/acc")
    slider = page.get_by_label("Smoothing", exact=True)
    slider.fill("0.6")
    page.wait_for_function("() => location.hash.includes('smooth=0.6')")
    short = _drawn(page, "val/acc", old)
    _close(tensorboard_ema(SHORT, 0.6), short["main"], lambda x: x // 10)
    assert [p[2] for p in short["raw"]] == [p[2] for p in plain["main"]]  # the raw line behind
    assert {p[3] for p in short["raw"]} == {0.3}

    # 5,000 points, 2,002 plotted: smoothed from the full-resolution data, then cut to the
    # chart's budget keeping each bucket's extremes
    loss = _drawn(page, "loss")
    expected = tensorboard_ema(NOISY, 0.6)
    _close(expected, loss["main"], int)
    assert len(loss["main"]) <= 2002 < 5000
    ys = [p[2] for p in loss["main"]]
    assert max(ys) == max(expected) and min(ys) == min(expected)

    old = _view(page, "val/acc")
    page.get_by_label("Smoothing method").select_option("centred moving average")
    page.wait_for_function("() => location.hash.includes('method=ma')")
    _close(centred_mean(SHORT, 5), _drawn(page, "val/acc", old)["main"], lambda x: x // 10)

    page.reload()  # the setting is kept in the address
    assert page.get_by_label("Smoothing", exact=True).input_value() == "0.6"
    assert page.locator("#smoothing-value").text_content() == "0.6"
    _close(centred_mean(SHORT, 5), _drawn(page, "val/acc")["main"], lambda x: x // 10)
    assert page.errors == []
    page.close()


def test_compare_page_smooths_each_run(browser: Any, site: Path) -> None:
    slugs = ",".join(sorted(p.stem for p in (site / "runs").glob("r*.html")))
    page = _open(browser, (site / "compare.html").as_uri() + f"#runs={slugs}&smooth=0.9")
    drawn = _drawn(page, "loss")
    for run, n in (("r0", 5000), ("r1", 3000)):
        mine = [p for p in drawn["main"] if p[0] == run]
        _close(tensorboard_ema(NOISY[:n], 0.9), mine, int)
        assert {p[0] for p in drawn["raw"]} == {"r0", "r1"}
    assert page.errors == []
    page.close()
