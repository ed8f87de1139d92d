"""The server that worker processes reading runs are forked from.

``forkserver``, not ``fork``: forking a process whose polars threads are running can deadlock.
The server imports :mod:`runreport.build` once (about 0.3 s) and each worker is a fork of it.
This module imports nothing heavy, so that ``runreport build`` can start the server before it
imports the rest of runreport itself: both imports then run at once, on different cores.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver
import os
from pathlib import Path

from .orphans import PARENT_ENV
from .orphans import die_with_parent as die_with_parent
from .orphans import die_with_server as die_with_server
from .site import MARKER

#: What the server imports before it forks workers (the first: see :func:`die_with_parent`).
PRELOAD = ["runreport.orphans", "runreport.build"]


def start() -> None:
    """Start the server if it is not running; return at once (it imports in the background).

    The server, and so every worker, runs polars with one thread: the workers fill the cores.
    """
    multiprocessing.get_context("forkserver").set_forkserver_preload(PRELOAD)
    saved = {k: os.environ.get(k) for k in ("POLARS_MAX_THREADS", PARENT_ENV)}
    os.environ["POLARS_MAX_THREADS"] = "1"
    os.environ[PARENT_ENV] = str(os.getpid())  # the server dies with this process
    try:
        multiprocessing.forkserver.ensure_running()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def can_fork() -> bool:
    """Whether processes can be forked from a server here (not on Windows)."""
    return "forkserver" in multiprocessing.get_all_start_methods()


def context() -> multiprocessing.context.ForkServerContext:
    """The context worker pools are made with, its server started."""
    start()
    return multiprocessing.get_context("forkserver")


def start_for_build(output: Path, jobs: int, *, cache: bool = True) -> None:
    """Start the server now (see :func:`start`) if a build into ``output`` with ``jobs``
    processes is likely to read every run: a first build, or one that ignores the cache.
    A rebuild reads only the runs that changed, and starts the server only if it needs it.
    Call it before importing :mod:`runreport.build`, whose imports then overlap the server's."""
    if not can_fork():
        return  # (Windows) a build that needs workers says so when it asks for them
    if jobs > 1 and (not cache or not (output / MARKER).is_file()):
        start()
