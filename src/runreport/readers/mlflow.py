"""MLflow's ``mlruns/`` file store (MLflow 1.x, 2.x, 3.x); its SQLite ``mlflow.db``:
:mod:`.mlflow_sqlite`.

Read by hand with PyYAML and plain file reads (the ``mlflow`` package is neither needed nor used).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, TypedDict

import polars as pl

from ..errors import Problems
from ..model import FileRef, Image, Metric, Run, Status
from . import mlflow_inputs
from .base import (
    from_millis,
    is_plain_dir,
    is_regular,
    list_files,
    read_bytes,
    read_text,
    scan,
    series,
    walk_files,
)
from .mlflow_inputs import artifact_models, yaml_mapping
from .tables import Stamps, artifact_tables, merge_dotted_tables, stamped

#: Sub-folders of an experiment that are not runs (MLflow's RESERVED_EXPERIMENT_FOLDERS).
RESERVED_FOLDERS = frozenset({"tags", "datasets", "traces", "models"})
_INT_STATUS = {
    1: Status.RUNNING,
    2: Status.RUNNING,
    3: Status.COMPLETED,
    4: Status.FAILED,
    5: Status.CANCELED,
}
_NAME_STATUS = {
    "RUNNING": Status.RUNNING,
    "SCHEDULED": Status.RUNNING,
    "FINISHED": Status.COMPLETED,
    "FAILED": Status.FAILED,
    "KILLED": Status.CANCELED,
}
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")
_LOG_IMAGE = re.compile(r"^(?P<key>.+?)[+%]step[+%](?P<step>-?\d+)[+%]timestamp[+%]\d+[+%]")


def status_of(value: object) -> Status:
    if value is None:
        return Status.RUNNING  # MLflow's default when the field is missing
    if isinstance(value, int):
        return _INT_STATUS.get(value, Status.UNKNOWN)
    return _NAME_STATUS.get(str(value).upper(), Status.parse(value) or Status.UNKNOWN)


def _key_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Files below ``root`` as (key, path); keys with ``/`` are stored as sub-folders."""
    for path in walk_files(root):
        yield path.relative_to(root).as_posix(), path


def _subdirs(path: Path) -> list[Path]:
    """Sub-folders (not links), sorted by name."""
    try:
        return [Path(e.path) for e in scan(path) if e.is_dir(follow_symlinks=False)]
    except OSError:
        return []


def _is_experiment(path: Path) -> bool:
    return is_regular(path / "meta.yaml") and not is_plain_dir(path / "metrics")


class MlflowReader:
    """Reads an MLflow file store, or one experiment or run folder of it."""

    name: ClassVar[str] = "mlflow"
    nested_runs: ClassVar[bool] = False

    def detect(self, path: Path) -> bool:
        """A store root (experiment folders with ``meta.yaml``), an experiment or a run folder."""
        if is_regular(path / "meta.yaml"):
            return True
        try:
            children = scan(path)
        except OSError:
            return False
        return any(
            c.is_dir(follow_symlinks=False)
            and c.name.isdigit()
            and os.path.isfile(os.path.join(c.path, "meta.yaml"))
            for c in children
        )

    def parts(self, path: Path) -> list[tuple[Path, tuple[Path, ...]]] | None:
        """A store root as its run folders, each with the experiment ``meta.yaml`` its read
        also depends on: reading each gives the runs that reading the store gives, so runs
        are read in parallel and cached one by one. None (read the store as one) for anything
        else, or when the store has something only a whole read reports or handles (a
        malformed experiment, a deleted one in ``.trash``)."""
        if is_regular(path / "meta.yaml"):
            return None
        parts: list[tuple[Path, tuple[Path, ...]]] = []
        for child in _subdirs(path):
            if child.name == ".trash":
                if any(_is_experiment(t) for t in _subdirs(child)):
                    return None
                continue
            meta_file = child / "meta.yaml"
            if not is_regular(meta_file):
                continue
            exp = yaml_mapping(meta_file, Problems())
            if exp is None or "experiment_id" not in exp:
                return None
            parts.extend(
                (run, (meta_file, *mlflow_inputs.linked_files(run)))
                for run in _subdirs(child)
                if run.name not in RESERVED_FOLDERS and is_regular(run / "meta.yaml")
            )
        return parts

    def read(self, path: Path, problems: Problems) -> Iterator[Run]:
        """Every run in the store, experiment or run folder at ``path``."""
        meta_file = path / "meta.yaml"
        if is_regular(meta_file):
            meta = yaml_mapping(meta_file, problems) or {}
            if "run_id" in meta or "run_uuid" in meta or is_plain_dir(path / "metrics"):
                exp = (
                    yaml_mapping(path.parent / "meta.yaml", problems)
                    if is_regular(path.parent / "meta.yaml")
                    else None
                )
                yield from self._runs_of(path.parent, exp or {}, problems, only=path)
            else:
                yield from self._runs_of(path, meta, problems)
            return
        for child in _subdirs(path):
            if child.name == ".trash":
                for trashed in _subdirs(child):
                    if _is_experiment(trashed):
                        exp = yaml_mapping(trashed / "meta.yaml", problems) or {}
                        yield from self._runs_of(
                            trashed, {**exp, "lifecycle_stage": "deleted"}, problems
                        )
                continue
            if is_regular(child / "meta.yaml"):
                exp = yaml_mapping(child / "meta.yaml", problems)
                if exp is None:
                    problems.warn(child / "meta.yaml", None, "malformed experiment; skipped")
                    continue
                if "experiment_id" not in exp:
                    continue
                yield from self._runs_of(child, exp, problems)

    def _runs_of(
        self, exp_dir: Path, exp: dict[str, Any], problems: Problems, only: Path | None = None
    ) -> Iterator[Run]:
        exp_name = str(exp.get("name") or exp.get("experiment_id") or exp_dir.name)
        exp_deleted = exp.get("lifecycle_stage") == "deleted"
        folders = (
            [only]
            if only is not None
            else [
                c
                for c in _subdirs(exp_dir)
                if c.name not in RESERVED_FOLDERS and is_regular(c / "meta.yaml")
            ]
        )
        for folder in folders:
            run = self._run(folder, exp_name, exp_deleted, problems)
            if run is not None:
                yield run

    def _run(
        self, folder: Path, experiment: str, exp_deleted: bool, problems: Problems
    ) -> Run | None:
        meta = yaml_mapping(folder / "meta.yaml", problems)
        if meta is None:
            return None
        tags = {k: (read_text(p, problems) or "") for k, p in _key_files(folder / "tags")}
        params = {k: (read_text(p, problems) or "") for k, p in _key_files(folder / "params")}
        metrics, times = _metrics(folder / "metrics", problems)
        run_id = str(meta.get("run_id") or meta.get("run_uuid") or folder.name)
        name = str(tags.get("mlflow.runName") or meta.get("run_name") or meta.get("name") or run_id)
        artifacts = list_files(folder / "artifacts", folder)
        images = tuple(
            Image(_image_name(ref), ref.path)
            for ref in artifacts
            if ref.rel.lower().endswith(_IMAGE_SUFFIXES) and "+compressed" not in ref.rel
        )
        models, model_folders = artifact_models(artifacts, problems)
        tables = artifact_tables(
            [r for r in artifacts if r.rel.rpartition("/")[0] not in model_folders]
            if model_folders
            else artifacts,
            problems,
        )
        datasets, logged, model_files = mlflow_inputs.file_store(folder, problems)
        return Run(
            id=run_id,
            name=name,
            experiment=experiment,
            status=status_of(meta.get("status")),
            format=self.name,
            path=folder,
            start_time=from_millis(meta.get("start_time")),
            end_time=from_millis(meta.get("end_time")),
            params=params,
            **from_tags(tags),
            deleted=exp_deleted or meta.get("lifecycle_stage") == "deleted",
            metrics=tuple(merge_dotted_tables(stamped(metrics, times), times)) + tables,
            images=images,
            outputs=artifacts + model_files,
            datasets=datasets,
            models=models + logged,
        )


_SHOWN_ELSEWHERE = frozenset({"mlflow.runName", "mlflow.parentRunId", "mlflow.note.content"})


class _TagFields(TypedDict):
    parent_id: str | None
    tags: dict[str, str]
    properties: dict[str, str]
    description: str


def from_tags(tags: dict[str, str]) -> _TagFields:
    """What MLflow's tags say: the parent (``mlflow.parentRunId``), the description
    (``mlflow.note.content``), the user's tags, and the other ``mlflow.*`` tags as properties."""
    return {
        "parent_id": tags.get("mlflow.parentRunId") or None,
        "tags": {k: v for k, v in tags.items() if not k.startswith("mlflow.")},
        "properties": {
            k: v for k, v in tags.items() if k.startswith("mlflow.") and k not in _SHOWN_ELSEWHERE
        },
        "description": tags.get("mlflow.note.content", ""),
    }


def _image_name(ref: FileRef) -> str:
    stem = ref.path.name.rsplit(".", 1)[0]
    m = _LOG_IMAGE.match(stem)
    if m:
        return m.group("key").replace("~", "/").replace("#", "/")
    return ref.rel.removeprefix("artifacts/")


#: Each metric's timestamps (milliseconds), in the order of its values.
Times = dict[str, Stamps]


def _metrics(root: Path, problems: Problems) -> tuple[list[Metric], Times]:
    """Every metric file of a run, with each one's timestamps: all of them parsed in one
    vectorised pass when each is well formed (whole lines, no blank ones), else file by file."""
    files = [(key, path, read_bytes(path, problems)) for key, path in _key_files(root)]
    batch = _fast_metrics([(key, data) for key, _, data in files])
    if batch is not None:
        return batch
    metrics: list[Metric] = []
    times: Times = {}
    for key, path, data in files:
        got = _metric_file(key, path, data, problems)
        if got is not None:
            metrics.append(got[0])
            times[key] = got[1]
    return metrics, times


_METRIC_SCHEMA = {
    "ts": pl.Int64,
    "value": pl.Float64,
    "step": pl.Int64,
    "dataset": pl.Utf8,
    "digest": pl.Utf8,
}


def _fast_metrics(files: list[tuple[str, bytes | None]]) -> tuple[list[Metric], Times] | None:
    """Metric files of whole lines (each ends with a newline, none is blank), read with polars
    as one table and cut apart by their line counts (one parse for a whole run); None when any
    file or line needs a closer look (then a file is read line by line, each problem
    reported)."""
    if not files or any(
        not data or not data.endswith(b"\n") or data.startswith(b"\n") or b"\n\n" in data
        for _, data in files
    ):
        return None
    bodies = [data for _, data in files if data is not None]
    counts = [data.count(b"\n") for data in bodies]
    try:
        frame = pl.read_csv(
            b"".join(bodies),
            separator=" ",
            has_header=False,
            schema=_METRIC_SCHEMA,
            missing_columns="insert",
        )
    except Exception:  # polars reports each parse problem its own way: read file by file
        return None
    if frame.height != sum(counts) or frame["ts"].null_count() or frame["value"].null_count():
        return None
    steps = frame["step"].fill_null(0).to_numpy()  # the 2-field form has no step: MLflow reads 0
    values = frame["value"].to_numpy()
    stamps = frame["ts"].to_numpy()
    out: list[Metric] = []
    times: Times = {}
    start = 0
    for (key, _), count in zip(files, counts, strict=True):
        out.append(series(key, steps[start : start + count], values[start : start + count]))
        times[key] = stamps[start : start + count]
        start += count
    return out, times


def _metric_file(
    key: str, path: Path, data: bytes | None, problems: Problems
) -> tuple[Metric, Stamps] | None:
    """One metric file: ``timestamp value [step [dataset digest]]`` per line."""
    if data is None:
        return None
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    elif lines:
        # a line without its newline may be cut off ("ts 0.33" parses as a valid 2-field line)
        problems.info(path, len(lines), "last line has no newline (run still writing?); ignored")
        lines.pop()
    fast = _fast_metrics([(key, data[: data.rfind(b"\n") + 1])])
    if fast is not None:
        return fast[0][0], fast[1][key]
    steps: list[int | None] = []
    values: list[float | int | None] = []
    stamps: list[int] = []
    for number, raw in enumerate(lines, start=1):
        parts = raw.decode("utf-8", errors="replace").split()
        if len(parts) not in (2, 3, 4, 5, 6):
            if parts:
                problems.warn(
                    path,
                    number,
                    f"expected 'timestamp value [step]', got {len(parts)} fields; line skipped",
                )
            continue
        try:
            stamp = int(parts[0])
            value = float(parts[1])
            step = int(parts[2]) if len(parts) >= 3 else 0
        except ValueError:
            problems.warn(path, number, "timestamp, value or step is not a number; line skipped")
            continue
        values.append(value)
        steps.append(step)
        stamps.append(stamp)
    if not values:
        return None
    return series(key, list(steps), list(values)), stamps
