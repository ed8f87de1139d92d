"""Numbers from every point: summaries, and the min/max-preserving downsample for charts."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from tsdownsample import MinMaxDownsampler

from .model import Column

#: Points kept per plotted series; longer series keep the min and max of each of
#: ``MAX_POINTS_PER_SERIES / 2`` equal buckets (wider than any chart is in pixels).
MAX_POINTS_PER_SERIES = 2000

FloatArray = npt.NDArray[np.float64]


def to_floats(cells: Column) -> FloatArray:
    """Cells as float64 (booleans 0/1, missing and text cells NaN, huge integers ±inf)."""
    if isinstance(cells, np.ndarray):
        return cells.astype(np.float64)
    out = np.empty(len(cells), dtype=np.float64)
    for i, c in enumerate(cells):
        if c is None or isinstance(c, str):
            out[i] = math.nan
        else:
            try:
                out[i] = float(c)
            except OverflowError:
                out[i] = math.inf if c > 0 else -math.inf
    return out


@dataclass(frozen=True)
class Summary:
    """last / min / max / count of a numeric series, from every point."""

    count: int
    last: float
    min: float
    max: float
    min_x: float | None
    max_x: float | None
    nonfinite: int

    def stat(self, name: str) -> float:
        """The value of ``last``, ``min`` or ``max``."""
        value: float = getattr(self, name)
        return value


def summarize(y: FloatArray, x: FloatArray | None = None) -> Summary:
    """Summary of ``y`` (in logging order); ``x`` gives the steps reported for min and max.

    ``last`` is the last logged value even when it is NaN (the run ended there); ``min`` and
    ``max`` skip NaN but keep infinities.
    """
    xs = np.arange(len(y), dtype=np.float64) if x is None else x
    nonfinite = int(np.count_nonzero(~np.isfinite(y)))
    valid = ~np.isnan(y)
    if not valid.any():
        return Summary(len(y), math.nan, math.nan, math.nan, None, None, nonfinite)
    idx = np.flatnonzero(valid)
    vy = y[idx]
    i_min = int(idx[int(np.argmin(vy))])
    i_max = int(idx[int(np.argmax(vy))])
    return Summary(
        count=len(y),
        last=float(y[-1]),
        min=float(y[i_min]),
        max=float(y[i_max]),
        min_x=float(xs[i_min]),
        max_x=float(xs[i_max]),
        nonfinite=nonfinite,
    )


def downsample(y: FloatArray, n_out: int = MAX_POINTS_PER_SERIES) -> npt.NDArray[np.int64]:
    """Indices of the points to plot: all when few, else the min and max of each bucket.

    The logging order is cut into ``n_out / 2`` equal buckets and each keeps its min and max
    (so every extreme a reader could see at the chart's width survives), plus the first and
    last point; the first point of each run of non-finite values is kept too, so gaps stay gaps.
    """
    n = len(y)
    if n <= n_out:
        return np.arange(n, dtype=np.int64)
    finite = np.isfinite(y)
    fin_idx = np.flatnonzero(finite)
    keep: npt.NDArray[np.int64]
    if len(fin_idx) > n_out:
        picked = MinMaxDownsampler().downsample(  # type: ignore[no-untyped-call]
            y[fin_idx], n_out=n_out
        )
        ends = [0, len(fin_idx) - 1]
        keep = fin_idx[np.union1d(np.asarray(picked, dtype=np.int64), ends)]
    else:
        keep = fin_idx.astype(np.int64)
    gap_starts = np.flatnonzero(~finite & np.concatenate(([True], finite[:-1])))
    return np.union1d(keep, gap_starts.astype(np.int64))


#: The percentiles of TensorBoard's Distributions tab, in basis points: min, the normal
#: distribution's -2, -1.5, -1 and -0.5 sigma, the median, +0.5 sigma... and the max
#: (``tensorboard/plugins/distribution/compressor.py``, ``NORMAL_HISTOGRAM_BPS``).
NORMAL_HISTOGRAM_BPS = (0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000)


def compress_histogram(lefts: FloatArray, rights: FloatArray, counts: FloatArray) -> list[float]:
    """The values at :data:`NORMAL_HISTOGRAM_BPS` of one histogram's buckets, interpolated
    within buckets exactly as TensorBoard's ``compress_histogram`` does (so the bands match
    its Distributions tab). No buckets: zeros, as there."""
    bps = NORMAL_HISTOGRAM_BPS
    if not len(counts):
        return [0.0] * len(bps)
    lo, hi = float(lefts[0]), float(rights[-1])
    weights = (counts * bps[-1] / (counts.sum() or 1.0)).cumsum()
    out: list[float] = []
    j = 0
    while j < len(bps):
        i = int(np.searchsorted(weights, bps[j], side="right"))
        while i < len(weights):
            cumsum = float(weights[i])
            prev = float(weights[i - 1]) if i > 0 else 0.0
            if cumsum == prev:
                i += 1
                continue
            left = lo if not i or not prev else max(float(rights[i - 1]), lo)
            right = min(float(rights[i]), hi)
            out.append(left + (bps[j] - prev) * (right - left) / (cumsum - prev))
            j += 1
            break
        else:
            break
    out += [hi] * (len(bps) - j)
    return out
