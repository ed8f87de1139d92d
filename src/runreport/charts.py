"""Vega-Lite chart specs: with :mod:`.chartshapes`, the only modules that build them with altair.

Each chart *shape* is built once with altair, its data given by name (``data``), and validated
against the Vega-Lite schema. Pages fill in the data as compact columns, so no user text ever
becomes a Vega-Lite field name: fields are always ``x``, ``y`` and ``series``, and metric names
appear only as axis titles and data values. The validated shapes are kept in the cache folder
(per runreport code and altair version), so a build imports altair only to make them.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

import orjson

from . import prebuilt
from .chartshapes import CHART_HEIGHT_PX, DATA_NAME, MAKERS, validated
from .files import cache_dir, code_fingerprint, read_checked, write_checked

if TYPE_CHECKING:
    from .views import ChartData

#: Series with at most this many points also get point marks (a single point stays visible).
MAX_POINTS_WITH_MARKERS = 60

#: Longest axis title drawn (longer names are cut, with an ellipsis).
MAX_TITLE_CHARS = 120
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")

#: The data of a line chart's faint lines behind, and of its lone points (see :func:`_line`).
RAW_NAME = "raw"
LONE_NAME = "lone"
#: The data of the marks at the edge of a chart for points beyond its y range ("Ignore
#: outliers"), each with ``edge`` "above" or "below".
CLIPPED_NAME = "clipped"
#: The data of the bands beneath the lines of a chart of lines (``lo`` to ``hi`` at each x).
BAND_NAME = "band"
SHAPES: tuple[str, ...] = ("line", "line_points", "lines", "lines_points", "heatmap")
#: Shapes drawn as they are, whatever their number of points (made in :mod:`.chartshapes`):
#: scatter and parallel coordinates are an experiment page's params against its metrics.
_FIXED = ("heatmap", "distribution", "scatter", "scatter_nominal", "parallel")
SHAPES += _FIXED[1:]


def vega_lite_version() -> str:
    """The Vega-Lite version altair targets, as ``major.minor`` (for vl-convert's bundle)."""
    return str(_stored()["vega_lite"])


def _shape(name: str) -> dict[str, Any]:
    """The validated spec of one shape."""
    if name not in SHAPES:
        raise ValueError(f"unknown chart shape {name!r}; expected one of {SHAPES}")
    shape: dict[str, Any] = _stored()["shapes"][name]
    return shape


def load_shapes(*, cached: bool = True) -> None:
    """Load (or make) the shapes now: before worker processes start, each of which would
    otherwise make them too on a first build. Not ``cached`` (``--no-cache``), they are made
    afresh with altair, and nothing is read from the cache folder."""
    if _loaded and (cached or _loaded[1]):
        return
    _loaded[:] = [_read_or_make(cached), not cached]
    chart_spec.cache_clear()


#: The shapes this process uses, once loaded, and whether they were made here rather than
#: read from the cache folder (see :func:`load_shapes`).
_loaded: list[Any] = []


def _stored() -> dict[str, Any]:
    if not _loaded:
        load_shapes()
    shapes: dict[str, Any] = _loaded[0]
    return shapes


def _read_or_make(cached: bool) -> dict[str, Any]:
    """Every shape and the Vega-Lite version: shipped with runreport when made from this
    code and altair (:mod:`runreport.prebuilt`), else read from the cache folder (when
    ``cached``), else made with altair (and kept there, best effort)."""
    shipped = prebuilt.shapes()
    if shipped is not None and set(shipped.get("shapes", ())) == set(SHAPES):
        return shipped
    path = cache_dir() / f"shapes-{code_fingerprint()[:16]}-altair{version('altair')}.json"
    try:
        stored = orjson.loads((read_checked(path) if cached else None) or b"")
        if isinstance(stored, dict) and set(stored.get("shapes", ())) == set(SHAPES):
            return stored
    except orjson.JSONDecodeError:
        pass
    made_now = made()
    write_checked(path, orjson.dumps(made_now))
    return made_now


def made() -> dict[str, Any]:
    """Every shape and the Vega-Lite version, made now with altair (validated)."""
    import altair as alt

    major, minor, *_ = alt.SCHEMA_VERSION.lstrip("v").split(".")
    return {
        "vega_lite": f"{major}.{minor}",
        "shapes": {name: MAKERS.get(name, _line)(name) for name in SHAPES},
    }


def _line(name: str) -> dict[str, Any]:
    """A line chart shape, validated: the lines of ``data`` over those of ``raw``, drawn
    faintly (the unsmoothed points when a page smooths the lines; else empty), a mark for
    each point of ``lone`` (points with no finite neighbour, which a line cannot show) and of
    ``clipped`` (points beyond the y range shown, at its edge); and, for lines, the bands of
    ``band`` beneath (empty but for groups of runs)."""
    import altair as alt

    points = name.endswith("_points")
    # aria=False: no description of each point (Vega makes none on a canvas, where pages draw,
    # and each was a formatted string that Vega interprets point by point under the CSP)
    data = alt.Data(name=DATA_NAME)  # type: ignore[no-untyped-call]
    raw = alt.Chart(alt.Data(name=RAW_NAME)).mark_line(  # type: ignore[no-untyped-call]
        invalid="break-paths-filter-domains", strokeWidth=1.2, opacity=0.3, aria=False
    )
    mark = alt.Chart(name="main").mark_line(
        invalid="break-paths-filter-domains",
        point=alt.OverlayMarkDef(filled=True, size=28) if points else False,
        strokeWidth=1.6,
        aria=False,
    )
    shared: dict[str, Any] = {
        "x": alt.X("x:Q", title="x", scale=alt.Scale(zero=False)),
        "y": alt.Y("y:Q", title="y", scale=alt.Scale(zero=False)),
    }
    if name.startswith("lines"):
        pick = alt.selection_point(fields=["series"], bind="legend", toggle="true", name="pick")
        shared["color"] = alt.Color(
            "series:N",
            title=None,
            legend=alt.Legend(orient="bottom", labelLimit=240, symbolOpacity=1),
        )
        main = mark.encode(opacity=alt.condition(pick, alt.value(1.0), alt.value(0.12))).add_params(
            pick
        )
    else:
        main = mark
    # no tooltip encoding: a page's hover (hover.js) reads the drawn data when asked; per-point
    # tooltips made the compare page of 100 runs three times slower to draw
    lone = alt.Chart(alt.Data(name=LONE_NAME)).mark_point(  # type: ignore[no-untyped-call]
        filled=True, size=30, opacity=1, aria=False
    )
    clipped = (
        alt.Chart(alt.Data(name=CLIPPED_NAME))  # type: ignore[no-untyped-call]
        .mark_point(filled=True, size=45, opacity=1, aria=False)
        .encode(
            shape=alt.Shape(
                "edge:N",
                scale=alt.Scale(domain=["above", "below"], range=["triangle-up", "triangle-down"]),
                legend=None,
            )
        )
    )
    layers = [raw, main, lone, clipped]
    if name.startswith("lines"):  # a band per line (lo to hi: groups of runs), beneath them
        band = alt.Chart(alt.Data(name=BAND_NAME)).mark_area(opacity=0.2, aria=False)  # type: ignore[no-untyped-call]
        layers.insert(0, band.encode(y=alt.Y("lo:Q", title="y"), y2="hi:Q"))
    chart = (
        alt.layer(*layers, data=data)
        .encode(**shared)
        .properties(width="container", height=CHART_HEIGHT_PX)
    )
    return validated(chart)


def _title(text: str) -> str:
    """A name fit for an axis or tooltip title: Vega compiles tooltip titles into expressions,
    where control characters and U+2028/U+2029 end a string, so they become spaces."""
    clean = _UNPRINTABLE.sub(" ", text)
    return clean if len(clean) <= MAX_TITLE_CHARS else clean[: MAX_TITLE_CHARS - 1] + "…"


class ChartSpec(dict[str, Any]):
    """A spec made by :func:`chart_spec`, pickled as the call that made it: a parse-cache entry
    holds three names per chart instead of the spec, and loading entries shares one spec among
    runs again. Copies are plain dicts."""

    __slots__ = ("made_by",)

    def __init__(self, spec: dict[str, Any], made_by: tuple[str, str, str]) -> None:
        super().__init__(spec)
        self.made_by = made_by

    def __reduce__(self) -> tuple[Any, tuple[str, str, str]]:
        return chart_spec, self.made_by

    def __copy__(self) -> dict[str, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return copy.deepcopy(dict(self), memo)


@lru_cache(maxsize=4096)
def chart_spec(shape: str, x_title: str, y_title: str) -> ChartSpec:
    """``shape`` with its axis and tooltip titles set (data still by name).

    Made once per (shape, titles) and shared by every chart that asks for it: a sweep asks for
    the same metric's spec once per run. Treat it as read-only (:func:`with_data` copies).
    """
    return ChartSpec(_titled(shape, _title(x_title), _title(y_title)), (shape, x_title, y_title))


#: What a spec template (:func:`spec_template`) holds where a chart's x and y titles go. No
#: title is either: titles have no control characters (see :func:`_title`).
X_TITLE, Y_TITLE = "\x00x", "\x00y"


@lru_cache(maxsize=64)
def spec_template(shape: str) -> dict[str, Any]:
    """``shape`` as :func:`chart_spec` makes it, with :data:`X_TITLE` and :data:`Y_TITLE` for
    titles: a page's charts share one spec per shape, and the page puts each chart's titles
    (:func:`spec_titles`) in their place (``embed`` in common.js). Treat it as read-only."""
    return _titled(shape, X_TITLE, Y_TITLE)


def spec_titles(chart: ChartData) -> tuple[str, str]:
    """The x and y titles a chart's spec template is filled with (as :func:`chart_spec`
    sets them)."""
    return _title(chart.x_title), _title(chart.y_title)


def _titled(shape: str, x_title: str, y_title: str) -> dict[str, Any]:
    spec: dict[str, Any] = copy.deepcopy(_shape(shape))
    if shape == "distribution":  # x is the step above, the value (named y_title) below
        over_steps, at_step = spec["vconcat"]
        for layer in over_steps["layer"]:
            _set_titles(layer["encoding"], x_title, y_title)
        at_step["layer"][0]["encoding"]["x"]["title"] = y_title
    else:
        for part in (spec, *spec.get("layer", ())):
            _set_titles(part.get("encoding", {}), x_title, y_title)
    return spec


def _set_titles(enc: dict[str, Any], x_title: str, y_title: str) -> None:
    """The x and y titles of an encoding, its tooltips' included."""
    for axis, title in (("x", x_title), ("y", y_title)):
        if "title" in enc.get(axis, {}):
            enc[axis]["title"] = title
    for tip in enc.get("tooltip", ()):
        if tip["field"] == "x":
            tip["title"] = x_title
        elif tip["field"] == "y" and tip.get("title") == "y":
            tip["title"] = y_title


def shape_for(shape: str, points: int) -> str:
    """The name in :data:`SHAPES` of a display's ``shape`` (see
    :class:`runreport.rules.DisplayKind`) drawn with at most ``points`` points per series:
    lines of few points get point marks too."""
    if shape in _FIXED:
        return shape
    return f"{shape}_points" if points <= MAX_POINTS_WITH_MARKERS else shape


def spec_for(chart: ChartData) -> ChartSpec:
    """The Vega-Lite spec of a metric's chart (data still by name)."""
    return chart_spec(spec_shape(chart), chart.x_title, chart.y_title)


def spec_shape(chart: ChartData) -> str:
    """The name of the shape a metric's chart is drawn with (see :func:`spec_template`)."""
    return shape_for(chart.shape, chart.per_series)


def with_data(spec: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """``spec`` with inline rows under its data name (for exports and notebooks, not pages)."""
    full = copy.deepcopy(spec)
    full["datasets"] = {DATA_NAME: rows}
    for layer in full.get("layer", ()):
        if layer.get("data", {}).get("name") in (RAW_NAME, LONE_NAME, CLIPPED_NAME, BAND_NAME):
            full["datasets"][layer["data"]["name"]] = []
    return full
