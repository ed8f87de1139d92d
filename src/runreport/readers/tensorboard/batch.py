"""Decoding scalar records in batches with numpy, by layout.

Most records of real event files are scalars: an ``Event`` with a wall time, a step and a
``Summary`` of one or more values, each a tag and a number (``simple_value``, as PyTorch's and
tensorboardX's ``add_scalar`` write it, one per event; or a scalar tensor, as TF2's
``tf.summary.scalar`` and Keras write it). Records of one *family* hold the same fields in the
same places, so their wall times, steps and numbers sit at the same offsets: a family is
decoded at once with numpy. Within a family, records differ in their other bytes only by the
tags they hold (and a tensor's constant metadata): rows are grouped by those bytes, and each
group's tags are read from one of its records, checked against protobuf's decoding of it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from .schema import classes, is_scalar_tensor, tensor_values

#: A value's number: its offset in the record and its little-endian type (``<f4``, ``<f8``).
Slot = tuple[int, str]


@dataclass(frozen=True)
class Family:
    """Where the changing bytes of a family of records are: the wall time (offset of an
    8-byte double), the step (offset and width of its varint) and each value's number; every
    other byte (``fixed``) is the same for records holding the same tags."""

    length: int
    wall: int | None
    step: tuple[int, int] | None
    slots: tuple[Slot, ...]

    @property
    def shape(self) -> int:
        """What :func:`shapes` gives a record of this family."""
        return int(self.wall == 1) | ((self.step[1] if self.step else 0) << 1)

    @property
    def fixed(self) -> np.ndarray:
        mask = np.ones(self.length, dtype=bool)
        if self.wall is not None:
            mask[self.wall : self.wall + 8] = False
        if self.step is not None:
            mask[self.step[0] : self.step[0] + self.step[1]] = False
        for at, dtype in self.slots:
            mask[at : at + np.dtype(dtype).itemsize] = False
        return mask

    def well_formed(self, rows: np.ndarray) -> np.ndarray:
        """Which rows have a well-formed step varint (every byte but the last with its high
        bit set): with the fixed bytes of a checked record, a row is then of this family."""
        if self.step is None:
            return np.ones(len(rows), dtype=bool)
        at, size = self.step
        high = rows[:, at : at + size] & 0x80
        ok: np.ndarray = (high[:, :-1] != 0).all(axis=1) & (high[:, -1] == 0)
        return ok

    def decode(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """Wall times, steps and each slot's numbers (as float64) of rows of this family."""
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
            rows[:, at : at + np.dtype(dtype).itemsize]
            .copy()
            .view(dtype)
            .ravel()
            .astype(np.float64)
            for at, dtype in self.slots
        ]
        return wall, steps.view(np.int64), values


@dataclass(frozen=True)
class Layout:
    """One record's family and the tags of its values, in order."""

    family: Family
    tags: tuple[str, ...]

    @classmethod
    def of(cls, payload: bytes) -> Layout | None:
        """The layout of ``payload`` when it is a scalar record, else None; checked against
        protobuf's own decoding of the same bytes, and the same rule for which tensors are
        scalars that the one-by-one path uses."""
        try:
            layout = _walk(payload)
        except (IndexError, UnicodeDecodeError):
            return None
        if layout is None:
            return None
        event = classes()["Event"]()
        try:
            event.ParseFromString(payload)
        except Exception:  # protobuf's DecodeError differs between its backends
            return None
        expected = []
        for v in event.summary.value:
            kind = v.WhichOneof("value")
            if kind == "simple_value":
                expected.append((v.tag, struct.pack("<d", v.simple_value)))
            elif kind == "tensor" and is_scalar_tensor(v):
                got = tensor_values(v.tensor)
                if len(got) != 1 or not isinstance(got[0], float):
                    return None
                expected.append((v.tag, struct.pack("<d", got[0])))
            else:
                return None
        rows = np.frombuffer(payload, dtype=np.uint8).reshape(1, -1)
        wall, steps, values = layout.family.decode(rows)
        # compared as bytes, so that a NaN loss equals itself
        if (
            list(zip(layout.tags, (v[:1].tobytes() for v in values), strict=True)) != expected
            or wall[:1].tobytes() != struct.pack("<d", event.wall_time)
            or int(steps[0]) != event.step
        ):
            return None
        return layout


def _walk(payload: bytes) -> Layout | None:
    pos, end = 0, len(payload)
    wall: int | None = None
    step: tuple[int, int] | None = None
    slots: list[Slot] = []
    tags: list[str] = []
    seen: set[int] = set()
    while pos < end:
        key, pos = varint(payload, pos)
        if key in seen:
            return None  # a field given twice: protobuf keeps the last; not this layout
        seen.add(key)
        if key == 0x09:  # 1: wall_time, fixed64
            wall, pos = pos, pos + 8
        elif key == 0x10:  # 2: step, varint
            start = pos
            _, pos = varint(payload, pos)
            step = (start, pos - start)
        elif key == 0x2A:  # 5: summary, length-delimited
            size, pos = varint(payload, pos)
            stop = pos + size
            while pos < stop:
                key, pos = varint(payload, pos)
                if key != 0x0A:  # Summary.value
                    return None
                size, pos = varint(payload, pos)
                got = _value(payload, pos, pos + size)
                if got is None:
                    return None
                tags.append(got[0])
                slots.append(got[1])
                pos += size
            if pos != stop:
                return None
        else:
            return None
    if pos != end or not slots:
        return None
    return Layout(Family(len(payload), wall, step, tuple(slots)), tuple(tags))


def _value(payload: bytes, pos: int, end: int) -> tuple[str, Slot] | None:
    """A ``Summary.Value`` of a tag and one number: ``simple_value``, or a scalar tensor
    (with its constant metadata) holding one float or double."""
    tag: str | None = None
    slot: Slot | None = None
    while pos < end:
        key, pos = varint(payload, pos)
        if key == 0x0A and tag is None:  # Value.tag
            size, pos = varint(payload, pos)
            tag, pos = payload[pos : pos + size].decode("utf-8"), pos + size
        elif key == 0x15 and slot is None:  # Value.simple_value, fixed32
            slot, pos = (pos, "<f4"), pos + 4
        elif key == 0x4A:  # Value.metadata: the same bytes in every record of a tag
            size, pos = varint(payload, pos)
            pos += size
        elif key == 0x42 and slot is None:  # Value.tensor
            size, pos = varint(payload, pos)
            slot = _tensor(payload, pos, pos + size)
            if slot is None:
                return None
            pos += size
        else:
            return None
    if tag is None or slot is None or pos != end:
        return None
    return tag, slot


def _tensor(payload: bytes, pos: int, end: int) -> Slot | None:
    """The number of a scalar ``TensorProto`` (dtype float or double, an empty shape, one
    value in ``tensor_content``, ``float_val`` or ``double_val``)."""
    dtype: int | None = None
    slot: Slot | None = None
    while pos < end:
        key, pos = varint(payload, pos)
        if key == 0x08 and dtype is None:  # dtype
            dtype, pos = varint(payload, pos)
        elif key == 0x12:  # tensor_shape: empty for a scalar
            size, pos = varint(payload, pos)
            if size:
                return None
        elif key in (0x22, 0x2A, 0x32) and slot is None:  # content, packed float/double_val
            size, pos = varint(payload, pos)
            width = 4 if dtype == 1 and key != 0x32 else 8 if dtype == 2 and key != 0x2A else 0
            if size != width:
                return None
            slot, pos = (pos, "<f4" if width == 4 else "<f8"), pos + size
        elif key == 0x2D and slot is None and dtype == 1:  # float_val, one unpacked
            slot, pos = (pos, "<f4"), pos + 4
        elif key == 0x31 and slot is None and dtype == 2:  # double_val, one unpacked
            slot, pos = (pos, "<f8"), pos + 8
        else:
            return None
    return slot if pos == end else None


def shapes(rows: np.ndarray) -> np.ndarray:
    """Each record's shape, read from its first bytes at once: whether it starts with a wall
    time, and the width of the step's varint after it (0: no step). Records of one length
    and shape whose tags are of one length hold their fields at the same offsets."""
    n, length = rows.shape
    out = np.zeros(n, dtype=np.int64)
    for wall, at in ((True, 9), (False, 0)):
        if length <= at + 1:
            continue
        mine = (rows[:, 0] == 0x09) if wall else (rows[:, 0] != 0x09)
        if not mine.any():
            continue
        head = rows[mine, at : at + 11]
        has_step = head[:, 0] == 0x10
        more = (head[:, 1:] & 0x80) != 0  # varint bytes after the key that go on
        width = np.argmin(more, axis=1) + 1
        width[more.all(axis=1)] = more.shape[1]  # cut off by the record's end: no layout
        out[mine] = int(wall) | (np.where(has_step, width, 0) << 1)
    return out


def varint(data: bytes, pos: int) -> tuple[int, int]:
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
