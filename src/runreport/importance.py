"""Which params matter to a metric across an experiment's runs: scikit-learn's permutation
importance of a random forest fitted to the runs' params and the metric's last value (the
optional extra ``runreport[importance]``; without scikit-learn there is none). An experiment
page shows it beside the params' Spearman correlations.

It is an estimate, made at build time over every run of the experiment (the page cannot
follow its filter), seeded so a build of the same runs gives the same numbers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .views import RunView

#: What the page says it shows.
METHOD = (
    "scikit-learn's permutation importance of a random forest (50 trees) fitted to the "
    "params and the metric's last value over the experiment's runs (a seeded sample of 1,000 "
    "of them beyond that): the mean drop in R² when a param's values are shuffled (5 repeats)"
)
#: Runs needed for an importance worth showing, and runs the forest is fitted to at most (a
#: seeded sample of them beyond).
MIN_RUNS = 10
MAX_RUNS = 1000  # (at 10,000 runs a metric takes about 0.3 s)
SEED = 0


def available() -> bool:
    try:
        import sklearn  # noqa: F401
    except ImportError:
        return False
    return True


def importance(
    runs: Sequence[RunView], params: Sequence[str], metric: str
) -> list[float | None] | None:
    """Each of ``params``' permutation importance for ``metric`` (None for a param that does
    not vary), or None when scikit-learn is not installed, or fewer than :data:`MIN_RUNS`
    runs have the metric, or no param varies."""
    rows = [(v, s.last) for v in runs if (s := v.summaries.get(metric)) is not None]
    rows = [(v, float(y)) for v, y in rows if isinstance(y, float | int) and math.isfinite(y)]
    if len(rows) < MIN_RUNS or not params or not available():
        return None
    if len(rows) > MAX_RUNS:
        keep = np.random.default_rng(SEED).choice(len(rows), MAX_RUNS, replace=False)
        rows = [rows[i] for i in sorted(keep)]
    columns = [_column([v.run.params.get(p) for v, _ in rows]) for p in params]
    varying = [(i, c) for i, c in enumerate(columns) if c is not None]
    if not varying:
        return None
    x = np.column_stack([c for _, c in varying])
    y = np.array([y for _, y in rows])
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.inspection import permutation_importance

    forest = RandomForestRegressor(n_estimators=50, random_state=SEED, n_jobs=1).fit(x, y)
    found: Any = permutation_importance(forest, x, y, n_repeats=5, random_state=SEED, n_jobs=1)
    out: list[float | None] = [None] * len(params)
    for k, (i, _) in enumerate(varying):
        out[i] = round(float(found.importances_mean[k]), 6)
    return out


def _column(values: Sequence[object]) -> np.ndarray | None:
    """A param's values as numbers (texts as codes in sorted order, missing ones as one more
    value), or None when they do not vary."""
    nums = []
    for v in values:
        try:
            if isinstance(v, bool):  # a text: True and False
                raise ValueError(v)
            f = math.nan if v is None else float(v) if isinstance(v, int | float) else float(str(v))
        except (TypeError, ValueError):
            break
        nums.append(f)
    else:
        arr = np.array(nums)
        filled = np.where(np.isnan(arr), np.nanmin(arr) - 1 if not np.isnan(arr).all() else 0, arr)
        return filled if np.unique(filled).size > 1 else None
    texts = ["" if v is None else str(v) for v in values]
    codes = {t: k for k, t in enumerate(sorted(set(texts)))}
    return np.array([codes[t] for t in texts], dtype=float) if len(codes) > 1 else None
