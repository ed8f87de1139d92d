"""Writes the offline run beside it with wandb 0.16.6: ``python gen.py <dir>``."""

import os
import sys

os.environ["WANDB_MODE"] = "offline"
os.environ["WANDB_SILENT"] = "true"

import wandb  # after the environment that makes it offline

run = wandb.init(
    project="legacy",
    name="old-backend",
    group="g",
    job_type="train",
    tags=["t"],
    notes="n",
    dir=sys.argv[1],
    config={"lr": 0.1, "opt": {"name": "sgd"}},
)
for i in range(5):
    run.log({"loss": 1 / (i + 1), "nested": {"a": i}})
run.log({"nan": float("nan"), "inf": float("inf")})
run.summary["best"] = 0.5
run.finish()
