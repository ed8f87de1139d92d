"""Helpers shared by tests: reading the site's data files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson


def data_file(path: Path) -> dict[str, Any]:
    """The object a site data file (``data/**/*.js``) assigns to ``window.RR_DATA[key]``."""
    text = path.read_text(encoding="utf-8")
    m = re.fullmatch(
        r'\(window\.RR_DATA=window\.RR_DATA\|\|\{\}\)\[("[^"]*")\]=(.*);\n', text, re.S
    )
    assert m, f"{path} is not a runreport data file"
    value: dict[str, Any] = orjson.loads(m.group(2))
    return value
