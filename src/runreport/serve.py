"""``runreport serve``: build into a temporary folder, serve it on loopback, rebuild what
changed when the log folders change (``watchfiles``), and let open pages reload themselves."""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import watchfiles

from .build import BuildConfig, BuildResult, build_site
from .cache import site_manifest
from .errors import RunreportError
from .remote import poll_remotes

#: Connections the server's socket queues while all its threads are busy (the standard
#: library's default of 5 made clients time out under load).
LISTEN_BACKLOG = 1024
_TMP_PREFIX = "runreport-serve-"


class _Handler(SimpleHTTPRequestHandler):
    """Static files of the site, never cached by the browser (they change while serving), and
    no request log on the terminal. Only requests naming this server's own host are answered
    (a page on another site cannot reach it through DNS rebinding), folders are never listed,
    and nothing that is a link, or outside the site, is served."""

    allowed_hosts: frozenset[str] = frozenset()  # empty: any (listening on every address)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_head(self) -> Any:
        host = (self.headers.get("Host") or "").strip().lower()
        if self.allowed_hosts and host not in self.allowed_hosts:
            self.send_error(HTTPStatus.MISDIRECTED_REQUEST, "Unknown host")
            return None
        path = self.translate_path(self.path)
        if not _inside(path, self.directory):
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        return super().send_head()

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        self.send_error(HTTPStatus.NOT_FOUND, "File not found")
        return None


def _inside(path: str, root: str) -> bool:
    """True when ``path`` is ``root`` or below it with no link on the way (so no byte from
    outside the site is ever served)."""
    real_root = os.path.realpath(root)
    absolute = os.path.abspath(path)
    return os.path.realpath(absolute) == absolute and (
        absolute == real_root or absolute.startswith(real_root + os.sep)
    )


class _Server(ThreadingHTTPServer):
    request_queue_size = LISTEN_BACKLOG

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-answer is no error worth a traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Server6(_Server):
    address_family = socket.AF_INET6


def listening(host: str, port: int, directory: Path) -> tuple[ThreadingHTTPServer, bool]:
    """A server bound to ``host:port`` (IPv4 or IPv6) serving ``directory``, and whether only
    this machine can reach it (a loopback address)."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None  # a host name
    if host == "localhost":
        address = ipaddress.ip_address("127.0.0.1")
    cls = _Server6 if address is not None and address.version == 6 else _Server
    allowed: set[str] = set()  # Host headers answered (none listed: any)

    class Handler(_Handler):
        allowed_hosts = frozenset()

    server = cls(
        (str(address) if address is not None else host, port),
        functools.partial(Handler, directory=str(directory)),
    )
    port = server.server_address[1]
    loopback = address is not None and address.is_loopback
    if address is None:
        allowed = {host.lower()}
    elif not address.is_unspecified:
        shown = f"[{address}]" if address.version == 6 else str(address)
        allowed = {host.lower(), shown} | ({"localhost"} if loopback else set())
    Handler.allowed_hosts = frozenset(f"{name}:{port}" for name in allowed)
    return server, loopback


def clean_stale_workdirs() -> None:
    """Remove the temporary folders of ``serve`` processes that were killed (their pid is in
    the name and no longer runs)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{_TMP_PREFIX}*-*"):
        pid = folder.name.removeprefix(_TMP_PREFIX).split("-", 1)[0]
        if not pid.isdigit() or folder.is_symlink() or not folder.is_dir():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass


def serve(
    config: BuildConfig,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    say: Callable[[str], None] = print,
    stop: threading.Event | None = None,
    remotes: Sequence[tuple[str, Mapping[str, str]]] = (),
    poll: float = 30.0,
) -> None:
    """Build ``config``'s inputs into a temporary site, serve it at ``host:port`` and rebuild
    on every change below the inputs until ``stop`` is set or Ctrl-C; then stop the server and
    remove the site. A failed rebuild is reported and the last good site keeps being served.
    ``remotes`` (URLs in object storage and their storage options, whose mirrors are among the
    inputs) are listed again every ``poll`` seconds: what changed there lands in the mirrors,
    which are watched as any folder."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        # SIGTERM (a process manager, `timeout`, `kill`) and SIGHUP (a closed terminal) stop
        # as cleanly as Ctrl-C
        for signum in (signal.SIGTERM, getattr(signal, "SIGHUP", signal.SIGTERM)):
            signal.signal(signum, lambda _signum, _frame: stop.set())
    clean_stale_workdirs()
    workdir = Path(tempfile.mkdtemp(prefix=f"{_TMP_PREFIX}{os.getpid()}-"))
    site = workdir / "site"
    config = replace(config, output=site, live=True)
    server: ThreadingHTTPServer | None = None
    try:
        server, loopback = listening(host, port, site)  # a busy port fails before any build
        _report(say, build_site(config))
        thread = threading.Thread(target=server.serve_forever, name="runreport-http", daemon=True)
        thread.start()
        shown = f"[{host.strip('[]')}]" if ":" in host else host
        url = f"http://{shown}:{server.server_address[1]}/"
        if not loopback:
            say(
                f"WARNING: {host} is not a loopback address: anyone who can reach this "
                f"machine on port {server.server_address[1]} can read every page and log"
            )
        where = "loopback only" if loopback else "reachable from other machines"
        say(
            f"serving {url} ({where}); watching "
            f"{', '.join(str(p) for p in config.inputs)}; Ctrl-C stops"
        )
        if remotes:
            args = (remotes, poll, stop, say)
            threading.Thread(
                target=poll_remotes, args=args, name="runreport-poll", daemon=True
            ).start()
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
    if result.unchanged:
        say(f"nothing changed for the site ({result.runs} runs); {result.warnings} problems")
        return
    say(
        f"built {result.pages} pages for {result.runs} runs ({result.read} read, "
        f"{result.reused} files reused); {result.warnings} problems"
        + (" (see problems.html)" if result.problems else "")
    )
