"""Which params matter to a metric across an experiment's runs: scikit-learn's permutation
importance of a random forest fitted to the runs' params and the metric's last value (the
optional extra ``runreport[importance]``; without scikit-learn there is none). An experiment
page shows it beside the params' Spearman correlations.

It is an estimate, made at build time over every run of the experiment (the page cannot
follow its filter), seeded so a build of the same runs gives the same numbers. Beyond
:data:`MAX_RUNS` runs it is fitted to those whose names hash lowest, so adding a run seldom
changes the sample; and each result is kept in the cache folder by a hash of what it was
fitted to, so a rebuild whose sample is the same fits nothing (importing scikit-learn and
fitting 4 metrics took a quarter of a rebuild of 10,000 runs with one run added, by
cProfile)."""

from __future__ import annotations

import hashlib
import importlib.util
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from .files import cache_dir, read_checked, write_checked
from .views import RunView

#: What the page says it shows.
METHOD = (
    "scikit-learn's permutation importance of a random forest (50 trees) fitted to the "
    "params and the metric's last value over the experiment's runs (beyond 1,000, the 1,000 "
    "whose names hash lowest): the mean drop in R² when a param's values are shuffled (5 repeats)"
)
#: Runs needed for an importance worth showing, and runs the forest is fitted to at most
#: (beyond, those whose slugs hash lowest).
MIN_RUNS = 10
MAX_RUNS = 1000  # (at 10,000 runs a metric takes about 0.3 s)
SEED = 0


def available() -> bool:
    """Whether scikit-learn is installed (found, not imported: importing it takes a second)."""
    return importlib.util.find_spec("sklearn") is not None


@dataclass(frozen=True)
class Plan:
    """One importance to compute (see :func:`plan`): the values a forest is fitted to, which
    of the params they are, and the result when the cache folder kept one."""

    x: np.ndarray  # one column per param that varies
    y: np.ndarray
    varying: tuple[int, ...]  # those params' places among all
    params: int  # how many params there are
    path: Path | None  # where the result is kept (None: not kept)
    kept: tuple[float, ...] | None  # the result kept there, if any

    def finish(self, found: Sequence[float] | None = None) -> list[float | None]:
        """Each param's importance (None for one that does not vary): the kept result, else
        ``found`` (what :func:`fit` returned elsewhere), else fitted here; a new result is
        kept in the cache folder."""
        if self.kept is not None:
            result: Sequence[float] = self.kept
        else:
            result = fit(self.x, self.y) if found is None else found
            if self.path is not None:
                write_checked(self.path, orjson.dumps(list(result)))
        out: list[float | None] = [None] * self.params
        for k, i in enumerate(self.varying):
            out[i] = result[k]
        return out


def importance(
    runs: Sequence[RunView], params: Sequence[str], metric: str, *, cache: bool = False
) -> list[float | None] | None:
    """Each of ``params``' permutation importance for ``metric`` (None for a param that does
    not vary), or None when there is none to compute (see :func:`plan`). With ``cache``, a
    result fitted before to the same values is taken from the cache folder, and a new one
    kept there."""
    found = plan(runs, params, metric, cache=cache)
    return found.finish() if found is not None else None


def plan(
    runs: Sequence[RunView], params: Sequence[str], metric: str, *, cache: bool = False
) -> Plan | None:
    """What :func:`importance` fits, with the result the cache folder kept for the same values
    (with ``cache``); None when scikit-learn is not installed, or fewer than :data:`MIN_RUNS`
    runs have the metric, or no param varies. A build fits the plans in another process while
    it makes pages (:meth:`Plan.finish` takes what :func:`fit` returned there)."""
    rows = [(v, s.last) for v in runs if (s := v.summaries.get(metric)) is not None]
    rows = [(v, float(y)) for v, y in rows if isinstance(y, float | int) and math.isfinite(y)]
    if len(rows) < MIN_RUNS or not params or not available():
        return None
    if len(rows) > MAX_RUNS:
        order = sorted(range(len(rows)), key=lambda i: _hashed(rows[i][0].slug))
        rows = [rows[i] for i in sorted(order[:MAX_RUNS])]
    columns = [_column([v.run.params.get(p) for v, _ in rows]) for p in params]
    varying = [(i, c) for i, c in enumerate(columns) if c is not None]
    if not varying:
        return None
    x = np.column_stack([c for _, c in varying])
    y = np.array([y for _, y in rows])
    key = _fit_key(x, y) if cache else None
    path = cache_dir() / "importance" / key if key else None
    kept = orjson.loads(read_checked(path) or b"null") if path else None
    if not isinstance(kept, list) or len(kept) != len(varying):
        kept = None  # none kept (or not what this fit makes)
    return Plan(
        x, y, tuple(i for i, _ in varying), len(params), path, None if kept is None else tuple(kept)
    )


def _hashed(slug: str) -> bytes:
    """A run's place in the order that picks the sample: the same in every build."""
    return hashlib.blake2b(slug.encode(), digest_size=8).digest()


def _fit_key(x: np.ndarray, y: np.ndarray) -> str | None:
    """What a fit depends on: the method, scikit-learn's version and the values (None when
    the installed scikit-learn has no version to tell: then nothing is kept)."""
    try:
        sklearn = version("scikit-learn")
    except PackageNotFoundError:
        return None
    digest = hashlib.sha256(f"{METHOD}:{SEED}:{sklearn}:{x.shape}".encode())
    digest.update(np.ascontiguousarray(x, dtype=np.float64).tobytes())
    digest.update(np.ascontiguousarray(y, dtype=np.float64).tobytes())
    return digest.hexdigest()


def fit(x: np.ndarray, y: np.ndarray) -> list[float]:
    """Each column's permutation importance (rounded to 6 places): the fit itself, which a
    build runs in another process (importing scikit-learn alone takes a second)."""
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.inspection import permutation_importance

    forest = RandomForestRegressor(n_estimators=50, random_state=SEED, n_jobs=1).fit(x, y)
    found: Any = permutation_importance(forest, x, y, n_repeats=5, random_state=SEED, n_jobs=1)
    return [round(float(v), 6) for v in found.importances_mean]


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
