"""What runreport would otherwise make on a machine's first build, shipped in the package
(``prebuilt_files/``): the offline Vega bundle (vl-convert takes a second or more to make it)
and the validated chart shapes (importing altair and validating take about half a second).
A fresh CI runner then pays for neither.

Each is used only when it is exactly what would be made on this machine: the bundle when its
name gives the installed vl-convert's version and the Vega-Lite version wanted; the shapes
when they were made by the installed altair from the same :mod:`runreport.charts` source.
Otherwise they are made and kept in the cache folder, as before. A test fails when the
shipped files are stale; :func:`runreport.assets.write_prebuilt` makes them again.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import version
from pathlib import Path
from typing import Any

import orjson

FOLDER = Path(__file__).resolve().parent / "prebuilt_files"
SHAPES = FOLDER / "shapes.json"


def bundle_path(vl_convert_version: str, vega_lite: str) -> Path:
    """Where the Vega bundle made by this vl-convert for this Vega-Lite version is shipped."""
    return FOLDER / f"vega-{vega_lite}-vlconvert{vl_convert_version}.js"


def charts_source() -> str:
    """The hash of the source of :mod:`runreport.charts` and :mod:`runreport.chartshapes`:
    the shapes depend on it and on altair."""
    here = Path(__file__).resolve().parent
    return hashlib.sha1(
        b"".join((here / n).read_bytes() for n in ("charts.py", "chartshapes.py"))
    ).hexdigest()


def bundle(vl_convert_version: str, vega_lite: str) -> bytes | None:
    """The shipped Vega bundle, when there is one for these versions."""
    try:
        return bundle_path(vl_convert_version, vega_lite).read_bytes()
    except OSError:
        return None


def shapes() -> dict[str, Any] | None:
    """The shipped chart shapes, when the installed altair and charts source made them."""
    try:
        stored = orjson.loads(SHAPES.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(stored, dict) or stored.get("altair") != version("altair"):
        return None
    made = stored.get("made")
    return made if stored.get("charts") == charts_source() and isinstance(made, dict) else None


def shapes_file(made: dict[str, Any]) -> bytes:
    """The content of :data:`SHAPES` for shapes ``made`` here and now."""
    record = {"altair": version("altair"), "charts": charts_source(), "made": made}
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)
