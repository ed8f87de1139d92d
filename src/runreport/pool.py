"""Reading many units at once: this process and a pool of worker processes share the list, so
no time is lost while the workers start (the workers themselves: :mod:`runreport.workers`)."""

from __future__ import annotations

import queue
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from functools import partial
from typing import Any, ParamSpec, TypeVar

from tqdm import tqdm

from . import workers
from .cache import Fingerprint, UnitResult
from .charts import load_shapes
from .distributed import read_on_dask
from .readers import Unit
from .runfiles import Written, read_unit


def read_fresh(
    units: Sequence[Unit],
    fps: Sequence[Fingerprint],
    jobs: int,
    stages: Sequence[str | None],
    save: bool,
    charts: bool,
    dask: bool = False,
    scheduler: str | None = None,
) -> Iterator[tuple[int, tuple[UnitResult, Written]]]:
    """Read ``units``, yielding (index, result) as each is done: here when ``jobs`` is 1,
    else shared between this process (from the end of the list) and ``jobs - 1`` worker
    processes (from the front), so that no time is lost while the workers start; with
    ``dask``, as Dask tasks (:mod:`runreport.distributed`) on the cluster at ``scheduler``, or
    on a local one of ``jobs`` workers."""
    if dask and units:
        yield from read_on_dask(
            units,
            fps,
            stages,
            scheduler=scheduler,
            jobs=jobs,
            save=save,
            charts=charts,
            say=lambda m: tqdm.write(m, file=sys.stderr),
        )
        return
    if jobs <= 1:
        for i, unit in enumerate(units):
            yield i, read_unit(unit, fps[i], stages[i], save, charts)
        return
    pending = deque(range(len(units)))
    lock = threading.Lock()
    done: queue.SimpleQueue[tuple[int, Future[tuple[UnitResult, Written]]] | None] = (
        queue.SimpleQueue()
    )
    failure: list[BaseException] = []

    def take(front: bool) -> int | None:
        with lock:
            if not pending:
                return None
            return pending.popleft() if front else pending.pop()

    def feed() -> None:
        processes = jobs - 1
        slots = threading.Semaphore(processes + 1)  # a unit queued behind each busy worker

        def finished(i: int, future: Future[tuple[UnitResult, Written]]) -> None:
            slots.release()
            done.put((i, future))

        try:
            with ProcessPoolExecutor(
                max_workers=processes, mp_context=context, initializer=workers.die_with_server
            ) as pool:
                while True:
                    slots.acquire()
                    i = take(front=True)
                    if i is None:
                        break
                    future = pool.submit(read_unit, units[i], fps[i], stages[i], save, charts)
                    future.add_done_callback(partial(finished, i))
        except BaseException as exc:  # reported by the caller's thread
            failure.append(exc)
        finally:
            done.put(None)

    load_shapes()  # before any worker needs them (each would make them)
    context = workers.context()
    feeder = threading.Thread(target=feed, name="runreport-read", daemon=True)
    feeder.start()
    try:
        fed = False
        while not fed:
            # the workers' results as they come (their data files are written, not held) ...
            while not done.empty():
                item = done.get()
                if item is None:
                    fed = True
                    break
                yield item[0], item[1].result()
            # ... between units of this process's own share
            own = take(front=False)
            if own is not None:
                yield own, read_unit(units[own], fps[own], stages[own], save, charts)
            elif not fed:
                item = done.get()
                if item is None:
                    fed = True
                else:
                    yield item[0], item[1].result()
        if failure:
            raise failure[0]
    finally:
        with lock:
            pending.clear()  # stop feeding if the caller stopped early
        feeder.join()


P = ParamSpec("P")
T = TypeVar("T")


#: The process fits are given to, kept between builds: ``runreport serve`` imports
#: scikit-learn there once, as it did in its own process before fits went aside.
_kept: list[ProcessPoolExecutor] = []


def _process() -> ProcessPoolExecutor:
    """The kept process (:data:`_kept`), started when first asked for."""
    if not _kept:
        _kept.append(
            ProcessPoolExecutor(
                max_workers=1, mp_context=workers.context(), initializer=workers.die_with_server
            )
        )
    return _kept[0]


class _Aside(Executor):
    """One build's share of the kept process: what it gave, to cancel if the build stops."""

    def __init__(self) -> None:
        self._given: list[Future[Any]] = []

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        try:
            future = _process().submit(fn, *args, **kwargs)
        except BrokenProcessPool:  # the process died (killed, out of memory): a new one
            _kept.pop().shutdown(wait=False)
            future = _process().submit(fn, *args, **kwargs)
        self._given.append(future)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Cancel what has not started when ``cancel_futures``; the process is kept."""
        if cancel_futures:
            for future in self._given:
                future.cancel()


@contextmanager
def aside(jobs: int) -> Iterator[Executor | None]:
    """A process for work that runs beside this one's while it makes pages (fitting params'
    importance, which imports scikit-learn: a second), started only if given work and kept for
    the next build; None when ``jobs`` asks for one process, or where workers cannot be forked
    from a server (Windows). If the build stops, what it gave and was not started is
    dropped."""
    if jobs <= 1 or not workers.can_fork():
        yield None
        return
    pool = _Aside()
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
