"""runreport's own format: ``run.json`` + ``metrics.jsonl`` + ``logs/`` + ``outputs/``."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import orjson
import polars as pl

from ..errors import Problems
from ..model import Image, Kind, Metric, Run, Status, Value
from .base import (
    MAX_LINE_BYTES,
    cell,
    is_regular,
    iter_lines,
    list_files,
    loads_json,
    number,
    open_regular,
    parse_json,
    read_bytes,
    with_times,
)

_KINDS = {k.value: k for k in Kind}
#: Files read by the vectorised path at most (bigger ones stream through the careful reader).
MAX_FAST_BYTES = 1 << 30
MAX_FAST_LINES = 50_000_000
#: A run.json bigger than this is not a run.json anyone wrote by hand or with the API.
MAX_RUN_JSON_BYTES = 16 << 20
_RECORD_FIELD = {Kind.LIST: "values", Kind.ROW: "row", Kind.TABLE: "table"}


class NativeReader:
    """Reads runs written by :func:`runreport.start_run`."""

    name: ClassVar[str] = "runreport"
    nested_runs: ClassVar[bool] = False

    def detect(self, path: Path) -> bool:
        """A native run folder holds ``run.json`` or ``metrics.jsonl``."""
        return is_regular(path / "run.json") or is_regular(path / "metrics.jsonl")

    def read(self, path: Path, problems: Problems) -> Iterator[Run]:
        """The one run in ``path``."""
        meta = _read_meta(path / "run.json", problems)
        metrics, images = _read_metrics(path, problems)
        status = Status.parse(meta.get("status", "")) or Status.UNKNOWN
        if meta.get("status") is not None and status is Status.UNKNOWN:
            problems.warn(path / "run.json", None, f"unknown status {meta.get('status')!r}")
        yield Run(
            id=_text(meta.get("id")) or path.name,
            name=_text(meta.get("name")) or _text(meta.get("id")) or path.name,
            experiment=_text(meta.get("experiment")) or path.parent.name,
            status=status,
            format=self.name,
            path=path,
            start_time=_time(meta.get("start_time"), path / "run.json", problems),
            end_time=_time(meta.get("end_time"), path / "run.json", problems),
            compute_target=_text(meta.get("compute_target")),
            parent_id=_text(meta.get("parent_id")),
            tags=_str_map(meta.get("tags")),
            properties=_str_map(meta.get("properties")),
            params=dict(meta["params"]) if isinstance(meta.get("params"), dict) else {},
            description=_text(meta.get("description")) or "",
            error=_text(meta.get("error")),
            metrics=metrics,
            images=images,
            logs=list_files(path / "logs", path),
            outputs=list_files(path / "outputs", path),
        )


def _read_meta(path: Path, problems: Problems) -> dict[str, Any]:
    if not is_regular(path):
        problems.warn(path, None, "missing; run read from metrics.jsonl alone")
        return {}
    data = read_bytes(path, problems, limit=MAX_RUN_JSON_BYTES)
    if data is None:
        return {}
    try:
        meta = parse_json(data)
    except ValueError as exc:
        problems.error(path, None, f"unreadable run.json ({exc}); metrics still read")
        return {}
    if not isinstance(meta, dict):
        problems.error(path, None, "run.json is not a JSON object; metrics still read")
        return {}
    version = meta.get("format", 1)
    if version != 1:
        problems.warn(path, None, f"format {version!r} is newer than this runreport reads (1)")
    return meta


#: Columns the vectorised reader takes from each line (others are ignored). Values are read as
#: numbers first (the common case, and the fastest); a file where that fails is read again with
#: values as text, to tell "NaN" and "Infinity" from text values.
_FAST_SCHEMA = {
    "kind": pl.Utf8,
    "name": pl.Utf8,
    "value": pl.Float64,
    "step": pl.Int64,
    "time": pl.Utf8,
}


def fast_scalars(file: Path) -> tuple[Metric, ...] | None:
    """A file of numeric scalars only, parsed in one vectorised pass (polars).

    None when anything needs the careful line-by-line reader: another record kind, a text,
    boolean or nested value, a missing name, a fractional step, a line that is not JSON (a
    cut-off last line included), or a link or special file.
    """
    try:
        with open_regular(file) as fh:
            if os.fstat(fh.fileno()).st_size > MAX_FAST_BYTES:
                return None
            data = fh.read()
    except OSError:
        return None
    try:
        frame = pl.read_ndjson(data, schema=_FAST_SCHEMA)
    except Exception:  # polars reports every parse problem its own way
        try:
            frame = pl.read_ndjson(data, schema={**_FAST_SCHEMA, "value": pl.Utf8})
        except Exception:  # not even that: the careful path reports where and what
            return None
    if frame.height == 0 or frame.height > MAX_FAST_LINES:
        return None
    if frame["kind"].drop_nulls().ne("scalar").any():
        return None
    if frame["name"].null_count():
        return None
    if frame["value"].null_count():
        return None  # a missing value: the careful reader says where
    if frame["value"].dtype == pl.Utf8:
        values = frame["value"].cast(pl.Float64, strict=False)
        if values.null_count():
            return None  # text (or booleans) somewhere: the careful reader decides what they are
        frame = frame.with_columns(values.alias("value"))
    if frame["time"].null_count() < frame.height:
        frame = frame.with_columns(_seconds(frame["time"]))
    metrics = []
    for part in frame.partition_by("name", maintain_order=True):
        name = part["name"][0]
        value = part["value"].to_numpy()
        columns: dict[str, Any] = {"value": value}
        if part["step"].null_count() < part.height:
            steps = part["step"]
            columns = {
                "step": steps.to_numpy()
                if not steps.null_count()
                else steps.cast(pl.Float64).to_numpy(),
                "value": value,
            }
        metric = Metric(name, Kind.SCALAR, columns, calls=part.height)
        if part["time"].dtype == pl.Float64:
            metric = with_times(metric, part["time"].to_numpy())
        metrics.append(metric)
    return tuple(metrics)


def _seconds(times: pl.Series) -> pl.Series:
    """Each line's ``time`` (ISO 8601, as :mod:`runreport.tracking` writes it, or seconds
    since the epoch) in seconds since the epoch; NaN where it is missing or neither."""
    try:  # UTC times as runreport.tracking writes them: numpy parses them in 60 % of the time
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # an offset (+01:00): numpy warns, polars reads it
            text = times.str.strip_chars_end("Z").fill_null("NaT").to_numpy()
            micros = np.array(text, dtype="datetime64[us]").astype(np.int64)
        parsed = micros / 1e6
        parsed[micros == np.iinfo(np.int64).min] = np.nan  # NaT: no time
        return pl.Series("time", parsed)
    except (ValueError, TypeError, DeprecationWarning, UserWarning):
        pass
    stamps = times.str.strptime(pl.Datetime("us", "UTC"), "%+", strict=False)
    seconds: pl.Series = stamps.dt.epoch("us").cast(pl.Float64) / 1e6
    numbers = times.cast(pl.Float64, strict=False)
    return seconds.fill_null(numbers).fill_null(float("nan")).alias("time")


def _read_metrics(path: Path, problems: Problems) -> tuple[tuple[Metric, ...], tuple[Image, ...]]:
    file = path / "metrics.jsonl"
    builders: dict[str, _MetricBuilder] = {}
    images: list[Image] = []
    if not is_regular(file):
        return (), ()
    fast = fast_scalars(file)
    if fast is not None:
        return fast, ()
    try:
        fh = open_regular(file)
    except OSError as exc:
        problems.warn(file, None, f"not read ({exc.strerror or exc})")
        return (), ()
    with fh:
        for number, raw, ended in iter_lines(fh):
            record = _record(raw, ended, file, number, problems)
            if record is not None:
                _add(record, path, file, number, builders, images, problems)
    return tuple(b.build() for b in builders.values()), tuple(images)


def _record(
    raw: bytes | None, ended: bool, file: Path, number: int, problems: Problems
) -> dict[str, Any] | None:
    if raw is None:
        problems.warn(file, number, f"line longer than {MAX_LINE_BYTES:,} bytes; skipped")
        return None
    if not raw.strip():
        return None
    return _parse_line(raw, file, number, cut_off=not ended, problems=problems)


def _add(
    record: dict[str, Any],
    path: Path,
    file: Path,
    number: int,
    builders: dict[str, _MetricBuilder],
    images: list[Image],
    problems: Problems,
) -> None:
    name = record.get("name")
    kind = _KINDS.get(str(record.get("kind", "scalar")))
    if not isinstance(name, str) or not name:
        problems.warn(file, number, 'record has no "name"; line skipped')
        return
    if kind is None:
        problems.warn(file, number, f"unknown record kind {record.get('kind')!r}; line skipped")
        return
    if kind is Kind.IMAGE:
        images.extend(_image(record, path, file, number, problems))
        return
    builder = builders.setdefault(name, _MetricBuilder(name, kind))
    if builder.kind is not kind:
        problems.warn(
            file,
            number,
            f"{name!r} was logged as {builder.kind.value}, now as {kind.value}; line skipped",
        )
        return
    reason = builder.add(record)
    if reason:
        problems.warn(file, number, reason)


def _parse_line(
    raw: bytes, file: Path, number: int, *, cut_off: bool, problems: Problems
) -> dict[str, Any] | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        problems.warn(file, number, "bytes that are not UTF-8 were replaced")
    try:
        record = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        # what Python's json writes and orjson refuses: bare NaN/Infinity, integers past 64 bits
        record = _lenient(text)
        if record is None:
            if cut_off:
                problems.info(file, number, "cut-off last line ignored (still being written?)")
            else:
                problems.warn(file, number, f"invalid JSON ({exc.msg}); line skipped")
            return None
    if not isinstance(record, dict):
        problems.warn(file, number, "record is not a JSON object; line skipped")
        return None
    return record


def _lenient(text: str) -> Any:
    """The line parsed by the stdlib (NaN tokens, big integers), or None if it is not JSON."""
    try:
        return loads_json(text)
    except ValueError:
        return None


def _image(
    record: dict[str, Any], run_dir: Path, file: Path, number: int, problems: Problems
) -> list[Image]:
    rel = record.get("path")
    if not isinstance(rel, str) or not rel:
        problems.warn(file, number, 'image record has no "path"; skipped')
        return []
    try:
        inside = (run_dir / rel).resolve().is_relative_to(run_dir.resolve())
    except (OSError, ValueError):  # a NUL byte, a link loop: not a file we will open
        inside = False
    if "\x00" in rel or not inside or not is_regular(run_dir / rel):
        problems.warn(file, number, f"image {rel!r} is not a file inside the run folder; skipped")
        return []
    return [Image(str(record["name"]), run_dir / rel, _text(record.get("description")) or "")]


class _MetricBuilder:
    """Accumulates the records of one name (mutable while reading, frozen by ``build``)."""

    def __init__(self, name: str, kind: Kind) -> None:
        self.name = name
        self.kind = kind
        self.columns: dict[str, list[Value]] = {}
        self.rows = 0
        self.calls = 0
        self.numeric: bool | None = None  # scalars: decided by the first value logged
        self.times: list[float | None] = []  # scalars: each call's time (seconds), if any

    def add(self, record: dict[str, Any]) -> str | None:
        if self.kind is Kind.SCALAR:
            if "value" not in record:
                return 'scalar record has no "value"; line skipped'
            value, reason = cell(record["value"])
            if self.numeric is None and value is not None:
                self.numeric = not isinstance(value, str)
            if self.numeric and isinstance(value, str):
                # a text in a numeric series: a gap, not a reason to show the series as text
                reason = f"{value[:40]!r} is not a number; kept as a gap in {self.name!r}"
                value = None
            self._scalar(value, record.get("step"), _stamp(record.get("time")))
            return reason
        field = _RECORD_FIELD[self.kind]
        payload = record.get(field)
        if self.kind is Kind.LIST:
            if not isinstance(payload, list):
                return f'list record has no "{field}" list; line skipped'
            return self._append_rows({"value": payload}, len(payload), columnar=True)
        if self.kind is Kind.ROW:
            if not isinstance(payload, dict):
                return f'row record has no "{field}" object; line skipped'
            return self._append_rows(payload, 1)
        if not isinstance(payload, dict) or not all(isinstance(c, list) for c in payload.values()):
            return f'table record has no "{field}" object of lists; line skipped'
        n = max((len(c) for c in payload.values()), default=0)
        return self._append_rows(payload, n, columnar=True)

    def _scalar(self, value: Value, step: Any, time: float | None) -> None:
        """The hot path: one scalar call (no per-column work)."""
        self.times.append(time)
        columns = self.columns
        if "value" not in columns:
            columns["value"] = [None] * self.rows
        if step is not None and "step" not in columns:
            columns["step"] = [None] * self.rows
        columns["value"].append(value)
        if "step" in columns:
            columns["step"].append(cell(step)[0] if not isinstance(step, int) else step)
        self.rows += 1
        self.calls += 1

    def _append_rows(self, cells: dict[str, Any], n: int, *, columnar: bool = False) -> str | None:
        reasons: set[str] = set()
        for col in cells:
            if str(col) not in self.columns:  # a column first seen now: earlier rows lack it
                self.columns[str(col)] = [None] * self.rows
        for col, column in self.columns.items():
            raw = cells.get(col)
            values = (raw if isinstance(raw, list) else []) if columnar else [raw]
            for i in range(n):
                value, reason = cell(values[i] if i < len(values) else None)
                column.append(value)
                if reason:
                    reasons.add(reason)
        self.rows += n
        self.calls += 1
        return "; ".join(sorted(reasons)) or None

    def build(self) -> Metric:
        columns = {c: tuple(v) for c, v in self.columns.items()}
        if self.kind is Kind.SCALAR and "step" in columns:
            columns = {"step": columns["step"], "value": columns["value"]}
        metric = Metric(self.name, self.kind, columns, calls=self.calls)
        return with_times(metric, self.times) if self.kind is Kind.SCALAR else metric


def _stamp(value: object) -> float | None:
    """A record's ``time`` in seconds since the epoch (see :func:`_seconds`), or None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        return None
    parsed = _iso(value)
    if parsed is None:
        got = number(value)
        return None if got is None else float(got)
    return parsed.timestamp()


def _iso(text: str) -> datetime | None:
    """An ISO 8601 time, UTC when it names no offset; None when it is not one."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _str_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def _time(value: object, where: Path, problems: Problems) -> datetime | None:
    if value is None or value == "":
        return None
    parsed = _iso(str(value))
    if parsed is None:
        problems.warn(where, None, f"time {value!r} is not ISO 8601; ignored")
    return parsed
