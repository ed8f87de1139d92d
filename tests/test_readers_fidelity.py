"""Files written by the real producing libraries, read back by runreport and compared with what
those libraries read back themselves: no point lost, duplicated steps kept, order preserved."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import PRODUCER_WARNINGS, read

import runreport
from runreport.errors import Problems
from runreport.model import Kind, Run, Status
from runreport.readers import discover
from runreport.readers.mlflow import MlflowReader

pytestmark = PRODUCER_WARNINGS

DOUBLE_MAX = 1.7976931348623157e308
LOSS = [1.0, 0.5, float("nan"), 0.25, float("inf"), 0.125, float("-inf")]
STEPS = [0, 1, 2, 2, 3, 4, 5]  # step 2 twice


def _same(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(
        (math.isnan(x) and math.isnan(y)) or x == y for x, y in zip(a, b, strict=True)
    )


def _values(run: Run, name: str) -> tuple[list[Any], list[Any]]:
    m = run.metric(name)
    assert m is not None, f"{run.name} has no metric {name!r}"
    return list(m.columns.get("step", [])), list(m.columns["value"])


# ---------------------------------------------------------------------------------- MLflow
def _log_mlflow_runs(mlflow: Any) -> dict[str, str]:
    mlflow.set_experiment("démo-exp")
    ids = {}
    with mlflow.start_run(run_name="parent-ü") as parent:
        mlflow.set_tag("mlflow.note.content", "# Notes\nmulti-line")
        mlflow.set_tag("team", "vision")
        mlflow.log_params({"lr": 0.1, "opt": "adam"})
        for step, value in zip(STEPS, LOSS, strict=True):
            mlflow.log_metric("train/loss", value, step=step)
        mlflow.log_metric("accuracy", 0.9)
        mlflow.log_metrics({"Cosine Wave.angle": 0, "Cosine Wave.cos": 1.0})
        mlflow.log_metrics({"Cosine Wave.angle": 90, "Cosine Wave.cos": 0.0})
        mlflow.log_table({"label": ["cat", "dog"], "p": [0.9, 0.8]}, artifact_file="preds.json")
        mlflow.log_dict(
            {
                "schema_type": "confusion_matrix",
                "schema_version": "1.0.0",
                "data": {"class_labels": ["a", "b"], "matrix": [[3, 1], [0, 4]]},
            },
            "cm.json",
        )
        with mlflow.start_run(run_name="child", nested=True) as child:
            mlflow.log_metric("val.acc", 0.5, step=0)
            mlflow.log_metric("val.acc", 0.7, step=1)
            mlflow.log_metric("val.loss", 0.4, step=0)
            mlflow.log_metric("val.loss", 0.3, step=1)
        ids["parent"], ids["child"] = parent.info.run_id, child.info.run_id
    with mlflow.start_run(run_name="doomed") as doomed:
        mlflow.log_metric("x", 1.0)
    mlflow.tracking.MlflowClient().delete_run(doomed.info.run_id)
    ids["doomed"] = doomed.info.run_id
    return ids


def _check_against_client(mlflow: Any, runs: list[Run], ids: dict[str, str]) -> None:
    client = mlflow.tracking.MlflowClient()
    by_id = {r.id: r for r in runs}
    parent, child = by_id[ids["parent"]], by_id[ids["child"]]
    assert parent.name == "parent-ü" and parent.experiment == "démo-exp"
    assert parent.status is Status.COMPLETED
    assert child.parent_id == parent.id
    assert parent.description == "# Notes\nmulti-line"
    assert parent.tags == {"team": "vision"}
    assert parent.params == {"lr": "0.1", "opt": "adam"}
    history = client.get_metric_history(ids["parent"], "train/loss")
    steps, values = _values(parent, "train/loss")
    assert steps == [h.step for h in history] == STEPS
    theirs = [h.value for h in history]
    # MLflow's SQL store clamps infinities to the largest double; runreport shows them as inf
    ours = [
        v if math.isnan(v) or abs(v) != math.inf else math.copysign(DOUBLE_MAX, v) for v in values
    ]
    assert _same(ours, [v if not (math.isinf(v)) else math.copysign(DOUBLE_MAX, v) for v in theirs])
    assert _same(values, LOSS)
    loss = parent.metric("train/loss")  # each point's time: MLflow's timestamp, in seconds
    assert loss is not None and list(loss.columns["time"]) == [h.timestamp / 1000 for h in history]
    assert parent.get_metrics()["accuracy"] == 0.9
    # log_row migrated as dotted keys at one step: one two-variable table again
    assert parent.get_metrics()["Cosine Wave"] == {"angle": [0.0, 90.0], "cos": [1.0, 0.0]}
    # a real series with dots is left alone
    assert child.get_metrics()["val.acc"] == [0.5, 0.7]
    assert by_id[ids["doomed"]].deleted


def test_mlflow_file_store_matches_the_client(mlflow_store: Any, tmp_path: Path) -> None:
    mlflow_store.set_tracking_uri(f"file://{tmp_path / 'mlruns'}")
    ids = _log_mlflow_runs(mlflow_store)
    runs, problems = read(tmp_path / "mlruns", include_deleted=True)
    assert [p for p in problems.items if p.severity.value != "info"] == []
    _check_against_client(mlflow_store, runs, ids)
    parent = next(r for r in runs if r.id == ids["parent"])
    kinds = {m.name: m.kind for m in parent.metrics}
    assert kinds["preds"] is Kind.TABLE and kinds["cm"] is Kind.MATRIX
    assert parent.get_metrics()["preds"] == {"label": ["cat", "dog"], "p": [0.9, 0.8]}
    assert {"preds.json", "cm.json"} <= {o.path.name for o in parent.outputs}
    visible = runreport.load(tmp_path / "mlruns")
    assert ids["doomed"] not in {r.id for r in visible}  # deleted runs hidden by default
    # the store is read run by run (parallel, cached one by one): the same runs as a whole read
    units = discover([tmp_path / "mlruns"], Problems())
    assert len(units) == len(runs) and all(u.depends for u in units)
    whole = {r.id: r for r in MlflowReader().read(tmp_path / "mlruns", Problems())}
    assert set(whole) == {r.id for r in runs}
    for r in runs:
        w = whole[r.id]
        assert (r.name, r.experiment, r.status, r.params, r.tags, r.parent_id) == (
            w.name,
            w.experiment,
            w.status,
            w.params,
            w.tags,
            w.parent_id,
        )
        assert str(r.get_metrics()) == str(w.get_metrics())


def test_mlflow_sqlite_store_matches_the_client(mlflow_store: Any, tmp_path: Path) -> None:
    mlflow_store.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    ids = _log_mlflow_runs(mlflow_store)
    runs, problems = read(tmp_path, include_deleted=True)
    assert {r.format for r in runs} == {"mlflow-sqlite"} and problems.items == []
    _check_against_client(mlflow_store, runs, ids)


def test_mlflow_metric_file_quirks(tmp_path: Path) -> None:
    run = tmp_path / "mlruns" / "1" / "abc"
    (run / "metrics" / "train").mkdir(parents=True)
    (tmp_path / "mlruns" / "1" / "meta.yaml").write_text(
        "experiment_id: 1\nname: old\nlifecycle_stage: active\n"
    )
    (run / "meta.yaml").write_text("run_uuid: abc\nstatus: 4\nstart_time: 1600000000000\n")
    (run / "metrics" / "train" / "loss").write_text(
        "1600000000000 1.0\n1600000000001 nan 1\n1600000000002 -inf 2 toy abc123\nbad line\n"
        "1600000000003 0.3"
    )  # cut off: no newline
    [r], problems = read(tmp_path / "mlruns", include_deleted=True)
    assert r.status is Status.FAILED and r.name == "abc"
    steps, values = _values(r, "train/loss")
    assert steps == [0, 1, 2] and values[0] == 1.0 and math.isnan(values[1])
    assert values[2] == -math.inf
    lines = sorted((p.line, p.severity.value) for p in problems.items)
    assert lines == [(4, "warning"), (5, "info")]


# ------------------------------------------------------------------------------ TensorBoard
def test_tensorboardx_files_match_the_tensorboard_loader(tmp_path: Path) -> None:
    import tensorboardX as tbx
    from tensorboard.backend.event_processing import event_accumulator as accumulator

    logdir = tmp_path / "tb" / "run1"
    writer = tbx.SummaryWriter(str(logdir))
    for step, value in zip(STEPS, LOSS, strict=True):
        writer.add_scalar("train/loss", value, step, walltime=1795826884.25 + step * 1.5)
    writer.add_text("notes", "hello <b>world</b>", 0)
    writer.add_image("sample", np.zeros((3, 8, 8), dtype=np.uint8), 3)
    writer.add_hparams({"lr": 0.1, "opt": "adam"}, {"hparam/acc": 0.5})
    writer.close()
    ea = accumulator.EventAccumulator(str(logdir), size_guidance={accumulator.SCALARS: 0})
    ea.Reload()
    theirs = ea.Scalars("train/loss")
    runs, problems = read(tmp_path / "tb", include_deleted=True)
    assert problems.items == []
    run = next(r for r in runs if r.path == logdir)
    steps, values = _values(run, "train/loss")
    assert steps == [e.step for e in theirs] == STEPS
    assert _same(values, [e.value for e in theirs])
    loss = run.metric("train/loss")  # each event's wall_time
    assert loss is not None and list(loss.columns["time"]) == [e.wall_time for e in theirs]
    assert _values(run, "notes")[1] == ["hello <b>world</b>"]
    assert [i.name for i in run.images] == ["sample"]
    assert run.images[0].data is not None and run.images[0].data.startswith(b"\x89PNG")
    # add_hparams writes a folder below the run: joined to it, as the HParams dashboard shows
    assert len(runs) == 1 and run.params == {"lr": 0.1, "opt": "adam"}
    assert run.get_metrics()["hparam/acc"] == 0.5


def test_tensor_scalars_as_tf2_writes_them(tmp_path: Path) -> None:
    """TF2 writes scalars as 4 raw bytes in tensor_content; tensorboard's own writer as
    float_val; PyTorch's double_precision as double_val."""
    from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2
    from tensorboardX.record_writer import RecordWriter

    logdir = tmp_path / "tf2"
    logdir.mkdir()
    path = logdir / "events.out.tfevents.1.host.1.v2"
    writer = RecordWriter(str(path))
    writer.write(event_pb2.Event(wall_time=1.0, file_version="brain.Event:2").SerializeToString())
    meta = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars")
    )
    tensors = [
        tensor_pb2.TensorProto(
            dtype=1,
            tensor_shape=tensor_shape_pb2.TensorShapeProto(),
            tensor_content=struct.pack("<f", 0.5),
        ),
        tensor_pb2.TensorProto(dtype=1, float_val=[0.25]),
        tensor_pb2.TensorProto(dtype=2, double_val=[0.125]),
    ]
    for step, tensor in enumerate(tensors):
        value = summary_pb2.Summary.Value(tag="epoch_loss", metadata=meta, tensor=tensor)
        event = event_pb2.Event(
            wall_time=2.0 + step, step=step, summary=summary_pb2.Summary(value=[value])
        )
        writer.write(event.SerializeToString())
    writer.flush()
    writer.close()
    # a torn last record: a run still being written
    with path.open("ab") as fh:
        fh.write(b"\x10\x00\x00\x00\x00\x00")
    [run], problems = read(logdir, include_deleted=True)
    assert _values(run, "epoch_loss") == ([0, 1, 2], [0.5, 0.25, 0.125])
    assert [p.severity.value for p in problems.items] == ["info"]


def test_corrupt_event_record_keeps_what_came_before(tmp_path: Path) -> None:
    import tensorboardX as tbx

    logdir = tmp_path / "run"
    writer = tbx.SummaryWriter(str(logdir))
    for step in range(5):
        writer.add_scalar("x", float(step), step)
    writer.close()
    [file] = logdir.iterdir()
    data = bytearray(file.read_bytes())
    data[-3] ^= 0xFF  # flip a bit in the last record's data CRC
    file.write_bytes(bytes(data))
    [run], problems = read(logdir, include_deleted=True)
    assert _values(run, "x") == ([0, 1, 2, 3], [0.0, 1.0, 2.0, 3.0])
    assert "CRC mismatch" in problems.items[0].message


# ---------------------------------------------------------------------------------- DVCLive
def test_dvclive_folder_matches_its_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dvclive

    monkeypatch.chdir(tmp_path)
    with dvclive.Live(dir="dvclive", save_dvc_exp=False, dvcyaml=None) as live:
        live.log_params({"lr": 0.01, "model": {"layers": 3}})
        for value in [1.0, float("nan"), 0.5]:
            live.log_metric("train/loss", value)
            live.log_metric("acc", 0.5 if math.isnan(value) else 1 - value)
            live.next_step()
        live.log_metric("summary_only", 0.99, plot=False)
        live.log_sklearn_plot("confusion_matrix", [0, 1, 1, 0, 1], [0, 1, 0, 0, 1], name="cm.json")
        live.log_image("sample.png", np.zeros((4, 4, 3), dtype=np.uint8))
    [run], problems = read(tmp_path / "dvclive", include_deleted=True)
    assert run.format == "dvclive" and problems.items == []
    with (tmp_path / "dvclive" / "plots" / "metrics" / "train" / "loss.tsv").open() as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    steps, values = _values(run, "train/loss")
    assert steps == [int(r["step"]) for r in rows] == [0, 1, 2]
    assert _same(values, [float(r["loss"]) for r in rows])
    assert run.get_metrics()["summary_only"] == 0.99
    assert run.params == {"lr": 0.01, "model.layers": 3}
    cm = run.metric("cm")
    assert cm is not None and cm.kind is Kind.MATRIX
    cells = dict(
        zip(
            zip(cm.columns["actual"], cm.columns["predicted"], strict=True),
            cm.columns["count"],
            strict=True,
        )
    )
    assert cells == {("0", "0"): 2, ("0", "1"): 0, ("1", "0"): 1, ("1", "1"): 2}
    assert [i.name for i in run.images] == ["sample.png"]
    assert run.start_time is None  # DVCLive wrote no time: the run page says when files changed


def test_dvclive_first_and_last_record_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    import dvclive

    monkeypatch.chdir(tmp_path)
    before = time.time()
    with dvclive.Live(dir="dvclive", save_dvc_exp=False, dvcyaml=None) as live:
        for value in [1.0, 0.5]:
            live.log_metric("loss", value, timestamp=True)
            live.next_step()
            time.sleep(0.01)
    after = time.time()
    [run], _ = read(tmp_path / "dvclive")
    assert run.start_time is not None and run.end_time is not None
    assert before - 0.001 <= run.start_time.timestamp() < run.end_time.timestamp() <= after
    with (tmp_path / "dvclive" / "plots" / "metrics" / "loss.tsv").open() as fh:
        stamps = [int(r["timestamp"]) / 1000 for r in csv.DictReader(fh, delimiter="\t")]
    loss = run.metric("loss")  # each row's time, in seconds
    assert loss is not None and list(loss.columns["time"]) == stamps and len(stamps) == 2


@pytest.mark.parametrize("careful", [False, True])
def test_runreport_logs_keep_each_points_time(tmp_path: Path, careful: bool) -> None:
    import time

    before = time.time()
    with runreport.start_run("exp", logdir=tmp_path, name="r") as run:
        for step in range(3):
            run.log("loss", 1 / (step + 1), step=step)
            time.sleep(0.01)
        if careful:  # a text value: the file is read line by line
            run.log("phase", "done")
    after = time.time()
    [read_back] = runreport.load(tmp_path)
    loss = read_back.metric("loss")
    assert loss is not None
    times = list(loss.columns["time"])
    # written to the millisecond (ISO 8601)
    assert len(times) == 3 and before - 0.001 <= times[0] < times[1] < times[2] <= after + 0.001


# ------------------------------------------------------- Lightning, Keras, HF: their layouts
def _lightning_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    """What Lightning's CSVLogger writes: every key seen so far, sorted, as the header
    (the file is rewritten when a key appears), empty cells for missing keys."""
    keys = sorted({k for r in rows for k in r})
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)


def test_lightning_layout(tmp_path: Path) -> None:
    version = tmp_path / "lightning_logs" / "version_0"
    version.mkdir(parents=True)
    rows = [
        {"train_loss_step": 0.68, "epoch": 0, "step": 49},
        {"train_loss_step": float("nan"), "epoch": 0, "step": 99},
        {"val_acc": 0.71, "val_loss": 0.55, "epoch": 0, "step": 99},
        {"train_loss_epoch": 0.60, "epoch": 0, "step": 99},
        {"lr-Adam": 0.001, "step": 0},
    ]
    _lightning_csv(version / "metrics.csv", rows)
    (version / "hparams.yaml").write_text("lr: 0.001\nbetas: !!python/tuple\n- 0.9\n- 0.999\n")
    [run], problems = read(tmp_path, include_deleted=True)
    assert run.format == "lightning-csv" and run.name == "version_0"
    steps, values = _values(run, "train_loss_step")
    assert steps == [49, 99] and values[0] == 0.68 and math.isnan(values[1])
    assert _values(run, "val_loss") == ([99], [0.55])
    assert _values(run, "lr-Adam") == ([0], [0.001])
    assert _values(run, "epoch") == ([49, 99, 99, 99], [0, 0, 0, 0])  # as its TB logger has it
    assert run.params == {"lr": 0.001, "betas": "[0.9, 0.999]"}
    assert [p.severity.value for p in problems.items] == ["info"]


def test_lightning_version_with_only_its_hparams_is_a_run(tmp_path: Path) -> None:
    """A job that died before the CSVLogger's first flush leaves ``hparams.yaml`` alone (as
    Lightning's ``save_hparams_to_yaml`` writes it): a run with its params and no metrics."""
    version = tmp_path / "lightning_logs" / "version_3"
    version.mkdir(parents=True)
    (version / "hparams.yaml").write_text("batch_size: 32\nlr: 0.01\nmodel: resnet18\n")
    [run], problems = read(tmp_path)
    assert run.format == "lightning-csv" and run.name == "version_3"
    assert run.params == {"batch_size": 32, "lr": 0.01, "model": "resnet18"}
    assert run.metrics == ()
    assert [(p.severity.value, Path(p.path).name) for p in problems.items] == [
        ("info", "version_3")
    ]


def _keras_csv(path: Path, epochs: list[dict[str, Any]], append: bool = False) -> None:
    """What Keras' CSVLogger writes: epoch first, then sorted keys; NA for missing values;
    a second fit with append=True adds rows without a header."""
    keys = sorted({k for e in epochs for k in e})
    with path.open("a" if append else "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["epoch", *keys], lineterminator="\r\r\n")
        if not append:
            w.writeheader()
        for i, e in enumerate(epochs):
            w.writerow({"epoch": i, **{k: e.get(k, "NA") for k in keys}})


def test_keras_layout_with_a_resumed_fit(tmp_path: Path) -> None:
    log = tmp_path / "history.csv"
    _keras_csv(log, [{"loss": 0.9, "val_loss": 1.0}, {"loss": 0.5}])
    _keras_csv(log, [{"loss": 0.4, "val_loss": 0.6}], append=True)
    [run], problems = read(tmp_path, include_deleted=True)
    assert run.format == "keras-csv" and run.name == "history"
    assert _values(run, "loss") == ([0, 1, 0], [0.9, 0.5, 0.4])  # epochs restart: both kept
    assert _values(run, "val_loss") == ([0, 0], [1.0, 0.6])  # NA is missing, not a value
    assert problems.items[0].line is not None and "restart" in problems.items[0].message


def test_huggingface_layout(tmp_path: Path) -> None:
    """trainer_state.json as Trainer writes it: asdict, indent=2, sort_keys, NaN allowed."""
    out = tmp_path / "out"
    history: list[dict[str, Any]] = [
        {"epoch": 0.0, "eval_g0_accuracy": 0.5, "step": 0},
        {"epoch": 0.5, "grad_norm": 1.9, "learning_rate": 4.5e-05, "loss": 0.69, "step": 10},
        {"epoch": 1.0, "eval_loss": 0.41, "eval_accuracy": 0.85, "step": 20},
        {"epoch": 1.0, "loss": float("nan"), "step": 20},
        {"predict_loss": 0.3},
        {"epoch": 1.0, "step": 20, "train_loss": 0.55, "train_runtime": 12.3},
    ]

    @dataclasses.dataclass
    class State:
        log_history: list[dict[str, Any]]
        global_step: int = 20
        max_steps: int = 20
        best_metric: float | None = 0.41
        best_model_checkpoint: str | None = "/elsewhere/checkpoint-20"

    for ckpt, hist in (("checkpoint-10", history[:2]), ("checkpoint-20", history)):
        (out / ckpt).mkdir(parents=True)
        (out / ckpt / "trainer_state.json").write_text(
            json.dumps(
                dataclasses.asdict(State(hist, global_step=int(ckpt[11:]))),
                indent=2,
                sort_keys=True,
            )
        )
    (out / "all_results.json").write_text(
        json.dumps({"eval_loss": 0.40, "epoch": 1.0, "eval_samples": 872}, indent=4)
    )
    [run], problems = read(out, include_deleted=True)
    assert problems.items == []
    assert run.format == "huggingface" and run.status is Status.COMPLETED
    assert run.properties["state file"] == "checkpoint-20/trainer_state.json"
    steps, values = _values(run, "loss")
    assert steps == [10, 20] and values[0] == 0.69 and math.isnan(values[1])
    assert _values(run, "eval_g0_accuracy") == ([0], [0.5])
    assert _values(run, "predict_loss") == ([20], [0.3])  # no step: the global step
    metrics = run.get_metrics()
    assert metrics["train_runtime"] == 12.3 and metrics["eval_samples"] == 872
    assert metrics["eval_loss"] == 0.41  # the series, not all_results' final value
    # the epoch is a series over the step, every entry's (as the Trainer's TensorBoard callback)
    assert _values(run, "epoch") == ([0, 10, 20, 20, 20], [0.0, 0.5, 1.0, 1.0, 1.0])


# ---------------------------------------------------------------------------------- Azure ML
def test_azure_get_metrics_dumps(tmp_path: Path) -> None:
    single = {
        "accuracy": 0.91,
        "Sigmoid": [0.1, 0.5, 0.9],
        "Cosine Wave": {"angle": [0, 90], "cos": [1.0, 0.0]},
        "cm": {
            "schema_type": "confusion_matrix",
            "schema_version": "1.0.0",
            "data": {"class_labels": ["a", "b"], "matrix": [[1, 2], [3, 4]]},
        },
    }
    (tmp_path / "single").mkdir()
    (tmp_path / "single" / "run_metrics.json").write_text(json.dumps(single))
    recursive = {
        "HD_1": {"best_child_mse": 0.2},  # get_metrics(recursive=True) of a HyperDrive run
        "HD_1_0": {"mse": 0.3, "loss": [1.0, 0.5]},
        "HD_1_1": {"mse": 0.2},
    }
    (tmp_path / "sweep").mkdir()
    (tmp_path / "sweep" / "hd_metrics.json").write_text(json.dumps(recursive))
    runs, problems = read(tmp_path, include_deleted=True)
    assert problems.items == []
    by_name = {r.name: r for r in runs}
    got = by_name["run_metrics"].get_metrics()
    assert {k: got[k] for k in ("accuracy", "Sigmoid", "Cosine Wave")} == {
        k: single[k] for k in ("accuracy", "Sigmoid", "Cosine Wave")
    }
    assert by_name["run_metrics"].metric("cm").kind is Kind.MATRIX  # type: ignore[union-attr]
    parent = by_name["HD_1"]  # the run whose id the others extend: no run named after the file
    assert "hd_metrics" not in by_name and parent.parent_id is None
    assert by_name["HD_1_0"].parent_id == parent.id == by_name["HD_1_1"].parent_id
    assert by_name["HD_1_0"].get_metrics() == recursive["HD_1_0"]
    best = runreport.best_run([by_name["HD_1_0"], by_name["HD_1_1"]], "mse")
    assert best is not None and best.name == "HD_1_1"


def test_azure_children_sit_under_the_id_they_extend() -> None:
    from runreport.readers.azureml import parent_keys

    keys = ["HD_x", "HD_x_0", "HD_x_10", "HD_x_0_1", "pipeline-step"]
    assert parent_keys(keys) == {"HD_x_0": "HD_x", "HD_x_10": "HD_x", "HD_x_0_1": "HD_x_0"}


def test_unknown_json_is_not_taken_for_a_dump(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({"a": 1, "b": "x"}))
    (tmp_path / "list.json").write_text("[1, 2]")
    assert read(tmp_path, include_deleted=True)[0] == []


def test_azure_schema_type_tables_are_charted_by_the_rules() -> None:
    from runreport.readers.tables import json_table
    from runreport.rules import Display, classify

    residuals = json_table(
        "residuals",
        {
            "schema_type": "residuals",
            "schema_version": "1.0.0",
            "data": {"bin_edges": [-1.0, 0.0, 1.0, 2.0], "bin_counts": [3, 10, 4]},
        },
    )
    assert residuals is not None and classify(residuals).display is Display.XY
    assert residuals.columns == {"residual (bin start)": (-1.0, 0.0, 1.0), "count": (3, 10, 4)}
    predictions = json_table(
        "predictions",
        {
            "schema_type": "predictions",
            "data": {
                "bin_averages": [0.1, 0.5, 0.9],
                "bin_errors": [0.01, 0.02, 0.03],
                "bin_counts": [5, 5, 5],
                "bin_edges": [0.0, 0.33, 0.66, 1.0],
            },
        },
    )
    assert predictions is not None and classify(predictions).display is Display.MULTI
    table = json_table(
        "acc",
        {
            "schema_type": "accuracy_table",
            "data": {
                "class_labels": ["a", "b"],
                "probability_thresholds": [0.0, 0.5, 1.0],
                # per class, per threshold: [tp, fp, tn, fn]
                "probability_tables": [
                    [[5, 5, 0, 0], [4, 1, 4, 1], [0, 0, 5, 5]],
                    [[5, 5, 0, 0], [3, 2, 3, 2], [0, 0, 5, 5]],
                ],
            },
        },
    )
    assert table is not None and classify(table).display is Display.MULTI
    assert table.columns["TPR (a)"] == (1.0, 0.8, 0.0)
    assert table.columns["FPR (b)"] == (1.0, 0.4, 0.0)
    unknown = json_table("x", {"schema_type": "something_new", "data": {}})
    assert unknown is None


# ------------------------------------------- NaN and Infinity as Python's json writes them
def test_dvclive_sklearn_plots_with_an_infinite_threshold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """scikit-learn puts an infinite threshold first in every ROC curve, and dvclive writes it
    as a bare ``Infinity``: the plot is read, point for point as the file holds it."""
    import dvclive

    monkeypatch.chdir(tmp_path)
    y_true = [0, 1, 1, 0, 1, 0, 1, 0, 1, 1]
    y_score = [0.1, 0.8, 0.6, 0.4, 0.9, 0.3, 0.35, 0.7, 0.2, 0.65]
    with dvclive.Live(dir="dvclive", save_dvc_exp=False, dvcyaml=None) as live:
        live.log_metric("acc", 0.5)
        live.log_sklearn_plot("roc", y_true, y_score)
        live.log_sklearn_plot("precision_recall", y_true, y_score)
    roc_file = tmp_path / "dvclive" / "plots" / "sklearn" / "roc.json"
    assert '"threshold": Infinity' in roc_file.read_text()
    [run], problems = read(tmp_path / "dvclive")
    assert problems.items == []
    written = json.loads(roc_file.read_text())["roc"]
    roc = run.get_metrics()["roc"]
    assert roc == {"fpr": [p["fpr"] for p in written], "tpr": [p["tpr"] for p in written]}
    assert run.metric("roc").kind is Kind.TABLE  # type: ignore[union-attr]
    pr = json.loads((roc_file.parent / "precision_recall.json").read_text())["precision_recall"]
    assert run.get_metrics()["precision_recall"]["precision"] == [p["precision"] for p in pr]


def test_azure_dump_with_nan_and_infinity(tmp_path: Path) -> None:
    """``json.dump(run.get_metrics(), fh)`` writes NaN and Infinity bare: still a run."""
    metrics = {"loss": [1.0, math.nan, 0.5], "best": math.inf, "worst": -math.inf, "acc": 0.9}
    (tmp_path / "dump").mkdir()
    with (tmp_path / "dump" / "run_metrics.json").open("w") as fh:
        json.dump(metrics, fh)
    assert "NaN" in (tmp_path / "dump" / "run_metrics.json").read_text()
    [run], problems = read(tmp_path)
    assert problems.items == [] and run.format == "azureml-metrics"
    got = run.get_metrics()
    assert _same(got["loss"], metrics["loss"])  # type: ignore[arg-type]
    assert (got["best"], got["worst"], got["acc"]) == (math.inf, -math.inf, 0.9)


def test_wandb_summary_with_nan_keeps_every_value(tmp_path: Path) -> None:
    """W&B writes ``wandb-summary.json`` with Python's json, NaN and Infinity bare."""
    files = tmp_path / "wandb" / "run-20240102_030405-abc123" / "files"
    files.mkdir(parents=True)
    summary = {"loss": math.nan, "acc": 0.91, "grad_max": math.inf, "_step": 3, "_runtime": 9}
    (files / "wandb-summary.json").write_text(json.dumps(summary))
    [run], problems = read(tmp_path / "wandb")
    assert problems.items == []
    got = run.get_metrics()
    assert math.isnan(got["loss"]) and (got["acc"], got["grad_max"]) == (0.91, math.inf)


def test_mlflow_tables_with_nan_and_infinity(mlflow_store: Any, tmp_path: Path) -> None:
    """``log_table`` writes NaN and infinities as null (pandas' ``to_json``): read as MLflow's
    own ``load_table`` reads them, as missing. ``log_dict`` writes them bare (``json.dump``): a
    table logged that way keeps them."""
    mlflow_store.set_tracking_uri(f"file://{tmp_path / 'mlruns'}")
    mlflow_store.set_experiment("tables")  # not the experiment an earlier test left active
    table = {"step": [0, 1, 2], "score": [0.5, math.nan, math.inf]}
    rows = [list(r) for r in zip(table["step"], table["score"], strict=True)]
    split = {"columns": ["step", "score"], "data": rows}
    with mlflow_store.start_run() as active:
        mlflow_store.log_table(table, artifact_file="scores.json")
        mlflow_store.log_dict(split, "raw_scores.json")
    run_dir = Path(active.info.artifact_uri.removeprefix("file://"))
    assert "NaN" in (run_dir / "raw_scores.json").read_text()
    runs, problems = read(tmp_path / "mlruns")
    assert [p for p in problems.items if p.severity.value != "info"] == []
    [run] = [r for r in runs if r.id == active.info.run_id]
    got = run.get_metrics()
    theirs = mlflow_store.load_table("scores.json", run_ids=[active.info.run_id])
    assert got["scores"]["step"] == theirs["step"].tolist() == [0, 1, 2]
    score = [math.nan if v is None else v for v in got["scores"]["score"]]
    assert _same(score, theirs["score"].tolist())
    assert _same(got["raw_scores"]["score"], table["score"])
