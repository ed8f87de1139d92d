"""The altair makers of the chart shapes that are not lines over steps (:mod:`.charts` makes
those, and keeps every shape): heatmaps, distributions over steps, and an experiment page's
scatter and parallel coordinates of params against metrics. Data is given by name, fields are
the fixed few of :mod:`.charts`, and no user text is ever a field name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

#: Height of a chart in CSS pixels (its width follows the page).
CHART_HEIGHT_PX = 220

DATA_NAME = "data"
#: The data of parallel coordinates besides the runs' lines (``data``): the lines of runs
#: filtered out by a brush, drawn grey beneath; of ticked runs, drawn thick above; the axes
#: with their labels; and the brushes.
FADED_NAME, PICKED_NAME, AXES_NAME, BRUSH_NAME = "faded", "picked", "axes", "brush"


def validated(chart: Any) -> dict[str, Any]:
    """``chart``'s spec, validated, its width fitted to the page (no config: themes apply)."""
    spec: dict[str, Any] = chart.to_dict(validate=True)
    spec.pop("config", None)
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    return spec


def _heatmap(_name: str = "heatmap") -> dict[str, Any]:
    """Confusion-matrix cells: x = predicted, y = actual, colour and label = count (``v``)."""
    import altair as alt

    data = alt.Data(name=DATA_NAME)  # type: ignore[no-untyped-call]
    cells = (
        alt.Chart()
        .mark_rect()
        .encode(
            color=alt.Color("v:Q", title="count", scale=alt.Scale(scheme="blues")),
            tooltip=[
                alt.Tooltip("y:N", title="actual"),
                alt.Tooltip("x:N", title="predicted"),
                alt.Tooltip("v:Q", title="count"),
            ],
        )
    )
    labels = alt.Chart().mark_text(baseline="middle").encode(text=alt.Text("v:Q"))
    chart = (
        alt.layer(cells, labels, data=data)
        .encode(x=alt.X("x:N", title="x", sort=None), y=alt.Y("y:N", title="y", sort=None))
        .properties(width="container", height=CHART_HEIGHT_PX + 60)
    )
    return validated(chart)


def _distribution(_name: str = "distribution") -> dict[str, Any]:
    """Histograms over steps (see :func:`runreport.views.distribution`): above, the percentile
    bands (``y`` to ``v``, darker inside) and the median over ``x`` = step; below, the buckets
    of one histogram, chosen with a slider (``at``, from the first histogram to the last)."""
    import altair as alt

    data = alt.Data(name=DATA_NAME)  # type: ignore[no-untyped-call]
    at = alt.param(
        name="at",
        value=1,
        bind=alt.binding_range(min=0, max=1, step=0.0001, name="Histogram shown, first to last "),
    )
    is_band = "indexof(datum.series, '@') != 0"
    x = alt.X("x:Q", title="x", scale=alt.Scale(zero=False))
    bands = (
        alt.Chart()
        .mark_area(color="#4c78a8")
        .encode(
            x=x,
            y=alt.Y("y:Q", title="y", scale=alt.Scale(zero=False)),
            y2="v:Q",
            opacity=alt.Opacity(
                "series:N",
                title="percentiles",
                sort=["min-max", "7-93%", "16-84%", "31-69%"],
                scale=alt.Scale(range=[0.15, 0.3, 0.45, 0.6]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("series:N", title="percentiles"),
                alt.Tooltip("x:Q", title="x"),
                alt.Tooltip("y:Q", title="from"),
                alt.Tooltip("v:Q", title="to"),
            ],
        )
        .transform_filter(f"{is_band} && datum.series != 'median'")
    )
    median = (
        alt.Chart()
        .mark_line(color="#1f3f66", strokeWidth=1.4)
        .encode(
            x=x,
            y="y:Q",
            tooltip=[alt.Tooltip("x:Q", title="x"), alt.Tooltip("y:Q", title="median")],
        )
        .transform_filter("datum.series == 'median'")
    )
    over_steps = alt.layer(bands, median).properties(width="container", height=CHART_HEIGHT_PX)
    chosen = (
        alt.Chart()
        .transform_filter(f"!({is_band})")
        .transform_calculate(
            k="toNumber(slice(split(datum.series, ':')[0], 1))",
            step="toNumber(split(datum.series, ':')[1])",
        )
        .transform_joinaggregate(last="max(k)")
        .transform_filter("datum.k == round(at * datum.last)")
    )
    bars = chosen.mark_rect(color="#4c78a8", stroke="white", strokeWidth=0.5).encode(
        x=alt.X("x:Q", title="value", scale=alt.Scale(zero=False)),
        x2="v:Q",
        y=alt.Y("y:Q", title="count"),
        tooltip=[
            alt.Tooltip("step:Q", title="step"),
            alt.Tooltip("x:Q", title="from"),
            alt.Tooltip("v:Q", title="to"),
            alt.Tooltip("y:Q", title="count"),
        ],
    )
    label = (
        chosen.transform_aggregate(step="min(step)")
        .transform_calculate(label="'step ' + datum.step")
        .mark_text(align="left", baseline="top", x=4, y=2, fontWeight="bold")
        .encode(text=alt.Text("label:N"))
    )
    at_step = alt.layer(bars, label).properties(width="container", height=CHART_HEIGHT_PX // 2)
    chart = alt.vconcat(over_steps, at_step, data=data).add_params(at)
    return validated(chart)


def _scatter(name: str) -> dict[str, Any]:
    """A point per run (an experiment page's params against a metric, relations.js): ``x``
    against ``y``, coloured by ``c`` (a number, or a category for ``scatter_nominal``), the
    run's name (``series``) in the tooltip. The page titles the colour."""
    import altair as alt

    nominal = name == "scatter_nominal"
    data = alt.Data(name=DATA_NAME)  # type: ignore[no-untyped-call]
    colour = (
        alt.Color("c:N", title="c", legend=alt.Legend(orient="bottom", labelLimit=160))
        if nominal
        else alt.Color("c:Q", title="c", scale=alt.Scale(scheme="viridis"))
    )
    chart = (
        alt.Chart(data)
        .mark_point(filled=True, size=45, opacity=0.85)
        .encode(
            x=alt.X("x:Q", title="x", scale=alt.Scale(zero=False)),
            y=alt.Y("y:Q", title="y", scale=alt.Scale(zero=False)),
            color=colour,
            tooltip=[
                alt.Tooltip("series:N", title="run"),
                alt.Tooltip("x:Q", title="x"),
                alt.Tooltip("y:Q", title="y"),
                alt.Tooltip("c:N" if nominal else "c:Q", title="c"),
            ],
        )
        .properties(width="container", height=CHART_HEIGHT_PX + 60)
    )
    return validated(chart)


def _parallel(_name: str = "parallel") -> dict[str, Any]:
    """Parallel coordinates (parcoords.js): a vertical axis at each ``x`` = 0, 1, 2…, values
    placed on it from 0 (its least) to 1 (its most), and the runs' lines through their values
    in the order of ``v``, broken at each ``y`` null (the end of a run's line, or a value it lacks;
    ``d`` is false there),
    a line per colour ``c`` (a CSS colour: the page colours runs) so a canvas strokes a few
    paths, not a segment per run and axis. ``axes`` rows label the axes (``edge`` "name" at
    the top, else a value at ``y``, written ``series``); ``brush`` rows span ``lo`` to ``hi``
    on axis ``x``."""
    import altair as alt

    x = alt.X("x:Q", title="x", axis=None, scale=alt.Scale(zero=False, nice=False, padding=70))
    y = alt.Y("y:Q", title="y", axis=None, scale=alt.Scale(domain=[0, 1], padding=28))
    # in the order of ``v`` (the rows' order: not sorted by x), no per-point description
    line: dict[str, Any] = {"invalid": "break-paths-filter-domains", "aria": False}
    path: dict[str, Any] = {"x": x, "y": y, "order": alt.Order("v:Q")}
    colour = alt.Color("c:N", scale=None, legend=None)

    def data(name: str) -> Any:
        return alt.Data(name=name)  # type: ignore[no-untyped-call]

    faded = alt.Chart().mark_line(color="#999", opacity=0.2, strokeWidth=1, **line).encode(**path)
    # 1 px wide: Chromium rasterises these as hairlines, ten times faster than a 1.2 px stroke
    # (10,000 runs over 6 axes: 450 ms to 47 ms)
    main = alt.Chart().mark_line(opacity=0.55, strokeWidth=1, **line).encode(**path, color=colour)
    picked = alt.Chart().mark_line(opacity=1, strokeWidth=3, **line).encode(**path, color=colour)
    axes = alt.Chart(data(AXES_NAME))
    lines = (
        axes.transform_filter("datum.edge == 'name'")
        .mark_rule(color="#666")
        .encode(x=x, y=alt.Y(datum=0, axis=None), y2=alt.datum(1))
    )
    names = (
        axes.transform_filter("datum.edge == 'name'")
        .mark_text(dy=-20, fontWeight="bold", limit=130)
        .encode(x=x, y=y, text="series:N")
    )
    values = (
        axes.transform_filter("datum.edge != 'name'")
        .mark_text(align="left", dx=5, fontSize=10, limit=90)
        .encode(x=x, y=y, text="series:N")
    )
    brush = (
        alt.Chart(data(BRUSH_NAME))
        .mark_bar(size=16, opacity=0.25, stroke="#333", strokeWidth=1)
        .encode(x=x, y=alt.Y("lo:Q", title="y"), y2="hi:Q")
    )
    layers = [
        faded.properties(data=data(FADED_NAME)),
        lines,
        main.properties(data=data(DATA_NAME)),  # (a layer with no rows is left out by the page)
        picked.properties(data=data(PICKED_NAME)),
        brush,
        names,
        values,
    ]
    # ``d``: whether a point is drawn (its y is not null), read by the page (axes.js, lighten)
    # in place of a test of each point's x and y that Vega interprets (the CSP allows no eval)
    chart = alt.layer(*layers, data=data(DATA_NAME)).properties(
        width="container", height=CHART_HEIGHT_PX + 140, usermeta={"rrDefined": "d"}
    )
    return validated(chart)


MAKERS: dict[str, Callable[[str], dict[str, Any]]] = {"heatmap": _heatmap, "scatter": _scatter}
MAKERS.update(distribution=_distribution, scatter_nominal=_scatter, parallel=_parallel)
