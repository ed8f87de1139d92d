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

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from ...errors import Problems
from ...model import Image, Kind, Metric, Run, Status
from ..base import is_regular, scan, series
from .events import Decoder
from .records import records

#: Images kept per tag (the last ones logged).
MAX_IMAGES_PER_TAG = 5


def is_event_file(path: Path) -> bool:
    """TensorBoard's rule: ``tfevents`` in the name, ``*.profile-empty`` excluded."""
    return "tfevents" in path.name and not path.name.endswith(".profile-empty")


class TensorBoardReader:
    """Reads the event files of one folder as one run."""

    name: ClassVar[str] = "tensorboard"
    nested_runs: ClassVar[bool] = True

    def detect(self, path: Path) -> bool:
        """A folder that directly holds event files."""
        try:
            return any(
                is_event_file(Path(e.name)) and e.is_file(follow_symlinks=False) for e in scan(path)
            )
        except OSError:
            return False

    def read(self, path: Path, problems: Problems) -> Iterator[Run]:
        """The one run in ``path`` (its event files in name order)."""
        decoder = Decoder(problems)
        files = sorted(
            p for p in (Path(e.path) for e in scan(path)) if is_event_file(p) and is_regular(p)
        )
        for file in files:
            decoder.file = file
            for payload in records(file, problems):
                decoder.add(payload)
            decoder.flush()
        scalars, texts, images, params = (
            decoder.scalar_columns(),
            decoder.texts,
            decoder.images,
            decoder.params,
        )
        times = decoder.times()
        metrics: list[Metric] = [series(tag, st, v) for tag, (st, v) in scalars.items()]
        metrics += [
            Metric(tag, Kind.SCALAR, {"step": tuple(s), "value": tuple(v)}, calls=len(v))
            for tag, (s, v) in texts.items()
        ]
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
