"""``build_site``: read → classify → chart → pages → write, as named stages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import vl_convert

from .charts import vega_lite_version
from .errors import Problem, Problems, Severity
from .model import Run
from .pages import render_site, site_context, templates_dir
from .readers import read_runs
from .site import write_site
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


@dataclass(frozen=True)
class BuildResult:
    """What a build did."""

    output: Path
    runs: int
    pages: int
    problems: tuple[Problem, ...]
    strict: bool

    @property
    def warnings(self) -> int:
        """Problems that count against ``--strict`` (warnings and errors)."""
        return sum(1 for p in self.problems if p.severity is not Severity.INFO)

    @property
    def ok(self) -> bool:
        """False when ``--strict`` saw a warning."""
        return not (self.strict and self.warnings)


@cache
def vega_bundle() -> bytes:
    """Vega, Vega-Lite and vega-embed as one script, at the Vega-Lite version altair targets."""
    # vl-convert's stub marks ``snippet`` as required; it defaults to "expose the globals"
    bundle: str = vl_convert.javascript_bundle(vl_version=vega_lite_version())  # type: ignore[call-arg]
    return bundle.encode("utf-8")


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
    """Stage 2: classify every metric, compute summaries and chart data."""
    return tuple(run_view(r) for r in runs)


def build_site(config: BuildConfig) -> BuildResult:
    """Build the site described by ``config``; everything is gathered before anything is written."""
    problems = Problems()
    runs = read_stage(config, problems)
    views = view_stage(runs)
    ctx = site_context(views, problems.sorted(), config.title, config.goals)
    site = render_site(ctx, assets())
    write_site(config.output, site.files, site.copies)
    pages = sum(1 for name in site.files if name.endswith(".html"))
    return BuildResult(config.output, len(runs), pages, ctx.problems, config.strict)
