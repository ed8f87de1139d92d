"""Params' permutation importance for a metric (scikit-learn, the ``importance`` extra): the
param the metric depends on ranks first, text params count, the numbers are the same every
build, and too few runs or no varying param give none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import read, write_run
from test_sweep_charts import BROWSER_OK, _experiment_page
from tests_helpers import data_file

from runreport.importance import MIN_RUNS, importance
from runreport.views import RunView, run_view

pytest.importorskip("sklearn")


def _views(root: Path, n: int) -> list[RunView]:
    """``n`` runs: loss = lr * 10 + (0.3 for sgd), noise none; batch varies but does not
    matter; seed constant."""
    for k in range(n):
        lr, opt, batch = (k % 5) / 10, ["adam", "sgd"][k % 2], [16, 32, 64][k % 3]
        write_run(
            root,
            f"r{k}",
            [{"kind": "scalar", "name": "loss", "value": lr * 10 + (0.3 if opt == "sgd" else 0)}],
            name=f"r{k}",
            experiment="exp",
            params={"lr": lr, "optimizer": opt, "batch": batch, "seed": 1},
        )
    runs, _ = read(root)
    return [run_view(r) for r in runs]


def test_the_param_the_metric_depends_on_matters_most(tmp_path: Path) -> None:
    views = _views(tmp_path / "logs", 40)
    params = ["batch", "lr", "optimizer", "seed"]
    found = importance(views, params, "loss")
    assert found is not None
    batch, lr, optimizer, seed = found
    assert seed is None  # does not vary
    assert lr is not None and optimizer is not None and batch is not None
    assert lr > optimizer > batch >= -0.05  # a text param counts too
    assert importance(views, params, "loss") == found  # seeded: the same every build
    assert importance(views, params, "no such metric") is None
    assert importance(views[: MIN_RUNS - 1], params, "loss") is None
    assert importance(views, ["seed"], "loss") is None


@pytest.mark.browser
@pytest.mark.skipif(not BROWSER_OK, reason="RUNREPORT_SKIP_BROWSER=1 and no /usr/bin/chromium")
def test_the_experiment_page_shows_it_beside_the_correlations(browser: Any, tmp_path: Path) -> None:
    _views(tmp_path / "logs", 40)
    page, errors = _experiment_page(browser, tmp_path)
    data = data_file(next((tmp_path / "site" / "data" / "experiments").glob("*.js")))
    found = data["key_charts"]["importance"]
    assert found["method"].startswith("scikit-learn's permutation importance of a random forest")
    by_param = dict(
        zip(["batch", "lr", "optimizer", "seed"], found["by_metric"]["m0"], strict=True)
    )
    page.get_by_text("Params and metrics").click()
    page.locator("#rank-table tbody tr").first.wait_for()
    assert page.get_by_role("columnheader", name="Importance").is_visible()
    rows = page.eval_on_selector_all(
        "#rank-table tbody tr", "trs => trs.map(tr => [...tr.cells].map(c => c.textContent))"
    )
    for name, _, _, shown in rows:
        value = by_param[name]
        if value is None:
            assert shown == "—", name
        else:  # to 3 significant digits
            assert float(shown) == float(f"{value:.3g}"), (name, shown)
    assert "scikit-learn" in page.locator("#rel-importance").inner_text()
    assert errors == []


def test_a_rebuild_fits_only_when_the_sample_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kept in the cache folder by what was fitted; beyond MAX_RUNS the sample is the runs
    whose names hash lowest, so a run added outside it changes nothing."""
    import runreport.importance as imp

    monkeypatch.setenv("RUNREPORT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(imp, "MAX_RUNS", 30)
    views = _views(tmp_path / "logs", 41)
    params = ["batch", "lr", "optimizer", "seed"]
    by_hash = sorted(views, key=lambda v: imp._hashed(v.slug))
    inside, outside = by_hash[0], by_hash[-1]
    base = [v for v in views if v is not outside]
    fitted = importance(base, params, "loss", cache=True)
    assert fitted is not None and fitted == importance(base, params, "loss")
    assert len(list((tmp_path / "cache" / "importance").iterdir())) == 1

    def no_fit(*_: Any) -> Any:
        raise AssertionError("fitted again")

    monkeypatch.setattr(imp, "_fit", no_fit)
    assert importance(base, params, "loss", cache=True) == fitted  # from the cache
    assert importance(views, params, "loss", cache=True) == fitted  # added outside the sample
    with pytest.raises(AssertionError, match="fitted again"):  # a run of the sample gone
        importance([v for v in views if v is not inside], params, "loss", cache=True)
    with pytest.raises(AssertionError, match="fitted again"):  # not asked to use the cache
        importance(base, params, "loss")
