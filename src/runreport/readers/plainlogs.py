"""Plain training logs (console transcripts, Python ``logging`` output): metrics found in text.

Two kinds of line are read, both common in the wild:
- Python dict lines, as Hugging Face's Trainer prints them: ``{'loss': 0.69, 'epoch': 0.5}``
  (read with ``ast.literal_eval``, never ``eval``);
- ``Name=value`` / ``Name: value`` pairs, such as ``Epoch 3: Train Loss=0.07, Val Loss=0.08``
  or ``Epoch 1 - Batch loss: 12.13``; a pair counts only when its name is seen on at least
  ``MIN_PAIR_LINES`` lines (a one-off dump of settings is not a metric).

x is the epoch when the line names one (``Epoch N``), else the order of appearance.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from ..errors import Problems
from ..model import FileRef, Metric, Run, Status, Value
from .base import MAX_INT_DIGITS, is_regular, open_regular, read_text, scan, series

#: A log must hold at least this many lines with metrics to be taken for a training log.
MIN_METRIC_LINES = 5
MIN_PAIR_LINES = 3
#: Only the first bytes of a log are looked at when deciding whether it is one.
DETECT_BYTES = 1 << 20
_SUFFIXES = (".log", ".txt", ".out")
_DICT = re.compile(r"\{'[^{}]*\}")
_PAIR = re.compile(
    r"(?<![\w.])([A-Za-z][A-Za-z0-9_/\- ]{0,40}?)"  # a name, not inside another word
    r"\s*[=:]\s*"
    r"(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?![\w.:])"  # a number, not a time or a version
)
_EPOCH = re.compile(r"\bepoch\s*[:=]?\s*(\d{1,18})\b", re.IGNORECASE)


def _lines(text: str) -> list[str]:
    # console transcripts overwrite progress bars with bare \r: keep what was left on screen
    return [line.rsplit("\r", 1)[-1] for line in text.replace("\r\n", "\n").split("\n")]


def parse(text: str) -> tuple[dict[str, tuple[list[Value], list[Value]]], int]:
    """Series found in a log's text, and the number of lines that held metrics."""
    dicts: dict[str, tuple[list[Value], list[Value]]] = {}
    pairs: dict[str, tuple[list[Value], list[Value]]] = {}
    pair_lines: dict[str, int] = {}
    hits = 0
    epoch: int | None = None
    for line in _lines(text):
        found = False
        for m in _DICT.finditer(line):
            try:
                data = ast.literal_eval(m.group(0))
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                continue
            if not isinstance(data, dict):
                continue
            for key, value in data.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    xs, ys = dicts.setdefault(str(key), ([], []))
                    xs.append(len(xs))
                    ys.append(value)
                    found = True
        if not found:
            e = _EPOCH.search(line)
            epoch = int(e.group(1)) if e else epoch
            for key, raw in _PAIR.findall(line):
                # "INFO - Epoch 1 - Batch loss": the name is the last part
                name = re.split(r"\s+-\s+|\|", key)[-1].strip()
                if not name or name.lower() == "epoch":
                    continue
                xs, ys = pairs.setdefault(name, ([], []))
                xs.append(epoch if epoch is not None and e else len(xs))
                # (an integer past Python's digit limit is read as the float it is near)
                exact = len(raw) <= MAX_INT_DIGITS and not any(c in raw for c in ".eE")
                ys.append(int(raw) if exact else float(raw))
                pair_lines[name] = pair_lines.get(name, 0) + 1
                found = True
        hits += found
    kept = {k: v for k, v in pairs.items() if pair_lines[k] >= MIN_PAIR_LINES}
    return {**dicts, **{k: v for k, v in kept.items() if k not in dicts}}, hits


def _logs(path: Path) -> list[Path]:
    return [
        Path(e.path)
        for e in scan(path)
        if e.name.lower().endswith(_SUFFIXES) and is_regular(Path(e.path))
    ]


def _is_training_log(file: Path) -> bool:
    try:
        with open_regular(file) as fh:
            head = fh.read(DETECT_BYTES).decode("utf-8", "replace")
    except OSError:
        return False
    series_found, hits = parse(head)
    return hits >= MIN_METRIC_LINES and bool(series_found)


class PlainLogReader:
    """Reads ``*.log`` / ``*.txt`` training logs, one run per file (the last reader asked)."""

    name: ClassVar[str] = "plain-log"
    nested_runs: ClassVar[bool] = False

    def detect(self, path: Path) -> bool:
        """A folder with a text log that holds at least a few lines of metrics."""
        return any(_is_training_log(f) for f in _logs(path))

    def read(self, path: Path, problems: Problems) -> Iterator[Run]:
        """One run per training log in ``path``."""
        for file in _logs(path):
            if not _is_training_log(file):
                continue
            text = read_text(file, problems, limit=256 << 20) or ""
            found, _ = parse(text)
            metrics: list[Metric] = []
            for name, (xs, ys) in found.items():
                metrics.append(series(name, xs if len(set(xs)) > 1 or len(xs) == 1 else None, ys))
            size = file.stat().st_size
            yield Run(
                id=str(file),
                name=file.stem,
                experiment=path.name or file.stem,
                status=Status.UNKNOWN,
                format=self.name,
                path=file,
                metrics=tuple(metrics),
                logs=(FileRef(path=file, rel=file.name, size=size),),
            )
