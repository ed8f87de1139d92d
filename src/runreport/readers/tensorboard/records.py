"""TFRecord framing of TensorBoard event files: length, masked CRC-32C of the length, data,
masked CRC-32C of the data; every CRC is checked."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import google_crc32c

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
