"""Runs in a notebook: ``runreport.show`` (Azure's ``RunDetails(run).show()``) and
``wait_for_completion`` (its ``run.wait_for_completion(show_output=True)``).

Charts come from the site's chart builders and are shown as altair charts, so Jupyter,
JupyterLab and VS Code draw them with altair's active renderer.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

import altair as alt

from .charts import with_data
from .errors import Problems, RunreportError
from .export import IMAGE_WIDTH_PX, overlay
from .model import Run, Status
from .pages import environment
from .readers import read_runs
from .readers.base import open_regular
from .views import MetricView, RunView, run_view

#: Charts shown at most (a notebook cell is not a report; the site shows every one).
MAX_CHARTS = 24
#: Log text streamed per file and poll at most.
MAX_LOG_CHUNK = 8 << 20

Target = Run | str | Path | Sequence[Run]


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


def _reload(runs: Sequence[Run]) -> list[Run]:
    """The same runs read again from their folders (a run read from elsewhere stays)."""
    out = []
    for run in runs:
        again = [r for r in read_runs([run.path], Problems()) if r.id == run.id]
        out.append(again[0] if again else run)
    return out


def _sized(spec: dict[str, Any]) -> alt.Chart:
    spec["width"] = IMAGE_WIDTH_PX  # a notebook output has no container to fit
    spec["autosize"] = {"type": "fit", "contains": "padding"}
    return alt.Chart.from_dict(spec, validate=False)


def _run_chart(m: MetricView) -> alt.Chart:
    assert m.chart is not None
    chart = m.chart
    cols = ["x", "y", "series", "v"]
    present = [c for c in cols if c in chart]
    rows = [{c: _cell(chart[c][i]) for c in present} for i in range(len(chart["x"]))]
    full = with_data(chart["spec"], rows)
    full["title"] = m.name
    return _sized(full)


def _cell(value: Any) -> Any:
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and value != value else value


def charts(views: Sequence[RunView]) -> list[alt.Chart]:
    """The charts of one run (as on its page), or of several overlaid (as on the compare
    page), at most :data:`MAX_CHARTS`."""
    if len(views) == 1:
        return [_run_chart(m) for m in views[0].metrics if m.chart is not None][:MAX_CHARTS]
    names = list(dict.fromkeys(m.name for v in views for m in v.metrics if m.chart is not None))
    out = []
    for name in names[:MAX_CHARTS]:
        spec, rows = overlay(views, name)
        if rows:
            full = with_data(spec, rows)
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
        runs = _reload(runs)
        for i, item in enumerate(_outputs(runs)):
            if i < len(handles):
                handles[i].update(item)
            else:
                handles.append(display(item, display_id=True))  # type: ignore[no-untyped-call]


def wait_for_completion(
    run: Run,
    *,
    show_output: bool = False,
    interval: float = 5.0,
    timeout: float | None = None,
    raise_on_error: bool = True,
    out: IO[str] | None = None,
) -> Run:
    """Wait until ``run`` (read from disk) is no longer Running and return it as it ended;
    with ``show_output``, stream its log files' new text meanwhile. Raises if it Failed (unless
    not ``raise_on_error``) or if ``timeout`` seconds pass first."""
    stream = out or sys.stdout
    offsets: dict[Path, int] = {}
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        if show_output:
            _stream_logs([ref.path for ref in run.logs], offsets, stream)
        if run.status is not Status.RUNNING:
            break
        if deadline is not None and time.monotonic() > deadline:
            raise RunreportError(f"run {run.name!r} still Running after {timeout:g} s")
        time.sleep(interval)
        run = _reload([run])[0]
    if show_output:
        _stream_logs([ref.path for ref in run.logs], offsets, stream)
    if raise_on_error and run.status is Status.FAILED:
        raise RunreportError(f"run {run.name!r} failed: {run.error or 'no error text'}")
    return run


def _stream_logs(paths: Iterable[Path], offsets: dict[Path, int], stream: IO[str]) -> None:
    """Write what each log gained since the last call (whole lines only)."""
    for path in paths:
        try:
            with open_regular(path) as fh:  # never through a link, never a FIFO
                fh.seek(offsets.get(path, 0))
                data = fh.read(MAX_LOG_CHUNK)
        except OSError:
            continue
        complete = data[: data.rfind(b"\n") + 1]
        if complete:
            offsets[path] = offsets.get(path, 0) + len(complete)
            stream.write(complete.decode("utf-8", errors="replace"))
            stream.flush()
