"""Smoothing and zooming a 1,000,000-point series in headless Chromium (issue 19's speed targets:
a change of the smoothing, and a zoom into 1 % of the range, each drawn in at most 300 ms).

The run is written by runreport's own logging API (``runreport.tracking``, one ``run.log`` per
point, as a training loop calls it) and built into a site. On its run page, with Debian's
Chromium, this times, from the slider's ``input`` event until the chart's new Vega view is
drawn (the page draws at the next animation frame):

- ``first``: the first smoothing asked for (loads and inflates the run's full-resolution data);
- ``change``: a change of the weight once loaded (median of 7);
- ``method``: a change to the centred moving average (median of 7);
- ``zoom``: the chart zoomed into 1 % of its range, drawn again from every point of that range
  (median of 7 places; issue 19's other target, 300 ms);
- ``redraw``: the baseline, measured in the same run: the chart drawn again with nothing
  smoothed (the chart size switched), the cost of drawing alone (median of 7).

    python benchmarks/smoothing.py [--points 1000000]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from runreport.build import BuildConfig, build_site
from runreport.tracking import start_run

TIMED = """async el => {
  const old = el.rrView, t0 = performance.now();
  act();
  while (el.rrView === old || !el.rrView) await new Promise(r => requestAnimationFrame(r));
  return performance.now() - t0;
}"""


def write_logs(root: Path, points: int) -> None:
    rng = random.Random(0)
    run = start_run("smoothing-benchmark", logdir=root)
    for i in range(points):
        run.log("loss", math.exp(-i / (points / 4)) + rng.gauss(0, 0.1), step=i)
    run.complete()


def timed(chart: Any, action: str) -> float:
    return float(chart.evaluate(TIMED.replace("act()", action)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    points = parser.parse_args().points
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        write_logs(root / "logs", points)
        logged = time.perf_counter() - start
        start = time.perf_counter()
        build_site(BuildConfig(inputs=(root / "logs",), output=root / "site"))
        built = time.perf_counter() - start
        page_url = next((root / "site" / "runs").glob("*.html")).as_uri()
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(page_url)
            chart = page.locator(".chart[data-metric='loss']")
            chart.scroll_into_view_if_needed()
            page.wait_for_function("el => el.rrView", arg=chart.element_handle())
            slider = "document.getElementById('smoothing')"
            method = "document.getElementById('smoothing-method')"
            size = "document.getElementById('chart-size')"

            def set_weight(w: float) -> str:
                return f"{slider}.value = '{w}'; {slider}.dispatchEvent(new Event('input'))"

            def set_method(m: str) -> str:
                return f"{method}.value = '{m}'; {method}.dispatchEvent(new Event('change'))"

            def set_size(s: str) -> str:
                return f"{size}.value = '{s}'; {size}.dispatchEvent(new Event('change'))"

            first = timed(chart, set_weight(0.6))
            weights = [0.7, 0.8, 0.9, 0.95, 0.99, 0.6, 0.75]
            change = [timed(chart, set_weight(w)) for w in weights]
            methods = [timed(chart, set_method("ma" if k % 2 == 0 else "ema")) for k in range(7)]
            timed(chart, set_weight(0))
            redraw = [timed(chart, set_size("l" if k % 2 == 0 else "m")) for k in range(7)]
            zoom = []
            for k in range(7):  # 1 % of the range, at seven places
                low = (k + 1) * points // 9
                zoom.append(
                    timed(chart, f"el.rrZoom = [{low}, {low + points // 100}]; el.rrDraw()")
                )
                timed(chart, "el.rrZoom = null; el.rrDraw()")
            browser.close()
    rows = {
        "first": first,
        "change": statistics.median(change),
        "method": statistics.median(methods),
        "zoom": statistics.median(zoom),
        "redraw": statistics.median(redraw),
    }
    print(f"{points:,} points: logged in {logged:.1f} s, built in {built:.1f} s")
    print("| one chart of a 1,000,000-point series | ms | x redraw | target |")
    print("|---|---|---|---|")
    for name, ms in rows.items():
        held = "≤ 300 ms: " + ("holds" if ms <= 300 else "no")
        target = held if name in ("change", "zoom") else ""
        print(f"| {name} | {ms:.0f} | {ms / rows['redraw']:.2f} | {target} |")


if __name__ == "__main__":
    main()
