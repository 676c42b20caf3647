"""Random mappings of a layer onto an architecture, generated as arrays (a `MappingBatch`).

Each prime factor of each loop bound goes to a random slot: a level's temporal loop, or its
spatial X or Y loop where the level fans out. Loop orders are random permutations. Mappings
whose spatial factors overflow a fan-out or whose tiles overflow a buffer come out marked
invalid by `evaluate_batch`; `valid_random_mappings` keeps only the valid ones.
"""

from __future__ import annotations

import numpy as np

from npukit.hw.arch import Architecture
from npukit.hw.batch import ND, MappingBatch, evaluate_batch
from npukit.hw.workload import DIMS, TENSORS, Workload


def prime_factors(n: int) -> list[int]:
    out, p = [], 2
    while p * p <= n:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    return out + ([n] if n > 1 else [])


def random_mappings(workload: Workload, arch: Architecture, count: int, seed: int = 0) -> MappingBatch:
    """`count` random mappings (valid or not) with the architecture's default keep/bypass."""
    rng = np.random.default_rng(seed)
    n_l = len(arch.levels)
    slots = [(lv, "T") for lv in range(n_l)]
    for lv in range(n_l):
        fx, fy = arch.fanout(lv)
        slots += [(lv, "X")] * (fx > 1) + [(lv, "Y")] * (fy > 1)
    factors = {k: np.ones((count, n_l, ND), np.int64) for k in "TXY"}
    for d, dim in enumerate(DIMS):
        for p in prime_factors(workload.bounds[dim]):
            choice = rng.integers(0, len(slots), size=count)
            for s, (lv, kind) in enumerate(slots):
                factors[kind][choice == s, lv, d] *= p
    order = np.argsort(rng.random((count, n_l, ND)), axis=2)
    keep = np.tile(np.array([[t in lv.keeps for t in TENSORS] for lv in arch.levels]), (count, 1, 1))
    return MappingBatch(factors["T"], order, factors["X"], factors["Y"], keep)


def valid_random_mappings(workload: Workload, arch: Architecture, count: int, seed: int = 0,
                          max_rounds: int = 50) -> MappingBatch:
    """At least `count` random mappings that fit the fan-outs and buffers (fewer if the space is tiny)."""
    kept: list[MappingBatch] = []
    have = 0
    for r in range(max_rounds):
        batch = random_mappings(workload, arch, max(count, 1024), seed + r)
        ok = evaluate_batch(workload, arch, batch).valid
        kept.append(select(batch, ok))
        have += int(ok.sum())
        if have >= count:
            break
    merged = concatenate(kept)
    return select(merged, np.arange(len(merged)) < count)


def select(batch: MappingBatch, mask: np.ndarray) -> MappingBatch:
    return MappingBatch(batch.temporal[mask], batch.order[mask], batch.spatial_x[mask], batch.spatial_y[mask],
                        batch.keep[mask])


def concatenate(batches: list[MappingBatch]) -> MappingBatch:
    return MappingBatch(*(np.concatenate([getattr(b, k) for b in batches])
                          for k in ("temporal", "order", "spatial_x", "spatial_y", "keep")))
