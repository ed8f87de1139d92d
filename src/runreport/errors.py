"""Errors, and the problem sink: bad input is reported with its place, never raised."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class RunreportError(Exception):
    """An error raised on purpose; the CLI shows its text without a traceback."""


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


@dataclass
class Problems:
    """Collects problems while reading; readers report here instead of printing or raising."""

    items: list[Problem] = field(default_factory=list)

    def warn(self, path: Path | str, line: int | None, message: str) -> None:
        """Record a warning about ``path`` (and ``line`` when known)."""
        self.items.append(Problem(str(path), line, message, Severity.WARNING))

    def info(self, path: Path | str, line: int | None, message: str) -> None:
        """Record a note that never fails a build, such as a cut-off last line."""
        self.items.append(Problem(str(path), line, message, Severity.INFO))

    def error(self, path: Path | str, line: int | None, message: str) -> None:
        """Record an error: something that could not be read at all."""
        self.items.append(Problem(str(path), line, message, Severity.ERROR))

    def sorted(self) -> tuple[Problem, ...]:
        """The problems in a stable order (by path, then line)."""
        return tuple(sorted(self.items, key=lambda p: (p.path, p.line or 0, p.message)))
