"""The parse cache: what reading one unit gave (its runs' views and problems), kept between
builds and keyed by the identity of the files it read, so an unchanged run costs nothing.

A unit's *fingerprint* hashes the reader, the folder, runreport's own code and, for every
regular file the reader may read there, its path, size, modification time and inode. Entries
live in :func:`cache_dir` ``/units`` as pickles: local, per-user data, trusted like
``__pycache__``; set ``RUNREPORT_CACHE_DIR`` elsewhere, or build with ``--no-cache``, to avoid
them. A damaged or foreign entry is a miss, never an error.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

from .errors import Problem
from .files import (
    cache_dir,
    cache_root,
    code_fingerprint,
    current_identity,
    file_identity,
    scan,
    walk_entries,
    write_atomically,
)
from .readers import Unit
from .views import ChartData, MetricView, RunView


@dataclass(frozen=True)
class UnitResult:
    """What reading one unit gave: its runs' views (runs without metric columns: the views
    hold what pages need) and the problems met, in order."""

    views: tuple[RunView, ...]
    problems: tuple[Problem, ...]
    sections: tuple[bytes, ...] = ()  # each view's runfiles.packed_sections, when made


@dataclass(frozen=True)
class Fingerprint:
    """A unit's identity for the cache, and the bytes of input it covers."""

    key: str
    input_bytes: int
    last_write_ns: int = 0  # the newest modification time among the files


def fingerprint(unit: Unit) -> Fingerprint:
    """The identity of every regular file the unit's reader may read: the whole folder, or
    only its own files for readers whose subfolders are other runs (TensorBoard)."""
    folder = unit.absolute
    # where the unit sits below its input names its runs (their ids and sources)
    placed = unit.shown(unit.folder)
    digest = hashlib.sha1(
        f"{code_fingerprint()}\n{unit.reader.name}\n{folder}\n{placed}\n".encode(
            "utf-8", "surrogatepass"
        )
    )
    total = newest = 0
    for path in unit_paths(unit):
        try:
            st = os.lstat(path)
        except OSError:
            continue
        total += st.st_size
        newest = max(newest, st.st_mtime_ns)
        digest.update(f"{file_identity(path, st)}\n".encode("utf-8", "surrogatepass"))
    return Fingerprint(digest.hexdigest(), total, newest)


def unit_paths(unit: Unit) -> list[str | Path]:
    """Every regular file the unit's reader may read (see :func:`fingerprint`)."""
    folder = unit.absolute
    if unit.reader.nested_runs:
        files = [e for e in scan(folder) if e.is_file(follow_symlinks=False)]
    else:
        files = list(walk_entries(folder))
    return [*(e.path for e in files), *unit.depends]


def site_manifest(target: Path) -> Path:
    """Where the keys of the files of the site at ``target`` are kept between builds."""
    name = hashlib.sha1(str(target.absolute()).encode("utf-8", "surrogatepass")).hexdigest()
    return cache_dir() / "sites" / f"{name}.json"


def _entry(unit: Unit) -> str:
    name = hashlib.sha1(f"{unit.reader.name}\n{unit.absolute}".encode()).hexdigest()
    return os.path.join(cache_root(), "units", f"{name}.pickle")


#: Entries this process has loaded or saved (without their plotted columns), by entry path
#: and the entry file's identity: a long-lived process (``runreport serve``) rebuilds without
#: reading them again.
_remembered: dict[str, tuple[str, str | None, UnitResult]] = {}


def load(unit: Unit, fp: Fingerprint, *, charts: bool = True) -> UnitResult | None:
    """The cached result of ``unit`` if its files are as they were, else None; without
    ``charts``, its views' charts hold their specs but not their plotted columns (which are
    most of an entry's bytes, and are read only when asked for)."""
    path = _entry(unit)
    identity = current_identity(path)
    known = _remembered.get(path)
    if not charts and identity and known is not None and known[:2] == (fp.key, identity):
        return known[2]
    try:
        with open(path, "rb") as fh:
            key, result = pickle.load(fh)
            if key != fp.key or not isinstance(result, UnitResult):
                return None
            _remembered[path] = (key, identity, result)
            if not charts:
                return result
            data = pickle.load(fh)
    except Exception:  # missing, damaged, or written by other code: a miss
        return None
    return _with_chart_data(result, data)


def remember(unit: Unit, fp: Fingerprint, light: UnitResult) -> None:
    """Note a result (without plotted columns) that a worker process read and saved."""
    path = _entry(unit)
    _remembered[path] = (fp.key, current_identity(path), light)


def save(unit: Unit, fp: Fingerprint, result: UnitResult, *, charts: bool = True) -> UnitResult:
    """Keep ``result`` for the next build (best effort: an unwritable cache costs only time)
    and return it without its plotted columns.

    An entry is the result without its plotted columns, as a pickle, followed, when
    ``charts``, by a second pickle of them. They are most of an entry's bytes and only builds
    that make chart images need them, so other builds leave them out (an entry without them is
    a miss for a load that asks for them)."""
    path = _entry(unit)
    light, data = without_chart_data(result)

    def write(fh: BinaryIO) -> None:
        pickle.dump((fp.key, light), fh, protocol=pickle.HIGHEST_PROTOCOL)
        if charts:
            pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)

    if not write_atomically(Path(path), write):
        return light
    _remembered[path] = (fp.key, current_identity(path), light)
    return light


PlottedColumns = list[list[dict[str, Any]]]  # per view, per metric: its chart's plotted columns


def without_chart_data(result: UnitResult) -> tuple[UnitResult, PlottedColumns]:
    """``result`` with its charts' plotted columns taken out (and them, apart)."""
    views, data = [], []
    for view in result.views:
        metrics, columns = [], []
        for m in view.metrics:
            columns.append(dict(m.chart.columns) if m.chart is not None else {})
            metrics.append(
                _with_chart(m, replace(m.chart, columns={})) if m.chart is not None else m
            )
        views.append(replace(view, metrics=tuple(metrics)))
        data.append(columns)
    return replace(result, views=tuple(views)), data


def _with_chart_data(result: UnitResult, data: PlottedColumns) -> UnitResult:
    views = []
    for view, columns in zip(result.views, data, strict=True):
        metrics = tuple(
            _with_chart(m, replace(m.chart, columns=cols)) if m.chart is not None else m
            for m, cols in zip(view.metrics, columns, strict=True)
        )
        views.append(replace(view, metrics=metrics))
    return replace(result, views=tuple(views))


def _with_chart(m: MetricView, chart: ChartData) -> MetricView:
    """``m`` with another chart dict, keeping what its cached properties already made."""
    new = replace(m, chart=chart)
    new.__dict__.update((k, v) for k, v in m.__dict__.items() if k not in new.__dict__)
    return new
