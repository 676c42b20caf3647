"""Trace simulator: the independent oracle for the analytical model (docs/hw-model.md, "exact").

It enumerates every iteration of the tiled loop nest — every step of every level's tile, every
MAC of every cycle — holds each level instance's tile as a box of real elements, fills it by the
stride rule of the doc, and serves requests by grouping identical ones (multicast; for Outputs,
spatial reduction) level by level up the hierarchy. A tile is the doc's box (holes included
when a stride exceeds the filter); a MAC asks for one element of each tensor. Nothing here is a
closed form: a count is the size of a set that was enumerated (for Outputs, partial sums an
instance never held are zero: the doc's table subtracts those first touches, counted here).
It shares no code with `npukit.hw.model`.

Iterations are enumerated as NumPy arrays (one row per step, one column per instance) rather
than one Python loop turn each, which is what makes it fast enough for property tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

import numpy as np

from npukit.errors import NpukitError
from npukit.hw.arch import Architecture
from npukit.hw.mapping import Mapping
from npukit.hw.workload import READ_WRITE, TENSORS, Workload

Loop = tuple[int, str, int, str]  # (level index, dimension, factor, "T" / "X" / "Y"), outermost first
NO_REQUEST = -1  # a request id meaning "nothing asked" (a tile that did not need a fill)


@dataclass(frozen=True)
class TraceResult:
    """What the trace counted: MACs performed, cycles, and per level and kept tensor the
    totals over all instances of `reads`, `fills`, `updates` (words) and `instances` holding data."""

    computes: int
    compute_cycles: int
    levels: dict[str, dict[str, dict[str, int]]]


class _Space:
    """One tensor's data space under the loop nest: the step of every loop in data coordinates.

    A loop's index stride in its dimension is the product of the factors of the loops of the same
    dimension inside it; a data coordinate is Σ coefficient · dimension index (workload.projection).
    Elements are numbered row-major over the tensor's bounding box.
    """

    def __init__(self, workload: Workload, tensor: str, loops: list[Loop]):
        projection = workload.projection(tensor)
        self.loops = loops
        self.factors = [f for _, _, f, _ in loops]
        steps = []
        for k, (_, dim, _, _) in enumerate(loops):
            stride = prod(f for _, d, f, _ in loops[k + 1:] if d == dim)
            steps.append([stride * sum(c for d, c in terms if d == dim) for terms in projection])
        self.steps = np.array(steps, dtype=np.int64).reshape(len(loops), len(projection))
        self.shape = self.extent(range(len(loops)))
        self.rowmajor = np.array([prod(self.shape[j + 1:]) for j in range(len(self.shape))], dtype=np.int64)

    def extent(self, which: range | list[int]) -> tuple[int, ...]:
        """Extent of the box the loops `which` sweep: 1 + Σ (factor − 1) · step, per data dimension."""
        ext = np.ones(self.steps.shape[1], dtype=np.int64)
        for k in which:
            ext += (self.factors[k] - 1) * self.steps[k]
        return tuple(int(e) for e in ext)

    def corners(self, which: list[int]) -> np.ndarray:
        """Offsets reached by the loops `which` (odometer, innermost fastest): (iterations, data dims)."""
        if not which:
            return np.zeros((1, self.steps.shape[1]), dtype=np.int64)
        digits = np.indices([self.factors[k] for k in which]).reshape(len(which), -1).T
        return digits @ self.steps[which]

    def box(self, level: int) -> tuple[tuple[int, ...], np.ndarray]:
        """The tile of `level` (its loops and all inner ones): extents and every element's local coordinates."""
        ext = self.extent([k for k, loop in enumerate(self.loops) if loop[0] >= level])
        return ext, np.indices(ext).reshape(len(ext), -1).T


def simulate(workload: Workload, arch: Architecture, mapping: Mapping, max_macs: int = 1_000_000,
             check_capacity: bool = False) -> TraceResult:
    """Walk `mapping` of `workload` on `arch` element by element; count reads, fills and updates
    (words, totals over instances) per level and kept tensor, MACs and cycles, as a TraceResult.

    Raises NpukitError for a layer above `max_macs` MACs or an invalid mapping (capacities are
    only checked with `check_capacity`).
    """
    if workload.macs > max_macs:
        raise NpukitError(f"trace: layer {workload.name} has {workload.macs:,} MACs, above max_macs="
                          f"{max_macs:,} (the trace simulator walks every MAC)")
    if not check_capacity:
        arch = arch.model_copy(update={"levels": tuple(lv.model_copy(update={"size_words": None})
                                                       for lv in arch.levels)})
    mapping.validate(workload, arch)
    loops = mapping.loops()
    spans = [prod(f for lv, _, f, kind in loops if lv == i and kind != "T") for i in range(len(arch.levels))]
    levels: dict[str, dict[str, dict[str, int]]] = {lv.name: {} for lv in arch.levels}
    computes = cycles = 0
    for tensor in TENSORS:
        space = _Space(workload, tensor, loops)
        ids = _mac_requests(space, spans)
        sizes = np.ones_like(ids)
        computes, cycles = ids.size, ids.shape[0]
        rf = len(arch.levels) - 1
        if arch.compute.operands_through_rf and tensor not in READ_WRITE and tensor not in mapping.keeps(arch, rf):
            levels[arch.levels[rf].name][tensor] = _table(tensor, _served(ids, sizes, rf), 0, 0, False,
                                                          prod(spans[:rf]))
        for k in reversed([i for i in range(len(arch.levels)) if tensor in mapping.keeps(arch, i)]):
            accesses = _served(ids, sizes, k)
            fills, held, ids, sizes = _walk(space, k, spans, tensor in READ_WRITE)
            levels[arch.levels[k].name][tensor] = _table(tensor, accesses, fills, held, k == 0, prod(spans[:k]))
    levels = {name: {t: per[t] for t in TENSORS if t in per} for name, per in levels.items()}
    return TraceResult(computes, cycles, levels)


def _mac_requests(space: _Space, spans: list[int]) -> np.ndarray:
    """Every MAC's operand (element number) in every cycle: shape (cycles, span_0, …, span_{L-1})."""
    temporal = [k for k, loop in enumerate(space.loops) if loop[3] == "T"]
    spatial = [k for k, loop in enumerate(space.loops) if loop[3] != "T"]
    points = (space.corners(temporal) @ space.rowmajor)[:, None] + (space.corners(spatial) @ space.rowmajor)[None]
    return points.reshape(-1, *spans)


def _walk(space: _Space, level: int, spans: list[int], partial_sums: bool
          ) -> tuple[int, int, np.ndarray, np.ndarray]:
    """Move the tiles of every instance of `level` through the steps of the outer temporal loops.

    Returns the fills by the stride rule (summed over instances, before first-fill elision), the
    distinct elements the instances ever hold (summed; only for `partial_sums`, else 0), and the
    fill requests sent up: a set id per (step, instance) — equal ids are equal sets — and its size.
    """
    outer_t = [k for k, (lv, _, _, kind) in enumerate(space.loops) if lv < level and kind == "T"]
    outer_s = [k for k, (lv, _, _, kind) in enumerate(space.loops) if lv < level and kind != "T"]
    corner = space.corners(outer_t)[:, None, :] + space.corners(outer_s)[None, :, :]  # (steps, instances, dims)
    ext, local = space.box(level)
    corner_no = corner @ space.rowmajor
    patterns: dict[bytes, int] = {}
    full = _pattern(patterns, local @ space.rowmajor)
    size = np.full(corner_no.shape, len(local))  # the first tile, and every refill after a stride change
    first = np.zeros(corner_no.shape, dtype=np.int64)  # element number of each request's first element
    shape = np.full(corner_no.shape, full)
    if len(corner) > 1:
        moves = corner[1:] - corner[:-1]  # translation of each instance's tile, from the tiles themselves
        slides = _keeps_overlap(moves)
        kinds, which = np.unique(moves.reshape(-1, moves.shape[-1]), axis=0, return_inverse=True)
        new = np.array([_new_elements(t, ext, local, space.rowmajor, patterns) for t in kinds], dtype=np.int64)
        new = new[which.reshape(slides.shape)]  # (steps − 1, instances, [size, first, shape])
        for k, column in enumerate((size, first, shape)):
            column[1:] = np.where(slides, new[..., k], column[1:])
    ids = np.where(size > 0, (corner_no + first) * len(patterns) + shape, NO_REQUEST)
    held = _distinct_held(corner_no, local @ space.rowmajor) if partial_sums else 0
    return int(size.sum()), held, ids.reshape(-1, *spans[:level]), size.reshape(-1, *spans[:level])


def _keeps_overlap(moves: np.ndarray) -> np.ndarray:
    """The stride rule, per step (after the first) and instance: True = fill only what is new.

    The remembered stride T starts as none. A move keeps the overlap iff T is none or the move
    equals T; then T = the move, otherwise T = none. So a move equal to the previous move keeps
    the overlap, and after one that differs, keep and refill alternate (T none → keep → ...).
    """
    same = np.all(moves[1:] == moves[:-1], axis=-1)
    forced = np.concatenate([np.ones((1, *same.shape[1:]), dtype=bool), same])  # keep regardless of T
    step = np.arange(len(forced))[:, None]
    last_forced = np.maximum.accumulate(np.where(forced, step, 0), axis=0)
    return (step - last_forced) % 2 == 0


def _new_elements(move: np.ndarray, ext: tuple[int, ...], local: np.ndarray, rowmajor: np.ndarray,
                  patterns: dict[bytes, int]) -> tuple[int, int, int]:
    """new \\ old for a tile moved by `move`: its size, its first element (relative to the new
    corner) and the id of its shape (the set translated to start at 0)."""
    before = local + move  # where each element of the new tile sat in the old tile's coordinates
    fresh = ~np.all((before >= 0) & (before < np.array(ext)), axis=1)
    numbers = local[fresh] @ rowmajor
    if not len(numbers):
        return 0, 0, 0
    return len(numbers), int(numbers[0]), _pattern(patterns, numbers)


def _pattern(patterns: dict[bytes, int], numbers: np.ndarray) -> int:
    """Intern a sorted set of element numbers by its shape (shifted to start at 0)."""
    return patterns.setdefault((numbers - numbers[0]).tobytes(), len(patterns))


def _distinct_held(corner_no: np.ndarray, local_no: np.ndarray) -> int:
    """Σ over instances of the distinct elements an instance ever holds (first touches)."""
    total = 0
    for column in corner_no.T:
        starts = np.unique(column)
        total += np.unique((starts[:, None] + local_no[None, :]).ravel()).size
    return total


def _served(ids: np.ndarray, sizes: np.ndarray, server: int) -> int:
    """Words level `server` serves for requests (events, span_0, …, span_{r-1}) from below.

    Each level between forwards the set of distinct requests of its children (a bypassed level);
    the server answers each distinct request of its children once (multicast / spatial reduction).
    """
    while ids.ndim - 1 > server + 1:
        ids, sizes = _forward(ids, sizes)
    return int(_distinct(ids, sizes)[1].sum())


def _distinct(ids: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Along the last axis (siblings), blank out repeated requests and empty ones."""
    order = np.argsort(ids, axis=-1, kind="stable")
    ids, sizes = np.take_along_axis(ids, order, -1), np.take_along_axis(sizes, order, -1)
    drop = ids == NO_REQUEST
    drop[..., 1:] |= ids[..., 1:] == ids[..., :-1]
    return np.where(drop, NO_REQUEST, ids), np.where(drop, 0, sizes)


def _forward(ids: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A bypassed level's request: the set of its children's distinct requests, as one id."""
    ids, sizes = _distinct(ids, sizes)
    sets = np.sort(ids, axis=-1).reshape(-1, ids.shape[-1])
    _, set_id = np.unique(sets, axis=0, return_inverse=True)
    set_id = np.where((sets == NO_REQUEST).all(axis=1), NO_REQUEST, set_id.reshape(-1))
    return set_id.reshape(ids.shape[:-1]), sizes.sum(axis=-1)


def _table(tensor: str, accesses: int, fills: int, held: int, backing: bool, instances: int) -> dict[str, int]:
    """Reads, fills and updates from the served accesses, the fills and (Outputs) the first touches."""
    if tensor in READ_WRITE:  # partial sums: a first arrival is zero (no fill), its first read is skipped
        return {"reads": accesses - held, "fills": 0 if backing else fills - held, "updates": accesses,
                "instances": instances}
    return {"reads": accesses, "fills": 0 if backing else fills, "updates": 0, "instances": instances}
