"""The shared corpus: 27 real cases from public repositories, each read with its quirks handled.

The corpus lives in ``../shared/corpus`` beside the repository (CI has it); on a clone without it
these tests are skipped with that reason.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from conftest import read

from runreport.build import BuildConfig, build_site
from runreport.errors import Severity
from runreport.model import Run, Status

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")


def _cases() -> list[Path]:
    return sorted(c for f in CORPUS.iterdir() if f.is_dir() for c in f.iterdir() if c.is_dir())


def _metric(run: Run, name: str) -> tuple[list[object], list[object]]:
    m = run.metric(name)
    assert m is not None, f"{run.name}: no {name!r} in {[x.name for x in run.metrics]}"
    return list(m.columns.get("step", [])), list(m.columns["value"])


def test_there_are_27_cases() -> None:
    assert len(_cases()) == 27


@pytest.mark.parametrize(
    "case", [c.relative_to(CORPUS).as_posix() for c in _cases()] if CORPUS.is_dir() else []
)
def test_every_case_is_read(case: str) -> None:
    runs, problems = read(CORPUS / case)
    assert not [p for p in problems.items if p.severity is Severity.ERROR]
    assert runs, f"{case}: no run read"
    assert all(r.metrics or r.params or r.logs for r in runs)
    expected = (
        case.split("/")[0]
        .removesuffix("-state")
        .replace("hf-trainer", "huggingface")
        .replace("plain-logs", "plain-log")
    )
    assert {r.format for r in runs} == {expected}


def test_mlflow_deleted_runs_and_param_case() -> None:
    runs, _ = read(CORPUS / "mlflow/fashion-mnist-deleted-runs")
    everything, _ = read(CORPUS / "mlflow/fashion-mnist-deleted-runs", include_deleted=True)
    assert (len(runs), len(everything)) == (7, 9)
    keys = {k for r in everything for k in r.params}
    assert {"Epochs", "epochs"} <= keys  # both spellings kept, as written


def test_mlflow1_windows_store() -> None:
    [run], problems = read(CORPUS / "mlflow/swahili-keras-autolog-mlflow1")
    assert problems.items == []  # the stray mlruns/mlruns store is not a second store
    assert run.experiment == "Speech model simple rnn"
    assert run.name == run.id == "ed05f9cd599442fe9a0c9222184710b8"  # empty name: the id
    assert run.status is Status.COMPLETED
    assert len(_metric(run, "loss")[1]) == 10
    assert list(run.params.values()).count("None") == 6 and len(run.params) == 20
    assert {o.rel for o in run.outputs} >= {
        "artifacts/model/MLmodel",
        "artifacts/model_summary.txt",
    }


def test_lightning_cases() -> None:
    camels, problems = read(CORPUS / "lightning-csv/camels-ch-python-object-hparams")
    v10 = next(r for r in camels if r.name == "version_10")
    assert v10.params["config.hidden_size"] == 32  # !!python/object read as a mapping
    assert any("python-specific" in p.message for p in problems.items)
    assert _metric(v10, "lr-Adam")[0][0] == 0  # lr rows with an empty epoch
    genrisk, _ = read(CORPUS / "lightning-csv/genrisk-gan-nan-divergence")
    v0 = next(r for r in genrisk if r.name == "version_0")
    _, disc = _metric(v0, "train_disc_loss")
    assert disc[0] == 1.6226933508321501e24 and sum(math.isnan(v) for v in disc) > 300  # type: ignore[arg-type]
    legacy, _ = read(CORPUS / "lightning-csv/contact-point-legacy-testtube")
    assert sorted(r.name for r in legacy) == ["version_1", "version_5"]
    assert all(r.start_time is not None and r.end_time is not None for r in legacy)
    opal, _ = read(CORPUS / "lightning-csv/opal-v2-lr-monitor-slash-names")
    assert {"train/nll_loss", "val/rmse_loss", "lr-Adam"} <= {m.name for m in opal[0].metrics}
    aos, _ = read(CORPUS / "lightning-csv/ml-aos-train-val-interleaved")
    steps, _ = _metric(aos[0], "val_loss")
    assert steps and all(isinstance(s, int) for s in steps)
    epoch_steps, epochs = _metric(aos[0], "epoch")  # a series over the step, kept
    assert len(epochs) == len(epoch_steps) > 1 and epochs[-1] >= epochs[0]  # type: ignore[operator]


def test_keras_cases() -> None:
    irfa, problems = read(CORPUS / "keras-csv/irfanet10-multiple-logs-2017")
    assert len(irfa) == 3
    assert any("restart" in p.message for p in problems.items)
    [mnist], problems = read(CORPUS / "keras-csv/mnist-keras3-learning-rate-col")
    assert problems.items == []  # \r\r\n line ends: no blank rows, no errors
    assert len(_metric(mnist, "learning_rate")[1]) == 30
    [brain], _ = read(CORPUS / "keras-csv/braincnn-keras2-acc-2017")
    assert "acc" in {m.name for m in brain.metrics}
    [ecg], _ = read(CORPUS / "keras-csv/ecg-diverging-negative-loss")
    assert min(_metric(ecg, "loss")[1]) < -1e7  # type: ignore[type-var]


def test_huggingface_cases() -> None:
    [cpt], _ = read(CORPUS / "hf-trainer-state/cpt-seq2seq-predict-entries")
    assert "predict_loss" in cpt.get_metrics()  # entries without a step
    [chatglm], _ = read(CORPUS / "hf-trainer-state/chatglm-bleu-rouge-1020-entries")
    assert {"eval_bleu-4", "eval_rouge-l"} <= set(chatglm.get_metrics())
    assert chatglm.properties["state file"] == "checkpoint-10000/trainer_state.json"
    [mistral], _ = read(CORPUS / "hf-trainer-state/mistral-translator-llamafactory")
    assert mistral.properties["state file"] == "trainer_state.json"  # not checkpoint-500
    assert len(_metric(mistral, "loss")[1]) == 866
    assert len(_metric(mistral, "epoch")[1]) >= 866  # the epoch of every entry, over the step
    [whisper], _ = read(CORPUS / "hf-trainer-state/whisper-ja-wer-last-checkpoint")
    assert whisper.status is Status.COMPLETED
    assert whisper.properties["best_model_checkpoint"].startswith("/storage/")
    [multi], _ = read(CORPUS / "hf-trainer-state/multi-eval-datasets-g0-g5")
    assert {f"eval_g{i}_loss" for i in range(6)} <= set(multi.get_metrics())
    assert _metric(multi, "eval_g0_loss")[0][0] == 0
    [dna], _ = read(CORPUS / "hf-trainer-state/dnabert2-classification-best-ckpt")
    assert dna.status is Status.UNKNOWN  # saved at step 2200 of 2315, no final entry


def test_dvclive_cases() -> None:
    [hydra], _ = read(CORPUS / "dvclive/lightning-hydra-dvclivelogger")
    steps, _ = _metric(hydra, "epoch")
    assert len(steps) == 2 * len(set(steps))  # every epoch row duplicated: both kept
    [hf], _ = read(CORPUS / "dvclive/hf-llm-finetune-callback")
    assert all(s % 2 == 0 for s in _metric(hf, "loss")[0])  # type: ignore[operator]
    assert all(s % 2 == 1 for s in _metric(hf, "eval/loss")[0])  # type: ignore[operator]


def test_tensorboard_cases() -> None:
    [tf2], problems = read(CORPUS / "tensorboard/swahili-keras-tf2-v2")
    assert len(_metric(tf2, "epoch_loss")[1]) == 10  # tensor_content scalars
    assert problems.items == []  # the profile-empty file is not an event file
    pl, _ = read(CORPUS / "tensorboard/contact-point-pl06-tensorboardx")
    assert len(pl) == 2 and all(r.metric("train_loss") for r in pl)
    assert len({r.name for r in pl}) == 2  # same folder name, told apart by path


def test_wandb_cases() -> None:
    runs, _ = read(CORPUS / "wandb/nanogpt-shakespeare-char")
    by_id = {r.id.partition("#")[2]: r for r in runs}  # <folder>#<W&B run id>
    finished = by_id["kt2awly2"]
    assert finished.get_metrics()["val/loss"] == 4.92210054397583  # overfit: train 0.12
    assert finished.duration_seconds == 2556 and finished.params
    assert by_id["gnt9wurp"].metrics == () and by_id["gnt9wurp"].logs  # interrupted


def test_plain_log_cases() -> None:
    [tcn], _ = read(CORPUS / "plain-logs/tcn-python-logging-epochs")
    steps, values = _metric(tcn, "Train Loss")
    assert len(values) == 500 and steps[:3] == [1, 2, 3]  # 1-based epochs from the text
    assert _metric(tcn, "Val Loss")[1][0] == 0.0766
    [t5], _ = read(CORPUS / "plain-logs/t5-python-logging-batch-bleu")
    assert len(_metric(t5, "Batch loss")[1]) == 7760  # no step number: in order of appearance
    assert len(_metric(t5, "Average Train Loss")[1]) == 20
    [cmd], _ = read(CORPUS / "plain-logs/hf-seq2seq-windows-console")
    # the Trainer's dict lines: the same values as trainer_state.json of the same run
    [state], _ = read(CORPUS / "hf-trainer-state/cpt-seq2seq-predict-entries")
    assert _metric(cmd, "eval_loss")[1] == _metric(state, "eval_loss")[1]
    assert cmd.get_metrics()["train_runtime"] == state.get_metrics()["train_runtime"]


def test_the_whole_corpus_builds(tmp_path: Path) -> None:
    result = build_site(BuildConfig(inputs=(CORPUS,), output=tmp_path / "site"))
    assert result.runs >= 45 and result.warnings == 0
    assert (tmp_path / "site" / "problems.html").is_file()
