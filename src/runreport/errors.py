"""Errors, and the problem sink: bad input is reported with its place, never raised."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class RunreportError(Exception):
    """An error raised on purpose; the CLI shows its text without a traceback."""


class ConfigError(RunreportError):
    """An option names something that is not there (a baseline run, say)."""


class SiteError(RunreportError):
    """The output folder cannot be written as asked (for example: it is not a runreport site)."""


class Severity(StrEnum):
    """How bad a problem is: warnings fail the build only with ``--strict``, infos never."""

    INFO = "info"  # worth knowing, never fails a build (a run still being written)
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, order=True)
class Problem:
    """One problem with the input, shown as ``path:line: message``."""

    path: str
    line: int | None
    message: str
    severity: Severity = Severity.WARNING

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


def problem_order(p: Problem) -> tuple[str, int, str]:
    """The order problems are listed in: by path, then line, then message."""
    return p.path, p.line or 0, p.message


#: Problems listed per file; more are counted and summed up in one line.
MAX_PROBLEMS_PER_FILE = 20


@dataclass
class Problems:
    """Collects problems while reading; readers report here instead of printing or raising.

    A file with thousands of bad lines lists its first ``MAX_PROBLEMS_PER_FILE`` and a count of
    the rest, so memory and the problems page stay small.
    """

    items: list[Problem] = field(default_factory=list)
    _per_file: dict[str, int] = field(default_factory=dict, repr=False)
    _dropped: dict[tuple[str, Severity], int] = field(default_factory=dict, repr=False)

    def _add(self, path: Path | str, line: int | None, message: str, severity: Severity) -> None:
        key = str(path)
        seen = self._per_file.get(key, 0)
        self._per_file[key] = seen + 1
        if seen >= MAX_PROBLEMS_PER_FILE:
            self._dropped[(key, severity)] = self._dropped.get((key, severity), 0) + 1
            return
        self.items.append(Problem(key, line, message, severity))

    def warn(self, path: Path | str, line: int | None, message: str) -> None:
        """Record a warning about ``path`` (and ``line`` when known)."""
        self._add(path, line, message, Severity.WARNING)

    def info(self, path: Path | str, line: int | None, message: str) -> None:
        """Record a note that never fails a build, such as a cut-off last line."""
        self._add(path, line, message, Severity.INFO)

    def error(self, path: Path | str, line: int | None, message: str) -> None:
        """Record an error: something that could not be read at all."""
        self._add(path, line, message, Severity.ERROR)

    def extend(self, problems: Iterable[Problem]) -> None:
        """Add problems collected elsewhere (a unit read in another process, or cached), as
        they are: their per-file limits were applied there."""
        self.items.extend(problems)

    def sorted(self) -> tuple[Problem, ...]:
        """The problems in a stable order (by path, then line), with the counts of the unlisted."""
        summary = [
            Problem(path, None, f"{n:,} more {severity.value}s in this file, not listed", severity)
            for (path, severity), n in self._dropped.items()
        ]
        return tuple(sorted([*self.items, *summary], key=problem_order))
