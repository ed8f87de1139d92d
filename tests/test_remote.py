"""Log folders in object storage, read from a real S3 server: moto's standalone server on
127.0.0.1 and a free port, started and stopped here. A build from ``s3://`` is byte for byte
the build from a local folder of the same files; a rebuild of an unchanged bucket fetches
nothing; bad buckets, credentials, endpoints and objects gone between listing and reading are
clear errors or problems, never a traceback or a half-written site."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE_LOGS, free_port, invoke, mixed_logs

import runreport
from runreport.files import MAX_OUTPUT_BYTES_COPIED

s3fs = pytest.importorskip("s3fs")
pytest.importorskip("moto")

KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "not-a-real-secret-4f2a"}


def _wait_for(port: int, server: subprocess.Popen[bytes], what: str) -> None:
    """Until ``server`` listens on ``port`` (30 s at most)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.1)


@contextlib.contextmanager
def _moto(env: dict[str, str] | None = None) -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 and a free port, in its own process: its endpoint."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    try:
        _wait_for(port, server, "moto's server")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, endpoint: str) -> Any:
    """The environment pointing at ``endpoint`` as botocore reads it (``AWS_ENDPOINT_URL``),
    and an s3fs client of it."""
    env = {**KEYS, "AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": "us-east-1"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("RUNREPORT_CACHE_DIR", str(tmp_path / "cache"))
    s3fs.S3FileSystem.clear_instance_cache()
    return s3fs.S3FileSystem(client_kwargs={"endpoint_url": endpoint}, skip_instance_cache=True)


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """A local S3 server (stopped after the test): its endpoint and an s3fs client."""
    with _moto() as endpoint:
        yield endpoint, _client(monkeypatch, tmp_path, endpoint)


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def _upload(fs: Any, local: Path, url: str) -> None:
    for path in sorted(local.rglob("*")):
        if path.is_file():
            fs.put_file(str(path), f"{url}/{path.relative_to(local).as_posix()}")


def _same_times(fs: Any, local: Path, url: str) -> None:
    """Gives the local files their objects' modification times (the same logs, as the site
    shows files' times for formats that record none)."""
    from runreport.remote import _mtime

    for path in local.rglob("*"):
        if path.is_file():
            when = _mtime(fs.info(f"{url}/{path.relative_to(local).as_posix()}"))
            assert when is not None
            os.utime(path, (when, when))


def test_mlflow_tensorboard_and_wandb_from_s3_build_the_local_site(
    s3: tuple[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, fs = s3
    fs.mkdir("bkt")
    site = tmp_path / "s3-site"
    local = mixed_logs(tmp_path)
    _built_here_and_there(fs, "s3://bkt/team/logs", site, tmp_path, monkeypatch, local)
    assert _files(site) == _files(tmp_path / "local-site")
    code, listing = invoke("ls", str(local), "--json")
    assert code == 0, listing
    formats = {run["format"] for run in json.loads(listing)}
    assert {"mlflow", "tensorboard", "wandb"} < formats, formats


def _built_here_and_there(
    fs: Any,
    url: str,
    site: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    local: Path | None = None,
) -> tuple[Path, str]:
    """``local`` (by default ``example_logs`` copied to ``tmp_path``) uploaded below ``url``
    (their times made the objects'), built from the copy into ``tmp_path / "local-site"`` and
    from ``url`` into ``site`` (a fixed build time): the copy, and what the remote build
    printed."""
    if local is None:
        local = tmp_path / "example_logs"
        shutil.copytree(EXAMPLE_LOGS, local)
    where = url.split("://", 1)[1]
    _upload(fs, local, where)
    _same_times(fs, local, where)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    code, out = invoke("build", str(local), "-o", str(tmp_path / "local-site"))
    assert code == 0, out
    code, out = invoke("build", url, "-o", str(site))
    assert code == 0, out
    return local, out


def test_a_build_from_s3_is_the_build_from_the_same_local_folder(
    s3: tuple[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, fs = s3
    fs.mkdir("logs-bucket")
    url = "s3://logs-bucket/team/example_logs"
    local, out = _built_here_and_there(fs, url, tmp_path / "s3-site", tmp_path, monkeypatch)
    listed = len(list(p for p in local.rglob("*") if p.is_file()))
    assert f"{url}: {listed} objects listed, {listed} fetched" in out
    assert _files(tmp_path / "s3-site") == _files(tmp_path / "local-site")
    assert KEYS["AWS_SECRET_ACCESS_KEY"] not in "".join(
        p.read_text("utf-8", "replace") for p in (tmp_path / "s3-site").rglob("*") if p.is_file()
    )

    # unchanged: only the listing is read; one object changed: only it is fetched
    code, out = invoke("build", url, "-o", str(tmp_path / "s3-site"))
    assert code == 0 and f"{listed} objects listed, 0 fetched" in out, out
    one = next(p for p in sorted(local.rglob("*.jsonl")))
    fs.pipe_file(f"logs-bucket/team/example_logs/{one.relative_to(local).as_posix()}", b"{}\n")
    code, out = invoke("build", url, "-o", str(tmp_path / "s3-site"))
    assert code == 0 and f"{listed} objects listed, 1 fetched" in out, out
    # the problem it now has is printed at its URL (the site names it as the local build would)
    assert f"warning: {url}/{one.relative_to(local).as_posix()}:1: record has no" in out, out


def test_storage_options_reach_the_filesystem_and_are_never_printed(
    s3: tuple[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint, fs = s3
    fs.mkdir("bkt")
    fs.pipe_file("bkt/runs/r1/metrics.jsonl", b'{"name": "loss", "value": 1.0, "step": 0}\n')
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    secret = KEYS["AWS_SECRET_ACCESS_KEY"]
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    args = ["ls", "s3://bkt/runs", "--storage-option", f"endpoint_url={endpoint}"]
    code, out = invoke(*args, "--storage-option", f"secret={secret}", "--storage-option", "key=k")
    assert code == 0, out
    assert "r1" in out and secret not in out


def test_load_reads_a_remote_folder(s3: tuple[str, Any]) -> None:
    import runreport
    from runreport.api import metric_stat

    endpoint, fs = s3
    fs.mkdir("bkt")
    fs.pipe_file("bkt/runs/r1/metrics.jsonl", b'{"name": "loss", "value": 2.5, "step": 0}\n')
    runs = runreport.load("s3://bkt/runs", storage_options={"endpoint_url": endpoint})
    assert [r.title for r in runs] == ["r1"]
    assert metric_stat(runs[0], "loss") == 2.5


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("s3://no-such-bucket/logs", "s3://no-such-bucket/logs: no such bucket or folder"),
        ("s3://bkt/empty", "s3://bkt/empty: nothing there"),
    ],
)
def test_a_bucket_or_folder_that_is_not_there_is_an_error_and_no_site(
    s3: tuple[str, Any], tmp_path: Path, url: str, says: str
) -> None:
    s3[1].mkdir("bkt")
    code, out = invoke("build", url, "-o", str(tmp_path / "site"))
    assert code != 0 and says in out, out
    assert not (tmp_path / "site").exists()


def test_an_endpoint_that_is_down_is_an_error_and_no_site(
    s3: tuple[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    s3fs.S3FileSystem.clear_instance_cache()
    code, out = invoke("build", "s3://bkt/logs", "-o", str(tmp_path / "site"))
    assert code != 0 and "s3://bkt/logs: cannot list it" in out and "check the address" in out
    assert not (tmp_path / "site").exists()


def test_refused_credentials_are_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # moto checks credentials after its first 2 requests (the bucket and the object, made
    # here with plain HTTP); the keys given are no IAM user's, so the listing is refused
    with _moto({"INITIAL_NO_AUTH_ACTION_COUNT": "2"}) as endpoint:
        _client(monkeypatch, tmp_path, endpoint)
        for path, body in (("/bkt", b""), ("/bkt/logs/r/metrics.jsonl", b"{}\n")):
            put = urllib.request.Request(endpoint + path, data=body, method="PUT")
            urllib.request.urlopen(put).close()
        code, out = invoke("build", "s3://bkt/logs", "-o", str(tmp_path / "site"))
    assert code != 0 and "s3://bkt/logs" in out and "check the credentials" in out, out
    assert KEYS["AWS_SECRET_ACCESS_KEY"] not in out
    assert not (tmp_path / "site").exists()


def test_hostile_keys_are_left_out_and_an_object_gone_after_listing_is_a_note(
    s3: tuple[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, fs = s3
    fs.mkdir("bkt")
    good = b'{"name": "loss", "value": 1.0, "step": 0}\n'
    fs.pipe_file("bkt/logs/r1/metrics.jsonl", good)
    fs.pipe_file("bkt/logs/r2/metrics.jsonl", good)
    fs.pipe_file("bkt/logs/a/../../escape.jsonl", good)  # a key, not a path
    fs.pipe_file("bkt/logs/r1", good)  # a key that is also a folder of others
    from runreport import remote

    real_open = s3fs.S3FileSystem.open

    def gone_after_listing(self: Any, path: str, *args: Any, **kwargs: Any) -> Any:
        if path.endswith("r2/metrics.jsonl"):
            raise FileNotFoundError(path)
        return real_open(self, path, *args, **kwargs)

    monkeypatch.setattr(s3fs.S3FileSystem, "open", gone_after_listing)
    said: list[str] = []
    dest = remote.mirror("s3://bkt/logs", {}, said.append)
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == [
        "r1/metrics.jsonl"
    ]
    assert any("not a name a folder can hold" in s for s in said)
    assert "s3://bkt/logs/r1: left out, a folder of other objects has its name" in said
    assert any(
        s.startswith("s3://bkt/logs/r2/metrics.jsonl: deleted after the listing") for s in said
    )
    assert not list(tmp_path.rglob("escape.jsonl"))  # nothing written outside the mirror


def test_an_object_changed_between_listing_and_reading_is_read_as_it_is_now(
    s3: tuple[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, fs = s3
    fs.mkdir("bkt")
    first = b'{"name": "loss", "value": 1.0, "step": 0}\n'
    now = first + b'{"name": "loss", "value": 0.5, "step": 1}\n'
    fs.pipe_file("bkt/logs/r1/metrics.jsonl", first)
    from s3fs.utils import FileExpired

    from runreport import remote

    real_open = s3fs.S3FileSystem.open
    changed: list[str] = []

    def written_meanwhile(self: Any, path: str, *args: Any, **kwargs: Any) -> Any:
        if path.endswith("r1/metrics.jsonl") and not changed:  # the run wrote on
            changed.append(path)
            fs.pipe_file(path, now)
            raise FileExpired(path, "listed-etag")
        return real_open(self, path, *args, **kwargs)

    monkeypatch.setattr(s3fs.S3FileSystem, "open", written_meanwhile)
    said: list[str] = []
    dest = remote.mirror("s3://bkt/logs", {}, said.append)
    assert changed and (dest / "r1/metrics.jsonl").read_bytes() == now
    assert "s3://bkt/logs: 1 objects listed, 1 fetched" in said
    # kept under what the store says of it now: the next listing fetches nothing
    said.clear()
    remote.mirror("s3://bkt/logs", {}, said.append)
    assert "s3://bkt/logs: 1 objects listed, 0 fetched" in said


def test_model_files_too_big_to_copy_are_listed_not_downloaded(
    s3: tuple[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, fs = s3
    fs.mkdir("bkt")
    local = tmp_path / "logs"
    with runreport.start_run("exp", local, name="trained") as run:
        run.log("loss", 0.5, step=0)
    model = run.path / "outputs" / "model.safetensors"
    model.write_bytes(b"\x01" * (MAX_OUTPUT_BYTES_COPIED + 1))
    (run.path / "outputs" / "notes.txt").write_text("small, copied")
    _, out = _built_here_and_there(
        fs, "s3://bkt/logs", tmp_path / "s3-site", tmp_path, monkeypatch, local
    )
    listed = len([p for p in local.rglob("*") if p.is_file()])
    assert f"{listed} objects listed, {listed - 1} fetched; 1 over 50 MB that" in out, out
    # the site lists it with its size, as a local build does (neither copies it)
    assert _files(tmp_path / "s3-site") == _files(tmp_path / "local-site")
    [mirrored] = (tmp_path / "cache" / "remote").rglob("model.safetensors")
    st = mirrored.stat()
    assert st.st_size == MAX_OUTPUT_BYTES_COPIED + 1 and st.st_blocks * 512 < 1 << 20  # sparse
    # once small enough to copy, it is fetched
    fs.pipe_file(f"bkt/logs/{model.relative_to(local).as_posix()}", b"now small")
    code, out = invoke("build", "s3://bkt/logs", "-o", str(tmp_path / "s3-site"))
    assert code == 0 and f"{listed} objects listed, 1 fetched" in out, out
    assert mirrored.read_bytes() == b"now small"


@pytest.mark.slow
def test_a_big_log_is_read_in_part_unless_a_reader_parses_it(
    s3: tuple[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, fs = s3
    fs.mkdir("bkt")
    local = tmp_path / "logs"
    with runreport.start_run("exp", local, name="chatty") as run:
        run.log("loss", 0.5, step=0)
    noise = b"still training, nothing to report " * 30 + b"\n"
    # a run's console output: listed, its end shown, never parsed
    stdout = run.path / "logs" / "stdout.txt"
    stdout.write_bytes(b"first line\n" + noise * (MAX_OUTPUT_BYTES_COPIED // len(noise) + 1))
    # a training log that the plain-log reader parses, as big, with metrics all along
    train = local / "console" / "training.log"
    train.parent.mkdir()
    with train.open("wb") as fh:
        for epoch in range(1, 10**6):
            fh.write(f"INFO:Epoch {epoch}: Train Loss={1 / epoch:.4f}, Val Loss=0.5\n".encode())
            if epoch > 20:
                fh.write(noise * 200)
            if fh.tell() > MAX_OUTPUT_BYTES_COPIED:
                break
    _, out = _built_here_and_there(
        fs, "s3://bkt/logs", tmp_path / "s3-site", tmp_path, monkeypatch, local
    )
    listed = len([p for p in local.rglob("*") if p.is_file()])
    assert f"{listed} objects listed, {listed - 1} fetched; 1 logs over 50 MB read in part" in out
    assert _files(tmp_path / "s3-site") == _files(tmp_path / "local-site")
    mirror = next((tmp_path / "cache" / "remote").glob("*/logs"))
    part = mirror / stdout.relative_to(local)
    assert part.stat().st_size == stdout.stat().st_size and part.stat().st_blocks * 512 < 2 << 20
    data, whole = part.read_bytes(), stdout.read_bytes()
    assert data[: 1 << 20] == whole[: 1 << 20] and data[-200_000:] == whole[-200_000:]
    assert (mirror / train.relative_to(local)).read_bytes() == train.read_bytes()
    # unchanged: nothing fetched again (the parsed log stays whole, the other in part)
    code, out = invoke("build", "s3://bkt/logs", "-o", str(tmp_path / "s3-site"))
    assert code == 0 and f"{listed} objects listed, 0 fetched" in out, out
    assert (mirror / train.relative_to(local)).read_bytes() == train.read_bytes()


AZURITE = (
    Path(__file__).resolve().parents[1] / ".venv/azurite/node_modules/azurite/dist/src/blob/main.js"
)
#: Azurite's well-known development account (its documented key, no secret)
AZURE_ACCOUNT = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey="
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
)


@pytest.fixture
def azurite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Azurite's Blob service on 127.0.0.1 and a free port (its own Node process, installed
    by tests/run.sh), the connection string in the environment as adlfs reads it, and an
    adlfs client. Stopped after the test."""
    adlfs = pytest.importorskip("adlfs")
    if not AZURITE.is_file():
        pytest.fail(f"no Azurite at {AZURITE}: run the tests with bash tests/run.sh")
    port = free_port()
    server = subprocess.Popen(
        [
            *("node", str(AZURITE), "--blobHost", "127.0.0.1", "--blobPort", str(port)),
            *("--location", str(tmp_path / "azurite"), "--silent", "--skipApiVersionCheck"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, server, "Azurite")
        connection = AZURE_ACCOUNT + f"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
        monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", connection)
        monkeypatch.setenv("RUNREPORT_CACHE_DIR", str(tmp_path / "cache"))
        yield adlfs.AzureBlobFileSystem(connection_string=connection, skip_instance_cache=True)
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.parametrize("scheme", ["az", "abfs"])
def test_a_build_from_azure_blob_is_the_build_from_the_same_local_folder(
    azurite: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    azurite.mkdir("logs")
    url = f"{scheme}://logs/team/example_logs"
    _built_here_and_there(azurite, url, tmp_path / "azure-site", tmp_path, monkeypatch)
    assert _files(tmp_path / "azure-site") == _files(tmp_path / "local-site")
    code, out = invoke("build", url, "-o", str(tmp_path / "azure-site"))
    assert code == 0 and "objects listed, 0 fetched" in out, out
    # published to a container, each file with its content type
    azurite.mkdir("web")
    code, out = invoke(
        "build", url, "-o", str(tmp_path / "azure-site"), "--publish", f"{scheme}://web/www"
    )
    assert code == 0 and "published to" in out, out
    info = azurite.info("web/www/assets/common.js", refresh=True)
    assert info["content_settings"]["content_type"] == "text/javascript"
    code, out = invoke("build", f"{scheme}://no-such-container/x", "-o", str(tmp_path / "s"))
    # (adlfs lists a container that is not there as empty)
    assert code != 0 and "x: nothing there" in out and not (tmp_path / "s").exists(), out


def test_publish_uploads_the_site_with_content_types_then_only_what_changed(
    s3: tuple[str, Any], tmp_path: Path
) -> None:
    _, fs = s3
    fs.mkdir("site-bucket")
    site = tmp_path / "site"
    args = ["build", str(EXAMPLE_LOGS), "-o", str(site), "--publish", "s3://site-bucket/www"]
    code, out = invoke(*args)
    assert code == 0, out
    files = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert f"published to s3://site-bucket/www: {len(files)} files uploaded, 0 unchanged" in out
    assert fs.cat_file("site-bucket/www/index.html") == (site / "index.html").read_bytes()
    types = {
        rel: fs.info(f"site-bucket/www/{rel}", refresh=True).get("ContentType")
        for rel in ("index.html", "assets/common.js", "assets/style.css", "runs.json")
    }
    assert types == {
        "index.html": "text/html",
        "assets/common.js": "text/javascript",
        "assets/style.css": "text/css",
        "runs.json": "application/json",
    }
    code, out = invoke(*args)
    assert code == 0 and f"0 files uploaded, {len(files)} unchanged" in out, out


def test_publish_puts_the_index_last_and_removes_what_the_site_no_longer_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runreport import publish

    calls: list[tuple[str, str]] = []

    class Recording:
        def cat_file(self, path: str) -> bytes:
            if not calls:
                raise FileNotFoundError(path)
            return b'{"old.html": "x"}'

        def put_file(self, local: str, remote: str, **kw: Any) -> None:
            calls.append(("put", remote.split("www/", 1)[1]))

        def rm_file(self, remote: str) -> None:
            calls.append(("rm", remote.split("www/", 1)[1]))

        def pipe_file(self, remote: str, data: bytes) -> None:
            calls.append(("manifest", remote.split("www/", 1)[1]))

    monkeypatch.setattr(publish, "connect", lambda url, options: (Recording(), "bkt/www"))
    site = tmp_path / "site"
    for rel in ("index.html", "runs/a.html", "data/runs/a.js", "assets/x.css"):
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(rel)
    publish.publish(site, "s3://bkt/www", {})
    assert calls == [
        ("put", "assets/x.css"),
        ("put", "data/runs/a.js"),
        ("put", "runs/a.html"),
        ("put", "index.html"),
        ("manifest", publish.MANIFEST),
    ]
    calls.clear()
    calls.append(("first", ""))
    (site / "runs" / "a.html").write_text("changed")
    publish.publish(site, "s3://bkt/www", {})  # the manifest read says old.html was there
    assert ("rm", "old.html") in calls and calls[-1] == ("manifest", publish.MANIFEST)


def test_serve_follows_a_remote_folder_by_listing_it_again(s3: tuple[str, Any]) -> None:
    import signal

    _, fs = s3
    fs.mkdir("bkt")
    run = b'{"name": "loss", "value": 1.0, "step": 0}\n'
    fs.pipe_file("bkt/logs/first/metrics.jsonl", run)
    runreport = Path(sys.executable).parent / "runreport"
    proc = subprocess.Popen(
        [str(runreport), "serve", "s3://bkt/logs", "--port", "0", "--poll", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        with proc.stdout:  # closed at the end of the output
            lines.extend(line.rstrip("\n") for line in proc.stdout)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()

    def wait_for(text: str) -> str:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            found = [line for line in list(lines) if text in line]
            if found:
                return found[-1]
            time.sleep(0.1)
        raise AssertionError(f"no {text!r} in {lines}")

    try:
        url = wait_for("serving http://").split()[1]
        fs.pipe_file("bkt/logs/second/metrics.jsonl", run)  # a run started after
        wait_for("s3://bkt/logs: 2 objects listed, 1 fetched")
        wait_for("for 2 runs")
        with urllib.request.urlopen(url + "index.html") as page:
            assert b"second" in page.read()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
        reader.join(timeout=20)
    assert "stopped" in lines
