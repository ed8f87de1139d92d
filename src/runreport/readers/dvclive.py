"""DVCLive folders: ``metrics.json``, ``params.yaml``, ``plots/metrics/**.tsv``, images, sklearn
plots."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from ..errors import Problems
from ..model import Image, Metric, Run, Status, Value
from .base import (
    from_millis,
    is_plain_dir,
    is_regular,
    list_files,
    nonfinite,
    number,
    read_json,
    read_text,
    series,
    walk_files,
    with_times,
)
from .csvlogs import MAX_PARAM_DEPTH, read_params_yaml
from .tables import matrix_metric, table_metric

_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")
#: sklearn plot files: which two fields make the x/y of the curve.
_CURVES = {
    "roc": ("fpr", "tpr"),
    "precision_recall": ("recall", "precision"),
    "det": ("fpr", "fnr"),
    "calibration": ("prob_pred", "prob_true"),
}


class DvcLiveReader:
    """Reads one DVCLive output folder as one run."""

    name: ClassVar[str] = "dvclive"
    nested_runs: ClassVar[bool] = False

    def detect(self, path: Path) -> bool:
        """A folder with ``plots/metrics/`` or ``metrics.json`` beside ``plots/`` or
        ``params.yaml``."""
        if is_plain_dir(path / "plots" / "metrics"):
            return True
        return is_regular(path / "metrics.json") and (
            is_plain_dir(path / "plots") or is_regular(path / "params.yaml")
        )

    def read(self, path: Path, problems: Problems) -> Iterator[Run]:
        """The one run in ``path``."""
        plots = path / "plots"
        metrics: list[Metric] = []
        stamps: list[float] = []  # the first and last timestamp of each file that has them
        for tsv in (f for f in walk_files(plots / "metrics") if f.suffix == ".tsv"):
            name = tsv.relative_to(plots / "metrics").as_posix()[:-4]
            m = _tsv(tsv, name, problems, stamps)
            if m is not None:
                metrics.append(m)
        have = {m.name for m in metrics}
        latest = _latest(path / "metrics.json", problems)
        metrics += [series(k, None, [v]) for k, v in latest.items() if k not in have]
        metrics += _sklearn(plots / "sklearn", problems) + _custom(plots / "custom", problems)
        images = tuple(
            Image(ref.rel.removeprefix("plots/images/"), ref.path)
            for ref in list_files(plots / "images", path)
            if ref.rel.lower().endswith(_IMAGE_SUFFIXES)
        )
        params = (
            read_params_yaml(path / "params.yaml", problems)
            if is_regular(path / "params.yaml")
            else {}
        )
        named = path.name == "dvclive"
        yield Run(
            id=str(path),
            name=path.parent.name if named else path.name,
            experiment=(path.parent.parent.name if named else path.parent.name) or path.name,
            status=Status.UNKNOWN,
            format=self.name,
            path=path,
            # the first and last record times, where DVCLive wrote them (timestamp=True, system
            # metrics, dvclive before 2.0)
            start_time=from_millis(min(stamps)) if stamps else None,
            end_time=from_millis(max(stamps)) if stamps else None,
            params=params,
            metrics=tuple(metrics),
            images=images,
            outputs=list_files(path / "artifacts", path),
        )


def _tsv(file: Path, name: str, problems: Problems, stamps: list[float]) -> Metric | None:
    """One metric's TSV file, by its header (``timestamp`` in ms, ``step``, the value last);
    the first and last timestamps are added to ``stamps``."""
    text = read_text(file, problems, limit=512 << 20)
    if not text:
        return None
    rows: list[tuple[int, list[str]]] = []  # (line number, cells) of each row read
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t")
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # a field past the csv module's limit, say
            problems.warn(file, reader.line_num, f"unreadable row ({exc}); row skipped")
            continue
        if row:
            rows.append((reader.line_num, row))
    if not rows:
        return None
    header = rows[0][1]
    value_cols = [i for i, h in enumerate(header) if h not in ("step", "timestamp")]
    if not value_cols:
        problems.warn(file, 1, "no value column; file skipped")
        return None
    vi = value_cols[-1]
    si = header.index("step") if "step" in header else None
    ti = header.index("timestamp") if "timestamp" in header else None
    steps: list[Value] = []
    values: list[Value] = []
    seconds: list[float | None] = []  # each row's time (its timestamp is in milliseconds)
    for line, row in rows[1:]:
        if len(row) != len(header):
            problems.warn(file, line, f"{len(row)} cells for {len(header)} columns; row skipped")
            continue
        value = number(row[vi])
        if value is None:
            problems.warn(file, line, f"{row[vi]!r} is not a number; row skipped")
            continue
        steps.append(number(row[si]) if si is not None else None)
        values.append(value)
        stamp = number(row[ti]) if ti is not None else None
        seconds.append(None if stamp is None else stamp / 1000.0)
    if not values:
        return None
    times = [t for t in seconds if t is not None and t == t]
    if times:
        stamps += [min(times) * 1000.0, max(times) * 1000.0]
    metric = series(name, steps if si is not None and None not in steps else None, values)
    return with_times(metric, seconds)


def _flatten(data: dict[str, Any], prefix: str = "", depth: int = 0) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and depth < MAX_PARAM_DEPTH:  # deeper: not a metric
            out.update(_flatten(value, f"{name}/", depth + 1))
        elif isinstance(value, str) and nonfinite(value) is not None:
            out[name] = nonfinite(value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[name] = value
    return out


def _latest(file: Path, problems: Problems) -> dict[str, Value]:
    """``metrics.json``: the last value of each metric, nested on ``/`` (``step`` dropped)."""
    data = read_json(file, problems, "metrics.json")
    if not isinstance(data, dict):
        return {}
    data.pop("step", None)
    return _flatten(data)


def _json_files(folder: Path, problems: Problems) -> Iterator[tuple[str, Any]]:
    if not is_plain_dir(folder):
        return
    for file in (f for f in walk_files(folder) if f.suffix == ".json"):
        data = read_json(file, problems, "plot file")
        if data is not None:
            yield file.relative_to(folder).as_posix()[:-5], data


def _sklearn(folder: Path, problems: Problems) -> list[Metric]:
    """sklearn plots: a confusion matrix as a heatmap, curves as two-variable tables."""
    out: list[Metric] = []
    for name, data in _json_files(folder, problems):
        if (
            isinstance(data, list)
            and data
            and all(isinstance(d, dict) and {"actual", "predicted"} <= set(d) for d in data)
        ):
            counts = Counter((str(d["actual"]), str(d["predicted"])) for d in data)
            labels = sorted(
                {a for a, _ in counts} | {p for _, p in counts},
                key=lambda s: (number(s) is None, number(s) or 0, s),
            )
            matrix = [[counts.get((a, p), 0) for p in labels] for a in labels]
            out.append(matrix_metric(name, labels, matrix))
            continue
        if isinstance(data, dict):
            for key, (x, y) in _CURVES.items():
                rows = data.get(key)
                if isinstance(rows, list) and rows and all(isinstance(r, dict) for r in rows):
                    out.append(
                        table_metric(
                            name, {x: [r.get(x) for r in rows], y: [r.get(y) for r in rows]}
                        )
                    )
                    break
    return out


def _custom(folder: Path, problems: Problems) -> list[Metric]:
    """``log_plot`` data: a list of records, shown as a table by the rules."""
    out: list[Metric] = []
    for name, data in _json_files(folder, problems):
        if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
            keys = list(dict.fromkeys(k for r in data for k in r))
            out.append(table_metric(name, {k: [r.get(k) for r in data] for k in keys}))
    return out
