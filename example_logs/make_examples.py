"""Write example_logs/ with runreport's logging API (rerun: python example_logs/make_examples.py).

Two experiments and ten runs: every row of the chart-format rules (including Azure ML's own
examples), a hyper-parameter sweep with a parent and child runs on a compute target, a failed
run, and a run whose stdout was captured.
"""

from __future__ import annotations

import math
import random
import shutil
import sys
import tempfile
from pathlib import Path

import vl_convert

import runreport

HERE = Path(__file__).resolve().parent
LOGDIR = HERE / "runs"


def tiny_png(title: str, values: list[float]) -> Path:
    """A small PNG chart (rendered offline with vl-convert), standing in for a figure."""
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": title,
        "width": 220,
        "height": 140,
        "data": {"values": [{"i": i, "v": v} for i, v in enumerate(values)]},
        "mark": "bar",
        "encoding": {"x": {"field": "i", "type": "ordinal"}, "y": {"field": "v", "type": "quantitative"}},
    }
    path = Path(tempfile.mkdtemp()) / "figure.png"
    path.write_bytes(vl_convert.vegalite_to_png(spec, scale=1))
    return path


def chart_formats() -> None:
    """One run showing every rule of the chart-format table."""
    with runreport.start_run("chart-formats", LOGDIR, name="azure-examples",
                             compute_target="laptop", tags={"purpose": "rules demo"}) as run:
        run.set_description(
            "Every way of logging a value, and how runreport shows it.\n\n"
            "The first four are the examples from Azure ML's *how to log* page:\n\n"
            "1. `log_list('Fibonacci', …)`\n2. `log('Sigmoid', …)` in a loop\n"
            "3. `log_row('Cosine Wave', angle=…, cos=…)`\n4. `log_table('Sine Wave', …)`\n"
        )
        run.log("accuracy", 0.91)
        run.log_list("Fibonacci", [0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89])
        for i in range(-10, 11):
            run.log("Sigmoid", 1 / (1 + math.exp(-i)))
        for i in range(0, 361, 10):
            run.log_row("Cosine Wave", angle=i, cos=round(math.cos(math.radians(i)), 6))
        angles = list(range(0, 361, 10))
        run.log_table("Sine Wave", {"angle": angles,
                                    "sine": [round(math.sin(math.radians(a)), 6) for a in angles]})
        for t in (0.1, 0.3, 0.5, 0.7, 0.9):
            run.log_row("precision-recall", threshold=t, precision=0.5 + t / 2, recall=1 - t * t)
        run.log_table("predictions", {"image": ["cat.jpg", "dog.jpg", "bird.jpg"],
                                      "label": ["cat", "dog", "bird"],
                                      "predicted": ["cat", "cat", "bird"],
                                      "p": [0.98, 0.61, 0.87]})
        for epoch, lr in enumerate((0.1, 0.1, 0.05, 0.05, 0.01)):
            run.log_row("learning rate", lr=lr)
            run.log("phase", "warm-up" if epoch < 2 else "decay", step=epoch)
        run.log("note", "converged after 20 epochs")
        for step, value in enumerate([1.0, 0.8, float("nan"), 0.55, float("inf"), 0.4, 0.35]):
            run.log("loss with gaps", value, step=step * 10)
        for step in range(30):
            run.log("val.acc[top-1] / \"smoothed\"", 0.5 + 0.4 * (1 - math.exp(-step / 8)), step=step)
        run.log_image("histogram", path=tiny_png("histogram", [3, 7, 12, 9, 4, 1]),
                      description="weight histogram")


def sweep() -> None:
    """A learning-rate sweep: a parent run with child runs, one of which fails."""
    rng = random.Random(7)
    with runreport.start_run("mnist-sweep", LOGDIR, name="lr-sweep", compute_target="gpu-cluster",
                             tags={"sweep": "grid"}) as parent:
        parent.set_description("Grid over the learning rate. Children log `loss`, `val_mse` and "
                               "`accuracy` per epoch; the best child is picked by the lowest `val_mse`.")
        parent.log_params({"search": "grid", "epochs": 12})
        best = (math.inf, 0.0)
        for lr in (0.3, 0.1, 0.03, 0.01):
            child = parent.child_run(name=f"lr={lr}")
            child.log_params({"lr": lr, "batch_size": 64, "optimizer": "sgd", "epochs": 12})
            child.set_tags({"lr": lr})
            try:
                for epoch in range(12):
                    if lr == 0.3 and epoch == 5:
                        raise FloatingPointError("loss diverged to inf at epoch 5")
                    loss = 2.3 * math.exp(-epoch * lr * 2.5) + 0.05 + rng.random() * 0.03
                    child.log("loss", loss, step=epoch)
                    child.log("val_mse", loss * 0.8 + rng.random() * 0.02, step=epoch)
                    child.log("accuracy", 1 - loss / 2.5, step=epoch)
                child.log_image("confusion", path=tiny_png(f"lr={lr}", [rng.randint(1, 9) for _ in range(5)]))
                child.complete()
                final = child_value = loss * 0.8
                if child_value < best[0]:
                    best = (final, lr)
            except FloatingPointError as exc:
                child.fail(exc)
        parent.log("best_val_mse", best[0])
        parent.log("best_lr", best[1])


def baselines() -> None:
    """Two plain runs, one with its stdout captured (ANSI colours, progress bars)."""
    for name, noise in (("baseline-linear", 0.2), ("baseline-mlp", 0.05)):
        with runreport.start_run("mnist-sweep", LOGDIR, name=name, compute_target="cpu-local",
                                 capture_output=name.endswith("mlp")) as run:
            run.log_params({"model": name.split("-")[1], "lr": 0.05, "batch_size": 128})
            for epoch in range(40):
                loss = 1.0 / (1 + epoch * 0.3) + noise
                run.log("loss", loss, step=epoch)
                run.log("val_mse", loss * 0.9, step=epoch)
                run.log("accuracy", 1 - loss / 1.5, step=epoch)
                if name.endswith("mlp"):
                    bar = "#" * (epoch // 4)
                    sys.stdout.write(f"\rtraining {bar:<10} {epoch + 1}/40")
                    if epoch % 10 == 9:
                        print(f"\n\x1b[32mepoch {epoch + 1}\x1b[0m loss={loss:.4f}")
            print("done")


def main() -> None:
    """Rewrite example_logs/runs from scratch."""
    shutil.rmtree(LOGDIR, ignore_errors=True)
    chart_formats()
    sweep()
    baselines()
    try:
        with runreport.start_run("chart-formats", LOGDIR, name="crashed-script", compute_target="laptop") as run:
            run.log("loss", 0.9)
            raise RuntimeError("CUDA out of memory (simulated)")
    except RuntimeError:
        pass


if __name__ == "__main__":
    main()
