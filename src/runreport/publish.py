"""``runreport build … --publish URL``: the built site uploaded to a bucket or an Azure
``$web`` container (``s3://``, ``gs://``, ``az://``, ``abfs://``; the extras of
:mod:`runreport.remote`). The local site folder stays the source of truth.

Only files whose content changed since the last publish are uploaded (the destination keeps
a manifest of every file's SHA-256), each with its content type; data and assets first, then
the pages, and the site's ``index.html`` last, so a reader never sees a page pointing at data
not there yet. Files the site no longer has are removed afterwards."""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from .errors import ConfigError
from .remote import connect, scheme

MANIFEST = ".runreport-published.json"
#: Content types the platform's table may lack or get wrong.
TYPES = {".js": "text/javascript", ".json": "application/json", ".svg": "image/svg+xml"}
TYPES |= {".csv": "text/csv", ".md": "text/markdown", ".txt": "text/plain"}


@dataclass(frozen=True)
class Published:
    uploaded: int
    unchanged: int
    removed: int


def content_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def publish(
    site: Path, url: str, options: Mapping[str, str], say: Callable[[str], None] = lambda _: None
) -> Published:
    """Uploads what changed of ``site`` to ``url`` (see the module)."""
    kind = scheme(url)
    if kind is None:
        raise ConfigError(f"--publish {url}: not a bucket address (s3://, gs://, az://, abfs://)")
    fs, root = connect(url, options)
    root = root.rstrip("/")
    try:
        before: dict[str, str] = orjson.loads(fs.cat_file(f"{root}/{MANIFEST}"))
    except (FileNotFoundError, orjson.JSONDecodeError):
        before = {}
    except Exception as exc:  # the store's own errors: endpoint down, no permission...
        raise ConfigError(
            f"--publish {url}: cannot read it ({type(exc).__name__}: {exc})"
        ) from None
    files = {p.relative_to(site).as_posix(): p for p in site.rglob("*") if p.is_file()}
    digests = {rel: hashlib.sha256(p.read_bytes()).hexdigest() for rel, p in files.items()}
    changed = [rel for rel in files if before.get(rel) != digests[rel]]
    changed.sort(key=lambda rel: (_stage(rel), rel))
    try:
        for rel in changed:
            fs.put_file(str(files[rel]), f"{root}/{rel}", **_type_options(kind, content_type(rel)))
        gone = [rel for rel in before if rel not in files]
        for rel in gone:
            fs.rm_file(f"{root}/{rel}")
        fs.pipe_file(f"{root}/{MANIFEST}", orjson.dumps(digests, option=orjson.OPT_SORT_KEYS))
    except Exception as exc:
        raise ConfigError(
            f"--publish {url}: upload failed ({type(exc).__name__}: {exc}); the local site is "
            "complete: publish again"
        ) from None
    say(f"published to {url}: {len(changed)} files uploaded, {len(files) - len(changed)} unchanged")
    return Published(len(changed), len(files) - len(changed), len(gone))


def _stage(rel: str) -> int:
    """Upload order: data and assets, then pages, then the site's index."""
    if rel == "index.html":
        return 2
    return 1 if rel.endswith(".html") else 0


def _type_options(kind: str, ctype: str) -> dict[str, Any]:
    if kind in ("s3", "s3a"):
        return {"ContentType": ctype}
    if kind in ("gs", "gcs"):
        return {"content_type": ctype}
    from azure.storage.blob import ContentSettings

    return {"content_settings": ContentSettings(content_type=ctype)}
