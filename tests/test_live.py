"""Runs still being written: shown as Running as of the build, with elapsed time, last write
and a "possibly stalled" mark; pages that reload themselves with --refresh."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import write_run
from htmlparse import parse_file
from tests_helpers import experiment_rows

from runreport.build import BuildConfig, build_site

BUILT = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _running(root: Path, run_id: str, started_ago: timedelta, wrote_ago: timedelta) -> Path:
    folder = write_run(
        root,
        run_id,
        [{"name": "loss", "value": 1.0 / (s + 1), "step": s} for s in range(10)],
        status="Running",
        compute_target="gpu-cluster",
        start_time=(BUILT - started_ago).isoformat(),
    )
    when = (BUILT - wrote_ago).timestamp()
    for path in folder.iterdir():
        os.utime(path, (when, when))
    return folder


def _text(path: Path) -> str:
    return " ".join(parse_file(path).text.split())


def test_running_runs_are_listed_with_elapsed_time_and_stalls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(BUILT.timestamp())))
    logs, site = tmp_path / "logs", tmp_path / "site"
    _running(logs, "busy", timedelta(hours=1), timedelta(seconds=30))
    _running(logs, "quiet", timedelta(hours=2), timedelta(minutes=25))
    write_run(logs, "done", [{"name": "loss", "value": 0.5}])
    build_site(BuildConfig(inputs=(logs,), output=site))
    home = parse_file(site / "index.html")
    [table] = [t for t in home.iter("table") if "active" in t.attrs.get("class", "")]
    rows = {
        tr.iter("td")[1].text.strip(): " ".join(tr.text.split())
        for tr in table.iter("tr")
        if tr.iter("td")
    }
    assert set(rows) == {"busy", "quiet"}  # the Completed run is not active
    assert "gpu-cluster" in rows["busy"] and "running 1h 00m" in rows["busy"]
    assert "30.0s before the build" in rows["busy"] and "stalled" not in rows["busy"]
    assert "running 2h 00m" in rows["quiet"] and "possibly stalled" in rows["quiet"]
    # the experiment page's table (drawn from its data file) says the same, made in one place
    stalled = "no file of this run changed for 25m 00s before the build"
    assert f'title="{stalled}"' in (site / "index.html").read_text()
    table_rows = {r["name"]: r for r in experiment_rows(next((site / "experiments").glob("*")))}
    assert table_rows["quiet"]["live"] == {"text": "running 2h 00m", "stalled": stalled}
    assert table_rows["busy"]["live"] == {"text": "running 1h 00m", "stalled": None}
    page = _text(next((site / "runs").glob("quiet-*.html")))
    assert "Last write" in page and "25m 00s before this page was built" in page
    assert "possibly stalled" in page
    # a tighter threshold marks the busy run too
    build_site(BuildConfig(inputs=(logs,), output=site, stalled_after=10))
    assert "possibly stalled" in _text(next((site / "runs").glob("busy-*.html")))


def test_pages_of_running_runs_are_made_again_on_every_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs, site = tmp_path / "logs", tmp_path / "site"
    _running(logs, "busy", timedelta(hours=1), timedelta(seconds=30))
    write_run(logs, "done", [{"name": "loss", "value": 0.5}])
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(BUILT.timestamp())))
    build_site(BuildConfig(inputs=(logs,), output=site))
    before = {p.name: p.stat().st_ino for p in (site / "runs").glob("*.html")}
    later = BUILT + timedelta(minutes=5)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(later.timestamp())))
    build_site(BuildConfig(inputs=(logs,), output=site))
    after = {p.name: p.stat().st_ino for p in (site / "runs").glob("*.html")}
    busy = next(n for n in before if n.startswith("busy-"))
    done = next(n for n in before if n.startswith("done-"))
    assert after[busy] != before[busy] and after[done] == before[done]
    assert "running 1h 05m" in _text(site / "runs" / busy)


def test_refresh_makes_every_page_reload_itself(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    write_run(logs, "r", [{"name": "loss", "value": 0.5, "step": s} for s in range(3)])
    plain, live = tmp_path / "plain", tmp_path / "live"
    build_site(BuildConfig(inputs=(logs,), output=plain))
    build_site(BuildConfig(inputs=(logs,), output=live, refresh=30))
    for page in live.rglob("*.html"):
        metas = [m.attrs for m in parse_file(page).iter("meta")]
        assert {"http-equiv": "refresh", "content": "30"} in metas, page
    for page in plain.rglob("*.html"):
        assert not parse_file(page).find_all("meta", http_equiv="refresh"), page
