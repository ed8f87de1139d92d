"""The regression gate of a CI build (``--fail-on-regression``): which runs fail it, by how
much, within which tolerance, and seeds compared by a reproducible bootstrap interval."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import invoke, write_run

from runreport.errors import ConfigError
from runreport.gate import LEVEL, RESAMPLES, GateSpec, bootstrap


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("accuracy", GateSpec("accuracy")),
        ("val_loss:0.01", GateSpec("val_loss", 0.01)),
        ("accuracy:2%", GateSpec("accuracy", 0.02, relative=True)),
        ("eval:acc:0.5", GateSpec("eval:acc", 0.5)),  # the tolerance follows the last ":"
        ("eval:acc", GateSpec("eval:acc")),  # a name, not a tolerance
    ],
)
def test_specs(text: str, spec: GateSpec) -> None:
    assert GateSpec.parse(text) == spec


def test_a_bad_tolerance_says_how_to_write_one() -> None:
    with pytest.raises(ConfigError, match=r"METRIC:0\.01 or METRIC:2%"):
        GateSpec.parse("accuracy:-1")


def _logs(root: Path, runs: dict[str, tuple[dict[str, object], float]]) -> Path:
    for run_id, (params, accuracy) in runs.items():
        write_run(
            root,
            run_id,
            [{"kind": "scalar", "name": "accuracy", "value": accuracy}],
            name=run_id,
            experiment="ci",
            params=params,
        )
    return root


def test_a_run_worse_than_the_baseline_fails_the_build_and_the_site_is_written(
    tmp_path: Path,
) -> None:
    logs = _logs(tmp_path / "logs", {"main": ({}, 0.90), "pr": ({}, 0.85)})
    site, summary = tmp_path / "site", tmp_path / "summary.md"
    base = ["build", str(logs), "-o", str(site), "--baseline", "main", "--summary", str(summary)]
    code, out = invoke(*base, "--fail-on-regression", "accuracy:0.01")
    assert code == 1
    assert (site / "index.html").is_file()  # written all the same
    assert "regression: accuracy of pr is worse than the baseline's by 0.05 (allowed 0.01)" in out
    text = summary.read_text()
    assert "**Failed: 1 regression** against the baseline" in text
    assert "| pr | accuracy | 0.85 | 0.9 | 0.05 | 0.01 | — | **regression** |" in text
    # within the tolerance, as an amount or as a share of the baseline's value
    for tolerance in ("accuracy:0.1", "accuracy:6%"):
        code, out = invoke(*base, "--fail-on-regression", tolerance)
        assert code == 0, out
        assert "none failed" in out
        assert "Passed: nothing worse beyond its tolerance" in summary.read_text()
    # better is never a regression, in the metric's direction (lower is better for a loss)
    code, _ = invoke(*base, "--fail-on-regression", "accuracy", "--goal", "accuracy=min")
    assert code == 0


def test_the_gate_needs_a_baseline(tmp_path: Path) -> None:
    logs = _logs(tmp_path / "logs", {"main": ({}, 0.9)})
    code, out = invoke("build", str(logs), "-o", str(tmp_path / "s"), "--fail-on-regression", "a")
    assert code != 0 and "give --baseline or --baseline-site" in out


#: accuracy of five seeds each: the baseline's, a change within noise, a real regression
BASE = [0.88, 0.92, 0.89, 0.91, 0.90]
NOISY = [0.87, 0.93, 0.88, 0.92, 0.89]
WORSE = [0.80, 0.81, 0.79, 0.80, 0.82]


def test_seeds_are_compared_by_group_means_with_a_seeded_bootstrap_interval(
    tmp_path: Path,
) -> None:
    runs: dict[str, tuple[dict[str, object], float]] = {}
    for lr, values in (("0.1", BASE), ("0.2", NOISY), ("0.3", WORSE)):
        for seed, value in enumerate(values):
            runs[f"lr{lr}-s{seed}"] = ({"lr": lr, "seed": seed}, value)
    logs = _logs(tmp_path / "logs", runs)
    site, summary = tmp_path / "site", tmp_path / "summary.md"
    args = ["build", str(logs), "-o", str(site), "--baseline", "lr0.1-s0", "--summary"]
    code, out = invoke(*args, str(summary), "--fail-on-regression", "accuracy")
    assert code == 1
    text = summary.read_text()
    assert "against the baseline lr0.1-s0 and its 4 other seeds" in text
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if "mean of 5" in line}
    noisy = next(r for k, r in rows.items() if "lr0.2-s0" in k)
    worse = next(r for k, r in rows.items() if "lr0.3-s0" in k)
    assert noisy.rstrip(" |").endswith("within noise")
    assert worse.rstrip(" |").endswith("**regression**")
    assert (
        "regression: accuracy of lr0.3-s0, lr0.3-s1" in out
        and "lr0.2" not in out.split("regression gate")[0]
    )
    # the interval is the percentile bootstrap, seeded: the same in every build
    lo, hi = bootstrap(np.array(WORSE), np.array(BASE), -1.0)
    assert 0 < lo < np.mean(BASE) - np.mean(WORSE) < hi
    assert bootstrap(np.array(WORSE), np.array(BASE), -1.0) == (lo, hi)
    rng = np.random.default_rng(0)  # as documented: resample each side, then the quantiles
    a = np.array(WORSE)[rng.integers(0, 5, (RESAMPLES, 5))].mean(axis=1)
    b = np.array(BASE)[rng.integers(0, 5, (RESAMPLES, 5))].mean(axis=1)
    assert (lo, hi) == tuple(np.quantile(b - a, [(1 - LEVEL) / 2, (1 + LEVEL) / 2]))
    first = text
    invoke(*args, str(summary), "--fail-on-regression", "accuracy")
    assert summary.read_text().split("\n", 3)[3] == first.split("\n", 3)[3]
