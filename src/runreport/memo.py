"""Values made from one object alone, kept while a long-lived process builds again.

``runreport serve`` rebuilds with the same run views as before for every run whose files did
not change (the parse cache keeps them in memory), so what a page makes from one view alone
need not be made again: at 10,000 runs, the site index's entries and ``runs.json``'s took a
quarter of a second per rebuild.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

__all__ = ["ByObject"]


class ByObject(Generic[K, V]):
    """``make(obj)``, kept for the very object ``obj`` (compared by identity, and held so
    that its id is not reused) through the next :meth:`next_build`: what a build did not ask
    for is then let go. ``make`` must depend on ``obj`` alone, and what it returns must not be
    changed by its callers."""

    def __init__(self, make: Callable[[K], V]) -> None:
        self._make = make
        self._now: dict[int, tuple[K, V]] = {}
        self._before: dict[int, tuple[K, V]] = {}

    def __call__(self, obj: K) -> V:
        key = id(obj)
        kept = self._now.get(key) or self._before.get(key)
        if kept is None or kept[0] is not obj:
            kept = (obj, self._make(obj))
        self._now[key] = kept
        return kept[1]

    def next_build(self) -> None:
        """Keep only what the build since the last call asked for."""
        self._before, self._now = self._now, {}
