"""The cache never breaks a build: every cached file is checked before use, a cache that cannot
be written costs only time (with one warning), and an in-place edit is seen."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write_run

from runreport import files as fs
from runreport.build import BuildConfig, build_site

RUNNER = "import sys; from runreport.cli import main; sys.argv[0] = 'runreport'; main()"
#: A build on a machine whose vl-convert or altair differ from those the package's shipped
#: bundle and shapes were made by (runreport.prebuilt): it makes them, in the cache folder.
UNSHIPPED = (
    "import runreport.prebuilt as p; p.bundle = lambda *a: None; p.shapes = lambda: None\n" + RUNNER
)


def _build(
    logs: Path, site: Path, cache: Path, *extra: str, runner: str = UNSHIPPED
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", runner, "build", str(logs), "-o", str(site), *extra],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "RUNREPORT_CACHE_DIR": str(cache)},
    )


def test_checked_files_refuse_any_damage(tmp_path: Path) -> None:
    path = tmp_path / "c" / "entry"
    assert fs.write_checked(path, b"0123456789" * 100)
    assert fs.read_checked(path) == b"0123456789" * 100
    whole = path.read_bytes()
    for damaged in (whole[:-1], whole[:10], whole[:-5] + b"XXXXX", b"", whole + b"x"):
        path.write_bytes(damaged)
        assert fs.read_checked(path) is None
    assert fs.read_checked(tmp_path / "missing") is None


@pytest.mark.slow
def test_damaged_cache_files_are_made_again(tmp_path: Path, cache_dir: Path) -> None:
    logs = tmp_path / "logs"
    write_run(logs, "r", [{"kind": "scalar", "name": "loss", "value": v} for v in (3, 2, 1)])
    cache = tmp_path / "cache"
    shutil.copytree(cache_dir, cache, ignore=shutil.ignore_patterns("units", "sites"))
    first = _build(logs, tmp_path / "s1", cache)
    assert first.returncode == 0, first.stderr
    good = (tmp_path / "s1" / "assets" / "vega.js").read_bytes()
    [bundle] = cache.glob("vega-bundle-*.js")
    compiled = list((cache / "templates").glob("*.jinja"))
    assert compiled
    bundle.write_bytes(bundle.read_bytes()[: len(good) // 2])  # a disk that filled up
    for path in compiled:
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    for shape in cache.glob("shapes-*.json"):
        shape.write_bytes(shape.read_bytes()[:100])
    for extra in ([], ["--no-cache"]):
        out = tmp_path / f"s2{len(extra)}"
        again = _build(logs, out, cache, *extra)
        assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr
        assert (out / "assets" / "vega.js").read_bytes() == good
        assert (out / "index.html").read_text().count("<html") == 1


@pytest.mark.slow
def test_the_shipped_bundle_and_shapes_leave_them_out_of_the_cache(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    write_run(logs, "r", [{"kind": "scalar", "name": "loss", "value": v} for v in (3, 2, 1)])
    cache = tmp_path / "cache"
    made = _build(logs, tmp_path / "s0", cache, runner=UNSHIPPED)
    shipped = _build(logs, tmp_path / "s1", tmp_path / "cache2", runner=RUNNER)
    assert made.returncode == shipped.returncode == 0, made.stderr + shipped.stderr
    assert list(cache.glob("vega-bundle-*.js")) and list(cache.glob("shapes-*.json"))
    assert not list((tmp_path / "cache2").glob("vega-bundle-*.js"))
    assert not list((tmp_path / "cache2").glob("shapes-*.json"))
    for name in ("assets/vega.js", "index.html"):  # the same site either way
        assert (tmp_path / "s0" / name).read_bytes() == (tmp_path / "s1" / name).read_bytes()


def test_an_unwritable_cache_degrades_to_no_cache_with_one_warning(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    write_run(logs, "r", [{"kind": "scalar", "name": "loss", "value": v} for v in (3, 2, 1)])
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be")
    result = _build(logs, tmp_path / "site", blocker / "cache", "-j", "1")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("warning: cache not written") == 1
    assert (tmp_path / "site" / "index.html").is_file()


def test_an_in_place_edit_that_keeps_size_and_mtime_is_seen(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    run = write_run(logs, "r", [{"kind": "scalar", "name": "loss", "value": v} for v in (3, 2)])
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(logs,), output=site))
    metrics = run / "metrics.jsonl"
    st = metrics.stat()
    text = metrics.read_text()
    metrics.write_text(text.replace('"value": 2', '"value": 7'))  # same size
    os.utime(metrics, ns=(st.st_atime_ns, st.st_mtime_ns))  # as `touch -r` puts it back
    assert metrics.stat().st_size == st.st_size and metrics.stat().st_mtime_ns == st.st_mtime_ns
    build_site(BuildConfig(inputs=(logs,), output=site))
    page = next((site / "runs").glob("*.html")).read_text()
    assert ">7<" in page


@pytest.mark.slow
def test_no_cache_reads_nothing_from_the_cache_folder(tmp_path: Path, cache_dir: Path) -> None:
    """Cache files that pass their check but were not made by this build (another user's, in
    a shared cache folder) are used by a build with the cache, never by one with --no-cache."""
    logs = tmp_path / "logs"
    write_run(logs, "r", [{"kind": "scalar", "name": "loss", "value": v} for v in (3, 2, 1)])
    cache = tmp_path / "cache"
    shutil.copytree(cache_dir, cache, ignore=shutil.ignore_patterns("units", "sites"))
    assert _build(logs, tmp_path / "s0", cache).returncode == 0
    marker = "PLANTED-IN-THE-CACHE"
    for bundle in cache.glob("vega-bundle-*.js"):
        data = fs.read_checked(bundle)
        assert data is not None
        fs.write_checked(bundle, f"/*{marker}*/".encode() + data)
    for shapes in cache.glob("shapes-*.json"):
        data = fs.read_checked(shapes)
        assert data is not None
        fs.write_checked(shapes, data.replace(b'"x"', f'"{marker}"'.encode(), 1))

    def planted(site: Path) -> bool:
        return any(marker.encode() in p.read_bytes() for p in site.rglob("*") if p.is_file())

    with_cache = _build(logs, tmp_path / "s1", cache)
    assert with_cache.returncode == 0 and planted(tmp_path / "s1")
    without = _build(logs, tmp_path / "s2", cache, "--no-cache")
    assert without.returncode == 0, without.stderr
    assert not planted(tmp_path / "s2")
