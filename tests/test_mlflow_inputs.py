"""MLflow's datasets (``log_input``) and logged models (``log_model``), written by mlflow
itself, shown on the run page; a model's files are outputs, never metric tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import PRODUCER_WARNINGS, invoke, mlflow_uri, read

pytestmark = PRODUCER_WARNINGS


def _log(mlflow: Any, uri: str) -> str:
    import pandas as pd

    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("inputs")
    df = pd.DataFrame({"a": [1, 2, 3], "y": [0, 1, 0]})

    class Echo(mlflow.pyfunc.PythonModel):  # type: ignore[misc, name-defined]
        def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
            return model_input  # untyped: mlflow warns about hints it cannot check

    with mlflow.start_run(run_name="with-data") as run:
        ds = mlflow.data.from_pandas(df, source="s3://bucket/train.csv", name="train", targets="y")
        mlflow.log_input(ds, context="training")
        mlflow.log_metric("loss", 0.5)
        mlflow.pyfunc.log_model(name="model", python_model=Echo(), input_example=df[["a"]].head(2))
    return str(run.info.run_id)


@pytest.mark.parametrize("store", ["file", "sqlite"])
def test_datasets_and_logged_models_on_the_run_page(
    mlflow_store: Any, tmp_path: Path, store: str
) -> None:
    mlflow = mlflow_store
    uri = mlflow_uri(tmp_path, store)
    run_id = _log(mlflow, uri)
    runs, _ = read(tmp_path)
    [run] = [r for r in runs if r.id == run_id]
    [ds] = run.datasets
    assert (ds.name, ds.context, ds.source, ds.source_type) == (
        "train",
        "training",
        "s3://bucket/train.csv",
        "s3",
    )
    assert ds.columns == ("a", "y") and ds.rows == 3 and ds.digest
    [model] = run.models
    assert model.name == "model" and "python_function" in model.flavors
    assert model.id.startswith("m-") and model.files > 0
    assert {f"models/model/{n}" for n in ("MLmodel", "input_example.json")} <= {
        o.rel for o in run.outputs
    }
    assert set(run.get_metrics()) == {"loss"}  # input_example.json is no metric table
    site = tmp_path / "site"
    code, out = invoke("build", str(tmp_path), "-o", str(site), "-j", "1")
    assert code == 0, out
    page = next(p for p in (site / "runs").glob("*.html") if run_id in p.read_text())
    html = page.read_text()
    assert "<h2>Datasets</h2>" in html and "s3://bucket/train.csv" in html
    assert "<h2>Logged models</h2>" in html and "python_function" in html


def test_a_model_logged_into_the_artifacts_is_outputs(tmp_path: Path) -> None:
    """MLflow 2 logged a model into the run's artifacts: its JSON files stay outputs."""

    run = tmp_path / "mlruns" / "1" / "abc"
    (run / "metrics").mkdir(parents=True)
    (run / "metrics" / "loss").write_text("1 0.5 0\n")
    (run / "meta.yaml").write_text("run_id: abc\nexperiment_id: '1'\nstatus: 3\n")
    (tmp_path / "mlruns" / "1" / "meta.yaml").write_text("experiment_id: '1'\nname: e\n")
    model = run / "artifacts" / "model"
    model.mkdir(parents=True)
    (model / "MLmodel").write_text("flavors:\n  python_function: {}\n  sklearn: {}\n")
    (model / "input_example.json").write_text('{"columns": ["a"], "data": [[1], [2]]}')
    [got], _ = read(tmp_path / "mlruns")
    assert set(got.get_metrics()) == {"loss"}
    [logged] = got.models
    assert (logged.name, logged.flavors, logged.files) == (
        "model",
        ("python_function", "sklearn"),
        2,
    )


def test_a_store_naming_artifacts_elsewhere_is_not_followed(tmp_path: Path) -> None:
    from runreport.readers.mlflow_inputs import local_folder

    root = tmp_path / "store"
    (root / "a").mkdir(parents=True)
    assert local_folder(root, "a") == root / "a"
    assert local_folder(root, f"file://{root / 'a'}") == root / "a"
    assert local_folder(root, "file:///etc") is None
    assert local_folder(root, "../outside") is None
    assert local_folder(root, "s3://bucket/x") is None
