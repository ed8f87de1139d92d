"""Everything else a TensorBoard run logs, checked against TensorBoard's own loader:
histograms (its buckets and its Distributions tab's percentiles), PR curves, text as
sanitised Markdown, and images past the last five."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import invoke, read

from runreport.model import Kind
from runreport.stats import compress_histogram
from runreport.views import run_view

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _their_histograms(run: Path, tag: str) -> list[tuple[int, np.ndarray]]:
    """Each histogram of ``tag`` as TensorBoard's data pipeline gives it: the event file
    read by its loader, each value migrated by ``data_compat`` to ``[k, 3]`` buckets."""
    from tensorboard import data_compat
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.util import tensor_util

    out = []
    for file in sorted(run.glob("events.out.tfevents.*")):
        for event in EventFileLoader(str(file)).Load():
            for value in event.summary.value:
                if value.tag == tag:
                    migrated = data_compat.migrate_value(value)
                    out.append((event.step, tensor_util.make_ndarray(migrated.tensor)))
    return out


def test_histograms_match_tensorboards_buckets_and_percentiles(tmp_path: Path) -> None:
    from tensorboard.plugins.distribution import compressor
    from tensorboardX import SummaryWriter

    run = tmp_path / "logs" / "run"
    rng = np.random.default_rng(1)
    with SummaryWriter(str(run)) as w:
        for step in range(0, 40, 4):
            w.add_histogram("weights", rng.normal(step / 10, 1.0, 500), step)
        w.add_histogram("empty-ends", np.array([0.5, 0.5, 2.0]), 0, bins=[0, 1, 2, 3, 4])
    [ours], _ = read(tmp_path / "logs")
    for tag in ("weights", "empty-ends"):
        metric = ours.metric(tag)
        assert metric is not None and metric.kind is Kind.HISTOGRAM
        theirs = _their_histograms(run, tag)
        assert metric.calls == len(theirs)
        cols = {c: np.asarray(metric.columns[c]) for c in ("step", "left", "right", "count")}
        for step, buckets in theirs:
            at = cols["step"] == step
            mine = np.stack([cols["left"][at], cols["right"][at], cols["count"][at]], axis=1)
            # TensorBoard keeps the buckets as float32; runreport keeps the float64 logged
            assert np.array_equal(mine.astype(np.float32), buckets)
            expected = [v for _, v in compressor.compress_histogram(buckets.astype(np.float64))]
            got = compress_histogram(mine[:, 0], mine[:, 1], mine[:, 2])
            assert got == pytest.approx(expected, rel=1e-6)
    view = next(m for m in run_view(ours).metrics if m.name == "weights")
    assert view.chart is not None and view.chart.shape == "distribution"
    series = view.chart.columns["series"]
    assert series.count("median") == 10 and sum(s.startswith("@") for s in series) > 0


def test_tf2_tensor_histograms(tmp_path: Path) -> None:
    """``tf.summary.histogram`` writes a ``[k, 3]`` float64 tensor (left, right, count) with
    the histograms plugin's metadata: written here with TensorBoard's own protos."""
    from tensorboard.compat.proto import summary_pb2
    from tensorboard.util import tensor_util
    from tensorboardX.proto.summary_pb2 import Summary
    from tensorboardX.writer import FileWriter

    buckets = np.array([[0.0, 1.0, 3.0], [1.0, 2.0, 5.0], [2.0, 3.0, 2.0]])
    meta = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="histograms")
    )
    value = summary_pb2.Summary.Value(
        tag="layer/kernel", metadata=meta, tensor=tensor_util.make_tensor_proto(buckets)
    )
    fw = FileWriter(str(tmp_path / "logs" / "tf2"))
    fw.add_summary(Summary.FromString(summary_pb2.Summary(value=[value]).SerializeToString()), 7)
    fw.close()
    [run], _ = read(tmp_path / "logs")
    metric = run.metric("layer/kernel")
    assert metric is not None and metric.kind is Kind.HISTOGRAM
    assert np.asarray(metric.columns["count"]).tolist() == [3.0, 5.0, 2.0]
    assert np.asarray(metric.columns["step"]).tolist() == [7, 7, 7]


def test_pr_curves_as_tensorboard_stores_them(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing import event_accumulator as acc
    from tensorboard.util import tensor_util
    from tensorboardX import SummaryWriter

    run = tmp_path / "logs" / "run"
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 2, 200)
    with SummaryWriter(str(run)) as w:
        for step in range(3):
            w.add_pr_curve("pr", labels, np.clip(labels * 0.3 + rng.random(200) * 0.7, 0, 1), step)
    [ours], _ = read(tmp_path / "logs")
    ea = acc.EventAccumulator(str(run), size_guidance={acc.TENSORS: 0})
    ea.Reload()
    last = tensor_util.make_ndarray(ea.Tensors("pr")[-1].tensor_proto)
    curve = ours.metric("pr")
    assert curve is not None and curve.kind is Kind.TABLE and curve.calls == 3
    assert list(curve.columns["precision"]) == pytest.approx(last[4].tolist())
    assert list(curve.columns["recall"]) == pytest.approx(last[5].tolist())
    view = next(m for m in run_view(ours).metrics if m.name == "pr")
    assert view.display.value == "two-variable line chart" and view.presentation.x == "recall"


def test_text_is_sanitised_markdown_and_images_past_five(tmp_path: Path) -> None:
    from tensorboardX import SummaryWriter

    run = tmp_path / "logs" / "run"
    with SummaryWriter(str(run)) as w:
        w.add_text(
            "notes", "**lr** halved <script>alert(1)</script> <img src=x onerror=alert(2)>", 3
        )
        for step in range(60):
            w.add_image("sample", np.full((3, 4, 4), step * 4, dtype=np.uint8), step)
    [ours], problems = read(tmp_path / "logs")
    steps = [img.description for img in ours.images]
    assert len(steps) == 50 and steps[0] == "step 0" and steps[-1] == "step 59"
    assert any("50 of 60 images shown" in p.message for p in problems.items)
    site = tmp_path / "site"
    code, out = invoke("build", str(tmp_path / "logs"), "-o", str(site), "-j", "1")
    assert code == 0, out
    [page] = list((site / "runs").glob("*.html"))
    html = page.read_text()
    assert "<strong>lr</strong> halved" in html
    assert "<script>alert" not in html and "onerror" not in html
    assert len(list((site / "runs").rglob("*.png"))) == 50
