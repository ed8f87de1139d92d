"""Reading files from a log folder safely: through one descriptor, never through a link.

Every file in a log folder is hostile and can change while it is read: a file checked with
``lstat`` can be a link to ``~/.ssh/id_rsa`` by the time it is opened by path. So a file is
opened once, with ``O_NOFOLLOW`` (a link at the last step fails) and ``O_NONBLOCK`` (a FIFO
never blocks), checked to be a regular file through that descriptor, and everything after
(its identity, its bytes, a copy of it) comes from that descriptor.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path
from typing import BinaryIO

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)

_NO_SENDFILE = (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSOCK)


def open_regular(path: Path | str) -> BinaryIO:
    """Open a regular file for reading without following a link at the last step, and without
    blocking on a FIFO; anything else raises OSError."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def file_identity(path: Path | str, st: os.stat_result) -> str:
    """A file as the parse cache and the site's keys know it: path, size, modification and
    change times and inode, so a file rewritten, replaced, or edited in place with its
    modification time put back (``touch -r``) gets a new identity."""
    return f"{path}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"


def current_identity(path: Path | str) -> str | None:
    """:func:`file_identity` of ``path`` as it is now (not following a link); None if it is
    gone."""
    try:
        return file_identity(path, os.lstat(path))
    except (OSError, ValueError):
        return None


def create_new(path: str) -> BinaryIO:
    """A new file at ``path`` for writing; fails if anything (a file, a link) is there."""
    return os.fdopen(os.open(path, _CREATE_FLAGS, 0o644), "wb")


def copy_from(src: BinaryIO, dest: str, limit: int = sys.maxsize) -> int:
    """Copy at most ``limit`` bytes from the open file ``src`` (from where it is) into the new
    regular file ``dest``; the number of bytes copied."""
    copied = 0
    with create_new(dest) as out:
        in_fd, out_fd = src.fileno(), out.fileno()
        while copied < limit:
            try:  # in the kernel where it can (Linux), else through a buffer
                sent = os.sendfile(out_fd, in_fd, None, min(limit - copied, 1 << 30))
            except (OSError, AttributeError) as exc:
                if getattr(exc, "errno", errno.ENOSYS) not in _NO_SENDFILE:
                    raise
                return copied + _copy_loop(src, out, limit - copied)
            if sent == 0:
                break
            copied += sent
    return copied


def _copy_loop(src: BinaryIO, out: BinaryIO, limit: int) -> int:
    copied = 0
    while copied < limit:
        block = src.read(min(limit - copied, 1 << 20))
        if not block:
            break
        out.write(block)
        copied += len(block)
    return copied
