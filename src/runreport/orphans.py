"""Worker processes never outlive the build that started them.

A build killed with SIGKILL cannot stop its workers, so each process it starts asks the kernel
to kill it when its parent dies (Linux ``PR_SET_PDEATHSIG``): the worker server (forked by
the build) and each worker (forked by the server). Imported first by the worker server (see
:data:`runreport.workers.PRELOAD`), which it guards on import; elsewhere importing it does
nothing. Where the call does not exist (macOS, Windows) the workers still end when they next
read from the build's closed pipe.
"""

from __future__ import annotations

import ctypes
import os
import signal

#: Set by :func:`runreport.workers.start` to the pid of the build starting the server.
PARENT_ENV = "RUNREPORT_WORKER_PARENT"
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None = None) -> None:
    """Have the kernel SIGKILL this process when its parent exits; if ``parent`` (the pid it
    must have) is already gone, exit now."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # this process, libc included
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux
        return
    if parent is not None and os.getppid() != parent:  # died before the call took effect
        os._exit(1)


#: In the worker server and the workers it forks: the server's pid.
_server: int | None = None


def _guard_server() -> None:
    global _server
    expected = os.environ.get(PARENT_ENV, "")
    if expected.isdigit():  # only in the worker server, started with the build's pid
        die_with_parent(int(expected))  # (exits now if the build is already gone)
        _server = os.getpid()


def die_with_server() -> None:
    """A worker's first act: die with the worker server that forked it, and exit now if the
    server died before the call took effect (a worker forked just as the build was killed
    would otherwise live on, and keep multiprocessing's resource tracker alive)."""
    die_with_parent(_server)


_guard_server()
