"""The regression gate against a published site (``--baseline-site``): the index every build
writes, read from a folder and over HTTP from a local server, each run against its namesake
or against a named run, seeds by their seeded bootstrap interval, and sites that cannot be
read or are not what they claim."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from conftest import free_port, invoke
from test_gate import BASE, NOISY, WORSE, _logs


def _published(tmp_path: Path, runs: dict[str, tuple[dict[str, object], float]]) -> Path:
    """A site built from ``runs`` (what main published)."""
    site = tmp_path / "published"
    code, out = invoke("build", str(_logs(tmp_path / "main-logs", runs)), "-o", str(site))
    assert code == 0, out
    return site


def test_every_site_writes_an_index_of_its_runs_for_later_gates(tmp_path: Path) -> None:
    site = _published(tmp_path, {"train": ({"lr": 0.1}, 0.9), "eval": ({}, float("nan"))})
    index = orjson.loads((site / "runs.json").read_bytes())
    assert index["format"] == 1
    runs = {r["name"]: r for r in index["runs"]}
    assert runs["train"]["params"] == {"lr": "0.1"}
    assert runs["train"]["last"] == {"accuracy": 0.9}
    assert runs["eval"]["last"] == {}  # NaN is no value to compare with
    assert (site / "runs" / f"{runs['train']['id']}.html").is_file()


def test_a_pull_requests_runs_against_their_namesakes_in_the_published_folder(
    tmp_path: Path,
) -> None:
    published = _published(tmp_path, {"train": ({}, 0.90), "old": ({}, 0.5)})
    logs = _logs(tmp_path / "pr-logs", {"train": ({}, 0.85), "new": ({}, 0.1)})
    site, summary = tmp_path / "site", tmp_path / "summary.md"
    args = ["build", str(logs), "-o", str(site), "--summary", str(summary)]
    args += ["--baseline-site", str(published)]
    code, out = invoke(*args, "--fail-on-regression", "accuracy:0.01")
    assert code == 1
    assert (site / "index.html").is_file()  # written all the same
    assert "regression: accuracy of train is worse than the baseline's by 0.05" in out
    assert f"1 checks against their namesakes in {published}" in out
    text = summary.read_text()
    assert "**Failed: 1 regression** against the runs of the same names" in text
    assert "| train | accuracy | 0.85 | 0.9 (train) | 0.05 | 0.01 | — | **regression** |" in text
    assert "Not checked (no run of that name there): new." in text
    code, out = invoke(*args, "--fail-on-regression", "accuracy:0.1")
    assert code == 0 and "none failed" in out


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A site served over HTTP on 127.0.0.1 (a free port), as GitHub Pages would serve it:
    its address and folder. Stopped after the test."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/site", folder
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_seeds_against_a_named_run_of_a_site_served_over_http(
    tmp_path: Path, served: tuple[str, Path]
) -> None:
    url, folder = served
    main = {f"base-s{k}": ({"lr": "0.1", "seed": k}, v) for k, v in enumerate(BASE)}
    code, _ = invoke("build", str(_logs(tmp_path / "main", main)), "-o", str(folder / "site"))
    assert code == 0
    pr: dict[str, tuple[dict[str, object], float]] = {}
    for lr, values in (("0.2", NOISY), ("0.3", WORSE)):
        pr |= {f"lr{lr}-s{k}": ({"lr": lr, "seed": k}, v) for k, v in enumerate(values)}
    logs, summary = _logs(tmp_path / "pr", pr), tmp_path / "summary.md"
    args = ["build", str(logs), "-o", str(tmp_path / "site"), "--summary", str(summary)]
    args += ["--baseline-site", url + "/", "--baseline", "base-s0"]
    code, out = invoke(*args, "--fail-on-regression", "accuracy")
    assert code == 1, out
    text = summary.read_text()
    slug = next(r["id"] for r in _index(folder / "site")["runs"] if r["name"] == "base-s0")
    assert f"against the baseline [base-s0]({url}/runs/{slug}.html) and its 4 other seeds" in text
    rows = [line for line in text.splitlines() if "mean of 5" in line]
    assert any("lr0.2-s0" in r and r.rstrip(" |").endswith("within noise") for r in rows)
    assert any("lr0.3-s0" in r and r.rstrip(" |").endswith("**regression**") for r in rows)
    # seeded: the same intervals in every build
    invoke(*args, "--fail-on-regression", "accuracy")
    assert summary.read_text() == text


def _gate(logs: Path, site: Path, location: str, baseline: str, *more: str) -> tuple[int, str]:
    """``runreport build`` of ``logs`` gated on accuracy against ``baseline`` at ``location``."""
    args = ["build", str(logs), "-o", str(site), "--baseline-site", location]
    return invoke(*args, "--baseline", baseline, "--fail-on-regression", "accuracy", *more)


def _index(site: Path) -> dict[str, list[dict[str, str]]]:
    return orjson.loads((site / "runs.json").read_bytes())  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("where", "content", "says"),
    [
        ("down", None, "cannot read http://127.0.0.1:"),
        ("http", None, "answered 404"),
        ("folder", None, "cannot read"),
        ("folder", b"<html>not json", "runs.json is not JSON"),
        ("folder", b'{"format": 99, "runs": []}', "rebuild that site with this runreport"),
        ("folder", b'{"format": 1, "runs": [{"id": 3}, "x"], "goals": []}', "names no run"),
    ],
)
def test_a_baseline_site_that_cannot_be_read_fails_before_anything_is_written(
    tmp_path: Path, served: tuple[str, Path], where: str, content: bytes | None, says: str
) -> None:
    url, folder = served
    site = folder / "site"
    site.mkdir()
    if content is not None:
        (site / "runs.json").write_bytes(content)
    location = {"down": f"http://127.0.0.1:{free_port()}/", "http": url, "folder": str(site)}
    logs = _logs(tmp_path / "pr", {"train": ({}, 0.85)})
    out_site = tmp_path / "out"
    code, out = _gate(logs, out_site, location[where], "train")
    assert code != 0 and says in out, out
    if where != "folder" or content is None:
        assert not out_site.exists()  # read first: nothing written


def test_hostile_entries_of_an_index_are_left_out_and_its_ids_quoted_in_links(
    tmp_path: Path, served: tuple[str, Path]
) -> None:
    url, folder = served
    (folder / "site").mkdir()
    index = {
        "format": 1,
        "runs": [
            {"id": "a) [x](javascript:alert(1)", "name": "train", "experiment": "ci",
             "params": {}, "last": {"accuracy": 0.9, "bad": "NaN", "flag": True}},
            {"id": 7, "name": "train", "experiment": "ci", "last": {"accuracy": 0.1}},
            {"name": "no id", "experiment": "ci"},
        ],
        "goals": {"ci": {"accuracy": "max", "x": "<script>"}},
    }  # fmt: skip
    (folder / "site" / "runs.json").write_bytes(orjson.dumps(index))
    logs, summary = _logs(tmp_path / "pr", {"train": ({}, 0.95)}), tmp_path / "s.md"
    code, out = _gate(logs, tmp_path / "out", url, "train", "--summary", str(summary))
    assert code == 0, out  # 0.95 against the one well-formed train's 0.9
    text = summary.read_text()
    assert f"({url}/runs/a%29%20%5Bx%5D%28javascript%3Aalert%281%29.html)" in text
    assert "| train | accuracy | 0.95 | 0.9 |" in text
