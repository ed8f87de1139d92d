"""Pages: context dataclasses, the jinja2 environment, Markdown made safe, and rendering."""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import markdown
import nh3
import orjson
from markupsafe import Markup

from . import __version__
from .cache import code_fingerprint
from .cachefiles import cache_dir, read_checked, write_checked
from .charts import chart_spec, shape_for
from .errors import Problem, Severity, problem_order
from .export import full_data
from .model import FileRef, Status
from .names import inert, slug
from .readers.base import open_regular
from .rules import Display, goal
from .site import SiteWriter, current_identity
from .views import STATS, MetricView, RunView, best_by_metric, clean_log, fmt, status_counts

#: Bytes of a log shown on the run page (the tail; the whole file is linked).
MAX_LOG_BYTES_SHOWN = 200_000
#: Newest runs listed on the home page.
RECENT_RUNS = 20
#: Copied into the site only when at most this big (bigger outputs are listed, not linked).
MAX_OUTPUT_BYTES_COPIED = 50 * 1024 * 1024

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'none'; base-uri 'none'; "
    "form-action 'none'"
)


def templates_dir() -> Path:
    """The page templates: inside the installed package, or the repository's ``templates/``."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parents[1] / "templates"):
        if (candidate / "base.html").is_file():
            return candidate
    raise FileNotFoundError("runreport's templates/ folder is missing; reinstall runreport")


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
    env.filters["slugify"] = slug
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


def metric_cell(metric: MetricView, best: str) -> Markup:
    """One run's metric in the experiment's run table: its stats (see
    :attr:`MetricView.table_cell`), the stats this run is best in (``best``: names from
    :data:`STATS`, each followed by a space, such as ``"last min "``), and ★ when it is the best
    last value."""
    head, tail = metric.table_cell
    star = ' <span class="best" title="best">★</span>' if best.startswith("last ") else ""
    return Markup(f"{head}{best}{tail}{star}</td>")


@dataclass(frozen=True)
class ExperimentInfo:
    """An experiment on the home page and its own page."""

    name: str
    slug: str
    runs: tuple[RunView, ...]
    statuses: Mapping[str, int]
    last_activity: datetime | None
    metric_names: tuple[str, ...]
    param_names: tuple[str, ...]
    best: Mapping[str, Mapping[str, str]]
    goals: Mapping[str, str]
    cells: Mapping[str, tuple[Markup | None, ...]]  # by run slug, one <td> per metric name


@dataclass(frozen=True)
class ComputeInfo:
    """A compute target and its runs."""

    name: str
    slug: str
    runs: tuple[RunView, ...]
    statuses: Mapping[str, int]


@dataclass(frozen=True)
class LogView:
    """A log file on the run page: its tail, cleaned, and a link to the whole file."""

    name: str
    href: str  # "" when the file is too large to copy into the site
    size: int
    text: str
    truncated: bool


@dataclass(frozen=True)
class SiteContext:
    """What every page knows: the site title, the path back to the root, and the indexes."""

    title: str
    experiments: tuple[ExperimentInfo, ...]
    computes: tuple[ComputeInfo, ...]
    runs: Mapping[str, RunView]  # by run id
    problems: tuple[Problem, ...]
    warnings: int = field(default=0)
    built: datetime | None = None  # when the site was built (running runs are shown as of then)
    last_write: Mapping[str, datetime] = field(default_factory=dict)  # by run slug
    refresh: int | None = None  # seconds between automatic reloads of every page
    stalled_after: float = 600.0  # seconds without a write after which a Running run is flagged
    live: bool = False  # served by ``runreport serve``: pages reload themselves when it changes

    def activity(self, v: RunView) -> Activity | None:
        """How a Running run is doing as of the build: None for runs that are not Running."""
        if v.run.status is not Status.RUNNING or self.built is None:
            return None
        start = v.run.start_time
        last = self.last_write.get(v.slug)
        silent = (self.built - last).total_seconds() if last else None
        return Activity(
            elapsed=(self.built - start).total_seconds() if start else None,
            last_write=last,
            silent=silent,
            stalled=silent is not None and silent > self.stalled_after,
        )

    @property
    def active(self) -> list[RunView]:
        """Running runs, by compute target then start time."""
        running = [v for v in self.runs.values() if v.run.status is Status.RUNNING]
        return sorted(
            running,
            key=lambda v: (
                v.run.compute_target or "",
                v.run.start_time is None,
                v.run.start_time or 0,
            ),
        )


@dataclass(frozen=True)
class Activity:
    """A Running run as of the build: seconds since it started and since its files last
    changed, and whether that silence is long enough to call it possibly stalled."""

    elapsed: float | None
    last_write: datetime | None
    silent: float | None
    stalled: bool


def _last_activity(views: Sequence[RunView]) -> datetime | None:
    times = [t for v in views for t in (v.run.end_time, v.run.start_time) if t is not None]
    return max(times) if times else None


def _ordered(views: Sequence[RunView]) -> tuple[RunView, ...]:
    """Runs with each parent followed by its children (children of unknown parents at top)."""
    by_id = {v.run.id: v for v in views}
    children: dict[str, list[RunView]] = {}
    tops: list[RunView] = []
    for v in views:
        if v.run.parent_id and v.run.parent_id in by_id:
            children.setdefault(v.run.parent_id, []).append(v)
        else:
            tops.append(v)
    out: dict[str, RunView] = {}

    def add(v: RunView, depth: int) -> None:
        if depth > 50 or v.run.id in out:
            return
        out[v.run.id] = v
        for c in children.get(v.run.id, []):
            add(c, depth + 1)

    for v in tops:
        add(v, 0)
    for v in views:  # runs in a parent cycle: keep every run
        out.setdefault(v.run.id, v)
    return tuple(out.values())


def site_context(
    views: Sequence[RunView], problems: Sequence[Problem], title: str, goals: Mapping[str, str]
) -> SiteContext:
    """Group the runs into experiments and compute targets."""
    experiments: dict[str, list[RunView]] = {}
    computes: dict[str, list[RunView]] = {}
    for v in views:
        experiments.setdefault(v.run.experiment, []).append(v)
        if v.run.compute_target:
            computes.setdefault(v.run.compute_target, []).append(v)
    exp_infos = []
    for name in sorted(experiments):
        runs = _ordered(experiments[name])
        metric_names = tuple(sorted({n for v in runs for n in v.summaries}))
        best = best_by_metric(runs, goals)
        marks: dict[tuple[str, str], str] = {}  # (run slug, metric) -> "last min " ...
        for metric, stats in best.items():
            for s in STATS:
                if s in stats:
                    key = (stats[s], metric)
                    marks[key] = f"{marks.get(key, '')}{s} "
        cells = {}
        for v in runs:
            by_name = {m.name: m for m in v.metrics if m.summary is not None}
            cells[v.slug] = tuple(
                metric_cell(by_name[m], marks.get((v.slug, m), "")) if m in by_name else None
                for m in metric_names
            )
        exp_infos.append(
            ExperimentInfo(
                name=name,
                slug=slug(name),
                runs=runs,
                statuses=status_counts([v.run for v in runs]),
                last_activity=_last_activity(runs),
                metric_names=metric_names,
                param_names=tuple(sorted({p for v in runs for p in v.run.params})),
                best=best,
                goals={n: goal(n, dict(goals)) for n in metric_names},
                cells=cells,
            )
        )
    comp_infos = tuple(
        ComputeInfo(
            name, slug(name), tuple(computes[name]), status_counts([v.run for v in computes[name]])
        )
        for name in sorted(computes)
    )
    warnings = sum(1 for p in problems if p.severity is not Severity.INFO)
    return SiteContext(
        title, tuple(exp_infos), comp_infos, {v.run.id: v for v in views}, tuple(problems), warnings
    )


def run_sections(v: RunView, *, cached: bool = True) -> str:
    """The parts of a run's page made from the run alone (``run_sections.html``): made where
    the run is read, in parallel, and kept in the parse cache with its view (not ``cached``:
    with no compiled template from the cache folder)."""
    env = environment(cached)
    return env.get_template("run_sections.html").render(v=v, Display=Display)


def data_path(v: RunView) -> str:
    """Site path of a run's data file."""
    return f"data/runs/{v.slug}.js"


def data_key(unit_key: str) -> str:
    """What a run's data file is made from: its unit's files (the path names the run)."""
    return content_key("data", unit_key)


def data_file(v: RunView) -> bytes:
    """A run's data file: its charts' specs and compact columns, and its images."""
    return _js_data(f"runs/{v.slug}", v.data())


def full_path(v: RunView) -> str:
    """Site path of a run's full-resolution data file (every point of its charted metrics,
    loaded by a page only to make a CSV file when asked)."""
    return f"data/full/{v.slug}.js"


def full_key(unit_key: str) -> str:
    """What a run's full-resolution data file is made from: its unit's files."""
    return content_key("full", unit_key)


def charted(v: RunView) -> bool:
    """Whether a run charts anything (and so has a full-resolution data file)."""
    return any(m.chart is not None for m in v.metrics)


def full_file(v: RunView) -> bytes | None:
    """A run's full-resolution data file (see :func:`runreport.export.full_data`), from a view
    that still holds its metric columns; None when it charts nothing."""
    return _js_data(f"full/{v.slug}", full_data(v)) if charted(v) else None


def _js_data(key: str, value: Any) -> bytes:
    """A data file: sets ``window.RR_DATA[key]`` (a script file, so pages work from file://)."""
    return (
        b"(window.RR_DATA=window.RR_DATA||{})["
        + orjson.dumps(key)
        + b"]="
        + orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY)
        + b";\n"
    )


def _read_log(path: Path) -> tuple[str, bool]:
    try:
        fh = open_regular(path)
    except OSError as exc:
        return f"(not read: {exc.strerror or exc})", False
    size = os.fstat(fh.fileno()).st_size
    with fh:
        if size > MAX_LOG_BYTES_SHOWN:
            fh.seek(size - MAX_LOG_BYTES_SHOWN)
            data = fh.read(MAX_LOG_BYTES_SHOWN)
            _, newline, tail = data.partition(b"\n")
            if newline and tail:
                data = tail  # start at a line boundary when there is one

        else:
            data = fh.read()
    return clean_log(data.decode("utf-8", errors="replace")), size > MAX_LOG_BYTES_SHOWN


def _index_data(ctx: SiteContext) -> dict[str, Any]:
    """The site index for the compare page: every run's facts and each metric's overlay spec."""
    runs: dict[str, Any] = {}
    overlay: dict[str, Any] = {}
    points: dict[str, int] = {}
    for v in ctx.runs.values():
        runs[v.slug] = {
            "name": v.run.name,
            "experiment": v.run.experiment,
            "status": v.run.status.value,
            "href": f"runs/{v.slug}.html",
            "params": {k: fmt(p) for k, p in v.run.params.items()},
            "summaries": {m.name: m.index_summary for m in v.metrics if m.summary is not None},
            "charts": [
                m.name
                for m in v.metrics
                if m.chart is not None and m.display is not Display.HEATMAP
            ],
            "images": v.image_entries(),
        }
        for m in v.metrics:
            if m.chart is None or m.display is Display.HEATMAP:
                continue
            points[m.name] = max(points.get(m.name, 0), m.plotted)
            enc = m.chart["spec"]["encoding"]
            overlay.setdefault(m.name, (enc["x"]["title"], enc["y"]["title"]))
    specs = {
        name: chart_spec(shape_for(points[name], multi=True), *titles)
        for name, titles in overlay.items()
    }
    return {"runs": runs, "specs": specs}


def _union(groups: Iterable[Iterable[str]]) -> list[str]:
    """Names in first-seen order across groups, each once."""
    return list(dict.fromkeys(name for group in groups for name in group))


def content_key(*parts: object) -> str:
    """A short key naming what a file is made from (see :class:`runreport.site.SiteWriter`)."""
    text = "\x00".join(str(part) for part in parts)
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def write_pages(
    ctx: SiteContext,
    writer: SiteWriter,
    *,
    site_url: str | None = None,
    unit_keys: Mapping[str, str] | None = None,
    sections: Mapping[str, str] | None = None,
    cached: bool = True,
) -> None:
    """Every page and data file of the site, written through ``writer`` (not ``cached``: with
    no compiled template from the cache folder).

    ``unit_keys`` (run slug → the fingerprint of the files it was read from) lets a run's page,
    data file and copied files be taken from the old site when nothing they show has changed;
    pages that list many runs (home, experiments, compute targets, compare) are always made.
    ``sections`` (run slug → :func:`run_sections`) are parts of run pages made earlier.
    ``site_url`` only adds canonical links; every link between pages stays relative.
    """
    env = environment(cached)
    keys = unit_keys or {}
    made = sections or {}
    site_key = content_key(
        code_fingerprint(),
        ctx.title,
        site_url or "",
        len(ctx.problems),
        ctx.warnings,
        ctx.refresh,
        ctx.stalled_after,
        ctx.live,
    )

    def page(path: str, template: str, key: str | None = None, **context: Any) -> None:
        root = "../" * path.count("/")
        canonical = f"{site_url.rstrip('/')}/{path}" if site_url else ""
        html = env.get_template(template).render(
            site=ctx, root=root, canonical=canonical, **context
        )
        writer.put(path, html.encode("utf-8"), key)

    page(
        "index.html",
        "index.html",
        recent=sorted(
            ctx.runs.values(),
            key=lambda v: (v.run.start_time is None, v.run.start_time or 0, v.slug),
            reverse=True,
        )[:RECENT_RUNS]
        if ctx.runs
        else [],
    )
    for exp in ctx.experiments:
        page(f"experiments/{exp.slug}.html", "experiment.html", exp=exp)
    for comp in ctx.computes:
        page(f"compute/{comp.slug}.html", "compute.html", comp=comp)
    children_of: dict[str, list[RunView]] = {}
    for v in ctx.runs.values():
        if v.run.parent_id:
            children_of.setdefault(v.run.parent_id, []).append(v)
    for v in ctx.runs.values():
        unit = keys.get(v.slug)
        children = children_of.get(v.run.id, [])
        parent = ctx.runs.get(v.run.parent_id) if v.run.parent_id else None
        page_key = None
        live = any(ctx.activity(r) for r in (v, *children))  # shown as of the build: remade
        if unit is not None and not live and all(c.slug in keys for c in children):
            page_key = content_key(
                site_key,
                unit,
                v.run.name,
                parent.slug if parent else "",
                parent.run.name if parent else "",
                *(f"{keys[c.slug]}:{c.run.name}" for c in children),
                *(current_identity(ref.path) or f"{ref.path}:missing" for ref in v.run.logs),
            )
        rel = f"runs/{v.slug}.html"
        if page_key is None or not writer.reuse(rel, page_key):
            page(
                rel,
                "run.html",
                page_key,
                v=v,
                logs=[_log_view(v, ref) for ref in v.run.logs],
                children=children,
                parent=parent,
                child_params=_union(c.run.params for c in children),
                child_metrics=_union(c.summaries for c in children),
                child_charts=_union(
                    (m.name for m in c.metrics if m.chart and m.display is not Display.HEATMAP)
                    for c in children
                ),
                description=render_markdown(v.run.description) if v.run.description else "",
                sections=Markup(made[v.slug] if v.slug in made else run_sections(v)),
                max_copied=MAX_OUTPUT_BYTES_COPIED,
                Display=Display,
            )
        data_rel = data_path(v)
        key = data_key(unit) if unit else None
        if writer.has(data_rel):
            pass  # written by the process that read the run
        elif key is None or not writer.reuse(data_rel, key):
            writer.put(data_rel, data_file(v), key)
        for rel, image in v.embedded.items():
            image_key = content_key("embedded", unit, rel) if unit else None
            if image_key is None or not writer.reuse(rel, image_key):
                writer.put(rel, image, image_key)
    writer.put("data/index.js", _js_data("index", _index_data(ctx)))
    page("compare.html", "compare.html")
    page("problems.html", "problems.html")


def copy_files(ctx: SiteContext, writer: SiteWriter) -> SiteContext:
    """Copy every run's logs and outputs (up to :data:`MAX_OUTPUT_BYTES_COPIED` each) into
    the site, before any page is made; ``ctx`` with a problem for each file that could not be
    copied (one swapped for a link or a FIFO since it was listed, say)."""
    failed: list[Problem] = []
    for v in ctx.runs.values():
        for ref in (*v.run.logs, *v.run.outputs):
            if ref.size <= MAX_OUTPUT_BYTES_COPIED:
                why = writer.copy(
                    f"runs/{v.slug}/files/{v.files[ref.rel]}", ref.path, MAX_OUTPUT_BYTES_COPIED
                )
                if why:
                    failed.append(Problem(str(ref.path), None, why))
    if not failed:
        return ctx
    problems = tuple(sorted((*ctx.problems, *failed), key=problem_order))
    return replace(ctx, problems=problems, warnings=ctx.warnings + len(failed))


def _log_view(v: RunView, ref: FileRef) -> LogView:
    text, truncated = _read_log(ref.path)
    href = f"{v.slug}/files/{v.files[ref.rel]}" if ref.size <= MAX_OUTPUT_BYTES_COPIED else ""
    return LogView(ref.rel, href, ref.size, text, truncated)
