"""Seeded benchmark data: the same runs written as runreport JSONL, an MLflow store and
TensorBoard event files (python benchmarks/generate.py --scale small --out DIR)."""

from __future__ import annotations

import argparse
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
}
FORMATS = ("native", "mlflow", "tensorboard")


def series(seed: int, steps: int) -> np.ndarray:
    """A noisy decaying curve (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    x = np.arange(steps, dtype=np.float64)
    return 2.0 * np.exp(-x / max(steps / 5, 1)) + 0.05 * rng.standard_normal(steps) + 0.1


def _names(scale: Scale) -> list[str]:
    return [f"metric_{m:02d}" for m in range(scale.metrics)]


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
    steps = np.arange(scale.steps)
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
            v = series(r * 1000 + i, scale.steps)
            lines = [f"{t} {val!r} {s}\n" for t, val, s in zip(ts, v.tolist(), steps, strict=True)]
            (run / "metrics" / m).write_text("".join(lines))


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


def write_tensorboard(root: Path, scale: Scale) -> None:
    """One event file per run, scalars as ``simple_value`` (as PyTorch and tensorboardX write)."""
    from tensorboard.compat.proto import event_pb2, summary_pb2

    for r in range(scale.runs):
        run = root / f"run-{r:04d}"
        run.mkdir(parents=True, exist_ok=True)
        values = [series(r * 1000 + i, scale.steps).tolist() for i in range(scale.metrics)]
        names = _names(scale)
        first = event_pb2.Event(wall_time=1_767_225_600.0, file_version="brain.Event:2")
        out = [_record(first.SerializeToString())]
        for step in range(scale.steps):
            summary = summary_pb2.Summary(
                value=[
                    summary_pb2.Summary.Value(tag=names[i], simple_value=values[i][step])
                    for i in range(scale.metrics)
                ]
            )
            event = event_pb2.Event(wall_time=1_767_225_600.0 + step, step=step, summary=summary)
            out.append(_record(event.SerializeToString()))
        (run / "events.out.tfevents.1767225600.bench").write_bytes(b"".join(out))


def generate(scale_name: str, out: Path, formats: tuple[str, ...] = FORMATS) -> dict[str, Path]:
    """Write the data for a scale (once: reused when its marker file exists)."""
    scale = SCALES[scale_name]
    root = out / scale_name
    paths = {"native": root / "native", "mlflow": root / "mlflow", "tensorboard": root / "tb"}
    writers = {"native": write_native, "mlflow": write_mlflow, "tensorboard": write_tensorboard}
    for fmt in formats:
        marker = paths[fmt] / ".complete"
        if not marker.exists():
            writers[fmt](paths[fmt], scale)
            marker.write_text(f"{scale}\n")
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
