"""A run's identity does not depend on how its folder was typed: ids, page names, links and
shown sources are relative to the LOGDIR given, and no absolute path of the build machine is
published."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLE_LOGS, invoke, write_run

import runreport

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


@pytest.mark.parametrize("source", [EXAMPLE_LOGS, CORPUS], ids=["example_logs", "corpus"])
def test_the_same_folder_typed_three_ways_builds_the_same_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: Path
) -> None:
    if not source.is_dir():
        pytest.skip(f"no {source}")
    work = tmp_path / "work"
    shutil.copytree(source, work / "cc", symlinks=True)
    monkeypatch.chdir(work)
    sites = {}
    for typed in ("cc", "./cc", str(work / "cc")):
        site = tmp_path / "sites" / str(len(sites))
        summary = tmp_path / f"summary-{len(sites)}.md"
        code, out = invoke("build", typed, "-o", str(site), "--summary", str(summary), "-j", "1")
        assert code in (0, 1), out
        sites[typed] = (_files(site), summary.read_bytes())
    first = sites["cc"]
    for typed, built in sites.items():
        assert built[0].keys() == first[0].keys(), typed
        differing = [k for k in first[0] if built[0][k] != first[0][k]]
        assert not differing, f"{typed}: {differing[:5]}"
        assert built[1] == first[1], typed
    # nothing names the build machine's folders
    secret = os.fsencode(str(tmp_path))
    leaks = [k for k, data in first[0].items() if secret in data]
    assert not leaks and secret not in first[1], leaks[:5]


def test_problems_and_sources_name_no_folder_of_the_build_machine(
    hostile_logs: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    code, out = invoke("build", str(hostile_logs), "-o", str(site))
    assert code == 0, out
    problems = (site / "problems.html").read_text()
    assert "hostile/values/run-1/metrics.jsonl" in problems
    secret = os.fsencode(str(tmp_path))
    leaks = [k for k, data in _files(site).items() if secret in data]
    assert not leaks, leaks[:5]


def _tensorboard_run(folder: Path) -> None:
    from tensorboardX import SummaryWriter

    with SummaryWriter(str(folder)) as writer:
        for step in range(3):
            writer.add_scalar("loss", 1.0 / (step + 1), step)


def test_several_logdirs_are_named_and_same_names_told_apart(tmp_path: Path) -> None:
    for i, parent in enumerate(("a", "b")):
        logs = tmp_path / parent / "runs"
        write_run(logs, f"r{i}", [{"kind": "scalar", "name": "x", "value": 1}])
        _tensorboard_run(logs / "tb")
    site = tmp_path / "site"
    inputs = [str(tmp_path / "a" / "runs"), str(tmp_path / "b" / "runs")]
    code, out = invoke("build", *inputs, "-o", str(site))
    assert code == 0, out
    sources = sorted(
        line.split("<code>")[1].split("</code>")[0]
        for page in (site / "runs").glob("*.html")
        for line in page.read_text().splitlines()
        if "<dt>Source</dt>" in line
    )
    assert sources == ["runs-2/r1", "runs-2/tb", "runs/r0", "runs/tb"]
    pages = sorted(p.name for p in (site / "runs").glob("*tb-*.html"))
    assert len(pages) == 2  # the two tb runs: told apart, not one skipped as a duplicate


def test_load_gives_ids_relative_to_the_folder_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tensorboard_run(tmp_path / "logs" / "exp" / "tb")
    monkeypatch.chdir(tmp_path)
    ids = {str(t): [r.id for r in runreport.load(t)] for t in ("logs", "./logs", tmp_path / "logs")}
    assert list(ids.values()) == [["logs/exp/tb"]] * 3
    [run] = runreport.load(tmp_path / "logs")
    assert run.source == "logs/exp/tb" and run.path == tmp_path / "logs" / "exp" / "tb"


def test_a_baseline_given_by_its_folder_is_the_sites_own_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a", "b"):
        _tensorboard_run(tmp_path / "logs" / "exp" / name)
    monkeypatch.chdir(tmp_path)
    code, text = invoke("summary", "logs", "--baseline", str(tmp_path / "logs" / "exp" / "a"))
    assert code == 0, text
    against = text.split("## Against the baseline", 1)[1]
    rows = [line for line in against.splitlines() if line.startswith("| ")][1:]
    assert rows and all("| a |" not in r and not r.startswith("| a ") for r in rows), rows
    assert any(r.startswith("| b ") or "| b |" in r for r in rows), rows
