"""``runreport serve``: build into a temporary folder, serve it on loopback, rebuild what
changed when the log folders change (``watchfiles``), and let open pages reload themselves."""

from __future__ import annotations

import contextlib
import functools
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable
from dataclasses import replace
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import watchfiles

from .build import BuildConfig, BuildResult, build_site
from .cache import site_manifest
from .errors import RunreportError


class _Handler(SimpleHTTPRequestHandler):
    """Static files of the site, never cached by the browser (they change while serving), and
    no request log on the terminal."""

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(
    config: BuildConfig,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    say: Callable[[str], None] = print,
    stop: threading.Event | None = None,
) -> None:
    """Build ``config``'s inputs into a temporary site, serve it at ``host:port`` and rebuild
    on every change below the inputs until ``stop`` is set or Ctrl-C; then stop the server and
    remove the site. A failed rebuild is reported and the last good site keeps being served."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        # SIGTERM (a process manager, `timeout`, `kill`) stops as cleanly as Ctrl-C
        signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    workdir = Path(tempfile.mkdtemp(prefix="runreport-serve-"))
    site = workdir / "site"
    config = replace(config, output=site, live=True)
    server: ThreadingHTTPServer | None = None
    try:
        _report(say, build_site(config))
        handler = functools.partial(_Handler, directory=str(site))
        server = ThreadingHTTPServer((host, port), handler)
        thread = threading.Thread(target=server.serve_forever, name="runreport-http", daemon=True)
        thread.start()
        where = "loopback only" if host in ("127.0.0.1", "localhost", "::1") else "all can reach it"
        shown = f"[{host}]" if ":" in host else host
        say(
            f"serving http://{shown}:{server.server_address[1]}/ ({where}); watching "
            f"{', '.join(str(p) for p in config.inputs)}; Ctrl-C stops"
        )
        for changes in watchfiles.watch(*config.inputs, stop_event=stop, raise_interrupt=False):
            say(f"{len(changes)} change{'s' if len(changes) != 1 else ''}; rebuilding")
            try:
                _report(say, build_site(config))
            except (RunreportError, OSError) as exc:
                say(f"rebuild failed, still serving the last site: {exc}")
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        shutil.rmtree(workdir, ignore_errors=True)
        with contextlib.suppress(OSError):
            site_manifest(site).unlink(missing_ok=True)
        say("stopped")


def _report(say: Callable[[str], None], result: BuildResult) -> None:
    say(
        f"built {result.pages} pages for {result.runs} runs ({result.read} read, "
        f"{result.reused} files reused); {result.warnings} problems"
        + (" (see problems.html)" if result.problems else "")
    )
