"""SiteWriter: writes a site into a temporary folder beside the target, reusing the old site's
unchanged files, then swaps it in."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from .errors import SiteError
from .files import (
    copy_from,
    create_new,
    current_identity,
    file_identity,
    open_regular,
    read_checked,
    still_same,
    write_checked,
)
from .sitelock import OLD_PREFIX, TMP_PREFIX, TargetLock, clean_stale

__all__ = [
    "MARKER",
    "SiteWriter",
    "Staged",
    "TargetLock",
    "check_target",
    "current_identity",
    "file_identity",
    "stage_file",
    "write_site",
]

#: A file at the root of every site runreport writes; ``-o`` only replaces folders holding it.
MARKER = ".runreport-site"


def _check_relpath(rel: str) -> str:
    """``rel`` if it is a plain relative path inside the site (``a/b.html``), else an error."""
    if not rel or "\x00" in rel or any(p in ("", ".", "..") for p in rel.split("/")):
        raise SiteError(f"refusing to write {rel!r}: not a plain path inside the site")
    return rel


#: A file a worker process wrote for the site: (where it is, site path, key, size, mtime).
Staged = tuple[str, str, str, int, int]


def stage_file(path: str, rel: str, key: str, data: bytes) -> Staged:
    """Write ``data`` at ``path`` (in a staging folder, in a worker process) as the future
    site file ``rel``, which a :class:`SiteWriter` then :meth:`~SiteWriter.adopt` s."""
    _check_relpath(rel)
    with create_new(path) as fh:
        fh.write(data)
    st = os.lstat(path)
    return path, rel, key, st.st_size, st.st_mtime_ns


def _rename_exchange(a: Path, b: Path) -> bool:
    """Atomically swap two folders (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    res = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(res == 0)


def check_target(target: Path) -> None:
    """Refuse a target that exists and is not an empty folder or a runreport site."""
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise SiteError(f"{target}: exists and is not a folder; choose another -o")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).is_file():
        raise SiteError(
            f"{target}: not empty and not a runreport site (no {MARKER}); "
            "refusing to replace it. Choose an empty or new folder for -o."
        )


class SiteWriter:
    """Writes a site into a temporary folder beside ``target`` and swaps it in on
    :meth:`commit`; until then (and if the build fails or is killed) the old site stays as it
    was. Used as a context manager, leaving the block by an exception throws the new one away.

    Files can be *reused*: each file is written with a key naming what it was made from, the
    keys are kept in ``manifest`` (outside the site, so that the site's bytes depend only on
    its inputs), and a later build that would make a file from the same inputs hard-links the
    old site's file instead of making it again (only when ``reuse``, and only if the file is
    still the one recorded: same size and modification time).
    """

    def __init__(
        self,
        target: Path,
        manifest: Path | None = None,
        *,
        reuse: bool = True,
        wait: bool = True,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self.target = target.absolute()
        check_target(self.target)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock = TargetLock(self.target, wait=wait, on_wait=on_wait)
        except OSError as exc:
            if exc.errno not in (errno.ENOTDIR, errno.ELOOP):
                raise
            # a link or a file put there since checked
            why = "exists and is not a folder; choose another -o"
            raise SiteError(f"{self.target}: {why}") from None
        try:
            self._setup(manifest, reuse)
        except BaseException:
            self._lock.release(failed=True)
            raise

    def _setup(self, manifest: Path | None, reuse: bool) -> None:
        """Everything after the lock: what a build we waited for left, then the temp folder."""
        check_target(self.target)  # again: what a build we waited for left there
        clean_stale(self.target)
        self.manifest = manifest
        has_site = (self.target / MARKER).is_file()
        old, build = _read_manifest(manifest) if manifest and reuse and has_site else ({}, None)
        self._old: dict[str, list[Any]] = old
        self._old_build = build
        self._seen: dict[str, str] = {}
        self._files: dict[str, list[Any]] = {}
        self.total_bytes = 0
        self.reused = 0  # files linked from the old site
        self.pages = 0
        self.largest_page = ("", 0)
        self.tmp = Path(
            tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{self.target.name}-", dir=self.target.parent)
        )
        self._tmp, self._target = str(self.tmp), str(self.target)
        self._dirs: set[str] = {self._tmp}

    def __enter__(self) -> SiteWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            self.abort()

    def _dest(self, rel: str) -> str:
        key = _check_relpath(rel).lower()
        if key in self._seen:
            raise SiteError(f"refusing to write {rel!r} twice (clashes with {self._seen[key]!r})")
        self._seen[key] = rel
        dest = os.path.join(self._tmp, rel)
        folder = os.path.dirname(dest)
        if folder not in self._dirs:
            os.makedirs(folder, exist_ok=True)
            self._dirs.add(folder)
        return dest

    def _record(self, rel: str, key: str | None, dest: str) -> None:
        st = os.lstat(dest)
        self._account(rel, key, st.st_size, st.st_mtime_ns)

    def _account(self, rel: str, key: str | None, size: int, mtime: int) -> None:
        self.total_bytes += size
        if rel.endswith(".html"):
            self.pages += 1
            page = (rel, size)
            self.largest_page = max(self.largest_page, page, key=lambda p: (p[1], p[0]))
        # every file is listed, those made without a key too ("": never reused), so that a
        # build that changes nothing can check that the whole site is as it was written
        self._files[rel] = [key or "", size, mtime]

    def can_reuse(self, rel: str, key: str) -> bool:
        """Whether the old site holds ``rel`` made from ``key``, unchanged since."""
        old = self._old.get(rel)
        if not key or not old or old[0] != key:
            return False
        try:
            st = os.lstat(os.path.join(self._target, _check_relpath(rel)))
        except OSError:
            return False
        return stat.S_ISREG(st.st_mode) and [st.st_size, st.st_mtime_ns] == old[1:]

    def reuse(self, rel: str, key: str) -> bool:
        """Link the old site's ``rel`` into the new one if it was made from ``key``; False
        (nothing done) when it was not, or is gone or changed."""
        return self.reuse_all([(rel, key)])

    def can_reuse_all(self, items: Sequence[tuple[str, str]]) -> bool:
        """:meth:`can_reuse` for several (site path, key) pairs."""
        return all(self.can_reuse(rel, key) for rel, key in items)

    def reuse_all(self, items: Sequence[tuple[str, str]]) -> bool:
        """:meth:`reuse` for several files, all or none.

        Each file is linked first and then checked through its link (the same inode): a
        regular file, of the size and modification time recorded. So what is checked is what
        was linked, with no lstat before it. Where the file system has no hard links, the
        file is checked through the descriptor it is copied from."""
        for rel, key in items:
            old = self._old.get(rel)
            if not key or not old or old[0] != key:
                return False
        done: list[tuple[str, str]] = []
        sizes: list[tuple[int, int]] = []
        for rel, _key in items:
            dest = self._dest(rel)
            done.append((rel, dest))
            made = self._link_or_copy(os.path.join(self._target, rel), dest, self._old[rel][1:])
            if made is None:
                return self._unlink(done)
            sizes.append(made)
        for (rel, _dest), (size, mtime) in zip(done, sizes, strict=True):
            self._account(rel, self._old[rel][0], size, mtime)
            self.reused += 1
        return True

    @staticmethod
    def _link_or_copy(source: str, dest: str, recorded: list[int]) -> tuple[int, int] | None:
        """``source`` linked (or copied) to ``dest`` if it is a regular file of the recorded
        size and modification time; the size and modification time of ``dest``, else None."""
        try:
            os.link(source, dest, follow_symlinks=False)
        except FileNotFoundError:
            return None
        except OSError:  # a file system without hard links: copy
            try:
                with open_regular(source) as fh:
                    st = os.fstat(fh.fileno())
                    if [st.st_size, st.st_mtime_ns] != recorded:
                        return None
                    copy_from(fh, dest)
            except (OSError, ValueError):
                return None
            st = os.lstat(dest)
            return st.st_size, st.st_mtime_ns
        st = os.lstat(dest)
        if not stat.S_ISREG(st.st_mode) or [st.st_size, st.st_mtime_ns] != recorded:
            return None
        return st.st_size, st.st_mtime_ns

    def _unlink(self, made: Sequence[tuple[str, str]]) -> bool:
        """Take back the files that a :meth:`reuse_all` linked (or began to); False."""
        for rel, dest in made:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(dest)
            del self._seen[rel.lower()]
        return False

    def adopt(self, files: Sequence[Staged]) -> None:
        """Move files that :func:`stage_file` wrote (in a worker process) into the site."""
        for path, rel, key, size, mtime in files:
            os.rename(path, self._dest(rel))
            self._account(rel, key, size, mtime)

    def has(self, rel: str) -> bool:
        """Whether ``rel`` was written (or reused) in this build."""
        return _check_relpath(rel).lower() in self._seen

    def put(self, rel: str, data: bytes, key: str | None = None) -> None:
        """Write the generated file ``rel``."""
        dest = self._dest(rel)
        with create_new(dest) as fh:
            fh.write(data)
        self._record(rel, key, dest)

    def copy(self, rel: str, source: Path, limit: int = sys.maxsize) -> str | None:
        """Copy ``source`` (a log or output) to ``rel``, or link the old site's copy when the
        source is the same file, unchanged; None when done, else why it was not copied.

        The file is opened once, never through a link, checked to be a regular file, and
        copied from that descriptor (at most ``limit`` bytes), so a file swapped for a link
        (or a FIFO) while the build runs is refused instead of copied or linked."""
        try:
            fh = open_regular(source)
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            return f"not copied into the site ({reason}: a link, or no longer a regular file)"
        with fh:
            st = os.fstat(fh.fileno())
            if st.st_size > limit:
                return f"not copied into the site (now {st.st_size:,} bytes, over {limit:,})"
            key = f"copy:{file_identity(source.absolute(), st)}"
            if self.reuse(rel, key):
                return None
            dest = self._dest(rel)
            copy_from(fh, dest, limit)
            self._record(rel, key, dest)
        return None

    def unchanged(self, key: str) -> Mapping[str, Any] | None:
        """What the build that wrote the old site recorded (:meth:`commit`'s ``build``) if it
        was recorded under ``key`` and the old site is still as that build wrote it: every
        file there, the same size and modification time, and every file copied into it from
        the logs still the same file. None otherwise."""
        build = self._old_build
        if build is None or build.get("key") != key or not self._old:
            return None
        try:
            found = _site_files(self._target)
        except OSError:
            return None
        if found is None or found.keys() != self._old.keys():  # a file added, gone, or a link
            return None
        for rel, (made_from, size, mtime) in self._old.items():
            if found[rel] != (size, mtime):
                return None
            # a copy's key is "copy:" + its source's file_identity
            if made_from.startswith("copy:") and not still_same(made_from[5:]):
                return None
        return build

    def keep_old(self) -> None:
        """Leave the old site as it is (nothing of the new one is kept) and let the next build
        in: for a build that found nothing to change."""
        shutil.rmtree(self.tmp, ignore_errors=True)
        self._lock.release()

    def commit(self, build: Mapping[str, Any] | None = None) -> None:
        """Swap the new site in for the old one; ``build``, a record of what made it (with its
        ``"key"``), is kept with the site's manifest for :meth:`unchanged`."""
        (self.tmp / MARKER).write_text("This folder is a site written by runreport.\n")
        os.chmod(self.tmp, 0o755)
        if self.manifest is not None:
            _forget(self.manifest)  # a build killed from here on must not trust it
        try:
            _swap(self.tmp, self.target)
        except BaseException:
            self.abort()
            raise
        if self.manifest is not None:
            _write_manifest(self.manifest, self._files, build)
        self._lock.release()

    def abort(self) -> None:
        """Throw the new site away; the old one stays."""
        shutil.rmtree(self.tmp, ignore_errors=True)
        self._lock.release(failed=True)


def _site_files(root: str) -> dict[str, tuple[int, int]] | None:
    """Every regular file below ``root`` (its marker left out), by site path, with its size and
    modification time; None when something there is neither a file nor a folder (a link)."""
    files: dict[str, tuple[int, int]] = {}
    todo = [("", root)]
    while todo:
        prefix, folder = todo.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    todo.append((rel + "/", entry.path))
                    continue
                st = entry.stat(follow_symlinks=False)
                if not stat.S_ISREG(st.st_mode):
                    return None
                if rel != MARKER:
                    files[rel] = (st.st_size, st.st_mtime_ns)
    return files


def _read_manifest(path: Path) -> tuple[dict[str, list[Any]], dict[str, Any] | None]:
    """Each file of the last site written with this manifest, with the key it was made from
    and its size and mtime then (empty when missing or unreadable), and the record of the
    build that wrote it (None when there is none)."""
    try:
        data = orjson.loads(read_checked(path) or b"")
        if not isinstance(data, dict) or data.get("format") != _MANIFEST_FORMAT:
            return {}, None
        files, build = data["files"], data.get("build")
        entries = {
            rel: entry
            for rel, entry in files.items()
            if isinstance(entry, list)
            and len(entry) == 3
            and isinstance(entry[0], str)
            and all(isinstance(n, int) for n in entry[1:])
        }
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        return {}, None
    if len(entries) != len(files):  # not as written: trust none of it for a whole-site check
        build = None
    return entries, build if isinstance(build, dict) else None


def _forget(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


#: 2: every file listed (keyless ones with key ""), and the record of the build
_MANIFEST_FORMAT = 2


def _write_manifest(
    path: Path, files: Mapping[str, list[Any]], build: Mapping[str, Any] | None
) -> None:
    """Best effort: without a manifest the next build only reuses nothing."""
    record = {"format": _MANIFEST_FORMAT, "files": files, "build": build}
    write_checked(path, orjson.dumps(record))


def write_site(target: Path, files: Mapping[str, bytes], copies: Mapping[str, Path]) -> None:
    """Write ``files`` (generated) and ``copies`` (from the logs) as the whole site at ``target``
    (see :class:`SiteWriter`)."""
    with SiteWriter(target) as writer:
        for rel, data in sorted(files.items()):
            writer.put(rel, data)
        for rel, source in sorted(copies.items()):
            failed = writer.copy(rel, source)
            if failed:
                raise SiteError(f"{source}: {failed}")
        writer.commit()


def _swap(tmp: Path, target: Path) -> None:
    if not target.exists():
        os.rename(tmp, target)
        return
    # the new site is in place: the old one is removed best effort, as a build that starts
    # now locks the new folder and may remove the old one (a stale temp folder to it) too
    if _rename_exchange(tmp, target):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the old site
        return
    old = target.parent / f"{OLD_PREFIX}{target.name}-{os.getpid()}"
    os.rename(target, old)
    os.rename(tmp, target)
    shutil.rmtree(old, ignore_errors=True)
