"""One measured operation in a fresh process: prints {"seconds": …, "rss_mb": …, …} as JSON.

Run by benchmarks/run.py so that each number has its own peak RSS and no warm caches.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from generate import Scale

    from runreport.build import BuildConfig


def runreport_build(logdir: str, out: str) -> dict[str, Any]:
    """A build as ``runreport build LOGDIR -o OUT`` makes it."""
    import os

    from runreport import workers

    jobs = int(os.environ.get("RUNREPORT_JOBS", os.cpu_count() or 1))  # as the command line
    workers.start_for_build(Path(out), jobs)
    from runreport.build import BuildConfig, build_site

    result = build_site(BuildConfig(inputs=(Path(logdir),), output=Path(out), jobs=jobs))
    return {"runs": result.runs, "site_bytes": result.site_bytes}


def serve_rebuilds(logdir: str, out: str, runs: str, metrics: str, steps: str) -> dict[str, Any]:
    """Rebuilds inside one process, as ``runreport serve`` makes them: one build into a new
    folder beside ``out`` (serve's site is a new folder each session; the parse cache already
    holds every run), then, each timed, a rebuild with nothing changed, one after adding a run
    and one after appending to a run (the changes undone afterwards)."""
    import os
    import shutil
    import tempfile

    from generate import Scale

    from runreport.build import BuildConfig
    from runreport.cache import site_manifest

    jobs = int(os.environ.get("RUNREPORT_JOBS", os.cpu_count() or 1))
    site = Path(tempfile.mkdtemp(prefix="serve-", dir=Path(out).parent)) / "site"
    config = BuildConfig(inputs=(Path(logdir),), output=site, jobs=jobs)
    try:
        return _serve_rebuilds(config, Scale(int(runs), int(metrics), int(steps)))
    finally:
        shutil.rmtree(site.parent, ignore_errors=True)
        site_manifest(site).unlink(missing_ok=True)


def _serve_rebuilds(config: BuildConfig, scale: Scale) -> dict[str, Any]:
    import shutil

    from generate import add_native_run

    from runreport.build import build_site

    logdir = config.inputs[0]

    def timed() -> float:
        start = time.perf_counter()
        build_site(config)
        return time.perf_counter() - start

    build_site(config)
    same = timed()
    extra = add_native_run(logdir, scale)
    try:
        add = timed()
    finally:
        shutil.rmtree(extra)
    target = logdir / "bench" / "run-0000" / "metrics.jsonl"
    size = target.stat().st_size
    try:
        with target.open("ab") as fh:
            fh.write(b'{"kind":"scalar","name":"metric_00","value":0.5,"step":999999}\n')
        append = timed()
    finally:
        with target.open("r+b") as fh:
            fh.truncate(size)
    build_site(config)
    return {"same_s": same, "add_run_s": add, "append_s": append}


def parse_floor(logdir: str) -> dict[str, Any]:
    """The fastest vectorised parse of the same JSONL points (polars, pyarrow), no site."""
    import polars as pl

    total = 0
    for file in sorted(Path(logdir).rglob("metrics.jsonl")):
        frame = pl.read_ndjson(
            file, schema={"name": pl.Utf8, "value": pl.Float64, "step": pl.Int64}
        )
        total += frame.height
    return {"points": total}


def parse_floor_pyarrow(logdir: str) -> dict[str, Any]:
    import pyarrow.json as pj

    total = 0
    for file in sorted(Path(logdir).rglob("metrics.jsonl")):
        total += pj.read_json(file).num_rows
    return {"points": total}


def event_accumulator(logdir: str) -> dict[str, Any]:
    """TensorBoard's Python loader, keeping every scalar (no reservoir sampling)."""
    from tensorboard.backend.event_processing import event_accumulator as ea

    total = 0
    runs = sorted({p.parent for p in Path(logdir).rglob("*tfevents*")})
    for run in runs:
        acc = ea.EventAccumulator(str(run), size_guidance={ea.SCALARS: 0, ea.TENSORS: 0})
        acc.Reload()
        total += sum(len(acc.Scalars(t)) for t in acc.Tags()["scalars"])
    return {"points": total}


def mlflow_client(logdir: str, series: str = "") -> dict[str, Any]:
    """MLflow's own client reading its store: search_runs + get_metric_history; only the
    first ``series`` metric histories when given."""
    import os

    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"file://{Path(logdir).resolve() / 'mlruns'}")
    total = read = 0
    limit = int(series) if series else None
    for exp in client.search_experiments():
        for run in client.search_runs([exp.experiment_id], max_results=50_000):
            for key in run.data.metrics:
                if limit is not None and read >= limit:
                    return {"points": total, "series": read}
                total += len(client.get_metric_history(run.info.run_id, key))
                read += 1
    return {"points": total, "series": read}


def dvc_render(logdir: str, out: str) -> dict[str, Any]:
    """dvc-render writing the same series as one linear plot per metric and run."""
    from dvc_render import VegaRenderer
    from dvc_render.html import render_html

    renderers = []
    total = 0
    for file in sorted(Path(logdir).rglob("metrics.jsonl")):
        per_metric: dict[str, list[dict[str, Any]]] = {}
        for line in file.read_bytes().splitlines():
            rec = json.loads(line)
            per_metric.setdefault(rec["name"], []).append(
                {"step": rec["step"], "value": rec["value"]}
            )
        for name, points in per_metric.items():
            total += len(points)
            renderers.append(
                VegaRenderer(
                    points, f"{file.parent.name}/{name}", x="step", y="value", template="linear"
                )
            )
    render_html(renderers, Path(out) / "index.html")
    size = sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file())
    return {"points": total, "site_bytes": size}


OPS = {
    "runreport": runreport_build,
    "serve_rebuilds": serve_rebuilds,
    "parse_floor": parse_floor,
    "parse_floor_pyarrow": parse_floor_pyarrow,
    "event_accumulator": event_accumulator,
    "mlflow": mlflow_client,
    "dvc_render": dvc_render,
}


def main() -> None:
    op, *args = sys.argv[1:]
    start = time.perf_counter()
    extra = OPS[op](*args)
    seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_mb": rss_mb, **extra}))


if __name__ == "__main__":
    main()
