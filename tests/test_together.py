"""Metrics measured on different data splits (``loss`` and ``val_loss``, ``train/acc`` and
``val/acc``) drawn together on one chart of a run's page, with a switch to split them: which
metrics pair, and in headless Chromium what the drawn chart holds (Vega's view)."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from conftest import CHROMIUM, write_run
from tests_helpers import drawn

import runreport
from runreport.build import BuildConfig, build_site
from runreport.rules import paired_name
from runreport.views import run_view


@pytest.mark.parametrize(
    ("name", "paired"),
    [
        ("loss", "loss"),
        ("val_loss", "loss"),  # Keras
        ("eval_loss", "loss"),  # Hugging Face's Trainer
        ("train/acc", "acc"),
        ("validation.acc", "acc"),
        ("Test-F1", "F1"),
        ("system/gpu", "system/gpu"),  # not a data split
        ("value", "value"),  # "val" only as a word of its own
        ("val_", "val_"),
    ],
)
def test_paired_names(name: str, paired: str) -> None:
    assert paired_name(name) == paired


def _series(name: str, values: list[float], step: int = 1) -> list[dict[str, Any]]:
    return [
        {"kind": "scalar", "name": name, "value": v, "step": i * step} for i, v in enumerate(values)
    ]


def test_which_metrics_are_drawn_together(tmp_path: Path) -> None:
    records = (
        _series("loss", [1, 0.5, 0.25])
        + _series("val_loss", [1.2, 0.7, 0.4])
        + _series("train/acc", [0.1, 0.5])
        + _series("val/acc", [0.2, 0.4])
        + _series("test/acc", [0.3, 0.3])
        + _series("val_f1", [0.5, 0.6])  # no other f1: alone
        + _series("lr", [0.1, 0.1])
        + [{"kind": "scalar", "name": "eval_runtime", "value": 3.0}]  # one value: no chart
        + [{"kind": "scalar", "name": "runtime", "value": 3.0}]
    )
    write_run(tmp_path, "r", records)
    [run] = runreport.load(tmp_path)
    view = run_view(run)
    groups = {name: [m.name for m in members] for name, members in view.together.items()}
    assert groups == {
        "loss + val_loss": ["loss", "val_loss"],
        "train/acc + val/acc + test/acc": ["train/acc", "val/acc", "test/acc"],
    }
    assert view.together_members == {"loss", "val_loss", "train/acc", "val/acc", "test/acc"}
    assert set(view.together_at) == {"loss", "train/acc"}  # shown where the first one is


BROWSER_OK = CHROMIUM.exists() or os.environ.get("RUNREPORT_SKIP_BROWSER") != "1"

LOSS = [math.exp(-i / 10) for i in range(40)]
VAL = [math.exp(-i / 12) + 0.05 for i in range(40)]

DRAWN = """el => {
  const rows = el.rrView.data("data");
  const out = {};
  rows.forEach(r => { (out[r.series] = out[r.series] || []).push([r.x, r.y]); });
  return out;
}"""


def _drawn(page: Any, selector: str, old: Any = None) -> dict[str, list[list[float]]]:
    got: dict[str, list[list[float]]] = drawn(page, selector, DRAWN, old)
    return got


@pytest.mark.browser
@pytest.mark.skipif(not BROWSER_OK, reason="RUNREPORT_SKIP_BROWSER=1 and no /usr/bin/chromium")
def test_pairs_drawn_together_and_split_on_a_run_page(browser: Any, tmp_path: Path) -> None:
    write_run(
        tmp_path / "logs",
        "keras",
        _series("loss", LOSS) + _series("val_loss", VAL) + _series("lr", [0.001] * 40),
    )
    build_site(BuildConfig(inputs=(tmp_path / "logs",), output=tmp_path / "site"))
    url = next((tmp_path / "site" / "runs").glob("keras-*.html")).as_uri()
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, wait_until="load")
    together = ".chart[data-together='loss + val_loss']"
    drawn = _drawn(page, together)
    assert drawn == {
        "loss": [[i, pytest.approx(v, rel=1e-6)] for i, v in enumerate(LOSS)],
        "val_loss": [[i, pytest.approx(v, rel=1e-6)] for i, v in enumerate(VAL)],
    }
    colours = page.locator(together).evaluate(
        "el => ['loss', 'val_loss'].map(s => el.rrView.scale('color')(s))"
    )
    assert colours[0] != colours[1]  # told apart by colour, not by chance
    shown = page.eval_on_selector_all(
        "figure.chart-card", "cs => cs.filter(c => !c.hidden).map(c => c.dataset.name)"
    )
    assert shown == ["loss + val_loss", "lr"]  # each member's own chart hidden meanwhile

    # smoothing applies to each line, from its own points
    old = page.locator(together).evaluate_handle("el => el.rrView")
    page.get_by_label("Smoothing", exact=True).fill("0.5")
    smoothed = _drawn(page, together, old)
    assert smoothed["loss"][1][1] == pytest.approx((LOSS[0] + 2 * LOSS[1]) / 3, rel=1e-6)

    split = page.get_by_label("Split paired metrics")
    split.check()
    page.wait_for_function("() => location.hash.includes('split=1')")
    shown = page.eval_on_selector_all(
        "figure.chart-card", "cs => cs.filter(c => !c.hidden).map(c => c.dataset.name)"
    )
    assert shown == ["loss", "lr", "val_loss"]  # val_loss in its section, "val"
    assert len(_drawn(page, ".chart[data-metric='val_loss']")["null"]) == 40

    # a link to the pair opens it, drawn together again
    page.goto(url + "#split=1&chart=" + quote("loss + val_loss", safe=""))
    page.reload()
    assert not page.get_by_label("Split paired metrics").is_checked()
    assert page.locator("figure.chart-card[data-name='loss + val_loss']").is_visible()
    assert errors == []
    page.close()


def _sweep(root: Path) -> list[str]:
    """A parent run and two child runs logging loss, val_loss and lr (as Keras does): the
    child runs' ids."""
    write_run(root, "sweep", [])
    children = []
    for k, scale in enumerate((1.0, 2.0)):
        run_id = f"trial{k}"
        write_run(
            root,
            run_id,
            _series("loss", [v * scale for v in LOSS])
            + _series("val_loss", [v * scale for v in VAL])
            + _series("lr", [0.001] * 40),
            parent_id="sweep",
        )
        children.append(run_id)
    return children


TOGETHER_RUNS = """el => {
  const out = {};
  el.rrView.data("data").forEach(r => {
    const key = r.series + " / " + r.m;
    (out[key] = out[key] || []).push(r.y);
  });
  const colour = el.rrView.scale("color"), dash = el.rrView.scale("strokeDash");
  const legend = [];  // the legend's dash symbols as drawn: a visible stroke each
  (function walk(it) {
    if (it.marktype === "symbol" && it.role === "legend-symbol") {
      it.items.filter(s => s.strokeDash)
        .forEach(s => legend.push([JSON.stringify(s.strokeDash), s.stroke]));
    }
    (it.items || []).forEach(walk);
  })(el.rrView.scenegraph().root);
  return { lines: out, colours: ["trial0", "trial1"].map(s => colour(s)),
           dashes: ["loss", "val_loss"].map(m => JSON.stringify(dash(m))), legend: legend };
}"""


@pytest.mark.browser
@pytest.mark.skipif(not BROWSER_OK, reason="RUNREPORT_SKIP_BROWSER=1 and no /usr/bin/chromium")
def test_pairs_drawn_together_on_compare_and_parent_pages(browser: Any, tmp_path: Path) -> None:
    _sweep(tmp_path / "logs")
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(tmp_path / "logs",), output=site))
    slugs = sorted(p.stem for p in (site / "runs").glob("trial*.html"))
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    pages = {
        "compare": (site / "compare.html").as_uri() + "#runs=" + ",".join(slugs),
        "parent": next((site / "runs").glob("sweep-*.html")).as_uri(),
    }
    for where, url in pages.items():
        page.goto(url, wait_until="load")
        together = ".chart[data-together-runs='loss + val_loss']"
        got = drawn(page, together, TOGETHER_RUNS)
        # a line per run and metric, each with every point, in the run's colour and the
        # metric's dash
        assert got["lines"] == {
            f"trial{k} / {m}": [pytest.approx(v * s, rel=1e-6) for v in values]
            for k, s in enumerate((1.0, 2.0))
            for m, values in (("loss", LOSS), ("val_loss", VAL))
        }, where
        assert got["colours"][0] != got["colours"][1] and got["dashes"][0] != got["dashes"][1]
        assert [d for d, _ in got["legend"]] == got["dashes"], where
        assert all(stroke not in (None, "transparent") for _, stroke in got["legend"]), where
        shown = page.eval_on_selector_all(
            "figure.chart-card", "cs => cs.filter(c => !c.hidden).map(c => c.dataset.name)"
        )
        assert shown == ["loss + val_loss", "lr"], where
        page.get_by_label("Split paired metrics").check()
        shown = page.eval_on_selector_all(
            "figure.chart-card", "cs => cs.filter(c => !c.hidden).map(c => c.dataset.name)"
        )
        assert sorted(shown) == ["loss", "lr", "val_loss"], where
        # hover names each run's metric in the run's colour
        page.get_by_label("Split paired metrics").uncheck()
        box = page.locator(together).bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 3)
        labels = page.locator(f"{together} .hover-label").all_text_contents()
        assert sorted(labels) == [
            "trial0 · loss",
            "trial0 · val_loss",
            "trial1 · loss",
            "trial1 · val_loss",
        ], where
    assert errors == []
    page.close()
