"""The analytical model for many mappings of one layer at once, as NumPy arrays.

The counting rules are those of docs/hw-model.md in closed form:

- fills of a tile (per instance), over the outer temporal loops k with trip count n_k > 1:
  ``D = |box| + Σ_k cnt_k · (|box| − overlap(v₁) if v_k = v₁ else |box|)`` where
  ``cnt_k = (n_k − 1) · Π_{k' outside k} n_k'`` counts the steps of loop k, ``v_k`` is the
  tile's translation on such a step (loop k advances, the loops inside it wrap back: from their
  last iteration when exact, from their second under Timeloop's extrapolation), and v₁ is the
  step of the innermost of those loops. A step that keeps the innermost loop's translation keeps
  the overlap; any other translation refills the tile.
- multicast groups at a fan-out: distinct sums Σ iᵢ·aᵢ per data dimension; for two arithmetic
  progressions (a, nA), (b, nB) with a = g·a', b = g·b': ``nA·nB − (nA − b')⁺·(nB − a')⁺``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from math import prod

import numpy as np

from npukit.errors import NpukitError
from npukit.hw.arch import Architecture
from npukit.hw.mapping import LevelMapping, Mapping
from npukit.hw.sparsity import compression_scale, nonzero_mac_fraction
from npukit.hw.workload import DIMS, READ_WRITE, TENSORS, Workload

DIM_INDEX = {d: k for k, d in enumerate(DIMS)}
OUT = TENSORS.index("Outputs")
ND = len(DIMS)


@dataclass(frozen=True)
class MappingBatch:
    """B mappings of one layer onto an architecture of L levels, as arrays over (B, L, dimension)."""

    temporal: np.ndarray  # (B, L, D) temporal factor of each dimension at each level
    order: np.ndarray  # (B, L, D) each level's temporal loops, outermost first, as dimension indices
    spatial_x: np.ndarray  # (B, L, D)
    spatial_y: np.ndarray  # (B, L, D)
    keep: np.ndarray  # (B, L, 3) bool, tensors in TENSORS order

    def __len__(self) -> int:
        return int(self.temporal.shape[0])

    @classmethod
    def from_mappings(cls, mappings: Sequence[Mapping], arch: Architecture) -> MappingBatch:
        b, n = len(mappings), len(arch.levels)
        arrays = {k: np.ones((b, n, ND), np.int64) for k in ("temporal", "spatial_x", "spatial_y")}
        order = np.tile(np.arange(ND, dtype=np.int64), (b, n, 1))
        keep = np.zeros((b, n, len(TENSORS)), bool)
        for i, m in enumerate(mappings):
            for lv, lm in enumerate(m.levels):
                for key in arrays:
                    for d, f in getattr(lm, key):
                        arrays[key][i, lv, DIM_INDEX[d]] *= f
                listed = [DIM_INDEX[d] for d, f in lm.temporal if f > 1]
                if len(set(listed)) < len(listed):
                    raise NpukitError(f"{m.source}: level {lm.level}: a dimension appears in two temporal loops; "
                                      "the analytical model (like Timeloop) takes one loop per dimension per level")
                order[i, lv] = [*dict.fromkeys(listed), *(k for k in range(ND) if k not in listed)]
                keep[i, lv] = [t in m.keeps(arch, lv) for t in TENSORS]
        return cls(arrays["temporal"], order, arrays["spatial_x"], arrays["spatial_y"], keep)

    def mapping(self, index: int, arch: Architecture) -> Mapping:
        """Mapping number `index` as a `Mapping` (factors of 1 left out)."""
        levels = []
        for lv, name in enumerate(arch.names):
            temporal = tuple((DIMS[k], int(self.temporal[index, lv, k])) for k in self.order[index, lv]
                             if self.temporal[index, lv, k] > 1)
            sx, sy = ((tuple((d, int(a[index, lv, k])) for k, d in enumerate(DIMS) if a[index, lv, k] > 1))
                      for a in (self.spatial_x, self.spatial_y))
            keep = frozenset(t for j, t in enumerate(TENSORS) if self.keep[index, lv, j])
            levels.append(LevelMapping(name, temporal, sx, sy, keep))
        return Mapping(tuple(levels), f"mapping {index}")


@dataclass(frozen=True)
class BatchEvaluation:
    """Per mapping b, level l, tensor t (TENSORS order): counts per instance; totals per mapping."""

    reads: np.ndarray  # (B, L, 3)
    fills: np.ndarray
    updates: np.ndarray
    capacity: np.ndarray  # (B, L, 3) tile words
    partition: np.ndarray  # (B, L, 3)
    energy_pj: np.ndarray  # (B, L, 3) all utilized instances
    instances: np.ndarray  # (B, L)
    level_cycles: np.ndarray  # (B, L)
    leak_pj: np.ndarray  # (B, L)
    network_pj: np.ndarray  # (B, L) words over the fan-out below each level, times its energy per word
    compute_cycles: np.ndarray  # (B,)
    cycles: np.ndarray  # (B,)
    utilized_macs: np.ndarray  # (B,)
    mac_energy_pj: float
    valid: np.ndarray  # (B,) factors multiply to the bounds, fan-outs and capacities fit

    @property
    def total_energy_pj(self) -> np.ndarray:
        return self.energy_pj.sum(axis=(1, 2)) + self.leak_pj.sum(axis=1) + self.network_pj.sum(axis=1) \
            + self.mac_energy_pj


def coefficients(workload: Workload, tensor: str) -> np.ndarray:
    """(D, R) matrix: coefficient of loop dimension d in data dimension r of `tensor`."""
    proj = workload.projection(tensor)
    c = np.zeros((ND, len(proj)), np.int64)
    for r, terms in enumerate(proj):
        for d, coef in terms:
            c[DIM_INDEX[d], r] = coef
    return c


CHUNK = 4096  # mappings per pass: keeps the (B, loops, ranks) arrays in cache


def evaluate_batch(workload: Workload, arch: Architecture, batch: MappingBatch,
                   convention: str = "timeloop") -> BatchEvaluation:
    """Evaluate every mapping of `batch` (see docs/hw-model.md); invalid ones are flagged in `valid`."""
    if len(batch) <= CHUNK:
        return evaluate_chunk(workload, arch, batch, convention)
    parts = [evaluate_chunk(workload, arch, batch_slice(batch, slice(s, s + CHUNK)), convention)
             for s in range(0, len(batch), CHUNK)]
    return BatchEvaluation(*(np.concatenate([getattr(p, f.name) for p in parts]) if f.name != "mac_energy_pj"
                             else parts[0].mac_energy_pj for f in fields(BatchEvaluation)))


def batch_slice(batch: MappingBatch, part: slice | np.ndarray) -> MappingBatch:
    """The mappings of `batch` at `part` (a slice, indices or a mask)."""
    return MappingBatch(*(getattr(batch, f.name)[part] for f in fields(MappingBatch)))


def evaluate_chunk(workload: Workload, arch: Architecture, batch: MappingBatch, convention: str) -> BatchEvaluation:
    t, x, y = batch.temporal, batch.spatial_x, batch.spatial_y
    n_b, n_l, _ = t.shape
    fan = x * y
    factor = t * fan
    extents = np.flip(np.cumprod(np.flip(factor, 1), axis=1), 1)  # (B, L, D) tile extents per level
    below = np.concatenate([extents[:, 1:], np.ones((n_b, 1, ND), np.int64)], axis=1)
    trips = np.take_along_axis(t, batch.order, axis=2).reshape(n_b, -1)  # (B, K) temporal loops, nest order
    dims = batch.order.reshape(n_b, -1)
    inner = np.take_along_axis(below * fan, batch.order, axis=2).reshape(n_b, -1)
    compute_cycles = np.prod(t.reshape(n_b, -1), axis=1)
    steps_before = np.concatenate([np.ones((n_b, 1), np.int64), np.cumprod(trips, axis=1)[:, :-1]], axis=1)
    count = (trips - 1) * steps_before  # steps of each loop over the whole run
    instances = np.concatenate([np.ones((n_b, 1), np.int64),
                                np.cumprod(np.prod(fan, axis=2), axis=1)[:, :-1]], axis=1)
    out = {k: np.zeros((n_b, n_l, len(TENSORS)), np.int64)
           for k in ("reads", "fills", "updates", "capacity", "partition")}
    loops = moving_loops(trips, dims, inner, count)
    for j, tensor in enumerate(TENSORS):
        stats = tensor_stats(workload, tensor, extents, below, fan, loops, compute_cycles, batch.keep[:, :, j],
                             convention == "exact")
        for k, v in stats.items():
            out[k][:, :, j] = np.where(batch.keep[:, :, j], v, 0)
        if arch.compute.operands_through_rf and tensor not in READ_WRITE:  # one RF read per use, kept or not
            out["reads"][:, -1, j] = stats["reads"][:, -1]
    return finish(workload, arch, batch, out, instances, compute_cycles, factor, fan, extents)


def moving_loops(trips: np.ndarray, dims: np.ndarray, inner: np.ndarray,
                 count: np.ndarray) -> tuple[np.ndarray, ...]:
    """Only the loops that iterate (trip count > 1), still in nest order, padded with idle loops."""
    moving = trips > 1
    width = max(int(moving.sum(axis=1).max(initial=0)), 1)
    rows, cols = np.nonzero(moving)
    slot = np.cumsum(moving, axis=1)[rows, cols] - 1  # position among the row's moving loops
    packed = []
    for values, idle in ((trips[rows, cols], 1), (dims[rows, cols], 0), (inner[rows, cols], 1),
                         (count[rows, cols], 0), (cols // ND, np.iinfo(np.int64).max)):  # padding: no level
        a = np.full((len(trips), width), idle, np.int64)
        a[rows, slot] = values
        packed.append(a)
    return tuple(packed)


def tensor_stats(workload: Workload, tensor: str, extents: np.ndarray, below: np.ndarray, fan: np.ndarray,
                 loops: tuple[np.ndarray, ...], compute_cycles: np.ndarray, keep: np.ndarray,
                 exact: bool) -> dict[str, np.ndarray]:
    """Reads, fills, updates, capacity and partition of one tensor at every level, (B, L) each."""
    coef = coefficients(workload, tensor)
    trips, dims, inner, count, level = loops
    n_b, n_l, _ = extents.shape
    box = boxes(workload, tensor, extents)  # (B, L, R)
    vol = np.prod(box, axis=2)
    # A translation vector is compared through one exact integer key (Σ component × radix): a step
    # of loop k with the loops inside it wrapping back equals the innermost loop's step exactly when
    # key(step_k) + Σ_{k'≤k} key(back_k') equals the same sum at the innermost loop.
    ckey = coef @ vector_radix(workload, tensor)  # (D,) key of a unit step of each loop dimension
    skey = ckey[dims] * inner
    back = np.where(trips > 1, trips - 1 if exact else 1, 0) * skey
    anchor = skey + np.cumsum(back, axis=1)
    fills = vol.copy()
    rows = np.arange(n_b)
    for i in range(1, n_l):
        above = level < i  # the moving loops of the levels outside level i: a prefix
        last = np.maximum(above.sum(axis=1) - 1, 0)  # the innermost of them: its step keeps the overlap
        v1 = coef[dims[rows, last]] * inner[rows, last][:, None]
        partial = vol[:, i] - np.prod(np.maximum(0, box[:, i] - np.abs(v1)), axis=1)
        same = anchor == anchor[rows, last][:, None]
        cost = np.where(same, partial[:, None], vol[:, i, None])
        fills[:, i] += np.sum(np.where(above, count * cost, 0), axis=1)
    groups = multicast_groups(workload, tensor, below, fan)
    partition = partition_sizes(workload, tensor, extents, fan, vol)
    served = np.empty_like(fills)
    served[:, -1] = groups[:, -1] * compute_cycles
    for i in range(n_l - 2, -1, -1):
        served[:, i] = groups[:, i] * np.where(keep[:, i + 1], fills[:, i + 1], served[:, i + 1])
    backing = np.zeros(n_l, bool)
    backing[0] = True
    if tensor in READ_WRITE:
        return {"reads": served - partition, "fills": np.where(backing, 0, fills - partition), "updates": served,
                "capacity": vol, "partition": partition}
    return {"reads": served, "fills": np.where(backing, 0, fills), "updates": np.zeros_like(served),
            "capacity": vol, "partition": partition}


def vector_radix(workload: Workload, tensor: str) -> np.ndarray:
    """Weights that turn a translation vector of `tensor` into one exact integer key.

    Every component of a wrap-around translation lies within ±8 × the tensor's extent along it, so
    the mixed radix below is one-to-one; Python integers take over if int64 could overflow.
    """
    bases = [16 * (1 + sum(c * (workload.bounds[d] - 1) for d, c in terms)) + 1
             for terms in workload.projection(tensor)]
    radix = [prod(bases[:r]) for r in range(len(bases))]
    return np.array(radix, dtype=np.int64 if prod(bases) < 2**40 else object)


def multicast_groups(workload: Workload, tensor: str, below: np.ndarray, fan: np.ndarray) -> np.ndarray:
    """(B, L): distinct child tiles under each level's spatial loops (multicast / reduction groups)."""
    groups = np.ones(fan.shape[:2], np.int64)
    for terms in workload.projection(tensor):
        if len(terms) == 1:
            groups *= fan[:, :, DIM_INDEX[terms[0][0]]]
            continue
        (da, ca), (db, cb) = terms
        a, b = ca * below[:, :, DIM_INDEX[da]], cb * below[:, :, DIM_INDEX[db]]
        na, nb = fan[:, :, DIM_INDEX[da]], fan[:, :, DIM_INDEX[db]]
        g = np.gcd(a, b)
        groups *= na * nb - np.maximum(0, na - b // g) * np.maximum(0, nb - a // g)
    return groups


def boxes(workload: Workload, tensor: str, extents: np.ndarray) -> np.ndarray:
    """(..., R): extent along each data dimension of the box that loop `extents` (..., D) touch."""
    return np.stack([1 + sum(c * (extents[..., DIM_INDEX[d]] - 1) for d, c in terms)
                     for terms in workload.projection(tensor)], axis=-1)


def box_volume(workload: Workload, tensor: str, extents: np.ndarray) -> np.ndarray:
    """Elements in the boxes that loop `extents` (..., D) touch."""
    volume = np.ones(extents.shape[:-1], np.int64)
    for terms in workload.projection(tensor):
        volume *= 1 + sum(c * (extents[..., DIM_INDEX[d]] - 1) for d, c in terms)
    return volume


def partition_sizes(workload: Workload, tensor: str, extents: np.ndarray, fan: np.ndarray,
                    vol: np.ndarray) -> np.ndarray:
    """Timeloop's partition sizes: each level's share of its parent's, by the ratio of tile boxes."""
    parts = np.empty_like(vol)
    parts[:, 0] = vol[:, 0]
    union = box_volume(workload, tensor, extents[:, 1:] * fan[:, :-1])
    fanned = np.prod(fan[:, :-1], axis=2) > 1
    denominator = np.where(fanned, union, vol[:, 1:])
    for i in range(1, vol.shape[1]):
        parts[:, i] = parts[:, i - 1] * vol[:, i] // denominator[:, i - 1]
    return parts


def finish(workload: Workload, arch: Architecture, batch: MappingBatch, out: dict[str, np.ndarray],
           instances: np.ndarray, compute_cycles: np.ndarray, factor: np.ndarray, fan: np.ndarray,
           extents: np.ndarray) -> BatchEvaluation:
    """Cycles (bandwidth), energy (blocks × energies per utilized cluster, leakage), validity; zeros
    gated or skipped and run-length-coded levels as `npukit.hw.sparsity` says."""
    reads, writes = out["reads"].sum(axis=2), (out["fills"] + out["updates"]).sum(axis=2)
    nonzero = nonzero_mac_fraction(workload) if arch.compute.zeros != "none" else 1.0
    if arch.compute.zeros == "skipping":
        compute_cycles = np.ceil(compute_cycles * nonzero).astype(np.int64)
    level_cycles = np.empty_like(reads)
    energy = np.zeros(out["reads"].shape)
    for i, lv in enumerate(arch.levels):
        slowdown = np.ones(len(reads))  # Timeloop's: available over needed bandwidth, at most 1
        for limit, words in ((lv.read_bandwidth, reads[:, i]), (lv.write_bandwidth, writes[:, i]),
                             (lv.shared_bandwidth, reads[:, i] + writes[:, i])):
            if limit is not None:
                slowdown = np.minimum(slowdown, limit / np.maximum(words / compute_cycles, 1e-300))
        level_cycles[:, i] = np.ceil(compute_cycles / slowdown).astype(np.int64)
        clusters = np.minimum(instances[:, i], lv.instances // lv.cluster_size)[:, None]
        value_bits = np.array([workload.stored_bits(t, lv.word_bits) for t in TENSORS])[None, :]
        block_bits = lv.block_size * lv.word_bits  # a narrower value packs more per block
        blocks = [-(-out[k][:, i] * value_bits // block_bits) for k in ("reads", "fills", "updates")]
        if i == 0 and workload.psum_bits is not None:  # finished outputs leave at the output width
            final, updates = out["partition"][:, 0, OUT], out["updates"][:, 0, OUT]
            blocks[2][:, OUT] = (-(-final * workload.value_bits("Outputs", lv.word_bits) // block_bits)
                                 - (-(updates - final) * workload.psum_bits // block_bits))
        energy[:, i] = clusters * sum(b * e for b, e in zip(blocks, arch.energies_pj[i], strict=True))
        if lv.compression == "rlc":
            energy[:, i] *= compression_scale(workload, lv.word_bits)[None, :]
    cycles = np.maximum(compute_cycles, level_cycles.max(axis=1))
    leak = np.array([lv.leak_pj_per_cycle for lv in arch.levels])[None, :] * cycles[:, None] * instances
    leak = np.where(batch.keep.any(axis=2), leak, 0.0)
    macs = np.prod(fan.reshape(len(fan), -1), axis=1)
    network = network_words(workload, arch, batch, out, instances) * np.array(arch.network_pj)[None, :]
    return BatchEvaluation(out["reads"], out["fills"], out["updates"], out["capacity"], out["partition"], energy,
                           instances, level_cycles, leak, network, compute_cycles, cycles, macs,
                           workload.macs * nonzero * arch.mac_pj, validity(workload, arch, batch, out, factor))


def network_words(workload: Workload, arch: Architecture, batch: MappingBatch, out: dict[str, np.ndarray],
                  instances: np.ndarray) -> np.ndarray:
    """(B, L) words crossing the fan-out below each level, counted per child reached: the fills of
    the nearest level below that keeps the tensor (over all its instances), and for Outputs also
    every tile sent back up (fills + first visits); with no such level, one word per MAC. A value
    narrower or wider than the level's word counts as that fraction of a word."""
    n_b, n_l = instances.shape
    words = np.zeros((n_b, n_l), np.float64)
    for j, tensor in enumerate(TENSORS):
        fills = out["fills"][:, :, j] * instances
        if tensor == "Outputs":
            fills = fills + (out["fills"][:, :, j] + out["partition"][:, :, j]) * instances
        crossing = np.full(n_b, float(workload.macs))  # below the innermost level: the MACs' operands
        for i in range(n_l - 1, -1, -1):
            word_bits = arch.levels[i].word_bits
            words[:, i] += crossing * (workload.stored_bits(tensor, word_bits) / word_bits)
            crossing = np.where(batch.keep[:, i, j], fills[:, i], crossing)
    return words


def validity(workload: Workload, arch: Architecture, batch: MappingBatch, out: dict[str, np.ndarray],
             factor: np.ndarray) -> np.ndarray:
    bounds = np.array([workload.bounds[d] for d in DIMS])
    ok = np.all(np.prod(factor, axis=1) == bounds, axis=1) & batch.keep[:, 0].all(axis=1)
    for i, lv in enumerate(arch.levels):
        fx, fy = arch.fanout(i)
        ok &= (np.prod(batch.spatial_x[:, i], axis=1) <= fx) & (np.prod(batch.spatial_y[:, i], axis=1) <= fy)
        allowed = np.array([tn in lv.keeps for tn in TENSORS])
        ok &= ~np.any(batch.keep[:, i] & ~allowed, axis=1)
        if lv.size_words is not None:
            value_bits = np.array([workload.stored_bits(t, lv.word_bits) for t in TENSORS])
            ok &= (out["capacity"][:, i] * value_bits).sum(axis=1) <= lv.size_words * lv.word_bits
    return ok

