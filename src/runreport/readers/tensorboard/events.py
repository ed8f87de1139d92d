"""The records of a run's event files as series, texts, images and hyperparameters: batches
of simple scalar records decoded at once (:mod:`.batch`), everything else one by one with
protobuf, both in record order."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ...errors import Problems
from ...model import Value
from .batch import Family, Layout, shapes
from .records import Frames
from .schema import classes, is_scalar_tensor, tensor_values

#: Records decoded together (grouped by layout), at most: a bound on the memory a batch takes.
BATCH_RECORDS = 1 << 16
#: Fewer records than this of one length are decoded one by one.
MIN_LAYOUT_RECORDS = 4
#: Records of one length that are no scalar record, at most, before the rest of them are
#: decoded one by one (histograms, images, texts: each record its own layout).
MAX_LAYOUT_FAILURES = 8
#: New groups of one family whose tags are checked per batch, at most (the rest wait).
MAX_GROUP_CHECKS = 4096


_UNSEEN: Any = ("unseen",)  # a group whose tags are not known yet
#: Record families seen, by record length, and the tags of the records of a family with given
#: fixed bytes (None: not scalars): facts about bytes (each checked against protobuf once),
#: kept for every run the process reads, up to :data:`MAX_KNOWN_GROUPS`.
_FAMILIES: dict[int, list[Family]] = {}
_TAGS: dict[tuple[Family, bytes], tuple[str, ...] | None] = {}
MAX_KNOWN_GROUPS = 1 << 16
#: Families kept per record length, at most (the oldest are forgotten).
MAX_FAMILIES_PER_LENGTH = 32


class Decoder:
    """Decodes the records of a run's event files: batches of simple scalar records at once
    (see :class:`Layout`), everything else one by one with protobuf, in record order."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.file = Path()
        self.count = 0  # records added so far (their order)
        # shared by every run this process reads: runs of one training script repeat them
        if len(_TAGS) > MAX_KNOWN_GROUPS:
            _TAGS.clear()
            _FAMILIES.clear()
        self.families = _FAMILIES
        self.tags = _TAGS
        # per tag: chunks of (order, step, value, wall time) arrays; order = record * 2**32 +
        # position; a wall time of 0 is none
        self.chunks: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]] = {}
        self.one_by_one: dict[str, tuple[list[int], list[int], list[float], list[float]]] = {}
        self.texts: dict[str, tuple[list[Value], list[Value]]] = {}
        self.images: dict[str, list[tuple[int, bytes]]] = {}
        # per tag: (step, bucket left edges, right edges, counts) per histogram, in order
        self.histograms: dict[str, list[tuple[int, list[float], list[float], list[float]]]] = {}
        # per tag: the number logged, and the last curve's recall and precision
        self.pr_curves: dict[str, tuple[int, list[float], list[float]]] = {}
        self.params: dict[str, Any] = {}
        self.walls: list[float] = []

    def add(self, chunk: Frames) -> None:
        """Decode the records of a chunk: the scalar ones in batches by length (of at most
        :data:`BATCH_RECORDS`), the rest one by one, in record order."""
        orders = self.count + np.arange(len(chunk.offsets), dtype=np.int64)
        self.count += len(chunk.offsets)
        batched = np.zeros(len(chunk.offsets), dtype=bool)
        rest: list[np.ndarray] = []
        for length, (index, rows) in chunk.groups.items():
            if len(index) < MIN_LAYOUT_RECORDS:
                continue
            batched[index] = True
            for start in range(0, len(index), BATCH_RECORDS):
                part = slice(start, start + BATCH_RECORDS)
                got = self._batch(length, rows[part], orders[index[part]])
                rest.append(index[part][got])
        left = np.sort(np.concatenate([np.flatnonzero(~batched), *rest]))
        for i in left.tolist():
            o, size = int(chunk.offsets[i]), int(chunk.lengths[i])
            self._one(int(orders[i]), chunk.data[o : o + size])

    def _batch(self, length: int, rows: np.ndarray, orders: np.ndarray) -> np.ndarray:
        """Decode the scalar records among ``rows`` (records of one length) by family;
        returns the indices of the others, to be decoded one by one."""
        shape = shapes(rows)
        pending = np.arange(len(rows))
        leftover: list[int] = []
        for family in self.families.get(length, ()):
            pending, bad = self._family(family, rows, orders, shape, pending)
            leftover += bad
        fails = 0
        while len(pending) and fails < MAX_LAYOUT_FAILURES:
            head = int(pending[0])
            layout = Layout.of(rows[head].tobytes())
            if layout is None or layout.family in self.families.get(length, ()):
                leftover.append(head)
                pending = pending[1:]
                fails += 1
                continue
            family = layout.family
            known = self.families.setdefault(length, [])
            known.append(family)
            del known[:-MAX_FAMILIES_PER_LENGTH]
            self.tags[(family, rows[head][family.fixed].tobytes())] = layout.tags
            pending, bad = self._family(family, rows, orders, shape, pending)
            leftover += bad
        return np.array(sorted(leftover + pending.tolist()), dtype=np.int64)

    def _family(
        self,
        family: Family,
        rows: np.ndarray,
        orders: np.ndarray,
        shape: np.ndarray,
        pending: np.ndarray,
    ) -> tuple[np.ndarray, list[int]]:
        """Decode the pending rows of ``family``: those of its shape, grouped by their fixed
        bytes, each group's tags read from one of its records (checked). Returns the rows
        still pending, and those of a group found to be no scalar record (one by one)."""
        mine = shape[pending] == family.shape
        candidates = pending[mine]
        if not len(candidates):
            return pending, []
        fixed = family.fixed
        sub = rows[candidates]
        ok = family.well_formed(sub)
        uniq, first, inverse = _grouped(np.ascontiguousarray(sub[:, fixed]))
        status = np.zeros(len(uniq), dtype=np.int8)  # 1: decoded here, -1: not scalars
        group_tags: list[tuple[str, ...] | None] = []
        checks = 0
        for u, key in enumerate(uniq):
            tags = self.tags.get((family, key.tobytes()), _UNSEEN)
            if tags is _UNSEEN and ok[first[u]] and checks < MAX_GROUP_CHECKS:
                checks += 1
                layout = Layout.of(rows[int(candidates[first[u]])].tobytes())
                if layout is None:
                    tags = None
                elif layout.family == family:
                    tags = layout.tags
                if tags is not _UNSEEN:
                    self.tags[(family, key.tobytes())] = tags
            group_tags.append(tags if tags is not _UNSEEN else None)
            status[u] = 0 if tags is _UNSEEN else (1 if tags is not None else -1)
        take = ok & (status[inverse] == 1)
        bad = candidates[ok & (status[inverse] == -1)].tolist()
        if take.any():
            self._decoded(family, sub[take], orders[candidates[take]], inverse[take], group_tags)
        done = np.zeros(len(rows), dtype=bool)
        done[candidates[take]] = True
        done[bad] = True
        return pending[~done[pending]], bad

    def _decoded(
        self,
        family: Family,
        rows: np.ndarray,
        orders: np.ndarray,
        groups: np.ndarray,
        group_tags: list[tuple[str, ...] | None],
    ) -> None:
        """Add the series of rows of ``family`` (each in group ``groups[i]``) to each tag's."""
        wall, steps, values = family.decode(rows)
        seen = wall[wall != 0]
        if len(seen):
            self.walls += [float(seen.min()), float(seen.max())]
        by_group = np.argsort(groups, kind="stable")
        cuts = np.flatnonzero(np.diff(groups[by_group])) + 1
        for part in np.split(by_group, cuts):
            tags = group_tags[int(groups[part[0]])]
            assert tags is not None
            for position, tag in enumerate(tags):
                self.chunks.setdefault(tag, []).append(
                    (
                        (orders[part] << 32) + position,
                        steps[part],
                        values[position][part],
                        wall[part],
                    )
                )

    def _one(self, order: int, payload: bytes) -> None:
        event = classes()["Event"]()
        try:
            event.ParseFromString(payload)
        except Exception:  # protobuf's DecodeError differs between its backends
            self.problems.warn(self.file, None, "undecodable event record; skipped")
            return
        if event.wall_time:
            self.walls.append(event.wall_time)
        if event.WhichOneof("what") != "summary":
            return
        for position, value in enumerate(event.summary.value):
            _value(value, event.step, (order << 32) + position, event.wall_time, self)

    def scalar_columns(self) -> dict[str, Scalars]:
        """Each tag's steps, values and wall times (seconds, NaN where none), in record order
        (tags in the order first seen)."""
        for tag, (at, logged_at, logged, walls) in self.one_by_one.items():
            self.chunks.setdefault(tag, []).append(
                (
                    np.array(at, np.int64),
                    np.array(logged_at, np.int64),
                    np.array(logged),
                    np.array(walls, np.float64),
                )
            )
        self.one_by_one = {}
        merged: list[tuple[int, str, Scalars]] = []
        for tag, chunks in self.chunks.items():
            orders = np.concatenate([c[0] for c in chunks])
            if len(orders):
                order = np.argsort(orders, kind="stable")
                steps = np.concatenate([c[1] for c in chunks])[order]
                values = np.concatenate([c[2] for c in chunks])[order]
                times = np.concatenate([c[3] for c in chunks])[order]
                times[times == 0] = np.nan
                merged.append((int(orders[order[0]]), tag, Scalars(steps, values, times)))
        merged.sort(key=lambda m: m[0])  # tags in the order first logged
        return {tag: columns for _, tag, columns in merged}

    def times(self) -> tuple[float, float] | None:
        """The first and last wall time seen."""
        return (min(self.walls), max(self.walls)) if self.walls else None


class Scalars(NamedTuple):
    """One tag's scalars, in record order."""

    steps: np.ndarray
    values: np.ndarray
    walls: np.ndarray  # seconds since the epoch; NaN where a record had none


def _grouped(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct rows of ``keys`` (as bytes), the first row of each, and each row's group,
    as :func:`numpy.unique` gives them (at once when every row is the same, as when the
    records of a length all carry one tag)."""
    rows = keys.view(np.dtype((np.void, keys.shape[1]))).ravel()
    if (keys == keys[0]).all():
        return rows[:1], np.zeros(1, dtype=np.int64), np.zeros(len(rows), dtype=np.int64)
    found: tuple[np.ndarray, np.ndarray, np.ndarray] = np.unique(
        rows, return_index=True, return_inverse=True
    )
    return found


def _value(value: Any, step: int, order: int, wall: float, into: Decoder) -> None:
    """One ``Summary.Value`` decoded by protobuf (``order``: where it stands in the run)."""
    kind = value.WhichOneof("value")
    plugin = value.metadata.plugin_data.plugin_name
    tag = value.tag or value.node_name
    scalar: float | None = None
    if kind == "simple_value":
        scalar = value.simple_value
    elif kind == "image":
        into.images.setdefault(tag, []).append((step, value.image.encoded_image_string))
    elif kind == "histo":
        into.histograms.setdefault(tag, []).append((step, *_histo_buckets(value.histo)))
    elif kind == "tensor":
        if is_scalar_tensor(value):
            got = tensor_values(value.tensor)
            if got and isinstance(got[0], (int, float)):
                scalar = float(got[0])
        elif plugin == "text":
            got = tensor_values(value.tensor)
            text_steps, texts = into.texts.setdefault(tag.removesuffix("/text_summary"), ([], []))
            text_steps.append(step)
            texts.append("\n".join(str(v) for v in got))
        elif plugin == "histograms":
            got = tensor_values(value.tensor)
            if len(got) % 3 == 0 and all(isinstance(v, (int, float)) for v in got):
                into.histograms.setdefault(tag, []).append(
                    (
                        step,
                        [float(v) for v in got[0::3]],
                        [float(v) for v in got[1::3]],
                        [float(v) for v in got[2::3]],
                    )
                )
        elif plugin == "pr_curves":
            _pr_curve(tag.removesuffix("/pr_curves"), value.tensor, into)
        elif plugin == "images":
            got = list(value.tensor.string_val)
            for png in got[2:]:
                into.images.setdefault(tag, []).append((step, png))
    if scalar is not None:
        orders, steps, values, walls = into.one_by_one.setdefault(tag, ([], [], [], []))
        orders.append(order)
        steps.append(step)
        values.append(scalar)
        walls.append(wall)
    if plugin == "hparams" and tag.endswith("session_start_info"):
        # tensorboardX writes these with metadata only; TF writes an empty tensor beside it
        _hparams(value.metadata.plugin_data.content, into.params, into.problems, into.file)


def _pr_curve(tag: str, tensor: Any, into: Decoder) -> None:
    """A precision-recall curve: the pr_curves plugin's ``[6, thresholds]`` tensor (true and
    false positives, true and false negatives, precision, recall); the last one logged is
    kept."""
    got = tensor_values(tensor)
    n = len(got) // 6
    if not n or len(got) != 6 * n or not all(isinstance(v, (int, float)) for v in got):
        into.problems.warn(into.file, None, f"PR curve {tag!r}: not a [6, N] tensor; skipped")
        return
    calls = into.pr_curves.get(tag, (0, [], []))[0] + 1
    into.pr_curves[tag] = (
        calls,
        [float(v) for v in got[5 * n :]],
        [float(v) for v in got[4 * n : 5 * n]],
    )


def _histo_buckets(histo: Any) -> tuple[list[float], list[float], list[float]]:
    """A ``HistogramProto``'s buckets as TensorBoard migrates them (``data_compat``): empty
    buckets at either end dropped, the outermost edges (±DBL_MAX) replaced by the min and max
    seen; left edges, right edges and counts."""
    counts = list(histo.bucket)
    start = next((i for i, c in enumerate(counts) if c > 0), len(counts))
    end = next((i for i in reversed(range(len(counts))) if counts[i] > 0), -1)
    if start > end:
        return [], [], []
    inner = list(histo.bucket_limit[start:end])
    return [histo.min, *inner], [*inner, histo.max], counts[start : end + 1]


def _hparams(content: bytes, params: dict[str, Any], problems: Problems, file: Path) -> None:
    data = classes()["HParamsPluginData"]()
    try:
        data.ParseFromString(content)
    except Exception:  # protobuf's DecodeError differs between its backends
        problems.warn(file, None, "undecodable hparams record; skipped")
        return
    for entry in data.session_start_info.hparams:
        which = entry.value.WhichOneof("kind")
        v = getattr(entry.value, which) if which else None
        if isinstance(v, float) and v.is_integer() and not math.isinf(v):
            v = int(v)
        params[entry.key] = v
