"""Following a run while it is written: :meth:`runreport.model.Run.wait_for_completion`
(Azure's ``run.wait_for_completion(show_output=True)``).

Reading the run again is the readers' job, which sit above the model; so the readers install
:func:`wait_for_completion` with their way of reading a run again (see
:func:`runreport.model.install_waiting`), and this module imports only the model and the
file-system layer.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

from .errors import RunreportError
from .files import open_regular
from .model import Run, Status

#: Log text streamed per file and poll at most.
MAX_LOG_CHUNK = 8 << 20


def wait_for_completion(
    run: Run,
    *,
    reread: Callable[[Run], Run],
    show_output: bool = False,
    interval: float = 5.0,
    timeout: float | None = None,
    raise_on_error: bool = True,
    out: IO[str] | None = None,
) -> Run:
    """Wait until ``run`` (read from disk, and read again with ``reread``) is no longer
    Running and return it as it ended; with ``show_output``, stream its log files' new text
    meanwhile. Raises if it Failed (unless not ``raise_on_error``) or if ``timeout`` seconds
    pass first."""
    stream = out or sys.stdout
    offsets: dict[Path, int] = {}
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        if show_output:
            stream_logs([ref.path for ref in run.logs], offsets, stream)
        if run.status is not Status.RUNNING:
            break
        if deadline is not None and time.monotonic() > deadline:
            raise RunreportError(f"run {run.title!r} still Running after {timeout:g} s")
        time.sleep(interval)
        run = reread(run)
    if show_output:
        stream_logs([ref.path for ref in run.logs], offsets, stream)
    if raise_on_error and run.status is Status.FAILED:
        raise RunreportError(f"run {run.title!r} failed: {run.error or 'no error text'}")
    return run


def stream_logs(paths: Iterable[Path], offsets: dict[Path, int], stream: IO[str]) -> None:
    """Write what each log gained since the last call (whole lines only)."""
    for path in paths:
        try:
            with open_regular(path) as fh:  # never through a link, never a FIFO
                fh.seek(offsets.get(path, 0))
                data = fh.read(MAX_LOG_CHUNK)
        except OSError:
            continue
        complete = data[: data.rfind(b"\n") + 1]
        if complete:
            offsets[path] = offsets.get(path, 0) + len(complete)
            stream.write(complete.decode("utf-8", errors="replace"))
            stream.flush()
