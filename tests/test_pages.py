"""Built pages, parsed as HTML: structure, links, escaping, determinism."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from conftest import write_run
from htmlparse import parse_file
from tests_helpers import data_file, experiment_rows

from runreport.build import BuildConfig, build_site
from runreport.rules import Display
from runreport.templating import render_markdown


def _page_of(site: Path, run_name: str) -> Path:
    for page in (site / "runs").glob("*.html"):
        h1 = parse_file(page).iter("h1")[0]
        if h1.text_parts and h1.text_parts[0].strip() == run_name:
            return page
    raise AssertionError(f"no page for run {run_name!r}")


def test_every_internal_link_resolves(example_site: Path) -> None:
    pages = sorted(example_site.rglob("*.html"))
    assert len(pages) >= 14
    for page in pages:
        doc = parse_file(page)
        for el in doc.iter():
            for attr in ("href", "src"):
                ref = el.attrs.get(attr)
                if not ref or el.tag == "meta":
                    continue
                if el.tag == "link" and el.attrs.get("rel") == "icon":
                    assert ref == "data:,", f"{page}: icon {ref}"  # none: no request for one
                    continue
                assert "://" not in ref and not ref.startswith("//"), f"{page}: external {ref}"
                target = ref.split("#", 1)[0].split("?", 1)[0]
                if target:
                    assert (page.parent / target).resolve().is_file(), f"{page}: broken {ref}"


def test_seed_examples_are_the_charts_the_rules_name(example_site: Path) -> None:
    page = _page_of(example_site, "azure-examples")
    doc = parse_file(page)
    shown = {
        fig.find_all("span", **{"class": "metric-name"})[0].text: fig.find_all(
            "span", **{"class": "rule"}
        )[0].text
        for fig in doc.find_all("figure", **{"class": "chart-card"})
    }
    assert shown["Fibonacci"] == Display.LINE.value
    assert shown["Sigmoid"] == Display.LINE.value
    assert shown["Cosine Wave"] == Display.XY.value
    assert shown["Sine Wave"] == Display.XY.value
    assert shown["precision-recall"] == Display.MULTI.value
    slug = doc.find_all("body")[0].attrs["data-run"]
    charts = data_file(example_site / "data" / "runs" / f"{slug}.js")["charts"]
    assert charts["Fibonacci"]["x"] == list(range(12))
    assert charts["Fibonacci"]["y"] == [0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89]
    assert charts["Cosine Wave"]["spec"]["encoding"]["x"]["title"] == "angle"
    assert charts["Cosine Wave"]["spec"]["encoding"]["y"]["title"] == "cos"
    assert len(charts["Sigmoid"]["x"]) == 21
    # NaN / Inf are gaps (null), and the chart says how many
    assert charts["loss with gaps"]["y"][2] is None and charts["loss with gaps"]["y"][4] is None
    assert "2 NaN/Inf values shown as gaps" in page.read_text()
    # the image, the table and the text
    assert doc.find_all("img")[0].attrs["alt"] == "histogram"
    tables = {h2.text_parts[0].strip() for h2 in doc.iter("h2") if h2.find_all("span")}
    assert {"predictions", "note"} <= tables


def test_experiment_table_has_stats_best_marks_and_children(example_site: Path) -> None:
    page = next(
        p
        for p in (example_site / "experiments").glob("*.html")
        if parse_file(p).iter("h1")[0].text == "mnist-sweep"
    )
    rows = experiment_rows(page)
    assert len(rows) == 7
    children = [r for r in rows if r["parent"]]
    assert len(children) == 4
    # each child follows its parent
    parent_index = [r["slug"] for r in rows].index(children[0]["parent"])
    assert rows[parent_index + 1 : parent_index + 5] == children
    # one cell per metric of the header: last, min, max as numbers, then as text, then the
    # stats the run is best in
    header = parse_file(page).find_all("th", **{"class": "metric"})
    cells = [c for r in rows for c in r["cells"] if c is not None]
    assert all(len(r["cells"]) == len(header) for r in rows)
    assert cells and all(len(c) == 7 and isinstance(c[3], str) for c in cells)
    best = [c for c in cells if "last" in c[6].split()]
    assert best and all(c[0] in {o[0] for o in cells} for c in best)
    assert len(best) == len(header)  # one best last value per metric with a goal


def _finished_and_failed(logs: Path) -> Path:
    for name, status, mse in (("done", "Completed", 0.3), ("crashed", "Failed", 0.1)):
        write_run(logs, name, [{"kind": "scalar", "name": "mse", "value": mse}], status=status)
    return logs


def _best_rows(site: Path) -> list[str]:
    rows = experiment_rows(next((site / "experiments").glob("*.html")))
    return [
        r["slug"].split("-")[0]
        for r in rows
        for c in r["cells"]
        if c is not None and "last" in c[6].split()
    ]


def test_failed_runs_are_not_best_unless_asked(tmp_path: Path) -> None:
    logs = _finished_and_failed(tmp_path / "logs")
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(logs,), output=site))
    assert _best_rows(site) == ["done"]
    hint = parse_file(next((site / "experiments").glob("*.html"))).find_all("p")
    assert any("did not fail or get canceled" in p.text and "mse: lower" in p.text for p in hint)
    build_site(BuildConfig(inputs=(logs,), output=site, include_failed=True))
    assert _best_rows(site) == ["crashed"]


def test_hostile_text_stays_text(tmp_path: Path) -> None:
    evil = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
    write_run(
        tmp_path / "logs",
        "r1",
        [
            {"kind": "scalar", "name": evil, "value": 1.0},
            {"kind": "scalar", "name": evil, "value": 2.0},
            {"kind": "scalar", "name": "</script><script>alert(2)</script>", "value": 1},
        ],
        name=evil,
        experiment=evil,
        compute_target=evil,
        tags={evil: evil},
        params={evil: evil},
        description=f"[click](javascript:alert(1)) {evil} <b onclick=alert(1)>x</b>",
    )
    logs = tmp_path / "logs" / "r1" / "logs"
    logs.mkdir()
    (logs / "out.txt").write_text(evil)
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(tmp_path / "logs",), output=site))
    for page in site.rglob("*.html"):
        doc = parse_file(page)
        for script in doc.iter("script"):
            assert script.attrs.get("src"), f"{page}: inline script"
            assert not script.text.strip()
        for el in doc.iter():
            assert not any(a.startswith("on") for a in el.attrs), f"{page}: event handler {el}"
            assert not el.attrs.get("href", "").lower().startswith("javascript:")
        assert "<img src=x" not in page.read_text()
    run_page = next((site / "runs").glob("*.html"))
    assert evil in parse_file(run_page).iter("h1")[0].text


def test_markdown_is_sanitised() -> None:
    html = render_markdown("# T\n\n[a](javascript:alert(1)) <script>x</script> **b**")
    assert "<strong>b</strong>" in html and "<h1>T</h1>" in html
    assert "javascript:" not in html and "<script" not in html


def test_building_twice_gives_identical_bytes(tmp_path: Path, copy_examples: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    build_site(BuildConfig(inputs=(copy_examples,), output=a))
    build_site(BuildConfig(inputs=(copy_examples,), output=b))
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_logs_are_cleaned_and_long_logs_cut(tmp_path: Path) -> None:
    folder = write_run(tmp_path / "logs", "r1")
    (folder / "logs").mkdir()
    (folder / "logs" / "stdout.txt").write_bytes(
        b"\x1b[32mgreen\x1b[0m\nprogress 1%\rprogress 100%\n" + b"x" * 300_000 + b"\nTHE END\n"
    )
    (folder / "logs" / "short.txt").write_bytes(b"\x1b[1mbold\x1b[0m\nprogress 1%\rprogress 100%\n")
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(tmp_path / "logs",), output=site))
    page = next((site / "runs").glob("*.html"))
    pres = [p.text for p in parse_file(page).iter("pre")]
    assert pres[0] == "bold\nprogress 100%\n"
    assert pres[1].endswith("THE END\n") and "green" not in pres[1]
    assert "last part shown" in page.read_text()
    copied = list(site.rglob("stdout.txt"))
    assert copied and copied[0].stat().st_size > 300_000


def test_recent_runs_are_the_last_active_with_file_times_for_untimed_formats(
    tmp_path: Path,
) -> None:
    """Keras CSV logs record no times: their files' modification times place them among
    runs that do, newest first, and their pages say where the time comes from."""
    logs = tmp_path / "logs"
    logs.mkdir()
    for name, year in (("old", 2020), ("new", 2023)):
        (logs / name).mkdir()
        (logs / name / f"{name}.csv").write_text("epoch,loss\n0,0.5\n1,0.4\n")
        stamp = datetime(year, 6, 1, tzinfo=UTC).timestamp()
        os.utime(logs / name / f"{name}.csv", (stamp, stamp))
    write_run(
        logs,
        "timed",
        [{"kind": "scalar", "name": "loss", "value": 0.3}],
        start_time="2021-06-01T00:00:00Z",
        end_time="2021-06-01T01:00:00Z",
    )
    stamp = datetime(2021, 6, 1, 1, tzinfo=UTC).timestamp()
    for f in (logs / "timed").iterdir():
        os.utime(f, (stamp, stamp))
    site = tmp_path / "site"
    build_site(BuildConfig(inputs=(logs,), output=site))
    doc = parse_file(site / "index.html")
    recent = next(s for s in doc.find_all("section") if s.iter("h2")[0].text == "Recent runs")
    rows = recent.iter("tbody")[0].iter("tr")
    assert [r.find_all("td")[0].text for r in rows] == ["new", "timed", "old"]
    assert rows[0].find_all("td")[-1].text == "2023-06-01 00:00:00 UTC (file time)"
    assert rows[1].find_all("td")[-1].text == "2021-06-01 01:00:00 UTC"  # recorded: no mark
    page = next((site / "runs").glob("*new*.html")).read_text()
    assert "Files last changed" in page and "this format records no times" in page
