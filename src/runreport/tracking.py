"""The logging API: write runs in runreport's native format, with Azure ML v1 ``Run`` names.

A run is a folder ``LOGDIR/<experiment>/<run id>/`` holding ``run.json`` (rewritten atomically on
every change), ``metrics.jsonl`` (one JSON object per logging call, flushed per call),
``logs/`` and ``outputs/``.
"""

from __future__ import annotations

import io
import math
import os
import shutil
import sys
import threading
import traceback
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Protocol

import orjson

from .files import write_atomic
from .model import Status
from .names import slug

#: Version of the on-disk format written into every ``run.json``.
FORMAT_VERSION = 1


class _Figure(Protocol):
    def savefig(self, fname: Any, *, format: str) -> None: ...


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def encode_value(value: Any) -> Any:
    """A logged value as strict JSON: NaN and infinities become the strings ``"NaN"``,
    ``"Infinity"`` and ``"-Infinity"``; numpy scalars become Python numbers."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot log a {type(value).__name__}: log numbers, booleans or text")


class _Tee(io.TextIOBase):
    """Writes to the original stream and to a log file."""

    def __init__(self, original: IO[str], copy: IO[str]) -> None:
        self._original = original
        self._copy = copy

    def write(self, s: str) -> int:
        self._copy.write(s)
        self._copy.flush()
        return self._original.write(s)

    def flush(self) -> None:
        self._original.flush()
        self._copy.flush()


class ActiveRun:
    """A run being logged. Create it with :func:`start_run` or :meth:`child_run`."""

    def __init__(
        self,
        experiment: str,
        logdir: str | os.PathLike[str] = "runs",
        name: str | None = None,
        compute_target: str | None = None,
        tags: Mapping[str, Any] | None = None,
        parent_id: str | None = None,
        capture_output: bool = False,
    ) -> None:
        self.experiment = str(experiment)
        self.logdir = Path(logdir)
        self.id = f"{slug(self.experiment, hashed=False)}_{uuid.uuid4().hex[:12]}"
        self.name = name or self.id
        self.parent_id = parent_id
        self.compute_target = compute_target
        self.path = self.logdir / slug(self.experiment) / self.id
        (self.path / "logs").mkdir(parents=True, exist_ok=True)
        (self.path / "outputs").mkdir(exist_ok=True)
        self._lock = threading.Lock()
        self._meta: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "id": self.id,
            "name": self.name,
            "experiment": self.experiment,
            "status": Status.RUNNING.value,
            "start_time": _now(),
            "end_time": None,
            "compute_target": compute_target,
            "parent_id": parent_id,
            "tags": {str(k): "" if v is None else str(v) for k, v in (tags or {}).items()},
            "properties": {},
            "params": {},
            "description": "",
            "error": None,
        }
        self._metrics = (self.path / "metrics.jsonl").open("ab")
        self._image_count = 0
        self._restore: tuple[Any, Any] | None = None
        self._captured: list[IO[str]] = []
        self._write_meta()
        if capture_output:
            self._capture()

    # -- metrics ---------------------------------------------------------------------------
    def log(self, name: str, value: Any, step: int | None = None, description: str = "") -> None:
        """Log one value (a number, boolean or text); repeated calls make a series."""
        record: dict[str, Any] = {"kind": "scalar", "name": str(name), "value": encode_value(value)}
        if step is not None:
            record["step"] = encode_value(step)
        self._append(record)

    def log_list(self, name: str, value: Sequence[Any], description: str = "") -> None:
        """Log a list of values, charted over its index."""
        self._append(
            {"kind": "list", "name": str(name), "values": [encode_value(v) for v in value]}
        )

    def log_row(self, name: str, description: str | None = None, **kwargs: Any) -> None:
        """Log one row of named columns; repeated calls make a table."""
        row = {str(k): encode_value(v) for k, v in kwargs.items()}
        self._append({"kind": "row", "name": str(name), "row": row})

    def log_table(
        self, name: str, value: Mapping[str, Sequence[Any]], description: str = ""
    ) -> None:
        """Log a table given as ``{column: [values]}``."""
        table = {str(k): [encode_value(v) for v in col] for k, col in value.items()}
        self._append({"kind": "table", "name": str(name), "table": table})

    def log_image(
        self,
        name: str,
        path: str | os.PathLike[str] | None = None,
        plot: _Figure | None = None,
        description: str = "",
    ) -> None:
        """Log an image file, or a matplotlib figure (saved as PNG)."""
        if (path is None) == (plot is None):
            raise ValueError("log_image needs exactly one of path= or plot=")
        self._image_count += 1
        images = self.path / "outputs" / "images"
        images.mkdir(parents=True, exist_ok=True)
        if path is not None:
            suffix = Path(path).suffix.lower() or ".png"
            target = images / f"{slug(str(name))}-{self._image_count}{suffix}"
            shutil.copyfile(path, target)
        else:
            assert plot is not None
            target = images / f"{slug(str(name))}-{self._image_count}.png"
            with target.open("wb") as fh:
                plot.savefig(fh, format="png")
        rel = target.relative_to(self.path).as_posix()
        self._append({"kind": "image", "name": str(name), "path": rel, "description": description})

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Record hyper-parameters (shown side by side on the compare page)."""
        with self._lock:
            self._meta["params"].update({str(k): encode_value(v) for k, v in params.items()})
        self._write_meta()

    # -- metadata --------------------------------------------------------------------------
    def tag(self, key: str, value: Any = None) -> None:
        """Set one tag (a tag without a value is stored as an empty string)."""
        self.set_tags({key: value})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Set several tags at once."""
        with self._lock:
            self._meta["tags"].update(
                {str(k): "" if v is None else str(v) for k, v in tags.items()}
            )
        self._write_meta()

    def add_properties(self, properties: Mapping[str, Any]) -> None:
        """Add properties (immutable facts about the run, such as a data version)."""
        with self._lock:
            self._meta["properties"].update({str(k): str(v) for k, v in properties.items()})
        self._write_meta()

    def set_description(self, description: str) -> None:
        """Set the run's description, in Markdown."""
        with self._lock:
            self._meta["description"] = str(description)
        self._write_meta()

    def child_run(self, name: str | None = None) -> ActiveRun:
        """Start a child run in the same experiment and on the same compute target."""
        return ActiveRun(
            self.experiment,
            self.logdir,
            name=name,
            compute_target=self.compute_target,
            parent_id=self.id,
        )

    # -- ending ----------------------------------------------------------------------------
    def complete(self) -> None:
        """Mark the run Completed."""
        self._end(Status.COMPLETED, None)

    def fail(self, error: str | BaseException | None = None) -> None:
        """Mark the run Failed, with the error text."""
        text = None
        if isinstance(error, BaseException):
            text = "".join(traceback.format_exception_only(type(error), error)).strip()
        elif error is not None:
            text = str(error)
        self._end(Status.FAILED, text)

    def cancel(self) -> None:
        """Mark the run Canceled."""
        self._end(Status.CANCELED, None)

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.complete()
        elif isinstance(exc, KeyboardInterrupt):
            self.cancel()
        else:
            if self._captured:
                traceback.print_exception(exc_type, exc, tb, file=sys.stderr)
            self.fail(exc)

    # -- internals -------------------------------------------------------------------------
    def _append(self, record: dict[str, Any]) -> None:
        record["time"] = _now()
        line = orjson.dumps(record) + b"\n"
        with self._lock:
            self._metrics.write(line)
            self._metrics.flush()

    def _write_meta(self) -> None:
        with self._lock:
            data = orjson.dumps(self._meta, option=orjson.OPT_INDENT_2) + b"\n"
            write_atomic(self.path / "run.json", data)

    def _capture(self) -> None:
        out = (self.path / "logs" / "stdout.txt").open("a", encoding="utf-8")
        err = (self.path / "logs" / "stderr.txt").open("a", encoding="utf-8")
        self._captured = [out, err]
        self._restore = (sys.stdout, sys.stderr)
        sys.stdout = _Tee(sys.stdout, out)
        sys.stderr = _Tee(sys.stderr, err)

    def _end(self, status: Status, error: str | None) -> None:
        if self._restore is not None:
            sys.stdout, sys.stderr = self._restore
            self._restore = None
            for fh in self._captured:
                fh.close()
            self._captured = []
        with self._lock:
            if self._meta["status"] != Status.RUNNING.value:
                return
            self._meta["status"] = status.value
            self._meta["end_time"] = _now()
            self._meta["error"] = error
            self._metrics.close()
        self._write_meta()


def start_run(
    experiment: str,
    logdir: str | os.PathLike[str] = "runs",
    name: str | None = None,
    compute_target: str | None = None,
    tags: Mapping[str, Any] | None = None,
    capture_output: bool = False,
) -> ActiveRun:
    """Start a run of ``experiment`` under ``logdir`` (Azure ML's ``experiment.start_logging``)."""
    return ActiveRun(
        experiment,
        logdir,
        name=name,
        compute_target=compute_target,
        tags=tags,
        capture_output=capture_output,
    )
