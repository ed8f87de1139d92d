"""TensorBoard event files (``events.out.tfevents.*``): one run per folder that holds them.

Records are framed as TFRecords (length, masked CRC-32C of the length, data, masked CRC-32C of
the data) and every CRC is checked. The payloads are decoded by the ``protobuf`` package, with
a minimal schema built through protobuf's descriptor API: only the fields runreport shows, wire
compatible with TensorBoard's ``Event`` (unknown fields are skipped by protobuf itself).

Most records of real event files are simple scalars whose bytes differ from record to record
only in the time, the step and the values. Those are decoded in batches with numpy, by layout
(:class:`.batch.Layout`, made from one record and checked against protobuf's decoding of it); every
other record goes through protobuf, and both give the same series in record order (tested).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import numpy as np

from ...errors import Problems
from ...model import Column, Image, Kind, Metric, Run, Status, Value
from ..base import series
from .events import Decoder
from .joins import attached, attached_to_a_run, depends, event_files
from .records import records

#: Images kept per tag (the last ones logged).
MAX_IMAGES_PER_TAG = 5


def _decode(files: list[Path], problems: Problems) -> Decoder:
    decoder = Decoder(problems)
    for file in files:
        decoder.file = file
        for payload in records(file, problems):
            decoder.add(payload)
        decoder.flush()
    return decoder


def scalars_table(name: str, keys: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> Metric:
    """The keys of one ``add_scalars`` tag as one table: ``step``, then a column per key (one
    line each on one chart). Every point is kept: keys logged at the same steps share rows;
    otherwise rows follow the steps in order, the n-th point a key logged at a step in the
    n-th row of that step, a key without one there left empty."""
    steps = next(iter(keys.values()))[0]
    if all(np.array_equal(s, steps) for s, _ in keys.values()):
        columns: dict[str, Column] = {"step": steps}
        columns.update({key: values for key, (_, values) in keys.items()})
        return Metric(name, Kind.TABLE, columns, calls=len(steps))
    rows: dict[tuple[int, int], dict[str, Value]] = {}
    for key, (key_steps, values) in keys.items():
        seen: dict[int, int] = {}
        for step, value in zip(key_steps.tolist(), values.tolist(), strict=True):
            n = seen[step] = seen.get(step, -1) + 1
            rows.setdefault((step, n), {})[key] = value
    order = sorted(rows)
    table: dict[str, Column] = {"step": tuple(step for step, _ in order)}
    table.update({key: tuple(rows[at].get(key) for at in order) for key in keys})
    return Metric(name, Kind.TABLE, table, calls=len(order))


class TensorBoardReader:
    """Reads the event files of one folder as one run."""

    name: ClassVar[str] = "tensorboard"
    nested_runs: ClassVar[bool] = True

    def detect(self, path: Path) -> bool:
        """A folder that directly holds event files, and is not a folder that the writer of
        a run above it made for one ``add_hparams`` or ``add_scalars`` call."""
        return bool(event_files(path)) and not attached_to_a_run(path)

    def parts(self, path: Path) -> list[tuple[Path, tuple[Path, ...]]] | None:
        """The run read as one unit that also depends on the event files of the folders
        joined to it (None: no such folders)."""
        extra = depends(path)
        return [(path, extra)] if extra else None

    def read(self, path: Path, problems: Problems) -> Iterator[Run]:
        """The one run in ``path`` (its event files in name order), with the folders its
        writer made for ``add_hparams`` and ``add_scalars`` calls joined to it."""
        files = event_files(path)
        decoder = _decode(files, problems)
        scalars, texts, images, params = (
            decoder.scalar_columns(),
            decoder.texts,
            decoder.images,
            decoder.params,
        )
        walls = decoder.walls
        metrics: list[Metric] = [series(tag, st, v) for tag, (st, v) in scalars.items()]
        metrics += [
            Metric(tag, Kind.SCALAR, {"step": tuple(s), "value": tuple(v)}, calls=len(v))
            for tag, (s, v) in texts.items()
        ]
        keyed: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
        for joined in attached(path):
            part = _decode(event_files(joined.folder), problems)
            walls = walls + part.walls
            columns = part.scalar_columns()
            if joined.kind == "hparams":
                params = {**params, **part.params}
                metrics += [series(t, st, v) for t, (st, v) in columns.items()]
            elif joined.tag in columns:
                keyed.setdefault(joined.tag, {})[joined.key] = columns[joined.tag]
        taken = {m.name for m in metrics}
        metrics += [
            scalars_table(tag if tag not in taken else f"{tag} (add_scalars)", keys)
            for tag, keys in keyed.items()
        ]
        times = (min(walls), max(walls)) if walls else None
        run_images = tuple(
            Image(tag, path / f"{tag}@{step}.png", data=png)
            for tag, shots in images.items()
            for step, png in shots[-MAX_IMAGES_PER_TAG:]
        )
        yield Run(
            id=str(path),
            name=path.name,
            experiment=path.parent.name or path.name,
            status=Status.UNKNOWN,
            format=self.name,
            path=path,
            start_time=datetime.fromtimestamp(times[0], tz=UTC) if times else None,
            end_time=datetime.fromtimestamp(times[1], tz=UTC) if times else None,
            params=params,
            metrics=tuple(metrics),
            images=run_images,
            properties={"event files": str(len(files))},
        )
