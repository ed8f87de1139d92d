"""Safe to publish: a file swapped for a link mid-build never reaches the site, and builds into
one folder never overlap (each either waits for the other or, with --no-wait, fails at once)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_run

from runreport.build import BuildConfig, build_site
from runreport.cli import cli
from runreport.site import SiteWriter, TargetLock

SECRET = b"TOP SECRET outside the log folder\n"


def _flipper(path: Path, secret: Path, stop: threading.Event) -> Iterator[None]:
    """Swap ``path`` between a regular file and a link to ``secret`` (each swap atomic)."""
    regular, link = path.with_name(".regular"), path.with_name(".link")
    flips = 0
    while not stop.is_set():
        regular.write_bytes(b"plain output\n")
        os.replace(regular, path)
        link.symlink_to(secret)
        os.replace(link, path)
        flips += 1
        yield None
    assert flips


def _site_files(site: Path) -> dict[str, str]:
    """Every file of a site (links reported as such) with a hash of its bytes."""
    out = {}
    for p in sorted(site.rglob("*")):
        rel = p.relative_to(site).as_posix()
        if p.is_symlink():
            out[rel] = "LINK"
        elif p.is_file():
            out[rel] = hashlib.sha1(p.read_bytes()).hexdigest()
    return out


def test_a_file_swapped_for_a_link_during_builds_never_reaches_the_site(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(SECRET)
    run = write_run(tmp_path / "logs", "r", [{"kind": "scalar", "name": "loss", "value": 1}])
    (run / "outputs").mkdir()
    target = run / "outputs" / "model.txt"
    target.write_bytes(b"plain output\n")
    (run / "logs").mkdir()
    (run / "logs" / "stdout.txt").write_bytes(b"training\n")
    stop = threading.Event()

    def flip() -> None:
        for _ in _flipper(target, secret, stop):
            time.sleep(0.0005)

    flipper = threading.Thread(target=flip, daemon=True)
    flipper.start()
    site = tmp_path / "site"
    refused = 0
    try:
        # at least 40 builds, and on until one met the link (at most 200): on a loaded CI
        # machine 40 builds once met none (the assertions on what they wrote all held)
        for i in range(200):
            if i >= 40 and refused:
                break
            result = build_site(
                BuildConfig(inputs=(tmp_path / "logs",), output=site, cache=i % 2 == 0)
            )
            files = _site_files(site)
            assert "LINK" not in files.values()
            for p in site.rglob("*"):
                assert not p.is_symlink(), p
                if p.is_file():
                    assert SECRET not in p.read_bytes(), p
            refused += any("not copied into the site" in p.message for p in result.problems)
    finally:
        stop.set()
        flipper.join()
    assert refused, "no build met the link: the test did not race"


JOBS = ("-j", "3", "--no-cache")
RUNNER = "import sys; from runreport.cli import main; sys.argv[0] = 'runreport'; main()"


def _build(logs: Path, site: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", RUNNER, "build", str(logs), "-o", str(site), "-j", "1", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"},
    )


@pytest.mark.slow
def test_overlapping_builds_into_one_folder_give_the_clean_site(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    for i in range(30):
        run = write_run(
            logs, f"run-{i}", [{"kind": "scalar", "name": "loss", "value": v} for v in range(50)]
        )
        (run / "outputs").mkdir()
        for k in range(5):
            (run / "outputs" / f"file-{k}.txt").write_text(f"{i} {k}\n")
    clean = tmp_path / "clean"
    first = _build(logs, clean, "--no-cache")
    out = first.communicate(timeout=120)[0]
    assert first.returncode == 0, out
    expected = _site_files(clean)
    assert len(expected) > 200
    site = tmp_path / "site"
    waited = 0
    for pair in range(8):
        first = _build(logs, site, *(["--no-cache"] if pair % 2 else []))
        time.sleep(0.05 * (pair % 4))
        second = _build(logs, site, "--no-cache")
        outs = [p.communicate(timeout=120)[0] for p in (first, second)]
        assert [first.returncode, second.returncode] == [0, 0], outs
        waited += any("waiting for it to finish" in out for out in outs)
        assert _site_files(site) == expected, f"pair {pair}"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["clean", "logs", "site"]
    assert waited, "no two builds overlapped: the test did not test"


def test_no_wait_fails_at_once_while_another_build_writes(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    write_run(logs, "r", [{"kind": "scalar", "name": "loss", "value": 1}])
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(logs,), output=site))
    lock = TargetLock(site.absolute(), wait=False, on_wait=None)  # as a build in progress holds it
    try:
        result = CliRunner().invoke(cli, ["build", str(logs), "-o", str(site), "--no-wait"])
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert "another runreport build is writing this site" in result.output
        waited: list[str] = []
        done = threading.Event()

        def build() -> None:
            build_site(BuildConfig(inputs=(logs,), output=site), on_wait=waited.append)
            done.set()

        thread = threading.Thread(target=build)
        thread.start()
        time.sleep(1.0)
        assert not done.is_set() and waited and "waiting for it to finish" in waited[0]
    finally:
        lock.release()
    thread.join(timeout=60)
    assert done.is_set() and (site / "index.html").is_file()


def test_only_orphaned_temp_folders_are_removed(tmp_path: Path) -> None:
    site = tmp_path / "site"
    orphan = tmp_path / ".runreport-tmp-site-orphan"  # left by a build killed with SIGKILL
    orphan.mkdir()
    (orphan / "index.html").write_text("half a site")
    with SiteWriter(site) as writer:
        assert not orphan.exists()  # no build holds the lock: its owner is gone
        writer.put("index.html", b"x")
        writer.commit()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
    except OSError:
        return "?"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_killed_build_leaves_no_process_behind(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    line = b'{"kind":"scalar","name":"loss","value":%d}\n'
    block = b"".join(line % i for i in range(10_000))
    for r in range(20):  # 20 x 20 MB: read by worker processes for longer than the delays
        folder = write_run(logs, f"run-{r}")
        with (folder / "metrics.jsonl").open("wb") as fh:
            for _ in range(45):
                fh.write(block)
    for delay in (0.2, 1.0, 2.0):
        build = subprocess.Popen(
            [sys.executable, "-c", RUNNER, "build", str(logs), "-o", str(tmp_path / "s"), *JOBS],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while not _descendants(build.pid) and time.monotonic() < deadline:
            time.sleep(0.05)  # until its worker server runs
        time.sleep(delay)
        below = _descendants(build.pid)
        build.kill()
        build.wait()
        assert below, "the build had started no process: the test did not test"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in below):
            time.sleep(0.1)
        left = {p: _cmdline(p) for p in below if _alive(p)}
        assert not left, f"left alive after {delay} s: {left}"
