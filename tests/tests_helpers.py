"""Helpers shared by tests: reading the site's data files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson

from runreport.charts import X_TITLE, Y_TITLE
from runreport.encoding import decode_column


def data_file(path: Path) -> dict[str, Any]:
    """The object a site data file (``data/**/*.js``) assigns to ``window.RR_DATA[key]``, with
    each chart's columns decoded (and each column of a full-resolution file)."""
    name, value = data_value(path)
    if name.startswith("full/"):
        for metric in value.values():
            if "data" in metric:
                metric["data"] = [decode_column(c) for c in metric["data"]]
        return value
    for chart in value.get("charts", {}).values():  # plotted columns as the page decodes them
        for key in ("x", "y", "series"):
            if key in chart:
                chart[key] = decode_column(chart[key])
        if "shape" in chart:  # and its spec as the page makes it
            chart["spec"] = filled(value["shapes"][chart["shape"]], chart["titles"])
    return value


def data_value(path: Path) -> tuple[str, Any]:
    """The key and the value, as stored (columns encoded), that a site data file assigns to
    ``window.RR_DATA[key]``."""
    text = path.read_text(encoding="utf-8")
    m = re.fullmatch(
        r'\(window\.RR_DATA=window\.RR_DATA\|\|\{\}\)\[("[^"]*")\]=JSON\.parse\(\'(.*)\'\);\n',
        text,
        re.S,
    )
    assert m, f"{path} is not a runreport data file"
    return orjson.loads(m.group(1)), orjson.loads(js_unquoted(m.group(2)))


def js_unquoted(inside: str) -> str:
    """The text of a single-quoted JavaScript string (its inside, as ``js_string`` writes it),
    checked to hold no quote or line break that would end it."""
    assert not re.search(r"(?<!\\)(?:\\\\)*'|[\n\r\u2028\u2029]", inside), "unescaped"
    escapes = {"\\": "\\", "'": "'", "u2028": "\u2028", "u2029": "\u2029"}
    return re.sub(r"\\(\\|'|u2028|u2029)", lambda e: escapes[e.group(1)], inside)


def filled(template: Any, titles: list[str]) -> Any:
    """A spec template with a chart's x and y titles in place, as ``embed`` in common.js
    fills it."""
    if template == X_TITLE:
        return titles[0]
    if template == Y_TITLE:
        return titles[1]
    if isinstance(template, dict):
        return {k: filled(v, titles) for k, v in template.items()}
    if isinstance(template, list):
        return [filled(v, titles) for v in template]
    return template


def experiment_rows(page: Path) -> list[dict[str, Any]]:
    """The rows of an experiment page's run table: its data file, which the page draws."""
    from htmlparse import parse_file

    slug = parse_file(page).find_all("body")[0].attrs["data-experiment"]
    table = data_file(page.parent.parent / "data" / "experiments" / f"{slug}.js")
    rows: list[dict[str, Any]] = table["rows"]
    return rows


def drawn(page: Any, selector: str, read: str, old: Any = None) -> Any:
    """What the script ``read`` (a function of the chart's element) returns once the chart at
    ``selector`` is scrolled to and drawn (again, when ``old``, its view before, is given)."""
    chart = page.locator(selector)
    chart.scroll_into_view_if_needed()
    page.wait_for_function(
        "([el, old]) => el.rrView && el.rrView !== old",
        arg=[chart.element_handle(), old],
        timeout=15_000,
    )
    return chart.evaluate(read)
