"""What a ``.wandb`` log holds, decoded record by record into plain values: the run's facts,
every history row, the summary and config as last updated, system metrics and the exit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..base import parse_json
from .records import Framed, record_class

#: Keys W&B adds to every history row.
ROW_KEYS = ("_step", "_runtime", "_timestamp")


@dataclass
class WandbLog:
    """The decoded content of one ``.wandb`` file."""

    info: dict[str, Any] = field(default_factory=dict)  # RunRecord fields (the last one seen)
    tags: list[str] = field(default_factory=list)
    start: datetime | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)  # history, ``_step`` in each
    summary: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    stats: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    exit_code: int | None = None
    runtime: float | None = None
    bad_values: int = 0  # values that were not JSON


def key_of(item: Any) -> str:
    """An item's name: its nested key joined with ``.`` as the W&B UI shows it (wandb-core
    writes even flat keys as a nested key of one part); older writers set ``key``."""
    return ".".join(item.nested_key) if item.nested_key else item.key


def decode(framed: Framed) -> WandbLog:
    """Every record of a framed log applied in order."""
    cls = record_class()
    log = WandbLog()
    for data in framed.records:
        record = cls()
        try:
            record.ParseFromString(data)
        except Exception:  # a record of another schema version: skipped, never fatal
            log.bad_values += 1
            continue
        what = record.WhichOneof("what")
        if what == "history":
            _history(log, record.history)
        elif what == "summary":
            _apply(log, log.summary, record.summary)
        elif what == "config":
            _apply(log, log.config, record.config)
        elif what == "stats":
            stamp = record.stats.timestamp
            values = {i.key: _value(log, i.value_json) for i in record.stats.item}
            log.stats.append((stamp.seconds + stamp.nanos / 1e9, values))
        elif what == "run":
            _run(log, record.run)
        elif what == "exit":
            log.exit_code, log.runtime = record.exit.exit_code, float(record.exit.runtime)
    return log


def _value(log: WandbLog, text: str) -> Any:
    try:
        return parse_json(text)
    except ValueError:
        log.bad_values += 1
        return None


def _history(log: WandbLog, history: Any) -> None:
    row = {key_of(i): _value(log, i.value_json) for i in history.item}
    if not isinstance(row.get("_step"), int) or isinstance(row.get("_step"), bool):
        row["_step"] = history.step.num if history.HasField("step") else len(log.rows)
    log.rows.append(row)


def _apply(log: WandbLog, target: dict[str, Any], updates: Any) -> None:
    for item in updates.update:
        target[key_of(item)] = _value(log, item.value_json)
    for item in updates.remove:
        target.pop(key_of(item), None)


def _run(log: WandbLog, run: Any) -> None:
    for name in ("run_id", "entity", "project", "run_group", "job_type", "display_name"):
        if getattr(run, name):
            log.info[name] = getattr(run, name)
    for name in ("notes", "host", "sweep_id"):
        if getattr(run, name):
            log.info[name] = getattr(run, name)
    if run.tags:
        log.tags = list(run.tags)
    if run.HasField("start_time") and run.start_time.seconds:
        t = run.start_time
        log.start = datetime.fromtimestamp(t.seconds + t.nanos / 1e9, UTC)
    if run.HasField("config"):
        _apply(log, log.config, run.config)
    if run.HasField("summary"):
        _apply(log, log.summary, run.summary)
