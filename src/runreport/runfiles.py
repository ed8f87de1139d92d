"""What one unit of input makes for the site, in the process that reads it: its runs' views,
each run's page parts made from the run alone, and its data files (their site paths, the keys
that say what they are made from, and their encoding as scripts).

:func:`read_unit` is the worker body of a build: it runs in worker processes, so the heavy
work of a build is spread over the cores, and what it makes is staged in the site's temp
folder rather than sent back.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import orjson

from . import cache as unit_cache
from .cache import Fingerprint, UnitResult
from .charts import load_shapes, shape_for, spec_shape, spec_template, spec_titles
from .encoding import compact
from .errors import Problem, Problems, problem_order
from .export import full_data
from .model import TIME, Run
from .readers import Unit, read_unit_runs
from .readers.base import with_svg_data
from .rules import Display
from .site import Staged, stage_file
from .templating import environment
from .views import RunView, run_view

#: What reading a unit wrote, per run: the files it staged.
Written = list[list[Staged]]

BUG = "This is a bug in runreport: please report it with the file."


def content_key(*parts: object) -> str:
    """A short key naming what a file is made from (see :class:`runreport.site.SiteWriter`)."""
    text = "\x00".join(str(part) for part in parts)
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def run_sections(v: RunView, *, cached: bool = True) -> str:
    """The parts of a run's page made from the run alone (``run_sections.html``): made where
    the run is read, in parallel, and kept in the parse cache with its view (not ``cached``:
    with no compiled template from the cache folder)."""
    env = environment(cached)
    return env.get_template("run_sections.html").render(v=v)


def packed_sections(v: RunView, *, cached: bool = True) -> bytes:
    """:func:`run_sections`, compressed as they are kept until the run's page is written (a
    run of 2,000 metrics has 1.6 MB of them; held as text for every run of the site, they
    were the largest part of a build's memory)."""
    return zlib.compress(run_sections(v, cached=cached).encode("utf-8", "surrogatepass"), 1)


def unpacked_sections(packed: bytes) -> str:
    """The text of :func:`packed_sections`."""
    return zlib.decompress(packed).decode("utf-8", "surrogatepass")


def data_path(v: RunView) -> str:
    """Site path of a run's data file."""
    return f"data/runs/{v.slug}.js"


def data_key(unit_key: str) -> str:
    """What a run's data file is made from: its unit's files (the path names the run)."""
    return content_key("data", unit_key)


def run_data(v: RunView) -> dict[str, Any]:
    """What a run's data file holds: the spec templates its charts are drawn with, by shape,
    each chart's shape, titles and compact columns by metric name, and the run's images.
    (A full spec per chart was about 700 of its 950 bytes on short runs.)"""
    shapes: dict[str, dict[str, Any]] = {}
    charts: dict[str, dict[str, Any]] = {}
    for m in v.metrics:
        if m.chart is None:
            continue
        shape = spec_shape(m.chart)
        if shape not in shapes:
            shapes[shape] = spec_template(shape)
        charts[m.name] = {
            "shape": shape,
            "titles": spec_titles(m.chart),
            **m.chart.columns,
            **compact(m.chart.columns),
            "points": m.count,
        }
        if m.display is Display.LINE:  # smoothed by pages from these full-resolution columns
            metric = v.run.metric(m.name)
            timed = metric is not None and TIME in metric.columns
            order = m.chart.order  # drawn over the logging order: x is each point's index
            x = None if order else m.presentation.x
            charts[m.name]["xy"] = [x, m.presentation.ys[0], TIME if timed else None]
            if order:
                charts[m.name]["order"] = {
                    "title": m.chart.order_title,
                    "at": [i for i, _ in order],
                    "values": [v for _, v in order],
                }
    together: dict[str, dict[str, Any]] = {}
    for name, members in v.together.items():
        first, pair = members[0].chart, members[0].pair
        if first is None or pair is None:  # (every member is a charted line)
            continue
        shape = shape_for("lines", max(m.chart.per_series for m in members if m.chart))
        shapes.setdefault(shape, spec_template(shape))
        together[name] = {
            "members": [m.name for m in members],
            "shape": shape,
            "titles": spec_titles(replace(first, y_title=pair)),
        }
    start = v.run.start_time
    return {
        "together": together,
        "slug": v.slug,
        "shapes": shapes,
        "charts": charts,
        "images": v.image_entries(),
        "t0": start.timestamp() if start is not None else None,
        "epoch": epoch_metric(v),
    }


def epoch_metric(v: RunView) -> str | None:
    """The run's metric that says each step's epoch, which pages can draw charts over: a line
    over ``step`` named ``epoch`` (or ``…/epoch``, ``….epoch``), as Lightning, Hugging Face's
    Trainer and Keras callbacks log it; None when it logs none."""
    found = [
        m.name
        for m in v.metrics
        if m.display is Display.LINE
        and m.presentation.x == "step"
        and not (m.chart and m.chart.order)  # (drawn over its logging order: x is no step)
        and re.split(r"[/.]", m.name)[-1].lower() == "epoch"
    ]
    return min(found, key=lambda name: (name.lower() != "epoch", len(name), name), default=None)


def data_file(v: RunView) -> bytes:
    """A run's data file (see :func:`run_data`)."""
    return js_data(f"runs/{v.slug}", run_data(v))


def full_path(v: RunView) -> str:
    """Site path of a run's full-resolution data file (every point of its charted metrics,
    loaded by a page only to make a CSV file when asked)."""
    return f"data/full/{v.slug}.js"


def full_key(unit_key: str) -> str:
    """What a run's full-resolution data file is made from: its unit's files."""
    return content_key("full", unit_key)


def charted(v: RunView) -> bool:
    """Whether a run charts anything (and so has a full-resolution data file)."""
    return any(m.chart is not None for m in v.metrics)


def full_file(v: RunView) -> bytes | None:
    """A run's full-resolution data file (see :func:`runreport.export.full_data`), from a view
    that still holds its metric columns; None when it charts nothing."""
    return js_data(f"full/{v.slug}", full_data(v)) if charted(v) else None


def js_data(key: str, value: Any) -> bytes:
    """A data file: sets ``window.RR_DATA[key]`` (a script file, so pages work from file://)
    to ``JSON.parse`` of the value's JSON text as a string. Chromium took 520-580 ms to run
    the site index of 10,000 runs (10.9 MB) as an object literal, 240-250 ms as this."""
    text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY)
    return (
        b"(window.RR_DATA=window.RR_DATA||{})["
        + orjson.dumps(key)
        + b"]=JSON.parse('"
        + js_string(text)
        + b"');\n"
    )


def js_string(text: bytes) -> bytes:
    """UTF-8 text as the inside of a single-quoted JavaScript string: JSON text holds no raw
    line break but U+2028 and U+2029, which end a line in scripts before ES2019."""
    return (
        text.replace(b"\\", b"\\\\")
        .replace(b"'", b"\\'")
        .replace("\u2028".encode(), b"\\u2028")
        .replace("\u2029".encode(), b"\\u2029")
    )


def read_unit(
    unit: Unit, fp: Fingerprint, stage: str | None, save: bool, charts: bool = True
) -> tuple[UnitResult, Written]:
    """Read one unit and make everything that depends on it alone: its runs' views, and
    their data files and full-resolution data files (staged at ``stage`` + a number, in the
    site's temp folder); keep the result in the parse cache when ``save``. The views keep no
    metric columns (what pages need is in them), nor, unless ``charts``, their charts' plotted
    columns. Runs in worker processes, so the heavy work of a build is spread over the
    cores."""
    result, written, _ = _read_unit(unit, fp, stage, save, charts)
    return result, written


def read_unit_inline(
    unit: Unit, fp: Fingerprint, charts: bool = True
) -> tuple[UnitResult, list[Made]]:
    """:func:`read_unit` for a process that shares no file system with the build (a Dask
    worker): the views (with their plotted columns when ``charts``), and each run's data files
    as bytes; nothing is staged or kept in a cache here (the build does that with what is sent
    back)."""
    result, _, made = _read_unit(unit, fp, None, False, charts, inline=True)
    return result, made


#: A run's data files, made where it was read: (site path, key, bytes).
Made = list[tuple[str, str, bytes]]


def _read_unit(
    unit: Unit, fp: Fingerprint, stage: str | None, save: bool, charts: bool, inline: bool = False
) -> tuple[UnitResult, Written, list[Made]]:
    problems = Problems()
    made: list[Made] = []
    if not save:  # --no-cache: nothing from the cache folder, in this process either
        load_shapes(cached=False)
    views = []
    sections = []
    written: Written = []
    staged = 0  # files staged so far (they are named by number)
    for run in _guarded(unit, problems):
        try:
            view = run_view(with_svg_data(run, problems))
        except Exception as exc:  # (see _guarded)
            problems.error(run.path, None, f"not shown: {exc!r}. {BUG}")
            continue
        for m in view.metrics:
            _ = m.table_stats, m.index_summary, m.overlaid, m.pair  # made here, once, kept
        sections.append(packed_sections(view, cached=save))
        files = stage_run(stage, staged, run_files(view, fp)) if stage is not None else []
        staged += len(files)
        written.append(files)
        if inline:
            made.append(run_files(view, fp))
        views.append(replace(view, run=replace(run, metrics=())))
    result = UnitResult(tuple(views), shown_problems(unit, problems), tuple(sections))
    if charts:
        if save:
            unit_cache.save(unit, fp, result)
        return result, written, made
    light = (
        unit_cache.save(unit, fp, result, charts=False)
        if save
        else unit_cache.without_chart_data(result)[0]
    )
    return light, written, made


def _guarded(unit: Unit, problems: Problems) -> Iterator[Run]:
    """The unit's runs; a reader that raises (a bug: readers report bad input) ends only its
    own folder, with the runs it gave so far kept and the error reported, never the build."""
    try:
        yield from read_unit_runs(unit, problems)
    except Exception as exc:
        problems.error(unit.folder, None, f"{unit.reader.name} reader failed: {exc!r}. {BUG}")


def shown_problems(unit: Unit, problems: Problems) -> tuple[Problem, ...]:
    """``problems`` met reading ``unit`` as pages show them: their paths relative to the
    input, like the runs' sources, in the pages' order."""
    return tuple(
        sorted((replace(p, path=unit.shown(p.path)) for p in problems.sorted()), key=problem_order)
    )


def stage_run(stage: str, first: int, files: Made) -> list[Staged]:
    """Write a run's data files (:func:`run_files`) at ``stage`` + a number counting on from
    ``first``, as the site files a :class:`~runreport.site.SiteWriter` then adopts."""
    return [
        stage_file(f"{stage}{first + k}", rel, key, data)
        for k, (rel, key, data) in enumerate(files)
    ]


def run_files(view: RunView, fp: Fingerprint) -> list[tuple[str, str, bytes]]:
    """A run's data file and full-resolution data file: (site path, key, bytes)."""
    made = [(data_path(view), data_key(fp.key), data_file(view))]
    full = full_file(view)
    if full is not None:
        made.append((full_path(view), full_key(fp.key), full))
    return made


def unit_files(views: Sequence[RunView], fp: Fingerprint) -> list[tuple[str, str]]:
    """The data files of ``views`` (site path, key), as a cached unit's are found in the old
    site."""
    files = []
    for v in views:
        files.append((data_path(v), data_key(fp.key)))
        if charted(v):
            files.append((full_path(v), full_key(fp.key)))
    return files
