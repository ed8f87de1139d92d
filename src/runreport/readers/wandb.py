"""Weights & Biases run folders, from the files a run leaves beside its ``.wandb`` log:
``files/wandb-summary.json`` (last values), ``files/config.yaml`` (parameters),
``files/wandb-metadata.json`` and ``files/output.log``.

The binary ``run-<id>.wandb`` transaction log (the full history) is not decoded: a W&B run
shows its summary values, parameters and console output, not its charts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import yaml

from ..errors import Problems
from ..model import Image, Run, Status
from .base import (
    is_plain_dir,
    is_regular,
    list_files,
    load_yaml,
    read_json,
    read_text,
    report_yaml_error,
    series,
)
from .csvlogs import flatten

_RUN_DIR = re.compile(r"^(?:offline-)?run-\d{8}_\d{6}-(?P<id>[a-z0-9]+)$")
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")


class WandbReader:
    """Reads a ``wandb/run-<date>_<time>-<id>/`` folder."""

    name: ClassVar[str] = "wandb"
    nested_runs: ClassVar[bool] = False

    def detect(self, path: Path) -> bool:
        """A W&B run folder with its ``files/`` folder."""
        return bool(_RUN_DIR.match(path.name)) and is_plain_dir(path / "files")

    def read(self, path: Path, problems: Problems) -> Iterator[Run]:
        """The one run in ``path``."""
        files = path / "files"
        summary = read_json(files / "wandb-summary.json", problems)
        metadata = read_json(files / "wandb-metadata.json", problems)
        metrics = []
        if isinstance(summary, dict):
            for key, value in flatten(
                {k: v for k, v in summary.items() if not k.startswith("_")}
            ).items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    metrics.append(series(key, None, [value]))
        params: dict[str, Any] = {}
        config_text = (
            read_text(files / "config.yaml", problems)
            if is_regular(files / "config.yaml")
            else None
        )
        if config_text:
            try:
                config = load_yaml(config_text)
            except yaml.YAMLError as exc:
                report_yaml_error(problems, files / "config.yaml", exc, "skipped")
                config = None
            if isinstance(config, dict):
                unwrapped = {
                    k: (v.get("value") if isinstance(v, dict) and "value" in v else v)
                    for k, v in config.items()
                    if k not in ("wandb_version", "_wandb")
                }
                params = flatten(unwrapped)
        meta = metadata if isinstance(metadata, dict) else {}
        start = None
        if isinstance(meta.get("startedAt"), str):
            try:
                start = datetime.fromisoformat(meta["startedAt"].replace("Z", "+00:00"))
            except ValueError:
                problems.warn(files / "wandb-metadata.json", None, "startedAt is not ISO 8601")
        runtime = (
            (summary.get("_wandb") or {}).get("runtime") if isinstance(summary, dict) else None
        )
        end = None
        if start is not None and isinstance(runtime, (int, float)):
            end = start + timedelta(seconds=float(runtime))
        match = _RUN_DIR.match(path.name)
        run_id = match.group("id") if match else path.name
        outputs = list_files(files, path)
        yield Run(
            id=f"{path}#{run_id}",  # the folder first: made relative to the LOGDIR
            name=str(meta.get("name") or run_id),
            experiment=str(meta.get("project") or path.parent.parent.name or "wandb"),
            status=Status.UNKNOWN,
            format=self.name,
            path=path,
            start_time=start,
            end_time=end,
            compute_target=str(meta["host"]) if meta.get("host") else None,
            params=params,
            properties={
                k: str(meta[k]) for k in ("program", "python", "gpu", "state") if meta.get(k)
            },
            metrics=tuple(metrics),
            images=tuple(
                Image(ref.path.stem, ref.path)
                for ref in outputs
                if ref.rel.startswith("files/media/images/")
                and ref.rel.lower().endswith(_IMAGE_SUFFIXES)
            ),
            logs=tuple(ref for ref in outputs if ref.rel == "files/output.log"),
            outputs=tuple(ref for ref in outputs if ref.rel != "files/output.log"),
        )
