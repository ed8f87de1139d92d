"""``runreport serve`` answers only its own host names, lists no folder, serves nothing outside
its site, says exactly who can reach it, and fails on a busy port before building."""

from __future__ import annotations

import http.client
import re
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import write_run

from runreport.build import BuildConfig
from runreport.serve import serve


class Running:
    def __init__(self, logs: Path, host: str = "127.0.0.1") -> None:
        self.lines: list[str] = []
        self.stop = threading.Event()
        config = BuildConfig(inputs=(logs,), output=Path("unused"))
        self.thread = threading.Thread(
            target=serve,
            args=(config, host, 0),
            kwargs={"say": self.lines.append, "stop": self.stop},
        )
        self.thread.start()
        deadline = time.monotonic() + 60
        while not any(line.startswith("serving") for line in self.lines):
            assert time.monotonic() < deadline and self.thread.is_alive(), self.lines
            time.sleep(0.05)
        line = next(line for line in self.lines if line.startswith("serving"))
        self.port = int(re.search(r":(\d+)/", line).group(1))  # type: ignore[union-attr]
        self.host = host

    def get(self, path: str, host_header: str | None = None) -> int:
        conn = http.client.HTTPConnection(self.host.strip("[]"), self.port, timeout=10)
        conn.putrequest("GET", path, skip_host=True)
        conn.putheader("Host", host_header or f"127.0.0.1:{self.port}")
        conn.endheaders()
        status = conn.getresponse().status
        conn.close()
        return status

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    write_run(tmp_path / "logs", "r", [{"kind": "scalar", "name": "loss", "value": 1}])
    return tmp_path / "logs"


@pytest.fixture
def running(logs: Path) -> Iterator[Running]:
    server = Running(logs)
    yield server
    server.close()


def test_only_its_own_host_names_are_answered(running: Running) -> None:
    assert running.get("/index.html") == 200
    assert running.get("/index.html", f"localhost:{running.port}") == 200
    # a page on evil.example whose name was rebound to 127.0.0.1 (DNS rebinding)
    assert running.get("/index.html", f"evil.example:{running.port}") == 421
    assert running.get("/index.html", "127.0.0.1:1") == 421
    assert "loopback only" in running.lines[-1]


def test_no_folder_is_listed_and_nothing_outside_is_served(running: Running) -> None:
    assert running.get("/runs/") == 404
    assert running.get("/") == 200  # index.html
    assert running.get("/../../etc/passwd") == 404
    assert running.get("/%2e%2e/%2e%2e/etc/passwd") == 404


def test_a_client_gone_mid_answer_prints_no_traceback(
    running: Running, capfd: pytest.CaptureFixture[str]
) -> None:
    for _ in range(20):
        sock = socket.create_connection(("127.0.0.1", running.port))
        sock.sendall(
            f"GET /assets/vega.js HTTP/1.1\r\nHost: 127.0.0.1:{running.port}\r\n\r\n".encode()
        )
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()  # a reset, before the 1 MB answer is sent
    assert running.get("/index.html") == 200
    time.sleep(0.5)
    assert "Traceback" not in capfd.readouterr().err


def test_a_busy_port_fails_before_building(logs: Path) -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    said: list[str] = []
    config = BuildConfig(inputs=(logs,), output=Path("unused"))
    started = time.monotonic()
    with pytest.raises(OSError):
        serve(config, "127.0.0.1", busy.getsockname()[1], say=said.append)
    busy.close()
    assert not [line for line in said if line.startswith("built")]
    assert time.monotonic() - started < 5


def test_other_loopback_addresses_and_ipv6(logs: Path) -> None:
    server = Running(logs, "127.0.0.2")
    try:
        assert "loopback only" in next(x for x in server.lines if x.startswith("serving"))
        assert server.get("/index.html", f"127.0.0.2:{server.port}") == 200
    finally:
        server.close()
    if not socket.has_ipv6:
        return
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return  # no IPv6 loopback on this machine
    server = Running(logs, "::1")
    try:
        assert f"serving http://[::1]:{server.port}/ (loopback only)" in server.lines[-1]
        assert server.get("/index.html", f"[::1]:{server.port}") == 200
    finally:
        server.close()
    server = Running(logs, "::")  # every address: said loudly, and any Host name answered
    try:
        assert any(
            line.startswith("WARNING: :: is not a loopback address") for line in server.lines
        )
        assert "(reachable from other machines)" in server.lines[-1]
        server.host = "::1"
        assert server.get("/index.html", f"my-laptop.local:{server.port}") == 200
    finally:
        server.close()


def test_a_killed_serves_temp_folder_is_removed_by_the_next(logs: Path) -> None:
    stale = Path(tempfile.gettempdir()) / "runreport-serve-999999999-abc"  # no such pid
    (stale / "site").mkdir(parents=True, exist_ok=True)
    server = Running(logs)
    server.close()
    assert not stale.exists()
