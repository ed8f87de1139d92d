"""Check that a change leaves the sites runreport builds byte for byte as they were.

    python benchmarks/same_site.py              # against HEAD, on example_logs and the corpus
    python benchmarks/same_site.py --rev 4eca530 LOGDIR...
    python benchmarks/same_site.py --ignore-path 'assets/*.js' --ignore-line '<script src=.*assets/'

The revision's code is checked out into a temporary git worktree and run from there (its
``src`` first on ``PYTHONPATH``, its own ``templates/``); the working tree's code builds the same
log folders into a second folder. Both builds run with ``--no-cache`` and the same output path
name, one after the other, and every file of the two sites is compared. Exit status 1 when any
file differs, is missing or is extra; the differing paths are listed. ``--ignore-path`` leaves
files out (a glob on the site path), ``--ignore-line`` compares text files without the lines
that match a regular expression: for a change meant to alter only those.
"""

from __future__ import annotations

import argparse
import filecmp
import fnmatch
import os
import re
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


def differences(
    a: Path, b: Path, ignore_paths: tuple[str, ...] = (), ignore_line: re.Pattern[str] | None = None
) -> list[str]:
    """Relative paths that differ between two folders, are only in one, or differ in kind."""

    def listed(root: Path) -> set[Path]:
        paths = {p.relative_to(root) for p in root.rglob("*")}
        return {p for p in paths if not any(fnmatch.fnmatch(p.as_posix(), g) for g in ignore_paths)}

    found: list[str] = []
    files_a, files_b = listed(a), listed(b)
    found += [f"only before: {p}" for p in sorted(files_a - files_b)]
    found += [f"only after: {p}" for p in sorted(files_b - files_a)]
    for rel in sorted(files_a & files_b):
        pa, pb = a / rel, b / rel
        if pa.is_dir() != pb.is_dir():
            found.append(f"kind differs: {rel}")
        elif (
            pa.is_file()
            and not filecmp.cmp(pa, pb, shallow=False)
            and (ignore_line is None or _lines(pa, ignore_line) != _lines(pb, ignore_line))
        ):
            found.append(f"differs: {rel}")
    return found


def _lines(path: Path, ignore: re.Pattern[str]) -> list[bytes] | None:
    """The file's lines without those matching ``ignore`` (None for a binary file)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None
    return [line.encode() for line in text.splitlines() if not ignore.search(line)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("logdirs", nargs="*", type=Path, default=DEFAULT_LOGDIRS)
    parser.add_argument("--rev", default="HEAD", help="the revision to compare with")
    parser.add_argument("--ignore-path", action="append", default=[], help="a glob of site paths")
    parser.add_argument("--ignore-line", help="a regular expression of text lines to leave out")
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
                ignore_line = re.compile(args.ignore_line) if args.ignore_line else None
                found = differences(before, site, tuple(args.ignore_path), ignore_line)
                files = sum(1 for p in site.rglob("*") if p.is_file())
                verdict = "identical" if not found else f"{len(found)} differences"
                left_out = (
                    " (with the paths and lines asked to be left out)"
                    if (args.ignore_path or ignore_line)
                    else ""
                )
                print(f"{logdir}: {files} files, {verdict}{left_out}")
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
