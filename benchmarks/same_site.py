"""Check that a change leaves the sites runreport builds byte for byte as they were.

    python benchmarks/same_site.py              # against HEAD, on example_logs and the corpus
    python benchmarks/same_site.py --rev 4eca530 LOGDIR...

The revision's code is checked out into a temporary git worktree and run from there (its
``src`` first on ``PYTHONPATH``, its own ``templates/``); the working tree's code builds the same
log folders into a second folder. Both builds run with ``--no-cache`` and the same output path
name, one after the other, and every file of the two sites is compared. Exit status 1 when any
file differs, is missing or is extra; the differing paths are listed.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_LOGDIRS = [REPO / "example_logs", REPO.parent / "shared" / "corpus"]


def build(src: Path, logdir: Path, site: Path) -> None:
    """Build ``logdir`` into ``site`` with the runreport package found in ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = ["runreport", "build", str(logdir), "-o", str(site), "--no-cache"]
    run = "import sys; from runreport.cli import main; sys.argv[0] = 'runreport'; main()"
    out = subprocess.run(
        [sys.executable, "-c", run, *cmd[1:]], env=env, capture_output=True, text=True
    )
    if not (site / "index.html").is_file():
        raise SystemExit(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stderr}")


def differences(a: Path, b: Path) -> list[str]:
    """Relative paths that differ between two folders, are only in one, or differ in kind."""
    found: list[str] = []
    files_a = {p.relative_to(a) for p in a.rglob("*")}
    files_b = {p.relative_to(b) for p in b.rglob("*")}
    found += [f"only before: {p}" for p in sorted(files_a - files_b)]
    found += [f"only after: {p}" for p in sorted(files_b - files_a)]
    for rel in sorted(files_a & files_b):
        pa, pb = a / rel, b / rel
        if pa.is_dir() != pb.is_dir():
            found.append(f"kind differs: {rel}")
        elif pa.is_file() and not filecmp.cmp(pa, pb, shallow=False):
            found.append(f"differs: {rel}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("logdirs", nargs="*", type=Path, default=DEFAULT_LOGDIRS)
    parser.add_argument("--rev", default="HEAD", help="the revision to compare with")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="runreport-same-site-") as tmp:
        work = Path(tmp)
        old = work / "old"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(old), args.rev],
            check=True,
            capture_output=True,
        )
        try:
            failed = 0
            for logdir in args.logdirs:
                site = work / "site"
                build(old / "src", logdir.resolve(), site)
                before = work / f"before-{logdir.name}"
                site.rename(before)
                build(REPO / "src", logdir.resolve(), site)
                found = differences(before, site)
                files = sum(1 for p in site.rglob("*") if p.is_file())
                verdict = "identical" if not found else f"{len(found)} differences"
                print(f"{logdir}: {files} files, {verdict}")
                for line in found[:40]:
                    print(f"  {line}")
                failed += bool(found)
                shutil.rmtree(site)
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)],
                check=False,
                capture_output=True,
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
