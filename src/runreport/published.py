"""A published site as a regression gate's baseline (``--baseline-site PATH_OR_URL``): its
index (:data:`runreport.gate.INDEX`, which every build writes at the site's root) read from a
folder or over HTTP(S), so a pull request's build compares with what is on GitHub Pages
without the old logs."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

from .errors import ConfigError
from .files import open_regular
from .gate import INDEX, Published, read_index

#: The largest index read (10,000 runs of 10 metrics take about 3 MB).
MAX_BYTES = 256 * 2**20
TIMEOUT_S = 30
_URL = re.compile(r"https?://", re.IGNORECASE)


def load(location: str) -> Published:
    """The runs of the site at ``location``: a folder (or its index file) or an http(s)
    address of the site (or of its index). Errors say where and what to do."""
    if _URL.match(location):
        url = location if location.endswith("/" + INDEX) else location.rstrip("/") + "/" + INDEX
        site = url[: -len(INDEX)]  # its pages are linked from the summary
        return read_index(_fetch(url, location), location, quote(site, safe=":/?#[]@!$&'*+,;=%~"))
    path = Path(location)
    file = path if path.name == INDEX and not path.is_dir() else path / INDEX
    try:
        with open_regular(file) as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(
            f"--baseline-site {location}: cannot read {file} ({exc.strerror or exc}); give "
            "the folder of a site built by runreport (it writes " + INDEX + " at its root)"
        ) from None
    _check_size(data, location)
    return read_index(data, location, None)


def _fetch(url: str, location: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "runreport"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            data: bytes = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        exc.close()  # (it holds the connection)
        raise ConfigError(
            f"--baseline-site {location}: {url} answered {exc.code} {exc.reason}; is the site "
            f"published there, built by a runreport that writes {INDEX}?"
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ConfigError(
            f"--baseline-site {location}: cannot read {url} ({reason}); check the address "
            "and the network"
        ) from None
    _check_size(data, location)
    return data


def _check_size(data: bytes, location: str) -> None:
    if len(data) > MAX_BYTES:
        raise ConfigError(
            f"--baseline-site {location}: its {INDEX} is over {MAX_BYTES // 2**20} MB; "
            "this is not a runreport index"
        )
