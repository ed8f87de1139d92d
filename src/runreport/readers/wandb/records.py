"""W&B's ``run-<id>.wandb`` transaction log, read without the ``wandb`` package.

The framing is LevelDB's log format as W&B writes it: a 7-byte header (``:W&B``, magic
``0xBEE1``, version 0), then 32 KiB blocks of records, each ``<IHB`` (checksum, length, type:
1 full, 2 first, 3 middle, 4 last) and its data; fewer than 7 bytes left in a block are padding.
The checksum is zlib's CRC-32 of the type byte and the data. A record cut short at the end of
the file is a run still writing.

Each record's data is a ``wandb_internal.Record``. The part runreport reads is declared here
with protobuf's descriptor API, by W&B's own field numbers (``wandb/proto/wandb_internal.proto``):
they are the wire format, the same from wandb 0.12 to 0.31, and protobuf skips every field not
declared. So no optional dependency is needed: the ``wandb`` package (0.31 brings pydantic,
OpenTelemetry and a Go binary) is not imported to read its files.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from google.protobuf import descriptor_pb2

from ..protodesc import F, add_message, message_classes

MAGIC = b":W&B" + struct.pack("<HB", 0xBEE1, 0)
BLOCK = 32768
_HEAD = struct.Struct("<IHB")
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


@dataclass
class Framed:
    """The records' data in order, whether the file ends mid-record, and where it is damaged."""

    records: list[bytes] = field(default_factory=list)
    torn: bool = False
    damaged: list[int] = field(default_factory=list)  # offsets of records whose checksum fails


def frames(data: bytes) -> Framed:
    """Every whole record in ``data`` (a ``.wandb`` file without checking its header). A record
    that fails its checksum is skipped with the rest of its block, as LevelDB's reader does."""
    out = Framed()
    pos, end = len(MAGIC), len(data)
    pending: bytearray | None = None
    while pos < end:
        left = BLOCK - pos % BLOCK
        if left < _HEAD.size:  # the block's zero padding
            pos += left
            continue
        if pos + _HEAD.size > end:
            out.torn = True
            break
        crc, length, kind = _HEAD.unpack_from(data, pos)
        if crc == 0 and length == 0 and kind == 0:  # zero padding up to the block's end
            pos += left
            continue
        body = data[pos + _HEAD.size : pos + _HEAD.size + length]
        if len(body) < length:
            out.torn = True
            break
        if zlib.crc32(body, zlib.crc32(bytes([kind]))) != crc or _HEAD.size + length > left:
            out.damaged.append(pos)
            pending = None
            pos += left  # resynchronise at the next block
            continue
        pos += _HEAD.size + length
        if kind == FULL:
            out.records.append(body)
        elif kind == FIRST:
            pending = bytearray(body)
        elif kind in (MIDDLE, LAST) and pending is not None:
            pending += body
            if kind == LAST:
                out.records.append(bytes(pending))
                pending = None
    if pending is not None:
        out.torn = True
    return out


@cache
def record_class() -> Any:
    """The message class of the part of ``wandb_internal.Record`` runreport reads."""
    msg, s, i64, i32 = F.TYPE_MESSAGE, F.TYPE_STRING, F.TYPE_INT64, F.TYPE_INT32
    fd = descriptor_pb2.FileDescriptorProto(
        name="runreport_wandb.proto", package="rrwb", syntax="proto3"
    )
    record = add_message(
        fd,
        "Record",
        [
            ("history", 2, msg, ".rrwb.History", False, 0),
            ("summary", 3, msg, ".rrwb.Updates", False, 0),
            ("config", 5, msg, ".rrwb.Updates", False, 0),
            ("stats", 7, msg, ".rrwb.Stats", False, 0),
            ("run", 17, msg, ".rrwb.RunInfo", False, 0),
            ("exit", 18, msg, ".rrwb.Exit", False, 0),
        ],
    )
    record.oneof_decl.add(name="what")
    # HistoryItem, SummaryItem, ConfigItem and StatsItem share these numbers
    add_message(
        fd,
        "Item",
        [
            ("key", 1, s, None, False, None),
            ("nested_key", 2, s, None, True, None),
            ("value_json", 16, s, None, False, None),
        ],
    )
    add_message(
        fd,
        "History",
        [("item", 1, msg, ".rrwb.Item", True, None), ("step", 2, msg, ".rrwb.Step", False, None)],
    )
    add_message(fd, "Step", [("num", 1, i64, None, False, None)])
    add_message(
        fd,
        "Updates",  # SummaryRecord and ConfigRecord
        [
            ("update", 1, msg, ".rrwb.Item", True, None),
            ("remove", 2, msg, ".rrwb.Item", True, None),
        ],
    )
    add_message(
        fd,
        "Stats",
        [
            ("timestamp", 2, msg, ".rrwb.Timestamp", False, None),
            ("item", 3, msg, ".rrwb.Item", True, None),
        ],
    )
    add_message(
        fd,
        "Timestamp",
        [("seconds", 1, i64, None, False, None), ("nanos", 2, i32, None, False, None)],
    )
    add_message(
        fd,
        "RunInfo",
        [
            ("run_id", 1, s, None, False, None),
            ("entity", 2, s, None, False, None),
            ("project", 3, s, None, False, None),
            ("config", 4, msg, ".rrwb.Updates", False, None),
            ("summary", 5, msg, ".rrwb.Updates", False, None),
            ("run_group", 6, s, None, False, None),
            ("job_type", 7, s, None, False, None),
            ("display_name", 8, s, None, False, None),
            ("notes", 9, s, None, False, None),
            ("tags", 10, s, None, True, None),
            ("sweep_id", 12, s, None, False, None),
            ("host", 13, s, None, False, None),
            ("start_time", 17, msg, ".rrwb.Timestamp", False, None),
        ],
    )
    add_message(
        fd,
        "Exit",
        [("exit_code", 1, i32, None, False, None), ("runtime", 2, i32, None, False, None)],
    )
    return message_classes(fd, "Record")["Record"]
