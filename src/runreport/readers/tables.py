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

from ..errors import Problems
from ..model import FileRef, Kind, Metric, Value, pylist
from .base import open_regular, parse_json

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


def merge_dotted_tables(metrics: Sequence[Metric]) -> list[Metric]:
    """Metrics ``t.a``, ``t.b``… logged together at one step, row by row, become table ``t``.

    That is how Azure's MLflow migration logs ``log_row``/``log_table``: every row at the same
    step. A real series (``val.acc`` over epochs) moves its step and is left alone.
    """
    groups: dict[str, list[Metric]] = {}
    for m in metrics:
        prefix, dot, _ = m.name.rpartition(".")
        if dot and prefix:
            groups.setdefault(prefix, []).append(m)
    merged: dict[str, Metric] = {}
    for prefix, members in groups.items():
        if len(members) < 2:
            continue
        lengths = {m.length for m in members}
        steps = {tuple(pylist(m.columns.get("step", ()))) for m in members}
        if len(lengths) != 1 or len(steps) != 1:
            continue
        [step] = steps
        if len(set(step)) != 1 or lengths == {1}:
            continue
        columns = {m.name[len(prefix) + 1 :]: m.columns["value"] for m in members}
        merged[prefix] = Metric(prefix, Kind.TABLE, columns, calls=members[0].calls)
    taken = {m.name for prefix in merged for m in groups[prefix]}
    out = [m for m in metrics if m.name not in taken]
    out.extend(merged[p] for p in sorted(merged))
    return out
