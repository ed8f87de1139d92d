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
        "runreport/prebuilt_files/shapes.json",
    ):
        assert needed in names
    assert any(n.startswith("runreport/prebuilt_files/vega-") for n in names)
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


def test_shipped_bundle_and_shapes_are_what_this_machine_would_make() -> None:
    """The Vega bundle and chart shapes shipped in the package are current: made by the
    installed vl-convert and altair from this code (else run
    ``python -c 'from runreport.assets import write_prebuilt; write_prebuilt()'``)."""
    import vl_convert

    from runreport import charts, prebuilt

    version = getattr(vl_convert, "__version__", "unknown")
    shipped = prebuilt.bundle(version, charts.vega_lite_version())
    assert shipped is not None, "no Vega bundle shipped for the installed vl-convert"
    fresh = vl_convert.javascript_bundle(  # type: ignore[call-arg]
        vl_version=charts.vega_lite_version()
    ).encode("utf-8")
    assert shipped == fresh
    assert prebuilt.shapes() == charts.made(), "shapes.json is stale: write_prebuilt()"


def test_a_first_build_on_an_empty_cache_makes_neither(tmp_path: Path) -> None:
    """On a fresh machine (an empty cache folder) a build takes the shipped bundle and shapes:
    vl-convert never makes a bundle and altair is never imported."""
    script = (
        "import sys, vl_convert\n"
        "from pathlib import Path\n"
        "def refuse(*a, **k): raise AssertionError('a Vega bundle was made')\n"
        "vl_convert.javascript_bundle = refuse\n"
        "sys.modules['altair'] = None  # importing it now raises ImportError\n"
        "from runreport.build import BuildConfig, build_site\n"
        "build_site(BuildConfig(inputs=(Path(sys.argv[1]),), output=Path(sys.argv[2])))\n"
    )
    env = {"RUNREPORT_CACHE_DIR": str(tmp_path / "empty-cache"), "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [sys.executable, "-c", script, str(REPO / "example_logs"), str(tmp_path / "site")],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert (tmp_path / "site" / "assets" / "vega.js").stat().st_size > 500_000
