"""Readers, one per input format, in an explicit registry, and run discovery below a path."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC
from functools import cached_property, partial
from pathlib import Path
from typing import TypeVar

from ..errors import Problems
from ..files import listing_pass
from ..follow import wait_for_completion
from ..model import Run, install_waiting
from .azureml import AzureMlDumpReader
from .base import Reader, scan
from .csvlogs import KerasCsvReader, LightningCsvReader
from .dvclive import DvcLiveReader
from .huggingface import HuggingFaceReader
from .mlflow import MlflowReader
from .mlflow_sqlite import MlflowSqliteReader
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


@dataclass(frozen=True)
class Unit:
    """One reader's read of one folder: the unit that is read (and cached) as a whole."""

    folder: Path
    reader: Reader
    root: Path  # the input path it was found below (run names are made relative to it)
    depends: tuple[Path, ...] = ()  # files outside ``folder`` its read also uses
    label: str = ""  # the input's name, put before the paths below it (see labels)

    @cached_property
    def absolute(self) -> str:
        """The folder as an absolute path (as :meth:`pathlib.Path.absolute` makes it, without
        building a ``Path``: 0.4 s of a rebuild of 10,000 units under cProfile)."""
        folder = str(self.folder)
        if os.path.isabs(folder):
            return folder
        return os.getcwd() if folder == "." else os.path.join(os.getcwd(), folder)

    @cached_property
    def _base(self) -> Path:
        return self.root if self.root.is_dir() else self.root.parent

    def shown(self, path: Path | str) -> str:
        """``path`` as pages show it: relative to the input it was found below (a run that is
        the input itself by the input's name), after the input's label; the same however the
        input was typed (``cc``, ``./cc``, ``/home/me/cc``). A path outside stays as it is."""
        rel = _below(path, self._base)
        if rel is None:
            return str(path)
        if not self.label:
            return rel
        return self.label if rel == "." else f"{self.label}/{rel}"

    def placed(self, run: Run) -> Run:
        """``run`` with its id made relative to the input when the reader made it from the
        run's path (``<path>`` or ``<path>#<key>``), the parent's likewise, and its source."""
        path = str(run.path)

        def relative(value: str | None) -> str | None:
            head, sep, tail = (value or "").partition("#")
            return f"{self.shown(run.path)}{sep}{tail}" if value and head == path else value

        return replace(
            run,
            id=relative(run.id) or run.id,
            parent_id=relative(run.parent_id),
            source=self.shown(run.path),
        )


def _below(path: Path | str, base: Path) -> str | None:
    """``path`` relative to ``base`` (as :meth:`pathlib.PurePath.relative_to` makes it), or
    None when it is not below it. Paths are compared as text when both are ``Path`` objects
    (already normalised): a build asks this of every unit (with ``relative_to``,
    :meth:`Unit.shown` took 0.4 s of a rebuild of 10,000 units under cProfile)."""
    if isinstance(path, Path):
        text, top = str(path), str(base)
        if text == top:
            return "."
        if top == "." and not path.is_absolute():
            return text
        if text.startswith(top.rstrip("/") + "/"):
            return text[len(top.rstrip("/")) + 1 :]
    try:
        return Path(path).relative_to(base).as_posix()
    except ValueError:
        return None


def labels(paths: Sequence[Path]) -> list[str]:
    """Each input's label: its folder's name (a file's, the folder holding it), a repeated name
    followed by ``-2``, ``-3``… in the order the inputs were given. Every path a page shows
    starts with it, so ids stay the same when another input is added, and a problem's path
    opens from where the build ran when the input was typed relative to it."""
    out: list[str] = []
    seen: Counter[str] = Counter()
    for path in paths:
        name = (path if path.is_dir() else path.parent).resolve().name or "root"
        seen[name] += 1
        out.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return out


def discover(paths: Iterable[Path], problems: Problems) -> list[Unit]:
    """Every folder below ``paths`` that a reader claims, in a stable order."""
    with listing_pass():  # (each folder listed once: see files.listing_pass)
        return _discover(list(paths), problems)


def _discover(roots: list[Path], problems: Problems) -> list[Unit]:
    units: list[Unit] = []
    for root, label in zip(roots, labels(roots), strict=True):
        if not root.exists():
            problems.error(root, None, "no such file or folder")
            continue
        for folder, reader in _walk(root):
            # a reader may offer a store as parts that read (and cache) independently
            split = getattr(reader, "parts", None)
            parts = split(folder) if split is not None else None
            if parts is None:
                units.append(Unit(folder, reader, root, label=label))
            else:
                units.extend(Unit(part, reader, root, depends, label) for part, depends in parts)
    return units


def read_unit_runs(unit: Unit, problems: Problems) -> Iterator[Run]:
    """The runs the unit's reader reads from its folder, placed relative to their input (see
    :meth:`Unit.placed`)."""
    for run in unit.reader.read(unit.folder, problems):
        yield unit.placed(run)


T = TypeVar("T")


def assemble(
    found: Iterable[tuple[Path, T]],
    run_of: Callable[[T], Run],
    with_run: Callable[[T, Run], T],
    problems: Problems,
    *,
    include_deleted: bool = False,
) -> list[T]:
    """Runs read from every unit (each with the root it was found below), made into one
    collection: deleted runs left out unless ``include_deleted``, a second run with the same
    id skipped, runs sharing a name in one experiment named by their path, naive times taken
    as UTC, and sorted by (experiment, start time, id).

    Generic over what carries each run (a :class:`Run`, or a view holding one), so a build
    can assemble cached views the same way :func:`read_runs` assembles runs.
    """
    seen: set[str] = set()
    by_root: dict[Path, list[T]] = {}
    for root, item in found:
        run = run_of(item)
        if run.deleted and not include_deleted:
            continue
        if run.id in seen:
            where = run.source or run.path
            problems.warn(where, None, f"run id {run.id!r} seen twice; second copy skipped")
            continue
        seen.add(run.id)
        by_root.setdefault(root, []).append(item)
    out: list[T] = []
    for root, items in by_root.items():
        renamed = _distinct_names([run_of(i) for i in items], root)
        out.extend(
            item if new is run_of(item) else with_run(item, new)
            for item, new in zip(items, renamed, strict=True)
        )
    out.sort(
        key=lambda i: (
            run_of(i).experiment,
            run_of(i).start_time is None,
            run_of(i).start_time or 0,
            run_of(i).id,
        )
    )
    return out


def read_runs(
    paths: Iterable[Path], problems: Problems, *, include_deleted: bool = False
) -> tuple[Run, ...]:
    """Every run found below ``paths``, in a stable order (experiment, start time, id).

    Runs deleted in their source tool are left out unless ``include_deleted``.
    """
    found = [
        (unit.root, run)
        for unit in discover(paths, problems)
        for run in read_unit_runs(unit, problems)
    ]
    return tuple(assemble(found, _same, _replaced, problems, include_deleted=include_deleted))


def reread(run: Run) -> Run:
    """``run`` read again from its folder (a run no longer there stays as it was)."""
    again = read_runs([run.path], Problems())
    # an id the reader made from the run's path is relative to the input, so read from the
    # run's own folder it differs: the run is then the one at the same path (and key)
    key = run.id.partition("#")[2]
    found = [r for r in again if r.id == run.id] or [
        r for r in again if r.path == run.path and r.id.partition("#")[2] == key
    ]
    if not found:
        return run
    return replace(found[0], id=run.id, parent_id=run.parent_id, source=run.source)


install_waiting(partial(wait_for_completion, reread=reread))


def _same(run: Run) -> Run:
    return run


def _replaced(_old: Run, new: Run) -> Run:
    return new


#: Longest path shown beside a name that other runs of its experiment share.
MAX_DISAMBIGUATOR_CHARS = 48
#: Characters of a tool's run id shown beside a shared name (as ``git`` shortens hashes).
SHORT_ID_CHARS = 8


def _distinct_names(runs: list[Run], root: Path) -> list[Run]:
    """Runs of one experiment that share a name are told apart, the name the user gave kept:
    a run named after its own folder is named by its path below ``root`` (as TensorBoard
    names its runs); any other gets a short id shown beside its name (:attr:`Run.short_id`):
    the tool's own id (MLflow's run id, W&B's) shortened, or the run's path when its id is
    made from it. Naive times are taken as UTC."""
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
            if rel not in (".", r.name) and (rel == r.name or rel.endswith(f"/{r.name}")):
                r = replace(r, name=rel)
            else:
                r = replace(r, short_id=_short_id(r))
        out.append(r)
    return _unique_short_ids(out)


def _short_id(run: Run) -> str:
    """What tells ``run`` apart from runs sharing its name: the key after ``#`` of an id made
    from the run's path (W&B's run id), the path itself when that is the whole id, else the
    start of the tool's id."""
    head, sep, key = run.id.partition("#")
    if sep and key and head == run.source:
        return _tail(key)
    if run.source and run.id == run.source:
        return _tail(run.source.partition("/")[2] or run.source)
    return run.id[:SHORT_ID_CHARS]


def _tail(text: str) -> str:
    """``text``, its end kept when it is longer than :data:`MAX_DISAMBIGUATOR_CHARS`."""
    if len(text) > MAX_DISAMBIGUATOR_CHARS:
        return f"…{text[-(MAX_DISAMBIGUATOR_CHARS - 1) :]}"
    return text


def _unique_short_ids(runs: list[Run]) -> list[Run]:
    """Short ids that still collide within a name show the whole id."""
    counts = Counter((r.experiment, r.name, r.short_id) for r in runs if r.short_id)
    return [
        replace(r, short_id=r.id)
        if r.short_id and counts[(r.experiment, r.name, r.short_id)] > 1
        else r
        for r in runs
    ]


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
