"""Folders a TensorBoard writer makes below a run for one ``add_hparams`` or ``add_scalars``
call are joined to that run, as TensorBoard's HParams and Scalars dashboards show them."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, read

from runreport.model import Kind

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _tensorboardx_run(root: Path) -> Path:
    from tensorboardX import SummaryWriter

    run = root / "exp" / "run1"
    with SummaryWriter(str(run)) as w:
        for i in range(5):
            w.add_scalar("train/loss", 1 / (i + 1), i)
            w.add_scalars("loss", {"train": 1 / (i + 1), "val": 2 / (i + 1)}, i)
        w.add_hparams({"lr": 0.1, "bs": 32, "opt": "adam"}, {"hparam/acc": 0.5, "hparam/f1": 0.25})
    return run


def _pytorch_layout_run(root: Path) -> Path:
    """PyTorch's SummaryWriter writes the same records through the same FileWriter code as
    tensorboardX (torch.utils.tensorboard was ported from it); only its folders differ:
    add_scalars writes ``<run>/<main_tag with / as _>_<key>/``, add_hparams
    ``<run>/<str(time.time())>/`` (torch/utils/tensorboard/writer.py). Those are written here
    with tensorboardX's FileWriter and hparams summaries, at PyTorch's paths."""
    from tensorboardX import SummaryWriter
    from tensorboardX.summary import hparams, scalar
    from tensorboardX.writer import FileWriter

    run = root / "exp" / "run2"
    with SummaryWriter(str(run)) as w:
        w.add_scalar("lr", 0.1, 0)
    for key, values in {"train": [1.0, 0.5, 0.25], "val": [2.0, 1.5]}.items():
        fw = FileWriter(str(run / f"eval_loss_{key}"))  # main tag "eval/loss"
        for step, v in enumerate(values):
            fw.add_summary(scalar("eval/loss", v), step)
        fw.close()
    with SummaryWriter(str(run / "1701234567.123456")) as w_hp:
        for summary in hparams({"lr": 0.1, "layers": 3}, {"hparam/acc": 0.75}):
            w_hp.file_writer.add_summary(summary)
        w_hp.add_scalar("hparam/acc", 0.75)
    return run


def test_tensorboardx_add_hparams_and_add_scalars_join_their_run(tmp_path: Path) -> None:
    _tensorboardx_run(tmp_path / "logs")
    runs, problems = read(tmp_path / "logs")
    assert [r.name for r in runs] == ["run1"] and problems.items == []
    run = runs[0]
    assert run.params == {"lr": 0.1, "bs": 32, "opt": "adam"}
    got = run.get_metrics()
    assert got["hparam/acc"] == 0.5 and got["hparam/f1"] == 0.25
    loss = run.metric("loss")
    assert loss is not None and loss.kind is Kind.TABLE
    assert got["loss"] == {
        "step": [0, 1, 2, 3, 4],
        "train": pytest.approx([1 / (i + 1) for i in range(5)]),
        "val": pytest.approx([2 / (i + 1) for i in range(5)]),
    }
    assert len(got["train/loss"]) == 5


def test_pytorch_folders_join_their_run(tmp_path: Path) -> None:
    _pytorch_layout_run(tmp_path / "logs")
    runs, _ = read(tmp_path / "logs")
    assert [r.name for r in runs] == ["run2"]
    run = runs[0]
    assert run.params == {"lr": 0.1, "layers": 3}
    got = run.get_metrics()
    assert got["hparam/acc"] == 0.75
    # keys logged at different steps: every point kept, a key without one left empty
    assert got["eval/loss"] == {
        "step": [0, 1, 2],
        "train": [1.0, 0.5, 0.25],
        "val": [2.0, 1.5, None],
    }


def test_tensorflow_hparams_runs_stay_runs(tmp_path: Path) -> None:
    """TensorFlow's hparams API writes the experiment in the parent and only a session in each
    child: the children are runs of their own (as TensorBoard lists them)."""
    from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2
    from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboardX.writer import FileWriter

    def hparams_summary(tag: str, data: plugin_data_pb2.HParamsPluginData) -> Summary:
        """As tensorboard/plugins/hparams/summary.py builds it (that module needs TF)."""
        meta = SummaryMetadata(
            plugin_data=SummaryMetadata.PluginData(
                plugin_name="hparams", content=data.SerializeToString()
            )
        )
        return Summary(value=[Summary.Value(tag=tag, metadata=meta)])

    parent = tmp_path / "logs" / "hparam_tuning"
    fw = FileWriter(str(parent))
    experiment = plugin_data_pb2.HParamsPluginData(version=0, experiment=api_pb2.Experiment())
    fw.add_summary(hparams_summary("_hparams_/experiment", experiment))
    fw.close()
    for i in range(2):
        fw = FileWriter(str(parent / f"run-{i}"))
        start = plugin_data_pb2.HParamsPluginData(version=0)
        start.session_start_info.hparams["lr"].number_value = 0.1 * (i + 1)
        fw.add_summary(hparams_summary("_hparams_/session_start_info", start))
        fw.add_summary(Summary(value=[Summary.Value(tag="accuracy", simple_value=0.5 + i)]), 1)
        fw.close()
    runs, _ = read(tmp_path / "logs")
    children = sorted((r for r in runs if r.name.startswith("run-")), key=lambda r: r.name)
    assert [r.params for r in children] == [{"lr": 0.1}, {"lr": 0.2}]


def test_the_run_page_draws_add_scalars_keys_on_one_chart(tmp_path: Path) -> None:
    _tensorboardx_run(tmp_path / "logs")
    site = tmp_path / "site"
    code, out = invoke("build", str(tmp_path / "logs"), "-o", str(site), "-j", "1")
    assert code == 0, out
    [page] = [p for p in (site / "runs").glob("*.html")]
    text = page.read_text()
    assert "hparam/acc" in text and "opt" in text
    experiment = next((site / "experiments").glob("*.html")).read_text()
    assert ">lr<" in experiment  # params compared in the run table
