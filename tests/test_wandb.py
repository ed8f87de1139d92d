"""W&B runs read from the ``.wandb`` log that the real ``wandb`` package writes offline
(``WANDB_MODE=offline``, no network): every logged point, the names and facts W&B shows,
the exit, system metrics; a torn or damaged log keeps what came before."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import invoke, read

from runreport.model import Run, Status

LOSS = [1.0, 0.5, float("nan"), 0.25, float("inf"), 0.125]

WRITER = """
import json, sys
import numpy as np
import wandb

spec = json.loads(sys.argv[1])
run = wandb.init(project="proj", name="fancy name", group="sweep-1", job_type="train",
                 tags=["baseline", "v2"], notes="first *try*", dir=spec["dir"],
                 config={"lr": 0.01, "opt": {"name": "adam", "beta": 0.9}})
for i, loss in enumerate(spec["loss"]):
    run.log({"train/loss": loss, "acc": i / 10, "nested": {"b": {"c": i}}})
    if i in (1, 3):
        run.log({"sample": wandb.Image(np.full((4, 4, 3), 40 * i, dtype=np.uint8))}, commit=False)
run.log({"val/loss": 0.3}, step=20)
run.log({"val/loss": 0.2}, step=30)
run.summary["best_acc"] = 0.99
run.finish()
again = wandb.init(project="proj", name="fancy name", dir=spec["dir"])
again.log({"x": 1.0})
again.finish(exit_code=3)
"""


@pytest.fixture(scope="module")
def wandb_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("wandb", reason="the test extra installs wandb (tests/run.sh)")
    root = tmp_path_factory.mktemp("wandb")
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_DIR": str(root)}
    spec = json.dumps({"dir": str(root), "loss": LOSS}).replace("NaN", '"nan"')
    spec = spec.replace("Infinity", '"inf"')
    script = WRITER.replace('enumerate(spec["loss"])', 'enumerate(map(float, spec["loss"]))')
    subprocess.run([sys.executable, "-c", script, spec], env=env, check=True, timeout=300)
    return root / "wandb"


def _runs(path: Path) -> tuple[dict[Status, Run], list[str]]:
    runs, problems = read(path)
    return {r.status: r for r in runs}, [f"{p.severity.value} {p.message}" for p in problems.items]


def _same(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(
        (math.isnan(x) and math.isnan(y)) or x == y for x, y in zip(a, b, strict=True)
    )


def test_offline_run_history_and_facts_as_logged(wandb_logs: Path) -> None:
    runs, problems = _runs(wandb_logs)
    assert problems == []
    run = runs[Status.COMPLETED]
    assert (run.name, run.experiment, run.format) == ("fancy name", "proj", "wandb")
    assert run.properties["group"] == "sweep-1" and run.properties["job type"] == "train"
    assert set(run.tags) == {"baseline", "v2"} and run.description == "first *try*"
    assert run.params == {"lr": 0.01, "opt.name": "adam", "opt.beta": 0.9}
    loss = run.metric("train/loss")
    assert loss is not None and _same(list(loss.columns["value"]), LOSS)  # every point
    assert list(loss.columns["step"]) == list(range(len(LOSS)))
    val = run.metric("val/loss")
    assert val is not None and list(val.columns["step"]) == [20, 30]  # explicit steps kept
    metrics = run.get_metrics()
    assert metrics["nested.b.c"] == list(range(len(LOSS)))  # logged dicts, as W&B names them
    assert metrics["best_acc"] == 0.99  # a summary value never in the history
    assert run.start_time is not None and run.end_time is not None
    assert run.start_time <= run.end_time
    # each point's _timestamp, for charts over relative or wall time
    times = list(loss.columns["time"])
    start, end = run.start_time.timestamp(), run.end_time.timestamp()
    assert len(times) == len(LOSS) and times == sorted(times)
    assert start - 1 <= times[0] and times[-1] <= end + 1
    assert any(m.name.startswith("system/") for m in run.metrics)  # W&B's system metrics
    images = [(i.name, i.description, i.path.read_bytes()[:4]) for i in run.images]
    # commit=False puts the image in the row of the next step, as W&B shows it
    assert images == [("sample", "step 2", b"\x89PNG"), ("sample", "step 4", b"\x89PNG")]
    failed = runs[Status.FAILED]
    assert failed.name == "fancy name" and failed.error == "exit code 3"
    # two runs sharing the display name: told apart by W&B's run id beside it
    assert {run.short_id, failed.short_id} == {r.id.partition("#")[2] for r in (run, failed)}


def test_a_torn_log_is_a_run_still_writing(wandb_logs: Path, tmp_path: Path) -> None:
    done = next(p for p in wandb_logs.glob("offline-run-*") if _runs(p)[0].get(Status.COMPLETED))
    copy = tmp_path / "wandb" / done.name
    copy.mkdir(parents=True)
    log = next(done.glob("*.wandb"))
    data = log.read_bytes()
    (copy / log.name).write_bytes(data[: len(data) * 2 // 3])  # cut mid-record
    runs, problems = _runs(copy)
    run = runs[Status.RUNNING]
    assert any("cut short" in p for p in problems)
    loss = run.metric("train/loss")
    assert loss is not None and 0 < loss.length <= len(LOSS)
    assert _same(list(loss.columns["value"]), LOSS[: loss.length])


def test_a_damaged_record_is_reported_and_the_rest_read(wandb_logs: Path, tmp_path: Path) -> None:
    done = next(p for p in wandb_logs.glob("offline-run-*") if _runs(p)[0].get(Status.COMPLETED))
    copy = tmp_path / "wandb" / done.name
    copy.mkdir(parents=True)
    log = next(done.glob("*.wandb"))
    data = bytearray(log.read_bytes())
    at = data.index(b"fancy name")  # inside the run record
    data[at] ^= 0xFF
    (copy / log.name).write_bytes(bytes(data))
    runs, problems = _runs(copy)
    assert any("damaged records" in p and p.startswith("warning") for p in problems)
    run = next(iter(runs.values()))
    assert run.name != "fancy name"  # that record is gone, the rest of the block with it


def test_a_file_that_is_not_a_log_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "wandb" / "offline-run-20240101_000000-abcd1234"
    folder.mkdir(parents=True)
    (folder / "run-abcd1234.wandb").write_bytes(b"not a log")
    runs, problems = _runs(folder)
    assert [p for p in problems if "not a W&B log" in p and p.startswith("error")]
    assert len(runs) == 1


def test_the_site_charts_the_history(wandb_logs: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    code, out = invoke("build", str(wandb_logs), "-o", str(site), "-j", "1")
    assert code == 0, out
    pages = [p.read_text() for p in (site / "runs").glob("*.html")]
    done = next(p for p in pages if "Completed" in p and "sweep-1" in p)
    assert "fancy name" in done and "train/loss" in done and "job type" in done
    assert 'class="chart' in done


def test_no_mutated_log_escapes_the_reader(wandb_logs: Path, tmp_path: Path) -> None:
    import random

    from test_fuzz_readers import MUTATIONS

    from runreport.errors import Problems
    from runreport.readers.wandb import WandbReader
    from runreport.views import run_view

    rng = random.Random(17)
    source = next(wandb_logs.glob("offline-run-*"))
    log = next(source.glob("*.wandb"))
    original = log.read_bytes()
    for name, mutate in MUTATIONS.items():
        for attempt in range(3):
            work = tmp_path / f"{name}-{attempt}" / source.name
            work.mkdir(parents=True)
            (work / log.name).write_bytes(mutate(original, rng))
            for run in WandbReader().read(work, Problems()):
                run_view(run)


def test_a_run_of_the_legacy_python_backend(tmp_path: Path) -> None:
    """wandb before 0.18 wrote the log from Python (keys in ``key``, dicts as one JSON value):
    a run written by wandb 0.16.6 (tests/data/wandb-0.16.6/SOURCE.md)."""
    data = Path(__file__).parent / "data" / "wandb-0.16.6" / "wandb"
    runs, problems = _runs(data)
    assert problems == []
    run = runs[Status.COMPLETED]
    assert (run.name, run.experiment) == ("old-backend", "legacy")
    assert run.properties["group"] == "g" and run.properties["job type"] == "train"
    assert run.params == {"lr": 0.1, "opt.name": "sgd"} and set(run.tags) == {"t"}
    got = run.get_metrics()
    assert got["loss"] == [1.0, 0.5, 1 / 3, 0.25, 0.2] and got["nested.a"] == [0, 1, 2, 3, 4]
    assert math.isnan(got["nan"]) and got["inf"] == math.inf and got["best"] == 0.5
