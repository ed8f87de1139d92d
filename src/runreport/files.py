"""The file-system layer: every file runreport reads from a log folder or keeps in its cache
folder goes through here.

Reading a log folder safely: every file in a log folder is hostile and can change while it is
read: a file checked with ``lstat`` can be a link to ``~/.ssh/id_rsa`` by the time it is opened
by path. So a file is opened once, with ``O_NOFOLLOW`` (a link at the last step fails) and
``O_NONBLOCK`` (a FIFO never blocks), checked to be a regular file through that descriptor, and
everything after (its identity, its bytes, a copy of it) comes from that descriptor.

The cache folder: a cached file (the Vega bundle, chart shapes, compiled templates) is written
with a header naming its length and SHA-256, and read back only when both match: a truncated,
flipped or foreign file is a miss, and the caller makes it again. Writing there is best effort:
a cache folder that cannot be written (a full disk, a read-only home) costs time, never the
build, and :func:`unwritable` says so once.

Every file runreport writes whole (cache files, a run's ``run.json``) is written by
:func:`write_atomic`: a temp file beside it, then renamed over it.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import sys
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from functools import cache, wraps
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from . import __version__

#: Bumped when what the parse cache keeps changes shape (part of :func:`code_fingerprint`).
CACHE_FORMAT = 1

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)

_NO_SENDFILE = (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSOCK)

_MAGIC = b"runreport-cache 1 "
#: The first problem met writing to the cache folder in this process (None while all went well).
_failure: list[str] = []


#: The largest log or output copied into a site (bigger ones are listed with their size); a
#: remote LOGDIR's model files over it are never downloaded (see runreport.remote).
MAX_OUTPUT_BYTES_COPIED = 50 * 1024 * 1024
#: The end of a log a run's page shows (all of it when smaller).
MAX_LOG_BYTES_SHOWN = 200_000


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


def still_same(identity: str) -> bool:
    """Whether the file :func:`file_identity` described as ``identity`` is that file still
    (its path is what comes before the identity's last four fields)."""
    return current_identity(identity.rsplit(":", 4)[0]) == identity


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


def is_plain_dir(path: Path | str) -> bool:
    """True for a folder that is not a symbolic link."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except (OSError, ValueError):
        return False


def scan(path: Path | str) -> list[os.DirEntry[str]]:
    """The entries of a folder, sorted by name ([] when it cannot be listed)."""
    try:
        with os.scandir(path) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError:
        return []


_T = TypeVar("_T")
#: What :func:`once_per_pass` functions returned in the current :func:`listing_pass`.
_pass: ContextVar[dict[tuple[str, str], Any] | None] = ContextVar("listing_pass", default=None)


@contextlib.contextmanager
def listing_pass() -> Iterator[None]:
    """Within it, what a :func:`once_per_pass` function returns for a folder is kept, so the
    folder is listed once. Discovery lists a tree once, and a reader's detector may ask about
    a run's parents for every run below them: TensorBoard's, at 10,000 runs in one folder,
    listed that folder 40,000 times, a minute of a build."""
    token = _pass.set({})
    try:
        yield
    finally:
        _pass.reset(token)


def once_per_pass(fn: Callable[[Path], _T]) -> Callable[[Path], _T]:
    """``fn(folder)`` called once per folder within a :func:`listing_pass` (its result is
    shared: callers must not change it), every time outside one."""

    @wraps(fn)
    def kept(folder: Path) -> _T:
        memo = _pass.get()
        if memo is None:
            return fn(folder)
        key = (fn.__qualname__, str(folder))
        if key not in memo:
            memo[key] = fn(folder)
        found: _T = memo[key]
        return found

    return kept


def walk_files(root: Path) -> Iterator[Path]:
    """Regular files below ``root``, sorted, never following links (so no loops, and nothing
    outside ``root``), skipping FIFOs, devices and sockets."""
    for entry in walk_entries(root):
        yield Path(entry.path)


def walk_entries(root: Path | str) -> Iterator[os.DirEntry[str]]:
    """:func:`walk_files` as directory entries (their paths as strings, no ``Path`` made for
    each): for code that looks at many files and needs no more."""
    if not is_plain_dir(root):
        return
    stack: list[Path | str] = [root]
    while stack:
        folder = stack.pop()
        entries = scan(folder)[::-1]
        files = []
        for e in entries:
            if e.is_dir(follow_symlinks=False):
                stack.append(e.path)
            elif e.is_file(follow_symlinks=False):
                files.append(e)
        yield from reversed(files)


def cache_dir() -> Path:
    """Where runreport keeps what it can reuse between builds (``RUNREPORT_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/runreport`` or ``~/.cache/runreport``)."""
    return Path(cache_root())


def cache_root() -> str:
    """:func:`cache_dir` as text (the parse cache asks for it once per unit)."""
    if os.environ.get("RUNREPORT_CACHE_DIR"):
        return os.environ["RUNREPORT_CACHE_DIR"]
    # os.path rather than Path.home(): this is asked once per unit, 10,000 times at 10,000 runs
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "runreport")


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
    """Make ``path`` in the cache folder with :func:`write_atomic`; False, and noted for
    :func:`unwritable`, when the cache folder cannot take it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, write)
    except OSError as exc:
        note_failure(path, exc)
        return False
    return True


def write_atomic(path: Path, content: bytes | Callable[[BinaryIO], None]) -> None:
    """Make ``path`` hold ``content`` (bytes, or what a function writes to the open file), all
    or nothing: written to a temp file beside it, then renamed over it, so a reader sees the
    old file or the new one, never part of one. A failure raises, with the temp file removed."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            if isinstance(content, bytes):
                fh.write(content)
            else:
                content(fh)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise


def note_failure(path: Path, exc: OSError) -> None:
    """Remember that writing ``path`` in the cache failed (the first such failure is told)."""
    if not _failure:
        _failure.append(f"{path.parent}: {exc.strerror or exc}")


def unwritable() -> str | None:
    """Why the cache folder could not be written in this process, if it could not; the build
    went on without what it would have kept."""
    return _failure[0] if _failure else None


def templates_dir() -> Path:
    """The page templates: inside the installed package, or the repository's ``templates/``."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parents[1] / "templates"):
        if (candidate / "base.html").is_file():
            return candidate
    raise FileNotFoundError("runreport's templates/ folder is missing; reinstall runreport")


@cache
def code_fingerprint() -> str:
    """runreport's version and the size and mtime of its code and templates, so a cache made
    by other code (an upgrade, or an edit in a development checkout) is never used."""
    digest = hashlib.sha1(f"{CACHE_FORMAT}:{__version__}".encode())
    for root in (Path(__file__).parent, templates_dir()):
        for path in walk_files(root):
            if path.suffix in (".py", ".html", ".js", ".css"):
                st = os.lstat(path)
                digest.update(f"{path}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()
