"""``build_site``: read → classify → chart → pages → write, as named stages."""

from __future__ import annotations

import gc
import os
import queue
import shutil
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache, partial
from pathlib import Path

import vl_convert
from tqdm import tqdm

from . import cache as unit_cache
from . import workers
from .cache import Fingerprint, UnitResult
from .cachefiles import cache_dir, read_checked, unwritable, write_checked
from .charts import load_shapes, vega_lite_version
from .errors import ConfigError, Problem, Problems, Severity, SiteError
from .export import chart_images
from .model import Run
from .names import slug
from .pages import (
    SiteContext,
    charted,
    content_key,
    copy_files,
    data_file,
    data_key,
    data_path,
    full_file,
    full_key,
    full_path,
    run_sections,
    site_context,
    templates_dir,
    write_pages,
)
from .readers import Unit, assemble, discover, read_runs
from .readers.base import with_svg_data
from .site import SiteWriter, Staged, stage_file
from .summary import SummaryOptions, key_metrics, summary_markdown
from .views import RunView, run_view

#: Below this many bytes of input to read, parsing stays in this process (a worker reads its
#: first run about 0.4 s after it is asked for, the time its server takes to import
#: runreport: see :mod:`runreport.workers`).
PARALLEL_MIN_BYTES = 32 << 20


@dataclass(frozen=True)
class BuildConfig:
    """What to build: input folders, output folder, title, metric goals, strictness."""

    inputs: tuple[Path, ...]
    output: Path
    title: str = "Run report"
    goals: Mapping[str, str] = field(default_factory=dict)
    strict: bool = False
    include_deleted: bool = False
    site_url: str | None = None  # canonical links and the summary's links; the site stays relative
    summary: Path | None = None  # write the Markdown summary here
    baseline: str | None = None  # a run id or name, or a path to a run, for the summary's deltas
    images: bool = False  # also render key charts to images/*.png and *.svg
    image_metrics: tuple[str, ...] = ()  # which metrics to render (default: the key metrics)
    max_site_mb: float | None = None  # fail, leaving the old site, when the site is bigger
    # processes reading runs, this one included; above 1, worker processes start, and (as
    # with any multiprocessing) a script calling build_site must do so under
    # ``if __name__ == "__main__":``. The command line uses one per core.
    jobs: int = 1
    cache: bool = True  # reuse unchanged runs' parses and the old site's unchanged files
    refresh: int | None = None  # pages reload themselves every this many seconds
    live: bool = False  # for ``runreport serve``: pages poll data/live.js and reload on change
    stalled_after: float = 600.0  # a Running run silent this many seconds is flagged
    # another build writing ``output``: wait for it to finish (else fail at once)
    wait: bool = True


@dataclass(frozen=True)
class BuildResult:
    """What a build did."""

    output: Path
    runs: int
    pages: int
    problems: tuple[Problem, ...]
    strict: bool
    site_bytes: int = 0
    largest_page: tuple[str, int] = ("", 0)
    summary: Path | None = None
    reused: int = 0  # files taken unchanged from the old site
    read: int = 0  # run folders (or stores) read; the others came from the parse cache
    processes: int = 1  # processes that read them
    cache_warning: str | None = None  # why the cache folder could not be written, if not

    @property
    def warnings(self) -> int:
        """Problems that count against ``--strict`` (warnings and errors)."""
        return sum(1 for p in self.problems if p.severity is not Severity.INFO)

    @property
    def ok(self) -> bool:
        """False when ``--strict`` saw a warning."""
        return not (self.strict and self.warnings)


@cache
def vega_bundle(cached: bool = True) -> bytes:
    """Vega, Vega-Lite and vega-embed as one script, at the Vega-Lite version altair targets.

    Making it takes seconds, so it is kept in :func:`cache_dir` per vl-convert and Vega-Lite
    version (the bundle is deterministic), checked (length and hash) before use and made
    again when bad; not ``cached``, it is made afresh. An unwritable cache costs only time.
    """
    version = getattr(vl_convert, "__version__", "unknown")
    path = cache_dir() / f"vega-bundle-{version}-vl{vega_lite_version()}.js"
    bundle = read_checked(path) if cached else None
    if bundle is None:
        # vl-convert's stub marks ``snippet`` as required; it defaults to "expose the globals"
        bundle = vl_convert.javascript_bundle(  # type: ignore[call-arg]
            vl_version=vega_lite_version()
        ).encode("utf-8")
        write_checked(path, bundle)
    return bundle


def assets(cached: bool = True) -> dict[str, bytes]:
    """The site's static files: the Vega bundle and runreport's own script and styles."""
    out = {"assets/vega.js": vega_bundle(cached)}
    static = templates_dir() / "assets"
    for path in sorted(static.iterdir()):
        if path.is_file():
            out[f"assets/{path.name}"] = path.read_bytes()
    return out


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


#: What reading a unit wrote, per run: the files it staged.
Written = list[list[Staged]]


def read_unit(
    unit: Unit, fp: Fingerprint, stage: str | None, save: bool, charts: bool = True
) -> tuple[UnitResult, Written]:
    """Read one unit and make everything that depends on it alone: its runs' views, and
    their data files and full-resolution data files (staged at ``stage`` + a number, in the
    site's temp folder); keep the result in the parse cache when ``save``. The views keep no
    metric columns (what pages need is in them), nor, unless ``charts``, their charts' plotted
    columns. Runs in worker processes, so the heavy work of a build is spread over the
    cores."""
    return _read_unit(unit, fp, stage, save, charts)


def _read_unit(
    unit: Unit, fp: Fingerprint, stage: str | None, save: bool, charts: bool
) -> tuple[UnitResult, Written]:
    problems = Problems()
    if not save:  # --no-cache: nothing from the cache folder, in this process either
        load_shapes(cached=False)
    views = []
    sections = []
    written: Written = []
    staged = 0  # files staged so far (they are named by number)
    for run in _guarded(unit, problems):
        try:
            view = run_view(with_svg_data(run, problems))
        except Exception as exc:  # (see _guarded)
            problems.error(run.path, None, f"not shown: {exc!r}. {_BUG}")
            continue
        for m in view.metrics:
            _ = m.table_cell, m.index_summary  # made here, once, and kept with the view
        sections.append(run_sections(view, cached=save))
        files: list[Staged] = []
        if stage is not None:
            made = [(data_path(view), data_key(fp.key), data_file(view))]
            full = full_file(view)
            if full is not None:
                made.append((full_path(view), full_key(fp.key), full))
            for rel, key, data in made:
                files.append(stage_file(f"{stage}{staged}", rel, key, data))
                staged += 1
        written.append(files)
        views.append(replace(view, run=replace(run, metrics=())))
    result = UnitResult(tuple(views), problems.sorted(), tuple(sections))
    if charts:
        if save:
            unit_cache.save(unit, fp, result)
        return result, written
    light = (
        unit_cache.save(unit, fp, result, charts=False)
        if save
        else unit_cache.without_chart_data(result)[0]
    )
    return light, written


_BUG = "This is a bug in runreport: please report it with the file."


def _guarded(unit: Unit, problems: Problems) -> Iterator[Run]:
    """The unit's runs; a reader that raises (a bug: readers report bad input) ends only its
    own folder, with the runs it gave so far kept and the error reported, never the build."""
    try:
        yield from unit.reader.read(unit.folder, problems)
    except Exception as exc:
        problems.error(unit.folder, None, f"{unit.reader.name} reader failed: {exc!r}. {_BUG}")


def _unit_files(views: Sequence[RunView], fp: Fingerprint) -> list[tuple[str, str]]:
    """The data files of ``views`` (site path, key), as a cached unit's are found in the old
    site."""
    files = []
    for v in views:
        files.append((data_path(v), data_key(fp.key)))
        if charted(v):
            files.append((full_path(v), full_key(fp.key)))
    return files


def _read_fresh(
    units: Sequence[Unit],
    fps: Sequence[Fingerprint],
    jobs: int,
    stages: Sequence[str | None],
    save: bool,
    charts: bool,
) -> Iterator[tuple[int, tuple[UnitResult, Written]]]:
    """Read ``units``, yielding (index, result) as each is done: here when ``jobs`` is 1,
    else shared between this process (from the end of the list) and ``jobs - 1`` worker
    processes (from the front), so that no time is lost while the workers start."""
    if jobs <= 1:
        for i, unit in enumerate(units):
            yield i, read_unit(unit, fps[i], stages[i], save, charts)
        return
    pending = deque(range(len(units)))
    lock = threading.Lock()
    done: queue.SimpleQueue[tuple[int, Future[tuple[UnitResult, Written]]] | None] = (
        queue.SimpleQueue()
    )
    failure: list[BaseException] = []

    def take(front: bool) -> int | None:
        with lock:
            if not pending:
                return None
            return pending.popleft() if front else pending.pop()

    def feed() -> None:
        processes = jobs - 1
        slots = threading.Semaphore(processes + 1)  # a unit queued behind each busy worker

        def finished(i: int, future: Future[tuple[UnitResult, Written]]) -> None:
            slots.release()
            done.put((i, future))

        try:
            with ProcessPoolExecutor(
                max_workers=processes, mp_context=context, initializer=workers.die_with_parent
            ) as pool:
                while True:
                    slots.acquire()
                    i = take(front=True)
                    if i is None:
                        break
                    future = pool.submit(read_unit, units[i], fps[i], stages[i], save, charts)
                    future.add_done_callback(partial(finished, i))
        except BaseException as exc:  # reported by the caller's thread
            failure.append(exc)
        finally:
            done.put(None)

    load_shapes()  # before any worker needs them (each would make them)
    context = workers.context()
    feeder = threading.Thread(target=feed, name="runreport-read", daemon=True)
    feeder.start()
    try:
        fed = False
        while not fed:
            # the workers' results as they come (their data files are written, not held) ...
            while not done.empty():
                item = done.get()
                if item is None:
                    fed = True
                    break
                yield item[0], item[1].result()
            # ... between units of this process's own share
            own = take(front=False)
            if own is not None:
                yield own, read_unit(units[own], fps[own], stages[own], save, charts)
            elif not fed:
                item = done.get()
                if item is None:
                    fed = True
                else:
                    yield item[0], item[1].result()
        if failure:
            raise failure[0]
    finally:
        with lock:
            pending.clear()  # stop feeding if the caller stopped early
        feeder.join()


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
            and not writer.can_reuse_all(_unit_files(cached.views, fp))
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
    fresh = _read_fresh(
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
            elif not writer.reuse_all(_unit_files([view], fps[i])):
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
    """The baseline run: a run id or name among the runs read, or a path holding a run."""
    for field_name in ("id", "name"):
        found = [v for v in views if getattr(v.run, field_name) == spec]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise ConfigError(f"--baseline {spec!r} names {len(found)} runs; give its run id")
    path = Path(spec)
    if path.exists():
        runs = read_runs([path], problems)
        if runs:
            same = next((v for v in views if v.run.id == runs[0].id), None)
            return same or run_view(runs[0])
    raise ConfigError(f"--baseline {spec!r}: no run with that id or name, and no run at that path")


def gather(
    config: BuildConfig, writer: SiteWriter | None = None
) -> tuple[ReadResult, SiteContext, Problems]:
    """Read and classify: every run's view and the site's context (with ``writer``, also the
    runs' data files)."""
    problems = Problems()
    read = read_stage(config, problems, writer)
    ctx = site_context(read.views, problems.sorted(), config.title, config.goals)
    ctx = replace(
        ctx,
        built=build_time(),
        last_write=read.last_write,
        refresh=config.refresh,
        stalled_after=config.stalled_after,
        live=config.live,
    )
    return read, ctx, problems


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
        read, ctx, problems = gather(config)
    baseline = resolve_baseline(config.baseline, read.views, problems) if config.baseline else None
    path.write_text(
        summary_markdown(ctx, SummaryOptions(config.site_url, baseline)), encoding="utf-8"
    )
    return path


def build_site(
    config: BuildConfig, *, on_wait: Callable[[str], None] | None = None
) -> BuildResult:
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
        read, ctx, problems = gather(config, writer)
        ctx = copy_files(ctx, writer)
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
            site_url=config.site_url,
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
        baseline = (
            resolve_baseline(config.baseline, read.views, problems) if config.baseline else None
        )
        writer.commit()
    if config.summary is not None:
        text = summary_markdown(ctx, SummaryOptions(config.site_url, baseline, images))
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
