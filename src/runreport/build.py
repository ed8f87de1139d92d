"""``build_site``: read → classify → chart → pages → write, as named stages.

Everything is gathered (:func:`gather`: every run read and viewed, the baseline found, the
site's whole context made) before any page is rendered; the site is written beside the old one
and swapped in only when complete (:class:`runreport.site.SiteWriter`).
"""

from __future__ import annotations

import gc
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from tqdm import tqdm

from . import cache as unit_cache
from .assets import assets
from .cache import UnitResult
from .charts import load_shapes
from .config import BuildConfig as BuildConfig
from .config import BuildResult as BuildResult
from .contexts import SiteContext, site_context
from .errors import ConfigError, Problems, SiteError
from .export import chart_images
from .files import unwritable
from .names import slug
from .pages import copy_files, write_pages
from .pool import read_fresh
from .readers import assemble, discover, read_runs
from .runfiles import Written, content_key, unit_files
from .site import SiteWriter
from .summary import SummaryOptions, key_metrics, summary_markdown
from .views import RunView, run_view

#: Below this many bytes of input to read, parsing stays in this process (a worker reads its
#: first run about 0.4 s after it is asked for, the time its server takes to import
#: runreport: see :mod:`runreport.workers`).
PARALLEL_MIN_BYTES = 32 << 20


@dataclass(frozen=True)
class ReadResult:
    """The read stage's output: every run's view, in site order, and the fingerprint of the
    files each run was read from (by run slug)."""

    views: tuple[RunView, ...]
    unit_keys: Mapping[str, str]
    last_write: Mapping[str, datetime]  # by run slug: when its files last changed
    sections: Mapping[str, str]  # by run slug: its page's parts made from it alone
    read: int = 0  # units read (the others came from the cache)
    processes: int = 1  # processes that read them


def read_stage(
    config: BuildConfig, problems: Problems, writer: SiteWriter | None = None
) -> ReadResult:
    """Stage 1: every run below the inputs, as views (classified, summarised, charted).

    A unit whose files are unchanged since an earlier build comes from the parse cache (and,
    when ``writer`` is given, its data files from the old site); the others are read, in
    parallel processes when there is enough to read, and their data files written to
    ``writer``.
    A progress bar appears on a terminal when this takes more than two seconds.
    """
    units = discover(config.inputs, problems)
    fps = [unit_cache.fingerprint(u) for u in units]
    results: list[UnitResult | None] = []
    # plotted columns are needed in this process only for chart images (a cached unit's data
    # files come from the old site, or it is read again); the cache keeps them only then
    charts = bool(config.images)
    for unit, fp in zip(units, fps, strict=True):
        cached = unit_cache.load(unit, fp, charts=charts) if config.cache else None
        if (
            cached is not None
            and writer is not None
            and not writer.can_reuse_all(unit_files(cached.views, fp))
        ):
            cached = None  # the old site lacks its data files: read again to make them
        results.append(cached)
    todo = [i for i, r in enumerate(results) if r is None]
    size = sum(fps[i].input_bytes for i in todo)
    jobs = config.jobs
    if size < PARALLEL_MIN_BYTES or len(todo) < 2:
        jobs = 1
    progress = tqdm(
        total=len(todo),
        desc="reading runs",
        unit="unit",
        delay=2.0,
        leave=False,
        disable=not sys.stderr.isatty(),
    )
    # units stage their files in one folder (unit i's as "i-0", "i-1", ...): which copy of a
    # run id is kept is known only when all are read
    staging = os.path.join(writer.tmp, ".staging") if writer is not None else None
    if staging is not None:
        os.makedirs(staging, exist_ok=True)
    fresh = read_fresh(
        [units[i] for i in todo],
        [fps[i] for i in todo],
        jobs,
        [os.path.join(staging, f"{i}-") if staging else None for i in todo],
        config.cache,
        charts,
    )
    staged: dict[int, Written] = {}
    with progress:
        for k, (result, written) in fresh:
            results[todo[k]] = result
            staged[todo[k]] = written
            if config.cache and not charts:  # saved by a worker: keep it for the next build
                unit_cache.remember(units[todo[k]], fps[todo[k]], result)
            progress.update()
    found: list[tuple[Path, RunView]] = []
    origin: dict[str, tuple[int, int]] = {}  # run slug -> (unit, run) of its first copy
    for i, (unit, done) in enumerate(zip(units, results, strict=True)):
        assert done is not None
        problems.extend(done.problems)
        for j, view in enumerate(done.views):
            found.append((unit.root, view))
            origin.setdefault(view.slug, (i, j))
    views = assemble(
        found,
        lambda v: v.run,
        lambda v, run: replace(v, run=run),
        problems,
        include_deleted=config.include_deleted,
    )
    if writer is not None and staging is not None:
        for view in views:
            i, j = origin[view.slug]
            if i in staged:
                writer.adopt(staged[i][j])
            elif not writer.reuse_all(unit_files([view], fps[i])):
                raise SiteError(f"{config.output}: changed during the build; build again")
        shutil.rmtree(staging, ignore_errors=True)  # copies of runs that were not kept
    unit_keys = {view.slug: fps[origin[view.slug][0]].key for view in views}
    sections = {}
    for view in views:
        i, j = origin[view.slug]
        done = results[i]
        if done is not None and j < len(done.sections):
            sections[view.slug] = done.sections[j]
    last_write = {
        view.slug: datetime.fromtimestamp(fps[origin[view.slug][0]].last_write_ns / 1e9, UTC)
        for view in views
        if fps[origin[view.slug][0]].last_write_ns
    }
    return ReadResult(tuple(views), unit_keys, last_write, sections, len(todo), jobs)


def image_stage(
    ctx: SiteContext, metrics: Sequence[str]
) -> tuple[dict[str, bytes], dict[tuple[str, str], str]]:
    """Stage 4 (with ``--images``): chosen charts of each experiment as PNG and SVG files, and
    the PNG of each (experiment, metric) that had data, for the summary."""
    out: dict[str, bytes] = {}
    pngs: dict[tuple[str, str], str] = {}
    for exp in ctx.experiments:
        for metric in metrics or key_metrics(exp.runs):
            for ext, data in chart_images(exp.runs, metric, f"{exp.name}: {metric}").items():
                out[image_path(exp.name, metric, ext)] = data
                if ext == "png":
                    pngs[(exp.name, metric)] = image_path(exp.name, metric, ext)
    return out, pngs


def image_path(experiment: str, metric: str, ext: str) -> str:
    """Site path of an exported chart image."""
    return f"images/{slug(experiment)}/{slug(metric)}.{ext}"


def resolve_baseline(spec: str, views: Sequence[RunView], problems: Problems) -> RunView:
    """The baseline run: a run id or name (or name and short id, as lists show it) among the
    runs read, or a path holding a run."""
    for field_name in ("id", "title", "name"):
        found = [v for v in views if getattr(v.run, field_name) == spec]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise ConfigError(f"--baseline {spec!r} names {len(found)} runs; give its run id")
    path = Path(spec)
    if path.exists():
        runs = read_runs([path], problems)
        if runs:
            # read from its own folder, a run's id may be relative to that folder: the site's
            # copy is the one with the same id, else the only one read from the same place
            where = runs[0].path.resolve()
            same = [v for v in views if v.run.id == runs[0].id] or [
                v for v in views if v.run.path.resolve() == where
            ]
            return same[0] if len(same) == 1 else run_view(runs[0])
    raise ConfigError(f"--baseline {spec!r}: no run with that id or name, and no run at that path")


@dataclass(frozen=True)
class Gathered:
    """Everything a build knows before it renders a page: the runs read, the site's context
    and the baseline run for the summary (when one was asked for)."""

    read: ReadResult
    ctx: SiteContext
    baseline: RunView | None


def gather(config: BuildConfig, writer: SiteWriter | None = None) -> Gathered:
    """Read and classify: every run's view, the site's whole context and the baseline run
    (with ``writer``, also the runs' data files). A ``--baseline`` that names no run fails
    here, before anything is rendered."""
    problems = Problems()
    read = read_stage(config, problems, writer)
    ctx = site_context(
        read.views,
        problems.sorted(),
        config.page_settings(),
        built=build_time(),
        last_write=read.last_write,
    )
    # problems met reading a baseline given as a path are not the site's (they are left out)
    baseline = (
        resolve_baseline(config.baseline, read.views, Problems()) if config.baseline else None
    )
    return Gathered(read, ctx, baseline)


def live_script(read: ReadResult, ctx: SiteContext) -> bytes:
    """``data/live.js``: names what the site was built from (every run's files, the problems),
    so an open page sees that a rebuild changed something."""
    key = content_key(*sorted(read.unit_keys.items()), *map(str, ctx.problems))
    return f'window.RR_LIVE = "{key}";\n'.encode()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a build runs (memory is still freed by
    reference counting). A build holds millions of small objects (views, summaries, cached
    entries) that form almost no cycles, and the collector's full passes over them took a
    third of a rebuild of 1,000 runs (benchmarks/README.md)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_time() -> datetime:
    """Now, or ``SOURCE_DATE_EPOCH`` when set (reproducible builds): the time running runs'
    elapsed and silent times are measured to."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC)


def write_summary(config: BuildConfig, path: Path) -> Path:
    """Only the Markdown summary (``runreport summary``): no site is written."""
    with collector_paused():
        done = gather(config)
    path.write_text(
        summary_markdown(done.ctx, SummaryOptions(config.site_url, done.baseline)),
        encoding="utf-8",
    )
    return path


def build_site(config: BuildConfig, *, on_wait: Callable[[str], None] | None = None) -> BuildResult:
    """Build the site described by ``config``: written beside the old site and swapped in only
    when complete, reusing what is unchanged since the last build. Builds into one folder run
    one at a time: ``on_wait`` is told when this one waits for another."""
    manifest = unit_cache.site_manifest(config.output)
    if not config.cache:
        load_shapes(cached=False)
    writer = SiteWriter(
        config.output, manifest, reuse=config.cache, wait=config.wait, on_wait=on_wait
    )
    with collector_paused(), writer:
        done = gather(config, writer)
        read = done.read
        ctx = copy_files(done.ctx, writer)
        for rel, data in assets(config.cache).items():
            writer.put(rel, data)
        images: dict[tuple[str, str], str] | None = None
        if config.images:
            image_files, images = image_stage(ctx, config.image_metrics)
            for rel, data in image_files.items():
                writer.put(rel, data)
        write_pages(
            ctx,
            writer,
            unit_keys=read.unit_keys if config.cache else None,
            sections=read.sections,
            cached=config.cache,
        )
        if config.live:
            writer.put("data/live.js", live_script(read, ctx))
        total, largest = writer.total_bytes, writer.largest_page
        if config.max_site_mb is not None and total > config.max_site_mb * 1024 * 1024:
            raise SiteError(
                f"the site would be {total / 2**20:.1f} MB, over --max-site-mb "
                f"{config.max_site_mb:g}; the largest page is {largest[0]} "
                f"({largest[1] / 1024:.0f} kB). Nothing was written: the old site is as it was."
            )
        writer.commit()
    if config.summary is not None:
        text = summary_markdown(ctx, SummaryOptions(config.site_url, done.baseline, images))
        config.summary.write_text(text, encoding="utf-8")
    return BuildResult(
        config.output,
        len(read.views),
        writer.pages,
        ctx.problems,
        config.strict,
        total,
        largest,
        config.summary,
        writer.reused,
        read.read,
        read.processes,
        unwritable(),
    )
