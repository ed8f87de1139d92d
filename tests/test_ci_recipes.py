"""The CI recipes in docs/ci/ are tested: valid YAML, the right steps, and every runreport
command in them exists with those options and runs on the example logs."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner
from conftest import EXAMPLE_LOGS

from runreport.cli import cli

RECIPES = Path(__file__).resolve().parents[1] / "docs" / "ci"
README = Path(__file__).resolve().parents[1] / "README.md"


def _load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((RECIPES / name).read_text())
    assert isinstance(data, dict)
    return data


def _commands(data: Any) -> list[str]:
    """Every shell line of a workflow (GitHub ``run:``) or job (GitLab ``script:``)."""
    out: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "run" and isinstance(value, str):
                out += value.splitlines()
            elif key == "script" and isinstance(value, list):
                out += [str(v) for v in value]
            else:
                out += _commands(value)
    elif isinstance(data, list):
        for item in data:
            out += _commands(item)
    return out


def _uses(data: Any) -> list[str]:
    if isinstance(data, dict):
        return ([data["uses"]] if "uses" in data else []) + [
            u for v in data.values() for u in _uses(v)
        ]
    if isinstance(data, list):
        return [u for item in data for u in _uses(item)]
    return []


def _runreport_calls(name: str) -> list[list[str]]:
    calls = []
    for line in _commands(_load(name)):
        line = re.sub(r"\$\{\{[^}]*\}\}", "X", line)  # GitHub expressions
        for part in re.split(r"\|\||&&|;", line):
            words = shlex.split(part)
            if words and words[0] == "runreport":
                calls.append(words[1:])
    return calls


RECIPE_FILES = sorted(p.name for p in RECIPES.glob("*.yml"))


def test_the_three_recipes_exist() -> None:
    assert RECIPE_FILES == ["github-artifact-summary.yml", "github-pages.yml", "gitlab-ci.yml"]


def test_github_pages_workflow_builds_and_deploys() -> None:
    wf = _load("github-pages.yml")
    uses = _uses(wf)
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert any(u.startswith("actions/deploy-pages@") for u in uses)
    assert wf[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads "on" as True
    assert wf["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert wf["jobs"]["deploy"]["needs"] == "build"
    upload = next(
        s
        for s in wf["jobs"]["build"]["steps"]
        if s.get("uses", "").startswith("actions/upload-pages-artifact@")
    )
    [build] = _runreport_calls("github-pages.yml")
    assert upload["with"]["path"] == build[build.index("-o") + 1]


def test_artifact_workflow_uploads_and_posts_the_summary() -> None:
    wf = _load("github-artifact-summary.yml")
    assert any(u.startswith("actions/upload-artifact@") for u in _uses(wf))
    lines = _commands(wf)
    assert any('>> "$GITHUB_STEP_SUMMARY"' in line for line in lines)
    assert any(
        line.startswith("gh pr comment") and "--body-file summary.md" in line for line in lines
    )


def test_gitlab_job_publishes_pages_and_artifacts() -> None:
    jobs = _load("gitlab-ci.yml")
    assert jobs["pages"]["artifacts"]["paths"] == ["public"]
    assert "public" in jobs["run-report"]["artifacts"]["paths"]
    assert all(
        c[c.index("-o") + 1] == "public"
        for c in _runreport_calls("gitlab-ci.yml")
        if c[0] == "build"
    )


@pytest.mark.parametrize("recipe", RECIPE_FILES)
def test_runreport_commands_exist_and_run(
    recipe: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _runreport_calls(recipe)
    assert calls
    # the recipes' paths: runs/ holds the logs, runs/baseline a baseline run
    (tmp_path / "runs").symlink_to(EXAMPLE_LOGS / "runs")
    baseline = next((EXAMPLE_LOGS / "runs").rglob("run.json")).parent
    monkeypatch.chdir(tmp_path)
    for args in calls:
        command = cli.commands[args[0]]
        known = {o for p in command.params if isinstance(p, click.Option) for o in p.opts}
        assert {a for a in args if a.startswith("-")} <= known, args
        args = ["https://example.org/p" if a == "https://X.github.io/X" else a for a in args]
        args = [str(baseline) if a == "runs/baseline" else a for a in args]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, (args, result.output)


def test_readme_shows_the_recipes() -> None:
    text = README.read_text()
    section = text.split("## Use in CI", 1)[1].split("\n## ", 1)[0]
    for name in RECIPE_FILES:
        assert f"docs/ci/{name}" in section
    assert "runreport build runs -o site" in section
