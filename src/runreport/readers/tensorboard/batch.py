"""Decoding simple scalar records in batches with numpy, by layout: records of one length
whose bytes differ only in the time, the step and the values hold the same fields in the same
places (each layout is made from one record and checked against protobuf's decoding of it)."""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from .schema import classes


class Layout:
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
    def of(cls, payload: bytes) -> Layout | None:
        """The layout of ``payload``, or None when it is anything else (checked against
        protobuf's own decoding of the same bytes)."""
        try:
            layout = cls._walk(payload)
        except (IndexError, UnicodeDecodeError):
            return None
        if layout is None:
            return None
        event = classes()["Event"]()
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
    def _walk(cls, payload: bytes) -> Layout | None:
        pos, end = 0, len(payload)
        wall: int | None = None
        step: tuple[int, int] | None = None
        values: list[Any] = []
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
                    value_end = pos + size
                    tag, at = None, None
                    while pos < value_end:
                        key, pos = varint(payload, pos)
                        if key == 0x0A and tag is None:  # Value.tag
                            size, pos = varint(payload, pos)
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
