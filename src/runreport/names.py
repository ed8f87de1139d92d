"""Safe, stable file names for anything a user named."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

#: Longest readable part of a slug, before the hash (keeps paths far below OS limits).
MAX_SLUG_CHARS = 48

_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)


@lru_cache(maxsize=1 << 16)
def slug(text: str, *, hashed: bool = True) -> str:
    """A lowercase ASCII file-name stem for ``text``.

    With ``hashed`` (the default) a short hash of the exact text is appended, so names that
    differ only in case, punctuation or non-ASCII letters never collide, and the slug of a
    name never changes when other names are added.
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:MAX_SLUG_CHARS].strip("-")
    if base in _WINDOWS_RESERVED:
        base = f"{base}-"
    if not hashed:
        return base or "x"
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{base}-{digest}" if base else digest


#: Extensions of files a browser shows as a document, or that the pages' policy would run as
#: their own script or style: a copy of such a file from a log folder would run its scripts on
#: the site's origin, so it is published with :data:`INERT_SUFFIX` added (as text).
ACTIVE_EXTENSIONS = frozenset(
    {"html", "htm", "xhtml", "xht", "shtml", "shtm", "svg", "svgz", "xml", "xsl", "xslt"}
    | {"xsd", "rss", "atom", "rdf", "mht", "mhtml", "js", "mjs", "cjs", "css", "wasm", "swf"}
)
#: Added to the name of an active file copied into the site: static hosts, ``serve`` and
#: ``file://`` then all take it for plain text.
INERT_SUFFIX = ".txt"


def inert(path: str) -> str:
    """``path`` with :data:`INERT_SUFFIX` added when its extension is active (``a/report.html``
    becomes ``a/report.html.txt``); other paths as they are."""
    name = path.rpartition("/")[2]
    _, dot, ext = name.rpartition(".")
    return f"{path}{INERT_SUFFIX}" if dot and ext.lower() in ACTIVE_EXTENSIONS else path


_SAFE_COMPONENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,79}")


def safe_relpath(rel: str) -> str:
    """A relative file path made of safe components (a hashed slug for any unsafe one)."""
    parts = []
    for part in rel.split("/"):
        if _SAFE_COMPONENT.fullmatch(part) and part.lower() not in _WINDOWS_RESERVED:
            parts.append(part)
        else:
            stem, dot, ext = part.rpartition(".")
            keep_ext = dot and re.fullmatch(r"[A-Za-z0-9]{1,8}", ext) and stem
            parts.append(f"{slug(stem)}.{ext.lower()}" if keep_ext else slug(part))
    return "/".join(parts)
