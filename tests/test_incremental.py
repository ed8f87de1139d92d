"""Rebuilds: unchanged runs come from the parse cache and their files from the old site;
what changed, and only that, is made again; the result is the same as a build from scratch."""

from __future__ import annotations

import errno
import json
import os
from dataclasses import fields, replace
from pathlib import Path

import pytest
from conftest import write_run
from tests_helpers import data_file

from runreport import build as build_module
from runreport.build import BuildConfig, build_site
from runreport.contexts import PageSettings
from runreport.files import cache_dir
from runreport.site import SiteWriter


def _runs(root: Path, n: int = 3) -> Path:
    for i in range(n):
        write_run(
            root,
            f"r{i}",
            [
                {"kind": "scalar", "name": "loss", "value": 1.0 / (s + 1 + i), "step": s}
                for s in range(50)
            ]
            + [{"kind": "scalar", "name": "acc", "value": s / 50, "step": s} for s in range(50)],
        )
    return root


def _inodes(site: Path) -> dict[str, int]:
    return {p.relative_to(site).as_posix(): p.stat().st_ino for p in site.rglob("*") if p.is_file()}


def _bytes(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def _run_files(inodes: dict[str, int], slug_prefix: str) -> dict[str, int]:
    return {
        k: v
        for k, v in inodes.items()
        if k.startswith(
            (f"runs/{slug_prefix}", f"data/runs/{slug_prefix}", f"data/full/{slug_prefix}")
        )
    }


def test_a_build_that_changes_nothing_leaves_the_site_as_it_was(tmp_path: Path) -> None:
    logs, site = _runs(tmp_path / "logs"), tmp_path / "site"
    write_run(logs, "bad", ['{"kind": "scalar", "name": "loss", "value": 1, "step": 0}', "{oops"])
    summary = tmp_path / "summary.md"
    config = BuildConfig(inputs=(logs,), output=site, summary=summary)
    first = build_site(config)
    assert first.problems and not first.unchanged
    folder, before, text = site.stat().st_ino, _inodes(site), summary.read_text()
    summary.unlink()
    second = build_site(replace(config, strict=True))
    assert second.unchanged and second.read == 0 and second.reused == 0
    assert site.stat().st_ino == folder and _inodes(site) == before  # nothing written
    assert summary.read_text() == text  # the summary, written again
    # it says what the build that wrote the site said, and --strict fails on its problems
    assert [str(p) for p in second.problems] == [str(p) for p in first.problems]
    assert second.problems == first.problems and not second.ok
    assert (second.runs, second.pages, second.site_bytes, second.largest_page) == (
        first.runs,
        first.pages,
        first.site_bytes,
        first.largest_page,
    )


@pytest.mark.parametrize(
    "change",
    ["site page edited", "site file removed", "site file added", "input touched", "setting"],
)
def test_a_build_after_a_change_writes_the_site_again(tmp_path: Path, change: str) -> None:
    """Whatever changed, in the logs, the settings or the site (a page edited by hand, whether
    or not it has a reuse key), the build makes a new site, as a build from scratch would."""
    logs, site = _runs(tmp_path / "logs"), tmp_path / "site"
    config = BuildConfig(inputs=(logs,), output=site)
    build_site(config)
    if change == "site page edited":
        (site / "index.html").write_text("edited by hand")
    elif change == "site file removed":
        next((site / "data" / "experiments").glob("*.js")).unlink()
    elif change == "site file added":
        (site / "stray.html").write_text("not made by runreport")
    elif change == "input touched":
        os.utime(logs / "r0" / "metrics.jsonl", ns=(1, 1))
    else:
        config = replace(config, max_site_mb=100.0)
    folder = site.stat().st_ino
    result = build_site(config)
    assert not result.unchanged and site.stat().st_ino != folder
    scratch = tmp_path / "scratch"
    build_site(replace(config, output=scratch, cache=False))
    assert _bytes(site) == _bytes(scratch)


def test_a_copied_file_replaced_by_another_is_copied_again(tmp_path: Path) -> None:
    """A run's output swapped for another file of the same size and times (another inode)
    is copied again."""
    logs, site = _runs(tmp_path / "logs", 1), tmp_path / "site"
    out = logs / "r0" / "outputs" / "model.txt"
    out.parent.mkdir()
    out.write_text("first")
    build_site(BuildConfig(inputs=(logs,), output=site))
    st = out.stat()
    out.unlink()
    out.write_text("again")
    os.utime(out, ns=(st.st_atime_ns, st.st_mtime_ns))
    result = build_site(BuildConfig(inputs=(logs,), output=site))
    assert not result.unchanged
    assert [p.read_text() for p in site.rglob("model.txt")] == ["again"]


def test_the_writer_sees_a_copied_file_changed_at_its_source(tmp_path: Path) -> None:
    """The whole-site check looks at every copy's source too (a file that a unit's fingerprint
    may not cover: an artifact stored outside its run's folder)."""
    source, site = tmp_path / "artifact.txt", tmp_path / "site"
    source.write_text("first")
    with SiteWriter(site, tmp_path / "manifest.json") as writer:
        assert writer.copy("files/artifact.txt", source) is None
        writer.commit({"key": "k"})
    writer = SiteWriter(site, tmp_path / "manifest.json")
    assert writer.unchanged("k") == {"key": "k"} and writer.unchanged("other") is None
    writer.keep_old()
    st = source.stat()
    source.unlink()
    source.write_text("again")
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns))
    writer = SiteWriter(site, tmp_path / "manifest.json")
    assert writer.unchanged("k") is None
    writer.abort()


def test_reuse_checks_what_it_linked_and_takes_back_all_or_none(tmp_path: Path) -> None:
    site, manifest = tmp_path / "site", tmp_path / "manifest.json"
    with SiteWriter(site, manifest) as writer:
        writer.put("a.js", b"a", key="ka")
        writer.put("b.js", b"b", key="kb")
        writer.commit()
    (site / "b.js").write_bytes(b"bb")  # changed since: another size
    writer = SiteWriter(site, manifest)
    assert not writer.reuse_all([("a.js", "ka"), ("b.js", "kb")])
    assert not writer.has("a.js") and not (writer.tmp / "a.js").exists()
    assert writer.reuse("a.js", "ka") and not writer.reuse("b.js", "other key")
    assert os.path.samefile(writer.tmp / "a.js", site / "a.js")
    writer.put("b.js", b"b", key="kb")  # made again: not refused as written twice
    writer.abort()


def test_without_hard_links_what_is_reused_is_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file system without hard links (FAT, some network mounts): the old site's unchanged
    files are copied, checked through the descriptor they are copied from."""
    logs, site = _runs(tmp_path / "logs"), tmp_path / "site"
    build_site(BuildConfig(inputs=(logs,), output=site))
    reusable = _run_files(_inodes(site), "r1") | _run_files(_inodes(site), "r2")

    def no_links(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EPERM, "no hard links on this file system")

    monkeypatch.setattr(os, "link", no_links)
    with (logs / "r0" / "metrics.jsonl").open("a") as fh:
        fh.write(json.dumps({"kind": "scalar", "name": "loss", "value": 0.5, "step": 50}) + "\n")
    result = build_site(BuildConfig(inputs=(logs,), output=site))
    assert result.read == 1 and result.reused == len(reusable)
    scratch = tmp_path / "scratch"
    build_site(BuildConfig(inputs=(logs,), output=scratch, cache=False))
    assert _bytes(site) == _bytes(scratch)
    # and a copy's record is the copy's own: the next build with nothing changed sees that
    assert build_site(BuildConfig(inputs=(logs,), output=site)).unchanged


def test_a_site_showing_running_runs_is_always_made_again(tmp_path: Path) -> None:
    """A Running run's page says how long it has run as of the build: never left as it was."""
    logs, site = _runs(tmp_path / "logs", 1), tmp_path / "site"
    write_run(logs, "live", [], status="Running", start_time="2026-01-01T00:00:00Z")
    config = BuildConfig(inputs=(logs,), output=site)
    for epoch in ("1767229200", "1767232800"):  # one hour, then two, after it started
        os.environ["SOURCE_DATE_EPOCH"] = epoch
        try:
            result = build_site(config)
        finally:
            del os.environ["SOURCE_DATE_EPOCH"]
        assert not result.unchanged
    page = next((site / "runs").glob("live-*.html")).read_text()
    assert "2h 00m" in page


def test_an_unchanged_rebuild_reuses_every_run_file(tmp_path: Path) -> None:
    logs, site = _runs(tmp_path / "logs"), tmp_path / "site"
    first = build_site(BuildConfig(inputs=(logs,), output=site))
    assert first.reused == 0
    before = _inodes(site)
    # another limit on the site's size changes no file, but is not the last build's setting
    second = build_site(BuildConfig(inputs=(logs,), output=site, max_site_mb=100.0))
    assert second.read == 0  # every run from the parse cache
    after = _inodes(site)
    run_files = _run_files(before, "r")
    assert run_files and second.reused == len(run_files)  # pages, data files
    assert all(after[k] == v for k, v in run_files.items())
    # and the site is exactly what a build from scratch makes
    scratch = tmp_path / "scratch"
    build_site(BuildConfig(inputs=(logs,), output=scratch, cache=False))
    assert _bytes(site) == _bytes(scratch)


def test_appending_to_a_run_remakes_only_its_files(tmp_path: Path) -> None:
    logs, site = _runs(tmp_path / "logs"), tmp_path / "site"
    build_site(BuildConfig(inputs=(logs,), output=site))
    before = _inodes(site)
    with (logs / "r1" / "metrics.jsonl").open("a") as fh:
        fh.write(json.dumps({"kind": "scalar", "name": "loss", "value": 0.001, "step": 50}) + "\n")
    build_site(BuildConfig(inputs=(logs,), output=site))
    after = _inodes(site)
    for prefix in ("r0", "r2"):
        files = _run_files(before, prefix)
        assert files and all(after[k] == v for k, v in files.items()), prefix
    changed = _run_files(before, "r1")
    assert changed and all(after[k] != v for k, v in changed.items())
    scratch = tmp_path / "scratch"
    build_site(BuildConfig(inputs=(logs,), output=scratch, cache=False))
    assert _bytes(site) == _bytes(scratch)
    assert b"0.001" in next((site / "runs").glob("r1-*.html")).read_bytes()


def test_adding_a_run_and_changing_the_title(tmp_path: Path) -> None:
    logs, site = _runs(tmp_path / "logs"), tmp_path / "site"
    build_site(BuildConfig(inputs=(logs,), output=site))
    _runs(logs, 4)  # r3 is new (r0-r2 written again with the same bytes: new mtimes)
    os.utime(logs / "r3" / "metrics.jsonl")
    result = build_site(BuildConfig(inputs=(logs,), output=site))
    assert result.runs == 4
    assert any(p.name.startswith("r3-") for p in (site / "runs").glob("*.html"))
    table = next((site / "data" / "experiments").glob("*.js")).read_text()
    assert '"name":"r3"' in table
    # a new title changes every page: none is reused
    before = _inodes(site)
    build_site(BuildConfig(inputs=(logs,), output=site, title="Another title"))
    after = _inodes(site)
    pages = [k for k in before if k.startswith("runs/") and k.endswith(".html")]
    assert pages and all(after[k] != before[k] for k in pages)
    assert "Another title" in next((site / "runs").glob("r0-*.html")).read_text()


#: A value other than the default for every field of the page settings.
CHANGED_SETTINGS = {
    "title": "Another title",
    "goals": {"acc": "min"},
    "site_url": "https://runs.example.org/",
    "refresh": 60,
    "stalled_after": 60.0,
    "live": True,
    "include_failed": True,
}


def test_every_page_setting_remakes_the_run_pages(tmp_path: Path) -> None:
    """Each setting that shapes pages is part of the page-reuse key: changing any of them
    remakes every run page, as a build from scratch makes it."""
    assert set(CHANGED_SETTINGS) == {f.name for f in fields(PageSettings)}
    logs, site = _runs(tmp_path / "logs", 2), tmp_path / "site"
    build_site(BuildConfig(inputs=(logs,), output=site))
    for name, value in CHANGED_SETTINGS.items():
        before = _inodes(site)
        config = BuildConfig(inputs=(logs,), output=site, **{name: value})
        build_site(config)
        after = _inodes(site)
        pages = [k for k in before if k.startswith("runs/") and k.endswith(".html")]
        assert pages and all(after[k] != before[k] for k in pages), name
        scratch = tmp_path / f"scratch-{name}"
        build_site(replace(config, output=scratch, cache=False))
        assert {k: v for k, v in _bytes(site).items() if k in pages} == {
            k: v for k, v in _bytes(scratch).items() if k in pages
        }, name
        build_site(BuildConfig(inputs=(logs,), output=site))  # back to the defaults


def test_a_file_changed_in_the_old_site_is_made_again(tmp_path: Path) -> None:
    logs, site = _runs(tmp_path / "logs"), tmp_path / "site"
    build_site(BuildConfig(inputs=(logs,), output=site))
    page = next((site / "runs").glob("r0-*.html"))
    good = page.read_bytes()
    page.write_bytes(b"edited by hand")
    build_site(BuildConfig(inputs=(logs,), output=site))
    assert page.read_bytes() == good


def test_a_data_file_gone_from_the_old_site_is_made_again(tmp_path: Path) -> None:
    """Cached runs come without their plotted columns: the old site's data files are reused,
    and a run whose file is missing is read again rather than written without its data."""
    logs, site = _runs(tmp_path / "logs"), tmp_path / "site"
    build_site(BuildConfig(inputs=(logs,), output=site))
    expected = _bytes(site)
    next((site / "data" / "runs").glob("r0-*.js")).unlink()
    next((site / "data" / "full").glob("r1-*.js")).unlink()
    result = build_site(BuildConfig(inputs=(logs,), output=site))
    assert result.read == 2 and _bytes(site) == expected


def test_chart_images_from_cached_runs(tmp_path: Path) -> None:
    logs, site = _runs(tmp_path / "logs"), tmp_path / "site"
    build_site(BuildConfig(inputs=(logs,), output=site))
    # a build without images keeps no plotted columns in the cache: the first build with
    # images reads the runs again, and keeps them for the next one
    first = build_site(BuildConfig(inputs=(logs,), output=site, images=True))
    assert first.read == 3
    result = build_site(BuildConfig(inputs=(logs,), output=site, images=True))
    assert result.read == 0  # every run from the cache, its plotted columns too
    scratch = tmp_path / "scratch"
    build_site(BuildConfig(inputs=(logs,), output=scratch, images=True, cache=False))
    pngs = {k: v for k, v in _bytes(site).items() if k.endswith((".png", ".svg"))}
    assert pngs and pngs == {k: v for k, v in _bytes(scratch).items() if k in pngs}


def test_a_damaged_cache_is_a_miss(tmp_path: Path) -> None:
    logs, site = _runs(tmp_path / "logs"), tmp_path / "site"
    build_site(BuildConfig(inputs=(logs,), output=site))
    expected = _bytes(site)
    for entry in (cache_dir() / "units").glob("*.*"):
        entry.write_bytes(b"not a pickle")
    for entry in (cache_dir() / "sites").glob("*.json"):
        entry.write_bytes(b"{")
    result = build_site(BuildConfig(inputs=(logs,), output=site))
    assert result.reused == 0 and _bytes(site) == expected


def test_worker_processes_build_the_same_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = _runs(tmp_path / "logs", 4)
    one, two = tmp_path / "one", tmp_path / "two"
    build_site(BuildConfig(inputs=(logs,), output=one, jobs=1, cache=False))
    monkeypatch.setattr(build_module, "PARALLEL_MIN_BYTES", 0)
    result = build_site(BuildConfig(inputs=(logs,), output=two, jobs=3, cache=False))
    assert result.processes == 3 and result.read == 4
    assert _bytes(one) == _bytes(two)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_run_id_seen_twice_keeps_the_first_copy_and_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    logs = tmp_path / "logs"
    write_run(logs / "a", "dup", [{"name": "loss", "value": 1.0, "step": s} for s in range(5)])
    write_run(logs / "b", "dup", [{"name": "acc", "value": 0.5, "step": s} for s in range(5)])
    monkeypatch.setattr(build_module, "PARALLEL_MIN_BYTES", 0)
    site = tmp_path / "site"
    for _ in range(2):  # from scratch, then from the cache
        result = build_site(BuildConfig(inputs=(logs,), output=site, jobs=jobs))
        assert result.runs == 1 and any("seen twice" in p.message for p in result.problems)
        data = data_file(next((site / "data" / "runs").glob("dup-*.js")))
        assert list(data["charts"]) == ["loss"]  # the first copy's data, not the second's
        [full] = (site / "data" / "full").glob("dup-*.js")
        assert list(data_file(full)) == ["loss"]
    assert not (site / ".staging").exists()
