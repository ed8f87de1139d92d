"""Per-run and per-experiment views: what the pages show, computed once from the model."""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter
from typing import Any

import numpy as np

from .model import Image, Kind, Metric, Run, Status, Value, evenly
from .names import inert, safe_relpath, slug
from .rules import (
    Display,
    Presentation,
    classify,
    counts_for_best,
    goal,
    paired_name,
    section_of,
    section_order,
)
from .stats import Summary, compress_histogram, downsample, summarize, to_floats

#: Rows of a table or text metric shown on a page (the count is stated when there are more).
MAX_TABLE_ROWS = 1000

STATS = ("last", "min", "max")
#: The most metrics drawn together on one chart (see :attr:`RunView.together`).
MAX_TOGETHER = 6


@dataclass(frozen=True)
class ChartData:
    """A metric's chart as its view holds it: the shape its display is drawn with (see
    :class:`runreport.rules.DisplayKind`), the axis titles, the most points of one series
    (which decides point marks) and the plotted columns: ``x`` and ``y``, with ``series``
    (each point's line) for several lines, or ``x``, ``y`` and ``v`` (the counts) for a
    heatmap. The Vega-Lite spec is made from it by :func:`runreport.charts.spec_for`."""

    shape: str
    x_title: str
    y_title: str
    per_series: int
    columns: Mapping[str, Any]
    #: A line whose points crowd a few x values (a loss logged per batch at the epoch number)
    #: is drawn over its logging order; these are where each x value begins in it (the point's
    #: index, the value), for the page to mark them along the top, titled ``order_title``.
    order: tuple[tuple[int, float], ...] = ()
    order_title: str = ""


@dataclass(frozen=True)
class MetricView:
    """One metric of one run: its rule, exact summary and (downsampled) chart data."""

    name: str
    kind: Kind
    presentation: Presentation
    summary: Summary | None
    count: int
    nonfinite: int
    chart: ChartData | None
    plotted: int
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # table / text rows, formatted

    @cached_property
    def table_stats(self) -> tuple[float | str, ...]:
        """The experiment table's cell for this metric: each stat of :data:`STATS` as a
        number (for sorting), then as text. Made once, in the process that read the run (a
        table of ten thousand runs has a hundred thousand such cells); empty for metrics
        without a summary."""
        if self.summary is None:
            return ()
        values = [self.summary.stat(s) for s in STATS]
        return (*values, *(fmt(v) for v in values))

    @cached_property
    def index_summary(self) -> dict[str, str | int]:
        """This metric's stats as the site index gives them to the compare page (the text of
        each stat, and the count); made with :attr:`table_stats`."""
        if self.summary is None:
            return {}
        texts = self.table_stats[len(STATS) :]
        out: dict[str, str | int] = {s: str(text) for s, text in zip(STATS, texts, strict=True)}
        out["count"] = self.summary.count
        return out

    @property
    def display(self) -> Display:
        """The display the rules chose."""
        return self.presentation.display

    @cached_property
    def overlaid(self) -> bool:
        """Whether this metric is drawn across runs (it has a chart, of a display that is
        overlaid: see :class:`runreport.rules.DisplayKind`). Made once, like :attr:`pair`, in
        the process that read the run: pages listing 10,000 runs ask it of every metric."""
        return self.chart is not None and self.display.overlaid

    @cached_property
    def pair(self) -> str | None:
        """The name this metric is drawn together under (:func:`runreport.rules.paired_name`)
        when it is a line over its x (not over its logging order); else None."""
        if self.display is not Display.LINE or self.chart is None or self.chart.order:
            return None
        return paired_name(self.name)


@dataclass(frozen=True)
class RunView:
    """A run plus everything derived for its pages."""

    run: Run
    slug: str
    experiment_slug: str
    metrics: tuple[MetricView, ...]
    files: Mapping[str, str]  # run-relative path -> site path under runs/<slug>/files/
    # each image with where it is shown from (a site path under runs/, or a data: URI for an
    # SVG image, which must never be a document on the site) and the site path of its file
    # under runs/ ("" when none)
    images: tuple[tuple[Image, str, str], ...]
    embedded: Mapping[str, bytes]  # images held inside other files: site path -> bytes

    @cached_property
    def summaries(self) -> dict[str, Summary]:
        """Summaries by metric name (numeric scalars and lists only)."""
        return {m.name: m.summary for m in self.metrics if m.summary is not None}

    @property
    def chart_sections(self) -> list[tuple[str, list[MetricView]]]:
        """The charted metrics by section (:func:`runreport.rules.section_of`): those with no
        section first, then each section, by name."""
        return group_sections(m for m in self.metrics if m.display.charted)

    @cached_property
    def together(self) -> dict[str, tuple[MetricView, ...]]:
        """Line charts drawn together on one chart, by :func:`runreport.rules.paired_name`
        (``loss`` and ``val_loss``): groups of 2 to :data:`MAX_TOGETHER` metrics of one x
        title, at least one named for a split; each group's name is its members' joined by
        `` + ``, and the group is shown where its first member is. (Compare pages and the
        overlays of child runs group the same way in the browser: overlays.js.)"""
        by: dict[tuple[str, str], list[MetricView]] = {}
        for m in self.metrics:
            if m.pair is not None and m.chart is not None:
                by.setdefault((m.pair, m.chart.x_title), []).append(m)
        out: dict[str, tuple[MetricView, ...]] = {}
        for (key, _), same_x in by.items():
            if 2 <= len(same_x) <= MAX_TOGETHER and any(m.name != key for m in same_x):
                out[" + ".join(m.name for m in same_x)] = tuple(same_x)
        return out

    @cached_property
    def together_at(self) -> dict[str, tuple[str, tuple[MetricView, ...]]]:
        """Each group of :attr:`together` by its first member's name: where it is shown."""
        return {members[0].name: (name, members) for name, members in self.together.items()}

    @cached_property
    def together_members(self) -> frozenset[str]:
        """The names of the metrics drawn together (see :attr:`together`)."""
        return frozenset(m.name for members in self.together.values() for m in members)

    def image_entries(self) -> list[dict[str, str]]:
        """The run's images as the page script shows them: name, site path, description."""
        return [
            {
                "name": i.name,
                "src": src if src.startswith("data:") else f"runs/{src}",
                "description": i.description,
            }
            for i, src, _ in self.images
        ]


def group_sections(metrics: Iterable[MetricView]) -> list[tuple[str, list[MetricView]]]:
    """``metrics`` by section (see :attr:`RunView.chart_sections`), each in the order given."""
    by: dict[str, list[MetricView]] = {}
    for m in metrics:
        by.setdefault(section_of(m.name), []).append(m)
    return sorted(by.items(), key=lambda item: section_order(item[0]))


def fmt(value: Value | float) -> str:
    """A number as people read it: 4 significant digits, NaN, ∞; other values as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value) if abs(value) < 10**15 else f"{value:.4g}"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "∞" if value > 0 else "-∞"
        if value == int(value) and abs(value) < 10**15:
            return str(int(value))
        return f"{value:.4g}"
    return str(value)


def metric_view(metric: Metric) -> MetricView:
    """The view of one metric by the rules."""
    pres = classify(metric)
    cols = metric.columns
    n = metric.length
    values = pres.display.kind.values
    if values == "series":
        ys = {c: to_floats(cols[c]) for c in pres.ys}
        x = to_floats(cols[pres.x]) if pres.x else np.arange(n, dtype=np.float64)
        first = ys[pres.ys[0]]
        nonfinite = sum(int(np.count_nonzero(~np.isfinite(a))) for a in ys.values())
        summary = (
            summarize(first, x if pres.x else None)
            if metric.kind in (Kind.SCALAR, Kind.LIST)
            else None
        )
        drawable = any(bool(np.isfinite(a).any()) for a in ys.values())
        chart = _chart(metric, pres, x, ys) if pres.display.charted and drawable else None
        plotted = len(chart.columns["x"]) if chart else 0
        return MetricView(
            metric.name, metric.kind, pres, summary, n, nonfinite, chart, plotted, (), ()
        )
    if values == "cells":
        count = cols.get("count", ())
        cells = {
            "x": [str(v) for v in cols.get("predicted", ())],
            "y": [str(v) for v in cols.get("actual", ())],
            "v": [v if isinstance(v, (int, float)) and math.isfinite(v) else None for v in count],
        }
        heatmap = ChartData(pres.display.kind.shape or "", "predicted", "actual", n, cells)
        return MetricView(metric.name, metric.kind, pres, None, n, 0, heatmap, n, (), ())
    if values == "buckets":
        chart = distribution(metric, pres.display.kind.shape or "")
        plotted = len(chart.columns["x"])
        # count: the rows of its CSV (a bucket each); the chart says how many histograms
        return MetricView(metric.name, metric.kind, pres, None, n, 0, chart, plotted, (), ())
    columns = tuple(c for c in cols if c in pres.ys or c == pres.x) or tuple(cols)
    if pres.display in (Display.TEXT, Display.MARKDOWN) and pres.x:
        columns = (pres.x, *pres.ys)
    rows = tuple(tuple(fmt(cols[c][i]) for c in columns) for i in range(min(n, MAX_TABLE_ROWS)))
    return MetricView(metric.name, metric.kind, pres, None, n, 0, None, 0, columns, rows)


def _chart(
    metric: Metric, pres: Presentation, x: np.ndarray, ys: dict[str, np.ndarray]
) -> ChartData:
    shape = pres.display.kind.shape or ""
    multi = shape == "lines"
    xs: list[np.ndarray] = []
    yv: list[np.ndarray] = []
    series: list[str] = []
    per_series = 0
    order = crowded(x) if not multi and pres.x is not None else ()
    if order:
        x = np.arange(len(x), dtype=np.float64)
    for col, y in ys.items():
        keep = downsample(y)
        per_series = max(per_series, len(keep))
        xs.append(x[keep])
        yv.append(np.where(np.isfinite(y[keep]), y[keep], np.nan))  # non-finite: a gap
        if multi:
            series.extend([col] * len(keep))
    x_title = "logging order" if order else (pres.x or "index")
    y_title = (
        metric.name
        if pres.display is Display.LINE and metric.kind in (Kind.SCALAR, Kind.LIST)
        else (pres.ys[0] if not multi else metric.name)
    )
    columns: dict[str, Any] = {"x": np.concatenate(xs), "y": np.concatenate(yv)}
    if multi:
        columns["series"] = series
    return ChartData(shape, x_title, y_title, per_series, columns, order, pres.x or "")


#: A series crowds its x values when it has at least this many points, and on average this
#: many per x value.
CROWDED_POINTS = 100
CROWDED_PER_X = 4
#: The most x values marked along a crowded chart (evenly spaced beyond).
MAX_ORDER_MARKS = 500


def crowded(x: np.ndarray) -> tuple[tuple[int, float], ...]:
    """Where each x value begins in the logging order (index, value), when ``x`` is crowded:
    many points share few values (per-batch values logged at the epoch number, drawn over it
    as vertical spikes); else ``()``."""
    n = len(x)
    finite = x[np.isfinite(x)]
    if n < CROWDED_POINTS or len(np.unique(finite)) * CROWDED_PER_X > n:
        return ()
    starts = np.flatnonzero(np.concatenate(([True], x[1:] != x[:-1])))
    starts = starts[np.isfinite(x[starts])]
    picked = starts[evenly(len(starts), MAX_ORDER_MARKS)]
    return tuple((int(i), float(x[i])) for i in picked)


#: Histograms of one metric drawn bar by bar (evenly spaced, the last included); the bands
#: over steps are made from every histogram.
MAX_HISTOGRAMS_DRAWN = 200
#: The bands of a distribution chart, by the indices of their edges in
#: :data:`~runreport.stats.NORMAL_HISTOGRAM_BPS`, widest first; the median is index 4.
BANDS = (("min-max", 0, 8), ("7-93%", 1, 7), ("16-84%", 2, 6), ("31-69%", 3, 5))


def distribution(metric: Metric, shape: str) -> ChartData:
    """A histogram metric's chart: each band (``series`` its name) as ``x`` = step, ``y`` and
    ``v`` its edges, the median as ``y`` = ``v``, all from every histogram (past the point
    budget, from evenly spaced ones); then the buckets of the histograms drawn one at a time,
    ``series`` = ``@<index>:<step>``, ``x`` and ``v`` the bucket's edges, ``y`` its count."""
    cols = metric.columns
    steps = np.asarray(cols["step"])
    lefts, rights, counts = (to_floats(cols[c]) for c in ("left", "right", "count"))
    cuts = np.flatnonzero(np.diff(steps) != 0) + 1 if len(steps) else np.array([], int)
    starts = [0, *cuts.tolist()]
    ends = [*cuts.tolist(), len(steps)]
    shots = [(int(steps[a]), a, b) for a, b in zip(starts, ends, strict=True) if b > a]
    kept = evenly(len(shots), 2000)
    pct = [
        compress_histogram(lefts[a:b], rights[a:b], counts[a:b])
        for _, a, b in (shots[k] for k in kept)
    ]
    at = [float(shots[k][0]) for k in kept]
    x: list[float] = []
    y: list[float] = []
    v: list[float] = []
    series: list[str] = []
    for label, lo, hi in (*BANDS, ("median", 4, 4)):
        x += at
        y += [p[lo] for p in pct]
        v += [p[hi] for p in pct]
        series += [label] * len(pct)
    for index, k in enumerate(evenly(len(shots), MAX_HISTOGRAMS_DRAWN)):
        step, a, b = shots[k]
        x += lefts[a:b].tolist()
        y += counts[a:b].tolist()
        v += rights[a:b].tolist()
        series += [f"@{index}:{step}"] * (b - a)
    columns: dict[str, Any] = {
        "x": np.array(x, dtype=np.float64),
        "y": np.array(y, dtype=np.float64),
        "v": [None if not math.isfinite(e) else e for e in v],
        "series": series,
    }
    return ChartData(shape, "step", metric.name, len(pct), columns)


def run_view(run: Run) -> RunView:
    """The view of one run."""
    files: dict[str, str] = {}
    used: set[str] = set()
    for ref in (*run.logs, *run.outputs):
        target = inert(safe_relpath(ref.rel))
        if target.lower() in used:
            stem, dot, ext = target.rpartition(".")
            target = f"{stem}-{slug(ref.rel)}.{ext}" if dot else f"{target}-{slug(ref.rel)}"
        used.add(target.lower())
        files[ref.rel] = target
    run_slug = slug(run.id)
    images = []
    embedded: dict[str, bytes] = {}
    for i, img in enumerate(run.images):
        try:
            rel = img.path.relative_to(run.path).as_posix()
        except ValueError:
            rel = ""
        link = f"{run_slug}/files/{files[rel]}" if rel in files else ""
        if img.data is not None and img.path.suffix.lower() == ".svg":
            # shown only through <img> (where an SVG's scripts never run), from a data: URI;
            # its file is in the site as text (see names.inert)
            encoded = base64.b64encode(img.data).decode("ascii")
            images.append((img, f"data:image/svg+xml;base64,{encoded}", link))
        elif img.data is not None:
            href = f"{run_slug}/files/images/{slug(img.path.name)}-{i}.png"
            embedded[f"runs/{href}"] = img.data
            images.append((img, href, href))
        elif link and inert(rel) == rel:  # an image file that is no document
            images.append((img, link, link))
    return RunView(
        run=run,
        slug=run_slug,
        experiment_slug=slug(run.experiment),
        metrics=tuple(metric_view(m) for m in run.metrics),
        files=files,
        images=tuple(images),
        embedded=embedded,
    )


def best_by_metric(
    views: Sequence[RunView], goals: Mapping[str, str], *, include_failed: bool = False
) -> dict[str, dict[str, str]]:
    """For each metric and stat (last/min/max), the slug of the best run (Failed and Canceled
    runs left out unless ``include_failed``: see :func:`runreport.rules.counts_for_best`)."""
    best: dict[str, dict[str, str]] = {}
    by_name: dict[str, list[tuple[Summary, str]]] = {}
    for v in views:
        if not counts_for_best(v.run.status, include_failed):
            continue
        for name, summary in v.summaries.items():
            by_name.setdefault(name, []).append((summary, v.slug))
    chosen = dict(goals)
    stats = attrgetter(*STATS)
    for name in sorted(by_name):
        sign = 1.0 if goal(name, chosen) == "min" else -1.0
        entries = by_name[name]
        values = sign * np.array([stats(summary) for summary, _ in entries], dtype=np.float64)
        for k, stat in enumerate(STATS):
            column = values[:, k]
            found = ~np.isnan(column)
            if found.any():
                # ties go to the first run in slug order, whichever the direction
                tied = np.flatnonzero(found & (column == column[found].min()))
                best.setdefault(name, {})[stat] = min(entries[i][1] for i in tied)
    return best


def status_counts(runs: Sequence[Run]) -> dict[str, int]:
    """Runs per status, in a fixed order, zero counts left out."""
    counts = {s.value: 0 for s in Status}
    for r in runs:
        counts[r.status.value] += 1
    return {k: v for k, v in counts.items() if v}


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_log(text: str) -> str:
    """Log text as a terminal would have shown it: ANSI codes removed, ``\\r`` overwrites
    applied, other control characters dropped."""
    text = _ANSI.sub("", text).replace("\r\n", "\n")
    lines = [
        line.rsplit("\r", 1)[-1] if "\r" in line.rstrip("\r") else line.rstrip("\r")
        for line in text.split("\n")
    ]
    return _CONTROL.sub("", "\n".join(lines))
