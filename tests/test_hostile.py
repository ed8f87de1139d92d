"""Hostile input: nothing escapes the output folder, nothing outside the logs is read, nothing
crashes, every problem is reported with its place, numbers stay right."""

from __future__ import annotations

import base64
import json
import math
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import ACTIVE_SVG, write_run
from htmlparse import parse_file

import runreport
from runreport.build import BuildConfig, build_site
from runreport.cli import cli
from runreport.errors import Problems
from runreport.readers import read_runs

SAFE_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*")


def _tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def test_hostile_logs_build_without_escaping(hostile_logs: Path, tmp_path: Path) -> None:
    before = _tree(tmp_path)
    site = tmp_path / "site"
    result = CliRunner().invoke(cli, ["build", str(hostile_logs), "-o", str(site)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    # nothing written beside the site or in the logs
    after = _tree(tmp_path)
    assert {p for p in after - before if not p.startswith("site")} == set()
    # every file name in the site is a plain, safe path
    files = [
        p.relative_to(site).as_posix()
        for p in site.rglob("*")
        if p.is_file() and p.name != ".runreport-site"
    ]
    assert files and all(SAFE_PATH.fullmatch(f) for f in files), [
        f for f in files if not SAFE_PATH.fullmatch(f)
    ]
    lowered = [f.lower() for f in files]
    assert len(lowered) == len(set(lowered))  # no two differ only in case
    assert all(len(part) <= 100 for f in files for part in f.split("/"))
    # nothing from outside the log folder, no FIFO, no 2 GB copy
    for f in site.rglob("*"):
        if f.is_file():
            assert f.stat().st_size < 60 * 1024 * 1024
            assert b"TOP SECRET" not in f.read_bytes()


def test_copied_documents_never_become_active_content(hostile_logs: Path, tmp_path: Path) -> None:
    """Outputs and logs a browser would render as a document (HTML, XHTML, SVG, XML) are
    published as text; an SVG image is shown only through <img>, from a data: URI."""
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(hostile_logs / "xss",), output=site))
    copied = {p.relative_to(site).as_posix() for p in site.glob("runs/*/files/**/*")}
    active = (".html", ".htm", ".xhtml", ".svg", ".xml", ".xsl", ".mht", ".js", ".css")
    assert copied and not [p for p in copied if p.lower().endswith(active)]
    for name in ("report.html", "page.XHTML", "feed.xml", "plot.svg", "trace.htm"):
        assert any(p.endswith(f"/{name}.txt") for p in copied), name
    page = next(p for p in (site / "runs").glob("*.html") if "xss-1" in p.name)
    doc = parse_file(page)
    [svg] = [i for i in doc.iter("img") if i.attrs.get("alt") == "svg plot"]
    src = svg.attrs["src"]
    assert src.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(src.split(",", 1)[1]).decode() == ACTIVE_SVG
    links = {a.attrs.get("href", "") for a in doc.iter("a")}
    links = {h for h in links if "/files/" in h}
    assert not [h for h in links if h.lower().endswith(active)]  # no link opens a document
    assert any(h.endswith("/outputs/report.html.txt") for h in links)
    assert "published as text" in page.read_text()


def test_every_problem_has_a_place_and_strict_fails(hostile_logs: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["build", str(hostile_logs), "-o", str(tmp_path / "s")])
    lines = [ln for ln in result.output.splitlines() if ln.startswith(("warning:", "error:"))]
    assert len(lines) >= 20
    assert all(re.match(r"(warning|error): \S.*: \S", ln) for ln in lines)
    assert "hostile/values/run-1/metrics.jsonl:17:" in result.output  # relative to the LOGDIR
    strict = CliRunner().invoke(
        cli, ["build", str(hostile_logs), "-o", str(tmp_path / "s2"), "--strict"]
    )
    assert strict.exit_code == 1 and "Traceback" not in strict.output
    page = (tmp_path / "s" / "problems.html").read_text()
    assert "values/run-1/metrics.jsonl:17" in page


def test_links_fifos_and_devices_are_not_followed(hostile_logs: Path) -> None:
    problems = Problems()
    runs = {r.id: r for r in read_runs([hostile_logs], problems)}
    assert "link-run" not in {r.path.name for r in runs.values()}  # only links: no run
    assert "fifo-run" not in {r.path.name for r in runs.values()}  # a FIFO is not a file
    xss = runs["xss-1"]
    names = {o.rel for o in xss.outputs}
    assert "outputs/pipe" not in names and "outputs/secret-link.txt" not in names
    assert "outputs/zero" not in names
    assert not any(n.startswith("outputs/loop") for n in names)
    assert "outputs/CON.txt" in names


def test_huge_log_is_shown_in_part(hostile_logs: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(hostile_logs / "xss",), output=site))
    page = next((site / "runs").glob("*.html"))
    doc = parse_file(page)
    huge = next(d for d in doc.iter("details") if "huge.log" in d.text)
    assert "last part shown" in huge.text and huge.iter("pre")[0].text.endswith("THE END\n")
    assert len(huge.iter("pre")[0].text) <= 200_001
    assert not list(site.rglob("huge.log"))  # too big to copy: listed, not linked
    assert "too large to copy" in huge.text
    for a in doc.iter("a"):  # no link to a file that is not there
        ref = a.attrs.get("href", "").split("#")[0]
        if ref and "://" not in ref:
            assert (page.parent / ref).exists(), ref


def test_odd_values_keep_summaries_and_specs_right(tmp_path: Path) -> None:
    from tests_helpers import data_file

    site = tmp_path / "site"
    build_site(
        BuildConfig(inputs=(Path(__file__).parent / "data" / "hostile" / "values",), output=site)
    )
    [run] = runreport.load(Path(__file__).parent / "data" / "hostile" / "values")
    m = run.get_metrics()
    loss = m["loss"]
    assert len(loss) == 11 and math.isnan(loss[1]) and math.isnan(loss[-1])
    assert m["huge"][0] == int("9" * 400) and m["flag"] == [True, False]
    assert m["acc"] == [0.5, None, 0.7]
    page = next((site / "runs").glob("*.html"))
    slug = page.stem
    charts = data_file(site / "data" / "runs" / f"{slug}.js")["charts"]
    ys = charts["loss"]["y"]
    assert None in ys and 1e308 in ys and -1e308 in ys and 5e-324 in ys
    assert "huge" not in charts  # ±inf only: nothing to draw, said on the page
    assert charts["flag"]["y"] == [1.0, 0.0]
    text = page.read_text()
    summary = {
        tr.iter("th")[0].text: [td.text for td in tr.iter("td")]
        for tr in parse_file(page)
        .find_all("table", **{"class": "summary"})[0]
        .iter("tbody")[0]
        .iter("tr")
    }
    # last is NaN (logged last); min and max skip NaN and keep the infinities
    assert summary["loss"][:2] == ["NaN", "-∞"] and summary["loss"][3] == "∞"
    assert summary["huge"][1:4:2] == ["-∞", "∞"]
    assert "Nothing to draw" in text  # the all-NaN series


FIVE_MILLION = textwrap.dedent("""
    import resource, sys
    from pathlib import Path
    import runreport
    [run] = runreport.load(Path(sys.argv[1]))
    values = run.get_metrics()["loss"]
    print(len(values), min(values), max(values), values[-1])
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
""")


@pytest.mark.slow
def test_five_million_line_metric_file_in_bounded_memory(tmp_path: Path) -> None:
    folder = write_run(tmp_path / "logs", "big")
    line = b'{"kind":"scalar","name":"loss","value":%d}\n'
    with (folder / "metrics.jsonl").open("wb") as fh:
        block = b"".join(line % i for i in range(10_000))
        for _ in range(500):
            fh.write(block)
    out = subprocess.run(
        [sys.executable, "-c", FIVE_MILLION, str(tmp_path / "logs")],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout.split()
    assert out[0] == "5000000" and [float(v) for v in out[1:4]] == [0, 9999, 9999]
    assert int(out[4]) < 1500  # MiB: the parsed values, not the 225 MB file several times over


def test_names_that_are_paths_stay_names(tmp_path: Path) -> None:
    site = tmp_path / "out" / "site"
    build_site(
        BuildConfig(inputs=(Path(__file__).parent / "data" / "hostile" / "names",), output=site)
    )
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["site"]
    pages = sorted(p.name for p in (site / "runs").glob("*.html"))
    assert len(pages) == 9 and len({p.lower() for p in pages}) == 9
    titles = {parse_file(site / "runs" / p).iter("h1")[0].text_parts[0].strip() for p in pages}
    assert {"../../etc/passwd", "/abs/path/run", "Run", "run", "CON", "y" * 300} <= titles


def test_spec_strings_are_safe_json(tmp_path: Path) -> None:
    from tests_helpers import data_file

    write_run(
        tmp_path / "logs",
        "r",
        [{"kind": "scalar", "name": "</script>\u2028", "value": v} for v in (1, 2)],
    )
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(tmp_path / "logs",), output=site))
    [data] = list((site / "data" / "runs").glob("*.js"))
    text = data.read_text()
    # a JavaScript string holding JSON text: no raw line separator in it; the name comes back
    assert "\u2028" not in text
    assert "</script>\u2028" in data_file(data)["charts"]


def test_names_shared_by_runs_are_kept_with_a_short_disambiguator(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    long_name = "y" * 300
    for folder, name in (("a", "../../etc/passwd"), ("b", "../../etc/passwd")):
        write_run(logs, folder, [{"kind": "scalar", "name": "loss", "value": 1}], name=name)
    for folder in ("c", "d"):
        write_run(logs / "deep" / ("x" * 60), folder, [], name=long_name)
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(logs,), output=site))
    shown = []
    for page in (site / "runs").glob("*.html"):
        h1 = parse_file(page).iter("h1")[0]
        short = [e.text for e in h1.iter("span") if "short-id" in e.attrs.get("class", "")]
        shown.append((h1.text_parts[0].strip(), *short))
    # the name as given (escaped, whole), told apart by the run's id beside it
    assert sorted(shown) == [
        ("../../etc/passwd", "a"),
        ("../../etc/passwd", "b"),
        (long_name, "c"),
        (long_name, "d"),
    ]


def test_an_empty_azure_dump_is_a_run_that_says_it_has_no_data(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "run_metrics.json").write_text("{}")  # get_metrics() of a run that logged nothing
    (logs / "hd_metrics.json").write_text(json.dumps({"HD_0": {}, "HD_1": {"mse": 0.2}}))
    site = tmp_path / "site"
    result = build_site(BuildConfig(inputs=(logs,), output=site))
    assert any(
        p.path.endswith("run_metrics.json") and "empty get_metrics() dump" in p.message
        for p in result.problems
    )
    pages = {
        parse_file(p).iter("h1")[0].text_parts[0].strip(): p.read_text()
        for p in (site / "runs").glob("*.html")
    }
    assert set(pages) == {"run_metrics", "HD_0", "HD_1"}
    for name in ("run_metrics", "HD_0"):
        assert "No metrics or images were found for this run" in pages[name]
    assert "No metrics or images" not in pages["HD_1"]


@pytest.mark.browser
def test_data_files_give_chromium_back_every_value(browser: Any, tmp_path: Path) -> None:
    """A data file's JSON text, in a single-quoted string, is the value again in Chromium:
    quotes, backslashes, line separators, markup and escapes in names and values."""
    from tests_helpers import data_value

    from runreport.runfiles import js_data

    value = {
        "it's": ["a\\'b", "\\", "\\\\'", "'", "\u2028\u2029", "</script><!--", "\n\r\t\x00"],
        "\u00e9\U0001f600": [1.5, -0.0, None, True, 10**15, "\\u2028", "${x}`"],
    }
    data = tmp_path / "d.js"
    data.write_bytes(js_data("k'\\", value))
    assert data_value(data) == ("k'\\", value)
    (tmp_path / "p.html").write_text(
        '<!doctype html><meta charset="utf-8"><script src="d.js"></script>'
    )
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((tmp_path / "p.html").as_uri())
    assert page.evaluate('() => window.RR_DATA["k\'\\\\"]') == value
    assert errors == []
