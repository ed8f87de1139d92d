"""runreport: static, server-less reports of machine-learning runs."""

from __future__ import annotations

__version__ = "0.1.0"

from .api import best_run, load
from .model import Kind, Metric, Run, Status
from .tracking import ActiveRun, start_run

__all__ = [
    "ActiveRun",
    "Kind",
    "Metric",
    "Run",
    "Status",
    "__version__",
    "best_run",
    "load",
    "start_run",
]
