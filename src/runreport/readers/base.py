"""The reader interface and the helpers every reader shares."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar, Protocol

from ..errors import Problems
from ..model import FileRef, Kind, Metric, Run, Value

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
    """One input format: recognise a run folder, then read the runs in it."""

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


def list_files(root: Path, base: Path) -> tuple[FileRef, ...]:
    """Regular files below ``root`` (not following links), sorted, relative to ``base``."""
    if not root.is_dir() or root.is_symlink():
        return ()
    refs: list[FileRef] = []
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        refs.append(
            FileRef(path=path, rel=path.relative_to(base).as_posix(), size=path.stat().st_size)
        )
    return tuple(refs)


def series(name: str, steps: Sequence[Value] | None, values: Sequence[Value]) -> Metric:
    """A scalar metric logged ``len(values)`` times (with its steps when known)."""
    columns: dict[str, tuple[Value, ...]] = {"value": tuple(values)}
    if steps is not None:
        columns = {"step": tuple(steps), **columns}
    return Metric(name, Kind.SCALAR, columns, calls=len(values))


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


def read_text(path: Path, problems: Problems, limit: int = 1 << 20) -> str | None:
    """A small text file's content (UTF-8, bad bytes replaced and reported); None on error."""
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        problems.warn(path, None, f"unreadable ({exc.strerror or exc})")
        return None
    if len(data) > limit:
        problems.warn(path, None, f"larger than {limit} bytes; only the start was read")
        data = data[:limit]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        problems.warn(path, None, "bytes that are not UTF-8 were replaced")
        return data.decode("utf-8", errors="replace")
