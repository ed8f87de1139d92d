"""A short Markdown report for CI: ``$GITHUB_STEP_SUMMARY``, a pull-request comment, a job log.

Experiments, the best run per key metric with its last/min/max, a per-run table, and deltas
against a baseline run; always valid GitHub-flavoured Markdown and never over
``MAX_SUMMARY_CHARS`` (tables are cut with a stated "N more runs" line).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .contexts import SiteContext
from .gate import GateResult, GateRun
from .templating import duration
from .views import RunView, fmt

#: GitHub's limit for a job summary (and close to its PR comment limit).
MAX_SUMMARY_CHARS = 65_536
#: Key metrics listed per experiment (the ones most runs have).
KEY_METRICS = 5


def cell(text: object) -> str:
    """Text safe inside a GFM table cell: no pipes, newlines or HTML."""
    s = str(text).replace("\\", "\\\\").replace("|", "\\|")
    s = s.replace("<", "&lt;").replace(">", "&gt;").replace("\r", " ").replace("\n", " ")
    return s.strip() or " "


def _link(text: object, url: str | None) -> str:
    label = cell(text).replace("[", "\\[").replace("]", "\\]")
    return f"[{label}]({url})" if url else label


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A GFM table (cells already made safe with :func:`cell`)."""
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


@dataclass(frozen=True)
class SummaryOptions:
    """How the summary is written."""

    site_url: str | None = None
    baseline: RunView | None = None
    images: Mapping[tuple[str, str], str] | None = None  # (experiment, metric) -> image path
    max_chars: int = MAX_SUMMARY_CHARS
    gate: GateResult | None = None  # the regression gate's checks: first, never cut


def key_metrics(runs: Sequence[RunView]) -> list[str]:
    """The metrics most runs of an experiment have (ties by name), at most ``KEY_METRICS``."""
    counts = Counter(n for v in runs for n in v.summaries)
    return [n for n, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))][:KEY_METRICS]


def _url(opts: SummaryOptions, path: str) -> str | None:
    return f"{opts.site_url.rstrip('/')}/{path}" if opts.site_url else None


def _delta(value: float, base: float, goal: str) -> tuple[str, str]:
    if math.isnan(value) or math.isnan(base):
        return "", ""
    diff = value - base
    if diff == 0:
        return "0", "same"
    rel = f" ({diff / abs(base):+.1%})" if base not in (0, math.inf, -math.inf) else ""
    better = diff < 0 if goal == "min" else diff > 0
    return f"{fmt(diff) if diff < 0 else '+' + fmt(diff)}{rel}", (
        "✅ better" if better else "❌ worse"
    )


def _render(ctx: SiteContext, opts: SummaryOptions, rows_per_table: int) -> str:
    lines = [f"# {cell(ctx.title)}", ""]
    runs = list(ctx.runs.values())
    statuses = Counter(v.run.status.value for v in runs)
    head = f"{len(runs)} runs in {len(ctx.experiments)} experiments: " + ", ".join(
        f"{n} {s}" for s, n in sorted(statuses.items())
    )
    url = _url(opts, "index.html")
    lines += [head + (f" · [full report]({url})" if url else ""), ""]
    if opts.gate is not None:
        lines += _gate(opts, opts.gate)
    for exp in ctx.experiments:
        metrics = key_metrics(exp.runs)
        url = _url(opts, f"experiments/{exp.slug}.html")
        lines += [f"## {_link(exp.name, url)} ({len(exp.runs)} runs)", ""]
        if metrics:
            best_rows = []
            for m in metrics:
                slug = exp.best.get(m, {}).get("last")
                best = next((v for v in exp.runs if v.slug == slug), None)
                if best is None:
                    continue
                s = best.summaries[m]
                best_rows.append(
                    [
                        cell(m),
                        _link(best.run.title, _url(opts, f"runs/{best.slug}.html")),
                        cell(fmt(s.last)),
                        cell(fmt(s.min)),
                        cell(fmt(s.max)),
                        "lower" if exp.goals.get(m) == "min" else "higher",
                    ]
                )
            left_out = "" if ctx.settings.include_failed else ", Failed and Canceled runs left out"
            lines += [f"Best run per key metric (by its last value{left_out}):", ""]
            lines += table(["metric", "best run", "last", "min", "max", "better"], best_rows)
            lines.append("")
            for m in metrics:
                image = (opts.images or {}).get((exp.name, m))
                if image and opts.site_url:
                    lines += [f"![{cell(m)}]({_url(opts, image)})", ""]
        shown = exp.runs[:rows_per_table]
        rows = [
            [
                _link(v.run.title, _url(opts, f"runs/{v.slug}.html")),
                cell(v.run.status.value),
                cell(duration(v.run.duration_seconds) or " "),
            ]
            + [cell(fmt(v.summaries[m].last)) if m in v.summaries else " " for m in metrics]
            for v in shown
        ]
        lines += table(["run", "status", "duration", *(cell(m) for m in metrics)], rows)
        if len(exp.runs) > len(shown):
            lines.append("")
            lines.append(
                f"_{len(exp.runs) - len(shown)} more runs not shown"
                + (" (see the full report)._" if opts.site_url else "._")
            )
        lines.append("")
    if opts.baseline is not None:
        lines += _baseline(ctx, opts, rows_per_table)
    return "\n".join(lines).rstrip() + "\n"


def _gate(opts: SummaryOptions, gate: GateResult) -> list[str]:
    """The regression gate: what failed the build, or that nothing did, and every check."""
    if gate.baseline is not None:
        base = _link(gate.baseline.title, _href(opts, gate, gate.baseline))
        seeds = len(gate.base_runs) - 1
        against = f"the baseline {base}" + (f" and its {seeds} other seeds" if seeds else "")
        if gate.source:
            against += f" of the site at {cell(gate.source)}"
    else:
        against = (
            f"the runs of the same names (groups of seeds: of the same params) of the site at "
            f"{cell(gate.source)}"
        )
    failed = gate.failed
    lines = [
        "## Regression gate",
        "",
        (
            f"**Failed: {len(failed)} regression{'s' if len(failed) != 1 else ''}** against "
            if failed
            else "Passed: nothing worse beyond its tolerance against "
        )
        + f"{against} (groups of seeds: difference of means, "
        "95 % bootstrap interval; one crossing zero is within noise).",
        "",
    ]
    if gate.unmatched:
        names = ", ".join(gate.unmatched[:20]) + (" …" if len(gate.unmatched) > 20 else "")
        lines += [f"Not checked (no run of that name there): {cell(names)}.", ""]
    if gate.missing:
        lines += [f"Not checked (the baseline has no value): {cell(', '.join(gate.missing))}.", ""]
    rows = []
    for c in sorted(gate.checks, key=lambda c: (not c.failed, c.metric)):
        runs = ", ".join(_link(r.title, _href(opts, gate, r, here=True)) for r in c.runs)
        mean = sum(c.values) / len(c.values)
        base_mean = sum(c.base_values) / len(c.base_values)
        rows.append(
            [
                runs,
                cell(c.metric),
                cell(fmt(mean) + (f" (mean of {len(c.values)})" if len(c.values) > 1 else "")),
                cell(fmt(base_mean))
                + (
                    f" ({_link(c.base_runs[0].title, _href(opts, gate, c.base_runs[0]))})"
                    if gate.baseline is None
                    else ""
                ),
                cell(fmt(c.worse_by)),
                cell(fmt(c.allowed)),
                cell(f"{fmt(c.interval[0])} to {fmt(c.interval[1])}" if c.interval else "—"),
                f"**{c.verdict}**" if c.failed else c.verdict,
            ]
        )
    header = ["runs", "metric", "value", "baseline", "worse by", "allowed", "interval", ""]
    return [*lines, *table(header, rows), ""]


def _href(
    opts: SummaryOptions, gate: GateResult, run: GateRun, *, here: bool = False
) -> str | None:
    """A link to ``run``'s page: on this site (``here``, or a baseline of this build), else on
    the published site compared with."""
    if here or gate.source is None:
        return _url(opts, f"runs/{run.slug}.html")
    return run.href


def _baseline(ctx: SiteContext, opts: SummaryOptions, rows_per_table: int) -> list[str]:
    base = opts.baseline
    assert base is not None
    exp = next((e for e in ctx.experiments if base in e.runs), None)
    others = [v for v in (exp.runs if exp else ctx.runs.values()) if v is not base]
    metrics = [m for m in key_metrics([base, *others]) if m in base.summaries]
    goals = exp.goals if exp else {}
    lines = [
        f"## Against the baseline {_link(base.run.title, _url(opts, f'runs/{base.slug}.html'))}",
        "",
    ]
    rows = []
    for v in others:
        for m in metrics:
            if m not in v.summaries:
                continue
            value, ref = v.summaries[m].last, base.summaries[m].last
            change, verdict = _delta(value, ref, goals.get(m, "max"))
            rows.append(
                [
                    _link(v.run.title, _url(opts, f"runs/{v.slug}.html")),
                    cell(m),
                    cell(fmt(value)),
                    cell(fmt(ref)),
                    cell(change or " "),
                    verdict or " ",
                ]
            )
    shown = rows[: rows_per_table * max(len(metrics), 1)]
    lines += table(["run", "metric", "last", "baseline", "change", ""], shown)
    if len(rows) > len(shown):
        lines += ["", f"_{len(rows) - len(shown)} more comparisons not shown._"]
    return [*lines, ""]


def summary_markdown(ctx: SiteContext, opts: SummaryOptions) -> str:
    """The summary, with as many table rows as fit in ``opts.max_chars``."""
    most = max((len(e.runs) for e in ctx.experiments), default=0)
    text = _render(ctx, opts, most)
    if len(text) <= opts.max_chars:
        return text
    lo, hi = 0, most  # the largest row count that fits
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(_render(ctx, opts, mid)) <= opts.max_chars:
            lo = mid
        else:
            hi = mid - 1
    text = _render(ctx, opts, lo)
    if len(text) > opts.max_chars:  # many experiments: even their headings do not fit
        cut = text[: opts.max_chars - 200].rsplit("\n## ", 1)[0]
        text = cut.rstrip() + "\n\n_More experiments not shown (the summary has a size limit)._\n"
    return text
