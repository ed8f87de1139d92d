"""CSV loggers: PyTorch Lightning's ``CSVLogger`` and Keras' ``CSVLogger``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import yaml

from ..errors import Problems
from ..model import Metric, Run, Status, Value
from .base import (
    is_regular,
    load_yaml,
    loads_json,
    number,
    open_regular,
    read_text,
    report_yaml_error,
    scan,
    series,
    yaml_int_or_text,
)

#: Metric CSV files bigger than this are read up to this size (the rest is reported).
MAX_CSV_BYTES = 512 << 20


class _TolerantLoader(yaml.SafeLoader):  # (PyYAML's own parser: libyaml has no such hook)
    """SafeLoader that reads python-tagged nodes (``!!python/tuple``, ``!!python/object:…``)
    as plain lists, mappings or text instead of refusing the whole file."""


def _construct_any(loader: _TolerantLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_TolerantLoader.add_multi_constructor("tag:yaml.org,2002:python/", _construct_any)
_TolerantLoader.add_multi_constructor("!", _construct_any)
_TolerantLoader.add_constructor("tag:yaml.org,2002:int", yaml_int_or_text)


def read_params_yaml(path: Path, problems: Problems) -> dict[str, Any]:
    """A hyper-parameter YAML file, flattened; python tags read as plain values and reported."""
    text = read_text(path, problems)
    if text is None:
        return {}
    try:
        data = load_yaml(text)
    except yaml.constructor.ConstructorError:
        try:
            data = yaml.load(text, Loader=_TolerantLoader)  # a SafeLoader subclass
        except (yaml.YAMLError, RecursionError) as exc:
            report_yaml_error(problems, path, exc, "parameters skipped")
            return {}
        problems.info(path, None, "python-specific YAML tags read as plain values")
    except yaml.YAMLError as exc:
        report_yaml_error(problems, path, exc, "parameters skipped")
        return {}
    return flatten(data) if isinstance(data, dict) else {}


#: Most nodes of a parameter tree shown (YAML aliases can make a small file a huge tree).
MAX_PARAM_NODES = 10_000


#: Deepest nesting of a parameter tree shown (deeper values are replaced by a note).
MAX_PARAM_DEPTH = 64


def _small(value: Any, budget: list[int]) -> bool:
    """True while walking ``value`` stays within ``budget`` nodes (shared by the whole file)
    and :data:`MAX_PARAM_DEPTH` levels."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        budget[0] -= 1
        if budget[0] < 0 or depth > MAX_PARAM_DEPTH:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend((v, depth + 1) for v in item)
    return True


def flatten(
    data: dict[str, Any], prefix: str = "", budget: list[int] | None = None, depth: int = 0
) -> dict[str, Any]:
    """Nested mappings as ``a.b.c`` keys; lists and other values as JSON text or themselves.
    A tree bigger than ``MAX_PARAM_NODES`` is cut, with ``…`` as the value where it stopped;
    so is one nested deeper than ``MAX_PARAM_DEPTH``."""
    budget = [MAX_PARAM_NODES] if budget is None else budget
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if budget[0] <= 0:
            out[f"{prefix}…"] = "(more parameters not shown)"
            break
        if isinstance(value, dict) and value and depth >= MAX_PARAM_DEPTH:
            out[name] = "(nested too deeply to show)"
        elif isinstance(value, dict) and value:
            budget[0] -= 1
            out.update(flatten(value, f"{name}.", budget, depth + 1))
        elif isinstance(value, (list, tuple, dict)):
            out[name] = (
                json.dumps(value, default=str, ensure_ascii=False)
                if _small(value, budget)
                else "(too large to show)"
            )
        elif value is None or isinstance(value, (bool, int, float, str)):
            out[name] = value
        else:
            out[name] = str(value)
    return out


def _read_csv(path: Path, problems: Problems) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line number, cells) rows; blank lines (``\\r\\r\\n`` endings) skipped."""
    text = read_text(path, problems, limit=MAX_CSV_BYTES)
    if not text:
        return [], []
    sample = text[:4096]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    if sample.count(";") > sample.count(",") and sample.count(";") > sample.count("\t"):
        delimiter = ";"
    reader = csv.reader(io.StringIO(text.replace("\r\r\n", "\n"), newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    header: list[str] = []
    try:
        for cells in reader:
            if not cells or all(not c.strip() for c in cells):
                continue
            if not header:
                header = [c.strip() for c in cells]
                continue
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        problems.warn(path, reader.line_num, f"CSV error ({exc}); rest of file skipped")
    return header, rows


def _columns(
    path: Path,
    header: list[str],
    rows: list[tuple[int, list[str]]],
    x_name: str | None,
    skip: frozenset[str],
    problems: Problems,
) -> list[Metric]:
    """One series per column over ``x_name``, from the rows where the cell is not empty."""
    x_index = header.index(x_name) if x_name in header else None
    points: dict[str, tuple[list[Value], list[Value]]] = {
        h: ([], []) for h in header if h not in skip and h != x_name
    }
    bad = 0
    for line, cells in rows:
        if len(cells) != len(header):
            problems.warn(path, line, f"{len(cells)} cells for {len(header)} columns; row skipped")
            continue
        x: Value = number(cells[x_index]) if x_index is not None else None
        for h, cell in zip(header, cells, strict=True):
            if h not in points or not cell.strip():
                continue
            value = number(cell)
            if value is None:
                if cell.strip().upper() not in ("NA", "N/A", "NONE", "NULL"):
                    bad += 1
                continue
            steps, values = points[h]
            steps.append(x)
            values.append(value)
    if bad:
        problems.warn(path, None, f"{bad} cells are not numbers; skipped")
    out = []
    for h, (steps, values) in points.items():
        if values:
            out.append(
                series(h, steps if x_index is not None and None not in steps else None, values)
            )
    return out


def _is_lightning_csv(path: Path) -> bool:
    metrics = path / "metrics.csv"
    if not is_regular(metrics):
        # a version whose job stopped before the logger's first flush: hparams.yaml alone
        return path.name.startswith("version_") and is_regular(path / "hparams.yaml")
    if is_regular(path / "hparams.yaml") or is_regular(path / "meta_tags.csv"):
        return True
    try:
        with open_regular(metrics) as fh:
            first = fh.readline(4096).decode("utf-8", "replace")
    except OSError:
        return False
    return "step" in [c.strip() for c in first.split(",")]


class LightningCsvReader:
    """Reads ``lightning_logs/version_N/`` (``metrics.csv`` + ``hparams.yaml``), including the
    pre-1.0 test-tube layout (``meta_tags.csv``, ``created_at``)."""

    name: ClassVar[str] = "lightning-csv"
    nested_runs: ClassVar[bool] = False

    def detect(self, path: Path) -> bool:
        """A folder with ``metrics.csv`` beside ``hparams.yaml`` or with a ``step`` column, or a
        ``version_N`` folder with ``hparams.yaml`` alone."""
        return _is_lightning_csv(path)

    def read(self, path: Path, problems: Problems) -> Iterator[Run]:
        """The one run in ``path``."""
        file = path / "metrics.csv"
        header: list[str] = []
        rows: list[tuple[int, list[str]]] = []
        if is_regular(file):
            header, rows = _read_csv(file, problems)
        else:
            problems.info(path, None, "hparams.yaml alone: no metric was written (yet)")
        x = "step" if "step" in header else ("epoch" if "epoch" in header else None)
        # epoch over step is a series, as Lightning's TensorBoard logger writes it
        skip = frozenset({x or "step", "created_at"})
        metrics = _columns(file, header, rows, x, skip, problems)
        params: dict[str, Any] = {}
        if is_regular(path / "hparams.yaml"):
            params = read_params_yaml(path / "hparams.yaml", problems)
        start = end = None
        if is_regular(path / "meta_tags.csv"):
            tags_header, tag_rows = _read_csv(path / "meta_tags.csv", problems)
            if tags_header[:2] == ["key", "value"]:
                params.update({cells[0]: cells[1] for _, cells in tag_rows if len(cells) >= 2})
        if "created_at" in header:
            i = header.index("created_at")
            times = [_parse_time(cells[i]) for _, cells in rows if len(cells) > i]
            stamps = [t for t in times if t is not None]
            start, end = (min(stamps), max(stamps)) if stamps else (None, None)
        name = path.name
        if is_regular(path / "meta.experiment"):
            meta = read_text(path / "meta.experiment", problems) or "{}"
            try:
                version = loads_json(meta).get("version")
                name = f"version_{version}" if version is not None else name
            except (ValueError, AttributeError):
                problems.warn(path / "meta.experiment", None, "not a JSON object; ignored")
        parent = path.parent.name if path.name.startswith("version_") else path.name
        experiment = (
            parent
            if parent != "lightning_logs"
            else (
                (path.parent.parent.name if path.name.startswith("version_") else path.parent.name)
                or parent
            )
        )
        yield Run(
            id=str(path),
            name=name,
            experiment=experiment,
            status=Status.UNKNOWN,
            format=self.name,
            path=path,
            start_time=start,
            end_time=end,
            params=params,
            metrics=tuple(metrics),
        )


def _parse_time(text: str) -> datetime | None:
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


_LOG_SUFFIXES = (".csv", ".log", ".tsv", ".txt")


def keras_files(path: Path) -> list[Path]:
    """CSV logs in ``path`` whose header starts with ``epoch`` (Keras' CSVLogger)."""
    found = []
    try:
        # (a name test first: a folder of 10,000 runs makes no Path per run)
        entries = [Path(e.path) for e in scan(path) if e.name.lower().endswith(_LOG_SUFFIXES)]
    except OSError:
        return []
    for f in entries:
        if not is_regular(f) or f.suffix.lower() not in _LOG_SUFFIXES:
            continue
        try:
            with open_regular(f) as fh:
                first = fh.readline(4096).decode("utf-8", "replace").strip()
        except OSError:
            continue
        if first.split(",")[0].split("\t")[0].split(";")[0].strip() == "epoch" and len(first) > 6:
            found.append(f)
    return found


class KerasCsvReader:
    """Reads Keras ``CSVLogger`` files (each file one run; a resumed fit restarts the epochs)."""

    name: ClassVar[str] = "keras-csv"
    nested_runs: ClassVar[bool] = False

    def detect(self, path: Path) -> bool:
        """A folder with a CSV log whose header starts with ``epoch``."""
        return bool(keras_files(path))

    def read(self, path: Path, problems: Problems) -> Iterator[Run]:
        """One run per CSV log in ``path``."""
        for file in keras_files(path):
            header, rows = _read_csv(file, problems)
            epochs = [number(cells[0]) for _, cells in rows]
            resumed = [
                rows[i][0]
                for i in range(1, len(rows))
                if (e := epochs[i]) is not None and (p := epochs[i - 1]) is not None and e <= p
            ]
            if resumed:
                problems.info(
                    file,
                    resumed[0],
                    "epochs restart here (a second fit appended to "
                    "the same file); both kept, in file order",
                )
            yield Run(
                id=str(file),
                name=file.stem,
                experiment=path.name,
                status=Status.UNKNOWN,
                format=self.name,
                path=file,
                metrics=tuple(
                    _columns(file, header, rows, "epoch", frozenset({"epoch"}), problems)
                ),
                properties={"file": file.name},
            )
