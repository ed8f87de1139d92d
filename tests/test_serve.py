"""``runreport serve`` in a real browser: a page updates itself when its run's files change,
keeping the reader's place; the server survives a deleted run; Ctrl-C leaves nothing."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import write_run

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
RUNREPORT = Path(sys.executable).parent / "runreport"


class Server:
    """A ``runreport serve`` process and the lines it printed."""

    def __init__(self, logs: Path) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [str(RUNREPORT), "serve", str(logs), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.url = self.wait_for(r"serving (http://127\.0\.0\.1:\d+/)").group(1)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        with self.proc.stdout:  # closed at the end of the output, not left to the collector
            for line in self.proc.stdout:
                self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, after: int = 0, timeout: float = 60) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines[after:]:
                if m := re.search(pattern, line):
                    return m
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"no {pattern!r} in the output: {self.lines}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    logs = tmp_path / "logs"
    records: list[dict[str, Any]] = [
        {"name": "loss", "value": 1.0 / (s + 1), "step": s} for s in range(20)
    ]
    write_run(logs, "live", records, status="Running", compute_target="gpu")
    write_run(logs, "other", [{"name": "loss", "value": 0.5, "step": 0}])
    before = set(Path(tempfile.gettempdir()).glob("runreport-serve-*"))
    server = Server(logs)
    yield server, logs
    if server.proc.poll() is None:
        server.proc.kill()
    server.proc.wait(timeout=20)
    server.reader.join(timeout=20)
    assert set(Path(tempfile.gettempdir()).glob("runreport-serve-*")) == before


def test_an_open_page_follows_its_run(served: tuple[Server, Path]) -> None:
    from playwright.sync_api import sync_playwright

    server, logs = served
    assert "loopback only" in server.lines[-1]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1000, "height": 500})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(server.url)
        page.click("table.active a >> text=live")  # the home page lists the active run
        assert "/runs/live-" in page.url, page.url
        page.wait_for_selector("table.summary")
        count = "() => document.querySelector('table.summary tbody td:nth-of-type(6)').textContent"
        assert page.evaluate(count) == "20"
        page.mouse.wheel(0, 300)
        page.wait_for_function("() => window.scrollY > 100")
        scrolled = page.evaluate("() => window.scrollY")
        marks = "() => +(document.querySelector('.chart[data-marks]') || {}).dataset?.marks || 0"
        page.wait_for_function(f"() => ({marks})() > 0")
        drawn = page.evaluate(marks)
        # the run logs 30 more points: the page shows them without a reload by hand
        mark = len(server.lines)
        with (logs / "live" / "metrics.jsonl").open("a") as fh:
            for s in range(20, 50):
                fh.write(json.dumps({"name": "loss", "value": 1.0 / (s + 1), "step": s}) + "\n")
        server.wait_for(r"built \d+ pages for 2 runs \(1 read", after=mark)
        page.wait_for_function(f"() => ({count})() === '50'", timeout=20_000)
        page.wait_for_function(f"() => ({marks})() > {drawn}")  # the chart has the new points
        assert abs(page.evaluate("() => window.scrollY") - scrolled) < 5  # the reader's place kept
        # the experiment page keeps the runs picked and the stat shown across an update
        page.click(".crumbs a >> nth=1")
        page.wait_for_selector("#stat-switch")
        page.select_option("#stat-switch", "max")
        page.check("input.pick[value^='other-']")
        metrics = logs / "live" / "metrics.jsonl"
        with page.expect_navigation(timeout=20_000), metrics.open("a") as fh:
            fh.write(json.dumps({"name": "loss", "value": 9.0, "step": 50}) + "\n")
        page.wait_for_load_state("load")
        assert page.input_value("#stat-switch") == "max"
        assert page.is_checked("input.pick[value^='other-']")
        assert not page.is_checked("input.pick[value^='live-']")
        assert errors == []
        # a run folder deleted while watched: the server goes on with the rest
        mark = len(server.lines)
        for path in sorted((logs / "other").iterdir()):
            path.unlink()
        (logs / "other").rmdir()
        server.wait_for(r"built \d+ pages for 1 runs", after=mark)
        page.goto(server.url)
        assert "other" not in page.inner_text("body").split()
        browser.close()
    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(timeout=20) == 0
    assert server.lines[-1] == "stopped"
