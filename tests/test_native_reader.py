"""The native reader on tiny files: good records kept beside bad ones, problems with their place."""

from __future__ import annotations

import json
import math
from pathlib import Path

import orjson
import pytest
from conftest import read, write_run

from runreport.errors import Severity
from runreport.model import Kind, Status


def test_reads_every_kind(tmp_path: Path) -> None:
    write_run(
        tmp_path,
        "r1",
        [
            {"kind": "scalar", "name": "acc", "value": 0.9},
            {"kind": "scalar", "name": "loss", "value": 1.0, "step": 0},
            {"kind": "scalar", "name": "loss", "value": 0.5, "step": 1},
            {"kind": "list", "name": "fib", "values": [0, 1, 1, 2]},
            {"kind": "row", "name": "wave", "row": {"angle": 0, "cos": 1.0}},
            {"kind": "row", "name": "wave", "row": {"angle": 90, "cos": 0.0}},
            {"kind": "table", "name": "sine", "table": {"angle": [0, 90], "sine": [0.0, 1.0]}},
        ],
    )
    [run], problems = read(tmp_path)
    assert problems.items == []
    assert run.get_metrics() == {
        "acc": 0.9,
        "loss": [1.0, 0.5],
        "fib": [0, 1, 1, 2],
        "wave": {"angle": [0, 90], "cos": [1.0, 0.0]},
        "sine": {"angle": [0, 90], "sine": [0.0, 1.0]},
    }
    loss = run.metric("loss")
    assert loss is not None and loss.kind is Kind.SCALAR and loss.columns["step"] == (0, 1)


def test_bad_line_is_reported_and_neighbours_kept(tmp_path: Path) -> None:
    folder = write_run(
        tmp_path,
        "r1",
        [
            {"kind": "scalar", "name": "loss", "value": 1.0},
            "{not json",
            {"kind": "scalar", "name": "loss", "value": 0.5},
        ],
    )
    [run], problems = read(tmp_path)
    assert run.get_metrics()["loss"] == [1.0, 0.5]
    [p] = problems.items
    assert str(p).startswith(f"{folder / 'metrics.jsonl'}:2: invalid JSON")
    assert p.severity is Severity.WARNING


def test_cut_off_last_line_is_ignored_and_counted(tmp_path: Path) -> None:
    folder = write_run(tmp_path, "r1", [{"kind": "scalar", "name": "loss", "value": 1.0}])
    with (folder / "metrics.jsonl").open("ab") as fh:
        fh.write(b'{"kind": "scalar", "name": "loss", "va')
    [run], problems = read(tmp_path)
    assert run.get_metrics()["loss"] == 1.0
    [p] = problems.items
    assert p.severity is Severity.INFO and p.line == 2 and "cut-off" in p.message


def test_complete_last_line_without_newline_is_kept(tmp_path: Path) -> None:
    folder = write_run(tmp_path, "r1")
    (folder / "metrics.jsonl").write_bytes(b'{"kind": "scalar", "name": "a", "value": 2}')
    [run], problems = read(tmp_path)
    assert run.get_metrics() == {"a": 2} and problems.items == []


def test_non_utf8_bytes_are_replaced_and_reported(tmp_path: Path) -> None:
    write_run(tmp_path, "r1", [b'{"kind": "scalar", "name": "caf\xe9", "value": 1}'])
    [run], problems = read(tmp_path)
    assert list(run.get_metrics()) == ["caf\ufffd"]
    assert "not UTF-8" in problems.items[0].message


def test_unknown_kind_and_kind_change_are_reported(tmp_path: Path) -> None:
    write_run(
        tmp_path,
        "r1",
        [
            {"kind": "hologram", "name": "x", "value": 1},
            {"kind": "scalar", "name": "m", "value": 1},
            {"kind": "list", "name": "m", "values": [1, 2]},
            {"name": "implicit", "value": 3},
            {"kind": "scalar", "value": 3},
            [1, 2],
        ],
    )
    [run], problems = read(tmp_path)
    assert run.get_metrics() == {"m": 1, "implicit": 3}
    messages = [f"{p.line}: {p.message}" for p in problems.items]
    assert messages[0].startswith("1: unknown record kind 'hologram'")
    assert messages[1].startswith("3: 'm' was logged as scalar, now as list")
    assert messages[2].startswith('5: record has no "name"')
    assert messages[3].startswith("6: record is not a JSON object")


def test_nonfinite_spellings_become_floats(tmp_path: Path) -> None:
    write_run(
        tmp_path,
        "r1",
        [
            {"kind": "scalar", "name": "x", "value": "NaN"},
            {"kind": "scalar", "name": "x", "value": "Infinity"},
            {"kind": "scalar", "name": "x", "value": "-inf"},
            # what json.dumps writes by default, and integers past 64 bits: orjson refuses both
            '{"kind": "scalar", "name": "x", "value": NaN}',
            '{"kind": "scalar", "name": "big", "value": ' + "9" * 400 + "}",
        ],
    )
    [run], problems = read(tmp_path)
    x = run.get_metrics()["x"]
    assert math.isnan(x[0]) and x[1] == math.inf and x[2] == -math.inf and math.isnan(x[3])
    assert run.get_metrics()["big"] == int("9" * 400)
    assert problems.items == []


def test_text_inside_a_numeric_series_is_a_gap(tmp_path: Path) -> None:
    write_run(
        tmp_path,
        "r1",
        [
            {"kind": "scalar", "name": "acc", "value": 0.5, "step": 0},
            {"kind": "scalar", "name": "acc", "value": "oops", "step": 1},
            {"kind": "scalar", "name": "acc", "value": 0.7, "step": 2},
        ],
    )
    [run], problems = read(tmp_path)
    assert run.get_metrics()["acc"] == [0.5, None, 0.7]
    assert problems.items[0].line == 2 and "kept as a gap" in problems.items[0].message


def test_rows_with_changing_columns_are_aligned(tmp_path: Path) -> None:
    write_run(
        tmp_path,
        "r1",
        [
            {"kind": "row", "name": "t", "row": {"a": 1}},
            {"kind": "row", "name": "t", "row": {"a": 2, "b": 5}},
            {"kind": "row", "name": "t", "row": {"b": 6}},
        ],
    )
    [run], _ = read(tmp_path)
    assert run.get_metrics()["t"] == {"a": [1, 2, None], "b": [None, 5, 6]}


def test_missing_or_broken_run_json_keeps_the_metrics(tmp_path: Path) -> None:
    folder = write_run(tmp_path / "exp-a", "r1", [{"kind": "scalar", "name": "a", "value": 1}])
    (folder / "run.json").write_text("{broken")
    other = write_run(tmp_path / "exp-b", "r2", [{"kind": "scalar", "name": "b", "value": 2}])
    (other / "run.json").unlink()
    runs, problems = read(tmp_path)
    assert {r.id: r.get_metrics() for r in runs} == {"r1": {"a": 1}, "r2": {"b": 2}}
    assert {r.status for r in runs} == {Status.UNKNOWN}
    assert {r.experiment for r in runs} == {"exp-a", "exp-b"}
    assert [p.severity for p in problems.sorted()] == [Severity.ERROR, Severity.WARNING]


def test_image_outside_the_run_folder_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"x")
    write_run(
        tmp_path / "logs",
        "r1",
        [
            {"kind": "image", "name": "leak", "path": "../../secret.png"},
        ],
    )
    [run], problems = read(tmp_path / "logs")
    assert run.images == ()
    assert "not a file inside the run folder" in problems.items[0].message


def test_discovery_skips_hidden_folders_and_duplicate_ids(tmp_path: Path) -> None:
    write_run(tmp_path / "a", "same")
    write_run(tmp_path / "b", "same")
    write_run(tmp_path / ".hidden", "ghost")
    runs, problems = read(tmp_path)
    assert [r.id for r in runs] == ["same"]
    assert "seen twice" in problems.items[0].message


def test_missing_input_path_is_an_error_not_a_crash(tmp_path: Path) -> None:
    runs, problems = read(tmp_path / "nope")
    assert runs == [] and problems.items[0].severity is Severity.ERROR


def test_vectorised_and_careful_readers_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runreport.readers import native

    records: list[dict[str, object]] = []
    for step in range(300):
        records.append({"kind": "scalar", "name": "loss", "value": 1 / (step + 1), "step": step})
        records.append({"name": "acc", "value": "NaN" if step % 50 == 0 else step / 300})
    records.append({"kind": "scalar", "name": "lr", "value": 0.1, "step": 7, "time": "t"})
    folder = write_run(tmp_path, "r", records)
    fast = native.fast_scalars(folder / "metrics.jsonl")
    assert fast is not None  # this file takes the vectorised path
    [vectorised], _ = read(tmp_path)
    monkeypatch.setattr(native, "fast_scalars", lambda file: None)
    [careful], problems = read(tmp_path)
    assert problems.items == []
    a, b = vectorised.get_metrics(), careful.get_metrics()
    assert list(a) == list(b) == ["loss", "acc", "lr"]
    for name in a:
        x, y = (v if isinstance(v, list) else [v] for v in (a[name], b[name]))
        assert len(x) == len(y) and all(
            (math.isnan(p) and math.isnan(q)) or p == q for p, q in zip(x, y, strict=True)
        )
    for m in vectorised.metrics:
        assert list(m.columns) == list(careful.metric(m.name).columns)  # type: ignore[union-attr]


def test_files_the_vectorised_reader_leaves_to_the_careful_one(tmp_path: Path) -> None:
    from runreport.readers.native import fast_scalars

    cases = {
        "text": {"kind": "scalar", "name": "n", "value": "converged"},
        "bool": {"kind": "scalar", "name": "n", "value": True},
        "list": {"kind": "list", "name": "n", "values": [1, 2]},
        "fraction step": {"kind": "scalar", "name": "n", "value": 1, "step": 1.5},
        "no name": {"kind": "scalar", "value": 1},
    }
    for i, (case, record) in enumerate(cases.items()):
        folder = write_run(tmp_path, f"r{i}", [{"name": "ok", "value": 1}, record])
        assert fast_scalars(folder / "metrics.jsonl") is None, case
        # written compactly, as the logging API writes (the reader then skips the kind column
        # only when every kind is "scalar")
        compact = [{"kind": "scalar", "name": "ok", "value": 1}, record]
        folder = write_run(tmp_path, f"c{i}", [orjson.dumps(r) for r in compact])
        assert fast_scalars(folder / "metrics.jsonl") is None, f"{case}, compact"
    ok = write_run(tmp_path, "ok", [orjson.dumps({"kind": "scalar", "name": "a", "value": 1})])
    assert fast_scalars(ok / "metrics.jsonl") is not None
    cut = write_run(tmp_path, "cut", [{"name": "ok", "value": 1}])
    with (cut / "metrics.jsonl").open("ab") as fh:
        fh.write(b'{"name": "ok", "va')
    assert fast_scalars(cut / "metrics.jsonl") is None


def test_run_json_written_by_json_dump_with_nan(tmp_path: Path) -> None:
    """A ``run.json`` written with Python's ``json.dump`` (bare NaN) is read, not skipped."""
    folder = write_run(tmp_path, "r1", [{"kind": "scalar", "name": "loss", "value": 0.5}])
    meta = {"format": 1, "id": "r1", "name": "r1", "experiment": "exp", "status": "Completed"}
    (folder / "run.json").write_text(json.dumps({**meta, "params": {"lr": math.nan, "n": 3}}))
    [run], problems = read(tmp_path)
    assert problems.items == []
    assert math.isnan(run.params["lr"]) and run.params["n"] == 3


@pytest.mark.parametrize("text", [False, True])
def test_each_points_time_in_any_form_it_was_written(tmp_path: Path, text: bool) -> None:
    """``time`` as runreport writes it (UTC, ``Z``), with an offset, as epoch seconds, or
    missing (NaN), read alike by the vectorised path and the careful one (a text value)."""
    times = ["2026-11-28T00:50:00.125Z", "2026-11-28T01:50:01+01:00", 1795827002.5, None]
    records = [
        {"kind": "scalar", "name": "loss", "value": i, "step": i, **({"time": t} if t else {})}
        for i, t in enumerate(times)
    ]
    if text:
        records.append({"kind": "scalar", "name": "phase", "value": "done"})
    write_run(tmp_path, "r", records)
    [run], _ = read(tmp_path)
    loss = run.metric("loss")
    assert loss is not None
    got = list(loss.columns["time"])
    assert got[:3] == [1795827000.125, 1795827001.0, 1795827002.5] and math.isnan(got[3])
