"""Chart specs as dicts: validated shapes, fixed field names, any metric name."""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pytest

from runreport import charts
from runreport.model import Kind, Metric
from runreport.notebook import with_tooltips
from runreport.views import ChartData, metric_view

WEIRD = ["a.b", "x[0]", "train/loss", "with space", 'q"uote', "it's", "</script>", "ü.€"]


@pytest.mark.parametrize("shape", charts.SHAPES)
def test_every_shape_is_valid_vega_lite_with_data(shape: str) -> None:
    spec = charts.chart_spec(shape, "step", "a.b[0]")
    rows = [{"x": 0, "y": 1.0, "series": "r1"}, {"x": 1, "y": None, "series": "r1"}]
    alt.Chart.from_dict(charts.with_data(spec, rows), validate=True)
    assert spec["data"] == {"name": charts.DATA_NAME}
    fields, derived = _fields(spec)
    # only the fixed data fields (edge: which edge a clipped point is marked at; c: a
    # scatter's colour; lo and hi: a band's edges), and what the spec's own transforms
    # compute from them
    assert fields <= {"x", "y", "v", "c", "lo", "hi", "series", "edge", None} | derived


@pytest.mark.parametrize("shape", charts.SHAPES)
def test_a_spec_template_filled_with_a_charts_titles_is_its_spec(shape: str) -> None:
    """Pages draw a chart from its shape's template and its titles (run data files and the
    site index carry one spec per shape): filled as the page fills it, every shape with any
    titles (control characters, long names) gives the spec made for the chart."""
    from tests_helpers import filled

    template = charts.spec_template(shape)
    assert {charts.X_TITLE, charts.Y_TITLE} <= set(_strings(template))
    for x_title, y_title in [("step", "loss"), ("epoch", "a\x00b\u2028c"), ("x" * 500, WEIRD[6])]:
        chart = ChartData(shape, x_title, y_title, per_series=1000, columns={})
        spec = charts.chart_spec(shape, x_title, y_title)
        assert filled(template, list(charts.spec_titles(chart))) == spec
        assert not {charts.X_TITLE, charts.Y_TITLE} & set(_strings(spec))


def _strings(node: object) -> list[str]:
    """Every string value at any depth of ``node``."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def _fields(node: object) -> tuple[set[str | None], set[str]]:
    """Every field an encoding of ``node`` (at any depth) reads, and every field a transform
    of it makes (``as``)."""
    fields: set[str | None] = set()
    derived: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "encoding" and isinstance(value, dict):
                for ch in value.values():
                    for c in ch if isinstance(ch, list) else [ch]:
                        if isinstance(c, dict):
                            fields.add(c.get("field"))
            elif key == "as" and isinstance(value, str):
                derived.add(value)
            f, d = _fields(value)
            fields |= f
            derived |= d
    elif isinstance(node, list):
        for item in node:
            f, d = _fields(item)
            fields |= f
            derived |= d
    return fields, derived


def test_chart_spec_is_made_once_per_shape_and_titles_and_with_data_copies() -> None:
    a = charts.chart_spec("line", "step", "loss")
    assert charts.chart_spec("line", "step", "loss") is a  # a sweep's runs share it
    assert charts.chart_spec("line", "step", "acc") is not a
    full = charts.with_data(a, [{"x": 0, "y": 1.0}])
    full["encoding"]["x"]["title"] = "changed"
    assert "datasets" not in a and a["encoding"]["x"]["title"] == "step"


@pytest.mark.parametrize("shape", ["line", "line_points", "lines", "lines_points"])
def test_lines_break_at_nulls_over_a_faint_raw_line(shape: str) -> None:
    layers = charts.chart_spec(shape, "x", "y")["layer"]
    if shape.startswith("lines"):  # groups of runs: a band (lo to hi) beneath each line
        band = layers.pop(0)
        assert band["data"] == {"name": charts.BAND_NAME} and band["mark"]["type"] == "area"
        assert band["encoding"]["y"]["field"] == "lo" and band["encoding"]["y2"]["field"] == "hi"
    raw, main, lone, clipped = layers
    assert raw["data"] == {"name": charts.RAW_NAME} and raw["mark"]["opacity"] < 0.5
    assert "data" not in main  # the chart's own data
    for layer in (raw, main):
        assert layer["mark"]["invalid"] == "break-paths-filter-domains"
    # points with no finite neighbour, which no line shows, are marked from their own data
    assert lone["data"] == {"name": charts.LONE_NAME} and lone["mark"]["type"] == "point"
    # points beyond the range shown ("Ignore outliers"): a triangle at the edge they cross
    assert clipped["data"] == {"name": charts.CLIPPED_NAME}
    assert clipped["encoding"]["shape"]["scale"]["range"] == ["triangle-up", "triangle-down"]


def test_lines_shape_toggles_series_from_the_legend() -> None:
    spec = charts.chart_spec("lines", "step", "loss")
    [param] = spec["params"]
    assert param["bind"] == "legend" and param["select"]["fields"] == ["series"]
    assert param["views"] == ["main"]  # a fixed name: the same spec from any process
    main = next(layer for layer in spec["layer"] if layer.get("name") == "main")
    assert main["encoding"]["opacity"]["condition"]["param"] == param["name"]
    assert spec["encoding"]["color"]["legend"]["symbolOpacity"] == 1  # not the raw line's


@pytest.mark.parametrize("name", WEIRD)
def test_any_metric_name_charts(name: str) -> None:
    metric = Metric(name, Kind.SCALAR, {"value": (1.0, 2.0, float("nan"), 3.0)}, calls=4)
    view = metric_view(metric)
    assert view.chart is not None
    spec = charts.spec_for(view.chart)
    assert spec["encoding"]["y"]["title"] == name
    assert spec["encoding"]["y"]["field"] == "y"
    columns = view.chart.columns
    rows = [{"x": x, "y": y} for x, y in zip(columns["x"], columns["y"], strict=True)]
    assert math.isnan(rows[2]["y"])  # a gap: null in the page's data
    alt.Chart.from_dict(charts.with_data(spec, rows), validate=True)


def test_long_series_are_downsampled_but_summaries_exact() -> None:
    values = tuple(float(v) for v in np.sin(np.arange(100_000) / 50.0) * np.arange(100_000))
    view = metric_view(Metric("m", Kind.SCALAR, {"value": values}, calls=len(values)))
    assert view.chart is not None and len(view.chart.columns["x"]) <= 2002
    assert view.summary is not None
    assert view.summary.max == max(values) and view.summary.min == min(values)
    assert view.summary.count == 100_000 and view.summary.last == values[-1]
    assert max(v for v in view.chart.columns["y"] if v is not None) == max(values)


def test_vega_lite_version_matches_altair() -> None:
    assert alt.SCHEMA_VERSION.startswith(f"v{charts.vega_lite_version()}.")


@pytest.mark.parametrize("shape", ["line", "lines_points"])
def test_notebook_charts_get_tooltips_that_pages_draw_on_demand(shape: str) -> None:
    spec = charts.chart_spec(shape, "step", "loss")
    main = next(layer for layer in spec["layer"] if layer.get("name") == "main")
    assert "tooltip" not in main.get("encoding", {})  # pages: hover.js
    tipped = next(layer for layer in with_tooltips(spec)["layer"] if layer.get("name") == "main")
    titles = [t["title"] for t in tipped["encoding"]["tooltip"]]
    assert titles == (["series", "step", "loss"] if shape == "lines_points" else ["step", "loss"])
    full = charts.with_data(with_tooltips(spec), [{"x": 0, "y": 1.0, "series": "a"}])
    alt.LayerChart.from_dict(full, validate=True)


def test_points_crowding_a_few_x_values_are_drawn_in_logging_order() -> None:
    """A loss logged per batch at the epoch number (as plain logs give it): 388 points at each
    of 20 values would be drawn as vertical spikes; it is drawn over its logging order, with
    where each epoch begins, and its summaries keep the epoch."""
    steps = np.repeat(np.arange(1, 21), 388)
    values = np.linspace(2, 0.1, len(steps))
    metric = Metric("Batch loss", Kind.SCALAR, {"step": steps, "value": values}, calls=7760)
    view = metric_view(metric)
    assert view.chart is not None
    assert view.chart.x_title == "logging order" and view.chart.order_title == "step"
    assert view.chart.order == tuple((388 * k, float(k + 1)) for k in range(20))
    x = view.chart.columns["x"]  # plotted over each point's index (min and max per bucket)
    assert x[0] == 0 and x[-1] == 7759 and (np.diff(x) > 0).all() and (x == np.round(x)).all()
    assert view.summary is not None and view.summary.min_x == 20  # the step it was logged at
    # a series logging its steps once each, or a short one, is drawn over its steps
    for x in (np.arange(7760), np.repeat(np.arange(20), 4)):
        once = Metric("m", Kind.SCALAR, {"step": x, "value": np.ones(len(x))}, calls=len(x))
        chart = metric_view(once).chart
        assert chart is not None and chart.order == () and chart.x_title == "step"
