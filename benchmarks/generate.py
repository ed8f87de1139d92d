"""Seeded benchmark data: the same runs written as runreport JSONL, an MLflow store and
TensorBoard event files in the layouts producers write (python benchmarks/generate.py --scale
small --out DIR). :func:`check_producers` checks that what is written here is, byte for byte,
what the producer libraries write for the same values."""

from __future__ import annotations

import argparse
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson


@dataclass(frozen=True)
class Scale:
    """Runs x metrics x steps."""

    runs: int
    metrics: int
    steps: int

    @property
    def points(self) -> int:
        return self.runs * self.metrics * self.steps


SCALES = {
    "tiny": Scale(3, 2, 50),  # the test suite's smoke run
    "small": Scale(10, 5, 1_000),
    "medium": Scale(100, 20, 1_000),
    "large": Scale(1_000, 20, 1_000),
    "long": Scale(5, 5, 1_000_000),
    "many": Scale(10_000, 10, 100),  # most real projects: many short runs
    "wide": Scale(100, 2_000, 50),  # per-layer and per-class metrics
}
#: TensorBoard layouts, as producers write them (each its own folder and benchmark row):
#: ``tensorboard``: one scalar per event, real wall times (PyTorch's and tensorboardX's
#: ``SummaryWriter.add_scalar``, Lightning's TensorBoard logger, which calls it per metric);
#: ``tensorboard_tf2``: scalar tensors with 4 raw bytes in ``tensor_content`` (TF2's
#: ``tf.summary.scalar``, Keras); ``tensorboard_merged``: every metric of a step in one event
#: (TF1 merged summaries).
TB_LAYOUTS = ("tensorboard", "tensorboard_tf2", "tensorboard_merged")
FORMATS = ("native", "mlflow", *TB_LAYOUTS)
#: Changed whenever what is generated changes: data written by another version is rewritten.
DATA_VERSION = 2
#: Wall time of a run's first event, and seconds per step (as a real training loop's).
WALL0 = 1_767_225_600.0
SECONDS_PER_STEP = 0.137


def series(seed: int, steps: int) -> np.ndarray:
    """A noisy decaying curve (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    x = np.arange(steps, dtype=np.float64)
    return 2.0 * np.exp(-x / max(steps / 5, 1)) + 0.05 * rng.standard_normal(steps) + 0.1


#: Metric names as training scripts log them: tags of different lengths.
_BASE_NAMES = (
    "train/loss",
    "val/loss",
    "train/accuracy",
    "val/acc",
    "lr-Adam",
    "epoch",
    "grad_norm",
    "train/f1_score",
    "val/perplexity",
    "throughput/samples_per_second",
)


def _names(scale: Scale) -> list[str]:
    """The metrics' names: the usual ones, then per-layer statistics (``layer_3/weight_norm``)."""
    names = list(_BASE_NAMES[: scale.metrics])
    stats = ("weight_norm", "grad_norm", "update_ratio", "mean", "std")
    i = 0
    while len(names) < scale.metrics:
        names.append(f"layer_{i // len(stats)}/{stats[i % len(stats)]}")
        i += 1
    return names


def add_native_run(root: Path, scale: Scale) -> Path:
    """One more run in the native folder of ``scale`` (numbered after its last; an error if
    that run is there already), as the rebuild measures add it; its folder."""
    folder = root / "bench" / f"run-{scale.runs:04d}"
    if folder.exists():
        raise FileExistsError(f"{folder} is there already: not added")
    write_native(root, Scale(1, scale.metrics, scale.steps), first_run=scale.runs)
    return folder


def write_native(root: Path, scale: Scale, first_run: int = 0) -> None:
    """runreport's format: run.json + metrics.jsonl (one line per logging call)."""
    for r in range(first_run, first_run + scale.runs):
        run = root / "bench" / f"run-{r:04d}"
        run.mkdir(parents=True, exist_ok=True)
        (run / "run.json").write_bytes(
            orjson.dumps(
                {
                    "format": 1,
                    "id": f"run-{r:04d}",
                    "name": f"run-{r:04d}",
                    "experiment": "bench",
                    "status": "Completed",
                    "compute_target": "bench-node",
                    "start_time": "2026-01-01T00:00:00Z",
                    "end_time": "2026-01-01T01:00:00Z",
                    "params": {"lr": 10 ** -(1 + r % 4), "seed": r},
                }
            )
        )
        with (run / "metrics.jsonl").open("wb") as fh:
            values = {m: series(r * 1000 + i, scale.steps) for i, m in enumerate(_names(scale))}
            chunk = []
            for step in range(scale.steps):
                for m, v in values.items():
                    chunk.append(
                        b'{"kind":"scalar","name":"%s","value":%r,"step":%d}\n'
                        % (m.encode(), float(v[step]), step)
                    )
                if len(chunk) > 50_000:
                    fh.write(b"".join(chunk))
                    chunk = []
            fh.write(b"".join(chunk))


def mlflow_lines(timestamps: np.ndarray, values: list[float]) -> str:
    """A metric file of MLflow's file store: ``timestamp value step`` per line, steps from 0."""
    return "".join(
        f"{t} {v!r} {s}\n" for s, (t, v) in enumerate(zip(timestamps.tolist(), values, strict=True))
    )


def write_mlflow(root: Path, scale: Scale) -> None:
    """An MLflow file store, as MLflow writes it (meta.yaml, metrics/<key>: 'ts value step')."""
    exp = root / "mlruns" / "1"
    exp.mkdir(parents=True, exist_ok=True)
    (exp / "meta.yaml").write_text(
        f"artifact_location: file://{exp.resolve()}\ncreation_time: 1767225600000\n"
        "experiment_id: '1'\nlast_update_time: 1767225600000\nlifecycle_stage: active\n"
        "name: bench\nworkspace: default\n"
    )
    ts = np.arange(scale.steps, dtype=np.int64) + 1_767_225_600_000
    for r in range(scale.runs):
        run_id = f"b{r:031x}"  # hex, as MLflow's: never all digits (YAML would read an int)
        run = exp / run_id
        (run / "metrics").mkdir(parents=True, exist_ok=True)
        (run / "params").mkdir(exist_ok=True)
        (run / "tags").mkdir(exist_ok=True)
        (run / "artifacts").mkdir(exist_ok=True)  # MLflow 3 only finds runs that have it
        (run / "meta.yaml").write_text(
            f"run_id: '{run_id}'\nrun_name: run-{r:04d}\nexperiment_id: '1'\nstatus: 3\n"
            f"start_time: 1767225600000\nend_time: 1767229200000\nlifecycle_stage: active\n"
            f"user_id: bench\nsource_type: 4\nsource_name: ''\nentry_point_name: ''\n"
            f"source_version: ''\nartifact_uri: file://{run.resolve() / 'artifacts'}\ntags: []\n"
        )
        (run / "params" / "lr").write_text(str(10 ** -(1 + r % 4)))
        for i, m in enumerate(_names(scale)):
            path = run / "metrics" / m
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(mlflow_lines(ts, series(r * 1000 + i, scale.steps).tolist()))


def _masked_crc(data: bytes) -> int:
    import google_crc32c

    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _record(data: bytes) -> bytes:
    """One TFRecord: length, its masked CRC, the data, the data's masked CRC."""
    header = struct.pack("<Q", len(data))
    return (
        header
        + struct.pack("<I", _masked_crc(header))
        + data
        + struct.pack("<I", _masked_crc(data))
    )


def tb_events(layout: str, names: list[str], values: list[list[float]], steps: int) -> list[bytes]:
    """A run's events (serialized, without framing) in ``layout`` (see :data:`TB_LAYOUTS`):
    what the producer writes for these values, checked by :func:`check_producers`."""
    from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2

    value_pb = summary_pb2.Summary.Value
    meta = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"), data_class=1
    )
    out = []
    for step in range(steps):
        wall = WALL0 + step * SECONDS_PER_STEP
        if layout == "tensorboard_merged":
            summary = summary_pb2.Summary(
                value=[
                    value_pb(tag=n, simple_value=v[step])
                    for n, v in zip(names, values, strict=True)
                ]
            )
            out.append(event_pb2.Event(wall_time=wall, step=step, summary=summary))
            continue
        for i, (name, v) in enumerate(zip(names, values, strict=True)):
            if layout == "tensorboard":
                value = value_pb(tag=name, simple_value=v[step])
            else:  # TF2: tensorflow/core/summary/summary_file_writer.cc (TF is not installed)
                tensor = tensor_pb2.TensorProto(
                    dtype=1,
                    tensor_shape=tensor_shape_pb2.TensorShapeProto(),
                    tensor_content=struct.pack("<f", v[step]),
                )
                value = value_pb(tag=name, metadata=meta, tensor=tensor)
            out.append(
                event_pb2.Event(
                    wall_time=wall + i * 1e-4,
                    step=step,
                    summary=summary_pb2.Summary(value=[value]),
                )
            )
    return [e.SerializeToString() for e in out]


def write_tensorboard(root: Path, scale: Scale, layout: str = "tensorboard") -> None:
    """One event file per run in ``layout``, after the file-version event every writer puts
    first."""
    from tensorboard.compat.proto import event_pb2

    for r in range(scale.runs):
        run = root / f"run-{r:04d}"
        run.mkdir(parents=True, exist_ok=True)
        values = [series(r * 1000 + i, scale.steps).tolist() for i in range(scale.metrics)]
        first = event_pb2.Event(wall_time=WALL0, file_version="brain.Event:2")
        events = [first.SerializeToString(), *tb_events(layout, _names(scale), values, scale.steps)]
        (run / "events.out.tfevents.1767225600.bench").write_bytes(
            b"".join(_record(e) for e in events)
        )


def check_producers(work: Path) -> list[str]:
    """Where this generator's files differ from what the producers write for the same values
    (empty: none): tensorboardX's ``SummaryWriter.add_scalar`` (given each ``walltime``) for
    the add_scalar layout, every record after the file-version event, framing included; and
    mlflow's client (given each ``timestamp``) for the metric files of an MLflow store."""
    import os

    scale = Scale(1, 3, 300)
    names = _names(scale)
    values = [series(i, scale.steps).tolist() for i in range(scale.metrics)]
    problems = []
    from tensorboardX import SummaryWriter

    theirs = work / "tbx"
    with SummaryWriter(str(theirs)) as w:
        for step in range(scale.steps):
            for i, name in enumerate(names):
                wall = WALL0 + step * SECONDS_PER_STEP + i * 1e-4
                w.add_scalar(name, values[i][step], step, walltime=wall)
    [their_file] = list(theirs.glob("events.out.tfevents.*"))
    their_bytes = their_file.read_bytes()
    first_len = struct.unpack("<Q", their_bytes[:8])[0]
    ours = b"".join(_record(e) for e in tb_events("tensorboard", names, values, scale.steps))
    if their_bytes[16 + first_len :] != ours:
        problems.append("tensorboard: add_scalar records differ from tensorboardX's")
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    import mlflow

    store = work / "mlruns"
    client = mlflow.tracking.MlflowClient(f"file://{store}")
    exp = client.create_experiment("check")
    run = client.create_run(exp)
    ts = np.arange(scale.steps, dtype=np.int64) + 1_767_225_600_000
    for i, name in enumerate(names):
        for step in range(scale.steps):
            client.log_metric(
                run.info.run_id, name, values[i][step], timestamp=int(ts[step]), step=step
            )
    for i, name in enumerate(names):
        path = store / exp / run.info.run_id / "metrics" / name
        if path.read_text() != mlflow_lines(ts, values[i]):
            problems.append(f"mlflow: metric file {name} differs from mlflow's")
    return problems


def generate(scale_name: str, out: Path, formats: tuple[str, ...] = FORMATS) -> dict[str, Path]:
    """Write the data for a scale (once: reused when its marker file exists)."""
    scale = SCALES[scale_name]
    root = out / scale_name
    paths = {"native": root / "native", "mlflow": root / "mlflow"}
    paths.update({layout: root / layout.replace("tensorboard", "tb") for layout in TB_LAYOUTS})
    for fmt in formats:
        marker = paths[fmt] / ".complete"
        done = f"{scale} {DATA_VERSION}\n"
        if not marker.exists() or marker.read_text() != done:
            shutil.rmtree(paths[fmt], ignore_errors=True)
            if fmt == "native":
                write_native(paths[fmt], scale)
            elif fmt == "mlflow":
                write_mlflow(paths[fmt], scale)
            else:
                write_tensorboard(paths[fmt], scale, fmt)
            marker.write_text(done)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=SCALES, default="small")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/.data"))
    args = parser.parse_args()
    for fmt, path in generate(args.scale, args.out).items():
        print(f"{fmt}: {path}")
    print(f"{SCALES[args.scale].points:,} points per format")


if __name__ == "__main__":
    main()
