"""MLflow's SQLite store (``mlflow.db``), MLflow's default since 3.7.

Read with the standard library's ``sqlite3``, read-only (the ``mlflow`` package is neither
needed nor used); tags mean what they mean in the file store (:mod:`.mlflow`).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from ..errors import Problems
from ..model import Run
from .base import from_millis, is_plain_dir, is_regular, list_files, series
from .mlflow import from_tags, status_of
from .mlflow_inputs import artifact_models, local_folder, sqlite_store
from .tables import artifact_tables, merge_dotted_tables, stamped

#: MLflow stores infinities clamped to the largest double.
_DOUBLE_MAX = 1.7976931348623157e308


class MlflowSqliteReader:
    """Reads the SQLite store (``mlflow.db``) that MLflow uses by default since 3.7."""

    name: ClassVar[str] = "mlflow-sqlite"
    nested_runs: ClassVar[bool] = False

    def detect(self, path: Path) -> bool:
        """A folder holding ``mlflow.db``."""
        return is_regular(path / "mlflow.db")

    def read(self, path: Path, problems: Problems) -> Iterator[Run]:
        """Every run in ``path/mlflow.db``."""
        db = path / "mlflow.db"
        try:
            con = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            problems.error(db, None, f"cannot open the database ({exc})")
            return
        try:
            yield from self._read(con, db, problems)
        except sqlite3.Error as exc:
            problems.error(db, None, f"not a readable MLflow database ({exc})")
        finally:
            con.close()

    def _read(self, con: sqlite3.Connection, db: Path, problems: Problems) -> Iterator[Run]:
        experiments = {
            str(eid): (name, stage)
            for eid, name, stage in con.execute(
                "SELECT experiment_id, name, lifecycle_stage FROM experiments"
            )
        }
        metrics: dict[str, dict[str, tuple[list[int | None], list[float | int | None]]]] = {}
        times: dict[str, dict[str, list[int]]] = {}
        for run_uuid, key, value, step, is_nan, stamp in con.execute(
            "SELECT run_uuid, key, value, step, is_nan, timestamp FROM metrics "
            "ORDER BY run_uuid, key, timestamp, step, rowid"
        ):
            v = math.nan if is_nan else float(value)
            if v == _DOUBLE_MAX:
                v = math.inf
            elif v == -_DOUBLE_MAX:
                v = -math.inf
            steps, values = metrics.setdefault(run_uuid, {}).setdefault(key, ([], []))
            steps.append(step)
            values.append(v)
            times.setdefault(run_uuid, {}).setdefault(key, []).append(stamp)
        params: dict[str, dict[str, str]] = {}
        for run_uuid, key, value in con.execute("SELECT run_uuid, key, value FROM params"):
            params.setdefault(run_uuid, {})[key] = value
        tags: dict[str, dict[str, str]] = {}
        for run_uuid, key, value in con.execute("SELECT run_uuid, key, value FROM tags"):
            tags.setdefault(run_uuid, {})[key] = value or ""
        datasets, logged_models = sqlite_store(con, db.parent, problems)
        for run_uuid, name, status, start, end, stage, exp_id, artifact_uri in con.execute(
            "SELECT run_uuid, name, status, start_time, end_time, lifecycle_stage, experiment_id,"
            " artifact_uri FROM runs ORDER BY start_time, run_uuid"
        ):
            exp_name, exp_stage = experiments.get(str(exp_id), (str(exp_id), "active"))
            run_tags = tags.get(run_uuid, {})
            run_times = times.get(run_uuid, {})
            run_metrics = [
                series(k, s, v) for k, (s, v) in sorted(metrics.get(run_uuid, {}).items())
            ]
            artifacts_dir = _artifact_dir(db.parent, artifact_uri, str(exp_id), run_uuid)
            artifacts = list_files(artifacts_dir, artifacts_dir.parent) if artifacts_dir else ()
            models, model_folders = artifact_models(artifacts, problems)
            logged = logged_models.get(run_uuid, [])
            yield Run(
                id=run_uuid,
                name=run_tags.get("mlflow.runName") or name or run_uuid,
                experiment=exp_name,
                status=status_of(status),
                format=self.name,
                path=db,
                start_time=from_millis(start),
                end_time=from_millis(end),
                params=params.get(run_uuid, {}),
                **from_tags(run_tags),
                deleted=stage == "deleted" or exp_stage == "deleted",
                metrics=tuple(merge_dotted_tables(stamped(run_metrics, run_times), run_times))
                + artifact_tables(
                    [r for r in artifacts if r.rel.rpartition("/")[0] not in model_folders],
                    problems,
                ),
                outputs=artifacts + tuple(f for _, files in logged for f in files),
                datasets=tuple(datasets.get(run_uuid, ())),
                models=models + tuple(model for model, _ in logged),
            )


def _artifact_dir(root: Path, uri: object, exp_id: str, run_id: str) -> Path | None:
    """The local artifact folder of a run in a SQLite store: where its ``artifact_uri`` says
    when that is inside the store's folder (never elsewhere on the machine), else MLflow's
    default places beside the database."""
    named = local_folder(root, uri)
    candidates = [named] if named is not None else []
    candidates += [
        root / "mlruns" / exp_id / run_id / "artifacts",
        root / "mlartifacts" / exp_id / run_id / "artifacts",
    ]
    return next((c for c in candidates if is_plain_dir(c)), None)
