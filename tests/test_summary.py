"""The Markdown summary, images, budgets, the base URL and CSV exports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLE_LOGS, invoke, write_run
from htmlparse import parse_file
from tests_helpers import data_file

from runreport import build as build_module
from runreport.build import BuildConfig, build_site
from runreport.cli import cli
from runreport.errors import ConfigError
from runreport.summary import MAX_SUMMARY_CHARS, cell

PIPE = re.compile(r"(?<!\\)\|")


def tables(markdown: str) -> list[list[str]]:
    """The GFM tables of a document, each as its lines."""
    found: list[list[str]] = []
    current: list[str] = []
    for line in markdown.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            found.append(current)
            current = []
    if current:
        found.append(current)
    return found


def assert_valid_tables(markdown: str) -> None:
    for t in tables(markdown):
        widths = {len(PIPE.findall(line)) for line in t}
        assert len(widths) == 1, t  # every row has the header's number of cells
        assert re.fullmatch(r"\|(---\|)+", t[1]), t[1]


def test_build_writes_the_summary_with_deltas(tmp_path: Path) -> None:
    md = tmp_path / "summary.md"
    code, out = invoke(
        "build",
        str(EXAMPLE_LOGS),
        "-o",
        str(tmp_path / "site"),
        "--summary",
        str(md),
        "--baseline",
        "baseline-linear",
        "--site-url",
        "https://example.org/proj/",
    )
    assert code == 0, out
    text = md.read_text()
    assert 1000 < len(text) < MAX_SUMMARY_CHARS
    assert_valid_tables(text)
    assert text.startswith("# Run report\n\n9 runs in 2 experiments: 7 Completed, 2 Failed")
    assert "[full report](https://example.org/proj/index.html)" in text
    # the best run per key metric, with direction: val_mse is lower-is-better
    best = next(line for line in text.splitlines() if line.startswith("| val_mse |"))
    assert "[baseline-mlp](https://example.org/proj/runs/" in best and best.endswith("| lower |")
    # deltas against the baseline, marked better or worse by the metric's direction
    rows = [
        line
        for line in text.split("## Against the baseline", 1)[1].splitlines()
        if line.startswith("| [")
    ]
    mlp = next(r for r in rows if r.startswith("| [baseline-mlp]") and "| val_mse |" in r)
    assert "✅ better" in mlp and "| -0.135" in mlp  # 0.1159 - 0.2509
    lr3 = next(r for r in rows if r.startswith("| [lr=0.01]") and "| accuracy |" in r)
    assert "❌ worse" in lr3
    assert "baseline-linear](" not in "".join(rows)  # the baseline is not compared with itself


@pytest.mark.slow
def test_summary_command_and_cap_on_2000_runs(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    for i in range(2000):
        write_run(
            logs,
            f"run-{i:04d}",
            [
                {"kind": "scalar", "name": "loss", "value": 1 / (i + 1), "step": 0},
                {"kind": "scalar", "name": "loss", "value": 1 / (i + 2), "step": 1},
                {"kind": "scalar", "name": "accuracy | top-1", "value": i / 2000},
            ],
            name=f"sweep trial {i:04d} | lr=<{i}>",
            experiment="big sweep",
        )
    code, text = invoke("summary", str(logs), "--baseline", "run-0000")
    assert code == 0
    assert len(text) <= MAX_SUMMARY_CHARS
    assert_valid_tables(text)
    assert re.search(r"_\d+ more runs not shown", text)
    assert re.search(r"_\d+ more comparisons not shown", text)
    assert "<" not in text.replace("&lt;", "")  # no raw HTML from run names
    out = tmp_path / "s.md"
    assert invoke("summary", str(logs), "-o", str(out))[0] == 0
    assert len(out.read_text()) <= MAX_SUMMARY_CHARS


def test_cells_are_escaped() -> None:
    assert cell("a|b\nc<script>") == "a\\|b c&lt;script&gt;"
    assert cell("") == " "


def test_unknown_baseline_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    code, out = invoke("summary", str(EXAMPLE_LOGS), "--baseline", "no-such-run")
    assert code == 1 and "no run with that id or name" in out


def test_summary_and_best_leave_out_failed_runs(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    for name, status, mse in (("done", "Completed", 0.3), ("crashed", "Failed", 0.1)):
        write_run(logs, name, [{"kind": "scalar", "name": "mse", "value": mse}], status=status)
    code, text = invoke("summary", str(logs))
    assert code == 0 and "(by its last value, Failed and Canceled runs left out)" in text
    [best_row] = [r for r in text.splitlines() if r.startswith("| mse |")]
    assert "| done |" in best_row
    code, text = invoke("summary", str(logs), "--include-failed")
    assert "| crashed |" in next(r for r in text.splitlines() if r.startswith("| mse |"))
    result = CliRunner().invoke(cli, ["best", str(logs), "--metric", "mse"])
    assert result.exit_code == 0 and result.stdout.split("\t")[1] == "done"
    assert "1 Failed or Canceled runs with mse left out" in result.stderr
    code, out = invoke("best", str(logs), "--metric", "mse", "--include-failed")
    assert code == 0 and out.split("\t")[1] == "crashed"


def test_a_baseline_naming_no_run_fails_before_any_page_is_rendered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered: list[object] = []
    monkeypatch.setattr(build_module, "write_pages", lambda *a, **k: rendered.append(a))
    site = tmp_path / "site"
    config = BuildConfig(inputs=(EXAMPLE_LOGS,), output=site, baseline="no-such-run")
    with pytest.raises(ConfigError, match="--baseline 'no-such-run': no run"):
        build_site(config)
    assert rendered == [] and not (site / "index.html").exists()


def test_images_are_png_and_svg(tmp_path: Path) -> None:
    site = tmp_path / "site"
    code, out = invoke("build", str(EXAMPLE_LOGS), "-o", str(site), "--image-metric", "val_mse")
    assert code == 0, out
    pngs = sorted((site / "images").rglob("*.png"))
    svgs = sorted((site / "images").rglob("*.svg"))
    assert [p.stem for p in pngs] == [s.stem for s in svgs] and len(pngs) == 1
    png = pngs[0].read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width >= 1200 and 300 <= height <= 1000  # 640 px at scale 2, a legend below
    svg = svgs[0].read_text()
    assert svg.startswith("<svg") and "val_mse" in svg and "baseline-mlp" in svg
    # with a site URL, the summary shows the PNGs that were written
    md = tmp_path / "summary.md"
    code, out = invoke(
        "build",
        str(EXAMPLE_LOGS),
        "-o",
        str(site),
        "--images",
        "--summary",
        str(md),
        "--site-url",
        "https://e.org/p",
    )
    assert code == 0, out
    shown = re.findall(r"^!\[[^\]]*\]\(https://e\.org/p/(images/\S+\.png)\)$", md.read_text(), re.M)
    assert len(shown) == 6 and all((site / path).is_file() for path in shown)


def test_budget_fails_and_keeps_the_old_site(tmp_path: Path) -> None:
    site = tmp_path / "site"
    code, out = invoke("build", str(EXAMPLE_LOGS), "-o", str(site))
    assert code == 0 and re.search(r"site: \d+\.\d MB; largest page \S+\.html \(\d+ kB\)", out)
    before = (site / "index.html").read_bytes()
    code, out = invoke(
        "build", str(EXAMPLE_LOGS), "-o", str(site), "--max-site-mb", "0.5", "--title", "new"
    )
    assert code == 1 and "over --max-site-mb 0.5" in out and "Nothing was written" in out
    assert (site / "index.html").read_bytes() == before


def test_site_url_sets_canonical_links_only(tmp_path: Path) -> None:
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(EXAMPLE_LOGS,), output=site, site_url="https://x.org/p"))
    index = parse_file(site / "index.html")
    [canonical] = [e for e in index.iter("link") if e.attrs.get("rel") == "canonical"]
    assert canonical.attrs["href"] == "https://x.org/p/index.html"
    hrefs = [a.attrs["href"] for a in index.iter("a")]
    assert hrefs and not any("x.org" in h for h in hrefs)


def test_full_resolution_data(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    values = [float(i % 97) + 0.1 for i in range(10_000)]
    write_run(
        logs,
        "r",
        [
            {"kind": "scalar", "name": "=cmd|' /C calc'!A0", "value": v, "step": i}
            for i, v in enumerate(values)
        ],
    )
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(logs,), output=site))
    assert not list(site.rglob("*.csv"))  # CSV text is made by the page, when asked
    [file] = (site / "data" / "full").glob("*.js")
    [metric] = data_file(file).values()
    assert metric["columns"] == ["step", "value"]  # names as logged; the page quotes formulas
    assert metric["data"] == [list(range(10_000)), values]  # every point, exactly
    page = next((site / "runs").glob("*.html")).read_text()
    assert "CSV, every point (10000 rows)" in page
    plotted = re.search(r"CSV as plotted \((\d+) points\)", page)
    assert plotted and 1000 < int(plotted.group(1)) <= 2002


def test_full_data_forms() -> None:
    """Numeric arrays go to the page in exact forms; values as logged (with gaps) and integers
    a double cannot hold go as CSV made here (NaN and infinities spelled out, formulas quoted)."""
    import numpy as np

    from runreport.encoding import decode_column
    from runreport.export import full_data
    from runreport.model import Kind, Metric, Run, Status
    from runreport.views import run_view

    big = np.array([2**53, 2**53 + 1], dtype=np.int64)
    metrics = (
        Metric("a", Kind.SCALAR, {"step": np.arange(3), "value": np.array([0.1, np.nan, 2.0])}),
        Metric(
            "=c", Kind.SCALAR, {"step": np.array([5, 1, 9]), "value": np.array([np.inf, -1e300, 3])}
        ),
        Metric("big", Kind.SCALAR, {"step": np.arange(2), "value": big}),
        Metric("e", Kind.TABLE, {"x": (1, 2), "=y": (0.5, None)}),
    )
    run = Run(
        id="r",
        name="r",
        experiment="x",
        status=Status.COMPLETED,
        format="t",
        path=Path("r"),
        metrics=metrics,
    )
    view = run_view(run)
    full = full_data(view)
    a = full["a"]
    assert a["columns"] == ["step", "value"] and a["data"][0] == {"start": 0, "step": 1, "n": 3}
    assert decode_column(a["data"][1]) == [0.1, None, 2.0]  # NaN as a gap, every bit kept
    assert decode_column(full["=c"]["data"][0]) == [5, 1, 9]
    assert decode_column(full["=c"]["data"][1]) == [np.inf, -1e300, 3.0]
    assert full["big"] == {"csv": f"step,value\n0,{2**53}\n1,{2**53 + 1}\n"}
    assert full["e"]["csv"] == "x,'=y\n1,0.5\n2,\n"  # values as logged, not arrays
