"""TensorBoard scalars decoded in batches (numpy, by record layout) must be exactly what
decoding every record with protobuf gives: same tags in the same order, same steps, values,
times, texts, images and problems, whatever the mix of records."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from runreport.errors import Problems
from runreport.readers.tensorboard import TensorBoardReader
from runreport.readers.tensorboard import events as tb_events

pytest.importorskip("tensorboard")
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2


def _write(path: Path, events: list[bytes]) -> None:
    """An event file of ``events``, framed by tensorboardX's own record writer."""
    from tensorboardX.record_writer import RecordWriter

    writer = RecordWriter(str(path))
    for event in events:
        writer.write(event)
    writer.close()


def _number(rng: random.Random) -> float:
    return rng.choice([rng.uniform(-1, 1)] * 8 + [float("nan"), float("inf"), -0.0, 3e38])


def _events(rng: random.Random, n: int) -> list[bytes]:
    """A mix: simple scalars (one or several per event, steps across varint sizes, negative
    and absent steps, absent wall times), tensor scalars, texts, a tag that is sometimes
    simple and sometimes a tensor, and records that are not summaries."""
    tags = ["loss", "acc", "lr", "a/b", "ünïcode", ""]
    out = [event_pb2.Event(wall_time=1.5, file_version="brain.Event:2").SerializeToString()]
    for i in range(n):
        step = rng.choice([i, i * 1000, 127, 128, 16383, 16384, 0, -1, -(2**40), 2**62, i])
        wall = rng.choice([1e9 + i, 0.0, 1e9 + i / 3])
        kind = rng.random()
        if kind < 0.75:
            values = [
                summary_pb2.Summary.Value(tag=rng.choice(tags), simple_value=_number(rng))
                for _ in range(rng.choice([1, 1, 1, 3, 20]))
            ]
        elif kind < 0.85:
            meta = summary_pb2.SummaryMetadata(
                plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars")
            )
            tensor = tensor_pb2.TensorProto(dtype=2, double_val=[rng.random()])
            values = [summary_pb2.Summary.Value(tag="loss", metadata=meta, tensor=tensor)]
        elif kind < 0.9:
            meta = summary_pb2.SummaryMetadata(
                plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="text")
            )
            tensor = tensor_pb2.TensorProto(dtype=7, string_val=[f"note {i}".encode()])
            values = [summary_pb2.Summary.Value(tag="notes", metadata=meta, tensor=tensor)]
        elif kind < 0.95:
            values = [
                summary_pb2.Summary.Value(
                    tag="loss", simple_value=float(np.float32(i)), node_name="n"
                )
            ]
        else:
            out.append(event_pb2.Event(wall_time=wall, step=step).SerializeToString())
            continue
        event = event_pb2.Event(
            wall_time=wall, step=step, summary=summary_pb2.Summary(value=values)
        )
        out.append(event.SerializeToString())
    return out


def _read(folder: Path, monkeypatch: pytest.MonkeyPatch, batched: bool) -> tuple[Any, Problems]:
    with monkeypatch.context() as m:
        m.setattr(tb_events, "MIN_LAYOUT_RECORDS", 4 if batched else 10**9)
        m.setattr(tb_events, "BATCH_RECORDS", 97)  # several batches per file
        problems = Problems()
        [run] = TensorBoardReader().read(folder, problems)
    return run, problems


def _exactly(column: Any) -> tuple[str, bytes] | list[Any]:
    """A column as comparable bytes (NaN equals NaN), or its values when not numeric."""
    array = np.asarray(column)
    return (array.dtype.str, array.tobytes()) if array.dtype.kind in "iuf" else list(column)


def _facts(run: Any) -> list[Any]:
    return [
        run.start_time,
        run.end_time,
        [(m.name, m.kind, {k: _exactly(v) for k, v in m.columns.items()}) for m in run.metrics],
        [(i.name, i.data) for i in run.images],
    ]


@pytest.mark.parametrize("seed", range(8))
def test_batched_decoding_is_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rng = random.Random(seed)
    folder = tmp_path / "run"
    folder.mkdir()
    for f in range(2):  # a run's files are read in name order, as one series per tag
        _write(folder / f"events.out.tfevents.{f}.host", _events(rng, 300))
    batched, batched_problems = _read(folder, monkeypatch, batched=True)
    one_by_one, problems = _read(folder, monkeypatch, batched=False)
    assert _facts(batched) == _facts(one_by_one)
    assert batched_problems.items == problems.items
    assert any(m.name == "loss" and m.length > 50 for m in batched.metrics)


def test_batches_take_most_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The common layout (a few tags per event, PyTorch's add_scalar) is decoded in batches."""
    decoded: list[int] = []
    original = tb_events.Decoder._one

    def counting(self: Any, order: int, payload: bytes) -> None:
        decoded.append(order)
        original(self, order, payload)

    monkeypatch.setattr(tb_events.Decoder, "_one", counting)
    folder = tmp_path / "run"
    folder.mkdir()
    events = [
        event_pb2.Event(
            wall_time=1e9 + s,
            step=s,
            summary=summary_pb2.Summary(
                value=[summary_pb2.Summary.Value(tag="loss", simple_value=1 / (s + 1))]
            ),
        ).SerializeToString()
        for s in range(1, 5000)
    ]
    _write(folder / "events.out.tfevents.1.host", events)
    [run] = TensorBoardReader().read(folder, Problems())
    assert run.metrics[0].length == 4999 and len(decoded) < 10


def _tf2_scalar(tag: str, value: float, step: int, wall: float) -> bytes:
    """A scalar as TF2's ``tf.summary.scalar`` (and Keras) writes it: a float32 tensor of
    shape ``[]`` with its 4 bytes in ``tensor_content``, the scalars plugin's metadata
    (tensorflow/core/summary/summary_file_writer.cc)."""
    meta = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"), data_class=1
    )
    tensor = tensor_pb2.TensorProto(
        dtype=1,
        tensor_shape=tensor_shape_pb2.TensorShapeProto(),
        tensor_content=np.float32(value).tobytes(),
    )
    value_pb = summary_pb2.Summary.Value(tag=tag, metadata=meta, tensor=tensor)
    return event_pb2.Event(
        wall_time=wall, step=step, summary=summary_pb2.Summary(value=[value_pb])
    ).SerializeToString()


@pytest.mark.parametrize("layout", ["add_scalar", "tf2"])
def test_producer_layouts_are_batched_and_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    """One scalar per event with tags of different lengths, steps across varint widths and
    real wall times (tensorboardX's add_scalar itself), or TF2's tensors: decoded in
    batches, exactly as one by one."""
    from tensorboardX import SummaryWriter

    tags = ["loss", "val/loss", "train/accuracy", "lr-Adam", "a", "layer_10/weight_norm"]
    rng = np.random.default_rng(5)
    folder = tmp_path / "run"
    steps = [*range(300), *range(16_380, 16_400), 2**40]
    if layout == "add_scalar":
        with SummaryWriter(str(folder)) as w:
            for step in steps:
                for tag in tags:
                    w.add_scalar(tag, float(rng.normal()), step, walltime=1.7e9 + step * 0.137)
    else:
        folder.mkdir()
        events = [
            _tf2_scalar(tag, float(rng.normal()), step, 1.7e9 + step * 0.137 + i * 1e-4)
            for step in steps
            for i, tag in enumerate(tags)
        ]
        _write(folder / "events.out.tfevents.1.host", events)
    decoded: list[int] = []
    original = tb_events.Decoder._one

    def counting(self: Any, order: int, payload: bytes) -> None:
        decoded.append(order)
        original(self, order, payload)

    with monkeypatch.context() as m:
        m.setattr(tb_events.Decoder, "_one", counting)
        [run] = TensorBoardReader().read(folder, Problems())
    assert {m.name for m in run.metrics} == set(tags)
    assert all(m.length == len(steps) for m in run.metrics)
    assert len(decoded) < 20  # the file's first event, and the odd record
    one_by_one, _ = _read(folder, monkeypatch, batched=False)
    assert _facts(run) == _facts(one_by_one)


def test_framing_by_predicted_lengths_stops_where_the_pattern_breaks(tmp_path: Path) -> None:
    """Records framed from the pattern their lengths repeat are the records framed one by one,
    through changes of pattern (a new tag, a wider step, a text) and a torn end."""
    from runreport.readers.tensorboard import records as tb_records

    rng = random.Random(11)
    events = []
    for step in range(3000):
        tags = ["loss", "acc"] if step < 1000 else ["loss", "acc", "val/loss"]
        for tag in tags:
            events.append(
                event_pb2.Event(
                    wall_time=1e9 + step,
                    step=step,
                    summary=summary_pb2.Summary(
                        value=[summary_pb2.Summary.Value(tag=tag, simple_value=rng.random())]
                    ),
                ).SerializeToString()
            )
        if step % 777 == 0:
            events.append(event_pb2.Event(step=step, file_version="x" * step).SerializeToString())
    path = tmp_path / "events.out.tfevents.1.host"
    _write(path, events)
    data = path.read_bytes()[:-7]  # torn
    path.write_bytes(data)
    framed = [
        data[o : o + n]
        for chunk in tb_records.frames(path, Problems())
        for o, n in zip(chunk.offsets.tolist(), chunk.lengths.tolist(), strict=True)
    ]
    assert framed == events[:-1]


def test_every_crc_is_checked_at_every_record_length(tmp_path: Path) -> None:
    """The CRCs checked many records at once (by length, or padded in front; two bytes a
    step) agree with google_crc32c's for records of every length, the long ones and the first
    records of a file included; a flipped byte anywhere in a record is found at that record."""
    from runreport.readers.tensorboard import records as tb_records

    rng = random.Random(5)
    lengths = list(range(700)) * 2 + [33] * 600 + [40] * 600  # and two lengths of many records
    rng.shuffle(lengths)
    records = [rng.randbytes(n) for n in [1, 0, 3, 40, *lengths]]
    path = tmp_path / "events.out.tfevents.1.host"
    _write(path, records)
    clean = path.read_bytes()

    def framed() -> tuple[list[bytes], list[str]]:
        problems = Problems()
        got = [
            chunk.data[o : o + n]
            for chunk in tb_records.frames(path, problems)
            for o, n in zip(chunk.offsets.tolist(), chunk.lengths.tolist(), strict=True)
        ]
        return got, [p.message for p in problems.items]

    assert framed() == (records, [])
    starts = np.cumsum([0] + [len(r) + 16 for r in records])
    many = [i for i, r in enumerate(records) if len(r) in (33, 40)]
    for index in [0, 2, 3, 100, *rng.sample(range(len(records)), 40), *many[-4:]]:
        if not records[index]:
            continue
        at = int(starts[index]) + 12 + rng.randrange(len(records[index]))
        broken = bytearray(clean)
        broken[at] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(broken))
        got, messages = framed()
        assert got == records[:index]
        assert messages == [f"record {index + 1}: data CRC mismatch; rest skipped"]
