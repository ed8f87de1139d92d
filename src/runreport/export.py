"""Exports: every point of each charted metric (the pages make full-resolution CSV from it),
and charts as PNG/SVG (vl-convert, offline)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import vl_convert

from .charts import chart_spec, shape_for, with_data
from .encoding import encode_exact
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
        return "NaN"  # as the pages spell it
    return value


#: Integers at or beyond this magnitude do not survive a float64 (nor a page's numbers).
_EXACT_INT = 2**53


def _numbers(metric: Metric) -> list[np.ndarray] | None:
    """A metric's columns as numeric arrays of one length, when every value is an int or a
    float (NaN included) that a double holds exactly; else None."""
    cols: list[np.ndarray] = []
    for col in metric.columns.values():
        if not isinstance(col, np.ndarray):
            if not all(type(v) in (int, float) for v in col):
                return None  # text, booleans, gaps
            try:
                col = np.array(col)
            except OverflowError:
                return None
        if col.dtype.kind not in "iuf" or (cols and len(col) != len(cols[0])):
            return None
        if col.dtype.kind in "iu" and ((col >= _EXACT_INT).any() or (col <= -_EXACT_INT).any()):
            return None
        cols.append(col)
    return cols or None


def metric_csv(metric: Metric) -> bytes:
    """Every point of a metric as CSV (its columns as logged; NaN and infinities spelled out,
    text a spreadsheet would run as a formula quoted)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = list(metric.columns)
    writer.writerow([_csv_cell(c) for c in columns])
    cells = [metric.columns[c] for c in columns]
    for i in range(metric.length):
        writer.writerow([_csv_cell(_plain(col[i])) if i < len(col) else None for col in cells])
    return out.getvalue().encode("utf-8")


def _plain(value: Any) -> Value:
    return value.item() if isinstance(value, np.generic) else value  # type: ignore[no-any-return]


def full_data(view: RunView) -> dict[str, Any]:
    """Every point of each charted metric of a run (whose view still holds its metric
    columns), for the page to make a full-resolution CSV from when asked:

    - numeric metrics as ``{"columns": [names], "data": [column, ...]}``, each column in
      :func:`~runreport.encoding.encode_column`'s exact forms (integer ranges, int32, float64),
      which the page prints as the shortest text that reads back as the same number;
    - anything else (text, mixed values, integers beyond 2**53) as ``{"csv": text}``, made here.
    """
    out: dict[str, Any] = {}
    for m in view.metrics:
        metric = view.run.metric(m.name) if m.chart is not None else None
        if metric is None:
            continue
        cols = _numbers(metric)
        if cols is not None:
            out[m.name] = {
                "columns": list(metric.columns),
                "data": [encode_exact(c) for c in cols],
            }
        else:
            out[m.name] = {"csv": metric_csv(metric).decode("utf-8")}
    return out


def overlay(views: Iterable[RunView], metric: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The spec and rows of ``metric`` overlaid across runs (as on the compare page)."""
    rows: list[dict[str, Any]] = []
    titles = ("x", metric)
    points = 0
    for v in views:
        chart = next((m.chart for m in v.metrics if m.name == metric and m.overlaid), None)
        if chart is None:
            continue
        titles = (chart.x_title, chart.y_title)
        points = max(points, len(chart.columns["x"]))
        series = chart.columns.get("series")
        xs, ys = chart.columns["x"].tolist(), chart.columns["y"].tolist()
        for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
            label = v.run.title if series is None else f"{v.run.title} · {series[i]}"
            rows.append({"x": x, "y": None if y != y else y, "series": label})
    return chart_spec(shape_for("lines", points), *titles), rows


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
    for part in (full, *full.get("layer", ())):
        part.get("encoding", {}).pop("opacity", None)
    return {
        "svg": vl_convert.vegalite_to_svg(full).encode("utf-8"),
        "png": bytes(vl_convert.vegalite_to_png(full, scale=2)),
    }
