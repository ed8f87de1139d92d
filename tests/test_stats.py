"""Summaries come from every point; downsampling keeps every bucket's min and max and the gaps."""

from __future__ import annotations

import math

import numpy as np

from runreport.stats import MAX_POINTS_PER_SERIES, downsample, summarize, to_floats


def test_summary_is_exact_with_steps() -> None:
    y = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 2.0])
    x = np.array([10.0, 20.0, 30.0, 40.0, 50.0, 60.0])
    s = summarize(y, x)
    assert (s.count, s.last, s.min, s.max, s.min_x, s.max_x) == (6, 2.0, 1.0, 5.0, 20.0, 50.0)


def test_summary_with_nonfinite_values() -> None:
    y = np.array([1.0, math.nan, math.inf, 0.5, math.nan])
    s = summarize(y)
    assert math.isnan(s.last)  # the run ended on NaN: that is the last value
    assert s.min == 0.5 and s.max == math.inf and s.nonfinite == 3
    empty = summarize(np.array([math.nan]))
    assert math.isnan(empty.min) and empty.min_x is None


def test_to_floats_handles_bools_text_none_and_huge_ints() -> None:
    out = to_floats([True, None, "x", 10**400, -(10**400), 2])
    assert out[0] == 1.0 and math.isnan(out[1]) and math.isnan(out[2])
    assert out[3] == math.inf and out[4] == -math.inf and out[5] == 2.0


def test_short_series_are_kept_whole() -> None:
    y = np.arange(100, dtype=float)
    assert np.array_equal(downsample(y), np.arange(100))


def test_million_points_keep_every_visible_extreme() -> None:
    rng = np.random.default_rng(0)
    n = 1_000_000
    y = np.cumsum(rng.normal(size=n))
    y[123_457] = 1e6  # a single spike must survive
    y[876_543] = -1e6
    keep = downsample(y)
    assert len(keep) <= MAX_POINTS_PER_SERIES + 2
    assert 123_457 in keep and 876_543 in keep and 0 in keep and n - 1 in keep
    assert y[keep].max() == y.max() and y[keep].min() == y.min()
    # each of MAX_POINTS_PER_SERIES / 2 equal buckets (a chart narrower than that many pixels
    # draws no finer) keeps its min and max
    for bucket in np.array_split(np.arange(n), MAX_POINTS_PER_SERIES // 2):
        kept = keep[(keep >= bucket[0]) & (keep <= bucket[-1])]
        assert y[kept].max() == y[bucket].max() and y[kept].min() == y[bucket].min()


def test_gaps_survive_downsampling() -> None:
    y = np.sin(np.arange(50_000) / 100.0)
    y[20_000:20_010] = math.nan
    keep = downsample(y)
    assert 20_000 in keep
    assert np.isfinite(y[keep]).sum() >= MAX_POINTS_PER_SERIES - 4
