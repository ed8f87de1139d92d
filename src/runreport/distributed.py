"""Reading runs on a Dask cluster: ``runreport build --executor dask`` (a ``LocalCluster`` of
one process per job) or ``--scheduler tcp://HOST:8786`` (a cluster already running), with the
optional extra ``runreport[dask]``.

The per-unit work of a build (read → views → data files: :func:`runreport.runfiles.
read_unit_inline`) runs as one Dask task per unit; the build keeps the listing, the caching
decisions, the pages that list many runs and the site's atomic write. A task sends back its
views and its data files as bytes, which the build stages in the site's temp folder as it does
a worker process's, so nothing needs a file system shared with the build. A unit of a remote
LOGDIR (``s3://…``) names its objects and what the store said of each; a worker whose cache
folder is not the build's fetches them from the store itself (:func:`runreport.remote.
localize`), reads its own copy, and sends the result back with the build's paths in it. A unit
of a local folder is read where the build sees it: on a cluster, a file system shared with the
workers. Dask retries the tasks of a worker that dies; a task that fails on every worker it is
given is a problem of its unit, as a reader's failure is.
"""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from . import cache as unit_cache
from . import remote
from .cache import Fingerprint, UnitResult
from .errors import ConfigError, Problems
from .readers import Unit
from .runfiles import BUG, Made, Written, read_unit_inline, shown_problems, stage_run


@dataclass(frozen=True)
class Origin:
    """Where a unit of a remote LOGDIR comes from: the remote folder, its storage options
    (sent to the workers, never written), the build's mirror of it, and the unit's objects
    (key below the folder -> what the store said of it)."""

    url: str
    # (never in its repr: a worker logs a failed task's arguments)
    options: Mapping[str, str] = field(repr=False)
    mirror: str = ""
    objects: Mapping[str, list[Any]] = field(default_factory=dict)


def origin(unit: Unit) -> Origin | None:
    """The remote origin of ``unit`` when it was found in the mirror of a remote LOGDIR."""
    found = remote.origin(unit.root)
    if found is None:
        return None
    mirror = str(unit.root.absolute())
    known = remote.stamps(unit.root)
    objects = {}
    for path in unit_cache.unit_paths(unit):
        rel = os.path.relpath(os.path.abspath(path), mirror).replace(os.sep, "/")
        if rel in known:
            objects[rel] = known[rel]
    return Origin(found[0], found[1], mirror, objects)


def read_task(
    unit: Unit, fp: Fingerprint, source: Origin | None, charts: bool
) -> tuple[UnitResult, list[Made]]:
    """A Dask task: read ``unit`` on the worker it runs on (from the store itself when the
    worker's mirror of it is not the build's), with the build's paths in what it returns."""
    if source is not None:
        here = str(remote.mirror_path(source.url, Path(source.mirror).name).absolute())
        if here != source.mirror:
            local = str(remote.localize(source.url, source.options, source.objects).absolute())
            result, made = read_unit_inline(rebase(unit, source.mirror, local), fp, charts)
            return rebase(result, local, source.mirror), made
    return read_unit_inline(unit, fp, charts)


def rebase(value: Any, old: str, new: str) -> Any:
    """``value`` with every path (and text) starting with the folder ``old`` made to start
    with ``new`` instead, through dataclasses, tuples, lists and dicts; parts that hold none
    are returned as they are (the same objects)."""
    if isinstance(value, Path):
        text = str(value)
        moved = _moved(text, old, new)
        return value if moved is None else Path(moved)
    if isinstance(value, str):
        moved = _moved(value, old, new)
        return value if moved is None else moved
    if is_dataclass(value) and not isinstance(value, type):
        changed = {}
        for f in fields(value):
            if f.init:
                item = getattr(value, f.name)
                after = rebase(item, old, new)
                if after is not item:
                    changed[f.name] = after
        return replace(value, **changed) if changed else value
    if isinstance(value, tuple | list):
        items = [rebase(v, old, new) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        if isinstance(value, list):
            return items
        return value._make(items) if hasattr(value, "_make") else tuple(items)
    if type(value) is dict:
        pairs = {rebase(k, old, new): rebase(v, old, new) for k, v in value.items()}
        same = all(a is b for a, b in zip(pairs.items(), value.items(), strict=True))
        return value if same and pairs.keys() == value.keys() else pairs
    return value


def _moved(text: str, old: str, new: str) -> str | None:
    if text == old or text.startswith(old + os.sep):
        return new + text[len(old) :]
    return None


def read_on_dask(
    units: Sequence[Unit],
    fps: Sequence[Fingerprint],
    stages: Sequence[str | None],
    *,
    scheduler: str | None,
    jobs: int,
    save: bool,
    charts: bool,
    say: Callable[[str], None],
) -> Iterator[tuple[int, tuple[UnitResult, Written]]]:
    """Read ``units`` as Dask tasks, yielding (index, result) as each is done (as
    :func:`runreport.pool.read_fresh` does): their data files staged at ``stages``, their
    results kept in the parse cache when ``save``."""
    try:
        import distributed

        dask: Any = distributed  # (untyped)
    except ImportError:
        raise ConfigError(
            "--executor dask needs the optional extra: pip install 'runreport[dask]'"
        ) from None
    with _client(dask, scheduler, jobs) as client:
        link = _dashboard(client)
        if link:
            say(f"Dask dashboard: {link}")
        batch = uuid.uuid4().hex[:12]
        futures = {
            client.submit(
                read_task,
                unit,
                fp,
                origin(unit),
                charts,
                key=f"runreport-read-{batch}-{i}",
                pure=False,
            ): i
            for i, (unit, fp) in enumerate(zip(units, fps, strict=True))
        }
        for future in dask.as_completed(futures, loop=client.loop):
            i = futures.pop(future)
            unit, fp = units[i], fps[i]
            try:
                result, made = future.result()
            except Exception as exc:  # the task's own error, or KilledWorker
                yield i, (_failed(unit, exc), [])
                continue
            finally:
                future.release()
            written: Written = []
            n, stage = 0, stages[i]  # files staged so far (they are named by number)
            for files in made:
                staged = stage_run(stage, n, files) if stage is not None else []
                n += len(staged)
                written.append(staged)
            if save:  # (without ``charts``, the task sent back no plotted columns)
                unit_cache.save(unit, fp, result, charts=charts)
            yield i, (result, written)


def _failed(unit: Unit, exc: BaseException) -> UnitResult:
    """A unit whose task failed on the cluster: no runs, and a problem saying why."""
    problems = Problems()
    kind = type(exc).__name__
    why = (
        "the workers running it died (out of memory? see the workers' logs)"
        if kind == "KilledWorker"
        else BUG
    )
    problems.error(unit.folder, None, f"not read: its Dask task failed ({kind}: {exc}); {why}")
    return UnitResult((), shown_problems(unit, problems), ())


def _client(dask: Any, scheduler: str | None, jobs: int) -> AbstractContextManager[Any]:
    """A client of the cluster at ``scheduler``, else of a new local cluster of ``jobs``
    worker processes (one thread each: polars' own threads fill a core) on 127.0.0.1."""
    if scheduler:
        try:
            # (waiting as long as Dask's distributed.comm.timeouts.connect says)
            client: AbstractContextManager[Any] = dask.Client(scheduler, set_as_default=False)
        except OSError as exc:
            raise ConfigError(
                f"--scheduler {scheduler}: cannot reach it ({exc}); check the address and that "
                "the scheduler is running"
            ) from None
        return client
    from dask import config

    # (Dask's sampling profiler of the workers' threads cost 4-7 % of the read time here)
    with config.set({"distributed.worker.profile.enabled": False}):
        cluster = dask.LocalCluster(
            n_workers=max(jobs, 1),
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            env={"POLARS_MAX_THREADS": "1"},  # (as this machine's worker processes: one per core)
            # Dask's dashboard needs bokeh: without it there is none to point to
            dashboard_address="127.0.0.1:0" if importlib.util.find_spec("bokeh") else None,
        )
    return _Owned(dask.Client(cluster, set_as_default=False), cluster)


class _Owned(AbstractContextManager[Any]):
    """A client and the local cluster it was made for, closed together."""

    def __init__(self, client: Any, cluster: Any) -> None:
        self.client, self.cluster = client, cluster

    def __enter__(self) -> Any:
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self.cluster.close()


def _dashboard(client: Any) -> str | None:
    """Dask's dashboard link, when the scheduler serves one (it needs bokeh)."""
    try:
        services = client.scheduler_info().get("services", {})
    except Exception:
        return None
    return str(client.dashboard_link) if "dashboard" in services else None
