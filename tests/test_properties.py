"""Property tests: random bytes and random records never raise anything but reported problems;
slugs never escape and never collide."""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runreport.charts import spec_for
from runreport.encoding import decode_column, encode_column, encode_exact, encode_labels
from runreport.errors import Problems
from runreport.model import Kind, Metric
from runreport.names import MAX_SLUG_CHARS, safe_relpath, slug
from runreport.readers import read_runs
from runreport.runfiles import data_file
from runreport.views import metric_view, run_view

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
}

#: Where each format keeps its data, as (folder layout, file written with the random bytes).
LAYOUTS: list[tuple[dict[str, bytes], str]] = [
    ({"run.json": b'{"id": "r"}'}, "metrics.jsonl"),
    ({"metrics.jsonl": b""}, "run.json"),
    (
        {
            "mlruns/1/meta.yaml": b"experiment_id: '1'\nname: e\n",
            "mlruns/1/r/meta.yaml": b"run_id: r\n",
        },
        "mlruns/1/r/metrics/loss",
    ),
    ({"mlruns/1/meta.yaml": b"experiment_id: '1'\nname: e\n"}, "mlruns/1/r/meta.yaml"),
    ({}, "trainer_state.json"),
    ({"hparams.yaml": b"a: 1\n"}, "metrics.csv"),
    ({"metrics.csv": b"step,loss\n0,1\n"}, "hparams.yaml"),
    ({}, "events.out.tfevents.1.host"),
    ({"plots/metrics/x.tsv": b"step\tx\n0\t1\n"}, "metrics.json"),
    ({"metrics.json": b"{}"}, "plots/metrics/loss.tsv"),
    ({}, "history.csv"),
    ({"files/config.yaml": b"a: {value: 1}\n"}, "files/wandb-summary.json"),
    ({}, "dump.json"),
    ({"notes.txt": b"Epoch 1: loss=0.5\n" * 6}, "train.log"),
]


def _read_with(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "run-20240101_000000-abc"  # also a W&B run folder name
        for rel, data in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        problems = Problems()
        runs = read_runs([Path(tmp)], problems)  # must not raise
        for run in runs:
            data_file(run_view(run))  # every chart's columns encoded, as the build does


@SETTINGS
@given(layout=st.sampled_from(LAYOUTS), data=st.binary(max_size=2048))
def test_random_bytes_in_any_format_never_raise(
    layout: tuple[dict[str, bytes], str], data: bytes
) -> None:
    files, target = layout
    _read_with({**files, target: data})


@SETTINGS
@given(layout=st.sampled_from(LAYOUTS), text=st.text(max_size=512))
def test_random_text_in_any_format_never_raises(
    layout: tuple[dict[str, bytes], str], text: str
) -> None:
    files, target = layout
    _read_with({**files, target: text.encode("utf-8", "surrogatepass")})


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
RECORD = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["scalar", "list", "row", "table", "image", "bogus"]),
        "name": st.sampled_from(["a", "b.c", "</script>", ""]),
    },
    optional={
        "value": JSON,
        "values": JSON,
        "row": JSON,
        "table": JSON,
        "step": JSON,
        "path": st.text(max_size=30),
    },
)


@SETTINGS
@given(records=st.lists(RECORD, max_size=25))
def test_random_records_never_raise(records: list[dict[str, Any]]) -> None:
    # the stdlib writes NaN tokens and big integers, as a script using json.dumps would
    lines = b"\n".join(json.dumps(r).encode() for r in records)
    _read_with({"run.json": b'{"id": "r"}', "metrics.jsonl": lines})


CELL = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)


@SETTINGS
@given(
    kind=st.sampled_from([Kind.SCALAR, Kind.LIST, Kind.ROW, Kind.TABLE, Kind.MATRIX]),
    columns=st.dictionaries(st.text(max_size=6), st.lists(CELL, max_size=30), max_size=4),
)
def test_any_metric_gets_a_valid_view(kind: Kind, columns: dict[str, list[Any]]) -> None:
    n = max((len(c) for c in columns.values()), default=0)
    cols = {k: tuple(v) + (None,) * (n - len(v)) for k, v in columns.items()}
    if kind in (Kind.SCALAR, Kind.LIST):
        cols = {"value": next(iter(cols.values()), ())}
    view = metric_view(Metric("m", kind, cols, calls=max(n, 1)))
    if view.chart is not None:
        chart = {"spec": spec_for(view.chart), **view.chart.columns}
        orjson.dumps(chart, option=orjson.OPT_SERIALIZE_NUMPY)


@settings(max_examples=500, deadline=None)
@given(a=st.text(), b=st.text())
def test_slugs_are_safe_stable_and_distinct(a: str, b: str) -> None:
    s = slug(a)
    assert SLUG.fullmatch(s) and len(s) <= MAX_SLUG_CHARS + 9
    assert s.split("-")[0] not in RESERVED or len(s.split("-")) > 1
    assert s not in RESERVED and slug(a) == s
    if a != b:
        assert slug(b) != s


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(
        st.text(min_size=1, max_size=40).filter(lambda p: "/" not in p), min_size=1, max_size=4
    )
)
def test_safe_relpath_never_escapes(parts: list[str]) -> None:
    rel = safe_relpath("/".join(parts))
    for part in rel.split("/"):
        assert part not in ("", ".", "..") and not part.startswith(".")
        assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]*", part)
        assert len(part) <= 100
    assert not os.path.isabs(rel)


@given(
    values=st.lists(st.floats(allow_infinity=False, width=64), max_size=60),
    as_y=st.booleans(),
)
def test_data_file_columns_round_trip(values: list[float], as_y: bool) -> None:
    """Every plotted column decodes to what was plotted: exactly for x, and for y within
    float32's 7 significant digits unless it was kept as float64."""
    encoded = encode_column(np.array(values, dtype=np.float64), y=as_y)
    decoded = decode_column(orjson.loads(orjson.dumps(encoded)))
    assert len(decoded) == len(values)
    for got, want in zip(decoded, values, strict=True):
        if math.isnan(want):
            assert got is None
        elif "f32" in encoded:
            assert got == float(f"{np.float32(want):.7g}")
        else:
            assert got == want


@SETTINGS
@given(
    st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=1, max_size=300),
    st.booleans(),
)
def test_full_resolution_columns_round_trip_exactly(values: list[float], ints: bool) -> None:
    """Every point of a full-resolution file decodes to the very value logged (the compressed
    form included): doubles bit for bit, integers exactly."""
    col = (
        np.array([int(v) % 1000 - 500 if math.isfinite(v) else 7 for v in values])
        if ints
        else (np.array(values, dtype=np.float64))
    )
    encoded = encode_exact(col)
    decoded = decode_column(orjson.loads(orjson.dumps(encoded)))
    want = col.tolist()
    assert [None if w != w else w for w in want] == decoded


def test_full_resolution_columns_compress_float32_values() -> None:
    rng = np.random.default_rng(0)
    logged = rng.normal(size=5000).astype(np.float32).astype(np.float64)  # as most metrics are
    encoded = encode_exact(logged)
    assert "z" in encoded and len(encoded["z"]) / len(logged) < 6.0  # bytes per point
    assert decode_column(encoded) == logged.tolist()
    steps = np.cumsum(rng.integers(1, 5, size=5000))  # uneven steps: their differences
    assert (
        encode_exact(steps)["t"] == "d64" and decode_column(encode_exact(steps)) == steps.tolist()
    )


def test_data_file_column_forms() -> None:
    assert encode_column(np.arange(5.0) * 10 + 3) == {"start": 3, "step": 10, "n": 5}
    assert "i32" in encode_column(np.array([0.0, 5.0, 6.0]))
    assert "f64" in encode_column(np.array([0.0, 2.0**40, 1.0]))  # beyond int32
    assert "f64" in encode_column(np.array([0.25, 0.5, 1.0]))  # x keeps full precision
    assert "f32" in encode_column(np.array([0.25, np.nan, 1.0]), y=True)
    assert "f64" in encode_column(np.array([1.0, 1e300]), y=True)  # float32 would overflow
    assert "f64" in encode_column(np.array([1.0, 1e-300]), y=True)  # float32 would flush to 0
    labels = encode_labels(["a", "a", "b", "a"])
    assert labels == {"labels": ["a", "b", "a"], "counts": [2, 1, 1]}
    assert decode_column(labels) == ["a", "a", "b", "a"]
