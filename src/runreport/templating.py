"""The jinja2 environment every page is rendered with: autoescape, undefined names are errors,
the filters the templates use, and Markdown made safe."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import jinja2
import markdown
import markupsafe
import nh3

from . import __version__
from .files import cache_dir, read_checked, templates_dir, write_checked
from .names import inert, slug
from .views import STATS, fmt

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'none'; base-uri 'none'; "
    "form-action 'none'"
)


class CheckedBytecodeCache(jinja2.BytecodeCache):
    """jinja's cache of compiled templates, kept as checked cache files: a damaged entry is
    compiled again, and one that cannot be written is only not kept."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Fill ``bucket`` from its file, when the file is whole and for this source."""
        data = read_checked(self.folder / f"{bucket.key}.jinja")
        if data is not None:
            try:
                bucket.bytecode_from_string(data)
            except Exception:  # written by another Python or jinja: compile again
                bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Keep ``bucket``'s compiled code (best effort)."""
        write_checked(self.folder / f"{bucket.key}.jinja", bucket.bytecode_to_string())


@cache
def environment(cached: bool = True) -> jinja2.Environment:
    """The jinja2 environment: autoescape on, undefined names are errors (one per process,
    with and one without the cache folder's compiled templates; templates are reloaded when
    their files change)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        bytecode_cache=CheckedBytecodeCache(cache_dir() / "templates") if cached else None,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = fmt
    env.filters["when"] = when
    env.filters["duration"] = duration
    env.globals["live_texts"] = live_texts
    env.filters["slugify"] = slug
    env.filters["markdown"] = lambda text: markupsafe.Markup(render_markdown(str(text)))
    env.filters["is_active"] = lambda rel: inert(rel) != rel  # copied as text (names.inert)
    env.globals["version"] = __version__
    env.globals["csp"] = CSP
    env.globals["STATS"] = STATS
    return env


#: Tags kept in rendered notes: nh3's safe set without ``img`` (an image in a note would load
#: from another host, which the site's Content-Security-Policy forbids).
NOTE_TAGS = frozenset(nh3.ALLOWED_TAGS) - {"img"}


def render_markdown(text: str) -> str:
    """Markdown to HTML, sanitised with nh3 (no scripts, event handlers, javascript: links or
    remote images)."""
    html = markdown.markdown(text, extensions=["fenced_code", "tables", "sane_lists"])
    return str(nh3.clean(html, tags=set(NOTE_TAGS)))


def when(value: datetime | None) -> str:
    """A time as ``YYYY-MM-DD HH:MM:SS UTC``."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(seconds: float | None) -> str:
    """Seconds as ``1h 02m``, ``3m 05s`` or ``12.3s``."""
    if seconds is None or math.isnan(seconds):
        return ""
    s = max(seconds, 0.0)
    if s < 60:
        return f"{s:.1f}s"
    minutes, sec = divmod(round(s), 60)
    if minutes < 60:
        return f"{minutes}m {sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def live_texts(elapsed: float | None, silent: float | None, stalled: bool) -> tuple[str, str]:
    """What pages say of a running run (see :class:`runreport.contexts.Activity`): how long it
    has run, and, when it is possibly stalled, for how long no file of it changed ('' when
    it is not)."""
    running = f"running {duration(elapsed) or '(start unknown)'}"
    if not stalled:
        return running, ""
    return running, f"no file of this run changed for {duration(silent)} before the build"
