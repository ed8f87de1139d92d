"""Tables that tools store outside the metric stream: JSON artifacts and dotted metric keys.

- ``mlflow.log_table`` writes ``{"columns": [...], "data": [[...], ...]}``.
- Azure ML's JSON with a ``schema_type``: ``confusion_matrix``, ``accuracy_table``, ``residuals``
  and ``predictions`` (what ``run.log_confusion_matrix`` & co. log; ``mlflow.log_dict`` after
  the move to MLflow).
- Azure's MLflow migration logs ``log_row("t", a=…, b=…)`` as metrics ``t.a`` and ``t.b`` at one
  step: such a group is one table again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import Problems
from ..model import FileRef, Kind, Metric, Value, pylist
from .base import open_regular, parse_json, with_times

#: JSON artifacts bigger than this are not opened to look for tables.
MAX_TABLE_JSON_BYTES = 5 * 1024 * 1024


def _cells(values: Iterable[Any]) -> tuple[Value, ...]:
    out: list[Value] = []
    for v in values:
        out.append(v if v is None or isinstance(v, (bool, int, float, str)) else str(v))
    return tuple(out)


def matrix_metric(name: str, labels: Sequence[Any], matrix: Sequence[Sequence[Any]]) -> Metric:
    """A confusion matrix (rows = actual, columns = predicted) in long form."""
    actual: list[Value] = []
    predicted: list[Value] = []
    count: list[Value] = []
    names = [str(label) for label in labels]
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            actual.append(names[i] if i < len(names) else str(i))
            predicted.append(names[j] if j < len(names) else str(j))
            count.append(value if isinstance(value, (int, float)) else None)
    return Metric(
        name,
        Kind.MATRIX,
        {"actual": tuple(actual), "predicted": tuple(predicted), "count": tuple(count)},
    )


def table_metric(name: str, columns: Mapping[str, Sequence[Any]]) -> Metric:
    """A table given as ``{column: [values]}``."""
    return Metric(name, Kind.TABLE, {str(k): _cells(v) for k, v in columns.items()})


def json_table(name: str, data: Any) -> Metric | None:
    """The table a JSON document holds, if it is one of the known table layouts."""
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("columns"), list) and isinstance(data.get("data"), list):
        cols = [str(c) for c in data["columns"]]
        rows = [r for r in data["data"] if isinstance(r, list)]
        return table_metric(
            name, {c: [r[i] if i < len(r) else None for r in rows] for i, c in enumerate(cols)}
        )
    schema = data.get("schema_type")
    body = data.get("data")
    if not isinstance(schema, str) or not isinstance(body, dict):
        return None
    if schema == "confusion_matrix" and isinstance(body.get("matrix"), list):
        return matrix_metric(name, body.get("class_labels") or [], body["matrix"])
    if schema == "residuals" and isinstance(body.get("bin_edges"), list):
        edges, counts = body["bin_edges"], body.get("bin_counts") or []
        return table_metric(name, {"residual (bin start)": edges[: len(counts)], "count": counts})
    if schema == "predictions" and isinstance(body.get("bin_averages"), list):
        edges = body.get("bin_edges") or list(range(len(body["bin_averages"]) + 1))
        n = len(body["bin_averages"])
        return table_metric(
            name,
            {
                "true value (bin start)": edges[:n],
                "average prediction": body["bin_averages"],
                "error": (body.get("bin_errors") or [None] * n)[:n],
            },
        )
    if schema == "accuracy_table" and isinstance(body.get("probability_tables"), list):
        thresholds = body.get("probability_thresholds") or []
        columns: dict[str, list[Any]] = {"threshold": list(thresholds)}
        for label, table in zip(
            body.get("class_labels") or [], body["probability_tables"], strict=False
        ):
            tpr, fpr = [], []
            for cell in table:
                tp, fp, tn, fn = [*list(cell), 0, 0, 0, 0][:4]
                tpr.append(tp / (tp + fn) if (tp + fn) else None)
                fpr.append(fp / (fp + tn) if (fp + tn) else None)
            columns[f"TPR ({label})"] = tpr[: len(thresholds)]
            columns[f"FPR ({label})"] = fpr[: len(thresholds)]
        return table_metric(name, columns)
    return None


def artifact_tables(artifacts: Iterable[FileRef], problems: Problems) -> tuple[Metric, ...]:
    """Tables found in a run's JSON artifacts (other JSON files are left as plain outputs)."""
    out = []
    for ref in artifacts:
        if not ref.rel.lower().endswith(".json") or ref.size > MAX_TABLE_JSON_BYTES:
            continue
        try:
            with open_regular(ref.path) as fh:
                data = parse_json(fh.read(MAX_TABLE_JSON_BYTES + 1))
        except (OSError, ValueError):
            continue  # not every JSON artifact is meant for us
        name = ref.rel.split("/", 1)[-1].removesuffix(".json")
        metric = json_table(name, data)
        if metric is not None:
            out.append(metric)
    return tuple(out)


#: One metric's timestamps, in the order of its values.
Stamps = Sequence[int] | np.ndarray


def stamped(metrics: Sequence[Metric], times: Mapping[str, Stamps]) -> list[Metric]:
    """The metrics, each with its points' wall times from its timestamps (milliseconds, as
    MLflow stores them) where it has one per point (see :func:`~.base.with_times`)."""
    return [
        with_times(m, np.asarray(times[m.name], dtype=np.float64) / 1000.0)
        if m.name in times and m.kind is Kind.SCALAR
        else m
        for m in metrics
    ]


def merge_dotted_tables(metrics: Sequence[Metric], times: Mapping[str, Stamps]) -> list[Metric]:
    """The metrics, each under the name it was logged with, and a table ``t`` for metrics
    ``t.a``, ``t.b``… that are proven to have been logged as rows: one ``log_metrics`` call
    per row, as Azure's MLflow migration logs ``log_row``/``log_table``.

    The proof is in what MLflow stores: two or more such metrics with the same number of
    points (more than one), all at one step, and each row's points with one timestamp (one
    ``log_metrics`` call stamps every metric it logs alike). Metrics logged one
    ``log_metric`` call at a time (``train.loss`` then ``train.acc`` in a loop) are stamped
    apart and stay series; so does a series that moves its step (``val.acc`` over epochs).
    A table never takes the name of a metric that was logged.
    """
    groups: dict[str, list[Metric]] = {}
    for m in metrics:
        prefix, dot, _ = m.name.rpartition(".")
        if dot and prefix:
            groups.setdefault(prefix, []).append(m)
    logged = {m.name for m in metrics}
    tables = []
    for prefix, members in sorted(groups.items()):
        if len(members) < 2 or prefix in logged or not _one_row_each(members, times):
            continue
        columns = {m.name[len(prefix) + 1 :]: m.columns["value"] for m in members}
        tables.append(Metric(prefix, Kind.TABLE, columns, calls=members[0].calls))
    return [*metrics, *tables]


def _one_row_each(members: Sequence[Metric], times: Mapping[str, Stamps]) -> bool:
    """Whether ``members`` were logged together row by row (see :func:`merge_dotted_tables`)."""
    lengths = {m.length for m in members}
    if len(lengths) != 1 or lengths == {1}:
        return False
    steps = {tuple(pylist(m.columns.get("step", ()))) for m in members}
    if len(steps) != 1 or len(set(next(iter(steps)))) != 1:
        return False
    if any(m.name not in times for m in members):
        return False
    first = np.asarray(times[members[0].name])
    return all(np.array_equal(first, np.asarray(times[m.name])) for m in members[1:])
