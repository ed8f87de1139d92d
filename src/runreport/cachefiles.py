"""Files runreport keeps in its cache folder, each checked before use.

A cached file (the Vega bundle, chart shapes, compiled templates) is written with a header
naming its length and SHA-256, and read back only when both match: a truncated, flipped or
foreign file is a miss, and the caller makes it again. Writing is best effort: a cache folder
that cannot be written (a full disk, a read-only home) costs time, never the build, and
:func:`unwritable` says so once.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

_MAGIC = b"runreport-cache 1 "
#: The first problem met writing to the cache folder in this process (None while all went well).
_failure: list[str] = []


def cache_dir() -> Path:
    """Where runreport keeps what it can reuse between builds (``RUNREPORT_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/runreport`` or ``~/.cache/runreport``)."""
    if os.environ.get("RUNREPORT_CACHE_DIR"):
        return Path(os.environ["RUNREPORT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "runreport"


def read_checked(path: Path) -> bytes | None:
    """What :func:`write_checked` wrote at ``path``, if it is all there and unchanged; else
    None (missing, truncated, damaged or not written by it)."""
    try:
        with open(path, "rb") as fh:
            header = fh.readline(200)
            data = fh.read()
    except OSError:
        return None
    if not header.startswith(_MAGIC) or not header.endswith(b"\n"):
        return None
    try:
        size, digest = header[len(_MAGIC) : -1].split(b" ")
        if int(size) != len(data):
            return None
    except ValueError:
        return None
    return data if hashlib.sha256(data).hexdigest().encode() == digest else None


def write_checked(path: Path, data: bytes) -> bool:
    """Keep ``data`` at ``path`` (atomically, with its length and hash); False, and noted for
    :func:`unwritable`, when the cache folder cannot take it."""
    header = _MAGIC + f"{len(data)} {hashlib.sha256(data).hexdigest()}\n".encode()

    def write(fh: BinaryIO) -> None:
        fh.write(header)
        fh.write(data)

    return write_atomically(path, write)


def write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> bool:
    """Make ``path`` in the cache folder with what ``write`` writes, all or nothing (a temp
    file beside it, then renamed); False, and noted for :func:`unwritable`, when the cache
    folder cannot take it."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except OSError as exc:
        note_failure(path, exc)
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        return False
    return True


def note_failure(path: Path, exc: OSError) -> None:
    """Remember that writing ``path`` in the cache failed (the first such failure is told)."""
    if not _failure:
        _failure.append(f"{path.parent}: {exc.strerror or exc}")


def unwritable() -> str | None:
    """Why the cache folder could not be written in this process, if it could not; the build
    went on without what it would have kept."""
    return _failure[0] if _failure else None
