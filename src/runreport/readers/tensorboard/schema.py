"""The part of TensorBoard's protobuf schema that runreport reads, built through protobuf's
descriptor API: wire compatible with TensorBoard's ``Event`` (unknown fields are skipped by
protobuf itself)."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from google.protobuf import descriptor_pb2

from ..protodesc import F, add_message, message_classes

_DTYPES = {1: "<f4", 2: "<f8", 3: "<i4", 9: "<i8", 19: "<f2", 10: "?"}


@cache
def classes() -> dict[str, Any]:
    """Message classes for the part of TensorBoard's schema that runreport reads."""
    fd = descriptor_pb2.FileDescriptorProto(
        name="runreport_tb.proto", package="rrtb", syntax="proto3"
    )
    msg, dbl, i64, i32, flt, s, b, boolean = (
        F.TYPE_MESSAGE,
        F.TYPE_DOUBLE,
        F.TYPE_INT64,
        F.TYPE_INT32,
        F.TYPE_FLOAT,
        F.TYPE_STRING,
        F.TYPE_BYTES,
        F.TYPE_BOOL,
    )
    event = add_message(
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
    add_message(fd, "Summary", [("value", 1, msg, ".rrtb.Value", True, None)])
    value = add_message(
        fd,
        "Value",
        [
            ("tag", 1, s, None, False, None),
            ("node_name", 7, s, None, False, None),
            ("metadata", 9, msg, ".rrtb.SummaryMetadata", False, None),
            ("simple_value", 2, flt, None, False, 0),
            ("image", 4, msg, ".rrtb.Image", False, 0),
            ("histo", 5, msg, ".rrtb.Histogram", False, 0),
            ("audio", 6, b, None, False, 0),
            ("tensor", 8, msg, ".rrtb.TensorProto", False, 0),
        ],
    )
    value.oneof_decl.add(name="value")
    add_message(
        fd,
        "Image",
        [
            ("height", 1, i32, None, False, None),
            ("width", 2, i32, None, False, None),
            ("encoded_image_string", 4, b, None, False, None),
        ],
    )
    add_message(
        fd,
        "Histogram",
        [
            ("min", 1, dbl, None, False, None),
            ("max", 2, dbl, None, False, None),
            ("num", 3, dbl, None, False, None),
            ("bucket_limit", 6, dbl, None, True, None),
            ("bucket", 7, dbl, None, True, None),
        ],
    )
    add_message(
        fd,
        "SummaryMetadata",
        [
            ("plugin_data", 1, msg, ".rrtb.PluginData", False, None),
            ("display_name", 2, s, None, False, None),
            ("data_class", 4, i32, None, False, None),
        ],
    )
    add_message(
        fd,
        "PluginData",
        [("plugin_name", 1, s, None, False, None), ("content", 2, b, None, False, None)],
    )
    add_message(
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
    add_message(fd, "Shape", [("dim", 2, msg, ".rrtb.Dim", True, None)])
    add_message(fd, "Dim", [("size", 1, i64, None, False, None)])
    # hparams: HParamsPluginData{session_start_info=3{hparams=1 map<string, Value>}}; the map is
    # read as repeated entries and google.protobuf.Value by its number/string/bool fields.
    add_message(
        fd, "HParamsPluginData", [("session_start_info", 3, msg, ".rrtb.SessionStart", False, None)]
    )
    add_message(fd, "SessionStart", [("hparams", 1, msg, ".rrtb.HEntry", True, None)])
    add_message(
        fd,
        "HEntry",
        [("key", 1, s, None, False, None), ("value", 2, msg, ".rrtb.HValue", False, None)],
    )
    hvalue = add_message(
        fd,
        "HValue",
        [
            ("number_value", 2, dbl, None, False, 0),
            ("string_value", 3, s, None, False, 0),
            ("bool_value", 4, boolean, None, False, 0),
        ],
    )
    hvalue.oneof_decl.add(name="kind")
    return message_classes(fd, "Event", "HParamsPluginData")


def is_scalar_tensor(value: Any) -> bool:
    """Whether a ``Summary.Value`` holding a tensor is a scalar: the scalars plugin's, or one
    without a plugin that says it is a scalar (``data_class`` 1)."""
    plugin = value.metadata.plugin_data.plugin_name
    return bool(plugin == "scalars" or (not plugin and value.metadata.data_class == 1))


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
