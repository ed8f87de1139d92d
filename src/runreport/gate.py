"""The regression gate of a CI build (``--fail-on-regression METRIC[:TOLERANCE]``): each
other run of the baseline's experiment, or each group of runs that differ only by their seed,
against the baseline (with its own seeds), in each metric's direction. Groups of two or more
runs on both sides are compared by the difference of their means with a bootstrap confidence
interval (seeded, so a build gives the same interval every time): a difference whose interval
crosses zero is "within noise" and never fails the build."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import numpy as np
import orjson

from .contexts import SiteContext
from .errors import ConfigError
from .memo import ByObject
from .views import RunView

#: params named for a seed (``seed``, ``random_seed``, ``data.seed``): runs that differ only
#: in these are one group
SEED_PARAM = re.compile(r"(^|[^a-z])seed($|[^a-z])", re.IGNORECASE)
#: resamples of the bootstrap, its confidence level and its seed
RESAMPLES = 10_000
LEVEL = 0.95
SEED = 0


@dataclass(frozen=True)
class GateSpec:
    """One ``--fail-on-regression``: a metric and how much worse it may get (an amount in the
    metric's unit, or a fraction of the baseline's value when ``relative``)."""

    metric: str
    tolerance: float = 0.0
    relative: bool = False

    @classmethod
    def parse(cls, text: str) -> GateSpec:
        """``val_loss``, ``val_loss:0.01`` or ``accuracy:2%`` (a metric name may hold ``:``;
        the tolerance is what follows the last one, when it reads as one)."""
        name, sep, tol = text.rpartition(":")
        if sep and name:
            relative = tol.strip().endswith("%")
            try:
                value = float(tol.strip().rstrip("%"))
            except ValueError:
                value = math.nan
            if math.isfinite(value) and value >= 0:
                return cls(name, value / 100 if relative else value, relative)
            if not _looks_like_name(tol):
                raise ConfigError(
                    f"--fail-on-regression {text!r}: the tolerance {tol!r} is not a number "
                    "≥ 0 (write METRIC, METRIC:0.01 or METRIC:2%)"
                )
        return cls(text)

    def allowed(self, base: float) -> float:
        """How much worse than ``base`` a value may be."""
        return self.tolerance * abs(base) if self.relative else self.tolerance


def _looks_like_name(text: str) -> bool:
    return bool(text) and not re.fullmatch(r"[\d.\s%+-]*", text)


@dataclass(frozen=True)
class GateRun:
    """A run as the gate sees it: of this build, or of a published site's index (see
    :func:`site_index`), where ``href`` is its page's address there (None: not known)."""

    slug: str
    title: str
    experiment: str
    params: Mapping[str, str]
    last: Mapping[str, float]  # each metric's last value, finite ones only
    href: str | None = None

    @classmethod
    def of(cls, view: RunView) -> GateRun:
        last = {}
        for name, s in view.summaries.items():
            if s is not None and isinstance(s.last, float | int) and math.isfinite(s.last):
                last[name] = float(s.last)
        params = {k: str(v) for k, v in view.run.params.items()}
        # (no href: a page of this build is linked by the summary, which knows --site-url)
        return cls(view.slug, view.run.title, view.run.experiment, params, last)


@dataclass(frozen=True)
class Check:
    """One metric of one run (or group of seeds) against the baseline's."""

    metric: str
    goal: str  # "min" or "max"
    runs: tuple[GateRun, ...]
    values: tuple[float, ...]
    base_runs: tuple[GateRun, ...]
    base_values: tuple[float, ...]
    worse_by: float  # how much worse the mean is than the baseline's (negative: better)
    allowed: float
    interval: tuple[float, float] | None  # bootstrap interval of worse_by, for groups

    @property
    def within_noise(self) -> bool:
        return self.interval is not None and self.interval[0] <= 0 <= self.interval[1]

    @property
    def failed(self) -> bool:
        return self.worse_by > self.allowed and not self.within_noise

    @property
    def verdict(self) -> str:
        if self.failed:
            return "regression"
        if self.worse_by > self.allowed:
            return "within noise"
        return "ok" if self.worse_by <= 0 else "within tolerance"


@dataclass(frozen=True)
class GateResult:
    """The checks, against ``baseline`` (with its seeds, ``base_runs``) or, None, each run
    against its namesake in the published site at ``source``."""

    baseline: GateRun | None
    base_runs: tuple[GateRun, ...]
    checks: tuple[Check, ...]
    missing: tuple[str, ...]  # metrics the baseline lacks
    source: str | None = None  # the published site compared with (None: this build's runs)
    unmatched: tuple[str, ...] = ()  # runs with no namesake there

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.failed)

    @property
    def against(self) -> str:
        """What the runs were compared with, in words."""
        if self.baseline is not None:
            return self.baseline.title + (f" of {self.source}" if self.source else "")
        return f"their namesakes in {self.source}"


def group_key(run: GateRun) -> tuple[tuple[str, str], ...]:
    """What a run's group is known by: its params other than seeds."""
    return tuple(sorted((k, v) for k, v in run.params.items() if not SEED_PARAM.search(k)))


def bootstrap(worse: np.ndarray, base: np.ndarray, sign: float) -> tuple[float, float]:
    """The :data:`LEVEL` percentile interval of ``sign * (mean(worse) - mean(base))`` over
    :data:`RESAMPLES` resamples of each side, seeded with :data:`SEED`."""
    rng = np.random.default_rng(SEED)
    a = worse[rng.integers(0, len(worse), (RESAMPLES, len(worse)))].mean(axis=1)
    b = base[rng.integers(0, len(base), (RESAMPLES, len(base)))].mean(axis=1)
    diffs = sign * (a - b)
    lo, hi = np.quantile(diffs, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    return float(lo), float(hi)


def check(ctx: SiteContext, baseline: RunView, specs: Sequence[GateSpec]) -> GateResult:
    """Every other run (or group of seeds) of the baseline's experiment against the
    baseline's group, for each of ``specs``."""
    exp = next((e for e in ctx.experiments if baseline in e.runs), None)
    runs = [GateRun.of(v) for v in (exp.runs if exp else ctx.runs.values())]
    base = GateRun.of(baseline)
    base_runs = _seeds_of(base, runs)
    in_base = {r.slug for r in base_runs}
    groups = _groups([r for r in runs if r.slug not in in_base])
    checks = _compare([(g, base_runs) for g in groups], exp.goals if exp else {}, specs)
    return GateResult(base, base_runs, checks, _missing(specs, [base_runs]))


def check_published(
    ctx: SiteContext, published: Published, specs: Sequence[GateSpec], baseline: str | None
) -> GateResult:
    """This build's runs against a published site's (:func:`read_index`): each against the
    ``baseline`` run there (an id or name, and its seeds), or, with none named, each run of an
    experiment against the run of the same name there (a group of seeds against the group of
    the same params)."""
    runs = [GateRun.of(v) for v in ctx.runs.values()]
    goals = {e.name: dict(e.goals) for e in ctx.experiments}

    def goals_of(exp: str) -> dict[str, str]:  # this build's, else the published site's
        return {**published.goals.get(exp, {}), **goals.get(exp, {})}

    if baseline is not None:
        found = [r for r in published.runs if baseline in (r.slug, r.title)]
        if len(found) != 1:
            how = "names no run" if not found else f"names {len(found)} runs (give its id)"
            raise ConfigError(
                f"--baseline {baseline!r} {how} in --baseline-site {published.source}"
            )
        base, exp = found[0], found[0].experiment
        base_runs = _seeds_of(base, published.runs)
        pairs = [(g, base_runs) for g in _groups(runs) if g[0].experiment == exp]
        checks = _compare(pairs, goals_of(exp), specs)
        return GateResult(base, base_runs, checks, _missing(specs, [base_runs]), published.source)
    theirs: dict[tuple[str, object], tuple[GateRun, ...]] = {}
    for g in _groups(published.runs):
        theirs.setdefault(_match(g), tuple(g))
    found_checks: list[Check] = []
    matched: list[tuple[GateRun, ...]] = []
    unmatched: list[str] = []
    for g in _groups(runs):
        if (base_group := theirs.get(_match(g))) is None:
            unmatched.extend(r.title for r in g)
            continue
        matched.append(base_group)
        found_checks += _compare([(g, base_group)], goals_of(g[0].experiment), specs)
    missing = _missing(specs, matched) if matched else ()
    return GateResult(None, (), tuple(found_checks), missing, published.source, tuple(unmatched))


def _match(group: list[GateRun]) -> tuple[str, object]:
    """What a group is matched by in another site: its experiment and its params but seeds
    (a group of seeds) or its run's name."""
    first = group[0]
    return (first.experiment, group_key(first) if _has_seed(first) else first.title)


def _seeds_of(base: GateRun, runs: Sequence[GateRun]) -> tuple[GateRun, ...]:
    """``base`` and the runs of ``runs`` that differ from it only by their seed."""
    if not _has_seed(base):
        return (base,)
    key = group_key(base)
    return (
        base,
        *(r for r in runs if r.slug != base.slug and _has_seed(r) and group_key(r) == key),
    )


def _groups(runs: Sequence[GateRun]) -> list[list[GateRun]]:
    """``runs`` by experiment and group of seeds, or each alone."""
    groups: dict[tuple[str, object], list[GateRun]] = {}
    for r in runs:
        key = group_key(r) if _has_seed(r) else (("", r.slug),)
        groups.setdefault((r.experiment, key), []).append(r)
    return list(groups.values())


def _compare(
    pairs: Sequence[tuple[Sequence[GateRun], tuple[GateRun, ...]]],
    goals: Mapping[str, str],
    specs: Sequence[GateSpec],
) -> tuple[Check, ...]:
    """Each group of ``pairs`` against its baseline runs, for each of ``specs`` (where both
    have a value)."""
    checks = []
    for spec in specs:
        goal = goals.get(spec.metric, "max")
        sign = -1.0 if goal == "max" else 1.0  # worse: lower when higher is better
        for members, base_runs in pairs:
            base_values, values = _values(base_runs, spec.metric), _values(members, spec.metric)
            if not base_values or not values:
                continue
            base_mean = float(np.mean(base_values))
            worse_by = sign * (float(np.mean(values)) - base_mean)
            interval = None
            if len(values) >= 2 and len(base_values) >= 2:
                interval = bootstrap(np.array(values), np.array(base_values), sign)
            checks.append(
                Check(
                    spec.metric,
                    goal,
                    tuple(members),
                    tuple(values),
                    base_runs,
                    tuple(base_values),
                    worse_by,
                    spec.allowed(base_mean),
                    interval,
                )
            )
    return tuple(checks)


def _missing(specs: Sequence[GateSpec], bases: Sequence[Sequence[GateRun]]) -> tuple[str, ...]:
    """The metrics of ``specs`` that none of ``bases`` has a value of."""
    return tuple(s.metric for s in specs if not any(_values(b, s.metric) for b in bases))


def _has_seed(run: GateRun) -> bool:
    return any(SEED_PARAM.search(k) for k in run.params)


def _values(runs: Sequence[GateRun], metric: str) -> list[float]:
    return [r.last[metric] for r in runs if metric in r.last]


#: The site's index for ``--baseline-site`` (at its root): every run's params and its metrics'
#: last values, and each experiment's goals.
INDEX = "runs.json"
INDEX_FORMAT = 1


@dataclass(frozen=True)
class Published:
    """A published site's runs, read from its :data:`INDEX` at ``source``."""

    source: str
    runs: tuple[GateRun, ...]
    goals: Mapping[str, Mapping[str, str]]  # by experiment: each metric's "min" or "max"


def _index_entry(v: RunView) -> dict[str, Any]:
    r = GateRun.of(v)
    return {
        "id": r.slug,
        "name": r.title,
        "experiment": r.experiment,
        "params": dict(r.params),
        "last": dict(r.last),
    }


#: Each run's entry in the index, kept between the builds of one process (``runreport serve``)
_entries = ByObject(_index_entry)


def site_index(ctx: SiteContext) -> bytes:
    """The site's :data:`INDEX`: what a later build's ``--baseline-site`` compares with."""
    _entries.next_build()
    runs = [_entries(v) for v in ctx.runs.values()]
    goals = {e.name: dict(e.goals) for e in ctx.experiments}
    record = {"format": INDEX_FORMAT, "runs": runs, "goals": goals}
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def read_index(data: bytes, source: str, pages: str | None) -> Published:
    """A published site's :data:`INDEX` (untrusted: anything but its shape is left out, and a
    file that is not one is an error saying so); ``pages``: the site's address, for links to
    its runs' pages (None: none)."""
    try:
        record = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ConfigError(f"--baseline-site {source}: {INDEX} is not JSON ({exc})") from None
    if not isinstance(record, dict) or record.get("format") != INDEX_FORMAT:
        raise ConfigError(
            f"--baseline-site {source}: {INDEX} is not a runreport index of format "
            f"{INDEX_FORMAT}; rebuild that site with this runreport"
        )
    runs = []
    for item in record.get("runs") or ():
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("id", "name", "experiment")
        ):
            continue
        params = (
            {str(k): str(v) for k, v in (item.get("params") or {}).items()}
            if isinstance(item.get("params"), dict)
            else {}
        )
        last = (
            {
                str(k): float(v)
                for k, v in (item.get("last") or {}).items()
                if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            }
            if isinstance(item.get("last"), dict)
            else {}
        )
        href = f"{pages}runs/{quote(item['id'], safe='')}.html" if pages else None
        runs.append(GateRun(item["id"], item["name"], item["experiment"], params, last, href))
    goals: dict[str, dict[str, str]] = {}
    for exp, metrics in (record.get("goals") or {}).items():
        if isinstance(metrics, dict):
            goals[str(exp)] = {str(m): g for m, g in metrics.items() if g in ("min", "max")}
    return Published(source, tuple(runs), goals)
