"""Shared fixtures and helpers: tiny native runs written by hand, the example site built once,
the command line invoked in-process (:func:`invoke`) and runs read with their problems
(:func:`read`)."""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from runreport.build import BuildConfig, build_site
from runreport.cli import cli
from runreport.errors import Problems
from runreport.model import Run
from runreport.readers import read_runs

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_LOGS = REPO / "example_logs"
#: Debian's Chromium, which tests/run.sh installs; the browser tests drive it with Playwright.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session", autouse=True)
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One cache for the test session (parsed runs, site manifests, the Vega bundle), never
    the user's; subprocesses started by tests inherit it."""
    path = tmp_path_factory.mktemp("runreport-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RUNREPORT_CACHE_DIR", str(path))
        yield path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's), for one test module."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Debian's chromium is missing: run tests/run.sh, which installs it"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (for a server a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def invoke(*args: str) -> tuple[int, str]:
    """Run ``runreport ARGS`` in this process: its exit code and output (never a traceback)."""
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def read(path: Path, *, include_deleted: bool = False) -> tuple[list[Run], Problems]:
    """Every run below ``path`` and the problems met reading them."""
    problems = Problems()
    return list(read_runs([path], problems, include_deleted=include_deleted)), problems


def write_run(
    root: Path,
    run_id: str,
    records: Iterable[dict[str, Any] | str | bytes] = (),
    **meta: Any,
) -> Path:
    """Write a native run folder by hand: ``run.json`` from ``meta``, one line per record."""
    folder = root / run_id
    folder.mkdir(parents=True, exist_ok=True)
    full = {"format": 1, "id": run_id, "name": run_id, "experiment": "exp", "status": "Completed"}
    full.update(meta)
    (folder / "run.json").write_text(json.dumps(full))
    lines = []
    for r in records:
        if isinstance(r, bytes):
            lines.append(r)
        elif isinstance(r, str):
            lines.append(r.encode())
        else:
            lines.append(json.dumps(r).encode())
    (folder / "metrics.jsonl").write_bytes(b"".join(line + b"\n" for line in lines))
    return folder


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built from example_logs/ (built once per test session)."""
    out = tmp_path_factory.mktemp("example") / "site"
    result = build_site(BuildConfig(inputs=(EXAMPLE_LOGS,), output=out))
    assert result.runs >= 8
    return out


@pytest.fixture
def copy_examples(tmp_path: Path) -> Path:
    """A private copy of example_logs/ that a test may change."""
    target = tmp_path / "logs"
    shutil.copytree(EXAMPLE_LOGS / "runs", target)
    return target


HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
#: An SVG image that runs script when opened as a document (never when shown through <img>).
ACTIVE_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20" onload="alert(\'svg\')">'
    '<script>alert("svg script")</script><rect width="40" height="20" fill="red"/></svg>'
)
#: Size of the sparse log file the hostile set gets at test time (a real 2 GB file, no disk used).
HUGE_LOG_BYTES = 2 * 1024**3


@pytest.fixture
def hostile_logs(tmp_path: Path) -> Path:
    """tests/data/hostile plus what git cannot hold: link loops, links out of the folder,
    FIFOs, hostile file names and a 2 GB log file."""
    import os

    logs = tmp_path / "hostile"
    shutil.copytree(HOSTILE, logs, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET outside the log folder\n")
    run = logs / "xss" / "run-1"
    outputs = run / "outputs"
    outputs.mkdir()
    (outputs / "loop").symlink_to("..")  # a link loop
    (outputs / "secret-link.txt").symlink_to(secret)  # a link out of the log folder
    (logs / "xss" / "outside").symlink_to(tmp_path)  # a folder link out of the log folder
    os.mkfifo(outputs / "pipe")
    (outputs / "zero").symlink_to("/dev/zero")  # a device behind a link: never opened
    for name in (
        "<script>alert(7)<\\script>.txt",
        "CON.txt",
        "new\nline.txt",
        "x" * 250,
        "Same.txt",
        "same.txt",
        "..hidden",
    ):
        (outputs / name).write_text(f"file named {name!r}\n")
    # documents that would run script on the site's origin if published as they are
    (outputs / "report.html").write_text("<script>alert('html output')</script>")
    (outputs / "page.XHTML").write_text(
        '<html xmlns="http://www.w3.org/1999/xhtml"><script>alert("xhtml")</script></html>'
    )
    (outputs / "feed.xml").write_text(
        '<x><script xmlns="http://www.w3.org/1999/xhtml">alert("xml")</script></x>'
    )
    (outputs / "plot.svg").write_text(ACTIVE_SVG)
    (run / "logs" / "trace.htm").write_text("<img src=x onerror=alert('htm log')>")
    with (run / "metrics.jsonl").open("a") as fh:
        fh.write('{"kind": "image", "name": "svg plot", "path": "outputs/plot.svg"}\n')
    with (run / "logs" / "huge.log").open("wb") as fh:
        fh.truncate(HUGE_LOG_BYTES - 8)
        fh.seek(HUGE_LOG_BYTES - 8)
        fh.write(b"THE END\n")
    fifo_run = logs / "fifo-run"
    fifo_run.mkdir()
    os.mkfifo(fifo_run / "metrics.jsonl")  # reading it would block forever
    link_run = logs / "link-run"
    link_run.mkdir()
    (link_run / "metrics.jsonl").symlink_to(secret)
    (link_run / "run.json").symlink_to(secret)
    return logs


#: The producing libraries (mlflow, pandas, sqlalchemy, dvc) warn about their own deprecations.
PRODUCER_WARNINGS = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]


@pytest.fixture
def mlflow_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The ``mlflow`` module, with the working folder in ``tmp_path`` and the file store
    allowed (the test extra installs mlflow: a missing install fails)."""
    import mlflow

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    return mlflow


def mlflow_uri(tmp_path: Path, store: str) -> str:
    """The tracking URI of an MLflow ``store`` (``file`` or ``sqlite``) in ``tmp_path``, by
    absolute path (mlflow caches a SQL store per URI, across tests)."""
    if store == "file":
        return f"file://{tmp_path / 'mlruns'}"
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def mixed_logs(tmp_path: Path) -> Path:
    """A LOGDIR of every kind the issue names: ``example_logs`` (runreport's own runs), and
    from the shared corpus an MLflow store, TensorBoard files and W&B folders."""
    if not CORPUS.is_dir():
        pytest.skip(f"no corpus at {CORPUS}")
    logs = tmp_path / "logs"
    shutil.copytree(EXAMPLE_LOGS / "runs", logs / "runs")
    for kind in ("mlflow", "tensorboard", "wandb"):
        shutil.copytree(CORPUS / kind, logs / kind, ignore=shutil.ignore_patterns("SOURCE.md"))
    for path in logs.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # (the corpus is read-only)
    return logs
