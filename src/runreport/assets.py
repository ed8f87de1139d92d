"""The site's static files: the offline Vega bundle (made with vl-convert and kept in the
cache folder) and runreport's own scripts and styles."""

from __future__ import annotations

from functools import cache

import vl_convert

from . import prebuilt
from .charts import made, vega_lite_version
from .files import cache_dir, read_checked, templates_dir, write_atomic, write_checked


@cache
def vega_bundle(cached: bool = True) -> bytes:
    """Vega, Vega-Lite and vega-embed as one script, at the Vega-Lite version altair targets.

    Making it takes seconds: the bundle shipped with runreport for the installed vl-convert
    is used when there is one (:mod:`runreport.prebuilt`); otherwise it is kept in
    :func:`cache_dir` per vl-convert and Vega-Lite version (the bundle is deterministic),
    checked (length and hash) before use and made again when bad; not ``cached``, it is made
    afresh. An unwritable cache costs only time.
    """
    version = getattr(vl_convert, "__version__", "unknown")
    shipped = prebuilt.bundle(version, vega_lite_version())
    if shipped is not None:
        return shipped
    path = cache_dir() / f"vega-bundle-{version}-vl{vega_lite_version()}.js"
    bundle = read_checked(path) if cached else None
    if bundle is None:
        # vl-convert's stub marks ``snippet`` as required; it defaults to "expose the globals"
        bundle = vl_convert.javascript_bundle(  # type: ignore[call-arg]
            vl_version=vega_lite_version()
        ).encode("utf-8")
        write_checked(path, bundle)
    return bundle


def assets(cached: bool = True) -> dict[str, bytes]:
    """The site's static files: the Vega bundle and runreport's own script and styles."""
    out = {"assets/vega.js": vega_bundle(cached)}
    static = templates_dir() / "assets"
    for path in sorted(static.iterdir()):
        if path.is_file():
            out[f"assets/{path.name}"] = path.read_bytes()
    return out


def write_prebuilt() -> list[str]:
    """Make the files :mod:`runreport.prebuilt` ships (the Vega bundle for the installed
    vl-convert, the chart shapes for the installed altair) and write them into the package;
    the paths written. Run after changing :mod:`runreport.charts` or upgrading either."""
    prebuilt.FOLDER.mkdir(exist_ok=True)
    for old in prebuilt.FOLDER.glob("vega-*.js"):
        old.unlink()
    version = getattr(vl_convert, "__version__", "unknown")
    target = prebuilt.bundle_path(version, vega_lite_version())
    vega_bundle.cache_clear()
    write_atomic(target, vega_bundle(cached=False))
    write_atomic(prebuilt.SHAPES, prebuilt.shapes_file(made()))
    return [str(target), str(prebuilt.SHAPES)]
