"""The regression gate of a CI build (``--fail-on-regression METRIC[:TOLERANCE]``): each
other run of the baseline's experiment, or each group of runs that differ only by their seed,
against the baseline (with its own seeds), in each metric's direction. Groups of two or more
runs on both sides are compared by the difference of their means with a bootstrap confidence
interval (seeded, so a build gives the same interval every time): a difference whose interval
crosses zero is "within noise" and never fails the build."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .contexts import SiteContext
from .errors import ConfigError
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
class Check:
    """One metric of one run (or group of seeds) against the baseline's."""

    metric: str
    goal: str  # "min" or "max"
    runs: tuple[RunView, ...]
    values: tuple[float, ...]
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
    baseline: RunView
    base_runs: tuple[RunView, ...]
    checks: tuple[Check, ...]
    missing: tuple[str, ...]  # metrics the baseline lacks

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.failed)


def group_key(view: RunView) -> tuple[tuple[str, str], ...]:
    """What a run's group is known by: its params other than seeds."""
    return tuple(
        sorted((k, str(v)) for k, v in view.run.params.items() if not SEED_PARAM.search(k))
    )


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
    runs = list(exp.runs) if exp else list(ctx.runs.values())
    goals = exp.goals if exp else {}
    key, seeded = group_key(baseline), _has_seed(baseline)
    base_runs = tuple(
        v for v in runs if v is baseline or (seeded and _has_seed(v) and group_key(v) == key)
    )
    in_base = {v.slug for v in base_runs}
    # the other runs: by group of seeds, or each alone
    groups: dict[tuple[tuple[str, str], ...], list[RunView]] = {}
    for v in runs:
        if v.slug not in in_base:
            groups.setdefault(group_key(v) if _has_seed(v) else (("", v.slug),), []).append(v)
    checks, missing = [], []
    for spec in specs:
        base_values = _values(base_runs, spec.metric)
        if not base_values:
            missing.append(spec.metric)
            continue
        goal = goals.get(spec.metric, "max")
        sign = -1.0 if goal == "max" else 1.0  # worse: lower when higher is better
        base_mean = float(np.mean(base_values))
        for members in groups.values():
            values = _values(members, spec.metric)
            if not values:
                continue
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
                    tuple(base_values),
                    worse_by,
                    spec.allowed(base_mean),
                    interval,
                )
            )
    return GateResult(baseline, base_runs, tuple(checks), tuple(missing))


def _has_seed(view: RunView) -> bool:
    return any(SEED_PARAM.search(k) for k in view.run.params)


def _values(runs: Sequence[RunView], metric: str) -> list[float]:
    out = []
    for v in runs:
        s = v.summaries.get(metric)
        if s is not None and isinstance(s.last, float | int) and math.isfinite(s.last):
            out.append(float(s.last))
    return out
