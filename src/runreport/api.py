"""The reading side for code: ``load`` and ``best_run``."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from .errors import Problems
from .model import Kind, Run
from .readers import read_runs
from .rules import counts_for_best, goal
from .stats import summarize, to_floats


def load(
    path: str | os.PathLike[str],
    problems: Problems | None = None,
    *,
    storage_options: Mapping[str, str] | None = None,
) -> list[Run]:
    """Every run found below ``path``, in any supported format: a local folder or file, or a
    folder in object storage (``s3://bucket/prefix``, ``gs://``, ``az://``, ``abfs://``; see
    :mod:`runreport.remote`, with ``storage_options`` for its filesystem).

    Problems with the input are collected in ``problems`` when given (and otherwise dropped);
    they never raise. A remote folder that cannot be listed raises ``ConfigError``.
    """
    from .remote import is_remote, mirror

    where = mirror(str(path), storage_options or {}) if is_remote(str(path)) else Path(path)
    return list(read_runs([where], problems if problems is not None else Problems()))


def metric_stat(run: Run, metric: str, stat: str = "last") -> float:
    """``last``, ``min`` or ``max`` of a numeric scalar or list metric, NaN when absent."""
    m = run.metric(metric)
    if m is None or m.kind not in (Kind.SCALAR, Kind.LIST):
        return math.nan
    values = to_floats(m.columns.get("value", ()))
    if len(values) == 0:
        return math.nan
    return summarize(values).stat(stat)


def best_run(
    runs: Iterable[Run],
    metric: str,
    mode: str | None = None,
    stat: str = "last",
    *,
    include_failed: bool = False,
) -> Run | None:
    """The run with the lowest (``mode="min"``) or highest (``"max"``) value of ``metric``.

    ``stat`` picks which value of a series counts: ``last`` (default), ``min`` or ``max``.
    Without ``mode`` the direction is inferred from the name (loss, error, mse, runtime … →
    min; accuracy, samples_per_second … → max: see :func:`runreport.rules.goal`).
    Runs without the metric, or where it is NaN, are skipped, and so are Failed and Canceled
    runs unless ``include_failed``; None when no run is left.
    """
    if stat not in ("last", "min", "max"):
        raise ValueError(f"stat must be 'last', 'min' or 'max', not {stat!r}")
    direction = mode or goal(metric)
    if direction not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', not {mode!r}")
    sign = 1.0 if direction == "min" else -1.0
    scored = [
        (sign * metric_stat(r, metric, stat), i, r)
        for i, r in enumerate(runs)
        if counts_for_best(r.status, include_failed)
    ]
    scored = [s for s in scored if not math.isnan(s[0])]
    return min(scored, key=lambda s: (s[0], s[1]))[2] if scored else None
