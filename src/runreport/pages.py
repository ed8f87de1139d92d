"""Pages: every page of the site rendered from the gathered context, and the run files
(logs, outputs) copied into it."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup

from .charts import shape_for, spec_template, spec_titles
from .contexts import ComputeInfo, ExperimentInfo, SiteContext
from .errors import Problem, problem_order
from .files import MAX_LOG_BYTES_SHOWN as MAX_LOG_BYTES_SHOWN
from .files import MAX_OUTPUT_BYTES_COPIED as MAX_OUTPUT_BYTES_COPIED
from .files import code_fingerprint, current_identity, open_regular
from .gate import INDEX, site_index
from .importance import METHOD, Plan, available, fit, plan
from .memo import ByObject
from .model import FileRef
from .names import slug
from .rules import key_metrics, section_of, section_order
from .runfiles import (
    content_key,
    data_file,
    data_key,
    data_path,
    js_data,
    run_sections,
    unpacked_sections,
)
from .site import SiteWriter
from .templating import duration, environment, live_texts, render_markdown, when
from .views import MAX_TOGETHER, ChartData, RunView, clean_log, fmt

#: Newest runs listed on the home page.
RECENT_RUNS = 20


@dataclass(frozen=True)
class LogView:
    """A log file on the run page: its tail, cleaned, and a link to the whole file."""

    name: str
    href: str  # "" when the file is too large to copy into the site
    size: int
    text: str
    truncated: bool


def _read_log(path: Path) -> tuple[str, bool]:
    try:
        fh = open_regular(path)
    except OSError as exc:
        return f"(not read: {exc.strerror or exc})", False
    size = os.fstat(fh.fileno()).st_size
    with fh:
        if size > MAX_LOG_BYTES_SHOWN:
            fh.seek(size - MAX_LOG_BYTES_SHOWN)
            data = fh.read(MAX_LOG_BYTES_SHOWN)
            _, newline, tail = data.partition(b"\n")
            if newline and tail:
                data = tail  # start at a line boundary when there is one

        else:
            data = fh.read()
    return clean_log(data.decode("utf-8", errors="replace")), size > MAX_LOG_BYTES_SHOWN


def _overlays(views: Iterable[RunView]) -> dict[str, dict[str, Any]]:
    """Each metric charted over ``views`` as an overlay of runs: its spec's shape and titles,
    its section and, for metrics drawn together, its paired name (overlays.js)."""
    overlay: dict[str, ChartData] = {}
    points: dict[str, int] = {}
    pairs: dict[str, str | None] = {}
    for v in views:
        for m in v.metrics:
            if m.chart is None or not m.overlaid:
                continue
            points[m.name] = max(points.get(m.name, 0), m.plotted)
            overlay.setdefault(m.name, m.chart)
            pairs.setdefault(m.name, m.pair)
    return {
        name: {
            "shape": shape_for("lines", points[name]),
            "titles": spec_titles(chart),
            "section": section_of(name),
            # metrics drawn together (overlays.js togetherGroups, as RunView.together)
            **({"pair": pairs[name]} if pairs[name] is not None else {}),
        }
        for name, chart in overlay.items()
    }


def _index_entry(v: RunView) -> dict[str, Any]:
    return {
        "name": v.run.title,
        "experiment": v.run.experiment,
        "status": v.run.status.value,
        "href": f"runs/{v.slug}.html",
        "params": {k: fmt(p) for k, p in v.run.params.items()},
        "summaries": {m.name: m.index_summary for m in v.metrics if m.summary is not None},
        "charts": [m.name for m in v.metrics if m.overlaid],
        "images": v.image_entries(),
    }


#: Each run's entry in the site index, kept between the builds of one process (serve)
_index_entries = ByObject(_index_entry)


def _index_data(ctx: SiteContext) -> dict[str, Any]:
    """The site index for the compare page: every run's facts, and each metric's overlay: its
    spec's shape and titles (the spec templates by shape beside them, as in a run's data
    file)."""
    _index_entries.next_build()
    runs = {v.slug: _index_entries(v) for v in ctx.runs.values()}
    overlays = _overlays(ctx.runs.values())
    shapes = {o["shape"]: spec_template(o["shape"]) for o in overlays.values()}
    sections = sorted({o["section"] for o in overlays.values()}, key=section_order)
    return {
        "runs": runs,
        "shapes": shapes,
        "overlays": overlays,
        "sections": sections,
        "together_max": MAX_TOGETHER,
    }


def _experiment_charts(exp: ExperimentInfo, ctx: SiteContext, fits: Fits) -> dict[str, Any]:
    """What an experiment page needs to chart its key metrics across its runs (sweep.js):
    the metrics (:func:`~runreport.rules.key_metrics`), each one's overlay and their spec
    templates by shape, as in the site index."""
    overlays = _overlays(exp.runs)
    goals = [name for name, _ in ctx.settings.goals]
    keys = key_metrics(overlays, goals)
    chosen = {k: overlays[k] for k in keys}
    return {
        "metrics": keys,
        # where each one's value is in a row's cells (None: it has no summary)
        "cells": [exp.metric_names.index(k) if k in exp.metric_names else None for k in keys],
        "overlays": chosen,
        # the key metrics' shapes, groups' lines (groups.js), and the scatter (relations.js) and
        # parallel coordinates (parcoords.js) of params against a metric
        "shapes": {
            **{o["shape"]: spec_template(o["shape"]) for o in chosen.values()},
            **{s: spec_template(s) for s in ("lines", "scatter", "scatter_nominal", "parallel")},
        },
        "together_max": MAX_TOGETHER,
        # for the key metrics among every metric (a sweep's final metrics are often logged once)
        "importance": _importance(exp, fits),
    }


#: By key metric, what its importance is made from (:func:`fit_importance`).
Fits = Mapping[str, tuple[Plan, "Future[list[float]] | None"]]


def fit_importance(
    exp: ExperimentInfo, ctx: SiteContext, cached: bool, aside: Executor | None = None
) -> Fits:
    """The params' permutation importance to compute for each of the experiment's key metrics
    (:mod:`runreport.importance`; kept in the cache folder when ``cached``): what the cache
    folder does not hold is fitted in ``aside`` when given, while pages are made."""
    if not exp.param_names or not available():
        return {}
    goals = [name for name, _ in ctx.settings.goals]
    fits = {}
    for k in key_metrics(exp.metric_names, goals):
        if (
            k in exp.metric_names
            and (p := plan(exp.runs, exp.param_names, k, cache=cached)) is not None
        ):
            fits[k] = (p, aside.submit(fit, p.x, p.y) if aside and p.kept is None else None)
    return fits


def _importance(exp: ExperimentInfo, fits: Fits) -> dict[str, Any] | None:
    """The params' importance for each key metric, by the metric's column (``m3``), in the
    order of the experiment's params; None without any (as without scikit-learn). A fit that
    failed in the other process is made here."""
    found = {}
    for k, (p, future) in fits.items():
        try:
            fitted = future.result() if future is not None else None
        except Exception:  # (the other process died, say): fitted here instead
            fitted = None
        found[f"m{exp.metric_names.index(k)}"] = p.finish(fitted)
    return {"method": METHOD, "by_metric": found} if found else None


def _recent(ctx: SiteContext) -> list[RunView]:
    """The :data:`RECENT_RUNS` runs last active (see :meth:`SiteContext.last_activity`), the
    latest first; runs with no time at all come after every run with one."""
    timed: list[tuple[datetime, str, RunView]] = []
    untimed: list[RunView] = []
    for v in ctx.runs.values():
        when = ctx.last_activity(v)  # computed once per run
        if when is None:
            untimed.append(v)
        else:
            timed.append((when, v.slug, v))
    timed.sort(key=lambda item: item[:2], reverse=True)
    untimed.sort(key=lambda v: v.slug)
    return ([v for _, _, v in timed] + untimed)[:RECENT_RUNS]


#: Rows of an experiment's run table that the page draws first (``FIRST`` in experiment.js).
FIRST_ROWS = 200


def _run_facts(v: RunView, ctx: SiteContext) -> dict[str, Any]:
    """What a row of a table of runs shows of ``v`` beside its name, as text made here."""
    r, a = v.run, ctx.activity(v)
    live = None
    if a is not None:
        running, stalled = live_texts(a.elapsed, a.silent, a.stalled)
        live = {"text": running, "stalled": stalled or None}
    return {
        "slug": v.slug,
        "name": r.name,
        "id": r.short_id,
        "status": r.status.value,
        "compute": r.compute_target,
        "compute_slug": slug(r.compute_target) if r.compute_target else None,
        "start_text": when(r.start_time),
        "dur_text": duration(r.duration_seconds),
        "live": live,
    }


#: Runs a compute target's page lists as HTML; the others are drawn when asked for, from
#: ``data/compute/<slug>.js`` (a table of 10,000 runs took 1.5-2 s to load and lay out).
COMPUTE_ROWS = 200


def compute_data(comp: ComputeInfo, ctx: SiteContext) -> dict[str, bytes]:
    """The data file of the runs a compute target's page does not list as HTML (the runs
    after the first :data:`COMPUTE_ROWS`), by site path; none when it lists them all."""
    rest = comp.runs[COMPUTE_ROWS:]
    if not rest:
        return {}
    key = f"compute/{comp.slug}"
    rows = [
        {**_run_facts(v, ctx), "experiment": v.run.experiment, "experiment_slug": v.experiment_slug}
        for v in rest
    ]
    return {f"data/{key}.js": js_data(key, {"rows": rows})}


def experiment_data(
    exp: ExperimentInfo, ctx: SiteContext, cached: bool, fits: Fits | None = None
) -> dict[str, bytes]:
    """The data files of an experiment's run table, by site path, from which the page's
    script draws the rows asked for (a table of 10,000 runs as HTML is 30 MB, and a browser
    takes seconds to lay it out). Runs in table order (each parent followed by its children),
    each with what its row shows, all text made here: ``cells`` holds one entry per metric
    (see :func:`runreport.contexts.metric_cell`) or None. ``key_charts`` says what the page charts
    across the runs (:func:`_experiment_charts`; with ``cached``, params' importance is taken
    from the cache folder when fitted before to the same values; ``fits``: as
    :func:`fit_importance` made them, else made here).

    ``data/experiments/<slug>.js``, which the page loads, holds every run; or, when there are
    more than :data:`FIRST_ROWS`, only the first (with the count of all, and where the rest
    are): the page draws them, then loads ``<slug>.all.js``, which holds every run, once it has
    shown them (on many, 12 MB for 10,000 runs took a second to load before any row showed)."""
    rows = []
    for v in exp.runs:
        r = v.run
        parent = ctx.runs.get(r.parent_id) if r.parent_id else None
        rows.append(
            {
                **_run_facts(v, ctx),
                "title": r.title,
                "parent": parent.slug if parent else None,
                "start": r.start_time.timestamp() if r.start_time else None,
                "dur": r.duration_seconds,
                "tags": [[k, t] for k, t in r.tags.items()],
                "params": [fmt(r.params[p]) if p in r.params else None for p in exp.param_names],
                "cells": exp.cells[v.slug],
            }
        )
    key, path = f"experiments/{exp.slug}", f"data/experiments/{exp.slug}"
    charts = _experiment_charts(
        exp, ctx, fits if fits is not None else fit_importance(exp, ctx, cached)
    )
    if len(rows) <= FIRST_ROWS:
        return {f"{path}.js": js_data(key, {"rows": rows, "key_charts": charts})}
    first = {
        "rows": rows[:FIRST_ROWS],
        "total": len(rows),
        "rest": f"{path}.all.js",
        "key_charts": charts,
    }
    return {f"{path}.js": js_data(key, first), f"{path}.all.js": js_data(key, {"rows": rows})}


def _union(groups: Iterable[Iterable[str]]) -> list[str]:
    """Names in first-seen order across groups, each once."""
    return list(dict.fromkeys(name for group in groups for name in group))


def write_pages(
    ctx: SiteContext,
    writer: SiteWriter,
    *,
    unit_keys: Mapping[str, str] | None = None,
    sections: Mapping[str, bytes] | None = None,
    cached: bool = True,
    aside: Executor | None = None,
) -> None:
    """Every page and data file of the site, written through ``writer`` (not ``cached``: with
    no compiled template from the cache folder). Params' importance is fitted in ``aside``
    (another process) while the pages are made, when given.

    ``unit_keys`` (run slug → the fingerprint of the files it was read from) lets a run's page,
    data file and copied files be taken from the old site when nothing they show has changed;
    pages that list many runs (home, experiments, compute targets, compare) are always made.
    ``sections`` (run slug → :func:`~runreport.runfiles.packed_sections`) are parts of run
    pages made earlier.
    The page settings' ``site_url`` only adds canonical links; every link between pages stays
    relative.
    """
    env = environment(cached)
    keys = unit_keys or {}
    made = sections or {}
    # what every page shows beside its own runs: a change to any of it remakes every page
    site_key = content_key(code_fingerprint(), *ctx.settings.key(), len(ctx.problems), ctx.warnings)
    site_url = ctx.settings.site_url

    def page(path: str, template: str, key: str | None = None, **context: Any) -> None:
        root = "../" * path.count("/")
        canonical = f"{site_url.rstrip('/')}/{path}" if site_url else ""
        html = env.get_template(template).render(
            site=ctx, root=root, canonical=canonical, **context
        )
        writer.put(path, html.encode("utf-8"), key)

    fits = [fit_importance(exp, ctx, cached, aside) for exp in ctx.experiments]
    page(
        "index.html",
        "index.html",
        recent=_recent(ctx),
    )
    for exp in ctx.experiments:
        page(f"experiments/{exp.slug}.html", "experiment.html", exp=exp)
    for comp in ctx.computes:
        page(f"compute/{comp.slug}.html", "compute.html", comp=comp, first=COMPUTE_ROWS)
        for rel, data in compute_data(comp, ctx).items():
            writer.put(rel, data, None)
    children_of: dict[str, list[RunView]] = {}
    for v in ctx.runs.values():
        if v.run.parent_id:
            children_of.setdefault(v.run.parent_id, []).append(v)
    for v in ctx.runs.values():
        unit = keys.get(v.slug)
        children = children_of.get(v.run.id, [])
        parent = ctx.runs.get(v.run.parent_id) if v.run.parent_id else None
        page_key = None
        live = any(ctx.activity(r) for r in (v, *children))  # shown as of the build: remade
        if unit is not None and not live and all(c.slug in keys for c in children):
            page_key = content_key(
                site_key,
                unit,
                v.run.title,
                parent.slug if parent else "",
                parent.run.title if parent else "",
                *(f"{keys[c.slug]}:{c.run.title}" for c in children),
                *(current_identity(ref.path) or f"{ref.path}:missing" for ref in v.run.logs),
            )
        rel = f"runs/{v.slug}.html"
        if page_key is None or not writer.reuse(rel, page_key):
            page(
                rel,
                "run.html",
                page_key,
                v=v,
                logs=[_log_view(v, ref) for ref in v.run.logs],
                children=children,
                parent=parent,
                child_params=_union(c.run.params for c in children),
                child_metrics=_union(c.summaries for c in children),
                child_charts=_union((m.name for m in c.metrics if m.overlaid) for c in children),
                description=render_markdown(v.run.description) if v.run.description else "",
                sections=Markup(
                    unpacked_sections(made[v.slug]) if v.slug in made else run_sections(v)
                ),
                max_copied=MAX_OUTPUT_BYTES_COPIED,
            )
        data_rel = data_path(v)
        key = data_key(unit) if unit else None
        if writer.has(data_rel):
            pass  # written by the process that read the run
        elif key is None or not writer.reuse(data_rel, key):
            writer.put(data_rel, data_file(v), key)
        for rel, image in v.embedded.items():
            image_key = content_key("embedded", unit, rel) if unit else None
            if image_key is None or not writer.reuse(rel, image_key):
                writer.put(rel, image, image_key)
    for exp, exp_fits in zip(ctx.experiments, fits, strict=True):  # (after the fits, if aside)
        for rel, data in experiment_data(exp, ctx, cached, exp_fits).items():
            writer.put(rel, data, None)
    writer.put("data/index.js", js_data("index", _index_data(ctx)))
    writer.put(INDEX, site_index(ctx))  # a later build's --baseline-site reads it
    page("compare.html", "compare.html")
    page("problems.html", "problems.html")


def copy_files(ctx: SiteContext, writer: SiteWriter) -> SiteContext:
    """Copy every run's logs and outputs (up to :data:`MAX_OUTPUT_BYTES_COPIED` each) into
    the site, before any page is made; ``ctx`` with a problem for each file that could not be
    copied (one swapped for a link or a FIFO since it was listed, say)."""
    failed: list[Problem] = []
    for v in ctx.runs.values():
        for ref in (*v.run.logs, *v.run.outputs):
            if ref.size <= MAX_OUTPUT_BYTES_COPIED:
                why = writer.copy(
                    f"runs/{v.slug}/files/{v.files[ref.rel]}", ref.path, MAX_OUTPUT_BYTES_COPIED
                )
                if why:
                    where = f"{v.run.source}/{ref.rel}" if v.run.source else str(ref.path)
                    failed.append(Problem(where, None, why))
    if not failed:
        return ctx
    problems = tuple(sorted((*ctx.problems, *failed), key=problem_order))
    return replace(ctx, problems=problems, warnings=ctx.warnings + len(failed))


def _log_view(v: RunView, ref: FileRef) -> LogView:
    text, truncated = _read_log(ref.path)
    href = f"{v.slug}/files/{v.files[ref.rel]}" if ref.size <= MAX_OUTPUT_BYTES_COPIED else ""
    return LogView(ref.rel, href, ref.size, text, truncated)
