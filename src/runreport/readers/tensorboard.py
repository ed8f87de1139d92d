"""TensorBoard event files (``events.out.tfevents.*``): one run per folder that holds them.

Records are framed as TFRecords (length, masked CRC-32C of the length, data, masked CRC-32C of
the data) and every CRC is checked. The payloads are decoded by the ``protobuf`` package, with
a minimal schema built through protobuf's descriptor API: only the fields runreport shows, wire
compatible with TensorBoard's ``Event`` (unknown fields are skipped by protobuf itself).
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


def _masked_crc(data: bytes | memoryview) -> int:
    crc: int = google_crc32c.value(bytes(data))
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(path: Path, problems: Problems) -> Iterator[bytes]:
    """The payloads of a TFRecord file, streamed; stops at a torn or corrupt record (reported)."""
    try:
        fh = open_regular(path)
    except OSError as exc:
        problems.warn(path, None, f"not read ({exc.strerror or exc})")
        return
    with fh:
        index = 0
        while True:
            header = fh.read(12)
            if not header:
                return
            index += 1
            if len(header) < 12:
                problems.info(path, None, f"record {index} is cut off (still being written?)")
                return
            (length,) = struct.unpack_from("<Q", header, 0)
            (length_crc,) = struct.unpack_from("<I", header, 8)
            if _masked_crc(header[:8]) != length_crc:
                problems.warn(path, None, f"record {index}: length CRC mismatch; rest skipped")
                return
            if length > MAX_RECORD_BYTES:
                problems.warn(path, None, f"record {index} claims {length:,} bytes; rest skipped")
                return
            payload = fh.read(length)
            footer = fh.read(4)
            if len(payload) < length or len(footer) < 4:
                problems.info(path, None, f"record {index} is cut off (still being written?)")
                return
            if _masked_crc(payload) != struct.unpack("<I", footer)[0]:
                problems.warn(path, None, f"record {index}: data CRC mismatch; rest skipped")
                return
            yield payload


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
        Event = _classes()["Event"]
        scalars: dict[str, tuple[list[Value], list[Value]]] = {}
        texts: dict[str, tuple[list[Value], list[Value]]] = {}
        images: dict[str, list[tuple[int, bytes]]] = {}
        params: dict[str, Any] = {}
        times: list[float] = []
        files = sorted(
            p for p in (Path(e.path) for e in scan(path)) if is_event_file(p) and is_regular(p)
        )
        for file in files:
            for payload in records(file, problems):
                event = Event()
                try:
                    event.ParseFromString(payload)
                except Exception:  # protobuf's DecodeError differs between its backends
                    problems.warn(file, None, "undecodable event record; skipped")
                    continue
                if event.wall_time:
                    times.append(event.wall_time)
                if event.WhichOneof("what") != "summary":
                    continue
                for value in event.summary.value:
                    _value(value, event.step, scalars, texts, images, params, problems, file)
        metrics: list[Metric] = [series(tag, s, v) for tag, (s, v) in scalars.items()]
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
            start_time=datetime.fromtimestamp(min(times), tz=UTC) if times else None,
            end_time=datetime.fromtimestamp(max(times), tz=UTC) if times else None,
            params=params,
            metrics=tuple(metrics),
            images=run_images,
            properties={"event files": str(len(files))},
        )


def _value(
    value: Any,
    step: int,
    scalars: dict[str, tuple[list[Value], list[Value]]],
    texts: dict[str, tuple[list[Value], list[Value]]],
    images: dict[str, list[tuple[int, bytes]]],
    params: dict[str, Any],
    problems: Problems,
    file: Path,
) -> None:
    kind = value.WhichOneof("value")
    plugin = value.metadata.plugin_data.plugin_name
    tag = value.tag or value.node_name
    if kind == "simple_value":
        steps, values = scalars.setdefault(tag, ([], []))
        steps.append(step)
        values.append(value.simple_value)
    elif kind == "image":
        images.setdefault(tag, []).append((step, value.image.encoded_image_string))
    elif kind == "tensor":
        if plugin == "scalars" or (not plugin and value.metadata.data_class == 1):
            got = tensor_values(value.tensor)
            if got and isinstance(got[0], (int, float)):
                steps, values = scalars.setdefault(tag, ([], []))
                steps.append(step)
                values.append(float(got[0]))
        elif plugin == "text":
            got = tensor_values(value.tensor)
            steps, values = texts.setdefault(tag.removesuffix("/text_summary"), ([], []))
            steps.append(step)
            values.append("\n".join(str(v) for v in got))
        elif plugin == "images":
            got = list(value.tensor.string_val)
            for png in got[2:]:
                images.setdefault(tag, []).append((step, png))
    if plugin == "hparams" and tag.endswith("session_start_info"):
        # tensorboardX writes these with metadata only; TF writes an empty tensor beside it
        _hparams(value.metadata.plugin_data.content, params, problems, file)


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
