"""The analytical model: (workload, architecture, mapping) → accesses, cycles, energy.

Counting conventions are Timeloop's and are written out in docs/hw-model.md; the trace
simulator (trace.py) counts the same things element by element and the tests hold the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from npukit.errors import NpukitError
from npukit.hw.arch import Architecture
from npukit.hw.batch import MappingBatch, evaluate_batch
from npukit.hw.mapping import Mapping
from npukit.hw.sparsity import nonzero_mac_fraction
from npukit.hw.workload import TENSORS, Workload

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
    network_pj: float = 0.0  # the fan-out below this level (the survey's "array"), not in energy_pj


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
        return self.mac_energy_pj + sum(s.energy_pj + s.network_pj for s in self.summaries.values())

    @property
    def network_pj(self) -> float:
        """Energy of moving words over the fan-outs (the survey's "array" level)."""
        return sum(s.network_pj for s in self.summaries.values())

    @property
    def utilization(self) -> float:
        """Busy MAC-cycles over all MAC-cycles (MACs skipped for a zero operand are not busy)."""
        skipped = self.arch.compute.zeros == "skipping"
        busy = self.computes * (nonzero_mac_fraction(self.workload) if skipped else 1.0)
        return busy / (self.cycles * self.arch.compute.instances)

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
            entry: dict[str, Any] = {"instances": s.instances, "cycles": s.cycles, "energy_pj": s.energy_pj,
                                     "network_pj": s.network_pj}
            for t, st in tensors.items():
                entry[t] = {"reads": st.reads, "fills": st.fills, "updates": st.updates,
                            "capacity": st.capacity, "energy_pj": st.energy_pj}
            levels[name] = entry
        return {"computes": self.computes, "cycles": self.cycles, "bound_by": self.bound_by,
                "utilization": self.utilization, "energy_pj": self.energy_pj,
                "energy_per_mac_pj": self.energy_per_mac_pj, "mac_energy_pj": self.mac_energy_pj,
                "network_pj": self.network_pj,
                "latency_s": self.latency_s, "power_w": self.power_w, "levels": levels}


def evaluate(workload: Workload, arch: Architecture, mapping: Mapping, convention: Convention = "timeloop",
             check: bool = True) -> Evaluation:
    """Evaluate one mapping. `check` validates factors, fan-outs and capacities first (one-line errors)."""
    if convention not in ("timeloop", "exact"):
        raise NpukitError(f"convention must be 'timeloop' or 'exact', not {convention!r}")
    if check:
        mapping.validate(workload, arch)
    b = evaluate_batch(workload, arch, MappingBatch.from_mappings([mapping], arch), convention)
    levels: dict[str, dict[str, TensorStats]] = {}
    summaries = {}
    for i, lv in enumerate(arch.levels):
        keeps = mapping.keeps(arch, i)
        levels[lv.name] = {t: TensorStats(int(b.reads[0, i, j]), int(b.fills[0, i, j]), int(b.updates[0, i, j]),
                                          int(b.instances[0, i]), int(b.capacity[0, i, j]),
                                          int(b.partition[0, i, j]), float(b.energy_pj[0, i, j]))
                           for j, t in enumerate(TENSORS) if t in keeps or b.reads[0, i, j]}  # or staged
        cycles_i = int(b.level_cycles[0, i])
        leak = float(b.leak_pj[0, i])
        summaries[lv.name] = LevelSummary(int(b.instances[0, i]), cycles_i, int(b.compute_cycles[0]) / cycles_i,
                                          leak, leak + sum(st.energy_pj for st in levels[lv.name].values()),
                                          float(b.network_pj[0, i]))
    cycles, compute_cycles = int(b.cycles[0]), int(b.compute_cycles[0])
    bound_by = "compute" if cycles == compute_cycles else max(summaries, key=lambda n: summaries[n].cycles)
    return Evaluation(workload, arch, workload.macs, compute_cycles, cycles, bound_by, int(b.utilized_macs[0]),
                      levels, summaries, b.mac_energy_pj, convention)
