"""runreport: static, server-less reports of machine-learning runs.

The names below are imported when first used (PEP 562), so that ``import runreport`` in a
training script, and the ``runreport`` command before it knows what it will do, stay quick:
reading runs needs numpy and polars, building a site jinja2 and altair.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .api import best_run, load
    from .model import Kind, Metric, Run, Status
    from .notebook import show
    from .tracking import ActiveRun, start_run

#: Public name -> the module that defines it.
_LAZY = {
    "best_run": "api",
    "load": "api",
    "Kind": "model",
    "Metric": "model",
    "Run": "model",
    "Status": "model",
    "show": "notebook",
    "ActiveRun": "tracking",
    "start_run": "tracking",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups find it without calling this again
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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
