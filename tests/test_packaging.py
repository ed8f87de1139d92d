"""templates/ works from an editable install and from a built wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import runreport
from runreport.files import templates_dir

REPO = Path(__file__).resolve().parents[1]


def test_editable_install_uses_the_repository_templates() -> None:
    assert Path(runreport.__file__).resolve().is_relative_to(REPO / "src")
    assert templates_dir() == REPO / "templates"


@pytest.mark.slow
def test_wheel_ships_the_templates_and_builds_a_site(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = wheels.glob("runreport-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for needed in (
        "runreport/templates/base.html",
        "runreport/templates/run.html",
        "runreport/templates/assets/common.js",
        "runreport/templates/assets/run.js",
        "runreport/templates/assets/experiment.js",
        "runreport/templates/assets/compare.js",
        "runreport/templates/assets/style.css",
        "runreport/cli.py",
    ):
        assert needed in names
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(wheel).extractall(unpacked)
    script = (
        "import runreport, sys\n"
        "from pathlib import Path\n"
        "from runreport.files import templates_dir\n"
        "from runreport.build import BuildConfig, build_site\n"
        "print(Path(runreport.__file__).resolve().parent)\n"
        "print(templates_dir())\n"
        "r = build_site(BuildConfig(inputs=(Path(sys.argv[1]),), output=Path(sys.argv[2])))\n"
        "print(r.pages)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(REPO / "example_logs"), str(tmp_path / "site")],
        env={"PYTHONPATH": str(unpacked), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout.splitlines()
    package = Path(out[0])
    assert package == (unpacked / "runreport").resolve()
    assert Path(out[1]) == package / "templates"
    assert int(out[2]) >= 14
    for script in ("common.js", "run.js", "experiment.js", "compare.js"):
        assert (tmp_path / "site" / "assets" / script).read_bytes() == (
            REPO / "templates" / "assets" / script
        ).read_bytes()
