"""Folders that a TensorBoard writer makes below a run for one call, joined back to that run.

- ``add_hparams`` (PyTorch and tensorboardX) writes the hyper-parameters and its ``hparam/*``
  metrics into ``<run>/<name>/`` (``name`` defaults to ``str(time.time())``): a folder whose
  events hold both the hparams experiment and the session start. TensorFlow's own hparams API
  writes the experiment in the parent and only a session in each child run, so its runs stay
  runs of their own.
- ``add_scalars(main_tag, {key: value})`` writes each key into a folder of its own holding
  the one scalar tag ``main_tag``: ``<run>/<main_tag with / as _>_<key>/`` (PyTorch) or
  ``<run>/<main_tag>/<key>/`` (tensorboardX).

A folder is recognised by the first summaries of its first event file (a few KiB read), and
is read as part of the run above it instead of as a run of its own.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ...files import once_per_pass
from ..base import open_regular, scan
from .schema import classes

#: How deep below a run its writer's folders are looked for (tensorboardX's add_scalars
#: folders are ``<main_tag>/<key>``, and a main tag may hold ``/``).
MAX_DEPTH = 4
#: Bytes read from the start of a folder's first event file to recognise it.
PEEK_BYTES = 1 << 16
#: Summaries looked at there.
PEEK_RECORDS = 8

HPARAMS_EXPERIMENT = "_hparams_/experiment"
HPARAMS_SESSION = "_hparams_/session_start_info"


@dataclass(frozen=True)
class Attached:
    """A folder of a run's writer: ``kind`` is ``hparams`` or ``scalars`` (with the main tag
    and the key of ``add_scalars``)."""

    folder: Path
    kind: str
    tag: str = ""
    key: str = ""


@once_per_pass  # discovery asks it of each run's parents, for every run
def event_files(folder: Path) -> list[Path]:
    """The event files directly in ``folder`` (TensorBoard's rule), in name order."""
    try:
        entries = scan(folder)
    except OSError:
        return []
    return sorted(
        Path(e.path)
        for e in entries
        if "tfevents" in e.name
        and not e.name.endswith(".profile-empty")
        and e.is_file(follow_symlinks=False)
    )


def attached(run: Path) -> list[Attached]:
    """The folders below the run folder ``run`` that its writer made for one call."""
    found: list[Attached] = []
    stack = [(run, 0)]
    while stack:
        folder, depth = stack.pop()
        if depth >= MAX_DEPTH:
            continue
        try:
            subs = [
                Path(e.path)
                for e in scan(folder)
                if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")
            ]
        except OSError:
            continue
        for sub in sorted(subs, reverse=True):
            what = classify(run, sub) if event_files(sub) else None
            if what is not None:
                found.append(what)
            else:
                stack.append((sub, depth + 1))
    return sorted(found, key=lambda a: a.folder)


def attached_to_a_run(folder: Path) -> bool:
    """Whether ``folder`` is a folder that the writer of a run above it made for one call."""
    for depth, parent in enumerate(folder.parents):
        if depth >= MAX_DEPTH:
            return False
        if event_files(parent):
            return classify(parent, folder) is not None
    return False


def classify(run: Path, folder: Path) -> Attached | None:
    """What ``folder`` (below ``run``) is to the run, or None when it is a run of its own."""
    files = event_files(folder)
    if not files:
        return None
    rel = folder.relative_to(run).as_posix()
    st = files[0].lstat()
    tags = _first_tags(str(files[0]), st.st_size, st.st_mtime_ns)
    if HPARAMS_EXPERIMENT in tags and HPARAMS_SESSION in tags and "/" not in rel:
        return Attached(folder, "hparams")
    scalars = [t for t in tags if not t.startswith("_hparams_/")]
    if not scalars or len(set(scalars)) != 1:
        return None
    tag = scalars[0]
    for prefix in (f"{tag.replace('/', '_')}_", f"{tag}/"):
        key = rel.removeprefix(prefix)
        if rel.startswith(prefix) and key and "/" not in key:
            return Attached(folder, "scalars", tag, key)
    return None


@lru_cache(maxsize=4096)
def _first_tags(path: str, size: int, mtime_ns: int) -> tuple[str, ...]:
    """The tags of the first summaries of an event file (by its identity: a file that
    changes is read again). Frames are not checked here: the file's read checks them."""
    del size, mtime_ns  # the cache key
    try:
        with open_regular(Path(path)) as fh:
            data = fh.read(PEEK_BYTES)
    except OSError:
        return ()
    tags: list[str] = []
    pos, seen = 0, 0
    event = classes()["Event"]()
    while pos + 12 <= len(data) and seen < PEEK_RECORDS:
        (length,) = struct.unpack_from("<Q", data, pos)
        payload = data[pos + 12 : pos + 12 + length]
        if len(payload) < length:
            break
        pos += 12 + length + 4
        seen += 1
        try:
            event.ParseFromString(payload)
        except Exception:  # protobuf's DecodeError differs between its backends
            break
        if event.WhichOneof("what") == "summary":
            tags += [v.tag or v.node_name for v in event.summary.value]
    return tuple(tags)


def depends(run: Path) -> tuple[Path, ...]:
    """The event files of the folders joined to ``run``: its read uses them too."""
    return tuple(f for a in attached(run) for f in event_files(a.folder))
