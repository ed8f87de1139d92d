"""The CLI through CliRunner: exit codes, messages, no tracebacks."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner
from conftest import EXAMPLE_LOGS, write_run

from runreport.cli import cli

README = Path(__file__).resolve().parents[1] / "README.md"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


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
    assert f"{logs / 'bad' / 'metrics.jsonl'}:2: invalid JSON" in out
    assert re.search(r"built \d+ pages for 2 runs in .*; 1 problems", out)
    assert (tmp_path / "site" / "index.html").is_file()


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


def test_readme_formats_table_names_every_reader() -> None:
    from runreport.readers import READERS

    table = README.read_text().split("## Formats read", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"^\| [^|]+ \(`([a-z0-9-]+)`\) \|", table, re.M))
    assert named == {r.name for r in READERS}
