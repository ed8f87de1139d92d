"""How plotted and full-resolution columns go into the site's data files, compactly, and how
a page's script reads them back (:func:`decode_column` does what it does, for tests and
benchmarks)."""

from __future__ import annotations

import base64
import math
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def compact(chart: Mapping[str, Any]) -> dict[str, Any]:
    """A chart's plotted columns as they go into a data file (see :func:`encode_column`):
    numeric ``x`` and ``y`` encoded, ``series`` as runs of labels, anything else left out."""
    out: dict[str, Any] = {}
    for key in ("x", "y"):
        if isinstance(chart.get(key), np.ndarray):
            out[key] = encode_column(chart[key], y=key == "y")
    series = chart.get("series")
    if series is not None:
        out["series"] = encode_labels(series)
    return out


#: Smallest magnitude float32 keeps at full precision (below it, values keep float64).
_F32_TINY = float(np.finfo(np.float32).tiny)
_F32_MAX = float(np.finfo(np.float32).max)


def _exact_ints(col: np.ndarray) -> np.ndarray | None:
    """``col`` as int64 when every value is a whole number of magnitude below 2**53 (which a
    page's numbers hold exactly); else None. Most float columns fail on their first value."""
    limit = 2**53
    if col.dtype.kind in "iu":
        if (col >= limit).any() or (col <= -limit).any():
            return None
    elif not float(col[0]).is_integer() or not (np.abs(col) < limit).all():
        return None  # a fraction, NaN, an infinity or too large
    elif not np.array_equal(col, np.round(col)):
        return None
    return col.astype(np.int64)


def encode_column(values: np.ndarray, *, y: bool = False) -> Any:
    """A numeric column in a data file's compact form, which the page's script decodes:

    - ``{"start": a, "step": d, "n": n}``: evenly spaced integers (most steps and indices);
    - ``{"i32": base64}``: other integers that fit in 32 bits, little-endian;
    - ``{"f32": base64}``: plotted values (``y``) as float32, 7 significant digits, far finer
      than a chart's pixels (summaries and full-resolution data keep full precision);
    - ``{"f64": base64}``: everything else, and values float32 would overflow or flush to zero.

    NaN marks a gap in the line. About 5.3 bytes per plotted value, against 10-20 as JSON text.
    """
    col = np.asarray(values)
    if col.dtype.kind not in "iuf":
        col = col.astype(np.float64)
    n = len(col)
    ints = _exact_ints(col) if n and not y else None
    if ints is not None:
        steps = np.diff(ints)
        if n >= 2 and (steps == steps[0]).all():
            return {"start": int(ints[0]), "step": int(steps[0]), "n": n}
        if (ints < 2**31).all() and (ints >= -(2**31)).all():
            return {"i32": base64.b64encode(ints.astype("<i4").tobytes()).decode("ascii")}
    col = col.astype(np.float64, copy=False)
    if y:
        mags = np.abs(col)
        overflow = ((mags > _F32_MAX) & (mags < np.inf)).any()
        if not overflow and not ((mags < _F32_TINY) & (mags > 0)).any():
            return {"f32": base64.b64encode(col.astype("<f4").tobytes()).decode("ascii")}
    return {"f64": base64.b64encode(col.astype("<f8").tobytes()).decode("ascii")}


def encode_exact(values: np.ndarray) -> Any:
    """A column of a full-resolution data file: :func:`encode_column`'s exact forms, or,
    when smaller, ``{"z": base64, "t": kind, "n": n}``: the column's 8-byte values (``f64``;
    ``d64``: the differences of integers that fit in 32 bits) with their bytes regrouped
    by position (every value's first byte, then every second byte…), zlib-compressed. The
    page inflates it with the browser's own ``DecompressionStream("deflate")``. Values a
    float32 produced (most logged metrics) end in four zero bytes, which then take almost
    nothing."""
    plain = encode_column(values)
    if "n" in plain:
        return plain
    col = np.asarray(values)
    if "i32" in plain:
        kind, data = "d64", np.diff(col.astype(np.int64), prepend=0).astype("<i8")
    else:
        kind, data = "f64", col.astype("<f8")
    planes = np.frombuffer(data.tobytes(), dtype=np.uint8).reshape(-1, 8).T.tobytes()
    packed = base64.b64encode(zlib.compress(planes, 6)).decode("ascii")
    if len(packed) >= len(next(iter(plain.values()))):
        return plain
    return {"z": packed, "t": kind, "n": len(col)}


def _inflate(value: dict[str, Any]) -> np.ndarray:
    n = value["n"]
    planes = np.frombuffer(zlib.decompress(base64.b64decode(value["z"])), dtype=np.uint8)
    raw = planes.reshape(8, n).T.tobytes()
    if value["t"] == "f64":
        return np.frombuffer(raw, dtype="<f8")
    return np.cumsum(np.frombuffer(raw, dtype="<i8"))


def encode_labels(labels: Sequence[str]) -> dict[str, list[Any]]:
    """A per-point label column (a chart's series) as runs of equal labels:
    ``{"labels": [...], "counts": [...]}``."""
    out: dict[str, list[Any]] = {"labels": [], "counts": []}
    for label in labels:
        if out["labels"] and out["labels"][-1] == label:
            out["counts"][-1] += 1
        else:
            out["labels"].append(label)
            out["counts"].append(1)
    return out


def decode_column(value: Any) -> list[Any]:
    """The inverse of :func:`encode_column` and :func:`encode_labels` (NaN → None), as the
    page's script reads a data file; plain JSON lists come back as they are."""
    if isinstance(value, list):
        return value
    if "labels" in value:
        pairs = zip(value["labels"], value["counts"], strict=True)
        return [label for label, count in pairs for _ in range(count)]
    if "z" in value:
        got = _inflate(value)
        return (
            [None if v != v else v for v in got.tolist()]
            if value["t"] == "f64"
            else [int(v) for v in got]
        )
    if "n" in value:
        return [value["start"] + i * value["step"] for i in range(value["n"])]
    kind = next(k for k in ("i32", "f32", "f64") if k in value)
    dtype = {"i32": "<i4", "f32": "<f4", "f64": "<f8"}[kind]
    arr = np.frombuffer(base64.b64decode(value[kind]), dtype=dtype)
    if kind == "i32":
        return [int(v) for v in arr]
    if kind == "f32":  # as the page shows them: 7 significant digits
        return [None if math.isnan(v) else float(f"{v:.7g}") for v in arr]
    return [None if math.isnan(v) else float(v) for v in arr]
