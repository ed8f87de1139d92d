"""What a build is asked to do (:class:`BuildConfig`) and what it did (:class:`BuildResult`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .contexts import PageSettings
from .errors import Problem, Severity
from .gate import GateResult, GateSpec


@dataclass(frozen=True)
class BuildConfig:
    """What to build: input folders, output folder, title, metric goals, strictness."""

    inputs: tuple[Path, ...]
    output: Path
    title: str = "Run report"
    goals: Mapping[str, str] = field(default_factory=dict)
    strict: bool = False
    include_deleted: bool = False
    include_failed: bool = False  # Failed and Canceled runs may be "best" (the ★, the summary)
    site_url: str | None = None  # canonical links and the summary's links; the site stays relative
    summary: Path | None = None  # write the Markdown summary here
    baseline: str | None = None  # a run id or name, or a path to a run, for the summary's deltas
    # fail (exit code 1, the site still written) when a metric is worse than the baseline's
    # by more than its tolerance (runreport.gate); needs ``baseline`` or ``baseline_site``
    fail_on_regression: tuple[GateSpec, ...] = ()
    # a published site (folder or http(s) address) whose runs the gate compares with: the run
    # ``baseline`` names there, else each run's namesake (runreport.published)
    baseline_site: str | None = None
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
    # how the runs that changed are read: "local" (processes of this machine) or "dask"
    # (runreport.distributed: a LocalCluster of ``jobs`` workers, or the cluster at
    # ``scheduler``, an address such as tcp://host:8786, which implies "dask")
    executor: str = "local"
    scheduler: str | None = field(default=None, repr=False)  # (not in a build's key)

    @property
    def distributed(self) -> bool:
        """Whether runs are read on Dask."""
        return self.executor == "dask" or self.scheduler is not None

    def page_settings(self) -> PageSettings:
        """The settings that shape the pages (all of them part of every page's reuse key)."""
        return PageSettings(
            title=self.title,
            goals=tuple(sorted(self.goals.items())),
            site_url=self.site_url,
            refresh=self.refresh,
            stalled_after=self.stalled_after,
            live=self.live,
            include_failed=self.include_failed,
        )


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
    unchanged: bool = False  # nothing changed since the last build: the site was left as it was
    gate: GateResult | None = None  # the regression gate's checks, when asked for

    @property
    def warnings(self) -> int:
        """Problems that count against ``--strict`` (warnings and errors)."""
        return sum(1 for p in self.problems if p.severity is not Severity.INFO)

    @property
    def ok(self) -> bool:
        """False when ``--strict`` saw a warning."""
        return not (self.strict and self.warnings)

    @property
    def regressed(self) -> bool:
        """True when the regression gate found a metric worse beyond its tolerance."""
        return self.gate is not None and bool(self.gate.failed)
