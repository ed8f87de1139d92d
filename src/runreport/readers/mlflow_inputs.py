"""What MLflow records about a run beside its metrics: the datasets it used (``log_input``)
and the models it logged (``log_model``), from the file store or the SQLite store.

MLflow 3 keeps both at the experiment's level (``<experiment>/datasets/<id>/meta.yaml``,
``<experiment>/models/<model id>/`` with the model's files under ``artifacts/``), linked from
the run's ``inputs/<id>/meta.yaml`` and ``outputs/<id>/meta.yaml`` (in SQLite: the
``datasets``, ``inputs``, ``input_tags`` and ``logged_models`` tables). MLflow 2 logged a model
into the run's own artifacts, in a folder holding its ``MLmodel`` file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import yaml

from ..errors import Problems
from ..model import Dataset, FileRef, LoggedModel
from .base import (
    is_plain_dir,
    is_regular,
    list_files,
    load_yaml,
    parse_json,
    read_text,
    report_yaml_error,
)

#: The tag of a run input saying what the dataset was used for.
CONTEXT_TAG = "mlflow.data.context"


def yaml_mapping(path: Path, problems: Problems) -> dict[str, Any] | None:
    """A YAML file of MLflow's (``meta.yaml``, ``MLmodel``) as a mapping; None when it cannot
    be read, is not YAML (reported at its line) or is not a mapping (reported)."""
    text = read_text(path, problems)
    if text is None:
        return None
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        report_yaml_error(problems, path, exc, "skipped")
        return None
    if not isinstance(data, dict):
        problems.warn(path, None, "not a YAML mapping; skipped")
        return None
    return data


def _mapping(path: Path, problems: Problems) -> dict[str, Any]:
    """A YAML file a run links to, as a mapping; empty when it is missing or unreadable."""
    return (yaml_mapping(path, problems) if is_regular(path) else None) or {}


def _json(text: object) -> Any:
    try:
        return parse_json(text) if isinstance(text, str) and text else None
    except ValueError:
        return None


def dataset(meta: Mapping[str, Any], context: str) -> Dataset:
    """A dataset from what MLflow stores of it (``name``, ``digest``, ``source``: JSON,
    ``source_type``, ``schema``: JSON with ``mlflow_colspec``, ``profile``: JSON)."""
    source = _json(meta.get("source"))
    if isinstance(source, dict):
        source = source.get("uri") or source.get("url") or source.get("path") or source
    schema = _json(meta.get("schema"))
    specs = schema.get("mlflow_colspec") if isinstance(schema, dict) else None
    profile = _json(meta.get("profile"))
    rows = profile.get("num_rows") if isinstance(profile, dict) else None
    return Dataset(
        name=str(meta.get("name") or ""),
        digest=str(meta.get("digest") or ""),
        source=str(source) if source is not None else str(meta.get("source") or ""),
        source_type=str(meta.get("source_type") or ""),
        context=context,
        columns=tuple(
            str(c.get("name")) for c in specs or () if isinstance(c, dict) and c.get("name")
        ),
        rows=rows if isinstance(rows, int) and not isinstance(rows, bool) else None,
    )


def flavors(mlmodel: Path, problems: Problems) -> tuple[str, ...]:
    """The flavors an ``MLmodel`` file declares (``python_function``, ``sklearn``…)."""
    found = _mapping(mlmodel, problems).get("flavors")
    return tuple(str(k) for k in found) if isinstance(found, dict) else ()


def artifact_models(
    artifacts: Iterable[FileRef], problems: Problems
) -> tuple[tuple[LoggedModel, ...], frozenset[str]]:
    """Models logged into a run's artifacts (MLflow 2: a folder holding ``MLmodel``), and
    those folders' paths (their files are a model's, never metric tables)."""
    refs = list(artifacts)
    folders = sorted({r.rel.rpartition("/")[0] for r in refs if r.rel.endswith("/MLmodel")})
    models = tuple(
        LoggedModel(
            name=folder.removeprefix("artifacts/"),
            flavors=flavors(next(r.path for r in refs if r.rel == f"{folder}/MLmodel"), problems),
            files=sum(r.rel.startswith(f"{folder}/") for r in refs),
        )
        for folder in folders
    )
    return models, frozenset(folders)


def _links(run: Path, kind: str, problems: Problems) -> list[dict[str, Any]]:
    """The ``meta.yaml`` of each of a run's ``inputs/`` or ``outputs/`` links."""
    folder = run / kind
    if not is_plain_dir(folder):
        return []
    return [
        meta
        for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink())
        if (meta := _mapping(sub / "meta.yaml", problems))
    ]


def linked_files(run: Path) -> tuple[Path, ...]:
    """The files outside a file-store run folder that its datasets and models are read from
    (its read depends on them)."""
    problems = Problems()
    exp = run.parent
    out: list[Path] = []
    for link in _links(run, "inputs", problems):
        if link.get("source_type") == "DATASET":
            out.append(exp / "datasets" / str(link.get("source_id")) / "meta.yaml")
    for link in _links(run, "outputs", problems):
        if link.get("destination_type") == "MODEL_OUTPUT":
            model = exp / "models" / str(link.get("destination_id"))
            out.append(model / "meta.yaml")
            out += [r.path for r in list_files(model / "artifacts", model)]
    return tuple(p for p in out if is_regular(p))


def file_store(
    run: Path, problems: Problems
) -> tuple[tuple[Dataset, ...], tuple[LoggedModel, ...], tuple[FileRef, ...]]:
    """A file-store run's datasets, its MLflow 3 logged models, and those models' files (as
    outputs, under ``models/<model name>/``)."""
    exp = run.parent
    datasets = []
    for link in _links(run, "inputs", problems):
        if link.get("source_type") != "DATASET":
            continue
        meta = _mapping(exp / "datasets" / str(link.get("source_id")) / "meta.yaml", problems)
        tags = link.get("tags")
        context = tags.get(CONTEXT_TAG) if isinstance(tags, dict) else None
        if meta:
            datasets.append(dataset(meta, str(context or "")))
    models: list[LoggedModel] = []
    files: list[FileRef] = []
    for link in _links(run, "outputs", problems):
        if link.get("destination_type") != "MODEL_OUTPUT":
            continue
        folder = exp / "models" / str(link.get("destination_id"))
        meta = _mapping(folder / "meta.yaml", problems)
        if not meta:
            continue
        model, refs = _model(meta, folder / "artifacts", problems)
        models.append(model)
        files += refs
    return tuple(datasets), tuple(models), tuple(files)


def _model(
    meta: Mapping[str, Any], artifacts: Path | None, problems: Problems
) -> tuple[LoggedModel, list[FileRef]]:
    """A logged model from its metadata, with its files when ``artifacts`` is a folder."""
    name = str(meta.get("name") or meta.get("model_id") or "model")
    found = artifacts is not None and is_plain_dir(artifacts)
    refs = [
        FileRef(r.path, f"models/{name}/{r.rel}", r.size)
        for r in (list_files(artifacts, artifacts) if artifacts is not None and found else ())
    ]
    model = LoggedModel(
        name=name,
        id=str(meta.get("model_id") or ""),
        flavors=flavors(artifacts / "MLmodel", problems) if artifacts is not None else (),
        files=len(refs),
    )
    return model, refs


def local_folder(root: Path, location: object) -> Path | None:
    """The folder a store's ``artifact_location`` names, when it is inside ``root`` (the
    folder given to read): a location elsewhere on the machine is never read, as a hostile
    store could name any folder."""
    if not isinstance(location, str) or not location:
        return None
    parsed = urlparse(location)
    if parsed.scheme not in ("", "file"):
        return None
    path = Path(unquote(parsed.path))
    path = path if path.is_absolute() else root / path
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return None
    return path


def sqlite_store(
    con: sqlite3.Connection, root: Path, problems: Problems
) -> tuple[dict[str, list[Dataset]], dict[str, list[tuple[LoggedModel, list[FileRef]]]]]:
    """Each run's datasets and logged models (with their files, when on this machine) from
    an MLflow 3 SQLite store; nothing from an older one without these tables."""
    tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    datasets: dict[str, list[Dataset]] = {}
    if {"datasets", "inputs", "input_tags"} <= tables:
        contexts = dict(
            con.execute("SELECT input_uuid, value FROM input_tags WHERE name = ?", (CONTEXT_TAG,))
        )
        for input_id, run_id, name, digest, stype, source, schema, profile in con.execute(
            "SELECT i.input_uuid, i.destination_id, d.name, d.digest, d.dataset_source_type,"
            " d.dataset_source, d.dataset_schema, d.dataset_profile FROM inputs i"
            " JOIN datasets d ON d.dataset_uuid = i.source_id"
            " WHERE i.source_type = 'DATASET' AND i.destination_type = 'RUN'"
            " ORDER BY i.destination_id, d.name"
        ):
            meta = {
                "name": name,
                "digest": digest,
                "source_type": stype,
                "source": source,
                "schema": schema,
                "profile": profile,
            }
            datasets.setdefault(run_id, []).append(dataset(meta, str(contexts.get(input_id) or "")))
    models: dict[str, list[tuple[LoggedModel, list[FileRef]]]] = {}
    if "logged_models" in tables:
        for model_id, name, location, run_id in con.execute(
            "SELECT model_id, name, artifact_location, source_run_id FROM logged_models"
            " WHERE lifecycle_stage != 'deleted' ORDER BY creation_timestamp_ms, model_id"
        ):
            meta = {"name": name, "model_id": model_id}
            models.setdefault(str(run_id), []).append(
                _model(meta, local_folder(root, location), problems)
            )
    return datasets, models
