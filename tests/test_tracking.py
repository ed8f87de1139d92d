"""The logging API writes the native format: one JSON line per call, run.json kept current."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

import runreport
from runreport.model import Kind, Status


def _records(run_dir: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def test_every_call_is_one_flushed_line(tmp_path: Path) -> None:
    run = runreport.start_run("exp", tmp_path, name="r1", compute_target="gpu", tags={"a": 1})
    run.log("loss", 0.5, step=3)
    # flushed per call: readable before the run ends
    assert _records(run.path)[0]["value"] == 0.5
    run.log_list("fib", [0, 1, 1, 2])
    run.log_row("wave", angle=0, cos=1.0)
    run.log_table("sine", {"angle": [0, 90], "sine": [0.0, 1.0]})
    run.complete()
    kinds = [r["kind"] for r in _records(run.path)]
    assert kinds == ["scalar", "list", "row", "table"]
    meta = json.loads((run.path / "run.json").read_text())
    assert meta["format"] == 1
    assert meta["status"] == "Completed" and meta["end_time"]
    assert meta["compute_target"] == "gpu" and meta["tags"] == {"a": "1"}


def test_nonfinite_values_are_strict_json(tmp_path: Path) -> None:
    with runreport.start_run("exp", tmp_path) as run:
        run.log("x", float("nan"))
        run.log("x", float("inf"))
        run.log("x", -math.inf)
    text = (run.path / "metrics.jsonl").read_text()
    assert "NaN" in text and "Infinity" in text
    for line in text.splitlines():
        json.loads(line, parse_constant=lambda c: pytest.fail(f"non-standard JSON token {c}"))
    [loaded] = runreport.load(tmp_path)
    values = loaded.get_metrics()["x"]
    assert math.isnan(values[0]) and values[1] == math.inf and values[2] == -math.inf


def test_with_block_marks_failure_with_exception_text(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), runreport.start_run("exp", tmp_path) as run:
        run.log("a", 1)
        raise RuntimeError("out of memory")
    [loaded] = runreport.load(tmp_path)
    assert loaded.status is Status.FAILED
    assert loaded.error == "RuntimeError: out of memory"


def test_metadata_calls(tmp_path: Path) -> None:
    with runreport.start_run("exp", tmp_path, name="named") as run:
        run.tag("flag")
        run.set_tags({"k": "v"})
        run.add_properties({"data": "v2"})
        run.set_description("# Title\nsome *text*")
        run.log_params({"lr": 0.1, "opt": "adam"})
    [loaded] = runreport.load(tmp_path)
    assert loaded.name == "named"
    assert loaded.tags == {"flag": "", "k": "v"}
    assert loaded.properties == {"data": "v2"}
    assert loaded.description.startswith("# Title")
    assert loaded.params == {"lr": 0.1, "opt": "adam"}


def test_child_runs_name_their_parent(tmp_path: Path) -> None:
    with (
        runreport.start_run("exp", tmp_path, compute_target="c1") as parent,
        parent.child_run(name="kid") as child,
    ):
        child.log("m", 1.0)
    runs = {r.name: r for r in runreport.load(tmp_path)}
    assert runs["kid"].parent_id == parent.id
    assert runs["kid"].compute_target == "c1"
    assert runs["kid"].experiment == "exp"


def test_log_image_from_path_and_from_figure(tmp_path: Path) -> None:
    src = tmp_path / "pic.png"
    src.write_bytes(b"\x89PNG\r\n\x1a\nfake")

    class Figure:
        def savefig(self, fname: object, *, format: str) -> None:
            assert format == "png"
            fname.write(b"\x89PNG\r\n\x1a\nplot")  # type: ignore[attr-defined]

    with runreport.start_run("exp", tmp_path / "logs") as run:
        run.log_image("food", path=src, description="dessert")
        run.log_image("plot", plot=Figure())
        with pytest.raises(ValueError):
            run.log_image("neither")
    [loaded] = runreport.load(tmp_path / "logs")
    assert [i.name for i in loaded.images] == ["food", "plot"]
    assert loaded.images[0].description == "dessert"
    assert loaded.images[1].path.read_bytes().endswith(b"plot")
    assert {o.rel for o in loaded.outputs} == {
        i.path.relative_to(loaded.path).as_posix() for i in loaded.images
    }


def test_capture_output_tees_stdout_and_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with runreport.start_run("exp", tmp_path, capture_output=True) as run:
        print("hello from training")
        print("a warning", file=sys.stderr)
    assert "hello from training" in capsys.readouterr().out
    assert (run.path / "logs" / "stdout.txt").read_text() == "hello from training\n"
    assert (run.path / "logs" / "stderr.txt").read_text() == "a warning\n"
    [loaded] = runreport.load(tmp_path)
    assert [f.rel for f in loaded.logs] == ["logs/stderr.txt", "logs/stdout.txt"]


def test_values_that_cannot_be_logged_raise_type_error(tmp_path: Path) -> None:
    with runreport.start_run("exp", tmp_path) as run, pytest.raises(TypeError):
        run.log("cfg", {"a": 1})
    [loaded] = runreport.load(tmp_path)
    assert loaded.metrics == ()


def test_numpy_scalars_are_logged_as_numbers(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    with runreport.start_run("exp", tmp_path) as run:
        run.log("a", np.float32(0.5))
        run.log_list("b", np.arange(3))
    [loaded] = runreport.load(tmp_path)
    assert loaded.get_metrics() == {"a": 0.5, "b": [0, 1, 2]}
    assert loaded.metric("b") is not None and loaded.metric("b").kind is Kind.LIST  # type: ignore[union-attr]
