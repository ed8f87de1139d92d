"""A build on Dask against the local build of the same runs (needs the ``dask`` extra, which
the ``test`` extra brings).

    python benchmarks/distributed_build.py --scale large

Each build is ``runreport build`` in a new process with an empty cache folder of its own, as
on a fresh CI runner, on the scale's runreport JSONL runs: with this machine's processes
(``-j 2``), on a new ``LocalCluster`` of two workers (``--executor dask -j 2``: the cluster's
start is in the time), and on a cluster already running (a ``dask scheduler`` and two
``dask worker`` processes on 127.0.0.1, started here: ``--scheduler``). Every site is checked
to be the local build's, byte for byte. Then what crosses the network per run: a task's
arguments and what it sends back (views and data files), pickled as Dask sends them."""

from __future__ import annotations

import argparse
import os
import pickle
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNREPORT = str(Path(sys.executable).parent / "runreport")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _build(logdir: Path, out: Path, cache: Path, *flags: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [RUNREPORT, "build", str(logdir), "-o", str(out), "-j", "2", *flags],
        check=True,
        capture_output=True,
        env={**os.environ, "RUNREPORT_CACHE_DIR": str(cache), "SOURCE_DATE_EPOCH": "1767225600"},
    )
    return time.perf_counter() - start


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def _cluster(work: Path) -> tuple[str, list[subprocess.Popen[bytes]]]:
    """A scheduler and two one-thread workers on 127.0.0.1 (each worker its own cache)."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1"]
    processes = [
        subprocess.Popen([*scheduler, "--port", str(port), "--no-dashboard"], **quiet)  # type: ignore[call-overload]
    ]
    for name in ("w1", "w2"):
        worker = [sys.executable, "-m", "distributed.cli.dask_worker", address, "--name", name]
        worker += ["--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"]
        processes.append(
            subprocess.Popen(  # type: ignore[call-overload]
                [*worker, "--local-directory", str(work / name)],
                env={**os.environ, "RUNREPORT_CACHE_DIR": str(work / f"cache-{name}")},
                **quiet,
            )
        )
    from distributed import Client

    with Client(address, timeout=60, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=60)
    return address, processes


def _per_run(logdir: Path, sample: int) -> tuple[float, float, int]:
    """Mean bytes of a task's arguments and of its result (pickled), over ``sample`` units."""
    from runreport.cache import fingerprint
    from runreport.distributed import origin
    from runreport.errors import Problems
    from runreport.readers import discover
    from runreport.runfiles import read_unit_inline

    units = discover([logdir], Problems())[:sample]
    sent, back = [], []
    for unit in units:
        fp = fingerprint(unit)
        sent.append(len(pickle.dumps((unit, fp, origin(unit)))))
        back.append(len(pickle.dumps(read_unit_inline(unit, fp, charts=False))))
    return statistics.mean(sent), statistics.mean(back), len(units)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="large")
    parser.add_argument("--data-dir", type=Path, default=HERE / ".data")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logdir = args.data_dir / args.scale / "native"
    if not logdir.is_dir():
        sys.exit(f"no {logdir}: run python benchmarks/generate.py --scale {args.scale} first")
    work = Path(tempfile.mkdtemp(prefix="runreport-dask-"))
    times: dict[str, list[float]] = {"local": [], "dask LocalCluster": [], "dask --scheduler": []}
    address, processes = _cluster(work)
    try:
        for k in range(args.repeat):
            runs = {
                "local": ("local", ()),
                "cluster": ("dask LocalCluster", ("--executor", "dask")),
                "scheduler": ("dask --scheduler", ("--scheduler", address)),
            }
            for slug, (name, flags) in runs.items():
                out = work / f"site-{k}-{slug}"
                times[name].append(_build(logdir, out, work / f"cache-{k}-{slug}", *flags))
                if slug != "local":
                    same = _files(out) == _files(work / f"site-{k}-local")
                    assert same, f"{name}: not the local build's site"
                    shutil.rmtree(out)
            shutil.rmtree(work / f"site-{k}-local")
    finally:
        for process in processes:
            process.kill()
        shutil.rmtree(work, ignore_errors=True)
    local = statistics.median(times["local"])
    print(f"scale {args.scale}: {logdir}; cold builds (empty cache folders), -j 2")
    print(f"medians of {args.repeat}")
    for name, values in times.items():
        median = statistics.median(values)
        each = ", ".join(f"{v:.2f}" for v in values)
        print(f"  {name:18s} {median:7.2f} s = {median / local:.2f}x local ({each})")
    sent, back, n = _per_run(logdir, 20)
    print(
        f"  per task (mean of {n} units): {sent / 1024:.1f} kB sent, {back / 1024:.1f} kB sent back"
    )


if __name__ == "__main__":
    main()
