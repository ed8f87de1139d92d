"""Reading API: ``load`` + ``get_metrics`` give Azure's shapes; ``best_run`` picks the best."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import runreport
from runreport.api import metric_stat


def _sweep(tmp_path: Path, mses: dict[str, list[float]]) -> list[runreport.Run]:
    for name, values in mses.items():
        with runreport.start_run("sweep", tmp_path, name=name) as run:
            for v in values:
                run.log("mse", v)
    return runreport.load(tmp_path)


def test_get_metrics_returns_azure_shapes_for_every_kind(tmp_path: Path) -> None:
    with runreport.start_run("exp", tmp_path) as run:
        run.log("once", 0.91)
        for i in range(3):
            run.log("loop", i * 0.5)
        run.log_list("Fibonacci", [0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89])
        run.log_row("Cosine Wave", angle=0, cos=1.0)
        run.log_row("Cosine Wave", angle=90, cos=0.0)
        run.log_table("Sine Wave", {"angle": [0, 90], "sine": [0.0, 1.0]})
        run.log("text", "hello")
    [loaded] = runreport.load(tmp_path)
    assert loaded.get_metrics() == {
        "once": 0.91,
        "loop": [0.0, 0.5, 1.0],
        "Fibonacci": [0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89],
        "Cosine Wave": {"angle": [0, 90], "cos": [1.0, 0.0]},
        "Sine Wave": {"angle": [0, 90], "sine": [0.0, 1.0]},
        "text": "hello",
    }


def test_a_scalar_logged_once_with_a_list_of_one_stays_distinct(tmp_path: Path) -> None:
    with runreport.start_run("exp", tmp_path) as run:
        run.log_list("one", [3])
    [loaded] = runreport.load(tmp_path)
    assert loaded.get_metrics() == {"one": [3]}


def test_best_run_picks_the_lowest_mse(tmp_path: Path) -> None:
    runs = _sweep(tmp_path, {"a": [0.9, 0.5], "b": [0.8, 0.2], "c": [0.1, 0.7], "d": []})
    best = runreport.best_run(runs, "mse", mode="min")
    assert best is not None and best.name == "b"  # by the last value
    by_min = runreport.best_run(runs, "mse", mode="min", stat="min")
    assert by_min is not None and by_min.name == "c"
    highest = runreport.best_run(runs, "mse", mode="max")
    assert highest is not None and highest.name == "c"


def test_best_run_infers_direction_and_skips_nan(tmp_path: Path) -> None:
    runs = _sweep(tmp_path, {"a": [0.3], "b": [float("nan")], "c": [0.2]})
    best = runreport.best_run(runs, "mse")  # "mse": lower is better
    assert best is not None and best.name == "c"
    assert math.isnan(metric_stat(next(r for r in runs if r.name == "b"), "mse"))
    assert runreport.best_run(runs, "missing") is None
    with pytest.raises(ValueError):
        runreport.best_run(runs, "mse", mode="lowest")


def test_best_run_leaves_out_failed_and_canceled_runs(tmp_path: Path) -> None:
    with runreport.start_run("sweep", tmp_path, name="done") as run:
        run.log("mse", 0.3)
    for name, end in (("crashed", "fail"), ("stopped", "cancel")):
        active = runreport.start_run("sweep", tmp_path, name=name)
        active.log("mse", 0.1)  # lower, but the run did not finish
        getattr(active, end)() if end == "cancel" else active.fail("out of memory")
    runs = runreport.load(tmp_path)
    assert {r.status.value for r in runs} == {"Completed", "Failed", "Canceled"}
    best = runreport.best_run(runs, "mse")
    assert best is not None and best.name == "done"
    counted = runreport.best_run(runs, "mse", include_failed=True)
    assert counted is not None and counted.name in ("crashed", "stopped")
    only_failed = [r for r in runs if r.name != "done"]
    assert runreport.best_run(only_failed, "mse") is None


def test_load_finds_runs_below_any_folder(tmp_path: Path) -> None:
    _sweep(tmp_path / "deep" / "er", {"x": [1.0]})
    assert [r.name for r in runreport.load(tmp_path)] == ["x"]
