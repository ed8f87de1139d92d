"""The part of TensorBoard's protobuf schema that runreport reads, built through protobuf's
descriptor API: wire compatible with TensorBoard's ``Event`` (unknown fields are skipped by
protobuf itself)."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    message_factory,
)

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
def classes() -> dict[str, Any]:
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
