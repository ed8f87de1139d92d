"""runreport: static, server-less reports of machine-learning runs."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

from .api import best_run, load
from .model import Kind, Metric, Run, Status
from .tracking import ActiveRun, start_run


def show(target: Any, *, live: bool = False, interval: float = 10.0) -> None:
    """Show runs in a notebook (see :func:`runreport.notebook.show`)."""
    from .notebook import show as _show

    _show(target, live=live, interval=interval)


__all__ = [
    "ActiveRun",
    "Kind",
    "Metric",
    "Run",
    "Status",
    "__version__",
    "best_run",
    "load",
    "show",
    "start_run",
]
