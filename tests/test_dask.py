"""Builds that read runs as Dask tasks (``--executor dask``, ``--scheduler``), on a real
cluster: a ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1, started and
stopped here, each worker with a cache folder of its own (as on other machines). The site is
byte for byte the local build's; workers read a remote LOGDIR from the store themselves; a
worker killed mid-build costs nothing but time."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import EXAMPLE_LOGS, free_port, invoke, mixed_logs

import runreport

distributed = pytest.importorskip("distributed")
import dask  # noqa: E402  (with distributed)

DASK = [sys.executable, "-m"]


@dataclass
class Cluster:
    address: str
    workers: dict[str, subprocess.Popen[bytes]]
    caches: dict[str, Path]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)


def _wait(address: str, workers: int) -> None:
    """Until the scheduler at ``address`` has ``workers`` workers (60 s at most)."""
    with distributed.Client(address, timeout=60, set_as_default=False) as client:
        client.wait_for_workers(workers, timeout=60)


@contextlib.contextmanager
def _cluster(tmp: Path, **config: str) -> Iterator[Cluster]:
    """A scheduler and two workers, each worker with its own cache folder and no credentials
    for any store in its environment; ``config``: the scheduler's Dask settings."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    base.pop("RUNREPORT_CACHE_DIR", None)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [
            *DASK,
            "distributed.cli.dask_scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-dashboard",
        ],
        env={**base, **config},
        **quiet,  # type: ignore[call-overload]
    )
    cluster = Cluster(address, {}, {}, [scheduler])
    try:
        for name in ("w1", "w2"):
            cache = tmp / f"cache-{name}"
            worker = subprocess.Popen(
                [
                    *DASK,
                    "distributed.cli.dask_worker",
                    address,
                    "--name",
                    name,
                    "--nthreads",
                    "1",
                    "--host",
                    "127.0.0.1",
                    "--no-dashboard",
                    "--local-directory",
                    str(tmp / name),
                ],
                env={**base, "RUNREPORT_CACHE_DIR": str(cache)},
                **quiet,  # type: ignore[call-overload]
            )
            cluster.workers[name], cluster.caches[name] = worker, cache
            cluster.processes.append(worker)
        _wait(address, 2)
        yield cluster
    finally:
        for process in reversed(cluster.processes):
            process.kill()  # (a worker's orderly shutdown takes seconds: nothing to keep here)
        for process in cluster.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    with _cluster(tmp_path) as running:
        yield running


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def _runs(root: Path, count: int, steps: int) -> Path:
    """``count`` runs written by runreport's own logger, and one with a bad line."""
    for n in range(count):
        with runreport.start_run("sweep", root, name=f"run-{n}") as run:
            run.log_params({"lr": 0.1 / (n + 1)})
            for step in range(steps):
                run.log("loss", 1 / (step + n + 1), step=step)
                run.log("acc", step / steps, step=step)
    with runreport.start_run("sweep", root, name="broken") as run:
        run.log("loss", 1.0, step=0)
    with (run.path / "metrics.jsonl").open("a") as fh:
        fh.write("{not json\n")
    return root


def test_a_build_on_a_dask_cluster_is_the_local_build(
    cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = _runs(mixed_logs(tmp_path) / "sweep", 4, 50).parent
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    monkeypatch.setenv("RUNREPORT_CACHE_DIR", str(tmp_path / "cache"))
    code, here = invoke("build", str(logs), "-o", str(tmp_path / "local"))
    assert code == 0, here
    code, there = invoke(
        "build", str(logs), "-o", str(tmp_path / "dask"), "--scheduler", cluster.address
    )
    assert code == 0, there
    assert _files(tmp_path / "dask") == _files(tmp_path / "local")
    # the bad line is the same problem, at the same place, as in the local build
    problem = next(line for line in here.splitlines() if "metrics.jsonl:" in line)
    assert problem in there.splitlines()
    # a rebuild takes every run from the cache, as a local one does
    code, again = invoke(
        "build", str(logs), "-o", str(tmp_path / "dask"), "--scheduler", cluster.address
    )
    assert code == 0 and "nothing changed" in again, again


def test_a_local_dask_cluster_builds_the_same_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    monkeypatch.setenv("RUNREPORT_CACHE_DIR", str(tmp_path / "cache"))
    code, out = invoke("build", str(EXAMPLE_LOGS), "-o", str(tmp_path / "local"), "--no-cache")
    assert code == 0, out
    code, out = invoke(
        "build",
        str(EXAMPLE_LOGS),
        "-o",
        str(tmp_path / "dask"),
        "--no-cache",
        "--executor",
        "dask",
        "-j",
        "2",
    )
    assert code == 0, out
    assert _files(tmp_path / "dask") == _files(tmp_path / "local")


def test_workers_read_a_remote_folder_from_the_store_themselves(
    cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import s3fs
    from test_remote import KEYS, _moto, _same_times, _upload

    from runreport.cache import unit_paths
    from runreport.errors import Problems
    from runreport.readers import discover

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    monkeypatch.setenv("RUNREPORT_CACHE_DIR", str(tmp_path / "cache"))
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    with _moto() as endpoint:
        options = {
            "endpoint_url": endpoint,
            "key": KEYS["AWS_ACCESS_KEY_ID"],
            "secret": KEYS["AWS_SECRET_ACCESS_KEY"],
        }
        fs = s3fs.S3FileSystem(
            client_kwargs={"endpoint_url": endpoint},
            key=options["key"],
            secret=options["secret"],
            skip_instance_cache=True,
        )
        fs.mkdir("logs-bucket")
        local = mixed_logs(tmp_path)
        _upload(fs, local, "logs-bucket/logs")
        _same_times(fs, local, "logs-bucket/logs")
        code, out = invoke("build", str(local), "-o", str(tmp_path / "local"))
        assert code == 0, out
        flags = [a for k, v in options.items() for a in ("--storage-option", f"{k}={v}")]
        url = "s3://logs-bucket/logs"
        code, out = invoke(
            "build", url, "-o", str(tmp_path / "dask"), "--scheduler", cluster.address, *flags
        )
        assert code == 0, out
    assert _files(tmp_path / "dask") == _files(tmp_path / "local")
    assert KEYS["AWS_SECRET_ACCESS_KEY"] not in out
    # every file a run is read from was fetched by a worker into its own cache folder
    fetched: set[str] = set()
    for cache in cluster.caches.values():
        for mirror in cache.glob("remote/*/logs"):
            fetched |= {p.relative_to(mirror).as_posix() for p in mirror.rglob("*") if p.is_file()}
    read = {
        Path(os.path.relpath(path, local)).as_posix()
        for unit in discover([local], Problems())
        for path in unit_paths(unit)
    }
    assert fetched == read


def test_a_worker_killed_mid_build_changes_nothing(
    cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = _runs(tmp_path / "logs", 16, 300)
    local, dask_site, out = _killed_mid_build(cluster, logs, tmp_path, monkeypatch)
    assert "not read" not in out, out
    assert _files(dask_site) == _files(local)


def test_a_task_that_kills_every_worker_it_is_given_is_a_problem_of_its_unit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = _runs(tmp_path / "logs", 16, 300)
    # Dask gives a task to no other worker once one died running it
    with _cluster(tmp_path, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="0") as cluster:
        _, _, out = _killed_mid_build(cluster, logs, tmp_path, monkeypatch)
    assert "not read: its Dask task failed (KilledWorker" in out, out
    assert "the workers running it died (out of memory?" in out


def _killed_mid_build(
    cluster: Cluster, logs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path, str]:
    """A local build of ``logs``, and one on ``cluster`` during which a worker that holds
    tasks is killed: both sites, and what the second printed."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    monkeypatch.setenv("RUNREPORT_CACHE_DIR", str(tmp_path / "cache"))
    code, out = invoke("build", str(logs), "-o", str(tmp_path / "local"), "--no-cache")
    assert code == 0, out
    killed: list[str] = []
    done = threading.Event()

    def kill_a_busy_worker() -> None:
        with distributed.Client(cluster.address, timeout=30, set_as_default=False) as client:
            names = {a: w["name"] for a, w in client.scheduler_info()["workers"].items()}
            while not done.is_set():
                busy = [
                    names[a] for a, tasks in client.processing().items() if tasks and a in names
                ]
                if busy:
                    cluster.workers[busy[0]].send_signal(signal.SIGKILL)
                    killed.append(busy[0])
                    return
                time.sleep(0.005)

    watcher = threading.Thread(target=kill_a_busy_worker)
    watcher.start()
    try:
        code, out = invoke(
            "build",
            str(logs),
            "-o",
            str(tmp_path / "dask"),
            "--no-cache",
            "--scheduler",
            cluster.address,
        )
    finally:
        done.set()
        watcher.join()
    assert code == 0, out
    assert killed, "no worker was busy while the build ran"
    assert cluster.workers[killed[0]].wait(timeout=10) == -signal.SIGKILL
    return tmp_path / "local", tmp_path / "dask", out


def test_dask_errors_are_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNREPORT_CACHE_DIR", str(tmp_path / "cache"))
    nobody = f"tcp://127.0.0.1:{free_port()}"
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        code, out = invoke(
            "build", str(EXAMPLE_LOGS), "-o", str(tmp_path / "site"), "--scheduler", nobody
        )
    assert code != 0 and f"--scheduler {nobody}: cannot reach it" in out, out
    assert not (tmp_path / "site").exists()
    monkeypatch.setitem(sys.modules, "distributed", None)
    code, out = invoke(
        "build", str(EXAMPLE_LOGS), "-o", str(tmp_path / "site"), "--executor", "dask"
    )
    assert code != 0 and "pip install 'runreport[dask]'" in out, out
    assert not (tmp_path / "site").exists()


def test_storage_options_sent_to_workers_are_not_in_what_a_worker_logs() -> None:
    from runreport.distributed import Origin

    # a worker logs a failed task's arguments by their repr
    sent = Origin("s3://bkt/logs", {"secret": "not-a-real-secret-4f2a"}, "/mirror", {})
    assert "not-a-real-secret-4f2a" not in repr(sent) and "s3://bkt/logs" in repr(sent)
