"""The lock a build holds on the site folder it writes, and the clean-up of what killed builds
left beside it."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Callable
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from .errors import SiteError

TMP_PREFIX = ".runreport-tmp-"
OLD_PREFIX = ".runreport-old-"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def clean_stale(target: Path) -> None:
    """Remove temp folders that earlier, killed builds of ``target`` left beside it. Call it
    only holding :class:`TargetLock`: every live build of ``target`` holds it while its temp
    folder exists, so with it held, each one found is an orphan."""
    parent = target.parent
    if not parent.is_dir():
        return
    for prefix in (TMP_PREFIX, OLD_PREFIX):
        for stale in parent.glob(f"{prefix}{target.name}-*"):
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale, ignore_errors=True)


class TargetLock:
    """An exclusive lock on writing the site at ``target``: ``flock`` on the site folder
    itself (made empty first when missing), released by the kernel when its holder exits,
    however it exits. So two builds into one folder run one after the other, and nothing is
    left beside the site. A build that waited checks that the folder it locked is still the
    one at ``target`` (the build before it swapped a new one in) and locks that one if not."""

    def __init__(self, target: Path, *, wait: bool, on_wait: Callable[[str], None] | None) -> None:
        self._fd: int | None = None
        self.target = target
        self.created = False  # this lock made the (empty) folder
        if fcntl is None:  # (Windows) no advisory locks: builds must not overlap
            return
        told = False
        while True:
            try:
                os.mkdir(target)
                self.created = True
            except FileExistsError:
                self.created = False
            fd = os.open(target, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW)
            try:
                if not _flock(fd, target, wait, None if told else on_wait):
                    os.close(fd)  # a file system without locks (some network mounts)
                    return
                told = True
                held = os.fstat(fd)
                now = _identity(target)
            except BaseException:
                os.close(fd)
                raise
            if now == (held.st_dev, held.st_ino):
                self._fd = fd
                return
            os.close(fd)  # swapped out while we waited: lock the folder there now

    def release(self, *, failed: bool = False) -> None:
        """Let the next build in; after a ``failed`` build, first remove the folder this lock
        made if it is still empty (a failed first build leaves nothing)."""
        if failed and self.created and self._fd is not None:
            with contextlib.suppress(OSError):
                os.rmdir(self.target)
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor releases the flock
            self._fd = None


_NO_LOCKS = (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS)


def _flock(fd: int, target: Path, wait: bool, on_wait: Callable[[str], None] | None) -> bool:
    """Lock ``fd`` exclusively (waiting, and telling ``on_wait``, when another build holds
    it); False when the file system has no locks."""
    assert fcntl is not None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            busy = f"{target}: another runreport build is writing this site"
            if not wait:
                raise SiteError(f"{busy}; not waiting (--no-wait)") from None
            if on_wait is not None:
                on_wait(f"{busy}; waiting for it to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError as exc:
        if exc.errno in _NO_LOCKS:
            return False
        raise
    return True


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino
