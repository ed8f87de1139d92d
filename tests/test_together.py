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
