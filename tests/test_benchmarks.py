"""A tiny run of the benchmark, so the script and its baselines cannot rot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.filterwarnings("ignore")
def test_benchmark_smoke_run(tmp_path: Path) -> None:
    out = tmp_path / "numbers.json"
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "run.py"),
            "--scale",
            "tiny",
            "--repeat",
            "1",
            "--data-dir",
            str(tmp_path / "data"),
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    table = result.stdout
    for row in (
        "cold build, runreport JSONL",
        "cold build, MLflow store",
        "generated files = producers' own",
        "cold build, TensorBoard add_scalar",
        "cold build, TensorBoard TF2/Keras",
        "cold build, TensorBoard merged",
        "fresh machine (empty cache), JSONL",
        "vs dvc-render",
        "new process: add run",
        "new process: append",
        "in one process (serve): add run",
        "in one process (serve): append",
        "peak RSS",
        "site size",
        "browser, first screen",
        "browser, first screen of the experiment page / the widest run page",
        "browser, charts scrolled to",
        "browser, experiment page: sort, filter, parallel coordinates",
    ):
        assert row in table
    assert set(json.loads(out.read_text())["browser_experiment_ms"]) == {
        "sort",
        "filter_text",
        "filter_expression",
        "parallel",
    }

    once = ("--repeat", "1", "--data-dir", str(tmp_path / "data"))

    def tiny(script: str) -> str:  # another benchmark script on the same data: its output
        return subprocess.run(
            [sys.executable, str(REPO / "benchmarks" / script), *("--scale", "tiny"), *once],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        ).stdout

    # the remote benchmark: the local S3 server, builds and requests counted
    remote = tiny("remote.py")
    assert "cold build from S3 (moto)" in remote
    assert "nothing changed" in remote and "requests: {'GET listing': 1}" in remote
    # the Dask benchmark: its sites checked to be the local build's
    dask = tiny("distributed_build.py")
    assert "x local" in dask and "dask --scheduler" in dask and "kB sent back" in dask, dask
    numbers = json.loads(out.read_text())
    assert numbers["points"] == 300
    assert numbers["producers_equal"] is True  # the generator writes what producers write
    for key in (
        "cold_native_s",
        "parse_floor_s",
        "event_accumulator_s",
        "rust_data_server_s",
        "rust_tensorboard_tf2_s",
        "cold_tensorboard_merged_s",
        "fresh_machine_native_s",
        "mlflow_client_s",
        "dvc_render_s",
        "add_run_s",
        "append_s",
        "serve_add_run_s",
        "serve_append_s",
    ):
        assert numbers[key] > 0, key
    assert set(numbers["browser_ms"]) == {"experiment", "run", "compare_1", "compare_3"}
    assert set(numbers["browser_scrolled_charts_ms"]) == {"compare_1", "compare_3"}
    assert all(v > 0 for v in numbers["browser_scrolled_charts_ms"].values())
    assert numbers["mlflow_client_points"] == 300
    # on scales with series longer than a page of mlflow's client, it reads one series only
    one = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "child.py"),
            "mlflow",
            str(tmp_path / "data" / "tiny" / "mlflow"),
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    first = json.loads(one.stdout.splitlines()[-1])
    assert (first["series"], first["points"]) == (1, 50)
