"""Building from object storage against building from local disk, on a local S3 server
(moto's, on 127.0.0.1, started and stopped here; needs the ``test`` extra).

    python benchmarks/remote.py --scale medium

Each build is ``runreport build`` in a new process with an empty cache folder of its own, as
on a fresh CI runner: the scale's runreport JSONL runs from local disk, then the same files
uploaded to ``s3://bench/<scale>``; then a rebuild from the bucket with nothing changed, whose
requests to the server are counted by kind (moto's request recorder)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _build(logdir: str, out: Path, cache: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).parent / "runreport"), "build", logdir, "-o", str(out)],
        check=True,
        capture_output=True,
        env={**env, "RUNREPORT_CACHE_DIR": str(cache)},
    )
    return time.perf_counter() - start


def _api(endpoint: str, path: str, method: str = "POST") -> bytes:
    request = urllib.request.Request(endpoint + "/moto-api/" + path, data=b"", method=method)
    with urllib.request.urlopen(request) as response:
        return bytes(response.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="medium")
    parser.add_argument("--data-dir", type=Path, default=HERE / ".data")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    local = args.data_dir / args.scale / "native"
    if not local.is_dir():
        sys.exit(f"no {local}: run python benchmarks/generate.py --scale {args.scale} first")
    import s3fs

    work = Path(tempfile.mkdtemp(prefix="runreport-remote-"))
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=work,
        env={**os.environ, "MOTO_RECORDER_FILEPATH": str(work / "recording")},
    )
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
    }
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        fs = s3fs.S3FileSystem(
            key="bench", secret="bench", client_kwargs={"endpoint_url": endpoint}
        )
        fs.mkdir("bench")
        files = [p for p in local.rglob("*") if p.is_file()]
        fs.put(
            [str(p) for p in files],
            [f"bench/{args.scale}/{p.relative_to(local).as_posix()}" for p in files],
        )
        size = sum(p.stat().st_size for p in files)
        url = f"s3://bench/{args.scale}"
        times: dict[str, list[float]] = {"local": [], "s3": []}
        for k in range(args.repeat):
            for name, logdir in (("local", str(local)), ("s3", url)):
                cache, out = work / f"cache-{name}-{k}", work / f"site-{name}-{k}"
                times[name].append(_build(logdir, out, cache, env))
        # a rebuild of the unchanged bucket, its requests recorded
        _api(endpoint, "recorder/reset-recording")
        _api(endpoint, "recorder/start-recording")
        same = _build(url, work / "site-s3-0", work / "cache-s3-0", env)
        _api(endpoint, "recorder/stop-recording")
        kinds: dict[str, int] = {}
        for line in _api(endpoint, "recorder/download-recording", "GET").decode().splitlines():
            entry = json.loads(line)
            listing = "list-type=" in (entry.get("url") or "")
            kind = f"{entry.get('method')} {'listing' if listing else 'object'}"
            kinds[kind] = kinds.get(kind, 0) + 1
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    local_s, s3_s = statistics.median(times["local"]), statistics.median(times["s3"])
    print(
        f"scale {args.scale}: {len(files):,} files, {size / 2**20:.1f} MB; medians of {args.repeat}"
    )
    print(f"cold build from local disk      {local_s:.2f} s")
    ratio = s3_s / local_s
    print(f"cold build from S3 (moto)       {s3_s:.2f} s   {ratio:.2f}x local (target <= 1.5x)")
    print(f"rebuild from S3, nothing changed {same:.2f} s   requests: {kinds}")


if __name__ == "__main__":
    main()
