"""The reader interface and the helpers every reader shares."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar, Protocol

from ..errors import Problems
from ..model import FileRef, Run, Value

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
