"""The reader interface and the helpers every reader shares."""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, Protocol

import numpy as np
import numpy.typing as npt
import orjson
import yaml

from ..errors import Problems
from ..files import is_plain_dir as is_plain_dir
from ..files import open_regular as open_regular
from ..files import scan as scan
from ..files import walk_files as walk_files
from ..model import TIME, Column, FileRef, Kind, Metric, Run, Value

#: Largest input file read whole (bigger ones are read up to this size and reported).
MAX_FILE_BYTES = 256 << 20
#: Longest line of a line-based file that is parsed (longer lines are skipped and reported).
MAX_LINE_BYTES = 16 << 20

_NONFINITE = {
    "nan": math.nan,
    "+nan": math.nan,
    "-nan": math.nan,
    "inf": math.inf,
    "+inf": math.inf,
    "infinity": math.inf,
    "+infinity": math.inf,
    "-inf": -math.inf,
    "-infinity": -math.inf,
}


class Reader(Protocol):
    """One input format: recognise a run folder, then read the runs in it.

    A reader of stores holding many runs may also offer ``parts(path)``: the store's pieces
    that can be read on their own (each with the files outside it that its read depends on),
    giving together the runs that reading ``path`` gives, or None to read it whole. Builds
    read parts in parallel and cache them one by one (see :class:`MlflowReader`).
    """

    name: ClassVar[str]
    #: True when runs of this format nest (TensorBoard: a run folder may hold more run folders);
    #: otherwise nothing below a run folder is searched for other runs.
    nested_runs: ClassVar[bool]

    def detect(self, path: Path) -> bool:
        """True when the folder ``path`` holds a run of this format."""
        ...

    def read(self, path: Path, problems: Problems) -> Iterator[Run]:
        """The runs in ``path``; bad input goes to ``problems``, never raised."""
        ...


def nonfinite(text: str) -> float | None:
    """The float spelled ``NaN``/``Infinity``/``-inf`` (any case), or None for other text."""
    return _NONFINITE.get(text.strip().lower())


def cell(value: object) -> tuple[Value, str | None]:
    """A JSON value as a model cell, with a reason when it had to be converted."""
    if value is None or isinstance(value, (bool, int, float)):
        return value, None
    if isinstance(value, str):
        number = nonfinite(value)
        return (number if number is not None else value), None
    return str(value), f"value of type {type(value).__name__} kept as text"


def is_regular(path: Path) -> bool:
    """True for a regular file that is not a symbolic link (never a FIFO, device or socket)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except (OSError, ValueError):  # ValueError: a NUL byte in the name
        return False


def read_bytes(path: Path, problems: Problems, limit: int = MAX_FILE_BYTES) -> bytes | None:
    """A regular file's first ``limit`` bytes (more is reported, never read); None on error."""
    try:
        with open_regular(path) as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        problems.warn(path, None, f"not read ({exc.strerror or exc})")
        return None
    if len(data) > limit:
        problems.warn(path, None, f"larger than {limit:,} bytes: only the first {limit:,} read")
        data = data[:limit]
    return data


#: Largest SVG image shown on a page (inline, as a data: URI); bigger ones are only linked.
MAX_INLINE_SVG_BYTES = 2 << 20


def with_svg_data(run: Run, problems: Problems) -> Run:
    """``run`` with each SVG image's bytes read (through a descriptor) into ``Image.data``:
    pages show SVG images only from data: URIs in ``<img>``, where their scripts never run,
    because the file itself is published as text (see :func:`runreport.names.inert`)."""
    if not any(i.data is None and i.path.suffix.lower() == ".svg" for i in run.images):
        return run
    images = []
    for img in run.images:
        if img.data is None and img.path.suffix.lower() == ".svg":
            try:
                with open_regular(img.path) as fh:
                    data = fh.read(MAX_INLINE_SVG_BYTES + 1)
            except (OSError, ValueError) as exc:
                problems.warn(img.path, None, f"image not read ({exc}); not shown")
                data = None
            if data is not None and len(data) > MAX_INLINE_SVG_BYTES:
                problems.info(img.path, None, "SVG image too large to show; linked as text")
                data = None
            img = replace(img, data=data) if data is not None else img
        images.append(img)
    return replace(run, images=tuple(images))


def iter_lines(
    fh: BinaryIO, max_line: int = MAX_LINE_BYTES, chunk: int = 1 << 20
) -> Iterator[tuple[int, bytes | None, bool]]:
    """``(line number, line without its newline, ended with a newline)`` while streaming a file
    in chunks; a line longer than ``max_line`` is skipped without being held (content None)."""
    number = 0
    rest = b""
    too_long = False  # inside a line already known to be too long
    while True:
        data = fh.read(chunk)
        if not data:
            break
        lines = (rest + data).split(b"\n") if rest else data.split(b"\n")
        rest = lines.pop()
        for line in lines:
            number += 1
            if too_long or len(line) > max_line:
                too_long = False
                yield number, None, True
            else:
                yield number, line, True
        if len(rest) > max_line:
            too_long = True
            rest = b""
    if too_long:
        yield number + 1, None, False
    elif rest:
        yield number + 1, rest, False


def list_files(root: Path, base: Path) -> tuple[FileRef, ...]:
    """Regular files below ``root`` (links not followed), sorted, relative to ``base``."""
    refs: list[FileRef] = []
    for path in sorted(walk_files(root)):
        try:
            size = os.lstat(path).st_size
        except OSError:
            continue
        refs.append(FileRef(path=path, rel=path.relative_to(base).as_posix(), size=size))
    return tuple(refs)


def series(
    name: str,
    steps: Sequence[Value] | npt.NDArray[Any] | None,
    values: Sequence[Value] | npt.NDArray[Any],
) -> Metric:
    """A scalar metric logged ``len(values)`` times (with its steps when known); numpy arrays
    from a vectorised reader are kept as they are."""

    def column(cells: Sequence[Value] | npt.NDArray[Any]) -> Column:
        return cells if isinstance(cells, np.ndarray) else tuple(cells)

    columns: dict[str, Column] = {"value": column(values)}
    if steps is not None:
        columns = {"step": column(steps), **columns}
    return Metric(name, Kind.SCALAR, columns, calls=len(values))


def with_times(metric: Metric, seconds: Sequence[float | None] | npt.NDArray[Any] | None) -> Metric:
    """``metric`` (a scalar series) with each point's wall time as its :data:`TIME` column
    (pages draw it over relative or wall time, and its CSV files have it); as it is when no
    point has a time, or the times are not one per point."""
    if seconds is None or len(seconds) != metric.length or not len(seconds):
        return metric
    times = (
        np.array([np.nan if s is None else s for s in seconds], dtype=np.float64)
        if not (isinstance(seconds, np.ndarray))
        else seconds.astype(np.float64, copy=False)
    )
    if not np.isfinite(times).any():
        return metric
    return replace(metric, columns={**metric.columns, TIME: times})


def number(text: str) -> float | int | None:
    """A number written as text (``12``, ``0.5``, ``nan``, ``-inf``, ``NA`` → None)."""
    t = text.strip()
    if not t or t.upper() in ("NA", "N/A", "NONE", "NULL"):
        return None
    try:
        return int(t)
    except ValueError:
        pass
    try:
        return float(t)
    except ValueError:
        return None


def from_millis(value: object) -> datetime | None:
    """Milliseconds since the epoch as an aware UTC datetime (None when missing or invalid)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(float(str(value)) / 1000.0, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def read_json(path: Path, problems: Problems, what: str = "JSON") -> Any:
    """A JSON file's content; None when it is not a regular file or not JSON (reported as
    ``unreadable <what>``)."""
    if not is_regular(path):
        return None
    raw = read_bytes(path, problems)
    if raw is None:
        return None
    try:
        return parse_json(raw)
    except ValueError as exc:
        problems.warn(path, None, f"unreadable {what} ({exc}); skipped")
        return None


def parse_json(raw: str | bytes) -> Any:
    """JSON as producers write it: orjson's fast parse, and where orjson refuses what Python's
    ``json.dump`` writes (bare ``NaN``, ``Infinity``, ``-Infinity``; integers past 64 bits),
    :func:`loads_json`. Raises ``ValueError`` when it is not JSON either way."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return loads_json(raw)


#: Most digits of an integer read as a number (Python's own limit for ``int(text)``); longer
#: ones are kept as text, where ``int()`` would raise.
MAX_INT_DIGITS = 4300


def _int_or_text(text: str) -> int | str:
    return int(text) if len(text) <= MAX_INT_DIGITS else text


def loads_json(text: str | bytes) -> Any:
    """``json.loads`` as producers need it: bare ``NaN``/``Infinity`` read as floats,
    integers past :data:`MAX_INT_DIGITS` kept as text, and nesting too deep for the parser a
    ``ValueError`` (as is any other invalid JSON: ``json.JSONDecodeError`` is one)."""
    try:
        return json.loads(text, parse_int=_int_or_text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


#: libyaml's parser where PyYAML was built with it (about ten times faster; it refuses nesting
#: deeper than 1,000 levels with a ScannerError), else PyYAML's own.
_BASE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _SafeLoader(_BASE_LOADER):  # type: ignore[misc]
    """The safe loader, with integers past :data:`MAX_INT_DIGITS` kept as text."""


def yaml_int_or_text(loader: Any, node: Any) -> Any:
    """PyYAML's int constructor, with integers past :data:`MAX_INT_DIGITS` kept as text."""
    if len(str(node.value)) > MAX_INT_DIGITS:
        return str(node.value)
    return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)


_SafeLoader.add_constructor("tag:yaml.org,2002:int", yaml_int_or_text)
_SAFE_LOADER: Any = _SafeLoader


def load_yaml(text: str) -> Any:
    """``yaml.safe_load``, with libyaml when available; integers past :data:`MAX_INT_DIGITS`
    kept as text, and nesting too deep a ``yaml.YAMLError``."""
    try:
        return yaml.load(text, Loader=_SAFE_LOADER)  # a SafeLoader: plain data only
    except RecursionError:
        raise yaml.YAMLError("YAML nested too deeply") from None


def report_yaml_error(problems: Problems, path: Path, exc: Exception, consequence: str) -> None:
    """Report a YAML parse error at its line (PyYAML's ``problem_mark``), when it has one."""
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    problems.warn(
        path, line, f"malformed YAML ({getattr(exc, 'problem', None) or exc}); {consequence}"
    )


def read_text(path: Path, problems: Problems, limit: int = 1 << 20) -> str | None:
    """A small text file's content (UTF-8, bad bytes replaced and reported); None on error."""
    data = read_bytes(path, problems, limit)
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        problems.warn(path, None, "bytes that are not UTF-8 were replaced")
        return data.decode("utf-8", errors="replace")
