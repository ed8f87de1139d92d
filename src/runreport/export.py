"""Exports: full-resolution CSV per charted metric, and charts as PNG/SVG (vl-convert, offline)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
import vl_convert

from .charts import chart_spec, shape_for, with_data
from .model import Metric, Value
from .views import RunView

#: Width of exported chart images, in CSS pixels (PNG is drawn at twice that).
IMAGE_WIDTH_PX = 640
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Value) -> Value:
    # text that a spreadsheet would run as a formula is quoted with a leading apostrophe
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    if isinstance(value, float) and value != value:
        return "NaN"  # as the vectorised writer spells it
    return value


def _header(metric: Metric) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([_csv_cell(c) for c in metric.columns])
    return out.getvalue().encode("utf-8")


def _numeric(metric: Metric) -> bool:
    cols = list(metric.columns.values())
    return bool(cols) and all(
        isinstance(c, np.ndarray) and c.dtype.kind in "iuf" and len(c) == len(cols[0]) for c in cols
    )


def metric_csvs(metrics: Sequence[Metric]) -> list[bytes]:
    """:func:`metric_csv` of each metric, made in as few vectorised writes as possible: numeric
    metrics of the same column types are written as one table and cut at row boundaries (a
    run's twenty series cost one write instead of twenty)."""
    out = [b""] * len(metrics)
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, metric in enumerate(metrics):
        if _numeric(metric):
            dtypes = tuple(np.asarray(c).dtype.str for c in metric.columns.values())
            groups.setdefault(dtypes, []).append(i)
        else:
            out[i] = metric_csv(metric)
    for dtypes, members in groups.items():
        frame = pl.DataFrame(
            {
                f"c{j}": np.concatenate([list(metrics[i].columns.values())[j] for i in members])
                for j in range(len(dtypes))
            }
        )
        body = frame.write_csv(include_header=False, float_precision=None).encode("utf-8")
        # numbers only, so every row is one line: cut after each metric's last row
        ends = np.flatnonzero(np.frombuffer(body, dtype=np.uint8) == ord("\n")) + 1
        rows = np.cumsum([metrics[i].length for i in members])
        start = 0
        for i, count in zip(members, rows, strict=True):
            stop = int(ends[count - 1]) if count else 0
            out[i] = _header(metrics[i]) + body[start:stop]
            start = stop
    return out


def metric_csv(metric: Metric) -> bytes:
    """Every point of a metric as CSV (its columns as logged; NaN and infinities spelled out)."""
    if _numeric(metric):
        return metric_csvs([metric])[0]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = list(metric.columns)
    writer.writerow([_csv_cell(c) for c in columns])
    cells = [metric.columns[c] for c in columns]
    for i in range(metric.length):
        writer.writerow([_csv_cell(col[i]) if i < len(col) else None for col in cells])
    return out.getvalue().encode("utf-8")


def csv_files(view: RunView) -> dict[str, bytes]:
    """A full-resolution CSV for every charted metric of a run (whose view still holds its
    metric columns)."""
    metrics = [
        (view.csv_path(m.name), view.run.metric(m.name))
        for m in view.metrics
        if m.chart is not None
    ]
    found = [(path, metric) for path, metric in metrics if metric is not None]
    return dict(
        zip(
            (path for path, _ in found),
            metric_csvs([metric for _, metric in found]),
            strict=True,
        )
    )


def overlay(views: Iterable[RunView], metric: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The spec and rows of ``metric`` overlaid across runs (as on the compare page)."""
    rows: list[dict[str, Any]] = []
    titles = ("x", metric)
    points = 0
    for v in views:
        chart = next((m.chart for m in v.metrics if m.name == metric and m.chart), None)
        if chart is None or "v" in chart:
            continue
        enc = chart["spec"]["encoding"]
        titles = (enc["x"]["title"], enc["y"]["title"])
        points = max(points, len(chart["x"]))
        series = chart.get("series")
        xs, ys = chart["x"].tolist(), chart["y"].tolist()
        for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
            label = v.run.name if series is None else f"{v.run.name} · {series[i]}"
            rows.append({"x": x, "y": None if y != y else y, "series": label})
    return chart_spec(shape_for(points, multi=True), *titles), rows


def chart_images(views: Iterable[RunView], metric: str, title: str) -> Mapping[str, bytes]:
    """``metric`` overlaid across ``views`` as ``{"png": …, "svg": …}`` (empty if no data)."""
    spec, rows = overlay(list(views), metric)
    if not rows:
        return {}
    full = with_data(spec, rows)
    full["width"] = IMAGE_WIDTH_PX
    full["autosize"] = {"type": "fit", "contains": "padding"}
    full["title"] = title
    full.pop("params", None)  # no legend clicks in a picture
    full["encoding"].pop("opacity", None)
    return {
        "svg": vl_convert.vegalite_to_svg(full).encode("utf-8"),
        "png": bytes(vl_convert.vegalite_to_png(full, scale=2)),
    }
