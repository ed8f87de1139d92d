"""TensorBoard event files (``events.out.tfevents.*``): one run per folder that holds them.

Records are framed as TFRecords (length, masked CRC-32C of the length, data, masked CRC-32C of
the data) and every CRC is checked. The payloads are decoded by the ``protobuf`` package, with
a minimal schema built through protobuf's descriptor API: only the fields runreport shows, wire
compatible with TensorBoard's ``Event`` (unknown fields are skipped by protobuf itself).

Most records of real event files are simple scalars whose bytes differ from record to record
only in the time, the step and the values. Those are decoded in batches with numpy, by layout
(:class:`_Layout`, made from one record and checked against protobuf's decoding of it); every
other record goes through protobuf, and both give the same series in record order (tested).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import google_crc32c
import numpy as np
from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    message_factory,
)

from ..errors import Problems
from ..model import Image, Kind, Metric, Run, Status, Value
from .base import is_regular, open_regular, scan, series

#: A record claiming more bytes than this is taken for garbage (TensorBoard's own limit is 2 GB;
#: real summaries are far smaller).
MAX_RECORD_BYTES = 256 << 20
#: Images kept per tag (the last ones logged).
MAX_IMAGES_PER_TAG = 5
#: Bytes read from an event file at a time (more when a record is longer).
READ_CHUNK_BYTES = 16 << 20
#: Records decoded together (grouped by layout), at most: a bound on the memory a batch takes.
BATCH_RECORDS = 1 << 16
BATCH_BYTES = 64 << 20
#: Fewer records than this of one length are decoded one by one.
MIN_LAYOUT_RECORDS = 4

_F = descriptor_pb2.FieldDescriptorProto
_DTYPES = {1: "<f4", 2: "<f8", 3: "<i4", 9: "<i8", 19: "<f2", 10: "?"}


def _message(
    pkg: descriptor_pb2.FileDescriptorProto,
    name: str,
    fields: list[tuple[str, int, int, str | None, bool, int | None]],
) -> descriptor_pb2.DescriptorProto:
    msg = pkg.message_type.add(name=name)
    for fname, number, ftype, type_name, repeated, oneof in fields:
        f = msg.field.add(
            name=fname,
            number=number,
            type=ftype,
            label=_F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL,
        )
        if type_name:
            f.type_name = type_name
        if oneof is not None:
            f.oneof_index = oneof
    return msg


@cache
def _classes() -> dict[str, Any]:
    """Message classes for the part of TensorBoard's schema that runreport reads."""
    fd = descriptor_pb2.FileDescriptorProto(
        name="runreport_tb.proto", package="rrtb", syntax="proto3"
    )
    msg, dbl, i64, i32, flt, s, b, boolean = (
        _F.TYPE_MESSAGE,
        _F.TYPE_DOUBLE,
        _F.TYPE_INT64,
        _F.TYPE_INT32,
        _F.TYPE_FLOAT,
        _F.TYPE_STRING,
        _F.TYPE_BYTES,
        _F.TYPE_BOOL,
    )
    event = _message(
        fd,
        "Event",
        [
            ("wall_time", 1, dbl, None, False, None),
            ("step", 2, i64, None, False, None),
            ("file_version", 3, s, None, False, 0),
            ("graph_def", 4, b, None, False, 0),
            ("summary", 5, msg, ".rrtb.Summary", False, 0),
        ],
    )
    event.oneof_decl.add(name="what")
    _message(fd, "Summary", [("value", 1, msg, ".rrtb.Value", True, None)])
    value = _message(
        fd,
        "Value",
        [
            ("tag", 1, s, None, False, None),
            ("node_name", 7, s, None, False, None),
            ("metadata", 9, msg, ".rrtb.SummaryMetadata", False, None),
            ("simple_value", 2, flt, None, False, 0),
            ("image", 4, msg, ".rrtb.Image", False, 0),
            ("histo", 5, b, None, False, 0),
            ("audio", 6, b, None, False, 0),
            ("tensor", 8, msg, ".rrtb.TensorProto", False, 0),
        ],
    )
    value.oneof_decl.add(name="value")
    _message(
        fd,
        "Image",
        [
            ("height", 1, i32, None, False, None),
            ("width", 2, i32, None, False, None),
            ("encoded_image_string", 4, b, None, False, None),
        ],
    )
    _message(
        fd,
        "SummaryMetadata",
        [
            ("plugin_data", 1, msg, ".rrtb.PluginData", False, None),
            ("display_name", 2, s, None, False, None),
            ("data_class", 4, i32, None, False, None),
        ],
    )
    _message(
        fd,
        "PluginData",
        [("plugin_name", 1, s, None, False, None), ("content", 2, b, None, False, None)],
    )
    _message(
        fd,
        "TensorProto",
        [
            ("dtype", 1, i32, None, False, None),
            ("tensor_shape", 2, msg, ".rrtb.Shape", False, None),
            ("tensor_content", 4, b, None, False, None),
            ("float_val", 5, flt, None, True, None),
            ("double_val", 6, dbl, None, True, None),
            ("int_val", 7, i32, None, True, None),
            ("string_val", 8, b, None, True, None),
            ("int64_val", 10, i64, None, True, None),
            ("bool_val", 11, boolean, None, True, None),
            ("half_val", 13, i32, None, True, None),
        ],
    )
    _message(fd, "Shape", [("dim", 2, msg, ".rrtb.Dim", True, None)])
    _message(fd, "Dim", [("size", 1, i64, None, False, None)])
    # hparams: HParamsPluginData{session_start_info=3{hparams=1 map<string, Value>}}; the map is
    # read as repeated entries and google.protobuf.Value by its number/string/bool fields.
    _message(
        fd, "HParamsPluginData", [("session_start_info", 3, msg, ".rrtb.SessionStart", False, None)]
    )
    _message(fd, "SessionStart", [("hparams", 1, msg, ".rrtb.HEntry", True, None)])
    _message(
        fd,
        "HEntry",
        [("key", 1, s, None, False, None), ("value", 2, msg, ".rrtb.HValue", False, None)],
    )
    hvalue = _message(
        fd,
        "HValue",
        [
            ("number_value", 2, dbl, None, False, 0),
            ("string_value", 3, s, None, False, 0),
            ("bool_value", 4, boolean, None, False, 0),
        ],
    )
    hvalue.oneof_decl.add(name="kind")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    return {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"rrtb.{name}"))
        for name in ("Event", "HParamsPluginData")
    }


def _masked_crc(data: bytes) -> int:
    crc: int = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


_HEADER = struct.Struct("<QI")
_FOOTER = struct.Struct("<I")


def records(path: Path, problems: Problems) -> Iterator[bytes]:
    """The payloads of a TFRecord file, read in large chunks; stops at a torn or corrupt
    record (reported)."""
    try:
        fh = open_regular(path)
    except OSError as exc:
        problems.warn(path, None, f"not read ({exc.strerror or exc})")
        return
    header, footer = _HEADER.unpack_from, _FOOTER.unpack_from
    good_headers: set[bytes] = set()  # a length's header CRC is checked once
    with fh:
        buf, index = b"", 0
        while True:
            chunk = fh.read(max(READ_CHUNK_BYTES, len(buf)))
            buf += chunk
            pos, end = 0, len(buf)
            while pos + 12 <= end:
                length, length_crc = header(buf, pos)
                head = buf[pos : pos + 12]
                if head not in good_headers:
                    if _masked_crc(head[:8]) != length_crc:
                        index += 1
                        problems.warn(
                            path, None, f"record {index}: length CRC mismatch; rest skipped"
                        )
                        return
                    if length > MAX_RECORD_BYTES:
                        index += 1
                        problems.warn(
                            path, None, f"record {index} claims {length:,} bytes; rest skipped"
                        )
                        return
                    good_headers.add(head)
                stop = pos + 12 + length
                if stop + 4 > end:
                    break  # the record goes on in the next chunk
                index += 1
                payload = buf[pos + 12 : stop]
                if _masked_crc(payload) != footer(buf, stop)[0]:
                    problems.warn(path, None, f"record {index}: data CRC mismatch; rest skipped")
                    return
                yield payload
                pos = stop + 4
            buf = buf[pos:]
            if not chunk:
                if buf:
                    cut = f"record {index + 1} is cut off (still being written?)"
                    problems.info(path, None, cut)
                return


def tensor_values(tensor: Any) -> list[Any]:
    """The values of a TensorProto, whichever field holds them."""
    if tensor.tensor_content:
        dtype = _DTYPES.get(tensor.dtype)
        if dtype is None:
            return []
        return [v.item() for v in np.frombuffer(tensor.tensor_content, dtype=dtype)]
    for field in ("float_val", "double_val", "int_val", "int64_val", "bool_val"):
        values = list(getattr(tensor, field))
        if values:
            return values
    if tensor.half_val:
        return [float(v) for v in np.array(list(tensor.half_val), dtype=np.uint16).view(np.float16)]
    return [v.decode("utf-8", "replace") for v in tensor.string_val]


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
        decoder = _Decoder(problems)
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


class _Layout:
    """Where the changing bytes of a record are, for records that are an ``Event`` of simple
    scalar values only: ``wall_time``, ``step`` and ``summary { value { tag simple_value } }``
    (as PyTorch, tensorboardX and Keras write scalars). Records of one length whose other
    bytes are all equal to a record of this layout hold the same fields in the same places,
    so a batch of them is decoded at once with numpy."""

    def __init__(
        self, payload: bytes, wall: int | None, step: tuple[int, int] | None, values: list[Any]
    ) -> None:
        self.length = len(payload)
        self.template = np.frombuffer(payload, dtype=np.uint8)
        self.wall = wall  # offset of the 8-byte double, if present
        self.step = step  # (offset, bytes) of the varint, if present
        self.values = values  # (tag, offset of the 4-byte float) in record order
        fixed = np.ones(self.length, dtype=bool)
        if wall is not None:
            fixed[wall : wall + 8] = False
        if step is not None:
            fixed[step[0] : step[0] + step[1]] = False
        for _, at in values:
            fixed[at : at + 4] = False
        self.fixed = fixed

    @classmethod
    def of(cls, payload: bytes) -> _Layout | None:
        """The layout of ``payload``, or None when it is anything else (checked against
        protobuf's own decoding of the same bytes)."""
        try:
            layout = cls._walk(payload)
        except (IndexError, UnicodeDecodeError):
            return None
        if layout is None:
            return None
        event = _classes()["Event"]()
        try:
            event.ParseFromString(payload)
        except Exception:  # protobuf's DecodeError differs between its backends
            return None
        got = layout.decode(np.frombuffer(payload, dtype=np.uint8).reshape(1, -1))
        # compared as bytes, so that a NaN loss equals itself
        expected = [(v.tag, struct.pack("<d", v.simple_value)) for v in event.summary.value]
        if (
            [(tag, column[:1].tobytes()) for tag, column in got[2]] != expected
            or got[0][:1].tobytes() != struct.pack("<d", event.wall_time)
            or int(got[1][0]) != event.step
        ):
            return None
        return layout

    @classmethod
    def _walk(cls, payload: bytes) -> _Layout | None:
        pos, end = 0, len(payload)
        wall: int | None = None
        step: tuple[int, int] | None = None
        values: list[Any] = []
        seen: set[int] = set()
        while pos < end:
            key, pos = _varint(payload, pos)
            if key in seen:
                return None  # a field given twice: protobuf keeps the last; not this layout
            seen.add(key)
            if key == 0x09:  # 1: wall_time, fixed64
                wall, pos = pos, pos + 8
            elif key == 0x10:  # 2: step, varint
                start = pos
                _, pos = _varint(payload, pos)
                step = (start, pos - start)
            elif key == 0x2A:  # 5: summary, length-delimited
                size, pos = _varint(payload, pos)
                stop = pos + size
                while pos < stop:
                    key, pos = _varint(payload, pos)
                    if key != 0x0A:  # Summary.value
                        return None
                    size, pos = _varint(payload, pos)
                    value_end = pos + size
                    tag, at = None, None
                    while pos < value_end:
                        key, pos = _varint(payload, pos)
                        if key == 0x0A and tag is None:  # Value.tag
                            size, pos = _varint(payload, pos)
                            tag, pos = payload[pos : pos + size].decode("utf-8"), pos + size
                        elif key == 0x15 and at is None:  # Value.simple_value, fixed32
                            at, pos = pos, pos + 4
                        else:
                            return None
                    if tag is None or at is None or pos != value_end:
                        return None
                    values.append((tag, at))
                if pos != stop:
                    return None
            else:
                return None
        if pos != end or not values:
            return None
        return cls(payload, wall, step, values)

    def matches(self, rows: np.ndarray) -> np.ndarray:
        """Which rows (records of this length, one per row) have this layout."""
        ok: np.ndarray = (rows[:, self.fixed] == self.template[self.fixed]).all(axis=1)
        if self.step is not None:  # every varint byte but the last has its high bit set
            at, size = self.step
            high = rows[:, at : at + size] & 0x80
            ok &= (high[:, :-1] != 0).all(axis=1) & (high[:, -1] == 0)
        return ok

    def decode(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[Any]]:
        """Wall times, steps and each tag's values of rows that match."""
        n = len(rows)
        if self.wall is None:
            wall = np.zeros(n)
        else:
            wall = rows[:, self.wall : self.wall + 8].copy().view("<f8").ravel()
        steps = np.zeros(n, dtype=np.uint64)
        if self.step is not None:
            at, size = self.step
            for i in range(size):
                byte = rows[:, at + i].astype(np.uint64) & np.uint64(0x7F)
                steps |= byte << np.uint64(7 * i)
        values = [
            (tag, rows[:, at : at + 4].copy().view("<f4").ravel().astype(np.float64))
            for tag, at in self.values
        ]
        return wall, steps.view(np.int64), values


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise IndexError("varint too long")


class _Decoder:
    """Decodes the records of a run's event files: batches of simple scalar records at once
    (see :class:`_Layout`), everything else one by one with protobuf, in record order."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.file = Path()
        self.count = 0  # records added so far (their order)
        self.pending: dict[int, list[tuple[int, bytes]]] = {}
        self.pending_bytes = 0
        self.layouts: dict[int, _Layout] = {}  # by record length: the last one seen
        # per tag: chunks of (order, step, value) arrays; order = record * 2**32 + position
        self.chunks: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
        self.one_by_one: dict[str, tuple[list[int], list[int], list[float]]] = {}
        self.texts: dict[str, tuple[list[Value], list[Value]]] = {}
        self.images: dict[str, list[tuple[int, bytes]]] = {}
        self.params: dict[str, Any] = {}
        self.walls: list[float] = []

    def add(self, payload: bytes) -> None:
        self.pending.setdefault(len(payload), []).append((self.count, payload))
        self.count += 1
        self.pending_bytes += len(payload)
        if self.count % BATCH_RECORDS == 0 or self.pending_bytes > BATCH_BYTES:
            self.flush()

    def flush(self) -> None:
        """Decode the records added since the last flush."""
        pending, self.pending, self.pending_bytes = self.pending, {}, 0
        for length, items in pending.items():
            rest = items
            if len(items) >= MIN_LAYOUT_RECORDS:
                rest = self._batch(length, items)
            for order, payload in rest:
                self._one(order, payload)

    def _batch(self, length: int, items: list[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
        rows = np.frombuffer(b"".join(p for _, p in items), dtype=np.uint8).reshape(-1, length)
        layout = self.layouts.get(length)
        if layout is None or not layout.matches(rows[:1])[0]:
            found = _Layout.of(items[0][1])
            if found is None:
                return items
            layout = self.layouts[length] = found
        ok = layout.matches(rows)
        orders = np.fromiter((o for o, _ in items), dtype=np.int64, count=len(items))[ok]
        wall, steps, values = layout.decode(rows[ok])
        seen = wall[wall != 0]
        if len(seen):
            self.walls += [float(seen.min()), float(seen.max())]
        for position, (tag, column) in enumerate(values):
            self.chunks.setdefault(tag, []).append(((orders << 32) + position, steps, column))
        return [item for item, good in zip(items, ok.tolist(), strict=True) if not good]

    def _one(self, order: int, payload: bytes) -> None:
        event = _classes()["Event"]()
        try:
            event.ParseFromString(payload)
        except Exception:  # protobuf's DecodeError differs between its backends
            self.problems.warn(self.file, None, "undecodable event record; skipped")
            return
        if event.wall_time:
            self.walls.append(event.wall_time)
        if event.WhichOneof("what") != "summary":
            return
        for position, value in enumerate(event.summary.value):
            _value(value, event.step, (order << 32) + position, self)

    def scalar_columns(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Each tag's steps and values, in record order (tags in the order first seen)."""
        for tag, (at, logged_at, logged) in self.one_by_one.items():
            self.chunks.setdefault(tag, []).append(
                (np.array(at, np.int64), np.array(logged_at, np.int64), np.array(logged))
            )
        self.one_by_one = {}
        merged: list[tuple[int, str, np.ndarray, np.ndarray]] = []
        for tag, chunks in self.chunks.items():
            orders = np.concatenate([c[0] for c in chunks])
            if len(orders):
                order = np.argsort(orders, kind="stable")
                steps = np.concatenate([c[1] for c in chunks])[order]
                values = np.concatenate([c[2] for c in chunks])[order]
                merged.append((int(orders[order[0]]), tag, steps, values))
        merged.sort(key=lambda m: m[0])  # tags in the order first logged
        return {tag: (steps, values) for _, tag, steps, values in merged}

    def times(self) -> tuple[float, float] | None:
        """The first and last wall time seen."""
        return (min(self.walls), max(self.walls)) if self.walls else None


def _value(value: Any, step: int, order: int, into: _Decoder) -> None:
    """One ``Summary.Value`` decoded by protobuf (``order``: where it stands in the run)."""
    kind = value.WhichOneof("value")
    plugin = value.metadata.plugin_data.plugin_name
    tag = value.tag or value.node_name
    scalar: float | None = None
    if kind == "simple_value":
        scalar = value.simple_value
    elif kind == "image":
        into.images.setdefault(tag, []).append((step, value.image.encoded_image_string))
    elif kind == "tensor":
        if plugin == "scalars" or (not plugin and value.metadata.data_class == 1):
            got = tensor_values(value.tensor)
            if got and isinstance(got[0], (int, float)):
                scalar = float(got[0])
        elif plugin == "text":
            got = tensor_values(value.tensor)
            text_steps, texts = into.texts.setdefault(tag.removesuffix("/text_summary"), ([], []))
            text_steps.append(step)
            texts.append("\n".join(str(v) for v in got))
        elif plugin == "images":
            got = list(value.tensor.string_val)
            for png in got[2:]:
                into.images.setdefault(tag, []).append((step, png))
    if scalar is not None:
        orders, steps, values = into.one_by_one.setdefault(tag, ([], [], []))
        orders.append(order)
        steps.append(step)
        values.append(scalar)
    if plugin == "hparams" and tag.endswith("session_start_info"):
        # tensorboardX writes these with metadata only; TF writes an empty tensor beside it
        _hparams(value.metadata.plugin_data.content, into.params, into.problems, into.file)


def _hparams(content: bytes, params: dict[str, Any], problems: Problems, file: Path) -> None:
    data = _classes()["HParamsPluginData"]()
    try:
        data.ParseFromString(content)
    except Exception:  # protobuf's DecodeError differs between its backends
        problems.warn(file, None, "undecodable hparams record; skipped")
        return
    for entry in data.session_start_info.hparams:
        which = entry.value.WhichOneof("kind")
        v = getattr(entry.value, which) if which else None
        if isinstance(v, float) and v.is_integer() and not math.isinf(v):
            v = int(v)
        params[entry.key] = v
