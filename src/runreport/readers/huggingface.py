"""Hugging Face ``Trainer`` output folders: ``trainer_state.json`` and ``*_results.json``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from ..errors import Problems
from ..model import Metric, Run, Status, Value
from .base import is_regular, list_files, loads_json, read_text, scan, series

STATE = "trainer_state.json"
#: Keys of a log_history entry that are coordinates, not metrics.
_AXES = frozenset({"step", "epoch"})
#: Top-level state fields shown as parameters.
_PARAMS = (
    "num_train_epochs",
    "max_steps",
    "train_batch_size",
    "logging_steps",
    "eval_steps",
    "save_steps",
    "is_hyper_param_search",
    "trial_name",
)
_PROPERTIES = (
    "best_metric",
    "best_model_checkpoint",
    "best_global_step",
    "global_step",
    "epoch",
    "total_flos",
    "num_input_tokens_seen",
)
_CHECKPOINT = re.compile(r"checkpoint-(\d+)$")


def _checkpoints(path: Path) -> list[tuple[int, Path]]:
    found = []
    try:
        children = [
            Path(e.path)
            for e in scan(path)
            if (e.name == "last-checkpoint" or _CHECKPOINT.fullmatch(e.name))
            and e.is_dir(follow_symlinks=False)
        ]
    except OSError:
        children = []
    for child in children:
        m = _CHECKPOINT.fullmatch(child.name)
        if (m or child.name == "last-checkpoint") and is_regular(child / STATE):
            found.append((int(m.group(1)) if m else -1, child / STATE))
    return sorted(found)


def _load_json(path: Path, problems: Problems) -> Any:
    text = read_text(path, problems, limit=256 << 20)
    if text is None:
        return None
    try:
        return loads_json(text)  # the stdlib accepts the bare NaN / Infinity that HF writes
    except json.JSONDecodeError as exc:
        problems.warn(path, exc.lineno, f"invalid JSON ({exc.msg}); file skipped")
        return None
    except ValueError as exc:
        problems.warn(path, None, f"{exc}; file skipped")
        return None


class HuggingFaceReader:
    """Reads a ``Trainer`` output folder (the newest state when only checkpoints hold one)."""

    name: ClassVar[str] = "huggingface"
    nested_runs: ClassVar[bool] = False

    def detect(self, path: Path) -> bool:
        """A folder with ``trainer_state.json``, a ``checkpoint-N/`` holding one, or
        ``all_results.json``."""
        return (
            is_regular(path / STATE)
            or is_regular(path / "all_results.json")
            or bool(_checkpoints(path))
        )

    def read(self, path: Path, problems: Problems) -> Iterator[Run]:
        """The one run in ``path``."""
        state_file = path / STATE
        if not is_regular(state_file):
            checkpoints = _checkpoints(path)
            if checkpoints:
                # the newest checkpoint: the highest global_step (last-checkpoint compared too)
                best = max(checkpoints, key=lambda c: (_global_step(c[1], problems), c[0]))
                state_file = best[1]
        state = _load_json(state_file, problems) if is_regular(state_file) else {}
        if state is not None and not isinstance(state, dict):
            problems.warn(state_file, None, "not a JSON object; skipped")
        if not isinstance(state, dict):
            state = {}
        history = state.get("log_history") or []
        if not isinstance(history, list):
            problems.warn(state_file, None, "log_history is not a list; ignored")
            history = []
        metrics = _series(history, state.get("global_step"), state_file, problems)
        results = {}
        for name in (
            "all_results.json",
            "train_results.json",
            "eval_results.json",
            "test_results.json",
        ):
            data = _load_json(path / name, problems) if is_regular(path / name) else None
            if isinstance(data, dict):
                results.update({k: v for k, v in data.items() if k not in results})
        have = {m.name for m in metrics}
        extra = [
            series(k, None, [v])
            for k, v in results.items()
            if k not in have
            and k not in _AXES
            and isinstance(v, (int, float))
            and not isinstance(v, bool)
        ]
        finished = any("train_runtime" in e for e in history if isinstance(e, dict)) or (
            bool(results) and "train_runtime" in results
        )
        max_steps = state.get("max_steps")
        step = state.get("global_step")
        if not finished and isinstance(max_steps, int) and isinstance(step, int) and max_steps:
            finished = step >= max_steps
        yield Run(
            id=str(path),
            name=path.name,
            experiment=path.parent.name or path.name,
            status=Status.COMPLETED if finished else Status.UNKNOWN,
            format=self.name,
            path=path,
            params={k: state[k] for k in _PARAMS if state.get(k) is not None},
            properties={k: str(state[k]) for k in _PROPERTIES if state.get(k) is not None}
            | ({"state file": state_file.relative_to(path).as_posix()} if state else {}),
            metrics=tuple(metrics) + tuple(extra),
            logs=tuple(
                f
                for f in list_files(path, path)
                if "/" not in f.rel and f.rel.endswith((".log", ".txt", ".jsonl"))
            ),
        )


def _global_step(state_file: Path, problems: Problems) -> int:
    data = _load_json(state_file, problems)
    step = data.get("global_step") if isinstance(data, dict) else None
    return step if isinstance(step, int) else -1


def _series(
    history: list[Any], global_step: object, file: Path, problems: Problems
) -> list[Metric]:
    """One series per numeric key over ``step`` (entries without a step: the global step)."""
    points: dict[str, tuple[list[Value], list[Value]]] = {}
    fallback = global_step if isinstance(global_step, int) else None
    skipped = 0
    for entry in history:
        if not isinstance(entry, dict):
            skipped += 1
            continue
        step = entry.get("step", fallback)
        if not isinstance(step, (int, float)) or isinstance(step, bool):
            step = fallback
        for key, value in entry.items():
            # the epoch is a series over the step (as the Trainer's TensorBoard callback logs it)
            if key == "step" or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            steps, values = points.setdefault(key, ([], []))
            steps.append(step)
            values.append(value)
    if skipped:
        problems.warn(file, None, f"{skipped} log_history entries are not objects; skipped")
    return [series(k, s if None not in s else None, v) for k, (s, v) in points.items()]
