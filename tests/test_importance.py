"""Params' permutation importance for a metric (scikit-learn, the ``importance`` extra): the
param the metric depends on ranks first, text params count, the numbers are the same every
build, and too few runs or no varying param give none."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest
from conftest import read, write_run
from test_sweep_charts import BROWSER_OK, _experiment_page
from tests_helpers import data_file

from runreport.contexts import PageSettings, site_context
from runreport.importance import MIN_RUNS, fit, importance, plan
from runreport.pages import experiment_data, fit_importance
from runreport.pool import aside
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

    monkeypatch.setattr(imp, "fit", no_fit)
    assert importance(base, params, "loss", cache=True) == fitted  # from the cache
    assert importance(views, params, "loss", cache=True) == fitted  # added outside the sample
    with pytest.raises(AssertionError, match="fitted again"):  # a run of the sample gone
        importance([v for v in views if v is not inside], params, "loss", cache=True)
    with pytest.raises(AssertionError, match="fitted again"):  # not asked to use the cache
        importance(base, params, "loss")


class _Recorded(Executor):
    """Runs what it is given at once (in this process), counting it; or fails it."""

    def __init__(self, fail: bool = False) -> None:
        self.submitted = 0
        self.fail = fail

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        future: Future[Any] = Future()
        if self.fail:
            future.set_exception(BrokenProcessPool("the process died"))
        else:
            future.set_result(fn(*args, **kwargs))
        return future


def test_a_build_fits_aside_and_falls_back_to_fitting_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """write_pages hands each fit the cache folder lacks to another process (``aside``); the
    results are the same as fitted here, what the cache kept is not fitted again, and a fit that
    failed there is made here."""
    monkeypatch.setenv("RUNREPORT_CACHE_DIR", str(tmp_path / "cache"))
    ctx = site_context(_views(tmp_path / "logs", 40), (), PageSettings())
    (exp,) = ctx.experiments

    def shown(fits: Any) -> Any:
        made = tmp_path / "experiment.js"
        made.write_bytes(experiment_data(exp, ctx, True, fits)[f"data/experiments/{exp.slug}.js"])
        return data_file(made)["key_charts"]["importance"]

    here = shown(None)  # fitted in this process, then kept
    assert here is not None and here["by_metric"]["m0"][1] > 0.5  # lr
    recorded = _Recorded()
    assert shown(fit_importance(exp, ctx, True, recorded)) == here
    assert recorded.submitted == 0  # the cache folder holds it
    recorded = _Recorded()
    assert shown(fit_importance(exp, ctx, False, recorded)) == here
    assert recorded.submitted == 1
    failing = _Recorded(fail=True)
    assert shown(fit_importance(exp, ctx, False, failing)) == here
    assert failing.submitted == 1


def test_a_process_aside_fits_as_this_one_does(tmp_path: Path) -> None:
    """The real process (forked from the workers' server) gives the same numbers."""
    views = _views(tmp_path / "logs", 40)
    params = ["batch", "lr", "optimizer", "seed"]
    found = plan(views, params, "loss")
    assert found is not None
    with aside(2) as pool:
        assert pool is not None
        there = pool.submit(fit, found.x, found.y).result(timeout=120)
    assert found.finish(there) == importance(views, params, "loss")
    with aside(1) as pool:
        assert pool is None  # one process asked for: everything is done here


def test_the_process_aside_is_kept_between_builds_and_made_again_if_it_dies() -> None:
    """``runreport serve`` imports scikit-learn there once; a process killed meanwhile (out of
    memory, say) is replaced by the next build that needs it."""
    with aside(2) as first:
        assert first is not None
        pid = first.submit(os.getpid).result(timeout=120)
    with aside(2) as second:
        assert second is not None
        assert second.submit(os.getpid).result(timeout=120) == pid
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while True:
        with aside(2) as third:
            assert third is not None
            try:
                new = third.submit(os.getpid).result(timeout=120)
                break
            except BrokenProcessPool:  # (this build fits here; the next gets a new process)
                assert time.monotonic() < deadline
                time.sleep(0.1)
    assert new != pid
