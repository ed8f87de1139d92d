"""The chart-format rules as a table, and the README's copy of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from runreport.model import Kind, Metric, Value
from runreport.rules import (
    RULES,
    Display,
    classify,
    goal,
    rules_markdown,
    section_of,
    section_order,
)

README = Path(__file__).resolve().parents[1] / "README.md"


def m(kind: Kind, **columns: tuple[Value, ...]) -> Metric:
    return Metric("m", kind, columns, calls=1 if kind is not Kind.SCALAR else len(columns["value"]))


CASES = [
    # (metric, display, x, ys)
    (m(Kind.SCALAR, value=(0.91,)), Display.SUMMARY, None, ("value",)),
    (m(Kind.SCALAR, value=(1, 2, 3)), Display.LINE, None, ("value",)),
    (m(Kind.SCALAR, step=(0, 5, 10), value=(1.0, 2.0, 3.0)), Display.LINE, "step", ("value",)),
    (m(Kind.SCALAR, step=(0, None), value=(1.0, 2.0)), Display.LINE, None, ("value",)),
    (m(Kind.SCALAR, value=(True, False)), Display.LINE, None, ("value",)),
    (m(Kind.SCALAR, value=(1.0, float("nan"), 2.0)), Display.LINE, None, ("value",)),
    (m(Kind.LIST, value=(0, 1, 1, 2)), Display.LINE, None, ("value",)),
    (m(Kind.LIST, value=(5,)), Display.LINE, None, ("value",)),
    (m(Kind.ROW, angle=(0, 10), cos=(1.0, 0.98)), Display.XY, "angle", ("cos",)),
    (m(Kind.TABLE, angle=(0, 10), sine=(0.0, 0.17)), Display.XY, "angle", ("sine",)),
    (m(Kind.ROW, lr=(0.1, 0.2)), Display.LINE, None, ("lr",)),
    (m(Kind.ROW, t=(0.1, 0.5), p=(0.9, 0.8), r=(0.2, 0.6)), Display.MULTI, "t", ("p", "r")),
    (m(Kind.TABLE, label=("cat", "dog"), p=(0.9, 0.8)), Display.TABLE, None, ("label", "p")),
    (m(Kind.TABLE, a=(None, None), b=(1, 2), c=(3, 4)), Display.XY, "b", ("c",)),
    (
        m(Kind.MATRIX, actual=("a", "a"), predicted=("a", "b"), count=(3, 1)),
        Display.HEATMAP,
        "predicted",
        ("actual",),
    ),
    (m(Kind.SCALAR, value=("converged",)), Display.TEXT, None, ("value",)),
    (m(Kind.SCALAR, step=(1, 2), value=("a", "b")), Display.TEXT, "step", ("value",)),
    (m(Kind.LIST, value=("a", "b")), Display.TEXT, None, ("value",)),
    (m(Kind.TEXT, step=(1, 2), value=("**a**", "b")), Display.MARKDOWN, "step", ("value",)),
    (
        m(
            Kind.HISTOGRAM,
            step=(0, 0, 1),
            left=(0.0, 1.0, 0.0),
            right=(1.0, 2.0, 2.0),
            count=(1, 2, 3),
        ),
        Display.DISTRIBUTION,
        "step",
        ("count",),
    ),
]


@pytest.mark.parametrize(("metric", "display", "x", "ys"), CASES)
def test_classify(metric: Metric, display: Display, x: str | None, ys: tuple[str, ...]) -> None:
    pres = classify(metric)
    assert (pres.display, pres.x, pres.ys) == (display, x, ys)


def test_every_display_has_a_rule_and_a_case() -> None:
    assert {r.shown_as for r in RULES} == set(Display)
    assert {c[1] for c in CASES} | {Display.IMAGE} == set(Display)


def test_readme_shows_the_rules_table() -> None:
    assert rules_markdown() in README.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "direction"),
    [
        ("loss", "min"),
        ("val_loss", "min"),
        ("train/nll_loss", "min"),
        ("eval_wer", "min"),
        ("cer", "min"),
        ("mean_squared_error", "min"),
        ("RMSE", "min"),
        ("mae", "min"),
        ("perplexity", "min"),
        ("accuracy", "max"),
        ("f1", "max"),
        ("precision", "max"),
        ("cancer_recall", "max"),
        ("bleu-4", "max"),
        # costs in time or memory: lower is better
        ("train_runtime", "min"),
        ("epoch_time", "min"),
        ("step duration", "min"),
        ("latency_ms", "min"),
        ("eval/seconds", "min"),
        ("gpu_memory", "min"),
        ("time_per_step", "min"),
        ("seconds_per_batch", "min"),
        # rates: higher is better, though they name a time unit
        ("train_samples_per_second", "max"),
        ("eval_steps_per_second", "max"),
        ("tokens_per_sec", "max"),
        ("it per s", "max"),
        ("throughput", "max"),
        ("fps", "max"),
        # words that only look like these
        ("timestamp_count", "max"),
        ("perplexity_ratio", "min"),
    ],
)
def test_goal_from_name(name: str, direction: str) -> None:
    assert goal(name) == direction


def test_goal_override_wins() -> None:
    assert goal("loss", {"loss": "max"}) == "max"


@pytest.mark.parametrize(
    ("name", "section"),
    [
        ("train/loss", "train"),
        ("system/gpu/0/util", "system"),
        ("eval_loss", "eval"),  # Hugging Face's trainer
        ("val_acc", "val"),  # Keras
        ("Validation-F1", "Validation"),
        ("test.accuracy", "test"),
        ("loss", ""),
        ("learning_rate", ""),
        ("training", ""),  # a word alone is no prefix
        ("val_", ""),
        ("/loss", ""),  # nothing before the slash
        ("evaluation_time", "evaluation"),
        ("trainer_loss", ""),  # not a known word
    ],
)
def test_sections_come_from_a_name_prefix(name: str, section: str) -> None:
    assert section_of(name) == section


def test_sections_come_in_order_numbers_by_value() -> None:
    names = ["val", "", "layer_10", "Layer_2", "layer_1", "eval", "layer_2b"]
    assert sorted(names, key=section_order) == [
        "",
        "eval",
        "layer_1",
        "Layer_2",
        "layer_2b",
        "layer_10",
        "val",
    ]
