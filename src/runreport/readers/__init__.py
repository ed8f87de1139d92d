"""Readers, one per input format, in an explicit registry, and run discovery below a path."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC
from pathlib import Path

from ..errors import Problems
from ..model import Run
from .azureml import AzureMlDumpReader
from .base import Reader, scan
from .csvlogs import KerasCsvReader, LightningCsvReader
from .dvclive import DvcLiveReader
from .huggingface import HuggingFaceReader
from .mlflow import MlflowReader, MlflowSqliteReader
from .native import NativeReader
from .plainlogs import PlainLogReader
from .tensorboard import TensorBoardReader
from .wandb import WandbReader

#: Every reader, asked in this order; the first whose ``detect`` says yes reads the folder.
READERS: tuple[Reader, ...] = (
    NativeReader(),
    MlflowReader(),
    MlflowSqliteReader(),
    HuggingFaceReader(),
    TensorBoardReader(),
    LightningCsvReader(),
    DvcLiveReader(),
    WandbReader(),
    KerasCsvReader(),
    AzureMlDumpReader(),
    PlainLogReader(),
)


def detect(path: Path) -> Reader | None:
    """The reader for the folder ``path``, or None when no format matches."""
    for reader in READERS:
        if reader.detect(path):
            return reader
    return None


def read_runs(
    paths: Iterable[Path], problems: Problems, *, include_deleted: bool = False
) -> tuple[Run, ...]:
    """Every run found below ``paths``, in a stable order (experiment, start time, id).

    Runs deleted in their source tool are left out unless ``include_deleted``.
    """
    runs: list[Run] = []
    seen: set[str] = set()
    for root in paths:
        found: list[Run] = []
        if not root.exists():
            problems.error(root, None, "no such file or folder")
            continue
        for folder, reader in _walk(root):
            for run in reader.read(folder, problems):
                if run.deleted and not include_deleted:
                    continue
                if run.id in seen:
                    problems.warn(
                        run.path, None, f"run id {run.id!r} seen twice; second copy skipped"
                    )
                    continue
                seen.add(run.id)
                found.append(run)
        runs.extend(_distinct_names(found, root))
    runs.sort(key=lambda r: (r.experiment, r.start_time is None, r.start_time or 0, r.id))
    return tuple(runs)


def _distinct_names(runs: list[Run], root: Path) -> list[Run]:
    """Runs of one experiment that share a name are named by their path below ``root``
    instead (as TensorBoard names its runs); naive times are taken as UTC."""
    counts = Counter((r.experiment, r.name) for r in runs)
    out = []
    for r in runs:
        # every time is aware (UTC when a format wrote none), so runs of any format sort together
        if r.start_time is not None and r.start_time.tzinfo is None:
            r = replace(r, start_time=r.start_time.replace(tzinfo=UTC))
        if r.end_time is not None and r.end_time.tzinfo is None:
            r = replace(r, end_time=r.end_time.replace(tzinfo=UTC))
        if counts[(r.experiment, r.name)] > 1:
            try:
                rel = r.path.relative_to(root if root.is_dir() else root.parent).as_posix()
            except ValueError:
                rel = str(r.path)
            if rel not in (".", r.name):
                r = replace(r, name=rel)
        out.append(r)
    return out


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
            if not reader.nested_runs:
                continue
        entries = scan(folder)[::-1]
        stack.extend(
            Path(e.path)
            for e in entries
            if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")
        )
