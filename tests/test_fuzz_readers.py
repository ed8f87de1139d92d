"""Mutated real files of every format: no exception escapes a reader, or the view made from what
it read (the build's own guard, which would hide such a bug as a reported problem, is not used)."""

from __future__ import annotations

import json
import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from runreport.errors import Problems
from runreport.readers import READERS, detect
from runreport.readers.base import walk_files
from runreport.views import run_view

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
EXAMPLE_RUN = next((REPO / "example_logs" / "runs").glob("chart-formats-*/*"))

#: One run folder per format from the shared corpus (real files from public repositories).
CORPUS_RUNS = {
    "mlflow": "mlflow/fashion-mnist-deleted-runs/mlruns",
    "huggingface": "hf-trainer-state",
    "tensorboard": "tensorboard",
    "lightning-csv": "lightning-csv",
    "dvclive": "dvclive",
    "wandb": "wandb",
    "keras-csv": "keras-csv",
    "plain-log": "plain-logs",
}


def _first_run(root: Path, fmt: str) -> Path | None:
    """The first folder below ``root`` that the ``fmt`` reader takes."""
    for folder in sorted([root, *(p for p in root.rglob("*") if p.is_dir())]):
        reader = detect(folder)
        if reader is not None and reader.name == fmt:
            return folder
    return None


def _azure_dump(tmp: Path) -> Path:
    folder = tmp / "azure"
    folder.mkdir()
    dump = {"accuracy": 0.91, "loss": [1.0, 0.5, 0.25], "curve": {"x": [0, 1], "y": [1.0, 0.0]}}
    (folder / "run_metrics.json").write_text(json.dumps(dump, indent=1))
    return folder


def _sources(tmp: Path) -> list[tuple[str, Path]]:
    found = [("runreport", EXAMPLE_RUN), ("azureml-metrics", _azure_dump(tmp))]
    if CORPUS.is_dir():
        for fmt, rel in CORPUS_RUNS.items():
            run = _first_run(CORPUS / rel, fmt)
            assert run is not None, f"no {fmt} run in the corpus at {rel}"
            found.append((fmt, run))
    return found


def _huge_number(data: bytes, rng: random.Random) -> bytes:
    numbers = list(re.finditer(rb"\d+", data))
    if not numbers:
        return data + b"\n" + b"9" * 5000 + b"\n"
    m = rng.choice(numbers)
    return data[: m.start()] + b"9" * 5000 + data[m.end() :]


def _deep(data: bytes, rng: random.Random) -> bytes:
    nest = b"[" * 100_000 + b"]" * 100_000
    braces = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
    at = data.find(b":") + 1 or len(data)
    return data[:at] + (nest if rng.random() < 0.5 else braces) + data[at:]


def _flip(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(max(1, len(out) // 200)):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def _nuls(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + b"\x00" * 64 + data[at:]


def _dup_lines(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    return b"\n".join(line for ln in lines for line in (ln, ln))


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _long_field(data: bytes, rng: random.Random) -> bytes:
    at = data.find(b"\n") + 1
    return data[:at] + b"x" * 300_000 + b"\t" + b"y" * 300_000 + data[at:]


KEY_SUFFIXES = (".json", ".jsonl", ".yaml", ".yml", ".csv", ".tsv", ".log", ".txt")

MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "truncate": _truncate,
    "flip": _flip,
    "nuls": _nuls,
    "dup-lines": _dup_lines,
    "huge-number": _huge_number,
    "deep-nesting": _deep,
    "long-field": _long_field,
}


@pytest.mark.slow
def test_no_mutated_file_of_any_format_escapes_its_reader(tmp_path: Path) -> None:
    rng = random.Random(20261202)
    sources = _sources(tmp_path)
    assert len(sources) >= (10 if CORPUS.is_dir() else 2)
    readers = {r.name: r for r in READERS}
    cases = 0
    escaped = []
    for fmt, source in sources:
        files = [p for p in walk_files(source) if p.stat().st_size < 2 << 20]
        # every file a reader parses (meta.yaml, trainer_state.json, ...), then some others
        parsed = [p for p in files if p.suffix in KEY_SUFFIXES or p.name == "meta.yaml"][:40]
        others = [p for p in files if p not in parsed]
        for file in parsed + rng.sample(others, min(len(others), max(0, 30 - len(parsed)))):
            original = file.read_bytes()
            for name, mutate in MUTATIONS.items():
                work = tmp_path / f"case-{cases}"
                shutil.copytree(source, work, symlinks=True)
                target = work / file.relative_to(source)
                target.write_bytes(mutate(original, rng))
                problems = Problems()
                try:
                    runs = list(readers[fmt].read(work, problems))
                    for run in runs:
                        run_view(run)
                except Exception as exc:  # the test's point: report every case that escaped
                    escaped.append(f"{fmt} {file.relative_to(source)} {name}: {exc!r}"[:300])
                shutil.rmtree(work)
                cases += 1
    assert escaped == [], "\n".join(escaped)
    assert cases >= 60
