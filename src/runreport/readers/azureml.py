"""Azure ML v1: ``run.get_metrics()`` dumped to JSON (also ``recursive=True``).

The shapes are Azure's own: a scalar logged once is the value, a series or ``log_list`` a list,
``log_row``/``log_table`` a ``{column: [values]}`` object. A recursive dump
``{run_id: {metric: …}}`` (``recursive=True``: the run and its descendants) becomes a run per
id, each child under the id it extends (``HD_x_0`` under ``HD_x``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from ..errors import Problems
from ..model import Kind, Metric, Run, Status, Value
from .base import cell, is_regular, open_regular, parse_json, scan
from .tables import json_table

#: JSON files bigger than this are not opened while looking for dumps.
MAX_DUMP_BYTES = 64 << 20
#: File names other tools own (their readers come first, but a lone copy must not be taken).
_OTHER_TOOLS = frozenset(
    {
        "trainer_state.json",
        "all_results.json",
        "train_results.json",
        "eval_results.json",
        "test_results.json",
        "package.json",
        "tsconfig.json",
        "config.json",
        "metrics.json",
    }
)


def _is_table(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(v, list) for v in value.values())
        and len({len(v) for v in value.values()}) == 1
    )


def _is_value(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, list):
        return all(v is None or isinstance(v, (bool, int, float, str)) for v in value)
    return _is_table(value) or (isinstance(value, dict) and "schema_type" in value)


def _is_metrics(data: Any) -> bool:
    return isinstance(data, dict) and bool(data) and all(_is_value(v) for v in data.values())


def _shape(data: Any) -> str | None:
    """``"run"``, ``"recursive"``, ``"empty"`` (``{}``: what ``get_metrics()`` returns for a run
    that logged nothing) or None (not a get_metrics() dump)."""
    if data == {}:
        return "empty"
    if not isinstance(data, dict):
        return None
    if all(isinstance(v, dict) for v in data.values()) and not all(
        _is_table(v) for v in data.values()
    ):
        # a child run that logged nothing is an empty object
        children = [v for v in data.values() if v != {}]
        return "recursive" if children and all(_is_metrics(v) for v in children) else None
    if not _is_metrics(data):
        return None
    # a plain dict of numbers is too common to claim without a list or table in it
    has_series = any(isinstance(v, (list, dict)) for v in data.values())
    return "run" if has_series else None


def _candidates(path: Path) -> Iterator[tuple[Path, Any, str]]:
    try:
        files = sorted(
            p
            for p in (Path(e.path) for e in scan(path) if e.name.lower().endswith(".json"))
            if p.suffix.lower() == ".json"
            and is_regular(p)
            and not p.is_symlink()
            and p.name not in _OTHER_TOOLS
        )
    except OSError:
        return
    for file in files:
        try:
            if os.lstat(file).st_size > MAX_DUMP_BYTES:
                continue
            with open_regular(file) as fh:
                data = parse_json(fh.read())
        except (OSError, ValueError):
            continue
        shape = _shape(data)
        if shape:
            yield file, data, shape


def metrics_of(data: dict[str, Any]) -> tuple[Metric, ...]:
    """Model metrics from one run's ``get_metrics()`` dict."""
    out: list[Metric] = []
    for name, value in data.items():
        if isinstance(value, dict) and "schema_type" in value:
            table = json_table(name, value)
            if table is not None:
                out.append(table)
        elif isinstance(value, dict):
            out.append(
                Metric(
                    name,
                    Kind.TABLE,
                    {str(c): tuple(cell(v)[0] for v in col) for c, col in value.items()},
                    calls=1,
                )
            )
        elif isinstance(value, list):
            cells: tuple[Value, ...] = tuple(cell(v)[0] for v in value)
            out.append(Metric(name, Kind.SCALAR, {"value": cells}, calls=len(cells)))
        else:
            out.append(Metric(name, Kind.SCALAR, {"value": (cell(value)[0],)}, calls=1))
    return tuple(out)


def parent_keys(keys: list[str]) -> dict[str, str]:
    """Each run id's parent among ``keys``: the longest other id it extends with ``_`` (Azure
    names a HyperDrive run's children ``HD_x_0``, ``HD_x_1``… after it, and a pipeline's
    steps likewise). Ids with none are top-level runs."""
    out: dict[str, str] = {}
    for key in keys:
        found = [p for p in keys if p != key and key.startswith(f"{p}_")]
        if found:
            out[key] = max(found, key=len)
    return out


class AzureMlDumpReader:
    """Reads JSON files holding what Azure ML's ``run.get_metrics()`` returned."""

    name: ClassVar[str] = "azureml-metrics"
    nested_runs: ClassVar[bool] = False

    def detect(self, path: Path) -> bool:
        """A folder with a JSON file shaped like a ``get_metrics()`` result."""
        return next(_candidates(path), None) is not None

    def read(self, path: Path, problems: Problems) -> Iterator[Run]:
        """One run per dump, or a parent with its children for a recursive dump."""
        for file, data, shape in _candidates(path):
            experiment = path.name or file.stem

            def run(
                run_id: str,
                name: str,
                parent: str | None,
                metrics: tuple[Metric, ...],
                file: Path = file,
                experiment: str = experiment,
            ) -> Run:
                return Run(
                    id=run_id,
                    name=name,
                    experiment=experiment,
                    status=Status.UNKNOWN,
                    format=self.name,
                    path=file,
                    parent_id=parent,
                    metrics=metrics,
                )

            if shape == "empty":
                problems.info(file, None, "an empty get_metrics() dump: a run with no metrics")
            if shape in ("run", "empty"):
                yield run(str(file), file.stem, None, metrics_of(data))
                continue
            parents = parent_keys([str(k) for k in data])
            for run_id, metrics in data.items():
                parent = parents.get(str(run_id))
                yield run(
                    f"{file}#{run_id}",
                    str(run_id),
                    f"{file}#{parent}" if parent is not None else None,
                    metrics_of(metrics),
                )
