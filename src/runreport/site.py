"""SiteWriter: writes a whole site into a temporary folder beside the target, then swaps it in."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from .errors import SiteError

#: A file at the root of every site runreport writes; ``-o`` only replaces folders holding it.
MARKER = ".runreport-site"
_TMP_PREFIX = ".runreport-tmp-"
_OLD_PREFIX = ".runreport-old-"


def _check_relpath(rel: str) -> PurePosixPath:
    path = PurePosixPath(rel)
    if path.is_absolute() or not path.parts or any(p in ("", ".", "..") for p in path.parts):
        raise SiteError(f"refusing to write {rel!r}: not a plain path inside the site")
    return path


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


def clean_stale(target: Path) -> None:
    """Remove temp folders that an earlier, killed build of ``target`` left beside it."""
    parent = target.parent
    if not parent.is_dir():
        return
    for prefix in (_TMP_PREFIX, _OLD_PREFIX):
        for stale in parent.glob(f"{prefix}{target.name}-*"):
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale, ignore_errors=True)


def check_target(target: Path) -> None:
    """Refuse a target that exists and is not an empty folder or a runreport site."""
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise SiteError(f"{target}: exists and is not a folder; choose another -o")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).is_file():
        raise SiteError(
            f"{target}: not empty and not a runreport site (no {MARKER}); "
            "refusing to replace it. Choose an empty or new folder for -o."
        )


def write_site(target: Path, files: Mapping[str, bytes], copies: Mapping[str, Path]) -> None:
    """Write ``files`` (generated) and ``copies`` (from the logs) as the site at ``target``.

    Everything goes into a temporary folder beside ``target`` first; the old site is replaced
    only when the new one is complete, so a failed or killed build leaves it as it was.
    """
    target = target.absolute()
    check_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(target)
    seen: dict[str, str] = {}
    tmp = Path(tempfile.mkdtemp(prefix=f"{_TMP_PREFIX}{target.name}-", dir=target.parent))
    try:
        for rel, data in sorted(files.items()):
            _claim(seen, rel)
            _write_bytes(tmp, rel, data)
        for rel, source in sorted(copies.items()):
            _claim(seen, rel)
            dest = tmp / _check_relpath(rel)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest, follow_symlinks=False)
        (tmp / MARKER).write_text("This folder is a site written by runreport.\n")
        os.chmod(tmp, 0o755)
        _swap(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _claim(seen: dict[str, str], rel: str) -> None:
    key = _check_relpath(rel).as_posix().lower()
    if key in seen:
        raise SiteError(f"refusing to write {rel!r} twice (clashes with {seen[key]!r})")
    seen[key] = rel


def _write_bytes(root: Path, rel: str, data: bytes) -> None:
    dest = root / _check_relpath(rel)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)


def _swap(tmp: Path, target: Path) -> None:
    if not target.exists():
        os.rename(tmp, target)
        return
    if _rename_exchange(tmp, target):
        shutil.rmtree(tmp)  # tmp now holds the old site
        return
    old = target.parent / f"{_OLD_PREFIX}{target.name}-{os.getpid()}"
    os.rename(target, old)
    os.rename(tmp, target)
    shutil.rmtree(old)
