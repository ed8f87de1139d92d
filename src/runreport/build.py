"""``build_site``: read → classify → chart → pages → write, as named stages."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import vl_convert
from tqdm import tqdm

from .charts import vega_lite_version
from .errors import ConfigError, Problem, Problems, Severity, SiteError
from .export import chart_images, csv_files
from .model import Run
from .names import slug
from .pages import Site, SiteContext, render_site, site_context, templates_dir
from .readers import read_runs
from .site import write_site
from .summary import SummaryOptions, key_metrics, summary_markdown
from .views import RunView, run_view


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

    @property
    def warnings(self) -> int:
        """Problems that count against ``--strict`` (warnings and errors)."""
        return sum(1 for p in self.problems if p.severity is not Severity.INFO)

    @property
    def ok(self) -> bool:
        """False when ``--strict`` saw a warning."""
        return not (self.strict and self.warnings)


def cache_dir() -> Path:
    """Where runreport keeps what it can reuse between builds (``RUNREPORT_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/runreport`` or ``~/.cache/runreport``)."""
    if os.environ.get("RUNREPORT_CACHE_DIR"):
        return Path(os.environ["RUNREPORT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "runreport"


@cache
def vega_bundle() -> bytes:
    """Vega, Vega-Lite and vega-embed as one script, at the Vega-Lite version altair targets.

    Making it takes seconds, so it is kept in :func:`cache_dir` per vl-convert and Vega-Lite
    version (the bundle is deterministic); an unwritable cache only costs the time.
    """
    version = getattr(vl_convert, "__version__", "unknown")
    name = f"vega-bundle-{version}-vl{vega_lite_version()}.js"
    cached = cache_dir() / name
    try:
        return cached.read_bytes()
    except OSError:
        pass
    # vl-convert's stub marks ``snippet`` as required; it defaults to "expose the globals"
    bundle: bytes = vl_convert.javascript_bundle(  # type: ignore[call-arg]
        vl_version=vega_lite_version()
    ).encode("utf-8")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(bundle)
        os.replace(tmp, cached)
    except OSError:
        pass
    return bundle


def assets() -> dict[str, bytes]:
    """The site's static files: the Vega bundle and runreport's own script and styles."""
    out = {"assets/vega.js": vega_bundle()}
    static = templates_dir() / "assets"
    for path in sorted(static.iterdir()):
        if path.is_file():
            out[f"assets/{path.name}"] = path.read_bytes()
    return out


def read_stage(config: BuildConfig, problems: Problems) -> tuple[Run, ...]:
    """Stage 1: every run below the inputs."""
    return read_runs(config.inputs, problems, include_deleted=config.include_deleted)


def view_stage(runs: tuple[Run, ...]) -> tuple[RunView, ...]:
    """Stage 2: classify every metric, compute summaries and chart data.

    A progress bar appears on a terminal when this takes more than two seconds.
    """
    progress = tqdm(
        runs, desc="runs", unit="run", delay=2.0, leave=False, disable=not sys.stderr.isatty()
    )
    return tuple(run_view(r) for r in progress)


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


def _sizes(site: Site) -> tuple[int, tuple[str, int]]:
    total = sum(len(b) for b in site.files.values())
    total += sum(os.lstat(p).st_size for p in site.copies.values())
    pages = [(name, len(b)) for name, b in site.files.items() if name.endswith(".html")]
    return total, max(pages, key=lambda p: (p[1], p[0]), default=("", 0))


def gather(config: BuildConfig) -> tuple[tuple[RunView, ...], SiteContext, Problems]:
    """Read and classify: every run's view and the site's context (nothing written)."""
    problems = Problems()
    views = view_stage(read_stage(config, problems))
    return views, site_context(views, problems.sorted(), config.title, config.goals), problems


def write_summary(config: BuildConfig, path: Path) -> Path:
    """Only the Markdown summary (``runreport summary``): no site is written."""
    views, ctx, problems = gather(config)
    baseline = resolve_baseline(config.baseline, views, problems) if config.baseline else None
    path.write_text(
        summary_markdown(ctx, SummaryOptions(config.site_url, baseline)), encoding="utf-8"
    )
    return path


def build_site(config: BuildConfig) -> BuildResult:
    """Build the site described by ``config``; everything is gathered before anything is written."""
    views, ctx, problems = gather(config)
    extra = csv_files(views)
    images: dict[tuple[str, str], str] | None = None
    if config.images:
        image_files, images = image_stage(ctx, config.image_metrics)
        extra.update(image_files)
    site = render_site(ctx, assets() | extra, site_url=config.site_url)
    total, largest = _sizes(site)
    if config.max_site_mb is not None and total > config.max_site_mb * 1024 * 1024:
        raise SiteError(
            f"the site would be {total / 2**20:.1f} MB, over --max-site-mb {config.max_site_mb:g};"
            f" the largest page is {largest[0]} ({largest[1] / 1024:.0f} kB). Nothing was written."
        )
    baseline = resolve_baseline(config.baseline, views, problems) if config.baseline else None
    write_site(config.output, site.files, site.copies)
    if config.summary is not None:
        text = summary_markdown(ctx, SummaryOptions(config.site_url, baseline, images))
        config.summary.write_text(text, encoding="utf-8")
    pages = sum(1 for name in site.files if name.endswith(".html"))
    return BuildResult(
        config.output,
        len(views),
        pages,
        ctx.problems,
        config.strict,
        total,
        largest,
        config.summary,
    )
