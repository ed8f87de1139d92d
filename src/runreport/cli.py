"""The ``runreport`` command: a thin layer over the library."""

from __future__ import annotations

import gc
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click
import orjson

from . import __version__, cliopts, workers
from .cliopts import gate_lines, goals_option, jsonable, logdirs_argument
from .errors import Problem, Problems, RunreportError, Severity

if TYPE_CHECKING:
    from .gate import GateSpec

# A command imports what else it needs in its body (numpy, polars, jinja2, altair: ~0.3 s).


def _report(problems: tuple[Problem, ...]) -> None:
    for p in problems:
        click.echo(f"{p.severity.value}: {cliopts.remote_where(str(p))}", err=True)


#: Processes reading runs when the command line is not told: one per core, at most 8.
DEFAULT_JOBS = min(os.cpu_count() or 1, 8)
STALLED_AFTER = click.option(
    "--stalled-after",
    type=click.FloatRange(min=0),
    default=10.0,
    show_default=True,
    metavar="MINUTES",
    help="Mark a Running run possibly stalled when none of its files changed for MINUTES.",
)
GOAL = click.option(
    "--goal",
    "goals",
    multiple=True,
    callback=goals_option,
    metavar="NAME=min|max",
    help="Whether lower or higher is better for a metric (repeatable).",
)
SITE_URL = click.option(
    "--site-url",
    metavar="URL",
    help="Where the site will be published: canonical links and the summary's links.",
)
BASELINE = click.option(
    "--baseline",
    metavar="RUN_OR_PATH",
    help="A run id or name, or a run's folder, to compare the others with in the summary.",
)
INCLUDE_DELETED = click.option(
    "--include-deleted", is_flag=True, help="Also read runs deleted in their tool (MLflow)."
)
INCLUDE_FAILED = click.option(
    "--include-failed",
    is_flag=True,
    help="Let Failed and Canceled runs be the best run too (default: left out).",
)


@click.group()
@click.version_option(__version__, prog_name="runreport")
def cli() -> None:
    """Static reports of machine-learning runs: no server, no account, no network."""


@cli.command()
@logdirs_argument
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder to write the site to (replaced only if it is a runreport site).",
)
@click.option("--title", default="Run report", show_default=True, help="Site title.")
@GOAL
@click.option("--strict", is_flag=True, help="Exit with 1 when any input problem was reported.")
@INCLUDE_DELETED
@INCLUDE_FAILED
@SITE_URL
@click.option(
    "--summary",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a Markdown summary here (for $GITHUB_STEP_SUMMARY or a PR).",
)
@BASELINE
@cliopts.FAIL_ON_REGRESSION
@cliopts.BASELINE_SITE
@cliopts.PUBLISH
@click.option(
    "--images",
    is_flag=True,
    help="Also render key charts to images/*.png and *.svg (offline, vl-convert).",
)
@click.option(
    "--image-metric",
    "image_metrics",
    multiple=True,
    metavar="NAME",
    help="A metric to render with --images (repeatable; default: the key metrics).",
)
@click.option(
    "--max-site-mb",
    type=click.FloatRange(min=0),
    metavar="N",
    help="Fail, keeping the old site, when the site would be bigger than N MB.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    metavar="N",
    default=DEFAULT_JOBS,
    show_default="one per core, at most 8",
    help="Processes reading runs (used when there is more than 32 MB to read).",
)
@cliopts.dask_options
@click.option(
    "--refresh",
    type=click.IntRange(min=1),
    metavar="SECONDS",
    help="Pages reload themselves every SECONDS (for a site rebuilt while runs are active).",
)
@STALLED_AFTER
@click.option(
    "--no-cache",
    is_flag=True,
    help="Read every run again and remake every file (default: reuse what is unchanged).",
)
@click.option(
    "--no-wait",
    is_flag=True,
    help="Fail at once when another build is writing OUTPUT (default: wait for it).",
)
def build(
    logdirs: tuple[Path, ...],
    output: Path,
    title: str,
    goals: dict[str, str],
    strict: bool,
    include_deleted: bool,
    include_failed: bool,
    site_url: str | None,
    summary: Path | None,
    baseline: str | None,
    fail_on_regression: tuple[GateSpec, ...],
    baseline_site: str | None,
    publish: str | None,
    images: bool,
    image_metrics: tuple[str, ...],
    max_site_mb: float | None,
    refresh: int | None,
    stalled_after: float,
    jobs: int,
    executor: str,
    scheduler: str | None,
    no_cache: bool,
    no_wait: bool,
) -> None:
    """Read the runs below LOGDIR... and write a static site to OUTPUT.

    A rebuild reads again only the runs whose files changed and reuses the old site's files
    that did not (parsed runs are cached in ~/.cache/runreport, or $RUNREPORT_CACHE_DIR).
    """
    if executor == "local" and not scheduler:
        workers.start_for_build(output, jobs, cache=not no_cache)
    from .build import BuildConfig, build_site

    config = BuildConfig(
        inputs=logdirs,
        output=output,
        title=title,
        goals=goals,
        strict=strict,
        include_deleted=include_deleted,
        include_failed=include_failed,
        site_url=site_url,
        summary=summary,
        baseline=baseline,
        fail_on_regression=fail_on_regression,
        baseline_site=baseline_site,
        images=images or bool(image_metrics),
        image_metrics=image_metrics,
        max_site_mb=max_site_mb,
        jobs=jobs,
        executor=executor,
        scheduler=scheduler,
        cache=not no_cache,
        refresh=refresh,
        stalled_after=stalled_after * 60,
        wait=not no_wait,
    )
    try:
        result = build_site(config, on_wait=lambda msg: click.echo(msg, err=True))
    except (RunreportError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    _report(result.problems)
    if result.cache_warning:
        click.echo(
            f"warning: cache not written ({result.cache_warning}); built without it", err=True
        )
    notes = len(result.problems) - result.warnings
    page, size = result.largest_page
    click.echo(
        f"site: {result.site_bytes / 2**20:.1f} MB; largest page {page} "
        f"({size / 1024:.0f} kB)"
        + (f"; {result.reused} unchanged files reused" if result.reused else "")
        + ("; nothing changed since the last build: left as it was" * result.unchanged)
        + (f"; summary in {result.summary}" if result.summary else "")
    )
    click.echo(
        f"built {result.pages} pages for {result.runs} runs in {result.output}; "
        f"{result.warnings} problems"
        + (f", {notes} notes" if notes else "")
        + (" (see problems.html)" if result.problems else "")
    )
    for line in gate_lines(result):
        click.echo(line, err=True)
    if not result.ok:
        click.echo("--strict: failing because of the problems above", err=True)
        sys.exit(1)
    cliopts.publish_site(result.output, publish)  # (a regression still publishes the site written)
    if result.regressed:
        sys.exit(1)


@cli.command()
@logdirs_argument
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the Markdown here instead of printing it.",
)
@click.option("--title", default="Run report", show_default=True, help="Summary title.")
@GOAL
@SITE_URL
@BASELINE
@INCLUDE_DELETED
@INCLUDE_FAILED
def summary(
    logdirs: tuple[Path, ...],
    output: Path | None,
    title: str,
    goals: dict[str, str],
    site_url: str | None,
    baseline: str | None,
    include_deleted: bool,
    include_failed: bool,
) -> None:
    """Write a Markdown summary of the runs below LOGDIR... (no site is built)."""
    from .build import BuildConfig, write_summary

    config = BuildConfig(
        inputs=logdirs,
        output=Path("."),
        title=title,
        goals=goals,
        include_deleted=include_deleted,
        include_failed=include_failed,
        site_url=site_url,
        baseline=baseline,
    )
    try:
        if output is None:
            with tempfile.TemporaryDirectory() as tmp:
                path = write_summary(config, Path(tmp) / "summary.md")
                click.echo(path.read_text(encoding="utf-8"), nl=False)
        else:
            write_summary(config, output)
    except (RunreportError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command(name="ls")
@logdirs_argument
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@INCLUDE_DELETED
def ls_command(logdirs: tuple[Path, ...], as_json: bool, include_deleted: bool) -> None:
    """List the runs found below LOGDIR...: experiment, run, status, format, metrics, problems."""
    from .readers import READERS, read_runs

    problems = Problems()
    runs = read_runs(logdirs, problems, include_deleted=include_deleted)
    rows = []
    for run in runs:
        own = [
            p
            for p in problems.sorted()
            if Path(p.path).is_relative_to(run.path) and p.severity is not Severity.INFO
        ]
        rows.append(
            {
                "experiment": run.experiment,
                "run": run.name,
                "id": run.id,
                "status": run.status.value,
                "format": run.format,
                "metrics": len(run.metrics),
                "problems": len(own),
                "path": str(run.path),
            }
        )
    if as_json:
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    header = ("experiment", "run", "status", "format", "metrics", "problems")
    table = [header] + [tuple(str(r[h]) for h in header) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    click.echo(f"{len(rows)} runs; formats read: {', '.join(r.name for r in READERS)}")


@cli.command()
@click.argument("run_path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON (NaN and infinities as strings).")
def metrics(run_path: Path, as_json: bool) -> None:
    """Print what get_metrics() returns for the run in RUN_PATH."""
    from .readers import detect

    problems = Problems()
    reader = detect(run_path)
    if reader is None:
        raise click.ClickException(f"{run_path}: no run found here (no run.json or metrics.jsonl)")
    runs = list(reader.read(run_path, problems))
    _report(problems.sorted())
    for run in runs:
        values = run.get_metrics()
        if as_json:
            click.echo(orjson.dumps(jsonable(values), option=orjson.OPT_INDENT_2).decode())
        else:
            for name, value in values.items():
                click.echo(f"{name}: {value!r}")


@cli.command()
@logdirs_argument
@click.option("--metric", required=True, help="Metric to rank runs by.")
@click.option("--min", "mode", flag_value="min", help="Lower is better.")
@click.option("--max", "mode", flag_value="max", help="Higher is better.")
@click.option(
    "--stat",
    type=click.Choice(["last", "min", "max"]),
    default="last",
    show_default=True,
    help="Which value of a series counts.",
)
@INCLUDE_FAILED
def best(
    logdirs: tuple[Path, ...], metric: str, mode: str | None, stat: str, include_failed: bool
) -> None:
    """Print the best run by METRIC (direction inferred from the name unless --min/--max)."""
    from .api import best_run, metric_stat
    from .readers import read_runs
    from .rules import counts_for_best
    from .views import fmt

    problems = Problems()
    runs = read_runs(logdirs, problems)
    winner = best_run(runs, metric, mode, stat=stat, include_failed=include_failed)
    left_out = [
        r
        for r in runs
        if not counts_for_best(r.status, include_failed)
        and not math.isnan(metric_stat(r, metric, stat))
    ]
    if left_out:
        click.echo(
            f"({len(left_out)} Failed or Canceled runs with {metric} left out; "
            "--include-failed counts them)",
            err=True,
        )
    if winner is None:
        why = " but Failed or Canceled ones" if left_out else ""
        raise click.ClickException(f"no run{why} has a numeric metric {metric!r}")
    value = metric_stat(winner, metric, stat)
    click.echo(
        f"{winner.experiment}\t{winner.title}\t{winner.id}\t{metric}={fmt(value)}\t{winner.path}"
    )


@cli.command()
@logdirs_argument
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (loopback by default: only this machine can connect).",
)
@click.option("--title", default="Run report", show_default=True, help="Site title.")
@GOAL
@INCLUDE_DELETED
@INCLUDE_FAILED
@STALLED_AFTER
@cliopts.POLL
def serve(
    logdirs: tuple[Path, ...],
    port: int,
    host: str,
    title: str,
    goals: dict[str, str],
    include_deleted: bool,
    include_failed: bool,
    stalled_after: float,
) -> None:
    """Serve a live site of the runs below LOGDIR..., rebuilt as they change (Ctrl-C stops)."""
    from .build import BuildConfig
    from .serve import serve as serve_site

    gc.enable()  # a long-lived process (builds pause it themselves)

    config = BuildConfig(
        inputs=logdirs,
        output=Path("unused"),  # serve builds into a temporary folder of its own
        title=title,
        goals=goals,
        include_deleted=include_deleted,
        include_failed=include_failed,
        stalled_after=stalled_after * 60,
        jobs=DEFAULT_JOBS,
    )
    try:
        serve_site(config, host, port, say=click.echo, **cliopts.remote_serving())
    except (RunreportError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    except KeyboardInterrupt:
        pass


def main() -> None:
    """Console-script entry point."""
    # Each command but ``serve`` does one piece of work and exits: Python's cyclic collector
    # would only walk the objects a build holds again and again (and once more at its end);
    # memory is still freed by reference counting. ``serve`` turns it back on.
    gc.disable()
    cli(prog_name="runreport")
