"""Readers, one per input format, in an explicit registry, and run discovery below a path."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import Problems
from ..model import Run
from .base import Reader
from .native import NativeReader

#: Every reader, asked in this order; the first whose ``detect`` says yes reads the folder.
READERS: tuple[Reader, ...] = (NativeReader(),)


def detect(path: Path) -> Reader | None:
    """The reader for the folder ``path``, or None when no format matches."""
    for reader in READERS:
        if reader.detect(path):
            return reader
    return None


def read_runs(paths: Iterable[Path], problems: Problems) -> tuple[Run, ...]:
    """Every run found below ``paths``, in a stable order (experiment, start time, id)."""
    runs: list[Run] = []
    seen: set[str] = set()
    for root in paths:
        if not root.exists():
            problems.error(root, None, "no such file or folder")
            continue
        for folder, reader in _walk(root):
            for run in reader.read(folder, problems):
                if run.id in seen:
                    problems.warn(
                        run.path, None, f"run id {run.id!r} seen twice; second copy skipped"
                    )
                    continue
                seen.add(run.id)
                runs.append(run)
    runs.sort(key=lambda r: (r.experiment, r.start_time is None, r.start_time or 0, r.id))
    return tuple(runs)


def _walk(root: Path) -> Iterator[tuple[Path, Reader]]:
    """Run folders below ``root`` (itself included) with their reader, sorted, not following
    links and not descending into a run."""
    if root.is_file():
        root = root.parent
    stack = [root]
    while stack:
        folder = stack.pop()
        reader = detect(folder)
        if reader is not None:
            yield folder, reader
            continue
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name, reverse=True)
        except OSError:
            continue
        stack.extend(
            Path(e.path)
            for e in entries
            if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")
        )
