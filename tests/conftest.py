"""Shared fixtures: tiny native runs written by hand, and the example site built once."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from runreport.build import BuildConfig, build_site

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_LOGS = REPO / "example_logs"


def write_run(
    root: Path,
    run_id: str,
    records: Iterable[dict[str, Any] | str | bytes] = (),
    **meta: Any,
) -> Path:
    """Write a native run folder by hand: ``run.json`` from ``meta``, one line per record."""
    folder = root / run_id
    folder.mkdir(parents=True, exist_ok=True)
    full = {"format": 1, "id": run_id, "name": run_id, "experiment": "exp", "status": "Completed"}
    full.update(meta)
    (folder / "run.json").write_text(json.dumps(full))
    lines = []
    for r in records:
        if isinstance(r, bytes):
            lines.append(r)
        elif isinstance(r, str):
            lines.append(r.encode())
        else:
            lines.append(json.dumps(r).encode())
    (folder / "metrics.jsonl").write_bytes(b"".join(line + b"\n" for line in lines))
    return folder


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built from example_logs/ (built once per test session)."""
    out = tmp_path_factory.mktemp("example") / "site"
    result = build_site(BuildConfig(inputs=(EXAMPLE_LOGS,), output=out))
    assert result.runs >= 8
    return out


@pytest.fixture
def copy_examples(tmp_path: Path) -> Path:
    """A private copy of example_logs/ that a test may change."""
    target = tmp_path / "logs"
    shutil.copytree(EXAMPLE_LOGS / "runs", target)
    return target
