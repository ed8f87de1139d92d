"""Exports: full-resolution CSV per charted metric, and charts as PNG/SVG (vl-convert, offline)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
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


def metric_csv(metric: Metric) -> bytes:
    """Every point of a metric as CSV (its columns as logged; NaN and infinities spelled out)."""
    if metric.columns and all(isinstance(c, np.ndarray) for c in metric.columns.values()):
        # numbers only: written vectorised (polars), the header made safe as below
        frame = pl.DataFrame({f"c{i}": c for i, c in enumerate(metric.columns.values())})
        header = io.StringIO()
        csv.writer(header, lineterminator="\n").writerow([_csv_cell(c) for c in metric.columns])
        body = frame.write_csv(include_header=False, float_precision=None)
        return (header.getvalue() + body).encode("utf-8")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = list(metric.columns)
    writer.writerow([_csv_cell(c) for c in columns])
    cells = [metric.columns[c] for c in columns]
    for i in range(metric.length):
        writer.writerow([_csv_cell(col[i]) if i < len(col) else None for col in cells])
    return out.getvalue().encode("utf-8")


def csv_files(views: Iterable[RunView]) -> dict[str, bytes]:
    """A full-resolution CSV for every charted metric of every run."""
    out: dict[str, bytes] = {}
    for v in views:
        for m in v.metrics:
            if m.chart is not None:
                metric = v.run.metric(m.name)
                if metric is not None:
                    out[v.csv_path(m.name)] = metric_csv(metric)
    return out


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
