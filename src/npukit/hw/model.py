"""The analytical model: (workload, architecture, mapping) → accesses, cycles, energy.

Counting conventions are Timeloop's and are written out in docs/hw-model.md; the trace
simulator (trace.py) counts the same things element by element and the tests hold the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil, prod
from typing import Any, Literal

from npukit.errors import NpukitError
from npukit.hw.arch import Architecture
from npukit.hw.mapping import Mapping
from npukit.hw.nest import box_extents, distinct_groups, step_vector, tile_fills
from npukit.hw.workload import DIMS, READ_WRITE, TENSORS, Workload

Convention = Literal["timeloop", "exact"]


@dataclass(frozen=True)
class TensorStats:
    """One tensor at one level; counts are per instance, energy for all utilized instances."""

    reads: int
    fills: int
    updates: int
    instances: int
    capacity: int  # utilized capacity: the tile, in words
    partition: int
    energy_pj: float = 0.0


@dataclass(frozen=True)
class LevelSummary:
    instances: int
    cycles: int
    slowdown: float  # 1.0 unless a bandwidth limit stretches the run
    leak_pj: float
    energy_pj: float  # all tensors + leakage


@dataclass(frozen=True)
class Evaluation:
    """The model's figures for one layer on one architecture under one mapping."""

    workload: Workload
    arch: Architecture
    computes: int
    compute_cycles: int
    cycles: int
    bound_by: str  # "compute" or the level whose bandwidth sets the cycles
    utilized_macs: int
    levels: dict[str, dict[str, TensorStats]]
    summaries: dict[str, LevelSummary]
    mac_energy_pj: float
    convention: str = field(default="timeloop")

    @property
    def energy_pj(self) -> float:
        return self.mac_energy_pj + sum(s.energy_pj for s in self.summaries.values())

    @property
    def utilization(self) -> float:
        return self.computes / (self.cycles * self.arch.compute.instances)

    @property
    def latency_s(self) -> float:
        return self.cycles / self.arch.clock_hz

    @property
    def macs_per_s(self) -> float:
        return self.computes / self.latency_s

    @property
    def power_w(self) -> float:
        return self.energy_pj * 1e-12 / self.latency_s

    @property
    def energy_per_mac_pj(self) -> float:
        return self.energy_pj / self.computes

    def as_dict(self) -> dict[str, Any]:
        levels: dict[str, Any] = {}
        for name, tensors in self.levels.items():
            s = self.summaries[name]
            entry: dict[str, Any] = {"instances": s.instances, "cycles": s.cycles, "energy_pj": s.energy_pj}
            for t, st in tensors.items():
                entry[t] = {"reads": st.reads, "fills": st.fills, "updates": st.updates,
                            "capacity": st.capacity, "energy_pj": st.energy_pj}
            levels[name] = entry
        return {"computes": self.computes, "cycles": self.cycles, "bound_by": self.bound_by,
                "utilization": self.utilization, "energy_pj": self.energy_pj,
                "energy_per_mac_pj": self.energy_per_mac_pj, "mac_energy_pj": self.mac_energy_pj,
                "latency_s": self.latency_s, "power_w": self.power_w, "levels": levels}


def evaluate(workload: Workload, arch: Architecture, mapping: Mapping, convention: Convention = "timeloop",
             check: bool = True) -> Evaluation:
    """Evaluate one mapping. `check` validates factors, fan-outs and capacities first."""
    if convention not in ("timeloop", "exact"):
        raise NpukitError(f"convention must be 'timeloop' or 'exact', not {convention!r}")
    if check:
        mapping.validate(workload, arch)
    loops = mapping.loops()
    compute_cycles = prod(f for _, _, f, kind in loops if kind == "T")
    inner = inner_extents(loops)
    counts = {t: tensor_counts(workload, arch, mapping, loops, inner, t, compute_cycles, convention == "exact")
              for t in TENSORS}
    raw = {lv.name: {t: counts[t][i] for t in TENSORS if counts[t][i] is not None}
           for i, lv in enumerate(arch.levels)}
    level_cycles = {lv.name: ceil(compute_cycles / bandwidth_slowdown(lv, raw[lv.name].values(), compute_cycles))
                    for lv in arch.levels}
    cycles = max([compute_cycles, *level_cycles.values()])
    bound_by = "compute" if cycles == compute_cycles else max(level_cycles, key=level_cycles.__getitem__)
    levels, summaries = {}, {}
    for i, lv in enumerate(arch.levels):
        clusters = lv.instances // lv.cluster_size
        levels[lv.name] = {t: priced(st, lv.block_size, arch.energies_pj[i], min(st.instances, clusters))
                           for t, st in raw[lv.name].items()}
        n = instances_of(mapping, i)
        leak = lv.leak_pj_per_cycle * cycles * n if levels[lv.name] else 0.0
        summaries[lv.name] = LevelSummary(n, level_cycles[lv.name], compute_cycles / level_cycles[lv.name], leak,
                                          leak + sum(s.energy_pj for s in levels[lv.name].values()))
    utilized_macs = instances_of(mapping, len(arch.levels))
    return Evaluation(workload, arch, workload.macs, compute_cycles, cycles, bound_by, utilized_macs, levels,
                      summaries, workload.macs * arch.mac_pj, convention)


def priced(st: TensorStats, block: int, energies: tuple[float, float, float], clusters: int) -> TensorStats:
    """`st` with its energy: whole blocks per access kind times the per-block energies, paid once per
    utilized cluster of instances (instances in a cluster share one wide access)."""
    blocks = (ceil(st.reads / block), ceil(st.fills / block), ceil(st.updates / block))
    energy = clusters * sum(b * e for b, e in zip(blocks, energies, strict=True))
    return TensorStats(**{**st.__dict__, "energy_pj": energy})


def instances_of(mapping: Mapping, index: int) -> int:
    """Utilized instances of level `index`: the product of the spatial factors of the levels outside it."""
    return prod(lm.spatial_factor("X") * lm.spatial_factor("Y") for lm in mapping.levels[:index])


def inner_extents(loops: list[tuple[int, str, int, str]]) -> list[dict[str, int]]:
    """For each loop (outermost first), the extent of every dimension strictly inside it."""
    out, running = [], dict.fromkeys(DIMS, 1)
    for _, d, f, _ in reversed(loops):
        out.append(dict(running))
        running[d] *= f
    return out[::-1]


def tensor_counts(workload: Workload, arch: Architecture, mapping: Mapping, loops: list, inner: list,
                  tensor: str, compute_cycles: int, exact: bool) -> list[TensorStats | None]:
    """Per level (outermost first): the stats of `tensor` where the level keeps it, else None."""
    proj = workload.projection(tensor)
    n_levels = len(arch.levels)
    extents = [mapping.extents(i) for i in range(n_levels)]
    sizes = [prod(box_extents(proj, e)) for e in extents]
    fills, groups = [], []
    for i in range(n_levels):
        box = box_extents(proj, extents[i])
        outer = [(step_vector(proj, d, inner[k][d]), f) for k, (lv, d, f, kind) in enumerate(loops)
                 if lv < i and kind == "T"]
        fills.append(tile_fills(box, outer[::-1], exact))
        fan = [(step_vector(proj, d, inner[k][d]), f) for k, (lv, d, f, kind) in enumerate(loops)
               if lv == i and kind != "T"]
        groups.append(distinct_groups(fan, len(proj)))
    partitions = partition_sizes(proj, mapping, extents, sizes)
    keeps = [tensor in mapping.keeps(arch, i) for i in range(n_levels)]
    served = [0] * n_levels
    served[-1] = groups[-1] * compute_cycles
    for i in range(n_levels - 2, -1, -1):
        served[i] = groups[i] * (fills[i + 1] if keeps[i + 1] else served[i + 1])
    instances = [instances_of(mapping, i) for i in range(n_levels)]
    out: list[TensorStats | None] = []
    for i in range(n_levels):
        if not keeps[i]:
            out.append(None)
            continue
        a, d, p = served[i], fills[i], partitions[i]
        if tensor in READ_WRITE:
            reads, fill, updates = a - p, (0 if i == 0 else d - p), a
        else:
            reads, fill, updates = a, (0 if i == 0 else d), 0
        out.append(TensorStats(reads, fill, updates, instances[i], sizes[i], p))
    return out


def partition_sizes(proj: Any, mapping: Mapping, extents: list[dict[str, int]], sizes: list[int]) -> list[int]:
    """Timeloop's partition sizes: each level's share of its parent's, by the ratio of tile boxes."""
    parts = [sizes[0]]
    for i in range(1, len(sizes)):
        parent = mapping.levels[i - 1]
        fanned = any(f > 1 for _, f in parent.spatial_x + parent.spatial_y)
        if fanned:
            union = {d: extents[i][d] * prod(f for dd, f in parent.spatial_x + parent.spatial_y if dd == d)
                     for d in DIMS}
            denominator = prod(box_extents(proj, union))
        else:
            denominator = sizes[i]
        parts.append(parts[-1] * sizes[i] // denominator)
    return parts


def bandwidth_slowdown(level: Any, tensors: Any, compute_cycles: int) -> float:
    """How much a level's per-instance bandwidth stretches the run (1.0 = not at all)."""
    stats = list(tensors)
    reads = sum(s.reads for s in stats)
    writes = sum(s.fills + s.updates for s in stats)
    slowdown = 1.0
    for limit, need in ((level.read_bandwidth, reads), (level.write_bandwidth, writes),
                        (level.shared_bandwidth, reads + writes)):
        if limit is not None and need / compute_cycles > limit:
            slowdown = min(slowdown, limit * compute_cycles / need)
    return slowdown
