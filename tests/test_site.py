"""The site writer: atomic replacement, refusals, and a build killed mid-way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from runreport.errors import SiteError
from runreport.site import MARKER, write_site


def test_writes_a_site_with_its_marker(tmp_path: Path) -> None:
    write_site(tmp_path / "site", {"index.html": b"hi", "a/b.js": b"x"}, {})
    assert (tmp_path / "site" / "index.html").read_bytes() == b"hi"
    assert (tmp_path / "site" / MARKER).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no temp folder left


def test_replaces_an_old_site_completely(tmp_path: Path) -> None:
    write_site(tmp_path / "site", {"old.html": b"old"}, {})
    write_site(tmp_path / "site", {"new.html": b"new"}, {})
    assert sorted(p.name for p in (tmp_path / "site").iterdir()) == [MARKER, "new.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_refuses_a_folder_that_is_not_a_site(tmp_path: Path) -> None:
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "chapter1.tex").write_text("years of work")
    with pytest.raises(SiteError, match="not a runreport site"):
        write_site(precious, {"index.html": b"x"}, {})
    assert (precious / "chapter1.tex").read_text() == "years of work"
    (tmp_path / "file").write_text("x")
    with pytest.raises(SiteError, match="not a folder"):
        write_site(tmp_path / "file", {"index.html": b"x"}, {})


@pytest.mark.parametrize("rel", ["../escape.html", "/etc/passwd", "a/../../b", "", ".."])
def test_refuses_paths_outside_the_site(tmp_path: Path, rel: str) -> None:
    with pytest.raises(SiteError):
        write_site(tmp_path / "site", {rel: b"x"}, {})
    assert not (tmp_path / "escape.html").exists()
    assert not (tmp_path / "site").exists()


def test_refuses_two_files_differing_only_in_case(tmp_path: Path) -> None:
    with pytest.raises(SiteError, match="twice"):
        write_site(tmp_path / "site", {"A.html": b"1", "a.html": b"2"}, {})


KILLER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import runreport.site as site
    from runreport.build import BuildConfig, build_site
    limit = int(sys.argv[3])
    calls = 0
    real = site.SiteWriter.put
    def dying(self, rel, data, key=None):
        global calls
        calls += 1
        if calls > limit >= 0:
            os.kill(os.getpid(), signal.SIGKILL)
        real(self, rel, data, key)
    site.SiteWriter.put = dying
    if limit < 0:  # die in the middle of the swap itself: exchanged, old site not removed
        exchange = site._rename_exchange
        def exchange_and_die(a, b):
            exchange(a, b)
            os.kill(os.getpid(), signal.SIGKILL)
        site._rename_exchange = exchange_and_die
    build_site(BuildConfig(inputs=(Path(sys.argv[1]),), output=Path(sys.argv[2])))
""")


@pytest.mark.slow
@pytest.mark.parametrize("limit", [0, 3, 10, -1])
def test_a_killed_build_leaves_the_previous_site(
    tmp_path: Path, copy_examples: Path, limit: int
) -> None:
    site = tmp_path / "site"
    write_site(site, {"index.html": b"previous site"}, {})
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, str(copy_examples), str(site), str(limit)],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    if limit >= 0:
        assert (site / "index.html").read_bytes() == b"previous site"
    else:
        # killed after the swap: the new site is whole, the old one is the leftover
        assert b"<!doctype html>" in (site / "index.html").read_bytes()
    # the next build cleans what the killed one left beside the target
    write_site(site, {"index.html": b"next"}, {})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["logs", "site"]
    assert (site / "index.html").read_bytes() == b"next"
