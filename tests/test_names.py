"""Names users gave are kept as their tool shows them, and metrics keep the names they were
logged under: runs sharing a name are told apart by a short id beside it, not renamed."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import PRODUCER_WARNINGS, invoke, mlflow_uri, read

from runreport.model import Run, Status
from runreport.readers import _distinct_names

pytestmark = PRODUCER_WARNINGS


def _rerun_baseline(mlflow: Any, uri: str) -> list[str]:
    """A script run three times with ``run_name="baseline"``, and one other run."""
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("reruns")
    ids = []
    for i, name in enumerate(["baseline", "baseline", "baseline", "other"]):
        with mlflow.start_run(run_name=name) as run:
            mlflow.log_metric("loss", 1.0 / (i + 1))
            ids.append(run.info.run_id)
    return ids


@pytest.mark.parametrize("store", ["file", "sqlite"])
def test_mlflow_runs_sharing_a_name_keep_it(mlflow_store: Any, tmp_path: Path, store: str) -> None:
    mlflow = mlflow_store
    uri = mlflow_uri(tmp_path, store)
    ids = _rerun_baseline(mlflow, uri)
    runs, _ = read(tmp_path)
    by_id = {r.id: r for r in runs}
    assert {r.name for r in runs} == {"baseline", "other"}  # as MLflow's UI shows them
    for run_id in ids[:3]:
        r = by_id[run_id]
        assert r.name == "baseline" and r.short_id == run_id[:8]
        assert r.title == f"baseline · {run_id[:8]}"
    assert by_id[ids[3]].short_id == "" and by_id[ids[3]].title == "other"

    site = tmp_path / "site"
    code, out = invoke("build", str(tmp_path), "-o", str(site), "-j", "1")
    assert code == 0, out
    index = (site / "index.html").read_text()
    for run_id in ids[:3]:
        # the name, with the short id beside it, in every list
        assert f'baseline</a> <span class="note short-id">{run_id[:8]}</span>' in index
    assert "mlflow.db" not in re.sub(r"<dd>.*?</dd>", "", index)  # no run named after the store
    data = (site / "data" / "index.js").read_text()  # what the compare page's legends show
    assert all(f"baseline · {run_id[:8]}" in data for run_id in ids[:3]), data[:300]
    run_page = next((site / "runs").glob(f"*{ids[0][:8]}*.html"), None) or next(
        p for p in (site / "runs").glob("*.html") if ids[0] in p.read_text()
    )
    assert f'<h1>baseline <span class="note short-id">{ids[0][:8]}</span>' in run_page.read_text()
    code, out = invoke("best", str(tmp_path), "--metric", "loss", "--min")
    assert code == 0 and "\tother\t" in out
    code, out = invoke("best", str(tmp_path), "--metric", "loss", "--max")
    assert code == 0 and f"\tbaseline · {ids[0][:8]}\t{ids[0]}\t" in out


def test_tensorboard_runs_named_by_folder_take_their_path(tmp_path: Path) -> None:
    from tensorboardX import SummaryWriter

    for group in ("x", "y"):
        with SummaryWriter(str(tmp_path / "logs" / group / "exp" / "seed1")) as w:
            w.add_scalar("loss", 1.0, 0)
    runs, _ = read(tmp_path / "logs")
    assert sorted(r.name for r in runs) == ["x/exp/seed1", "y/exp/seed1"]  # as TensorBoard does
    assert all(r.short_id == "" for r in runs)


def test_short_ids_for_ids_made_from_paths_and_keys(tmp_path: Path) -> None:
    def run(run_id: str, source: str) -> Run:
        return Run(run_id, "job", "e", Status.UNKNOWN, "f", tmp_path / source, source=source)

    runs = [
        run("logs/a/b", "logs/a/b"),  # the id is the path: the path below the LOGDIR is shown
        run("logs/w#3kx9q2ab", "logs/w"),  # a key after the path (W&B's run id): the key
        run("5f2c0e1a9b", "logs/m"),  # a tool's id: its first 8 characters
        run("5f2c0e1aff", "logs/n"),  # ... unless they collide: then the whole id
    ]
    shown = {r.id: r.short_id for r in _distinct_names(runs, tmp_path / "logs")}
    assert shown == {
        "logs/a/b": "a/b",
        "logs/w#3kx9q2ab": "3kx9q2ab",
        "5f2c0e1a9b": "5f2c0e1a9b",
        "5f2c0e1aff": "5f2c0e1aff",
    }
    alone = _distinct_names([run("5f2c0e1a9b", "logs/m")], tmp_path / "logs")
    assert alone[0].short_id == "" and alone[0].title == "job"


@pytest.mark.parametrize("store", ["file", "sqlite"])
def test_dotted_metrics_keep_their_names(mlflow_store: Any, tmp_path: Path, store: str) -> None:
    mlflow = mlflow_store
    mlflow.set_tracking_uri(mlflow_uri(tmp_path, store))
    mlflow.set_experiment("dots")
    with mlflow.start_run(run_name="loop") as loop:
        for i in range(4):  # one log_metric call per metric, no step: MLflow stores step 0
            mlflow.log_metric("train.loss", 1.0 / (i + 1))
            time.sleep(0.002)  # calls a moment apart, as any real training step is
            mlflow.log_metric("train.acc", 0.5 + i / 10)
            time.sleep(0.002)
    with mlflow.start_run(run_name="rows") as rows:
        for angle in (0, 90, 180):  # Azure's migrated log_row: one log_metrics call per row
            mlflow.log_metrics(
                {"Cosine Wave.angle": angle, "Cosine Wave.cos": [1.0, 0.0, -1.0][angle // 90]}
            )
            time.sleep(0.002)
    runs, problems = read(tmp_path)
    by_id = {r.id: r for r in runs}
    assert loop.info.run_id in by_id, (sorted(p.name for p in tmp_path.iterdir()), problems.items)
    got = by_id[loop.info.run_id].get_metrics()
    assert got == {"train.acc": [0.5, 0.6, 0.7, 0.8], "train.loss": [1.0, 0.5, 1 / 3, 0.25]}
    row = by_id[rows.info.run_id].get_metrics()
    assert row["Cosine Wave"] == {"angle": [0.0, 90.0, 180.0], "cos": [1.0, 0.0, -1.0]}
    assert row["Cosine Wave.cos"] == [1.0, 0.0, -1.0]  # still addressable by its own name

    site = tmp_path / "site"
    assert invoke("build", str(tmp_path), "-o", str(site), "-j", "1")[0] == 0
    code, out = invoke("best", str(tmp_path), "--metric", "train.loss", "--min")
    assert code == 0 and "\tloop\t" in out and "train.loss=0.25" in out
    page = next(p for p in (site / "runs").glob("*.html") if "<h1>loop" in p.read_text())
    text = page.read_text()
    assert "train.loss" in text and "train.acc" in text
