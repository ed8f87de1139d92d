"""Log folders in object storage (``s3://``, ``gs://``, ``az://``, ``abfs://``), read through
fsspec (s3fs, gcsfs, adlfs: the optional extras ``runreport[s3]``, ``[gcs]``, ``[azure]``,
``[remote]``).

A remote folder is listed once, and the objects that changed since the last build (by what
the store says of them: ETag or version id, size, modification time) are fetched, many at a
time, into a mirror in runreport's cache folder (a model file too big to copy into the site
only as its size, a log that big in two ranges unless a reader parses it: see
:data:`LISTED_ONLY`, :data:`TEXT_LOGS`); the build then reads the mirror as it reads
any folder, so every reader works on it unchanged. A rebuild of an unchanged bucket reads
nothing but its listing. The mirror is named after the prefix's last part, so a site built from
``s3://bucket/logs`` is the one built from a local ``logs`` folder of the same files (their
modification times are the objects'). Credentials come from each library's own chain
(environment, config files, instance identity; for S3 also ``AWS_ENDPOINT_URL``); storage
options (``--storage-option KEY=VALUE``) are passed to the filesystem and never written
anywhere."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from .errors import ConfigError
from .files import MAX_LOG_BYTES_SHOWN, MAX_OUTPUT_BYTES_COPIED, cache_dir, write_atomic

#: Schemes read through fsspec, and the extra that brings each one's filesystem.
EXTRAS = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs", "az": "azure", "abfs": "azure"}
EXTRAS["abfss"] = "azure"
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
#: Objects fetched at once.
CONCURRENCY = 16
#: Files no reader parses (models, checkpoints, archives): one too big to copy into the site
#: (which lists it with its size) is kept in the mirror as a sparse file of its size and time,
#: never downloaded.
LISTED_ONLY = frozenset(
    {".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".onnx", ".h5", ".hdf5", ".keras", ".pkl"}
) | {".pickle", ".joblib", ".npy", ".npz", ".tar", ".tgz", ".zip", ".7z", ".gguf", ".tflite"}
#: Text logs: one too big to copy into the site is fetched in two ranges, its head (for the
#: readers that tell formats apart by it) and the end its run's page shows, in a sparse file of
#: its size and time; whole, once listed, when the reader of its folder parses logs.
TEXT_LOGS = frozenset({".log", ".txt", ".out", ".err"})
#: Readers that list logs and never parse them (a partial log below their folders stays so).
LISTS_LOGS = frozenset({"runreport", "mlflow", "mlflow-sqlite", "tensorboard", "wandb"})
_HEAD = 1 << 20  # (plain-log detection reads the first MB)
_MANIFEST = ".runreport-remote.json"


def scheme(location: str) -> str | None:
    """The scheme of a remote location runreport reads (``s3``), else None."""
    m = _SCHEME.match(location)
    return m.group(1).lower() if m and m.group(1).lower() in EXTRAS else None


def is_remote(location: str) -> bool:
    return scheme(location) is not None


def mirror(
    url: str, options: Mapping[str, str], say: Callable[[str], None] = lambda _: None
) -> Path:
    """The local mirror of the remote folder ``url``, brought up to date with one listing and
    the objects that changed. Errors say which folder and what to do; an object gone between
    the listing and its reading is left out (``say`` tells of it)."""
    fs, root = connect(url, options)
    listing = _list(fs, root, url)
    dest = _mirror_path(url, root)
    home = dest.parent
    dest.mkdir(parents=True, exist_ok=True)
    known = stamps(dest)
    wanted: dict[str, tuple[str, list[Any], float | None]] = {}
    for path, info in listing.items():
        rel = path[len(root.rstrip("/")) + 1 :] if path.startswith(root.rstrip("/") + "/") else ""
        if not _safe(rel):
            say(f"{url}: left out {path!r}, not a name a folder can hold")
            continue
        wanted[rel] = (path, _stamp(info, rel), _mtime(info))
    folders = {rel.rsplit("/", 1)[0] for rel in wanted if "/" in rel}
    folders = {"/".join(f.split("/")[: k + 1]) for f in folders for k in range(f.count("/") + 1)}
    for rel in sorted(folders & set(wanted)):  # "a" beside "a/b": a folder cannot be a file
        say(f"{url}/{rel}: left out, a folder of other objects has its name")
        del wanted[rel]
    for rel, (path, stamp, mtime) in wanted.items():
        if stamp[-1] == "partial" and known.get(rel) == stamp[:3]:  # fetched whole before
            wanted[rel] = (path, stamp[:3], mtime)
    fetch = _stale(wanted, known, dest)
    gone, failed = _fetch(fs, wanted, fetch, dest)
    if fetch and any(w[1][-1] == "partial" for w in wanted.values()):  # logs a reader parses
        whole = _parsed_logs(dest, wanted)
        for rel in whole:
            wanted[rel] = (wanted[rel][0], wanted[rel][1][:3], wanted[rel][2])
        more_gone, more_failed = _fetch(fs, wanted, whole, dest)
        gone, failed, fetch = gone + more_gone, failed + more_failed, [*fetch, *whole]
    for rel in sorted(set(gone)):
        say(f"{url}/{rel}: deleted after the listing; left out")
        wanted.pop(rel)
    # kept as it was, if it was there, and read again next time
    for rel in sorted(set(failed) - set(gone)):
        say(f"{url}/{rel}: could not be read; the copy of the last build is used, if any")
        wanted[rel] = (wanted[rel][0], [None, None, None], None)
    _prune(dest, set(wanted))
    write_atomic(home / _MANIFEST, orjson.dumps({r: s for r, (_, s, _) in wanted.items()}))
    kinds = [wanted[rel][1][-1] for rel in set(fetch) if rel in wanted]
    fetched = sum(1 for kind in kinds if kind not in ("sparse", "partial"))
    sparse = sum(1 for _, stamp, _ in wanted.values() if stamp[-1] == "sparse")
    partial = sum(1 for _, stamp, _ in wanted.values() if stamp[-1] == "partial")
    over = f"over {MAX_OUTPUT_BYTES_COPIED >> 20} MB"
    say(
        f"{url}: {len(wanted)} objects listed, {fetched} fetched"
        + (
            f"; {sparse} {over} that no reader parses (models, archives) kept as their size only"
            if sparse
            else ""
        )
        + (
            f"; {partial} logs {over} read in part, their head and the end their page shows"
            if partial
            else ""
        )
    )
    _origins[str(dest)] = (url, dict(options))
    return dest


#: Each mirror this process brought up to date: its remote folder and storage options (kept
#: in memory only), for build workers on other machines to read the store themselves.
_origins: dict[str, tuple[str, dict[str, str]]] = {}


def origin(mirrored: Path) -> tuple[str, dict[str, str]] | None:
    """The remote folder (and its storage options) that ``mirrored`` is this process's mirror
    of, else None."""
    return _origins.get(str(mirrored))


def stamps(mirrored: Path) -> dict[str, list[Any]]:
    """What the store said of each object of the mirror ``mirrored`` (by key below it)."""
    try:
        known: dict[str, list[Any]] = orjson.loads((mirrored.parent / _MANIFEST).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    return known


def localize(url: str, options: Mapping[str, str], objects: Mapping[str, list[Any]]) -> Path:
    """This machine's mirror of the remote folder ``url`` holding at least ``objects`` (key
    below the folder -> what the store said of it), fetching those it lacks or holds in
    another version: a build worker reading a unit from the store itself, with no file system
    shared with the process that listed it. Returns the mirror's folder."""
    fs, root = connect(url, options)
    dest = _mirror_path(url, root)
    home = dest.parent
    dest.mkdir(parents=True, exist_ok=True)
    # worker processes of one machine share the mirror: one at a time decides and fetches
    with open(home / ".lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        known = stamps(dest)
        wanted = {
            rel: (f"{root.rstrip('/')}/{rel}", list(stamp), _float(stamp[2]))
            for rel, stamp in objects.items()
            if _safe(rel)
        }
        fetch = _stale(wanted, known, dest)
        gone, failed = _fetch(fs, wanted, fetch, dest)
        for rel in (*gone, *failed):
            known.pop(rel, None)
            with contextlib.suppress(FileNotFoundError):
                (dest / rel).unlink()
        known.update({r: wanted[r][1] for r in fetch if r not in gone and r not in failed})
        write_atomic(home / _MANIFEST, orjson.dumps(known))
    return dest


def mirror_path(url: str, name: str) -> Path:
    """Where this machine keeps its mirror of the remote folder ``url``, named ``name`` (the
    name of the folder a mirror of it has on any machine)."""
    return cache_dir() / "remote" / hashlib.sha1(url.encode()).hexdigest()[:16] / name


def _mirror_path(url: str, root: str) -> Path:
    return mirror_path(url, root.rstrip("/").rsplit("/", 1)[-1] or "bucket")


def _stale(
    wanted: Mapping[str, tuple[str, list[Any], float | None]],
    known: Mapping[str, list[Any]],
    dest: Path,
) -> list[str]:
    """The objects of ``wanted`` the mirror ``dest`` lacks, or holds in another version than
    the one the store now says (``known``: what it said when they were fetched)."""
    return [
        r
        for r, (_, stamp, _) in wanted.items()
        if known.get(r) != stamp or not (dest / r).is_file()
    ]


def _parsed_logs(
    dest: Path, wanted: Mapping[str, tuple[str, list[Any], float | None]]
) -> list[str]:
    """The partial logs of the mirror ``dest`` that a reader parses: those below a folder whose
    reader is not one of :data:`LISTS_LOGS` (to be fetched whole)."""
    from .cache import unit_paths
    from .errors import Problems
    from .readers import discover

    partial = {rel for rel, (_, stamp, _) in wanted.items() if stamp[-1] == "partial"}
    whole: set[str] = set()
    for unit in discover([dest], Problems()):
        if unit.reader.name not in LISTS_LOGS:
            whole |= {Path(os.path.relpath(p, dest)).as_posix() for p in unit_paths(unit)}
    return sorted(whole & partial)


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _fetch(
    fs: Any,
    wanted: dict[str, tuple[str, list[Any], float | None]],
    fetch: Sequence[str],
    dest: Path,
) -> tuple[list[str], list[str]]:
    """Fetch the objects ``fetch`` (keys of ``wanted``: path, stamp, mtime) into ``dest``, many
    at a time; the keys found gone, and those that could not be read."""
    gone: list[str] = []
    failed: list[str] = []

    def get(rel: str) -> None:
        path, stamp, mtime = wanted[rel]
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        for attempt in (1, 2):
            try:
                if stamp[-1] == "sparse":  # its size only: the site lists it, never reads it
                    write_atomic(target, functools.partial(_part, size=int(stamp[1])))
                elif stamp[-1] == "partial":  # its head, and the end its page shows
                    size = int(stamp[1])
                    head = fs.cat_file(path, start=0, end=_HEAD)
                    tail = fs.cat_file(path, start=size - MAX_LOG_BYTES_SHOWN, end=size)
                    write_atomic(target, functools.partial(_part, size=size, head=head, tail=tail))
                else:
                    with fs.open(path, "rb") as src:
                        write_atomic(target, lambda out: _copy(src, out))
                break
            except FileNotFoundError:
                gone.append(rel)
                return
            except OSError:  # changed since the listing (s3fs: FileExpired): read it again
                if attempt == 2:
                    failed.append(rel)
                    return
                fs.invalidate_cache(path)
                info = fs.info(path)
                wanted[rel] = (path, _stamp(info, rel), _mtime(info))
                stamp, mtime = wanted[rel][1], wanted[rel][2]
        if mtime is not None:
            os.utime(target, (mtime, mtime))

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        for _ in pool.map(get, fetch):
            pass
    return gone, failed


def connect(url: str, options: Mapping[str, str]) -> tuple[Any, str]:
    """The filesystem of the remote ``url`` and the path in it (errors say what to do)."""
    kind = scheme(url) or ""
    try:
        from fsspec.core import url_to_fs

        # a new instance: fsspec keeps listings in its instances (a second build in one
        # process, as `serve` makes, would read a stale one)
        fs = url_to_fs(url, skip_instance_cache=True, **dict(options))
        return fs  # type: ignore[no-any-return, unused-ignore]
    except ImportError as exc:
        raise ConfigError(
            f"{url}: reading {kind}:// needs the optional extra: pip install "
            f"'runreport[{EXTRAS[kind]}]' ({exc.name or exc} is missing)"
        ) from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{url}: {exc} (check --storage-option)") from None


def _list(fs: Any, root: str, url: str) -> dict[str, dict[str, Any]]:
    try:
        found: dict[str, dict[str, Any]] = fs.find(root, detail=True)
    except FileNotFoundError:
        raise ConfigError(f"{url}: no such bucket or folder; check the address") from None
    except PermissionError as exc:
        raise ConfigError(f"{url}: access denied ({exc}); check the credentials") from None
    except Exception as exc:  # the store's own errors: endpoint down, bad credentials...
        raise ConfigError(
            f"{url}: cannot list it ({type(exc).__name__}: {exc}); check the address, the "
            "credentials and the endpoint"
        ) from None
    if not found:
        raise ConfigError(f"{url}: nothing there; check the address")
    return {p: i for p, i in found.items() if i.get("type", "file") == "file"}


def _safe(rel: str) -> bool:
    """A key a folder can hold below the mirror: no empty, ``.`` or ``..`` part, no NUL or
    backslash, and not the manifest."""
    parts = rel.split("/")
    return (
        bool(rel)
        and rel != _MANIFEST
        and not any(p in ("", ".", "..") or "\\" in p or "\x00" in p for p in parts)
    )


def _stamp(info: Mapping[str, Any], rel: str) -> list[Any]:
    """What the store says identifies an object's content, and how much of it the mirror
    holds: all, or (a fourth item) its size only ("sparse") or two ranges ("partial")."""
    tag = next(
        (info[k] for k in ("VersionId", "ETag", "etag", "md5Hash", "generation") if info.get(k)),
        None,
    )
    size = info.get("size")
    stamp = [str(tag) if tag is not None else None, size, str(_mtime(info))]
    name = rel.rsplit("/", 1)[-1].lower()
    suffix = f".{name.rpartition('.')[2]}"
    if isinstance(size, int) and size > MAX_OUTPUT_BYTES_COPIED and "tfevents" not in name:
        # (TensorBoard's event files are read whatever they end with)
        if suffix in LISTED_ONLY:
            stamp.append("sparse")
        elif suffix in TEXT_LOGS:
            stamp.append("partial")
    return stamp


def _mtime(info: Mapping[str, Any]) -> float | None:
    for key in ("LastModified", "last_modified", "mtime", "updated"):
        value = info.get(key)
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                continue
    return None


def _part(out: Any, size: int, head: bytes = b"", tail: bytes = b"") -> None:
    """A file of ``size`` bytes holding ``head`` and ``tail`` at its ends, sparse between."""
    out.write(head)
    out.truncate(size)
    out.seek(size - len(tail))
    out.write(tail)


def _copy(src: Any, out: Any) -> None:
    while chunk := src.read(1 << 20):
        out.write(chunk)


def _prune(dest: Path, keep: set[str]) -> None:
    """Removes from the mirror what the listing no longer has."""
    for path in sorted(dest.rglob("*"), reverse=True):
        rel = path.relative_to(dest).as_posix()
        if path.is_file() and not path.is_symlink() and rel not in keep:
            path.unlink()
        elif path.is_dir() and not path.is_symlink() and not any(path.iterdir()):
            path.rmdir()


def poll_remotes(
    remotes: Sequence[tuple[str, Mapping[str, str]]],
    every: float,
    stop: threading.Event,
    say: Callable[[str], None],
) -> None:
    """Brings the mirrors of ``remotes`` up to date every ``every`` seconds until ``stop``
    (``runreport serve``: no file watching there); a listing that fails is said, and tried
    again next time."""
    while not stop.wait(every):
        for url, options in remotes:
            try:
                mirror(
                    url, options, say=lambda m: say(m) if not m.endswith(", 0 fetched") else None
                )
            except ConfigError as exc:
                say(f"{exc} (tried again in {every:g} s)")
