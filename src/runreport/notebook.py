"""Runs in a notebook: ``runreport.show`` (Azure's ``RunDetails(run).show()``) and
``wait_for_completion`` (its ``run.wait_for_completion(show_output=True)``).

Charts come from the site's chart builders and are shown as altair charts, so Jupyter,
JupyterLab and VS Code draw them with altair's active renderer.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import altair as alt

from .charts import spec_for, with_data
from .errors import Problems, RunreportError
from .export import IMAGE_WIDTH_PX, overlay
from .model import Run, Status
from .readers import read_runs, reread
from .templating import environment
from .views import MetricView, RunView, run_view

#: Charts shown at most (a notebook cell is not a report; the site shows every one).
MAX_CHARTS = 24

Target = Run | str | Path | Sequence[Run]


def with_tooltips(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` (a line chart's, with its titles) with a tooltip on each point: for notebooks,
    where no page script draws the hover of :mod:`hover.js`. A copy."""
    full = copy.deepcopy(spec)
    enc = full.get("encoding", {})
    for layer in full.get("layer", ()):
        if layer.get("name") == "main" and "x" in enc and "y" in enc:
            tips = [{"field": a, "type": "quantitative", "title": enc[a]["title"]} for a in "xy"]
            if "color" in enc:
                tips.insert(0, {"field": "series", "type": "nominal", "title": "series"})
            layer.setdefault("encoding", {})["tooltip"] = tips
    return full


def _runs(target: Target) -> list[Run]:
    """The runs ``target`` names: a run, runs, or a folder holding one run or many."""
    if isinstance(target, Run):
        return [target]
    if isinstance(target, (str, Path)):
        runs = list(read_runs([Path(target)], Problems()))
        if not runs:
            raise RunreportError(f"{target}: no runs found")
        return runs
    return list(target)


def wait_for_completion(run: Run, **options: Any) -> Run:
    """``run.wait_for_completion(**options)``: see :func:`runreport.follow.wait_for_completion`."""
    return run.wait_for_completion(**options)


def _sized(spec: dict[str, Any]) -> alt.TopLevelMixin:
    spec["width"] = IMAGE_WIDTH_PX  # a notebook output has no container to fit
    spec["autosize"] = {"type": "fit", "contains": "padding"}
    kind = (
        alt.LayerChart if "layer" in spec else alt.VConcatChart if "vconcat" in spec else alt.Chart
    )
    return kind.from_dict(spec, validate=False)


def _run_chart(m: MetricView) -> alt.TopLevelMixin:
    assert m.chart is not None
    chart = m.chart.columns
    cols = ["x", "y", "series", "v"]
    present = [c for c in cols if c in chart]
    rows = [{c: _cell(chart[c][i]) for c in present} for i in range(len(chart["x"]))]
    full = with_data(with_tooltips(spec_for(m.chart)), rows)
    full["title"] = m.name
    return _sized(full)


def _cell(value: Any) -> Any:
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and value != value else value


def charts(views: Sequence[RunView]) -> list[alt.TopLevelMixin]:
    """The charts of one run (as on its page), or of several overlaid (as on the compare
    page), at most :data:`MAX_CHARTS`."""
    if len(views) == 1:
        return [_run_chart(m) for m in views[0].metrics if m.chart is not None][:MAX_CHARTS]
    names = list(dict.fromkeys(m.name for v in views for m in v.metrics if m.chart is not None))
    out = []
    for name in names[:MAX_CHARTS]:
        spec, rows = overlay(views, name)
        if rows:
            full = with_data(with_tooltips(spec), rows)
            full["title"] = name
            out.append(_sized(full))
    return out


def summary_html(views: Sequence[RunView]) -> str:
    """The runs' status and each metric's last / min / max, as an HTML table (escaped)."""
    return environment().get_template("notebook.html").render(views=views)


def _outputs(runs: Sequence[Run]) -> list[Any]:
    from IPython.display import HTML

    views = [run_view(r) for r in runs]
    return [HTML(summary_html(views)), *charts(views)]  # type: ignore[no-untyped-call]


def show(target: Target, *, live: bool = False, interval: float = 10.0) -> None:
    """Show runs in a notebook: a summary table and the charts the site would draw.

    ``target`` is a run, runs, or a folder (one run, or an experiment's runs). With ``live``,
    the output is read again every ``interval`` seconds and updated in place until no run is
    Running any more, as Azure's ``RunDetails`` widget does.
    """
    from IPython.display import display

    runs = _runs(target)
    shown = _outputs(runs)
    handles = [display(item, display_id=True) for item in shown]  # type: ignore[no-untyped-call]
    while live and any(r.status is Status.RUNNING for r in runs):
        time.sleep(interval)
        runs = [reread(r) for r in runs]
        for i, item in enumerate(_outputs(runs)):
            if i < len(handles):
                handles[i].update(item)
            else:
                handles.append(display(item, display_id=True))  # type: ignore[no-untyped-call]
