"""runreport in a notebook: ``runreport.show`` run in a real kernel (nbclient), live updates
until the run ends, and ``wait_for_completion`` streaming a run's log."""

from __future__ import annotations

import io
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import write_run

import runreport
from runreport.errors import RunreportError


def _logs(root: Path) -> Path:
    for i, status in enumerate(("Completed", "Running")):
        write_run(
            root,
            f"r{i}",
            [{"name": "loss", "value": 1.0 / (s + 1 + i), "step": s} for s in range(30)]
            + [{"name": "acc", "value": s / 30, "step": s} for s in range(30)],
            status=status,
        )
    return root


def _execute(cells: list[str]) -> list[list[dict[str, Any]]]:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=180, kernel_name="python3").execute()
    return [cell.outputs for cell in nb.cells]


def _charts(outputs: list[dict[str, Any]]) -> list[str]:
    """Each chart output's Vega-Lite spec text, whatever altair renderer is active."""
    out = []
    for o in outputs:
        data = o.get("data", {})
        for mime, value in data.items():
            if mime.startswith("application/vnd.vegalite"):
                out.append(json.dumps(value))
            elif mime == "text/html" and "vega" in value and "$schema" in value:
                out.append(value)
    return out


@pytest.mark.slow
def test_show_draws_a_run_and_an_experiment_in_a_kernel(tmp_path: Path) -> None:
    logs = _logs(tmp_path / "logs")
    one, many = _execute(
        [
            f"import runreport\nrunreport.show({str(logs / 'r0')!r})",
            f"runreport.show({str(logs)!r})",
        ]
    )
    tables = [
        o["data"]["text/html"]
        for o in one
        if "runreport-notebook" in o["data"].get("text/html", "")
    ]
    assert len(tables) == 1 and "r0" in tables[0] and "Completed" in tables[0]
    charts = _charts(one)
    assert len(charts) == 2 and all("vega-lite" in c for c in charts)
    assert any('"title": "loss"' in c or '"title":"loss"' in c for c in charts)
    # the experiment: both runs overlaid in each chart
    charts = _charts(many)
    assert len(charts) == 2 and all("r0" in c and "r1" in c for c in charts)


@pytest.mark.slow
def test_live_show_updates_until_the_run_ends(tmp_path: Path) -> None:
    logs = _logs(tmp_path / "logs")
    run_json = logs / "r1" / "run.json"

    def finish() -> None:
        time.sleep(8)  # the kernel has started and shown the run as Running by then
        meta = json.loads(run_json.read_text())
        # atomically, as runreport's tracker writes it: a poll never reads a half-written file
        tmp = run_json.with_name(".run.json.tmp")
        tmp.write_text(json.dumps({**meta, "status": "Completed"}))
        os.replace(tmp, run_json)

    threading.Thread(target=finish, daemon=True).start()
    [outputs] = _execute(
        [f"import runreport\nrunreport.show({str(logs / 'r1')!r}, live=True, interval=0.5)"]
    )
    tables = [
        o["data"]["text/html"]
        for o in outputs
        if "runreport-notebook" in o["data"].get("text/html", "")
    ]
    assert len(tables) == 1  # updated in place, not appended
    assert "Completed" in tables[0] and "Running" not in tables[0]


def test_wait_for_completion_streams_the_log(tmp_path: Path) -> None:
    logs = _logs(tmp_path / "logs")
    (logs / "r1" / "logs").mkdir()
    log = logs / "r1" / "logs" / "stdout.txt"
    log.write_text("epoch 1\n")
    [run] = runreport.load(logs / "r1")

    def train() -> None:
        time.sleep(0.5)
        with log.open("a") as fh:
            fh.write("epoch 2\npartial")
        time.sleep(0.5)
        with log.open("a") as fh:
            fh.write(" line\n")
        meta = json.loads((logs / "r1" / "run.json").read_text())
        (logs / "r1" / "run.json").write_text(json.dumps({**meta, "status": "Failed"}))

    threading.Thread(target=train, daemon=True).start()
    out = io.StringIO()
    with pytest.raises(RunreportError, match="failed"):
        run.wait_for_completion(show_output=True, interval=0.2, timeout=30, out=out)
    assert out.getvalue() == "epoch 1\nepoch 2\npartial line\n"
    [done] = runreport.load(logs / "r0")
    assert done.wait_for_completion(timeout=1).status.value == "Completed"
