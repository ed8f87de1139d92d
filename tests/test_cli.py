"""The CLI through CliRunner: exit codes, messages, no tracebacks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from conftest import EXAMPLE_LOGS, invoke, write_run

from runreport import workers
from runreport.cli import cli

README = Path(__file__).resolve().parents[1] / "README.md"


def _logs(tmp_path: Path) -> Path:
    write_run(tmp_path / "logs", "good", [{"kind": "scalar", "name": "mse", "value": 0.2}])
    write_run(
        tmp_path / "logs",
        "bad",
        [
            {"kind": "scalar", "name": "mse", "value": 0.5},
            "{oops",
            {"kind": "scalar", "name": "mse", "value": 0.4},
        ],
    )
    return tmp_path / "logs"


def test_bad_line_is_reported_not_fatal(tmp_path: Path) -> None:
    logs = _logs(tmp_path)
    code, out = invoke("build", str(logs), "-o", str(tmp_path / "site"))
    assert code == 0
    assert "logs/bad/metrics.jsonl:2: invalid JSON" in out  # relative to the LOGDIR given
    assert re.search(r"built \d+ pages for 2 runs in .*; 1 problems", out)
    assert (tmp_path / "site" / "index.html").is_file()


def test_first_builds_start_the_workers_server_early(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[bool] = []
    monkeypatch.setattr(workers, "start", lambda: started.append(True))
    logs, site = _logs(tmp_path), str(tmp_path / "site")
    invoke("build", str(logs), "-o", site, "-j", "2")
    assert started == [True]  # a first build reads every run
    invoke("build", str(logs), "-o", site, "-j", "2")
    assert started == [True]  # a rebuild reads only what changed: workers only if needed
    invoke("build", str(logs), "-o", site, "-j", "2", "--no-cache")
    invoke("build", str(logs), "-o", str(tmp_path / "other"), "-j", "1")
    assert started == [True, True]


def test_commands_import_what_they_use_only() -> None:
    """``import runreport`` (in a training script) and the command line before it dispatches
    stay clear of numpy, polars, jinja2 and altair; the public names still resolve."""
    code = (
        "import sys, runreport.cli, runreport\n"
        "heavy = {'numpy', 'polars', 'jinja2', 'altair', 'runreport.build'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
        "from runreport import load, start_run, Run, Kind\n"
        "assert runreport.best_run.__module__ == 'runreport.api'\n"
        "assert {'load', 'Run', 'start_run'} <= set(dir(runreport))\n"
        "try:\n    runreport.nothing\nexcept AttributeError:\n    pass\n"
        "else:\n    raise AssertionError('runreport.nothing')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_strict_fails_on_warnings(tmp_path: Path) -> None:
    code, out = invoke("build", str(_logs(tmp_path)), "-o", str(tmp_path / "site"), "--strict")
    assert code == 1 and "--strict" in out


def test_strict_passes_clean_input(tmp_path: Path) -> None:
    code, _ = invoke(
        "build",
        str(EXAMPLE_LOGS),
        "-o",
        str(tmp_path / "site"),
        "--strict",
        "--title",
        "Examples",
        "--goal",
        "accuracy=min",
    )
    assert code == 0
    assert "<title>Experiments · Examples</title>" in (tmp_path / "site" / "index.html").read_text()


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert invoke("build", str(tmp_path))[0] == 2  # no -o
    assert invoke("build", str(tmp_path / "missing"), "-o", str(tmp_path / "s"))[0] == 2
    code, out = invoke("build", str(tmp_path), "-o", str(tmp_path / "s"), "--goal", "loss=down")
    assert code == 2 and "NAME=min or NAME=max" in out


def test_refusing_a_foreign_output_folder_exits_1(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code, text = invoke("build", str(_logs(tmp_path)), "-o", str(out))
    assert code == 1 and "not a runreport site" in text
    assert (out / "keep.txt").read_text() == "mine"


def test_ls_lists_runs_with_format_and_problems(tmp_path: Path) -> None:
    code, out = invoke("ls", str(_logs(tmp_path)))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["experiment", "run", "status", "format", "metrics", "problems"]
    assert lines[1].split() == ["exp", "bad", "Completed", "runreport", "1", "1"]
    assert lines[2].split() == ["exp", "good", "Completed", "runreport", "1", "0"]
    code, out = invoke("ls", str(_logs(tmp_path)), "--json")
    assert [r["run"] for r in json.loads(out)] == ["bad", "good"]


def test_metrics_prints_get_metrics(tmp_path: Path) -> None:
    folder = write_run(
        tmp_path,
        "r",
        [
            {"kind": "scalar", "name": "a", "value": "NaN"},
            {"kind": "list", "name": "fib", "values": [0, 1, 1]},
        ],
    )
    code, out = invoke("metrics", str(folder), "--json")
    assert code == 0 and json.loads(out) == {"a": "NaN", "fib": [0, 1, 1]}
    code, out = invoke("metrics", str(folder))
    assert "fib: [0, 1, 1]" in out
    code, out = invoke("metrics", str(tmp_path))
    assert code == 1 and "no run found" in out


def test_best_prints_the_best_run(tmp_path: Path) -> None:
    logs = _logs(tmp_path)
    code, out = invoke("best", str(logs), "--metric", "mse")
    assert code == 0 and out.split("\t")[1] == "good"
    code, out = invoke("best", str(logs), "--metric", "mse", "--max")
    assert out.split("\t")[1] == "bad" and "mse=0.4" in out
    code, out = invoke("best", str(logs), "--metric", "nope")
    assert code == 1 and "no run has" in out


def test_readme_cli_table_matches_help() -> None:
    rows = re.findall(r"^\| `runreport (\w+)[^`]*` \| (.+?) \|$", README.read_text(), re.M)
    assert {name for name, _ in rows} == set(cli.commands)
    for name, text in rows:
        assert cli.commands[name].help is not None
        assert cli.commands[name].help.splitlines()[0] == text


def test_readme_cli_table_names_every_flag() -> None:
    """Each command's row shows every option it takes (one of its spellings), and no other."""
    usages = re.findall(r"^\| `runreport (\w+)([^`]*)` \|", README.read_text(), re.M)
    assert {name for name, _ in usages} == set(cli.commands)
    for name, usage in usages:
        shown = set(re.findall(r"(?<![\w-])(--?[a-z][a-z0-9-]*)", usage.replace("\\|", " ")))
        options = [
            p for p in cli.commands[name].params if isinstance(p, click.Option) and not p.hidden
        ]
        spellings = {o for p in options for o in (*p.opts, *p.secondary_opts)}
        assert shown <= spellings, f"runreport {name}: the README shows {shown - spellings}"
        missing = [p.opts for p in options if not set(p.opts + p.secondary_opts) & shown]
        assert not missing, f"runreport {name}: the README's row lacks {missing}"


def test_readme_formats_table_names_every_reader() -> None:
    from runreport.readers import READERS

    table = README.read_text().split("## Formats read", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"^\| [^|]+ \(`([a-z0-9-]+)`\) \|", table, re.M))
    assert named == {r.name for r in READERS}
