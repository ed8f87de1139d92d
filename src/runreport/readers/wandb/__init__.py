"""Weights & Biases run folders (``wandb/run-<date>_<time>-<id>/``, ``offline-run-…``).

The ``run-<id>.wandb`` transaction log is the whole record of a run (offline runs of recent
wandb write nothing else): every history row, the summary and config as updated, the run's
name, project, group, job type, tags and notes, system metrics and the exit code. It is
decoded by :mod:`.records` and :mod:`.log`. The files a synced run also has beside it
(``files/wandb-summary.json``, ``config.yaml``, ``wandb-metadata.json``) fill in what a log
lacks, and are all a run has when its log is missing (as in many published folders).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, TypeGuard

import yaml

from ...errors import Problems
from ...model import FileRef, Image, Metric, Run, Status
from ..base import (
    is_plain_dir,
    is_regular,
    list_files,
    load_yaml,
    read_bytes,
    read_json,
    read_text,
    report_yaml_error,
    series,
    with_times,
)
from ..csvlogs import flatten
from .log import ROW_KEYS, WandbLog, decode
from .records import MAGIC, frames

_RUN_DIR = re.compile(r"^(?:offline-)?run-\d{8}_\d{6}-(?P<id>[a-z0-9]+)$")
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
#: Prefix of the system metrics W&B samples (its UI shows them in a "System" section).
SYSTEM = "system/"


class WandbReader:
    """Reads a ``wandb/run-<date>_<time>-<id>/`` folder."""

    name: ClassVar[str] = "wandb"
    nested_runs: ClassVar[bool] = False

    def detect(self, path: Path) -> bool:
        """A W&B run folder holding its ``.wandb`` log or its ``files/`` folder."""
        match = _RUN_DIR.match(path.name)
        if match is None:
            return False
        return is_regular(path / f"run-{match.group('id')}.wandb") or is_plain_dir(path / "files")

    def read(self, path: Path, problems: Problems) -> Iterator[Run]:
        """The one run in ``path``."""
        match = _RUN_DIR.match(path.name)
        run_id = match.group("id") if match else path.name
        files = path / "files"
        outputs = list_files(files, path) if is_plain_dir(files) else ()
        log = _read_log(path / f"run-{run_id}.wandb", problems)
        meta = read_json(files / "wandb-metadata.json", problems)  # None when there is none
        meta = meta if isinstance(meta, dict) else {}
        start = log.start if log else None
        if start is None and isinstance(meta.get("startedAt"), str):
            try:
                start = datetime.fromisoformat(meta["startedAt"].replace("Z", "+00:00"))
            except ValueError:
                problems.warn(files / "wandb-metadata.json", None, "startedAt is not ISO 8601")
        metrics, images = _history(log, outputs) if log else ([], [])
        logged = {m.name for m in metrics}
        summary = log.summary if log and log.summary else _summary_file(files, problems)
        metrics += [series(k, None, [v]) for k, v in _numbers(summary).items() if k not in logged]
        if log and log.stats:
            metrics += _system(log)
        if not images:  # a synced folder without its log: its media files, named by file
            images = [
                Image(ref.path.stem, ref.path)
                for ref in outputs
                if ref.rel.startswith("files/media/images/")
                and ref.rel.lower().endswith(_IMAGE_SUFFIXES)
            ]
        info = log.info if log else {}
        config = log.config if log and log.config else _config_file(files, problems)
        status, end, error = _ending(log, start, summary)
        logs = tuple(ref for ref in outputs if ref.rel == "files/output.log")
        yield Run(
            id=f"{path}#{info.get('run_id') or run_id}",  # the folder first: made relative
            name=str(info.get("display_name") or meta.get("name") or run_id),
            experiment=str(
                info.get("project") or meta.get("project") or path.parent.parent.name or "wandb"
            ),
            status=status,
            format=self.name,
            path=path,
            start_time=start,
            end_time=end,
            error=error,
            compute_target=str(info.get("host") or meta.get("host") or "") or None,
            description=str(info.get("notes") or ""),
            tags={t: "" for t in (log.tags if log else ())},
            params=flatten({k: v for k, v in config.items() if not k.startswith("_")}),
            properties={
                **{
                    label: str(info[key])
                    for key, label in (
                        ("entity", "entity"),
                        ("run_group", "group"),
                        ("job_type", "job type"),
                        ("sweep_id", "sweep"),
                    )
                    if info.get(key)
                },
                **{k: str(meta[k]) for k in ("program", "python", "gpu") if meta.get(k)},
            },
            metrics=tuple(metrics),
            images=tuple(images),
            logs=logs,
            outputs=tuple(ref for ref in outputs if ref not in logs),
        )


def _read_log(path: Path, problems: Problems) -> WandbLog | None:
    """The decoded ``.wandb`` log, or None when there is none or it is not one (reported)."""
    if not is_regular(path):
        return None
    data = read_bytes(path, problems)
    if data is None:
        return None
    if not data.startswith(MAGIC):
        problems.error(path, None, "not a W&B log (no ':W&B' header); its run read from files/")
        return None
    framed = frames(data)
    if framed.damaged:
        problems.warn(
            path,
            None,
            f"{len(framed.damaged)} damaged records (bad checksum) skipped, each with the rest "
            "of its 32 KiB block",
        )
    if framed.torn:
        problems.info(path, None, "last record cut short (run still writing?); ignored")
    log = decode(framed)
    if log.bad_values:
        problems.warn(path, None, f"{log.bad_values} values or records not readable; skipped")
    return log


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _history(log: WandbLog, outputs: tuple[FileRef, ...]) -> tuple[list[Metric], list[Image]]:
    """A series per numeric history key over ``_step``, and the images the rows refer to."""
    by_rel = {ref.rel: ref for ref in outputs}
    columns: dict[str, tuple[list[int], list[float | int], list[float | None]]] = {}
    images: list[Image] = []
    for row in log.rows:
        step = row["_step"]
        stamp = row.get("_timestamp")
        time = float(stamp) if _is_number(stamp) else None
        media = {k[: -len("._type")] for k, v in row.items() if k.endswith("._type")}
        for key, value in row.items():
            if key in ROW_KEYS:
                continue
            if isinstance(value, dict):  # older writers: a nested dict or media as one value
                if "_type" in value:
                    _media(images, key, value, step, by_rel)
                    continue
                for sub, v in _numbers(value).items():
                    cells = columns.setdefault(f"{key}.{sub}", ([], [], []))
                    cells[0].append(step)
                    cells[1].append(v)
                    cells[2].append(time)
                continue
            if media and (key in media or key.rpartition(".")[0] in media):
                continue
            if _is_number(value):
                cells = columns.setdefault(key, ([], [], []))
                cells[0].append(step)
                cells[1].append(value)
                cells[2].append(time)
        for prefix in media:
            fields = {k[len(prefix) + 1 :]: v for k, v in row.items() if k.startswith(f"{prefix}.")}
            _media(images, prefix, fields, step, by_rel)
    metrics = [with_times(series(k, s, v), t) for k, (s, v, t) in columns.items()]
    return metrics, images


def _media(
    images: list[Image], key: str, fields: dict[str, Any], step: int, by_rel: dict[str, FileRef]
) -> None:
    """An image the history refers to, when its file is one of the run's own files."""
    if fields.get("_type") != "image-file" or not isinstance(fields.get("path"), str):
        return
    ref = by_rel.get(f"files/{fields['path']}")
    if ref is not None:
        images.append(Image(key, ref.path, f"step {step}"))


def _numbers(values: dict[str, Any]) -> dict[str, float | int]:
    """The numeric values of a (nested) dict under dotted names, ``_`` keys left out."""
    flat = flatten({k: v for k, v in values.items() if not str(k).startswith("_")})
    return {k: v for k, v in flat.items() if _is_number(v)}


def _system(log: WandbLog) -> list[Metric]:
    """System metrics (CPU, memory, GPU, disk, network) as ``system/<name>``, per sample."""
    columns: dict[str, tuple[list[float | int], list[float]]] = {}
    for stamp, values in log.stats:
        for key, value in values.items():
            if _is_number(value):
                cells = columns.setdefault(f"{SYSTEM}{key}", ([], []))
                cells[0].append(value)
                cells[1].append(stamp if stamp > 0 else math.nan)  # 0: no time
    return [with_times(series(k, None, v), t) for k, (v, t) in sorted(columns.items())]


def _ending(
    log: WandbLog | None, start: datetime | None, summary: dict[str, Any]
) -> tuple[Status, datetime | None, str | None]:
    """Status, end and error text: from the exit record (code 0 is Completed, any other
    Failed); a log without one is a run still running (or one that died: its pages say when
    it last wrote)."""
    if log is None:
        runtime = (summary.get("_wandb") or {}).get("runtime") if summary else None
        if start is not None and _is_number(runtime):
            return Status.UNKNOWN, start + timedelta(seconds=float(runtime)), None
        return Status.UNKNOWN, None, None
    if log.exit_code is None:
        return Status.RUNNING, None, None
    end = start + timedelta(seconds=log.runtime or 0) if start is not None else None
    last = log.rows[-1].get("_timestamp") if log.rows else None
    if _is_number(last) and math.isfinite(last) and (end is None or end.timestamp() < last):
        end = datetime.fromtimestamp(last, UTC)
    if log.exit_code == 0:
        return Status.COMPLETED, end, None
    return Status.FAILED, end, f"exit code {log.exit_code}"


def _summary_file(files: Path, problems: Problems) -> dict[str, Any]:
    summary = read_json(files / "wandb-summary.json", problems)  # None when there is none
    return summary if isinstance(summary, dict) else {}


def _config_file(files: Path, problems: Problems) -> dict[str, Any]:
    """``config.yaml``: each key's ``value`` (``wandb_version`` and ``_wandb`` left out)."""
    text = read_text(files / "config.yaml", problems) if is_regular(files / "config.yaml") else None
    if not text:
        return {}
    try:
        config = load_yaml(text)
    except yaml.YAMLError as exc:
        report_yaml_error(problems, files / "config.yaml", exc, "skipped")
        return {}
    if not isinstance(config, dict):
        return {}
    return {
        k: (v.get("value") if isinstance(v, dict) and "value" in v else v)
        for k, v in config.items()
        if k not in ("wandb_version", "_wandb")
    }
