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
from typing import Any

from tqdm import tqdm

from . import cache as unit_cache
from .assets import assets
from .cache import UnitResult
from .charts import load_shapes
from .config import BuildConfig as BuildConfig
from .config import BuildResult as BuildResult
from .contexts import SiteContext, site_context
from .errors import ConfigError, Problem, Problems, Severity, SiteError
from .export import chart_images
from .files import code_fingerprint, unwritable
from .gate import Published, check_published
from .gate import check as check_gate
from .names import slug
from .pages import copy_files, write_pages
from .pool import aside, read_fresh
from .published import load as load_published
from .readers import Unit, assemble, discover, read_runs
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
    sections: Mapping[str, bytes]  # by run slug: its page's parts made from it alone, packed
    read: int = 0  # units read (the others came from the cache)
    processes: int = 1  # processes that read them


@dataclass(frozen=True)
class Listing:
    """The list stage's output: every unit below the inputs, in a stable order, with the
    fingerprint of its files."""

    units: tuple[Unit, ...]
    fps: tuple[unit_cache.Fingerprint, ...]


def list_stage(config: BuildConfig, problems: Problems) -> Listing:
    """Stage 0: every unit below the inputs (a problem for what cannot be listed), and its
    files' fingerprint."""
    units = discover(config.inputs, problems)
    return Listing(tuple(units), tuple(unit_cache.fingerprint(u) for u in units))


def read_stage(
    config: BuildConfig,
    problems: Problems,
    writer: SiteWriter | None = None,
    listing: Listing | None = None,
) -> ReadResult:
    """Stage 1: every run below the inputs, as views (classified, summarised, charted).

    A unit whose files are unchanged since an earlier build comes from the parse cache (and,
    when ``writer`` is given, its data files from the old site); the others are read, in
    parallel processes when there is enough to read, and their data files written to
    ``writer``.
    A progress bar appears on a terminal when this takes more than two seconds.
    """
    if listing is None:
        listing = list_stage(config, problems)
    units, fps = listing.units, listing.fps
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
    if (size < PARALLEL_MIN_BYTES or len(todo) < 2) and not config.distributed:
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
        config.distributed,
        config.scheduler,
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


def gather(
    config: BuildConfig,
    writer: SiteWriter | None = None,
    listing: Listing | None = None,
    problems: Problems | None = None,
) -> Gathered:
    """Read and classify: every run's view, the site's whole context and the baseline run
    (with ``writer``, also the runs' data files). A ``--baseline`` that names no run fails
    here, before anything is rendered. ``listing`` is the list stage's, when made already,
    and ``problems`` the problems it met."""
    problems = Problems() if problems is None else problems
    read = read_stage(config, problems, writer, listing)
    ctx = site_context(
        read.views,
        problems.sorted(),
        config.page_settings(),
        built=build_time(),
        last_write=read.last_write,
    )
    # problems met reading a baseline given as a path are not the site's (they are left out)
    here = None if config.baseline_site else config.baseline  # else it names a published run
    baseline = resolve_baseline(here, read.views, Problems()) if here else None
    return Gathered(read, ctx, baseline)


def build_key(config: BuildConfig, listing: Listing, problems: Problems) -> str:
    """What a site is made from, as one key: runreport's code, every setting that shapes the
    site or the summary, every unit and its files' fingerprint, and the problems met listing
    them. A build whose key is the last build's, into a site left as that build wrote it,
    would write the same bytes (unless it shows Running runs, whose times move on)."""
    asked = replace(config, output=Path(), jobs=1, wait=True, strict=False, executor="local")
    units = (
        f"{unit.reader.name}\n{unit.absolute}\n{fp.key}"
        for unit, fp in zip(listing.units, listing.fps, strict=True)
    )
    return content_key(code_fingerprint(), repr(asked), *map(repr, problems.sorted()), *units)


def build_record(
    key: str, ctx: SiteContext, writer: SiteWriter, runs: int, summary: str | None
) -> dict[str, object]:
    """What a build that finds nothing changed reports, kept with the site's manifest."""
    return {
        "key": key,
        "runs": runs,
        "pages": writer.pages,
        "problems": [[p.path, p.line, p.message, p.severity.value] for p in ctx.problems],
        "bytes": writer.total_bytes,
        "largest": list(writer.largest_page),
        "summary": summary,
    }


def unchanged_result(config: BuildConfig, record: Mapping[str, Any]) -> BuildResult | None:
    """The result of a build that found nothing changed since the last one (``record``, None
    when it is not as :func:`build_record` writes it)."""
    try:
        page, size = record["largest"]
        problems = tuple(Problem(p, n, m, Severity(s)) for p, n, m, s in record["problems"])
        if config.summary is not None and not isinstance(record["summary"], str):
            return None
        return BuildResult(
            config.output,
            int(record["runs"]),
            int(record["pages"]),
            problems,
            config.strict,
            int(record["bytes"]),
            (str(page), int(size)),
            config.summary,
            cache_warning=unwritable(),
            unchanged=True,
        )
    except (KeyError, TypeError, ValueError):
        return None


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
    if config.fail_on_regression and config.baseline is None and config.baseline_site is None:
        raise ConfigError(
            "--fail-on-regression compares with a baseline: give --baseline or --baseline-site"
        )
    # read before anything is written: a site that cannot be read fails the build at once
    published = load_published(config.baseline_site) if config.baseline_site else None
    manifest = unit_cache.site_manifest(config.output)
    if not config.cache:
        load_shapes(cached=False)
    # the collector is paused from the start: the old site's manifest alone is a list per file
    with collector_paused():
        return _build(config, manifest, on_wait, published)


def _build(
    config: BuildConfig,
    manifest: Path,
    on_wait: Callable[[str], None] | None,
    published: Published | None,
) -> BuildResult:
    writer = SiteWriter(
        config.output, manifest, reuse=config.cache, wait=config.wait, on_wait=on_wait
    )
    with writer:
        problems = Problems()
        listing = list_stage(config, problems)
        key = build_key(config, listing, problems)
        fixed = config.baseline is None and published is None  # (a baseline is read anew)
        same = writer.unchanged(key) if config.cache and fixed else None
        if same is not None and (result := unchanged_result(config, same)) is not None:
            writer.keep_old()
            if config.summary is not None:  # as the last build wrote it
                config.summary.write_text(same["summary"], encoding="utf-8")
            return result
        done = gather(config, writer, listing, problems)
        read = done.read
        gate = None
        if config.fail_on_regression and published is not None:
            gate = check_published(done.ctx, published, config.fail_on_regression, config.baseline)
        elif config.fail_on_regression and done.baseline is not None:
            gate = check_gate(done.ctx, done.baseline, config.fail_on_regression)
        ctx = copy_files(done.ctx, writer)
        for rel, data in assets(config.cache).items():
            writer.put(rel, data)
        images: dict[tuple[str, str], str] | None = None
        if config.images:
            image_files, images = image_stage(ctx, config.image_metrics)
            for rel, data in image_files.items():
                writer.put(rel, data)
        with aside(config.jobs) as fits:  # (params' importance, fitted meanwhile)
            keys = read.unit_keys if config.cache else None
            write_pages(
                ctx, writer, unit_keys=keys, sections=read.sections, cached=config.cache, aside=fits
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
        text = None
        if config.summary is not None:
            text = summary_markdown(
                ctx, SummaryOptions(config.site_url, done.baseline, images, gate=gate)
            )
        # pages showing Running runs say how long they ran as of the build: remade each time
        timeless = config.cache and not ctx.active
        writer.commit(build_record(key, ctx, writer, len(read.views), text) if timeless else None)
    if config.summary is not None and text is not None:
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
        gate=gate,
    )
