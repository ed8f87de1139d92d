"""Helpers of the ``runreport`` command (:mod:`runreport.cli`): reading its options' values,
and writing what it prints."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .errors import RunreportError

if TYPE_CHECKING:
    from .config import BuildResult
    from .gate import GateSpec


def goals_option(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> dict[str, str]:
    """``--goal NAME=min|max`` values, by name."""
    goals: dict[str, str] = {}
    for item in values:
        name, sep, direction = item.rpartition("=")
        if not sep or not name or direction not in ("min", "max"):
            raise click.BadParameter(f"{item!r}: expected NAME=min or NAME=max")
        goals[name] = direction
    return goals


def gates_option(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> tuple[GateSpec, ...]:
    """``--fail-on-regression METRIC[:TOLERANCE]`` values (runreport.gate)."""
    from .gate import GateSpec

    try:
        return tuple(GateSpec.parse(v) for v in values)
    except RunreportError as exc:
        raise click.BadParameter(str(exc)) from exc


FAIL_ON_REGRESSION = click.option(
    "--fail-on-regression",
    multiple=True,
    callback=gates_option,
    metavar="METRIC[:TOLERANCE]",
    help="Exit with 1 (the site still written) when METRIC is worse than the baseline's by more "
    "than TOLERANCE (an amount, or a % of the baseline); seeds compared by a bootstrap interval.",
)
BASELINE_SITE = click.option(
    "--baseline-site",
    metavar="PATH_OR_URL",
    help="Compare with a published site's runs (its folder or address; it has runs.json): the "
    "run --baseline names there, else each run's namesake. For --fail-on-regression.",
)


def _storage_options(ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> None:
    """``--storage-option KEY=VALUE`` values, kept for the LOGDIRs read after them (never
    printed: they may hold secrets)."""
    options: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter("expected KEY=VALUE (its value is not shown)")
        options[key.strip()] = value
    ctx.meta["runreport.storage_options"] = options


def _logdirs(
    ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> tuple[Path, ...]:
    """Each LOGDIR as a folder to read: a local one as it is, a remote one (``s3://``…) as its
    mirror brought up to date (runreport.remote)."""
    from .remote import is_remote, mirror

    out = []
    for value in values:
        if is_remote(value):
            options = ctx.meta.get("runreport.storage_options", {})
            try:
                out.append(mirror(value, options, say=lambda m: click.echo(m, err=True)))
            except RunreportError as exc:
                raise click.BadParameter(str(exc)) from None
            ctx.meta.setdefault("runreport.remotes", []).append((value, options))
        elif not Path(value).exists():
            raise click.BadParameter(f"Path {value!r} does not exist.")
        else:
            out.append(Path(value))
    return tuple(out)


def logdirs_argument(f: Any) -> Any:
    """The LOGDIR... argument (local folders or files, or ``s3://``, ``gs://``, ``az://``,
    ``abfs://`` folders) and ``--storage-option``."""
    f = click.argument("logdirs", nargs=-1, required=True, callback=_logdirs)(f)
    return click.option(
        "--storage-option",
        multiple=True,
        is_eager=True,
        expose_value=False,
        callback=_storage_options,
        metavar="KEY=VALUE",
        help="Passed to the remote LOGDIR's filesystem (fsspec): endpoint_url=…, anon=true…",
    )(f)


POLL = click.option(
    "--poll",
    type=click.FloatRange(min=1),
    default=30.0,
    show_default=True,
    expose_value=False,
    callback=lambda ctx, _p, v: ctx.meta.__setitem__("runreport.poll", v),
    metavar="SECONDS",
    help="How often a remote LOGDIR (s3://…) is listed again to follow its changes.",
)


def dask_options(f: Any) -> Any:
    """``--executor`` and ``--scheduler``: reading runs on Dask (runreport.distributed)."""
    f = click.option(
        "--scheduler",
        metavar="ADDRESS",
        help="Read runs on the Dask cluster of this scheduler (tcp://host:8786; implies "
        "--executor dask). Workers read remote LOGDIRs from the store themselves.",
    )(f)
    return click.option(
        "--executor",
        type=click.Choice(["local", "dask"]),
        default="local",
        show_default=True,
        help="Read runs in this machine's processes, or as Dask tasks on a local cluster of "
        "--jobs workers (pip install 'runreport[dask]').",
    )(f)


def remote_where(problem: str) -> str:
    """A problem as the command prints it: in a remote LOGDIR's file, by its URL
    (``s3://bucket/logs/run/metrics.jsonl:3``); the site names it from the LOGDIR's name
    (``logs/run/…``), as for a local folder of that name."""
    ctx = click.get_current_context(silent=True)
    remotes: list[tuple[str, Any]] = ctx.meta.get("runreport.remotes", []) if ctx else []
    for url, _ in remotes:
        name = url.rstrip("/").rsplit("/", 1)[-1]
        if problem.startswith(name + "/"):
            return url.rstrip("/") + problem[len(name) :]
    return problem


def remote_serving() -> dict[str, Any]:
    """``serve``'s remote LOGDIRs and how often to list them again (``--poll``)."""
    meta = click.get_current_context().meta
    return {"remotes": meta.get("runreport.remotes", ()), "poll": meta.get("runreport.poll", 30.0)}


PUBLISH = click.option(
    "--publish",
    metavar="URL",
    help="Then upload the site to a bucket or Azure $web container (s3://, gs://, az://…): "
    "only changed files, index.html last.",
)


def publish_site(output: Path, url: str | None) -> None:
    """``--publish URL``, with the command's ``--storage-option`` values."""
    if not url:
        return
    from .publish import publish

    options = click.get_current_context().meta.get("runreport.storage_options", {})
    try:
        publish(output, url, options, say=lambda m: click.echo(m, err=True))
    except RunreportError as exc:
        raise click.ClickException(str(exc)) from exc


def gate_lines(result: BuildResult) -> list[str]:
    """What the command says of the regression gate: each regression, or that none was."""
    gate = result.gate
    if gate is None:
        return []
    from .views import fmt

    failed = gate.failed
    lines = [
        f"regression: {c.metric} of {', '.join(r.title for r in c.runs)} is worse than "
        f"the baseline's by {fmt(c.worse_by)} (allowed {fmt(c.allowed)})"
        for c in failed
    ]
    lines.append(
        f"regression gate: {len(gate.checks)} checks against {gate.against}, "
        + (f"{len(failed)} failed (see the summary)" if failed else "none failed")
    )
    return lines


def jsonable(value: Any) -> Any:
    """``value`` with NaN and infinities as strings (JSON has none)."""
    from .views import fmt

    if isinstance(value, float) and not math.isfinite(value):
        return fmt(value).replace("∞", "Infinity")
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value
