"""TensorBoard event files (``events.out.tfevents.*``): one run per folder that holds them.

Records are framed as TFRecords (length, masked CRC-32C of the length, data, masked CRC-32C of
the data) and every CRC is checked. The payloads are decoded by the ``protobuf`` package, with
a minimal schema built through protobuf's descriptor API: only the fields runreport shows, wire
compatible with TensorBoard's ``Event`` (unknown fields are skipped by protobuf itself).

Most records of real event files are scalars whose bytes differ from record to record only
in the time, the step, the numbers and the tags. Those are decoded in batches with numpy, by
family (:mod:`.batch`: one scalar per event as ``add_scalar`` writes, TF2's scalar tensors,
several values per event); every other record goes through protobuf, and both give the same
series in record order (tested).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import numpy as np

from ...errors import Problems
from ...model import Column, Image, Kind, Metric, Run, Status, Value, evenly
from ..base import series, with_times
from .events import Decoder, Scalars
from .joins import attached, attached_to_a_run, depends, event_files
from .records import frames

#: Images shown per tag, at most (evenly spaced over the steps, the last one included)...
MAX_IMAGES_PER_TAG = 50
#: ... and the bytes of images one run puts into the site, at most: past it, fewer per tag.
MAX_IMAGE_BYTES_PER_RUN = 32 << 20


def _pick_images(
    images: Mapping[str, list[tuple[int, bytes]]], path: Path, problems: Problems
) -> tuple[Image, ...]:
    """The images shown: per tag at most :data:`MAX_IMAGES_PER_TAG`, evenly spaced over the
    steps with the last included, fewer while the run's images take more than
    :data:`MAX_IMAGE_BYTES_PER_RUN` (the number left out reported)."""
    per_tag = MAX_IMAGES_PER_TAG
    while True:
        chosen = {
            tag: [shots[i] for i in evenly(len(shots), per_tag)] for tag, shots in images.items()
        }
        size = sum(len(png) for shots in chosen.values() for _, png in shots)
        if size <= MAX_IMAGE_BYTES_PER_RUN or per_tag == 1:
            break
        per_tag = max(1, per_tag // 2)
    logged = sum(len(shots) for shots in images.values())
    shown = sum(len(shots) for shots in chosen.values())
    if shown < logged:
        problems.info(
            path,
            None,
            f"{shown} of {logged} images shown: at most {per_tag} per tag, evenly spaced over "
            f"the steps with the last, within {MAX_IMAGE_BYTES_PER_RUN >> 20} MB per run",
        )
    return tuple(
        Image(tag, path / f"{tag}@{step}.png", f"step {step}", data=png)
        for tag, shots in chosen.items()
        for step, png in shots
    )


def _decode(files: list[Path], problems: Problems) -> Decoder:
    decoder = Decoder(problems)
    for file in files:
        decoder.file = file
        for chunk in frames(file, problems):
            decoder.add(chunk)
    return decoder


def histograms(name: str, shots: list[tuple[int, list[float], list[float], list[float]]]) -> Metric:
    """One tag's histograms as one metric (see :attr:`Kind.HISTOGRAM`)."""
    columns: dict[str, Column] = {
        "step": np.array([step for step, lefts, _, _ in shots for _ in lefts], dtype=np.int64),
        "left": np.array([v for _, lefts, _, _ in shots for v in lefts], dtype=np.float64),
        "right": np.array([v for _, _, rights, _ in shots for v in rights], dtype=np.float64),
        "count": np.array([v for _, _, _, counts in shots for v in counts], dtype=np.float64),
    }
    return Metric(name, Kind.HISTOGRAM, columns, calls=len(shots))


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


def timed(tag: str, columns: Scalars) -> Metric:
    """A tag's scalars as a series with their wall times."""
    return with_times(series(tag, columns.steps, columns.values), columns.walls)


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
        metrics: list[Metric] = [timed(tag, c) for tag, c in scalars.items()]
        metrics += [
            Metric(tag, Kind.TEXT, {"step": tuple(s), "value": tuple(v)}, calls=len(v))
            for tag, (s, v) in texts.items()
        ]
        metrics += [histograms(tag, shots) for tag, shots in decoder.histograms.items()]
        keyed: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
        for joined in attached(path):
            part = _decode(event_files(joined.folder), problems)
            walls = walls + part.walls
            columns = part.scalar_columns()
            if joined.kind == "hparams":
                params = {**params, **part.params}
                metrics += [timed(t, c) for t, c in columns.items()]
            elif joined.tag in columns:
                got = columns[joined.tag]
                keyed.setdefault(joined.tag, {})[joined.key] = (got.steps, got.values)
        taken = {m.name for m in metrics}
        metrics += [
            scalars_table(tag if tag not in taken else f"{tag} (add_scalars)", keys)
            for tag, keys in keyed.items()
        ]
        times = (min(walls), max(walls)) if walls else None
        metrics += [
            Metric(
                tag,
                Kind.TABLE,
                {"recall": tuple(recall), "precision": tuple(precision)},
                calls=calls,
            )
            for tag, (calls, recall, precision) in decoder.pr_curves.items()
        ]
        run_images = _pick_images(images, path, problems)
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
