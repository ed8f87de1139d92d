"""How a logged value is shown: the chart-format rules, pure and table-driven.

The README's rules table is :func:`rules_markdown` verbatim (a test checks it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from .model import Column, Kind, Metric, Status


class Display(StrEnum):
    """What the site shows for a logged value (each described once in :data:`KINDS`)."""

    SUMMARY = "summary value"
    LINE = "single-variable line chart"
    XY = "two-variable line chart"
    MULTI = "multi-line chart"
    TABLE = "table"
    HEATMAP = "heatmap"
    DISTRIBUTION = "distribution chart"
    TEXT = "text"
    MARKDOWN = "text as Markdown"
    IMAGE = "image"

    @property
    def kind(self) -> DisplayKind:
        """What this display is: see :class:`DisplayKind`."""
        return KINDS[self]

    @property
    def charted(self) -> bool:
        """Drawn as a chart on the run page."""
        return KINDS[self].shape is not None

    @property
    def overlaid(self) -> bool:
        """Drawn across runs: compare page, parent runs, notebooks, chart images."""
        return KINDS[self].overlaid


@dataclass(frozen=True)
class DisplayKind:
    """What a display is, said once: every layer (views, charts, pages, exports, notebooks,
    templates) asks here rather than listing displays itself. A new chart kind is a new
    :class:`Display`, its row here, its shape in :mod:`runreport.charts`, and its template
    partial."""

    #: How its values are kept: ``"series"`` (numbers summarised and plotted as lines),
    #: ``"cells"`` (a matrix of counts), ``"buckets"`` (histograms over steps), ``"rows"``
    #: (a table of text), ``""`` (nothing).
    values: str
    #: The chart shape it is drawn with (:data:`runreport.charts.SHAPES`: ``"line"``, one
    #: series; ``"lines"``, several; ``"heatmap"``; ``"distribution"``), or None when it is
    #: not a chart.
    shape: str | None = None
    #: Whether the same metric of several runs is drawn in one chart.
    overlaid: bool = False


KINDS: dict[Display, DisplayKind] = {
    Display.SUMMARY: DisplayKind("series"),
    Display.LINE: DisplayKind("series", "line", overlaid=True),
    Display.XY: DisplayKind("series", "line", overlaid=True),
    Display.MULTI: DisplayKind("series", "lines", overlaid=True),
    Display.TABLE: DisplayKind("rows"),
    Display.HEATMAP: DisplayKind("cells", "heatmap"),
    Display.DISTRIBUTION: DisplayKind("buckets", "distribution"),
    Display.TEXT: DisplayKind("rows"),
    Display.MARKDOWN: DisplayKind("rows"),
    Display.IMAGE: DisplayKind(""),
}


@dataclass(frozen=True)
class Rule:
    """One row of the rules table."""

    logged_as: str
    example: str
    shown_as: Display
    details: str


RULES: tuple[Rule, ...] = (
    Rule(
        "one numeric value (`log` once)",
        "`run.log('accuracy', 0.91)`",
        Display.SUMMARY,
        "run page summary and the run tables (last / min / max)",
    ),
    Rule(
        "a numeric value logged repeatedly under one name",
        "`run.log('Sigmoid', v)` in a loop",
        Display.LINE,
        "x = `step` when every call gave one, else the call index",
    ),
    Rule(
        "an array (`log_list`)",
        "`run.log_list('Fibonacci', [0, 1, 1, 2, 3])`",
        Display.LINE,
        "x = index in the list",
    ),
    Rule(
        "a row of 2 numeric columns logged repeatedly (`log_row`)",
        "`run.log_row('Cosine Wave', angle=a, cos=c)`",
        Display.XY,
        "x = first column, y = second",
    ),
    Rule(
        "a table with 2 numeric columns (`log_table`)",
        "`run.log_table('Sine Wave', {'angle': [...], 'sine': [...]})`",
        Display.XY,
        "x = first column, y = second",
    ),
    Rule(
        "a row or table with 1 numeric column",
        "`run.log_row('lr', value=0.1)`",
        Display.LINE,
        "x = row index",
    ),
    Rule(
        "a row or table with more than 2 numeric columns",
        "`run.log_row('pr', threshold=t, precision=p, recall=r)`",
        Display.MULTI,
        "one line per column against the first column",
    ),
    Rule(
        "a row or table with any non-numeric column",
        "`run.log_table('preds', {'label': [...], 'p': [...]})`",
        Display.TABLE,
        "an HTML table (first 1,000 rows shown, the count stated)",
    ),
    Rule(
        "a confusion matrix (Azure `schema_type: confusion_matrix`, DVCLive `confusion`)",
        "`run.log_confusion_matrix('cm', {...})`",
        Display.HEATMAP,
        "cells of actual by predicted, coloured by count, with the counts written in",
    ),
    Rule(
        "histograms over steps (TensorBoard `add_histogram`, TF2 `tf.summary.histogram`)",
        "`writer.add_histogram('weights', w, step)`",
        Display.DISTRIBUTION,
        "percentile bands over steps, as TensorBoard's Distributions tab computes them, "
        "and the histogram at a step chosen with a slider",
    ),
    Rule(
        "text (`log` of a string, once or repeatedly)",
        "`run.log('note', 'converged')`",
        Display.TEXT,
        "the text, with its step when logged repeatedly",
    ),
    Rule(
        "a text summary (TensorBoard `add_text`, TF2 `tf.summary.text`)",
        "`writer.add_text('notes', '**lr** halved', step)`",
        Display.MARKDOWN,
        "each step's text rendered as Markdown, as TensorBoard does, sanitised (no scripts, "
        "styles or images)",
    ),
    Rule(
        "an image (`log_image`)",
        "`run.log_image('food', path='bread.jpg')`",
        Display.IMAGE,
        "on the run page, and side by side across runs on the compare page",
    ),
    Rule(
        "NaN, Infinity or -Infinity inside a series",
        "`run.log('loss', float('nan'))`",
        Display.LINE,
        "a gap in the line, counted under the chart; "
        "min and max skip NaN, last is what was logged last",
    ),
)


@dataclass(frozen=True)
class Presentation:
    """How one metric is shown: the display, and which columns are x and y."""

    display: Display
    x: str | None = None  # None: the row index
    ys: tuple[str, ...] = ()


def is_numeric(cells: Column) -> bool:
    """True when every present cell is a number or boolean and at least one is present."""
    if isinstance(cells, np.ndarray):
        return cells.dtype.kind in "biuf" and len(cells) > 0
    present = False
    for c in cells:
        if c is None:
            continue
        if isinstance(c, str):
            return False
        present = True
    return present


def _is_empty(cells: Column) -> bool:
    if isinstance(cells, np.ndarray):
        return len(cells) == 0
    return all(c is None for c in cells)


def _complete(cells: Column) -> bool:
    """No missing cell (None)."""
    if isinstance(cells, np.ndarray):
        return cells.dtype.kind in "biu" or not bool(np.isnan(cells).any())
    return None not in cells


def classify(metric: Metric) -> Presentation:
    """The presentation of ``metric`` by the rules table."""
    cols = metric.columns
    if metric.kind in (Kind.SCALAR, Kind.LIST):
        values = cols.get("value", ())
        if not is_numeric(values):
            return Presentation(Display.TEXT, x="step" if "step" in cols else None, ys=("value",))
        if metric.kind is Kind.SCALAR and len(values) == 1:
            return Presentation(Display.SUMMARY, ys=("value",))
        steps = cols.get("step")
        x = "step" if steps is not None and is_numeric(steps) and _complete(steps) else None
        return Presentation(Display.LINE, x=x, ys=("value",))
    if metric.kind is Kind.IMAGE:
        return Presentation(Display.IMAGE)
    if metric.kind is Kind.MATRIX:
        return Presentation(Display.HEATMAP, x="predicted", ys=("actual",))
    if metric.kind is Kind.TEXT:
        return Presentation(Display.MARKDOWN, x="step" if "step" in cols else None, ys=("value",))
    if metric.kind is Kind.HISTOGRAM:
        return Presentation(Display.DISTRIBUTION, x="step", ys=("count",))
    present = [c for c, cells in cols.items() if not _is_empty(cells)]
    numeric = [c for c in present if is_numeric(cols[c])]
    if len(numeric) != len(present) or not numeric:
        return Presentation(Display.TABLE, ys=tuple(present))
    if len(numeric) == 1:
        return Presentation(Display.LINE, x=None, ys=(numeric[0],))
    if len(numeric) == 2:
        return Presentation(Display.XY, x=numeric[0], ys=(numeric[1],))
    return Presentation(Display.MULTI, x=numeric[0], ys=tuple(numeric[1:]))


_LOWER_IS_BETTER = frozenset(
    {"loss", "error", "err", "mse", "rmse", "mae", "mape", "perplexity", "ppl", "wer", "cer", "nll"}
)
#: Words naming a cost in time or memory: lower is better (``train_runtime``, ``epoch_time``).
_COSTS = frozenset(
    {"time", "runtime", "duration", "latency", "seconds", "secs", "ms", "memory", "mem"}
)
#: Time units that make ``X per Y`` a rate, where higher is better (``samples_per_second``).
_PER_TIME = frozenset({"second", "seconds", "sec", "s", "minute", "minutes", "hour", "hours"})
#: Words naming a rate: higher is better.
_HIGHER_IS_BETTER = frozenset({"throughput", "fps", "qps"})

#: Statuses whose runs never count as "best" unless asked (``--include-failed``): a run that
#: stopped early can look best (its loss stopped falling at a lucky point, or never rose).
LEFT_OUT_OF_BEST = frozenset({Status.FAILED, Status.CANCELED})


def goal(name: str, overrides: dict[str, str] | None = None) -> str:
    """``"min"`` or ``"max"``: which way is better for metric ``name``.

    An override wins. Otherwise a rate (``X per <time unit>``: ``samples_per_second``,
    ``tokens_per_sec``; or throughput, fps, qps) is higher-is-better; a name with a word such as
    loss, error, mse, rmse, mae, perplexity, wer or cer (also as a suffix: ``val_loss``,
    ``nll_loss``), or a cost in time or memory (time, runtime, duration, latency, seconds,
    memory; also ``time per step``) is lower-is-better; anything else higher-is-better.
    """
    if overrides and name in overrides:
        return overrides[name]
    words = [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w]
    if "per" in words:
        cut = words.index("per")
        if not _COSTS & set(words[:cut]) and _PER_TIME & set(words[cut + 1 :]):
            return "max"
    if _HIGHER_IS_BETTER & set(words):
        return "max"
    for word in words:
        if word in _LOWER_IS_BETTER or word.endswith(("loss", "error")) or word in _COSTS:
            return "min"
    return "max"


#: Name prefixes that start a section without a slash (``eval_loss``, ``val_acc``, ``test-f1``).
_SECTION_WORDS = re.compile(
    r"^(train|training|val|valid|validation|eval|evaluation|test|system|sys)[_.-](?=.)",
    re.IGNORECASE,
)


def section_of(name: str) -> str:
    """The section a metric's chart is shown in: the part of its name before the first ``/``
    (``train/loss`` and ``system/gpu/0/util``: ``train`` and ``system``, as TensorBoard and W&B
    group them), else a leading train, val, eval, test or system word followed by ``_``,
    ``.`` or ``-`` (``eval_loss``: ``eval``); ``""`` for none (``loss``, ``learning_rate``)."""
    head, slash, _ = name.partition("/")
    if slash and head.strip():
        return head
    word = _SECTION_WORDS.match(name)
    return word.group(1) if word else ""


_SPLITS = re.compile(
    r"^(train|training|val|valid|validation|eval|evaluation|test)[/_.-](?=.)", re.IGNORECASE
)


def paired_name(name: str) -> str:
    """What a metric measures apart from the data split it was measured on: ``loss`` for
    ``loss``, ``val_loss``, ``train/loss``, ``eval_loss`` and ``test.loss``; metrics with
    the same paired name are drawn together on a run's page (Keras's ``loss`` and
    ``val_loss``, Hugging Face's ``loss`` and ``eval_loss``, ``train/acc`` and ``val/acc``)."""
    split = _SPLITS.match(name)
    return name[split.end() :] if split else name


def section_order(name: str) -> tuple[bool, tuple[tuple[int, str], ...], str]:
    """Where section ``name`` comes on a page: the one of names without a section first,
    then by name, numbers by their value (``layer_2`` before ``layer_10``), case aside."""
    parts = tuple(
        (0, f"{int(p):030d}") if p.isdigit() else (1, p.lower())
        for p in re.split(r"(\d+)", name)
        if p
    )
    return (name != "", parts, name)


_HELD_OUT = re.compile(r"^(val|valid|validation|eval|evaluation|test)([/_.-]|$)", re.IGNORECASE)
_BOOKKEEPING = re.compile(
    r"(^|[/_.-])(epoch|step|global_step|lr|learning_rate|grad_norm|runtime|samples_per_second|"
    r"steps_per_second)$",
    re.IGNORECASE,
)


def key_metrics(names: Iterable[str], goals: Iterable[str] = (), n: int = 4) -> list[str]:
    """The metrics an experiment page charts across its runs, from the charted ``names``: those
    given a goal (``--goal``), else the first ``n``; in this order: measured on held-out data
    (``val_loss``, ``eval/acc``), then unsplit (``loss``), then the rest; bookkeeping
    (epoch, step, learning rate, throughput) and system metrics last; by name within each."""
    names = list(names)
    wanted = set(goals)
    chosen = [m for m in names if m in wanted]

    def rank(m: str) -> tuple[int, tuple[bool, tuple[tuple[int, str], ...], str]]:
        section = section_of(m).lower()
        if section in ("system", "sys") or _BOOKKEEPING.search(m):
            tier = 4
        elif _HELD_OUT.match(m):
            tier = 0
        elif section == "":
            tier = 1
        elif _SPLITS.match(m):
            tier = 2
        else:
            tier = 3
        return tier, section_order(m)

    return sorted(chosen, key=rank) if chosen else sorted(names, key=rank)[:n]


def counts_for_best(status: Status, include_failed: bool = False) -> bool:
    """Whether a run with ``status`` may be "best" (see :data:`LEFT_OUT_OF_BEST`)."""
    return include_failed or status not in LEFT_OUT_OF_BEST


def rules_markdown() -> str:
    """The rules as the Markdown table the README shows."""
    lines = ["| logged as | example | shown as | details |", "|---|---|---|---|"]
    for r in RULES:
        lines.append(f"| {r.logged_as} | {r.example} | {r.shown_as.value} | {r.details} |")
    return "\n".join(lines) + "\n"
