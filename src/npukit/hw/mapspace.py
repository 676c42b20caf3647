"""The mapping space of one layer on one architecture under a dataflow's rules, as arrays.

A point of the space is a *genome*: for every prime factor of every loop bound (after the
dataflow's fixed factors), the slot it goes to (slot s = kind · L + level, kind 0 a level's
temporal loop, 1 its spatial X loop, 2 its spatial Y loop), plus one sort key per level and
dimension that orders the level's temporal loops. A genome decodes into a `MappingBatch` row.
Sampling, mutation and exhaustive enumeration all work on genomes; `batch.evaluate_batch` flags
mappings whose spatial factors or tiles do not fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations_with_replacement, permutations, product
from math import comb, prod

import numpy as np

from npukit.errors import NpukitError
from npukit.hw.arch import Architecture
from npukit.hw.batch import ND, MappingBatch
from npukit.hw.dataflows import Rules, unconstrained
from npukit.hw.workload import DIMS, TENSORS, Workload


def prime_factors(n: int) -> list[int]:
    out, p = [], 2
    while p * p <= n:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    return out + ([n] if n > 1 else [])


@dataclass(frozen=True)
class Genomes:
    assign: np.ndarray  # (B, P) slot of each free prime
    keys: np.ndarray  # (B, L, D) loop-order keys (ascending = outermost first)

    def __len__(self) -> int:
        return len(self.assign)

    def take(self, index: np.ndarray) -> Genomes:
        return Genomes(self.assign[index], self.keys[index])

    @staticmethod
    def join(parts: list[Genomes]) -> Genomes:
        return Genomes(np.concatenate([g.assign for g in parts]), np.concatenate([g.keys for g in parts]))


class MapSpace:
    """The mappings `rules` allow for `workload` on `arch`; raises one line if a loop has no place."""

    def __init__(self, workload: Workload, arch: Architecture, rules: Rules | None = None, label: str = "") -> None:
        self.workload, self.arch = workload, arch
        self.rules = rules or unconstrained(arch)
        self.label = label or workload.name
        self.n_levels = len(arch.levels)
        self.base = np.ones((3 * self.n_levels, ND), np.int64)  # fixed factors per slot
        self.primes: list[tuple[int, int]] = []  # (dimension index, prime)
        self.allowed: list[np.ndarray] = []  # per prime: the slots it may take
        for d, dim in enumerate(DIMS):
            self._place(d, dim)
        self.pinned = self._pinned_keys()
        width = max((len(a) for a in self.allowed), default=1)
        self.slot_table = np.array([np.resize(a, width) for a in self.allowed], np.int64).reshape(-1, width)
        self.slot_count = np.array([len(a) for a in self.allowed], np.int64)
        self.keep = np.array([[t in self._keeps(i) for t in TENSORS] for i in range(self.n_levels)])

    # ------------------------------------------------------------------ construction

    def _slots(self, dim: str) -> list[int]:
        """Slots where `dim` may loop: its allowed temporal levels and spatial axes with room."""
        out = []
        for i, (lv, r) in enumerate(zip(self.arch.levels, self.rules.levels, strict=True)):
            if dim in r.temporal and dim not in r.factors and lv.kind != "network":
                out.append(i)
            fx, fy = self.arch.fanout(i)
            out += [self.n_levels + i] * (fx > 1 and dim in r.spatial_x)
            out += [2 * self.n_levels + i] * (fy > 1 and dim in r.spatial_y)
        for d, levels in self.rules.whole:
            if d == dim:
                out = [s for s in out if s % self.n_levels in levels]
        return out

    def _place(self, d: int, dim: str) -> None:
        bound = self.workload.bounds[dim]
        fixed = {i: r.factors[dim] for i, r in enumerate(self.rules.levels) if dim in r.factors}
        known = prod(f for f in fixed.values() if f > 0)
        rest = [i for i, f in fixed.items() if f == 0]
        if bound % known:
            raise NpukitError(f"{self.label}: the dataflow fixes {dim} factors multiplying to {known}, "
                              f"but the layer has {dim}={bound}")
        for i, f in fixed.items():
            self.base[i, d] = f if f > 0 else 1
        if rest:
            self.base[rest[0], d] = bound // known
            return
        slots = self._slots(dim)
        for p in prime_factors(bound // known):
            if not slots:
                raise NpukitError(f"{self.label}: no place for {dim}={bound} on {self.arch.name} under the "
                                  f"dataflow (no level may loop over {dim} and no fan-out may spread it)")
            self.primes.append((d, p))
            self.allowed.append(np.array(slots))

    def _pinned_keys(self) -> np.ndarray:
        """(L, D) fixed order keys: a level's `permutation` loops innermost, in that order; NaN elsewhere."""
        keys = np.full((self.n_levels, ND), np.nan)
        for i, r in enumerate(self.rules.levels):
            for k, dim in enumerate(r.permutation):
                keys[i, DIMS.index(dim)] = 10.0 - k  # random keys are in [0, 1): these sort last
        return keys

    def _keeps(self, i: int) -> frozenset[str]:
        level, keep = self.arch.levels[i], self.rules.levels[i].keep
        return frozenset(level.keeps) if keep is None or i == 0 else keep & frozenset(level.keeps)

    # ------------------------------------------------------------------ genomes

    def sample(self, count: int, rng: np.random.Generator) -> Genomes:
        """`count` genomes, every prime in a uniformly random allowed slot, random loop orders."""
        pick = (rng.random((count, len(self.primes))) * self.slot_count).astype(np.int64)
        assign = np.take_along_axis(self.slot_table[None], pick[..., None], axis=2)[..., 0] if self.primes \
            else np.zeros((count, 0), np.int64)
        return Genomes(assign, rng.random((count, self.n_levels, ND)))

    def outermost(self) -> Genomes:
        """The genome with every prime in its outermost slot (temporal first): tiles of one element."""
        return Genomes(np.array([[min(s, key=lambda v: (v % self.n_levels, v)) for s in self.allowed]], np.int64)
                       .reshape(1, len(self.primes)), np.zeros((1, self.n_levels, ND)))

    def mutate(self, parents: Genomes, rng: np.random.Generator) -> Genomes:
        """One child per parent: one or two primes moved to another allowed slot, or one level's order shuffled."""
        assign, keys = parents.assign.copy(), parents.keys.copy()
        b = len(assign)
        if self.primes:
            for _ in range(2):
                rows = np.flatnonzero(rng.random(b) < 0.7)
                pick = rng.integers(0, len(self.primes), len(rows))
                slot = (rng.random(len(rows)) * self.slot_count[pick]).astype(np.int64)
                assign[rows, pick] = self.slot_table[pick, slot]
        reorder = np.flatnonzero(rng.random(b) < 0.4)
        levels = rng.integers(0, self.n_levels, len(reorder))
        keys[reorder, levels] = rng.random((len(reorder), ND))
        return Genomes(assign, keys)

    def decode(self, genomes: Genomes) -> MappingBatch:
        b, n_l = len(genomes), self.n_levels
        factors = np.tile(self.base.reshape(1, -1), (b, 1))
        rows = np.arange(b)
        for p, (d, prime) in enumerate(self.primes):
            factors[rows, genomes.assign[:, p] * ND + d] *= prime
        factors = factors.reshape(b, 3, n_l, ND)
        keys = np.where(np.isnan(self.pinned), genomes.keys, self.pinned)
        order = np.argsort(keys, axis=2, kind="stable")
        keep = np.broadcast_to(self.keep, (b, n_l, len(TENSORS)))
        return MappingBatch(factors[:, 0], order, factors[:, 1], factors[:, 2], keep)

    # ------------------------------------------------------------------ exhaustive enumeration

    def assignments(self, limit: int) -> np.ndarray | None:
        """Every distinct prime placement, as (n, P) slots; None if there are more than `limit`."""
        groups: dict[tuple[int, int], list[int]] = {}
        for p, key in enumerate(self.primes):
            groups.setdefault(key, []).append(p)
        sizes = [comb(len(self.allowed[ps[0]]) + len(ps) - 1, len(ps)) for ps in groups.values()]
        if prod(sizes) > limit:
            return None
        choices = [list(combinations_with_replacement(self.allowed[ps[0]].tolist(), len(ps)))
                   for ps in groups.values()]
        out = np.empty((prod(sizes), len(self.primes)), np.int64)
        for row, pick in enumerate(product(*choices)):
            for ps, slots in zip(groups.values(), pick, strict=True):
                out[row, ps] = slots
        return out

    def enumerate(self, limit: int) -> Genomes | None:
        """The whole space (every placement × every order of each level's moving loops), or None if above `limit`."""
        assign = self.assignments(limit)
        if assign is None:
            return None
        temporal = self.decode(Genomes(assign, np.zeros((len(assign), self.n_levels, ND)))).temporal
        moving = (temporal > 1) & np.isnan(self.pinned)[None]  # (n, L, D): the loops whose order matters
        patterns, which = np.unique(moving.reshape(len(assign), -1), axis=0, return_inverse=True)
        parts, total = [], 0
        for k, pattern in enumerate(patterns):
            keys = self.order_keys(pattern.reshape(self.n_levels, ND))
            rows = np.flatnonzero(which.reshape(-1) == k)
            total += len(rows) * len(keys)
            if total > limit:
                return None
            parts.append(Genomes(np.repeat(assign[rows], len(keys), axis=0), np.tile(keys, (len(rows), 1, 1))))
        return Genomes.join(parts)

    def order_keys(self, moving: np.ndarray) -> np.ndarray:
        """(orders, L, D) sort keys for every combination of every level's order of its `moving` loops."""
        per_level = [list(permutations(np.flatnonzero(m))) for m in moving]
        keys = np.zeros((prod(len(p) for p in per_level), self.n_levels, ND))
        for row, combo in enumerate(product(*per_level)):
            for i, perm in enumerate(combo):
                keys[row, i, list(perm)] = np.arange(1, len(perm) + 1) / (ND + 1)
        return keys


def random_mappings(workload: Workload, arch: Architecture, count: int, seed: int = 0) -> MappingBatch:
    """`count` random mappings (valid or not) of the unconstrained space."""
    space = MapSpace(workload, arch)
    return space.decode(space.sample(count, np.random.default_rng(seed)))
