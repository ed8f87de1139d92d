"""Per-run and per-experiment views: what the pages show, computed once from the model."""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from .charts import chart_spec, shape_for
from .model import Image, Kind, Metric, Run, Status, Value
from .names import inert, safe_relpath, slug
from .rules import Display, Presentation, classify, goal
from .stats import Summary, downsample, summarize, to_floats

#: Rows of a table or text metric shown on a page (the count is stated when there are more).
MAX_TABLE_ROWS = 1000

STATS = ("last", "min", "max")


@dataclass(frozen=True)
class MetricView:
    """One metric of one run: its rule, exact summary and (downsampled) chart data."""

    name: str
    kind: Kind
    presentation: Presentation
    summary: Summary | None
    count: int
    nonfinite: int
    chart: Mapping[str, Any] | None  # {"spec": ..., "x": [...], "y": [...], "series": [...]}
    plotted: int
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # table / text rows, formatted

    @cached_property
    def table_cell(self) -> tuple[str, str]:
        """The experiment table's cell for this metric, HTML-escaped, in the two parts that go
        either side of the stats the run is best in (see :func:`runreport.pages.metric_cell`):
        ``data-*`` attributes give each stat as a number, for sorting, and as text. Made once,
        in the process that read the run (a table of a thousand runs has tens of thousands of
        such cells)."""
        if self.summary is None:
            return "", ""
        # the stats are floats: their text (digits, "e", "-", "inf", "nan", "∞") needs no
        # escaping in HTML
        attrs = "".join(
            f' data-{s}="{self.summary.stat(s)}" data-{s}-text="{fmt(self.summary.stat(s))}"'
            for s in STATS
        )
        last = self.summary.last
        return (f'<td class="metric num"{attrs} data-best="', f'" data-sort="{last}">{fmt(last)}')

    @cached_property
    def index_summary(self) -> dict[str, str | int]:
        """This metric's stats as the site index gives them to the compare page (the text of
        each stat, and the count); made with :attr:`table_cell`."""
        if self.summary is None:
            return {}
        out: dict[str, str | int] = {s: fmt(self.summary.stat(s)) for s in STATS}
        out["count"] = self.summary.count
        return out

    @property
    def display(self) -> Display:
        """The display the rules chose."""
        return self.presentation.display


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

    def data(self) -> dict[str, Any]:
        """The run's data file content: chart specs and columns by metric name."""
        return {
            "slug": self.slug,
            "charts": {
                m.name: {
                    **m.chart,
                    **compact(m.chart),
                    "points": m.count,
                }
                for m in self.metrics
                if m.chart is not None
            },
            "images": self.image_entries(),
        }

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


def compact(chart: Mapping[str, Any]) -> dict[str, Any]:
    """A chart's plotted columns as they go into a data file (see :func:`encode_column`)."""
    out: dict[str, Any] = {}
    for key in ("x", "y"):
        if isinstance(chart.get(key), np.ndarray):
            out[key] = encode_column(chart[key], y=key == "y")
    series = chart.get("series")
    if series is not None:
        out["series"] = encode_labels(series)
    return out


#: Smallest magnitude float32 keeps at full precision (below it, values keep float64).
_F32_TINY = float(np.finfo(np.float32).tiny)
_F32_MAX = float(np.finfo(np.float32).max)


def _exact_ints(col: np.ndarray) -> np.ndarray | None:
    """``col`` as int64 when every value is a whole number of magnitude below 2**53 (which a
    page's numbers hold exactly); else None. Most float columns fail on their first value."""
    limit = 2**53
    if col.dtype.kind in "iu":
        if (col >= limit).any() or (col <= -limit).any():
            return None
    elif not float(col[0]).is_integer() or not (np.abs(col) < limit).all():
        return None  # a fraction, NaN, an infinity or too large
    elif not np.array_equal(col, np.round(col)):
        return None
    return col.astype(np.int64)


def encode_column(values: np.ndarray, *, y: bool = False) -> Any:
    """A numeric column in a data file's compact form, which the page's script decodes:

    - ``{"start": a, "step": d, "n": n}``: evenly spaced integers (most steps and indices);
    - ``{"i32": base64}``: other integers that fit in 32 bits, little-endian;
    - ``{"f32": base64}``: plotted values (``y``) as float32, 7 significant digits, far finer
      than a chart's pixels (summaries and full-resolution data keep full precision);
    - ``{"f64": base64}``: everything else, and values float32 would overflow or flush to zero.

    NaN marks a gap in the line. About 5.3 bytes per plotted value, against 10-20 as JSON text.
    """
    col = np.asarray(values)
    if col.dtype.kind not in "iuf":
        col = col.astype(np.float64)
    n = len(col)
    ints = _exact_ints(col) if n and not y else None
    if ints is not None:
        steps = np.diff(ints)
        if n >= 2 and (steps == steps[0]).all():
            return {"start": int(ints[0]), "step": int(steps[0]), "n": n}
        if (ints < 2**31).all() and (ints >= -(2**31)).all():
            return {"i32": base64.b64encode(ints.astype("<i4").tobytes()).decode("ascii")}
    col = col.astype(np.float64, copy=False)
    if y:
        mags = np.abs(col)
        overflow = ((mags > _F32_MAX) & (mags < np.inf)).any()
        if not overflow and not ((mags < _F32_TINY) & (mags > 0)).any():
            return {"f32": base64.b64encode(col.astype("<f4").tobytes()).decode("ascii")}
    return {"f64": base64.b64encode(col.astype("<f8").tobytes()).decode("ascii")}


def encode_labels(labels: Sequence[str]) -> dict[str, list[Any]]:
    """A per-point label column (a chart's series) as runs of equal labels:
    ``{"labels": [...], "counts": [...]}``."""
    out: dict[str, list[Any]] = {"labels": [], "counts": []}
    for label in labels:
        if out["labels"] and out["labels"][-1] == label:
            out["counts"][-1] += 1
        else:
            out["labels"].append(label)
            out["counts"].append(1)
    return out


def decode_column(value: Any) -> list[Any]:
    """The inverse of :func:`encode_column` and :func:`encode_labels` (NaN → None), as the
    page's script reads a data file; plain JSON lists come back as they are."""
    if isinstance(value, list):
        return value
    if "labels" in value:
        pairs = zip(value["labels"], value["counts"], strict=True)
        return [label for label, count in pairs for _ in range(count)]
    if "n" in value:
        return [value["start"] + i * value["step"] for i in range(value["n"])]
    kind = next(k for k in ("i32", "f32", "f64") if k in value)
    dtype = {"i32": "<i4", "f32": "<f4", "f64": "<f8"}[kind]
    arr = np.frombuffer(base64.b64decode(value[kind]), dtype=dtype)
    if kind == "i32":
        return [int(v) for v in arr]
    if kind == "f32":  # as the page shows them: 7 significant digits
        return [None if math.isnan(v) else float(f"{v:.7g}") for v in arr]
    return [None if math.isnan(v) else float(v) for v in arr]


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
    if pres.display in (Display.SUMMARY, Display.LINE, Display.XY, Display.MULTI):
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
        chart = (
            None if pres.display is Display.SUMMARY or not drawable else _chart(metric, pres, x, ys)
        )
        plotted = len(chart["x"]) if chart else 0
        return MetricView(
            metric.name, metric.kind, pres, summary, n, nonfinite, chart, plotted, (), ()
        )
    if pres.display is Display.HEATMAP:
        count = cols.get("count", ())
        chart = {
            "spec": chart_spec("heatmap", "predicted", "actual"),
            "x": [str(v) for v in cols.get("predicted", ())],
            "y": [str(v) for v in cols.get("actual", ())],
            "v": [v if isinstance(v, (int, float)) and math.isfinite(v) else None for v in count],
        }
        return MetricView(metric.name, metric.kind, pres, None, n, 0, chart, n, (), ())
    columns = tuple(c for c in cols if c in pres.ys or c == pres.x) or tuple(cols)
    if pres.display is Display.TEXT and pres.x:
        columns = (pres.x, *pres.ys)
    rows = tuple(tuple(fmt(cols[c][i]) for c in columns) for i in range(min(n, MAX_TABLE_ROWS)))
    return MetricView(metric.name, metric.kind, pres, None, n, 0, None, 0, columns, rows)


def _chart(
    metric: Metric, pres: Presentation, x: np.ndarray, ys: dict[str, np.ndarray]
) -> dict[str, Any]:
    multi = pres.display is Display.MULTI
    xs: list[np.ndarray] = []
    yv: list[np.ndarray] = []
    series: list[str] = []
    per_series = 0
    for col, y in ys.items():
        keep = downsample(y)
        per_series = max(per_series, len(keep))
        xs.append(x[keep])
        yv.append(np.where(np.isfinite(y[keep]), y[keep], np.nan))  # non-finite: a gap
        if multi:
            series.extend([col] * len(keep))
    x_title = pres.x or "index"
    y_title = (
        metric.name
        if pres.display is Display.LINE and metric.kind in (Kind.SCALAR, Kind.LIST)
        else (pres.ys[0] if not multi else metric.name)
    )
    spec = chart_spec(shape_for(per_series, multi=multi), x_title, y_title)
    chart: dict[str, Any] = {"spec": spec, "x": np.concatenate(xs), "y": np.concatenate(yv)}
    if multi:
        chart["series"] = series
    return chart


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


def best_by_metric(views: Sequence[RunView], goals: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """For each metric and stat (last/min/max), the slug of the best run."""
    best: dict[str, dict[str, str]] = {}
    by_name: dict[str, list[tuple[Summary, str]]] = {}
    for v in views:
        for name, summary in v.summaries.items():
            by_name.setdefault(name, []).append((summary, v.slug))
    chosen = dict(goals)
    for name in sorted(by_name):
        sign = 1.0 if goal(name, chosen) == "min" else -1.0
        for stat in STATS:
            candidates = [
                (sign * value, run)
                for summary, run in by_name[name]
                if not math.isnan(value := getattr(summary, stat))
            ]
            if candidates:
                # ties go to the first run in slug order, whichever the direction
                best.setdefault(name, {})[stat] = min(candidates)[1]
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
