"""The run model every reader produces: frozen dataclasses, no I/O."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

#: A logged cell: a number, a text, a boolean, or nothing (a row that lacked the column).
Value = float | int | str | bool | None
#: A column of cells: a tuple, or a numpy array when a reader parsed it vectorised (numbers only).
Column = tuple[Value, ...] | npt.NDArray[Any]
#: The column of a scalar metric holding each point's wall time, where its format records one:
#: seconds since the Unix epoch, NaN where a point has none.
TIME = "time"


def pylist(column: Column) -> list[Any]:
    """A column as a list of plain Python values."""
    return column.tolist() if isinstance(column, np.ndarray) else list(column)


def evenly(n: int, most: int) -> list[int]:
    """Indices of ``n`` items, at most ``most`` of them evenly spaced, first and last kept
    (which images, histograms… of a long run are shown)."""
    if n <= most:
        return list(range(n))
    if most <= 1:
        return [n - 1]
    return sorted({round(i * (n - 1) / (most - 1)) for i in range(most)})


class Kind(StrEnum):
    """How a value was logged (the left column of the chart-format rules)."""

    SCALAR = "scalar"  # run.log(name, value[, step]): once or repeatedly
    LIST = "list"  # run.log_list(name, values)
    ROW = "row"  # run.log_row(name, **columns), usually repeated
    TABLE = "table"  # run.log_table(name, {column: [values]})
    IMAGE = "image"  # run.log_image(name, path|plot)
    MATRIX = "matrix"  # a confusion matrix: columns actual, predicted, count (long form)
    TEXT = "text"  # text summaries written as Markdown (TensorBoard's text plugin): step, value
    HISTOGRAM = "histogram"  # histograms over steps: columns step, left, right, count (a
    # row per bucket, the buckets of one histogram together, histograms in logging order)


class Status(StrEnum):
    """Run status, with Azure ML's names."""

    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELED = "Canceled"
    UNKNOWN = "Unknown"

    @classmethod
    def parse(cls, text: object) -> Status | None:
        """The status named by ``text`` (case-insensitive, common synonyms), or None."""
        key = str(text).strip().lower()
        return _STATUS_SYNONYMS.get(key)


_STATUS_SYNONYMS: dict[str, Status] = {
    "running": Status.RUNNING,
    "started": Status.RUNNING,
    "queued": Status.RUNNING,
    "notstarted": Status.RUNNING,
    "completed": Status.COMPLETED,
    "finished": Status.COMPLETED,
    "success": Status.COMPLETED,
    "failed": Status.FAILED,
    "error": Status.FAILED,
    "canceled": Status.CANCELED,
    "cancelled": Status.CANCELED,
    "killed": Status.CANCELED,
}


@dataclass(frozen=True, eq=False)
class Metric:
    """Every value logged under one name, in logging order.

    ``columns`` maps a column name to its cells.  Scalars have ``value`` (and ``step`` when any
    call gave one), lists have ``value``, rows and tables have the user's columns in first-seen
    order.
    """

    name: str
    kind: Kind
    columns: Mapping[str, Column]
    calls: int = 1

    @property
    def length(self) -> int:
        """Number of points (rows) held."""
        return max((len(c) for c in self.columns.values()), default=0)


@dataclass(frozen=True)
class Image:
    """An image logged with ``log_image``."""

    name: str
    path: Path
    description: str = ""
    data: bytes | None = None  # the image itself, when it lives inside another file (TensorBoard)


@dataclass(frozen=True)
class FileRef:
    """A file of a run (a log or an output): where it is and how big."""

    path: Path
    rel: str
    size: int


@dataclass(frozen=True)
class Dataset:
    """A dataset a run used (MLflow's ``log_input``), as MLflow's run page shows it."""

    name: str
    digest: str = ""
    source: str = ""  # where it came from, as logged (a URI, a table name)
    source_type: str = ""
    context: str = ""  # what the run used it for ("training", "eval")
    columns: tuple[str, ...] = ()  # from its schema
    rows: int | None = None  # from its profile


@dataclass(frozen=True)
class LoggedModel:
    """A model a run logged (MLflow's ``log_model``): its files are among the run's outputs."""

    name: str
    id: str = ""
    flavors: tuple[str, ...] = ()  # from its ``MLmodel`` file
    files: int = 0


#: How :meth:`Run.wait_for_completion` waits: set by :mod:`runreport.readers`, which reads
#: a run again (every run read from disk came through it), so the model imports nothing above it.
_waiting: list[Callable[..., Run]] = []


def install_waiting(wait: Callable[..., Run]) -> None:
    """Make ``wait(run, show_output=..., **options)`` what :meth:`Run.wait_for_completion`
    calls (see :func:`runreport.follow.wait_for_completion`)."""
    _waiting[:] = [wait]


@dataclass(frozen=True, eq=False)
class Run:
    """One run, whatever format it was read from."""

    id: str
    name: str
    experiment: str
    status: Status
    format: str
    path: Path
    start_time: datetime | None = None
    end_time: datetime | None = None
    compute_target: str | None = None
    parent_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    properties: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    error: str | None = None
    deleted: bool = False  # deleted in the source tool (MLflow); hidden unless asked for
    metrics: tuple[Metric, ...] = ()
    images: tuple[Image, ...] = ()
    logs: tuple[FileRef, ...] = ()
    outputs: tuple[FileRef, ...] = ()
    datasets: tuple[Dataset, ...] = ()
    models: tuple[LoggedModel, ...] = ()
    #: Where the run was read from, relative to the LOGDIR given (with its name first when
    #: several were given): what pages show, the same however the LOGDIR was typed.
    source: str = ""
    #: Shown beside the name when other runs of the experiment share it (a short id, or the
    #: run's path when its id is its path); set when runs are assembled, empty otherwise.
    short_id: str = ""

    @property
    def title(self) -> str:
        """The name with the short id beside it when one is set: ``baseline · 3f2a1c7e``.
        What lists, legends and summaries show, so runs sharing a name stay apart."""
        return f"{self.name} · {self.short_id}" if self.short_id else self.name

    @property
    def duration_seconds(self) -> float | None:
        """Seconds from start to end, when both are known."""
        if self.start_time is None or self.end_time is None:
            return None
        return (self.end_time - self.start_time).total_seconds()

    def wait_for_completion(self, show_output: bool = False, **options: Any) -> Run:
        """Wait until this run (read from disk) is no longer Running, streaming its logs with
        ``show_output``, as Azure's ``Run.wait_for_completion``; returns the run as it ended
        (see :func:`runreport.follow.wait_for_completion` for the options)."""
        if not _waiting:
            raise RuntimeError("only a run read from disk (runreport.load) can be waited for")
        return _waiting[0](self, show_output=show_output, **options)

    def metric(self, name: str) -> Metric | None:
        """The metric logged under ``name`` (the first, should two share it), or None."""
        return self._by_name.get(name)

    @cached_property
    def _by_name(self) -> dict[str, Metric]:
        """The metrics by name, made once: pages look each charted metric up (2,000 of them on
        a wide run), which a scan of the list made quadratic."""
        out: dict[str, Metric] = {}
        for m in self.metrics:
            out.setdefault(m.name, m)
        return out

    def get_metrics(self) -> dict[str, Any]:
        """The metrics in the shapes Azure ML's ``Run.get_metrics()`` returns.

        A scalar logged once gives the value; logged repeatedly, a list; ``log_list`` a list;
        ``log_row`` and ``log_table`` a ``{column: [values]}`` dict; an image its file path
        (a list when logged more than once).
        """
        out: dict[str, Any] = {}
        for m in self.metrics:
            if m.kind is Kind.SCALAR:
                values = pylist(m.columns.get("value", ()))
                out[m.name] = values[0] if m.calls == 1 and len(values) == 1 else values
            elif m.kind is Kind.LIST:
                out[m.name] = pylist(m.columns.get("value", ()))
            else:
                out[m.name] = {col: pylist(cells) for col, cells in m.columns.items()}
        images: dict[str, list[str]] = {}
        for img in self.images:
            images.setdefault(img.name, []).append(str(img.path))
        for name, paths in images.items():
            out.setdefault(name, paths[0] if len(paths) == 1 else paths)
        return out
