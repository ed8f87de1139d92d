"""TFRecord framing of TensorBoard event files: length, masked CRC-32C of the length, data,
masked CRC-32C of the data; every CRC is checked.

A file is read in large chunks. The records of a chunk are found by one pass over their
lengths, and their CRCs checked at once: with numpy for the short records that most are, two
bytes a step by table, as the rows of one array (all the records of a length when it has many,
else those of similar lengths, padded in front with zeros); with ``google_crc32c`` one by one
for the long ones (images, histograms)."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import google_crc32c
import numpy as np

from ...errors import Problems
from ..base import open_regular

#: A record claiming more bytes than this is taken for garbage (TensorBoard's own limit is 2 GB;
#: real summaries are far smaller).
MAX_RECORD_BYTES = 256 << 20
#: Bytes read from an event file at a time (more when a record is longer).
READ_CHUNK_BYTES = 16 << 20


def _masked_crc(data: bytes) -> int:
    crc: int = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _table() -> np.ndarray:
    """CRC-32C's byte table (the reflected Castagnoli polynomial)."""
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(0x82F63B78), table >> 1)
    return table.astype(np.uint32)


_TABLE = _table()


def _table16() -> np.ndarray:
    """The table that takes two bytes at a step: entry ``i`` is the state two zero bytes make
    of the state ``i``, so two bytes ``w`` make state ``s`` into
    ``(s >> 16) ^ table[(s ^ w) & 0xFFFF]``."""
    low = np.arange(1 << 16, dtype=np.uint32)
    once = (low >> 8) ^ _TABLE[low & 0xFF]
    table: np.ndarray = (once >> 8) ^ _TABLE[once & 0xFF]
    return table


def _before_zeros(most: int) -> np.ndarray:
    """Entry ``k``: the state that ``k`` zero bytes turn into CRC-32C's initial state. A row
    padded in front with ``k`` zeros and started there has the CRC of the row without them.
    (A byte step is invertible: the top byte of the table's entries differs for each.)"""
    by_top = {int(t) >> 24: i for i, t in enumerate(_TABLE.tolist())}
    state, states = 0xFFFFFFFF, [0xFFFFFFFF]
    for _ in range(most):
        i = by_top[state >> 24]
        state = (((state ^ int(_TABLE[i])) << 8) | i) & 0xFFFFFFFF
        states.append(state)
    return np.array(states, dtype=np.uint32)


def masked_crcs(rows: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
    """The masked CRC-32C of each row of ``rows`` (bytes, one record per row) at once, two
    bytes a step over all rows (the first byte alone when they are an odd number); ``start``:
    each row's initial state (a row padded in front with zeros starts from
    :func:`_before_zeros`)."""
    crc = np.full(len(rows), 0xFFFFFFFF, dtype=np.uint32) if start is None else start.copy()
    step = np.empty_like(crc)
    if rows.shape[1] & 1:
        np.bitwise_xor(crc, rows[:, 0], out=step)
        np.bitwise_and(step, 0xFF, out=step)
        np.right_shift(crc, 8, out=crc)
        np.bitwise_xor(crc, _TABLE.take(step), out=crc)
        rows = rows[:, 1:]
    words = np.ascontiguousarray(rows).view("<u2")
    for column in np.ascontiguousarray(words.T):
        np.bitwise_xor(crc, column, out=step)
        np.bitwise_and(step, 0xFFFF, out=step)
        np.right_shift(crc, 16, out=crc)
        np.bitwise_xor(crc, _TABLE16.take(step), out=crc)
    crc ^= np.uint32(0xFFFFFFFF)
    rotated = (crc >> np.uint32(15)) | (crc << np.uint32(17))
    return (rotated.astype(np.uint64) + 0xA282EAD8).astype(np.uint32)


#: Records up to this long have their CRC checked with numpy (:func:`masked_crcs`): all those
#: of one length together when there are at least :data:`MIN_LENGTH_ROWS` of them, the others
#: with those of similar lengths (one bit length), each padded in front to the longest.
MAX_VECTOR_CRC_BYTES = 512
MIN_LENGTH_ROWS = 512
_TABLE16 = _table16()
_BEFORE_ZEROS = _before_zeros(MAX_VECTOR_CRC_BYTES + 2)


@dataclass(frozen=True)
class Frames:
    """The records of one chunk of a file: ``data`` holds them, each at ``offsets[i]`` and
    ``lengths[i]`` bytes long; ``groups`` has the short ones by length, as the indices of
    the records of that length and their bytes one per row (gathered once, for their CRCs)."""

    data: bytes
    offsets: np.ndarray
    lengths: np.ndarray
    groups: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


_HEADER = struct.Struct("<QI")
_LENGTH = struct.Struct("<Q")
_FOOTER = struct.Struct("<I")


def frames(path: Path, problems: Problems) -> Iterator[Frames]:
    """The records of a TFRecord file, chunk by chunk; stops at a torn or corrupt record
    (reported)."""
    try:
        fh = open_regular(path)
    except OSError as exc:
        problems.warn(path, None, f"not read ({exc.strerror or exc})")
        return
    with fh:
        buf, index = b"", 0
        while True:
            chunk = fh.read(max(READ_CHUNK_BYTES, len(buf)))
            buf += chunk
            offsets, lengths, used = _scan(buf)
            groups: dict[int, tuple[np.ndarray, np.ndarray]] = {}
            good, why = _checked(buf, offsets, lengths, groups)
            if good:
                kept = {}
                for length, (records, rows) in groups.items():
                    whole = records < good
                    kept[length] = (records[whole], rows[whole])
                yield Frames(buf, offsets[:good], lengths[:good], kept)
            index += good
            buf = buf[used:]
            if not why and chunk and (len(offsets) or len(buf) < 12):
                continue  # more to read
            # a bad record among these, the end of the file, or a record that cannot be whole
            why = why or (_torn(buf) if buf else "")
            if why:
                problems.warn(path, None, f"record {index + 1}{why}; rest skipped")
                return
            if not chunk:
                if buf:
                    cut = f"record {index + 1} is cut off (still being written?)"
                    problems.info(path, None, cut)
                return


#: Records framed one by one before the lengths' period is looked for, and the longest
#: period looked for (a training loop logging N tags per step repeats N lengths).
_WARMUP_RECORDS = 64
_MAX_PERIOD = 512
#: Records predicted (and checked) at once from the period.
_PREDICTED = 1 << 15


def _scan(buf: bytes) -> tuple[np.ndarray, np.ndarray, int]:
    """The offsets and lengths of the whole records at the start of ``buf`` (found by their
    length fields alone: :func:`_checked` checks them), and the bytes they take. Stops before
    a record claiming more than :data:`MAX_RECORD_BYTES`.

    Real files repeat a pattern of lengths (the tags a loop logs each step): once the last
    lengths repeat with some period, the next records are predicted from it and the length
    fields at the predicted offsets checked with numpy, thousands at a time; where a
    prediction fails, records are framed one by one again."""
    data = np.frombuffer(buf, dtype=np.uint8)
    lengths: list[int] = []
    pos, end = 0, len(buf)
    while True:
        pos = _walk(buf, pos, lengths, _WARMUP_RECORDS)
        if pos + 12 > end or not lengths or _stopped(buf, pos):
            break
        period = _period(lengths)
        if period is None:
            continue
        pattern = np.array(lengths[-period:], dtype=np.int64)
        got = _predicted(data, pos, pattern)
        if not len(got):
            continue
        lengths += got.tolist()
        pos += int((got + 16).sum())
    sizes = np.array(lengths, dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(sizes + 16)[:-1])) + 12 if len(sizes) else sizes
    return offsets.astype(np.int64), sizes, pos


def _walk(buf: bytes, pos: int, lengths: list[int], most: int) -> int:
    """Frame up to ``most`` records one by one from ``pos``; the position after them."""
    end = len(buf)
    unpack = _LENGTH.unpack_from
    for _ in range(most):
        if pos + 12 > end:
            break
        (length,) = unpack(buf, pos)
        stop = pos + 16 + length
        if length > MAX_RECORD_BYTES or stop > end:
            break
        lengths.append(length)
        pos = stop
    return pos


def _stopped(buf: bytes, pos: int) -> bool:
    """Whether the record at ``pos`` cannot be framed (too long, or not whole)."""
    (length,) = _LENGTH.unpack_from(buf, pos)
    return bool(length > MAX_RECORD_BYTES or pos + 16 + length > len(buf))


def _period(lengths: list[int]) -> int | None:
    """The shortest period with which the last lengths repeat (seen twice), if any."""
    tail = lengths[-2 * _MAX_PERIOD :]
    for p in range(1, min(_MAX_PERIOD, len(tail) // 2) + 1):
        if tail[-p:] == tail[-2 * p : -p]:
            return p
    return None


def _predicted(data: np.ndarray, pos: int, pattern: np.ndarray) -> np.ndarray:
    """The lengths of the records from ``pos`` on that follow ``pattern`` (repeated), as far
    as the length fields at the predicted offsets agree and the records are whole."""
    fit = (len(data) - pos) // (int(pattern.min()) + 16) + 1  # records the bytes left can hold
    reps = -(-min(_PREDICTED, fit) // len(pattern))
    sizes = np.tile(pattern, reps)
    starts = pos + np.concatenate(([0], np.cumsum(sizes + 16)[:-1]))
    whole = starts + sizes + 16 <= len(data)
    count = int(np.argmin(whole)) if not whole.all() else len(sizes)
    if not count:
        return sizes[:0]
    heads = _at(data, starts[:count], 8).view("<u8").ravel()
    agree = heads == sizes[:count].astype(np.uint64)
    good = int(np.argmin(agree)) if not agree.all() else count
    return sizes[:good]


def _checked(
    buf: bytes,
    offsets: np.ndarray,
    lengths: np.ndarray,
    groups: dict[int, tuple[np.ndarray, np.ndarray]],
) -> tuple[int, str]:
    """How many of the records are good (every CRC right, in order), and what is wrong with
    the first bad one ('' when all are good); the short records' bytes are put in ``groups``
    by length, for the decoder."""
    n = len(offsets)
    if not n:
        return 0, ""
    data = np.frombuffer(buf, dtype=np.uint8)
    stored = _at(data, offsets - 4, 4).view("<u4").ravel()
    first_bad_head = _first_false(masked_crcs(_at(data, offsets - 12, 8)) == stored)
    by_length = np.argsort(lengths, kind="stable")
    cuts = np.flatnonzero(np.diff(lengths[by_length])) + 1
    for index in np.split(by_length, cuts):
        length = int(lengths[index[0]])
        if length <= MAX_VECTOR_CRC_BYTES:
            groups[length] = (index, _at(data, offsets[index], length))
    ends = _at(data, offsets + lengths, 4).view("<u4").ravel()
    first_bad_data = _first_false(_data_good(buf, offsets, lengths, ends, groups))
    if first_bad_head <= first_bad_data and first_bad_head < n:
        return first_bad_head, ": length CRC mismatch"
    if first_bad_data < n:
        return first_bad_data, ": data CRC mismatch"
    return n, ""


def _data_good(
    buf: bytes,
    offsets: np.ndarray,
    lengths: np.ndarray,
    ends: np.ndarray,
    groups: dict[int, tuple[np.ndarray, np.ndarray]],
) -> np.ndarray:
    """Whether each record's data CRC is right (``groups``: the short records' bytes by
    length). Lengths with many records are checked each on their own; the other short records
    by bit length of their lengths (so a row is padded to at most about twice its length);
    the long ones, and any too near the start of ``buf`` to be padded in place, one by one."""
    good = np.ones(len(offsets), dtype=bool)
    few = np.zeros(len(offsets), dtype=bool)
    for index, rows in groups.values():
        if len(index) >= MIN_LENGTH_ROWS:
            good[index] = masked_crcs(rows) == ends[index]
        else:
            few[index] = True
    single: list[np.ndarray] = [np.flatnonzero(lengths > MAX_VECTOR_CRC_BYTES)]
    bits = np.frexp(lengths.astype(np.float64))[1]  # the bit length of each length
    data = np.frombuffer(buf, dtype=np.uint8)
    for b in np.unique(bits[few]).tolist():
        index = np.flatnonzero(few & (bits == b))
        width = max(2, int(lengths[index].max()))
        width += width & 1
        starts = offsets[index] + lengths[index] - width
        single.append(index[starts < 0])
        index, starts = index[starts >= 0], starts[starts >= 0]
        rows = _at(data, starts, width)
        pad = width - lengths[index]
        rows *= np.arange(width) >= pad[:, None]
        good[index] = masked_crcs(rows, _BEFORE_ZEROS[pad]) == ends[index]
    for i in np.concatenate(single).tolist():
        o, size = int(offsets[i]), int(lengths[i])
        good[i] = _masked_crc(buf[o : o + size]) == int(ends[i])
    return good


def _first_false(ok: np.ndarray) -> int:
    """The index of the first False in ``ok`` (its length when none is)."""
    return int(np.argmin(ok)) if not ok.all() else len(ok)


def _at(data: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """The ``length`` bytes at each of ``starts`` in ``data``, one row each (a copy)."""
    windows = np.ndarray(
        (max(0, len(data) - length + 1), length), dtype=np.uint8, buffer=data, strides=(1, 1)
    )
    rows: np.ndarray = windows[starts]
    return rows


def _torn(buf: bytes) -> str:
    """What is wrong with the record at the start of ``buf`` that is not whole: a bad length
    CRC or an impossible length ('' when it is only cut off)."""
    if len(buf) < 12:
        return ""
    length, length_crc = _HEADER.unpack_from(buf, 0)
    if _masked_crc(buf[:8]) != length_crc:
        return ": length CRC mismatch"
    if length > MAX_RECORD_BYTES:
        return f" claims {length:,} bytes"
    return ""


def records(path: Path, problems: Problems) -> Iterator[bytes]:
    """The payloads of a TFRecord file, one by one (see :func:`frames`)."""
    for chunk in frames(path, problems):
        for o, size in zip(chunk.offsets.tolist(), chunk.lengths.tolist(), strict=True):
            yield chunk.data[o : o + size]
