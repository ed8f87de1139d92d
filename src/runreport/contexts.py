"""What pages show, gathered before any page is written: the site's context (experiments,
compute targets, runs, problems) and the page settings of the build."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass, field
from datetime import datetime

from .errors import Problem, Severity
from .model import Status
from .names import slug
from .rules import goal
from .views import STATS, MetricView, RunView, best_by_metric, status_counts


def metric_cell(metric: MetricView, best: str) -> tuple[float | str, ...]:
    """One run's metric in the experiment's run table: its stats as numbers then as text (see
    :attr:`MetricView.table_stats`), then the stats this run is best in (``best``: names from
    :data:`STATS` separated by spaces, such as ``"last min"``)."""
    return (*metric.table_stats, best)


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
    # by run slug, per metric name: its cell (see :func:`metric_cell`), or None
    cells: Mapping[str, tuple[tuple[float | str, ...] | None, ...]]


@dataclass(frozen=True)
class ComputeInfo:
    """A compute target and its runs."""

    name: str
    slug: str
    runs: tuple[RunView, ...]
    statuses: Mapping[str, int]


@dataclass(frozen=True)
class PageSettings:
    """How the build was asked to make its pages: every field changes pages, so the key that
    lets a rebuild reuse an old page is made from all of them (:meth:`key`)."""

    title: str = "Run report"
    goals: tuple[tuple[str, str], ...] = ()  # (metric, "min" or "max"), sorted
    site_url: str | None = None  # canonical links only; every link between pages is relative
    refresh: int | None = None  # seconds between automatic reloads of every page
    stalled_after: float = 600.0  # seconds without a write after which a Running run is flagged
    live: bool = False  # served by ``runreport serve``: pages reload themselves when it changes
    include_failed: bool = False  # Failed and Canceled runs may be "best" too

    def key(self) -> tuple[object, ...]:
        """Every field, for the page-reuse key."""
        return astuple(self)


@dataclass(frozen=True)
class SiteContext:
    """What every page knows: the build's page settings, the indexes (experiments, compute
    targets, runs) and the problems; made whole by :func:`site_context`."""

    settings: PageSettings
    experiments: tuple[ExperimentInfo, ...]
    computes: tuple[ComputeInfo, ...]
    runs: Mapping[str, RunView]  # by run id
    problems: tuple[Problem, ...]
    warnings: int = 0
    built: datetime | None = None  # when the site was built (running runs are shown as of then)
    last_write: Mapping[str, datetime] = field(default_factory=dict)  # by run slug

    @property
    def title(self) -> str:
        """The site's title."""
        return self.settings.title

    @property
    def refresh(self) -> int | None:
        """Seconds between automatic reloads of every page, if set."""
        return self.settings.refresh

    @property
    def stalled_after(self) -> float:
        """Seconds without a write after which a Running run is flagged."""
        return self.settings.stalled_after

    @property
    def live(self) -> bool:
        """Whether pages reload themselves when ``runreport serve`` rebuilds."""
        return self.settings.live

    def last_activity(self, v: RunView) -> datetime | None:
        """When the run was last active: the later of the start and end its format recorded,
        or, for a format that records no times, when its files last changed (so a site shows
        file times only where there is nothing better)."""
        times = [t for t in (v.run.end_time, v.run.start_time) if t is not None]
        return max(times) if times else self.last_write.get(v.slug)

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
    views: Sequence[RunView],
    problems: Sequence[Problem],
    settings: PageSettings,
    *,
    built: datetime | None = None,
    last_write: Mapping[str, datetime] | None = None,
) -> SiteContext:
    """Group the runs into experiments and compute targets: the whole context of every page
    (``built``: the time running runs are shown as of; ``last_write``: by run slug, when its
    files last changed)."""
    goals = dict(settings.goals)
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
        best = best_by_metric(runs, goals, include_failed=settings.include_failed)
        marks: dict[tuple[str, str], str] = {}  # (run slug, metric) -> "last min" ...
        for metric, stats in best.items():
            for s in STATS:
                if s in stats:
                    key = (stats[s], metric)
                    marks[key] = f"{marks[key]} {s}" if key in marks else s
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
                goals={n: goal(n, goals) for n in metric_names},
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
        settings,
        tuple(exp_infos),
        comp_infos,
        {v.run.id: v for v in views},
        tuple(problems),
        warnings,
        built,
        last_write or {},
    )
